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
    ("softmax-jacobian/jacobian", "σ_i(v)(δ_ij - σ_j)", "not_equivalent", "shapes"),  # σ is not built from v
    ("sigmoid-bce/dE-dw-output", "(x_i - t_i) y_j(z)", "equivalent", ""),
    ("sigmoid-bce/dE-dw-output", "(x_i(z) - t_i) y_j", "equivalent", ""),  # built from z through y
    ("softmax-cross-entropy/dloss-dlogits", "p_j(x) - t_j", "equivalent", ""),
    ("weighted-softmax/gradient", "σ_i(a)(1 + a_i - o)", "equivalent", ""),
    # 4. a whole equation: the left side names the target, the right side is the answer
    ("softmax-jacobian/jacobian",
     r"\frac{\partial \sigma_i}{\partial x_j} = \sigma_i(\delta_{ij}-\sigma_j)", "equivalent", ""),
    ("softmax-jacobian/jacobian", "∂σ_i/∂x_j = σ_i(δ_ij - σ_j)", "equivalent", ""),
    ("softmax-jacobian/jacobian",
     "∂σ_i/∂x_k = σ_i(δ_ij - σ_j)", "invalid", "is not what this part asks for (∂σ_i/∂x_j)"),
    ("softmax-jacobian/jacobian", "dσ_i/dx_j = σ_i(δ_ij - σ_j)", "equivalent", ""),
    ("softmax-jacobian/jacobian", "∂σ/∂x = diag(σ) - σσ^T", "equivalent", ""),
    ("softmax-jacobian/vjp", "z_j = σ_j (v_j - Σ_i v_i σ_i)", "equivalent", ""),
    ("softmax-jacobian/vjp", "z = (diag(s) - s s^T) v", "equivalent", ""),
    ("softmax-jacobian/vjp", "y_j = σ_j (v_j - Σ_i v_i σ_i)", "invalid", "write the answer alone"),
    ("two-layer-l2/dW2", r"\nabla_{W_2} J = A_2^T (\Psi - \Delta)/N + 2\lambda W_2", "equivalent", ""),
    ("two-layer-l2/dW2", "dJ/dW2 = A2^T (Psi - Delta)/N + 2 lambda W2", "equivalent", ""),
    ("two-layer-l2/dW2", "dJ/dW1 = A2^T (Psi - Delta)/N + 2 lambda W2", "invalid", "∂J/∂W2_jk"),
    ("two-layer-l2/dW2",
     r"\frac{\partial J}{\partial W_{2,jk}} = \frac{1}{N}\sum_n A_{2,nj}(\Psi_{nk} - \Delta_{nk}) + 2\lambda W_{2,jk}",
     "equivalent", ""),
    ("sigmoid-bce/sigmoid-derivative", "σ'(z) = σ(z)(1 - σ(z))", "equivalent", ""),
    ("sigmoid-bce/sigmoid-derivative", r"\sigma'(z) = \sigma(z)(1 - \sigma(z))", "equivalent", ""),
    ("tanh-derivative", "d/dx tanh(x) = 1 - tanh(x)^2", "equivalent", ""),
    ("tanh-derivative", r"\frac{d}{dx}\tanh(x) = 1 - \tanh^2(x)", "equivalent", ""),
    ("tanh-derivative", r"\frac{d \tanh x}{dx} = 1 - \tanh^2 x", "equivalent", ""),
    ("tanh-derivative", "tanh'(x) = 1 - tanh(x)^2", "equivalent", ""),
    ("log-softmax-jacobian/jacobian",
     r"\frac{\partial \log \sigma_i}{\partial x_j} = \delta_{ij} - \sigma_j", "equivalent", ""),
    ("log-softmax-jacobian/nll-gradient", "∂ℓ/∂z_i = -t_i", "equivalent", ""),
    ("log-softmax-jacobian/nll-gradient", r"\frac{\partial \ell(z, t)}{\partial z_i} = -t_i", "equivalent", ""),
    ("sigmoid-bce/dE-dw-output", "∂E/∂w_ji = (x_i - t_i) y_j", "equivalent", ""),
    ("sigmoid-bce/dE-dw-output", "∂E/∂w_kj = (x_i - t_i) y_j", "invalid", "∂E/∂w_ji = the answer"),
    ("tanh-derivative", "1 - tanh(x)^2 = 1 - tanh(x)^2 = 2", "invalid", "a chain of equalities"),
    ("tanh-derivative", "= 1 - tanh(x)^2", "invalid", "nothing before '='"),
    ("tanh-derivative", "d/dx tanh(x) = 1 + tanh(x)^2", "not_equivalent", ""),
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
    ("tanh-derivative", "exp(-tanh) exp(tanh) (1 - tanh^2)", "equivalent", ""),  # exp(-tanh(x)), not exp·(−tanh)
    ("softmax-jacobian/jacobian", "σ(1 - σ)", "invalid", "multiply"),  # σ is a vector here
    # 6. inner products of vectors (norms: test_norms below)
    ("softmax-jacobian/vjp", "s_j (v_j - v·s)", "equivalent", ""),
    ("softmax-jacobian/vjp", r"s_j (v_j - v \cdot \sigma)", "equivalent", ""),
    ("softmax-jacobian/vjp", r"s_j (v_j - \langle \sigma, v\rangle)", "equivalent", ""),
    ("softmax-jacobian/vjp", "s_j (v_j - ⟨σ, v⟩)", "equivalent", ""),
    ("softmax-jacobian/vjp", "s_j (v_j - σ^T v)", "equivalent", ""),
    ("softmax-jacobian/vjp", "s_j (v_j - v·v)", "not_equivalent", ""),
    ("softmax-jacobian/vjp", "(v - (v·σ)1) ⊙ σ", "equivalent", ""),
    ("softmax-jacobian/vjp", r"s ⊙ (v - (v \cdot s) \mathbf{1})", "equivalent", ""),
    # 7. where the statement says "v is a row vector", v may stand on the left
    ("softmax-jacobian/vjp", "v (diag(s) - s s^T)", "equivalent", ""),
    ("softmax-jacobian/vjp", r"v(\operatorname{diag}(\sigma) - \sigma\sigma^\top)", "equivalent", ""),
    ("softmax-jacobian/vjp", "(diag(s) - s s^T) v", "equivalent", ""),
    ("softmax-jacobian/vjp", "v^T (diag(s) - s s^T)", "equivalent", ""),
    ("softmax-jacobian/vjp", "v (diag(s) - s^T s)", "invalid", "outer product is u vᵀ"),
    ("softmax-jacobian/vjp", "v diag(s)", "not_equivalent", "off-diagonal"),
    ("softmax-jacobian/vjp", "(v - (v·σ)1^T) ⊙ σ", "equivalent", ""),
    ("softmax-jacobian/vjp", "(v - (v·σ)1^T) ⊙ σ^T", "equivalent", ""),
    ("log-softmax-jacobian/vjp", "v (I - 1 σ^T)", "equivalent", ""),
    ("log-softmax-jacobian/vjp", "v - (v 1) σ^T", "equivalent", ""),
    ("log-softmax-jacobian/vjp", "v (I - σ 1^T)", "not_equivalent", ""),
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


NORM_ROWS = [
    # 6. norms: ‖x‖, \|x\|, \lVert x \rVert, \|x\|_2, ||x|| (of a vector: not an absolute value), ‖x‖^2
    ("jacobian", "(δ_ij - y_i y_j)/r", "equivalent", ""),
    ("jacobian", "(δ_ij - x_i x_j/‖x‖^2)/‖x‖", "equivalent", ""),
    ("jacobian", r"\frac{\delta_{ij}}{\|x\|_2} - \frac{x_i x_j}{\|x\|_2^3}", "equivalent", ""),
    ("jacobian", "(δ_ij - x_i x_j/||x||^2)/||x||", "equivalent", ""),
    ("jacobian", r"\frac{\delta_{ij}}{\lVert x \rVert} - \frac{x_i x_j}{\lVert x \rVert^3}", "equivalent", ""),
    ("jacobian", "(I - y y^T)/‖x‖", "equivalent", ""),
    ("jacobian", "(I - x x^T/‖x‖^2)/‖x‖", "equivalent", ""),
    ("jacobian", "(δ_ij - x_i x_j/‖x‖)/‖x‖", "not_equivalent", ""),
    ("jacobian", "(δ_ij - x_i x_j/‖x‖_1^2)/‖x‖", "not_equivalent", ""),
    ("norm", "x_j/‖x‖", "equivalent", ""),
    ("norm", "x_j/sqrt(x·x)", "equivalent", ""),
    ("norm", "x_j/sqrt(⟨x, x⟩)", "equivalent", ""),
    ("norm", "x_j/‖x‖^2", "not_equivalent", ""),
    ("norm", "x_j/‖x‖_3", "invalid", "1, 2 or F"),
]


def _unit_vector():
    """y = x/‖x‖, r = ‖x‖: a problem outside the catalogue, written here."""
    from sympy import KroneckerDelta, Sum, sqrt

    from derive.spec import D, Spec

    spec = Spec(id="unit-vector", title="x/‖x‖", source="test", statement=r"Let $y = x / \|x\|$, $r = \|x\|$.")
    n = spec.dim("n")
    i, j, k = spec.indices("i j k", range=n)
    x, y = spec.tensor("x", n), spec.tensor("y", n)
    r = spec.scalar("r")
    spec.define(r, sqrt(Sum(x[k] ** 2, (k, 1, n))))
    spec.define(y[i], x[i] / r)
    spec.part("jacobian", r"Find $\partial y_i/\partial x_j$.", target=D(y[i], x[j]),
              reference=(KroneckerDelta(i, j) - y[i] * y[j]) / r, free=(i, j), matrix=True)
    spec.part("norm", r"Find $\partial r/\partial x_j$.", target=D(r, x[j]), reference=x[j] / r, free=(j,))
    return spec


@pytest.mark.parametrize("part,answer,verdict,words", NORM_ROWS, ids=[_id(r) for r in NORM_ROWS])
def test_norms(part, answer, verdict, words):
    from derive.checking import check_part

    spec = _unit_vector()
    result = check_part(spec, spec.part_by_id(part), answer)
    assert result.verdict == verdict, result.message
    assert words in result.message, result.message
