"""The independent witness of the engine: values of index expressions, derivatives by SymPy or by
finite differences, at random concrete points.

A step with pending derivatives is evaluated by instantiating the dimensions
and indices with small integers, expanding every sum into its terms,
substituting the definitions, and differentiating the resulting plain
expression with SymPy's `diff` (or by central finite differences). Nothing
here uses the engine's rules or the checker's evaluator, so agreement between
consecutive steps is evidence. Points come from `derive.problem.sampling`:
they respect the problem's assumptions (t on the simplex, one-hot label rows,
probabilities in (0, 1)), and a generic φ is replaced by a concrete function.

The tests and `derive validate` use it; the checker does not.
"""
from __future__ import annotations

import random
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

import sympy as sp
from sympy.core.relational import Relational

from ..problem.concrete import Concretizer
from ..problem.conditions import Coverage, conditions
from ..problem.sampling import STAND_INS, Point, spec_point
from ..problem.spec import D, Iverson, Spec

PRECISION = 40  # digits of a value
WORKING = 60  # digits of the entries it is computed from
WITNESS_SIZES = (2, 3)  # dimensions at the witness's points: expanded sums stay small


def witness_points(spec: Spec, free: Sequence[sp.Symbol], seed: str, count: int = 4,
                   generics: Sequence[str] = tuple(STAND_INS)) -> list[Point]:
    """`count` points (fixed seed): free indices tied (i = j) and distinct in turn, φ as each stand-in;
    then, where the definitions have conditions (a ReLU's kink, a hinge's margin), as many more as it
    takes to show each side of each (`checking.cover`; `witness_coverage` says what was shown)."""
    return _covered(spec, tuple(free), seed, count, tuple(generics))[0]


def covered_points(spec: Spec, free: Sequence[sp.Symbol], seed: str, count: int = 4,
                   generics: Sequence[str] = tuple(STAND_INS)) -> tuple[list[Point], Coverage]:
    """The points of `witness_points` and what they showed of the definitions' conditions."""
    return _covered(spec, tuple(free), seed, count, tuple(generics))


def witness_coverage(spec: Spec, free: Sequence[sp.Symbol], seed: str, count: int = 4,
                     generics: Sequence[str] = tuple(STAND_INS)) -> Coverage:
    """What the points of `witness_points` showed of the definitions' conditions (`problem.conditions`)."""
    return _covered(spec, tuple(free), seed, count, tuple(generics))[1]


EXTRA_POINTS = 30  # witness points drawn beyond `count`, at most, to show the conditions' other sides


def _covered(spec: Spec, free: tuple, seed: str, count: int, generics: tuple) -> tuple[list[Point], Coverage]:
    rng = random.Random(seed)
    points = [spec_point(spec, free, rng, tie=(k % 2 == 0), generic=generics[k % len(generics)],
                         sizes=WITNESS_SIZES) for k in range(count)]
    nodes = _condition_nodes(spec)
    coverage = Coverage({node: sides for _, node, sides in nodes})
    if not nodes:
        return points, coverage
    for point in points:
        coverage.add(_sides(spec, point, nodes))
    for n in range(EXTRA_POINTS):
        if not coverage.missing():
            break
        point = spec_point(spec, free, rng, tie=n % 2 == 0, generic=generics[n % len(generics)],
                           sizes=WITNESS_SIZES, wide=n % 2 == 1)
        if coverage.add(_sides(spec, point, nodes)):
            points.append(point)
    return points, coverage


def _condition_nodes(spec: Spec) -> list[tuple]:
    """(definition, node, its sides) for each condition of each definition, with the bodies of defined
    functions written out (relu(Z2_nj) is max(0, Z2_nj))."""
    out: list[tuple] = []
    for definition in spec.definitions.values():
        body = definition.body.replace(
            lambda e: isinstance(e, sp.Function) and getattr(spec.functions.get(e.func), "body", None) is not None,
            lambda e: spec.functions[e.func].body(*e.args))
        out.extend((definition, node, sides) for node, sides in conditions(body).items())
    return out


def _sides(spec: Spec, point: Point, nodes: list[tuple]) -> dict:
    """The sides each condition takes at `point`, entry by entry of its definition, by the witness's
    own values (SymPy's, not the checker's)."""
    witness = Witness(spec, point)
    seen: dict = {}
    for _, node, _ in nodes:  # every value of its indices: the definition's own and those of its sums
        letters = sorted((s for s in node.free_symbols if s in spec.index_range), key=str)
        entries: list[tuple] = [()]
        for letter in letters:
            size = point.sizes.get(spec.index_range[letter], 0)
            entries = [e + (k,) for e in entries for k in range(1, size + 1)]
        for entry in entries:
            at = node.xreplace(dict(zip(letters, map(sp.Integer, entry))))
            try:
                side = _side_of(witness, at)
            except (ValueError, TypeError, ZeroDivisionError):
                continue
            if side is not None:
                seen.setdefault(node, set()).add(side)
    return seen


def _side_of(witness: Witness, node) -> int | None:
    """The side a condition node takes (as `problem.conditions` counts them); None on its threshold."""
    def sign(expr) -> int:
        value = complex(witness.value(expr))
        return 0 if abs(value.real) < 1e-30 else (1 if value.real > 0 else -1)

    if isinstance(node, (sp.Max, sp.Min)):
        values = [complex(witness.value(a)).real for a in node.args]
        best = max(values) if isinstance(node, sp.Max) else min(values)
        winners = [k for k, v in enumerate(values) if abs(v - best) <= 1e-30 * max(1.0, abs(best))]
        return winners[0] if len(winners) == 1 else None
    if isinstance(node, sp.Piecewise):
        for number, (_, condition) in enumerate(node.args):
            holds = condition if condition in (sp.true, sp.false) else \
                sp.sympify(condition.func(sign(condition.lhs - condition.rhs), 0))
            if holds is sp.true:
                return number
        return None
    relation = node.condition if isinstance(node, Iverson) else node
    if isinstance(relation, Relational):
        return sign(relation.lhs - relation.rhs) or None
    return sign(node.args[0]) or None


def _sympy_number(value) -> sp.Expr:
    """An entry's exact value as a float of WORKING digits: SymPy then evaluates as it substitutes,
    instead of growing exact rationals and unevaluated exponentials through a page of terms."""
    if isinstance(value, Fraction):
        return sp.Float(sp.Rational(value.numerator, value.denominator), WORKING)
    return sp.Float(value, WORKING)


class Witness:
    """Evaluates expressions of one spec at one point, derivatives included."""

    def __init__(self, spec: Spec, point: Point):
        self.spec = spec
        self.point = point
        self.concretizer = Concretizer(spec)  # no value: ValueError
        self._symbols: dict = {}
        self._memo: dict = {}  # plain forms by the bases held fixed

    # -- instantiation ---------------------------------------------------------
    def concrete(self, expr: sp.Expr) -> sp.Expr:
        """Dimensions and free indices replaced by integers, sums expanded."""
        return self.concretizer.expand(expr, self.point)

    def _key(self, e):
        if isinstance(e, sp.Indexed):
            return e.base, tuple(int(i) for i in e.indices)
        return e, ()

    def symbol(self, e) -> sp.Symbol:
        """The plain symbol that stands for one entry (x[2] for x_2)."""
        key = self._key(e)
        if key not in self._symbols:
            base, idx = key
            self._symbols[key] = sp.Symbol(f"{base}[{','.join(map(str, idx))}]", real=True)
        return self._symbols[key]

    def _function(self, func, args: list) -> sp.Expr | None:
        return self.concretizer.function(func, args, self.point)

    def plain(self, expr: sp.Expr, stop=frozenset()) -> sp.Expr:
        """A concrete expression in entry symbols: definitions expanded except `stop`, generic functions
        replaced by the point's stand-in, defined ones by their bodies."""
        return self.concretizer.plain(sp.sympify(expr), self.point, frozenset(stop), self.symbol,
                                      self._memo.setdefault(frozenset(stop), {}))

    def functions(self, expr: sp.Expr) -> sp.Expr:
        """`expr` (already concrete) with generic and defined functions replaced as in `plain`."""
        return expr.replace(lambda e: isinstance(e, sp.Function) and self._function(e.func, list(e.args))
                            is not None, lambda e: self._function(e.func, list(e.args)))

    # -- values ------------------------------------------------------------------
    def entry_value(self, symbol_key) -> sp.Expr:
        memo = self.point.memo
        key = ("witness", *symbol_key)
        if key not in memo:
            base, idx = symbol_key
            if base in self.spec.definitions:
                definition = self.spec.definitions[base]
                body = definition.body.xreplace(dict(zip(definition.params, map(sp.Integer, idx))))
                memo[key] = self.number(self.plain(body))
            elif symbol_key in self.point.values:
                memo[key] = _sympy_number(self.point.values[symbol_key])
            else:
                raise ValueError(f"{base}{list(idx)} is out of range: the expression has no value here")
        return memo[key]

    def number(self, plain: sp.Expr) -> sp.Expr:
        keys = {sym: key for key, sym in self._symbols.items()}
        subs = {s: self.entry_value(keys[s]) for s in plain.free_symbols if s in keys}
        return sp.N(plain.xreplace(subs), PRECISION)

    def value(self, expr: sp.Expr, mode: str = "symbolic") -> sp.Expr:
        """The value of `expr`; pending derivatives by SymPy diff (`symbolic`) or finite differences (`fd`)."""
        concrete = self.concrete(sp.sympify(expr))
        replaced = concrete.xreplace({node: self.derivative(node, mode) for node in concrete.atoms(D)})
        return self.number(self.plain(replaced))

    def derivative(self, node: D, mode: str) -> sp.Expr:
        v = node.wrt
        stop = {v.base if isinstance(v, sp.Indexed) else v, *node.fixed}
        f = self.plain(node.expr, stop=frozenset(stop))
        var = self.symbol(v)
        if mode == "symbolic":
            return self.number(sp.diff(f, var))
        h = sp.Rational(1, 10**15)
        at = self.entry_value(self._key(v))
        plus = self.number(f.xreplace({var: at + h}))
        minus = self.number(f.xreplace({var: at - h}))
        return sp.N((plus - minus) / (2 * h), PRECISION)


def close(a: Any, b: Any, rel: float = 1e-12) -> bool:
    """Equal within a relative tolerance (the witness's values are 40-digit floats of exact inputs)."""
    a, b = complex(a), complex(b)
    return abs(a - b) <= rel * max(1.0, abs(a), abs(b))
