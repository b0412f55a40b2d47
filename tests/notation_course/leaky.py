"""A leaky ReLU layer without bias: an answer by cases."""
from sympy import Max, Sum

from derive.spec import D, Iverson, Spec

SPEC = Spec(id="leaky-nobias", title="Leaky ReLU without bias", source="test",
            statement=r"$z_j = \sum_k w_{jk} x_k$, $a_j = \max(z_j, z_j/10)$, $\hat y = \sum_j v_j a_j$, "
                      r"$L = (\hat y - t)^2/2$.")
d = SPEC.dim("d")
h = SPEC.dim("h")
k, l = SPEC.indices("k l", range=d)
j, i = SPEC.indices("j i", range=h)
leaky = SPEC.function("leaky", lambda a: Max(a, a / 10), text="leaky")
x = SPEC.tensor("x", d)
w = SPEC.tensor("w", h, d)
v = SPEC.tensor("v", h)
z = SPEC.tensor("z", h)
a = SPEC.tensor("a", h)
t = SPEC.scalar("t")
yhat = SPEC.scalar("yhat", latex=r"\hat{y}", text="ŷ")
L = SPEC.scalar("L")
SPEC.define(z[j], Sum(w[j, k] * x[k], (k, 1, d)))
SPEC.define(a[j], leaky(z[j]))
SPEC.define(yhat, Sum(v[j] * a[j], (j, 1, h)))
SPEC.define(L, (yhat - t) ** 2 / 2)
SPEC.part("dw", r"Find $\partial L/\partial w_{jk}$.", target=D(L, w[j, k]),
          reference=(yhat - t) * v[j] * x[k] * (Iverson(z[j] > 0) + Iverson(z[j] < 0) / 10), free=(j, k))
