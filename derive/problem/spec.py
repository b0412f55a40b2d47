"""The declarative vocabulary of a problem spec (imported by spec files as `derive.spec`).

A spec file in `problems/` (or a course folder) builds one `Spec`: its symbols (with index counts,
display names and the aliases a student may type), its definitions, its
assumptions, and its parts (a target to derive, a reference answer as a
cross-check, known wrong answers). A spec holds no derivation steps and no
LaTeX of a derivation: the engine derives those from the definitions.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import sympy as sp


class D(sp.Function):
    """An unevaluated partial derivative ∂f/∂v, holding the bases in `fixed` constant.

    `D(f, v)` or `D(f, v, Tuple(U, ...))`. SymPy's own `Derivative` is not used:
    it evaluates, reorders and canonicalises in ways a step-by-step derivation
    must not, and its behaviour on Indexed/Sum expressions is unreliable.
    """

    nargs = (2, 3)
    is_commutative = True

    @property
    def expr(self) -> sp.Expr:
        return self.args[0]

    @property
    def wrt(self) -> sp.Expr:
        return self.args[1]

    @property
    def fixed(self) -> tuple:
        return tuple(self.args[2]) if len(self.args) == 3 else ()


_TURNED = {sp.StrictGreaterThan: sp.StrictLessThan, sp.GreaterThan: sp.LessThan,
           sp.StrictLessThan: sp.StrictGreaterThan, sp.LessThan: sp.GreaterThan}


def _unscaled(condition):
    """`c·x > 0` as `x > 0` (c > 0) or `x < 0` (c < 0), for a number c ≠ ±1: [9z/10 > 0] reads [z > 0];
    None when there is nothing to take out."""
    if not isinstance(condition, tuple(_TURNED)) or condition.rhs != 0:
        return None
    coeff, rest = condition.lhs.as_coeff_Mul()
    if not coeff.is_Rational or coeff in (0, 1) or rest.is_number:
        return None
    if coeff == -1 and not rest.is_Add:
        return None  # -z > 0 reads as it is written
    return (type(condition) if coeff > 0 else _TURNED[type(condition)])(rest, 0)


class Iverson(sp.Function):
    """The Iverson bracket [condition]: 1 where the condition holds, 0 where it does not.

    What the derivative of a kink is written with: ∂ max(0, z)/∂z = [z > 0],
    printed `[z > 0]` or `\\mathbb{1}[z > 0]`. Its own derivative is 0 away from
    the jump; the jump (where the two sides of the condition are equal) is a
    domain condition of any answer that holds one.
    """

    nargs = 1
    is_commutative = True
    is_real = True
    is_integer = True
    is_nonnegative = True

    @classmethod
    def eval(cls, condition):
        if condition is sp.true:
            return sp.S.One
        if condition is sp.false:
            return sp.S.Zero
        scaled = _unscaled(condition)
        return cls(scaled) if scaled is not None else None


    @property
    def condition(self) -> sp.Basic:
        return self.args[0]

    def _eval_power(self, exponent):
        if exponent.is_positive:  # [c]² = [c]
            return self
        return None

    def _eval_derivative(self, symbol):
        return sp.S.Zero  # away from the jump


def pending(expr: sp.Expr, wrt: sp.Expr, fixed=()) -> D:
    """∂expr/∂wrt holding the bases in `fixed` constant (one representation each)."""
    return D(expr, wrt, sp.Tuple(*fixed)) if fixed else D(expr, wrt)


@dataclass(frozen=True)
class Name:
    """How a symbol is shown and typed."""

    latex: str
    text: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Definition:
    """`lhs := body`; lhs is a Symbol, or an Indexed whose indices are the params."""

    lhs: sp.Expr
    params: tuple[sp.Symbol, ...]
    body: sp.Expr


@dataclass(frozen=True)
class FunctionInfo:
    """A scalar function: defined by a body (a Lambda) or generic (body None)."""

    func: type
    body: sp.Lambda | None
    derivative: type | None  # the generic derivative φ' of a generic φ


@dataclass(frozen=True)
class Assumption:
    """`lhs = rhs` for all values of `params` (free indices of lhs)."""

    lhs: sp.Expr
    rhs: sp.Expr
    text: str
    params: tuple[sp.Symbol, ...] = ()


@dataclass(frozen=True)
class Mistake:
    """A known wrong answer and the mistake it shows."""

    answer: sp.Expr
    why: str


@dataclass(frozen=True)
class Part:
    id: str
    statement: str
    target: sp.Expr
    reference: sp.Expr
    free: tuple[sp.Symbol, ...]
    matrix: bool
    mistakes: tuple[Mistake, ...]

    def _repr_latex_(self) -> str:
        """The question in a notebook (text with $…$ math, as the statement is written)."""
        return f"{self.id}: {self.statement}"


@dataclass
class Spec:
    """One problem: built by a spec file, read by the engine, renderers and tests."""

    id: str
    title: str
    source: str
    statement: str
    names: dict = field(default_factory=dict)
    index_range: dict = field(default_factory=dict)
    dim_values: dict = field(default_factory=dict)  # a dimension defined by others: M -> N - K + 1
    shapes: dict = field(default_factory=dict)
    samplers: dict = field(default_factory=dict)
    row_vectors: set = field(default_factory=set)  # vectors the statement calls row vectors (v D_x σ)
    labels: dict = field(default_factory=dict)  # a one-hot tensor -> the name of the labels it encodes (Δ -> y)
    definitions: dict = field(default_factory=dict)
    functions: dict = field(default_factory=dict)
    assumptions: list = field(default_factory=list)
    parts: list = field(default_factory=list)

    # -- symbols -----------------------------------------------------------
    def _name(self, key, name: str, latex: str | None, text: str | None, aliases) -> None:
        self.names[key] = Name(latex or name, text or name, tuple(aliases))

    def dim(self, name: str, latex: str | None = None, aliases=(), value: sp.Expr | None = None) -> sp.Symbol:
        """A dimension (vector length, batch size): a positive integer; `value=N - K + 1` defines it by others."""
        symbol = sp.Symbol(name, integer=True, positive=True)
        self._name(symbol, name, latex, None, aliases)
        if value is not None:
            self.dim_values[symbol] = sp.sympify(value)
        return symbol

    def indices(self, names: str, range: sp.Symbol) -> tuple[sp.Symbol, ...]:
        """Index letters running over 1..range."""
        found = sp.symbols(names, integer=True)
        found = found if isinstance(found, tuple) else (found,)
        for symbol in found:
            self.index_range[symbol] = range
            self._name(symbol, symbol.name, None, None, ())
        return found

    def scalar(self, name: str, latex: str | None = None, text: str | None = None,
               aliases=(), sample: str = "real", positive: bool = False) -> sp.Symbol:
        symbol = sp.Symbol(name, real=True, positive=positive or None)
        self._name(symbol, name, latex, text, aliases)
        self.shapes[symbol] = ()
        self.samplers[symbol] = sample
        return symbol

    def tensor(self, name: str, *shape: sp.Symbol, latex: str | None = None,
               text: str | None = None, aliases=(), sample: str = "real", labels: str | None = None,
               row: bool = False) -> sp.IndexedBase:
        """A vector (one dim) or matrix (two dims) of real entries. A one-hot tensor may name the class
        `labels` it encodes: with `labels="y"`, Δ_nk = [k = y_n] (Δ_k = [k = y] for a vector), and an
        answer may write the indicator for the entry. `row=True`: a vector the statement calls a row vector
        (an answer in matrix form may write it on the left: `v (diag(σ) − σσᵀ)`)."""
        if row and len(shape) != 1:
            raise ValueError(f"{name}: only a vector can be a row vector")
        base = sp.IndexedBase(name, real=True)
        self._name(base, name, latex, text, aliases)
        self.shapes[base] = tuple(shape)
        self.samplers[base] = sample
        if labels is not None:
            self.labels[base] = labels
        if row:
            self.row_vectors.add(base)
        return base

    def function(self, func, body: Callable | None = None, latex: str | None = None,
                 text: str | None = None, aliases=(), derivative_latex: str | None = None):
        """A scalar function: `body` defines it; without one it stays generic (φ)."""
        cls = sp.Function(func) if isinstance(func, str) else func
        name = cls.__name__
        self._name(cls, name, latex, text, aliases)
        derivative = None
        lam = None
        if body is None:
            derivative = sp.Function(name + "_prime")
            self._name(derivative, name + "'", derivative_latex or (latex or name) + "'",
                       (text or name) + "'", tuple(a + "'" for a in aliases))
        else:
            z = sp.Symbol("z", real=True)
            lam = sp.Lambda(z, body(z))
        self.functions[cls] = FunctionInfo(cls, lam, derivative)
        return cls

    # -- relations -----------------------------------------------------------
    def define(self, lhs: sp.Expr, body: sp.Expr) -> None:
        """`lhs := body`, lhs a declared Symbol or an Indexed over index symbols."""
        if isinstance(lhs, sp.Indexed):
            key, params = lhs.base, tuple(lhs.indices)
        else:
            key, params = lhs, ()
        self.definitions[key] = Definition(lhs, params, sp.sympify(body))

    def instance(self, lhs: sp.Indexed, replace: Callable) -> sp.Expr:
        """The definition of `lhs` with every entry x[k] of a base replaced by `replace(x, k)`."""
        body = self.definitions[lhs.base].body
        return body.replace(lambda e: isinstance(e, sp.Indexed),
                            lambda e: replace(e.base, *e.indices))

    def assume(self, lhs: sp.Expr, rhs, text: str, params=()) -> None:
        self.assumptions.append(Assumption(lhs, sp.sympify(rhs), text, tuple(params)))

    def part(self, id: str, statement: str, target: sp.Expr, reference: sp.Expr,
             free=(), matrix: bool = False, mistakes=()) -> None:
        self.parts.append(Part(id, statement, target, sp.sympify(reference), tuple(free),
                               matrix, tuple(Mistake(sp.sympify(a), why) for a, why in mistakes)))

    def _repr_latex_(self) -> str:
        """The problem in a notebook: its title, statement and parts (text with $…$ math)."""
        parts = "; ".join(f"{p.id}: {p.statement}" for p in self.parts)
        return f"{self.title} ({self.id}). {self.statement} Parts: {parts}"

    # -- queries ---------------------------------------------------------------
    def part_by_id(self, part_id: str) -> Part:
        for part in self.parts:
            if part.id == part_id:
                return part
        raise KeyError(part_id)

    def derivative(self, func):
        """The generic derivative φ' of a generic function φ (for references)."""
        return self.functions[func].derivative
