"""Derived problems cached on disk, keyed by the engine's and the specs' source.

Deriving imports SymPy and runs the engine; a cached report renders with
Jinja alone. The key is a hash of every file that can change an answer, so
an edited spec or engine never serves a stale derivation.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

from . import __version__
from .registry import problems_dir

PACKAGE = Path(__file__).resolve().parent


def cache_dir() -> Path:
    override = os.environ.get("DERIVE_CACHE_DIR")
    base = Path(override) if override else Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "derive"
    return base


def fingerprint() -> str:
    digest = hashlib.sha256(__version__.encode())
    for path in sorted(PACKAGE.glob("*.py")) + sorted(problems_dir().glob("*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:20]


def problem_report(problem_id: str, use_cache: bool = True) -> dict:
    """The report of a problem, from the cache when it is there."""
    path = cache_dir() / fingerprint() / f"{problem_id}.json"
    if use_cache and path.is_file():
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            pass  # a damaged entry is derived again and rewritten
    from .report import problem_report as derive_report

    report = derive_report(problem_id)
    if use_cache:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False, encoding="utf-8") as tmp:
                json.dump(report, tmp, ensure_ascii=False)
            os.replace(tmp.name, path)
        except OSError:
            pass  # a read-only home still gets its answer, only slower
    return report
