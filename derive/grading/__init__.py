"""Grading a class: submissions in, one checked result per row out, safely.

`plan` (every row, the points and the options checked before any work; all
faults in one message), `points` (points per part: --points, course.toml, 1),
`formats` (submission and result files: JSONL, CSV, Gradescope's
results.json; the summary and per-student totals), `derivations` (rows that
are whole derivations: their files, their check, their partial credit),
`batch` (the run: checks
in worker processes, appended as they complete, resumable), `isolate`
(worker processes with CPU-time, memory and wall-clock limits).
"""
from __future__ import annotations

from .batch import Interrupted, grade_batch, grade_row
from .formats import duplicate_ids, read_rows
from .isolate import Failure, run, run_one
from .plan import Plan, prepare

__all__ = ["Failure", "Interrupted", "Plan", "duplicate_ids", "grade_batch", "grade_row", "prepare", "read_rows",
           "run", "run_one"]
