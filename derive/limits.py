"""Every limit derive puts on work done for someone else's input, in one table.

Student text is hostile: its size, nesting and numbers are bounded before
SymPy sees them (`derive.parsing`), evaluation is bounded while it runs
(`derive.checking`), and every check has a time and memory budget in a
worker process (`derive.grading`). Engine limits bound a derivation that does
not settle. One value per limit: the parser and the evaluator agree on the
largest factorial and the largest exact power.
"""
from __future__ import annotations

import time
from typing import NamedTuple

from .errors import DeriveError

# -- the text of one answer (the parser) --------------------------------------------
MAX_LENGTH = 2000  # characters of one answer
MAX_DEPTH = 60  # nesting of brackets, signs, powers and function applications
MAX_DIGITS = 60  # digits of one numeric literal
MAX_EXPONENT = 10_000  # |p/q| and q of a rational exponent; exact integer powers beyond it are floating
MAX_RESULT_DIGITS = 4000  # digits of an evaluated number (Python refuses str() of ints above 4300 digits)
MAX_ROOT_DIGITS = 100  # digits under a root that SymPy would try to simplify (it factors them)
MAX_FACTORIAL = 3000  # n! of an integer up to this, in the parser and the evaluator
MAX_SUM_BOUND = 1000  # numeric bounds of a sum
MAX_SCI_EXPONENT = 300  # |e| in 5.1e-2
MAX_DERIVATIVES = 4  # orders of the derivatives (d/dx) one free expression takes, together

# -- evaluating an answer at a point (the checker) ------------------------------------
MAX_LOOP = 200_000  # terms of all sums in one evaluation

# -- counted work: what decides `undecided` (the same on any machine) ------------------------
CHECK_WORK = 200_000  # units (nodes evaluated) of one check of an answer: some 25 times what the largest needs
LINK_WORK = 4_000_000  # units of one link of a derivation (`checking.nodes.work_unit`: about a microsecond's)
FILE_WORK = 8 * LINK_WORK  # a whole derivation file's counted work
LINK_SAFETY_FACTOR = 6  # a link's wall-clock safety net: this many times the check's timeout (30 s at the default)

# -- a check, and a batch of them -------------------------------------------------------
DEFAULT_TIMEOUT = 5.0  # seconds per check
DEFAULT_MEMORY_MB = 1024  # address space of a worker process
GRACE = 2.0  # seconds beyond a task's timeout before the parent kills its worker
MAX_ANSWER = 100_000  # characters kept from an answer cell of a grading file; the parser's own limit is lower
MAX_STDIN = 1_000_000  # bytes read from standard input for one answer

# -- the engine ------------------------------------------------------------------------
MAX_STEPS = 100  # steps of one derivation (a network three normalisations deep takes about 45)


class Limits(NamedTuple):
    """The parser's limits for one call; `parse(text, vocab, max_depth=...)` overrides a field."""

    max_length: int = MAX_LENGTH
    max_depth: int = MAX_DEPTH
    max_digits: int = MAX_DIGITS
    max_exponent: int = MAX_EXPONENT
    max_result_digits: int = MAX_RESULT_DIGITS
    max_root_digits: int = MAX_ROOT_DIGITS
    max_factorial: int = MAX_FACTORIAL
    max_sum_bound: int = MAX_SUM_BOUND
    max_derivatives: int = MAX_DERIVATIVES


class Timeout(DeriveError):
    """No verdict within the limits: the counted work (`OutOfWork`) or the wall-clock safety net (`WallClock`)."""


class OutOfWork(Timeout):
    """A judgement spent its budget of counted work: the same on any machine, whatever its load."""


class WallClock(Timeout):
    """The wall-clock safety net (for hostile input) was hit: reported as such, never a usual verdict."""


class Budget:
    """The work one judgement may do, counted in units (a node evaluated, a term expanded): what decides
    `undecided`, so that a verdict does not depend on what else the machine is doing. `deadline`
    (time.monotonic()) is only a safety net for hostile input, looked at every 256 spends."""

    __slots__ = ("limit", "used", "deadline", "_spends")

    def __init__(self, limit: int, deadline: float | None = None):
        self.limit = limit
        self.used = 0
        self.deadline = deadline
        self._spends = 0

    def spend(self, units: int = 1) -> None:
        self.used += units
        if self.used > self.limit:
            raise OutOfWork(f"no verdict within the work budget ({self.limit:,} units)")
        self._spends += 1
        if self._spends & 255 == 0 and self.deadline is not None and time.monotonic() > self.deadline:
            raise WallClock("the safety time limit was reached")
