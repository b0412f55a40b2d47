"""A spec's expressions made concrete at a point, for evaluating and differentiating them there.

At a point (sizes, free indices, entries, stand-in functions: `sampling.Point`)
an index expression becomes a plain one: the dimensions and free indices are
integers, every sum is expanded into its terms, each defined quantity is
replaced by its definition (except those held fixed, as ∂E/∂x_m holds x), a
generic φ (and φ') by the point's stand-in and a function with a body by its
body; what is left are entries of the inputs, each given a plain symbol by the
caller. SymPy's `diff` (or forward-mode evaluation) then differentiates it.

The engine's witness (`authoring/witness.py`) and the steps checker
(`checking/steps.py`) both work this way; neither uses the engine's rules.
"""
from __future__ import annotations

from collections.abc import Callable

import sympy as sp
from sympy.core.function import UndefinedFunction

from .sampling import Point, stand_ins
from .spec import D, Spec


class Concretizer:
    """Makes one spec's expressions concrete; `error` is the exception raised where an expression has no value
    at the point (an entry out of range, a sum too long to expand), `max_terms` bounds the expanded terms."""

    def __init__(self, spec: Spec, error: type[Exception] = ValueError, max_terms: int | None = None):
        self.spec = spec
        self.error = error
        self.max_terms = max_terms

    def expand(self, expr: sp.Expr, point: Point) -> sp.Expr:
        """Dimensions and free indices replaced by integers, sums expanded (sums first: a bound index may
        share its letter with a free one)."""
        budget = [self.max_terms if self.max_terms is not None else -1]
        return self._sums(expr.xreplace(point.sizes), point, budget).xreplace(point.indices)

    def _sums(self, expr: sp.Expr, point: Point, budget: list[int]) -> sp.Expr:
        if isinstance(expr, sp.Sum):
            var, lo, hi = expr.limits[-1]  # the outermost limit: inner bounds may depend on its variable
            inner = expr.function if len(expr.limits) == 1 else sp.Sum(expr.function, *expr.limits[:-1])
            lo, hi = (b.xreplace(point.indices) for b in (lo, hi))  # Σ_{k=max(1, j−M+1)}^{min(K, j)}
            if not (lo.is_Integer and hi.is_Integer):
                raise self.error("a sum without concrete bounds")
            if budget[0] >= 0:
                budget[0] -= max(0, int(hi) - int(lo) + 1)
                if budget[0] < 0:
                    raise self.error("sums too long to expand")
            return sp.Add(*[self._sums(bind(inner, var, sp.Integer(v)), point, budget)
                            for v in range(int(lo), int(hi) + 1)])
        if expr.args and not isinstance(expr, (sp.Indexed, sp.IndexedBase)):
            return expr.func(*[self._sums(a, point, budget) for a in expr.args])
        return expr

    def function(self, func, args: list, point: Point) -> sp.Expr | None:
        """A function application in plain terms: a generic φ (or φ') as its stand-in at this point, a defined
        function by its body; None for SymPy's own functions."""
        spec = self.spec
        stand = stand_ins(spec, point.generic).get(func)
        if stand is not None and func in spec.functions:
            return stand.expr(args[0])
        if stand is not None:  # φ', the derivative of a generic φ
            u = sp.Dummy("u")
            return sp.diff(stand.expr(u), u).xreplace({u: args[0]})
        info = spec.functions.get(func)
        if info is not None and info.body is not None and isinstance(func, UndefinedFunction):
            return info.body(*args)
        return None

    def plain(self, expr: sp.Expr, point: Point, stop: frozenset, entry: Callable[[sp.Expr], sp.Symbol],
              memo: dict) -> sp.Expr:
        """`expr` concrete and in entry symbols (`entry(x[2])` names one), definitions substituted except those
        of the bases in `stop`; `memo` caches the forms of subexpressions (for one `stop` and one point's sizes
        and stand-ins)."""
        spec = self.spec

        def visit(e):
            if e in memo:
                return memo[e]
            if isinstance(e, D):
                raise self.error("a derivative inside a derivative")
            base = e.base if isinstance(e, sp.Indexed) else e
            if isinstance(e, sp.Indexed) or (isinstance(e, sp.Symbol) and
                                              (e in spec.shapes or e in spec.definitions)):
                idx = tuple(e.indices) if isinstance(e, sp.Indexed) else ()
                if not all(getattr(k, "is_Integer", False) for k in idx):
                    raise self.error(f"{e} has no concrete index")
                shape = spec.shapes.get(base, ())
                if any(not 1 <= int(k) <= point.sizes.get(dim, 0) for k, dim in zip(idx, shape)):
                    raise self.error(f"{e} is out of range: the expression has no value here")
                definition = spec.definitions.get(base)
                if definition is not None and base not in stop:
                    body = definition.body.xreplace(dict(zip(definition.params, idx)))
                    out = visit(self.expand(body, point))
                else:
                    out = entry(e)
            elif e.args and not isinstance(e, sp.Indexed):
                args = [visit(a) for a in e.args]
                replaced = self.function(e.func, args, point) if isinstance(e, sp.Function) else None
                out = visit(replaced) if replaced is not None else e.func(*args)
            else:
                out = e
            memo[e] = out
            return out

        return visit(self.expand(expr, point))


def bind(expr: sp.Expr, var: sp.Symbol, value: sp.Expr) -> sp.Expr:
    """`expr` with `var` replaced by `value`, except inside a sum that binds `var` again (Σ_i Σ_i ...)."""
    if var not in expr.free_symbols:
        return expr
    if isinstance(expr, sp.Sum) and any(limit[0] == var for limit in expr.limits):
        return expr  # the inner sum's own variable: untouched (a bound that names the outer one is not read)
    if isinstance(expr, sp.Sum) or not expr.args:
        return expr.xreplace({var: value})
    return expr.func(*[bind(a, var, value) for a in expr.args])
