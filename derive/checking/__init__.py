"""The answer checker: is a student's expression equal to the reference, and if not, why?

`ladder` (the rungs: parse, canonical form, values at random points, the
assumptions an answer needs, counterexample and diagnosis), `evaluate`
(exact-where-possible evaluation at a point), `compare` (the checker's
points and the two-precision equality rule), `diagnose` (why an answer is
wrong, in a student's words).
"""
from __future__ import annotations

from .ladder import (
    EQUIVALENT,
    EXIT_CODES,
    INVALID,
    NOT_EQUIVALENT,
    UNDECIDED,
    Result,
    check,
    check_part,
    equiv,
    resolve,
    run_payload,
    warm,
)

__all__ = ["EQUIVALENT", "EXIT_CODES", "INVALID", "NOT_EQUIVALENT", "UNDECIDED", "Result", "check", "check_part",
           "equiv", "resolve", "run_payload", "warm"]
