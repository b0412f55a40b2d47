"""Checks that a loaded spec is well formed, with messages naming file and problem."""
from __future__ import annotations

import sympy as sp

from .errors import SpecError
from .spec import D, Spec


def validate(spec, header) -> None:
    where = f"{header.path.name} ({header.id})"

    def fail(message: str):
        raise SpecError(f"{where}: {message}")

    if not isinstance(spec, Spec):
        fail("the module must define SPEC = Spec(...)")
    if spec.id != header.id:
        fail(f"SPEC.id is {spec.id!r}")
    if not spec.parts:
        fail("no parts")
    ids = [p.id for p in spec.parts]
    if len(set(ids)) != len(ids):
        fail(f"duplicate part ids in {ids}")
    for part in spec.parts:
        if not isinstance(part.target, sp.Expr):
            fail(f"part {part.id}: target is not an expression")
        for name, expr in (("target", part.target), ("reference", part.reference)):
            stray = [s for s in expr.free_symbols
                     if s in spec.index_range and s not in part.free]
            if stray:
                fail(f"part {part.id}: {name} has free indices {stray} not declared in free=")
        if not part.target.has(D) and not part.target.free_symbols:
            fail(f"part {part.id}: target is a constant")
    for key, definition in spec.definitions.items():
        if key not in spec.names:
            fail(f"definition of undeclared symbol {key}")
        if definition.body.has(D):
            fail(f"definition of {key} contains a derivative")
