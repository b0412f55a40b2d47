"""Shared helpers: the library's problems and parts, for parametrised tests."""
from __future__ import annotations

from derive.problem import library


def all_parts():
    return [(h.id, part) for h in library.headers() for part in library.current().part_ids(h.id)]
