"""Index-notation algebra: Kronecker collapse, linearity of sums, merging sums.

SymPy's `simplify` misjudges Sum/KroneckerDelta expressions, so these small,
exact rewrites do the work a person does with index notation. Each function
returns an expression equal to its input for every value of the free indices
within their ranges.
"""
from __future__ import annotations

import sympy as sp
from sympy.core.traversal import bottom_up


def _delta_partner(factor: sp.Expr, var: sp.Symbol):
    """The index a Kronecker delta pairs `var` with, if `factor` is such a delta."""
    if isinstance(factor, sp.KroneckerDelta) and var in factor.args:
        a, b = factor.args
        other = b if a == var else a
        if var not in other.free_symbols:
            return other
    return None


def _has_delta_on(expr: sp.Expr, var: sp.Symbol) -> bool:
    return any(_delta_partner(d, var) is not None for d in expr.atoms(sp.KroneckerDelta))


def _distribute_deltas(term: sp.Expr, var: sp.Symbol) -> list[sp.Expr]:
    """Split a product into terms so that every delta on `var` is a direct factor."""
    factors = sp.Mul.make_args(term)
    if any(_delta_partner(f, var) is not None for f in factors):
        return [term]
    for k, factor in enumerate(factors):
        if factor.is_Add and _has_delta_on(factor, var):
            rest = sp.Mul(*factors[:k], *factors[k + 1:])
            out = []
            for addend in factor.args:
                out.extend(_distribute_deltas(rest * addend, var))
            return out
    return [term]


def _pull_single(body: sp.Expr, limit) -> sp.Expr:
    var, lo, hi = limit
    factors = sp.Mul.make_args(body)
    constant = [f for f in factors if var not in f.free_symbols]
    if not constant:
        return sp.Sum(body, limit)
    dependent = [f for f in factors if var in f.free_symbols]
    if not dependent:
        return sp.Mul(*constant) * (hi - lo + 1)
    return sp.Mul(*constant) * sp.Sum(sp.Mul(*dependent), limit)


def pull_out(s: sp.Sum) -> sp.Expr:
    """Σ_k c f_k = c Σ_k f_k for factors c independent of k (innermost limit first)."""
    out = s.function
    for limit in s.limits:
        out = _pull_single(out, limit)
    return out


def _collapse_one(s: sp.Sum) -> sp.Expr:
    variables = [var for var, _, _ in s.limits]
    if not any(_has_delta_on(s.function, var) for var in variables):
        return s
    out = []
    for term in sp.Add.make_args(s.function):
        pieces = [term]
        for var in variables:
            pieces = [q for piece in pieces for q in _distribute_deltas(piece, var)]
        for piece in pieces:
            limits = list(s.limits)
            for var in variables:
                factors = list(sp.Mul.make_args(piece))
                index = next((k for k, f in enumerate(factors) if _delta_partner(f, var) is not None), None)
                if index is None:
                    continue
                partner = _delta_partner(factors[index], var)
                piece = sp.Mul(*factors[:index], *factors[index + 1:]).xreplace({var: partner})
                limits = [lim for lim in limits if lim[0] != var]
            out.append(pull_out(sp.Sum(piece, *limits)) if limits else piece)
    return sp.Add(*out)


def collapse_kronecker(expr: sp.Expr) -> sp.Expr:
    """Σ_k δ_jk f_k = f_j, splitting sums and products where a delta needs it."""
    return bottom_up(expr, lambda e: _collapse_one(e) if isinstance(e, sp.Sum) else e)


def pull_constants(expr: sp.Expr) -> sp.Expr:
    """Move every factor independent of a sum's index out of that sum."""
    return bottom_up(expr, lambda e: pull_out(e) if isinstance(e, sp.Sum) else e)


def _sum_parts(term: sp.Expr):
    """term = c · Σ_k f with c independent of k, or None."""
    factors = sp.Mul.make_args(term)
    sums = [f for f in factors if isinstance(f, sp.Sum) and len(f.limits) == 1]
    if len(sums) != 1:
        return None
    s = sums[0]
    rest = sp.Mul(*[f for f in factors if f is not s])
    return rest, s


def merge_sums(expr: sp.Expr) -> sp.Expr:
    """c₁ Σ_k f_k + c₂ Σ_m g_m = Σ_k (c₁ f_k + c₂ g_k) over the same range."""

    def merge(e):
        if not e.is_Add:
            return e
        groups: dict = {}
        others = []
        for term in e.args:
            parts = _sum_parts(term)
            if parts is None:
                others.append(term)
                continue
            rest, s = parts
            (var, lo, hi), = s.limits
            groups.setdefault((lo, hi), []).append((rest, s))
        if all(len(g) < 2 for g in groups.values()):
            return e
        terms = list(others)
        for (lo, hi), members in groups.items():
            if len(members) < 2:
                terms.extend(rest * s for rest, s in members)
                continue
            var = members[0][1].limits[0][0]
            if any(var in rest.free_symbols for rest, _ in members):
                terms.extend(rest * s for rest, s in members)
                continue
            body = sp.Add(*[rest * s.function.xreplace({s.limits[0][0]: var}) for rest, s in members])
            terms.append(sp.Sum(sp.factor_terms(body), (var, lo, hi)))
        return sp.Add(*terms)

    return bottom_up(expr, merge)


def map_sum_bodies(expr: sp.Expr, fn) -> sp.Expr:
    """Apply `fn` to every sum body (innermost first) and to the whole expression."""

    def visit(e):
        if isinstance(e, sp.Sum):
            return sp.Sum(fn(e.function), *e.limits)
        return e

    return fn(bottom_up(expr, visit))
