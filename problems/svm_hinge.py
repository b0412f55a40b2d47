"""The multiclass hinge loss of a linear classifier (library)."""
from sympy import Max, Sum

from derive.spec import D, Iverson, Spec

SPEC = Spec(
    id="svm-hinge",
    title="Multiclass SVM hinge loss",
    source="library: a linear classifier's hinge loss",
    statement=(r"A linear classifier scores one sample $x \in \mathbb{R}^d$ with $s = W x$ ($C$ classes). With the "
               r"one-hot label $\Delta$ of the correct class, the margins are $m_c = s_c - \sum_k \Delta_k s_k + 1$ "
               r"and the loss is $L = \sum_c (1 - \Delta_c) \max(0, m_c)$. Find $\partial L / \partial W_{cl}$, "
               r"away from the kinks."),
)
C = SPEC.dim("C")
d = SPEC.dim("d")
c, k = SPEC.indices("c k", range=C)
(l,) = SPEC.indices("l", range=d)
W = SPEC.tensor("W", C, d)
x = SPEC.tensor("x", d)
Delta = SPEC.tensor("Delta", C, latex=r"\Delta", text="Δ", aliases=("Δ",), sample="onehot")
s = SPEC.tensor("s", C)
margin = SPEC.tensor("m", C, aliases=("margin",))
L = SPEC.scalar("L", aliases=("loss",))
SPEC.define(s[c], Sum(W[c, l] * x[l], (l, 1, d)))
SPEC.define(margin[c], s[c] - Sum(Delta[k] * s[k], (k, 1, C)) + 1)
SPEC.define(L, Sum((1 - Delta[k]) * Max(0, margin[k]), (k, 1, C)))
SPEC.assume(Sum(Delta[k], (k, 1, C)), 1, "Δ is one-hot: Σ_k Δ_k = 1")

active = (1 - Delta[c]) * Iverson(margin[c] > 0)
pull = Delta[c] * Sum((1 - Delta[k]) * Iverson(margin[k] > 0), (k, 1, C))
SPEC.part(
    "dW",
    r"Find $\partial L / \partial W_{cl}$.",
    target=D(L, W[c, l]),
    reference=(active - pull) * x[l],
    free=(c, l),
    matrix=True,
    mistakes=[(active * x[l], "the correct class's row is missing: its score s_y enters every margin, so "
                              "−Δ_c Σ_k (1 − Δ_k)[m_k > 0] x_l belongs to the gradient"),
              ((Iverson(margin[c] > 0) - pull) * x[l], "the factor (1 − Δ_c) is missing: the correct class has no "
                                                         "margin term of its own")],
)
