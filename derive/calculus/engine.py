"""The derivation engine: a part's target → named steps → canonical answer.

The pipeline is one-way. While pending derivatives remain, each step applies
one level of the differentiation rules (`rules.RULES`) to every pending
derivative. Then algebra stages (Kronecker collapse, folding back into the
defined quantities, assumptions) run until nothing changes, and a last tidy
gives the teacher's form. Every step is an expression equal to the one before
it; the tests check that numerically.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import sympy as sp
from sympy.core.function import UndefinedFunction

from ..errors import DerivationError
from ..limits import MAX_STEPS
from ..problem.spec import Assumption, D, Iverson, Part, Spec
from . import fold, lemmas
from .expand import instantiate
from .indices import PREFERRED, fresh_index, freshen_bound, names_in, rename_bound_nicely
from .rules import RULES, Rule, rule_for
from .sums import cancel_contents, collapse_kronecker, indicators_into_limits, pull_constants
from .tidy import domain_conditions, tidy


@dataclass(frozen=True)
class Step:
    """One step of a derivation: the rule(s) applied, a note that states them, the expression after it, and
    the derived results it uses (`problem/part` ids: a layer rule, an earlier part's gradient)."""

    rule: str
    note: str
    expr: sp.Expr
    cites: tuple[str, ...] = ()


@dataclass(frozen=True)
class Derivation:
    """A derived part: its target, its steps, the answer, the assumptions used and where it is undefined."""

    spec: Spec
    part: Part
    target: sp.Expr
    steps: tuple[Step, ...]
    answer: sp.Expr
    assumptions: tuple[Assumption, ...]
    domain: tuple[sp.Expr, ...]  # expressions that must be nonzero (or positive, for logs)
    citations: tuple[str, ...] = ()


_BODY_DERIVATIVES: dict = {}


def body_derivative(spec: Spec, func) -> sp.Lambda:
    """f' of a function defined by a body, as a teacher writes it: SymPy differentiates the body (a closed
    form in one variable), and the result is folded back into f (σ' = σ(1 − σ), tanh' = 1 − tanh²);
    a jump of a step function is an indicator (relu' = [u > 0])."""
    key = (id(spec), func)
    if key not in _BODY_DERIVATIVES or _BODY_DERIVATIVES[key][0] is not spec:
        u = sp.Dummy("u", real=True)
        derivative = sp.diff(spec.functions[func].body(u), u)
        derivative = derivative.replace(sp.Heaviside, lambda a, *rest: Iverson(sp.Gt(a, 0)))
        derivative = tidy(fold.fold_function_definitions(derivative, spec), spec)
        _BODY_DERIVATIVES[key] = (spec, sp.Lambda(u, derivative))
    return _BODY_DERIVATIVES[key][1]


# Keyed by the spec object, not its id: specs built in memory (tests, a teacher's notebook) may share ids.
_derived: dict[tuple[int, str], tuple[Spec, Derivation]] = {}
_in_progress: set[tuple[int, str]] = set()


def _available(spec: Spec, part_id: str) -> bool:
    return (id(spec), part_id) not in _in_progress


@dataclass
class Context:
    """What the rules may ask while deriving one part."""

    spec: Spec
    part: Part
    used: set[str] = field(default_factory=set)
    rules_used: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    citations: list[str] = field(default_factory=list)
    step_citations: list[str] = field(default_factory=list)
    step_sources: list[str] = field(default_factory=list)  # the same, as full `problem/part` ids
    inherited: list = field(default_factory=list)
    _depends: dict = field(default_factory=dict)

    # -- bookkeeping ---------------------------------------------------------
    def record(self, rule: Rule) -> None:
        if rule.name not in self.rules_used:
            self.rules_used.append(rule.name)
            self.notes.append(rule.note)

    def cite(self, spec: Spec, part_id: str) -> None:
        """Record a derived result used; its assumptions become this part's too."""
        citation = part_id if spec is self.spec else f"{spec.id}/{part_id}"
        if citation not in self.citations:
            self.citations.append(citation)
            self.inherited.extend(derive(spec, part_id).assumptions)
        if citation not in self.step_citations:
            self.step_citations.append(citation)
            self.step_sources.append(f"{spec.id}/{part_id}")

    # -- dependency ------------------------------------------------------------
    def depends(self, expr: sp.Expr, wrt: sp.Expr, fixed=()) -> bool:
        base = wrt.base if isinstance(wrt, sp.Indexed) else wrt
        key = (expr, base, tuple(fixed))
        if key not in self._depends:
            self._depends[key] = self._compute_depends(expr, base, set(fixed))
        return self._depends[key]

    def _compute_depends(self, expr, base, fixed) -> bool:
        for atom in expr.atoms(sp.Indexed, sp.Symbol):
            key = atom.base if isinstance(atom, sp.Indexed) else atom
            if key == base:
                return True
            if key in fixed:
                continue
            definition = self.spec.definitions.get(key)
            if definition is not None and self.depends(definition.body, base, tuple(fixed)):
                return True
        return False

    # -- definitions -----------------------------------------------------------
    def definition_body(self, expr: sp.Expr):
        if isinstance(expr, sp.Indexed):
            definition = self.spec.definitions.get(expr.base)
            return instantiate(definition, expr.indices, self.used) if definition else None
        if isinstance(expr, sp.Symbol) and expr in self.spec.definitions:
            return instantiate(self.spec.definitions[expr], (), self.used)
        return None

    def _asks_for_derivative_of(self, func) -> bool:
        target = self.part.target
        return isinstance(target, D) and isinstance(target.expr, sp.Function) and target.expr.func == func

    def function_body(self, func):
        info = self.spec.functions.get(func)
        return info.body if info is not None else None

    def function_derivative(self, func):
        """(f' as a Lambda or a function, the part it comes from or None), or None to expand f instead."""
        info = self.spec.functions.get(func)
        if info is not None and info.body is None:
            return info.derivative, None
        if info is not None:
            if self._asks_for_derivative_of(func):
                return None  # this part derives f' itself, from f's definition
            found = lemmas.function_lemma(self.spec, func, info.body, _available, derive)
            return found if found is not None else (body_derivative(self.spec, func), None)
        if not isinstance(func, UndefinedFunction):
            z = sp.Symbol("z", real=True)
            return sp.Lambda(z, sp.diff(func(z), z)), None
        return None

    # -- derived results -------------------------------------------------------
    def _earlier_parts(self):
        for part in self.spec.parts:
            if part.id == self.part.id:
                return
            if isinstance(part.target, D) and _available(self.spec, part.id):
                yield part

    def earlier_result(self, node: D):
        for part in self._earlier_parts():
            wilds = {i: sp.Wild(f"w_{i.name}", properties=[lambda e: e.is_integer]) for i in part.free}
            found = node.match(part.target.xreplace(wilds))
            if found is None or not all(w in found for w in wilds.values()):
                continue
            answer = derive(self.spec, part.id).answer
            answer = freshen_bound(answer, self.used)
            return answer.xreplace({i: found[w] for i, w in wilds.items()}), part
        return None

    def cut(self, node: D):
        """An earlier part's ∂F/∂U through which ∂F/∂v can be routed."""
        if not isinstance(node.expr, sp.Symbol) or node.expr not in self.spec.definitions:
            return None
        candidates = []
        for part in self._earlier_parts():
            t = part.target
            if t.expr != node.expr or t.fixed or not isinstance(t.wrt, sp.Indexed):
                continue
            u = t.wrt.base
            v = node.wrt.base if isinstance(node.wrt, sp.Indexed) else node.wrt
            if u == v or u in node.fixed:
                continue
            if self.depends(t.wrt, node.wrt, node.fixed):
                candidates.append(part)
        nearest = [p for p in candidates
                   if not any(q is not p and self.depends(p.target.wrt, q.target.wrt) for q in candidates)]
        if not nearest:
            return None
        part = nearest[0]
        u = part.target.wrt
        fresh = [fresh_index(self.used) for _ in u.indices]
        answer = freshen_bound(derive(self.spec, part.id).answer, self.used)
        gradient = answer.xreplace(dict(zip(u.indices, fresh)))
        limits = [(f, 1, dim) for f, dim in zip(fresh, self.spec.shapes[u.base])]
        return gradient, u.base, part, limits

    def symbol_lemma(self, node: D):
        return lemmas.symbol_lemma(node, self.spec, self.depends, _available, self.used, derive)


def _expand_pass(expr: sp.Expr, ctx: Context) -> sp.Expr:
    def settle(e: sp.Expr) -> sp.Expr:
        for _ in range(100):
            pending = [n for n in sorted(e.atoms(D), key=sp.default_sort_key)
                       if any(r.trivial and r.applies(n, ctx) for r in RULES)]
            if not pending:
                return e
            e = e.xreplace({n: _apply(n) for n in pending})
        raise DerivationError("trivial rules did not settle")

    def _apply(node: D) -> sp.Expr:
        rule = rule_for(node, ctx)
        ctx.record(rule)
        return rule.apply(node, ctx)

    # Sorted: rule names and fresh index letters must not depend on hash order.
    nodes = sorted(expr.atoms(D), key=sp.default_sort_key)
    replaced = expr.xreplace({node: settle(_apply(node)) for node in nodes})
    return replaced


def _stages(ctx: Context, assumptions: list):
    spec = ctx.spec
    return (
        ("Kronecker collapse", "Σ_k δ_jk f_k = f_j", lambda e: collapse_kronecker(e, _ranges(spec), spec.dim_values)),
        ("bounds into the sum's limits", "Σ_k [a ≤ k ≤ b] f_k = Σ_{k=max(1,a)}^{min(n,b)} f_k",
         lambda e: indicators_into_limits(e, spec.dim_values)),
        ("exponential of a sum", "e^(a+b) = e^a e^b", fold.exp_of_sum),
        ("constant factors out of sums", "Σ_k c f_k = c Σ_k f_k", pull_constants),
        ("fold back into the definitions", "e^(x_i) / Σ_k e^(x_k) = σ_i",
         lambda e: fold.fold_quotient_definitions(e, spec)),
        ("fold back into the definitions", "replace a definition's body by its name",
         lambda e: fold.refold_definitions(e, spec)),
        ("apply the assumption", "; ".join(a.text for a in spec.assumptions),
         lambda e: fold.apply_assumptions(e, spec, assumptions)),
        ("apply the assumption", "split the sum, then " + "; ".join(a.text for a in spec.assumptions),
         lambda e: fold.split_sums_for_assumptions(e, spec, assumptions)),
        ("fold back into the function", "express the result through the function itself",
         lambda e: fold.fold_function_definitions(e, spec)),
        ("simplify", "cancel, factor, and collect", lambda e: tidy(e, spec)),
        ("split the sums", "Σ_k (a_k + b_k) = Σ_k a_k + Σ_k b_k, then fold back into the definitions",
         lambda e: fold.split_sums_and_fold(e, spec, lambda f: tidy(f, spec))),
        ("fold back into the definitions", "an input written through the quantity it defines",
         lambda e: fold.fold_by_solving(e, spec, lambda f: tidy(f, spec))),
    )


def _ranges(spec: Spec) -> dict:
    """Each index letter of the problem runs over 1..its dimension."""
    return {index: (sp.S.One, dim) for index, dim in spec.index_range.items()}


def _preferred(spec: Spec) -> dict:
    """Index letters to prefer for a sum, by its upper bound (the declared ranges first)."""
    by_range: dict = {}
    for symbol, dim in spec.index_range.items():
        by_range.setdefault(dim, []).append(symbol.name)
    return {dim: list(dict.fromkeys(names + PREFERRED)) for dim, names in by_range.items()}


def derive(spec: Spec, part_id: str) -> Derivation:
    """Derive one part of a problem (memoised for the process)."""
    key = (id(spec), part_id)
    if key in _derived and _derived[key][0] is spec:
        return _derived[key][1]
    if key in _in_progress:
        raise DerivationError(f"{spec.id}/{part_id} depends on itself")
    _in_progress.add(key)
    try:
        result = _derive(spec, spec.part_by_id(part_id))
    finally:
        _in_progress.discard(key)
    _derived[key] = (spec, result)
    return result


def _derive(spec: Spec, part: Part) -> Derivation:
    ctx = Context(spec, part)
    steps: list[Step] = []
    expr = part.target
    assumptions: list[Assumption] = []
    # Base, scalar and function names are never reused as index letters.
    spec_names = {str(k) for k in spec.names if k not in spec.index_range}

    while expr.has(D):
        if len(steps) >= MAX_STEPS:
            raise DerivationError(f"{spec.id}/{part.id}: no answer after {MAX_STEPS} steps")
        ctx.used = names_in(expr) | spec_names
        ctx.rules_used, ctx.notes, ctx.step_citations, ctx.step_sources = [], [], [], []
        expr = _expand_pass(expr, ctx)
        expr = cancel_contents(fold.refold_definitions(expr, spec))
        note = "; ".join(ctx.notes + [f"from part {c}" for c in ctx.step_citations])
        steps.append(Step("; ".join(ctx.rules_used), note, expr, tuple(ctx.step_sources)))

    stages = _stages(ctx, assumptions)
    changed = True
    while changed:
        changed = False
        for name, note, stage in stages:
            new = stage(expr)
            if new != expr:
                expr = cancel_contents(new)
                steps.append(Step(name, note, expr))
                changed = True
                break
        if len(steps) > MAX_STEPS:
            raise DerivationError(f"{spec.id}/{part.id}: simplification does not settle")

    avoid = {s.name for s in part.free} | spec_names
    preferred = _preferred(spec)
    steps = [Step(s.rule, s.note, rename_bound_nicely(s.expr, avoid, preferred), s.cites) for s in steps]
    answer = steps[-1].expr if steps else expr
    assumptions = list(dict.fromkeys(ctx.inherited + assumptions))
    return Derivation(spec, part, part.target, tuple(steps), answer, tuple(assumptions),
                      domain_conditions(answer, spec), tuple(ctx.citations))


def derive_all(spec: Spec) -> list[Derivation]:
    """Every part of a problem, derived."""
    return [derive(spec, part.id) for part in spec.parts]
