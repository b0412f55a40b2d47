"""The state of the answer parser and its token-stream primitives, shared by its grammar mixins.

`ParserCore` holds the tokens, the position, the vocabulary and the algebra
of one parse, and the small operations every grammar rule uses (look,
advance, fail with a column). `names.NameRules` and `indices.IndexRules`
extend it, and `parser._Parser` combines them with the grammar of
expressions. Grammar rules that one mixin calls and another class defines
are declared here, so each mixin reads (and type-checks) on its own.
"""
from __future__ import annotations

import re
from typing import Any, NoReturn

import sympy as sp

from ..limits import Limits
from .lexer import LATEX_IGNORED, LATEX_SPACES, ParseError, Token, tokenize
from .values import Algebra, Mat, Shapes
from .vocab import Entry, Vocabulary

CLOSERS = {"(": ")", "{": "}", "[": "]"}
#: what the lexer skips, and a message does not show: sizing commands (\left, \big) and spacing (\quad, \,)
_SIZING = re.compile(r"\\(?:" + "|".join(sorted(LATEX_IGNORED, key=len, reverse=True)) + r")(?![A-Za-z])")
_SPACING = re.compile(r"\\(?:(?:" + "|".join(sorted((w for w in LATEX_SPACES if w.isalpha()), key=len, reverse=True))
                      + r")(?![A-Za-z])|[,;:!> ])")
_COMMAND_BEFORE = re.compile(r"\\[A-Za-z]+\s*$")


def _braces(text: str) -> tuple[list[int], list[int]]:
    r"""The columns of the unmatched `}` and of the unmatched `{` of `text` (escaped `\{`, `\}` are not braces)."""
    opened: list[int] = []
    closed: list[int] = []
    for k, c in enumerate(text):
        if c not in "{}" or (k and text[k - 1] == "\\"):
            continue
        if c == "{":
            opened.append(k)
        elif opened:
            opened.pop()
        else:
            closed.append(k)
    return closed, opened


def own_text(text: str, start: int, end: int) -> str:
    r"""The student's text of a sub-expression, `text[start:end]`, as a message shows it: from the command
    whose braces it closes (`v}` of `\mathbf{v}`), without the commands the lexer skips (\left, \right,
    \big, \,), without braces it leaves open or closes, and without one pair of braces around it all."""
    part = text[start:end]
    if "\\" not in part and "{" not in part and "}" not in part:
        return " ".join(part.split())
    closed, _ = _braces(part)
    for _ in closed:  # widen to the `\command{` each stray `}` closes
        depth, k = 0, start
        while k > 0:
            k -= 1
            if text[k] == "}":
                depth += 1
            elif text[k] == "{":
                if depth == 0:
                    break
                depth -= 1
        else:
            break
        command = _COMMAND_BEFORE.search(text, 0, k)
        start = command.start() if command else k
    part = _SPACING.sub(lambda m: "" if m[0] == "\\!" or m[0].startswith("\\neg") else " ",
                        _SIZING.sub("", text[start:end]))
    closed, opened = _braces(part)
    part = "".join(c for k, c in enumerate(part) if k not in closed and k not in opened).strip()
    if part.startswith("{") and part.endswith("}") and _braces(part[1:-1]) == ([], []):
        part = part[1:-1]
    return " ".join(part.split())


class ParserCore:
    """One parse: the tokens of `text`, where we are, and what has been read."""

    def __init__(self, text: str, vocab: Vocabulary, latex: bool, limits: Limits):
        self.text, self.vocab, self.latex, self.limits = text, vocab, latex, limits
        self.tokens, self.letters = tokenize(text, vocab, latex)
        self.i = 0
        self.depth = 0
        self.abs_depth = 0
        self.norm_depth = 0
        self.row_vectors: frozenset = frozenset()  # vectors read as rows (parse(..., rows=True))
        self.bare_calls: list = []  # functions written without an argument in a one-variable part (σ for σ(s))
        self.bound: list[tuple[str, sp.Symbol]] = []
        self.bound_range: dict = {}  # a bound index's range where its sum gives one (Σ_{k=1}^{n_y})
        self.notes: list[str] = []  # how an answer that reads two ways was read (K^T where T is a size)
        self.derivatives = 0  # orders of the derivatives taken so far (d/dx in free expressions)
        # entries whose index runs over another range (g_j, j over N, g over M): allowed only where an
        # indicator [j <= M] in the answer guards them; (message, position, index, dimension, base)
        self.range_clashes: list[tuple[str, int, sp.Symbol, sp.Symbol, sp.Basic]] = []
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

    def fail(self, message: str, pos: int | None = None, hint: str = "") -> NoReturn:
        raise ParseError(message, self.tok.pos if pos is None else pos, self.text, hint)

    def describe(self, t: Token) -> str:
        return "the end of the answer" if t.kind == "end" else f"'{t.raw or t.text}'"

    def bracket(self, k: int) -> tuple[list[Token], int | None]:
        """The tokens at the top level of the bracket opened at token k, and the index of the token that
        closes it (None when the answer ends first)."""
        depth, inside = 0, list[Token]()
        while self.tokens[k].kind != "end":
            tk = self.tokens[k]
            if tk.kind == "op" and tk.text in ("(", "["):
                depth += 1
            elif tk.kind == "op" and tk.text in (")", "]"):
                depth -= 1
                if depth == 0:
                    return inside, k
            elif depth == 1:
                inside.append(tk)
            k += 1
        return inside, None

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
            value.label = own_text(self.text, start, self.tok.pos)
        return value

    # -- grammar rules defined by the parser or a mixin (see the module docstring) -------------
    def expr(self) -> Any:
        raise NotImplementedError

    def term(self, implicit_only: bool = False) -> Any:
        raise NotImplementedError

    def exponent(self) -> Any:
        raise NotImplementedError

    def primary(self) -> Any:
        raise NotImplementedError

    def starts_factor(self, t: Token, implicit_only: bool) -> bool:
        raise NotImplementedError

    def concrete(self, value: Any) -> Any:
        raise NotImplementedError

    def call_args(self) -> list:
        raise NotImplementedError

    def choose(self, t: Token, entries: list) -> Entry:
        raise NotImplementedError

    def index_items(self, opener: Token | None = None) -> list[tuple[Any, int]]:
        raise NotImplementedError

    def index_symbol(self, item: Any, pos: int) -> Any:
        raise NotImplementedError

    def is_index_word(self, t: Token) -> bool:
        raise NotImplementedError

    def sum_call(self, t: Token) -> Any:
        raise NotImplementedError

    def name(self) -> Any:
        raise NotImplementedError

    def power(self) -> Any:
        raise NotImplementedError

    def notation(self, t: Token, by: dict[str, list[Entry]]) -> Any:
        raise NotImplementedError

    def label_indicator(self) -> Any:
        raise NotImplementedError
