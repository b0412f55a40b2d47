"""Layer normalisation: the Jacobian of the normalised vector and the backward pass (library)."""
from sympy import KroneckerDelta, Rational, Sum, sqrt

from derive.spec import D, Spec

SPEC = Spec(
    id="layer-norm",
    title="Layer normalisation",
    source="library: the normalisation layer of a transformer block",
    statement=(r"For one input $x \in \mathbb{R}^n$: $\mu = \frac{1}{n}\sum_k x_k$, "
               r"$v = \frac{1}{n}\sum_k (x_k - \mu)^2$, $\hat x_i = (x_i - \mu)/\sqrt{v + \epsilon}$ and "
               r"$y_i = \gamma_i \hat x_i + \beta_i$. The loss $L = \sum_i g_i y_i$ stands for any loss whose "
               r"gradient with respect to $y$ is $g$ (the upstream gradient). Find the Jacobian of $\hat x$ and "
               r"the gradients of $L$ with respect to $x$, $\gamma$ and $\beta$, in terms of $\hat x$."),
)
n = SPEC.dim("n")
i, j, k = SPEC.indices("i j k", range=n)
x = SPEC.tensor("x", n)
g = SPEC.tensor("g", n, aliases=("dy",))
gamma = SPEC.tensor("gamma", n, latex=r"\gamma", text="γ", aliases=("γ",))
beta = SPEC.tensor("beta", n, latex=r"\beta", text="β", aliases=("β",))
eps = SPEC.scalar("epsilon", latex=r"\epsilon", text="ε", aliases=("ε", "eps"), sample="positive")
mu = SPEC.scalar("mu", latex=r"\mu", text="μ", aliases=("μ",))
v = SPEC.scalar("v", aliases=("var",))
xhat = SPEC.tensor("xhat", n, latex=r"\hat{x}", text="x̂", aliases=("x̂", "x_hat", r"\hat{x}"))
y = SPEC.tensor("y", n)
L = SPEC.scalar("L", aliases=("loss",))
SPEC.define(mu, Sum(x[k], (k, 1, n)) / n)
SPEC.define(v, Sum((x[k] - mu) ** 2, (k, 1, n)) / n)
SPEC.define(xhat[i], (x[i] - mu) / sqrt(v + eps))
SPEC.define(y[i], gamma[i] * xhat[i] + beta[i])
SPEC.define(L, Sum(g[k] * y[k], (k, 1, n)))

root = sqrt(v + eps)
jacobian = (KroneckerDelta(i, j) - Rational(1, 1) / n - xhat[i] * xhat[j] / n) / root
mean_g = Sum(gamma[k] * g[k], (k, 1, n)) / n
mean_gx = Sum(gamma[k] * g[k] * xhat[k], (k, 1, n)) / n
SPEC.part(
    "jacobian",
    r"Find $\partial \hat x_i / \partial x_j$.",
    target=D(xhat[i], x[j]),
    reference=jacobian,
    free=(i, j),
    matrix=True,
    mistakes=[(KroneckerDelta(i, j) / root, "μ and v depend on x too: the −1/n and −x̂_i x̂_j/n terms are missing"),
              ((KroneckerDelta(i, j) - Rational(1, 1) / n) / root,
               "v depends on x: the −x̂_i x̂_j/n term from the variance is missing")],
)
SPEC.part(
    "dx",
    r"Find $\partial L / \partial x_j$.",
    target=D(L, x[j]),
    reference=(gamma[j] * g[j] - mean_g - xhat[j] * mean_gx) / root,
    free=(j,),
    matrix=True,
    mistakes=[(gamma[j] * g[j] / root, "the paths through μ and v are missing"),
              ((g[j] - Sum(g[k], (k, 1, n)) / n - xhat[j] * Sum(g[k] * xhat[k], (k, 1, n)) / n) / root,
               "γ is missing: the upstream gradient of x̂ is γ ⊙ g")],
)
SPEC.part("dgamma", r"Find $\partial L / \partial \gamma_i$.", target=D(L, gamma[i]), reference=g[i] * xhat[i],
          free=(i,), matrix=True, mistakes=[(g[i] * x[i], "x where the normalised x̂ belongs")])
SPEC.part("dbeta", r"Find $\partial L / \partial \beta_i$.", target=D(L, beta[i]), reference=g[i], free=(i,),
          matrix=True, mistakes=[(g[i] * xhat[i], "this is ∂L/∂γ: β enters y_i with factor 1")])
