"""Index-free matrix steps read at size one: every matrix a number.

Students write backpropagation without indices: `∂J/∂b¹ = (ψ(z³) − Δ)/N ·
∂/∂a²(a²w² + b²) · ∂/∂z² φ(z²) · 1 = (ψ(z³) − Δ)/N · w² · φ(z²)` (seed 004).
The products do not multiply as matrices (their order and transposes are the
student's shorthand), so such a side has no entries to compare. What it does
have is a value when every dimension is 1: each matrix is then a number, a
product of them is an ordinary product and `∂/∂z² φ(z²)` is φ'(z²). An
identity between matrices holds in particular at size one, so a link that
fails there does not follow; a link that holds there is marked as holding at
size one only (`follows_if`, condition "every dimension 1"), since order and
transposes are not seen.

At size one each named matrix is an independent number: the problem's
definitions are not substituted (softmax over one class is 1, which would make
every gradient 0). A derivative must therefore show what it differentiates
(`∂/∂a²(a²w² + b²)`); one of a name by a name (`∂J/∂a³`) is not read here.
The definitions still tell the reader that `ψ(z³)` is Ψ written with its input.
"""
from __future__ import annotations

import dataclasses

import sympy as sp

from ..parsing import ParseError, Vocabulary
from ..parsing.derivatives import parse_side
from ..problem.spec import D, Definition, Spec

CONDITION = "every dimension 1"


@dataclasses.dataclass(frozen=True)
class SizeOne:
    """The problem at size one: `reading` (definitions kept, so `ψ(z³)` reads) and `judging` (none)."""

    reading: Spec
    judging: Spec
    scalars: dict  # the problem's tensor -> its number at size one
    ones: dict  # each dimension -> 1


_CACHE: dict = {}


def size_one(spec: Spec) -> SizeOne:
    hit = _CACHE.get(id(spec))
    if hit is not None and hit[0] is spec:
        return hit[1]
    scalars = {base: sp.Symbol(str(base.label), real=True) for base in spec.shapes if isinstance(base, sp.IndexedBase)}
    names = {scalars.get(key, key): name for key, name in spec.names.items() if key not in spec.index_range}
    shapes = {scalars.get(key, key): () for key in spec.shapes}
    samplers = {scalars.get(key, key): ("real" if kind.startswith("onehot") else kind)
                for key, kind in spec.samplers.items()}
    # for reading only (`ψ(z³)` is Ψ with its input): what each quantity is built from, not its value
    definitions = {scalars.get(key, key): Definition(scalars.get(key, key), (), sp.Add(*(
        scalars.get(b, b) for b in _inputs(spec, d.body) if scalars.get(b, b) in shapes), evaluate=False))
        for key, d in spec.definitions.items()}
    reading, judging = (dataclasses.replace(spec, definitions=kept, names=names, shapes=shapes, samplers=samplers,
                                            index_range={}, dim_values={}, row_vectors=set(), labels={},
                                            assumptions=[], parts=[]) for kept in (definitions, {}))
    dims = set(spec.index_range.values()) | {d for shape in spec.shapes.values() for d in shape} | set(spec.dim_values)
    found = SizeOne(reading, judging, scalars, {d: sp.Integer(1) for d in dims})
    _CACHE[id(spec)] = (spec, found)
    return found


def _inputs(spec: Spec, expr: sp.Expr) -> set:
    """The tensors and scalars `expr` reads directly."""
    return {node.base if isinstance(node, sp.Indexed) else node for node in sp.preorder_traversal(expr)
            if isinstance(node, (sp.Indexed, sp.Symbol)) and (node.base if isinstance(node, sp.Indexed) else node)
            in spec.shapes}


def read(text: str, spec: Spec) -> sp.Expr:
    """A side at size one (derivatives pending); ParseError when it does not read so, or when it holds a
    derivative that does not show what it differentiates."""
    one = size_one(spec)
    value = parse_side(text, Vocabulary.from_spec(one.reading), matrix=True).index_form(()).xreplace(one.ones)
    for node in value.atoms(D):
        if node.expr.is_Symbol or not node.expr.has(node.wrt):
            raise ParseError("at size one a derivative must show what it differentiates: "
                             "∂/∂w (a w + b), not ∂z/∂w", None, text)
    return value
