"""Index hygiene: fresh index letters, bound-variable renaming, alpha-equivalence.

Derivations substitute definitions into expressions that already use index
letters; every substitution renames the bound indices it brings in so that
nothing is captured, and comparisons of definitions ignore bound names.
"""
from __future__ import annotations

import itertools

import sympy as sp

PREFERRED = "i j k m l n p q r a b c d e f g h u w".split()


def index_symbol(name: str) -> sp.Symbol:
    return sp.Symbol(name, integer=True)


def names_in(expr: sp.Basic) -> set[str]:
    """Every symbol name used in `expr`, free or bound, and every base label."""
    names = {s.name for s in expr.atoms(sp.Symbol)}
    names |= {str(b.label) for b in expr.atoms(sp.IndexedBase)}
    return names


def fresh_index(used: set[str], preferred=PREFERRED) -> sp.Symbol:
    """A new index letter not in `used`; `used` is updated."""
    candidates = itertools.chain(preferred, (f"{c}{n}" for n in itertools.count(1) for c in "ijk"))
    for name in candidates:
        if name not in used:
            used.add(name)
            return index_symbol(name)
    raise AssertionError("unreachable")


def sums_in(expr: sp.Basic) -> list[sp.Sum]:
    return [node for node in sp.preorder_traversal(expr) if isinstance(node, sp.Sum)]


def freshen_bound(expr: sp.Expr, used: set[str], preferred=PREFERRED) -> sp.Expr:
    """Rename every bound index of every Sum in `expr` to a letter not in `used`."""
    if not expr.has(sp.Sum):
        return expr

    def visit(node):
        if isinstance(node, sp.Sum):
            body = visit(node.function)
            limits = []
            for var, lo, hi in node.limits:
                new = fresh_index(used, preferred)
                body = body.xreplace({var: new})
                # an inner limit's bounds may name this (outer) variable: Σ_{m} Σ_{k=m+2}^{N}
                limits = [(v, a.xreplace({var: new}), b.xreplace({var: new})) for v, a, b in limits]
                limits.append((new, lo, hi))
            return sp.Sum(body, *limits)
        if node.args and not isinstance(node, (sp.Indexed, sp.IndexedBase)):
            return node.func(*[visit(a) for a in node.args])
        return node

    return visit(expr)


def canonical_bound(expr: sp.Expr) -> sp.Expr:
    """Rename bound indices to canonical names by nesting depth (for comparisons)."""

    def visit(node, depth):
        if isinstance(node, sp.Sum):
            body = node.function
            limits = []
            for var, lo, hi in node.limits:
                new = sp.Symbol(f"_b{depth}", integer=True)
                depth += 1
                body = body.xreplace({var: new})
                # an inner limit's bounds may name this (outer) variable: Σ_{m} Σ_{k=m+2}^{N}
                limits = [(v, a.xreplace({var: new}), b.xreplace({var: new})) for v, a, b in limits]
                limits.append((new, lo, hi))
            return sp.Sum(visit(body, depth), *limits)
        if node.args and not isinstance(node, (sp.Indexed, sp.IndexedBase)):
            return node.func(*[visit(a, depth) for a in node.args])
        return node

    return visit(expr, 0) if expr.has(sp.Sum) else expr


def _print_rank(factor: sp.Expr) -> tuple:
    """Factors in the order the printers write them (sums last), so the first sum read gets the first letter."""
    return (isinstance(factor, sp.Sum), factor.has(sp.Sum), sp.default_sort_key(factor))


def _in_denominator(factor: sp.Expr) -> bool:
    return bool(factor.is_Pow and factor.exp.is_negative)


def rename_bound_nicely(expr: sp.Expr, avoid: set[str], by_range: dict | None = None) -> sp.Expr:
    """Give bound indices the first preferred letters not used free (for display).

    `by_range` maps a sum's upper bound to the letters to try first for it.
    """
    by_range = by_range or {}
    if not expr.has(sp.Sum):
        return expr
    used = set(avoid)

    def visit(node, used):
        if isinstance(node, sp.Sum):
            body = node.function
            limits = []
            inner_used = set(used)
            for var, lo, hi in node.limits:
                new = fresh_index(inner_used, by_range.get(hi, PREFERRED))
                body = body.xreplace({var: new})
                # an inner limit's bounds may name this (outer) variable: Σ_{m} Σ_{k=m+2}^{N}
                limits = [(v, a.xreplace({var: new}), b.xreplace({var: new})) for v, a, b in limits]
                limits.append((new, lo, hi))
            return sp.Sum(visit(body, inner_used), *limits)
        if isinstance(node, sp.Mul):
            # Σ_k a_k · Σ_k b_k reads as one sum over both: within a product (its numerator, its denominator)
            # every sum has its own letter
            factors = []
            for below in (False, True):
                taken = set(used)
                for factor in sorted(node.args, key=_print_rank):
                    if _in_denominator(factor) == below:
                        factors.append(visit(factor, taken))
                        taken |= {var.name for s in sums_in(factors[-1]) for var, _, _ in s.limits}
            return node.func(*factors)
        if node.args and not isinstance(node, (sp.Indexed, sp.IndexedBase)):
            return node.func(*[visit(a, used) for a in node.args])
        return node

    # Names free anywhere in the expression must not be reused for bound ones;
    # canonical placeholders first, so that no renaming can capture an inner index.
    used |= {s.name for s in expr.free_symbols}
    return visit(canonical_bound(expr), used)
