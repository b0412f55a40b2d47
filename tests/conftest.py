"""Shared fixtures: the registry's problems and parts, for parametrised tests."""
from __future__ import annotations

import pytest

from derive import registry


def all_parts():
    return [(h.id, part) for h in registry.headers() for part in h.parts]


def pytest_addoption(parser):
    parser.addoption("--regenerate-golden", action="store_true", default=False,
                     help="rewrite tests/golden/*.tex from the current engine (review the diff)")


@pytest.fixture
def regenerate_golden(request):
    return request.config.getoption("--regenerate-golden")
