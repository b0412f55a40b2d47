"""Comparing two expressions at random points: the numeric rungs of the checker's ladder.

Points respect a problem's assumptions (sizes 2–4, i = j and i ≠ j, t on the
simplex, one-hot rows, φ as tanh, sin and softplus). Values are exact
rationals while the expressions are rational and 40-digit floats once they
are not, evaluated again at 120 digits on a near tie (`derive.evaluate`).
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from fractions import Fraction

import mpmath
import sympy as sp

from ..limits import OutOfWork
from ..printing.base import ascii_name
from ..problem.conditions import atoms, involved
from ..problem.sampling import STAND_INS, Point, spec_point, stand_ins
from .evaluate import Evaluator, OnJump, Undefined
from .numbers import as_mp

POINTS = 6
GENERICS = tuple(STAND_INS)  # tanh, sin, softplus in turn


# -- points ---------------------------------------------------------------------------
def _ties(spec, free) -> tuple[bool, ...]:
    ranges = [spec.index_range[i] for i in free]
    return (False, True) if len(set(ranges)) < len(ranges) else (False,)


def spec_points(spec, free, seed, count=POINTS, relax=frozenset(), deadline=None) -> list[Point]:
    rng = random.Random(seed)
    ties = _ties(spec, free)
    edges = (None, "high", None, "low")  # free indices at both ends of their ranges too
    return [spec_point(spec, free, rng, ties[n % len(ties)], GENERICS[n % len(GENERICS)], relax, deadline,
                       wide=n % 3 == 2, hot=n % 2 == 1, edge=edges[n % len(edges)]) for n in range(count)]


def extra_points(spec, free, seed, relax=frozenset()):
    """`draw(n)`: the n-th point beyond a check's own (from its own seed), for `cover`: wide ones every
    other time, ties, stand-ins and one-hot rows in turn."""
    rng = random.Random(f"{seed}/more")
    ties = _ties(spec, free)

    def draw(n: int) -> Point:
        return spec_point(spec, free, rng, ties[n % len(ties)], GENERICS[n % len(GENERICS)], relax,
                          wide=n % 2 == 0, hot=n % 2 == 1)
    return draw


# -- comparison -----------------------------------------------------------------------
@dataclass
class Comparison:
    equal: bool | None  # None: undecided
    points: int  # points where both sides had a value
    witness: tuple | None = None  # (env, student value, reference value) where they differ
    exact: bool = True


def evaluate(spec, expr, env: Point, strict: bool = True):
    """The value of `expr` at `env`, at the current mpmath precision (`strict`: as a reference, undefined on
    the jumps of its conditions; otherwise as an answer, exact at its thresholds)."""
    return Evaluator(spec, env, strict).value(expr)


JUMP = object()  # the value of a reference at a point that sits on one of its jumps: it decides nothing


def _value(spec, expr, env: Point, dps: int = 40, strict: bool = False):
    """The value at `dps` digits; None where the expression is undefined, JUMP where a reference (`strict`)
    sits on a jump."""
    return _valued(spec, expr, env, dps, strict)[0]


def _valued(spec, expr, env: Point, dps: int = 40, strict: bool = False) -> tuple:
    """The value (as `_value`), the bits of the widest exact value or range of magnitudes made floating
    (`Evaluator.absorbed`) and the bits lost to cancellation (`Evaluator.lost`)."""
    evaluator = Evaluator(spec, env, strict)
    try:
        with mpmath.workdps(dps):
            value = evaluator.value(expr)
    except OnJump:
        value = JUMP
    except Undefined:
        value = None
    return value, evaluator.absorbed, evaluator.lost


MAX_DIGITS = 4000  # the most digits a comparison may take to see a term a sum absorbed (10^-150 next to 1)


def high_digits(bits: int) -> int:
    """The digits that settle a near tie: 120, or more where a sum added terms some `bits` apart in size
    (each kept with 60 digits to spare); more than MAX_DIGITS is out of the work budget."""
    digits = max(120, int(bits * 0.30103) + 61)
    if digits > MAX_DIGITS:
        raise OutOfWork(f"a sum adds terms more than {MAX_DIGITS} digits apart in size")
    return digits


def _exact(value) -> bool:
    return isinstance(value, (int, Fraction))


class Values:
    """An expression's values at points, each computed once per point and precision. A part's reference
    keeps one (`charge=False`): shared by every check of the part, its evaluation is charged to no
    check's budget, so a verdict does not depend on which check came first."""

    def __init__(self, spec, expr, strict: bool = True, charge: bool = True):
        self.spec, self.expr, self.strict, self.charge = spec, expr, strict, charge
        self._kept: dict = {}

    def at(self, env: Point, dps: int = 40):
        return self._at(env, dps)[0]

    def bits(self, env: Point, dps: int = 40) -> int:
        """`Evaluator.absorbed` of the evaluation at `dps` digits."""
        return self._at(env, dps)[1]

    def lost(self, env: Point, dps: int = 40) -> int:
        """`Evaluator.lost` of the evaluation at `dps` digits."""
        return self._at(env, dps)[2]

    def _at(self, env: Point, dps: int) -> tuple:
        key = (id(env), dps)
        if key not in self._kept:
            budget = env.budget
            if not self.charge:
                env.budget = None
            try:
                self._kept[key] = (env, _valued(self.spec, self.expr, env, dps, self.strict))  # env kept: ids stay
            finally:
                env.budget = budget
        return self._kept[key][1]


def _clearly_apart(va, vb, lost: int) -> bool:
    """Do two 40-digit values differ by more than their rounding noise can (10^-25 of their size, more
    where a sum lost digits to cancellation)? Then no higher precision can make them equal."""
    with mpmath.workdps(40):
        x, y = as_mp(va), as_mp(vb)
        size = max(abs(x), abs(y))
        digits = 25 - int(lost * 0.30103)
        return digits > 5 and bool(abs(x - y) > size * mpmath.mpf(10) ** -digits)


def settle(spec, a, b, env: Point, va, vb, strict: bool = True, reference: Values | None = None,
           bits: int = 0, lost: int | None = None) -> bool:
    """Are two defined values equal (of the answer `a` and of `b`, a reference when `strict`; its values
    from `reference` when given)? Exact ones compare exactly; values clearly apart at 40 digits (`lost`:
    the bits the answer's evaluation lost to cancellation, None when unknown) differ; others are evaluated
    again at 120 digits (more where a sum absorbed a term `bits` smaller: `high_digits`): rounding noise
    shrinks by some 80 orders of magnitude, a real difference stays."""
    if _exact(va) and _exact(vb):
        return va == vb
    other = reference or Values(spec, b, strict)
    if lost is not None and _clearly_apart(va, vb, lost + other.lost(env)):
        return False
    high = high_digits(max(bits, other.bits(env)))
    if high > 120:  # the values at 40 digits lost a term: take them again where it shows
        va, vb = _value(spec, a, env, high - 80), other.at(env, high - 80)
        if va is None or vb is None or va is JUMP or vb is JUMP:
            return va is vb
    return two_precisions(lambda dps: (_value(spec, a, env, dps), other.at(env, dps)), va, vb, high)


def two_precisions(value_at, va, vb, high: int = 120) -> bool:
    """The two-precision rule for two floating values va, vb found at 40 digits, `value_at(dps)` giving both
    again at `dps` digits: equal when the difference at `high` digits is some 10^60 smaller than at 40
    (rounding noise shrinks, a real difference stays) or below 10^-100 of the values; a difference that
    shrank by less is valued again further up (cancellation: (1+x)^50 (1-x)^50 - (1-x²)^50)."""
    wa, wb = value_at(high)
    if wa is JUMP or wb is JUMP:
        return True  # closer than 40 digits to a jump: this point cannot tell them apart
    if wa is None or wb is None:
        return False
    with mpmath.workdps(high):  # conversions too: 10^30 as a 15-digit float is not 10^30
        wa, wb = as_mp(wa), as_mp(wb)
        first = abs(as_mp(va) - as_mp(vb))
        second = abs(wa - wb)
        size = max(abs(wa), abs(wb))
        if second == 0:
            return True
        if first != 0:
            if second <= first * mpmath.mpf(10) ** -60 or second <= size * mpmath.mpf(10) ** -100:
                return True
            if second > first * mpmath.mpf(10) ** -20:
                return False  # the difference stays: a real one
            # it shrank, but not by 80 orders: 40 digits lost to cancellation; further up rounding shrinks again
            return _shrinks(value_at, high + 280, second, -200, size * mpmath.mpf(10) ** -(high + 180))
    # exactly equal at 40 digits but not at `high`: does it shrink again further up?
    return _shrinks(value_at, high + 80, second, -60)


def _shrinks(value_at, dps: int, before, orders: int, floor=0) -> bool:
    """Valued again at `dps` digits, is the difference at most `before` × 10^orders (or `floor`)?"""
    ta, tb = value_at(dps)
    if ta is JUMP or tb is JUMP:
        return True  # too close to a jump to tell
    if ta is None or tb is None:
        return False
    with mpmath.workdps(dps):
        now = abs(as_mp(ta) - as_mp(tb))
        return bool(now <= before * mpmath.mpf(10) ** orders or now <= floor)


MIN_POINTS = 3


def compare(spec, a, b, envs: list[Point], strict: bool = True, reference: Values | None = None) -> Comparison:
    """The answer `a` against `b` (the reference when `strict`) at each point; `reference` keeps b's values
    (a part's, computed once).

    A point where both are undefined, or where the reference sits on a jump of
    one of its conditions ([z > 0] at z = 0: it has no value there), is
    skipped; the answer is evaluated exactly at its own thresholds ([0 ≥ 0] = 1)
    and is never a reason to skip a point. One where only one side is undefined
    counts against equality (twice is a difference: once may be a removable
    singularity hit by chance). Fewer than MIN_POINTS usable points decide
    nothing.
    """
    other = reference or Values(spec, b, strict)
    used, exact, one_sided = 0, True, []
    for env in envs:
        (va, bits, lost), vb = _valued(spec, a, env), other.at(env)
        if (va is None and vb is None) or vb is JUMP:
            continue
        if va is None or vb is None:
            one_sided.append((env, va, vb))
            continue
        used += 1
        exact = exact and _exact(va) and _exact(vb)
        if not settle(spec, a, b, env, va, vb, strict, other, bits, lost):
            return Comparison(False, used, (env, va, vb), exact)
    if len(one_sided) >= 2 or (one_sided and used < MIN_POINTS):
        return Comparison(False, used, one_sided[0], exact)
    if used < MIN_POINTS:
        return Comparison(None, used)
    return Comparison(True, used, None, exact)


def show_value(value, digits: int = 15) -> str:
    """A value as a person reads it: exact when short, else `digits` significant digits."""
    if value is None:
        return "undefined"
    if isinstance(value, mpmath.mpc) and value.imag == 0:
        value = value.real
    if isinstance(value, (int, Fraction)):
        value = Fraction(value)
        if _short(value) and value.denominator == 1:
            return str(value)
        with mpmath.workdps(digits + 10):
            approx = mpmath.nstr(mpmath.mpf(value.numerator) / value.denominator, digits)
        return f"{value} ≈ {approx}" if _short(value) else approx
    return mpmath.nstr(value, digits)


def _short(value: Fraction) -> bool:
    return max(value.numerator.bit_length(), value.denominator.bit_length()) <= 50


def _entry_text(value) -> str:
    """An entry of a point: exact when short (as sampled), else as `show_value` shows it."""
    if isinstance(value, (int, Fraction)) and _short(Fraction(value)):
        return str(Fraction(value))
    return show_value(value).split(" ≈ ")[0]


MAX_SHOWN_DIGITS = 200


def digits_apart(a, b) -> int:
    """How many significant digits show two values apart: 15 at least, more for a near miss (more than
    MAX_SHOWN_DIGITS when they are equal at their precision)."""
    if a is None or b is None or a is JUMP or b is JUMP:
        return 15
    with mpmath.workdps(MAX_SHOWN_DIGITS + 20):
        x, y = as_mp(a), as_mp(b)
        difference, size = abs(x - y), max(abs(x), abs(y))
        if difference == 0:
            return MAX_SHOWN_DIGITS + 1
        return max(15, int(mpmath.ceil(mpmath.log10(size / difference))) + 2)


def counterexample(spec, witness, show_name, exprs: tuple = ()) -> dict:
    """Where two expressions differ, as a person reads it: the point (with a spec and `exprs`, the two
    expressions, only the sizes, indices, values and stand-in functions they involve) and both values,
    to as many digits as it takes to tell them apart."""
    env, student, reference = witness
    keep = involved(spec, exprs) if spec is not None and exprs else None
    free = set().union(*(atoms(e) for e in exprs if isinstance(e, sp.Basic))) if keep is not None else None
    point: dict = {}
    for dim, size in env.sizes.items():
        if keep is None or dim in keep:
            point[show_name(dim)] = size
    for index, value in env.indices.items():
        if free is None or index in free:
            name = show_name(index)
            point[f"{name} (index)" if name in point else name] = value  # a size and an index may share a letter
    entries: dict = {}
    for (base, entry), value in env.values.items():
        if keep is None or base in keep:
            entries.setdefault(base, []).append((entry, value))
    names = {base: show_name(base) for base in entries}
    shared = {name for name in names.values() if list(names.values()).count(name) > 1}  # w of w_hid, w_out
    grouped: dict = {}
    for base in sorted(entries, key=str):
        name = str(base) if names[base] in shared else names[base]
        for entry, value in sorted(entries[base], key=lambda e: e[0]):
            if entry:
                grouped.setdefault(name, {})[",".join(map(str, entry))] = _entry_text(value)
            else:
                point[name] = _entry_text(value)
    point.update(grouped)
    if spec is not None:
        for func, stand_in in stand_ins(spec, env.generic).items():
            if func in spec.functions and (keep is None or keep & {func, spec.functions[func].derivative}):
                point[ascii_name(spec.names.get(func), str(func))] = stand_in.name  # φ' follows from φ
    student, reference, digits = _apart(spec, env, student, reference, exprs)
    return {"point": point, "student_value": show_value(student, digits),
            "reference_value": show_value(reference, digits)}


def _apart(spec, env: Point, student, reference, exprs: tuple) -> tuple:
    """The two values and the digits that show them apart; a near miss is evaluated again at 120 and 200
    digits, so that the digits shown are right."""
    digits = digits_apart(student, reference)
    for dps in (120, 200):
        if digits <= 35 or len(exprs) != 2 or (_exact(student) and _exact(reference)):
            break
        again = _value(spec, exprs[0], env, dps), _value(spec, exprs[1], env, dps, strict=True)
        if any(v is None or v is JUMP for v in again):
            break
        student, reference = again
        digits = digits_apart(student, reference)
    return student, reference, min(digits, MAX_SHOWN_DIGITS)
