"""Per-check latency and accuracy of `derive check` against the naive `sympy.simplify(a - b) == 0`.

    .venv/bin/python benchmarks/latency.py

The answers are every spec's own: the reference as a student types it (index
form and matrix form) must be accepted, each known mistake rejected. Both
methods get the same parsed expressions; the figures are warm (each answer
checked once before it is timed), and, on a second line, each answer checked
for the first time with its part prepared (what a new answer costs a server). The naive method gets a 10 s limit per
answer (counted as wrong when it runs out).
"""
from __future__ import annotations

import multiprocessing
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def cases():
    from derive.printing import ascii_text, matrix_ascii
    from derive.printing.matrixform import to_matrix
    from derive.problem import library

    for spec in library.all_specs():
        for part in spec.parts:
            target = f"{spec.id}/{part.id}"
            yield target, ascii_text(part.reference, spec), True
            if part.matrix:
                yield target, matrix_ascii(to_matrix(part.reference, part.free, spec), spec), True
            for mistake in part.mistakes:
                yield target, ascii_text(mistake.answer, spec), False


def _naive(queue, target, answer):
    import sympy as sp

    from derive.parsing import Vocabulary, parse
    from derive.problem import library

    problem, part_id = target.split("/")
    spec = library.load(problem)
    part = spec.part_by_id(part_id)
    expr = parse(answer, Vocabulary.from_spec(spec, part)).index_form(part.free)
    start = time.perf_counter()
    same = sp.simplify(expr - part.reference) == 0
    queue.put((same, time.perf_counter() - start))


def naive(target, answer, limit=10.0):
    queue = multiprocessing.Queue()
    process = multiprocessing.Process(target=_naive, args=(queue, target, answer))
    process.start()
    process.join(limit)
    if process.is_alive():
        process.kill()
        return None, limit
    return queue.get() if not queue.empty() else (None, limit)


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def first_times(rows) -> list[float]:
    """Each answer checked for the first time, its part already prepared (another answer checked first):
    what a new student's answer costs a warm server."""
    from derive.checking import check

    for target in {t for _, t, _, _ in rows}:
        check(target, "0")
    times = []
    for _, target, answer, _ in rows:
        start = time.perf_counter()
        check(target, answer)
        times.append((time.perf_counter() - start) * 1000)
    return times


def parse_times() -> list[float]:
    """The parser alone: two-layer-l2/dW1's reference as a student types it, 30 times (ms)."""
    from derive.parsing import Vocabulary, parse
    from derive.printing import text
    from derive.problem import library

    spec = library.load("two-layer-l2")
    part = spec.part_by_id("dW1")
    vocab = Vocabulary.from_spec(spec, part)
    answer = text(part.reference, spec)
    parse(answer, vocab)
    times = []
    for _ in range(30):
        start = time.perf_counter()
        parse(answer, vocab).index_form(part.free)
        times.append((time.perf_counter() - start) * 1000)
    return times


def main() -> None:
    from derive.checking import check, resolve

    rows = [(resolve(t), t, a, ok) for t, a, ok in cases()]
    first = first_times(rows)
    times, right = [], 0
    for _, target, answer, ok in rows:
        check(target, answer)  # warm
        start = time.perf_counter()
        result = check(target, answer)
        times.append((time.perf_counter() - start) * 1000)
        right += (result.verdict == "equivalent") == ok
        if (result.verdict == "equivalent") != ok:
            print(f"  derive wrong: {target} {answer!r}: {result.verdict} ({result.message})")
    naive_times, naive_right = [], 0
    for _, target, answer, ok in rows:
        same, seconds = naive(target, answer)
        naive_times.append(seconds * 1000)
        naive_right += same is not None and same == ok
    n = len(rows)
    print(f"{n} answers from {len({t for _, t, _, _ in rows})} parts "
          f"({sum(ok for *_, ok in rows)} correct forms, {sum(not ok for *_, ok in rows)} known mistakes)")
    print(f"derive check (warm):    median {statistics.median(times):7.2f} ms, p95 {percentile(times, 0.95):7.2f} ms, "
          f"accuracy {right}/{n}")
    print(f"  (each answer new):    median {statistics.median(first):7.2f} ms, p95 {percentile(first, 0.95):7.2f} ms")
    print(f"  the parser alone (two-layer-l2/dW1's reference): median {statistics.median(parse_times()):.2f} ms")
    print(f"sympy.simplify(a-b)==0: median {statistics.median(naive_times):7.2f} ms, "
          f"p95 {percentile(naive_times, 0.95):7.2f} ms, accuracy {naive_right}/{n}")
    print(f"speed-up (median): {statistics.median(naive_times) / statistics.median(times):.0f}x")


if __name__ == "__main__":
    main()
