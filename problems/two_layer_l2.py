"""A two-layer network, softmax cross-entropy and L2 regularisation (seed 004, a-c).

Row-vector convention: X is N×d, one sample a row. J uses the one-hot label
matrix Δ: −log Ψ_{n,y_n} = −Σ_k Δ_nk log Ψ_nk.
"""
from sympy import Rational, Sum, exp, log

from derive.spec import D, Spec

SPEC = Spec(
    id="two-layer-l2",
    title="Two-layer network with L2 regularisation",
    source="seed 004, (a,b,c)",
    statement=(r"A two-layer network reads a batch $X$ ($N \times d$, one sample a row): "
               r"$Z_2 = X W_1 + \mathbf{1} b_1^\top$, $A_2 = \phi(Z_2)$ element-wise, "
               r"$Z_3 = A_2 W_2 + \mathbf{1} b_2^\top$, $\Psi$ the row-wise softmax of $Z_3$, "
               r"$\Delta_{nk} = [y_n = k]$, and "
               r"$J = \frac{1}{N}\sum_n -\log \Psi_{n,y_n} + \lambda(\|W_1\|_F^2 + \|W_2\|_F^2)$. "
               r"Find the gradients of $J$ with respect to $Z_3$, $W_2$, $b_2$, $Z_2$, $W_1$ and $b_1$."),
)
N = SPEC.dim("N")
d = SPEC.dim("d")
h = SPEC.dim("h")
K = SPEC.dim("K")
(n,) = SPEC.indices("n", range=N)
(l,) = SPEC.indices("l", range=d)
(j,) = SPEC.indices("j", range=h)
k, m = SPEC.indices("k m", range=K)
phi = SPEC.function("phi", latex=r"\phi", text="φ", aliases=("φ", "phi"), derivative_latex=r"\phi'")
lam = SPEC.scalar("lambda", latex=r"\lambda", text="λ", aliases=("λ", "lambda", "lam"), sample="positive")
X = SPEC.tensor("X", N, d)
W1 = SPEC.tensor("W1", d, h, latex="W_1", aliases=("W_1", "W^{(1)}"))
b1 = SPEC.tensor("b1", h, latex="b_1", aliases=("b_1", "b^{(1)}"))
Z2 = SPEC.tensor("Z2", N, h, latex="Z_2", aliases=("Z_2", "Z^{(2)}"))
A2 = SPEC.tensor("A2", N, h, latex="A_2", aliases=("A_2", "A^{(2)}"))
W2 = SPEC.tensor("W2", h, K, latex="W_2", aliases=("W_2", "W^{(2)}"))
b2 = SPEC.tensor("b2", K, latex="b_2", aliases=("b_2", "b^{(2)}"))
Z3 = SPEC.tensor("Z3", N, K, latex="Z_3", aliases=("Z_3", "Z^{(3)}"))
Psi = SPEC.tensor("Psi", N, K, latex=r"\Psi", text="Ψ", aliases=("Ψ", "psi", "ψ"))
Delta = SPEC.tensor("Delta", N, K, latex=r"\Delta", text="Δ", aliases=("Δ",), sample="onehot-rows",
                    labels="y")
J = SPEC.scalar("J")
SPEC.define(Z2[n, j], Sum(X[n, l] * W1[l, j], (l, 1, d)) + b1[j])
SPEC.define(A2[n, j], phi(Z2[n, j]))
SPEC.define(Z3[n, k], Sum(A2[n, j] * W2[j, k], (j, 1, h)) + b2[k])
SPEC.define(Psi[n, k], exp(Z3[n, k]) / Sum(exp(Z3[n, m]), (m, 1, K)))
SPEC.define(J, Rational(1, 1) / N * Sum(-Delta[n, k] * log(Psi[n, k]), (k, 1, K), (n, 1, N))
            + lam * (Sum(W1[l, j] ** 2, (l, 1, d), (j, 1, h)) + Sum(W2[j, k] ** 2, (j, 1, h), (k, 1, K))))
SPEC.assume(Sum(Delta[n, k], (k, 1, K)), 1, "each row of Δ is one-hot: Σ_k Δ_nk = 1", params=(n,))

dphi = SPEC.derivative(phi)
G3 = (Psi[n, k] - Delta[n, k]) / N
G2 = Sum((Psi[n, m] - Delta[n, m]) * W2[j, m], (m, 1, K)) / N * dphi(Z2[n, j])
SPEC.part("dZ3", r"Find $\partial J / \partial Z_3$.", target=D(J, Z3[n, k]), reference=G3, free=(n, k),
          matrix=True, mistakes=[(Psi[n, k] - Delta[n, k], "the factor 1/N of the mean is missing"),
                                 ((Delta[n, k] - Psi[n, k]) / N, "sign error")])
SPEC.part("dW2", r"Find $\partial J / \partial W_2$.", target=D(J, W2[j, k]),
          reference=Sum(A2[n, j] * G3, (n, 1, N)) + 2 * lam * W2[j, k], free=(j, k), matrix=True,
          mistakes=[(Sum(A2[n, j] * G3, (n, 1, N)), "the regularisation term 2λW_2 is missing"),
                    (Sum(A2[n, j] * G3, (n, 1, N)) + lam * W2[j, k], "the factor 2 of ∂(λ‖W‖²) is missing")])
SPEC.part("db2", r"Find $\partial J / \partial b_2$.", target=D(J, b2[k]),
          reference=Sum(G3, (n, 1, N)), free=(k,), matrix=True,
          mistakes=[(Sum(Psi[n, k] - Delta[n, k], (n, 1, N)), "the factor 1/N is missing")])
SPEC.part("dZ2", r"Find $\partial J / \partial Z_2$.", target=D(J, Z2[n, j]), reference=G2, free=(n, j),
          matrix=True,
          mistakes=[(G2 / dphi(Z2[n, j]) * phi(Z2[n, j]), "φ used where φ' belongs"),
                    (G2 / dphi(Z2[n, j]), "the factor φ'(Z_2) of the activation is missing")])
SPEC.part("dW1", r"Find $\partial J / \partial W_1$.", target=D(J, W1[l, j]),
          reference=Sum(X[n, l] * G2, (n, 1, N)) + 2 * lam * W1[l, j], free=(l, j), matrix=True,
          mistakes=[(Sum(X[n, l] * G2, (n, 1, N)), "the regularisation term 2λW_1 is missing")])
SPEC.part("db1", r"Find $\partial J / \partial b_1$.", target=D(J, b1[j]),
          reference=Sum(G2, (n, 1, N)), free=(j,), matrix=True,
          mistakes=[(Sum(G2 / dphi(Z2[n, j]), (n, 1, N)), "the factor φ'(Z_2) is missing")])
