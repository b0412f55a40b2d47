"""The log-softmax Jacobian, its vector-Jacobian product and the NLL gradient (seed 002, Q4 b-d)."""
from sympy import KroneckerDelta, Sum, exp, log

from derive.spec import D, Spec

SPEC = Spec(
    id="log-softmax-jacobian",
    title="The log-softmax Jacobian",
    source="seed 002, Q4(b,c,d)",
    statement=(r"Let $\sigma_i(x) = e^{x_i} / \sum_{k=1}^{n} e^{x_k}$. Differentiate $\log \sigma_i(x)$, "
               r"form the vector-Jacobian product with a row vector $v$, and differentiate the "
               r"negative log-likelihood $\ell(z, t) = -\sum_i t_i z_i$."),
)
n = SPEC.dim("n")
i, j, k = SPEC.indices("i j k", range=n)
x = SPEC.tensor("x", n)
v = SPEC.tensor("v", n, row=True)  # "for a row vector v"
z = SPEC.tensor("z", n)
t = SPEC.tensor("t", n, sample="simplex")
sigma = SPEC.tensor("sigma", n, latex=r"\sigma", text="σ", aliases=("s", "σ", "sigma", "p", "softmax(x)"))
ell = SPEC.scalar("ell", latex=r"\ell", text="ℓ", aliases=("l", "ℓ", "loss"))
SPEC.define(sigma[i], exp(x[i]) / Sum(exp(x[k]), (k, 1, n)))
SPEC.define(ell, -Sum(t[k] * z[k], (k, 1, n)))
SPEC.assume(Sum(t[k], (k, 1, n)), 1, "Σ_k t_k = 1")

SPEC.part(
    "jacobian",
    r"Find $\partial \log \sigma_i / \partial x_j$.",
    target=D(log(sigma[i]), x[j]),
    reference=KroneckerDelta(i, j) - sigma[j],
    free=(i, j),
    matrix=True,
    mistakes=[
        (1 - sigma[j], "the diagonal formula 1 − σ_i used for every entry: δ_ij is missing"),
        (KroneckerDelta(i, j) - sigma[i], "σ_i where σ_j belongs"),
        (sigma[i] * (KroneckerDelta(i, j) - sigma[j]), "this is the Jacobian of σ, not of log σ"),
    ],
)
SPEC.part(
    "vjp",
    r"Let $z = v\, D_x \log\sigma$ for a row vector $v$. Find $z_j$.",
    target=Sum(v[i] * D(log(sigma[i]), x[j]), (i, 1, n)),
    reference=v[j] - sigma[j] * Sum(v[k], (k, 1, n)),
    free=(j,),
    mistakes=[
        (v[j] - sigma[j], "the sum Σ_i v_i multiplying σ_j is missing"),
        (v[j] - Sum(v[k] * sigma[k], (k, 1, n)), "Σ_i v_i σ_i where σ_j Σ_i v_i belongs"),
    ],
)
SPEC.part(
    "nll-gradient",
    r"Let $\ell(z, t) = -\sum_i t_i z_i$. Find $\partial \ell / \partial z_i$.",
    target=D(ell, z[i]),
    reference=-t[i],
    free=(i,),
    mistakes=[(t[i], "sign error")],
)
