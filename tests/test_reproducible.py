"""The same input gives the same verdict on any machine (issue 19): what decides `undecided` is counted work,
the points come from the problem, the part and the answer, so the checker's JSON is byte-identical run after
run, also while two CPU-bound processes compete for the machine.

Each run is a fresh process that checks the tables of tests/test_check.py, tests/test_reading_verdicts.py
and tests/test_kinks.py (and a few `equiv`s) and prints every result's JSON.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SCRIPT = r"""
import json
from derive.checking import check, equiv
from tests.test_check import CASES, REJECTED
from tests.test_kinks import TABLE
from tests.test_reading_verdicts import ROWS

cases = [(t, a) for t, a in CASES] + [(row[0], row[1]) for row in REJECTED] + \
    [(row[0], row[1]) for row in ROWS] + [(row[0], row[1]) for row in TABLE]
for target, answer in cases:
    result = check(target, answer).to_json()
    result.pop("seconds")
    print(json.dumps(result, sort_keys=True, ensure_ascii=False))
for a, b in [("max(0, x)", "x"), ("x [x > 0]", "max(0, x)"), ("max(x/2, exp(x))", "exp(x)"),
             ("(1+x)^50 (1-x)^50 - (1-x^2)^50 + 1 - tanh(x)^2", "1/cosh(x)^2")]:
    result = equiv(a, b).to_json()
    result.pop("seconds")
    print(json.dumps(result, sort_keys=True, ensure_ascii=False))
"""


def _run() -> str:
    done = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def _busy() -> list[subprocess.Popen]:
    return [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(2)]


def test_the_checker_tables_give_the_same_json_twice_and_under_load():
    first = _run()
    second = _run()
    busy = _busy()
    try:
        loaded = _run()
    finally:
        for process in busy:
            process.kill()
            process.wait()
    assert first.count("\n") > 80
    assert first == second, "two idle runs differ"
    assert first == loaded, "a run with two CPU-bound processes beside it differs"
