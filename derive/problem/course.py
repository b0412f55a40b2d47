"""A course: the order of its problems, its title and its points, from an optional `course.toml`.

Each problem folder may hold a `course.toml`:

    title = "Backpropagation, homework 3"
    subtitle = "Due Friday"
    order = ["softmax-jacobian", "log-softmax-jacobian", "two-layer-l2"]
    [points]
    "softmax-jacobian/jacobian" = 2
    "two-layer-l2" = 6            # every part of the problem (split evenly)

`derive pdf`, `derive grade` and `derive autograder` read it. `order` lists
problem ids (the folder's problems not listed follow, by id); `points` gives
a part's points by `problem/part`, or a whole problem's by its id (split
evenly over its parts; a part named itself wins). A key that names no
problem or part is an error with the closest id, never ignored.
"""
from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10 (Gradescope's Ubuntu 22.04): the same parser, as a package
    import tomli as tomllib  # type: ignore[import-not-found]  # (not installed where Python has tomllib)

from ..errors import SpecError
from . import library

FILE = "course.toml"
KEYS = {"title", "subtitle", "order", "points"}


@dataclass(frozen=True)
class Course:
    """What the `course.toml` files of the library's folders say (empty where there are none)."""

    title: str | None = None
    subtitle: str | None = None
    order: tuple[str, ...] = ()  # problem ids, in the order the course takes them
    points: dict[str, float] = field(default_factory=dict)  # problem/part or problem -> points
    files: tuple[Path, ...] = ()

    def part_points(self, problem_id: str, part_id: str, parts: Sequence[str]) -> float | None:
        """The points of one part: named itself, else its problem's split evenly; None when not given."""
        own = self.points.get(f"{problem_id}/{part_id}")
        if own is not None:
            return own
        whole = self.points.get(problem_id)
        if whole is None:
            return None
        named = [p for p in parts if f"{problem_id}/{p}" in self.points]
        rest = [p for p in parts if p not in named]
        left = whole - sum(self.points[f"{problem_id}/{p}"] for p in named)
        return left / len(rest) if rest else None


def read_file(path: Path) -> dict:
    """The checked contents of one `course.toml` (SpecError naming the file and the fault)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise SpecError(f"{library.shown(path)}: {exc}") from None
    unknown = sorted(set(data) - KEYS)
    if unknown:
        raise SpecError(f"{library.shown(path)}: unknown key {unknown[0]!r}; known: {', '.join(sorted(KEYS))}")
    for key in ("title", "subtitle"):
        if key in data and not isinstance(data[key], str):
            raise SpecError(f"{library.shown(path)}: {key} must be a string")
    order = data.get("order", [])
    if not (isinstance(order, list) and all(isinstance(x, str) for x in order)):
        raise SpecError(f"{library.shown(path)}: order must be a list of problem ids")
    points = data.get("points", {})
    if not isinstance(points, dict) or not all(_points_value(v) for v in points.values()):
        raise SpecError(f"{library.shown(path)}: [points] maps problem/part ids to non-negative numbers")
    return data


def _points_value(value) -> bool:
    """A finite, non-negative number (not a bool, not NaN)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value < float("inf")


def check_points(points: dict[str, float], where: str) -> None:
    """Every key names a problem or a part of the library in use (SpecError with the closest id)."""
    if not points:
        return  # nothing to check: no spec is loaded (a broken one must not stop `derive pdf`)
    lib = library.current()
    ids = lib.ids()
    targets = list(ids)
    for problem_id in ids:
        try:
            targets += [f"{problem_id}/{part}" for part in lib.part_ids(problem_id)]
        except SpecError:
            continue  # a broken spec: its own error is reported where it is used
    for key in points:
        if key not in targets:
            raise SpecError(f"{where}: {key!r} names no problem or part{library.suggest(key, targets)}")


def current() -> Course:
    """The course of the library in use, from its folders' `course.toml` files: a later folder (a course
    folder after the shipped one) wins for the title, comes first in the order, and overrides points."""
    lib = library.current()
    title = subtitle = None
    order: list[str] = []
    points: dict[str, float] = {}
    files = []
    orders: list[list[str]] = []
    known = set(lib.ids())
    for folder in lib.folders:
        path = folder / FILE
        if not path.is_file():
            continue
        data = read_file(path)
        files.append(path)
        title = data.get("title", title)
        subtitle = data.get("subtitle", subtitle)
        for problem_id in data.get("order", []):
            if problem_id not in known:
                raise SpecError(f"{library.shown(path)}: order names {problem_id!r}, no problem of the library"
                                f"{library.suggest(problem_id, sorted(known))}")
        orders.append(data.get("order", []))
        check_points(data.get("points", {}), library.shown(path))
        points.update({k: float(v) for k, v in data.get("points", {}).items()})
    for listed in reversed(orders):
        order.extend(p for p in listed if p not in order)
    return Course(title, subtitle, tuple(order), points, tuple(files))


def ordered(ids: Sequence[str] | None = None) -> list[str]:
    """Problem ids (all of the library's, or `ids`) in course order: the ones a `course.toml` lists, in
    its order, then the others folder by folder and by id."""
    lib = library.current()
    wanted = list(lib.ids()) if ids is None else list(ids)
    rank = {problem_id: n for n, problem_id in enumerate(current().order)}
    folders = list(lib.folders)
    where = {}
    for h in lib.headers():
        folder = lib.folder_of(h)
        where[h.id] = folders.index(folder) if folder in folders else len(folders)
    return sorted(dict.fromkeys(wanted), key=lambda p: (rank.get(p, len(rank)), where.get(p, len(folders)), p))
