"""Index-notation algebra: Kronecker collapse, linearity of sums, merging sums.

SymPy's `simplify` misjudges Sum/KroneckerDelta expressions, so these small,
exact rewrites do the work a person does with index notation. Each function
returns an expression equal to its input for every value of the free indices
within their ranges.
"""
from __future__ import annotations

import sympy as sp
from sympy.core.traversal import bottom_up

from ..problem.spec import D, Iverson

Ranges = dict  # index Symbol -> (lowest, highest) value, for the free indices and the enclosing sums


def delta_solution(factor: sp.Expr, var: sp.Symbol) -> sp.Expr | None:
    """The value of `var` that a Kronecker delta pins: δ(a, b) with a − b = ±var + rest (rest free of var).

    δ_jk gives k = j; a shifted δ(i + k − 1, j) gives i = j − k + 1.
    """
    if not isinstance(factor, sp.KroneckerDelta):
        return None
    a, b = factor.args
    difference = sp.expand(a - b)
    if var not in difference.free_symbols:
        return None
    coefficient = difference.coeff(var)
    rest = sp.expand(difference - coefficient * var)
    if coefficient not in (1, -1) or var in rest.free_symbols:
        return None
    return -rest / coefficient


def _has_delta_on(expr: sp.Expr, var: sp.Symbol) -> bool:
    return any(delta_solution(d, var) is not None for d in expr.atoms(sp.KroneckerDelta))


def _distribute_deltas(term: sp.Expr, var: sp.Symbol) -> list[sp.Expr]:
    """Split a product into terms so that every delta on `var` is a direct factor."""
    factors = sp.Mul.make_args(term)
    if any(delta_solution(f, var) is not None for f in factors):
        return [term]
    for k, factor in enumerate(factors):
        if factor.is_Add and _has_delta_on(factor, var):
            rest = sp.Mul(*factors[:k], *factors[k + 1:])
            out = []
            for addend in factor.args:
                out.extend(_distribute_deltas(rest * addend, var))
            return out
    return [term]


# -- what the index ranges prove ---------------------------------------------------------------------
def interval(expr: sp.Expr, ranges: Ranges) -> tuple[sp.Expr, sp.Expr] | None:
    """The lowest and highest value of an affine expression in indices of known ranges, or None."""
    lo = hi = sp.S.Zero
    for term in sp.Add.make_args(sp.expand(expr)):
        coefficient, rest = term.as_coeff_Mul()
        if rest in ranges:
            a, b = ranges[rest]
            lo, hi = (lo + coefficient * a, hi + coefficient * b) if coefficient > 0 else \
                (lo + coefficient * b, hi + coefficient * a)
        elif not any(s in ranges for s in term.free_symbols):
            lo, hi = lo + term, hi + term  # a constant or a dimension
        else:
            return None
    return lo, hi


def provably_at_most(smaller: sp.Expr, larger: sp.Expr, dims: dict) -> bool:
    """Is `smaller` ≤ `larger` for every size of the dimensions (dimensions defined by others substituted)?"""
    difference = sp.expand((larger - smaller).xreplace(dims))
    return difference.is_nonnegative is True


def in_range(value: sp.Expr, lo: sp.Expr, hi: sp.Expr, ranges: Ranges, dims: dict) -> sp.Expr:
    """1 where lo ≤ value ≤ hi is provable from the ranges, else the indicator [lo ≤ value ≤ hi] of what is not."""
    bound = interval(value, ranges)
    conditions = []
    if bound is None or not provably_at_most(lo, bound[0], dims):
        conditions.append(sp.Le(lo, value))
    if bound is None or not provably_at_most(bound[1], hi, dims):
        conditions.append(sp.Le(value, hi))
    return Iverson(sp.And(*conditions)) if conditions else sp.S.One


def _pull_single(body: sp.Expr, limit) -> sp.Expr:
    var, lo, hi = limit
    factors = sp.Mul.make_args(body)
    constant = [f for f in factors if var not in f.free_symbols]
    if not constant:
        return sp.Sum(body, limit)
    dependent = [f for f in factors if var in f.free_symbols]
    if not dependent:
        count = hi - lo + 1
        return sp.Mul(*constant) * (count if count.is_nonnegative else sp.Max(0, count))
    return sp.Mul(*constant) * sp.Sum(sp.Mul(*dependent), limit)


def pull_out(s: sp.Sum) -> sp.Expr:
    """Σ_k c f_k = c Σ_k f_k for factors c independent of k (innermost limit first)."""
    out = s.function
    for limit in s.limits:
        out = _pull_single(out, limit)
    return out


def _collapse_one(s: sp.Sum, ranges: Ranges, dims: dict) -> sp.Expr:
    variables = [var for var, _, _ in s.limits]
    if not any(_has_delta_on(s.function, var) for var in variables):
        return s
    inside = {**ranges, **{var: (lo, hi) for var, lo, hi in s.limits}}
    out = []
    for term in sp.Add.make_args(s.function):
        pieces = [term]
        for var in variables:
            pieces = [q for piece in pieces for q in _distribute_deltas(piece, var)]
        for piece in pieces:
            limits = list(s.limits)
            for var in variables:
                factors = list(sp.Mul.make_args(piece))
                index = next((k for k, f in enumerate(factors) if delta_solution(f, var) is not None), None)
                if index is None:
                    continue
                value = delta_solution(factors[index], var)
                _, lo, hi = next(limit for limit in limits if limit[0] == var)
                limits = [limit for limit in limits if limit[0] != var]
                others = {k: v for k, v in inside.items() if k != var}
                # Σ_{k=lo..hi} δ_{k,v} f_k = f_v only where lo ≤ v ≤ hi: a crop y_i = x_i (i ≤ M < N) has
                # ∂L/∂x_j = g_j [j ≤ M], not g_j for every j
                keep = in_range(value, lo, hi, others, dims)
                piece = keep * sp.Mul(*factors[:index], *factors[index + 1:]).xreplace({var: value})
            out.append(pull_out(sp.Sum(piece, *limits)) if limits else piece)
    return sp.Add(*out)


def collapse_kronecker(expr: sp.Expr, ranges: Ranges | None = None, dims: dict | None = None) -> sp.Expr:
    """Σ_k δ_jk f_k = f_j, splitting sums and products where a delta needs it; shifted deltas collapse
    too, and the range of the sum is kept as an indicator where the index ranges do not prove it."""
    ranges, dims = dict(ranges or {}), dict(dims or {})

    def visit(e: sp.Expr, known: Ranges) -> sp.Expr:
        if isinstance(e, sp.Sum):
            inside = {**known, **{var: (lo, hi) for var, lo, hi in e.limits}}
            e = sp.Sum(visit(e.function, inside), *e.limits)
            return _collapse_one(e, known, dims)
        if e.args and not isinstance(e, (sp.Indexed, sp.IndexedBase)):
            return e.func(*[visit(a, known) for a in e.args])
        return e

    return visit(expr, ranges)


def _bound_on(relation: sp.Basic, var: sp.Symbol):
    """("lo", L) for a relation that says var ≥ L, ("hi", U) for var ≤ U; None if it is not such a bound."""
    if not isinstance(relation, (sp.Le, sp.Lt, sp.Ge, sp.Gt)):
        return None
    small, large = (relation.lhs, relation.rhs) if isinstance(relation, (sp.Le, sp.Lt)) else \
        (relation.rhs, relation.lhs)
    strict = isinstance(relation, (sp.Lt, sp.Gt))
    difference = sp.expand(large - small)  # ≥ 0 (or > 0: ≥ 1 for integers)
    coefficient = difference.coeff(var)
    rest = sp.expand(difference - coefficient * var)
    if coefficient not in (1, -1) or var in rest.free_symbols or not rest.is_integer:
        return None  # a bound that is not a whole number (k < z for a real z) is no sum limit
    margin = 1 if strict else 0
    # coefficient·var + rest ≥ margin
    return ("lo", margin - rest) if coefficient == 1 else ("hi", rest - margin)


def _into_limits(s: sp.Sum, dims: dict) -> sp.Expr:
    if len(s.limits) != 1:
        return s
    (var, lo, hi), = s.limits
    factors = list(sp.Mul.make_args(s.function))
    for k, factor in enumerate(factors):
        if not isinstance(factor, Iverson):
            continue
        relations = list(factor.condition.args) if isinstance(factor.condition, sp.And) else [factor.condition]
        bounds = [_bound_on(r, var) for r in relations]
        if not any(bounds):
            continue
        kept = [r for r, b in zip(relations, bounds) if b is None]
        for bound in filter(None, bounds):
            side, value = bound
            if side == "lo":
                lo = value if provably_at_most(lo, value, dims) else lo if provably_at_most(value, lo, dims) \
                    else sp.Max(lo, value)
            else:
                hi = value if provably_at_most(value, hi, dims) else hi if provably_at_most(hi, value, dims) \
                    else sp.Min(hi, value)
        rest = factors[:k] + factors[k + 1:] + ([Iverson(sp.And(*kept))] if kept else [])
        return sp.Sum(sp.Mul(*rest), (var, lo, hi))
    return s


def indicators_into_limits(expr: sp.Expr, dims: dict | None = None) -> sp.Expr:
    """Σ_k [a ≤ k ≤ b] f_k = Σ_{k=max(lo,a)}^{min(hi,b)} f_k: a condition on the summation index becomes
    its limits (the full correlation of a convolution's gradient)."""
    return bottom_up(expr, lambda e: _into_limits(e, dict(dims or {})) if isinstance(e, sp.Sum) else e)


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


def _content(expr: sp.Expr) -> tuple[sp.Rational, sp.Expr]:
    """(q, rest) with expr = q · rest, q the number that every term of a sum, a product's factors or a Σ's
    summand share: (2a − 2b) → (2, a − b), Σ_k 2 f_k (c − d) → (2, Σ_k f_k (c − d))."""
    if expr.is_Add:
        content, primitive = expr.primitive()
        return (content, primitive) if content.is_Rational else (sp.S.One, expr)
    if isinstance(expr, sp.Mul):
        coeff, factors = expr.as_coeff_mul()
        if not coeff.is_Rational:
            return sp.S.One, expr
        rest = []
        for factor in factors:
            q, factor = _content(factor) if factor.is_Add or isinstance(factor, sp.Sum) else (sp.S.One, factor)
            coeff *= q
            rest.append(factor)
        return coeff, sp.Mul(*rest)
    if isinstance(expr, sp.Sum):
        q, body = _content(expr.function)
        return q, (sp.Sum(body, *expr.limits) if q != 1 else expr)
    return sp.S.One, expr


def cancel_contents(expr: sp.Expr) -> sp.Expr:
    """A number times a sum whose terms share a number: the numbers combined where that makes them smaller.

    (2ŷ − 2y)/2 = ŷ − y and ½ Σ_j (2h_j − 2y_j) f_j = Σ_j (h_j − y_j) f_j, as a person simplifies them the
    moment they appear (the power rule's 2 meeting the ½ of a squared loss); 3(2a + 2b) stays. Pending
    derivatives are left as they are.
    """
    if not expr.has(sp.Mul):
        return expr

    def height(q: sp.Rational) -> int:
        return abs(int(q.p)) + int(q.q)

    def visit(node: sp.Expr) -> sp.Expr:
        if isinstance(node, (D, sp.Indexed)) or not node.args or node.is_Atom:
            return node
        args = [visit(a) for a in node.args]
        node = node.func(*args) if any(a is not b for a, b in zip(args, node.args)) else node
        if not isinstance(node, sp.Mul):
            return node
        coeff, factors = node.as_coeff_mul()
        if coeff == 1 or not coeff.is_Rational:
            return node
        out = []
        for factor in factors:
            if factor.is_Add or isinstance(factor, sp.Sum):
                content, rest = _content(factor)
                if content != 1 and height(coeff * content) < height(coeff):
                    coeff *= content
                    factor = rest
            out.append(factor)
        return sp.Mul(coeff, *out)

    return visit(expr)
