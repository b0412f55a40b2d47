"""Discovery of problem specs in `problems/` at run time.

`list_problems()` reads only each spec's header (id, title, source, parts) with
the `ast` module, so `derive list` does not import SymPy; `load(id)` executes
the one spec file and returns its `Spec`.
"""
from __future__ import annotations

import ast
import difflib
import importlib.util
import os
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

from .errors import SpecError, UnknownProblem


def problems_dir() -> Path:
    override = os.environ.get("DERIVE_PROBLEMS")
    return Path(override) if override else Path(__file__).resolve().parent.parent / "problems"


@dataclass(frozen=True)
class Header:
    id: str
    title: str
    source: str
    parts: tuple[str, ...]
    path: Path


def _literal_kwargs(call: ast.Call) -> dict:
    out = {}
    for kw in call.keywords:
        if kw.arg and isinstance(kw.value, ast.Constant):
            out[kw.arg] = kw.value.value
    return out


def _header(path: Path) -> Header:
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except (SyntaxError, UnicodeDecodeError) as exc:
        raise SpecError(f"{path.name}: cannot be read as Python: {exc}") from None
    spec_kwargs: dict = {}
    parts: list[str] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        if name == "Spec":
            spec_kwargs = _literal_kwargs(node)
        elif name == "part" and node.args and isinstance(node.args[0], ast.Constant):
            parts.append(node.args[0].value)
    missing = [k for k in ("id", "title", "source") if not isinstance(spec_kwargs.get(k), str)]
    if missing:
        raise SpecError(f"{path.name}: Spec(...) needs literal {', '.join(missing)}")
    return Header(spec_kwargs["id"], spec_kwargs["title"], spec_kwargs["source"], tuple(parts), path)


@lru_cache(maxsize=1)
def headers() -> tuple[Header, ...]:
    found = [_header(path) for path in sorted(problems_dir().glob("*.py")) if not path.name.startswith("_")]
    seen: dict[str, Path] = {}
    for header in found:
        if header.id in seen:
            raise SpecError(f"{header.path.name}: problem id {header.id!r} is also in {seen[header.id].name}")
        seen[header.id] = header.path
    return tuple(found)


def ids() -> list[str]:
    return [h.id for h in headers()]


def header(problem_id: str) -> Header:
    for h in headers():
        if h.id == problem_id:
            return h
    raise UnknownProblem(unknown_message("problem", problem_id, ids()))


def unknown_message(kind: str, name: str, known: list[str]) -> str:
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.4)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"unknown {kind} {name!r}{hint}; known: {', '.join(known)}"


def check_part(problem_id: str, part_id: str | None) -> str:
    """The part id to use: `part_id`, or the only part of a one-part problem."""
    h = header(problem_id)
    if part_id is None:
        if len(h.parts) == 1:
            return h.parts[0]
        raise UnknownProblem(f"problem {problem_id!r} has several parts; name one of: {', '.join(h.parts)}")
    if part_id not in h.parts:
        raise UnknownProblem(unknown_message(f"part of {problem_id}", part_id, list(h.parts)))
    return part_id


@cache
def load(problem_id: str):
    """Execute one spec file and return its `Spec` (validated)."""
    h = header(problem_id)
    module_name = f"derive_problem_{h.path.stem.replace('-', '_')}"
    loader_spec = importlib.util.spec_from_file_location(module_name, h.path)
    if loader_spec is None or loader_spec.loader is None:
        raise SpecError(f"{h.path.name}: cannot be imported")
    module = importlib.util.module_from_spec(loader_spec)
    try:
        loader_spec.loader.exec_module(module)
    except Exception as exc:  # a spec is user-written code: report, do not crash
        raise SpecError(f"{h.path.name} ({problem_id}): {type(exc).__name__}: {exc}") from None
    spec = getattr(module, "SPEC", None)
    from .validate import validate

    validate(spec, h)
    return spec


def all_specs():
    return [load(i) for i in ids()]
