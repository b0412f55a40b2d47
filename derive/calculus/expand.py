"""Replacing defined quantities by their definitions, recursively.

Used to compare definitions (a derived layer rule applies to
any quantity defined the same way) and by the numeric evaluator.
"""
from __future__ import annotations

import sympy as sp

from ..problem.spec import Spec
from .indices import freshen_bound, names_in


def instantiate(definition, args, used: set[str]) -> sp.Expr:
    """The body of `definition` at index values `args`, its bound indices fresh."""
    used |= names_in(definition.body) | {s.name for a in args for s in sp.sympify(a).free_symbols}
    body = freshen_bound(definition.body, used)  # before substituting: no capture
    return body.xreplace(dict(zip(definition.params, args)))


def expand_definitions(expr: sp.Expr, spec: Spec, stop=frozenset(), used: set[str] | None = None,
                       functions: bool = False) -> sp.Expr:
    """`expr` with every defined quantity not in `stop` replaced by its definition.

    With `functions`, function applications with a body are replaced too.
    """
    used = set(names_in(expr)) if used is None else used
    used |= {str(k) for k in spec.names}

    def visit(e):
        if isinstance(e, sp.Indexed):
            definition = spec.definitions.get(e.base)
            if definition is not None and e.base not in stop:
                return visit(instantiate(definition, e.indices, used))
            return e
        if isinstance(e, sp.Symbol):
            definition = spec.definitions.get(e)
            if definition is not None and e not in stop:
                return visit(instantiate(definition, (), used))
            return e
        if functions and isinstance(e, sp.Function) and e.func in spec.functions:
            body = spec.functions[e.func].body
            if body is not None:
                return visit(body(*[visit(a) for a in e.args]))
        if e.args and not isinstance(e, sp.IndexedBase):
            return e.func(*[visit(a) for a in e.args])
        return e

    return visit(expr)


def bases_in(expr: sp.Expr, spec: Spec) -> set:
    """Every base or scalar symbol of the spec that `expr` mentions."""
    found = {e.base for e in expr.atoms(sp.Indexed)}
    found |= {s for s in expr.atoms(sp.Symbol) if s in spec.shapes or s in spec.definitions}
    return found
