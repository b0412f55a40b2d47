"""Batch normalisation of one feature over a batch, in training mode (library)."""
from sympy import Sum, sqrt

from derive.spec import D, Spec

SPEC = Spec(
    id="batch-norm",
    title="Batch normalisation (training mode)",
    source="library: the backward pass of a batch-norm layer",
    statement=(r"One feature over a batch of $N$ samples: $\mu = \frac{1}{N}\sum_n x_n$, "
               r"$v = \frac{1}{N}\sum_n (x_n - \mu)^2$, $\hat x_n = (x_n - \mu)/\sqrt{v + \epsilon}$ and "
               r"$y_n = \gamma \hat x_n + \beta$; the upstream gradient is $g$ ($L = \sum_n g_n y_n$). Find "
               r"$\partial L / \partial x_n$ in the compact form, and $\partial L / \partial \gamma$ and "
               r"$\partial L / \partial \beta$."),
)
N = SPEC.dim("N")
n, m = SPEC.indices("n m", range=N)
x = SPEC.tensor("x", N)
g = SPEC.tensor("g", N, aliases=("dy",))
gamma = SPEC.scalar("gamma", latex=r"\gamma", text="γ", aliases=("γ",))
beta = SPEC.scalar("beta", latex=r"\beta", text="β", aliases=("β",))
eps = SPEC.scalar("epsilon", latex=r"\epsilon", text="ε", aliases=("ε", "eps"), sample="positive")
mu = SPEC.scalar("mu", latex=r"\mu", text="μ", aliases=("μ",))
v = SPEC.scalar("v", aliases=("var",))
xhat = SPEC.tensor("xhat", N, latex=r"\hat{x}", text="x̂", aliases=("x̂", "x_hat", r"\hat{x}"))
y = SPEC.tensor("y", N)
L = SPEC.scalar("L", aliases=("loss",))
SPEC.define(mu, Sum(x[m], (m, 1, N)) / N)
SPEC.define(v, Sum((x[m] - mu) ** 2, (m, 1, N)) / N)
SPEC.define(xhat[n], (x[n] - mu) / sqrt(v + eps))
SPEC.define(y[n], gamma * xhat[n] + beta)
SPEC.define(L, Sum(g[m] * y[m], (m, 1, N)))

root = sqrt(v + eps)
total = Sum(g[m], (m, 1, N))
aligned = Sum(g[m] * xhat[m], (m, 1, N))
SPEC.part(
    "dx",
    r"Find $\partial L / \partial x_n$.",
    target=D(L, x[n]),
    reference=gamma * (N * g[n] - total - xhat[n] * aligned) / (N * root),
    free=(n,),
    matrix=True,
    mistakes=[(gamma * g[n] / root, "the batch statistics depend on x_n: the −Σ g/N and −x̂_n Σ g x̂/N terms "
                                    "are missing"),
              (gamma * (N * g[n] - total) / (N * root), "the variance depends on x_n: −x̂_n Σ_m g_m x̂_m/N is missing")],
)
SPEC.part("dgamma", r"Find $\partial L / \partial \gamma$.", target=D(L, gamma), reference=aligned,
          mistakes=[(total, "this is ∂L/∂β: γ multiplies x̂_n")])
SPEC.part("dbeta", r"Find $\partial L / \partial \beta$.", target=D(L, beta), reference=total,
          mistakes=[(g[1] * 0 + aligned, "this is ∂L/∂γ: β enters every y_n with factor 1")])
