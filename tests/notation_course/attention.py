"""An attention score over T tokens: the letter T is a dimension, and K^T is still a transpose."""
from sympy import Rational, Sum, exp, sqrt

from derive.spec import D, Spec

SPEC = Spec(id="attention-score", title="Attention scores", source="test course",
            statement=r"$s_t = q^\top k_t/\sqrt{d}$ for the rows $k_t$ of $K$ ($T \times d$), "
                      r"$\alpha = \mathrm{softmax}(s)$, $o = \sum_t \alpha_t v_t$, $L = \frac12 (o - y)^2$; "
                      r"$P = a^{T+1}/(T+1)$.")
T = SPEC.dim("T")
d = SPEC.dim("d")
t, u = SPEC.indices("t u", range=T)
i, j = SPEC.indices("i j", range=d)
q = SPEC.tensor("q", d)
K = SPEC.tensor("K", T, d)
v = SPEC.tensor("v", T)
s = SPEC.tensor("s", T)
alpha = SPEC.tensor("alpha", T, latex=r"\alpha", text="α")
o = SPEC.scalar("o")
y = SPEC.scalar("y")
L = SPEC.scalar("L")
a = SPEC.scalar("a", sample="positive")
P = SPEC.scalar("P")
SPEC.define(s[t], Sum(q[i] * K[t, i], (i, 1, d)) / sqrt(d))
SPEC.define(alpha[t], exp(s[t]) / Sum(exp(s[u]), (u, 1, T)))
SPEC.define(o, Sum(alpha[t] * v[t], (t, 1, T)))
SPEC.define(L, Rational(1, 2) * (o - y) ** 2)
SPEC.define(P, a ** (T + 1) / (T + 1))
SPEC.part("dL-dK", r"Find $\partial L/\partial K$.", target=D(L, K[t, i]),
          reference=(o - y) * alpha[t] * (v[t] - o) * q[i] / sqrt(d), free=(t, i), matrix=True)
SPEC.part("dL-dq", r"Find $\partial L/\partial q$.", target=D(L, q[i]),
          reference=(o - y) * Sum(alpha[t] * (v[t] - o) * K[t, i], (t, 1, T)) / sqrt(d), free=(i,), matrix=True)
SPEC.part("dP-da", r"Find $dP/da$.", target=D(P, a), reference=a ** T)
