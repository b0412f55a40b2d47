"""Differentiation rules: each rewrites one pending derivative ∂f/∂v one level down.

A rule is a small class: a name, a one-line note that states it, `applies`
and `apply`. The engine tries `RULES` in order on every pending derivative
and applies the first that fits; a new rule is one class and one entry.
The rules never format text: names and notes are plain data for renderers.
"""
from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from ..errors import DerivationError
from ..problem.spec import D, Iverson, pending


@dataclass(frozen=True)
class Rule:
    name: str
    note: str
    trivial: bool = False  # applied eagerly, inside the step that produced the node

    def applies(self, node: D, ctx) -> bool:  # pragma: no cover - interface
        raise NotImplementedError

    def apply(self, node: D, ctx) -> sp.Expr:  # pragma: no cover - interface
        raise NotImplementedError


def child(node: D, expr: sp.Expr) -> sp.Expr:
    """A pending derivative of `expr` with the same variable and fixed bases."""
    return pending(expr, node.wrt, node.fixed)


class Constant(Rule):
    def applies(self, node, ctx):
        return not ctx.depends(node.expr, node.wrt, node.fixed)

    def apply(self, node, ctx):
        return sp.S.Zero


class Coordinate(Rule):
    def applies(self, node, ctx):
        f, v = node.expr, node.wrt
        if isinstance(v, sp.Indexed):
            return isinstance(f, sp.Indexed) and f.base == v.base
        return f == v

    def apply(self, node, ctx):
        f, v = node.expr, node.wrt
        if not isinstance(v, sp.Indexed):
            return sp.S.One
        return sp.Mul(*[sp.KroneckerDelta(a, b) for a, b in zip(f.indices, v.indices)])


class EarlierResult(Rule):
    """A derivative that an earlier part of the problem has already derived."""

    def applies(self, node, ctx):
        return ctx.earlier_result(node) is not None

    def apply(self, node, ctx):
        answer, part = ctx.earlier_result(node)
        ctx.cite(ctx.spec, part.id)
        return answer


class SumOfTerms(Rule):
    def applies(self, node, ctx):
        return isinstance(node.expr, sp.Add)

    def apply(self, node, ctx):
        return sp.Add(*[child(node, term) for term in node.expr.args])


def _split_factors(node, ctx):
    dependent, constant = [], []
    for factor in node.expr.args:
        (dependent if ctx.depends(factor, node.wrt, node.fixed) else constant).append(factor)
    return dependent, constant


class ConstantFactor(Rule):
    def applies(self, node, ctx):
        if not isinstance(node.expr, sp.Mul):
            return False
        dependent, constant = _split_factors(node, ctx)
        return len(dependent) == 1 and bool(constant)

    def apply(self, node, ctx):
        dependent, constant = _split_factors(node, ctx)
        return sp.Mul(*constant) * child(node, dependent[0])


def _numer_denom(factors):
    numer = [f for f in factors if not (f.is_Pow and f.exp.is_negative)]
    denom = [f for f in factors if f.is_Pow and f.exp.is_negative]
    return sp.Mul(*numer), sp.Mul(*[f.base ** (-f.exp) for f in denom])


class Quotient(Rule):
    def applies(self, node, ctx):
        if not isinstance(node.expr, sp.Mul):
            return False
        dependent, _ = _split_factors(node, ctx)
        numer, denom = _numer_denom(dependent)
        return (len(dependent) > 1 and denom != 1
                and ctx.depends(numer, node.wrt, node.fixed)
                and ctx.depends(denom, node.wrt, node.fixed))

    def apply(self, node, ctx):
        dependent, constant = _split_factors(node, ctx)
        f, g = _numer_denom(dependent)
        return sp.Mul(*constant) * (child(node, f) * g - f * child(node, g)) / g**2


class Product(Rule):
    def applies(self, node, ctx):
        return isinstance(node.expr, sp.Mul) and len(_split_factors(node, ctx)[0]) > 1

    def apply(self, node, ctx):
        dependent, constant = _split_factors(node, ctx)
        terms = []
        for k, factor in enumerate(dependent):
            others = dependent[:k] + dependent[k + 1:]
            terms.append(sp.Mul(*others, child(node, factor)))
        return sp.Mul(*constant) * sp.Add(*terms)


class SumOverIndex(Rule):
    def applies(self, node, ctx):
        return isinstance(node.expr, sp.Sum)

    def apply(self, node, ctx):
        s = node.expr
        return sp.Sum(child(node, s.function), *s.limits)


class Power(Rule):
    def applies(self, node, ctx):
        f = node.expr
        return f.is_Pow and not ctx.depends(f.exp, node.wrt, node.fixed)

    def apply(self, node, ctx):
        g, e = node.expr.base, node.expr.exp
        return e * g ** (e - 1) * child(node, g)


class Exponential(Rule):
    def applies(self, node, ctx):
        return isinstance(node.expr, sp.exp)

    def apply(self, node, ctx):
        return node.expr * child(node, node.expr.args[0])


class Logarithm(Rule):
    def applies(self, node, ctx):
        return isinstance(node.expr, sp.log) and len(node.expr.args) == 1

    def apply(self, node, ctx):
        g = node.expr.args[0]
        return child(node, g) / g


class Extremum(Rule):
    """max(a, b, ...) and min(a, b, ...): the derivative of the argument that wins, [a > b] ∂a + ..."""

    def applies(self, node, ctx):
        return isinstance(node.expr, (sp.Max, sp.Min))

    def apply(self, node, ctx):
        f = node.expr
        wins = sp.Gt if isinstance(f, sp.Max) else sp.Lt
        terms = []
        for k, a in enumerate(f.args):
            others = f.args[:k] + f.args[k + 1:]
            condition = sp.And(*[wins(a, b) for b in others])
            terms.append(Iverson(condition) * child(node, a))
        return sp.Add(*terms)


class AbsoluteValue(Rule):
    def applies(self, node, ctx):
        return isinstance(node.expr, sp.Abs)

    def apply(self, node, ctx):
        g = node.expr.args[0]
        return sp.sign(g) * child(node, g)


class StepFunction(Rule):
    """[c], sign(g), H(g): constant on each side of their jump."""

    def applies(self, node, ctx):
        return isinstance(node.expr, (Iverson, sp.sign, sp.Heaviside))

    def apply(self, node, ctx):
        return sp.S.Zero


class Cases(Rule):
    """A function defined by cases: each case differentiated (away from the boundaries)."""

    def applies(self, node, ctx):
        return isinstance(node.expr, sp.Piecewise)

    def apply(self, node, ctx):
        return sp.Piecewise(*[(child(node, e), c) for e, c in node.expr.args])


class FunctionChain(Rule):
    """f(g) for a scalar function with a derived or generic derivative."""

    def applies(self, node, ctx):
        f = node.expr
        return (isinstance(f, sp.Function) and len(f.args) == 1
                and ctx.function_derivative(f.func) is not None)

    def apply(self, node, ctx):
        f = node.expr
        outer, citation = ctx.function_derivative(f.func)
        if citation:
            ctx.cite(*citation)
        return outer(f.args[0]) * child(node, f.args[0])


class FunctionDefinition(Rule):
    def applies(self, node, ctx):
        f = node.expr
        return isinstance(f, sp.Function) and ctx.function_body(f.func) is not None

    def apply(self, node, ctx):
        f = node.expr
        return child(node, ctx.function_body(f.func)(*f.args))


class ChainThroughIntermediate(Rule):
    """∂F/∂v = Σ_u ∂F/∂U_u · ∂U_u/∂v + ∂F/∂v|_U, with ∂F/∂U from an earlier part."""

    def applies(self, node, ctx):
        return ctx.cut(node) is not None

    def apply(self, node, ctx):
        gradient, intermediate, part, limits = ctx.cut(node)
        ctx.cite(ctx.spec, part.id)
        entry = sp.Indexed(intermediate, *[var for var, _, _ in limits])
        through = gradient * child(node, entry)
        for limit in reversed(limits):
            through = sp.Sum(through, limit)
        return through + pending(node.expr, node.wrt, (*node.fixed, intermediate))


class DerivedLemma(Rule):
    """A derivative of a defined quantity derived in another part (a layer rule)."""

    def applies(self, node, ctx):
        return ctx.symbol_lemma(node) is not None

    def apply(self, node, ctx):
        result, citation = ctx.symbol_lemma(node)
        ctx.cite(*citation)
        return result


class Definition(Rule):
    def applies(self, node, ctx):
        return ctx.definition_body(node.expr) is not None

    def apply(self, node, ctx):
        return child(node, ctx.definition_body(node.expr))


RULES: tuple[Rule, ...] = (
    Constant("constant", "∂c/∂v = 0 for c independent of v", trivial=True),
    Coordinate("coordinate", "∂x_i/∂x_j = δ_ij", trivial=True),
    EarlierResult("earlier result", "use a derivative derived in an earlier part"),
    SumOfTerms("sum rule", "∂(f + g) = ∂f + ∂g"),
    ConstantFactor("constant factor", "∂(c f) = c ∂f"),
    Quotient("quotient rule", "∂(f/g) = (∂f · g − f · ∂g)/g²"),
    Product("product rule", "∂(f g) = ∂f · g + f · ∂g"),
    SumOverIndex("derivative of a sum", "∂ Σ_k f_k = Σ_k ∂f_k"),
    Power("power rule", "∂(g^c) = c g^(c−1) ∂g"),
    Exponential("chain rule (exp)", "∂ e^g = e^g ∂g"),
    Logarithm("chain rule (log)", "∂ log g = ∂g / g"),
    Extremum("derivative of max/min", "∂ max(a, b) = [a > b] ∂a + [b > a] ∂b, away from a = b"),
    AbsoluteValue("derivative of |g|", "∂|g| = sign(g) ∂g, away from g = 0"),
    StepFunction("derivative of a step", "∂[c] = ∂sign(g) = 0 away from the jump", trivial=True),
    Cases("derivative by cases", "each case differentiated, away from the boundaries"),
    ChainThroughIntermediate("chain rule through an intermediate",
                             "∂F/∂v = Σ_u ∂F/∂U_u ∂U_u/∂v + ∂F/∂v|_U"),
    DerivedLemma("derived layer rule", "use a derivative derived in another part"),
    FunctionChain("chain rule", "∂ f(g) = f'(g) ∂g"),
    FunctionDefinition("definition", "replace a function by its definition"),
    Definition("definition", "replace a quantity by its definition"),
)


def rule_for(node: D, ctx) -> Rule:
    for rule in RULES:
        if rule.applies(node, ctx):
            return rule
    raise DerivationError(f"no rule applies to ∂({node.expr})/∂{node.wrt}")
