"""The teacher's form of a result, and the places where it is undefined.

`tidy` cancels fractions term by term (never across a sum, which would bury
a clean `A/N + 2λW` under one denominator), factors, merges sums over the
same range, and orients differences the way a teacher writes them:
constants and Kronecker deltas first, labels and targets last
((1 − y_j), (δ_ij − σ_j), (x_i − t_i), (Ψ − Δ)).
"""
from __future__ import annotations

import sympy as sp
from sympy.core.traversal import bottom_up

from ..problem.sampling import LABEL_KINDS
from ..problem.spec import Iverson, Spec
from .expand import expand_definitions
from .sums import map_sum_bodies, merge_sums, pull_constants


def _labels(spec: Spec) -> set:
    return {b for b, kind in spec.samplers.items()
            if kind in LABEL_KINDS and b not in spec.definitions}


def _term_score(term: sp.Expr, labels: set) -> int:
    if term.is_Number:
        return 3
    if term.has(sp.KroneckerDelta):
        return 2
    mentioned = {a.base for a in term.atoms(sp.Indexed)} | term.atoms(sp.Symbol)
    return -1 if mentioned & labels else 0


def _orient(expr: sp.Expr, labels: set) -> sp.Expr:
    """Flip differences so that their most 'leading' term is positive."""

    def flip(e):
        if not e.is_Mul:
            return e
        coeff, factors = sp.S.One, []
        for f in e.args:
            body = f.function if isinstance(f, sp.Sum) else f  # −Σ_n (y_n − p_n) = Σ_n (p_n − y_n)
            if body.is_Add and len(body.args) > 1:
                best = max(body.args, key=lambda t: (_term_score(t, labels), not t.could_extract_minus_sign()))
                if best.could_extract_minus_sign():
                    body, coeff = sp.Add(*[-t for t in body.args]), -coeff
                    f = sp.Sum(body, *f.limits) if isinstance(f, sp.Sum) else body
            factors.append(f)
        return coeff * sp.Mul(*factors)

    return bottom_up(expr, flip)


def _simplest(term: sp.Expr) -> sp.Expr:
    """The shortest of: common factors pulled out; cancelled and factored."""
    candidates = [sp.factor_terms(term)]
    if not term.has(sp.Sum):
        candidates.append(sp.factor(sp.cancel(term)))
    return min(candidates, key=sp.count_ops)


def _termwise(expr: sp.Expr) -> sp.Expr:
    if expr.is_Add:
        options = [sp.factor_terms(sp.Add(*[_simplest(t) for t in expr.args]))]
        if not expr.has(sp.Sum):  # y(1 − p) − p(1 − y) = y − p: terms that cancel once multiplied out
            expanded = sp.expand(expr)
            if expanded.is_Add:
                expanded = sp.factor_terms(sp.Add(*[_simplest(t) for t in expanded.args]))
            options.append(expanded)
        return min(options, key=sp.count_ops)
    return _simplest(expr)


def tidy(expr: sp.Expr, spec: Spec) -> sp.Expr:
    out = map_sum_bodies(expr, _termwise)
    out = _orient(merge_sums(out), _labels(spec))
    return pull_constants(out)


POSITIVE_KINDS = {"positive"}  # a probability may still be 0 (p_i in −t_i/p_i): only "positive" counts


def is_positive(expr: sp.Expr, spec: Spec) -> bool:
    """Provably positive from the definitions: exponentials, sums of them, sizes, quantities sampled
    positive, and a positive term plus any nonnegative ones (v + ε with v a variance)."""
    return _sign(expand_definitions(expr, spec), spec) == "positive"


def _sign(e: sp.Expr, spec: Spec) -> str | None:
    """"positive", "nonnegative", or None where neither is provable."""
    if e.is_positive:
        return "positive"
    if isinstance(e, sp.exp):
        return "positive"  # every quantity here is real
    base = e.base if isinstance(e, sp.Indexed) else e
    if isinstance(base, (sp.Symbol, sp.IndexedBase)) and spec.samplers.get(base) in POSITIVE_KINDS:
        return "positive"
    if e.is_Pow and e.exp.is_even:
        return "positive" if _sign(e.base, spec) == "positive" else "nonnegative"
    if e.is_nonnegative:
        return "nonnegative"
    if isinstance(e, sp.Sum):
        return _sign(e.function, spec)
    if e.is_Mul or e.is_Add:
        signs = [_sign(a, spec) for a in e.args]
        if None in signs:
            return None
        if e.is_Mul:
            return "positive" if all(s == "positive" for s in signs) else "nonnegative"
        return "positive" if "positive" in signs else "nonnegative"
    if e.is_Pow:
        return "positive" if _sign(e.base, spec) == "positive" else None
    return None


def kinks(expr: sp.Expr) -> list[sp.Expr]:
    """Where `expr` jumps: g for every sign(g), H(g), and a − b for every [a > b] or case boundary a = b."""
    found = []
    for node in sp.preorder_traversal(expr):
        if isinstance(node, (sp.sign, sp.Heaviside)):
            found.append(node.args[0])
        elif isinstance(node, (Iverson, sp.Piecewise)):
            conditions = [node.condition] if isinstance(node, Iverson) else [c for _, c in node.args]
            for condition in conditions:
                for relation in sp.preorder_traversal(condition):
                    # a condition between indices ([j ≤ M]) is no jump: indices take integer values only
                    if isinstance(relation, sp.core.relational.Relational) and \
                            not (relation.lhs - relation.rhs).is_integer:
                        found.append(relation.lhs - relation.rhs)
    return found


def domain_conditions(answer: sp.Expr, spec: Spec) -> tuple[sp.Expr, ...]:
    """Where the answer is undefined: denominators that can vanish, and the kinks (jumps) it holds;
    each condition `c` reads "defined where c ≠ 0"."""
    found: list[sp.Expr] = []
    for power in sorted(answer.atoms(sp.Pow), key=sp.default_sort_key):
        if power.exp.is_negative and not is_positive(power.base, spec) and power.base not in found:
            found.append(power.base)
    for kink in kinks(answer):
        oriented = -kink if kink.could_extract_minus_sign() else kink
        if oriented not in found and not oriented.is_number:
            found.append(oriented)
    return tuple(found)
