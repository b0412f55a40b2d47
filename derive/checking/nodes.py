"""What the walks of `pointwise.py` and `forward.py` share: the arithmetics' names, the elementary functions in
both of them, properties of SymPy nodes cached by the node, and the kind of each node (their dispatch key).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import mpmath
import sympy as sp
from sympy.core.function import AppliedUndef, UndefinedFunction

from ..problem.spec import D, Iverson, Spec
from .evaluate import Undefined

FLOAT = None  # the arithmetic of floats (a precision in digits otherwise)


class Unsure(Exception):
    """Floats cannot say what this value is (a domain error, an overflow, a near tie of a comparison): value it
    at a precision instead."""


def work_unit(dps: int | None) -> int:
    """Units of work one node costs: 4 in floats, and more as the digits grow (4 + digits / 50). A unit is about
    a microsecond's work where this was measured, whatever the arithmetic (Python's own overhead dominates below
    a few hundred digits), so that a link's budget (LINK_WORK) is spent in a few seconds, well inside the
    wall-clock safety net; `benchmarks/steps_links.py` prints the units a link takes."""
    return 4 if dps is None else 4 + dps // 50


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

U = sp.Dummy("u", real=True)
_BODIES: dict[tuple, sp.Expr] = {}


def stand_in_body(stand_in, order: int) -> sp.Expr:
    """A stand-in (order 0) or its second derivative (2) as a SymPy expression in `U` (φ'' only where a
    derivative of φ' is asked for: built then)."""
    found = _BODIES.get((stand_in.name, order))
    if found is None:
        found = _BODIES[(stand_in.name, order)] = sp.diff(stand_in.expr(U), U, order)
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
has_derivative = _ByNode(lambda expr: expr.has(D))
#: an entry's base and indices (SymPy builds them anew each time)
parts_of = _ByNode(lambda e: (e.base, tuple(e.indices)))
#: the free symbols of an expression in a fixed order (SymPy computes them anew each time)
free_symbols_of = _ByNode(lambda expr: tuple(sorted(expr.free_symbols, key=str)))
#: is a condition's difference an integer (indices, sizes, labels): then its equality is no jump
whole_condition = _ByNode(lambda condition: bool((condition.lhs - condition.rhs).is_integer))


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


def is_exact(value) -> bool:
    return type(value) is int or type(value) is Fraction


COMPARE = {">": lambda a, b: a > b, "<": lambda a, b: a < b, ">=": lambda a, b: a >= b,
            "<=": lambda a, b: a <= b, "==": lambda a, b: a == b, "!=": lambda a, b: a != b}


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


def kind(e) -> str:
    cls = e.__class__
    hit = _KIND_OF.get(id(cls))
    if hit is not None and hit[0] is cls:
        return hit[1]
    found = next((_KINDS[c] for c in cls.__mro__ if c in _KINDS), "unknown")
    if isinstance(cls, UndefinedFunction) or found == "unknown" and isinstance(e, sp.Function):
        found = "function"
    _KIND_OF[id(cls)] = (cls, found)
    return found


def unknown(self, e, bound):
    raise Undefined(f"cannot evaluate {type(e).__name__}")
