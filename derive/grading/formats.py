"""The files of a grading run: submissions in (JSONL or CSV), results out (JSONL, CSV, Gradescope), points,
the summary and the per-student totals.

Input rows are `{id, problem, part, answer}` and an optional `student`, `kind`
(`answer` or `steps`: a derivation) and `file` (a derivation's file); a row
that cannot be read is yielded with its line number and the reason (with its
fix), so `plan` can report it before any work. Output rows are written and
flushed one at a time, so an interrupted run leaves a valid file that
`--resume` can go on from.
"""
from __future__ import annotations

import csv
import io
import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path

from ..errors import DeriveError
from .points import number

FIELDS = ("id", "problem", "part", "answer")
OPTIONAL = ("student", "kind", "file")
RESULT_FIELDS = ("id", "problem", "part", "verdict", "message", "student_latex", "reference_latex",
                 "assumptions_used", "counterexample", "diagnosis", "student", "score", "max_score")
#: the CSV columns a run with derivations adds (see derive.grading.derivations)
STEPS_COLUMNS = ("kind", "first_wrong_line", "first_wrong", "steps_summary", "score_note")
#: an output name's extension and the format it says
EXTENSIONS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".json": "gradescope"}


# -- input -------------------------------------------------------------------------------
def read_rows(path: Path) -> Iterator[dict]:
    """Rows of a JSONL or CSV file, each with its `line`; a row that cannot be read has `error`: why, and the fix.

    A file that cannot be read at all (not UTF-8, a CSV header without the needed columns) raises DeriveError.
    """
    raw = path.read_bytes()
    try:
        content = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise DeriveError(f"{path}: line {line} is not UTF-8 (byte {exc.start}); save the file as UTF-8") from exc
    if path.suffix.lower() == ".csv":
        yield from _csv_rows(path, content)
        return
    for line, text in enumerate(content.split("\n"), start=1):  # not splitlines: U+2028 may sit in a string
        if not text.strip():
            continue
        try:
            row = json.loads(text)
        except json.JSONDecodeError as exc:
            yield {"line": line, "error": f"not valid JSON ({exc.msg} at column {exc.colno}); "
                                            "write one JSON object a line"}
            continue
        if not isinstance(row, dict):
            yield {"line": line, "error": 'expected a JSON object {"id", "problem", "part", "answer"}, '
                                            f"not {kind(row)}"}
            continue
        unknown = sorted(set(row) - set(FIELDS) - set(OPTIONAL))
        if unknown:
            yield {"line": line, "id": row.get("id"),
                   "error": f"unknown field {unknown[0]!r}; the fields are id, problem, part, answer and "
                            "(optional) student, kind, file"}
            continue
        if "answer" not in row and row.get("file") in (None, ""):
            yield {"line": line, "id": row.get("id"),
                   "error": "no 'answer' field; add it (an empty string for a blank answer)"}
            continue
        yield {**{k: row.get(k) for k in FIELDS + OPTIONAL}, "line": line}


def kind(value) -> str:
    return {list: "a list", dict: "an object", bool: "true or false", type(None): "null", str: "text"}.get(
        type(value), "a number")


def _csv_rows(path: Path, content: str) -> Iterator[dict]:
    reader = csv.DictReader(io.StringIO(content, newline=""), restkey="\0extra")  # a missing field: None
    header = reader.fieldnames or []
    missing = [f for f in ("id", "problem", "answer") if f not in header and not (f == "answer" and "file" in header)]
    if missing:
        raise DeriveError(f"{path}: the CSV header needs the columns id, problem, part, answer "
                          f"(missing: {', '.join(missing)}; found: {', '.join(header) or 'nothing'}); "
                          "name the columns in the first line")
    try:
        for row in reader:
            count = len(header) + len(row.get("\0extra", ())) - sum(v is None for v in row.values())
            if count != len(header):
                yield {"line": reader.line_num, "id": row.get("id") or None,
                       "error": f"{count} fields where the header has {len(header)}; quote an answer that holds "
                                'a comma ("a, b")'}
                continue
            if "answer" not in header and not row.get("file"):
                yield {"line": reader.line_num, "id": row.get("id") or None,
                       "error": "no file; name the derivation's file (the CSV has no answer column)"}
                continue
            yield {"id": row["id"] or None, "problem": row["problem"] or None, "part": row.get("part") or None,
                   "answer": row.get("answer"), "student": row.get("student") or None,
                   "kind": row.get("kind") or None, "file": row.get("file") or None, "line": reader.line_num}
    except csv.Error as exc:
        raise DeriveError(f"{path}: line {reader.line_num}: {exc}") from exc


def duplicate_ids(rows: Iterable[dict]) -> list[str]:
    """Each id that appears more than once (as text: 7 and "7" are one id), said with its line numbers."""
    lines: dict[str, list[int]] = defaultdict(list)
    for row in rows:
        key = row.get("id")
        if key is None or isinstance(key, (list, dict, bool)):
            continue
        lines[str(key)].append(row["line"])
    out = []
    for key, where in lines.items():
        if len(where) > 1:
            times = "twice" if len(where) == 2 else f"{len(where)} times"
            out.append(f"the id {key!r} appears {times} (lines {_and(where)}); give each row its own id")
    return out


def _and(items: list) -> str:
    return " and ".join(map(str, items)) if len(items) <= 2 else ", ".join(map(str, items))


def target_of(row: dict) -> str:
    problem, part = str(row.get("problem") or ""), row.get("part")
    return f"{problem}/{part}" if part else problem


# -- output -------------------------------------------------------------------------------
def choose_format(output: str, requested: str | None) -> tuple[str, str | None]:
    """The output format (as requested, else from OUTPUT's extension, else JSONL) and, when OUTPUT's extension
    says another format or none that derive writes, why that is an error."""
    suffix = Path(output).suffix.lower() if output != "-" else ""
    said = EXTENSIONS.get(suffix)
    fmt = requested or (said if said != "gradescope" else None) or "jsonl"
    if not suffix:
        return fmt, None
    if said is None:
        return fmt, (f"{output}: derive grade writes JSONL (.jsonl), CSV (.csv) or, with --format gradescope, "
                     f"a results.json (.json), not {suffix}; name the file for its format")
    if said != fmt:
        if requested is None:  # .json: one JSON document, not a line per result
            return fmt, (f"{output}: .json is Gradescope's results.json; add --format gradescope, or name the "
                         "file .jsonl for one result a line")
        right = {"jsonl": ".jsonl", "csv": ".csv", "gradescope": ".json"}[fmt]
        return fmt, f"{output}: the name says {said} but --format {fmt} writes {right}; rename it or drop --format"
    return fmt, None


def repair(path: Path) -> None:
    """Cut off a last line that an interruption left half-written."""
    if not path.exists():
        return
    data = path.read_bytes()
    cut = data.rfind(b"\n") + 1
    if cut < len(data):
        with path.open("r+b") as handle:
            handle.truncate(cut)


def graded_rows(path: Path, fmt: str) -> dict[str, dict]:
    """The results already in an output file, by id as text (a CSV gives back "7" for 7); a half-written last
    line is left out (`repair` cuts it off)."""
    if not path.exists():
        return {}
    data = path.read_bytes()
    text = data[:data.rfind(b"\n") + 1].decode("utf-8", errors="replace")
    if fmt == "csv":
        return {row["id"]: row for row in csv.DictReader(io.StringIO(text, newline="")) if row.get("id")}
    rows = {}
    for line in text.splitlines():
        try:
            row = json.loads(line)
        except ValueError:
            continue
        if isinstance(row, dict) and row.get("id") is not None:
            rows[str(row["id"])] = row
    return rows


def csv_header(path: Path) -> list[str] | None:
    """The columns of an existing CSV output (an older one may have fewer), None when it has none."""
    if not path.exists() or path.stat().st_size == 0:
        return None
    with path.open(encoding="utf-8", newline="") as handle:
        return next(csv.reader(handle), None)


class Writer:
    """Results appended as they come, flushed (and synced) each time; a CSV in `columns` (an older file's own)."""

    def __init__(self, stream, fmt: str, header: bool, columns: Iterable[str] | None = None):
        self.stream, self.fmt = stream, fmt
        self._csv = None
        if fmt == "csv":
            self._csv = csv.DictWriter(stream, fieldnames=list(columns or RESULT_FIELDS), extrasaction="ignore")
            if header:
                self._csv.writeheader()

    def write(self, row: dict) -> None:
        if self._csv is not None:
            cells = {**row, **steps_cells(row)} if row.get("kind") == "steps" else row
            self._csv.writerow({k: (json.dumps(v, ensure_ascii=False) if isinstance(v, (list, dict)) else v)
                                for k, v in cells.items()})
        else:
            self.stream.write(json.dumps(row, ensure_ascii=False) + "\n")
        self.stream.flush()  # in the OS's hands: a killed process loses nothing written so far


def gradescope(results: list[dict]) -> dict:
    """A Gradescope results.json: one test per answer, worth the row's `max_score` (1 where the run has no
    points)."""
    tests = []
    for row in results:
        target = target_of(row)
        worth = float(row["max_score"] if row.get("max_score") is not None else 1)
        if row.get("score") is not None:  # a derivation's partial credit
            score = float(row["score"])
        else:
            score = worth if row["verdict"] == "equivalent" else 0.0
        output = row["message"] + ("\n" + "\n".join(row["diagnosis"]) if row.get("diagnosis") else "")
        if row.get("kind") == "steps":
            output += "".join("\n" + line for line in steps_feedback(row))
        tests.append({"name": f"{row.get('id')}: {target}", "score": score, "max_score": worth, "output": output})
    return {"score": sum(t["score"] for t in tests), "tests": tests}


def first_wrong_text(row: dict) -> str:
    """A derivation's first wrong link in one line: where, what, why; '' when none is wrong."""
    first = (row.get("steps") or {}).get("first_wrong")
    if not first:
        return ""
    why = "; ".join(first.get("diagnosis") or []) or first.get("message") or "does not follow"
    return f"line {first['line']}: {first['left_latex']} = {first['right_latex']}: {why}"


def steps_cells(row: dict) -> dict:
    """A derivation's CSV cells: the first wrong step as text and the links' counts (the links are in JSONL)."""
    steps = row.get("steps") or {}
    return {"first_wrong": first_wrong_text(row), "steps_summary": steps.get("summary")}


def steps_feedback(row: dict) -> list[str]:
    """The lines Gradescope shows under a derivation's verdict: its links, the first wrong one, the credit."""
    steps = row.get("steps") or {}
    summary = steps.get("summary")
    out = []
    if summary:
        links = f"{summary['links']} link{'s' if summary['links'] != 1 else ''}"
        out.append(f"steps: {links}: {summary['follows']} follow, {summary['follows_if']} follow in a case, "
                   f"{summary['does_not_follow']} do not follow, {summary['unread']} not read, "
                   f"{summary['undecided']} undecided")
    first = steps.get("first_wrong")
    if first:
        out.append(f"first wrong step, {first_wrong_text(row)}")
        sample = first.get("counterexample")
        if sample:
            point = ", ".join(f"{k}={v}" for k, v in sample["point"].items())
            out.append(f"  at {point} the left side is {sample['left_value']}, the right side "
                       f"{sample['right_value']}")
    if row.get("score_note"):
        out.append(f"score: {row['score_note']}")
    return out


ORDER = ("equivalent", "not_equivalent", "invalid", "undecided")
STUDENTS_SHOWN = 50  # per-student lines in the summary; --totals has them all


class Summary:
    """Counts per verdict and per part; where rows name students, each one's points out of the run's.

    `targets` are the parts the run grades, in course order, with their points: a student's maximum is
    their sum (a part the student did not answer counts 0); a student's score on a part is the best of
    their answers to it.
    """

    def __init__(self, targets: dict[str, float] | None = None, students: Iterable[str] = (),
                 points_source: str = "1 a part"):
        self.verdicts: Counter = Counter()
        self.parts: defaultdict[str, Counter] = defaultdict(Counter)
        self.targets = dict(targets or {})
        self.scores: dict[str, dict[str, float]] = {str(s): {} for s in students}
        self.points_source = points_source

    def add(self, row: dict) -> None:
        verdict = row.get("verdict") or "undecided"
        self.verdicts[verdict] += 1
        self.parts[target_of(row) or "(rows that could not be read)"][verdict] += 1
        student = row.get("student")
        if student not in (None, "") and row.get("max_score") not in (None, ""):
            got = self.scores.setdefault(str(student), {})
            target = target_of(row)
            got[target] = max(got.get(target, 0.0), float(row.get("score") or 0))

    @property
    def maximum(self) -> float:
        return sum(self.targets.values())

    def totals(self) -> list[dict]:
        """Per student (in the order they first appear): student, score, max_score and the score of each part
        (None where the student has no answer)."""
        return [{"student": student, "score": number(sum(got.values())), "max_score": number(self.maximum),
                 **{t: (number(got[t]) if t in got else None) for t in self.targets}}
                for student, got in self.scores.items()]

    def lines(self) -> list[str]:
        total = sum(self.verdicts.values())
        out = [f"{total} answers: " + ", ".join(f"{self.verdicts[v]} {v}" for v in ORDER)]
        for target in [t for t in self.targets if t in self.parts] + sorted(set(self.parts) - set(self.targets)):
            counts = self.parts[target]
            worth = f" ({_points(self.targets[target])})" if target in self.targets else ""
            out.append(f"  {target}{worth}: " + ", ".join(f"{counts[v]} {v}" for v in ORDER if counts[v]))
        if self.scores:
            count = len(self.scores)
            out.append(f"{count} student{'s' if count != 1 else ''}, out of {_points(self.maximum)} "
                       f"(points: {self.points_source}):")
            rows = self.totals()
            out += [f"  {row['student']}: {row['score']}/{row['max_score']}" for row in rows[:STUDENTS_SHOWN]]
            if len(rows) > STUDENTS_SHOWN:
                out.append(f"  ... and {len(rows) - STUDENTS_SHOWN} more (all of them: --totals FILE)")
        return out


def _points(value: float) -> str:
    return f"{number(value)} point{'' if value == 1 else 's'}"


def write_totals(path: Path, summary: Summary) -> None:
    """The per-student totals as CSV: student, score, max_score, then one column per problem/part."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student", "score", "max_score", *summary.targets])
        for row in summary.totals():
            writer.writerow(["" if v is None else v for v in row.values()])
