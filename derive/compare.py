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

from .evaluate import Env, Evaluator, Undefined, difference

POINTS = 6
GENERICS = ("tanh", "sin", "softplus")


# -- points ---------------------------------------------------------------------------
def _fraction(value) -> Fraction:
    return Fraction(int(value.p), int(value.q))


def _rational(rng: random.Random, lo: float, hi: float) -> Fraction:
    return Fraction(rng.uniform(lo, hi)).limit_denominator(997)


def _sample(kind: str, shape: tuple, rng: random.Random) -> dict:
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
        return {(r, c): int(hot[r] == c) for r, c in entries}
    lo, hi = {"unit": (0.05, 0.95), "positive": (0.1, 2.0), "label": (0.05, 0.95)}.get(kind, (-1.5, 1.5))
    return {e: _rational(rng, lo, hi) for e in entries}


def spec_point(spec, free, rng: random.Random, tie: bool, generic: str, relax=frozenset(), deadline=None) -> Env:
    """A point of a problem: sizes 2–4, free indices (tied when `tie`), primitive entries.

    Bases in `relax` are sampled without their assumption (real or unit values
    instead of the simplex or one-hot rows).
    """
    sizes = {}
    for dim in sorted({*spec.index_range.values(), *(d for s in spec.shapes.values() for d in s)}, key=str):
        sizes[dim] = rng.randint(2, 4)
    indices: dict = {}
    for index in free:
        dim = spec.index_range[index]
        same = [v for i, v in indices.items() if spec.index_range[i] == dim]
        if tie and same:
            indices[index] = same[0]
        else:
            choices = [v for v in range(1, sizes[dim] + 1) if v not in same] or [1]
            indices[index] = rng.choice(choices)
    values = {}
    for base, shape in spec.shapes.items():
        if base in spec.definitions:
            continue
        kind = spec.samplers.get(base, "real")
        if base in relax:
            kind = "unit" if kind in ("simplex", "onehot-rows") else "real"
        for entry, value in _sample(kind, tuple(sizes[d] for d in shape), rng).items():
            values[(base, entry)] = value
    return Env(sizes, indices, values, generic, deadline)


def _ties(spec, free) -> tuple[bool, ...]:
    ranges = [spec.index_range[i] for i in free]
    return (False, True) if len(set(ranges)) < len(ranges) else (False,)


def spec_points(spec, free, seed, count=POINTS, relax=frozenset(), deadline=None) -> list[Env]:
    rng = random.Random(seed)
    ties = _ties(spec, free)
    return [spec_point(spec, free, rng, ties[n % len(ties)], GENERICS[n % len(GENERICS)], relax, deadline)
            for n in range(count)]


# -- comparison -----------------------------------------------------------------------
@dataclass
class Comparison:
    equal: bool | None  # None: undecided
    points: int  # points where both sides had a value
    witness: tuple | None = None  # (env, student value, reference value) where they differ
    exact: bool = True


def evaluate(spec, expr, env: Env):
    """(value, scale) of `expr` at `env`, at the current mpmath precision."""
    evaluator = Evaluator(spec, env)
    return evaluator.value(expr), evaluator.scale


def compare(spec, a, b, envs: list[Env]) -> Comparison:
    """`a` against `b` at each point; a near tie is evaluated again at 120 digits."""
    used, exact = 0, True
    for env in envs:
        try:
            with mpmath.workdps(40):
                va, sa = evaluate(spec, a, env)
                vb, sb = evaluate(spec, b, env)
                equal, _ = difference(va, vb, max(sa, sb))
            if equal is None:  # a near tie: noise at 40 digits shrinks at 120, a real difference stays
                with mpmath.workdps(120):
                    va, sa = evaluate(spec, a, env)
                    vb, sb = evaluate(spec, b, env)
                    equal, _ = difference(va, vb, max(sa, sb), different_above=1e-30)
        except Undefined:
            continue
        used += 1
        exact = exact and isinstance(va, (int, Fraction)) and isinstance(vb, (int, Fraction))
        if equal is None:
            return Comparison(None, used, (env, va, vb), exact)
        if not equal:
            return Comparison(False, used, (env, va, vb), exact)
    if used == 0:
        return Comparison(None, 0)
    return Comparison(True, used, None, exact)


def show_value(value) -> str:
    """A value as a person reads it: exact when short, else 15 significant digits."""
    if isinstance(value, (int, Fraction)):
        value = Fraction(value)
        approx = mpmath.nstr(mpmath.mpf(value.numerator) / value.denominator, 15)
        if max(value.numerator.bit_length(), value.denominator.bit_length()) > 50:
            return approx
        return str(value) if value.denominator == 1 else f"{value} ≈ {approx}"
    return mpmath.nstr(value, 15)


def counterexample(spec, witness, show_name) -> dict:
    env, student, reference = witness
    point: dict = {}
    for dim, size in env.sizes.items():
        point[show_name(dim)] = size
    for index, value in env.indices.items():
        point[show_name(index)] = value
    grouped: dict = {}
    for (base, entry), value in sorted(env.values.items(), key=lambda kv: (str(kv[0][0]), kv[0][1])):
        name = show_name(base)
        text = show_value(value).split(" ≈ ")[0]
        if entry:
            grouped.setdefault(name, {})[",".join(map(str, entry))] = text
        else:
            point[name] = text
    point.update(grouped)
    if spec is not None and any(info.body is None for info in spec.functions.values()):
        point["phi"] = env.generic
    return {"point": point, "student_value": show_value(student), "reference_value": show_value(reference)}
