"""Softmax is unchanged by adding a constant to every input (seed 002, Q4 a)."""
from sympy import Sum, exp

from derive.spec import Spec

SPEC = Spec(
    id="softmax-shift-invariance",
    title="Softmax is shift invariant",
    source="seed 002, Q4(a)",
    statement=(r"Show that $\operatorname{softmax}_i(x + c\mathbf{1}) = \sigma_i(x)$ for every constant "
               r"$c$, where $\sigma_i(x) = e^{x_i}/\sum_k e^{x_k}$."),
)
n = SPEC.dim("n")
i, k = SPEC.indices("i k", range=n)
x = SPEC.tensor("x", n)
c = SPEC.scalar("c")
sigma = SPEC.tensor("sigma", n, latex=r"\sigma", text="σ", aliases=("s", "σ", "sigma", "softmax(x)"))
SPEC.define(sigma[i], exp(x[i]) / Sum(exp(x[k]), (k, 1, n)))
SPEC.part(
    "identity",
    r"Simplify $\operatorname{softmax}_i(x + c\mathbf{1})$.",
    target=SPEC.instance(sigma[i], lambda base, *idx: base[idx] + c if base == x else base[idx]),
    reference=sigma[i],
    free=(i,),
    mistakes=[(exp(c) * sigma[i], "e^c cancels between numerator and denominator")],
)
