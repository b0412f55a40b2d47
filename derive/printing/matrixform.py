"""Index form to matrix form: `to_matrix(expr, free, spec)`.

An index expression such as `Sum(X[n, l] * G[n, j], (n, 1, N))` with free
indices `(l, j)` is turned into a SymPy matrix expression (`X.T*G`) whose
(l, j) entry is the index expression. A base `B` of shape `(r, c)` becomes
`MatrixSymbol("B", r, c)`, a vector `v` of shape `(n,)` a column
`MatrixSymbol("v", n, 1)`; all vectors are columns, a result with one free
index is a column.

The converter works on "pieces": `conv(e, x, y)` returns a matrix whose rows
run over index `x` and columns over index `y`, but only along the indices `e`
actually carries (a piece free of `y` is a column, free of both a 1×1 matrix),
or a plain scalar when `e` holds no entry at all. Its rules:

* entry `B[x, y]` → `B`, `B[y, x]` → `B.T`, `v[x]` → `v`, `v[y]` → `v.T`;
* `KroneckerDelta(x, y)` → `I`; `δ_xy · f_x` → `diag(f)`;
* sums of terms → matrix sums, each term broadcast with ones (`1 vᵀ`, `c 1`);
* products: factors with both indices, row-only and column-only factors are
  each combined by Hadamard product, then as `diag(r) M diag(c)` or `r cᵀ`;
* `Sum_b` of a product contracts `b`: `L diag(g) R` with `L` the factors on
  (x, b), `R` those on (b, y) and `g` those on b alone (ones where missing);
  factors free of `b` move out, `Σ_b δ_bt f` is `f(t)`, and a factor on
  (x, b, y) is distributed (a sum of terms) or swapped with `Σ_b` (a sum);
* `f(entry)` → `f` applied elementwise, `entry**p` → Hadamard power;
* a sum of transposes `Ψᵀ − Δᵀ` is written `(Ψ − Δ)ᵀ`.

Anything else raises `DerivationError`. Results support `.as_explicit()` once
the dimension symbols are replaced by integers.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sympy as sp
from sympy.core.relational import Relational
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction
from sympy.matrices.expressions.diagonal import DiagMatrix
from sympy.matrices.expressions.transpose import Transpose

from ..errors import DerivationError
from ..problem.spec import Iverson

Piece = Any  # a sympy MatrixExpr, or a plain scalar sympy Expr


def to_matrix(expr: sp.Expr, free: tuple[sp.Symbol, ...], spec: Any) -> sp.MatrixExpr:
    """The matrix expression whose entry at the `free` indices is `expr`.

    `free` has one index (a column vector) or two (rows, columns). Reads only
    `spec.shapes` (base → tuple of dimensions) and, when present,
    `spec.index_range` (index → dimension).
    """
    expr = sp.sympify(expr)
    if len(free) not in (1, 2):
        raise DerivationError(f"a matrix form needs one or two free indices, not {len(free)}")
    row, col = free[0], (free[1] if len(free) == 2 else None)
    if extra := _free(expr) - set(free):
        raise DerivationError(f"{expr} has free indices {sorted(map(str, extra))} beyond {free}")
    conv = _Converter(expr, spec)
    if unknown := [str(index) for index in free if index not in conv.dims]:
        raise DerivationError(f"the range of index {', '.join(unknown)} is unknown")
    return common_scalar_out(conv.broadcast(conv.conv(expr, row, col), row, col, True, col is not None))


def _scalars_out_of_diag(m: Any) -> Any:
    """diag(c v) = c diag(v) for a scalar c (so that it can be shared with the other terms)."""
    if isinstance(m, DiagMatrix):
        coefficient, inner = m.args[0].as_coeff_mmul() if hasattr(m.args[0], "as_coeff_mmul") else (1, m.args[0])
        return m if coefficient == 1 else _mm(coefficient, DiagMatrix(sp.MatMul(*inner.args)
                                                                        if isinstance(inner, sp.MatMul) else inner))
    if isinstance(m, sp.MatAdd):
        return sp.MatAdd(*[_scalars_out_of_diag(a) for a in m.args])
    return m


def common_scalar_out(m: Any) -> Any:
    """A scalar every term of a matrix sum shares, taken out: I/r − y yᵀ/r = (I − y yᵀ)/r."""
    m = _scalars_out_of_diag(m)
    if not isinstance(m, sp.MatAdd):
        return m
    split = [term.as_coeff_mmul() if hasattr(term, "as_coeff_mmul") else (sp.S.One, term) for term in m.args]
    common = split[0][0]
    for coefficient, _ in split[1:]:
        common = sp.gcd(common, coefficient)
    if common == 1 or common.is_Number:
        return m
    terms = []
    for coefficient, matrix in split:
        ratio = sp.cancel(coefficient / common)
        terms.append(matrix if ratio == 1 else _mm(ratio, matrix))
    return _mm(common, sp.MatAdd(*terms))


def _free(e: sp.Basic) -> set[sp.Symbol]:
    """The free index symbols of `e`: indices of entries and deltas not bound by a Sum."""
    if isinstance(e, sp.Indexed):
        return {i for i in e.indices if isinstance(i, sp.Symbol)}
    if isinstance(e, sp.KroneckerDelta):
        return {i for i in e.args if isinstance(i, sp.Symbol)}
    if isinstance(e, sp.Sum):  # the limits' bounds are dimensions, not indices
        return _free(e.function) - {limit[0] for limit in e.limits}
    return set().union(*map(_free, e.args))


def _tighten(e: sp.Sum) -> sp.Expr:
    """`e` with the factors free of each summation index pulled out of that sum."""
    limit = e.limits[-1]  # the outermost sum
    body = e.function if len(e.limits) == 1 else _tighten(sp.Sum(e.function, *e.limits[:-1]))
    factors = sp.Mul.make_args(body)
    out = [f for f in factors if limit[0] not in _free(f)]
    return sp.Mul(*out) * sp.Sum(sp.Mul(*[f for f in factors if f not in out]), limit)


def _transposes(m: sp.Basic) -> int:
    return sum(isinstance(a, Transpose) for a in sp.preorder_traversal(m))


def _mm(*factors: Any) -> sp.MatrixExpr:
    """A matrix product that keeps a transposed sum (Ψ − Δ)ᵀ whole."""
    return sp.MatMul(*factors, evaluate=not any(isinstance(f, Transpose) for f in factors))


def _hadamard(ms: list[sp.MatrixExpr]) -> sp.MatrixExpr | None:
    return None if not ms else ms[0] if len(ms) == 1 else sp.HadamardProduct(*ms)


def _has_entry(e: sp.Basic) -> bool:
    return bool(e.atoms(sp.Indexed, sp.KroneckerDelta, sp.Sum))


def _is_delta(e: sp.Basic, x: sp.Symbol | None, y: sp.Symbol | None) -> bool:
    return isinstance(e, sp.KroneckerDelta) and None not in (x, y) and set(e.args) == {x, y}


class _Converter:
    def __init__(self, expr: sp.Expr, spec: Any) -> None:
        self.shapes: dict = spec.shapes
        self.dims: dict[sp.Symbol, sp.Expr] = {}
        self._active: set[sp.Sum] = set()
        self._infer_dims(expr, getattr(spec, "index_range", None) or {})

    def _infer_dims(self, expr: sp.Expr, fallback: dict) -> None:
        """Index ranges from the entries and sums of `expr`, then δ pairs, then `fallback`."""
        found: list[tuple[sp.Symbol, sp.Expr]] = []
        for entry in expr.atoms(sp.Indexed):
            shape = self.shapes.get(entry.base)
            if shape is None or len(shape) != len(entry.indices):
                raise DerivationError(f"{entry}: {entry.base} has no shape with {len(entry.indices)} indices")
            found += [(i, dim) for i, dim in zip(entry.indices, shape) if isinstance(i, sp.Symbol)]
        for total in expr.atoms(sp.Sum):
            if any(low != 1 for _, low, _ in total.limits):
                raise DerivationError(f"{total}: sums must start at 1")
            found += [(var, high) for var, _, high in total.limits]
        for index, dim in found:
            if self.dims.setdefault(index, dim) != dim:
                raise DerivationError(f"index {index} runs over both {self.dims[index]} and {dim}")
        pairs = [d.args for d in expr.atoms(sp.KroneckerDelta)]
        for _ in pairs:  # δ_ij ties the ranges of i and j
            for a, b in pairs:
                if b in self.dims:
                    self.dims.setdefault(a, self.dims[b])
                if a in self.dims:
                    self.dims.setdefault(b, self.dims[a])
        for index, dim in fallback.items():
            self.dims.setdefault(index, dim)

    def size(self, index: sp.Symbol | None) -> sp.Expr:
        return sp.Integer(1) if index is None else self.dims[index]

    def matrix(self, base: sp.IndexedBase) -> sp.MatrixSymbol:
        shape = self.shapes[base]
        return sp.MatrixSymbol(str(base.label), shape[0], shape[1] if len(shape) == 2 else 1)

    def broadcast(self, p: Piece, x: sp.Symbol | None, y: sp.Symbol | None,
                  rows: bool, cols: bool) -> Piece:
        """`p` stretched with ones to span the rows of `x` (if `rows`) and columns of `y` (if `cols`)."""
        if not isinstance(p, sp.MatrixExpr):
            shape = (self.size(x) if rows else 1, self.size(y) if cols else 1)
            return p if not (rows or cols) else p * sp.OneMatrix(*shape)
        if rows and p.rows == 1 and self.size(x) != 1:
            p = sp.OneMatrix(self.size(x), 1) * p
        if cols and p.cols == 1 and self.size(y) != 1:
            p = p * sp.OneMatrix(1, self.size(y))
        return p

    def conv(self, e: sp.Expr, x: sp.Symbol | None, y: sp.Symbol | None) -> Piece:
        """A piece whose (x, y) entry is `e`; rows/columns only along the indices `e` carries."""
        if not _has_entry(e):
            return e
        if not _free(e) <= {x, y} - {None}:
            raise DerivationError(f"{e}: free indices {sorted(map(str, _free(e)))} are not among {x}, {y}")
        if isinstance(e, sp.Indexed):
            return self._entry(e, x, y)
        if _is_delta(e, x, y):
            return sp.Identity(self.size(x))
        if isinstance(e, sp.Add):
            return self._add(e, x, y)
        if isinstance(e, sp.Mul):
            return self._mul(e, x, y)
        if isinstance(e, sp.Sum):
            return self._sum(e, x, y)
        if isinstance(e, sp.Pow) and not _has_entry(e.exp):
            return sp.HadamardPower(self._as_matrix(self.conv(e.base, x, y)), e.exp)
        if isinstance(e, Iverson) and isinstance(e.condition, Relational):
            return self._indicator(e.condition, x, y)
        if isinstance(e, sp.Function) and len(e.args) == 1:
            inner, z = self._as_matrix(self.conv(e.args[0], x, y)), sp.Dummy("z")
            return ElementwiseApplyFunction(sp.Lambda(z, e.func(z)), inner)
        raise DerivationError(f"no matrix form known for the term {e}")

    def _indicator(self, relation: Relational, x: sp.Symbol | None, y: sp.Symbol | None) -> Piece:
        """[a > c] entry-wise: the indicator matrix 1[A > c] (a − b against 0 when both sides hold entries)."""
        lhs, rhs = relation.lhs, relation.rhs
        if _has_entry(rhs):
            lhs, rhs = lhs - rhs, sp.S.Zero
        inner, z = self._as_matrix(self.conv(lhs, x, y)), sp.Dummy("z", real=True)
        return ElementwiseApplyFunction(sp.Lambda(z, Iverson(relation.func(z, rhs))), inner)

    def _as_matrix(self, p: Piece) -> sp.MatrixExpr:
        return p if isinstance(p, sp.MatrixExpr) else p * sp.OneMatrix(1, 1)

    def _entry(self, e: sp.Indexed, x: sp.Symbol | None, y: sp.Symbol | None) -> sp.MatrixExpr:
        m = self.matrix(e.base)
        idx = tuple(e.indices)
        if len(idx) == 1 and idx[0] in {x, y} - {None}:
            return m if idx[0] == x else m.T
        if len(idx) == 2 and idx in ((x, y), (y, x)):
            return m if idx == (x, y) else m.T
        raise DerivationError(f"no matrix form known for the entry {e} (rows {x}, columns {y})")

    def _add(self, e: sp.Add, x: sp.Symbol | None, y: sp.Symbol | None, flip: bool = True) -> Piece:
        pieces = [self.conv(t, x, y) for t in e.args]
        if not any(isinstance(p, sp.MatrixExpr) for p in pieces):
            return sp.Add(*pieces)
        rows, cols = x in _free(e), y in _free(e)
        total = sp.MatAdd(*[self._as_matrix(self.broadcast(p, x, y, rows, cols)) for p in pieces])
        if flip and rows and cols:  # Ψᵀ − Δᵀ reads better as (Ψ − Δ)ᵀ
            other = self._add(e, y, x, flip=False)
            if _transposes(other) + 1 < _transposes(total):
                return Transpose(other)
        return total

    def _mul(self, e: sp.Mul, x: sp.Symbol | None, y: sp.Symbol | None) -> Piece:
        factors = list(e.args)
        for k, f in enumerate(factors):  # distribute over a sum holding δ_xy
            if isinstance(f, sp.Add) and any(_is_delta(u, x, y) for t in f.args for u in sp.Mul.make_args(t)):
                rest = factors[:k] + factors[k + 1:]
                return self.conv(sp.Add(*[sp.Mul(*rest, t) for t in f.args]), x, y)
        deltas = [f for f in factors if _is_delta(f, x, y)]
        if deltas:  # δ_xy f(x, y) = diag(f(x, x))
            rest = sp.Mul(*[f for f in factors if f is not deltas[0]]).subs(y, x)
            p = self.conv(rest, x, None)
            if isinstance(p, sp.MatrixExpr):
                return DiagMatrix(self.broadcast(p, x, None, True, False))
            return p * sp.Identity(self.size(x))
        return self.combine([self.conv(f, x, y) for f in factors], x, y)

    def combine(self, pieces: Iterable[Piece], x: sp.Symbol | None, y: sp.Symbol | None) -> Piece:
        """The entrywise product of pieces that are entries at (x, y)."""
        coeff: sp.Expr = sp.Integer(1)
        groups: dict[tuple[bool, bool], list[sp.MatrixExpr]] = {}
        for p in pieces:
            if isinstance(p, sp.MatrixExpr):
                groups.setdefault((p.rows != 1, p.cols != 1), []).append(p)
            else:
                coeff *= p
        both, col, row, one = (_hadamard(groups.get(k, [])) for k in
                               ((True, True), (True, False), (False, True), (False, False)))
        if both is not None:
            m = both if col is None else DiagMatrix(col) * both
            m = m if row is None else m * DiagMatrix(row)
        elif col is not None and row is not None:
            m = col * row
        else:
            m = col if col is not None else row
        if one is not None:
            if m is None or m.cols == 1:
                m = one if m is None else m * one
            elif m.rows == 1:
                m = one * m
            else:
                m = sp.HadamardProduct(m, self.broadcast(one, x, y, True, True))
        return coeff if m is None else m if coeff == 1 else _mm(coeff, m)

    def _sum(self, e: sp.Sum, x: sp.Symbol | None, y: sp.Symbol | None) -> Piece:
        tight = _tighten(e)
        if tight != e:
            return self.conv(tight, x, y)
        if e in self._active:
            raise DerivationError(f"{e}: no order of the sums gives a matrix form")
        self._active.add(e)
        try:
            return self._contract(e, x, y)
        finally:
            self._active.discard(e)

    def _contract(self, e: sp.Sum, x: sp.Symbol | None, y: sp.Symbol | None) -> Piece:
        """Σ_b over the outermost limit b of `e` as a product of matrices."""
        b, _, size = e.limits[-1]
        if b in (x, y):
            raise DerivationError(f"{e}: the summation index {b} is also a free index")
        body = e.function if len(e.limits) == 1 else sp.Sum(e.function, *e.limits[:-1])
        factors = [_tighten(f) if isinstance(f, sp.Sum) else f for f in sp.Mul.make_args(body)]
        factors = list(sp.Mul.make_args(sp.Mul(*factors)))
        for f in factors:  # Σ_b δ_bt f(b) = f(t)
            if isinstance(f, sp.KroneckerDelta) and b in f.args and len(set(f.args)) == 2:
                other = [a for a in f.args if a != b][0]
                return self.conv(sp.Mul(*[g for g in factors if g is not f]).subs(b, other), x, y)
        outer = [f for f in factors if b not in _free(f)]
        left = [f for f in factors if b in _free(f) and x in _free(f)]
        right = [f for f in factors if b in _free(f) and y in _free(f)]
        alone = [f for f in factors if _free(f) == {b}]
        for f in left:
            if f in right and isinstance(f, sp.Add):  # Σ_b (u + w) g = Σ_b u g + Σ_b w g
                rest = [g for g in factors if g is not f]
                return self.conv(sp.Add(*[sp.Sum(sp.Mul(t, *rest), (b, 1, size)) for t in f.args]), x, y)
            bound = {lim[0] for lim in f.limits} if isinstance(f, sp.Sum) else set()
            if f in right and bound and not any(bound & _free(g) for g in factors if g is not f):
                rest = [g for g in factors if g is not f]  # Σ_b Σ_c u g = Σ_c Σ_b u g
                return self.conv(sp.Sum(sp.Sum(sp.Mul(f.function, *rest), (b, 1, size)), *f.limits), x, y)
            if f in right:
                raise DerivationError(f"{e}: the factor {f} carries three indices {x}, {b}, {y}")
        if not left and not right and len(alone) >= 2:
            left, alone = alone[:1], alone[1:]
        mid = self.conv(sp.Mul(*alone), b, None) if alone else None
        if mid is not None and not isinstance(mid, sp.MatrixExpr):
            mid = mid * sp.OneMatrix(size, 1)
        lhs = self._as_matrix(self.conv(sp.Mul(*left), x, b)) if left else None
        rhs = self._as_matrix(self.conv(sp.Mul(*right), b, y)) if right else None
        if lhs is not None and rhs is not None:
            prod = _mm(lhs, DiagMatrix(mid), rhs) if mid is not None else _mm(lhs, rhs)
        elif lhs is not None:
            prod = _mm(lhs, mid if mid is not None else sp.OneMatrix(size, 1))
        elif rhs is not None:
            prod = _mm(mid.T if mid is not None else sp.OneMatrix(1, size), rhs)
        elif mid is not None:
            prod = sp.OneMatrix(1, size) * mid
        else:
            prod = size
        return self.combine([self.conv(f, x, y) for f in outer] + [prod], x, y)
