"""Grade 10 000 generated submissions with --jobs 1 and --jobs 2 (prints figures; asserts nothing).

    .venv/bin/python benchmarks/grade.py [COUNT]

The submissions are the specs' own answers in their notations (the reference
as plain ASCII text, as Unicode text, as LaTeX, in matrix form; every known
mistake), mixed with hostile ones (huge powers, deep nesting, LaTeX commands,
Python escapes, empty and enormous answers). Each run is a whole `derive
grade` process; the figures are checks per second, the speed-up of two
workers, and the peak resident memory of any one process.
"""
from __future__ import annotations

import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

HOSTILE = ["9^9^9^9", "10**10**10", "(x+1)^(10^10)", "__import__('os').system('true')", "().__class__",
           r"\input{/etc/passwd}", r"\write18{ls}", r"\def\x{1}", "(" * 5000 + "x" + ")" * 5000, "", "x" * 200_000,
           "s_i\x00", "99999!", "sum_{k=1}^{10^10} k", "lambda: 1"]


def answers():
    from derive.printing import ascii_text, matrix_ascii, tex, text
    from derive.printing.matrixform import to_matrix
    from derive.problem import library

    for spec in library.all_specs():
        for part in spec.parts:
            target = (spec.id, part.id)
            yield target, ascii_text(part.reference, spec)
            yield target, text(part.reference, spec)
            yield target, tex(part.reference, spec)
            if part.matrix:
                yield target, matrix_ascii(to_matrix(part.reference, part.free, spec), spec)
            for mistake in part.mistakes:
                yield target, ascii_text(mistake.answer, spec)
                yield target, tex(mistake.answer, spec)


def generate(path: Path, count: int) -> None:
    rng = random.Random(1)
    pool = list(answers())
    with path.open("w", encoding="utf-8") as out:
        for n in range(count):
            if n % 50 == 49:
                (problem, part), answer = rng.choice(pool)[0], rng.choice(HOSTILE)
            else:
                (problem, part), answer = rng.choice(pool)
            out.write(json.dumps({"id": f"s{n}", "problem": problem, "part": part, "answer": answer}) + "\n")


def grade(source: Path, jobs: int) -> tuple[float, int]:
    out = source.with_name(f"results-{jobs}.jsonl")
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "derive.cli", "grade", str(source), "-o", str(out), "--jobs", str(jobs),
                    "--timeout", "5"], check=True, cwd=ROOT, capture_output=True)
    seconds = time.perf_counter() - start
    return seconds, sum(1 for _ in out.open(encoding="utf-8"))


def machine_parallelism() -> float:
    """How much faster two busy Python processes finish than one after the other, on this machine."""
    spin = [sys.executable, "-c", "sum(range(20_000_000))"]
    start = time.perf_counter()
    subprocess.run(spin, check=True)
    one = time.perf_counter() - start
    start = time.perf_counter()
    procs = [subprocess.Popen(spin) for _ in range(2)]
    for proc in procs:
        proc.wait()
    two = time.perf_counter() - start
    return 2 * one / two


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    folder = Path(tempfile.mkdtemp(prefix="derive-bench-grade-"))
    source = folder / "submissions.jsonl"
    generate(source, count)
    one, rows1 = grade(source, 1)
    two, rows2 = grade(source, 2)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"{count} submissions (1 in 50 hostile), results: {rows1} and {rows2} rows")
    print(f"--jobs 1: {one:7.1f} s = {count / one:6.0f} checks/s")
    print(f"--jobs 2: {two:7.1f} s = {count / two:6.0f} checks/s; speed-up {one / two:.2f}x")
    print(f"this machine runs two busy processes {machine_parallelism():.2f}x as fast as one (the ceiling)")
    print(f"peak resident memory of one process: {peak:.0f} MB")
    verdicts = {}
    for line in (folder / "results-2.jsonl").open(encoding="utf-8"):
        verdict = json.loads(line)["verdict"]
        verdicts[verdict] = verdicts.get(verdict, 0) + 1
    print("verdicts:", ", ".join(f"{v} {k}" for k, v in sorted(verdicts.items())))


if __name__ == "__main__":
    main()
