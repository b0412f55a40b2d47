"""`derive steps` on the seeds: links read and judged, and the time per link and per section (prints figures;
asserts nothing).

    .venv/bin/python benchmarks/steps.py

The seeds are read from ../shared/seeds beside the repository. Each seed is
cut into the sections of the problems it answers (lines blanked outside a
section, so line numbers stay); the figures are the links the reader finds,
those judged (follows, follows if, does not follow), the wrong marks, the
median time per judged link and the time of each section.
"""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from derive.checking.steps import DOES_NOT_FOLLOW, UNDECIDED, UNREAD, check_steps, judge, read_side  # noqa: E402
from derive.parsing import ParseError  # noqa: E402
from derive.parsing.chains import only_lines, read_chains  # noqa: E402
from derive.problem import library  # noqa: E402

SEEDS = ROOT.parent / "shared" / "seeds"
INDEX_NOTATION = {"001", "002", "004"}  # 000 and 003 write graphs (o[v], w(u,v)); 004 (counted) index-free matrices
#: a teacher's notation header for a seed that writes its own layer names (seed 004: z^3 for Z3, ...)
HEADERS = {("004", "softmax-cross-entropy"): "% derive: z^3 = Z, a^3 = Psi, \\psi = \\Psi",
           ("004", "two-layer-l2"): "% derive: z^3 = Z3, z^2 = Z2, a^3 = Psi, a^2 = A2, a^1 = X, w^2 = W2, w^1 = W1, "
                                    "b^2 = b2, b^1 = b1, w^{(2)} = W2, w^{(1)} = W1, \\psi = \\Psi"}
SECTIONS = [("000", "weighted-softmax", None, 1, 99),
            ("001", "sigmoid-bce", None, 1, 27), ("001", "softmax-ce-two-layer", None, 28, 52),
            ("002", "softmax-jacobian", None, 1, 23), ("002", "softmax-cross-entropy", "dloss-dprob", 35, 45),
            ("002", "tanh-derivative", None, 47, 51), ("002", "softmax-shift-invariance", None, 53, 57),
            ("002", "log-softmax-jacobian", None, 59, 91),
            ("003", "sigmoid-bce", None, 1, 40), ("003", "weighted-softmax", None, 41, 131),
            ("004", "softmax-cross-entropy", "batch-mean", 1, 41), ("004", "two-layer-l2", None, 42, 66)]


def main() -> None:
    found = judged = index_found = index_judged = 0
    per_link: list[float] = []
    sections: list[float] = []  # a section's time over its judged links
    for seed, problem, part_id, first, last in SECTIONS:
        text = only_lines(next(SEEDS.glob(f"{seed}_*.txt")).read_text(encoding="utf-8"), first, last)
        if (seed, problem) in HEADERS:  # on the first line, blank in the seed: line numbers stay
            text = HEADERS[seed, problem] + text[text.index("\n"):]
        links = sum(len(c.sides) - 1 for c in read_chains(text))
        spec = library.load(problem)
        part = spec.part_by_id(part_id) if part_id else None
        start = time.monotonic()
        try:
            report = check_steps(spec, text, part)
            verdicts = [link.verdict for link in report.links]
            wrong = [link.line for link in report.links if link.verdict == DOES_NOT_FOLLOW]
        except ParseError:
            verdicts, wrong = [], []
        seconds = time.monotonic() - start
        n = sum(v not in (UNREAD, UNDECIDED) for v in verdicts)
        if n:
            sections.append(seconds / n)
        if seed in INDEX_NOTATION:
            index_found, index_judged = index_found + links, index_judged + n
        found, judged = found + links, judged + n
        print(f"{seed} {problem:26s} lines {first:3d}-{last:<3d} links {links:3d} judged {n:3d} "
              f"wrong at {wrong} {seconds:.2f} s")
    spec = library.load("softmax-ce-two-layer")
    part = spec.part_by_id("dE-dw-hidden")
    left = read_side(r"\frac{\partial E}{\partial w_{kj}}", spec, part)
    right = read_side(r"\sum_m \frac{\partial E}{\partial x_m} \frac{\partial x_m}{\partial y_j} "
                      r"\frac{\partial y_j}{\partial w_{kj}}", spec, part)
    for n in range(5):
        start = time.monotonic()
        judge(spec, part, left, right, seed=f"bench/{n}")
        per_link.append(time.monotonic() - start)
    print(f"links: {found}, judged: {judged} ({100 * judged / max(found, 1):.0f}%)")
    print(f"index-notation seeds {', '.join(sorted(INDEX_NOTATION))}: {index_found} links, judged {index_judged} "
          f"({100 * index_judged / max(index_found, 1):.0f}%)")
    print(f"time per judged link, median over the sections: {1000 * statistics.median(sections):.0f} ms")
    print(f"a chain-rule link of softmax-ce-two-layer: median {1000 * statistics.median(per_link):.0f} ms")


if __name__ == "__main__":
    main()
