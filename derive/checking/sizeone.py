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
(`∂/∂a²(a²w² + b²)`), unless every derivative of the link is one of a name by a
name: `∂J/∂z³ · ∂z³/∂w² = ∂J/∂a³ · ∂a³/∂z³ · ∂z³/∂w²` is a chain rule, and
holds or not by what depends on what. Such a link is judged in a network of
the same shape in which each defined quantity is a generic smooth function of
the quantities its definition reads (fixed random coefficients): the chain
rule holds there exactly where the dependencies make it hold, and a factor
such as ∂a²/∂z³, where a² does not depend on z³, is 0. The definitions still
tell the reader that `ψ(z³)` is Ψ written with its input.
"""
from __future__ import annotations

import dataclasses
import random

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
    chained: Spec  # each defined quantity a generic function of what its definition reads
    defined: Spec  # the problem's own definitions at size one (where a link restates one: `A_2 = \max(0, X)`)
    scalars: dict  # the problem's tensor -> its number at size one
    ones: dict  # each dimension -> 1
    reads: dict  # each defined quantity -> what its definition reads (at size one)


_CACHE: dict = {}
CACHED = 32  # specs kept (a submission's own names make a spec of their own: a server sees many)


def size_one(spec: Spec) -> SizeOne:
    hit = _CACHE.get(id(spec))
    if hit is not None and hit[0] is spec:
        return hit[1]
    scalars = {base: sp.Symbol(str(base.label), real=True) for base in spec.shapes if isinstance(base, sp.IndexedBase)}
    names = {scalars.get(key, key): name for key, name in spec.names.items() if key not in spec.index_range}
    shapes = {scalars.get(key, key): () for key in spec.shapes}
    samplers = {scalars.get(key, key): ("real" if kind.startswith("onehot") else kind)
                for key, kind in spec.samplers.items()}
    reads = {scalars.get(key, key): sorted((scalars.get(b, b) for b in _inputs(spec, d.body)
                                            if scalars.get(b, b) in shapes and b != key), key=str)
             for key, d in spec.definitions.items()}
    # for reading only (`ψ(z³)` is Ψ with its input): what each quantity is built from, not its value
    definitions = {q: Definition(q, (), sp.Add(*inputs, evaluate=False)) for q, inputs in reads.items()}
    rng = random.Random(f"size one/{spec.id}")
    generic = {q: Definition(q, (), _generic(inputs, rng)) for q, inputs in reads.items()}
    dims = set(spec.index_range.values()) | {d for shape in spec.shapes.values() for d in shape} | set(spec.dim_values)
    ones = {d: sp.Integer(1) for d in dims}
    own = {scalars.get(key, key): Definition(scalars.get(key, key), (), body) for key, d in spec.definitions.items()
           if (body := _collapsed(spec, d, scalars, ones)) is not None}
    reading, judging, chained, defined = (
        dataclasses.replace(spec, definitions=kept, names=names, shapes=shapes, samplers=samplers, index_range={},
                            dim_values={}, row_vectors=set(), labels={}, assumptions=[], parts=[])
        for kept in (definitions, {}, generic, own))
    found = SizeOne(reading, judging, chained, defined, scalars, ones, reads)
    _CACHE[id(spec)] = (spec, found)
    while len(_CACHE) > CACHED:
        _CACHE.pop(next(iter(_CACHE)))
    return found


def _collapsed(spec: Spec, definition: Definition, scalars: dict, ones: dict) -> sp.Expr | None:
    """A definition's body with every dimension and index 1 (a sum of one term is that term), in the numbers
    that stand for the tensors; None where it reads an entry that does not exist at size one (g_{j+1})."""
    body = definition.body.subs({**ones, **{i: sp.Integer(1) for i in spec.index_range}})
    body = body.replace(lambda e: isinstance(e, sp.Sum), lambda e: e.doit(deep=False))
    if body.has(sp.Sum) or any(not all(i == 1 for i in e.indices) for e in body.atoms(sp.Indexed)):
        return None
    return body.replace(lambda e: isinstance(e, sp.Indexed), lambda e: scalars[e.base])


def _generic(inputs: list, rng: random.Random) -> sp.Expr:
    """A smooth function of `inputs` with no special structure: tanh of a random quadratic."""
    def c() -> sp.Rational:
        return sp.Rational(rng.choice([-1, 1]) * rng.randint(1, 9), rng.randint(2, 9))

    linear = sum((c() * x for x in inputs), c())
    quadratic = sum((c() * x * y for k, x in enumerate(inputs) for y in inputs[k:]), sp.Integer(0))
    return sp.tanh(linear + quadratic / 4)


def _inputs(spec: Spec, expr: sp.Expr) -> set:
    """The tensors and scalars `expr` reads directly."""
    return {node.base if isinstance(node, sp.Indexed) else node for node in sp.preorder_traversal(expr)
            if isinstance(node, (sp.Indexed, sp.Symbol)) and (node.base if isinstance(node, sp.Indexed) else node)
            in spec.shapes}


SHOWN, CHAIN = "shown", "chain"


def read(text: str, spec: Spec) -> tuple[sp.Expr, str]:
    """A side at size one (derivatives pending) and how its derivatives are written: CHAIN when each is one of
    a name by a name (`∂J/∂a³ · ∂a³/∂z³`), SHOWN when each shows what it differentiates or there is none;
    ParseError when it does not read so, or mixes the two."""
    one = size_one(spec)
    value = parse_side(text, Vocabulary.from_spec(one.reading), matrix=True).index_form(()).xreplace(one.ones)
    nodes = value.atoms(D)
    named = [node.expr.is_Symbol and node.expr in one.reads for node in nodes]
    if nodes and all(named) and not value.xreplace({node: sp.Integer(1) for node in nodes}).free_symbols:
        return value, CHAIN  # derivatives of names and numbers only (what the others are is no chain rule)
    if any(named) or any(not node.expr.has(node.wrt) for node in nodes):  # -1/(N a³) ∂a³/∂z³: a value and a name
        raise ParseError("at size one a derivative shows what it differentiates, ∂/∂w (a w + b), or a side is "
                         "a chain rule of names, ∂J/∂z · ∂z/∂w", None, text)
    return value, SHOWN


def chain_words(spec: Spec, left: sp.Expr, right: sp.Expr) -> list[str]:
    """Why a chain rule of names fails: a factor ∂a/∂z where a does not depend on z (it is 0), or a left side
    ∂J/∂w where J depends on w along more routes than the one chain follows."""
    one = size_one(spec)

    def depends(q, v, seen=()) -> bool:
        return q == v or any(depends(x, v, (*seen, q)) for x in one.reads.get(q, ()) if x not in seen)

    words = [f"{_shown(spec, node.expr)} does not depend on {_shown(spec, node.wrt)}: "
             f"∂{_shown(spec, node.expr)}/∂{_shown(spec, node.wrt)} is 0"
             for side in (right, left) for node in sorted(side.atoms(D), key=str) if not depends(node.expr, node.wrt)]
    if isinstance(left, D):
        routes = [x for x in one.reads.get(left.expr, ()) if depends(x, left.wrt)]
        if len(routes) > 1:
            through = " and ".join("directly" if x == left.wrt else f"through {_shown(spec, x)}" for x in routes)
            words.append(f"{_shown(spec, left.expr)} depends on {_shown(spec, left.wrt)} {through}: "
                         f"one chain of factors leaves out the other routes")
    return words


def _shown(spec: Spec, symbol) -> str:
    name = size_one(spec).judging.names.get(symbol)
    return name.text if name else str(symbol)
