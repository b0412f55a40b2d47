"""`derive equiv` over the peer answer-equivalence cases (../shared/peer/cases.tsv), through the CLI.

    .venv/bin/python benchmarks/peer.py [path/to/cases.tsv]

Each case runs as a user types it, `derive equiv STUDENT TEACHER --json`
(no `--`, whatever the answers begin with), through the command line's own
argument parsing (click's runner, in this process: the figures are the check's,
not Python's start-up). Prints agreement with the expected verdicts, every
disagreement with its reason, and the time per case. Rows tagged [assumption]
(equal only on a restricted domain; derive works over the reals with principal
branches) and [policy] (Math-Verify's float rounding; derive reads decimals
exactly) are counted apart. A [tolerance-trap] row called equivalent is a
failure, and so is an exit code that disagrees with the verdict.
"""
from __future__ import annotations

import csv
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEFAULT = ROOT.parent / "shared" / "peer" / "cases.tsv"


EXIT = {"equivalent": 0, "not_equivalent": 1, "invalid": 2, "undecided": 3}


def run(argv: list[str]) -> tuple[dict, int]:
    """`derive ARGV` through the CLI: its JSON answer and exit code."""
    from click.testing import CliRunner

    from derive.cli import main as cli

    outcome = CliRunner().invoke(cli, argv, catch_exceptions=False)
    try:
        return json.loads(outcome.stdout), outcome.exit_code
    except json.JSONDecodeError:
        return {"verdict": "error", "message": (outcome.stdout + outcome.stderr).strip()[:200]}, outcome.exit_code


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))
    run(["equiv", "x", "x"])  # warm up imports
    times, agree, apart, disagreements, traps, exits = [], 0, [], [], [], []
    for number, row in enumerate(rows, start=2):
        start = time.perf_counter()
        result, code = run(["equiv", row["student_answer"], row["teacher_answer"], "--json", "--timeout", "5"])
        times.append(time.perf_counter() - start)
        verdict = result["verdict"]
        if EXIT.get(verdict) != code:
            exits.append(f"  line {number}: {verdict} with exit code {code}: {result.get('message', '')}")
        got = {"equivalent": "1", "not_equivalent": "0", "invalid": "0"}.get(verdict, "?")
        note = row["note"]
        if "[tolerance-trap" in note and verdict == "equivalent":
            traps.append(number)
        if got == row["expected"]:
            agree += 1
            continue
        line = (f"  line {number}: expected {row['expected']}, got {verdict}: "
                f"{row['student_answer']!r} vs {row['teacher_answer']!r}\n"
                f"      {result['message']}\n      note: {note}")
        if "[assumption" in note or "[policy]" in note:
            apart.append(line)
        else:
            disagreements.append(line)
    total = len(rows)
    counted = total - len(apart)
    print(f"{total} cases: agree on {agree}; {len(apart)} disagreements on [assumption]/[policy] rows (by design)")
    print(f"agreement on the other rows: {counted - len(disagreements)}/{counted}")
    print(f"[tolerance-trap] rows called equivalent: {len(traps)} {traps if traps else ''}")
    print(f"exit codes that disagree with the verdict: {len(exits)}")
    if exits:
        print("\n".join(exits))
    ms = sorted(t * 1000 for t in times)
    p95 = ms[int(0.95 * len(ms)) - 1]
    print(f"time per case: median {statistics.median(ms):.1f} ms, 95th percentile {p95:.1f} ms, max {ms[-1]:.0f} ms")
    if disagreements:
        print("disagreements:")
        print("\n".join(disagreements))
    if apart:
        print("disagreements on [assumption]/[policy] rows:")
        print("\n".join(apart))


if __name__ == "__main__":
    main()
