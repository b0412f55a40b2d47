"""A tanh RNN unrolled over three steps: backpropagation through time (library)."""
from sympy import Rational, Sum, tanh

from derive.spec import D, Spec

SPEC = Spec(
    id="rnn-bptt",
    title="Backpropagation through time in a tanh RNN",
    source="library: an RNN unrolled over three steps",
    statement=(r"A recurrent layer $h_t = \tanh(W_{hh} h_{t-1} + W_{xh} x_t)$ runs for $t = 1, 2, 3$ from a "
               r"given $h_0$ (no biases); the loss is $L = \frac{1}{2}\sum_i (h_{3,i} - y_i)^2$. With "
               r"$\delta_3 = (h_3 - y) \odot (1 - h_3^2)$ and $\delta_t = (W_{hh}^\top \delta_{t+1}) \odot "
               r"(1 - h_t^2)$, find $\partial L / \partial W_{hh}$, $\partial L / \partial W_{xh}$ and "
               r"$\partial L / \partial h_1$."),
)
H = SPEC.dim("H")
E = SPEC.dim("E")
i, j, k, m, q = SPEC.indices("i j k m q", range=H)
(l,) = SPEC.indices("l", range=E)
Whh = SPEC.tensor("Whh", H, H, latex="W_{hh}", text="W_hh", aliases=("W_hh", "W_{hh}"))
Wxh = SPEC.tensor("Wxh", H, E, latex="W_{xh}", text="W_xh", aliases=("W_xh", "W_{xh}"))
x1 = SPEC.tensor("x1", E, latex="x_1", aliases=("x_1", "x^{(1)}"))
x2 = SPEC.tensor("x2", E, latex="x_2", aliases=("x_2", "x^{(2)}"))
x3 = SPEC.tensor("x3", E, latex="x_3", aliases=("x_3", "x^{(3)}"))
h0 = SPEC.tensor("h0", H, latex="h_0", aliases=("h_0", "h^{(0)}"))
a1 = SPEC.tensor("a1", H, latex="a_1", aliases=("a_1",))
a2 = SPEC.tensor("a2", H, latex="a_2", aliases=("a_2",))
a3 = SPEC.tensor("a3", H, latex="a_3", aliases=("a_3",))
h1 = SPEC.tensor("h1", H, latex="h_1", aliases=("h_1", "h^{(1)}"))
h2 = SPEC.tensor("h2", H, latex="h_2", aliases=("h_2", "h^{(2)}"))
h3 = SPEC.tensor("h3", H, latex="h_3", aliases=("h_3", "h^{(3)}"))
y = SPEC.tensor("y", H)
L = SPEC.scalar("L", aliases=("loss",))
for a, h_prev, x_t, h_t in ((a1, h0, x1, h1), (a2, h1, x2, h2), (a3, h2, x3, h3)):
    SPEC.define(a[i], Sum(Whh[i, k] * h_prev[k], (k, 1, H)) + Sum(Wxh[i, l] * x_t[l], (l, 1, E)))
    SPEC.define(h_t[i], tanh(a[i]))
SPEC.define(L, Rational(1, 2) * Sum((h3[k] - y[k]) ** 2, (k, 1, H)))

delta3 = (h3[i] - y[i]) * (1 - h3[i] ** 2)
delta2 = Sum(Whh[k, i] * (h3[k] - y[k]) * (1 - h3[k] ** 2), (k, 1, H)) * (1 - h2[i] ** 2)
delta1 = Sum(Whh[m, i] * Sum(Whh[k, m] * (h3[k] - y[k]) * (1 - h3[k] ** 2), (k, 1, H)) * (1 - h2[m] ** 2),
             (m, 1, H)) * (1 - h1[i] ** 2)
SPEC.part("da3", r"Find $\delta_3 = \partial L / \partial a_3$.", target=D(L, a3[i]), reference=delta3,
          free=(i,), matrix=True, mistakes=[(h3[i] - y[i], "tanh'(a_3) = 1 − h_3² is missing")])
SPEC.part("da2", r"Find $\delta_2 = \partial L / \partial a_2$.", target=D(L, a2[i]), reference=delta2,
          free=(i,), matrix=True,
          mistakes=[(Sum(Whh[i, k] * (h3[k] - y[k]) * (1 - h3[k] ** 2), (k, 1, H)) * (1 - h2[i] ** 2),
                     "W_hh where its transpose belongs: δ_2 = (W_hhᵀ δ_3) ⊙ (1 − h_2²)")])
SPEC.part("da1", r"Find $\delta_1 = \partial L / \partial a_1$.", target=D(L, a1[i]), reference=delta1,
          free=(i,), matrix=True)
SPEC.part(
    "dWhh",
    r"Find $\partial L / \partial W_{hh}$.",
    target=D(L, Whh[i, j]),
    reference=delta3 * h2[j] + delta2 * h1[j] + delta1 * h0[j],
    free=(i, j),
    matrix=True,
    mistakes=[(delta3 * h2[j], "only the last step: W_hh acts at every step, so Σ_t δ_t h_{t−1}ᵀ"),
              (delta3 * h3[j] + delta2 * h2[j] + delta1 * h1[j], "h_t where h_{t−1} belongs: W_hh multiplies the "
                                                                "previous state")],
)
SPEC.part(
    "dWxh",
    r"Find $\partial L / \partial W_{xh}$.",
    target=D(L, Wxh[i, l]),
    reference=delta3 * x3[l] + delta2 * x2[l] + delta1 * x1[l],
    free=(i, l),
    matrix=True,
    mistakes=[(delta3 * x3[l], "only the last step: W_xh acts at every step, so Σ_t δ_t x_tᵀ")],
)
SPEC.part(
    "dh1",
    r"Find $\partial L / \partial h_1$.",
    target=D(L, h1[j]),
    reference=Sum(Whh[i, j] * delta2, (i, 1, H)),
    free=(j,),
    matrix=True,
    mistakes=[(Sum(Whh[j, i] * delta2, (i, 1, H)), "W_hh where its transpose belongs: ∂L/∂h_1 = W_hhᵀ δ_2")],
)
