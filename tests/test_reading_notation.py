"""Notation as students type it (issue 11, items 8 and 9): Unicode subscripts, MATLAB and NumPy operators
(`.^`, `./`, `@`, `ones`, `outer`, `mean`), ⊘ and ⊗, the indicator of a class label `[k = y_n]`, and in free
expressions the functions of ML calculus (`softplus`) and derivatives (`d/dx`, `\\frac{d}{dx}`).

A row of `ROWS` is (target, answer, verdict, words the message must hold); a row of `FREE` is
(first, second, verdict, words) for `derive equiv`."""
from __future__ import annotations

import time

import pytest

from derive.checking import check, equiv
from derive.parsing import ParseError, Vocabulary, parse

from .conftest import RUNAWAY_SECONDS

SJ = "softmax-jacobian/jacobian"
DW2 = "two-layer-l2/dW2"
DZ3 = "two-layer-l2/dZ3"
DB2 = "two-layer-l2/db2"
BATCH = "softmax-cross-entropy/batch-mean"
DPROB = "softmax-cross-entropy/dloss-dprob"
DA3 = "rnn-bptt/da3"
BN = "batch-norm/dx"

ROWS = [
    # Unicode subscripts: letters and digits, as the issue quotes them
    (SJ, "σᵢ(δᵢⱼ - σⱼ)", "equivalent", ""),
    (SJ, "σᵢ(δᵢⱼ − σⱼ)", "equivalent", ""),
    (SJ, "σᵢ(1 - σⱼ)", "not_equivalent", "δ_ij is missing"),
    (SJ, "σᵢ(δᵢ - σⱼ)", "invalid", "two indices"),
    (DW2, "A₂ᵀ(Ψ - Δ)/N + 2λW₂", "equivalent", ""),
    (DW2, "A₂ᵀ (Ψ - Δ) / N + 2 λ W₂", "equivalent", ""),
    (DW2, "A₂ᵀ(Ψ - Δ)/N + λW₂", "not_equivalent", "factor 2"),
    (DZ3, "(Ψₙₖ - Δₙₖ)/N", "equivalent", ""),
    (DZ3, "(Ψₙₖ - Δₖₙ)/N", "invalid", "index"),
    # .^ : MATLAB's entry-wise power
    (DA3, "(h3 - y) .* (1 - h3.^2)", "equivalent", ""),
    (DA3, "(h₃ - y) ⊙ (1 - h₃.^2)", "equivalent", ""),
    (DA3, "(h3 - y) .* (1 - h3.^3)", "not_equivalent", ""),
    (DA3, "(h3 - y) .* (1 - h3^2)", "invalid", "elementwise power"),
    # ./ and ⊘: entry-wise division (of two same-shape matrices, or by a scalar)
    (DPROB, "-t ./ p", "equivalent", ""),
    (DPROB, "-t ⊘ p", "equivalent", ""),
    (DPROB, r"-t \oslash p", "equivalent", ""),
    (DPROB, "-(1 ./ p) .* t", "equivalent", ""),
    (DPROB, "t ./ p", "not_equivalent", "sign"),
    (DPROB, "-t ./ Z", "invalid", "entry-wise"),
    (DZ3, "(Ψ - Δ)./N", "equivalent", ""),
    (DZ3, "(Ψ - Δ) ⊘ N", "equivalent", ""),
    (DZ3, "(Ψ - Δ) ./ (2N)", "not_equivalent", ""),
    # @: the matrix product
    (DW2, "A2^T @ (Ψ - Δ)/N + 2λW2", "equivalent", ""),
    (DW2, "A2.T @ (Ψ - Δ)/N + 2*λ*W2", "invalid", ""),
    (DW2, "A2^T @ (Ψ - Δ) + 2λW2", "not_equivalent", ""),
    (DW2, "A2 @ (Ψ - Δ)/N + 2λW2", "invalid", "cannot multiply"),
    # ones, ones(N): a column of ones; 𝟙 and \mathbf{1} are the same
    (DB2, "(Ψ - Δ)^T ones / N", "equivalent", ""),
    (DB2, "(Ψ - Δ)^T ones(N) / N", "equivalent", ""),
    (DB2, "ones(N)^T (Ψ - Δ) / N", "equivalent", ""),
    (DB2, "(Ψ - Δ)^T 𝟙 / N", "equivalent", ""),
    (DB2, r"(\Psi - \Delta)^\top \mathbf{1} / N", "equivalent", ""),
    (DB2, "(Ψ - Δ)^T ones", "not_equivalent", "1/N"),
    (DB2, "(Ψ - Δ)^T ones(K) / N", "invalid", "cannot multiply"),
    (DB2, "(Ψ - Δ)^T ones(n) / N", "invalid", "dimension"),
    (DB2, "(Ψ - Δ)^T ones() / N", "invalid", "dimension"),
    # outer(a, b) and a ⊗ b: the outer product a bᵀ of two vectors
    (SJ, "diag(σ) - outer(σ, σ)", "equivalent", ""),
    (SJ, "diag(σ) - σ ⊗ σ", "equivalent", ""),
    (SJ, r"\operatorname{diag}(\sigma) - \sigma \otimes \sigma", "equivalent", ""),
    (SJ, "diag(σ) - outer(σ, x)", "not_equivalent", ""),
    (SJ, "diag(σ) - outer(σ)", "invalid", "outer(a, b)"),
    (SJ, "diag(σ) - outer(diag(σ), σ)", "invalid", "vector"),
    (SJ, "diag(σ) - diag(σ) ⊗ σ", "invalid", "vector"),
    # the indicator of a class label: [k = y_n] is Δ_nk, where the spec says so
    (DZ3, "(Ψ_nk - 1[k = y_n])/N", "equivalent", ""),
    (DZ3, r"(\Psi_{nk} - \mathbb{1}[k = y_n])/N", "equivalent", ""),
    (DZ3, "(Ψ_nk - 𝟙[y_n = k])/N", "equivalent", ""),
    (DZ3, "(Ψ_nk - [k == y_{n}])/N", "equivalent", ""),
    (DZ3, "Ψ_nk - 1[k = y_n]", "not_equivalent", "1/N"),
    (DZ3, "(Ψ_nk - 1[j = y_n])/N", "invalid", "classes"),
    (DZ3, "(Ψ_nk - 1[k = y])/N", "invalid", "y_n"),
    (DZ3, "(Ψ_nk - y_n)/N", "invalid", "[k = y_n]"),
    (BATCH, r"(\Psi_{nk} - \mathbb{1}[k = y_n])/N", "equivalent", ""),
    (BATCH, "(Ψ_nk - 1[k = y_n])/N", "equivalent", ""),
    (BATCH, "Ψ_nk - 1[k = y_n]", "not_equivalent", "1/N"),
    ("relu-mlp/dW2", "Σ_n A2_nj (Ψ_nk - [k = y_n]) / N", "equivalent", ""),
    # mean: of all entries of a vector or matrix, or over an index
    (DB2, "mean(Ψ_nk - Δ_nk, n)", "equivalent", ""),
    (DB2, "mean(Ψ_nk - Δ_nk, n, 1, N)", "equivalent", ""),
    (DB2, "mean(Ψ_nk - Δ_nk, k)", "not_equivalent", "free indices"),
    (DB2, "mean(Ψ - Δ)", "not_equivalent", "free ind"),
    (BN, "γ (g_n - mean(g) - x̂_n mean(g ⊙ x̂)) / sqrt(v + ε)", "equivalent", ""),
    (BN, "γ (g_n - mean(g_m, m) - x̂_n mean(g_m x̂_m, m)) / sqrt(v + ε)", "equivalent", ""),
    (BN, "γ (g_n - mean(g) - x̂_n mean(g)) / sqrt(v + ε)", "not_equivalent", ""),
    (BN, "γ (g_n - mean(g_n) - x̂_n mean(g ⊙ x̂)) / sqrt(v + ε)", "invalid", "mean(x_k, k)"),
    # a derivative in a problem's answer: its result is the answer
    ("tanh-derivative", r"\frac{d}{dx} \tanh(x)", "invalid", "write the derivative out"),
    ("tanh-derivative", "d/dx tanh(x)", "invalid", "write the derivative out"),
    ("tanh-derivative", r"\frac{\partial \tanh(x)}{\partial x}", "invalid", "write the derivative out"),
]

FREE = [
    # the functions of ML calculus are functions in free expressions
    ("softplus(x)", "log(1+exp(x))", "equivalent", ""),
    (r"\operatorname{softplus}(x)", r"\ln(1 + e^x)", "equivalent", ""),
    ("softplus(x) - softplus(-x)", "x", "equivalent", ""),
    ("softplus(x)", "log(1+exp(-x))", "not_equivalent", ""),
    ("softplus'(x)", "sigmoid(x)", "equivalent", ""),
    ("logsumexp(a, b)", "log(exp(a) + exp(b))", "equivalent", ""),
    ("logsumexp(a, b) - a", "softplus(b - a)", "equivalent", ""),
    ("logsumexp(a)", "a", "equivalent", ""),
    ("silu(x)", "x sigmoid(x)", "equivalent", ""),
    ("swish(x)", "x/(1 + exp(-x))", "equivalent", ""),
    ("relu(x) - relu(-x)", "x", "equivalent", ""),
    ("erf(-x)", "-erf(x)", "equivalent", ""),
    ("x.^2", "x^2", "equivalent", ""),
    ("x ./ y", "x/y", "equivalent", ""),
    ("x ⊘ y", "x y", "not_equivalent", ""),
    ("x @ y", "x y", "equivalent", ""),
    ("xᵢ + x₂", "x_i + x_2", "equivalent", ""),
    ("mean(k^2, k, 1, 3)", "14/3", "equivalent", ""),
    ("mean(k^2 x, k, 1, 4)", "7.5x", "equivalent", ""),
    ("mean(k^2, k, 1, 3)", "14/2", "not_equivalent", ""),
    ("mean(x)", "x", "invalid", "mean(x_k, k)"),
    # derivatives
    (r"\frac{d}{dx} x^2", "2x", "equivalent", ""),
    (r"\frac{d}{dx} x^2", "x^2/x", "not_equivalent", ""),
    ("d/dx (x^2)", "2x", "equivalent", ""),
    ("d/dx x^2", "2x", "equivalent", ""),
    ("d/dx softplus(x)", "sigmoid(x)", "equivalent", ""),
    ("d/dx softplus(x)", "softplus(x)", "not_equivalent", ""),
    (r"\frac{d}{dx}\left(x^3 + x\right)", "3x^2 + 1", "equivalent", ""),
    (r"\frac{d x^2}{dx}", "2x", "equivalent", ""),
    (r"\frac{\mathrm{d}}{\mathrm{d}x} \sin x", r"\cos x", "equivalent", ""),
    (r"\frac{\partial}{\partial x} x y", "y", "equivalent", ""),
    (r"\frac{\partial (x y^2)}{\partial y}", "2 x y", "equivalent", ""),
    (r"\frac{d^2}{dx^2} x^3", "6x", "equivalent", ""),
    ("d^2/dx^2 sin(x)", "-sin(x)", "equivalent", ""),
    ("d(x^2)/dx", "2x", "equivalent", ""),
    ("∂/∂x (x^2 y)", "2 x y", "equivalent", ""),
    (r"\frac{d}{dx} \sigma(x)", r"\sigma(x)(1 - \sigma(x))", "not_equivalent", ""),  # σ is a letter here
    (r"\frac{d}{dx} \operatorname{sigmoid}(x)", "sigmoid(x)(1 - sigmoid(x))", "equivalent", ""),
    ("d/dx erf(x)", "2/sqrt(pi) exp(-x^2)", "equivalent", ""),
    ("d/dx tanh(x)", "1 - tanh(x)^2", "equivalent", ""),
    (r"\frac{d}{dx} x^2 + 1", "2x + 1", "equivalent", ""),  # the operand is a product, as a sum's body
    ("2 d/dx x^2", "4x", "equivalent", ""),
    ("d/dθ sin(θ)", "cos(θ)", "equivalent", ""),
    ("d/dx_1 (x_1 x_2)", "x_2", "equivalent", ""),
    # a d that is a letter stays a letter
    ("d/x", "d x^(-1)", "equivalent", ""),
    ("d/(d x)", "1/x", "equivalent", ""),
    ("d/d", "1", "equivalent", ""),
    ("ad", "da", "equivalent", ""),
    # unreadable derivatives say what to write
    ("d/dx", "1", "invalid", "d/dx f"),
    (r"\frac{d}{dx}", "1", "invalid", "d/dx f"),
    ("a d/dx", "1", "invalid", "d/dx f"),
    ("d/dx + 1", "1", "invalid", "d/dx f"),
    ("d/dexp(x) x", "1", "invalid", "variable"),
    (r"\frac{d^2}{dx} x^3", "1", "invalid", "order"),
    ("∂ x", "1", "invalid", "∂/∂x f"),
    ("d/dx " * 5 + "x^20", "0", "invalid", "derivatives"),
    ("d^5/dx^5 x^20", "0", "invalid", "order"),
    ("d^4/dx^4 x^4", "24", "equivalent", ""),
]


def _id(row) -> str:
    return f"{row[0]}:{row[1]}"


@pytest.mark.parametrize("target,answer,verdict,words", ROWS, ids=[_id(r) for r in ROWS])
def test_notation_in_a_problem(target, answer, verdict, words):
    result = check(target, answer)
    assert result.verdict == verdict, result.message
    assert words in result.message, result.message


@pytest.mark.parametrize("first,second,verdict,words", FREE, ids=[_id(r) for r in FREE])
def test_notation_in_free_expressions(first, second, verdict, words):
    result = equiv(first, second)
    assert result.verdict == verdict, result.message
    assert words in result.message, result.message


HOSTILE = [
    "d^4/dx^4 (" + "*".join(f"sin({k}x)" for k in range(1, 150)) + ")",
    "d^4/dx^4 (" + "+".join(f"sin({k}x)exp(x^{k})" for k in range(1, 60)) + ")",
    "d^4/dx^4 (x^x)^(x^x)^(x^x)",
    "d/dx " * 4 + "logsumexp(" + ",".join(f"x^{k}" for k in range(1, 200)) + ")",
    "d/dx " * 300 + "x",
    r"\frac{d}{dx}" * 100 + "x",
    r"\frac{d}{dx}" * 3 + "(" * 58 + "x" + ")" * 58,
    "d(" * 300 + "x" + ")/dx" * 300,
    "d^99999999999/dx^99999999999 x",
    "mean(" * 30 + "x_k, k, 1, 1000" + ")" * 30,
    "ones(" * 300,
    "σ" + "ᵢ" * 1999,
]


@pytest.mark.parametrize("answer", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_notation_is_read_or_refused_quickly(answer):
    start = time.perf_counter()
    try:
        parse(answer, Vocabulary.free()).index_form(())
    except ParseError:
        pass
    assert time.perf_counter() - start < RUNAWAY_SECONDS
