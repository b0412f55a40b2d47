"""A valid 1-D convolution with stride 1: the gradients of its weights, bias and input (library)."""
from sympy import Max, Min, Sum

from derive.spec import D, Spec

SPEC = Spec(
    id="conv1d",
    title="1-D convolution (valid, stride 1)",
    source="library: the convolution layer's backward pass",
    statement=(r"A filter $w \in \mathbb{R}^K$ slides over an input $x \in \mathbb{R}^N$ without padding: "
               r"$y_i = \sum_{k=1}^{K} w_k x_{i+k-1} + b$ for $i = 1, \dots, M$ with $M = N - K + 1$ "
               r"(a cross-correlation, as deep-learning libraries compute it). With the upstream gradient $g$ "
               r"($L = \sum_i g_i y_i$), find $\partial L / \partial w_k$, $\partial L / \partial b$ and "
               r"$\partial L / \partial x_j$."),
)
N = SPEC.dim("N")
K = SPEC.dim("K")
M = SPEC.dim("M", value=N - K + 1)
(j,) = SPEC.indices("j", range=N)
k, m = SPEC.indices("k m", range=K)
(i,) = SPEC.indices("i", range=M)
x = SPEC.tensor("x", N)
w = SPEC.tensor("w", K)
g = SPEC.tensor("g", M, aliases=("dy",))
b = SPEC.scalar("b")
y = SPEC.tensor("y", M)
L = SPEC.scalar("L", aliases=("loss",))
SPEC.define(y[i], Sum(w[m] * x[i + m - 1], (m, 1, K)) + b)
SPEC.define(L, Sum(g[i] * y[i], (i, 1, M)))

SPEC.part(
    "dw",
    r"Find $\partial L / \partial w_k$.",
    target=D(L, w[k]),
    reference=Sum(g[i] * x[i + k - 1], (i, 1, M)),
    free=(k,),
    mistakes=[(Sum(g[i] * x[i + k], (i, 1, M)), "the window starts at x_i: the shift is i + k − 1, not i + k"),
              (Sum(g[i] * x[i], (i, 1, M)), "the shift by k is missing: w_k meets x_{i+k−1}")],
)
SPEC.part("db", r"Find $\partial L / \partial b$.", target=D(L, b), reference=Sum(g[i], (i, 1, M)),
          mistakes=[(g[1] * M, "the bias meets every g_i: Σ_i g_i, not M g_1")])
SPEC.part(
    "dx",
    r"Find $\partial L / \partial x_j$: which outputs does $x_j$ reach?",
    target=D(L, x[j]),
    reference=Sum(g[j - m + 1] * w[m], (m, Max(1, j - M + 1), Min(K, j))),
    free=(j,),
    mistakes=[(Sum(g[j - m + 1] * w[K - m + 1], (m, Max(1, j - M + 1), Min(K, j))),
               "the filter flipped: the backward pass of a cross-correlation is a full correlation with w "
               "itself (it is the forward pass that a convolution flips)")],
)
