"""Checks that a loaded spec is well formed; each failure is a `SpecError` naming what to change."""
from __future__ import annotations

import sympy as sp

from ..errors import SpecError
from .headers import Header
from .sampling import SAMPLE_KINDS
from .spec import D, Spec


def check_well_formed(spec: object, header: Header) -> None:
    """Raise SpecError for the first thing that makes `spec` unusable (its file is `header.path`)."""
    if not isinstance(spec, Spec):
        raise SpecError("the module must define SPEC = Spec(...)")
    if spec.id != header.id:
        raise SpecError(f"SPEC.id is {spec.id!r} but the header says {header.id!r}")
    if not spec.parts:
        raise SpecError("no parts: add SPEC.part(...)")
    ids = [p.id for p in spec.parts]
    if len(set(ids)) != len(ids):
        raise SpecError(f"duplicate part ids in {ids}")
    for dim, value in spec.dim_values.items():
        unknown = sorted(str(s) for s in value.free_symbols if s not in spec.names or s in spec.index_range)
        if unknown or dim in value.free_symbols:
            raise SpecError(f"dimension {dim} = {value}: a value is made of other dimensions "
                            f"({', '.join(unknown) or dim} is not one)")
    for base, kind in spec.samplers.items():
        if kind not in SAMPLE_KINDS:
            raise SpecError(f"{base}: unknown sample={kind!r}; use one of {', '.join(SAMPLE_KINDS)}")
    for base, label in spec.labels.items():
        if spec.samplers.get(base) not in ("onehot", "onehot-rows"):
            raise SpecError(f"{base}: labels={label!r} belongs to a one-hot tensor (sample='onehot' or 'onehot-rows')")
        spelled = {s for name in spec.names.values() for s in (name.text, name.latex, *name.aliases)}
        if label in spelled or label in {str(getattr(key, "label", key)) for key in spec.names}:
            raise SpecError(f"{base}: the label name {label!r} is already a name of the problem")
    declared = {key for key in spec.names if isinstance(key, sp.Symbol)}
    declared |= {key.label for key in spec.names if isinstance(key, sp.IndexedBase)}
    for part in spec.parts:
        if not isinstance(part.target, sp.Expr):
            raise SpecError(f"part {part.id}: target is not an expression")
        expressions = [("target", part.target), ("reference", part.reference)]
        expressions += [(f"mistake {m.why!r}", m.answer) for m in part.mistakes]
        for name, expr in expressions:
            foreign = sorted(str(s) for s in expr.free_symbols if isinstance(s, sp.Symbol) and s not in declared)
            if foreign:
                raise SpecError(f"part {part.id}: the {name} uses {', '.join(foreign)}, which the spec does not "
                                f"declare (use the symbols SPEC.scalar/tensor/indices return, not strings)")
        for name, expr in (("target", part.target), ("reference", part.reference)):
            stray = sorted(str(s) for s in expr.free_symbols if s in spec.index_range and s not in part.free)
            if stray:
                raise SpecError(f"part {part.id}: the {name} has free indices {', '.join(stray)}; "
                                f"add them to free=")
        if not part.target.has(D) and not part.target.free_symbols:
            raise SpecError(f"part {part.id}: the target is a constant")
    for key, definition in spec.definitions.items():
        if key not in spec.names:
            raise SpecError(f"definition of undeclared symbol {key}")
        if definition.body.has(D):
            raise SpecError(f"the definition of {key} contains a derivative")
