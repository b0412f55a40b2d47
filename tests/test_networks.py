"""Networks nobody wrote by hand: random small networks (tests/networks.py), derived and checked.

For every parameter of every network in a fixed-seed sample: the engine
derives the gradient; the witness confirms every step and the answer by finite
differences of the definitions at points away from the kinks; the checker
accepts the derived answer printed as ASCII and as LaTeX (and refuses it
doubled). `benchmarks/networks.py` runs hundreds and prints the figures.
"""
from __future__ import annotations

import dataclasses

import pytest

from derive.authoring.witness import Witness, close, witness_points
from derive.calculus import derive
from derive.checking import check_part
from derive.printing import ascii_text, tex

from .networks import random_network

SAMPLE = range(12)  # depth 1 to 2: the CI sample; the benchmark draws depth up to 3


@pytest.mark.parametrize("seed", SAMPLE)
def test_a_random_network_derives_checks_and_reads_back(seed):
    network = random_network(seed, max_depth=2)
    spec = network.spec
    for part in spec.parts:
        derivation = derive(spec, part.id)
        points = witness_points(spec, part.free, seed=f"{spec.id}/{part.id}", count=2)
        for point in points:
            witness = Witness(spec, point)
            previous = witness.value(derivation.target)
            for number, step in enumerate(derivation.steps, 1):
                current = witness.value(step.expr)
                assert close(previous, current), f"{network.describe()}: {part.id} step {number} ({step.rule})"
                previous = current
        witness = Witness(spec, points[0])
        assert close(witness.value(derivation.answer), witness.value(derivation.target, mode="fd"), rel=1e-8), \
            f"{network.describe()}: {part.id} differs from finite differences"
        reference = dataclasses.replace(part, reference=derivation.answer)
        for printed in (ascii_text(derivation.answer, spec), tex(derivation.answer, spec)):
            result = check_part(spec, reference, printed)
            assert result.verdict == "equivalent", (network.describe(), part.id, printed, result.message)
        doubled = check_part(spec, reference, f"2*({ascii_text(derivation.answer, spec)})")
        assert doubled.verdict != "equivalent" or check_part(spec, reference, "0").verdict == "equivalent"
