"""Verdicts at kinks (issue 19): a point is excluded only where the reference is undefined, an answer is
evaluated exactly at its own thresholds, and every side of every condition of the reference and of the
definitions it reads is seen before `equivalent`.

The table holds the cases a class met; the property test mutates every indicator of every non-smooth
reference (the library's and random networks'): fixed to 1 or 0, turned round, or put on the activation
instead of the pre-activation is wrong; > for ≥ on a pre-activation is right.
"""
from __future__ import annotations

import dataclasses

import pytest
import sympy as sp
from sympy import Max, Rational, Sum
from sympy.core.relational import Relational

from derive.api import check as api_check
from derive.calculus import derive
from derive.checking import check, check_part, equiv
from derive.printing import ascii_text
from derive.problem import library
from derive.spec import D, Iverson, Spec

from .networks import random_network


def leaky_spec(sample: str = "real") -> Spec:
    """A leaky-ReLU layer without a bias under a squared error: a problem not in the catalogue."""
    spec = Spec(id="leaky-test", title="Leaky ReLU, no bias", source="test",
                statement=r"$z_j = \sum_k w_{jk} x_k$, $a_j = \max(z_j, z_j/10)$, $\hat y = \sum_j v_j a_j$.")
    d, h = spec.dim("d"), spec.dim("h")
    (k,) = spec.indices("k", range=d)
    (j,) = spec.indices("j", range=h)
    leaky = spec.function("leaky", lambda u: Max(u, u / 10), text="leaky")
    x, w = spec.tensor("x", d, sample=sample), spec.tensor("w", h, d, sample=sample)
    v, z, a = spec.tensor("v", h), spec.tensor("z", h), spec.tensor("a", h)
    t, yhat, L = spec.scalar("t"), spec.scalar("yhat", latex=r"\hat{y}", text="ŷ"), spec.scalar("L")
    spec.define(z[j], Sum(w[j, k] * x[k], (k, 1, d)))
    spec.define(a[j], leaky(z[j]))
    spec.define(yhat, Sum(v[j] * a[j], (j, 1, h)))
    spec.define(L, Rational(1, 2) * (yhat - t) ** 2)
    spec.part("dw", "Find dL/dw.", target=D(L, w[j, k]),
              reference=(yhat - t) * v[j] * x[k] * (Iverson(z[j] > 0) + Iverson(z[j] < 0) / 10), free=(j, k))
    return spec


def relu_positive_spec() -> Spec:
    """A ReLU unit whose inputs and weights are all positive: its pre-activation is never negative."""
    spec = Spec(id="relu-positive", title="ReLU, positive inputs", source="test", statement="z = w·x, a = relu(z)")
    d = spec.dim("d")
    (k,) = spec.indices("k", range=d)
    relu = spec.function("relu", lambda u: Max(0, u), text="relu")
    x, w = spec.tensor("x", d, sample="positive"), spec.tensor("w", d, sample="positive")
    z, a = spec.scalar("z"), spec.scalar("a")
    spec.define(z, Sum(w[k] * x[k], (k, 1, d)))
    spec.define(a, relu(z))
    spec.part("da", "Find da/dw.", target=D(a, w[k]), reference=Iverson(z > 0) * x[k], free=(k,))
    return spec


RELU_DW1 = "relu-mlp/dW1"
TABLE = [  # (target, answer, verdict, what the message or diagnosis must say)
    (RELU_DW1, "X^T((Psi - Delta) W2^T .* 1[A2 >= 0])/N", "not_equivalent", "is missing"),
    (RELU_DW1, "X^T((Psi - Delta) W2^T .* 1[A2 > -1])/N", "not_equivalent", "is missing"),
    (RELU_DW1, "X^T((Psi - Delta) W2^T .* 1[Z2 > 0])/N", "equivalent", "Z2_nj > 0"),
    (RELU_DW1, "X^T((Psi - Delta) W2^T .* 1[Z2 >= 0])/N", "equivalent", ""),
    (RELU_DW1, "X^T((Psi - Delta) W2^T .* 1[A2 > 0])/N", "equivalent", ""),  # A2 > 0 exactly where Z2 > 0
    (RELU_DW1, "X^T((Psi - Delta) W2^T .* 1[Z2 < 0])/N", "not_equivalent", ""),
    ("relu-mlp/dZ2", "((Psi - Delta) W2^T .* [A2 >= 0])/N", "not_equivalent", "is missing"),
    ("relu-mlp/dW2", "Z2^T (Psi - Delta)/N", "not_equivalent", ""),  # Z2 for A2: differs only where Z2 < 0
    ("svm-hinge/dW", "((1 - Δ_c) - Δ_c sum_k (1 - Δ_k)) x_l", "not_equivalent", ""),  # every margin active
    ("lasso/dw", "X^T (Xw - y)/N + lambda 1", "not_equivalent", ""),  # sign(w) as if w > 0
]


@pytest.mark.parametrize("target, answer, verdict, words", TABLE)
def test_the_kink_table(target, answer, verdict, words):
    result = check(target, answer)
    assert result.verdict == verdict, (answer, result.message)
    said = " ".join([result.message, result.method or "", *result.diagnosis])
    assert words in said, said


def test_the_api_gives_the_same_verdict_on_a_dropped_mask():
    result = api_check(RELU_DW1, "X^T((Psi - Delta) W2^T .* 1[A2 >= 0])/N", isolated=False)
    assert result["verdict"] == "not_equivalent"


def test_a_leaky_relu_without_its_slope_is_wrong_and_named():
    spec = leaky_spec()
    part = spec.part_by_id("dw")
    wrong = check_part(spec, part, "(ŷ - t) v_j x_k")
    assert wrong.verdict == "not_equivalent", wrong.message
    assert any("the case z_j < 0 is missing" in d for d in wrong.diagnosis), wrong.diagnosis
    for right in ("(ŷ - t) v_j x_k ([z_j > 0] + [z_j < 0]/10)", "(ŷ - t) v_j x_k ([z_j >= 0] + [z_j <= 0]/10)",
                  "(ŷ - t) v_j x_k ([a_j > 0] + [a_j < 0]/10)"):
        result = check_part(spec, part, right)
        assert result.verdict == "equivalent", (right, result.message)
        assert result.method == "canonical form" or "z_j > 0" in result.method, result.method
    turned = check_part(spec, part, "(ŷ - t) v_j x_k ([z_j < 0] + [z_j > 0]/10)")
    assert turned.verdict == "not_equivalent" and any("turned round" in d for d in turned.diagnosis)


def test_a_condition_the_points_cannot_turn_is_undecided_and_named():
    spec = relu_positive_spec()
    part = spec.part_by_id("da")
    result = check_part(spec, part, "x_k")  # right wherever z > 0, which is everywhere these points reach
    assert result.verdict == "undecided", result.message
    assert "z > 0" in result.message and "never below 0" in result.message
    assert check_part(spec, part, "2 x_k").verdict == "not_equivalent"


def test_an_answer_on_its_own_threshold_is_evaluated_there():
    # [A2 >= 0] sits exactly on its threshold wherever Z2 < 0 (A2 = 0): evaluated there, [0 >= 0] = 1
    from derive.checking.compare import compare
    from derive.checking.ladder import _points

    spec = library.load("relu-mlp")
    part = spec.part_by_id("dZ2")
    n, j = part.free
    A2 = next(b for b in spec.shapes if str(b) == "A2")
    always = part.reference.xreplace({Iverson(next(iter(part.reference.atoms(Iverson))).condition):
                                      Iverson(A2[n, j] >= 0)})
    outcome = compare(spec, always, part.reference, _points(spec, part))
    assert outcome.equal is False


def test_equiv_sees_both_sides_of_every_condition_of_either():
    assert equiv("max(0, x)", "x").verdict == "not_equivalent"
    assert equiv("x [x > 0]", "max(0, x)").verdict == "equivalent"
    assert equiv("[max(0, x) >= 0] x", "x").verdict == "equivalent"
    result = equiv("[x > 0] + [x < 0]/10", "[x >= 0] + [x <= 0]/10")
    assert result.verdict == "equivalent" and "x > 0" in result.method


# -- the property: every indicator of every non-smooth reference, mutated ---------------------------
def _activation_of(spec, quantity):
    """(A, its entry) where A's definition applies a function of `quantity`'s entry (a = relu(z)), else None."""
    if not isinstance(quantity, sp.Indexed) and not (isinstance(quantity, sp.Symbol) and quantity in spec.definitions):
        return None
    base = quantity.base if isinstance(quantity, sp.Indexed) else quantity
    for other, definition in spec.definitions.items():
        body = definition.body
        if isinstance(body, sp.Function) and body.func in spec.functions and \
                spec.functions[body.func].body is not None and len(body.args) == 1:
            arg = body.args[0]
            arg_base = arg.base if isinstance(arg, sp.Indexed) else arg
            if arg_base == base:
                entry = other[quantity.indices] if isinstance(quantity, sp.Indexed) else other
                return entry, spec.functions[body.func].body
    return None


def mutations(spec, reference):
    """(mutated reference, expected verdict, what was done) for each real-valued indicator."""
    out = []
    for node in sorted(reference.atoms(Iverson), key=str):
        condition = node.condition
        if not isinstance(condition, Relational) or (condition.lhs - condition.rhs).is_integer or \
                condition.rel_op in ("==", "!="):
            continue
        out.append((reference.xreplace({node: 1}), "not_equivalent", f"{node} -> 1"))
        out.append((reference.xreplace({node: 0}), "not_equivalent", f"{node} -> 0"))
        out.append((reference.xreplace({node: 1 - node}), "not_equivalent", f"{node} -> its complement"))
        swapped = {">": sp.Ge, ">=": sp.Gt, "<": sp.Le, "<=": sp.Lt}[condition.rel_op](condition.lhs, condition.rhs)
        out.append((reference.xreplace({node: Iverson(swapped)}), "equivalent", f"{node}: > and >= swapped"))
        quantity = condition.lhs - condition.rhs
        found = _activation_of(spec, quantity if not quantity.could_extract_minus_sign() else -quantity)
        if found is None:
            continue
        activation, body = found
        u = body.variables[0]
        if body.expr.is_nonnegative:  # relu: A >= 0 always
            out.append((reference.xreplace({node: Iverson(activation >= 0)}), "not_equivalent", f"{node} -> [A >= 0]"))
        if bool(body.expr.subs(u, Rational(-1, 2)) > -1):  # A > -1 also below the kink
            out.append((reference.xreplace({node: Iverson(activation > -1)}), "not_equivalent",
                        f"{node} -> [A > -1]"))
    return out


def non_smooth_parts():
    for spec in library.all_specs():
        for part in spec.parts:
            if mutations(spec, part.reference):
                yield pytest.param(spec.id, part.id, id=f"{spec.id}/{part.id}")


@pytest.mark.parametrize("problem, part_id", list(non_smooth_parts()))
def test_every_indicator_of_a_library_reference_mutated(problem, part_id):
    spec = library.load(problem)
    _mutated_verdicts(spec, spec.part_by_id(part_id))


def _mutated_verdicts(spec, part):
    for mutated, verdict, what in mutations(spec, part.reference):
        result = check_part(spec, part, ascii_text(mutated, spec), fmt="text")
        assert result.verdict == verdict, (spec.id, part.id, what, result.message)


NETWORK_SEEDS = [seed for seed in range(200)
                 if {"relu", "leaky-relu"} & set(random_network(seed, max_depth=2).layers)
                 or random_network(seed, max_depth=2).loss == "hinge"][:8]


@pytest.mark.parametrize("seed", NETWORK_SEEDS)
def test_every_indicator_of_a_random_network_mutated(seed):
    network = random_network(seed, max_depth=2)
    spec = network.spec
    for part in spec.parts:
        derived = dataclasses.replace(part, reference=derive(spec, part.id).answer)
        _mutated_verdicts(spec, derived)
    assert any(mutations(spec, derive(spec, p.id).answer) for p in spec.parts), network.describe()


def test_validate_names_a_condition_its_points_never_turn(tmp_path):
    from derive.authoring import validate_file

    positive = tmp_path / "positive"
    positive.mkdir()
    (positive / "relu_positive.py").write_text('''"""ReLU, positive inputs."""
from sympy import Max, Sum

from derive.spec import D, Iverson, Spec

SPEC = Spec(id="relu-positive", title="ReLU, positive inputs", source="test", statement="$a = \\\\max(0, w x)$.")
d = SPEC.dim("d")
(k,) = SPEC.indices("k", range=d)
x = SPEC.tensor("x", d, sample="positive")
w = SPEC.tensor("w", d, sample="positive")
z = SPEC.scalar("z")
a = SPEC.scalar("a")
SPEC.define(z, Sum(w[k] * x[k], (k, 1, d)))
SPEC.define(a, Max(0, z))
SPEC.part("da", "Find da/dw.", target=D(a, w[k]), reference=Iverson(z > 0) * x[k], free=(k,))
''', encoding="utf-8")
    report = validate_file(positive / "relu_positive.py")
    assert not report.ok
    assert any("never showed each side of max(0, z)" in f for f in report.failures), report.failures
    real = tmp_path / "real"
    real.mkdir()
    (real / "relu_positive.py").write_text(
        (positive / "relu_positive.py").read_text(encoding="utf-8").replace(', sample="positive")', ")")
        .replace('id="relu-positive"', 'id="relu-real"'),
        encoding="utf-8")
    assert validate_file(real / "relu_positive.py").ok


# -- derive steps: the same rules at a link ---------------------------------------------------------
def _steps(spec, part_id, text):
    from derive.checking.steps import check_steps

    return check_steps(spec, text, spec.part_by_id(part_id))


def test_a_derivation_step_on_its_own_threshold_is_evaluated_there():
    spec = library.load("relu-mlp")
    head = r"With $A_2 = \max(0, Z_2)$ the derivative of the activation is $\mathbb{1}[Z_2 > 0]$." + "\n\n"
    wrong = _steps(spec, "dZ2", head + r"$$\frac{\partial J}{\partial Z_2} = \frac{1}{N} ((\Psi - \Delta) W_2^T) "
                                      r"\odot \mathbb{1}[A_2 \geq 0]$$")
    assert [link.verdict for link in wrong.links] == ["follows", "does_not_follow"], wrong.to_json()
    right = _steps(spec, "dZ2", head + r"$$\frac{\partial J}{\partial Z_2} = \frac{1}{N} ((\Psi - \Delta) W_2^T) "
                                      r"\odot \mathbb{1}[Z_2 \geq 0]$$")
    assert [link.verdict for link in right.links] == ["follows", "follows"], right.to_json()


def test_a_derivation_step_whose_points_never_turn_a_condition_is_undecided():
    spec = relu_positive_spec()
    report = _steps(spec, "da", r"$$\frac{\partial a}{\partial w_k} = x_k$$")
    link = report.links[-1]
    assert link.verdict == "undecided" and "max(0, z)" in link.message, link.message
    wrong = _steps(spec, "da", r"$$\frac{\partial a}{\partial w_k} = 2 x_k$$")
    assert wrong.links[-1].verdict == "does_not_follow"
