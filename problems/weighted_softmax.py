"""The TTIC "softmax unit" o = Σ_j σ_j(a) a_j, alone and in a two-layer net (seeds 000, 003)."""
from sympy import Rational, Sum, exp

from derive.spec import D, Spec

SPEC = Spec(
    id="weighted-softmax",
    title="The softmax-weighted unit",
    source="seed 000; seed 003, (a,b)",
    statement=(r"The unit outputs $o = \sum_j \sigma_j(a)\, a_j = \sum_j a_j e^{a_j} / \sum_j e^{a_j}$. "
               r"In the two-layer net $a_1 = W_1 x$, $o_1 = \operatorname{sigmoid}(a_1)$, $a_2 = W_2 o_1$, "
               r"$\hat y = \sum_i \sigma_i(a_2)\, a_{2,i}$ and $\ell = \frac12(\hat y - y)^2$. No biases."),
)
k = SPEC.dim("k")
h = SPEC.dim("h")
d = SPEC.dim("d")
i, m_ = SPEC.indices("i m", range=k)
(j,) = SPEC.indices("j", range=h)
(l,) = SPEC.indices("l", range=d)
sigmoid = SPEC.function("sigmoid", lambda z: 1 / (1 + exp(-z)), latex=r"\operatorname{sigmoid}",
                        text="sigmoid", aliases=("sigmoid",))
a = SPEC.tensor("a", k)
sigma = SPEC.tensor("sigma", k, latex=r"\sigma", text="σ", aliases=("σ", "sigma", "s", "softmax(a)"))
o = SPEC.scalar("o")
x = SPEC.tensor("x", d)
W1 = SPEC.tensor("W1", h, d, latex="W_1", aliases=("W_1", "W^{(1)}"))
a1 = SPEC.tensor("a1", h, latex="a_1", aliases=("a_1", "a[1]"))
o1 = SPEC.tensor("o1", h, latex="o_1", aliases=("o_1", "o[1]"))
W2 = SPEC.tensor("W2", k, h, latex="W_2", aliases=("W_2", "W^{(2)}"))
a2 = SPEC.tensor("a2", k, latex="a_2", aliases=("a_2", "a[2]"))
s = SPEC.tensor("s", k, latex=r"\sigma", text="σ", aliases=("σ", "sigma", "softmax(a2)"))
yhat = SPEC.scalar("yhat", latex=r"\hat{y}", text="ŷ", aliases=("ŷ", "y_hat", "yhat", r"\hat{y}"))
y = SPEC.scalar("y")
ell = SPEC.scalar("ell", latex=r"\ell", text="ℓ", aliases=("l", "ℓ", "loss"))
SPEC.define(sigma[i], exp(a[i]) / Sum(exp(a[m_]), (m_, 1, k)))
SPEC.define(o, Sum(sigma[m_] * a[m_], (m_, 1, k)))
SPEC.define(a1[j], Sum(W1[j, l] * x[l], (l, 1, d)))
SPEC.define(o1[j], sigmoid(a1[j]))
SPEC.define(a2[i], Sum(W2[i, j] * o1[j], (j, 1, h)))
SPEC.define(s[i], exp(a2[i]) / Sum(exp(a2[m_]), (m_, 1, k)))
SPEC.define(yhat, Sum(s[i] * a2[i], (i, 1, k)))
SPEC.define(ell, Rational(1, 2) * (yhat - y) ** 2)

g = s[i] * (1 + a2[i] - yhat)
SPEC.part(
    "gradient",
    r"Find $\partial o / \partial a_i$.",
    target=D(o, a[i]),
    reference=sigma[i] * (1 + a[i] - o),
    free=(i,),
    mistakes=[(sigma[i] * (a[i] - o), "the σ_i term from ∂a_j/∂a_i is missing"),
              (sigma[i] * (1 - sigma[i]), "the softmax Jacobian's diagonal is not ∂o/∂a_i")],
)
SPEC.part(
    "dW2",
    r"Find $\nabla_{W_2} \ell$, entry $(i, j)$.",
    target=D(ell, W2[i, j]),
    reference=(yhat - y) * g * o1[j],
    free=(i, j),
    matrix=True,
    mistakes=[(g * o1[j], "the factor (ŷ − y) of the squared loss is missing"),
              ((yhat - y) * s[i] * o1[j], "σ_i(a2) used where ∂ŷ/∂a2_i = σ_i(1 + a2_i − ŷ) belongs")],
)
SPEC.part(
    "dW1",
    r"Find $\nabla_{W_1} \ell$, entry $(j, l)$.",
    target=D(ell, W1[j, l]),
    reference=(yhat - y) * o1[j] * (1 - o1[j]) * Sum(W2[i, j] * g, (i, 1, k)) * x[l],
    free=(j, l),
    matrix=True,
    mistakes=[((yhat - y) * Sum(W2[i, j] * g, (i, 1, k)) * x[l], "sigmoid'(a1) = o1(1 − o1) is missing")],
)
