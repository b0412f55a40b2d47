r"""Notation students bring from MATLAB, NumPy and lecture notes, for `derive.parsing`.

The built-in words `ones` (`ones(N)`), `outer(a, b)`, `mean(v)` (`mean(x_k, k)`) and
`logsumexp`; the operators ⊘ (`./`, entry-wise division) and ⊗ (the outer
product of two vectors); the indicator of a class label, `[k = y_n]`, which is
the entry Δ_nk of the one-hot tensor the spec says encodes the labels y; and,
in free expressions only, derivatives: `d/dx f`, `\frac{d}{dx} f`,
`\frac{d f}{dx}`, `d(f)/dx`, `∂/∂x f`, `\frac{d^2}{dx^2} f`, taken with SymPy's
`diff` of the parsed expression. In a problem's answer a derivative is refused:
the answer is what the derivative equals. A mixin of the parser in `parser.py`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NoReturn

import sympy as sp

from .core import CLOSERS, ParserCore
from .lexer import FRAC, Token
from .values import ONE, Ambi, Mat, SumAll, entry_of
from .vocab import Entry

#: what may follow a derivative operator (`d/dx`) instead of what it differentiates
_NO_OPERAND = {")", "]", "+", "-", ",", "=", "|", "‖", "⟩"}
#: nodes of what a derivative differentiates, and of its result, beyond which it is refused: SymPy's product
#: rule makes n terms of n factors from a product of n, and each order multiplies again
_MAX_OPERAND_NODES = 400
_MAX_DERIVATIVE_NODES = 1500


@dataclass(eq=False)
class MeanAll(Mat):
    """The mean of all entries of a matrix expression (1×1)."""

    arg: Mat

    def entry(self, ctx, r, c):
        total = SumAll(ONE, ONE, self.arg).entry(ctx, None, None)
        return ctx.alg.sdiv(total, ctx.dim(self.arg.rows) * ctx.dim(self.arg.cols))


class NotationRules(ParserCore):
    """Parser methods for the notation of MATLAB, NumPy and calculus (mixed into `parser._Parser`)."""

    # -- built-in words ----------------------------------------------------------------------
    def notation(self, t: Token, by: dict[str, list[Entry]]) -> Any:
        """A word whose meaning is one of `vocab.NOTATION_KINDS`, or a class label outside an indicator."""
        if "label" in by:
            self.label_outside_indicator(t, by["label"][0])
        if "ones" in by:
            return self.ones(t)
        if not (self.at("(") and self.tok.raw == "("):
            usage = {"outer": "outer(a, b)", "mean": "mean(v) or mean(x_k, k)", "logsumexp": "logsumexp(x)"}
            kind = next(k for k in usage if k in by)
            self.fail(f"{t.raw} needs parentheses: {usage[kind]}", t.pos)
        if "outer" in by:
            args = self.call_args()
            if len(args) != 2:
                self.fail(f"outer(a, b) takes two vectors, not {len(args)} argument(s)", t.pos)
            return self.label(self.outer(args[0], args[1], t.pos), t.pos)
        if "mean" in by:
            return self.mean_(t)
        return self.logsumexp(t, self.call_args())

    def ones(self, t: Token) -> Mat:
        """`ones`: a column of ones whose length the answer decides, like 1; `ones(N)`, `ones(N, 1)`,
        `ones(1, N)`: of the dimensions given."""
        if not (self.at("(") and self.tok.raw == "("):
            m = self.alg.mat(Ambi(ONE))
            m.label = t.raw
            return m
        opener = self.advance()
        dims: list[Any] = []
        while True:
            d = self.tok
            found = [e.obj for e in self.vocab.lookup(d.text) if e.kind == "dim"] if d.kind == "word" else []
            if d.kind == "num" and d.text == "1":
                found = [ONE]
            if not found or len(dims) == 2:
                known = dict.fromkeys(e.label for es in self.vocab.entries.values() for e in es if e.kind == "dim")
                self.fail("ones(...) takes a dimension of the problem: ones(N), or ones(N, 1)", d.pos,
                          f"dimensions: {', '.join(known)}" if known else "")
            dims.append(found[0])
            self.advance()
            if not self.at(","):
                break
            self.advance()
        self.expect_close(opener)
        rows, cols = (dims[0], ONE) if len(dims) == 1 else dims
        m = self.alg.mat(Ambi(ONE))
        self.alg.shapes.unify(m.rows, rows)
        self.alg.shapes.unify(m.cols, cols)
        return self.label(m, t.pos)

    def outer(self, a, b, pos: int):
        """The outer product a bᵀ of two vectors (either may be written as a row)."""
        return self.alg.mul(self.as_column(a, pos), self.alg.transpose(self.as_column(b, pos), pos), pos)

    def as_column(self, v, pos: int):
        """A vector as a column (a row is transposed); a scalar as itself."""
        if not isinstance(v, (Mat, Ambi)):
            return v
        m = self.alg.mat(v)
        shapes = self.alg.shapes
        if shapes.unify(m.cols, ONE):
            return m
        if shapes.unify(m.rows, ONE):
            return self.alg.transpose(m, pos)
        self.fail(f"an outer product takes two vectors, not the matrix {self.alg.describe(m)}", pos)

    def entrywise_quotient(self, a, b: Mat, pos: int):
        """a ⊘ b (`a ./ b`) for a matrix b: a ⊙ b^∘(−1), of the same shape when a is a matrix too."""
        if isinstance(a, Mat) and self.alg.known_scalar(a):
            a = self.alg.scalar(a, pos)
        if isinstance(a, (Mat, Ambi)):
            m = self.alg.mat(a)
            if not (self.alg.shapes.unify(m.rows, b.rows) and self.alg.shapes.unify(m.cols, b.cols)):
                self.fail(f"cannot divide {self.alg.describe(m)} entry-wise by {self.alg.describe(b)}: "
                          f"the shapes differ", pos)
            a = m
        return self.alg.hadamard(a, self.alg.hadamard_power(b, -ONE, pos), pos)

    def mean_(self, t: Token):
        """`mean(v)`: the mean of all entries of a vector or matrix; `mean(x_k, k)`, `mean(x_k, k, 1, n)`:
        the sum over k divided by the number of its terms."""
        if self.top_level_comma():
            total = self.sum_call(t)
            if not isinstance(total, sp.Sum):
                self.fail("mean(x_k, k) takes an expression and its index", t.pos)
            _, low, high = total.limits[-1]
            count = high - low + 1
            if count.is_positive is False:
                self.fail("a mean over an empty range", t.pos)
            return self.alg.sdiv(total, count, t.pos)
        (arg,) = self.call_args()
        if not isinstance(arg, Mat) or self.alg.known_scalar(arg):
            self.fail("mean(...) of one value needs its index: mean(x_k, k), or a vector: mean(x)", t.pos)
        return self.label(MeanAll(ONE, ONE, arg), t.pos)

    def logsumexp(self, t: Token, args: list):
        """log Σ exp: of the entries of one vector or matrix, or of two or more scalars."""
        if len(args) == 1 and isinstance(args[0], Mat) and not self.alg.known_scalar(args[0]):
            total = self.alg.sum_all(self.alg.elementwise(sp.exp, args[0], t.pos), t.pos)
            return self.alg.apply(sp.log, self.alg.scalar(total, t.pos), t.pos)
        terms = [self.alg.apply(sp.exp, self.alg.scalar(a, t.pos), t.pos) for a in args]
        return self.alg.apply(sp.log, self.alg.sadd(terms, t.pos), t.pos)

    def top_level_comma(self) -> bool:
        """Does the bracket that opens here hold a comma at its own level?"""
        return any(self.at(",", tk) for tk in self.bracket(self.i)[0])

    # -- class labels --------------------------------------------------------------------
    def label_indicator(self) -> sp.Indexed | None:
        """`[k = y_n]`, `[y_n == k]` (after 1, 𝟙 or alone): the entry Δ_nk of the one-hot tensor the spec
        says encodes the labels y; None (nothing consumed) when the bracket here is not one."""
        if not (self.at("[") or self.at("(")) or not any(self.is_label(self.peek(k)) for k in (1, 3)):
            return None
        start = self.i
        opener = self.advance()
        sides = [self.label_side()]
        if sides[0] is not None and self.at("="):
            self.advance()
            sides.append(self.label_side())
        closer = self.tok
        labels = [s for s in sides if s is not None and s[0] == "label"]
        indices = [s for s in sides if s is not None and s[0] == "index"]
        if not (len(labels) == len(indices) == 1 and closer.kind == "op" and closer.raw == CLOSERS[opener.raw]):
            self.i = start
            return None
        self.advance()
        _, entry, items, token = labels[0]
        _, index, _, index_token = indices[0]
        base = entry.obj
        shape = self.vocab.shapes[base]
        if len(items) != len(shape) - 1:
            self.label_outside_indicator(token, entry)
        subscripts = [self.index_symbol(x, p) for x, p in items]
        checks = [(index, shape[-1], "the classes", index_token.pos)]
        checks += [(s, d, "the samples", token.pos) for s, d in zip(subscripts, shape)]
        for symbol, dim, what, at in checks:
            have = self.vocab.index_range.get(symbol)
            if have is not None and have != dim:
                self.fail(f"{what} run over 1..{dim}, but {symbol} runs over 1..{have}", at)
        return entry_of(base, tuple(subscripts) + (index,))

    def is_label(self, t: Token) -> bool:
        return t.kind == "word" and any(e.kind == "label" for e in self.vocab.lookup(t.text))

    def label_side(self) -> tuple[str, Any, list, Token] | None:
        """One side of `[k = y_n]`: ("label", entry, subscripts, token), ("index", symbol, [], token), or
        None."""
        t = self.tok
        labels = [e for e in self.vocab.lookup(t.text) if e.kind == "label"] if t.kind == "word" else []
        if labels:
            self.advance()
            items: list = []
            if self.at("_"):
                self.advance()
                items = [(x, p) for x, p in self.index_items() if x != "="]
            return "label", labels[0], items, t
        if t.kind in ("word", "unknown", "sub", "num") and len(t.raw) == 1 and self.is_index_word(t):
            self.advance()
            return "index", self.index_symbol(t.raw if t.kind != "num" else int(t.text), t.pos), [], t
        return None

    def label_outside_indicator(self, t: Token, entry: Entry) -> NoReturn:
        """A class label is read only in its indicator: say how to write it."""
        shape = self.vocab.shapes[entry.obj]
        letters = [next((s.name for s in self.vocab.indices_of_dim(d)), "i") for d in shape]
        subscript = f"_{letters[0]}" if len(shape) == 2 else ""
        name = next((e.label for es in self.vocab.entries.values() for e in es
                     if e.kind == "tensor" and e.obj == entry.obj), str(entry.obj))
        self.fail(f"{t.raw} is the class label that {name} encodes: write the indicator "
                  f"[{letters[-1]} = {t.raw}{subscript}] (that is {name}_{''.join(letters)})", t.pos)

    # -- derivatives ---------------------------------------------------------------------
    def derivative(self):
        """A derivative that starts here (`d/dx f`, `\\frac{d}{dx} f`, `\\frac{∂ f}{∂ x}`, `d(f)/dx`), read;
        None when none does. In a problem's answer a derivative is refused."""
        t = self.tok
        if t.kind == "op" and t.text == FRAC:
            return self.fraction_derivative()
        if not (self.is_d(t) or self.at("∂", t)):
            return None
        k = self.i + 1
        if self.at("^", self.tokens[k]) and self.tokens[k + 1].kind == "num":
            k += 2
        if self.at("/", self.tokens[k]) and self.is_d_of(k + 1):
            return self.operator_derivative()  # d/dx f
        close = self.matching(self.i + 1) if self.at("(", self.tokens[self.i + 1]) else None
        if close is None and self.tokens[self.i + 1].kind in ("word", "unknown"):
            close = self.i + 1  # dy/dx
        if close is not None and self.at("/", self.tokens[close + 1]) and self.is_d_of(close + 2):
            return self.quotient_derivative()  # d(f)/dx
        if self.at("∂", t):
            self.refuse_derivative(t)
            self.fail("∂ starts a derivative: write ∂/∂x f or \\frac{\\partial f}{\\partial x}", t.pos)
        return None

    def is_d(self, t: Token) -> bool:
        """The d of a derivative: a `d` that is not a name of the problem (in free expressions: any `d`)."""
        return t.kind in ("word", "unknown") and t.raw == "d" and not self.vocab.lookup(t.text) and \
            not any(letter == "d" for letter, _ in self.bound)

    def is_d_of(self, k: int) -> bool:
        """Do tokens k, k+1 read `dx` or `∂x` (a problem's text has `dx` as one unknown word)?"""
        t = self.tokens[k]
        if self.is_d(t) or self.at("∂", t):
            return self.tokens[k + 1].kind in ("word", "unknown")
        return self.vocab.mode == "problem" and t.kind == "unknown" and t.raw.startswith("d") and len(t.raw) > 1

    def matching(self, k: int) -> int | None:
        """The index of the token that closes the bracket opened at token k."""
        return self.bracket(k)[1]

    def refuse_derivative(self, t: Token) -> None:
        if self.vocab.mode == "problem":
            self.fail("an answer is what the derivative equals: write the derivative out", t.pos)

    def fraction_derivative(self):
        """`\\frac{d}{dx} f`, `\\frac{d f}{dx}`, `\\frac{∂^2}{∂x^2} f`; None for any other fraction."""
        start = self.i
        top = start + 1
        if not (self.at("(", self.tokens[top]) and self.tokens[top].raw == "{"):
            return None
        top_close = self.matching(top)
        if top_close is None or not (self.at("(", self.tokens[top_close + 1]) and
                                     self.tokens[top_close + 1].raw == "{"):
            return None
        d = self.tokens[top + 1]
        if not ((self.is_d(d) or self.at("∂", d)) and self.is_d_of(top_close + 2)):
            return None
        t = self.advance()
        self.refuse_derivative(t)
        opener = self.advance()
        self.advance()  # d
        order = self.derivative_order(t)
        numerator = None
        if self.i != top_close:
            self.enter()
            try:
                numerator = self.concrete(self.expr())
            finally:
                self.depth -= 1
        self.expect_close(opener)
        opener = self.advance()
        self.advance()  # d
        variable = self.derivative_variable(t)
        self.check_order(t, order, self.derivative_order(t) if self.at("^") else 1)
        self.expect_close(opener)
        return self.differentiate(t, numerator, variable, order)

    def operator_derivative(self):
        """`d/dx f`, `d^2/dx^2 f`: the operand is the rest of the product it starts, as a sum's body."""
        t = self.advance()
        self.refuse_derivative(t)
        order = self.derivative_order(t)
        self.advance()  # /
        self.advance()  # d
        variable = self.derivative_variable(t)
        self.check_order(t, order, self.derivative_order(t) if self.at("^") else 1)
        return self.differentiate(t, None, variable, order)

    def quotient_derivative(self):
        """`d(f)/dx`, `dy/dx`: the derivative of the bracket (or the one name) after d."""
        t = self.advance()
        self.refuse_derivative(t)
        self.enter()
        try:
            numerator = self.concrete(self.power())
        finally:
            self.depth -= 1
        if not self.at("/"):
            self.fail("expected /dx after d(...)")
        self.advance()
        self.advance()  # d
        return self.differentiate(t, numerator, self.derivative_variable(t), 1)

    def derivative_order(self, t: Token) -> int:
        """`^2` after d or dx: the order (1 without one)."""
        if not self.at("^"):
            return 1
        self.advance()
        n = self.tok
        if n.kind != "num" or not n.text.isdigit() or len(n.text) > 3 or \
                not 1 <= int(n.text) <= self.limits.max_derivatives:
            self.fail(f"the order of a derivative is an integer from 1 to {self.limits.max_derivatives}", n.pos)
        self.advance()
        return int(n.text)

    def check_order(self, t: Token, top: int, below: int) -> None:
        if top != below:
            self.fail(f"the order of a derivative is written on d and on dx alike: d^{top}/dx^{top}", t.pos)

    def derivative_variable(self, t: Token) -> sp.Symbol:
        """The x of dx: one variable (a letter, a Greek letter, x_1)."""
        v = self.tok
        if v.kind == "word" and all(e.kind == "greek" for e in self.vocab.lookup(v.text)):
            symbol = self.name()
            if isinstance(symbol, sp.Symbol) and not symbol.is_integer:
                return symbol
        self.fail("a derivative is taken with respect to a variable: d/dx f", v.pos)

    def derivative_operand(self, t: Token, operand, example: str = "d/dx f") -> sp.Expr:
        """What a derivative differentiates: `operand` when the notation holds it (d(f)/dx), else the rest
        of the product that follows (d/dx f); a scalar, never a matrix expression."""
        if operand is None:
            if self.tok.kind == "end" or (self.tok.kind == "op" and self.tok.text in _NO_OPERAND):
                self.fail(f"a derivative needs what it differentiates: {example}", t.pos)
            self.enter()
            try:
                operand = self.concrete(self.term())
            finally:
                self.depth -= 1
        value = self.alg.scalar(operand, t.pos, "what a derivative differentiates")
        if any(d in self.alg.deferred for d in value.atoms(sp.Dummy)):
            self.fail("a derivative of a matrix expression: write it for one entry", t.pos)
        return value

    def differentiate(self, t: Token, operand, variable: sp.Symbol, order: int):
        self.derivatives += order
        if self.derivatives > self.limits.max_derivatives:
            self.fail(f"too many derivatives in one expression (the limit is {self.limits.max_derivatives})", t.pos)
        value = self.derivative_operand(t, operand)
        for _ in range(order):  # one order at a time, each bounded in size before the next
            if _nodes(value, _MAX_OPERAND_NODES) > _MAX_OPERAND_NODES:
                self.fail("this derivative is too large to read: differentiate a shorter expression", t.pos)
            value = self.alg.checked(sp.diff(value, variable), t.pos)
            if _nodes(value, _MAX_DERIVATIVE_NODES) > _MAX_DERIVATIVE_NODES:
                self.fail("this derivative is too large to read: differentiate a shorter expression", t.pos)
        return value


def _nodes(expr: sp.Basic, limit: int) -> int:
    """The number of nodes of `expr`, counted up to limit + 1."""
    return sum(1 for _ in zip(range(limit + 1), sp.preorder_traversal(expr)))
