"""What `derive list` knows of a spec file without running it: its header, read with `ast`.

A header is the literal `id`, `title` and `source` of `Spec(...)` and the
literal ids of `SPEC.part(...)`. Reading it needs neither SymPy nor the
spec's own code, so listing a library is fast and a broken spec cannot stop
it: a file that cannot be read gives a `Broken` entry (with the id it seems
to claim) instead. Parts whose id is computed (built in a loop) make the
header `dynamic`: their ids are known only by loading the spec.
"""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Header:
    """A spec file's literal header."""

    id: str
    title: str
    source: str
    parts: tuple[str, ...]
    path: Path
    dynamic: bool = False  # some SPEC.part(...) has an id that is not a string literal

    def to_json(self) -> dict:
        return {"id": self.id, "title": self.title, "source": self.source, "parts": list(self.parts),
                "path": str(self.path), "dynamic": self.dynamic}

    @classmethod
    def from_json(cls, data: dict) -> Header:
        return cls(data["id"], data["title"], data["source"], tuple(data["parts"]), Path(data["path"]),
                   data["dynamic"])


@dataclass(frozen=True)
class Broken:
    """A spec file that cannot be used, and why (one line)."""

    path: Path
    id: str | None  # the id the file seems to claim, when one can be found
    error: str

    def to_json(self) -> dict:
        return {"path": str(self.path), "id": self.id, "error": self.error}

    @classmethod
    def from_json(cls, data: dict) -> Broken:
        return cls(Path(data["path"]), data["id"], data["error"])


UNREADABLE = "cannot be read"  # how the error of a file that cannot be opened begins

_CLAIMED_ID = re.compile(r"""\bid\s*=\s*["']([A-Za-z0-9][A-Za-z0-9_.-]*)["']""")


def claimed_id(text: str) -> str | None:
    """The first `id="..."` in a file's text: how a broken spec is still named."""
    found = _CLAIMED_ID.search(text)
    return found.group(1) if found else None


def _literal_kwargs(call: ast.Call) -> dict:
    return {kw.arg: kw.value.value for kw in call.keywords
            if kw.arg and isinstance(kw.value, ast.Constant)}


def _part_id(call: ast.Call) -> str | None:
    """The literal id of a `.part(...)` call, or None when it is computed."""
    node = call.args[0] if call.args else next((kw.value for kw in call.keywords if kw.arg == "id"), None)
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def read_header(path: Path) -> Header | Broken:
    """The header of the spec file at `path`, or why it has none."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return Broken(path, None, f"{UNREADABLE}: {exc}")
    try:
        tree = ast.parse(text, filename=str(path))
    except SyntaxError as exc:
        return Broken(path, claimed_id(text), f"SyntaxError: {exc.msg} (line {exc.lineno})")
    spec_kwargs: dict = {}
    parts: list[str] = []
    dynamic = False
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        if name == "Spec" and not spec_kwargs:
            spec_kwargs = _literal_kwargs(node)
        elif name == "part" and isinstance(node.func, ast.Attribute):
            part_id = _part_id(node)
            if part_id is None:
                dynamic = True
            else:
                parts.append(part_id)
    missing = [k for k in ("id", "title", "source") if not isinstance(spec_kwargs.get(k), str)]
    if missing:
        return Broken(path, claimed_id(text), f"Spec(...) needs a literal {', '.join(missing)} "
                                              f"(a string, so that `derive list` can read it)")
    return Header(spec_kwargs["id"], spec_kwargs["title"], spec_kwargs["source"], tuple(parts), path, dynamic)
