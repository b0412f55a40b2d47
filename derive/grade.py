"""Grading a class: rows {id, problem, part, answer} in, one result per row out, and a summary.

Input is JSONL (one object a line) or CSV with a header; output is JSONL, or
CSV when the output file ends in .csv. A row that cannot be read becomes an
`invalid` result naming the line; it never stops the batch.
"""
from __future__ import annotations

import csv
import io
import json
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path

from .errors import DeriveError

FIELDS = ("id", "problem", "part", "answer")
RESULT_FIELDS = ("id", "problem", "part", "verdict", "message", "student_latex", "reference_latex",
                 "assumptions_used", "counterexample", "diagnosis")


def read_rows(path: Path, fmt: str | None = None) -> Iterator[dict]:
    """Rows of a JSONL or CSV file; a bad row is yielded as {"error": ...} with its line number."""
    fmt = fmt or ("csv" if path.suffix.lower() == ".csv" else "jsonl")
    raw = path.read_bytes()
    try:
        content = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DeriveError(f"{path}: not UTF-8 (byte {exc.start})") from exc
    if fmt == "csv":
        reader = csv.DictReader(io.StringIO(content, newline=""))
        missing = [f for f in ("id", "answer") if f not in (reader.fieldnames or [])]
        if missing:
            raise DeriveError(f"{path}: the CSV header needs columns id, problem, part, answer "
                              f"(missing: {', '.join(missing)}; found: {', '.join(reader.fieldnames or [])})")
        for number, row in enumerate(reader, start=2):
            yield {**{k: (v or "") for k, v in row.items() if k in FIELDS}, "line": number}
        return
    for number, line in enumerate(content.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError as exc:
            yield {"line": number, "error": f"line {number}: not valid JSON ({exc.msg})"}
            continue
        if not isinstance(row, dict):
            yield {"line": number, "error": f"line {number}: expected a JSON object"}
            continue
        yield {**{k: row.get(k) for k in FIELDS}, "line": number}


def target_of(row: dict) -> str:
    problem, part = str(row.get("problem") or ""), row.get("part")
    return f"{problem}/{part}" if part else problem


def result_row(row: dict, result) -> dict:
    data = result.to_json()
    out = {"id": row.get("id"), **{k: data.get(k) for k in RESULT_FIELDS if k != "id"}}
    if out["problem"] is None:
        out["problem"], out["part"] = row.get("problem"), row.get("part")
    return out


class Writer:
    """Results appended as they come, flushed each time."""

    def __init__(self, stream, fmt: str):
        self.stream, self.fmt = stream, fmt
        self._csv = None
        if fmt == "csv":
            self._csv = csv.DictWriter(stream, fieldnames=RESULT_FIELDS, extrasaction="ignore")
            self._csv.writeheader()

    def write(self, row: dict) -> None:
        if self._csv is not None:
            flat = {k: (json.dumps(v, ensure_ascii=False) if isinstance(v, (list, dict)) else v)
                    for k, v in row.items()}
            self._csv.writerow(flat)
        else:
            self.stream.write(json.dumps(row, ensure_ascii=False) + "\n")
        self.stream.flush()


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
