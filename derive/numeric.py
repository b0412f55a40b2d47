"""Numeric evaluation of index expressions at random concrete points.

The independent witness of the engine: a step with pending derivatives is
evaluated by instantiating the dimensions and indices with small integers,
expanding every sum into its terms, and differentiating the resulting plain
expression with SymPy (or by central finite differences). Nothing here uses
the engine's rules, so agreement between consecutive steps is evidence.
Points respect the problem's assumptions: t on the simplex, one-hot label
rows, probabilities in (0, 1), generic φ replaced by concrete functions.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from fractions import Fraction

import sympy as sp
from sympy.core.function import UndefinedFunction

from .spec import D, Spec

PRECISION = 40
CONCRETE_FUNCTIONS = {
    "tanh": lambda u: sp.tanh(u),
    "sin": lambda u: sp.sin(u),
    "softplus": lambda u: sp.log(1 + sp.exp(u)),
}


@dataclass
class Point:
    sizes: dict
    indices: dict
    values: dict  # (base, index tuple) -> Rational, for primitive bases and scalars
    generic: str = "tanh"  # which concrete function stands for a generic φ
    memo: dict = field(default_factory=dict)


def _rational(rng: random.Random, lo: float, hi: float) -> Fraction:
    return Fraction(rng.uniform(lo, hi)).limit_denominator(1000)


def sample(kind: str, shape: tuple, rng: random.Random, wide: bool = False) -> dict:
    """Entries of a primitive tensor as exact fractions, drawn as its sampler says.

    `simplex` sums to 1, `onehot-rows` has one 1 a row, `unit` lies in (0, 1),
    `positive` above 0, `real` in ±1.5 (±6 when `wide`, positive up to 8).
    Shared by the engine's witness and the checker.
    """
    entries = [()]
    for size in shape:
        entries = [e + (k,) for e in entries for k in range(1, size + 1)]
    if kind == "simplex":
        raw = {e: _rational(rng, 0.05, 1.0) for e in entries}
        total = sum(raw.values())
        return {e: v / total for e, v in raw.items()}
    if kind == "onehot-rows":
        rows, cols = shape
        hot = {r: rng.randint(1, cols) for r in range(1, rows + 1)}
        return {(r, c): Fraction(int(hot[r] == c)) for r, c in entries}
    ranges = {"unit": (0.05, 0.95), "positive": (0.1, 8.0) if wide else (0.1, 2.0), "label": (0.05, 0.95)}
    lo, hi = ranges.get(kind, (-6.0, 6.0) if wide else (-1.5, 1.5))
    return {e: _rational(rng, lo, hi) for e in entries}


def choose_indices(spec: Spec, free, sizes: dict, rng: random.Random, tie: bool) -> dict:
    """Values of the free indices; with `tie`, indices of the same range take the same value (i = j)."""
    indices: dict = {}
    for index in free:
        dim = spec.index_range[index]
        same = [v for i, v in indices.items() if spec.index_range[i] == dim]
        if tie and same:
            indices[index] = same[0]
        else:
            choices = [v for v in range(1, sizes[dim] + 1) if v not in same] or [1]
            indices[index] = rng.choice(choices)
    return indices


def random_point(spec: Spec, free, rng: random.Random, tie: bool, generic: str = "tanh") -> Point:
    """A point; with `tie`, free indices of the same range take the same value (i = j)."""
    dims = sorted(set(spec.index_range.values()), key=str)
    sizes = {dim: rng.randint(2, 3) for dim in dims}
    for shape in spec.shapes.values():
        for dim in shape:
            sizes.setdefault(dim, rng.randint(2, 3))
    indices = choose_indices(spec, free, sizes, rng, tie)
    values = {}
    for base, shape in spec.shapes.items():
        if base in spec.definitions:
            continue
        concrete_shape = tuple(sizes[d] for d in shape)
        for entry, value in sample(spec.samplers.get(base, "real"), concrete_shape, rng).items():
            values[(base, entry)] = sp.Rational(value.numerator, value.denominator)
    return Point(sizes, indices, values, generic)


class Evaluator:
    """Evaluates expressions of one spec at one point."""

    def __init__(self, spec: Spec, point: Point):
        self.spec = spec
        self.point = point
        self._symbols: dict = {}

    # -- instantiation ---------------------------------------------------------
    def concrete(self, expr: sp.Expr) -> sp.Expr:
        """Dimensions and free indices replaced by integers, sums expanded."""
        # Sums first: a bound index may share its letter with a free one.
        expanded = self._expand_sums(expr.xreplace(self.point.sizes))
        return expanded.xreplace(self.point.indices)

    def _expand_sums(self, expr: sp.Expr) -> sp.Expr:
        if isinstance(expr, sp.Sum):
            terms = [expr.function]
            for var, lo, hi in expr.limits:
                terms = [t.xreplace({var: v}) for t in terms for v in range(int(lo), int(hi) + 1)]
            return sp.Add(*[self._expand_sums(t) for t in terms])
        if expr.args and not isinstance(expr, (sp.Indexed, sp.IndexedBase)):
            return expr.func(*[self._expand_sums(a) for a in expr.args])
        return expr

    def _key(self, e):
        if isinstance(e, sp.Indexed):
            return e.base, tuple(int(i) for i in e.indices)
        return e, ()

    def symbol(self, e) -> sp.Symbol:
        key = self._key(e)
        if key not in self._symbols:
            base, idx = key
            self._symbols[key] = sp.Symbol(f"{base}[{','.join(map(str, idx))}]", real=True)
        return self._symbols[key]

    def _functions(self, expr: sp.Expr) -> sp.Expr:
        generic = CONCRETE_FUNCTIONS[self.point.generic]
        u = sp.Dummy("u")
        for func, info in self.spec.functions.items():
            if info.body is None:
                phi = sp.Lambda(u, generic(u))
                expr = expr.replace(func, phi)
                expr = expr.replace(info.derivative, sp.Lambda(u, sp.diff(generic(u), u)))
            elif isinstance(func, UndefinedFunction):
                expr = expr.replace(func, info.body)
        return expr

    def plain(self, expr: sp.Expr, stop=frozenset()) -> sp.Expr:
        """A concrete expression in entry symbols; definitions expanded except `stop`."""

        def visit(e):
            if isinstance(e, D):
                raise ValueError("pending derivative inside a pending derivative")
            if isinstance(e, sp.Indexed) or (isinstance(e, sp.Symbol) and
                                              (e in self.spec.shapes or e in self.spec.definitions)):
                base, idx = self._key(e)
                definition = self.spec.definitions.get(base)
                if definition is not None and base not in stop:
                    body = definition.body.xreplace(dict(zip(definition.params, map(sp.Integer, idx))))
                    return visit(self.concrete(body))
                return self.symbol(e)
            if e.args:
                return e.func(*[visit(a) for a in e.args])
            return e

        return self._functions(visit(self.concrete(expr)))

    # -- values ------------------------------------------------------------------
    def entry_value(self, symbol_key):
        memo = self.point.memo
        if symbol_key not in memo:
            base, idx = symbol_key
            if base in self.spec.definitions:
                definition = self.spec.definitions[base]
                body = definition.body.xreplace(dict(zip(definition.params, map(sp.Integer, idx))))
                memo[symbol_key] = self.number(self.plain(body))
            else:
                memo[symbol_key] = self.point.values[symbol_key]
        return memo[symbol_key]

    def number(self, plain: sp.Expr) -> sp.Expr:
        keys = {sym: key for key, sym in self._symbols.items()}
        subs = {s: self.entry_value(keys[s]) for s in plain.free_symbols if s in keys}
        return sp.N(plain.xreplace(subs), PRECISION)

    def value(self, expr: sp.Expr, mode: str = "symbolic") -> sp.Expr:
        """The value of `expr`; pending derivatives by SymPy diff or finite differences."""
        concrete = self.concrete(expr)
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


def close(a, b, rel: float = 1e-12) -> bool:
    a, b = complex(a), complex(b)
    return abs(a - b) <= rel * max(1.0, abs(a), abs(b))
