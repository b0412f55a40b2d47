"""A two-layer sigmoid network with binary cross-entropy (seed 001 case 1, seed 003)."""
from sympy import Sum, exp, log

from derive.spec import D, Spec

SPEC = Spec(
    id="sigmoid-bce",
    title="Sigmoid network with binary cross-entropy",
    source="seed 001, case 1; seed 003",
    statement=(r"Inputs $z_k$; hidden units $y_j = \sigma(\sum_k w_{kj} z_k)$; outputs "
               r"$x_i = \sigma(\sum_j w_{ji} y_j)$ with the logistic $\sigma(z) = 1/(1 + e^{-z})$; "
               r"error $E = -\sum_i [t_i \ln x_i + (1 - t_i)\ln(1 - x_i)]$. No biases."),
)
n_z = SPEC.dim("n_z", latex="n_z")
n_y = SPEC.dim("n_y", latex="n_y")
n_x = SPEC.dim("n_x", latex="n_x")
(k,) = SPEC.indices("k", range=n_z)
(j,) = SPEC.indices("j", range=n_y)
i, m = SPEC.indices("i m", range=n_x)
sigmoid = SPEC.function("sigmoid", lambda a: 1 / (1 + exp(-a)), latex=r"\sigma", text="σ",
                        aliases=("σ", "sigma", "sigmoid", "g"))
s = SPEC.scalar("s", latex="s", text="s", aliases=("z",))  # the catalogue writes σ'(z)
z = SPEC.tensor("z", n_z)
w1 = SPEC.tensor("w_hid", n_z, n_y, latex="w", text="w", aliases=("w",))
w2 = SPEC.tensor("w_out", n_y, n_x, latex="w", text="w", aliases=("w",))
y = SPEC.tensor("y", n_y)
x = SPEC.tensor("x", n_x)
t = SPEC.tensor("t", n_x, sample="unit")
E = SPEC.scalar("E")
SPEC.define(y[j], sigmoid(Sum(w1[k, j] * z[k], (k, 1, n_z))))
SPEC.define(x[i], sigmoid(Sum(w2[j, i] * y[j], (j, 1, n_y))))
SPEC.define(E, -Sum(t[m] * log(x[m]) + (1 - t[m]) * log(1 - x[m]), (m, 1, n_x)))

SPEC.part(
    "sigmoid-derivative",
    r"Show that $\sigma'(s) = \sigma(s)(1 - \sigma(s))$.",
    target=D(sigmoid(s), s),
    reference=sigmoid(s) * (1 - sigmoid(s)),
    mistakes=[(exp(-s) / (1 + exp(-s)), "the square of the denominator is missing"),
              (sigmoid(s) * (1 + sigmoid(s)), "sign error in 1 − σ")],
)
SPEC.part(
    "dE-dw-output",
    r"Find $\partial E / \partial w_{ji}$ for a weight into output unit $i$.",
    target=D(E, w2[j, i]),
    reference=(x[i] - t[i]) * y[j],
    free=(j, i),
    mistakes=[((t[i] - x[i]) * y[j], "sign error"),
              ((x[i] - t[i]) * x[i] * (1 - x[i]) * y[j], "σ'(u_i) kept: it cancels against ∂E/∂x_i")],
)
SPEC.part(
    "dE-dw-hidden",
    r"Find $\partial E / \partial w_{kj}$ for a weight into hidden unit $j$.",
    target=D(E, w1[k, j]),
    reference=Sum((x[m] - t[m]) * w2[j, m], (m, 1, n_x)) * y[j] * (1 - y[j]) * z[k],
    free=(k, j),
    mistakes=[(Sum((x[m] - t[m]) * w2[j, m], (m, 1, n_x)) * z[k],
               "σ' of the hidden unit, y_j(1 − y_j), is missing"),
              (Sum((x[m] - t[m]) * w2[j, m], (m, 1, n_x)) * y[j] * (1 - y[j]) * y[j],
               "y_j where the input z_k belongs")],
)
