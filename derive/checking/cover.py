"""Points that show every side of every condition: a check is never decided on one side of a kink.

An answer that drops the ReLU mask (`1[A2 ≥ 0]`, always 1) agrees with the
reference wherever every unit is active; a leaky ReLU's slope shows only where
a pre-activation is negative. So the points of a check are chosen until each
condition of the reference and of the definitions it reads (each indicator,
Piecewise branch, max/min argument, the sign of an abs/sign argument) has
taken each of its sides at some point, or a budget of extra points is spent;
a check whose points never showed a side cannot call an answer equivalent
(`undecided`, naming the condition). Conditions between whole numbers (index
bounds, labels) are not counted: the points' edges and ties choose those.

The sides are recorded by the evaluator (`Evaluator._saw`) while a point's
`seen` is a dict.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable

import mpmath
import sympy as sp

from ..limits import Timeout
from ..problem.conditions import Coverage, conditions, involved, required
from ..problem.sampling import Point
from ..problem.spec import Iverson
from .evaluate import Evaluator, Undefined

EXTRA_POINTS = 30  # points drawn beyond a check's own, at most, to show a condition's other side


def _entries(spec, exprs: list, env: Point) -> list[sp.Expr]:
    """Every entry of every quantity `exprs` read through the definitions, at the point's sizes: the
    point's state (a pre-activation negative somewhere), whether or not a reference reads that entry
    (`[z > 0]·relu(z)` never reads relu at a negative z)."""
    out: list[sp.Expr] = []
    for atom in sorted(involved(spec, exprs), key=str):
        definition = spec.definitions.get(atom)
        if definition is None or not _has_conditions(spec, definition.body):
            continue  # its entries are valued where the conditions' are, as they need them
        if not definition.params:
            out.append(atom)
            continue
        shape = spec.shapes.get(atom, ())
        entries: list[tuple] = [()]
        for dim in shape:
            entries = [e + (k,) for e in entries for k in range(1, env.sizes.get(dim, 0) + 1)]
        out.extend(atom[e] for e in entries if e)
    return out


def _value(spec, expr, env: Point, strict: bool):
    """The value at 40 digits, None where undefined."""
    try:
        with mpmath.workdps(40):
            return Evaluator(spec, env, strict).value(expr)
    except Undefined:
        return None


def _matters(spec, expr, node, env: Point, strict: bool) -> bool:
    """Does the indicator `node` decide `expr`'s value at `env` (1 and 0 in its place give two values)?
    [m_c > 0] in (1 − Δ_c)[m_c > 0] does not where Δ_c = 1: its side there shows nothing."""
    seen, env.seen = env.seen, None
    try:
        one = _value(spec, expr.xreplace({node: sp.S.One}), env, strict)
        zero = _value(spec, expr.xreplace({node: sp.S.Zero}), env, strict)
    finally:
        env.seen = seen
    return one is not None and zero is not None and one != zero


def _has_conditions(spec, body: sp.Expr) -> bool:
    """Does a definition's body hold a condition, itself or in a function it applies (relu = max(0, ·))?"""
    if conditions(body):
        return True
    for call in body.atoms(sp.Function):
        info = spec.functions.get(call.func)
        if info is not None and info.body is not None and conditions(info.body.expr):
            return True
    return False


def record(spec, exprs: Iterable[sp.Expr], env: Point, strict: bool = True, whole: bool = True) -> dict:
    """The sides the conditions of `exprs` (with `whole`), and of every entry of the quantities they read,
    take at `env` (40 digits; undefined values are passed over). An indicator of an expression counts only
    where it decides the expression's value (`_matters`)."""
    exprs = list(exprs)
    seen: dict = {}
    memo = env.memo
    try:
        for expr in exprs if whole else []:
            env.seen, env.memo = {}, {}  # a value kept from before would record nothing
            _value(spec, expr, env, strict)
            own = env.seen
            for node, sides in own.items():
                if isinstance(node, Iverson) and not _matters(spec, expr, node, env, strict):
                    continue
                seen.setdefault(node, set()).update(sides)
        env.seen, env.memo = {}, {}
        for entry in _entries(spec, exprs, env) if spec is not None else []:
            _value(spec, entry, env, strict)
        for node, sides in env.seen.items():
            seen.setdefault(node, set()).update(sides)
        return seen
    finally:
        env.seen = None
        env.memo = memo | env.memo


def cover(spec, exprs: list, points: list[Point], draw: Callable[[int], Point], strict: bool = True,
          extra: int = EXTRA_POINTS, whole: bool = True) -> tuple[list[Point], Coverage]:
    """`points`, and as many more from `draw(n)` (n = 0, 1, ...; at most `extra`) as it takes to show
    every side of every condition of `exprs` (and the definitions they read); only points that show a
    side not shown before are added. The coverage says what was shown. Without `whole`, `exprs` only say
    which definitions count (a problem's quantities): they are not valued themselves."""
    coverage = Coverage(required(spec, exprs))
    if not coverage.required:
        return points, coverage
    points = list(points)
    for env in points:
        coverage.add(record(spec, exprs, env, strict, whole))
    n = 0
    while coverage.missing() and n < extra:
        env = draw(n)
        n += 1
        try:
            if coverage.add(record(spec, exprs, env, strict, whole)):
                points.append(env)
        except Timeout:
            break
    return points, coverage


