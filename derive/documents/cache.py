"""Derived problems cached on disk, keyed by the engine's and the specs' source.

Deriving imports SymPy and runs the engine; a cached report renders with
Jinja alone. The key (`derive.problem.store`) is a hash of every source file
of the package and every spec file of every problem folder in use, so an
edited spec, engine or course folder never serves a stale derivation.
"""
from __future__ import annotations

from ..problem import library, store


def problem_report(problem_id: str, use_cache: bool = True) -> dict:
    """The report of a problem, from the cache when it is there (derived and stored otherwise)."""
    key = library.fingerprint()
    name = f"{problem_id}.json"
    if use_cache:
        cached = store.read(key, name)
        if isinstance(cached, dict):
            return cached
    from .report import derive_report  # the engine and SymPy, only on a miss

    report = derive_report(problem_id)
    if use_cache:
        store.write(key, name, report)
    return report
