"""The values `derive.parse` computes with: guarded SymPy scalars, scaled ones, and matrix expressions.

A value is a SymPy expression (a scalar, or an entry in index notation), an
`Ambi` (the literal 1, or c·1: a scalar until it meets a matrix, then a column
of ones), or a `Mat` (a matrix expression whose shape is a pair of dims or
unknowns, unified as in type inference: `I - 1 σᵀ` makes both ones and I n×n).
A `Mat` becomes an index expression only in `entry`, once the free indices
are known: products become sums over fresh indices, Iᵢⱼ = δᵢⱼ.

Every SymPy construction goes through `Algebra`, which estimates the size of
numbers before SymPy evaluates them (`9^9^9`, `2^(10^10)`, products of roots
of big integers) and turns undefined values (1/0, log 0) into ParseErrors.
"""
from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, NoReturn

import sympy as sp

from ..limits import Limits
from ..problem.spec import Iverson
from .lexer import ParseError

ONE = sp.Integer(1)
UNDEFINED = frozenset((sp.zoo, sp.nan, sp.oo, -sp.oo))  # a set: membership by hash, not a SymPy == each
_COUNTER = itertools.count(1)
FRESH_LETTERS = "pqrsuvwabcdefghtoxyz"


@dataclass(frozen=True)
class Var:
    """An unknown dimension."""

    id: int

    def __repr__(self) -> str:
        return "?"


class Shapes:
    """Union-find over dims: a Var is bound to another Var, a dim Symbol, or 1."""

    def __init__(self, parent: dict | None = None):
        self.parent: dict = dict(parent or {})

    def new(self) -> Var:
        return Var(next(_COUNTER))

    def find(self, d):
        while isinstance(d, Var) and d in self.parent:
            d = self.parent[d]
        return d

    def unify(self, a, b) -> bool:
        a, b = self.find(a), self.find(b)
        if a == b:
            return True
        if isinstance(a, Var):
            self.parent[a] = b
            return True
        if isinstance(b, Var):
            self.parent[b] = a
            return True
        return False

    def copy(self) -> Shapes:
        return Shapes(self.parent)

    def show(self, d) -> str:
        d = self.find(d)
        return "?" if isinstance(d, Var) else str(d)


@dataclass(frozen=True)
class Ambi:
    """The literal 1 times a scalar: a scalar, or that scalar times a ones matrix next to a matrix."""

    coeff: sp.Expr


# -- matrix expressions ------------------------------------------------------------------

@dataclass(eq=False)
class Mat:
    rows: Any
    cols: Any
    label: str = field(default="", init=False)

    def entry(self, ctx: EntryContext, r, c) -> sp.Expr:
        raise NotImplementedError


@lru_cache(maxsize=8192)
def entry_of(base: sp.IndexedBase, idx: tuple) -> sp.Indexed:
    """base[idx], made once: SymPy deduces an Indexed's assumptions each time one is built."""
    return base[idx]


@dataclass(eq=False)
class Base(Mat):
    base: sp.IndexedBase

    def entry(self, ctx, r, c):
        idx = [i for i, d in ((r, self.rows), (c, self.cols)) if not (d == ONE and i is None)]
        return entry_of(self.base, tuple(idx)) if idx else self.base


@dataclass(eq=False)
class Ones(Mat):
    def entry(self, ctx, r, c):
        return ONE


@dataclass(eq=False)
class Identity(Mat):
    def entry(self, ctx, r, c):
        return ONE if r is None and c is None else sp.KroneckerDelta(r, c)


@dataclass(eq=False)
class Transpose(Mat):
    arg: Mat

    def entry(self, ctx, r, c):
        return self.arg.entry(ctx, c, r)


@dataclass(eq=False)
class MatMul(Mat):
    left: Mat
    right: Mat

    def entry(self, ctx, r, c):
        inner = ctx.dim(self.left.cols)
        if inner == ONE:
            return ctx.alg.smul(self.left.entry(ctx, r, None), self.right.entry(ctx, None, c))
        q = ctx.allocate(inner)
        return sp.Sum(ctx.alg.smul(self.left.entry(ctx, r, q), self.right.entry(ctx, q, c)), (q, 1, inner))


@dataclass(eq=False)
class Hadamard(Mat):
    args: tuple = ()

    def entry(self, ctx, r, c):
        out = ONE
        for a in self.args:
            out = ctx.alg.smul(out, a.entry(ctx, r, c))
        return out


@dataclass(eq=False)
class MatAdd(Mat):
    terms: tuple = ()

    def entry(self, ctx, r, c):
        return ctx.alg.sadd([t.entry(ctx, r, c) for t in self.terms])


@dataclass(eq=False)
class Scale(Mat):
    coeff: sp.Expr
    arg: Mat

    def entry(self, ctx, r, c):
        return ctx.alg.smul(self.coeff, self.arg.entry(ctx, r, c))


@dataclass(eq=False)
class Diag(Mat):
    arg: Mat

    def entry(self, ctx, r, c):
        column = ctx.dim(self.arg.cols) == ONE
        value = self.arg.entry(ctx, r, None) if column else self.arg.entry(ctx, None, r)
        return ctx.alg.smul(value, ONE if r is None else sp.KroneckerDelta(r, c))


@dataclass(eq=False)
class Elementwise(Mat):
    func: Any
    arg: Mat

    def entry(self, ctx, r, c):
        return ctx.alg.apply(self.func, self.arg.entry(ctx, r, c), None)


@dataclass(eq=False)
class HadamardPow(Mat):
    arg: Mat
    exp: sp.Expr = ONE

    def entry(self, ctx, r, c):
        return ctx.alg.spow(self.arg.entry(ctx, r, c), self.exp, None)


@dataclass(eq=False)
class SumAll(Mat):
    arg: Mat

    def entry(self, ctx, r, c):
        rows, cols = ctx.dim(self.arg.rows), ctx.dim(self.arg.cols)
        p = None if rows == ONE else ctx.allocate(rows)
        q = None if cols == ONE else ctx.allocate(cols)
        out = self.arg.entry(ctx, p, q)
        for index, dim in ((q, cols), (p, rows)):
            if index is not None:
                out = sp.Sum(out, (index, 1, dim))
        return out


class EntryContext:
    """Turns a `Mat` into index notation: resolves dims (unknowns become 1) and names fresh indices."""

    def __init__(self, alg: Algebra, shapes: Shapes, vocab, used: Iterable, letters: Iterable):
        self.alg, self.shapes, self.vocab = alg, shapes, vocab
        self.used = set(used)
        self.letters = set(letters)

    def dim(self, d):
        d = self.shapes.find(d)
        if isinstance(d, Var):
            self.shapes.unify(d, ONE)
            return ONE
        return d

    def allocate(self, dim) -> sp.Symbol:
        """A summation index over 1..dim: the spec's own letter for that range when unused, else a fresh one."""
        names = {s.name for s in self.used}
        for index in self.vocab.indices_of_dim(dim):
            if index not in self.used and index.name not in self.letters:
                self.used.add(index)
                return index
        for letter in FRESH_LETTERS:
            if letter not in names and letter not in self.letters and letter not in self.vocab.reserved:
                index = sp.Symbol(letter, integer=True)
                self.used.add(index)
                return index
        index = sp.Dummy("q", integer=True)
        self.used.add(index)
        return index


def _digits(r: sp.Rational) -> float:
    return (abs(r.p).bit_length() + abs(r.q).bit_length()) * 0.30103


class Algebra:
    """Guarded construction of SymPy expressions and of matrix values."""

    def __init__(self, limits: Limits, text: str, shapes: Shapes):
        self.limits, self.text, self.shapes = limits, text, shapes
        self.deferred: dict[sp.Dummy, Mat] = {}

    def fail(self, message: str, pos: int | None, hint: str = "") -> NoReturn:
        raise ParseError(message, pos, self.text, hint)

    # -- scalars -----------------------------------------------------------------------
    def checked(self, result, pos):
        if result in UNDEFINED or any(a in UNDEFINED for a in result.args):
            self.fail("the value is undefined (division by zero, log 0 or similar)", pos)
        return result

    def smul(self, a, b, pos=None):
        return self.smul_many([a, b], pos)

    def smul_many(self, terms, pos=None):
        factors = [f for term in terms for f in sp.Mul.make_args(term)]
        if sum(_digits(f) for f in factors if f.is_Rational) > self.limits.max_result_digits:
            self.fail("a number in this product is too large", pos)
        radicands = {f.base for f in factors
                     if f.is_Pow and f.base.is_Rational and f.exp.is_Rational and not f.exp.is_Integer}
        roots = sum(_digits(r) for r in radicands)  # SymPy multiplies distinct radicands and factors them
        if roots > self.limits.max_root_digits:
            self.fail("the numbers under roots in this product are too large", pos)
        return self.checked(sp.Mul(*terms), pos)

    def scale(self, value, scalars: list, pos):
        """`value` times the product of `scalars`."""
        if not scalars:
            return value
        if isinstance(value, sp.Basic):
            return self.smul_many([value, *scalars], pos)
        if isinstance(value, Ambi):
            return Ambi(self.smul_many([value.coeff, *scalars], pos))
        if self.known_scalar(value):
            return self.smul_many([self.scalar(value, pos), *scalars], pos)
        out = Scale(value.rows, value.cols, self.smul_many(scalars, pos), value)
        out.label = value.label
        return out

    def sadd(self, terms, pos=None):
        parts = [t for term in terms for t in sp.Add.make_args(term)]
        if sum(_digits(t) for t in parts if t.is_Rational) > self.limits.max_result_digits:
            self.fail("a number in this sum is too large", pos)
        return self.checked(sp.Add(*terms), pos)

    def sdiv(self, a, b, pos=None):
        if b.is_zero:
            self.fail("division by zero", pos)
        return self.smul(a, self.spow(b, -ONE, pos), pos)

    def spow(self, base, exp, pos=None):
        lim = self.limits
        if exp.is_Rational:
            if abs(exp.p) > lim.max_exponent * exp.q or exp.q > lim.max_exponent:
                self.fail(f"the exponent is too large (the limit is {lim.max_exponent})", pos)
            if base.is_zero and exp.is_negative:
                self.fail("division by zero", pos)
            if not base.free_symbols:
                numbers = base.atoms(sp.Rational)
                estimate = abs(exp) * sum(_digits(r) for r in numbers)
                if estimate > lim.max_result_digits:
                    self.fail(f"the power would have about {int(estimate)} digits "
                              f"(the limit is {lim.max_result_digits})", pos)
                if not exp.is_Integer and any(_digits(r) > lim.max_root_digits for r in numbers):
                    self.fail("a root of a number this large is not supported", pos)
        result = self.checked(sp.Pow(base, exp), pos)
        if result.is_Pow and result.exp.is_Rational and abs(result.exp) > lim.max_exponent:
            self.fail(f"the exponent is too large (the limit is {lim.max_exponent})", pos)
        return result

    def apply(self, func, arg, pos):
        try:
            result = func(arg)
        except (TypeError, ValueError, ArithmeticError, AttributeError) as exc:
            self.fail(f"cannot apply this function here ({type(exc).__name__})", pos)
        return self.checked(result, pos)

    # -- values ------------------------------------------------------------------------
    def known_scalar(self, m: Mat) -> bool:
        return self.shapes.find(m.rows) == ONE and self.shapes.find(m.cols) == ONE

    def describe(self, m: Mat) -> str:
        label = m.label if len(m.label) <= 40 else m.label[:37] + "..."
        return f"{label} ({self.shapes.show(m.rows)}×{self.shapes.show(m.cols)})".strip()

    def scalar(self, v, pos, what="a scalar"):
        if isinstance(v, Ambi):
            return v.coeff
        if isinstance(v, Mat):
            if not (self.shapes.unify(v.rows, ONE) and self.shapes.unify(v.cols, ONE)):
                self.fail(f"{self.describe(v)} is a matrix where {what} is needed", pos)
            dummy = sp.Dummy("m")
            self.deferred[dummy] = v
            return dummy
        return v

    def mat(self, v) -> Mat:
        if isinstance(v, Mat):
            return v
        ones = Ones(self.shapes.new(), self.shapes.new())
        ones.label = "1"
        if v.coeff == ONE:
            return ones
        out = Scale(ones.rows, ones.cols, v.coeff, ones)
        out.label = f"{v.coeff}·1"
        return out

    def mul(self, a, b, pos):
        if isinstance(a, Mat) and self.known_scalar(a):
            a = self.scalar(a, pos)
        if isinstance(b, Mat) and self.known_scalar(b):
            b = self.scalar(b, pos)
        if not isinstance(a, Mat) and not isinstance(b, Mat):
            if isinstance(a, Ambi) or isinstance(b, Ambi):
                return Ambi(self.smul(self.scalar(a, pos), self.scalar(b, pos), pos))
            return self.smul(a, b, pos)
        if isinstance(a, sp.Basic):
            return Scale(b.rows, b.cols, a, b)
        if isinstance(b, sp.Basic):
            return Scale(a.rows, a.cols, b, a)
        a, b = self.mat(a), self.mat(b)
        if not self.shapes.unify(a.cols, b.rows):
            same = self.shapes.copy()
            entrywise = same.unify(a.rows, b.rows) and same.unify(a.cols, b.cols)
            self.fail(f"cannot multiply {self.describe(a)} by {self.describe(b)}", pos,
                      "for the entry-wise product write ⊙ or .*" if entrywise else "")
        return MatMul(a.rows, b.cols, a, b)

    def div(self, a, b, pos):
        if isinstance(b, Mat) and not self.known_scalar(b):
            self.fail(f"cannot divide by the matrix {self.describe(b)}", pos)
        b = self.scalar(b, pos)
        if isinstance(a, Mat) and not self.known_scalar(a):
            return Scale(a.rows, a.cols, self.sdiv(ONE, b, pos), a)
        return self.sdiv(self.scalar(a, pos), b, pos)

    def hadamard(self, a, b, pos):
        if not isinstance(a, Mat) and not isinstance(b, Mat):
            return self.smul(self.scalar(a, pos), self.scalar(b, pos), pos)
        if isinstance(a, sp.Basic):
            return Scale(b.rows, b.cols, a, b)
        if isinstance(b, sp.Basic):
            return Scale(a.rows, a.cols, b, a)
        a, b = self.mat(a), self.mat(b)
        if not (self.shapes.unify(a.rows, b.rows) and self.shapes.unify(a.cols, b.cols)):
            self.fail(f"cannot take the elementwise product of {self.describe(a)} and {self.describe(b)}", pos)
        args = (a.args if isinstance(a, Hadamard) else (a,)) + (b.args if isinstance(b, Hadamard) else (b,))
        return Hadamard(a.rows, a.cols, args)

    def add(self, terms: list, positions: list):
        mats = [t for t in terms if isinstance(t, Mat)]
        if all(self.known_scalar(m) for m in mats):
            return self.sadd([self.scalar(t, p) for t, p in zip(terms, positions)], positions[0])
        first = mats[0]
        out: list[Mat] = []
        for term, pos in zip(terms, positions):
            if isinstance(term, sp.Basic):
                self.fail(f"cannot add a scalar to the matrix {self.describe(first)}", pos)
            term = self.mat(term)
            if not (self.shapes.unify(term.rows, first.rows) and self.shapes.unify(term.cols, first.cols)):
                inner = any(self.inner_product(m) for m in (first, term))
                self.fail(f"cannot add {self.describe(first)} and {self.describe(term)}", pos,
                          "a product uᵀv of two vectors is a number; their outer product is u vᵀ" if inner else "")
            out.extend(term.terms if isinstance(term, MatAdd) else (term,))
        return MatAdd(first.rows, first.cols, tuple(out))

    def inner_product(self, m: Mat) -> bool:
        """Is `m` (or −m, c·m) a 1×1 product: uᵀv, where u vᵀ may have been meant?"""
        while isinstance(m, Scale):
            m = m.arg
        return isinstance(m, MatMul) and self.known_scalar(m)

    def neg(self, v, pos):
        if isinstance(v, Ambi):
            return Ambi(self.smul(-ONE, v.coeff, pos))
        if isinstance(v, Mat):
            out = Scale(v.rows, v.cols, -ONE, v)
            out.label = "-" + v.label
            return out
        return self.smul(-ONE, v, pos)

    def power(self, base, exp, pos):
        exp = self.scalar(exp, pos, "an exponent")
        if isinstance(base, Mat) and not self.known_scalar(base):
            self.fail(f"{self.describe(base)} is a matrix: write an elementwise power with ⊙ or "
                      f"HadamardPower(·, 2), a transpose with ^T", pos)
        return self.spow(self.scalar(base, pos), exp, pos)

    def transpose(self, v, pos):
        if isinstance(v, sp.Basic):
            return v
        m = self.mat(v)
        if isinstance(m, Transpose):
            return m.arg
        return Transpose(m.cols, m.rows, m)

    def elementwise(self, func, arg, pos):
        if isinstance(arg, Mat) and not self.known_scalar(arg):
            return Elementwise(arg.rows, arg.cols, func, arg)
        return self.apply(func, self.scalar(arg, pos), pos)

    def indicator(self, relation: str, left, right, pos):
        """[left relation right]: a scalar, or entry-wise for a matrix compared with a scalar (or two matrices)."""
        compare = {">": sp.Gt, "<": sp.Lt, ">=": sp.Ge, "<=": sp.Le, "==": sp.Eq, "!=": sp.Ne}[relation]
        if isinstance(left, Mat) and not self.known_scalar(left) and isinstance(right, Mat) \
                and not self.known_scalar(right):
            left, right = self.add([left, self.neg(right, pos)], [pos, pos]), sp.S.Zero
        if isinstance(right, Mat) and not self.known_scalar(right):  # 0 < Z: Z > 0
            left, right = right, left
            compare = {sp.Gt: sp.Lt, sp.Lt: sp.Gt, sp.Ge: sp.Le, sp.Le: sp.Ge}.get(compare, compare)
        bound = self.scalar(right, pos)
        return self.elementwise(lambda entry: Iverson(compare(entry, bound)), left, pos)

    def hadamard_power(self, base, exp, pos):
        exp = self.scalar(exp, pos, "an exponent")
        if not isinstance(base, Mat):
            return self.spow(self.scalar(base, pos), exp, pos)
        if not (exp.is_Rational and abs(exp) <= self.limits.max_exponent):
            self.fail("an elementwise power needs a numeric exponent", pos)
        return HadamardPow(base.rows, base.cols, base, exp)

    def diag(self, v, pos):
        if not isinstance(v, (Mat, Ambi)):
            self.fail("diag(...) needs a vector", pos)
        m = self.mat(v)
        rows, cols = self.shapes.find(m.rows), self.shapes.find(m.cols)
        if rows != ONE and cols != ONE and not isinstance(rows, Var) and not isinstance(cols, Var):
            self.fail(f"diag(...) needs a vector, not {self.describe(m)}", pos)
        if not self.shapes.unify(m.cols, ONE) and not self.shapes.unify(m.rows, ONE):
            self.fail(f"diag(...) needs a vector, not {self.describe(m)}", pos)
        size = m.rows if self.shapes.find(m.cols) == ONE else m.cols
        return Diag(size, size, m)

    def sum_all(self, v, pos):
        if not isinstance(v, Mat):
            self.fail("sum(...) of a scalar needs a summation index: sum(x_k, k)", pos)
        return SumAll(ONE, ONE, v)

    # -- entries -------------------------------------------------------------------------
    def materialise(self, ctx: EntryContext, value, r=None, c=None):
        """The index expression of `value` at (r, c), with every deferred 1×1 matrix replaced by its entry."""
        out = value.entry(ctx, r, c) if isinstance(value, Mat) else value
        for _ in range(len(self.deferred) + 1):
            pending = {d: m for d, m in self.deferred.items() if out.has(d)}
            if not pending:
                return out
            out = out.xreplace({d: m.entry(ctx, None, None) for d, m in pending.items()})
        return out

