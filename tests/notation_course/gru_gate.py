"""A GRU's update gate: names with an accent (h̃, `\\tilde{h}`) and a piece (`h^{\\mathrm{prev}}`)."""
from sympy import Rational, Sum, exp, tanh

from derive.spec import D, Spec

SPEC = Spec(id="gru-gate", title="GRU update gate", source="test course",
            statement=r"$z = \sigma(W_z x + U_z h^{\mathrm{prev}})$, $\tilde{h} = \tanh(W_h x)$, "
                      r"$h = (1 - z) \odot h^{\mathrm{prev}} + z \odot \tilde{h}$, $L = \frac12 \|h - y\|^2$.")
d = SPEC.dim("d")
n = SPEC.dim("n")
k, m = SPEC.indices("k m", range=d)
i, l = SPEC.indices("i l", range=n)
sigma = SPEC.function("sigma", lambda a: 1 / (1 + exp(-a)), latex=r"\sigma", text="σ", aliases=("sigmoid",))
x = SPEC.tensor("x", d)
hprev = SPEC.tensor("hprev", n, latex=r"h^{\mathrm{prev}}", text="h_prev")
Wz = SPEC.tensor("Wz", n, d, latex="W_z", text="W_z")
Uz = SPEC.tensor("Uz", n, n, latex="U_z", text="U_z")
Wh = SPEC.tensor("Wh", n, d, latex="W_h", text="W_h")
z = SPEC.tensor("z", n)
htilde = SPEC.tensor("htilde", n, latex=r"\tilde{h}", text="h̃")
h = SPEC.tensor("h", n)
y = SPEC.tensor("y", n)
L = SPEC.scalar("L")
SPEC.define(z[i], sigma(Sum(Wz[i, k] * x[k], (k, 1, d)) + Sum(Uz[i, l] * hprev[l], (l, 1, n))))
SPEC.define(htilde[i], tanh(Sum(Wh[i, k] * x[k], (k, 1, d))))
SPEC.define(h[i], (1 - z[i]) * hprev[i] + z[i] * htilde[i])
SPEC.define(L, Rational(1, 2) * Sum((h[l] - y[l]) ** 2, (l, 1, n)))
SPEC.part("dL-dWz", r"Find $\partial L/\partial W_z$.", target=D(L, Wz[i, k]),
          reference=(h[i] - y[i]) * (htilde[i] - hprev[i]) * z[i] * (1 - z[i]) * x[k], free=(i, k), matrix=True)
SPEC.part("dL-dhprev", r"Find $\partial L/\partial h^{\mathrm{prev}}$.", target=D(L, hprev[l]),
          reference=(h[l] - y[l]) * (1 - z[l])
          + Sum((h[i] - y[i]) * (htilde[i] - hprev[i]) * z[i] * (1 - z[i]) * Uz[i, l], (i, 1, n)),
          free=(l,), matrix=True)
