"""The softmax Jacobian and its vector-Jacobian product (seed 002, Q1 a and b)."""
from sympy import KroneckerDelta, Sum, exp

from derive.spec import D, Spec

SPEC = Spec(
    id="softmax-jacobian",
    title="The softmax Jacobian",
    source="seed 002, Q1(a,b)",
    statement=(r"Let $\sigma_i(x) = e^{x_i} / \sum_{k=1}^{n} e^{x_k}$ be the softmax of $x \in \mathbb{R}^n$. "
               r"Find its Jacobian $\partial \sigma_i / \partial x_j$, and the vector-Jacobian product "
               r"$z = v\, D_x\sigma$ for a row vector $v$."),
)
n = SPEC.dim("n")
i, j, k = SPEC.indices("i j k", range=n)
x = SPEC.tensor("x", n)
v = SPEC.tensor("v", n, row=True)  # "for a row vector v"
sigma = SPEC.tensor("sigma", n, latex=r"\sigma", text="σ",
                    aliases=("s", "σ", "sigma", "p", "softmax(x)"))
SPEC.define(sigma[i], exp(x[i]) / Sum(exp(x[k]), (k, 1, n)))

SPEC.part(
    "jacobian",
    r"Find $\partial \sigma_i / \partial x_j$.",
    target=D(sigma[i], x[j]),
    reference=sigma[i] * (KroneckerDelta(i, j) - sigma[j]),
    free=(i, j),
    matrix=True,
    mistakes=[
        (sigma[i] * (1 - sigma[j]), "the diagonal formula σ_i(1 − σ_i) used for every entry: the δ_ij is missing"),
        (-sigma[i] * sigma[j], "the off-diagonal formula used for every entry: the δ_ij σ_i term is missing"),
        (sigma[i] * (KroneckerDelta(i, j) - sigma[i]), "σ_i where σ_j belongs"),
    ],
)
SPEC.part(
    "vjp",
    r"Let $z = v\, D_x \sigma$ for a row vector $v$. Find $z_j$.",
    target=Sum(v[i] * D(sigma[i], x[j]), (i, 1, n)),
    reference=sigma[j] * (v[j] - Sum(v[k] * sigma[k], (k, 1, n))),
    free=(j,),
    matrix=True,
    mistakes=[
        (sigma[j] * v[j], "the −σ_j Σ_i v_i σ_i term from the off-diagonal entries is missing"),
        (v[j] - Sum(v[k] * sigma[k], (k, 1, n)), "the factor σ_j is missing"),
    ],
)
