"""Shared helpers and the test session's library: the shipped problems only.

A teacher's $DERIVE_PROBLEMS must not change what the tests (or the golden
files) see; tests that need course folders make their own.
"""
from __future__ import annotations

import os

import pytest

from derive.problem import library

os.environ.pop("DERIVE_PROBLEMS", None)
library._current = library.Library([library.shipped_folder()])


def all_parts():
    return [(h.id, part) for h in library.headers() for part in library.current().part_ids(h.id)]


@pytest.fixture(autouse=True)
def _restore_library():
    """A test that configures course folders (the CLI's --problems) leaves the shipped library behind."""
    saved = library._current
    yield
    library._current = saved


#: how long a test lets one parse or check of hostile text run: a bound that catches a runaway (minutes, a
#: blow-up), not a speed. Speeds are figures of `benchmarks/` (latency.py prints the parser's).
RUNAWAY_SECONDS = 10.0
