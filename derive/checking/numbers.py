"""The checker's numbers: exact `int`/`Fraction` while a value is rational, mpmath numbers after that."""
from __future__ import annotations

from fractions import Fraction

import mpmath


def as_mp(value):
    """An exact value (int, Fraction) as an mpmath number at the working precision; others as they are."""
    if isinstance(value, Fraction):
        return mpmath.mpf(value.numerator) / value.denominator
    return mpmath.mpf(value) if isinstance(value, int) else value
