"""Least squares with an L1 penalty: the subgradient away from 0 (library)."""
from sympy import Abs, Rational, Sum, sign

from derive.spec import D, Spec

SPEC = Spec(
    id="lasso",
    title="Lasso: least squares with an L1 penalty",
    source="library: linear regression with an L1 penalty",
    statement=(r"Predictions $\hat y = X w$ for a design matrix $X$ ($N \times d$) and weights $w$; the loss is "
               r"$J = \frac{1}{2N}\sum_n (\hat y_n - y_n)^2 + \lambda \sum_l |w_l|$ with $\lambda > 0$. Find "
               r"$\partial J / \partial w_l$ where it exists."),
)
N = SPEC.dim("N")
d = SPEC.dim("d")
(n,) = SPEC.indices("n", range=N)
l, k = SPEC.indices("l k", range=d)
X = SPEC.tensor("X", N, d)
w = SPEC.tensor("w", d)
y = SPEC.tensor("y", N)
yhat = SPEC.tensor("yhat", N, latex=r"\hat{y}", text="ŷ", aliases=("ŷ", "y_hat", r"\hat{y}"))
lam = SPEC.scalar("lambda", latex=r"\lambda", text="λ", aliases=("λ", "lam"), sample="positive")
J = SPEC.scalar("J")
SPEC.define(yhat[n], Sum(X[n, k] * w[k], (k, 1, d)))
SPEC.define(J, Rational(1, 2) / N * Sum((yhat[n] - y[n]) ** 2, (n, 1, N)) + lam * Sum(Abs(w[k]), (k, 1, d)))

fit = Sum(X[n, l] * (yhat[n] - y[n]), (n, 1, N)) / N
SPEC.part(
    "dw",
    r"Find $\partial J / \partial w_l$ for $w_l \neq 0$.",
    target=D(J, w[l]),
    reference=fit + lam * sign(w[l]),
    free=(l,),
    matrix=True,
    mistakes=[(fit + lam * w[l], "the L1 penalty differentiated as if it were λ‖w‖²/2: ∂|w_l|/∂w_l = sign(w_l)"),
              (fit + lam, "∂|w_l|/∂w_l is sign(w_l), not 1"),
              (fit * N + lam * sign(w[l]), "the factor 1/N of the mean is missing")],
)
