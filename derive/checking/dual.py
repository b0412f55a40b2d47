"""Dual numbers a + bε (ε² = 0): a value and its derivative along one variable, carried together.

Evaluating an expression with its variable set to x + 1ε gives f(x) + f'(x)ε:
forward-mode differentiation, exact in the sense that each operation applies
its own derivative rule at the working precision (no step size, no
subtraction of nearly equal values, unlike finite differences or the complex
step in mpmath's complex functions). The parts are whatever the evaluator
computes with: exact `int`/`Fraction` while they stay exact, mpmath numbers
after the first transcendental function.
"""
from __future__ import annotations

from fractions import Fraction

import mpmath
import sympy as sp


def as_mp(value):
    """An exact value (int, Fraction) as an mpmath number at the working precision; others as they are."""
    if isinstance(value, Fraction):
        return mpmath.mpf(value.numerator) / value.denominator
    return mpmath.mpf(value) if isinstance(value, int) else value


class Dual:
    """a + bε."""

    __slots__ = ("a", "b")

    def __init__(self, a, b):
        self.a, self.b = a, b

    @staticmethod
    def _parts(other):
        return (other.a, other.b) if isinstance(other, Dual) else (other, 0)

    def __add__(self, other):
        a, b = self._parts(other)
        return Dual(_add(self.a, a), _add(self.b, b))

    __radd__ = __add__

    def __neg__(self):
        return Dual(-self.a, -self.b)

    def __sub__(self, other):
        return self + (-other)

    def __rsub__(self, other):
        return (-self) + other

    def __mul__(self, other):
        a, b = self._parts(other)
        return Dual(_mul(self.a, a), _add(_mul(self.a, b), _mul(self.b, a)))

    __rmul__ = __mul__

    def __truediv__(self, other):
        return self * reciprocal(other)

    def __rtruediv__(self, other):
        return reciprocal(self) * other

    def __eq__(self, other):  # only against 0, as the evaluator tests a log's argument
        a, b = self._parts(other)
        return self.a == a and self.b == b

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Dual({self.a}, {self.b})"


def _add(x, y):
    if isinstance(x, (int, Fraction)) and isinstance(y, (int, Fraction)):
        return x + y
    return as_mp(x) + as_mp(y)


def _mul(x, y):
    if isinstance(x, (int, Fraction)) and isinstance(y, (int, Fraction)):
        return x * y
    return as_mp(x) * as_mp(y)


def reciprocal(value):
    if not isinstance(value, Dual):
        return Fraction(1) / value if isinstance(value, (int, Fraction)) else 1 / as_mp(value)
    if value.a == 0:
        raise ZeroDivisionError("division by zero")
    inverse = reciprocal(value.a)
    return Dual(inverse, -_mul(value.b, _mul(inverse, inverse)))


def power(base, exponent):
    """base ** exponent with either a dual number (the exponent's part needs base > 0)."""
    a, b = Dual._parts(base)
    c, d = Dual._parts(exponent)
    value = mpmath.power(as_mp(a), as_mp(c))
    rate = _mul(_mul(c, mpmath.power(as_mp(a), as_mp(c) - 1)), b) if b != 0 else 0
    if d != 0:
        rate = _add(rate, _mul(_mul(value, mpmath.log(as_mp(a))), d))
    return Dual(value, rate)


#: each elementary function's derivative, in terms of its argument and its value
_RULES = {
    sp.exp: lambda x, f: f,
    sp.log: lambda x, f: 1 / x,
    sp.sin: lambda x, f: mpmath.cos(x),
    sp.cos: lambda x, f: -mpmath.sin(x),
    sp.tan: lambda x, f: 1 + f * f,
    sp.sec: lambda x, f: f * mpmath.tan(x),
    sp.csc: lambda x, f: -f * mpmath.cot(x),
    sp.cot: lambda x, f: -(1 + f * f),
    sp.sinh: lambda x, f: mpmath.cosh(x),
    sp.cosh: lambda x, f: mpmath.sinh(x),
    sp.tanh: lambda x, f: 1 - f * f,
    sp.sech: lambda x, f: -f * mpmath.tanh(x),
    sp.csch: lambda x, f: -f * mpmath.coth(x),
    sp.coth: lambda x, f: 1 - f * f,
    sp.asin: lambda x, f: 1 / mpmath.sqrt(1 - x * x),
    sp.acos: lambda x, f: -1 / mpmath.sqrt(1 - x * x),
    sp.atan: lambda x, f: 1 / (1 + x * x),
    sp.asinh: lambda x, f: 1 / mpmath.sqrt(x * x + 1),
    sp.acosh: lambda x, f: 1 / mpmath.sqrt(x * x - 1),
    sp.atanh: lambda x, f: 1 / (1 - x * x),
    sp.erf: lambda x, f: 2 / mpmath.sqrt(mpmath.pi) * mpmath.exp(-x * x),
}


def apply(func, function, value: Dual) -> Dual:
    """`func` (SymPy's class, computed by mpmath's `function`) at a dual number."""
    x = as_mp(value.a)
    f = function(x)
    return Dual(f, _mul(_RULES[func](x, f), value.b))
