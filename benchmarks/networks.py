"""Random networks: how many the engine derives, how many come out folded, and the slowest.

    .venv/bin/python benchmarks/networks.py [COUNT] [--first SEED]

Each network (tests/networks.py: depth 1 to 3, element-wise activations,
softmax, layer norm; squared error, cross-entropy, binary cross-entropy or a
hinge) has a part per weight matrix and bias. For every part it prints
nothing; at the end: how many parts derived, how many of those the witness
confirms by finite differences, how many answers come out folded (no
exponential and no literal copy of a definition left: written through the
quantities the network defines), the slowest part, and the time per network.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sympy as sp  # noqa: E402

from derive.authoring.witness import Witness, close, witness_points  # noqa: E402
from derive.calculus import derive  # noqa: E402
from derive.calculus.fold import refold_definitions  # noqa: E402
from derive.errors import DeriveError  # noqa: E402
from tests.networks import random_network  # noqa: E402


def folded(answer: sp.Expr, spec) -> bool:
    return not answer.has(sp.exp) and refold_definitions(answer, spec) == answer


def main(argv: list[str]) -> None:
    count = int(argv[0]) if argv and argv[0].isdigit() else 100
    first = int(argv[argv.index("--first") + 1]) if "--first" in argv else 1000
    parts = derived = confirmed = folds = 0
    slowest = (0.0, "")
    failures: list[str] = []
    start = time.perf_counter()
    for seed in range(first, first + count):
        network = random_network(seed)
        spec = network.spec
        for part in spec.parts:
            parts += 1
            began = time.perf_counter()
            try:
                derivation = derive(spec, part.id)
            except DeriveError as exc:
                failures.append(f"{network.describe()} {part.id}: {exc}")
                continue
            seconds = time.perf_counter() - began
            slowest = max(slowest, (seconds, f"{network.describe()} {part.id}"))
            derived += 1
            folds += folded(derivation.answer, spec)
            (point,) = witness_points(spec, part.free, seed=f"bench/{seed}/{part.id}", count=1)
            witness = Witness(spec, point)
            try:
                if close(witness.value(derivation.answer), witness.value(derivation.target, mode="fd"), rel=1e-8):
                    confirmed += 1
                else:
                    failures.append(f"{network.describe()} {part.id}: differs from finite differences")
            except ValueError as exc:
                failures.append(f"{network.describe()} {part.id}: {exc}")
    total = time.perf_counter() - start
    print(f"networks: {count} (seeds {first}..{first + count - 1}), parts: {parts}")
    print(f"derived: {derived} of {parts}; confirmed by finite differences: {confirmed}")
    print(f"folded (no exponential, no literal copy of a definition left): {folds} of {derived}")
    print(f"slowest part: {slowest[0]:.1f} s ({slowest[1]}); {total / count:.1f} s per network on average")
    for failure in failures[:20]:
        print(f"  {failure}")


if __name__ == "__main__":
    main(sys.argv[1:])
