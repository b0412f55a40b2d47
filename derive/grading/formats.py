"""The files of a grading run: submissions in (JSONL or CSV), results out (JSONL, CSV, Gradescope).

Input rows are `{id, problem, part, answer}`; a row that cannot be read is
yielded with its line number and the reason, so it becomes a result that says
why. Output rows are written and flushed one at a time, so an interrupted run
leaves a valid file that `--resume` can go on from.
"""
from __future__ import annotations

import csv
import io
import json
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path

from ..errors import DeriveError

FIELDS = ("id", "problem", "part", "answer")
RESULT_FIELDS = ("id", "problem", "part", "verdict", "message", "student_latex", "reference_latex",
                 "assumptions_used", "counterexample", "diagnosis")


# -- input -------------------------------------------------------------------------------
def read_rows(path: Path) -> Iterator[dict]:
    """Rows of a JSONL or CSV file; a bad row is yielded as {"error": ...} with its line number."""
    raw = path.read_bytes()
    try:
        content = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise DeriveError(f"{path}: line {line} is not UTF-8 (byte {exc.start}); save the file as UTF-8") from exc
    if path.suffix.lower() == ".csv":
        yield from _csv_rows(path, content)
        return
    for number, text in enumerate(content.splitlines(), start=1):
        if not text.strip():
            continue
        try:
            row = json.loads(text)
        except json.JSONDecodeError as exc:
            yield {"line": number, "error": f"line {number}: not valid JSON ({exc.msg})"}
            continue
        if not isinstance(row, dict):
            yield {"line": number, "error": f"line {number}: expected a JSON object"}
            continue
        if not isinstance(row.get("id", ""), (str, int, float)) or isinstance(row.get("id"), bool):
            yield {"line": number, "error": f"line {number}: the id must be a string or a number"}
            continue
        unknown = sorted(set(row) - set(FIELDS))
        if "answer" not in row or unknown:
            names = ", ".join(unknown) or "no answer"
            yield {"line": number, "id": row.get("id"),
                   "error": f"line {number}: expected fields id, problem, part, answer (got {names})"}
            continue
        yield {**{k: row.get(k) for k in FIELDS}, "line": number}


def _csv_rows(path: Path, content: str) -> Iterator[dict]:
    reader = csv.DictReader(io.StringIO(content, newline=""))
    header = reader.fieldnames or []
    missing = [f for f in ("id", "problem", "answer") if f not in header]
    if missing:
        raise DeriveError(f"{path}: the CSV header needs the columns id, problem, part, answer "
                          f"(missing: {', '.join(missing)}; found: {', '.join(header) or 'nothing'})")
    try:
        for row in reader:
            yield {**{k: (row.get(k) or "") for k in FIELDS}, "line": reader.line_num}
    except csv.Error as exc:
        raise DeriveError(f"{path}: line {reader.line_num}: {exc}") from exc


def duplicate_ids(rows: list[dict]) -> str | None:
    """The first id that appears twice, said with both line numbers; None when ids are unique."""
    seen: dict = {}
    for row in rows:
        key = row.get("id")
        if key is None or "error" in row:
            continue
        if key in seen:
            return f"the id {key!r} appears twice (lines {seen[key]} and {row['line']})"
        seen[key] = row["line"]
    return None


def target_of(row: dict) -> str:
    problem, part = str(row.get("problem") or ""), row.get("part")
    return f"{problem}/{part}" if part else problem


# -- output -------------------------------------------------------------------------------
def output_format(output: str, requested: str | None) -> str:
    """The output format: as requested, else from the file's extension (.csv), else JSONL."""
    if requested:
        return requested
    return "csv" if output.lower().endswith(".csv") else "jsonl"


def graded_ids(path: Path, fmt: str) -> set:
    """Ids already in an output file, after cutting off a last line that an interruption left half-written."""
    if not path.exists():
        return set()
    data = path.read_bytes()
    cut = data.rfind(b"\n") + 1
    if cut < len(data):
        with path.open("r+b") as handle:
            handle.truncate(cut)
        data = data[:cut]
    text = data.decode("utf-8", errors="replace")
    if fmt == "csv":
        return {row.get("id") for row in csv.DictReader(io.StringIO(text, newline="")) if row.get("id")}
    ids = set()
    for line in text.splitlines():
        try:
            key = json.loads(line).get("id")
        except (ValueError, AttributeError):
            continue
        if key is not None:
            ids.add(str(key))  # as text: a CSV gives back "7" for 7
    return ids


class Writer:
    """Results appended as they come, flushed (and synced) each time."""

    def __init__(self, stream, fmt: str, header: bool):
        self.stream, self.fmt = stream, fmt
        self._csv = None
        if fmt == "csv":
            self._csv = csv.DictWriter(stream, fieldnames=RESULT_FIELDS, extrasaction="ignore")
            if header:
                self._csv.writeheader()

    def write(self, row: dict) -> None:
        if self._csv is not None:
            self._csv.writerow({k: (json.dumps(v, ensure_ascii=False) if isinstance(v, (list, dict)) else v)
                                for k, v in row.items()})
        else:
            self.stream.write(json.dumps(row, ensure_ascii=False) + "\n")
        self.stream.flush()  # in the OS's hands: a killed process loses nothing written so far


def gradescope(results: list[dict], points: dict) -> dict:
    """A Gradescope autograder results.json: one test per answer."""
    tests = []
    for row in results:
        target = target_of(row)
        worth = float(points.get(target, points.get(str(row.get("problem")), points.get("*", 1))))
        score = worth if row["verdict"] == "equivalent" else 0.0
        tests.append({"name": f"{row.get('id')}: {target}", "score": score, "max_score": worth,
                      "output": row["message"] + ("\n" + "\n".join(row["diagnosis"]) if row["diagnosis"] else "")})
    return {"score": sum(t["score"] for t in tests), "tests": tests}


def read_points(path: Path | None) -> dict:
    """A points file: {"problem/part": points, "*": default}; {} when there is none."""
    if path is None:
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DeriveError(f"{path}: not a JSON object of points per problem/part ({exc})") from exc
    if not isinstance(data, dict) or not all(isinstance(v, (int, float)) for v in data.values()):
        raise DeriveError(f"{path}: expected {{\"problem/part\": points, ..., \"*\": default}}")
    return data


class Summary:
    def __init__(self):
        self.verdicts = Counter()
        self.parts = defaultdict(Counter)

    def add(self, row: dict) -> None:
        self.verdicts[row["verdict"]] += 1
        self.parts[target_of(row)][row["verdict"]] += 1

    def lines(self) -> list[str]:
        total = sum(self.verdicts.values())
        order = ("equivalent", "not_equivalent", "invalid", "undecided")
        out = [f"{total} answers: " + ", ".join(f"{self.verdicts[v]} {v}" for v in order)]
        for target in sorted(self.parts):
            counts = self.parts[target]
            out.append(f"  {target}: " + ", ".join(f"{counts[v]} {v}" for v in order if counts[v]))
        return out


