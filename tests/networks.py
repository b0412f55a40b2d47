"""Random small networks as specs built in memory: problems nobody wrote by hand.

`random_network(seed)` draws a depth (1 to 3 layers), for each layer an affine
map followed by an element-wise activation (a generic φ, tanh, the logistic
sigmoid, ReLU, leaky ReLU), a softmax or a layer norm, and a loss that fits
the last layer (squared error, cross-entropy after a softmax, binary
cross-entropy after a sigmoid, a hinge). Every weight matrix and bias is a
part: ∂L/∂W_l and ∂L/∂b_l. The parts carry no reference (a placeholder 0):
the tests compare the engine with the witness, not with a hand-written answer.
"""
from __future__ import annotations

import random
from dataclasses import dataclass

import sympy as sp
from sympy import Max, Rational, Sum, exp, log, sqrt, tanh

from derive.spec import D, Spec

ACTIVATIONS = ("phi", "tanh", "sigmoid", "relu", "leaky-relu", "softmax", "layer-norm")
LOSSES = ("squared", "cross-entropy", "bce", "hinge")
LETTERS = "ijklmpqrsuv"  # index letters: two per dimension


@dataclass
class Network:
    spec: Spec
    layers: list[str]
    loss: str

    def describe(self) -> str:
        return f"{' -> '.join(self.layers)} -> {self.loss}"


def random_network(seed: int, max_depth: int = 3) -> Network:
    """A spec for a random network (fixed by `seed`)."""
    rng = random.Random(seed)
    depth = rng.randint(1, max_depth)
    layers = [rng.choice(ACTIVATIONS) for _ in range(depth)]
    last = layers[-1]
    fitting = ["squared", "hinge"] + (["cross-entropy"] if last == "softmax" else []) + \
        (["bce"] if last == "sigmoid" else [])
    loss = rng.choice(fitting)
    spec = Spec(id=f"net-{seed}", title=f"Random network {seed}", source="generated",
                statement=f"A generated network: {' -> '.join(layers)} -> {loss}.")
    dims = [spec.dim(f"n{k}") for k in range(depth + 1)]
    letters = iter(LETTERS)
    index = {dim: spec.indices(f"{next(letters)} {next(letters)}", range=dim) for dim in dims}
    x = spec.tensor("x", dims[0])
    previous = x
    generic = spec.function("phi", latex=r"\phi", text="φ", aliases=("φ",)) if "phi" in layers else None
    sigmoid = spec.function("sigma", lambda a: 1 / (1 + exp(-a)), latex=r"\sigma", text="σ", aliases=("sigmoid",)) \
        if "sigmoid" in layers else None
    relu = spec.function("relu", lambda a: Max(0, a), text="relu") if "relu" in layers else None
    leaky = spec.function("leaky", lambda a: Max(a, a / 10), text="leaky") if "leaky-relu" in layers else None
    eps = spec.scalar("epsilon", latex=r"\epsilon", text="ε", sample="positive") if "layer-norm" in layers else None
    parameters = []
    for number, kind in enumerate(layers, start=1):
        rows, cols = dims[number], dims[number - 1]
        i, _ = index[rows]
        k, _ = index[cols]
        W = spec.tensor(f"W{number}", rows, cols, latex=f"W_{number}")
        b = spec.tensor(f"b{number}", rows, latex=f"b_{number}")
        z = spec.tensor(f"z{number}", rows, latex=f"z_{number}")
        a = spec.tensor(f"a{number}", rows, latex=f"a_{number}")
        spec.define(z[i], Sum(W[i, k] * previous[k], (k, 1, cols)) + b[i])
        _, m = index[rows]
        if kind == "softmax":
            spec.define(a[i], exp(z[i]) / Sum(exp(z[m]), (m, 1, rows)))
        elif kind == "layer-norm":
            mu = spec.scalar(f"mu{number}", latex=rf"\mu_{number}")
            var = spec.scalar(f"v{number}", latex=f"v_{number}")
            spec.define(mu, Sum(z[m], (m, 1, rows)) / rows)
            spec.define(var, Sum((z[m] - mu) ** 2, (m, 1, rows)) / rows)
            spec.define(a[i], (z[i] - mu) / sqrt(var + eps))
        else:
            function = {"phi": generic, "tanh": tanh, "sigmoid": sigmoid, "relu": relu, "leaky-relu": leaky}[kind]
            spec.define(a[i], function(z[i]))
        parameters.append((W, b, rows, cols))
        previous = a
    out = dims[-1]
    i, m = index[out]
    L = spec.scalar("L")
    if loss == "squared":
        y = spec.tensor("y", out)
        spec.define(L, Rational(1, 2) * Sum((previous[m] - y[m]) ** 2, (m, 1, out)))
    elif loss == "cross-entropy":
        t = spec.tensor("t", out, sample="simplex")
        spec.define(L, -Sum(t[m] * log(previous[m]), (m, 1, out)))
        spec.assume(Sum(t[m], (m, 1, out)), 1, "Σ t = 1")
    elif loss == "bce":
        t = spec.tensor("t", out, sample="unit")
        spec.define(L, -Sum(t[m] * log(previous[m]) + (1 - t[m]) * log(1 - previous[m]), (m, 1, out)))
    else:  # a hinge on every output against labels ±1 (sampled in (0, 1) and shifted: any real works)
        y = spec.tensor("y", out)
        spec.define(L, Sum(Max(0, 1 - y[m] * previous[m]), (m, 1, out)))
    for W, b, rows, cols in parameters:
        i, _ = index[rows]
        k, _ = index[cols]
        spec.part(f"d{W.label}", f"Find dL/d{W.label}.", target=D(L, W[i, k]), reference=sp.S.Zero, free=(i, k))
        spec.part(f"d{b.label}", f"Find dL/d{b.label}.", target=D(L, b[i]), reference=sp.S.Zero, free=(i,))
    return Network(spec, layers, loss)
