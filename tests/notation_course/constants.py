"""SymPy's named constants in a spec: π, e, the Euler–Mascheroni constant, Catalan's, the golden ratio."""
from sympy import Catalan, E, EulerGamma, GoldenRatio, Rational, pi

from derive.spec import D, Spec

SPEC = Spec(id="constants", title="Named constants", source="test course",
            statement=r"$y = \frac{\pi}{2} x^2 + e x + \frac{\gamma}{3} x^3 + G x + \varphi x^2$ with SymPy's "
                      r"EulerGamma, Catalan and GoldenRatio.")
x = SPEC.scalar("x")
y = SPEC.scalar("y")
SPEC.define(y, pi * x ** 2 / 2 + E * x + EulerGamma * x ** 3 / 3 + Catalan * x + GoldenRatio * x ** 2
            + Rational(1, 2))
SPEC.part("dy", r"Find $dy/dx$.", target=D(y, x),
          reference=pi * x + E + EulerGamma * x ** 2 + Catalan + 2 * GoldenRatio * x)
