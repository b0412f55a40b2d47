"""The checker's numeric rungs and diagnosis, on SymPy expressions (no parsing involved)."""
from __future__ import annotations

import dataclasses

import pytest
import sympy as sp

from derive.checking.compare import compare, spec_points
from derive.checking.diagnose import diagnose
from derive.checking.evaluate import Evaluator
from derive.problem import library
from derive.problem.sampling import Point

PARTS = [(s.id, p.id) for s in library.all_specs() for p in s.parts]


def setup(problem_id, part_id):
    spec = library.load(problem_id)
    part = spec.part_by_id(part_id)
    return spec, part, spec_points(spec, part.free, seed=f"test/{problem_id}/{part_id}")


def generic(problem_id, part_id):
    """A part without its known mistakes: what the automatic mutations find on their own."""
    spec, part, envs = setup(problem_id, part_id)
    return spec, dataclasses.replace(part, mistakes=()), envs


@pytest.mark.parametrize("problem_id,part_id", PARTS, ids=[f"{a}/{b}" for a, b in PARTS])
def test_the_engine_answer_is_equivalent_to_the_reference_and_a_changed_one_is_not(problem_id, part_id):
    from derive.calculus import derive

    spec, part, envs = setup(problem_id, part_id)
    assert compare(spec, derive(spec, part_id).answer, part.reference, envs).equal is True
    # and the comparison is not vacuous: a small change of the reference is found
    assert compare(spec, part.reference + sp.Rational(1, 1000), part.reference, envs).equal is False


@pytest.mark.parametrize("problem_id,part_id", PARTS, ids=[f"{a}/{b}" for a, b in PARTS])
def test_every_known_mistake_is_rejected_and_diagnosed_in_the_specs_words(problem_id, part_id):
    spec, part, envs = setup(problem_id, part_id)
    for mistake in part.mistakes:
        outcome = compare(spec, mistake.answer, part.reference, envs)
        assert outcome.equal is False, mistake.why
        assert mistake.why in diagnose(spec, part, mistake.answer, envs)


@pytest.mark.parametrize("problem_id,part_id", PARTS, ids=[f"{a}/{b}" for a, b in PARTS])
def test_generic_mutations_are_found(problem_id, part_id):
    spec, part, envs = setup(problem_id, part_id)
    if part.reference == 0 or compare(spec, part.reference, 0, envs).equal:
        pytest.skip("a zero reference has no sign or factor")
    assert any("sign error" in why for why in diagnose(spec, part, -part.reference, envs))
    assert any("factor 2 too many" in why for why in diagnose(spec, part, 2 * part.reference, envs))
    assert any("factor 2 missing" in why for why in diagnose(spec, part, part.reference / 2, envs))


def test_extra_and_missing_batch_factor_named():
    spec, part, envs = generic("two-layer-l2", "dZ3")
    N = next(d for d in spec.index_range.values() if str(d) == "N")
    assert "the factor 1/N is missing" in diagnose(spec, part, part.reference * N, envs)
    assert "an extra factor 1/N" in diagnose(spec, part, part.reference / N, envs)


def test_swapped_indices_diagonal_formula_phi_and_regularisation():
    spec, part, envs = generic("softmax-jacobian", "jacobian")
    i, j = part.free
    sigma = next(b for b in spec.shapes if str(b) == "sigma")
    diagonal_everywhere = sigma[i] * (1 - sigma[j])
    assert any("diagonal formula" in w for w in diagnose(spec, part, diagonal_everywhere, envs))

    spec, part, envs = generic("two-layer-l2", "dZ2")
    phi = next(f for f in spec.functions if str(f) == "phi")
    wrong = part.reference.replace(spec.derivative(phi), phi)
    assert "φ used where φ' belongs" in diagnose(spec, part, wrong, envs)

    spec, part, envs = generic("two-layer-l2", "dW2")
    lam = next(s for s in spec.shapes if str(s) == "lambda")
    assert any("term with λ is missing" in w for w in diagnose(spec, part, part.reference.xreplace({lam: 0}), envs))


def test_swapped_indices_are_named():
    spec, part, envs = generic("log-softmax-jacobian", "jacobian")
    i, j = part.free
    swapped = part.reference.xreplace({i: j, j: i})
    assert compare(spec, swapped, part.reference, envs).equal is False
    assert any("swapped" in w for w in diagnose(spec, part, swapped, envs))


x = sp.Symbol("x", real=True)
a = sp.Symbol("a", real=True)


def free_equal(first, second, points=((x, 0.37), (x, -1.3), (x, 2.1))):
    envs = [Point(values={(s, ()): sp.Rational(v).limit_denominator(1000) for s, v in [p]}) for p in points]
    from fractions import Fraction

    for env in envs:
        env.values = {k: Fraction(int(v.p), int(v.q)) for k, v in env.values.items()}
    return compare(None, first, second, envs).equal


def test_exact_rationals_are_never_rounded_together():
    assert free_equal(1 / sp.Integer(2) ** 98, 1 / sp.Integer(2) ** 99) is False
    assert free_equal(sp.Rational(333333333333333, 10**15), sp.Rational(1, 3)) is False
    poly = sp.expand(512 * (2 * x + 5) ** 7 * (5 * x - 1) ** 5 * (70 * x + 67))
    assert free_equal(poly - 1, 512 * (2 * x + 5) ** 7 * (5 * x - 1) ** 5 * (70 * x + 67)) is False
    assert free_equal(poly, 512 * (2 * x + 5) ** 7 * (5 * x - 1) ** 5 * (70 * x + 67)) is True


def test_transcendental_identities_and_near_misses():
    assert free_equal(sp.cos(x) ** 2 + sp.sin(x) ** 2, sp.Integer(1)) is True
    assert free_equal(1 / (1 + sp.exp(-2 * x)), sp.tanh(x) / 2 + sp.Rational(1, 2)) is True
    assert free_equal(2 ** (x / sp.Rational(51, 10)), 2 ** (sp.Rational(196078431373, 10**12) * x)) is False
    assert free_equal(sp.sqrt(x ** 2), x) is False
    assert free_equal((a - x) ** 6000, (x - a) ** 6000, points=((x, 0.5),)) is None  # a has no value


def test_evaluator_undefined_points_are_skipped_not_equal():
    envs = [Point(values={(x, ()): 0})]
    from fractions import Fraction

    envs.append(Point(values={(x, ()): Fraction(1, 2)}))
    assert compare(None, 1 / x, 2 / (2 * x), envs).points == 1
    import mpmath

    assert abs(Evaluator(None, envs[1]).value(sp.log(x)) - mpmath.log(0.5)) < 1e-12


def test_half_the_points_put_the_one_hot_at_the_free_indices():
    spec, part, envs = setup("two-layer-l2", "dZ3")
    delta = next(b for b in spec.shapes if str(b) == "Delta")
    n, k = part.free
    hot = [env.values[(delta, (env.indices[n], env.indices[k]))] for env in envs]
    assert all(hot[m] == 1 for m in range(1, len(envs), 2))
    for env in envs:  # rows stay one-hot: the assumption holds at every point
        rows = {entry[0] for (b, entry) in env.values if b == delta}
        assert all(sum(env.values[(delta, (r, c))] for c in range(1, env.sizes[spec.shapes[delta][1]] + 1)) == 1
                   for r in rows)
    # a mistake visible only where Δ_nk = 1 is caught
    assert compare(spec, part.reference + delta[n, k], part.reference, envs).equal is False


@pytest.mark.parametrize("answer, verdict", [
    # exact terms that cancel, beside a transcendental one: summed exactly first (was "the answer is 0.0")
    ("(1+x)^50*(1-x)^50 - (1-x^2)^50 + 1 - tanh(x)^2", "equivalent"),
    # floating terms that cancel beyond 40 and 120 digits: the difference shrinks, so 400 digits decide
    ("(1+exp(x))^50*(1-exp(x))^50 - (1-exp(2x))^50 + 1 - tanh(x)^2", "equivalent"),
    ("(1+exp(x))^50*(1-exp(x))^50 - (1-exp(2x))^50 + 1 - tanh(x)^2 + 10^-3", "not_equivalent"),
    ("(1+x)^50*(1-x)^50 - (1-x^2)^50 + 1 - tanh(x)^2 + 10^-30", "not_equivalent"),
])
def test_cancellation_is_no_difference(answer, verdict):
    from derive.checking import check

    assert check("tanh-derivative", answer).verdict == verdict


@pytest.mark.parametrize("answer", ["1 - tanh(x)^2 + 10^(-150)", "(1 + 10^(-150)) (1 - tanh(x)^2)",
                                    "1 - tanh(x)^2 + exp(-1000)"])
def test_a_term_too_small_for_120_digits_is_still_seen(answer):
    # a sum that absorbs a term (or an exact value wider than the precision) is compared at the digits
    # that show it, not called equal at 40 and 120 digits
    from derive.checking import check

    result = check("tanh-derivative", answer)
    assert result.verdict == "not_equivalent", result.message


def test_a_term_beyond_every_budgeted_precision_is_undecided_not_equivalent():
    from derive.checking import check

    result = check("tanh-derivative", "1 - tanh(x)^2 + exp(-100000)")
    assert result.verdict == "undecided" and "digits" in result.message
