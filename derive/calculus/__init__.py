"""The derivation engine and its index algebra: a part's target -> named steps -> the teacher's form.

`engine` (the pipeline: differentiate one level a step, then the algebra
stages until nothing changes), `rules` (one class per differentiation rule),
`lemmas` (results of other parts reused as layer rules), and the index
algebra: `indices` (fresh letters, bound renaming), `expand` (definitions
substituted), `sums` (Kronecker collapse, linearity), `fold` (back into the
defined quantities), `tidy` (the teacher's form, domain conditions).
"""
from __future__ import annotations

from .engine import Derivation, Step, derive, derive_all

__all__ = ["Derivation", "Step", "derive", "derive_all"]
