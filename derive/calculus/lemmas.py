"""Derived results reused as rules: the "layer rules" a person applies.

A part whose target is ∂q_i/∂x_j for a defined q (the softmax Jacobian) or
f'(z) for a defined function (σ' = σ(1 − σ)) becomes a rule for the other
parts of the same problem that meet a quantity defined the same way:
definitions are compared after full expansion, up to the names of bases,
indices and dimensions. Results are derived on demand, never written down in
a spec, and never borrowed from another problem of the library.
"""
from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from ..problem.spec import D, Spec, pending
from .expand import bases_in, expand_definitions
from .indices import canonical_bound, fresh_index, freshen_bound

_U = sp.IndexedBase("_U")
_DIM = sp.Symbol("_n", integer=True, positive=True)


def shape_key(expr: sp.Expr, spec: Spec, input_base, params) -> sp.Expr:
    """A canonical form of `expr` in terms of `input_base`, for matching definitions."""
    expanded = expand_definitions(expr, spec, stop={input_base})
    renamed = expanded.xreplace({input_base: _U})
    renamed = renamed.xreplace({p: sp.Symbol(f"_p{k}", integer=True) for k, p in enumerate(params)})
    renamed = canonical_bound(renamed)
    dims = {s for s in renamed.atoms(sp.Symbol) if s.is_positive and s.is_integer}
    return renamed.xreplace({d: _DIM for d in dims})


@dataclass(frozen=True)
class SymbolLemma:
    spec: Spec
    part_id: str
    quantity: object  # the defined base or symbol q of ∂q/∂x
    params: tuple
    input_base: object
    key: sp.Expr


@dataclass(frozen=True)
class FunctionLemma:
    spec: Spec
    part_id: str
    func: type
    body: sp.Lambda
    variable: sp.Symbol


def _quantity(expr):
    if isinstance(expr, sp.Indexed):
        return expr.base, tuple(expr.indices)
    return expr, ()


def library(spec: Spec) -> tuple[tuple[SymbolLemma, ...], tuple[FunctionLemma, ...]]:
    """The layer rules of one problem: every part of it that derives ∂q/∂x or f'(z) of a definition.

    Only the problem's own parts: a derivation never depends on which other
    problems happen to be in the library.
    """
    key = id(spec)
    if key not in _LIBRARIES or _LIBRARIES[key][0] is not spec:
        _LIBRARIES[key] = (spec, _lemmas_of(spec))
    return _LIBRARIES[key][1]


_LIBRARIES: dict = {}


def _lemmas_of(spec: Spec) -> tuple[tuple[SymbolLemma, ...], tuple[FunctionLemma, ...]]:
    symbols, functions = [], []
    for part in spec.parts:
        target = part.target
        if not isinstance(target, D) or target.fixed:
            continue
        f, v = target.expr, target.wrt
        if isinstance(f, sp.Function) and f.func in spec.functions and f.args == (v,):
            body = spec.functions[f.func].body
            if body is not None and isinstance(v, sp.Symbol):
                functions.append(FunctionLemma(spec, part.id, f.func, body, v))
            continue
        quantity, params = _quantity(f)
        if quantity in spec.definitions and isinstance(v, sp.Indexed) and len(v.indices) == 1:
            key = shape_key(f, spec, v.base, params)
            symbols.append(SymbolLemma(spec, part.id, quantity, params, v.base, key))
    return tuple(symbols), tuple(functions)


def function_lemma(spec: Spec, func, body, available, derive):
    """(Lambda of the derivative, citation) for a function defined as `body`, from a part of `spec` that
    derives it; `derive(spec, part_id)` derives that part."""
    for lemma in library(spec)[1]:
        if lemma.func == func and lemma.body == body and available(lemma.spec, lemma.part_id):
            answer = derive(lemma.spec, lemma.part_id).answer
            return sp.Lambda(lemma.variable, answer), (lemma.spec, lemma.part_id)
    return None


def _translate_bases(answer, lemma: SymbolLemma, spec: Spec, intermediate):
    """Map the lemma's defined quantities to this problem's quantities defined the same way."""
    mapping = {lemma.input_base: intermediate, lemma.quantity: None}
    for base in bases_in(answer, lemma.spec):
        if base in mapping or base not in lemma.spec.definitions:
            continue
        params = lemma.spec.definitions[base].params
        wanted = shape_key(lemma.spec.definitions[base].lhs, lemma.spec, lemma.input_base, params)
        match = None
        for candidate, definition in spec.definitions.items():
            if len(definition.params) == len(params) and \
                    shape_key(definition.lhs, spec, intermediate, definition.params) == wanted:
                match = candidate
                break
        if match is None:
            return None
        mapping[base] = match
    return mapping


_SHAPE_KEYS: dict = {}


def _cached_shape_key(expr, spec: Spec, intermediate, params) -> sp.Expr:
    """shape_key, remembered per spec object (a derivation asks the same question at every step)."""
    key = (id(spec), expr, intermediate, params)
    hit = _SHAPE_KEYS.get(key)
    if hit is None or hit[0] is not spec:
        hit = _SHAPE_KEYS[key] = (spec, shape_key(expr, spec, intermediate, params))
        if len(_SHAPE_KEYS) > 4096:
            _SHAPE_KEYS.pop(next(iter(_SHAPE_KEYS)))
    return hit[1]


def symbol_lemma(node: D, spec: Spec, depends, available, used: set[str], derive):
    """∂q/∂v for a defined q by a derived rule, directly or through an intermediate."""
    quantity, params = _quantity(node.expr)
    lemmas = [lemma for lemma in library(spec)[0] if available(lemma.spec, lemma.part_id)]
    if quantity not in spec.definitions or not lemmas:
        return None
    # Walk the definition chain breadth-first: the nearest intermediate first.
    for intermediate in _chain(node.expr, spec):
        if intermediate in node.fixed or intermediate not in spec.shapes:
            continue
        if len(spec.shapes[intermediate]) != 1:
            continue
        key = _cached_shape_key(node.expr, spec, intermediate, params)
        for lemma in lemmas:
            if lemma.key != key:
                continue
            entry_var = node.wrt.base if isinstance(node.wrt, sp.Indexed) else node.wrt
            direct = intermediate == entry_var
            if not direct and not depends(sp.Indexed(intermediate, sp.Symbol("_probe", integer=True)),
                                          node.wrt, node.fixed):
                continue
            derivation = derive(lemma.spec, lemma.part_id)
            mapping = _translate_bases(derivation.answer, lemma, spec, intermediate)
            if mapping is None:
                continue
            mapping[lemma.quantity] = quantity
            target = lemma.spec.part_by_id(lemma.part_id).target
            lemma_params = lemma.params
            lemma_wrt_index = target.wrt.indices[0]
            index = node.wrt.indices[0] if direct else fresh_index(used)
            index_map = dict(zip(lemma_params, params))
            index_map[lemma_wrt_index] = index
            dims_map = {lemma.spec.shapes[lemma.input_base][0]: spec.shapes[intermediate][0]}
            answer = freshen_bound(derivation.answer, used)
            answer = answer.xreplace(mapping).xreplace(index_map).xreplace(dims_map)
            citation = (lemma.spec, lemma.part_id)
            if direct:
                return answer, citation
            limit = (index, 1, spec.shapes[intermediate][0])
            return sp.Sum(answer * pending(sp.Indexed(intermediate, index), node.wrt, node.fixed),
                          limit), citation
    return None


def _chain(expr, spec: Spec):
    """The bases `expr` depends on, ordered by how many definitions lie between."""
    order = []
    frontier = [expr]
    seen = set()
    while frontier:
        nxt = []
        for e in frontier:
            quantity, _ = _quantity(e)
            definition = spec.definitions.get(quantity)
            body = definition.body if definition else e
            for base in sorted(bases_in(body, spec), key=str):
                if base in seen or base == quantity:
                    continue
                seen.add(base)
                order.append(base)
                if base in spec.definitions:
                    nxt.append(spec.definitions[base].lhs)
        frontier = nxt
    return order
