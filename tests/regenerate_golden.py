"""Rewrite tests/golden/<problem>.tex from the current engine; review the diff before committing.

    .venv/bin/python -m tests.regenerate_golden [PROBLEM ...]

A separate command on purpose: a test run only compares, so a passing run
never rewrote what it compared against.
"""
from __future__ import annotations

import sys

from derive.problem import library

from .test_render import GOLDEN, latex_of


def main(argv: list[str]) -> int:
    library._current = library.Library([library.shipped_folder()])  # the shipped problems, whatever the environment
    ids = argv or library.ids()
    for problem_id in ids:
        path = GOLDEN / f"{problem_id}.tex"
        new = latex_of(problem_id)
        old = path.read_text(encoding="utf-8") if path.is_file() else None
        if new != old:
            path.write_text(new, encoding="utf-8")
            print(f"{'rewrote' if old is not None else 'wrote'} {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
