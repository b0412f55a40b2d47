"""Shared helpers: the library's problems and parts, for parametrised tests."""
from __future__ import annotations

import pytest

from derive.problem import library


def all_parts():
    return [(h.id, part) for h in library.headers() for part in library.current().part_ids(h.id)]


@pytest.fixture(autouse=True)
def _restore_library():
    """A test that configures course folders (the CLI's --problems) leaves the shipped library behind."""
    saved = library._current
    yield
    library._current = saved
