"""The derivative of tanh from its definition (seed 002, Q3 a)."""
from sympy import exp, tanh

from derive.spec import D, Spec

SPEC = Spec(
    id="tanh-derivative",
    title="The derivative of tanh",
    source="seed 002, Q3(a)",
    statement=r"Let $\tanh(x) = (e^{x} - e^{-x})/(e^{x} + e^{-x})$. Find $\frac{d}{dx}\tanh(x)$.",
)
SPEC.function(tanh, lambda a: (exp(a) - exp(-a)) / (exp(a) + exp(-a)), latex=r"\tanh", text="tanh")
x = SPEC.scalar("x")
SPEC.part(
    "derivative",
    r"Find $\frac{d}{dx}\tanh(x)$ in terms of $\tanh(x)$.",
    target=D(tanh(x), x),
    reference=1 - tanh(x) ** 2,
    mistakes=[(1 + tanh(x) ** 2, "sign error"), (1 - tanh(x), "the square is missing"),
              (tanh(x) * (1 - tanh(x)), "the sigmoid's derivative pattern used for tanh")],
)
