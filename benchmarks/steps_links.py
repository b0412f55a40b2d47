"""How long one link of `derive steps` takes, part by part (prints figures; asserts nothing).

    .venv/bin/python benchmarks/steps_links.py            # every part of the library
    .venv/bin/python benchmarks/steps_links.py relu-mlp   # the parts of one problem (or PROBLEM/PART)

The links are those of each part's own derivation, printed by our LaTeX
printer as the chain `derive steps` reads (`tests/steps_corpus.py`), and a
few hand-written chain-rule links of relu-mlp/dW1 (`HAND`). A link's time is
what `check_chains` spends on it: reading its right side and judging it
against the side before, with the caches of one file (each chain starts
with empty per-file caches, as a submission does; what is cached per problem
stays warm, as in a server or a grading worker). Printed per part: the links,
p50, p95 and max in milliseconds of CPU (`time.process_time`: less at the
mercy of other processes than the wall clock), and the whole chain's
`check_steps` time (the final answer's check included); then the same over
every link, the counted work of a link (what decides `undecided`), and the
parts whose p95 is above LIMIT_MS.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from derive.checking.sides import read_side  # noqa: E402
from derive.checking.steps import Workspace, check_steps, judge  # noqa: E402
from derive.limits import LINK_WORK  # noqa: E402
from derive.parsing import ParseError  # noqa: E402
from derive.printing import tex  # noqa: E402
from derive.problem import library  # noqa: E402
from tests.steps_corpus import all_parts, chain_latex, derivation_of, sides  # noqa: E402

LIMIT_MS = 100.0
#: chain-rule links of relu-mlp/dW1 as a student writes them (the left side, then the right side)
HAND = [
    ("4 factors", r"\frac{\partial J}{\partial W_{1,lj}}",
     r"\sum_n \sum_k \frac{\partial J}{\partial Z_{3,nk}} \frac{\partial Z_{3,nk}}{\partial A_{2,nj}} "
     r"\frac{\partial A_{2,nj}}{\partial Z_{2,nj}} \frac{\partial Z_{2,nj}}{\partial W_{1,lj}}"),
    ("2 factors", r"\frac{\partial J}{\partial W_{1,lj}}",
     r"\sum_n \frac{\partial J}{\partial Z_{2,nj}} \frac{\partial Z_{2,nj}}{\partial W_{1,lj}}"),
    ("through A2", r"\frac{\partial J}{\partial Z_{2,nj}}",
     r"\frac{\partial J}{\partial A_{2,nj}} \frac{\partial A_{2,nj}}{\partial Z_{2,nj}}"),
    ("values", r"\sum_n \frac{\partial J}{\partial Z_{2,nj}} X_{nl}",
     r"\sum_n X_{nl} [Z_{2,nj} > 0] \sum_k \frac{\Psi_{nk} - \Delta_{nk}}{N} W_{2,jk}"),
]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


UNITS: list[int] = []  # the counted work of every link timed (limits.Budget units)


def link_times(spec, part, texts: list[str], seed: str) -> list[float]:
    """Seconds per link of the chain `texts`, as `check_chains` reads and judges each."""
    work = Workspace()
    times = []
    last = read_side(texts[0], spec, part)
    for text in texts[1:]:
        start = time.process_time()
        try:
            expr = read_side(text, spec, part)
        except ParseError:
            times.append(time.process_time() - start)
            continue
        used = work.used
        judge(spec, part, last, expr, seed=seed, work=work)
        times.append(time.process_time() - start)
        UNITS.append(work.used - used)
        last = expr
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("only", nargs="?", help="PROBLEM or PROBLEM/PART")
    args = parser.parse_args()
    library._current = library.Library([library.shipped_folder()])  # the shipped problems only, as the tests
    rows = []
    every: list[float] = []
    files: list[float] = []
    for problem, part_id in all_parts():
        if args.only and args.only not in (problem, f"{problem}/{part_id}"):
            continue
        derivation = derivation_of(problem, part_id)
        spec, part = derivation.spec, derivation.part
        texts = [tex(e, spec) for e in sides(derivation)]
        times = link_times(spec, part, texts, f"{problem}/0")
        start = time.process_time()
        check_steps(spec, chain_latex(spec, sides(derivation)), part)
        files.append(time.process_time() - start)
        rows.append((f"{problem}/{part_id}", times, files[-1]))
        every += times
    if not args.only or args.only in ("relu-mlp", "relu-mlp/dW1"):
        spec = library.load("relu-mlp")
        part = spec.part_by_id("dW1")
        for name, left, right in HAND:
            times = [link_times(spec, part, [left, right], f"hand/{name}/{n}")[0] for n in range(3)]
            rows.append((f"relu-mlp/dW1 hand: {name}", times, None))
            every += times
    print(f"{'part':44s} {'links':>5s} {'p50':>7s} {'p95':>7s} {'max':>7s} {'chain':>8s}   (ms)")
    for name, times, whole in rows:
        if not times:
            continue
        shown = "" if whole is None else f"{1000 * whole:8.0f}"
        print(f"{name:44s} {len(times):5d} {1000 * statistics.median(times):7.0f} "
              f"{1000 * percentile(times, 0.95):7.0f} {1000 * max(times):7.0f} {shown}")
    print(f"{'all links':44s} {len(every):5d} {1000 * statistics.median(every):7.0f} "
          f"{1000 * percentile(every, 0.95):7.0f} {1000 * max(every):7.0f}")
    print(f"links judged: {len(every)}, total {sum(every):.1f} s; whole chains (check_steps): {len(files)}, "
          f"total {sum(files):.1f} s, max {max(files, default=0):.2f} s")
    print(f"work a link (units): p50 {statistics.median(UNITS):,.0f}, p95 {percentile(UNITS, 0.95):,.0f}, "
          f"max {max(UNITS):,} (a link's budget: {LINK_WORK:,})")
    over = [name for name, times, _ in rows if times and 1000 * percentile(times, 0.95) > LIMIT_MS]
    print(f"parts with p95 above {LIMIT_MS:.0f} ms: {len(over)}" + (f" ({', '.join(over)})" if over else ""))


if __name__ == "__main__":
    main()
