"""The checker's numbers: exact `int`/`Fraction` while a value is rational, mpmath numbers after that."""
from __future__ import annotations

from fractions import Fraction

import mpmath

from ..limits import MAX_EXPONENT


def as_mp(value):
    """An exact value (int, Fraction) as an mpmath number at the working precision; others as they are."""
    if isinstance(value, Fraction):
        return mpmath.mpf(value.numerator) / value.denominator
    return mpmath.mpf(value) if isinstance(value, int) else value


def power(base, exponent, convert=as_mp):
    """base ** exponent: exact where both are exact and the exponent a whole number up to MAX_EXPONENT, else an
    mpmath power of the values `convert` gives; ZeroDivisionError for 0 to a negative power."""
    exact_base = isinstance(base, (int, Fraction))
    if exact_base and isinstance(exponent, (int, Fraction)) and Fraction(exponent).denominator == 1:
        n = int(exponent)
        if abs(n) <= MAX_EXPONENT:
            if base == 0 and n < 0:
                raise ZeroDivisionError("division by zero")
            return Fraction(base) ** n
    if exact_base and base == 0:
        if isinstance(exponent, (int, Fraction)) and exponent > 0:
            return 0
        raise ZeroDivisionError("0 to a non-positive power")
    return mpmath.power(convert(base), convert(exponent))
