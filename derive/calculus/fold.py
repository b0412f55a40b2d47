"""Fold expanded expressions back into the quantities a teacher writes.

- `fold_quotient_definitions`: e^{x_i}/Σ_k e^{x_k} → σ_i, by solving the
  definition for its numerator (e^{x_a} = σ_a Σ_k e^{x_k}) and cancelling.
- `fold_function_definitions`: e^{-z}/(1+e^{-z})² → σ(z)(1 − σ(z)), by solving
  the function's definition for its exponential generator.
- `refold_definitions`: a literal copy of a definition's body → its name.
- `apply_assumptions`: Σ_k t_k → 1, and the like.
All of them leave pending derivatives alone.
"""
from __future__ import annotations

import sympy as sp
from sympy.core.traversal import bottom_up

from ..problem.spec import D, Spec
from .indices import canonical_bound
from .sums import interval, map_sum_bodies, provably_at_most, pull_constants, pull_out


def _index_wilds(params):
    return {p: sp.Wild(f"w_{p.name}", properties=[lambda e: e.is_integer]) for p in params}


def _match(node: sp.Expr, pattern: sp.Expr):
    found = canonical_bound(node).match(pattern)
    return found


def _outside_pending(expr: sp.Expr, fn) -> sp.Expr:
    """Apply `fn` bottom-up to every node that is not inside a pending derivative."""
    if isinstance(expr, D):
        return expr
    if not expr.args or isinstance(expr, (sp.Indexed, sp.IndexedBase)):
        return fn(expr)
    return fn(expr.func(*[_outside_pending(a, fn) for a in expr.args]))


# -- quotient definitions (softmax) ----------------------------------------------
def _quotient_shape(definition):
    """(numerator, denominator) of a body g/h with g an exponential of all params."""
    numer, denom = sp.fraction(definition.body)
    if not isinstance(numer, sp.exp) or denom == 1 or not definition.params:
        return None
    if not set(definition.params) <= numer.free_symbols:
        return None
    if not denom.has(sp.Sum):
        return None
    return numer, denom


def fold_quotient_definitions(expr: sp.Expr, spec: Spec) -> sp.Expr:
    for key, definition in spec.definitions.items():
        shape = _quotient_shape(definition)
        if shape is None:
            continue
        numer, denom = shape
        wilds = _index_wilds(definition.params)
        denom_pattern = canonical_bound(denom).xreplace(wilds)
        numer_pattern = numer.xreplace(wilds)
        placeholders: dict = {}

        def hide(e):
            if isinstance(e, sp.Sum):
                found = _match(e, denom_pattern)
                if found is not None:
                    key_ = canonical_bound(e)
                    placeholders.setdefault(key_, sp.Symbol(f"_S{len(placeholders)}", positive=True))
                    return placeholders[key_]
            return e

        hidden = _outside_pending(expr, hide)
        if not placeholders:
            continue

        def substitute(e):
            if isinstance(e, sp.exp):
                found = e.match(numer_pattern)
                if found is not None and all(w in found for w in wilds.values()):
                    args = [found[wilds[p]] for p in definition.params]
                    instance = canonical_bound(denom.xreplace(dict(zip(definition.params, args))))
                    if instance in placeholders:
                        return sp.Indexed(key, *args) * placeholders[instance]
            return e

        substituted = _outside_pending(hidden, substitute)
        if substituted == hidden:
            continue
        cancelled = map_sum_bodies(substituted, lambda e: e if e.has(D) else sp.cancel(e))
        restore = {symbol: sum_ for sum_, symbol in placeholders.items()}
        expr = cancelled.xreplace(restore)
    return expr


# -- function definitions (sigmoid, tanh) ---------------------------------------
def _generator_form(expr: sp.Expr, u: sp.Expr, w: sp.Symbol):
    """expr with exp(k·u) written as w**k; None if some exp(u·…) is not a power of w."""
    bad = []

    def rewrite(e):
        ratio = sp.cancel(e.args[0] / u) if e.args[0].has(*u.free_symbols) else None
        if ratio is not None and ratio.is_Integer:
            return w ** ratio
        if ratio is not None:
            bad.append(e)
        return e

    out = expr.replace(lambda e: isinstance(e, sp.exp), rewrite)
    return None if bad else out


def fold_function_definitions(expr: sp.Expr, spec: Spec) -> sp.Expr:
    """`expr` through the spec's functions with a body: each exponential generator e^{ku} solved from
    f(u) = body and substituted back (e^x/(1 + e^x) = σ(x)). Applications of those functions are opened
    first, so that σ(−x) next to e^x folds into σ(x) as well."""
    if expr.has(D):
        return expr
    bodies = {f: info.body for f, info in spec.functions.items() if info.body is not None}
    if not bodies or not expr.has(sp.exp):  # nothing left to fold: already in terms of the functions
        return expr
    original = expr
    expr = expr.replace(lambda e: isinstance(e, sp.Function) and e.func in bodies,
                        lambda e: bodies[e.func](*e.args))
    folded_any = False
    for info in spec.functions.values():
        if info.body is None:
            continue
        arguments = {e.args[0] if e.args[0].could_extract_minus_sign() is False else -e.args[0]
                     for e in expr.atoms(sp.exp)}
        for u in sorted(arguments, key=sp.default_sort_key):
            w, value = sp.Dummy("w", positive=True), sp.Dummy("T")
            in_w = _generator_form(expr, u, w)
            body_w = _generator_form(info.body(u), u, w)
            if in_w is None or body_w is None or not in_w.has(w):
                continue
            solutions = sp.solve(sp.Eq(body_w, value), w)
            folded = {sp.factor(sp.cancel(in_w.subs(w, s))) for s in solutions}
            if len(folded) == 1:
                result = folded.pop()
                if not result.has(w) and result.is_rational_function(value):
                    expr = sp.expand(result).subs(value, info.func(u))
                    folded_any = True
    return expr if folded_any else original


# -- literal copies of definitions -----------------------------------------------
def refold_definitions(expr: sp.Expr, spec: Spec) -> sp.Expr:
    patterns = []
    for definition in spec.definitions.values():
        body = definition.body
        if isinstance(body, (sp.Indexed, sp.Symbol)) or _quotient_shape(definition):
            continue
        wilds = _index_wilds(definition.params)
        patterns.append((canonical_bound(body).xreplace(wilds), definition, wilds, sp.S.One))
        scale, sums = body.as_independent(sp.Sum, as_Add=False)
        if isinstance(sums, sp.Sum) and scale != 1 and not definition.params and \
                (scale.is_positive or scale.is_negative):  # Σ_k x_k = nμ; not Σ w² = 2R/λ, for λ may be 0
            # a mean μ = Σ_k x_k / n: the bare sum Σ_k x_k is n μ
            patterns.append((canonical_bound(sums), definition, wilds, 1 / scale))
    for info in spec.functions.values():
        if info.body is not None:
            arg = sp.Wild("arg")
            patterns.append((info.body(arg), info, {None: arg}, sp.S.One))

    def needs(pattern):
        """What a node must have for `pattern` to match it: its head, its arity (unless a wild stands at
        the top), and the bases and named symbols the pattern holds."""
        arity = None if any(isinstance(a, sp.Wild) for a in pattern.args) else len(pattern.args)
        named = {s for s in pattern.free_symbols if type(s) is sp.Symbol and not s.name.startswith("_b")}
        return pattern.func, arity, {b for b in pattern.atoms(sp.IndexedBase)}, named

    requirements = [needs(pattern) for pattern, *_ in patterns]

    def fold(e):
        if e.is_Atom or isinstance(e, sp.Indexed):
            return e
        bases = symbols = canonical = None
        for (pattern, owner, wilds, scale), (head, arity, wanted, named) in zip(patterns, requirements):
            if e.func != head or (arity is not None and len(e.args) != arity and not e.is_Pow):
                continue  # cheap tests before SymPy's matcher
            bases = {b for b in e.atoms(sp.IndexedBase)} if bases is None else bases
            symbols = e.free_symbols if symbols is None else symbols
            if not wanted <= bases or not named <= symbols:
                continue
            canonical = canonical_bound(e) if canonical is None else canonical
            found = canonical.match(pattern)
            power = sp.S.One
            if found is None and e.is_Pow and pattern.is_Pow and e.exp.is_Rational and pattern.exp.is_Rational \
                    and (e.exp / pattern.exp).is_integer:
                # an integer power of the body: (Σ_k x_k²)^(-1/2) = r^(-1) for r = (Σ_k x_k²)^(1/2)
                # (x⁴ is not y^(4/5) for y = x⁵: that holds only for x ≥ 0)
                found, power = _match(e.base, pattern.base), e.exp / pattern.exp
            if found is None or not all(w in found for w in wilds.values()):
                continue
            if hasattr(owner, "lhs"):
                return (scale * owner.lhs.xreplace({p: found[wilds[p]] for p in owner.params})) ** power
            return owner.func(found[wilds[None]]) ** power
        return e

    return _outside_pending(expr, fold)


# -- assumptions -----------------------------------------------------------------
def apply_assumptions(expr: sp.Expr, spec: Spec, used: list) -> sp.Expr:
    for assumption in spec.assumptions:
        wilds = _index_wilds(assumption.params)
        pattern = canonical_bound(assumption.lhs).xreplace(wilds)

        def replace(e, assumption=assumption, pattern=pattern, wilds=wilds):
            if isinstance(e, sp.Sum) or e == assumption.lhs:
                found = _match(e, pattern)
                if found is not None and all(w in found for w in wilds.values()):
                    if assumption not in used:
                        used.append(assumption)
                    return assumption.rhs.xreplace({p: found[wilds[p]] for p in assumption.params})
            return e

        expr = _outside_pending(expr, replace)
    return expr


def exp_of_sum(expr: sp.Expr) -> sp.Expr:
    """e^{a+b} = e^a e^b."""
    return bottom_up(expr, lambda e: sp.Mul(*[sp.exp(t) for t in e.args[0].args])
                     if isinstance(e, sp.exp) and e.args[0].is_Add else e)


def split_sums_for_assumptions(expr: sp.Expr, spec: Spec, used: list) -> sp.Expr:
    """Σ_i t_i (a_i − b) = Σ_i t_i a_i − b Σ_i t_i, kept only when an assumption then applies."""
    def split(e):
        if isinstance(e, sp.Sum):
            body = sp.expand_mul(e.function)
            if body.is_Add:
                return sp.Add(*[sp.Sum(t, *e.limits) for t in body.args])
        return e

    trial: list = []
    out = apply_assumptions(pull_constants(bottom_up(expr, split)), spec, trial)
    if not trial:
        return expr
    used.extend(a for a in trial if a not in used)
    return out


# -- any definition, solved for its input -----------------------------------------------
def _solved_input(definition, spec: Spec):
    """(x, value) when `q[p] := body` is linear in one entry x[p] of a primitive input: x[p] = value(q[p])."""
    if not definition.params:
        return None
    params = tuple(definition.params)
    entries = [e for e in definition.body.atoms(sp.Indexed)
               if tuple(e.indices) == params and e.base not in spec.definitions]
    if len(entries) != 1:
        return None
    (entry,) = entries
    unknown = sp.Dummy("unknown")
    body = definition.body.xreplace({entry: unknown})
    if body.has(sp.Sum) and any(unknown in s.free_symbols for s in body.atoms(sp.Sum)):
        return None
    if sp.diff(body, unknown, 2) != 0 or sp.diff(body, unknown) == 0:
        return None  # not linear in the entry
    value = sp.solve(sp.Eq(body, definition.lhs), unknown)
    return (entry, value[0]) if len(value) == 1 else None


def fold_by_solving(expr: sp.Expr, spec: Spec, tidy) -> sp.Expr:
    """Every defined quantity folded back where its input stands alone: with ŷ_i = x_i / r, x_i x_j / r³
    is ŷ_i ŷ_j / r; with x̂_i = (x_i − μ)/√(v + ε), x_i − μ is x̂_i √(v + ε). Each input entry outside a
    sum is replaced by the definition solved for it; kept only where the result is shorter."""
    if expr.has(D):
        return expr
    best, best_size = expr, sp.count_ops(expr)
    for definition in spec.definitions.values():
        solved = _solved_input(definition, spec)
        if solved is None:
            continue
        entry, value = solved
        params = tuple(definition.params)
        shape = spec.shapes.get(definition.lhs.base, ()) if isinstance(definition.lhs, sp.Indexed) else ()
        ranges = {index: (sp.S.One, dim) for index, dim in spec.index_range.items()}

        def substitute(e, known, entry=entry, value=value, params=params, shape=shape):
            # only where the defined quantity exists: q_j = 2x_j for j ≤ M says nothing of x_j, j > M
            if isinstance(e, sp.Indexed) and e.base == entry.base and len(e.indices) == len(params) and \
                    all(_provably_within(i, dim, known, spec.dim_values) for i, dim in zip(e.indices, shape)):
                return value.xreplace(dict(zip(params, e.indices)))
            return e

        for inside in (False, True):
            candidate = _replace_entries(best, substitute, ranges, inside)
            if candidate == best:
                continue
            candidate = tidy(candidate)
            size = sp.count_ops(candidate)
            if size < best_size:
                best, best_size = candidate, size
    return best


def _provably_within(index: sp.Expr, dim: sp.Expr, ranges: dict, dims: dict) -> bool:
    bound = interval(index, ranges)
    return bound is not None and provably_at_most(sp.S.One, bound[0], dims) and \
        provably_at_most(bound[1], dim, dims)


def _replace_entries(expr: sp.Expr, fn, ranges: dict, inside_sums: bool) -> sp.Expr:
    """`fn(node, ranges)` on every node (inside sums too when `inside_sums`), with the index ranges known
    there: the problem's indices, and the limits of the enclosing sums."""
    if isinstance(expr, sp.Sum):
        if not inside_sums:
            return expr
        known = {**ranges, **{var: (lo, hi) for var, lo, hi in expr.limits}}
        return sp.Sum(_replace_entries(expr.function, fn, known, inside_sums), *expr.limits)
    if isinstance(expr, sp.Indexed):
        return fn(expr, ranges)
    if not expr.args or isinstance(expr, sp.IndexedBase):
        return expr
    return expr.func(*[_replace_entries(a, fn, ranges, inside_sums) for a in expr.args])


def split_sums_and_fold(expr: sp.Expr, spec: Spec, tidy) -> sp.Expr:
    """Σ_k (x_k − μ) = Σ_k x_k − nμ = 0: sums of several terms split, the definitions folded in, and the
    result kept only where it is shorter."""
    if expr.has(D) or not expr.has(sp.Sum):
        return expr

    def split(e):
        if isinstance(e, sp.Sum) and len(e.limits) == 1:
            body = sp.expand(e.function)
            if body.is_Add:
                return sp.Add(*[pull_out(sp.Sum(t, *e.limits)) for t in body.args])
        return e

    candidate = tidy(refold_definitions(bottom_up(expr, split), spec))
    return candidate if sp.count_ops(candidate) < sp.count_ops(expr) else expr
