"""Cross-entropy after a softmax: per sample and as a batch mean (seed 002 Q1 c-d, seed 004 a)."""
from sympy import Rational, Sum, exp, log

from derive.spec import D, Spec

SPEC = Spec(
    id="softmax-cross-entropy",
    title="Softmax cross-entropy",
    source="seed 002, Q1(c,d); seed 004, (a)",
    statement=(r"Let $\ell(p, t) = -\sum_i t_i \ln p_i$ with a probability vector $t$ "
               r"($\sum_k t_k = 1$). Differentiate it with respect to $p$, then with respect to the "
               r"logits $x$ when $p = \sigma(x)$ is a softmax, then the batch mean "
               r"$J = \frac{1}{N}\sum_n -\log \Psi_{n,y_n}$ with $\Psi$ the row softmax of $Z$."),
)
n = SPEC.dim("n")
N = SPEC.dim("N")
K = SPEC.dim("K")
i, j = SPEC.indices("i j", range=n)
(r,) = SPEC.indices("n", range=N)
c, m = SPEC.indices("k m", range=K)
p = SPEC.tensor("p", n, sample="unit")
t = SPEC.tensor("t", n, sample="simplex")
x = SPEC.tensor("x", n)
sigma = SPEC.tensor("sigma", n, latex=r"\sigma", text="σ", aliases=("s", "σ", "sigma", "p", "softmax(x)"))
Z = SPEC.tensor("Z", N, K)
Psi = SPEC.tensor("Psi", N, K, latex=r"\Psi", text="Ψ", aliases=("Ψ", "psi", "ψ"))
Delta = SPEC.tensor("Delta", N, K, latex=r"\Delta", text="Δ", aliases=("Δ",), sample="onehot-rows",
                    labels="y")
ell = SPEC.scalar("ell", latex=r"\ell", text="ℓ", aliases=("l", "ℓ", "loss"))
ell_x = SPEC.scalar("ell_x", latex=r"\ell", text="ℓ")
J = SPEC.scalar("J")
SPEC.define(ell, -Sum(t[m] * log(p[m]), (m, 1, n)))
SPEC.define(sigma[i], exp(x[i]) / Sum(exp(x[m]), (m, 1, n)))
SPEC.define(ell_x, -Sum(t[m] * log(sigma[m]), (m, 1, n)))
SPEC.define(Psi[r, c], exp(Z[r, c]) / Sum(exp(Z[r, m]), (m, 1, K)))
SPEC.define(J, Rational(1, 1) / N * Sum(Sum(-Delta[r, c] * log(Psi[r, c]), (c, 1, K)), (r, 1, N)))
SPEC.assume(Sum(t[m], (m, 1, n)), 1, "Σ_k t_k = 1")
SPEC.assume(Sum(Delta[r, c], (c, 1, K)), 1, "each row of Δ is one-hot: Σ_k Δ_nk = 1", params=(r,))

SPEC.part(
    "dloss-dprob",
    r"Find $\partial \ell / \partial p_i$. Where is it undefined?",
    target=D(ell, p[i]),
    reference=-t[i] / p[i],
    free=(i,),
    mistakes=[(t[i] / p[i], "sign error"), (-1 / p[i], "the factor t_i is missing")],
)
SPEC.part(
    "dloss-dlogits",
    r"Let $p = \sigma(x)$. Find $\partial \ell / \partial x_j$.",
    target=D(ell_x, x[j]),
    reference=sigma[j] - t[j],
    free=(j,),
    mistakes=[(t[j] - sigma[j], "sign error"), (-t[j] / sigma[j], "this is ∂ℓ/∂p_j, not ∂ℓ/∂x_j")],
)
SPEC.part(
    "batch-mean",
    r"Find $\partial J / \partial Z_{nk}$.",
    target=D(J, Z[r, c]),
    reference=(Psi[r, c] - Delta[r, c]) / N,
    free=(r, c),
    matrix=True,
    mistakes=[(Psi[r, c] - Delta[r, c], "the factor 1/N of the mean is missing")],
)
