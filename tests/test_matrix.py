"""derive.matrix.to_matrix: every matrix-form case of the catalogue, checked entry by entry.

Each case converts an index expression, substitutes small sizes and random
rational entries, and compares every entry of `.as_explicit()` exactly with
the index expression evaluated at the same values.
"""
from __future__ import annotations

import random
from types import SimpleNamespace

import pytest
import sympy as sp
from sympy import KroneckerDelta, Sum

from derive.errors import DerivationError
from derive.printing.matrixform import to_matrix
from derive.problem.library import all_specs, load


def dim(name: str) -> sp.Symbol:
    return sp.Symbol(name, integer=True, positive=True)


n, N, K, h, d, k = (dim(s) for s in ("n", "N", "K", "h", "d", "k"))
SIZES = {n: 3, N: 2, K: 3, h: 2, d: 4, k: 3}
i, j, l = sp.symbols("i j l", integer=True)
lam = sp.Symbol("lambda", real=True, positive=True)
yhat, y = sp.symbols("yhat y", real=True)
phi_prime = sp.Function("phi_prime")

SHAPES: dict = {}


def tensor(name: str, *shape: sp.Symbol) -> sp.IndexedBase:
    base = sp.IndexedBase(name, real=True)
    SHAPES[base] = tuple(shape)
    return base


sigma, v = tensor("sigma", n), tensor("v", n)
Psi, Delta, A2, W2 = tensor("Psi", N, K), tensor("Delta", N, K), tensor("A2", N, h), tensor("W2", h, K)
X, W1, Z2 = tensor("X", N, d), tensor("W1", d, h), tensor("Z2", N, h)
# the weighted-softmax network: W2 is k×h there
a2, s, o1, x, Wb = tensor("a2", k), tensor("s", k), tensor("o1", h), tensor("x", d), tensor("Wb", k, h)
for scalar in (lam, yhat, y):
    SHAPES[scalar] = ()
SPEC = SimpleNamespace(shapes=SHAPES, names={}, functions={})

# for two_layer (n, j, k, m, l) play the roles of the spec's indices
nn, jj, kk, mm, ll = sp.symbols("n j k m l", integer=True)
G3 = (Psi[nn, kk] - Delta[nn, kk]) / N

# name: (index expression, free indices, the matrix shape in dimension symbols)
CASES = {
    "1 softmax jacobian": (sigma[i] * (KroneckerDelta(i, j) - sigma[j]), (i, j), (n, n)),
    "2 log-softmax jacobian": (KroneckerDelta(i, j) - sigma[j], (i, j), (n, n)),
    "3 softmax vjp": (sigma[j] * (v[j] - Sum(v[i] * sigma[i], (i, 1, n))), (j,), (n, 1)),
    "4 dZ3": (G3, (nn, kk), (N, K)),
    "5 dW2": (2 * lam * W2[jj, kk] + Sum((Psi[nn, kk] - Delta[nn, kk]) * A2[nn, jj], (nn, 1, N)) / N,
              (jj, kk), (h, K)),
    "6 db2": (Sum(Psi[nn, kk] - Delta[nn, kk], (nn, 1, N)) / N, (kk,), (K, 1)),
    "7 dZ2": (phi_prime(Z2[nn, jj]) * Sum((Psi[nn, mm] - Delta[nn, mm]) * W2[jj, mm], (mm, 1, K)) / N,
              (nn, jj), (N, h)),
    "8 dW1": (2 * lam * W1[ll, jj] + Sum(phi_prime(Z2[nn, jj]) * X[nn, ll]
                                        * Sum((Psi[nn, kk] - Delta[nn, kk]) * W2[jj, kk], (kk, 1, K)),
                                        (nn, 1, N)) / N, (ll, jj), (d, h)),
    "9 weighted dW2": ((yhat - y) * (1 + a2[i] - yhat) * o1[j] * s[i], (i, j), (k, h)),
    "10 weighted dW1": ((1 - o1[j]) * (yhat - y) * o1[j] * x[l]
                        * Sum((1 + a2[i] - yhat) * Wb[i, j] * s[i], (i, 1, k)), (j, l), (h, d)),
}


def rational(rng: random.Random) -> sp.Rational:
    return sp.Rational(rng.randint(-9, 9), rng.randint(1, 7))


def check(expr: sp.Expr, free: tuple, mexpr: sp.MatrixExpr, seed: int = 0, shapes: dict | None = None,
          sizes: dict | None = None, funcs: dict | None = None) -> None:
    """Compare every entry of `mexpr` exactly with `expr` at random rational values."""
    shapes = SHAPES if shapes is None else shapes
    sizes = SIZES if sizes is None else sizes
    funcs = {phi_prime: sp.cos} if funcs is None else funcs
    rng = random.Random(seed)
    values: dict = {}
    for base, shape in shapes.items():
        if shape == ():
            values[base] = rational(rng)
        else:
            rows_, cols_ = [sizes[dim_] for dim_ in shape] + [1] * (2 - len(shape))
            values[base] = sp.ImmutableMatrix(rows_, cols_, lambda *_: rational(rng))
    scalars = {b: val for b, val in values.items() if shapes[b] == ()}
    matrices = {sp.MatrixSymbol(str(b.label), *val.shape): val
                for b, val in values.items() if shapes[b] != ()}

    def concrete(e: sp.Basic) -> sp.Basic:
        for func, value in funcs.items():
            e = e.replace(func, value)
        return e

    explicit = concrete(mexpr.subs(sizes)).subs(matrices).subs(scalars).as_explicit()

    def entry(e: sp.Indexed) -> sp.Expr:
        at = [int(t) for t in e.indices] + [1]
        return values[e.base][at[0] - 1, at[1] - 1]

    rows, cols = explicit.shape
    assert (rows, cols) == tuple(sizes.get(t, t) for t in mexpr.shape)
    for a in range(rows):
        for b in range(cols):
            at = dict(zip(free, (a + 1, b + 1)))
            want = concrete(expr.subs(sizes).subs(at).doit())
            want = want.replace(lambda e: isinstance(e, sp.Indexed), entry).subs(scalars)
            got = explicit[a, b]
            assert got.free_symbols == set() and want.free_symbols == set(), (got, want)
            assert sp.simplify(got - want) == 0, (a, b, got, want)


@pytest.mark.parametrize("name", list(CASES))
def test_case_matches_index_form(name: str) -> None:
    expr, free, shape = CASES[name]
    mexpr = to_matrix(expr, free, SPEC)
    assert isinstance(mexpr, sp.MatrixExpr)
    assert mexpr.shape == shape
    for seed in range(3):
        check(expr, free, mexpr, seed)


@pytest.mark.parametrize("name", ["1 softmax jacobian", "5 dW2", "9 weighted dW2", "10 weighted dW1"])
def test_check_catches_a_wrong_matrix(name: str) -> None:
    """The numeric check is not vacuous: a perturbed answer fails it."""
    expr, free, shape = CASES[name]
    wrong = to_matrix(expr, free, SPEC) + sp.Rational(1, 10**6) * sp.OneMatrix(*shape)
    with pytest.raises(AssertionError):
        check(expr, free, wrong)


def test_vector_entries_are_columns() -> None:
    assert to_matrix(v[j], (j,), SPEC) == sp.MatrixSymbol("v", n, 1)
    assert to_matrix(W2[kk, jj], (jj, kk), SPEC) == sp.MatrixSymbol("W2", h, K).T


def test_sum_of_a_three_index_sum_distributes() -> None:
    expr = Sum((A2[nn, jj] + Psi[nn, kk]) * X[nn, ll] * A2[nn, jj], (nn, 1, N))
    mexpr = to_matrix(Sum(expr, (ll, 1, d)), (jj, kk), SPEC)
    check(Sum(expr, (ll, 1, d)), (jj, kk), mexpr)


def test_unknown_term_raises() -> None:
    with pytest.raises(DerivationError, match="no matrix form"):
        to_matrix(Psi[nn, 1] * sigma[i], (i, nn), SPEC)
    with pytest.raises(DerivationError, match="no matrix form"):
        to_matrix(sp.atan2(sigma[i], sigma[j]), (i, j), SPEC)
    with pytest.raises(DerivationError, match="runs over both"):
        to_matrix(W2[jj, jj], (jj,), SPEC)
    with pytest.raises(DerivationError, match="three indices"):
        to_matrix(Sum(sp.exp(A2[nn, jj] + Psi[nn, kk]), (nn, 1, N)), (jj, kk), SPEC)
    with pytest.raises(DerivationError, match="free indices"):
        to_matrix(Psi[nn, kk] * X[nn, ll], (nn, kk), SPEC)


MATRIX_PARTS = [(spec.id, part.id) for spec in all_specs() for part in spec.parts if part.matrix]


@pytest.mark.parametrize("problem,part_id", MATRIX_PARTS)
def test_catalogue_references_convert(problem: str, part_id: str) -> None:
    """Every matrix part of the real catalogue converts, and matches its index form."""
    spec = load(problem)
    part = spec.part_by_id(part_id)
    mexpr = to_matrix(part.reference, part.free, spec)
    dims = sorted({dim_ for shape in spec.shapes.values() for dim_ in shape}, key=str)
    sizes = {dim_: 2 + n_ % 3 for n_, dim_ in enumerate(dims)}
    funcs = {info.derivative: sp.cos for info in spec.functions.values() if info.derivative is not None}
    funcs |= {f: sp.sin for f, info in spec.functions.items() if info.body is None}
    check(part.reference, part.free, mexpr, shapes=spec.shapes, sizes=sizes, funcs=funcs)
