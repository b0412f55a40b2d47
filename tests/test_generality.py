"""Problems nobody wrote for the catalogue: specs written here, in a temporary course folder.

Each test is a rule that must hold for every problem, shown on one the
library does not have.
"""
from __future__ import annotations

import textwrap

import pytest

from derive.checking import check
from derive.problem import library

TWO_GENERICS = '''
from derive.spec import D, Spec

SPEC = Spec(id="two-generics", title="Two activations", source="test", statement="y = phi(psi(x)).")
phi = SPEC.function("phi", latex=r"\\phi", text="φ", aliases=("φ", "phi"))
psi = SPEC.function("psi", latex=r"\\psi", text="ψ", aliases=("ψ", "psi"))
x = SPEC.scalar("x")
y = SPEC.scalar("y")
SPEC.define(y, phi(psi(x)))
SPEC.part("dy", "Find dy/dx.", target=D(y, x),
          reference=SPEC.derivative(phi)(psi(x)) * SPEC.derivative(psi)(x))
'''


def course(tmp_path, **specs):
    folder = tmp_path / "course"
    folder.mkdir()
    for name, text in specs.items():
        (folder / f"{name}.py").write_text(textwrap.dedent(text), encoding="utf-8")
    library.configure([folder])
    return folder


def test_two_generic_functions_never_share_a_stand_in(tmp_path):
    """φ'(ψ(x)) ψ'(x) and ψ'(φ(x)) φ'(x) are different functions: a checker that replaced both φ and ψ by
    tanh called them equal."""
    course(tmp_path, two_generics=TWO_GENERICS)
    assert check("two-generics", "phi'(psi(x)) * psi'(x)").verdict == "equivalent"
    wrong = check("two-generics", "psi'(phi(x)) * phi'(x)")
    assert wrong.verdict == "not_equivalent", wrong.message
    assert set(wrong.counterexample["point"]) >= {"phi", "psi"}
    assert wrong.counterexample["point"]["phi"] != wrong.counterexample["point"]["psi"]


@pytest.mark.parametrize("answer", ["phi'(psi(x))", "psi'(x)", "phi(psi(x)) * psi'(x)"])
def test_other_wrong_chain_rules_are_refused(tmp_path, answer):
    course(tmp_path, two_generics=TWO_GENERICS)
    assert check("two-generics", answer).verdict == "not_equivalent"


# -- non-smooth functions: ReLU, |w|, the hinge, a function by cases ---------------------------------------
RELU_NET = '''
from sympy import Max, Sum
from derive.spec import D, Spec, Iverson

SPEC = Spec(id="relu-net", title="A ReLU layer", source="test", statement="J = sum_nj relu(Z2_nj) v_j.")
N = SPEC.dim("N")
d = SPEC.dim("d")
h = SPEC.dim("h")
(n,) = SPEC.indices("n", range=N)
(l,) = SPEC.indices("l", range=d)
(j,) = SPEC.indices("j", range=h)
relu = SPEC.function("relu", lambda a: Max(0, a), text="relu", aliases=("relu",))
X = SPEC.tensor("X", N, d)
W1 = SPEC.tensor("W1", d, h, latex="W_1")
Z2 = SPEC.tensor("Z2", N, h, latex="Z_2")
A2 = SPEC.tensor("A2", N, h, latex="A_2")
v = SPEC.tensor("v", h)
J = SPEC.scalar("J")
SPEC.define(Z2[n, j], Sum(X[n, l] * W1[l, j], (l, 1, d)))
SPEC.define(A2[n, j], relu(Z2[n, j]))
SPEC.define(J, Sum(A2[n, j] * v[j], (n, 1, N), (j, 1, h)))
SPEC.part("dZ2", "Find dJ/dZ2.", target=D(J, Z2[n, j]), reference=v[j] * Iverson(Z2[n, j] > 0),
          free=(n, j), matrix=True)
SPEC.part("dW1", "Find dJ/dW1.", target=D(J, W1[l, j]),
          reference=Sum(X[n, l] * v[j] * Iverson(Z2[n, j] > 0), (n, 1, N)), free=(l, j), matrix=True)
'''
LASSO = '''
from sympy import Abs, Rational, Sum, sign
from derive.spec import D, Spec

SPEC = Spec(id="lasso-t", title="Least squares with an L1 penalty", source="test", statement="lasso")
N = SPEC.dim("N")
d = SPEC.dim("d")
(n,) = SPEC.indices("n", range=N)
l, k = SPEC.indices("l k", range=d)
X = SPEC.tensor("X", N, d)
w = SPEC.tensor("w", d)
y = SPEC.tensor("y", N)
yhat = SPEC.tensor("yhat", N, latex=r"\\hat{y}", text="ŷ", aliases=("yhat",))
lam = SPEC.scalar("lambda", latex=r"\\lambda", text="λ", sample="positive")
J = SPEC.scalar("J")
SPEC.define(yhat[n], Sum(X[n, k] * w[k], (k, 1, d)))
SPEC.define(J, Rational(1, 2) / N * Sum((yhat[n] - y[n]) ** 2, (n, 1, N)) + lam * Sum(Abs(w[k]), (k, 1, d)))
SPEC.part("dw", "Find dJ/dw.", target=D(J, w[l]), free=(l,), matrix=True,
          reference=Sum(X[n, l] * (yhat[n] - y[n]), (n, 1, N)) / N + lam * sign(w[l]),
          mistakes=[(Sum(X[n, l] * (yhat[n] - y[n]), (n, 1, N)) / N + lam * w[l],
                     "the L1 penalty differentiated as L2")])
'''
HUBER = '''
from sympy import Abs, Piecewise, Rational
from derive.spec import D, Spec

SPEC = Spec(id="huber-t", title="The Huber loss", source="test", statement="huber")
r = SPEC.scalar("r")
L = SPEC.scalar("L")
SPEC.define(L, Piecewise((r ** 2 / 2, Abs(r) <= 1), (Abs(r) - Rational(1, 2), True)))
SPEC.part("dr", "Find dL/dr.", target=D(L, r), reference=Piecewise((r, Abs(r) <= 1), (r / Abs(r), True)))
'''


def test_a_relu_layer_derives_prints_and_checks_without_class_names(tmp_path):
    from derive.authoring import validate_problem
    from derive.documents.report import derive_report

    course(tmp_path, relu_net=RELU_NET)
    assert validate_problem("relu-net").ok
    report = derive_report("relu-net")
    dz2, dw1 = report["parts"]
    assert dz2["answer"]["index_text"] == "v_j·[Z2_nj > 0]"
    assert dz2["answer"]["matrix_text"] == "[Z2 > 0] diag(v)"
    assert r"\mathbb{1}\left[Z_{2,nj} > 0\right]" in dz2["answer"]["index_latex"]
    assert [c["text"] for c in dz2["domain"]] == ["Z2_nj"]  # undefined on the kink
    for text in (dz2["answer"]["index_ascii"], dz2["answer"]["index_latex"], dz2["answer"]["matrix_ascii"],
                 "relu'(Z2_nj)*v_j", "v_j*1[Z2_nj > 0]", r"v_j \mathbf{1}\{Z_{2,nj} > 0\}"):
        assert check("relu-net/dZ2", text).verdict == "equivalent", text
    assert check("relu-net/dZ2", "v_j").verdict == "not_equivalent"
    assert check("relu-net/dZ2", "v_j*[Z2_nj < 0]").verdict == "not_equivalent"
    for part in (dz2, dw1):
        assert "Iverson" not in str(part) and "Elementwise" not in str(part) and "Heaviside" not in str(part)
    assert check("relu-net/dW1", dw1["answer"]["matrix_ascii"]).verdict == "equivalent"


def test_an_l1_penalty_gives_sign_and_a_kink(tmp_path):
    from derive.documents.report import derive_report

    course(tmp_path, lasso=LASSO)
    (part,) = derive_report("lasso-t")["parts"]
    assert "sign(w_l)" in part["answer"]["index_text"] and [c["text"] for c in part["domain"]] == ["w_l"]
    assert check("lasso-t", "X^T (yhat - y)/N + lambda sign(w)").verdict == "equivalent"
    wrong = check("lasso-t", "X^T (yhat - y)/N + lambda w")
    assert wrong.verdict == "not_equivalent" and "the L1 penalty differentiated as L2" in wrong.diagnosis


def test_a_function_by_cases_is_differentiated_case_by_case(tmp_path):
    from derive.authoring import validate_problem
    from derive.documents.report import derive_report

    course(tmp_path, huber=HUBER)
    assert validate_problem("huber-t").ok
    (part,) = derive_report("huber-t")["parts"]
    assert part["answer"]["index_text"] == "{r if |r| <= 1; sign(r) otherwise}"


# -- index arithmetic and index ranges ---------------------------------------------------------------------
CONV = '''
from sympy import Max, Min, Sum
from derive.spec import D, Spec

SPEC = Spec(id="conv-t", title="A valid 1-D convolution", source="test", statement="y_i = sum_k w_k x_{i+k-1} + b")
N = SPEC.dim("N")
K = SPEC.dim("K")
M = SPEC.dim("M", value=N - K + 1)
(j,) = SPEC.indices("j", range=N)
k, m = SPEC.indices("k m", range=K)
(i,) = SPEC.indices("i", range=M)
x = SPEC.tensor("x", N)
w = SPEC.tensor("w", K)
g = SPEC.tensor("g", M)
b = SPEC.scalar("b")
y = SPEC.tensor("y", M)
L = SPEC.scalar("L")
SPEC.define(y[i], Sum(w[m] * x[i + m - 1], (m, 1, K)) + b)
SPEC.define(L, Sum(g[i] * y[i], (i, 1, M)))
SPEC.part("dw", "Find dL/dw_k.", target=D(L, w[k]), reference=Sum(g[i] * x[i + k - 1], (i, 1, M)), free=(k,))
SPEC.part("dx", "Find dL/dx_j.", target=D(L, x[j]),
          reference=Sum(g[j - m + 1] * w[m], (m, Max(1, j - M + 1), Min(K, j))), free=(j,))
'''
CROP = '''
from sympy import Sum
from derive.spec import D, Spec, Iverson

SPEC = Spec(id="crop-t", title="A crop", source="test", statement="y_i = x_i for i = 1..M, M < N")
M = SPEC.dim("M")
P = SPEC.dim("P")
N = SPEC.dim("N", value=M + P)  # M < N
(j,) = SPEC.indices("j", range=N)
(i,) = SPEC.indices("i", range=M)
x = SPEC.tensor("x", N)
g = SPEC.tensor("g", M)
y = SPEC.tensor("y", M)
L = SPEC.scalar("L")
SPEC.define(y[i], x[i])
SPEC.define(L, Sum(g[i] * y[i], (i, 1, M)))
SPEC.part("dx", "Find dL/dx_j.", target=D(L, x[j]), reference=g[j] * Iverson(j <= M), free=(j,))
'''


def test_the_kronecker_collapse_keeps_the_range_of_a_crop(tmp_path):
    """Σ_i g_i δ_ij over i = 1..M is g_j only for j ≤ M: it used to answer g_j for every j (unsound)."""
    from derive.authoring import validate_problem
    from derive.documents.report import derive_report

    course(tmp_path, crop=CROP)
    (part,) = derive_report("crop-t")["parts"]
    assert part["answer"]["index_text"] == "g_j·[j <= M]" and part["domain"] == []
    assert validate_problem("crop-t").ok
    assert check("crop-t", "g_j [j <= M]").verdict == "equivalent"
    assert check("crop-t", "g_j").verdict != "equivalent"  # out of range for j > M: never accepted


def test_a_convolution_collapses_shifted_deltas_into_a_correlation(tmp_path):
    from derive.authoring import validate_problem
    from derive.documents.report import derive_report

    course(tmp_path, conv=CONV)
    assert validate_problem("conv-t").ok
    dw, dx = derive_report("conv-t")["parts"]
    assert "δ" not in dx["answer"]["index_text"] and "Σ_{" in dx["answer"]["index_text"]
    assert "max(" in dx["answer"]["index_text"] and "min(" in dx["answer"]["index_text"]
    for answer in ("sum_{m=max(1,j-M+1)}^{min(K,j)} g_{j-m+1} w_m", dx["answer"]["index_ascii"],
                   r"\sum_{m=\max(1,j-M+1)}^{\min(K,j)} g_{j-m+1} w_{m}", dx["answer"]["index_latex"]):
        assert check("conv-t/dx", answer).verdict == "equivalent", answer
    assert check("conv-t/dw", "sum_i g_i x_{i+k-1}").verdict == "equivalent"
    assert check("conv-t/dw", "sum_i g_i x_{i+k}").verdict == "not_equivalent"
    # summed over every m, g_{j-m+1} runs out of range at the ends: refused, not called equal
    assert check("conv-t/dx", "sum_{m=1}^{min(K,j)} g_{j-m+1} w_m").verdict == "not_equivalent"


def test_a_dimension_defined_by_others_is_sampled_consistently(tmp_path):
    import random

    from derive.problem.sampling import spec_point

    course(tmp_path, conv=CONV)
    spec = library.load("conv-t")
    dims = {str(d): d for d in spec.names if str(d) in ("N", "K", "M")}
    for seed in range(20):
        point = spec_point(spec, (), random.Random(seed), tie=False)
        assert point.sizes[dims["M"]] == point.sizes[dims["N"]] - point.sizes[dims["K"]] + 1 >= 1


# -- folding back into the quantities a problem defines --------------------------------------------------
SOFTPLUS = '''
from sympy import exp, log
from derive.spec import D, Spec

SPEC = Spec(id="softplus-t", title="softplus", source="test", statement="y = log(1 + e^x)")
sigma = SPEC.function("sigma", lambda a: 1 / (1 + exp(-a)), latex=r"\\sigma", text="σ", aliases=("sigmoid",))
x = SPEC.scalar("x")
y = SPEC.scalar("y")
SPEC.define(y, log(1 + exp(x)))
SPEC.part("dy", "Find dy/dx.", target=D(y, x), reference=sigma(x))
'''
LOGISTIC = '''
from sympy import exp, log, Sum
from derive.spec import D, Spec

SPEC = Spec(id="logreg-t", title="Logistic regression", source="test", statement="p = σ(Xw + b)")
N = SPEC.dim("N")
d = SPEC.dim("d")
(n,) = SPEC.indices("n", range=N)
l, k = SPEC.indices("l k", range=d)
sigma = SPEC.function("sigma", lambda a: 1 / (1 + exp(-a)), latex=r"\\sigma", text="σ")
X = SPEC.tensor("X", N, d)
w = SPEC.tensor("w", d)
y = SPEC.tensor("y", N, sample="unit")
b = SPEC.scalar("b")
p = SPEC.tensor("p", N)
J = SPEC.scalar("J")
SPEC.define(p[n], sigma(Sum(X[n, k] * w[k], (k, 1, d)) + b))
SPEC.define(J, -Sum(y[n] * log(p[n]) + (1 - y[n]) * log(1 - p[n]), (n, 1, N)) / N)
SPEC.part("dw", "Find dJ/dw.", target=D(J, w[l]), reference=Sum(X[n, l] * (p[n] - y[n]), (n, 1, N)) / N,
          free=(l,), matrix=True)
SPEC.part("db", "Find dJ/db.", target=D(J, b), reference=Sum(p[n] - y[n], (n, 1, N)) / N)
'''
NORMALISE = '''
from sympy import KroneckerDelta, Sum, sqrt
from derive.spec import D, Spec

SPEC = Spec(id="l2norm-t", title="L2 normalisation", source="test", statement="y = x/‖x‖")
n = SPEC.dim("n")
i, j, k = SPEC.indices("i j k", range=n)
x = SPEC.tensor("x", n)
y = SPEC.tensor("y", n)
r = SPEC.scalar("r")
SPEC.define(r, sqrt(Sum(x[k] ** 2, (k, 1, n))))
SPEC.define(y[i], x[i] / r)
SPEC.part("jacobian", "Find dy_i/dx_j.", target=D(y[i], x[j]),
          reference=(KroneckerDelta(i, j) - y[i] * y[j]) / r, free=(i, j), matrix=True)
'''


TEMPERATURE = '''
from sympy import KroneckerDelta, Sum, exp
from derive.spec import D, Spec

SPEC = Spec(id="temperature-t", title="Softmax with a temperature", source="test", statement="σ_i = softmax(x/T)_i")
n = SPEC.dim("n")
i, j, k = SPEC.indices("i j k", range=n)
x = SPEC.tensor("x", n)
T = SPEC.scalar("T", sample="positive")
sigma = SPEC.tensor("sigma", n, latex=r"\\sigma", text="σ", aliases=("s",))
SPEC.define(sigma[i], exp(x[i] / T) / Sum(exp(x[k] / T), (k, 1, n)))
SPEC.part("jacobian", "Find dσ_i/dx_j.", target=D(sigma[i], x[j]),
          reference=sigma[i] * (KroneckerDelta(i, j) - sigma[j]) / T, free=(i, j), matrix=True)
'''


@pytest.mark.parametrize("spec,problem,index,matrix", [
    (SOFTPLUS, "softplus-t", ["σ(x)"], []),
    (LOGISTIC, "logreg-t", ["Σ_{n=1..N} X_nl·(p_n - y_n)/N", "Σ_{n=1..N} (p_n - y_n)/N"], ["1/N X^T (p - y)"]),
    (NORMALISE, "l2norm-t", ["(δ_ij - y_i·y_j)/r"], ["1/r (I - y y^T)"]),
    (TEMPERATURE, "temperature-t", ["(σ_i·(δ_ij - σ_j))/T"], ["1/T (diag(σ) - σ σ^T)"]),
], ids=["softplus", "logistic-regression", "l2-normalisation", "temperature"])
def test_answers_are_folded_into_the_defined_quantities(tmp_path, spec, problem, index, matrix):
    """The forms a teacher writes, from the problem's own definitions (no other problem is consulted)."""
    from derive.documents.report import derive_report

    course(tmp_path, **{problem.replace("-", "_"): spec})
    parts = derive_report(problem)["parts"]
    assert [p["answer"]["index_text"] for p in parts] == index
    assert [p["answer"]["matrix_text"] for p in parts if p["answer"]["matrix_text"]] == matrix


# -- regressions found in review: soundness of the new rewrites and verdicts ----------------------------
DECAY = '''
from sympy import Rational, Sum
from derive.spec import D, Spec
SPEC = Spec(id="decay-t", title="weight decay", source="test", statement="R = λ/2 Σ w²")
n = SPEC.dim("n")
(k,) = SPEC.indices("k", range=n)
w = SPEC.tensor("w", n)
lam = SPEC.scalar("lambda", latex=r"\\\\lambda", text="λ")
R = SPEC.scalar("R")
SPEC.define(R, lam / 2 * Sum(w[k] ** 2, (k, 1, n)))
SPEC.part("dlam", "Find dR/dλ.", target=D(R, lam), reference=Sum(w[k] ** 2, (k, 1, n)) / 2)
'''
CROP_SOLVE = '''
from sympy import Sum
from derive.spec import D, Spec, Iverson
SPEC = Spec(id="cropsolve-t", title="crop and scale", source="test", statement="q_i = 2 x_i, i <= M")
M = SPEC.dim("M")
P = SPEC.dim("P")
N = SPEC.dim("N", value=M + P)
(j,) = SPEC.indices("j", range=N)
(i,) = SPEC.indices("i", range=M)
x = SPEC.tensor("x", N)
g = SPEC.tensor("g", M)
q = SPEC.tensor("q", M)
L = SPEC.scalar("L")
SPEC.define(q[i], 2 * x[i])
SPEC.define(L, Sum(g[i] * q[i], (i, 1, M)) + Sum(x[j] ** 2, (j, 1, N)) / 2)
SPEC.part("dx", "Find dL/dx_j.", target=D(L, x[j]), reference=2 * g[j] * Iverson(j <= M) + x[j], free=(j,))
'''
RAMP = '''
from sympy import Max, Sum
from derive.spec import D, Spec
SPEC = Spec(id="ramp-t", title="ramps", source="test", statement="L = Σ_k w_k max(0, z − k)")
K = SPEC.dim("K")
(k,) = SPEC.indices("k", range=K)
w = SPEC.tensor("w", K)
z = SPEC.scalar("z")
L = SPEC.scalar("L")
SPEC.define(L, Sum(w[k] * Max(0, z - k), (k, 1, K)))
from derive.spec import Iverson
SPEC.part("dz", "Find dL/dz.", target=D(L, z), reference=Sum(w[k] * Iverson(z > k), (k, 1, K)))
'''
CUMSUM = '''
from sympy import Sum
from derive.spec import D, Spec, Iverson
SPEC = Spec(id="cumsum-t", title="nested ranges", source="test", statement="L = Σ_m Σ_{k=m+2}^N x_k")
N = SPEC.dim("N")
j, k, m = SPEC.indices("j k m", range=N)
x = SPEC.tensor("x", N)
L = SPEC.scalar("L")
SPEC.define(L, Sum(Sum(x[k], (k, m + 2, N)), (m, 1, N)))
SPEC.part("dx", "Find dL/dx_j.", target=D(L, x[j]), reference=Sum(Iverson(m + 2 <= j), (m, 1, N)), free=(j,))
'''


@pytest.mark.parametrize("spec,problem", [(DECAY, "decay-t"), (CROP_SOLVE, "cropsolve-t"), (RAMP, "ramp-t"),
                                          (CUMSUM, "cumsum-t")], ids=["no-division-by-λ", "fold-within-range",
                                                                      "real-bound-not-a-limit", "nested-ranges"])
def test_folds_and_limits_never_change_the_value(tmp_path, spec, problem):
    from derive.authoring import validate_problem
    from derive.documents.report import derive_report

    course(tmp_path, **{problem.replace("-", "_"): spec})
    assert validate_problem(problem).ok, validate_problem(problem).failures
    for part in derive_report(problem)["parts"]:
        assert "λ" not in [c["text"] for c in part["domain"]]
        assert check(f"{problem}/{part['id']}", part["answer"]["index_ascii"]).verdict == "equivalent"


@pytest.mark.parametrize("target,answer,verdict", [
    ("softmax-jacobian/jacobian", "s_i*(2[i >= j][j>=i] - s_j)", "not_equivalent"),  # [i >= j] at i = j decides
    ("softmax-jacobian/jacobian", "-s_i s_j + [i-j >= 0] - [i - j > 0]", "not_equivalent"),
    ("conv1d/db", "sum_{p=1}^{N} [p <= M] g_p", "equivalent"),
    ("conv1d/dx", "sum_m [1 <= j-m+1][j-m+1 <= M] g_{j-m+1} w_m", "equivalent"),
    ("conv1d/dx", "g_j w_1 + [j<=M]", "invalid"),  # the indicator guards nothing: g_j out of range
    ("relu-mlp/dZ2", "1[Z2 > 0] ⊙ ((Psi - Delta) W2^T)/N", "equivalent"),
    ("relu-mlp/dZ2", "𝟙[Z2 > 0] ⊙ ((Psi - Delta) W2^T)/N", "equivalent"),
])
def test_indicators_between_whole_numbers_decide_and_guard(target, answer, verdict):
    assert check(target, answer).verdict == verdict


def test_max_of_exact_and_float_values_and_erf_evaluate():
    from derive.checking import equiv

    assert equiv("max(x/2, sin(x))", "(x/2 + sin(x) + |x/2 - sin(x)|)/2").verdict == "equivalent"
    # exp(x) > x/2 everywhere: the points never show max's other side, so no verdict rests on it (issue 19)
    never = equiv("max(x/2, exp(x))", "exp(x)")
    assert never.verdict == "undecided" and "max(x/2, exp(x))" in never.message, never.message
    assert equiv("erf(x)(1+x)", "erf(x) + x erf(x)").verdict == "equivalent"
    assert equiv("erf(x)(1+x)", "erf(x) + 2 x erf(x)").verdict == "not_equivalent"
