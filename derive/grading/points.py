"""The points of a grading run, and the problem and part ids they (and the rows) name.

Points come from a `--points` file when one is given (it alone decides: its
`"*"` is the default, else 1), else from the `[points]` of the course's
`course.toml` files, else 1 a part. In both, a key is `problem/part`, or a
problem's id for all of its parts, split evenly over the parts not named
themselves. A key that names no problem or part is an error that names the
closest id, never ignored.

A `--points` file may also set the partial credit of derivations (rows of
kind `steps`, `derive.grading.derivations`): `"step_penalty"` (the fraction of
a part's points taken off for each wrong step, 0.25 by default) and
`"steps_credit"` (the most a derivation whose final answer is not right earns,
as a fraction of the points times the fraction of its links that follow; 0 by
default), each a number from 0 to 1, or an object of them by `problem/part`,
problem and `"*"`.
"""
from __future__ import annotations

import json
from pathlib import Path

from ..errors import DeriveError, SpecError, UnknownProblem
from ..problem import course, library
from ..problem.library import suggest

FILE_SHAPE = '{"problem/part": points, "problem": points, "*": default}'
#: the partial credit of a derivation: each setting's default (see derive.grading.derivations)
STEPS_RULES = {"step_penalty": 0.25, "steps_credit": 0.0}


def number(value: float) -> float | int:
    """A score as it is written: 3, not 3.0; 0.3333, not 0.33333333333333331."""
    value = round(float(value), 4)
    return int(value) if value.is_integer() else value


class Targets:
    """Problem and part ids checked against the library in use, each problem looked up once."""

    def __init__(self, load: bool = False):
        self.lib, self.load = library.current(), load  # load: each problem's spec too, as grading will
        self._parts: dict[str, tuple[str, ...] | str] = {}

    def parts(self, problem: str) -> tuple[str, ...] | str:
        """The part ids of a problem, or why it has none (unknown, or a spec that does not load)."""
        if problem not in self._parts:
            try:
                self._parts[problem] = self.lib.part_ids(problem)
                if self.load:
                    self.lib.load(problem)
            except UnknownProblem:
                self._parts[problem] = (f"unknown problem {problem!r}"
                                        f"{suggest(problem, self.lib.ids()) or '; see derive list'}")
            except SpecError as exc:
                self._parts[problem] = f"{exc}; fix the spec (derive validate {problem})"
        return self._parts[problem]

    def part(self, problem: str, part: str | None) -> tuple[str | None, str | None]:
        """(the part id to grade, None) or (None, why the row names no part: with the closest id)."""
        parts = self.parts(problem)
        if isinstance(parts, str):
            return None, parts
        if not part:
            if len(parts) == 1:
                return parts[0], None
            return None, f"no part; {problem} has parts {', '.join(parts)}: say which"
        if part not in parts:
            hint = suggest(part, parts, lambda p: f"{problem}/{p}") or f"; its parts are {', '.join(parts)}"
            return None, f"unknown part {part!r} of {problem}{hint}"
        return part, None

    def key(self, key: str) -> str | None:
        """Why a points key names no problem or part, or None when it names one."""
        problem, slash, part = key.partition("/")
        if problem not in self.lib.ids():
            hint = suggest(problem, self.lib.ids(), lambda p: f"{p}/{part}" if slash else p)
            return f"{key!r} names no problem or part{hint or '; see derive list'}"
        parts = self.parts(problem)
        if isinstance(parts, str):  # a spec that does not load
            return parts
        if slash and part not in parts:
            return (f"{key!r} names no part of {problem}"
                    f"{suggest(part, parts, lambda p: f'{problem}/{p}') or '; its parts are ' + ', '.join(parts)}")
        return None


class Points:
    """The points of each part: named itself, else its problem's split evenly, else the default."""

    def __init__(self, table: dict[str, float] | None = None, source: str = "1 a part", default: float = 1.0,
                 rules: dict[str, dict[str, float]] | None = None):
        self.table, self.source, self.default = dict(table or {}), source, float(default)
        self.rules = {name: dict((rules or {}).get(name, {})) for name in STEPS_RULES}  # setting -> key -> value
        self._course = course.Course(points=self.table)
        self._cache: dict[tuple[str, str], float] = {}

    def of(self, problem: str, part: str) -> float:
        if (problem, part) not in self._cache:
            got = self._course.part_points(problem, part, library.current().part_ids(problem))
            self._cache[problem, part] = self.default if got is None else got
        return self._cache[problem, part]

    def rule(self, name: str, problem: str, part: str) -> float:
        """A derivation's partial-credit setting (`STEPS_RULES`) for a part: its own, its problem's, the
        file's, else the default."""
        given = self.rules[name]
        for key in (f"{problem}/{part}", problem, "*"):
            if key in given:
                return given[key]
        return STEPS_RULES[name]

    @classmethod
    def from_course(cls) -> Points:
        """The `[points]` of the course's `course.toml` files (SpecError for a file at fault)."""
        now = course.current()
        if not now.points:
            return cls()
        return cls(now.points, source=", ".join(library.shown(p) for p in now.files))


def load(path: Path | None, targets: Targets | None = None) -> tuple[Points, list[str]]:
    """The points of a run and every fault in them: the `--points` file `path`, else the course.toml files'
    [points] (a course.toml at fault is one fault), else 1 a part."""
    if path is not None:
        return read_file(path, targets)
    try:
        return Points.from_course(), []
    except DeriveError as exc:
        return Points(), [str(exc)]


def read_file(path: Path, targets: Targets | None = None) -> tuple[Points, list[str]]:
    """A `--points` file and every fault in it, each with its line (a key that names no part: the closest id)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return Points(), [f"{path}: cannot be read ({exc})"]
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return Points(), [f"{path} line {exc.lineno}: not valid JSON ({exc.msg}); write {FILE_SHAPE}"]
    if not isinstance(data, dict):
        return Points(), [f"{path}: expected a JSON object {FILE_SHAPE}"]
    targets = targets or Targets()
    errors = []
    rules: dict[str, dict[str, float]] = {}
    for key, value in data.items():
        line = _line_of(text, key)
        where = f"{path} line {line}" if line else str(path)
        if key in STEPS_RULES:
            rules[key], faults = _rule(key, value, targets)
            errors += [f"{where}: {fault}" for fault in faults]
        elif isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < float("inf"):
            errors.append(f"{where}: {key!r} is worth {json.dumps(value)}; points are non-negative numbers")
        elif key != "*" and (why := targets.key(key)):
            errors.append(f"{where}: {why}")
    table = {k: float(v) for k, v in data.items()
             if k != "*" and k not in STEPS_RULES and isinstance(v, (int, float))}
    return Points(table, source=str(path), default=data.get("*", 1) if not errors else 1, rules=rules), errors


def _fraction(value) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, float)) and 0 <= value <= 1


def _rule(name: str, value, targets: Targets) -> tuple[dict[str, float], list[str]]:
    """A partial-credit setting: a fraction for every part, or {"problem/part" or "problem" or "*": fraction}."""
    if _fraction(value):
        return {"*": float(value)}, []
    if not isinstance(value, dict):
        return {}, [f"{name!r} is {json.dumps(value)}; write a fraction from 0 to 1, or "
                    f'{{"problem/part": fraction, "problem": fraction, "*": default}}']
    faults = [f"{name!r}: {key!r} is {json.dumps(v)}; write a fraction from 0 to 1"
              for key, v in value.items() if not _fraction(v)]
    faults += [f"{name!r}: {why}" for key in value if key != "*" and (why := targets.key(key))]
    return {k: float(v) for k, v in value.items() if _fraction(v)}, faults


def _line_of(text: str, key: str) -> int | None:
    for spelled in (json.dumps(key, ensure_ascii=False), json.dumps(key)):
        at = text.find(spelled)
        if at >= 0:
            return text.count("\n", 0, at) + 1
    return None
