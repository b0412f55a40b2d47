r"""Reading student answers with our own grammar: text, Unicode and LaTeX, never `eval`.

`parse(text, vocab)` returns a `Parsed`: a scalar (an index expression such as
σ_i(δ_ij − σ_j)) or a matrix expression (diag(σ) − σσᵀ) whose `index_form(free)`
is the entry at the part's free indices. Names come from a `Vocabulary`: a
problem's symbol table (`Vocabulary.from_spec(spec, part)`) or the free one
(`Vocabulary.free()`, every letter a real symbol). Student text never reaches
`eval`, `sympify` or SymPy's parsers: SymPy objects are built by constructors,
decimals are exact rationals, and sizes are checked before SymPy evaluates.

Grammar (EBNF; `{ }` repetition, `[ ]` option). Juxtaposition is a product;
a function name without parentheses takes the implicit product after it
(`sin 5n` = sin(5n), `n log^2 2n` = n·log(2n)²), stopping before another
function name (`2 \sin b \cos a`); a sum's body is the rest of the product or
quotient it starts (`Σ_k a_k b_k/N` = Σ_k (a_k b_k/N)), as our printers print it.

    answer    = expr END ;
    expr      = term { ("+" | "-") term } ;
    term      = unary { ("*" | "·" | "×" | "\cdot" | "\times") unary | "/" unary
                      | ("⊙" | ".*" | "\odot" | "∘") unary | factor } ;
    unary     = ("-" | "+") unary | sum | power ;
    factor    = sum | power ;                       (* starts with a number, name, bracket, command *)
    sum       = SIGMA index-spec term | "sum" "(" expr [ "," sum-var ] ")" ;
    SIGMA     = "Σ" | "∑" | "sum" | "\sum" ;
    index-spec= "_" ( letters | "{" letters [ "=" bound [ (".." | ",") bound ] ] "}" ) [ "^" bound ] ;
    sum-var   = letter [ "," bound "," bound ] | "(" letter "," bound "," bound ")" ;
    bound     = integer | dimension | "{" bound "}" ;
    power     = primary { postfix } ;
    postfix   = ("^" | "**") ( "T" | "⊤" | "{" "∘" expr "}" | exponent ) | superscript-digits
              | "ᵀ" | "'" | "!" | "_" indices | "[" indices "]" ;
    exponent  = ("-" | "+") exponent | power ;
    indices   = letters-and-digits | "{" { letter | integer | "," | "=" } "}" ;
    primary   = number | name | call | "(" expr ")" | "[" expr "]" | "{" expr "}" | "|" expr "|"
              | "[" index ("=" | "==") index "]" | "\frac" arg arg | "\sqrt" [ "[" integer "]" ] arg
              | "𝟏" ;                               (* \mathbf{1}, \mathbb{1}: ones; 𝟏_{i=j}: δ_ij *)
    call      = function [ ("^" | "**") exponent ] ( "(" expr { "," expr } ")" | implicit ) ;
    implicit  = unary { factor } ;                  (* no explicit operator; stops at a function *)
    arg       = "{" expr "}" | digit | letter | command ;
    number    = digits [ "." digits ] [ ("e" | "E") [ "+" | "-" ] digits ] ;   (* exponent in text only *)

Names (longest match against the vocabulary): tensors (`x_i`, `w[j,i]`,
`W_{2,jk}`, bare `W2` as a matrix), scalars, dimensions, the spec's functions
(`σ(z)`, `φ'(Z2)`, `dphi(Z2)`), `softmax(x)`-style aliases, built-ins (`exp`,
`log`/`ln` (`log_2`), `sqrt`, `abs`, trigonometric and hyperbolic functions and
their inverses, `sigmoid`, `e`, `pi`, `δ`/`delta`/`KroneckerDelta`, `diag`,
`HadamardPower`, `I`). LaTeX commands outside the supported subset are refused
by name (`\input`, `\def`, ...).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sympy as sp

from .parse_lexer import FRAC, ONES, SQRT, Limits, ParseError, Token, check_characters, tokenize
from .parse_values import ONE, Algebra, Ambi, Base, EntryContext, Identity, Mat, Shapes, Var
from .parse_vocab import BUILTIN_FUNCTIONS, SYMBOL_NAME, Entry, Vocabulary

__all__ = ["ParseError", "Parsed", "Vocabulary", "parse"]

CLOSERS = {"(": ")", "{": "}", "[": "]"}
FUNCTION_KINDS = ("func", "dfunc", "bfunc")


@dataclass
class NameRef:
    """A tensor name before its postfix: subscripted it is an entry, bare a matrix."""

    token: Token
    entries: list


@dataclass(frozen=True)
class Parsed:
    """A parsed answer: a scalar (shape ()) or a matrix expression (shape (rows, cols))."""

    format: str  # "text" | "latex"
    shape: tuple  # () or (rows, cols): dim Symbols, 1, or None where the answer leaves it open
    text: str = ""
    _value: Any = field(default=None, repr=False, compare=False)
    _alg: Any = field(default=None, repr=False, compare=False)
    _vocab: Any = field(default=None, repr=False, compare=False)
    _letters: frozenset = field(default=frozenset(), repr=False, compare=False)

    def index_form(self, free: tuple = ()) -> sp.Expr:
        """The expression; for a matrix, its entry at `free` (row, col), or at the one non-1 dimension."""
        alg, value, free = self._alg, self._value, tuple(free)
        if not isinstance(value, Mat) and not alg.deferred:
            return value
        shapes = alg.shapes.copy()
        if isinstance(value, Mat):
            shapes, r, c = _match(shapes, value, free, self._vocab, self.text)
        else:
            r = c = None
        ctx = EntryContext(alg, shapes, self._vocab, set(free), self._used())
        return alg.materialise(ctx, value, r, c)

    def _used(self) -> set:
        return set(self._letters)


def _match(shapes: Shapes, m: Mat, free: tuple, vocab, text: str):
    dims = []
    for index in free:
        dim = vocab.index_range.get(index) if vocab is not None else None
        if dim is None:
            raise ParseError(f"the free index {index} has no range in this problem", None, text)
        dims.append(dim)
    shown = f"{shapes.show(m.rows)}×{shapes.show(m.cols)}"
    if len(free) == 2:
        if shapes.unify(m.rows, dims[0]) and shapes.unify(m.cols, dims[1]):
            return shapes, (None if dims[0] == ONE else free[0]), (None if dims[1] == ONE else free[1])
        raise ParseError(f"the answer is a {shown} matrix, but the part asks for entry ({free[0]}, {free[1]}) "
                         f"of a {dims[0]}×{dims[1]} matrix", None, text)
    if len(free) == 1:
        for rows, cols, r, c in ((dims[0], ONE, free[0], None), (ONE, dims[0], None, free[0])):
            trial = shapes.copy()
            if trial.unify(m.rows, rows) and trial.unify(m.cols, cols):
                return trial, r, c
        raise ParseError(f"the answer is a {shown} matrix, but the part asks for a vector of length {dims[0]}",
                         None, text)
    if len(free) == 0 and shapes.unify(m.rows, ONE) and shapes.unify(m.cols, ONE):
        return shapes, None, None
    raise ParseError(f"the answer is a {shown} matrix; give its free indices (rows, columns)", None, text)


def parse(text: str, vocab: Vocabulary, fmt: str = "auto", **limits) -> Parsed:
    """Parse one answer. `fmt` is "auto" (a backslash means LaTeX), "text" or "latex"; `limits` override
    the fields of `Limits` (max_length, max_depth, max_digits, max_exponent, ...)."""
    lim = Limits(**limits)
    check_characters(text, lim)
    if fmt not in ("auto", "text", "latex"):
        raise ValueError(f"fmt must be 'auto', 'text' or 'latex', not {fmt!r}")
    latex = ("\\" in text) if fmt == "auto" else fmt == "latex"
    parser = _Parser(text, vocab, latex, lim)
    try:
        value = parser.answer()
    except RecursionError:
        raise ParseError("the expression is nested too deeply", None, text) from None
    alg = parser.alg
    if isinstance(value, Mat) and alg.known_scalar(value):
        value = alg.scalar(value, 0)
    if isinstance(value, Mat):
        shape = tuple(None if isinstance(alg.shapes.find(d), Var) else
                      (1 if alg.shapes.find(d) == ONE else alg.shapes.find(d)) for d in (value.rows, value.cols))
    else:
        shape = ()
    return Parsed("latex" if latex else "text", shape, text, value, alg, vocab, frozenset(parser.used_indices()))


class _Parser:
    def __init__(self, text: str, vocab: Vocabulary, latex: bool, limits: Limits):
        self.text, self.vocab, self.latex, self.limits = text, vocab, latex, limits
        self.tokens, self.letters = tokenize(text, vocab, latex)
        self.i = 0
        self.depth = 0
        self.abs_depth = 0
        self.bound: list[tuple[str, sp.Symbol]] = []
        self.alg = Algebra(limits, text, Shapes())

    # -- tokens ------------------------------------------------------------------------
    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def peek(self, k: int = 1) -> Token:
        return self.tokens[min(self.i + k, len(self.tokens) - 1)]

    def advance(self) -> Token:
        t = self.tokens[self.i]
        if t.kind != "end":
            self.i += 1
        return t

    def at(self, text: str, t: Token | None = None) -> bool:
        t = self.tok if t is None else t
        return t.kind == "op" and t.text == text

    def fail(self, message: str, pos: int | None = None, hint: str = ""):
        raise ParseError(message, self.tok.pos if pos is None else pos, self.text, hint)

    def describe(self, t: Token) -> str:
        return "the end of the answer" if t.kind == "end" else f"'{t.raw or t.text}'"

    def expect_close(self, opener: Token) -> None:
        closer = CLOSERS.get(opener.raw, ")")
        t = self.tok
        if t.kind == "op" and t.raw == closer:
            self.advance()
            return
        if t.kind == "end":
            self.fail(f"missing '{closer}' to close '{opener.raw}' from column {opener.pos}")
        self.fail(f"expected '{closer}' to close '{opener.raw}' from column {opener.pos}, found {self.describe(t)}")

    def enter(self) -> None:
        self.depth += 1
        if self.depth > self.limits.max_depth:
            self.fail(f"the expression is nested too deeply (the limit is {self.limits.max_depth})")

    def label(self, value, start: int):
        if isinstance(value, Mat):
            value.label = self.text[start:self.tok.pos].strip()
        return value

    def used_indices(self) -> set:
        return set(self.letters)

    # -- grammar -----------------------------------------------------------------------
    def answer(self):
        if self.tok.kind == "end":
            self.fail("empty answer")
        value = self.concrete(self.expr())
        t = self.tok
        if t.kind != "end":
            if self.at(")") or self.at("]"):
                self.fail(f"unmatched '{t.raw}'")
            if self.at("="):
                self.fail("an answer is an expression, not an equation: '=' is not allowed here")
            self.fail(f"unexpected {self.describe(t)}")
        if isinstance(value, Ambi):
            value = value.coeff
        return value

    def expr(self):
        start = self.tok.pos
        terms, positions = [self.concrete(self.term())], [start]
        while self.at("+") or self.at("-"):
            op = self.advance()
            term = self.concrete(self.term())
            terms.append(self.alg.neg(term, op.pos) if op.text == "-" else term)
            positions.append(op.pos)
        if len(terms) == 1:
            return terms[0]
        return self.label(self.alg.add(terms, positions), start)

    def term(self, implicit_only: bool = False):
        start = self.tok.pos
        acc = self.concrete(self.unary(implicit_only))
        while True:
            t = self.tok
            if not implicit_only and t.kind == "op" and t.text in ("*", "/", "⊙", "∘"):
                self.advance()
                rhs = self.concrete(self.unary())
                if t.text == "*":
                    acc = self.alg.mul(acc, rhs, t.pos)
                elif t.text == "/":
                    acc = self.alg.div(acc, rhs, t.pos)
                else:
                    acc = self.alg.hadamard(acc, rhs, t.pos)
            elif self.starts_factor(t, implicit_only):
                if t.kind == "num" and self.tokens[self.i - 1].kind == "num":
                    self.fail("two numbers in a row: write * between them")
                rhs = self.sum_() if self.is_sum(t) else self.power()
                acc = self.alg.mul(acc, self.concrete(rhs), t.pos)
            else:
                return acc
            self.label(acc, start)

    def starts_factor(self, t: Token, implicit_only: bool) -> bool:
        if t.kind == "num":
            return True
        if t.kind in ("word", "unknown"):
            return not (implicit_only and self.is_function(t))
        if t.kind == "op":
            if t.text == "|":
                return self.abs_depth == 0
            return t.text in ("(", "[", FRAC, SQRT, ONES, "Σ")
        return False

    def is_function(self, t: Token) -> bool:
        if t.kind != "word":
            return False
        kinds = {e.kind for e in self.vocab.lookup(t.text)}
        return bool(kinds & {"func", "dfunc", "bfunc", "diag", "hpow", "sum"}) and not (kinds & {"scalar"})

    def is_sum(self, t: Token) -> bool:
        return self.at("Σ", t) or (t.kind == "word" and any(e.kind == "sum" for e in self.vocab.lookup(t.text)))

    def unary(self, implicit_only: bool = False):
        self.enter()
        try:
            t = self.tok
            if self.at("-"):
                self.advance()
                return self.alg.neg(self.concrete(self.unary(implicit_only)), t.pos)
            if self.at("+"):
                self.advance()
                return self.unary(implicit_only)
            if self.is_sum(t):
                return self.sum_()
            return self.power()
        finally:
            self.depth -= 1

    def exponent(self):
        self.enter()
        try:
            t = self.tok
            if self.at("-"):
                self.advance()
                return self.alg.neg(self.concrete(self.exponent()), t.pos)
            if self.at("+"):
                self.advance()
                return self.exponent()
            return self.concrete(self.power())
        finally:
            self.depth -= 1

    def power(self):
        start = self.tok.pos
        value = self.primary()
        while True:
            t = self.tok
            if (self.at("_") or self.at("[")) and isinstance(value, NameRef):
                value = self.tensor_entry(value)
            elif self.at("_"):
                value = self.subscript(value, start)
            elif self.at("^"):
                self.advance()
                if self.transpose_follows():
                    value = self.alg.transpose(self.concrete(value), t.pos)
                elif self.circ_follows():
                    opener = self.advance()
                    self.advance()
                    exp = self.expr()
                    self.expect_close(opener)
                    value = self.alg.hadamard_power(self.concrete(value), exp, t.pos)
                else:
                    value = self.alg.power(self.concrete(value), self.exponent(), t.pos)
            elif self.at("sup"):
                self.advance()
                value = self.alg.power(self.concrete(value), sp.Integer(int(t.raw)), t.pos)
            elif self.at("ᵀ") or self.at("⊤") or (self.at("'") and isinstance(value, (NameRef, Mat))):
                self.advance()
                value = self.alg.transpose(self.concrete(value), t.pos)
            elif self.at("!"):
                self.advance()
                value = self.factorial(self.concrete(value), t.pos)
            elif self.at("'"):
                self.fail("unexpected \"'\": only the problem's generic functions have a derivative (φ')")
            else:
                return self.label(self.concrete(value), start)
            self.label(value, start)

    def transpose_follows(self) -> bool:
        """`^T`, `^⊤`, `^{T}`, `^{\\top}`: consumed, True."""
        def is_t(t: Token) -> bool:
            return self.at("⊤", t) or (t.kind in ("word", "unknown") and t.raw == "T"
                                       and not any(e.kind in ("scalar", "tensor", "dim") for e in
                                                   self.vocab.lookup(t.text)) and self.vocab.mode != "free")
        if is_t(self.tok):
            self.advance()
            return True
        if self.at("(") and self.tok.raw == "{" and is_t(self.peek()) and self.at(")", self.peek(2)):
            self.i += 3
            return True
        return False

    def circ_follows(self) -> bool:
        return self.at("(") and self.tok.raw == "{" and self.at("∘", self.peek())

    def factorial(self, value, pos):
        n = value.coeff if isinstance(value, Ambi) else value
        if not (isinstance(n, sp.Integer) and n >= 0):
            self.fail("a factorial needs a non-negative integer", pos)
        if n > self.limits.max_factorial:
            self.fail(f"the factorial of {n} is too large (the limit is {self.limits.max_factorial})", pos)
        return sp.factorial(n) if n <= 100 else sp.factorial(n, evaluate=False)

    # -- primaries -----------------------------------------------------------------------
    def primary(self):
        t = self.tok
        if t.kind == "num":
            self.advance()
            return self.number(t)
        if t.kind in ("word", "unknown"):
            return self.name()
        if t.kind == "op":
            if t.text == "(" or t.text == "[":
                delta = self.iverson()
                return delta if delta is not None else self.group()
            if t.text == "|":
                return self.absolute()
            if t.text == FRAC:
                self.advance()
                top = self.tex_arg()
                return self.alg.div(top, self.tex_arg(), t.pos)
            if t.text == SQRT:
                return self.root()
            if t.text == ONES:
                self.advance()
                delta = self.indicator()
                return delta if delta is not None else self.label(self.alg.mat(Ambi(ONE)), t.pos)
            if t.text == "Σ":
                return self.sum_()
        if t.kind == "sub":
            self.fail("unexpected subscript")
        if t.kind == "end":
            self.fail("the answer ends where an operand is expected")
        self.fail(f"unexpected {self.describe(t)}")

    def number(self, t: Token):
        mantissa, _, exp = t.text.partition("e")
        whole, _, frac = mantissa.partition(".")
        if len(whole.lstrip("0")) + len(frac) > self.limits.max_digits:
            self.fail(f"a number with more than {self.limits.max_digits} digits", t.pos)
        if exp and abs(int(exp)) > 300:
            self.fail("the exponent of this number is too large", t.pos)
        value = sp.Rational(int(whole + frac or "0"), 10 ** len(frac))
        if exp:
            value = value * sp.Rational(10) ** int(exp)
        if t.text == "1":
            return Ambi(ONE)
        return value

    def group(self):
        opener = self.advance()
        self.enter()
        try:
            if self.tok.kind == "op" and self.tok.raw == CLOSERS.get(opener.raw, ")"):
                self.fail("empty brackets")
            value = self.expr()
            self.expect_close(opener)
        finally:
            self.depth -= 1
        return self.label(value, opener.pos)

    def absolute(self):
        opener = self.advance()
        self.abs_depth += 1
        self.enter()
        try:
            value = self.expr()
        finally:
            self.abs_depth -= 1
            self.depth -= 1
        if not self.at("|"):
            self.fail(f"missing '|' to close '|' from column {opener.pos}")
        self.advance()
        return self.alg.elementwise(sp.Abs, value, opener.pos)

    def tex_arg(self):
        """A LaTeX argument: `{...}`, one digit (`\\frac13`), or one name or command."""
        t = self.tok
        if t.kind == "num" and "." not in t.text and "e" not in t.text and len(t.text) > 1:
            digit = t.text[0]
            t.text = t.raw = t.text[1:]
            t.pos += 1
            return Ambi(ONE) if digit == "1" else sp.Integer(int(digit))
        if self.at("(") and t.raw == "{":
            return self.concrete(self.group())
        if t.kind == "end":
            self.fail("a LaTeX command is missing its argument")
        return self.concrete(self.power() if t.kind == "op" else self.primary())

    def root(self):
        t = self.advance()
        degree = 2
        if self.at("["):
            self.advance()
            d = self.tok
            if d.kind != "num" or not d.text.isdigit() or not 2 <= int(d.text) <= self.limits.max_exponent:
                self.fail("the degree of a root must be an integer from 2", d.pos)
            degree = int(d.text)
            self.advance()
            if not self.at("]"):
                self.fail("expected ']' after the degree of the root")
            self.advance()
        arg = self.tex_arg()
        return self.alg.elementwise(lambda x: self.alg.spow(x, sp.Rational(1, degree), t.pos), arg, t.pos)

    def iverson(self):
        """`[i = j]`, `[i == j]`: δ_ij."""
        t0, t1, t2, t3, t4 = (self.peek(k) for k in range(5))
        if not (self.at("[", t0) and self.at("=", t2) and self.at("]", t4)):
            return None
        if not all(t.kind in ("word", "unknown", "sub", "num") for t in (t1, t3)):
            return None
        self.i += 5
        a = self.index_symbol(t1.raw, t1.pos)
        b = self.index_symbol(t3.raw, t3.pos)
        return sp.KroneckerDelta(a, b)

    def indicator(self):
        """After 𝟏 or 1: `_{i=j}` or `[i=j]` makes δ_ij."""
        if self.at("["):
            return self.iverson()
        if self.at("_") and self.at("(", self.peek()) and self.at("=", self.peek(3)):
            self.advance()
            items = self.index_items()
            letters = [x for x, _ in items if x != "="]
            if len(items) != 3 or items[1][0] != "=" or len(letters) != 2:
                self.fail("an indicator is written 1_{i=j}")
            return sp.KroneckerDelta(*(self.index_symbol(x, p) for x, p in (items[0], items[2])))
        return None

    # -- names -----------------------------------------------------------------------------
    def name(self):
        t = self.advance()
        if len(t.raw) == 1:
            for letter, symbol in reversed(self.bound):
                if letter == t.raw:
                    return symbol
        entries = self.vocab.lookup(t.text) if t.kind == "word" else ()
        if not entries:
            if self.vocab.mode == "free" and t.kind == "word":
                return self.free_symbol(t, t.raw)
            if self.at("("):
                found = self.alias_application(t)
                if found is not None:
                    return found
            self.unknown(t)
        by: dict[str, list[Entry]] = {}
        for e in entries:
            by.setdefault(e.kind, []).append(e)
        funcs = [e for k in FUNCTION_KINDS for e in by.get(k, ())]
        tensors = by.get("tensor", [])
        if "sum" in by:
            self.i -= 1
            return self.sum_()
        if "delta" in by and (self.at("_") or self.at("(")):
            return self.kronecker(t)
        if "ident" in by:
            return self.identity(t)
        if "diag" in by or "hpow" in by:
            return self.matrix_function(t, "diag" if "diag" in by else "hpow")
        if "softmax" in by:
            found = self.alias_application(t) if self.at("(") else None
            if found is None:
                self.unknown(t)
            return found
        if tensors and self.at("("):
            found = self.tensor_application(t, tensors)
            if found is not None:
                return found
        if funcs and (self.at("(") or not (tensors or "scalar" in by or "dim" in by or "index" in by)):
            return self.call(t, funcs[0])
        if tensors and (self.at("_") or self.at("[")):
            return NameRef(t, tensors)
        if "scalar" in by:
            return by["scalar"][0].obj
        if tensors:
            return NameRef(t, tensors)
        for kind in ("dim", "index", "const"):
            if kind in by:
                return by[kind][0].obj
        if "greek" in by:
            return self.free_symbol(t, by["greek"][0].obj)
        if "delta" in by:
            self.fail("δ needs two indices: δ_ij", t.pos)
        self.unknown(t)

    def unknown(self, t: Token):
        if self.vocab.mode == "free":
            self.fail(f"unknown name '{t.raw}'", t.pos)
        self.fail(f"unknown name '{t.raw}'", t.pos, self.vocab.hint)

    def free_symbol(self, t: Token, name: str):
        if self.at("_"):
            self.advance()
            items = self.index_items()
            name += "_" + "".join(str(x) for x, _ in items)
        if not SYMBOL_NAME.fullmatch(name):
            self.fail(f"'{name}' is not a valid symbol name", t.pos)
        return sp.Symbol(name, real=True, **self.vocab.assume.get(name, {}))

    def concrete(self, value):
        """A bare tensor name is a matrix (a vector a column)."""
        if not isinstance(value, NameRef):
            return value
        entry = self.choose(value.token, value.entries)
        shape = self.vocab.shapes[entry.obj]
        rows, cols = (shape[0], ONE) if len(shape) == 1 else shape
        m = Base(rows, cols, entry.obj)
        m.label = value.token.raw
        return m

    def choose(self, t: Token, entries: list) -> Entry:
        unique = list({id(e.obj): e for e in entries}.values())
        if len(unique) > 1:
            preferred = [e for e in unique if e.obj in self.vocab.prefer]
            if len(preferred) == 1:
                return preferred[0]
            names = " and ".join(str(e.obj) for e in unique)
            self.fail(f"'{t.raw}' is ambiguous here: it names {names}", t.pos,
                      "name the part when building the vocabulary, or use a name that is unique")
        return unique[0]

    def tensor_application(self, t: Token, tensors: list):
        """`σ(x)` where σ's definition reads x: the tensor itself (then `σ(x)_i`)."""
        arg, close = self.peek(), self.peek(2)
        if not (arg.kind == "word" and self.at(")", close)):
            return None
        args = {e.obj for e in self.vocab.lookup(arg.text) if e.kind == "tensor"}
        found = [e for e in tensors if args & self.vocab.depends.get(e.obj, frozenset())]
        if not found:
            return None
        self.i += 3
        return NameRef(t, found)

    def alias_application(self, t: Token):
        """`softmax(x)` spelled as a whole alias in the spec, typed as `\\operatorname{softmax}(x)`."""
        arg, close = self.peek(), self.peek(2)
        if not (arg.kind == "word" and self.at(")", close)):
            return None
        for surface, key in self.vocab.surfaces.items():
            if key == arg.text:
                whole = self.vocab.surfaces.get(f"{t.raw}({surface})")
                tensors = [e for e in self.vocab.lookup(whole)] if whole else []
                tensors = [e for e in tensors if e.kind == "tensor"]
                if tensors:
                    self.i += 3
                    return NameRef(t, tensors)
        return None

    def call(self, t: Token, entry: Entry):
        power = None
        if self.at("^") and not (self.peek().raw == "T" or self.at("⊤", self.peek())):
            op = self.advance()
            power = (self.exponent(), op.pos)
        elif self.at("sup"):
            op = self.advance()
            power = (sp.Integer(int(op.raw)), op.pos)
        if self.at("'"):
            self.fail(f"{t.raw}' is not defined in this problem: write the derivative out")
        base = None
        if entry.kind == "bfunc" and entry.obj == "log" and self.at("_"):
            self.advance()
            base = self.log_base()
        if self.at("(") and self.tok.raw in ("(", "{"):
            args = self.call_args()
        elif self.starts_factor(self.tok, False) or self.at("-") or self.at("+"):
            self.enter()
            try:
                args = [self.concrete(self.term(implicit_only=True))]
            finally:
                self.depth -= 1
        else:
            self.fail(f"{t.raw} needs an argument")
        value = self.apply(t, entry, args)
        if base is not None:
            value = self.alg.div(value, self.alg.apply(sp.log, base, t.pos), t.pos)
        if power is not None:
            exp, pos = power
            if isinstance(exp, Ambi):
                exp = exp.coeff
            if not (isinstance(exp, sp.Integer) and exp > 0):
                self.fail(f"a power of {t.raw} must be a positive integer: write ({t.raw} x)^(-1) "
                          f"for a reciprocal", pos)
            value = self.alg.power(value, exp, pos)
        return value

    def log_base(self):
        t = self.tok
        if t.kind == "sub" and t.raw.isdigit():
            self.advance()
            return sp.Integer(int(t.raw))
        if self.at("(") and t.raw == "{":
            value = self.group()
            return self.alg.scalar(value, t.pos)
        self.fail("the base of a logarithm is a number: log_2 or log_{10}")

    def call_args(self) -> list:
        opener = self.advance()
        self.enter()
        try:
            if self.tok.kind == "op" and self.tok.raw == CLOSERS[opener.raw]:
                self.fail("empty parentheses: a function needs an argument")
            args = [self.concrete(self.expr())]
            while self.at(","):
                self.advance()
                args.append(self.concrete(self.expr()))
            self.expect_close(opener)
        finally:
            self.depth -= 1
        return args

    def apply(self, t: Token, entry: Entry, args: list):
        name = entry.obj if entry.kind == "bfunc" else getattr(entry.obj, "__name__", t.raw)
        wanted = (1, 2) if name == "log" and entry.kind == "bfunc" else (1,)
        if len(args) not in wanted:
            self.fail(f"{t.raw} takes {' or '.join(map(str, wanted))} argument(s), not {len(args)}", t.pos)
        if entry.kind == "bfunc" and name == "log" and len(args) == 2:
            base = self.alg.scalar(args[1], t.pos)
            top = self.alg.elementwise(sp.log, args[0], t.pos)
            return self.alg.div(top, self.alg.apply(sp.log, base, t.pos), t.pos)
        if entry.kind == "bfunc" and name == "sqrt":
            func = lambda x: self.alg.spow(x, sp.Rational(1, 2), t.pos)  # noqa: E731
        elif entry.kind == "bfunc":
            func = BUILTIN_FUNCTIONS[name]
        else:
            func = entry.obj
        return self.alg.elementwise(func, args[0], t.pos)

    def matrix_function(self, t: Token, kind: str):
        if not self.at("("):
            self.fail(f"{t.raw} needs parentheses: {t.raw}(...)")
        args = self.call_args()
        if kind == "diag":
            if len(args) != 1:
                self.fail("diag takes one vector", t.pos)
            return self.label(self.alg.diag(args[0], t.pos), t.pos)
        if len(args) != 2:
            self.fail("HadamardPower takes a matrix and an exponent", t.pos)
        return self.label(self.alg.hadamard_power(args[0], args[1], t.pos), t.pos)

    def identity(self, t: Token):
        if self.at("_"):
            self.advance()
            items = self.index_items()
            if len(items) == 1:
                dims = [e.obj for e in self.vocab.lookup(str(items[0][0])) if e.kind == "dim"]
                if dims:
                    return Identity(dims[0], dims[0])
            if len(items) == 2:
                return sp.KroneckerDelta(*(self.index_symbol(x, p) for x, p in items))
            self.fail("write I for the identity, I_n for its size, or I_ij for an entry", t.pos)
        size = self.alg.shapes.new()
        m = Identity(size, size)
        m.label = "I"
        return m

    def kronecker(self, t: Token):
        if self.at("("):
            opener = self.advance()
            items = self.index_items(opener)
        else:
            self.advance()
            items = self.index_items()
        letters = [(x, p) for x, p in items if x != "="]
        if len(letters) != 2 or len(items) != 2:
            self.fail("the Kronecker delta takes two indices: δ_ij", t.pos)
        return sp.KroneckerDelta(*(self.index_symbol(x, p) for x, p in letters))

    # -- indices --------------------------------------------------------------------------
    def index_items(self, opener: Token | None = None) -> list[tuple[Any, int]]:
        """The indices after `_` (or inside an opened bracket): letters, integers and `=`."""
        t = self.tok
        if opener is None and t.kind in ("sub", "word", "unknown", "num"):
            self.advance()
            return self.split_index(t)
        if opener is None:
            if not (self.at("(") and t.raw == "{"):
                self.fail("expected an index after '_'")
            opener = self.advance()
        closer = CLOSERS.get(opener.raw, ")")
        items: list[tuple[Any, int]] = []
        while not (self.tok.kind == "op" and self.tok.raw == closer):
            t = self.advance()
            if t.kind in ("sub", "word", "unknown", "num"):
                items.extend(self.split_index(t))
            elif self.at(",", t):
                continue
            elif self.at("=", t):
                items.append(("=", t.pos))
            elif t.kind == "end":
                self.fail(f"missing '{closer}' to close '{opener.raw}' from column {opener.pos}", t.pos)
            else:
                self.fail(f"unexpected {self.describe(t)} in indices", t.pos)
        self.advance()
        if not items:
            self.fail("empty indices", opener.pos)
        return items

    def split_index(self, t: Token) -> list[tuple[Any, int]]:
        raw = t.raw if t.kind != "num" else t.text
        out: list[tuple[Any, int]] = []
        k = 0
        while k < len(raw):
            c = raw[k]
            if c.isdigit():
                j = k
                while j < len(raw) and raw[j].isdigit():
                    j += 1
                value = int(raw[k:j]) if j - k <= 6 else None
                if value is None or value > self.limits.max_sum_bound:
                    self.fail("an index number is too large", t.pos + k)
                out.append((value, t.pos + k))
                k = j
            elif c.isalpha() and c.isascii():
                out.append((c, t.pos + k))
                k += 1
            else:
                self.fail(f"'{raw}' is not an index", t.pos)
        return out

    def index_symbol(self, item, pos: int):
        if isinstance(item, int):
            return sp.Integer(item)
        letter = str(item)
        if len(letter) != 1:
            self.fail(f"'{letter}' is not an index", pos)
        for name, symbol in reversed(self.bound):
            if name == letter:
                return symbol
        if self.vocab.mode == "free":
            return sp.Symbol(letter, integer=True)
        if letter in self.vocab.indices:
            return self.vocab.indices[letter]
        self.fail(f"unknown index '{letter}'", pos,
                  self.vocab.index_hint + "; any other index must be bound by a sum (Σ_c)")

    def tensor_entry(self, ref: NameRef):
        if self.at("["):
            opener = self.advance()
            items = self.index_items(opener)
        else:
            self.advance()
            items = self.index_items()
        if any(x == "=" for x, _ in items):
            self.fail("unexpected '=' in indices", ref.token.pos)
        idx = [self.index_symbol(x, p) for x, p in items]
        bound = {s for _, s in self.bound}
        fitting_arity = [e for e in ref.entries if len(self.vocab.shapes[e.obj]) == len(idx)]
        if not fitting_arity:
            counts = sorted({len(self.vocab.shapes[e.obj]) for e in ref.entries})
            self.fail(f"{ref.token.raw} takes {' or '.join(map(str, counts))} ind"
                      f"{'ex' if counts == [1] else 'ices'}, not {len(idx)}", ref.token.pos)

        def clash(entry):
            for index, dim in zip(idx, self.vocab.shapes[entry.obj]):
                have = self.vocab.index_range.get(index)
                if index not in bound and have is not None and have != dim:
                    return index, have, dim
            return None

        fitting = [e for e in fitting_arity if clash(e) is None]
        if not fitting:
            index, have, dim = clash(fitting_arity[0])
            self.fail(f"the index {index} runs over 1..{have}, but this index of {ref.token.raw} "
                      f"runs over 1..{dim}", ref.token.pos)
        entry = self.choose(ref.token, fitting)
        return entry.obj[tuple(idx)]

    def subscript(self, value, start: int):
        """`_` after something that is not a tensor name: an indicator 1_{i=j}, or an entry of a matrix."""
        pos = self.tok.pos
        if isinstance(value, Ambi) and value.coeff == ONE:
            delta = self.indicator()
            if delta is not None:
                return delta
        if isinstance(value, Mat):
            self.advance()
            items = self.index_items()
            idx = [self.index_symbol(x, p) for x, p in items if x != "="]
            return self.entry_of(value, idx, pos)
        self.fail("only a vector or matrix takes indices here", pos)

    def entry_of(self, m: Mat, idx: list, pos: int):
        shapes = self.alg.shapes
        dims = [self.vocab.index_range.get(i) for i in idx]
        if len(idx) == 2:
            r, c = idx
            for have, want in ((m.rows, dims[0]), (m.cols, dims[1])):
                if want is not None and not shapes.unify(have, want):
                    self.fail(f"{self.alg.describe(m)} has no entry ({r}, {c})", pos)
        elif len(idx) == 1:
            if shapes.find(m.cols) == ONE or (isinstance(shapes.find(m.cols), Var) and shapes.unify(m.cols, ONE)):
                r, c = idx[0], None
            elif shapes.unify(m.rows, ONE):
                r, c = None, idx[0]
            else:
                self.fail(f"{self.alg.describe(m)} is a matrix: give two indices", pos)
        else:
            self.fail("an entry takes one or two indices", pos)
        used = set(idx) | {s for _, s in self.bound}
        ctx = EntryContext(self.alg, shapes, self.vocab, used, self.letters)
        return self.alg.materialise(ctx, m, r, c)

    # -- sums -------------------------------------------------------------------------------
    def sum_(self):
        t = self.advance()
        if self.at("(") and self.tok.raw == "(":
            return self.sum_call(t)
        letters: list[tuple[str, int]] = []
        low = high = None
        seen = set()
        while (self.at("_") or self.at("^")) and self.tok.text not in seen:
            op = self.advance()
            seen.add(op.text)
            if op.text == "^":
                high = self.bound_value()
                continue
            if self.at("(") and self.tok.raw == "{":
                opener = self.advance()
                while self.tok.kind in ("word", "unknown", "sub") or self.at(","):
                    v = self.advance()
                    if v.kind != "op":
                        letters.extend((c, v.pos + k) for k, c in enumerate(v.raw))
                if self.at("="):
                    self.advance()
                    low = self.bound_value()
                    if self.at("..") or self.at(","):
                        self.advance()
                        high = self.bound_value()
                self.expect_close(opener)
            elif self.tok.kind in ("sub", "word", "unknown"):
                v = self.advance()
                letters.extend((c, v.pos + k) for k, c in enumerate(v.raw))
            else:
                self.fail("expected the summation index after '_'")
        if not letters:
            self.fail("a sum needs its index: Σ_k x_k or sum(x_k, k)", t.pos)
        if any(not (c.isascii() and c.isalpha()) for c, _ in letters):
            self.fail("a summation index is a letter", letters[0][1])
        if len(letters) > 1 and (low is not None or high is not None):
            self.fail("give bounds to one summation index at a time", t.pos)
        symbols = [self.bind(c) for c, _ in letters]
        self.bound.extend(zip([c for c, _ in letters], symbols))
        self.enter()
        try:
            body = self.concrete(self.term())
        finally:
            del self.bound[len(self.bound) - len(symbols):]
            self.depth -= 1
        return self.make_sums(body, letters, symbols, low, high, t.pos)

    def sum_call(self, t: Token):
        """`sum(x_k, k)`, `sum(x_k, k, 1, n)`, `sum(x_k, (k, 1, n))`, `sum(t)` (all entries)."""
        opener = self.tok
        commas, depth, k = [], 0, self.i
        while True:
            tk = self.tokens[k]
            if tk.kind == "end":
                self.fail(f"missing ')' to close '(' from column {opener.pos}", tk.pos)
            if tk.kind == "op" and tk.text in ("(", "["):
                depth += 1
            elif tk.kind == "op" and tk.text in (")", "]"):
                depth -= 1
                if depth == 0:
                    break
            elif depth == 1 and self.at(",", tk):
                commas.append(k)
            k += 1
        if not commas:
            args = self.call_args()
            return self.alg.sum_all(args[0], t.pos)
        var = self.tokens[commas[0] + 1]
        if self.at("(", var):
            var = self.tokens[commas[0] + 2]
        if var.kind not in ("word", "unknown", "sub") or len(var.raw) != 1 or not var.raw.isalpha():
            self.fail("the second argument of sum(...) is the summation index: sum(x_k, k)", var.pos)
        symbol = self.bind(var.raw)
        self.advance()
        self.bound.append((var.raw, symbol))
        self.enter()
        try:
            body = self.concrete(self.expr())
        finally:
            self.bound.pop()
            self.depth -= 1
        self.advance()  # the comma
        inner = None
        if self.at("("):
            inner = self.advance()
        self.advance()  # the index letter
        low = high = None
        if self.at(","):
            self.advance()
            low = self.bound_value()
            if not self.at(","):
                self.fail("sum(x_k, k, low, high) needs both bounds")
            self.advance()
            high = self.bound_value()
        if inner is not None:
            self.expect_close(inner)
        self.expect_close(opener)
        return self.make_sums(body, [(var.raw, var.pos)], [symbol], low, high, t.pos)

    def bind(self, letter: str) -> sp.Symbol:
        if self.vocab.mode != "free" and letter in self.vocab.indices:
            return self.vocab.indices[letter]
        return sp.Symbol(letter, integer=True)

    def bound_value(self):
        t = self.tok
        message = (f"a sum bound must be a dimension of the problem or an integer from "
                   f"{-self.limits.max_sum_bound} to {self.limits.max_sum_bound}")
        if self.at("(") and t.raw == "{":
            self.advance()
            value = self.bound_value()
            if not (self.tok.kind == "op" and self.tok.raw == "}"):
                self.fail(message)
            self.advance()
            return value
        sign = 1
        if self.at("-"):
            self.advance()
            sign, t = -1, self.tok
        if t.kind == "num":
            if not t.text.isdigit() or len(t.text) > 6 or int(t.text) > self.limits.max_sum_bound:
                self.fail(message, t.pos)
            self.advance()
            return sp.Integer(sign * int(t.text))
        if t.kind == "word" and sign == 1:
            dims = [e.obj for e in self.vocab.lookup(t.text) if e.kind == "dim"]
            if dims:
                self.advance()
                return dims[0]
            if self.vocab.mode == "free" and not self.vocab.lookup(t.text):
                self.advance()
                return self.free_symbol(t, t.raw)
        self.fail(message, t.pos)

    def make_sums(self, body, letters, symbols, low, high, pos):
        body = self.alg.scalar(body, pos, "the body of a sum")
        for (letter, at), symbol in reversed(list(zip(letters, symbols))):
            body = self.make_sum(body, letter, symbol, low, high, at)
        return body

    def make_sum(self, body, letter: str, symbol, low, high, pos):
        slots = set()
        for entry in body.atoms(sp.Indexed):
            for index, dim in zip(entry.indices, self.vocab.shapes.get(entry.base, ())):
                if index == symbol:
                    slots.add(dim)
        if not slots:
            for delta in body.atoms(sp.KroneckerDelta):
                if symbol in delta.args:
                    other = [a for a in delta.args if a != symbol]
                    if other and other[0] in self.vocab.index_range:
                        slots.add(self.vocab.index_range[other[0]])
        if len(slots) > 1:
            self.fail(f"the index {letter} runs over both {' and '.join(sorted(map(str, slots)))}", pos)
        slot = next(iter(slots), None)
        spec_range = self.vocab.index_range.get(symbol)
        if high is None:
            high = slot if slot is not None else spec_range
            if high is None:
                self.fail(f"cannot tell the range of {letter}: write its bounds, Σ_{{{letter}=1..n}}", pos)
        elif slot is not None and high != slot:
            self.fail(f"the sum over {letter} runs to {high}, but {letter} indexes 1..{slot}", pos)
        low = sp.Integer(1) if low is None else low
        if slot is not None and low != 1:
            self.fail(f"a sum over the index {letter} of a vector starts at 1", pos)
        if spec_range is not None and high != spec_range:
            fresh = sp.Dummy(letter, integer=True)
            body, symbol = body.xreplace({symbol: fresh}), fresh
        return self.alg.checked(sp.Sum(body, (symbol, low, high)), pos)
