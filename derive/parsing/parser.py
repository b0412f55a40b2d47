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
    term      = product { ENTRYWISE product } ;   (* looser than a product: a ⊙ B C is a ⊙ (B C) *)
    ENTRYWISE = "⊙" | ".*" | "\odot" | "∘" | "⊘" | "./" | "\oslash" | "⊗" | "\otimes" ;
              (* ⊙: the entry-wise product; ⊘: entry-wise division; ⊗: a bᵀ of vectors *)
    product   = unary { ("*" | "·" | "×" | "@" | "\cdot" | "\times") unary | "/" unary | factor } ;
    unary     = ("-" | "+") unary | sum | power ;
    factor    = sum | power ;                       (* starts with a number, name, bracket, command *)
    sum       = SIGMA index-spec term | "sum" "(" expr [ "," sum-var ] ")" ;
    SIGMA     = "Σ" | "∑" | "sum" | "\sum" ;
    index-spec= "_" ( letters | "{" letters [ "=" bound [ (".." | ",") bound ] ] "}" ) [ "^" bound ] ;
    sum-var   = letter [ "," bound "," bound ] | "(" letter "," bound "," bound ")" ;
    bound     = integer | dimension | index | "{" expr "}" | max-min ;   (* in braces or after "=": a sum
                of integers, dimensions and indices, Σ_{i=k}^{k+M-1} *)
    power     = primary { postfix } ;
    postfix   = ("^" | "**") ( "T" | "⊤" | "{" "∘" expr "}" | "∘" exponent | exponent ) | ".^" exponent
              | superscript-digits
              | "ᵀ" | "'" | "!" | "_" indices | "[" indices "]" ;
    exponent  = ("-" | "+") exponent | power ;
    indices   = letters-and-digits | "{" { letter | integer | "," | "=" } "}" ;
    primary   = number | name | call | "(" expr ")" | "[" expr "]" | "{" expr "}" | "|" expr "|"
              | "[" index ("=" | "==") index "]" | "\frac" arg arg | "\sqrt" [ "[" integer "]" ] arg
              | "[" expr RELATION expr { RELATION expr } "]"   (* an indicator; [1 <= j-k+1 <= M] a chain *)
              | ("√" | "∛" | "∜") root-arg | cases
              | "‖" expr "‖" [ "_" ("1" | "2" | "F") ]   (* also ||x||, \|x\|, \lVert x \rVert: a norm *)
              | "⟨" expr "," expr "⟩"                 (* \langle a, b \rangle: Σ of a ⊙ b *)
              | "𝟏" | label-ind | derivative ;      (* \mathbf{1}, \mathbb{1}, 𝟙: ones; 𝟏_{i=j}: δ_ij *)
    label-ind = [ "1" | "𝟏" ] "[" index ("=" | "==") label [ "_" indices ] "]" ;   (* or label = index *)
              (* [k = y_n] is Δ_nk where the spec's one-hot Δ encodes the labels y (Spec.tensor labels=) *)
    derivative= D [ "^" integer ] "/" D variable [ "^" integer ] term          (* free expressions only; *)
              | "\frac" "{" D [ "^" integer ] [ expr ] "}" "{" D variable [ "^" integer ] "}" [ term ]
              | D ( "(" expr ")" | name ) "/" D variable ;  (* the operand of d/dx is a sum's body *)
    D         = "d" | "∂" | "\partial" | "\mathrm{d}" ;   (* a d that is not a name of the problem *)
    root-arg  = primary { "_" indices | "[" indices "]" } ;   (* √d, √(v + ε), √x_i; √x^2 is (√x)² *)
    cases     = "\begin{cases}" case { "\\\\" case } "\end{cases}"   (* dcases; an array in \left\{ \right. *)
              | "{" expr case-text { (";" | ",") expr case-text } "}" | "(" expr "if" cond "else" expr ")" ;
    case      = expr [","] "&" ( [ "\text{if}" | "\text{for}" | "\text{when}" ] cond | "\text{otherwise}" ) ;
    case-text = "if" cond | "otherwise" ;
    cond      = expr RELATION expr { RELATION expr } ;   (* i = j is δ_ij; the first case that holds *)
    call      = function [ ("^" | "**") exponent ] ( "(" expr { "," expr } ")" | implicit ) ;
              (* f^{p}(x) = f(x)^p (\cosh^{-2} x, \sigma^{1/2}(s)); f^{-1} of a trigonometric or hyperbolic
                 function is its inverse (\tanh^{-1} = artanh), of another function refused *)
    implicit  = unary { factor } ;                  (* no explicit operator; stops at a function *)
    arg       = "{" expr "}" | digit | letter | command ;
    number    = digits [ "." digits ] [ ("e" | "E") [ "+" | "-" ] digits ] ;   (* exponent in text only *)

Names (longest match against the vocabulary): tensors (`x_i`, `w[j,i]`,
`W_{2,jk}`, bare `W2` as a matrix), scalars, dimensions, the spec's functions
(`σ(z)`, `φ'(Z2)`, `dphi(Z2)`), `softmax(x)`-style aliases, built-ins (`exp`,
`log`/`ln` (`log_2`), `sqrt`, `abs`, trigonometric and hyperbolic functions and
their inverses, `sigmoid`, `e`, `pi`, `δ`/`delta`/`KroneckerDelta`, `diag`,
`HadamardPower`, `I`), the functions of ML calculus (`relu`, `softplus` = log(1 + eˣ),
`silu`/`swish` = x σ(x), `erf`, `logsumexp(x)` of a vector or of scalars), and the
words of MATLAB and NumPy: `ones` (a column of ones, like 1; `ones(N)`, `ones(N, 1)`),
`outer(a, b)` = a bᵀ, `mean(v)` (of all entries) and `mean(x_k, k)` (= Σ_k x_k / its
count), and SymPy's constants as derive prints them (`EulerGamma`, `Catalan`,
`GoldenRatio`). Unicode subscripts are subscripts (`σᵢ(δᵢⱼ − σⱼ)`, `A₂`, `W₂`). An
accent is part of the letter it sits on (`\tilde{h}`, `h̃`, `\hat{y}`, `ŷ`, `\bar{x}`,
`\check`, `\dot`: `derive.parsing.marks`), and a declared name is found however its
pieces are written (`h^{\mathrm{prev}}`, `h^{prev}`, `h_{\text{prev}}` for a name
declared `h^{\mathrm{prev}}` or `h_prev`). A letter T that is also a size of the problem
(`^T`) is a transpose of a vector or matrix and a power of a scalar; for a 1×1 matrix,
where both read, the transpose, with a note in `Parsed.notes`. LaTeX
commands outside the supported subset are refused by name (`\input`, `\def`, ...).

`v·s` (also `v \cdot s`) of two vectors of one orientation is their inner
product. A defined quantity may be written with the inputs its definition is
built from (`σ_i(x)`, `ℓ(z, t)`); in a one-variable part a function alone is
applied to the variable (`σ(1 − σ)`); the vectors a problem calls row vectors
are read as rows with `parse(..., rows=True)`. A whole equation `target = answer`
is taken apart by `derive.checking.equation`, not here.

Not supported (a ParseError says so): equations and relations, derivatives in a
problem's answer (the answer is what the derivative equals; `d/dx f`,
`\frac{d}{dx} f`, `\frac{∂ f}{∂ x}` are read in free expressions), integrals and
products, complex numbers, infinity, matrix inverses and matrix powers
(`A^{-1}`, `A^2`; use ⊙ or HadamardPower), an accent on anything but one letter.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sympy as sp

from ..limits import MAX_SCI_EXPONENT, Limits
from ..problem.spec import Iverson
from .cases import CaseRules
from .core import CLOSERS, own_text
from .indices import IndexRules
from .lexer import (
    CASES_OPEN,
    FRAC,
    ONES,
    RELATIONS,
    SQRT,
    ParseError,
    RangeClash,
    ShapeMismatch,
    Token,
    check_characters,
)
from .names import NameRef, NameRules
from .notation import NotationRules
from .values import ONE, Ambi, EntryContext, Mat, Shapes, Var
from .vocab import Vocabulary


@dataclass(frozen=True)
class Parsed:
    """A parsed answer: a scalar (shape ()) or a matrix expression (shape (rows, cols))."""

    format: str  # "text" | "latex"
    shape: tuple  # () or (rows, cols): dim Symbols, 1, or None where the answer leaves it open
    text: str = ""
    _value: Any = field(default=None, repr=False, compare=False)
    _alg: Any = field(default=None, repr=False, compare=False)
    _vocab: Any = field(default=None, repr=False, compare=False)
    _letters: frozenset = field(default=frozenset(), repr=False, compare=False)  # letters the answer uses
    notes: tuple = ()  # how a notation that reads two ways was read, one sentence each (K^T where T is a size)

    def index_form(self, free: tuple = ()) -> sp.Expr:
        """The expression; for a matrix, its entry at `free` (row, col), or at the one non-1 dimension."""
        alg, value, free = self._alg, self._value, tuple(free)
        if not isinstance(value, Mat) and not alg.deferred:
            return value
        shapes = alg.shapes.copy()
        if isinstance(value, Mat):
            try:
                shapes, r, c = _match(shapes, value, free, self._vocab, self.text)
            except ShapeMismatch as exc:
                if exc.transposed:  # K×h for (j, k): its entry (k, j), the transpose's entry (j, k)
                    try:
                        exc.turned = self.index_form(free[::-1])
                    except ParseError:
                        pass  # the mismatch stands, without its transpose
                raise exc from None
        else:
            r = c = None
        ctx = EntryContext(alg, shapes, self._vocab, set(free), self._letters)
        try:
            return alg.materialise(ctx, value, r, c)
        except RecursionError:
            raise ParseError("the expression is nested too deeply", None, self.text) from None
        except INTERNAL as exc:
            raise _internal(exc, self.text) from exc


INTERNAL = (TypeError, ValueError, ArithmeticError, IndexError, KeyError, AttributeError)


def _internal(exc: Exception, text: str) -> ParseError:
    detail = " ".join(str(exc).split())[:120]
    return ParseError(f"cannot read this answer (internal error {type(exc).__name__}: {detail})", None, text)


def _match(shapes: Shapes, m: Mat, free: tuple, vocab, text: str):
    """The answer's shapes unified with the part's, and the free index of its rows and of its columns (None
    for a dimension 1); a matrix of another shape is a `ShapeMismatch`."""
    dims = []
    for index in free:
        dim = vocab.index_range.get(index) if vocab is not None else None
        if dim is None:
            raise ParseError(f"the free index {index} has no range in this problem", None, text)
        dims.append(dim)
    shown = f"{shapes.show(m.rows)}×{shapes.show(m.cols)}"
    if len(free) == 2:
        trial = shapes.copy()
        if trial.unify(m.rows, dims[0]) and trial.unify(m.cols, dims[1]):
            return trial, (None if dims[0] == ONE else free[0]), (None if dims[1] == ONE else free[1])
        turned = shapes.copy()
        transposed = turned.unify(m.rows, dims[1]) and turned.unify(m.cols, dims[0])
        raise ShapeMismatch(shown, f"{dims[0]}×{dims[1]}", text, transposed)
    if len(free) == 1:
        for rows, cols, r, c in ((dims[0], ONE, free[0], None), (ONE, dims[0], None, free[0])):
            trial = shapes.copy()
            if trial.unify(m.rows, rows) and trial.unify(m.cols, cols):
                return trial, r, c
        raise ShapeMismatch(shown, f"a vector of length {dims[0]}", text)
    if len(free) > 2:
        raise ParseError(f"the answer is a {shown} matrix; give its free indices (rows, columns)", None, text)
    if shapes.unify(m.rows, ONE) and shapes.unify(m.cols, ONE):
        return shapes, None, None
    raise ShapeMismatch(shown, "a scalar", text)


def parse(text: str, vocab: Vocabulary, fmt: str = "auto", rows: bool = False, **limits) -> Parsed:
    """Parse one answer. `fmt` is "auto" (a backslash means LaTeX), "text" or "latex"; `rows=True` reads the
    vectors the problem calls row vectors as rows (1×n); `limits` override the fields of `Limits`
    (max_length, max_depth, max_digits, max_exponent, ...)."""
    lim = Limits(**limits)
    check_characters(text, lim)
    if fmt not in ("auto", "text", "latex"):
        raise ValueError(f"fmt must be 'auto', 'text' or 'latex', not {fmt!r}")
    latex = ("\\" in text) if fmt == "auto" else fmt == "latex"
    try:
        parser = _Parser(text, vocab, latex, lim)
        if rows:
            parser.row_vectors = vocab.row_vectors
        value = parser.answer()
    except RecursionError:  # the depth limit comes first; this is a second line of defence
        raise ParseError("the expression is nested too deeply", None, text) from None
    except INTERNAL as exc:  # a bug of ours must still not escape as a traceback; tests assert it never happens
        raise _internal(exc, text) from exc
    alg = parser.alg
    if isinstance(value, Mat) and alg.known_scalar(value):
        value = alg.scalar(value, 0)
    if isinstance(value, Mat):
        shape = tuple(None if isinstance(alg.shapes.find(d), Var) else
                      (1 if alg.shapes.find(d) == ONE else alg.shapes.find(d)) for d in (value.rows, value.cols))
    else:
        shape = ()
    return Parsed("latex" if latex else "text", shape, text, value, alg, vocab, frozenset(parser.letters),
                  tuple(dict.fromkeys(parser.notes)))


def _guarded(value, index, dim, base) -> bool:
    """Is every entry of `base` indexed by `index` in a product with an indicator on `index` and `dim`
    ([j <= M] g_j)?"""
    if not isinstance(value, sp.Basic):
        return False

    def guards(factors) -> bool:
        return any(isinstance(f, Iverson) and {index, dim} <= f.condition.free_symbols for f in factors)

    def covered(e, guarded: bool) -> bool:
        if isinstance(e, sp.Indexed):
            return guarded or e.base != base or index not in e.free_symbols
        if isinstance(e, sp.Mul):
            guarded = guarded or guards(e.args)
        if isinstance(e, sp.Sum):
            guarded = guarded or guards(sp.Mul.make_args(e.function))
        return all(covered(a, guarded) for a in e.args)

    return covered(value, False)


class _Parser(NameRules, IndexRules, NotationRules, CaseRules):
    """Recursive descent over the token list; `NameRules` and `IndexRules` hold the names and sums."""

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
            if t.text in RELATIONS:
                self.fail(f"a comparison '{t.raw}' belongs inside an indicator: [a {t.raw} b]")
            self.fail(f"unexpected {self.describe(t)}")
        if isinstance(value, Ambi):
            value = value.coeff
        self.check_range_clashes(value)
        return value

    def check_range_clashes(self, value) -> None:
        """An entry indexed out of its range (g_j, j over N, g over M) is allowed only under an indicator
        that bounds that index by that range ([j <= M] g_j): elsewhere it is the student's mistake."""
        for message, position, index, dim, base in self.range_clashes:
            if not _guarded(value, index, dim, base):
                free = None if isinstance(value, Mat) else frozenset(
                    s for s in getattr(value, "free_symbols", ()) if s in self.vocab.index_range)
                raise RangeClash(message, position, self.text, free)

    def expr(self):
        start = self.tok.pos
        terms, positions = [self.concrete(self.term())], [start]
        dots: list[int] = []  # after which terms an ellipsis stands (`a_2 + \cdots + a_N`)
        while self.at("+") or self.at("-"):
            op = self.advance()
            if self.at("..") and (self.at("+", self.peek()) or self.at("-", self.peek())):
                dots.append(len(terms) - 1)
                self.advance()
                continue
            term = self.concrete(self.term())
            terms.append(self.alg.neg(term, op.pos) if op.text == "-" else term)
            positions.append(op.pos)
        for k in reversed(dots):
            if k + 1 >= len(terms):
                self.fail("an ellipsis needs a term after it", positions[-1])
            folded = ellipsis_sum(terms[k], terms[k + 1])
            if folded is None:
                self.fail("cannot tell the terms an ellipsis stands for: write the sum (Σ)", positions[k + 1])
            terms[k:k + 2], positions[k:k + 2] = [folded], [positions[k]]
        if len(terms) == 1:
            return terms[0]
        return self.label(self.alg.add(terms, positions), start)

    def term(self, implicit_only: bool = False):
        """Products joined by the entry-wise operators ⊙ (`.*`, `∘`), ⊘ (`./`) and ⊗, which bind looser than
        a product: `φ'(Z) ⊙ (Ψ − Δ)W^T/N` is φ'(Z) ⊙ ((Ψ − Δ)W^T/N)."""
        start = self.tok.pos
        acc = self.product(implicit_only)
        while not implicit_only and self.tok.kind == "op" and self.tok.text in ENTRYWISE:
            t = self.advance()
            rhs = self.concrete(self.product())
            if t.text == "⊘" and not (isinstance(rhs, Mat) and not self.alg.known_scalar(rhs)):
                if isinstance(rhs, sp.Basic) and rhs.is_zero:
                    self.fail("division by zero", t.pos)
                acc = self.alg.div(acc, rhs, t.pos)  # ./ by a scalar is a quotient
            elif t.text == "⊘":
                acc = self.entrywise_quotient(acc, rhs, t.pos)
            elif t.text == "⊗":
                acc = self.outer(acc, rhs, t.pos)
            else:
                acc = self.alg.hadamard(acc, rhs, t.pos)
            self.label(acc, start)
        return acc

    def product(self, implicit_only: bool = False):
        """A product or quotient. Scalar factors wait in a list and are multiplied once at the end
        (they commute with every operation here), so a long product costs one SymPy Mul, not n."""
        start = self.tok.pos
        acc = self.concrete(self.unary(implicit_only))
        scalars: list = []
        while True:
            t = self.tok
            if not implicit_only and t.kind == "op" and t.text in ("*", "/"):
                self.advance()
                op, rhs = t.text, self.concrete(self.unary())
            elif self.starts_factor(t, implicit_only):
                if t.kind == "num" and self.tokens[self.i - 1].kind == "num" and not self.ones_outer_product():
                    self.fail("two numbers in a row: write * between them")
                op, rhs = "*", self.concrete(self.sum_() if self.is_sum(t) else self.power())
            else:
                return self.alg.scale(acc, scalars, start)
            if isinstance(rhs, sp.Basic) and op != "/":
                scalars.append(rhs)
            elif isinstance(rhs, sp.Basic):
                if rhs.is_zero:
                    self.fail("division by zero", t.pos)
                if isinstance(acc, Ambi):  # 1/N (Ψ - Δ): the 1 of a quotient is a number, not a ones vector
                    acc = acc.coeff
                scalars.append(self.alg.spow(rhs, -ONE, t.pos))
            elif op == "*" and t.raw == "·" and self.dot_of_vectors(acc, rhs):
                acc = self.inner(acc, rhs, t.pos)  # v·s, v \cdot σ: the dot product of two vectors
            elif op == "*":
                acc = self.alg.mul(acc, rhs, t.pos)
            else:
                acc = self.alg.div(acc, rhs, t.pos)
            self.label(acc, start)

    def bracket_holds_relation(self) -> bool:
        """Does a bracket open here whose top level holds a comparison ([z > 0], [i = j])?"""
        if not (self.at("[") or self.at("(")):
            return False
        return any(t.kind == "op" and t.text in RELATIONS for t in self.bracket(self.i)[0])

    def ones_outer_product(self) -> bool:
        """`1 1^T`: a column of ones times a row of ones (the square of ones), not two numbers."""
        before, now, after = self.tokens[self.i - 1], self.tok, self.peek()
        return before.text == "1" and now.text == "1" and (
            self.at("ᵀ", after) or self.at("⊤", after) or (self.at("^", after) and self.peek(2).raw in ("T", "⊤")))

    def starts_factor(self, t: Token, implicit_only: bool) -> bool:
        if t.kind == "num":
            return True
        if t.kind in ("word", "unknown"):
            return not (implicit_only and self.is_function(t))
        if t.kind == "op":
            if t.text == "|":
                return self.abs_depth == 0
            if t.text == "‖":
                return self.norm_depth == 0
            return t.text in ("(", "[", FRAC, SQRT, ONES, "Σ", "⟨", "∂", CASES_OPEN) or t.text in UNICODE_ROOTS
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
                if self.transpose_follows(value, start):
                    value = self.alg.transpose(self.concrete(value), t.pos)
                elif self.circ_follows():
                    opener = self.advance()
                    self.advance()
                    exp = self.expr()
                    self.expect_close(opener)
                    value = self.alg.hadamard_power(self.concrete(value), exp, t.pos)
                elif self.at("∘"):  # h^∘2, h.^2
                    self.advance()
                    value = self.alg.hadamard_power(self.concrete(value), self.exponent(), t.pos)
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
            elif self.at("(") and self.applied_to_inputs(value):
                pass  # σ_i(x), ℓ(z, t): the quantity written with the inputs it is defined from
            elif self.at("'"):
                self.fail("unexpected \"'\": only the problem's generic functions have a derivative (φ')")
            else:
                return self.label(self.concrete(value), start)
            self.label(value, start)

    def applied_to_inputs(self, value) -> bool:
        """`(x)` or `(z, t)` after a defined quantity (an entry σ_i, a scalar ℓ) whose definition is built
        from exactly those names: the notation of a function of its inputs, consumed; True."""
        if isinstance(value, sp.Pow) and value.exp.is_Integer and isinstance(value.base, (sp.Indexed, sp.Symbol)):
            value = value.base  # σ_i^2(x): the square of σ_i(x)
        base = value.base if isinstance(value, sp.Indexed) else value if isinstance(value, sp.Symbol) else None
        inputs = self.vocab.inputs.get(base)
        if not inputs:
            return False
        k = self.i + 1
        while True:
            word = self.tokens[k]
            if word.kind != "word" or not any(e.obj in inputs for e in self.vocab.lookup(word.text)
                                               if e.kind in ("tensor", "scalar")):
                return False
            k += 1
            if self.at(",", self.tokens[k]):
                k += 1
                continue
            if self.tokens[k].kind == "op" and self.tokens[k].raw == CLOSERS.get(self.tok.raw, ")"):
                self.i = k + 1
                return True
            return False

    def transpose_follows(self, value, start: int) -> bool:
        """`^T`, `^⊤`, `^{T}`, `^{\\top}`, `^{\\mathsf{T}}` after `value`: consumed, True. `⊤` is always a
        transpose; a letter T that also names a scalar or a dimension of the problem (attention over T tokens)
        is decided by the type of `value`: a transpose of a vector or matrix, a power of a scalar; of a 1×1
        matrix, where both read, the transpose, and a note says so."""
        if self.at("⊤"):
            self.advance()
            return True
        braced = self.at("(") and self.tok.raw == "{" and self.at(")", self.peek(2))
        letter = self.peek() if braced else self.tok
        if self.at("⊤", letter):
            self.i += 3 if braced else 1
            return True
        if not (letter.kind in ("word", "unknown") and letter.raw == "T") or self.vocab.mode == "free":
            return False
        meanings = {e.kind for e in self.vocab.lookup(letter.text)} & {"scalar", "tensor", "dim"}
        if meanings and not meanings <= {"tensor"}:  # T is a number of this problem: by the type of the base
            if isinstance(value, sp.Basic):
                return False
            if isinstance(value, Mat) and self.alg.known_scalar(value):
                shown = own_text(self.text, start, letter.pos).rstrip("^{ ")
                self.notes.append(f"{shown}^T is read as the transpose of a 1×1 matrix, not as a power "
                                  f"with exponent the {'dimension' if 'dim' in meanings else 'scalar'} T; "
                                  f"write {shown}^{{(T)}} for the power")
        self.i += 3 if braced else 1
        return True

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
            if t.text == "1" and self.bracket_holds_relation():
                labelled = self.label_indicator()  # 1[k = y_n]: the entry Δ_nk of the labels' one-hot tensor
                return labelled if labelled is not None else self.group()  # 1[z > 0]: the indicator itself
            return self.number(t)
        derivative = self.derivative()  # d/dx f, \frac{d}{dx} f, ∂/∂x f (free expressions)
        if derivative is not None:
            return derivative
        if t.kind in ("word", "unknown"):
            return self.name()
        if t.kind == "op":
            if t.text == "(" or t.text == "[":
                delta = self.iverson()
                return delta if delta is not None else self.group()
            if t.text == "|":
                return self.absolute()
            if t.text == "‖":
                return self.norm()
            if t.text == "⟨":
                return self.bracket_inner_product()
            if t.text == FRAC:
                self.advance()
                top = self.tex_arg()
                return self.alg.div(top, self.tex_arg(), t.pos)
            if t.text == SQRT:
                return self.root()
            if t.text in UNICODE_ROOTS:
                return self.unicode_root()
            if t.text == CASES_OPEN:
                return self.cases()
            if t.text == "∞":
                self.fail("infinity is not a value an answer holds: an answer is finite where it is defined")
            if t.text == ONES:
                self.advance()
                delta = self.indicator()
                if delta is None and self.at("[") and not self.at("]", self.peek()):
                    return self.group()  # 𝟙[z > 0], \mathbf{1}\{z > 0\}: the bracket is the indicator
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
        if exp and abs(int(exp)) > MAX_SCI_EXPONENT:
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
            if self.tok.kind == "op" and self.tok.text in RELATIONS:
                value = self.indicator_of(opener, value)
            elif self.tok.kind == "op" and self.tok.text in CASE_WORDS or (
                    self.at(",") and self.peek().kind == "op" and self.peek().text in CASE_WORDS):
                value = self.text_cases(self.concrete(value), opener)
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

    def norm(self):
        """`‖x‖`, `\\|x\\|_2`, `||W||_F`, `‖w‖_1`: the Euclidean (Frobenius) norm, or the 1-norm."""
        opener = self.advance()
        self.norm_depth += 1
        self.enter()
        try:
            value = self.concrete(self.expr())
        finally:
            self.norm_depth -= 1
            self.depth -= 1
        if not self.at("‖"):
            self.fail(f"missing '‖' to close '‖' from column {opener.pos}")
        self.advance()
        kind = "2"
        if self.at("_"):
            sub = self.peek()
            if sub.kind in ("sub", "num", "word") and sub.raw in ("1", "2", "F"):
                self.i += 2
            elif self.at("(", sub) and self.peek(2).raw in ("1", "2", "F") and self.at(")", self.peek(3)):
                sub = self.peek(2)
                self.i += 4
            else:
                self.fail("a norm's subscript is 1, 2 or F: ‖x‖_2, ‖W‖_F, ‖w‖_1", sub.pos)
            kind = sub.raw
        if not isinstance(value, Mat) or self.alg.known_scalar(value):
            return self.alg.elementwise(sp.Abs, value, opener.pos)
        if kind == "1":
            return self.alg.scalar(self.alg.sum_all(self.alg.elementwise(sp.Abs, value, opener.pos), opener.pos),
                                   opener.pos)
        square = self.alg.scalar(self.alg.sum_all(self.alg.hadamard(value, value, opener.pos), opener.pos),
                                 opener.pos)
        return self.alg.spow(square, sp.Rational(1, 2), opener.pos)

    def bracket_inner_product(self):
        """`⟨a, b⟩`, `\\langle a, b \\rangle`: the sum of the entry-wise product (aᵀb for vectors)."""
        opener = self.advance()
        self.enter()
        try:
            left = self.concrete(self.expr())
            if not self.at(","):
                self.fail("an inner product takes two arguments: ⟨a, b⟩")
            self.advance()
            right = self.concrete(self.expr())
        finally:
            self.depth -= 1
        if not self.at("⟩"):
            self.fail(f"missing '⟩' to close '⟨' from column {opener.pos}")
        self.advance()
        return self.inner(left, right, opener.pos)

    def inner(self, left, right, pos):
        """⟨left, right⟩: a product of scalars, or the sum over the entries of left ⊙ right."""
        product = self.alg.hadamard(left, right, pos)
        if isinstance(product, Mat) and not self.alg.known_scalar(product):
            return self.alg.scalar(self.alg.sum_all(product, pos), pos)
        return product

    def dot_of_vectors(self, a, b) -> bool:
        """Are `a` and `b` two vectors of one orientation (`v·s`: their inner product, not a matrix product)?"""
        if not (isinstance(a, Mat) and isinstance(b, Mat)) or self.alg.known_scalar(a) or self.alg.known_scalar(b):
            return False
        find = self.alg.shapes.find
        return (find(a.cols) == ONE and find(b.cols) == ONE) or (find(a.rows) == ONE and find(b.rows) == ONE)

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
        self.enter()
        try:
            return self.concrete(self.power() if t.kind == "op" else self.primary())
        finally:
            self.depth -= 1

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

    def unicode_root(self):
        """`√d`, `√(v + ε)`, `∛x`, `∜x`, `√x_i`: the root of what follows up to its subscripts (`√x^2` is
        (√x)², as `√2 x` is √2·x)."""
        t = self.advance()
        degree = UNICODE_ROOTS[t.text]
        if self.tok.kind == "end" or not self.starts_factor(self.tok, False):
            self.fail(f"{t.raw} needs what it is the root of: {t.raw}x or {t.raw}(x + 1)")
        self.enter()
        try:
            start = self.tok.pos
            arg = self.primary()
            while (self.at("_") or self.at("[")) and isinstance(arg, NameRef):
                arg = self.tensor_entry(arg)
            while self.at("_") and not isinstance(arg, NameRef):
                arg = self.subscript(self.concrete(arg), start)
            arg = self.concrete(arg)
        finally:
            self.depth -= 1
        return self.alg.elementwise(lambda x: self.alg.spow(x, sp.Rational(1, degree), t.pos), arg, t.pos)


UNICODE_ROOTS = {"√": 2, "∛": 3, "∜": 4}
#: the entry-wise operators, looser than a product: ⊙ (`.*`, `\odot`, `∘`), ⊘ (`./`, `\oslash`), ⊗ (`\otimes`)
ENTRYWISE = ("⊙", "∘", "⊘", "⊗")
#: words after a value that make a bracket a case: {a if z > 0; b otherwise}
CASE_WORDS = ("if", "otherwise")


def ellipsis_sum(before, after) -> sp.Expr | None:
    """`before + ⋯ + after` as one sum, when `after` is `before` with one whole-number index moved (v_2 σ_1 and
    v_N σ_1: Σ_{k=2}^{N} v_k σ_1); None when no single index does it (or the terms are not scalars)."""
    found = ellipsis_template(before, after)
    if found is None:
        return None
    template, var, first, last = found
    return sp.Sum(template, (var, first, last))


def ellipsis_template(before, after) -> tuple[sp.Expr, sp.Symbol, sp.Expr, sp.Expr] | None:
    """(template, k, first, last) with `before` the template at k = first and `after` at k = last, k a whole-
    number index of `before` that moves; None when no single index does it (or the terms are not scalars)."""
    if not (isinstance(before, sp.Expr) and isinstance(after, sp.Expr)):
        return None
    var = sp.Dummy("k", integer=True)
    starts = {i for e in before.atoms(sp.Indexed) for i in e.indices if i.is_Integer}
    ends = {i for e in after.atoms(sp.Indexed) for i in e.indices}
    found = []
    for first in sorted(starts):
        template = before.replace(lambda e: isinstance(e, sp.Indexed),
                                  lambda e, first=first: e.base[tuple(var if i == first else i for i in e.indices)])
        found += [(template, first, last) for last in ends
                  if last != first and template.xreplace({var: last}) == after]
    if len(found) != 1:
        return None
    template, first, last = found[0]
    return template, var, first, last
