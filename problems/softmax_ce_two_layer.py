"""A sigmoid hidden layer under a softmax output with cross-entropy (seed 001, case 2)."""
from sympy import Sum, exp, log

from derive.spec import D, Spec

SPEC = Spec(
    id="softmax-ce-two-layer",
    title="Softmax output layer with cross-entropy",
    source="seed 001, case 2",
    statement=(r"Inputs $z_k$; hidden units $y_j = \sigma(\sum_k w_{kj} z_k)$ with the logistic $\sigma$; "
               r"outputs $x_i = e^{u_i}/\sum_m e^{u_m}$ with $u_i = \sum_j w_{ji} y_j$; error "
               r"$E = -\sum_i t_i \ln x_i$ with $\sum_i t_i = 1$."),
)
n_z = SPEC.dim("n_z", latex="n_z")
n_y = SPEC.dim("n_y", latex="n_y")
n_x = SPEC.dim("n_x", latex="n_x")
(k,) = SPEC.indices("k", range=n_z)
(j,) = SPEC.indices("j", range=n_y)
i, m = SPEC.indices("i m", range=n_x)
sigmoid = SPEC.function("sigmoid", lambda a: 1 / (1 + exp(-a)), latex=r"\sigma", text="σ",
                        aliases=("σ", "sigma", "sigmoid", "g"))
z = SPEC.tensor("z", n_z)
w1 = SPEC.tensor("w_hid", n_z, n_y, latex="w", text="w", aliases=("w",))
w2 = SPEC.tensor("w_out", n_y, n_x, latex="w", text="w", aliases=("w",))
y = SPEC.tensor("y", n_y)
u = SPEC.tensor("u", n_x)
x = SPEC.tensor("x", n_x, aliases=("σ", "sigma", "s", "p"))
t = SPEC.tensor("t", n_x, sample="simplex")
E = SPEC.scalar("E")
SPEC.define(y[j], sigmoid(Sum(w1[k, j] * z[k], (k, 1, n_z))))
SPEC.define(u[i], Sum(w2[j, i] * y[j], (j, 1, n_y)))
SPEC.define(x[i], exp(u[i]) / Sum(exp(u[m]), (m, 1, n_x)))
SPEC.define(E, -Sum(t[m] * log(x[m]), (m, 1, n_x)))
SPEC.assume(Sum(t[m], (m, 1, n_x)), 1, "Σ_m t_m = 1")

SPEC.part(
    "dE-dw-output",
    r"Find $\partial E / \partial w_{ji}$ for a weight into output unit $i$.",
    target=D(E, w2[j, i]),
    reference=y[j] * (x[i] - t[i]),
    free=(j, i),
    mistakes=[(y[j] * (t[i] - x[i]), "sign error"),
              (-y[j] * t[i] / x[i], "only ∂E/∂x_i used: the softmax couples every output")],
)
SPEC.part(
    "dE-dw-hidden",
    r"Find $\partial E / \partial w_{kj}$ for a weight into hidden unit $j$.",
    target=D(E, w1[k, j]),
    reference=Sum((x[m] - t[m]) * w2[j, m], (m, 1, n_x)) * y[j] * (1 - y[j]) * z[k],
    free=(k, j),
    mistakes=[(Sum((x[m] - t[m]) * w2[j, m], (m, 1, n_x)) * z[k],
               "σ' of the hidden unit, y_j(1 − y_j), is missing")],
)
