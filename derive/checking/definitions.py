"""A student's own names: "Let $g_i = e^{x_i}$", "where $h := \\sum_k e^{x_k}$", "Denote ...".

A chain defines a name when its first side is joined by a definition sign
(`:=`, `\\coloneqq`, `≔`, `\\triangleq`), or when the prose before it ends
with "let", "where", "denote", "define", "given" or "with" and its first side
is a name the problem does not know: a letter (or a Greek letter), with index
subscripts that are the problem's index letters (`g_i`, `h`, `u_{ij}`). The
definition is the first later side that reads. Each name becomes a quantity
of a copy of the problem's spec, with the student's body as its definition,
so every later side reads it and the checker evaluates and differentiates
through it exactly as through the problem's own definitions. Names are
collected from the whole file first, in order (a "where" follows its use),
each read with the names before it.

A name the problem already has is not redefined: such a chain is judged as a
step, as before.
"""
from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass

import sympy as sp

from ..parsing import ParseError, Vocabulary
from ..parsing.chains import Chain, rename
from ..parsing.lexer import normalize_spelling
from ..problem.spec import Definition, Name, Part, Spec

MAX_DEFINITIONS = 50  # names a submission may define

_DEFINING = re.compile(r"\b(?:given|let|where|denote|define|defined\s+as|with|set|put)\s*:?\s*$", re.I)
#: `g`, `g_i`, `g_{ij}`, `\alpha_k`: a letter and index letters
_NAME = re.compile(r"(?P<name>\\[A-Za-z]+|[A-Za-zα-ωΑ-Ω](?:')?)\s*"
                   r"(?:_\s*(?:\{\s*(?P<braced>[A-Za-z](?:\s*,?\s*[A-Za-z]){0,2})\s*\}|(?P<bare>[A-Za-z])))?")


@dataclass(frozen=True)
class StudentName:
    """A name the student defined: where, how it is written, and what it stands for."""

    line: int
    text: str  # as written: `g_i`
    body: str  # the side that defines it, as written
    symbol: sp.Basic  # the quantity in the extended spec (IndexedBase or Symbol)


def is_definition(chain: Chain) -> bool:
    """Is the chain's first link a definition (a sign or the prose before it says so)?"""
    return chain.sides[1].defines or bool(_DEFINING.search(chain.before))


def define_names(spec: Spec, chains: list[Chain], part: Part | None,
                 read: Callable[[str, Spec, Part], sp.Expr]) -> tuple[Spec, list[StudentName], set[int]]:
    """The spec extended by the names the student defines, those names, and the positions in `chains` of the
    chains that only define (they are no steps)."""
    found: list[StudentName] = []
    only: set[int] = set()
    vocab_part = part or spec.parts[0]
    for n, chain in enumerate(chains):
        if len(found) >= MAX_DEFINITIONS or not is_definition(chain):
            continue
        head = _NAME.fullmatch(chain.sides[0].text.strip())
        if head is None or _known(chain.sides[0].text, spec, vocab_part, read):
            continue
        letters = re.sub(r"[\s,]", "", head.group("braced") or head.group("bare") or "")
        params = tuple(_index(spec, c) for c in letters)
        if any(p is None for p in params) or len(set(letters)) != len(letters):
            continue
        for side in chain.sides[1:]:
            try:
                body = read(side.text, spec, vocab_part)
            except ParseError:
                continue
            free = {s for s in body.free_symbols if s in spec.index_range}
            if not free <= set(params):
                break  # g_i = x_j: the body has an index the name does not
            spec = _extended(spec, head.group("name"), params, body)  # type: ignore[arg-type]
            symbol = next(reversed(spec.definitions))
            found.append(StudentName(chain.sides[0].line, chain.sides[0].text, side.text, symbol))
            if len(chain.sides) == 2:
                only.add(n)
            break
    return spec, found, only


def _known(text: str, spec: Spec, part: Part, read: Callable) -> bool:
    """Does the problem already have this name (or does the side read as something else than a name)?"""
    try:
        read(text, spec, part)
    except ParseError as exc:
        return "unknown name" not in str(exc)
    return True


def _index(spec: Spec, letter: str) -> sp.Symbol | None:
    return next((s for s in spec.index_range if s.name == letter), None)


def _extended(spec: Spec, name: str, params: tuple[sp.Symbol, ...], body: sp.Expr) -> Spec:
    """A copy of `spec` with one more defined quantity."""
    label = name.lstrip("\\")
    taken = {str(k) for k in (*spec.names, *spec.shapes, *spec.definitions)}
    unique = label
    while unique in taken:
        unique += "_"
    new = dataclasses.replace(spec, names=dict(spec.names), shapes=dict(spec.shapes),
                              samplers=dict(spec.samplers), definitions=dict(spec.definitions))
    if params:
        base = sp.IndexedBase(unique, real=True)
        lhs: sp.Expr = base[params]
        key: sp.Basic = base
        new.shapes[base] = tuple(spec.index_range[p] for p in params)
    else:
        key = lhs = sp.Symbol(unique, real=True)
        new.shapes[key] = ()
    new.names[key] = Name(name if name.startswith("\\") else label, label, ())
    new.samplers[key] = "real"
    new.definitions[key] = Definition(lhs, params, body)
    return new


#: `\ell(\mathbf{z}, \mathbf{t})`: a name applied to argument names
_CALL = re.compile(r"(?P<head>\\?[A-Za-z]+|[α-ωΑ-Ωℓ])\s*\((?P<args>[^()]{1,80})\)")
_BOLD = re.compile(r"\\(?:mathbf|boldsymbol|bm|vec|mathbold)\s*\{\s*([^{}]*?)\s*\}")


def parameter_names(spec: Spec, chains: list[Chain], part: Part | None, read: Callable,
                    same: Callable[[Spec, Part, sp.Expr, sp.Expr], bool]) -> list[tuple[str, str]]:
    """The student's names for a quantity's inputs, from a definition written as a function of them:
    "Let $\\ell(z, t) = -\\sum_i t_i \\ln z_i$" where the problem's ℓ is built from p and t makes z the
    student's p. A name is taken when its definition, so renamed, equals the problem's (numerically at random
    points); the pairs (the student's name, the problem's) apply to the whole file."""
    pairs: list[tuple[str, str]] = []
    vocab_part = part or spec.parts[0]
    vocab = Vocabulary.from_spec(spec, vocab_part)
    for chain in chains:
        if len(pairs) >= MAX_DEFINITIONS or not is_definition(chain):
            continue
        call = _CALL.fullmatch(_BOLD.sub(r"\1", chain.sides[0].text).strip())
        if call is None:
            continue
        try:
            quantity = read(call.group("head"), spec, vocab_part)
        except ParseError:
            continue
        inputs = vocab.inputs.get(quantity)
        args = [a.strip() for a in call.group("args").split(",")]
        if not inputs or not all(re.fullmatch(r"\\?[A-Za-z]+", a) for a in args):
            continue
        known = {a: {e.obj for e in vocab.lookup(vocab.surfaces.get(normalize_spelling(a), ""))
                     if e.kind in ("tensor", "scalar")} for a in args}
        unknown = [a for a in args if not known[a]]
        left = [q for q in inputs if not any(q in objs for objs in known.values()) and q in spec.shapes]
        if len(unknown) != 1 or not left:
            continue
        for candidate in left:
            trial = [*pairs, (unknown[0], spec.names[candidate].text)]
            try:
                body = read(rename(chain.sides[1].text, trial), spec, vocab_part)
            except ParseError:
                continue
            if same(spec, vocab_part, quantity, body):
                pairs = trial
                break
    return pairs


_SUM_UPPER = re.compile(r"(?:\\sum|Σ)\s*_\s*\{\s*([A-Za-z])\s*=\s*1\s*\}\s*\^\s*(?:\{\s*([A-Za-z])\s*\}|([A-Za-z]))")


def dimension_names(spec: Spec, chains: list[Chain]) -> list[tuple[str, str]]:
    """The student's names for the problem's dimensions: `\\sum_{j=1}^N` where N is no name of the problem and
    j runs over 1..n (or n is the problem's only dimension) makes N the student's n, also in `v_N`. A letter
    that would stand for two dimensions is left alone."""
    dims = set(spec.index_range.values())
    taken = {str(k) for k in (*spec.names, *spec.shapes, *spec.index_range)} | \
        {spec.names[k].text for k in spec.names}
    seen: dict[str, set] = {}
    for chain in chains:
        for side in chain.sides:
            for m in _SUM_UPPER.finditer(side.text):
                letter, upper = m.group(1), m.group(2) or m.group(3)
                if upper in taken:
                    continue
                index = next((i for i in spec.index_range if str(i) == letter), None)
                dim = spec.index_range[index] if index is not None else next(iter(dims)) if len(dims) == 1 else None
                if dim is not None:
                    seen.setdefault(upper, set()).add(dim)
    return [(upper, spec.names[next(iter(found))].text) for upper, found in seen.items() if len(found) == 1]
