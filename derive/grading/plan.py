"""Before any work: a grading run's rows, points and options, every one checked; all faults in one message.

A fault in the data is the course staff's, not a student's: a line that is
not a row, a missing field, a repeated id, a problem or part the library does
not know (said with the closest id), a student who answers a part twice, a
points key that names no part, an output name whose extension says another
format, an output that `--resume` would mix with another input's. `prepare`
finds all of them before a check runs and raises one DeriveError that names
each line and its fix. With `skip_bad_rows` the rows at fault are kept apart
(`Plan.bad`): they are written as `invalid` with the reason, and the rest are
graded. A derivation (`kind: steps`, or a `file`) is read here: its file
must lie in the submissions file's folder, be UTF-8 and within the reader's
limits (`derivations`).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import DeriveError
from ..problem import course
from . import derivations
from .formats import (
    RESULT_FIELDS,
    STEPS_COLUMNS,
    choose_format,
    csv_header,
    duplicate_ids,
    graded_rows,
    kind,
    read_rows,
)
from .points import Points, Targets, load, number

#: row faults said in full; past this many kinds, a count
MOST = 50


@dataclass
class Plan:
    """What a run will do: the rows to grade, the rows at fault, where the results go, with which points."""

    source: Path
    output: str
    fmt: str
    rows: list[dict]  # to grade: id, problem, part (the part id), answer, student, kind, line
    bad: list[dict]  # at fault (only with skip_bad_rows): id (or "line N"), problem, part, student, line, reason
    points: Points
    targets: dict[str, float]  # every part the rows answer, in course order -> its points
    students: list[str]  # in the order they first appear; [] when no row names one
    resume: bool = False
    done: dict[str, dict] = field(default_factory=dict)  # with resume: the results already in OUTPUT, by id
    totals: Path | None = None
    columns: list[str] | None = None  # with resume: the columns of the CSV already in OUTPUT

    def scored(self, row: dict, result: dict) -> dict:
        """A result with the row's student and its points (score, max_score; None where the part is unknown)."""
        worth = self.targets.get(row["target"]) if row.get("target") else None
        if row.get("kind") == derivations.STEPS:
            return self._steps_scored(row, result, worth)
        score = None if worth is None else (worth if result.get("verdict") == "equivalent" else 0.0)
        return {**result, "student": row.get("student"),
                "score": None if score is None else number(score),
                "max_score": None if worth is None else number(worth)}

    def _steps_scored(self, row: dict, result: dict, worth: float | None) -> dict:
        """A derivation's result with its partial credit (`derivations.score`) and the rule applied."""
        result = {**result, "kind": derivations.STEPS}
        result.setdefault("steps", None)
        result.setdefault("first_wrong_line", None)
        if worth is None:
            return {**result, "student": row.get("student"), "score": None, "max_score": None, "score_note": None}
        problem, part = row["target"].split("/", 1)
        score, note = derivations.score(worth, result.get("verdict"), derivations.summary_of(result),
                                        self.points.rule("step_penalty", problem, part),
                                        self.points.rule("steps_credit", problem, part))
        return {**result, "student": row.get("student"), "score": number(score), "max_score": number(worth),
                "score_note": note}

    @property
    def result_columns(self) -> list[str]:
        """The CSV columns: an answer's result, and what a derivation adds when the run has one."""
        steps = any(row.get("kind") == derivations.STEPS for row in self.rows + self.bad)
        return [*RESULT_FIELDS, *(STEPS_COLUMNS if steps else ())]

    def invalid(self, row: dict) -> dict:
        """The result of a row at fault: invalid, with the line and the reason."""
        result = {"id": row["id"], "problem": row.get("problem"), "part": row.get("part"), "verdict": "invalid",
                  "message": f"line {row['line']}: {row['reason']}", "student_latex": None,
                  "reference_latex": None, "assumptions_used": [], "counterexample": None, "diagnosis": []}
        return self.scored(row, result)

    def by_id(self) -> dict[str, dict]:
        return {str(row["id"]): row for row in self.rows + self.bad}


def prepare(source: Path, output: str = "-", fmt: str | None = None, points_file: Path | None = None,
            resume: bool = False, totals: Path | None = None, skip_bad_rows: bool = False) -> Plan:
    """The plan of a run, or DeriveError with every fault of the input, the points and the options."""
    errors: list[str] = []
    fmt, problem = choose_format(output, fmt)
    errors += [problem] if problem else []
    errors += _option_faults(output, fmt, resume, totals)
    targets = Targets(load=True)
    points, faults = load(points_file, targets)
    errors += faults
    try:
        rows = list(read_rows(source))
    except DeriveError as exc:
        errors.append(str(exc))
        rows = []
    errors += [f"{source}: {why}" for why in duplicate_ids(rows)]
    good, bad = _check_rows(rows, targets, source.parent)
    if totals is not None and not any(row.get("student") for row in good + bad):
        errors.append(f"--totals adds up each student's points: give the rows of {source} a student "
                      "column (CSV) or key (JSONL)")
    plan = Plan(source, output, fmt, good, bad, points, {}, [], resume, totals=totals)
    if resume and not errors:
        errors += _resume_faults(plan)
    if errors or (bad and not skip_bad_rows):
        raise DeriveError(_message(source, errors, bad, skippable=not errors))
    plan.targets = _targets(good + bad, points)
    plan.students = list(dict.fromkeys(str(r["student"]) for r in good + bad if r.get("student") is not None))
    return plan


def _option_faults(output: str, fmt: str, resume: bool, totals: Path | None) -> list[str]:
    faults = []
    if fmt == "gradescope" and resume:
        faults.append("--resume works with JSONL or CSV output, not gradescope (its results.json is written at "
                      "the end)")
    if fmt == "gradescope" and output == "-":
        faults.append("--format gradescope writes a results.json: give -o FILE")
    if resume and output == "-":
        faults.append("--resume needs -o FILE")
    if totals is not None:
        if totals.suffix and totals.suffix.lower() != ".csv":
            faults.append(f"{totals}: --totals writes CSV; name the file .csv")
        if output != "-" and Path(output).resolve() == totals.resolve():
            faults.append(f"{totals}: --totals needs a file of its own, not the results file")
    return faults


def _check_rows(rows: list[dict], targets: Targets, folder: Path) -> tuple[list[dict], list[dict]]:
    """The rows that can be graded, and the rows at fault (each with its reason and an id: its own or
    "line N"). `folder`: where a derivation's file is."""
    good, bad = [], []
    for row in rows:
        reason = row.get("error") or _fields(row) or _target(row, targets) or _derivation(row, folder)
        if reason:
            key = row.get("id")
            usable = key not in (None, "") and isinstance(key, (str, int, float)) and not isinstance(key, bool)
            bad.append({"id": key if usable else f"line {row['line']}", "problem": row.get("problem"),
                        "part": row.get("part"), "student": _student(row.get("student")), "line": row["line"],
                        "reason": reason, "target": row.get("target"),
                        **({"kind": derivations.STEPS} if row.get("kind") == derivations.STEPS else {})})
        else:
            good.append(row)
    if any(row.get("student") is not None for row in good + bad):
        first: dict[tuple[str, str], int] = {}
        named = []
        for row in good:
            if row.get("student") is None:
                reason = "no student, where other rows name one; fill in the student"
            elif (row["student"], row["target"]) in first:
                reason = (f"student {row['student']!r} already answered {row['target']} on line "
                          f"{first[row['student'], row['target']]}; one answer a student and part")
            else:
                first[row["student"], row["target"]] = row["line"]
                named.append(row)
                continue
            bad.append({**row, "reason": reason})
        good = named
    bad.sort(key=lambda row: row["line"])
    return good, bad


def _fields(row: dict) -> str | None:
    """Why a row's fields are not an id, a problem, a part and an answer (as text); None when they are.
    Normalises the row: a number answer or student to text, an empty part to None."""
    key = row.get("id")
    if key is None or key == "":
        return "no id; give every row its own id"
    if isinstance(key, bool) or not isinstance(key, (str, int, float)):
        return f"the id must be text or a number, not {kind(key)}"
    problem = row.get("problem")
    if problem is None or problem == "":
        return "no problem; name the problem the answer is for (an id from derive list)"
    if not isinstance(problem, str):
        return f"the problem must be text (an id from derive list), not {kind(problem)}"
    part = row.get("part")
    if part is not None and not isinstance(part, str):
        return f"the part must be text (a part id from derive list), not {kind(part)}"
    if "/" in problem and not part:  # "problem/part" in the problem field
        row["problem"], _, row["part"] = problem.partition("/")
    row["part"] = row.get("part") or None
    row["steps_part"] = row["part"]  # a derivation of a problem named alone: its chains are matched to parts
    why = _kind(row)
    if why:
        return why
    answer = row.get("answer")
    if isinstance(answer, (int, float)) and not isinstance(answer, bool):
        row["answer"] = answer = str(answer)
    if not isinstance(answer, str):
        return f"the answer must be text, not {kind(answer)}; quote it (an empty string for a blank answer)"
    student = row.get("student")
    if student is not None and (isinstance(student, bool) or not isinstance(student, (str, int, float))):
        return f"the student must be text or a number, not {kind(student)}"
    row["student"] = _student(student)
    return None


def _kind(row: dict) -> str | None:
    """Why a row's kind and file are not an answer's or a derivation's; None when they are. A row with a file
    is a derivation (its answer is the file's text, read by `_derivation`)."""
    value, file = row.get("kind"), row.get("file")
    if value in (None, ""):
        value = None
    elif not isinstance(value, str) or value not in derivations.KINDS:
        return (f"unknown kind {value if isinstance(value, str) else kind(value)!r}; a row's kind is answer (the "
                "default) or steps (the answer, or the file, is a whole derivation)")
    if file in (None, ""):
        row["file"], row["kind"] = None, value or "answer"
        return None
    if not isinstance(file, str):
        return f"the file must be text (a path relative to the submissions file's folder), not {kind(file)}"
    if value == "answer":
        return "a row with a file is a derivation: write kind steps, or leave the kind empty"
    if row.get("answer") not in (None, ""):
        return "an answer and a file: give one (the answer's text, or the file of a derivation)"
    row["kind"], row["answer"] = derivations.STEPS, ""  # the file's text, once the row is known to be right
    return None


def _derivation(row: dict, folder: Path) -> str | None:
    """A derivation row's text, read from its file; why it cannot be taken (None when it can, or for an answer)."""
    if row.get("kind") != derivations.STEPS:
        return None
    if row.get("file"):
        try:
            row["answer"] = derivations.read_submission(folder, row["file"])
        except DeriveError as exc:
            return str(exc)
    if not row["answer"].strip():
        return "a blank derivation; give the derivation's text (or its file)"
    return derivations.too_long(row["answer"])


def _student(student) -> str | None:
    return None if student is None or student == "" or isinstance(student, (bool, list, dict)) else str(student)


def _target(row: dict, targets: Targets) -> str | None:
    part, reason = targets.part(row["problem"], row["part"])
    if reason:
        return reason
    row["part"], row["target"] = part, f"{row['problem']}/{part}"
    return None


def _targets(rows: list[dict], points: Points) -> dict[str, float]:
    """Every part the rows answer, in course order (problems by course.toml's order, parts in the spec's)."""
    named = {row["target"] for row in rows if row.get("target")}
    problems = list(dict.fromkeys(t.split("/")[0] for t in named))
    try:
        order = course.ordered(problems)
    except DeriveError:
        order = sorted(problems)
    targets = Targets()
    out = {}
    for problem in order:
        parts = targets.parts(problem)
        for part in parts if isinstance(parts, tuple) else ():
            if f"{problem}/{part}" in named:
                out[f"{problem}/{part}"] = points.of(problem, part)
    return out


def _resume_faults(plan: Plan) -> list[str]:
    """With --resume: the results in OUTPUT; an output that holds ids the input does not have is refused."""
    path = Path(plan.output)
    plan.done = graded_rows(path, plan.fmt)
    if plan.fmt == "csv":
        plan.columns = csv_header(path)
    known = plan.by_id()
    foreign = [key for key in plan.done if key not in known]
    if not foreign:
        return []
    shown = ", ".join(repr(k) for k in foreign[:3]) + (", ..." if len(foreign) > 3 else "")
    return [f"--resume: {plan.output} holds {len(foreign)} ids that {plan.source} does not have ({shown}): "
            f"it is the output of another input; give another -o FILE"]


def _message(source: Path, errors: list[str], bad: list[dict], skippable: bool) -> str:
    """One message: each fault with its line (rows with the same fault said once, with all their lines)."""
    lines = list(dict.fromkeys(errors))
    grouped: dict[str, list[int]] = defaultdict(list)
    for row in bad:
        grouped[row["reason"]].append(row["line"])
    for reason, where in list(grouped.items())[:MOST]:
        said = ", ".join(map(str, where[:10])) + (f" and {len(where) - 10} more" if len(where) > 10 else "")
        lines.append(f"{source} line{'s' if len(where) > 1 else ''} {said}: {reason}")
    if len(grouped) > MOST:
        lines.append(f"... and {len(grouped) - MOST} more kinds of fault in {sum(map(len, grouped.values()))} "
                     "rows in all")
    hint = " (or --skip-bad-rows: grade the other rows, these as invalid)" if skippable and bad else ""
    if len(lines) == 1:
        return lines[0] + hint
    count = len(errors) + len(bad)
    return (f"{count} faults found before grading; nothing was graded{hint}:\n"
            + "\n".join(f"  {line}" for line in lines))

