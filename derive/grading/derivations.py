"""Grading a whole derivation: a row of kind `steps`, its text inline or in a file, its links judged, partial credit.

A submissions row is a derivation when its `kind` is `steps` (the `answer` is
the derivation's text) or when it names a `file` (a path relative to the
submissions file's folder; the file is read before any work, and a path that
leaves that folder, a missing, unreadable, non-UTF-8 or oversized file is a
fault of that row). It is graded by `derive.checking.steps.check_steps`, as
`derive steps PROBLEM[/PART]` judges it, in the same worker processes as the
answers, with the steps checker's wall time (`steps_wall`).

The partial-credit rule (`score`), with the settings of the points file
(`step_penalty` p, 0.25 by default; `steps_credit` c, 0 by default):

* the final answer right: the part's points × max(0, 1 − p × the wrong links);
* otherwise (wrong, not checked, undecided): the points × c × the fraction of
  the links that follow (✓ or ✓ if).

Only a link shown wrong (a counterexample) costs points: a link the checker
cannot read or decide costs nothing when the final answer is right, since the
reader does not read every notation yet. With c = 0 a derivation whose final
answer is not right scores 0, as an answer row does; a teacher who wants to
reward the right steps of a wrong derivation sets `steps_credit`.
"""
from __future__ import annotations

import json
import stat
from pathlib import Path

from ..checking import INVALID, Result
from ..checking.steps import FILE_TIMEOUT_FACTOR, check_steps
from ..errors import DeriveError
from ..limits import MAX_STDIN
from ..parsing import ParseError
from ..parsing.chains import MAX_FILE
from ..problem import library
from .formats import RESULT_FIELDS

STEPS = "steps"
KINDS = ("answer", STEPS)
#: what a derivation's result adds to an answer's (JSONL); the CSV has the first wrong step and the summary as text
STEPS_FIELDS = ("kind", "steps", "first_wrong_line", "score_note")
MAX_BYTES = MAX_STDIN  # bytes of a derivation file, as `derive steps FILE` reads


def steps_wall(timeout: float) -> float:
    """A derivation's wall time in a worker: the steps checker's budget for a whole file, the final check and one
    link that overruns it."""
    return (FILE_TIMEOUT_FACTOR + 2) * timeout


# -- before any work: the text of a derivation ----------------------------------------------------------
def read_submission(folder: Path, name: str) -> str:
    """The text of the derivation file `name` (relative to `folder`); DeriveError saying why it cannot be taken."""
    shown = f"file {name!r}"
    if "\0" in name or not name.strip():
        raise DeriveError(f"{shown}: not a file name")
    if Path(name).is_absolute():
        raise DeriveError(f"{shown}: an absolute path; name the file relative to the folder of the submissions file")
    try:
        base = folder.resolve()
        path = (base / name).resolve()
    except (OSError, RuntimeError) as exc:  # a loop of symbolic links
        raise DeriveError(f"{shown}: cannot be resolved ({exc})") from None
    if not path.is_relative_to(base):
        raise DeriveError(f"{shown} is outside the folder of the submissions file ({base}); put the derivations "
                          "in that folder or below it")
    try:
        info = path.stat()
    except FileNotFoundError:
        raise DeriveError(f"{shown}: no such file ({path})") from None
    except OSError as exc:
        raise DeriveError(f"{shown}: cannot be read ({exc.strerror or exc})") from None
    if not stat.S_ISREG(info.st_mode):
        raise DeriveError(f"{shown}: not a regular file")
    if info.st_size > MAX_BYTES:
        raise DeriveError(f"{shown}: {info.st_size} bytes; a derivation file is at most {MAX_BYTES} bytes")
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        raise DeriveError(f"{shown}: cannot be read ({exc.strerror or exc})") from None
    if len(raw) > MAX_BYTES:
        raise DeriveError(f"{shown}: more than {MAX_BYTES} bytes; a derivation file is at most that")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DeriveError(f"{shown}: not UTF-8 (byte {exc.start}); save the file as UTF-8") from None
    return text


def too_long(text: str) -> str | None:
    """Why a derivation's text is beyond the reader's limit, or None."""
    if len(text) > MAX_FILE:
        return f"the derivation has {len(text)} characters; the limit is {MAX_FILE}"
    return None


# -- in a worker: the check ------------------------------------------------------------------------------
def grade_steps_row(payload: tuple) -> dict:
    """One derivation row's result (runs in a worker); never raises for bad input."""
    row, timeout = payload
    source = f"file {row['file']!r}" if row.get("file") else f"line {row.get('line')}"
    try:
        spec = library.load(row["problem"])
        part = spec.part_by_id(row["part"]) if row.get("steps_part") else None
        report = check_steps(spec, row["answer"], part, timeout=timeout)
    except ParseError as exc:
        return steps_row(row, Result(row.get("problem"), row.get("part"), INVALID, f"invalid: {source}: {exc}"))
    except DeriveError as exc:
        return steps_row(row, Result(row.get("problem"), row.get("part"), INVALID, f"invalid: {exc}"))
    if report.final is None:
        final = Result(row.get("problem"), row.get("part"), INVALID,
                       "the final answer is not checked: no chain ends with an answer to the part (an expression "
                       "without a derivative)")
    else:
        final = report.final
    data = report.to_json()
    return steps_row(row, final, {k: data[k] for k in ("summary", "first_wrong", "links", "definitions")})


def steps_row(row: dict, final: Result | dict, steps: dict | None = None) -> dict:
    """The result of a derivation: an answer's fields for its final answer, then `kind`, `steps` (the summary,
    the first wrong link, every link) and `first_wrong_line`."""
    data = final.to_json() if isinstance(final, Result) else final
    out = {"id": row.get("id"), **{k: data.get(k) for k in RESULT_FIELDS if k != "id"}}
    if out["problem"] is None:
        out["problem"], out["part"] = row.get("problem"), row.get("part")
    first = (steps or {}).get("first_wrong")
    return {**out, "kind": STEPS, "steps": steps, "first_wrong_line": None if first is None else first["line"]}


# -- the score -------------------------------------------------------------------------------------------
def summary_of(result: dict) -> dict | None:
    """The links' counts of a derivation's result: from JSONL's `steps`, or a CSV's `steps_summary` cell."""
    steps = result.get("steps")
    if isinstance(steps, dict) and isinstance(steps.get("summary"), dict):
        return steps["summary"]
    cell = result.get("steps_summary")
    if isinstance(cell, str) and cell:
        try:
            data = json.loads(cell)
        except ValueError:
            return None
        return data if isinstance(data, dict) else None
    return None


def score(worth: float, verdict: str | None, summary: dict | None, penalty: float,
          credit: float) -> tuple[float, str]:
    """A derivation's points by the rule of the module docstring, and the rule applied, in words."""
    summary = summary or {}
    links, wrong = int(summary.get("links") or 0), int(summary.get("does_not_follow") or 0)
    follow = int(summary.get("follows") or 0) + int(summary.get("follows_if") or 0)
    if verdict == "equivalent":
        share = max(0.0, 1 - penalty * wrong)
        if not wrong:
            return worth, "final answer right, no wrong step: full points"
        steps = f"{wrong} wrong step{'s' if wrong != 1 else ''}"
        return worth * share, f"final answer right, {steps}: 1 - {penalty:g} x {wrong} = {share:g} of the points"
    share = credit * follow / links if links else 0.0
    return worth * share, (f"final answer not right: {credit:g} (steps_credit) x {follow}/{links} links that "
                           f"follow = {share:g} of the points")
