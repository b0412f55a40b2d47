"""Grading a class: a checked plan in, one result per row out, and a summary of the whole output.

Every check runs in a worker process with hard limits (`isolate`); a check
that dies becomes a result that says why and the batch goes on. The rows were
checked before (`plan`); with --skip-bad-rows the rows at fault are written
as `invalid` first. The files are read and written by `formats`. Derivations
(`derivations`) run after the answers, in the same kind of workers, with the
steps checker's wall time.
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from ..checking import INVALID, UNDECIDED, Result, check, warm
from ..errors import DeriveError
from ..limits import MAX_ANSWER
from .derivations import STEPS, grade_steps_row, steps_row, steps_wall
from .formats import RESULT_FIELDS, Summary, Writer, gradescope, repair, target_of, write_totals
from .isolate import Failure, run
from .plan import Plan


# -- the work a worker does ---------------------------------------------------------------
def grade_row(payload: tuple) -> dict:
    """One row's result (runs in a worker; `plan.prepare` has checked the row's fields and target)."""
    row, timeout = payload
    try:
        result = check(target_of(row), row["answer"][:MAX_ANSWER], timeout=timeout)
    except DeriveError as exc:
        result = Result(row.get("problem"), row.get("part"), INVALID, str(exc))
    return result_row(row, result.to_json())


def result_row(row: dict, data: dict) -> dict:
    out = {"id": row.get("id"), **{k: data.get(k) for k in RESULT_FIELDS if k != "id"}}
    if out["problem"] is None:
        out["problem"], out["part"] = row.get("problem"), row.get("part")
    return out


def failed_row(row: dict, reason: str) -> dict:
    return {"id": row.get("id"), "problem": row.get("problem"), "part": row.get("part"), "verdict": UNDECIDED,
            "message": f"undecided: {reason}", "student_latex": None, "reference_latex": None,
            "assumptions_used": [], "counterexample": None, "diagnosis": []}


class Progress:
    """`graded 120/1000 (35/s)` on a terminal's standard error; silent otherwise."""

    def __init__(self, total: int, enabled: bool | None = None):
        self.total, self.done, self.start = total, 0, time.monotonic()
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self._last = 0.0

    def step(self) -> None:
        self.done += 1
        now = time.monotonic()
        if self.enabled and (now - self._last > 0.1 or self.done == self.total):
            self._last = now
            rate = self.done / max(now - self.start, 1e-9)
            sys.stderr.write(f"\rgraded {self.done}/{self.total} ({rate:.0f}/s)")
            sys.stderr.flush()

    def close(self) -> None:
        if self.enabled:
            sys.stderr.write("\n")


class Interrupted(Exception):
    """Ctrl-C during a batch: what was graded is written; `summary` says how much."""

    def __init__(self, summary: Summary, graded: int = 0):
        super().__init__("interrupted")
        self.summary, self.graded = summary, graded


def grade_batch(plan: Plan, jobs: int, timeout: float, memory: int) -> tuple[int, Summary]:
    """Grade the plan's rows into its output ('-': standard output); (ids skipped by resume, summary of the whole
    output). Writes the per-student totals when the plan asks for them."""
    output, fmt = plan.output, plan.fmt
    done = plan.done if plan.resume else {}
    todo = [row for row in plan.rows if str(row["id"]) not in done]
    bad = [row for row in plan.bad if str(row["id"]) not in done]
    summary = Summary(plan.targets, plan.students, plan.points.source)
    known = plan.by_id()
    for key, result in done.items():  # the summary covers the whole file: what it held, with today's points
        row = known[key]
        summary.add(plan.scored(row, {"problem": row.get("problem"), "part": row.get("part"),
                                      **{k: result.get(k) for k in ("verdict", "steps", "steps_summary")}}))
    warm({row["target"] for row in todo})
    collected: list[dict] = []
    if fmt == "gradescope":
        stream = None
    elif output == "-":
        stream = sys.stdout
    else:
        if plan.resume:
            repair(Path(output))  # a last line that an interruption cut
        append = plan.resume and Path(output).exists() and Path(output).stat().st_size > 0
        stream = open(output, "a" if append else "w", encoding="utf-8", newline="")
    writer = None if stream is None else Writer(stream, fmt, header=stream is sys.stdout or stream.tell() == 0,
                                                columns=(plan.columns if plan.resume else None) or plan.result_columns)

    def keep(out: dict) -> None:
        if writer is not None:
            writer.write(out)
        else:
            collected.append(out)
        summary.add(out)

    progress = Progress(len(todo))
    by_key = dict(enumerate(todo))
    graded = 0
    try:
        for row in bad:
            keep(plan.invalid(row))
        for function, wall, derivation in ((grade_row, timeout, False), (grade_steps_row, steps_wall(timeout), True)):
            tasks = [(k, (row, timeout)) for k, row in by_key.items() if (row.get("kind") == STEPS) == derivation]
            if not tasks:
                continue
            for key, result in run(function, tasks, jobs=jobs, timeout=wall, memory_mb=memory):
                if isinstance(result, Failure):
                    out = failed_row(by_key[key], result.reason)
                    result = steps_row(by_key[key], out) if derivation else out
                keep(plan.scored(by_key[key], result))
                graded += 1
                progress.step()
    except KeyboardInterrupt:
        raise Interrupted(summary, graded) from None
    finally:
        progress.close()
        if stream is not None and stream is not sys.stdout:
            stream.close()
    if fmt == "gradescope":
        order = {str(row["id"]): n for n, row in enumerate(sorted(plan.rows + plan.bad, key=lambda r: r["line"]))}
        collected.sort(key=lambda r: order.get(str(r.get("id")), 0))
        Path(output).write_text(json.dumps(gradescope(collected), indent=2, ensure_ascii=False) + "\n",
                                encoding="utf-8")
    if plan.totals is not None:
        write_totals(plan.totals, summary)
    return len(done), summary
