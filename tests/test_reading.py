"""Answers as students write them (issue 11): each row is a right answer that must read, or a wrong one that
must be refused with its diagnosis, or unreadable text that must be `invalid` with a message saying what to
write instead. A row is (target, answer, verdict, words the message must hold)."""
from __future__ import annotations

import pytest

from derive.checking import check

ROWS = [
    # 1. an answer may begin with a minus sign (the CLI side is in test_cli.py)
    ("log-softmax-jacobian/nll-gradient", "-t_i", "equivalent", ""),
    ("log-softmax-jacobian/nll-gradient", "-t_i.", "equivalent", ""),
    ("log-softmax-jacobian/nll-gradient", "-1*t_i", "equivalent", ""),
    ("log-softmax-jacobian/nll-gradient", "t_i", "not_equivalent", "sign"),
    # 2. a quantity the spec defines from its inputs may be written applied to them
    ("softmax-jacobian/jacobian", r"\sigma_i(x)(\delta_{ij} - \sigma_j(x))", "equivalent", ""),
    ("softmax-jacobian/jacobian", r"\sigma_i(\mathbf{x})(\delta_{ij} - \sigma_j(\mathbf{x}))", "equivalent", ""),
    ("softmax-jacobian/jacobian", r"\sigma_i(\mathbf{x})", "not_equivalent", ""),  # σ_i, not σ_i·x_i
    ("softmax-jacobian/jacobian", "σ_i(x)(δ_ij - σ_i(x))", "not_equivalent", "σ_i where σ_j belongs"),
    ("softmax-jacobian/jacobian", "σ_i(x)(δ_ij - σ_j(x))", "equivalent", ""),
    ("softmax-jacobian/jacobian", "softmax(x)_i (δ_ij - softmax(x)_j)", "equivalent", ""),
    ("softmax-jacobian/jacobian", "σ(x)_i (δ_ij - σ(x)_j)", "equivalent", ""),
    ("softmax-jacobian/jacobian", "σ_i(v)(δ_ij - σ_j)", "invalid", ""),  # σ is not built from v: σ_i times v
    ("sigmoid-bce/dE-dw-output", "(x_i - t_i) y_j(z)", "equivalent", ""),
    ("sigmoid-bce/dE-dw-output", "(x_i(z) - t_i) y_j", "equivalent", ""),  # built from z through y
    ("softmax-cross-entropy/dloss-dlogits", "p_j(x) - t_j", "equivalent", ""),
    ("weighted-softmax/gradient", "σ_i(a)(1 + a_i - o)", "equivalent", ""),
    # 5. names the statement gives; an alias yields to the quantity the part involves
    ("softmax-cross-entropy/dloss-dlogits", "p_j - t_j", "equivalent", ""),  # "Let p = σ(x)"
    ("softmax-cross-entropy/dloss-dlogits", "p_j", "not_equivalent", ""),
    ("softmax-cross-entropy/dloss-dprob", "-t_i/p_i", "equivalent", ""),  # here p is ℓ's own input
    ("weighted-softmax/gradient", "s_i (1 + a_i - o)", "equivalent", ""),  # s is σ(a) here ...
    ("weighted-softmax/dW2", "s_i (1 + a2_i - yhat) (yhat - y) o1_j", "equivalent", ""),  # ... σ(a2) here
    ("sigmoid-bce/sigmoid-derivative", "sigmoid(z)*(1-sigmoid(z))", "equivalent", ""),  # σ'(z) in the catalogue
    ("sigmoid-bce/sigmoid-derivative", "σ(z)(1 - σ(z))", "equivalent", ""),
    ("sigmoid-bce/sigmoid-derivative", "σ(s)(1 - σ(s))", "equivalent", ""),
    ("sigmoid-bce/sigmoid-derivative", "σ(1 - σ)", "equivalent", ""),  # the one variable is unambiguous
    ("sigmoid-bce/sigmoid-derivative", "σ - σ^2", "equivalent", ""),
    ("sigmoid-bce/sigmoid-derivative", "σ(σ - 1)", "not_equivalent", "sign"),
    ("sigmoid-bce/sigmoid-derivative", "σ(z)", "not_equivalent", ""),
    ("sigmoid-bce/dE-dw-hidden", "Σ_i (x_i - t_i) w_ji y_j (1 - y_j) z_k", "equivalent", ""),  # z is the input
    ("tanh-derivative", "1 - tanh^2", "equivalent", ""),
    ("tanh-derivative", "1 + tanh^2", "not_equivalent", ""),
    ("softmax-jacobian/jacobian", "σ(1 - σ)", "invalid", "multiply"),  # σ is a vector here
    # 3. equation numbers, tags, labels and a sentence's full stop are not part of the answer
    ("tanh-derivative", r"1 - \tanh^2(x) \quad (3)", "equivalent", ""),
    ("tanh-derivative", r"1 - \tanh^2(x) \qquad \text{(3)}", "equivalent", ""),
    ("tanh-derivative", r"1 - \tanh^2(x) \tag{3}", "equivalent", ""),
    ("tanh-derivative", r"1 - \tanh^2(x) \label{eq:tanh}", "equivalent", ""),
    ("tanh-derivative", "1 - tanh(x)^2.", "equivalent", ""),
    ("tanh-derivative", "1 - tanh(x)^2,", "equivalent", ""),
    ("tanh-derivative", r"1 - \tanh^2(x) \quad (4)", "equivalent", ""),
    ("tanh-derivative", "1 - tanh(x) (3)", "not_equivalent", ""),  # without \quad, (3) is a factor
    ("tanh-derivative", r"1 + \tanh^2(x) \quad (3)", "not_equivalent", ""),
]


def _id(row) -> str:
    return f"{row[0]}:{row[1]}"


@pytest.mark.parametrize("target,answer,verdict,words", ROWS, ids=[_id(r) for r in ROWS])
def test_answers_as_students_write_them(target, answer, verdict, words):
    result = check(target, answer)
    assert result.verdict == verdict, result.message
    assert words in result.message, result.message
