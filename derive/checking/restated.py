r"""Links that restate a definition: "With $A_2 = \max(0, Z_2)$ ...", `\sigma_i = e^{x_i}/\sum_k e^{x_k}`.

Students begin by restating the forward pass. A chain whose first side is a
quantity the problem defines (or one the student defined: "Let $g = …$"),
as a matrix (`A_2`), an entry (`A_{2,nj}`, with any index letters of the
right ranges, or a literal entry `A_{2,11}`) or a scalar (`J`, `\ell(z, t)`),
is about that quantity: its sides are read at the quantity's own indices
(`Restatement.part`, a part of the quantity's entry made for reading), not
at the part's, so that `\max(0, Z_2)` reads in ∂J/∂W_1 as it does in ∂J/∂Z_2.
Its first link is then a definition: it follows when the other side equals
the definition's body in any form (`relu(Z_2)`, `\max(Z_2, 0)`, entry-wise
or as a matrix), at the points where every link is judged, and says so
(`rule` "definition"); a side that is not the definition does not follow, with
"this is not the problem's definition of A2 (A2 = relu(Z2))". Later links of
such a chain are steps like any other.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import sympy as sp

from ..parsing import ParseError
from ..printing import text as show
from ..problem.spec import Part, Spec
from .definitions import StudentName
from .sides import read_side

MAX_NAME = 80  # characters of a side that may be a name (longer ones are not tried at each definition)


@dataclass(frozen=True)
class Restatement:
    """A chain about a defined quantity: its entry as written, and the spec and part to read its sides with."""

    quantity: sp.Basic  # the IndexedBase or Symbol the spec defines
    entry: sp.Expr  # as the first side reads: A2[n, j], A2[1, 1], J
    reading: Spec = field(repr=False)  # the spec with `part` among its parts (a vocabulary is made for a spec's part)
    part: Part = field(repr=False)


_PARTS: dict = {}
CACHED = 64  # (spec, quantity, indices) kept: a submission's own names make specs of their own


def entry_part(spec: Spec, quantity: sp.Basic, indices: tuple) -> tuple[Spec, Part]:
    """The spec extended by a part whose target is the quantity's entry at `indices` (its free indices those of
    them that are letters), to read sides about that entry; cached."""
    key = (id(spec), quantity, indices)
    hit = _PARTS.get(key)
    if hit is not None and hit[0] is spec:
        return hit[1]
    definition = spec.definitions[quantity]
    entry = quantity[indices] if indices else quantity
    body = definition.body.xreplace(dict(zip(definition.params, indices)))
    free = tuple(i for i in indices if i in spec.index_range)
    part = Part(f"definition of {quantity}", "", entry, body, free, False, ())
    reading = dataclasses.replace(spec, parts=[*spec.parts, part])
    _PARTS[key] = (spec, (reading, part))
    while len(_PARTS) > CACHED:
        _PARTS.pop(next(iter(_PARTS)))
    return reading, part


def _named(spec: Spec, expr: sp.Expr) -> tuple[sp.Basic, tuple] | None:
    """(quantity, indices) when `expr` is a defined quantity's entry by itself: distinct index letters of the
    right ranges, or whole numbers; None otherwise."""
    if isinstance(expr, sp.Symbol) and expr in spec.definitions and spec.shapes.get(expr, ()) == ():
        return expr, ()
    if not isinstance(expr, sp.Indexed) or expr.base not in spec.definitions:
        return None
    indices = tuple(expr.indices)
    shape = spec.shapes.get(expr.base, ())
    letters = [i for i in indices if not i.is_Integer]
    if len(indices) != len(shape) or len(set(letters)) != len(letters):
        return None
    if any(i not in spec.index_range or spec.index_range[i] != dim for i, dim in zip(indices, shape)
           if not i.is_Integer):
        return None
    return expr.base, indices


def restated(text: str, spec: Spec, part: Part, names: list | None = None) -> Restatement | None:
    """The quantity a chain's first side names, with what to read the chain with; None when the side is not a
    defined quantity by itself (an expression, a derivative, a name the problem does not define)."""
    if "partial" in text or "∂" in text or len(text) > MAX_NAME:
        return None
    try:
        found = _named(spec, read_side(text, spec, part, names))
    except ParseError:  # a matrix of other dimensions than the part's (A_2 in ∂J/∂W_1): read at its own
        found = None
        for quantity, definition in spec.definitions.items():
            if not definition.params:
                continue
            reading, own = entry_part(spec, quantity, definition.params)
            try:
                found = _named(spec, read_side(text, reading, own, names))
            except ParseError:
                continue
            break
    if found is None:
        return None
    quantity, indices = found
    reading, own = entry_part(spec, quantity, indices)
    return Restatement(quantity, own.target, reading, own)


def definition_words(spec: Spec, restatement: Restatement, student: StudentName | None) -> str:
    """The definition being restated, as the text printer shows it: `A2_nj = relu(Z2_nj)`."""
    if student is not None:
        return f"{student.text} = {student.body}"
    return f"{show(restatement.entry, spec)} = {show(restatement.part.reference, spec)}"


def not_the_definition(spec: Spec, restatement: Restatement, student: StudentName | None) -> str:
    """Why a side that restates a definition wrongly does not follow."""
    name = show(restatement.quantity, spec)
    words = definition_words(spec, restatement, student)
    if student is not None:
        return f"this is not {name} as defined on line {student.line} ({words})"
    return f"this is not the problem's definition of {name} ({words})"
