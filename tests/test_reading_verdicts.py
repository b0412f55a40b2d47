r"""Verdicts as a teacher gives them (issue 11, items 10-12): an answer that reads but has the wrong shape or
the wrong free indices is wrong (`not_equivalent`, exit 1) with what is wrong, not `invalid`; a counterexample
shows only what the two expressions involve, to the digits that tell them apart; a message shows the student's
own text (no `\right` of ours) and says what to write instead. A row is (target, answer, verdict, words the
message must hold)."""
from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from derive.checking import check, equiv
from derive.cli import main

TRANSPOSED_RIGHT = "the transpose of the answer is right"

ROWS = [
    # 10. another orientation, another shape, other free indices: read, and wrong
    ("two-layer-l2/dW2", "(Psi - Delta)^T A2 / N + 2 lambda W2^T", "not_equivalent",
     "transposed (the shapes do not match: K×h where h×K is needed); " + TRANSPOSED_RIGHT),
    ("two-layer-l2/dW2", "A2^T (Psi-Delta)/N + 2 lambda W2", "equivalent", ""),
    ("two-layer-l2/dW2", "((Psi - Delta)^T A2 / N + 2 lambda W2^T)^T", "equivalent", ""),
    ("two-layer-l2/dW2", "(Psi - Delta)^T A2 + 2 lambda W2^T", "not_equivalent",
     "transposed (the shapes do not match: K×h where h×K is needed); its transpose is not right either"),
    ("two-layer-l2/dW2", "(Psi - Delta)^T A2 / N + lambda W2^T", "not_equivalent", "factor 2"),
    ("two-layer-l2/dW2", "A2^T A2", "not_equivalent", "the shapes do not match: h×h where h×K is needed"),
    ("two-layer-l2/dW2", r"\frac{1}{N}(\Psi - \Delta)^\top A_2 + 2\lambda W_2^\top", "not_equivalent",
     TRANSPOSED_RIGHT),
    ("two-layer-l2/dZ3", "(Psi - Delta)^T / N", "not_equivalent", "K×N where N×K is needed"),
    ("two-layer-l2/db2", "(Psi - Delta)/N", "not_equivalent",
     "the shapes do not match: N×K where a vector of length K is needed"),
    ("two-layer-l2/db2", "(Psi - Delta)^T 1/N", "equivalent", ""),
    ("two-layer-l2/dW1", "(X^T (((Psi - Delta) W2^T) ⊙ phi'(Z2)))^T / N + 2 lambda W1^T", "not_equivalent",
     TRANSPOSED_RIGHT),
    ("relu-mlp/dW2", "(Psi - Delta)^T A2 / N", "not_equivalent", TRANSPOSED_RIGHT),
    ("sigmoid-bce/dE-dw-output", "(x - t) y^T", "not_equivalent",
     "n_x×n_y where n_y×n_x is needed); " + TRANSPOSED_RIGHT),
    ("sigmoid-bce/dE-dw-output", "y (x - t)^T", "equivalent", ""),
    ("softmax-jacobian/jacobian", r"\operatorname{diag}\left(\sigma\right)\sigma", "not_equivalent",
     "the shapes do not match: n×1 where n×n is needed"),
    ("softmax-jacobian/jacobian", "diag(s) - s s^T", "equivalent", ""),
    # a matrix minus a number is no matrix: unreadable, and the message names the outer product
    ("softmax-jacobian/jacobian", "diag(s) - s^T s", "invalid", "their outer product is u vᵀ"),
    ("softmax-jacobian/jacobian", r"\operatorname{diag}(\sigma) - \sigma^\top \sigma", "invalid", "(1×1)"),
    # a product that does not multiply stays unreadable
    ("two-layer-l2/dW2", "A2 (Psi - Delta)^T", "invalid", "cannot multiply A2 (N×h) by (Psi - Delta)^T (K×N)"),
    # free indices
    ("sigmoid-bce/dE-dw-output", "(x_i - t_i) y_i", "not_equivalent", "the free indices are i; the target's are j, i"),
    ("sigmoid-bce/dE-dw-output", "(x_i - t_i) y_j", "equivalent", ""),
    ("sigmoid-bce/dE-dw-output", "(x_i - t_i)", "not_equivalent", "(the free indices are i; the target's are j, i)"),
    ("sigmoid-bce/dE-dw-output", "(x_i - t_i) x_i", "not_equivalent", "the free indices are i; the target's are j, i"),
    ("sigmoid-bce/dE-dw-output", "(x_i - t_i) y_j z_k", "not_equivalent",
     "the free indices are j, i, k; the target's are j, i"),
    ("sigmoid-bce/dE-dw-hidden", "(x_i - t_i) y_j", "not_equivalent",
     "the free indices are j, i; the target's are k, j"),
    ("sigmoid-bce/sigmoid-derivative", "sigma(s) y_j", "not_equivalent", "the free indices are j; the target has none"),
    ("softmax-jacobian/vjp", r"\mathbf{v} \left(\operatorname{diag}(\sigma)-\sigma\sigma^\top\right) \sigma",
     "not_equivalent", "(the answer has no free indices; the target's are j)"),
    ("softmax-jacobian/jacobian", "s_k", "not_equivalent", "the free indices are k; the target's are i, j"),
    ("softmax-cross-entropy/dloss-dlogits", "s_j - t_i", "not_equivalent",
     "the free indices are j, i; the target's are j"),
    ("softmax-cross-entropy/dloss-dlogits", "s_j - t_j", "equivalent", ""),
    # the target's free indices, each out of its range: unreadable, with the range
    ("sigmoid-bce/dE-dw-output", "(x_j - t_j) y_i", "invalid", "the index j runs over 1..n_y"),
    # 11. a counterexample with only what the expressions involve (the point's contents: below)
    ("sigmoid-bce/sigmoid-derivative", "sigma(s)", "not_equivalent", "not equivalent: at s="),
    ("tanh-derivative", "1 - tanh(x)^2 + 10^(-20)", "not_equivalent", "not equivalent: at x="),
    # 12. our tokens never in a message; * between two matrices of one shape suggests ⊙
    ("two-layer-l2/dZ2", "((Psi - Delta) W2^T / N) * phi'(Z2)", "invalid",
     "cannot multiply ((Psi - Delta) W2^T / N) (N×h) by phi'(Z2) (N×h)"),
    ("two-layer-l2/dZ2", "((Psi - Delta) W2^T / N) * phi'(Z2)", "invalid", "for the entry-wise product write ⊙ or .*"),
    ("two-layer-l2/dZ2", "((Psi - Delta) W2^T / N) ⊙ phi'(Z2)", "equivalent", ""),
    ("two-layer-l2/dZ2", "((Psi - Delta) W2^T / N) .* phi'(Z2)", "equivalent", ""),
    ("two-layer-l2/dZ2", "(Psi - Delta) W2^T phi'(Z2) / N", "invalid", "write ⊙ or .*"),
    ("two-layer-l2/dZ2", r"\left(\Psi - \Delta\right) W_2^\top \phi'\left(Z_2\right) / N", "invalid",
     r"cannot multiply (\Psi - \Delta) W_2^\top (N×h) by \phi'(Z_2) (N×h)"),
    ("two-layer-l2/dZ2", r"\frac{1}{N}\left(\Psi - \Delta\right)\!W_2^\top \, \phi^{\prime}(Z_2)", "invalid",
     r"cannot multiply \frac{1}{N}(\Psi - \Delta)W_2^\top (N×h) by \phi^{\prime}(Z_2) (N×h)"),
    ("layer-norm/dgamma", "g * xhat", "invalid",
     "cannot multiply g (n×1) by xhat (n×1) at column 2; for the entry-wise"),
    ("layer-norm/dgamma", "g ⊙ xhat", "equivalent", ""),
    ("two-layer-l2/dW2", r"\mathbf{A}_2 \left(\Psi - \Delta\right)", "invalid",
     r"cannot multiply \mathbf{A}_2 (N×h) by (\Psi - \Delta) (N×K)"),
    ("softmax-jacobian/vjp", r"\operatorname{diag}(\sigma) \big( v \big) \sigma", "invalid",
     r"cannot multiply \operatorname{diag}(\sigma) ( v ) (n×1) by \sigma (n×1)"),
    ("softmax-jacobian/vjp", r"\sigma_j + \frac{\sigma}{v}", "invalid", "cannot divide by the matrix v (n×1)"),
]


def _id(row) -> str:
    return f"{row[0]}:{row[1]}"


@pytest.mark.parametrize("target,answer,verdict,words", ROWS, ids=[_id(r) for r in ROWS])
def test_verdicts_as_a_teacher_gives_them(target, answer, verdict, words):
    result = check(target, answer)
    assert result.verdict == verdict, result.message
    assert words in result.message, result.message
    if verdict == "not_equivalent":
        assert result.diagnosis or result.counterexample, result.message


# -- 10. the CLI: a wrong shape exits 1 with the diagnosis in the JSON --------------------------------------


def test_cli_a_transposed_answer_is_not_equivalent_with_exit_1_and_a_stable_json_shape():
    result = CliRunner().invoke(main, ["check", "two-layer-l2/dW2", "(Psi - Delta)^T A2 / N + 2 lambda W2^T",
                                       "--json"])
    assert result.exit_code == 1, result.output
    data = json.loads(result.output)
    assert list(data) == ["problem", "part", "verdict", "message", "student_latex", "reference_latex",
                          "assumptions_used", "counterexample", "diagnosis", "method"]
    assert data["verdict"] == "not_equivalent"
    assert data["diagnosis"] == ["transposed (the shapes do not match: K×h where h×K is needed); " + TRANSPOSED_RIGHT]


@pytest.mark.parametrize("target,answer,code", [
    ("sigmoid-bce/dE-dw-output", "(x_i - t_i) y_i", 1),
    ("two-layer-l2/db2", "(Psi - Delta)/N", 1),
    ("two-layer-l2/dZ2", "((Psi - Delta) W2^T / N) * phi'(Z2)", 2),
])
def test_cli_exit_codes_of_the_new_verdicts(target, answer, code):
    result = CliRunner().invoke(main, ["check", target, answer])
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output


# -- 11. a counterexample shows what the expressions involve, to the digits that tell them apart -------------


def test_a_counterexample_of_a_scalar_shows_no_sizes_or_tensors():
    result = check("sigmoid-bce/sigmoid-derivative", "sigma(s)")
    assert set(result.counterexample["point"]) == {"s"}, result.counterexample
    assert "n_x" not in result.message and "n_z" not in result.message


def test_a_counterexample_shows_the_sizes_its_sums_and_free_indices_run_over():
    point = check("sigmoid-bce/dE-dw-output", "(x_i - t_i) x_i").counterexample["point"]
    # x_i = σ(Σ_j w_ji y_j), y_j = σ(Σ_k w_kj z_k): every size, the free indices, the weights of both layers
    assert {"n_x", "n_y", "n_z", "i", "j", "t", "z"} <= set(point)
    assert "s" not in point  # the scalar of the other part
    assert {"w_hid", "w_out"} <= set(point)  # two tensors shown as w: each under its own name, not merged


def test_a_counterexample_keeps_a_generic_function_only_where_it_is_involved():
    involved = check("two-layer-l2/dZ2", "((Psi - Delta) W2^T / N) ⊙ phi(Z2)").counterexample["point"]
    assert "phi" in involved and {"N", "h", "K", "d"} <= set(involved)
    plain = check("tanh-derivative", "1 - tanh(x)").counterexample["point"]
    assert set(plain) == {"x"}


@pytest.mark.parametrize("target,answer", [
    ("tanh-derivative", "1 - tanh(x)^2 + 10^(-20)"),
    ("tanh-derivative", "(1 - tanh(x)^2)*(1 + 10^(-18))"),
    ("tanh-derivative", "1 - tanh(x)^2 + exp(-50)"),
    ("sigmoid-bce/sigmoid-derivative", "sigma(s)*(1-sigma(s)) + 1/10^30"),
    ("sigmoid-bce/sigmoid-derivative", "sigma(s)*(1-sigma(s)) + 1/10^60"),
])
def test_a_near_miss_shows_values_that_differ_on_screen(target, answer):
    result = check(target, answer)
    assert result.verdict == "not_equivalent", result.message
    shown = result.counterexample["student_value"], result.counterexample["reference_value"]
    assert shown[0].split(" ≈ ")[-1] != shown[1].split(" ≈ ")[-1], shown
    assert len(shown[0]) < 90, shown  # enough digits, not all of them


def test_a_near_miss_of_two_free_expressions_differs_on_screen():
    for first, second in [("x + 10^(-25)", "x"), ("sqrt(2)*x", "1.41421356237309504880168872*x")]:
        result = equiv(first, second)
        shown = result.counterexample["student_value"], result.counterexample["reference_value"]
        assert shown[0].split(" ≈ ")[-1] != shown[1].split(" ≈ ")[-1], shown


def test_a_plain_difference_keeps_fifteen_digits():
    result = check("sigmoid-bce/sigmoid-derivative", "sigma(s)")
    assert re.fullmatch(r"-?0\.\d{14,15}", result.counterexample["student_value"]), result.counterexample


# -- 12. a message shows the student's own text -------------------------------------------------------------

LATEX = [
    ("softmax-jacobian/vjp", r"\left(v\right) \left(\operatorname{diag}(\sigma)-\sigma\sigma^\top\right)"),
    ("softmax-jacobian/vjp", r"\mathbf{v} \left(\operatorname{diag}(\sigma)-\sigma\sigma^\top\right) \sigma"),
    ("softmax-jacobian/vjp", r"\operatorname{diag}(\sigma) \big( v \big) \sigma"),
    ("softmax-jacobian/vjp", r"\exp\left(v\right)\sigma"),
    ("softmax-jacobian/jacobian", r"\Big[\operatorname{diag}(\sigma)\Big] \sigma"),
    ("two-layer-l2/dZ2", r"\frac{1}{N}\left(\Psi - \Delta\right)W_2^\top\;\phi'\!\left(Z_2\right)"),
    ("two-layer-l2/dW2", r"\left( \Psi - \Delta \right) \bigl( A_2 \bigr)"),
    ("two-layer-l2/dW2", r"\boldsymbol{A}_2 \, \mathbf{W}_2 \quad"),
]
OURS = re.compile(r"\\(left|right|[bB]igg?[lr]?|quad|,|;|!)(?![A-Za-z])|[\x00-\x1f\ue000-\uf8ff]")


def _balanced(text: str) -> bool:
    depth = 0
    for c in re.sub(r"\\[{}]", "", text):
        depth += {"{": 1, "}": -1}.get(c, 0)
        if depth < 0:
            return False
    return depth == 0


@pytest.mark.parametrize("target,answer", LATEX, ids=[a for _, a in LATEX])
def test_no_message_shows_a_token_of_ours(target, answer):
    result = check(target, answer)
    assert not OURS.search(result.message) and _balanced(result.message), result.message
