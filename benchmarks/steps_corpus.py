"""`derive steps` on the generated corpus of issue 13: every part's own derivation, right and mutated (prints
figures; asserts nothing).

    .venv/bin/python benchmarks/steps_corpus.py          # the mutations tests/test_steps_corpus.py runs
    .venv/bin/python benchmarks/steps_corpus.py --all    # every kind of mutation in every part

The chains and mutations are those of `tests/steps_corpus.py` (fixed seed 13).
Counted: parts; chains judged (one unmutated a part, one a mutation); links;
mutations (drawn where the witness finds the mutant differs from the step);
flagged exactly (the link into the mutant ✗ or "✓ if", every other link ✓, the
final answer as it should be; how many with ✗ and with "✓ if"; for a factor
2, whether the diagnosis says so); missed (the link into the mutant ✓); false
alarms (links other than the mutated one marked ✗ or "✓ if", in every chain,
the unmutated ones included); unread (links unread or undecided); and the
chains not as they should be, listed.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from derive.checking.steps import DOES_NOT_FOLLOW, FOLLOWS_IF  # noqa: E402
from derive.problem import library  # noqa: E402
from tests.steps_corpus import (  # noqa: E402
    HEAVY,
    KINDS,
    KINDS_PER_PART,
    TIMEOUT,
    all_parts,
    chosen_kinds,
    derivation_of,
    judge_chain,
    mutant,
    part_rng,
    sides,
    window,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--all", action="store_true", help="every kind of mutation in every part")
    args = parser.parse_args()
    library._current = library.Library([library.shipped_folder()])  # the shipped problems only, as the tests
    counts = dict.fromkeys(("parts", "chains", "links", "mutations", "flagged exactly", "  of which ✗",
                            "  of which ✓ if", "  factor 2 named", "missed", "false alarms", "unread",
                            "right chains all ✓"), 0)
    wrong: list[str] = []
    tries = 0
    start = time.perf_counter()
    for problem, part in all_parts():
        derivation = derivation_of(problem, part)
        counts["parts"] += 1
        outcome = judge_chain(derivation, sides(derivation), None, TIMEOUT)
        counts["chains"] += 1
        counts["links"] += len(outcome.verdicts)
        counts["false alarms"] += outcome.false_alarms
        counts["unread"] += outcome.unread
        counts["right chains all ✓"] += outcome.exact
        if not outcome.exact:
            wrong.append(f"{problem}/{part} unmutated: {outcome.describe()}")
        kinds = KINDS if args.all else chosen_kinds(derivation, HEAVY.get(problem, KINDS_PER_PART))
        for kind in kinds:
            found = mutant(derivation, kind, part_rng(problem, part, kind))
            if found is None:
                continue
            chain, into = window(derivation, found)
            outcome = judge_chain(derivation, chain, into, TIMEOUT)
            counts["chains"] += 1
            counts["links"] += len(outcome.verdicts)
            counts["mutations"] += 1
            counts["flagged exactly"] += outcome.exact
            counts["  of which ✗"] += outcome.exact and outcome.verdicts[into - 1] == DOES_NOT_FOLLOW
            counts["  of which ✓ if"] += outcome.exact and outcome.verdicts[into - 1] == FOLLOWS_IF
            diagnosis = " ".join(outcome.report.links[into - 1].diagnosis)
            if kind == "factor":  # the step times 2: the diagnosis should say so
                tries += 1
                counts["  factor 2 named"] += "factor 2" in diagnosis
            counts["missed"] += outcome.missed
            counts["false alarms"] += outcome.false_alarms
            counts["unread"] += outcome.unread
            if not outcome.exact:
                wrong.append(f"{problem}/{part} {kind} at step {found.step}: {outcome.describe()}")
    seconds = time.perf_counter() - start
    for name, value in counts.items():
        print(f"{name:>20}: {value}")
    print(f"{'factor 2 mutations':>20}: {tries} (the diagnosis says \"factor 2\" in {counts['  factor 2 named']})")
    print(f"{'seconds':>20}: {seconds:.1f}")
    for line in wrong:
        print(line)


if __name__ == "__main__":
    main()
