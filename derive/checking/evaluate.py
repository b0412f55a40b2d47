"""Fast, exact-where-possible evaluation of index expressions at concrete points.

The checker's numeric rung. An expression (a student's answer, a reference, a
known mistake) is evaluated by walking its tree: rationals stay `Fraction`s
(exact: no "1/2^99 = 1/2^98", no degree-13 polynomial off by one called
equal), and the first transcendental function switches to mpmath at a chosen
precision. Sums are loops, Kronecker deltas compare integers, a defined
quantity (σ_i, Z_2, ...) is evaluated from its definition in the primitive
variables, and a generic φ is a concrete smooth function. Whether two
floating values are equal is decided by evaluating at two precisions
(`compare.settle`), not by a tolerance.

Nothing here parses text: it evaluates SymPy trees built by our parser or by
a spec.
"""
from __future__ import annotations

import math
import operator
from fractions import Fraction

import mpmath
import sympy as sp
from sympy.core.function import UndefinedFunction
from sympy.core.relational import Relational

from ..limits import MAX_FACTORIAL, MAX_LOOP, Budget
from ..limits import Timeout as Timeout  # the checker's modules import it from here
from ..problem.sampling import Point, stand_ins
from ..problem.spec import D, Iverson, Spec
from .numbers import as_mp as _mp
from .numbers import power


class Undefined(Exception):
    """The expression has no value at this point (division by zero, log 0, an index out of range)."""


class OnJump(Undefined):
    """A reference sits on a jump of a discontinuous function ([z > 0] at z = 0): it has no derivative
    there, and the point decides nothing. An answer is never on a jump: it is evaluated exactly at its
    own thresholds ([0 ≥ 0] = 1)."""



_ELEMENTARY = {
    sp.exp: mpmath.exp, sp.log: mpmath.log, sp.sin: mpmath.sin, sp.cos: mpmath.cos, sp.tan: mpmath.tan,
    sp.sec: mpmath.sec, sp.csc: mpmath.csc, sp.cot: mpmath.cot, sp.sinh: mpmath.sinh, sp.cosh: mpmath.cosh,
    sp.tanh: mpmath.tanh, sp.sech: mpmath.sech, sp.csch: mpmath.csch, sp.coth: mpmath.coth,
    sp.asin: mpmath.asin, sp.acos: mpmath.acos, sp.atan: mpmath.atan, sp.asinh: mpmath.asinh,
    sp.acosh: mpmath.acosh, sp.atanh: mpmath.atanh, sp.erf: mpmath.erf,
}


#: SymPy's constants at the working precision
_CONSTANTS = {sp.pi: lambda: +mpmath.pi, sp.E: lambda: +mpmath.e, sp.EulerGamma: lambda: +mpmath.euler,
              sp.Catalan: lambda: +mpmath.catalan, sp.GoldenRatio: lambda: +mpmath.phi}

_COMPARE = {">": operator.gt, "<": operator.lt, ">=": operator.ge, "<=": operator.le,
            "==": operator.eq, "!=": operator.ne}


def _real(value):
    """A real mpmath number (a complex value cannot be compared)."""
    value = _mp(value)
    if isinstance(value, mpmath.mpc):
        if value.imag != 0:
            raise Undefined("a complex value in a comparison")
        return value.real
    return value


def _is_exact(value) -> bool:
    return isinstance(value, (int, Fraction))


#: the nodes whose value depends on which side of a threshold a point lies (conditions, kinks)
CONDITIONAL = (Iverson, sp.Piecewise, sp.Max, sp.Min, sp.Abs, sp.sign, sp.Heaviside)


class Evaluator:
    """Evaluates expressions of one spec (or free expressions, spec None) at one point.

    `strict`: the expression is a reference, undefined on the jumps of its conditions (OnJump: the point
    is excluded); otherwise an answer, evaluated exactly at its thresholds ([0 ≥ 0] = 1, sign(0) = 0).
    Each conditional node evaluated off its threshold records the side it took in `env.seen` (what a
    check's points have covered). Each node visited spends a unit of `env.budget`.
    """

    def __init__(self, spec: Spec | None, env: Point, strict: bool = True):
        self.spec = spec
        self.env = env
        self.strict = strict
        self._budget: Budget | None = env.budget
        if self._budget is None and env.deadline is not None:  # a caller that gives only a wall clock
            self._budget = Budget(1 << 62, env.deadline)
        self._seen: dict | None = env.seen
        self.spend = self._budget.spend if self._budget is not None else _nothing
        self.absorbed = 0  # bits of the widest exact value, or range of magnitudes of a sum, made floating
        self.lost = 0  # bits lost to cancellation, summed over the floating sums
        self._loops = 0
        self._derivatives = {}
        self._defined = {}
        self._stand_ins = {} if spec is None else stand_ins(spec, env.generic)
        self.defined: dict = {}  # id of a base -> is it a defined quantity (asked once an evaluation)
        if spec is not None:
            for func, info in spec.functions.items():
                if info.body is None:
                    self._derivatives[info.derivative] = func
                else:
                    self._defined[func] = info.body

    # -- entry points -------------------------------------------------------------
    def value(self, expr: sp.Expr):
        if isinstance(expr, int):
            expr = sp.Integer(expr)
        try:
            return self._eval(expr, {})
        except (ZeroDivisionError, ValueError, OverflowError) as exc:
            raise Undefined(str(exc) or type(exc).__name__) from exc

    # -- the walk ---------------------------------------------------------------------
    def _tick(self) -> None:
        self.spend()

    def add(self, terms: list):
        """A sum of values: the exact terms first (1 - tanh²x + (1+x)^50 (1-x)^50 - (1-x²)^50 cancels
        exactly), then the floating ones; the range of magnitudes added in floating point is kept in
        `absorbed` (a term 10^-150 next to 1 is lost at 40 digits: `compare.settle` then takes more)."""
        total: int | Fraction = 0
        floating = []
        for term in terms:
            if type(term) is int or type(term) is Fraction:
                total += term
            else:
                floating.append(term)
        if not floating:
            return total
        if len(terms) > 1:
            self._range(terms)
        for term in floating:
            total = self.mp(total) + self.mp(term)
        if len(terms) > 1:
            self._cancelled(terms, total)
        return total

    def _cancelled(self, terms: list, total) -> None:
        """Add to `lost` the bits a floating sum lost to cancellation (its largest term against the sum):
        rounding noise grows by as much, which `compare.settle` allows for."""
        sizes = [b for b in map(_bits, terms) if b is not None]
        if not sizes:
            return
        result = _bits(total)
        self.lost += max(sizes) - result if result is not None else mpmath.mp.prec

    def mp(self, value):
        """A value as an mpmath number at the working precision; an exact one wider than that precision
        (1 + 10^-150) is lost in part, which `absorbed` keeps (in bits) so that a comparison takes more."""
        if type(value) is Fraction:
            bits = max(value.numerator.bit_length(), value.denominator.bit_length())
            if bits > self.absorbed:
                self.absorbed = bits
            return mpmath.mpf(value.numerator) / value.denominator
        if type(value) is int:
            if value.bit_length() > self.absorbed:
                self.absorbed = value.bit_length()
            return mpmath.mpf(value)
        return value

    def _range(self, terms: list) -> None:
        sizes = [b for b in map(_bits, terms) if b is not None]
        if len(sizes) > 1:
            spread = max(sizes) - min(sizes)
            if spread > self.absorbed:
                self.absorbed = spread

    def _saw(self, node, side) -> None:
        """`node` (a condition or kink of the expression, as written) took `side` at this point (recorded
        while the point's `seen` is a dict: while a check's points are chosen)."""
        if self._seen is None:
            return
        sides = self._seen.get(node)
        if sides is None:
            self._seen[node] = {side}
        else:
            sides.add(side)

    def _int(self, expr, bound) -> int:
        value = self._eval(expr, bound)
        if _is_exact(value) and Fraction(value).denominator == 1:
            return int(value)
        raise Undefined(f"index {expr} is not an integer")

    def _eval(self, e, bound):
        """The value of `e` with the letters in `bound`: its compiled form (`compiled`) run here."""
        return compiled(e)(self, bound)

    def _slow(self, e, bound):  # noqa: C901 - one dispatch over node types
        """The value of a node the compiler leaves to this dispatch (kinks, conditions, rarer nodes)."""
        self.spend()
        if e.is_Integer:
            return int(e)
        if e.is_Rational:
            return Fraction(int(e.p), int(e.q))
        if e.is_Float:
            return Fraction(str(e))
        if isinstance(e, sp.NumberSymbol):  # π, e, Euler's γ, Catalan's G, the golden ratio
            return _CONSTANTS[e]() if e in _CONSTANTS else mpmath.mpf(e.evalf(mpmath.mp.dps + 5))
        if isinstance(e, sp.Symbol):
            return self._symbol(e, bound)
        if isinstance(e, sp.Indexed):
            return self._indexed(e, bound)
        if e.is_Add:
            return self.add([self._eval(arg, bound) for arg in e.args])
        if e.is_Mul:
            product = 1
            guards = [arg for arg in e.args if isinstance(arg, Iverson)]
            if any(self._eval(guard, bound) == 0 for guard in guards):
                return 0  # [j <= M] g_j is 0 where j > M, though g_j has no value there (Iverson's convention)
            for arg in e.args:
                factor = self._eval(arg, bound)
                product = product * factor if _is_exact(product) and _is_exact(factor) else \
                    self.mp(product) * self.mp(factor)
            return product
        if e.is_Pow:
            return self._power(self._eval(e.base, bound), self._eval(e.exp, bound))
        if isinstance(e, sp.KroneckerDelta):
            return int(self._int(e.args[0], bound) == self._int(e.args[1], bound))
        if isinstance(e, sp.Sum):
            return self._sum(e, bound)
        if isinstance(e, sp.Abs):
            value = self._eval(e.args[0], bound)
            if not e.args[0].is_integer:
                self._side(e, value, 0)
            return abs(value)
        if isinstance(e, (sp.Max, sp.Min)):
            return self._extreme(e, bound)
        if isinstance(e, Iverson):
            return int(self._truth(e.condition, bound, e))
        if isinstance(e, (sp.sign, sp.Heaviside)):
            return self._step(e, bound)
        if isinstance(e, sp.Piecewise):
            for number, (piece, condition) in enumerate(e.args):
                if self._truth(condition, bound):
                    if condition is not sp.true or number:
                        self._saw(e, number)
                    return self._eval(piece, bound)
            raise Undefined("no case of the piecewise function holds")
        if isinstance(e, sp.factorial):
            n = self._int(e.args[0], bound)
            if not 0 <= n <= MAX_FACTORIAL:
                raise Undefined(f"factorial of {n}")
            return math.factorial(n)
        if isinstance(e, sp.Function):
            return self._function(e, bound)
        if isinstance(e, D):
            raise Undefined("a pending derivative has no value here")
        raise Undefined(f"cannot evaluate {type(e).__name__}")

    def _on_jump(self, a, b) -> bool:
        """Are a and b equal, so that a condition between them sits on its jump? Floating values count
        as equal when they agree to all but 10 of the working digits (an answer's Σσ_k against 1)."""
        if _is_exact(a) and _is_exact(b):
            return a == b
        a, b = _real(a), _real(b)
        return bool(abs(a - b) <= mpmath.mpf(10) ** (10 - mpmath.mp.dps) * max(1, abs(a), abs(b)))

    def _side(self, node, a, b) -> int:
        """Which side of b the value a lies on (-1, 0, 1), recorded for `node` off the threshold; on it, a
        reference raises OnJump."""
        if self._on_jump(a, b):
            if self.strict:
                raise OnJump(f"{node} at its threshold")
            return 0
        side = 1 if (a > b if _is_exact(a) and _is_exact(b) else _real(a) > _real(b)) else -1
        self._saw(node, side)
        return side

    def _step(self, e, bound):
        """sign(x) and Heaviside(x): a jump at 0, where an answer takes sign(0) = 0 and Heaviside's H0."""
        value = self._eval(e.args[0], bound)
        side = self._side(e, value, 0)
        if isinstance(e, sp.sign):
            return side
        if side == 0:
            return self._eval(e.args[1], bound) if len(e.args) > 1 else Fraction(1, 2)
        return int(side > 0)

    def _extreme(self, e, bound):
        """max and min: the value of the argument that wins; which one won is recorded (off a tie)."""
        values = [self._eval(a, bound) for a in e.args]
        pick = max if isinstance(e, sp.Max) else min
        if all(_is_exact(v) for v in values):
            best = pick(values)
        else:
            best = pick(values, key=_real)
        if not all(a.is_integer for a in e.args):  # whole numbers (a sum's limits) have no kink to cover
            winners = [k for k, v in enumerate(values) if self._on_jump(v, best)]
            if len(winners) == 1:
                self._saw(e, winners[0])
        return best

    def _truth(self, condition, bound, node=None) -> bool:
        """The truth of a condition at this point. On the boundary of a real-valued test a reference
        raises OnJump; an answer takes the test as written with both sides equal ([0 ≥ 0] holds)."""
        if condition is sp.true or condition is sp.false:
            return bool(condition)
        if isinstance(condition, sp.And):
            return all(self._truth(c, bound) for c in condition.args)
        if isinstance(condition, sp.Or):
            return any(self._truth(c, bound) for c in condition.args)
        if isinstance(condition, sp.Not):
            return not self._truth(condition.args[0], bound)
        if isinstance(condition, Relational):
            a, b = self._eval(condition.lhs, bound), self._eval(condition.rhs, bound)
            # between whole numbers (indices, sizes, one-hot labels) equality is a value like any other;
            # only a real-valued condition has a jump where it holds with equality
            whole = (condition.lhs - condition.rhs).is_integer and _is_exact(a) and _is_exact(b)
            if whole:
                return bool(_COMPARE[condition.rel_op](a, b))
            side = self._side(condition if node is None else node, a, b)
            return bool(_COMPARE[condition.rel_op](side, 0))
        raise Undefined(f"cannot decide the condition {condition}")

    def _symbol(self, s, bound):
        if s in bound:
            return bound[s]
        env = self.env
        if s in env.indices:
            return env.indices[s]
        if s in env.sizes:
            return env.sizes[s]
        if (s, ()) in env.values:
            return env.values[(s, ())]
        if self.spec is not None and s in self.spec.definitions:
            return self._defined_entry(s, ())
        raise Undefined(f"no value for {s}")

    def _indexed(self, e, bound):
        idx = tuple(self._int(i, bound) for i in e.indices)
        base = e.base
        if self.spec is not None and base in self.spec.definitions:
            return self._defined_entry(base, idx)
        try:
            return self.env.values[(base, idx)]
        except KeyError:
            raise Undefined(f"{base}{list(idx)} is out of range") from None

    def _defined_entry(self, base, idx):
        key = (mpmath.mp.dps, self.strict, base, idx)
        memo = self.env.memo
        if key not in memo:
            definition = self.spec.definitions[base]
            if len(idx) != len(definition.params):
                raise Undefined(f"{base} takes {len(definition.params)} indices")
            shape = self.spec.shapes.get(base, ())
            for position, (k, dim) in enumerate(zip(idx, shape)):
                if not 1 <= k <= self.env.sizes.get(dim, 0):
                    raise Undefined(f"index {position + 1} of {base} is out of range")
            memo[key] = self._eval(definition.body, dict(zip(definition.params, idx)))
        return memo[key]

    def _sum(self, e, bound):
        def loop(limits, inner):
            if not limits:
                return [self._eval(e.function, inner)]
            var, lo, hi = limits[-1]  # SymPy lists the innermost limit first: the outermost is bound first
            lo, hi = self._int(lo, inner), self._int(hi, inner)
            self._loops += max(0, hi - lo + 1)
            if self._loops > MAX_LOOP:
                raise Undefined("sums too long to evaluate")
            out = []
            for k in range(lo, hi + 1):
                out.extend(loop(limits[:-1], {**inner, var: k}))
            return out

        return self.add(loop(list(e.limits), bound))

    def _power(self, base, exponent):
        return power(base, exponent, self.mp)

    def _function(self, e, bound):
        func = e.func
        args = [self._eval(a, bound) for a in e.args]
        if func in _ELEMENTARY:
            (arg,) = args
            if func is sp.log and arg == 0:
                raise Undefined("log of 0")
            if func is sp.exp and _is_exact(arg) and arg == 0:
                return 1
            return _ELEMENTARY[func](self.mp(arg))
        if self.spec is not None:
            if func in self._defined:
                lam = self._defined[func]
                return self._eval(lam.expr, {**bound, **dict(zip(lam.variables, args))})
            if func in self._derivatives:
                return self._stand_ins[func].derivative(self.mp(args[0]))
            if isinstance(func, UndefinedFunction) and func in self._stand_ins:
                return self._stand_ins[func].value(self.mp(args[0]))
        raise Undefined(f"cannot evaluate the function {func}")


def _nothing(units: int = 1) -> None:
    """The spend of an evaluation without a budget."""


_MPF = type(mpmath.mpf(1))


def _bits(value) -> int | None:
    """About log2 |value| (None for 0 or a complex one)."""
    kind = type(value)
    if kind is _MPF:
        _, mantissa, exponent, size = value._mpf_
        return exponent + size if mantissa else None
    if kind is int:
        return value.bit_length() if value else None
    if kind is Fraction:
        return value.numerator.bit_length() - value.denominator.bit_length() if value else None
    return None


# -- the compiler: each node's dispatch decided once, not at every point ---------------------
_COMPILED: dict = {}
MAX_COMPILED = 50_000


def compiled(e):
    """`e` as a function (evaluator, bound letters) -> value. The common nodes (numbers, letters, entries,
    sums, products, powers, Σ, δ, elementary functions) become closures over their children's; the others
    run `Evaluator._slow`. Kept per expression, so a part's reference and definitions compile once."""
    found = _COMPILED.get(e)
    if found is None:
        if len(_COMPILED) >= MAX_COMPILED:
            _COMPILED.clear()
        found = _COMPILED[e] = _compile(e)
    return found


def _compile(e):  # noqa: C901 - one dispatch over node types, once per node
    if isinstance(e, int):
        e = sp.Integer(e)
    if e.is_Integer:
        number = int(e)
        return lambda ev, bound: number
    if e.is_Rational:
        fraction = Fraction(int(e.p), int(e.q))
        return lambda ev, bound: fraction
    if e.is_Float:
        fraction = Fraction(str(e))
        return lambda ev, bound: fraction
    if isinstance(e, sp.Symbol):
        return lambda ev, bound: bound[e] if e in bound else ev._symbol(e, bound)
    if isinstance(e, sp.Indexed):
        return _compile_indexed(e)
    if e.is_Add:
        terms = [compiled(a) for a in e.args]

        def add(ev, bound):
            ev.spend()
            return ev.add([f(ev, bound) for f in terms])
        return add
    if e.is_Mul:
        return _compile_mul(e)
    if e.is_Pow:
        base, exponent = compiled(e.base), compiled(e.exp)

        def power(ev, bound):
            ev.spend()
            return ev._power(base(ev, bound), exponent(ev, bound))
        return power
    if isinstance(e, sp.Sum):
        return _compile_sum(e)
    if isinstance(e, sp.KroneckerDelta):
        first, second = (_compile_int(a) for a in e.args)

        def delta(ev, bound):
            ev.spend()
            return int(first(ev, bound) == second(ev, bound))
        return delta
    if e.func in _ELEMENTARY and len(e.args) == 1:
        return _compile_elementary(e)
    return lambda ev, bound: ev._slow(e, bound)


def _compile_int(e):
    """An index expression: its value, which must be a whole number."""
    if isinstance(e, sp.Symbol):
        def letter(ev, bound):
            value = bound[e] if e in bound else ev._symbol(e, bound)
            if type(value) is int:
                return value
            return _whole(value, e)
        return letter
    inner = compiled(e)
    return lambda ev, bound: _whole(inner(ev, bound), e)


def _whole(value, expr) -> int:
    if _is_exact(value) and Fraction(value).denominator == 1:
        return int(value)
    raise Undefined(f"index {expr} is not an integer")


def _compile_indexed(e):
    base = e.base
    indices = [_compile_int(i) for i in e.indices]

    def entry(ev, bound):
        idx = tuple(f(ev, bound) for f in indices)
        defined = ev.defined.get(id(base))
        if defined is None:
            defined = ev.defined[id(base)] = ev.spec is not None and base in ev.spec.definitions
        if defined:
            return ev._defined_entry(base, idx)
        try:
            return ev.env.values[(base, idx)]
        except KeyError:
            raise Undefined(f"{base}{list(idx)} is out of range") from None
    return entry


def _compile_mul(e):
    guards = [compiled(a) for a in e.args if isinstance(a, Iverson)]
    factors = [compiled(a) for a in e.args]

    def product(ev, bound):
        ev.spend()
        for guard in guards:
            if guard(ev, bound) == 0:
                return 0  # [j <= M] g_j is 0 where j > M, though g_j has no value there (Iverson's convention)
        out = 1
        for f in factors:
            factor = f(ev, bound)
            if (type(out) is int or type(out) is Fraction) and (type(factor) is int or type(factor) is Fraction):
                out = out * factor
            else:
                out = ev.mp(out) * ev.mp(factor)
        return out
    return product


def _compile_sum(e):
    body = compiled(e.function)
    limits = [(var, _compile_int(lo), _compile_int(hi)) for var, lo, hi in e.limits]

    def total(ev, bound):
        ev.spend()
        terms: list = []

        def loop(depth, inner):
            if depth < 0:
                terms.append(body(ev, inner))
                return
            var, lo, hi = limits[depth]  # SymPy lists the innermost limit first: the outermost is bound first
            low, high = lo(ev, inner), hi(ev, inner)
            ev._loops += max(0, high - low + 1)
            if ev._loops > MAX_LOOP:
                raise Undefined("sums too long to evaluate")
            for k in range(low, high + 1):
                loop(depth - 1, {**inner, var: k})
        loop(len(limits) - 1, bound)
        return ev.add(terms)
    return total


def _compile_elementary(e):
    func = e.func
    arg = compiled(e.args[0])
    numeric = _ELEMENTARY[func]

    def apply(ev, bound):
        ev.spend()
        value = arg(ev, bound)
        if func is sp.log and value == 0:
            raise Undefined("log of 0")
        if func is sp.exp and _is_exact(value) and value == 0:
            return 1
        return numeric(ev.mp(value))
    return apply
