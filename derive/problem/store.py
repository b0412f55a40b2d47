"""A small on-disk store of JSON results, keyed by everything that can change them.

Derived problems and the load status of spec files are kept under
`~/.cache/derive/<fingerprint>/` (or `$DERIVE_CACHE_DIR`). The fingerprint
hashes derive's version, every Python source file of the package (in every
subpackage) and every spec file of every problem folder in use, so an edited
engine, spec or course folder never serves a stale result. A store that
cannot be written (a read-only home) only makes things slower.
"""
from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..version import __version__

PACKAGE = Path(__file__).resolve().parent.parent


def cache_dir() -> Path:
    """The root of the store: $DERIVE_CACHE_DIR, else $XDG_CACHE_HOME/derive, else ~/.cache/derive."""
    override = os.environ.get("DERIVE_CACHE_DIR")
    if override:
        return Path(override)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "derive"


def source_files() -> list[Path]:
    """Every Python file of the derive package and its subpackages (not caches or data), in a fixed order."""
    out: list[Path] = []
    for root, dirs, files in os.walk(PACKAGE):
        dirs[:] = sorted(d for d in dirs if os.path.isfile(os.path.join(root, d, "__init__.py")))
        out += [Path(root, name) for name in sorted(files) if name.endswith(".py")]
    return out


def stamp(path: Path) -> list[int]:
    """A file's size and modification time (ns): a cheap test that it has not changed."""
    try:
        st = path.stat()
    except OSError:
        return [-1, -1]
    return [st.st_size, st.st_mtime_ns]


def fingerprint(spec_files: Iterable[Path]) -> str:
    """A hash of derive's version, its source files and the given spec files (names and contents)."""
    import hashlib  # OpenSSL's import costs more than `derive --help` may spend

    digest = hashlib.sha256(__version__.encode())
    for path in source_files():
        digest.update(path.relative_to(PACKAGE).as_posix().encode())
        digest.update(path.read_bytes())
    for path in spec_files:
        digest.update(str(path).encode())
        try:
            digest.update(path.read_bytes())
        except OSError:
            digest.update(b"<unreadable>")
    return digest.hexdigest()[:20]


def read(key: str, name: str) -> Any | None:
    """The JSON value stored as `name` under `key`, or None (missing or damaged)."""
    path = cache_dir() / key / name
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def write(key: str, name: str, value: Any) -> None:
    """Store `value` as `name` under `key`, atomically; silently skipped where the store is read-only."""
    import tempfile  # only a cache miss writes: `derive list` and a cached derivation do not pay for it

    path = cache_dir() / key / name
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False, encoding="utf-8") as tmp:
            json.dump(value, tmp, ensure_ascii=False)
        os.replace(tmp.name, path)
    except OSError:
        pass
