"""The notations of issue 19, item 2, each with its verdict: what a teacher prints, a student may type.

A row of `ROWS` is (target, answer, verdict, words the message must hold). Targets are parts of the
library and of the course-style specs in `tests/notation_course` (a GRU with h̃ and h^prev, attention
over T tokens with √d, a Gaussian NLL with ½ log 2π, a leaky ReLU, SymPy's named constants); `FREE` rows
are `derive equiv` pairs. Right answers are `equivalent`; each notation also has a wrong answer, or a
malformed one, so that a reader which accepted anything would fail here.
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import sympy as sp

from derive import printing
from derive.checking import check, equiv
from derive.documents.pdf import standalone
from derive.documents.report import derive_report
from derive.parsing import Vocabulary, parse
from derive.problem import library

COURSE = Path(__file__).resolve().parent / "notation_course"
GRU = "gru-gate/dL-dWz"
HPREV = "gru-gate/dL-dhprev"
ATT_Q = "attention-score/dL-dq"
ATT_K = "attention-score/dL-dK"
POWER_T = "attention-score/dP-da"
GAUSS = "gauss-nll/density"
CONST = "constants"
LEAKY = "leaky-nobias"
SJ = "softmax-jacobian/jacobian"
LN = "layer-norm/jacobian"
DZ2 = "two-layer-l2/dZ2"
DX = "conv1d/dx"
DW = "conv1d/dw"
TANH = "tanh-derivative"

ROWS = [
    # accents on a declared name: \tilde, \widetilde, a combining tilde (U+0303); \mathrm{…}, \text{…},
    # \mathbf{…} pieces of a declared name (h^{\mathrm{prev}}, h_prev), never new unknown names
    (GRU, r"(h_i - y_i)(\tilde{h}_i - h^{\mathrm{prev}}_i) z_i (1-z_i) x_k", "equivalent", ""),
    (GRU, r"(h_i - y_i)(\widetilde{h}_i - \mathbf{h}^{\text{prev}}_i) z_i (1-z_i) x_k", "equivalent", ""),
    (GRU, r"(h_i - y_i)(\tilde h_i - h^{prev}_i) z_i (1-z_i) x_k", "equivalent", ""),
    (GRU, r"(h_i - y_i)(\tilde{h}_i - h_{\text{prev},i}) z_i (1-z_i) x_k", "equivalent", ""),
    (GRU, r"(h_i - y_i)(\tilde{h}_i - h_{\operatorname{prev}, i}) z_i (1-z_i) x_k", "equivalent", ""),
    (GRU, "(h_i - y_i)(h\u0303_i - h_prev_i) z_i (1 - z_i) x_k", "equivalent", ""),
    (GRU, "(h_i - y_i)(h̃_i - h^prev_i) z_i (1 - z_i) x_k", "equivalent", ""),
    (GRU, "(h_i - y_i)(htilde_i - hprev_i) z_i (1 - z_i) x_k", "equivalent", ""),
    (GRU, r"(h_i - y_i)(h_i - h^{\mathrm{prev}}_i) z_i (1-z_i) x_k", "not_equivalent", ""),
    (GRU, r"(h_i - y_i)(\bar{h}_i - h^{\mathrm{prev}}_i) z_i (1-z_i) x_k", "invalid", "unknown name 'h̄'"),
    (GRU, r"(h_i - y_i)(\tilde{h}_i - h^{\mathrm{next}}_i) z_i (1-z_i) x_k", "invalid", "unknown name 'next'"),
    (GRU, r"(h_i - y_i)(\tilde{h_i} - h^{\mathrm{prev}}_i) z_i (1-z_i) x_k", "invalid", "must hold one letter"),
    (HPREV, r"(1 - z) \odot (h - y) - U_z^{\top} ((h - \tilde{h}) \odot (h - y) \odot z)", "equivalent", ""),
    (HPREV, "(1 - z) .* (h - y) - U_z^T ((h - h̃) .* (h - y) .* z)", "equivalent", ""),
    # ^T on a vector or matrix is a transpose where T is a dimension (attention over T tokens); a scalar's ^T
    # is a power; √d, √(…)
    (ATT_Q, r"(o-y) K^T (\alpha \odot (v - o \mathbf{1})) / \sqrt{d}", "equivalent", ""),
    (ATT_Q, r"\frac{o-y}{\sqrt{d}} K^{\top} (\alpha \odot (v - o \mathbf{1}))", "equivalent", ""),
    (ATT_Q, r"(o-y) K^{\mathsf{T}} (\alpha \odot (v - o \mathbf{1})) / \sqrt{d}", "equivalent", ""),
    (ATT_Q, "(o - y)/√d Kᵀ (α ⊙ (v - o 1))", "equivalent", ""),
    (ATT_Q, "(o - y) K^T (alpha .* (v - o*ones)) / sqrt(d)", "equivalent", ""),
    (ATT_Q, "(o - y) K (α ⊙ (v - o 1)) / √d", "invalid", "cannot multiply"),
    (ATT_Q, "(o - y) K^T (α ⊙ (v - o 1)) / d", "not_equivalent", ""),
    (ATT_K, "(o - y)/√d (α ⊙ (v - o 1)) q^T", "equivalent", ""),
    (ATT_K, "(o - y) α_t (v_t - o) q_i / √d", "equivalent", ""),
    (ATT_K, "(o - y) α_t (v_t - o) q_i / √(d)", "equivalent", ""),
    (ATT_K, "(o - y) α_t (v_t - o) q_i √d", "not_equivalent", ""),
    (POWER_T, "a^T", "equivalent", ""),
    (POWER_T, "a^{T}", "equivalent", ""),
    (POWER_T, "a^(T-1)", "not_equivalent", ""),
    (LN, "(δ_ij − 1/n − x̂_i x̂_j/n)/√(v+ε)", "equivalent", ""),
    (LN, "(δ_ij − 1/n − x̂_i x̂_j/n)/√v", "not_equivalent", ""),
    (LN, "(δ_ij − 1/n − x̂_i x̂_j/n)/√", "invalid", "needs what it is the root of"),
    # ⊙, ⊘, .* and ./ bind looser than a matrix product written by juxtaposition
    (DZ2, "φ'(Z2) ⊙ (Ψ − Δ)W2^T/N", "equivalent", ""),
    (DZ2, "(Ψ − Δ)W2^T/N ⊙ φ'(Z2)", "equivalent", ""),
    (DZ2, "phi'(Z2) .* (Psi - Delta) W2^T / N", "equivalent", ""),
    (DZ2, r"\phi'(Z_2) \odot (\Psi - \Delta) W_2^{\top} / N", "equivalent", ""),
    (DZ2, "(Ψ − Δ)W2^T ./ N ⊙ φ'(Z2)", "equivalent", ""),
    (DZ2, "(φ'(Z2) ⊙ (Ψ − Δ))W2^T/N", "invalid", "elementwise product"),
    (DZ2, "φ'(Z2) ⊙ (Ψ − Δ)W2/N", "invalid", "cannot multiply"),
    # a chain of comparisons in one indicator
    (DX, r"\sum_{k=1}^{K} [1 \le j-k+1 \le M] g_{j-k+1} w_k", "equivalent", ""),
    (DX, r"\sum_{k=1}^{K} \mathbb{1}[1 \le j-k+1 \le M] g_{j-k+1} w_k", "equivalent", ""),
    (DX, "sum_{k=1..K} [1 <= j-k+1 <= M] g_{j-k+1} w_k", "equivalent", ""),
    (DX, "sum_{k=1..K} 1[M >= j-k+1 >= 1] g_{j-k+1} w_k", "equivalent", ""),
    (DX, "sum_{k=1..K} [1 <= j-k+1 < M] g_{j-k+1} w_k", "not_equivalent", ""),
    (DX, "sum_{k=1..K} [1 <= j-k+1 <=] g_{j-k+1} w_k", "invalid", ""),
    # a re-indexed sum whose bounds are affine in another index: i runs over x's entries, not g's
    (DW, r"\sum_{i=k}^{k+M-1} g_{i-k+1} x_i", "equivalent", ""),
    (DW, "sum_{i=k..k+M-1} g_{i-k+1} x_i", "equivalent", ""),
    (DW, "sum(g_{p-k+1} x_p, p, k, k + M - 1)", "equivalent", ""),
    (DW, r"\sum_{i=1}^{N} [k \le i \le k+M-1] g_{i-k+1} x_i", "equivalent", ""),
    (DW, r"\sum_{i=1}^{N} g_{i-k+1} x_i", "not_equivalent", "undefined"),
    (DW, r"\sum_{i=k}^{k+M-2} g_{i-k+1} x_i", "not_equivalent", ""),
    (DW, r"\sum_{i=k}^{k+M} g_{i-k+1} x_i", "not_equivalent", "undefined"),
    (DW, r"\sum_{i=k}^{k+M-1} g_{i} x_i", "not_equivalent", ""),
    # an answer by cases
    (SJ, r"\begin{cases} \sigma_i(1-\sigma_i) & i = j \\ -\sigma_i\sigma_j & i \neq j \end{cases}", "equivalent", ""),
    (SJ, r"\left\{ \begin{array}{ll} \sigma_i(1-\sigma_i), & \text{if } i = j \\ -\sigma_i\sigma_j, & "
         r"\text{otherwise} \end{array} \right.", "equivalent", ""),
    (SJ, r"\begin{cases} \sigma_i(1-\sigma_i) & \text{for}\: i = j \\ -\sigma_i\sigma_j & \text{otherwise} "
         r"\end{cases}", "equivalent", ""),
    (SJ, r"\frac{\partial \sigma_i}{\partial x_j} = \begin{cases} \sigma_i(1-\sigma_i) & i = j \\ "
         r"-\sigma_i\sigma_j & i \ne j \end{cases}", "equivalent", ""),
    (SJ, "{σ_i(1 - σ_i) if i = j; -σ_i σ_j otherwise}", "equivalent", ""),
    (SJ, "(s_i*(1 - s_i) if i == j else -s_i*s_j)", "equivalent", ""),
    (SJ, r"\begin{cases} \sigma_i(1-\sigma_i) & i = j \\ \sigma_i\sigma_j & i \neq j \end{cases}",
     "not_equivalent", ""),
    (SJ, r"\begin{cases} \sigma_i(1-\sigma_i) & i = j \end{cases}", "not_equivalent", ""),
    (SJ, r"\begin{cases} \sigma_i(1-\sigma_i) & i = j \\ -\sigma_i\sigma_j \end{cases}", "invalid", "'&'"),
    (SJ, r"\begin{cases} 1 & \text{otherwise} \\ 0 & i = j \end{cases}", "invalid", "'otherwise' is the last"),
    (SJ, r"\begin{matrix} 1 & 0 \end{matrix}", "invalid", "environment matrix"),
    (LEAKY, r"(\hat{y} - t) v_j x_k \begin{cases} 1 & z_j > 0 \\ \frac{1}{10} & \text{otherwise} \end{cases}",
     "equivalent", ""),
    (LEAKY, "(ŷ - t) v_j x_k {1 if z_j > 0; 1/10 if z_j < 0}", "equivalent", ""),
    (LEAKY, "(ŷ - t) v_j x_k {1 if z_j > 0; 1/10 if z_j > 0}", "not_equivalent", ""),
    # powers of functions: a power of the value; f^{-1} the inverse of a trigonometric or hyperbolic function
    (TANH, r"\cosh^{-2}(x)", "equivalent", ""),
    (TANH, r"\cosh^{-2} x", "equivalent", ""),
    (TANH, r"\frac{1}{\cosh^{2}(x)}", "equivalent", ""),
    (TANH, r"\tanh^{2}(x) + \cosh^{-2}(x) - \tanh^2 x", "equivalent", ""),
    (TANH, r"\cosh^{-1}(x)", "not_equivalent", ""),
    (TANH, r"\cosh^{2}(x)", "not_equivalent", ""),
    ("sigmoid-bce/sigmoid-derivative", r"\sigma(s)^{1/2}\,\sigma^{1/2}(s)\,(1 - \sigma(s))", "equivalent", ""),
    ("sigmoid-bce/sigmoid-derivative", r"\sigma^{-1}(s)", "invalid", "inverse function"),
    # SymPy's constants as derive prints them, read back
    (GAUSS, r"\frac{(x_n - \mu_n) e^{-(x_n - \mu_n)^2/2}}{\sqrt{2\pi}}", "equivalent", ""),
    (GAUSS, "(x_n - μ_n) e^(-(x_n - μ_n)^2/2)/√(2π)", "equivalent", ""),
    (GAUSS, "(x_n - mu_n) exp(-(x_n - mu_n)^2/2)/sqrt(2*pi)", "equivalent", ""),
    (GAUSS, "(x_n - μ_n) e^(-(x_n - μ_n)^2/2)/√π", "not_equivalent", ""),
    (CONST, r"\pi x + e + \mathrm{EulerGamma} x^2 + \mathrm{Catalan} + 2 \mathrm{GoldenRatio} x", "equivalent", ""),
    (CONST, "π x + e + EulerGamma x^2 + Catalan + 2 GoldenRatio x", "equivalent", ""),
    (CONST, "pi*x + E + EulerGamma*x^2 + Catalan + 2*GoldenRatio*x", "equivalent", ""),
    (CONST, "pi*x + 2*E + EulerGamma*x^2 + Catalan + 2*GoldenRatio*x", "not_equivalent", ""),
    (CONST, r"\pi x + \infty", "invalid", "infinity"),
]

FREE = [
    ("√x", "sqrt(x)", "equivalent", ""),
    ("√(x + 1)", "sqrt(x + 1)", "equivalent", ""),
    ("∛x", "x^(1/3)", "equivalent", ""),
    (r"\sqrt[3]{x}", "x^(1/3)", "equivalent", ""),
    ("∜(x^4)", "abs(x)", "equivalent", ""),
    ("√x^2", "x", "equivalent", ""),
    ("√2 x", "sqrt(2)*x", "equivalent", ""),
    ("√x", "x^(1/3)", "not_equivalent", ""),
    (r"\tanh^{-1}(x)", "atanh(x)", "equivalent", ""),
    (r"\sin^{-1} x", "asin(x)", "equivalent", ""),
    (r"\sin^{1/2}(x)", "sqrt(sin(x))", "equivalent", ""),
    (r"\cosh^{-2}(x)", "1 - tanh(x)^2", "equivalent", ""),
    (r"\tanh^{-1}(x)", "1/tanh(x)", "not_equivalent", ""),
    (r"\exp^{-1}(x)", "exp(-x)", "invalid", "inverse function"),
    (r"\begin{cases} x & x > 0 \\ 0 & \text{otherwise} \end{cases}", "max(x, 0)", "equivalent", ""),
    ("{x if x > 0; -x otherwise}", "abs(x)", "equivalent", ""),
    ("(x if x > 0 else 0)", "max(0, x)", "equivalent", ""),
    ("{x if x > 0; 0 otherwise}", "abs(x)", "not_equivalent", ""),
    ("[0 < x <= 1]", "[x > 0] [x <= 1]", "equivalent", ""),
    ("[0 < x <= 1]", "[x > 0]", "not_equivalent", ""),
    (r"\tilde{x} + \bar{x}", "2*x", "not_equivalent", ""),
    (r"\tilde{x} + \bar{x}", "x̃ + x\u0305", "equivalent", ""),
]


@pytest.fixture(autouse=True)
def _course():
    library.configure([COURSE])


def _id(row) -> str:
    target, answer = (row.values if hasattr(row, "values") else row)[:2]
    return f"{target}: {answer}"


@pytest.mark.parametrize("target,answer,verdict,words", ROWS, ids=[_id(r) for r in ROWS])
def test_a_notation_in_a_problem(target, answer, verdict, words):
    result = check(target, answer)
    assert result.verdict == verdict, result.message
    assert words in result.message


@pytest.mark.parametrize("first,second,verdict,words", FREE, ids=[f"{a} vs {b}" for a, b, _, _ in FREE])
def test_a_notation_in_free_expressions(first, second, verdict, words):
    result = equiv(first, second)
    assert result.verdict == verdict, result.message
    assert words in result.message


def test_accented_letters_are_one_name_however_they_are_written():
    """`\\tilde{h}`, `\\widetilde{h}`, h + U+0303 and a spec's text "h̃" are one letter; so are the precomposed
    ŷ, y + U+0302 and `\\hat{y}`; `\\bar`, `\\check`, `\\dot` and their combining marks likewise."""
    spec = library.load("gru-gate")
    vocab = Vocabulary.from_spec(spec, spec.part_by_id("dL-dWz"))
    read = {text: parse(text, vocab).index_form(("i", "k")) for text in
            (r"\tilde{h}_i", r"\widetilde{h}_i", r"\tilde h_i", "h\u0303_i", "h̃_i", "htilde_i")}
    assert len(set(map(str, read.values()))) == 1, read
    free = Vocabulary.free()
    for letter, spellings in (("y", (r"\hat{y}", "ŷ", "y\u0302", r"\widehat{y}")),
                              ("x", (r"\bar{x}", "x\u0304", "x\u0305", r"\overline{x}")),
                              ("z", (r"\check{z}", "ž", "z\u030c")), ("x", (r"\dot{x}", "ẋ", "x\u0307")),
                              ("n", (r"\tilde{n}", "ñ", "n\u0303"))):
        spelled = {parse(s, free).index_form() for s in spellings}
        assert len(spelled) == 1 and spelled != {parse(letter, free).index_form()}, spellings


def test_a_transpose_of_a_one_by_one_where_t_is_a_size_says_how_it_was_read():
    """q^T q is 1×1: (q^T q)^T reads as its transpose (the power q^T q to the T also type-checks), and the
    parse says so; a vector's ^T needs no note, a scalar's ^T is a power."""
    spec = library.load("attention-score")
    vocab = Vocabulary.from_spec(spec, spec.part_by_id("dP-da"))
    both = parse("(q^T q)^T", vocab)
    assert both.notes and "transpose of a 1×1 matrix" in both.notes[0] and "(q^T q)^{(T)}" in both.notes[0]
    assert not parse("q^T q", vocab).notes
    assert parse("a^T", vocab).index_form() == spec_symbol(spec, "a") ** spec_symbol(spec, "T")


def spec_symbol(spec, name):
    return next(k for k in spec.names if getattr(k, "name", None) == name)


# -- SymPy's constants in a spec: every printer, and a document that compiles -------------------------------
CONSTANTS = [(sp.pi, r"\pi", "π", "pi"), (sp.E, "e", "e", "e"), (sp.EulerGamma, r"\mathrm{EulerGamma}", "EulerGamma",
             "EulerGamma"), (sp.Catalan, r"\mathrm{Catalan}", "Catalan", "Catalan"),
             (sp.GoldenRatio, r"\mathrm{GoldenRatio}", "GoldenRatio", "GoldenRatio"),
             (sp.oo, r"\infty", "∞", "oo"), (sp.I, r"\mathrm{i}", "I", "I")]


@pytest.mark.parametrize("constant,latex,text,typed", CONSTANTS, ids=[str(c[0]) for c in CONSTANTS])
def test_every_printer_prints_a_constant_by_its_name(constant, latex, text, typed):
    """Never `\\text{\\Pi}` (the LaTeX printers once missed SymPy's own names for constants, which broke
    `derive pdf`): index and matrix printers, LaTeX, Unicode text and ASCII."""
    spec = library.load("constants")
    x = spec_symbol(spec, "x")
    assert printing.tex(constant * x, spec).replace(" ", "") in (f"{latex}x", f"x{latex}")
    assert printing.text(constant * x, spec) in (f"{text}·x", f"x·{text}")
    assert printing.ascii_text(constant * x, spec) in (f"{typed}*x", f"x*{typed}")
    n = sp.Symbol("n", integer=True, positive=True)
    column = sp.MatMul(constant, sp.MatrixSymbol("v", n, 1))
    assert printing.matrix_tex(column, spec).startswith(latex)
    assert printing.matrix_text(column, spec).startswith(text)
    assert printing.matrix_ascii(column, spec).startswith(typed)


def test_a_derivation_with_pi_prints_it_and_compiles(tmp_path):
    """½ log 2π in a definition: each step prints `\\pi` (π in the terminal), and the document compiles."""
    report = derive_report("gauss-nll")
    printed = json.dumps(report, ensure_ascii=False)
    assert r"\\log{\\left(2 \\pi \\right)}" in printed and "log(2·π)" in printed
    assert not re.search(r"\\\\text\{\\\\*(Pi|Exp1|ImaginaryUnit|Infinity|EulerGamma|Catalan|GoldenRatio)", printed)
    if shutil.which("pdflatex") is None:
        pytest.skip("needs pdflatex (texlive-latex-base)")
    source = tmp_path / "gauss.tex"
    source.write_text(standalone(report), encoding="utf-8")
    result = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", source.name],
                            cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout[-3000:]


def test_a_notation_read_two_ways_says_which_in_the_check_message():
    from derive.checking import check

    result = check("attention-score/dL-dq", "(y - o)/sqrt(d) K^T ((o 1 - v) ⊙ α) (q^T q)^T/(q^T q)")
    assert result.verdict == "equivalent"
    assert "read as the transpose of a 1×1 matrix" in result.message
