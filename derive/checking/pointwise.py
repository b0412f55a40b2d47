"""A side of a derivation valued at a point, its pending derivatives in forward mode, every step counted.

The steps checker (`steps.py`, `links.py`) compares two sides of a link at
random points. A side is an index expression that may hold pending
derivatives ∂f/∂v (`D`): its value at a point is found here by walking the
expression once, without building any SymPy tree. Sums are loops, a defined
quantity (σ_i, Z_2, a student's g) is valued through its definition and
remembered for the point (`PointState`: what is known there is kept across a
file's links), and ∂f/∂v is f valued in forward mode (`forward.py`): every
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
  decides is decided in this one (`links.settle`).

Every node visited spends work (`limits.Budget`, `work_unit`: 4 units a node
in floats, more at higher precision): what runs out is counted work, the
same on any machine, not time.
"""
from __future__ import annotations

import math
from fractions import Fraction

import mpmath
import sympy as sp
from sympy.core.relational import Relational

from ..limits import MAX_FACTORIAL, Budget
from ..problem.sampling import Point, stand_ins
from ..problem.spec import Iverson, Spec
from .evaluate import OnJump, Undefined
from .forward import Gradient, Tangent
from .nodes import (
    BODY,
    COMPARE,
    ELEMENTARY,
    ELEMENTARY_KIND,
    FLOAT,
    STAND_IN,
    U,
    Unsure,
    free_symbols_of,
    has_derivative,
    is_exact,
    kind,
    parts_of,
    reach,
    stand_in_body,
    unknown,
    whole_condition,
    work_unit,
)
from .numbers import as_mp
from .numbers import power as exact_power

__all__ = ["FLOAT", "Evaluation", "PointState", "Unsure", "work_unit"]


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

    def __init__(self, state: PointState, dps: int | None, budget: Budget, strict: bool = True):
        self.state = state
        self.strict = strict  # False: an answer's own conditions are exact at their thresholds ([0 >= 0] = 1)
        self._defining = 0  # inside a definition: the problem's quantities are references (strict)
        self.tied = False  # an answer's own condition sat on its threshold (`_tie`)
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
        if isinstance(e, sp.NumberSymbol):  # Euler's γ, Catalan's G, the golden ratio
            return mpmath.mpf(e.evalf(self.dps + 5)) if self.exact else float(e.evalf(20))
        raise Undefined(f"cannot evaluate {e}")

    def add(self, x, y):
        if self.exact and not (is_exact(x) and is_exact(y)):
            return as_mp(x) + as_mp(y)
        return x + y

    def mul(self, x, y):
        if self.exact and not (is_exact(x) and is_exact(y)):
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
        return exact_power(base, exponent)

    def real(self, value):
        """A real number to compare (a complex one cannot be)."""
        if not self.exact:
            return value
        value = as_mp(value) if not is_exact(value) else value
        if isinstance(value, mpmath.mpc):
            if value.imag != 0:
                raise Undefined("a complex value in a comparison")
            return value.real
        return value

    def on_jump(self, a, b) -> bool:
        """Are a and b equal, so that a condition between them sits on its jump (floats: too close to tell)?"""
        if is_exact(a) and is_exact(b):
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
            if func is sp.exp and is_exact(x) and x == 0:
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
        return _VALUE[kind(e)](self, e, bound)

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
        base, indices = parts_of(e)
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
            self._defining += 1
            try:
                memo[key] = self._value(definition.body, dict(zip(definition.params, idx)))
            finally:
                self._defining -= 1
        return memo[key]

    def _tie(self, node) -> bool:
        """A condition sits on its threshold: a reference (or a definition) has no value there (OnJump); an
        answer's own condition is evaluated there exactly (True)."""
        if self.strict or self._defining:
            raise OnJump(f"{node} at its threshold")
        self.tied = True  # as a reference this value would have been OnJump
        return True

    def add_all(self, terms: list):
        """A sum; the exact terms first: 1 - tanh²x + (1+x)^50 (1-x)^50 - (1-x²)^50 cancels exactly."""
        if not self.exact:
            return sum(terms)
        total = sum((t for t in terms if is_exact(t)), 0)
        for term in terms:
            if not is_exact(term):
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
        if all(is_exact(v) for v in values):
            return pick(values)
        return pick(values, key=self.real)

    def _iverson(self, e, bound):
        return int(self._truth(e.condition, bound))

    def _sign(self, e, bound):
        value = self._value(e.args[0], bound)
        if self.on_jump(value, 0) and self._tie(e):  # an answer's sign(0) = 0, Heaviside(0) = its H0
            if isinstance(e, sp.sign):
                return 0
            return self._value(e.args[1], bound) if len(e.args) > 1 else (Fraction(1, 2) if self.exact else 0.5)
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
            whole = whole_condition(condition) and (type(a) is int or (self.exact and is_exact(a))) and \
                (type(b) is int or (self.exact and is_exact(b)))
            if not whole and self.on_jump(a, b) and self._tie(condition):
                return condition.rel_op in (">=", "<=", "==")  # [0 >= 0] = 1 in an answer
            if not whole:
                a, b = self.real(a), self.real(b)
            return bool(COMPARE[condition.rel_op](a, b))
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
            return Tangent(self, frozenset(), None, None, frozenset()).pair(body, {U: (x, 1)})[1]
        return self._value(body, {U: x})

    # -- derivatives -------------------------------------------------------------------------
    def _derivative(self, e, bound):
        f, v = e.expr, e.wrt
        if has_derivative(f):
            raise Undefined("a derivative of a derivative")
        if isinstance(v, sp.Indexed):
            base, idx = v.base, tuple(self._int(i, bound) for i in v.indices)
            self._check_entry(base, idx)
        elif isinstance(v, sp.Symbol):
            base, idx = v, ()
        else:
            raise Undefined("a derivative by something that is not a variable")
        stop = frozenset({base, *e.fixed})
        held = tuple((s, bound[s]) for s in free_symbols_of(e) if s in bound)
        key = (self.dps, e, held)
        memo = self.state.derivatives
        if key not in memo:
            reaches = self.state.reaches.get((stop, base))
            if reaches is None:
                reaches = self.state.reaches[(stop, base)] = reach(self.spec, base, stop)
            if any(s in bound for s in free_symbols_of(v)):
                # v's indices run over a sum (Σ_k ∂J/∂Z_nk ...): every entry's derivative from one walk of f
                whole = (self.dps, f, stop, base, tuple((s, bound[s]) for s in free_symbols_of(f) if s in bound))
                if whole not in memo:
                    memo[whole] = Gradient(self, stop, base, reaches).pair(f, bound)[1]
                memo[key] = memo[whole].get(idx, 0)
            else:
                memo[key] = Tangent(self, stop, base, idx, reaches).pair(f, bound)[1]
        return memo[key]


_VALUE = {
    "number": lambda self, e, bound: self.number(e), "symbol": Evaluation._symbol,
    "indexed": Evaluation._indexed, "add": Evaluation._add, "mul": Evaluation._mul, "pow": Evaluation._pow,
    "delta": Evaluation._delta, "sum": Evaluation._sum, "abs": Evaluation._abs, "extremum": Evaluation._extremum,
    "iverson": Evaluation._iverson, "sign": Evaluation._sign, "piecewise": Evaluation._piecewise,
    "factorial": Evaluation._factorial, "derivative": Evaluation._derivative, "function": Evaluation._function,
    "unknown": unknown,
}
