"""Every step of every derivation equals the one before it, numerically.

The witness is `derive.authoring.witness`, which expands sums into terms and lets SymPy
differentiate the plain result: it shares none of the engine's rules. Points
are random (fixed seeds) and respect the assumptions; free indices are tried
equal (i = j) and distinct, and a generic φ is replaced by several functions.
"""
from __future__ import annotations

import pytest

from derive.authoring.witness import Witness, close, witness_points
from derive.calculus import derive
from derive.problem import library
from derive.spec import D

from .conftest import all_parts

PARTS = all_parts()
IDS = [f"{p}/{q}" for p, q in PARTS]


def points(spec, part, count=4):
    return witness_points(spec, part.free, seed=f"{spec.id}/{part.id}", count=count)


@pytest.mark.parametrize("problem_id,part_id", PARTS, ids=IDS)
def test_every_step_equals_the_previous_one(problem_id, part_id):
    spec = library.load(problem_id)
    derivation = derive(spec, part_id)
    assert derivation.steps, "a derivation has at least one step"
    assert not derivation.answer.has(D), "the answer has no pending derivative"
    for point in points(spec, derivation.part):
        evaluator = Witness(spec, point)
        previous = evaluator.value(derivation.target)
        for number, step in enumerate(derivation.steps, 1):
            current = evaluator.value(step.expr)
            assert close(previous, current), (
                f"step {number} ({step.rule}) changes the value at {point.indices}, "
                f"sizes {point.sizes}: {previous} -> {current}")
            previous = current


@pytest.mark.parametrize("problem_id,part_id", PARTS, ids=IDS)
def test_answer_equals_reference(problem_id, part_id):
    spec = library.load(problem_id)
    derivation = derive(spec, part_id)
    for point in points(spec, derivation.part):
        evaluator = Witness(spec, point)
        assert close(evaluator.value(derivation.answer), evaluator.value(derivation.part.reference))


@pytest.mark.parametrize("problem_id,part_id", PARTS, ids=IDS)
def test_answer_matches_finite_differences_of_the_definition(problem_id, part_id):
    spec = library.load(problem_id)
    derivation = derive(spec, part_id)
    if not derivation.target.has(D):
        pytest.skip("an identity, not a derivative")
    for point in points(spec, derivation.part, count=2):
        evaluator = Witness(spec, point)
        fd = evaluator.value(derivation.target, mode="fd")
        assert close(evaluator.value(derivation.answer), fd, rel=1e-9)


@pytest.mark.parametrize("problem_id,part_id", PARTS, ids=IDS)
def test_known_mistakes_are_really_wrong(problem_id, part_id):
    spec = library.load(problem_id)
    part = spec.part_by_id(part_id)
    for mistake in part.mistakes:
        differs = False
        for point in points(spec, part, count=6):
            evaluator = Witness(spec, point)
            try:
                wrong = evaluator.value(mistake.answer)
            except ValueError:  # an entry out of range where the reference has a value: it differs
                differs = True
                break
            if not close(wrong, evaluator.value(part.reference)):
                differs = True
                break
        assert differs, f"the known mistake {mistake.answer} equals the reference"
