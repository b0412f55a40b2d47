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

from ..problem.concrete import Concretizer
from ..problem.sampling import STAND_INS, Point, spec_point
from ..problem.spec import D, Spec

PRECISION = 40  # digits of a value
WORKING = 60  # digits of the entries it is computed from
WITNESS_SIZES = (2, 3)  # dimensions at the witness's points: expanded sums stay small


def witness_points(spec: Spec, free: Sequence[sp.Symbol], seed: str, count: int = 4,
                   generics: Sequence[str] = tuple(STAND_INS)) -> list[Point]:
    """`count` points (fixed seed): free indices tied (i = j) and distinct in turn, φ as each stand-in."""
    rng = random.Random(seed)
    return [spec_point(spec, free, rng, tie=(k % 2 == 0), generic=generics[k % len(generics)],
                       sizes=WITNESS_SIZES) for k in range(count)]


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
