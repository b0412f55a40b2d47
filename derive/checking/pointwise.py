"""A side of a derivation valued at a point, its pending derivatives in forward mode, every step counted.

The steps checker (`steps.py`, `links.py`) compares two sides of a link at
random points. A side is an index expression that may hold pending
derivatives ∂f/∂v (`D`): its value at a point is found here by walking the
expression once, without building any SymPy tree. Sums are loops, a defined
quantity (σ_i, Z_2, a student's g) is valued through its definition and
remembered for the point, and ∂f/∂v is f valued in forward mode: every
value carries its derivative along v, the entries of v's tensor (and of what
the derivative holds fixed) count as independent variables, and every other
definition is followed through. A kink (max, |x|, [z > 0]) has its
derivative away from the kink; a point on it decides nothing (`OnJump`).

Two arithmetics, one walk (`Evaluation(..., dps)`):

* `FLOAT` (dps None): Python floats, for speed. It gives up (`Unsure`) where
  floats cannot be trusted to say what the exact value is: a domain error, an
  overflow, a complex value, a comparison too close to call;
* a precision in digits: exact `int`/`Fraction` while the values are
  rational, mpmath numbers at that precision after the first transcendental
  function (as `evaluate.Evaluator` does for answers). What the checker
  decides is decided here (`links.settle`).

Every node visited spends work (`limits.Budget`: 1 unit a node in floats,
more at higher precision): what runs out is counted work, the same on any
machine, not time.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import mpmath
import sympy as sp
from sympy.core.function import AppliedUndef, UndefinedFunction
from sympy.core.relational import Relational

from ..limits import MAX_EXPONENT, MAX_FACTORIAL, Budget
from ..problem.sampling import Point, stand_ins
from ..problem.spec import D, Iverson, Spec
from .dual import as_mp
from .evaluate import OnJump, Undefined

FLOAT = None  # the arithmetic of floats (a precision in digits otherwise)


class Unsure(Exception):
    """Floats cannot say what this value is (a domain error, an overflow, a near tie of a comparison): value it
    at a precision instead."""


def work_unit(dps: int | None) -> int:
    """Units of work one node costs: 1 in floats, more as the digits grow (mpmath's cost grows with them)."""
    return 1 if dps is None else 2 + dps // 40


@dataclass(frozen=True)
class Elementary:
    """An elementary function in both arithmetics, and its derivative in terms of its argument and value."""

    as_float: Any
    as_mp: Any
    rule_float: Any
    rule_mp: Any


def _sec(x):
    return 1 / math.cos(x)


def _csc(x):
    return 1 / math.sin(x)


def _cot(x):
    return 1 / math.tan(x)


ELEMENTARY: dict[type, Elementary] = {
    sp.exp: Elementary(math.exp, mpmath.exp, lambda x, f: f, lambda x, f: f),
    sp.log: Elementary(math.log, mpmath.log, lambda x, f: 1 / x, lambda x, f: 1 / x),
    sp.sin: Elementary(math.sin, mpmath.sin, lambda x, f: math.cos(x), lambda x, f: mpmath.cos(x)),
    sp.cos: Elementary(math.cos, mpmath.cos, lambda x, f: -math.sin(x), lambda x, f: -mpmath.sin(x)),
    sp.tan: Elementary(math.tan, mpmath.tan, lambda x, f: 1 + f * f, lambda x, f: 1 + f * f),
    sp.sec: Elementary(_sec, mpmath.sec, lambda x, f: f * math.tan(x), lambda x, f: f * mpmath.tan(x)),
    sp.csc: Elementary(_csc, mpmath.csc, lambda x, f: -f / math.tan(x), lambda x, f: -f * mpmath.cot(x)),
    sp.cot: Elementary(_cot, mpmath.cot, lambda x, f: -(1 + f * f), lambda x, f: -(1 + f * f)),
    sp.sinh: Elementary(math.sinh, mpmath.sinh, lambda x, f: math.cosh(x), lambda x, f: mpmath.cosh(x)),
    sp.cosh: Elementary(math.cosh, mpmath.cosh, lambda x, f: math.sinh(x), lambda x, f: mpmath.sinh(x)),
    sp.tanh: Elementary(math.tanh, mpmath.tanh, lambda x, f: 1 - f * f, lambda x, f: 1 - f * f),
    sp.sech: Elementary(lambda x: 1 / math.cosh(x), mpmath.sech, lambda x, f: -f * math.tanh(x),
                        lambda x, f: -f * mpmath.tanh(x)),
    sp.csch: Elementary(lambda x: 1 / math.sinh(x), mpmath.csch, lambda x, f: -f / math.tanh(x),
                        lambda x, f: -f * mpmath.coth(x)),
    sp.coth: Elementary(lambda x: 1 / math.tanh(x), mpmath.coth, lambda x, f: 1 - f * f, lambda x, f: 1 - f * f),
    sp.asin: Elementary(math.asin, mpmath.asin, lambda x, f: 1 / math.sqrt(1 - x * x),
                        lambda x, f: 1 / mpmath.sqrt(1 - x * x)),
    sp.acos: Elementary(math.acos, mpmath.acos, lambda x, f: -1 / math.sqrt(1 - x * x),
                        lambda x, f: -1 / mpmath.sqrt(1 - x * x)),
    sp.atan: Elementary(math.atan, mpmath.atan, lambda x, f: 1 / (1 + x * x), lambda x, f: 1 / (1 + x * x)),
    sp.asinh: Elementary(math.asinh, mpmath.asinh, lambda x, f: 1 / math.sqrt(x * x + 1),
                         lambda x, f: 1 / mpmath.sqrt(x * x + 1)),
    sp.acosh: Elementary(math.acosh, mpmath.acosh, lambda x, f: 1 / math.sqrt(x * x - 1),
                         lambda x, f: 1 / mpmath.sqrt(x * x - 1)),
    sp.atanh: Elementary(math.atanh, mpmath.atanh, lambda x, f: 1 / (1 - x * x), lambda x, f: 1 / (1 - x * x)),
    sp.erf: Elementary(math.erf, mpmath.erf, lambda x, f: 2 / math.sqrt(math.pi) * math.exp(-x * x),
                       lambda x, f: 2 / mpmath.sqrt(mpmath.pi) * mpmath.exp(-x * x)),
}

_U = sp.Dummy("u", real=True)
_BODIES: dict[tuple, sp.Expr] = {}


def stand_in_body(stand_in, order: int) -> sp.Expr:
    """A stand-in (order 0) or its second derivative (2) as a SymPy expression in `_U` (φ'' only where a
    derivative of φ' is asked for: built then)."""
    found = _BODIES.get((stand_in.name, order))
    if found is None:
        found = _BODIES[(stand_in.name, order)] = sp.diff(stand_in.expr(_U), _U, order)
    return found


class _ByNode:
    """A property of SymPy nodes, cached by the node object itself: SymPy's == between two equal trees that are
    not the same object compares their contents, which costs more than most properties (bounded)."""

    __slots__ = ("table", "compute")

    def __init__(self, compute):
        self.table: dict = {}
        self.compute = compute

    def __call__(self, node):
        hit = self.table.get(id(node))
        if hit is not None and hit[0] is node:
            return hit[1]
        if len(self.table) > 100_000:
            self.table.clear()
        value = self.compute(node)
        self.table[id(node)] = (node, value)  # the node kept alive: its id is not reused while it is here
        return value


#: the tensors and symbols an expression reads: what decides whether it depends on a variable
names_in = _ByNode(lambda expr: frozenset(node.base if isinstance(node, sp.Indexed) else node
                                          for node in sp.preorder_traversal(expr)
                                          if isinstance(node, (sp.Indexed, sp.Symbol))))
_has_derivative = _ByNode(lambda expr: expr.has(D))
#: an entry's base and indices (SymPy builds them anew each time)
_parts = _ByNode(lambda e: (e.base, tuple(e.indices)))
#: the free symbols of an expression in a fixed order (SymPy computes them anew each time)
_free_symbols = _ByNode(lambda expr: tuple(sorted(expr.free_symbols, key=str)))
#: is a condition's difference an integer (indices, sizes, labels): then its equality is no jump
_whole = _ByNode(lambda condition: bool((condition.lhs - condition.rhs).is_integer))


def reach(spec: Spec, variable, stop: frozenset) -> frozenset:
    """What depends on `variable` through the spec's definitions, the bases in `stop` (held as independent)
    not followed: `variable` itself and the defined quantities whose value changes with it."""
    found = {variable}
    changed = True
    while changed:
        changed = False
        for quantity, definition in spec.definitions.items():
            if quantity not in found and quantity not in stop and not found.isdisjoint(names_in(definition.body)):
                found.add(quantity)
                changed = True
    return frozenset(found)


ELEMENTARY_KIND, BODY, STAND_IN = "elementary", "body", "stand-in"


def _is_exact(value) -> bool:
    return type(value) is int or type(value) is Fraction


class PointState:
    """What is known at one point of a file's checking, kept across its links: the values of defined entries,
    of derivatives and of whole sides, for each arithmetic."""

    def __init__(self, spec: Spec, point: Point):
        self.spec = spec
        self.point = point
        self.floats = {key: float(value) for key, value in point.values.items()}
        self.entries: dict = {}  # (dps, base, idx) -> value
        self.tangents: dict = {}  # (dps, stop, base, idx) -> {(quantity, idx): (value, derivative)}
        self.derivatives: dict = {}  # (dps, node, bound) -> value
        self.sides: dict = {}  # (dps, expr) -> value or the exception it raised
        self.costs: dict = {}  # (dps, expr) -> the work it took
        self.stand_ins = stand_ins(spec, point.generic)
        self.reaches: dict = {}
        self._functions: dict = {}

    def resolve(self, func) -> tuple:
        """How a function is valued at this point: (ELEMENTARY_KIND, its rules), (BODY, its Lambda), (STAND_IN,
        (φ or φ', its derivative) as SymPy bodies in one variable) or (None, None); by the class's id, since the
        hash of a function class of SymPy's is slow."""
        hit = self._functions.get(id(func))
        if hit is not None and hit[0] is func:
            return hit[1]
        info = self.spec.functions.get(func)
        stand = self.stand_ins.get(func)
        if func in ELEMENTARY:
            found: tuple = (ELEMENTARY_KIND, ELEMENTARY[func])
        elif info is not None and info.body is not None:
            found = (BODY, info.body)
        elif stand is not None:  # φ, or φ' (False): valued from the stand-in's body in one variable
            found = (STAND_IN, (stand, func in self.spec.functions))
        else:
            found = (None, None)
        self._functions[id(func)] = (func, found)
        return found


class Evaluation:
    """Values of expressions at one point in one arithmetic (`dps` digits, or FLOAT), spending `budget`."""

    def __init__(self, state: PointState, dps: int | None, budget: Budget):
        self.state = state
        self.spec = state.spec
        self.env = state.point
        self.dps = dps
        self.budget = budget
        self.unit = work_unit(dps)
        self.pending = 0  # work done and not yet spent from the budget (spent 256 units at a time)
        self.exact = dps is not None
        self.values = state.point.values if self.exact else state.floats

    # -- arithmetic -----------------------------------------------------------------------
    def number(self, e):
        if e.is_Integer:
            return int(e)
        if e.is_Rational:
            return Fraction(int(e.p), int(e.q)) if self.exact else int(e.p) / int(e.q)
        if e.is_Float:
            return Fraction(str(e)) if self.exact else float(e)
        if e is sp.pi:
            return +mpmath.pi if self.exact else math.pi
        if e is sp.E:
            return +mpmath.e if self.exact else math.e
        raise Undefined(f"cannot evaluate {e}")

    def add(self, x, y):
        if self.exact and not (_is_exact(x) and _is_exact(y)):
            return as_mp(x) + as_mp(y)
        return x + y

    def mul(self, x, y):
        if self.exact and not (_is_exact(x) and _is_exact(y)):
            return as_mp(x) * as_mp(y)
        return x * y

    def power(self, base, exponent):
        if not self.exact:
            if base == 0 and exponent <= 0:
                raise Unsure("0 to a non-positive power")
            value = base ** exponent
            if type(value) is complex:
                raise Unsure("a complex power")
            return value
        if _is_exact(base) and _is_exact(exponent) and Fraction(exponent).denominator == 1:
            n = int(exponent)
            if abs(n) <= MAX_EXPONENT:
                if base == 0 and n < 0:
                    raise Undefined("division by zero")
                return Fraction(base) ** n
        if _is_exact(base) and base == 0:
            if _is_exact(exponent) and exponent > 0:
                return 0
            raise Undefined("0 to a non-positive power")
        return mpmath.power(as_mp(base), as_mp(exponent))

    def real(self, value):
        """A real number to compare (a complex one cannot be)."""
        if not self.exact:
            return value
        value = as_mp(value) if not _is_exact(value) else value
        if isinstance(value, mpmath.mpc):
            if value.imag != 0:
                raise Undefined("a complex value in a comparison")
            return value.real
        return value

    def on_jump(self, a, b) -> bool:
        """Are a and b equal, so that a condition between them sits on its jump (floats: too close to tell)?"""
        if _is_exact(a) and _is_exact(b):
            return a == b
        a, b = self.real(a), self.real(b)
        if self.dps is None:
            if abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b)):
                raise Unsure("a comparison too close to call in floats")
            return False
        return bool(abs(a - b) <= mpmath.mpf(10) ** (10 - self.dps) * max(1, abs(a), abs(b)))

    def elementary(self, func, x):
        rule = ELEMENTARY[func]
        if self.exact:
            if func is sp.log and x == 0:
                raise Undefined("log of 0")
            if func is sp.exp and _is_exact(x) and x == 0:
                return 1
            return rule.as_mp(as_mp(x))
        return rule.as_float(x)

    def spend(self) -> None:
        self.pending += self.unit
        if self.pending >= 256:
            self.flush()

    def flush(self) -> None:
        pending, self.pending = self.pending, 0
        self.budget.spend(pending)

    # -- values ----------------------------------------------------------------------------
    def value(self, expr: sp.Expr):
        """The value of `expr` at the point: Undefined where it has none, OnJump on a jump, Unsure in floats."""
        try:
            if self.exact:
                with mpmath.workdps(self.dps):
                    return self._value(expr, {})
            return self._value(expr, {})
        except (ZeroDivisionError, OverflowError, ValueError) as exc:
            if not self.exact:
                raise Unsure(str(exc) or type(exc).__name__) from exc
            raise Undefined(str(exc) or type(exc).__name__) from exc
        finally:
            self.flush()

    def _value(self, e, bound):
        self.pending += self.unit
        if self.pending >= 256:
            self.flush()
        return _VALUE[_kind(e)](self, e, bound)

    def _int(self, e, bound) -> int:
        found = bound.get(e)  # the usual index: a letter bound by a sum, or a free index of the point
        if type(found) is int:
            return found
        found = self.env.indices.get(e)
        if found is not None:
            return found
        value = self._value(e, bound)
        if type(value) is int:
            return value
        if type(value) is Fraction and value.denominator == 1:
            return int(value)
        if not self.exact and isinstance(value, float) and value.is_integer():
            return int(value)
        raise Undefined(f"index {e} is not an integer")

    def _symbol(self, s, bound):
        if s in bound:
            value = bound[s]
            return value[0] if type(value) is tuple else value
        env = self.env
        if s in env.indices:
            return env.indices[s]
        if s in env.sizes:
            return env.sizes[s]
        if (s, ()) in self.values:
            return self.values[(s, ())]
        if s in self.spec.definitions:
            return self.entry(s, ())
        raise Undefined(f"no value for {s}")

    def _indexed(self, e, bound):
        base, indices = _parts(e)
        idx = tuple(self._int(i, bound) for i in indices)
        if base in self.spec.definitions:
            return self.entry(base, idx)
        try:
            return self.values[(base, idx)]
        except KeyError:
            raise Undefined(f"{base}{list(idx)} is out of range") from None

    def _check_entry(self, base, idx) -> None:
        shape = self.spec.shapes.get(base, ())
        for position, (k, dim) in enumerate(zip(idx, shape)):
            if not 1 <= k <= self.env.sizes.get(dim, 0):
                raise Undefined(f"index {position + 1} of {base} is out of range")

    def entry(self, base, idx):
        """A defined entry's value, remembered for the point."""
        key = (self.dps, base, idx)
        memo = self.state.entries
        if key not in memo:
            definition = self.spec.definitions[base]
            if len(idx) != len(definition.params):
                raise Undefined(f"{base} takes {len(definition.params)} indices")
            self._check_entry(base, idx)
            memo[key] = self._value(definition.body, dict(zip(definition.params, idx)))
        return memo[key]

    def add_all(self, terms: list):
        """A sum; the exact terms first: 1 - tanh²x + (1+x)^50 (1-x)^50 - (1-x²)^50 cancels exactly."""
        if not self.exact:
            return sum(terms)
        total = sum((t for t in terms if _is_exact(t)), 0)
        for term in terms:
            if not _is_exact(term):
                total = as_mp(total) + as_mp(term)
        return total

    def _add(self, e, bound):
        return self.add_all([self._value(a, bound) for a in e.args])

    def _mul(self, e, bound):
        for arg in e.args:  # [j <= M] g_j is 0 where j > M, though g_j has no value there (Iverson's convention)
            if isinstance(arg, Iverson) and self._value(arg, bound) == 0:
                return 0
        product = 1
        for arg in e.args:
            product = self.mul(product, self._value(arg, bound))
        return product

    def _pow(self, e, bound):
        return self.power(self._value(e.base, bound), self._value(e.exp, bound))

    def _delta(self, e, bound):
        return int(self._int(e.args[0], bound) == self._int(e.args[1], bound))

    def _sum_terms(self, e, bound, each):
        def loop(limits, inner):
            if not limits:
                yield each(e.function, inner)
                return
            var, lo, hi = limits[-1]  # SymPy lists the innermost limit first: the outermost is bound first
            lo, hi = self._int(lo, inner), self._int(hi, inner)
            for k in range(lo, hi + 1):
                yield from loop(limits[:-1], {**inner, var: k})

        return loop(list(e.limits), bound)

    def _sum(self, e, bound):
        total = 0
        for term in self._sum_terms(e, bound, self._value):
            total = self.add(total, term)
        return total

    def _abs(self, e, bound):
        return abs(self._value(e.args[0], bound))

    def _extremum(self, e, bound):
        values = [self._value(a, bound) for a in e.args]
        pick = max if isinstance(e, sp.Max) else min
        if all(_is_exact(v) for v in values):
            return pick(values)
        return pick(values, key=self.real)

    def _iverson(self, e, bound):
        return int(self._truth(e.condition, bound))

    def _sign(self, e, bound):
        value = self._value(e.args[0], bound)
        if self.on_jump(value, 0):
            raise OnJump(f"{e.func.__name__} at 0")
        positive = self.real(value) > 0
        return int(positive) if isinstance(e, sp.Heaviside) else (1 if positive else -1)

    def _piecewise(self, e, bound):
        for piece, condition in e.args:
            if self._truth(condition, bound):
                return self._value(piece, bound)
        raise Undefined("no case of the piecewise function holds")

    def _factorial(self, e, bound):
        n = self._int(e.args[0], bound)
        if not 0 <= n <= MAX_FACTORIAL:
            raise Undefined(f"factorial of {n}")
        return math.factorial(n) if self.exact else float(math.factorial(n))

    def _truth(self, condition, bound) -> bool:
        if condition is sp.true or condition is sp.false:
            return bool(condition)
        if isinstance(condition, sp.And):
            return all(self._truth(c, bound) for c in condition.args)
        if isinstance(condition, sp.Or):
            return any(self._truth(c, bound) for c in condition.args)
        if isinstance(condition, sp.Not):
            return not self._truth(condition.args[0], bound)
        if isinstance(condition, Relational):
            a, b = self._value(condition.lhs, bound), self._value(condition.rhs, bound)
            # between whole numbers (indices, sizes, one-hot labels) equality is a value like any other; only a
            # real-valued condition has a jump where it holds with equality
            whole = _whole(condition) and (type(a) is int or (self.exact and _is_exact(a))) and \
                (type(b) is int or (self.exact and _is_exact(b)))
            if not whole and self.on_jump(a, b):
                raise OnJump(f"{condition} holds with equality")
            if not whole:
                a, b = self.real(a), self.real(b)
            return bool(_COMPARE[condition.rel_op](a, b))
        raise Undefined(f"cannot decide the condition {condition}")

    def _function(self, e, bound):
        func = e.__class__
        how, what = self.state.resolve(func)
        if how == ELEMENTARY_KIND:
            return self.elementary(func, self._value(e.args[0], bound))
        if how == BODY:
            args = [self._value(a, bound) for a in e.args]
            return self._value(what.expr, {**bound, **dict(zip(what.variables, args))})
        if how == STAND_IN and len(e.args) == 1:
            stand, plain = what
            x = self._value(e.args[0], bound)
            return self.stand_in(stand, x, 0) if plain else self.stand_in(stand, x, 1)
        raise Undefined(f"cannot evaluate the function {func}")

    def stand_in(self, stand, x, order: int):
        """A stand-in φ (order 0), φ' (1) or φ'' (2) at x: from its SymPy body, φ' by forward mode along it."""
        body = stand_in_body(stand, 0 if order < 2 else 2)
        if order == 1:
            return Tangent(self, frozenset(), None, None, frozenset()).pair(body, {_U: (x, 1)})[1]
        return self._value(body, {_U: x})

    # -- derivatives -------------------------------------------------------------------------
    def _derivative(self, e, bound):
        f, v = e.expr, e.wrt
        if _has_derivative(f):
            raise Undefined("a derivative of a derivative")
        if isinstance(v, sp.Indexed):
            base, idx = v.base, tuple(self._int(i, bound) for i in v.indices)
            self._check_entry(base, idx)
        elif isinstance(v, sp.Symbol):
            base, idx = v, ()
        else:
            raise Undefined("a derivative by something that is not a variable")
        stop = frozenset({base, *e.fixed})
        held = tuple((s, bound[s]) for s in _free_symbols(e) if s in bound)
        key = (self.dps, e, held)
        memo = self.state.derivatives
        if key not in memo:
            reaches = self.state.reaches.get((stop, base))
            if reaches is None:
                reaches = self.state.reaches[(stop, base)] = reach(self.spec, base, stop)
            if any(s in bound for s in _free_symbols(v)):
                # v's indices run over a sum (Σ_k ∂J/∂Z_nk ...): every entry's derivative from one walk of f
                whole = (self.dps, f, stop, base, tuple((s, bound[s]) for s in _free_symbols(f) if s in bound))
                if whole not in memo:
                    memo[whole] = Gradient(self, stop, base, reaches).pair(f, bound)[1]
                memo[key] = memo[whole].get(idx, 0)
            else:
                memo[key] = Tangent(self, stop, base, idx, reaches).pair(f, bound)[1]
        return memo[key]


_EMPTY: dict = {}  # a Gradient's zero rate (never changed: every operation makes a new one)


_COMPARE = {">": lambda a, b: a > b, "<": lambda a, b: a < b, ">=": lambda a, b: a >= b,
            "<=": lambda a, b: a <= b, "==": lambda a, b: a == b, "!=": lambda a, b: a != b}


class Tangent:
    """Forward mode for one derivative at one point: each value with its derivative along the entry `idx` of
    `base`, the bases in `stop` held as independent variables, `reaches` what depends on `base`. The rates are
    numbers; `Gradient` carries the derivatives along every entry of `base` at once."""

    zero: object = 0

    def __init__(self, ev: Evaluation, stop: frozenset, base, idx: tuple | None, reaches: frozenset):
        self.ev = ev
        self.stop = stop
        self.base = base
        self.idx = idx
        self.reaches = reaches
        key = (ev.dps, stop, base, idx)
        self.memo = ev.state.tangents.setdefault(key, {})

    # -- the rates: numbers (a Gradient's are sparse vectors) ----------------------------------
    def seed(self, idx: tuple):
        return int(idx == self.idx)

    def radd(self, a, b):
        return b if a == 0 else a if b == 0 else self.ev.add(a, b)

    def rscale(self, rate, factor):
        return 0 if rate == 0 else self.ev.mul(rate, factor)

    # -- the walk ------------------------------------------------------------------------------
    def pair(self, e, bound) -> tuple:
        """(value, derivative) of `e`."""
        names = names_in(e)
        if self.reaches.isdisjoint(names) and not any(type(bound.get(s)) is tuple for s in names):
            return self.ev._value(e, bound), self.zero
        self.ev.spend()
        return _TANGENT[_kind(e)](self, e, bound)

    def _symbol(self, s, bound):
        if s in bound:
            value = bound[s]
            return value if type(value) is tuple else (value, self.zero)
        if s == self.base:
            return self.ev._symbol(s, bound), self.seed(())
        if s in self.ev.spec.definitions and s not in self.stop:
            return self.entry(s, ())
        return self.ev._symbol(s, bound), self.zero

    def _indexed(self, e, bound):
        ev = self.ev
        base, indices = _parts(e)
        if base == self.base:
            return ev._indexed(e, bound), self.seed(tuple(ev._int(i, bound) for i in indices))
        if base in ev.spec.definitions and base not in self.stop:
            return self.entry(base, tuple(ev._int(i, bound) for i in indices))
        return ev._indexed(e, bound), self.zero

    def entry(self, base, idx) -> tuple:
        key = (base, idx)
        if key not in self.memo:
            ev = self.ev
            definition = ev.spec.definitions[base]
            if len(idx) != len(definition.params):
                raise Undefined(f"{base} takes {len(definition.params)} indices")
            ev._check_entry(base, idx)
            found = self.memo[key] = self.pair(definition.body, dict(zip(definition.params, idx)))
            ev.state.entries.setdefault((ev.dps, base, idx), found[0])  # the same value a value walk finds
        return self.memo[key]

    def _add(self, e, bound):
        pairs = [self.pair(a, bound) for a in e.args]
        rate = self.zero
        for _, r in pairs:
            rate = self.radd(rate, r)
        return self.ev.add_all([p[0] for p in pairs]), rate

    def _mul(self, e, bound):
        ev = self.ev
        for arg in e.args:
            if isinstance(arg, Iverson) and ev._value(arg, bound) == 0:
                return 0, self.zero
        value, rate = 1, self.zero
        for v, r in [self.pair(a, bound) for a in e.args]:
            rate = self.radd(self.rscale(rate, v), self.rscale(r, value))
            value = ev.mul(value, v)
        return value, rate

    def _pow(self, e, bound):
        ev = self.ev
        (b, db), (x, dx) = self.pair(e.base, bound), self.pair(e.exp, bound)
        value = ev.power(b, x)
        rate = self.zero
        if db != self.zero:
            rate = self.rscale(db, ev.mul(x, ev.power(b, ev.add(x, -1))))
        if dx != self.zero:
            rate = self.radd(rate, self.rscale(dx, ev.mul(value, ev.elementary(sp.log, b))))
        return value, rate

    def _abs(self, e, bound):
        ev = self.ev
        x, dx = self.pair(e.args[0], bound)
        if dx == self.zero:
            return abs(x), dx
        if ev.on_jump(x, 0):
            raise OnJump("|x| at 0")
        return abs(x), self.rscale(dx, 1 if ev.real(x) > 0 else -1)

    def _extremum(self, e, bound):
        ev = self.ev
        pairs = [self.pair(a, bound) for a in e.args]
        pick = max if isinstance(e, sp.Max) else min
        chosen = pick(pairs, key=lambda p: ev.real(p[0]))
        for other in pairs:
            if other is not chosen and other[1] != chosen[1] and ev.on_jump(other[0], chosen[0]):
                raise OnJump(f"{e.func.__name__} at a tie")
        return chosen

    def _piecewise(self, e, bound):
        for piece, condition in e.args:
            if self.ev._truth(condition, bound):
                return self.pair(piece, bound)
        raise Undefined("no case of the piecewise function holds")

    def _flat(self, e, bound):
        """A function constant away from its jumps ([z > 0], sign, δ_ij, n!): derivative 0."""
        return self.ev._value(e, bound), self.zero

    def _function(self, e, bound):
        ev = self.ev
        func = e.__class__
        how, what = ev.state.resolve(func)
        if how == ELEMENTARY_KIND:
            x, dx = self.pair(e.args[0], bound)
            value = ev.elementary(func, x)
            if dx == self.zero:
                return value, dx
            slope = what.rule_mp(as_mp(x), value) if ev.exact else what.rule_float(x, value)
            return value, self.rscale(dx, slope)
        if how == BODY:
            args = [self.pair(a, bound) for a in e.args]
            return self.pair(what.expr, {**bound, **dict(zip(what.variables, args))})
        if how == STAND_IN and len(e.args) == 1:
            stand, plain = what
            order = 0 if plain else 1
            x, dx = self.pair(e.args[0], bound)
            value = ev.stand_in(stand, x, order)
            return value, (self.rscale(dx, ev.stand_in(stand, x, order + 1)) if dx != self.zero else dx)
        raise Undefined(f"cannot evaluate the function {func}")

    def _sum(self, e, bound):
        ev = self.ev
        value, rate = 0, self.zero
        for v, r in ev._sum_terms(e, bound, self.pair):
            value = ev.add(value, v)
            rate = self.radd(rate, r)
        return value, rate

    def _derivative(self, e, bound):
        raise Undefined("a derivative of a derivative")


class Gradient(Tangent):
    """Forward mode along every entry of `base` at once: a rate is a sparse vector {entry's indices: derivative}.
    One walk gives Σ_k ∂J/∂Z_nk … for every n and k, where one derivative at a time would walk J N·K times."""

    zero: object = _EMPTY

    def __init__(self, ev: Evaluation, stop: frozenset, base, reaches: frozenset):
        super().__init__(ev, stop, base, None, reaches)

    def seed(self, idx: tuple):
        return {idx: 1}

    def radd(self, a, b):
        if not a:
            return b
        if not b:
            return a
        add = self.ev.add
        out = dict(a)
        for k, v in b.items():
            out[k] = add(out[k], v) if k in out else v
        return out

    def rscale(self, rate, factor):
        mul = self.ev.mul
        return {k: mul(v, factor) for k, v in rate.items()} if rate else rate


# -- dispatch: a node's kind by its class (the first of its classes with a rule) --------------------------
_KINDS: dict[type, str] = {
    sp.Integer: "number", sp.Rational: "number", sp.Float: "number", sp.NumberSymbol: "number",
    sp.Symbol: "symbol", sp.Indexed: "indexed", sp.Add: "add", sp.Mul: "mul", sp.Pow: "pow",
    sp.KroneckerDelta: "delta", sp.Sum: "sum", sp.Abs: "abs", sp.Max: "extremum", sp.Min: "extremum",
    Iverson: "iverson", sp.sign: "sign", sp.Heaviside: "sign", sp.Piecewise: "piecewise",
    sp.factorial: "factorial", D: "derivative", AppliedUndef: "function",
    **{func: "function" for func in ELEMENTARY},
}
_KIND_OF: dict[int, tuple] = {}  # by the class's id: the hash of a function class of SymPy's is slow


def _kind(e) -> str:
    cls = e.__class__
    hit = _KIND_OF.get(id(cls))
    if hit is not None and hit[0] is cls:
        return hit[1]
    found = next((_KINDS[c] for c in cls.__mro__ if c in _KINDS), "unknown")
    if isinstance(cls, UndefinedFunction) or found == "unknown" and isinstance(e, sp.Function):
        found = "function"
    _KIND_OF[id(cls)] = (cls, found)
    return found


def _unknown(self, e, bound):
    raise Undefined(f"cannot evaluate {type(e).__name__}")


_VALUE = {
    "number": lambda self, e, bound: self.number(e), "symbol": Evaluation._symbol,
    "indexed": Evaluation._indexed, "add": Evaluation._add, "mul": Evaluation._mul, "pow": Evaluation._pow,
    "delta": Evaluation._delta, "sum": Evaluation._sum, "abs": Evaluation._abs, "extremum": Evaluation._extremum,
    "iverson": Evaluation._iverson, "sign": Evaluation._sign, "piecewise": Evaluation._piecewise,
    "factorial": Evaluation._factorial, "derivative": Evaluation._derivative, "function": Evaluation._function,
    "unknown": _unknown,
}
_TANGENT = {
    "number": Tangent._flat, "symbol": Tangent._symbol, "indexed": Tangent._indexed, "add": Tangent._add,
    "mul": Tangent._mul, "pow": Tangent._pow, "delta": Tangent._flat, "sum": Tangent._sum, "abs": Tangent._abs,
    "extremum": Tangent._extremum, "iverson": Tangent._flat, "sign": Tangent._flat,
    "piecewise": Tangent._piecewise, "factorial": Tangent._flat, "derivative": Tangent._derivative,
    "function": Tangent._function, "unknown": lambda self, e, bound: _unknown(self, e, bound),
}
