r"""A side of a student's derivation, which may hold derivatives: `Σ_m ∂E/∂x_m ∂x_m/∂y_j`.

An answer may not hold a derivative (it is what the derivative equals); a
step of a derivation often does. `parse_side(text, vocabulary)` reads a side
with the problem's vocabulary, as `parse` does, and reads every derivative in
it as a pending one, `D(f, v)` (`derive.problem.spec.D`), never taking it:

    ∂A/∂v   ∂(A)/∂v   ∂/∂v A   \frac{\partial A}{\partial v}   \frac{\partial}{\partial v} A
    dA/dv   \frac{dA}{dv}   \frac{d}{dv} A

where A is any expression of the problem and v one of its variables (a name
or an entry, `x_m`, `w_{kj}`); the operator forms apply to the rest of the
product, as a sum's body does. The checker (`derive.checking.steps`) gives a
pending derivative its value at a point.
"""
from __future__ import annotations

import re
from typing import Any

import sympy as sp

from ..limits import Limits
from ..problem.spec import pending
from .lexer import FRAC, ParseError, Token, check_characters
from .parser import INTERNAL, Parsed, _internal, _Parser, parse
from .values import Mat
from .vocab import Vocabulary

#: pending derivatives one side may hold
MAX_DERIVATIVES_PER_SIDE = 12


class _SideParser(_Parser):
    """The answer grammar, with derivatives read as pending ones in a problem's vocabulary."""

    held: dict[int, tuple] = {}  # what a derivative starting at a text position holds fixed (`_held_fixed`)

    def refuse_derivative(self, t: Token) -> None:
        return None

    def derivative(self) -> Any:
        t = self.tok
        if t.kind == "op" and t.text == FRAC:
            return self.fraction_derivative()
        if not (self.is_d(t) or self.at("∂", t)):
            return None
        nxt = self.tokens[self.i + 1]
        if self.at("/", nxt) and self.is_d_of(self.i + 2):
            return self.operator_derivative()  # ∂/∂v f
        if self.at("(", nxt):
            close = self.matching(self.i + 1)
            if close is not None and self.at("/", self.tokens[close + 1]) and self.is_d_of(close + 2):
                return self.quotient_derivative()  # ∂(f)/∂v
        if nxt.kind in ("word", "unknown"):
            return self.named_quotient(t)  # ∂σ_i/∂x_j
        if self.at("∂", t):
            self.fail("∂ starts a derivative: write ∂f/∂x or \\frac{\\partial f}{\\partial x}", t.pos)
        return None

    def named_quotient(self, t: Token) -> Any:
        """`∂A/∂v` where A is one name, with its subscripts or its argument (`∂σ_i/∂x_j`, `∂g(u)/∂u`)."""
        start = self.i
        self.advance()  # ∂ or d
        self.enter()
        try:
            numerator = self.concrete(self.power())
        finally:
            self.depth -= 1
        if not (self.at("/") and self.is_d_of(self.i + 1)):
            if self.is_d(t):  # a d that is not a derivative after all
                self.i = start
                return None
            self.fail("expected /∂x after ∂f", self.tok.pos)
        self.advance()  # /
        self.advance()  # ∂ or d
        return self.differentiate(t, numerator, self.derivative_variable(t), 1)

    def derivative_variable(self, t: Token) -> Any:
        """The v of ∂v: a variable of the problem (a name or one entry), or a letter of a free expression."""
        v = self.tok
        start = v.pos
        self.enter()
        try:
            value = self.concrete(self.power())
        finally:
            self.depth -= 1
        if isinstance(value, Mat):
            value = self.alg.scalar(value, start, "what a derivative is taken with respect to") \
                if self.alg.known_scalar(value) else value
        if isinstance(value, (sp.Indexed, sp.Symbol)) and not getattr(value, "is_integer", False):
            return value
        self.fail("a derivative is taken with respect to one variable or one entry: ∂f/∂x_j", start)

    def derivative_operand(self, t: Token, operand: Any, example: str = "∂/∂x f") -> Any:
        """`∂/∂v (A) B` is (∂A/∂v) B, as our printers write it: a bracket right after the operator is what
        it differentiates (with its power, `(A)^2`), and so is a function applied to its argument (`∂/∂z φ(z) B`
        is φ'(z) B); otherwise, the rest of the product."""
        if operand is None and ((self.at("(") and self.tok.raw in ("(", "[")) or self.applies_a_function()):
            self.enter()
            try:
                operand = self.concrete(self.power())
            finally:
                self.depth -= 1
        return super().derivative_operand(t, operand, example)

    def applies_a_function(self) -> bool:
        """Is the next thing a function applied to a bracketed argument (`φ(z)`, `\\tanh(x)`)?"""
        t = self.tok
        return t.kind == "word" and self.at("(", self.peek()) and \
            any(e.kind in ("func", "bfunc", "dfunc") for e in self.vocab.lookup(t.text))

    def differentiate(self, t: Token, operand: Any, variable: Any, order: int) -> Any:
        if order != 1:
            self.fail("only first derivatives are read in a derivation", t.pos)
        self.derivatives += 1
        if self.derivatives > MAX_DERIVATIVES_PER_SIDE:
            self.fail(f"too many derivatives in one side (the limit is {MAX_DERIVATIVES_PER_SIDE})", t.pos)
        return pending(self.derivative_operand(t, operand, "∂/∂x f"), variable, self.held.get(t.pos, ()))


def parse_side(text: str, vocab: Vocabulary, fmt: str = "auto", matrix: bool = False, **limits: Any) -> Parsed:
    """Parse one side of a derivation step, reading derivatives as pending ones (`D`); a side that is a
    vector or a matrix is refused unless `matrix` (then the caller takes the entry it compares)."""
    lim = Limits(**limits)
    check_characters(text, lim)
    latex = ("\\" in text) if fmt == "auto" else fmt == "latex"
    text, held = _held_fixed(text, vocab)
    try:
        parser = _SideParser(text, vocab, latex, lim)
        parser.held = held
        value = parser.answer()
    except RecursionError:
        raise ParseError("the expression is nested too deeply", None, text) from None
    except INTERNAL as exc:
        raise _internal(exc, text) from exc
    alg = parser.alg
    if isinstance(value, Mat) and alg.known_scalar(value):
        value = alg.scalar(value, 0)
    if isinstance(value, Mat) and not matrix:
        raise ParseError("a side of a derivation is read entry by entry: write one entry", 0, text)
    shape = (value.rows, value.cols) if isinstance(value, Mat) else ()
    return Parsed("latex" if latex else "text", shape, text, value, alg, vocab, frozenset(parser.letters),
                  tuple(dict.fromkeys(parser.notes)))


#: `\left. \frac{\partial J}{\partial W}\right|_{Z_3\ \mathrm{fixed}}`: the closing bar and what it holds fixed
_HELD = re.compile(r"(?:\\right\s*)?\|\s*_\s*\{(?P<names>(?:[^{}\\]|\\(?!mathrm|text))*)"
                   r"\\(?:mathrm|textrm|text)\s*\{\s*fixed\s*\}\s*\}")  # no nested repeats: linear
_DERIVATIVE_START = re.compile(r"\\frac\s*\{\s*\\partial|∂")


def _held_fixed(text: str, vocab: Vocabulary) -> tuple[str, dict[int, tuple]]:
    """`text` with the held-fixed notation blanked (positions kept), and what the derivative before each bar
    holds fixed, by the position where it starts: the quantities named (`Z_3`, `a_1, a_2`)."""
    held: dict[int, tuple] = {}
    for m in reversed(list(_HELD.finditer(text))):
        starts = [d.start() for d in _DERIVATIVE_START.finditer(text, 0, m.start())]
        if not starts:
            raise ParseError("a bar |_{... fixed} closes no derivative", m.start(), text)
        start = starts[-1]
        held[start] = tuple(_quantity(name.strip(" ~\\;:"), vocab, text, m.start())
                            for name in m.group("names").split(",") if name.strip(" ~\\;:"))
        text = text[:m.start()] + " " * (m.end() - m.start()) + text[m.end():]
        head = text[:start].rstrip()
        if head.endswith("."):  # the opening `\left.` (or the `.` a cleaned side keeps of it)
            cut = len(head) - 1
            cut -= 5 if head[:cut].endswith("\\left") else 0
            text = text[:cut] + " " * (start - cut) + text[start:]
    return text, held


def _quantity(name: str, vocab: Vocabulary, text: str, pos: int) -> sp.Basic:
    """A quantity held fixed: a tensor (its base) or a scalar of the problem."""
    try:
        parsed = parse(name, vocab)
    except ParseError:
        raise ParseError(f"'{name}' held fixed is no quantity of the problem", pos, text) from None
    base = getattr(parsed._value, "base", None)
    if isinstance(base, sp.IndexedBase):
        return base
    value = parsed._value
    if isinstance(value, sp.Symbol):
        return value
    raise ParseError(f"'{name}' held fixed is no quantity of the problem", pos, text)
