"""Random points of a problem that respect its assumptions, for every numeric judgement.

A point gives each dimension a small size, each free index a value (tied
indices of one range share it: i = j), each primitive entry an exact
fraction drawn as its tensor's `sample=` kind says (t on the simplex,
one-hot label rows, probabilities in (0, 1)), and names the concrete
function that stands for a generic φ. The checker's evaluator and the
derivation witness both read points made here, so they agree on what a
problem's assumptions allow.
"""
from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import mpmath
import sympy as sp

#: what `sample=` may say: how the entries of a primitive tensor or scalar are drawn
SAMPLE_KINDS = {
    "real": "entries in ±1.5 (±6 at wide points)",
    "positive": "entries in (0.1, 2), up to 8 at wide points",
    "unit": "entries in (0, 1): probabilities",
    "label": "entries in (0, 1): soft labels",
    "simplex": "a vector of positive entries summing to 1",
    "onehot": "a vector with one 1, zeros elsewhere (a class label)",
    "onehot-rows": "a matrix with one 1 a row, zeros elsewhere",
}
#: kinds whose entries are labels or targets (printed last in a difference: x_i − t_i)
LABEL_KINDS = frozenset({"simplex", "onehot", "onehot-rows", "unit", "label"})
#: kinds that hold only under their assumption, and what is drawn instead when it is relaxed
RELAXED = {"simplex": "unit", "onehot": "unit", "onehot-rows": "unit"}


@dataclass(frozen=True)
class StandIn:
    """A concrete smooth function that stands for a generic φ at a point, with its derivative."""

    name: str
    expr: Callable[[sp.Expr], sp.Expr]  # as SymPy
    value: Callable[[Any], Any]  # as mpmath
    derivative: Callable[[Any], Any]  # as mpmath


STAND_INS: dict[str, StandIn] = {
    "tanh": StandIn("tanh", sp.tanh, mpmath.tanh, lambda u: 1 - mpmath.tanh(u) ** 2),
    "sin": StandIn("sin", sp.sin, mpmath.sin, mpmath.cos),
    "softplus": StandIn("softplus", lambda u: sp.log(1 + sp.exp(u)), lambda u: mpmath.log(1 + mpmath.exp(u)),
                        lambda u: 1 / (1 + mpmath.exp(-u))),
    "atan": StandIn("atan", sp.atan, mpmath.atan, lambda u: 1 / (1 + u ** 2)),
    "erf": StandIn("erf", sp.erf, mpmath.erf, lambda u: 2 / mpmath.sqrt(mpmath.pi) * mpmath.exp(-u ** 2)),
}


def generic_functions(spec) -> list:
    """The spec's generic functions (declared without a body), in declaration order."""
    return [func for func, info in spec.functions.items() if info.body is None]


def stand_ins(spec, first: str) -> dict:
    """The stand-in of each generic function at a point whose first generic function is `first`.

    Each generic function gets its own (the next ones in STAND_INS, cyclically): a
    wrong answer that swaps φ and ψ must not look right because both became tanh.
    """
    names = list(STAND_INS)
    start = names.index(first)
    out = {}
    for k, func in enumerate(generic_functions(spec)):
        stand_in = STAND_INS[names[(start + k) % len(names)]]
        out[func] = stand_in
        out[spec.functions[func].derivative] = stand_in
    return out


@dataclass
class Point:
    """A concrete point: sizes of dimensions, values of free indices and of primitive entries."""

    sizes: dict = field(default_factory=dict)  # dim Symbol -> int
    indices: dict = field(default_factory=dict)  # index Symbol -> int
    values: dict = field(default_factory=dict)  # (base or Symbol, index tuple) -> Fraction
    generic: str = "tanh"  # the name in STAND_INS of the function that stands for a generic φ
    deadline: float | None = None  # time.monotonic() after which an evaluation gives up (without a budget)
    memo: dict = field(default_factory=dict)  # values of defined entries, shared by every expression here
    budget: Any = None  # the `derive.limits.Budget` of the judgement that evaluates here
    seen: dict | None = None  # while recording: conditional node -> the sides it took here (checking.cover)


def _rational(rng: random.Random, lo: float, hi: float) -> Fraction:
    return Fraction(rng.uniform(lo, hi)).limit_denominator(1000)


def sample(kind: str, shape: tuple, rng: random.Random, wide: bool = False) -> dict:
    """Entries of a primitive tensor as exact fractions, drawn as its sampler `kind` says (SAMPLE_KINDS)."""
    entries: list[tuple] = [()]
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
    if kind == "onehot":
        (size,) = shape
        one = rng.randint(1, size)
        return {(k,): Fraction(int(k == one)) for (k,) in entries}
    ranges = {"unit": (0.05, 0.95), "positive": (0.1, 8.0) if wide else (0.1, 2.0), "label": (0.05, 0.95)}
    lo, hi = ranges.get(kind, (-6.0, 6.0) if wide else (-1.5, 1.5))
    return {e: _rational(rng, lo, hi) for e in entries}


def choose_indices(spec, free, sizes: dict, rng: random.Random, tie: bool, edge: str | None = None) -> dict:
    """Values of the free indices; with `tie`, indices of the same range take the same value (i = j);
    `edge` "low" or "high" takes the first or last value of each range (where index arithmetic runs out
    of range: g_{j+1} at j = N), otherwise a random one."""
    indices: dict = {}
    for index in free:
        dim = spec.index_range[index]
        same = [v for i, v in indices.items() if spec.index_range[i] == dim]
        if tie and same:
            indices[index] = same[0]
        else:
            choices = [v for v in range(1, sizes[dim] + 1) if v not in same] or [1]
            indices[index] = choices[0] if edge == "low" else choices[-1] if edge == "high" else rng.choice(choices)
    return indices


def spec_point(spec, free, rng: random.Random, tie: bool, generic: str = "tanh", relax=frozenset(),
               deadline: float | None = None, wide: bool = False, hot: bool = False,
               sizes: tuple[int, int] = (2, 4), edge: str | None = None) -> Point:
    """A point of a problem: dimensions of `sizes` (lowest, highest), free indices (tied when `tie`),
    primitive entries as sampled (wide ones with `wide`, so a piecewise answer meets its other pieces;
    with `hot`, one-hot rows have their 1 at the free indices).

    Bases in `relax` are sampled without their assumption (real or unit values
    instead of the simplex or one-hot rows).
    """
    size = _sizes(spec, rng, sizes)
    indices = choose_indices(spec, free, size, rng, tie, edge)
    values = {}
    for base, shape in spec.shapes.items():
        if base in spec.definitions:
            continue
        kind = spec.samplers.get(base, "real")
        if base in relax:
            kind = RELAXED.get(kind, "real")
        for entry, value in sample(kind, tuple(size[d] for d in shape), rng, wide).items():
            values[(base, entry)] = value
        if kind in ("onehot", "onehot-rows") and hot:
            _hot_at_free_indices(spec, shape, base, indices, size, values)
    return Point(size, indices, values, generic, deadline)


def _sizes(spec, rng: random.Random, sizes: tuple[int, int]) -> dict:
    """A size for every dimension; one defined by others (M = N − K + 1) is computed, and drawn
    again until every such dimension is at least 1."""
    values = getattr(spec, "dim_values", {})
    dims = {*spec.index_range.values(), *(d for s in spec.shapes.values() for d in s)}
    dims |= {d for v in values.values() for d in v.free_symbols}
    free = sorted((d for d in dims if d not in values), key=str)
    for _ in range(100):
        size = {dim: rng.randint(*sizes) for dim in free}
        for _ in range(len(values)):  # a value may name a dimension defined after it
            for dim, value in values.items():
                known = value.xreplace(size)
                if known.is_Integer:
                    size[dim] = int(known)
        if any(dim not in size for dim in values):
            raise ValueError("the dimension values refer to each other in a circle")
        if all(size[d] >= 1 for d in values):
            return size
        sizes = (sizes[0], sizes[1] + 1)  # room for the defined ones
    raise ValueError(f"no sizes make {', '.join(f'{d} = {v}' for d, v in values.items())} positive")


def _hot_at_free_indices(spec, shape, base, indices, sizes, values) -> None:
    """Put a one-hot row's 1 at the free indices (Δ_nk = 1), which a random row hits only 1 time in K."""
    if len(shape) == 1:  # a one-hot vector: its 1 at the free index of its range
        at = [v for i, v in indices.items() if spec.index_range[i] == shape[0]]
        if len(at) == 1:
            for k in range(1, sizes[shape[0]] + 1):
                values[(base, (k,))] = Fraction(int(k == at[0]))
        return
    row_dim, col_dim = shape
    rows = [v for i, v in indices.items() if spec.index_range[i] == row_dim]
    cols = [v for i, v in indices.items() if spec.index_range[i] == col_dim]
    if len(rows) == 1 and len(cols) == 1:
        for col in range(1, sizes[col_dim] + 1):
            values[(base, (rows[0], col))] = Fraction(int(col == cols[0]))
