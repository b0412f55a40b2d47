r"""Conditions and cases in a student answer for `derive.parsing`: `[1 ≤ j − k + 1 ≤ M]`, piecewise answers.

A comparison reads inside an indicator (`[z > 0]`, `\mathbb{1}[z > 0]`) and
as the condition of a case; a chain of them (`1 \le j-k+1 \le M`) holds
where each link does. An answer by cases,

    \begin{cases} \sigma_i(1-\sigma_i) & i = j \\ -\sigma_i\sigma_j & i \neq j \end{cases}
    \left\{ \begin{array}{ll} a & \text{if } z > 0 \\ b & \text{otherwise} \end{array} \right.
    {a if z > 0; b otherwise}        (a if z > 0 else b)

(also `\text{for}`, SymPy's word, and `\begin{dcases}`), is the value of its
first case whose condition holds, written with indicators: a [c₁] + b [c₂](1 − [c₁])
+ ...; where no case holds and none says `otherwise`, it is 0. Equal or
different index letters are Kronecker deltas (`i = j` is δ_ij). A mixin of
the parser in `parser.py`.
"""
from __future__ import annotations

from typing import Any

import sympy as sp

from .core import CLOSERS, ParserCore
from .lexer import CASES_CLOSE, RELATIONS, ROW, Token
from .values import ONE, Ambi, Mat

#: what may open a case's condition (`\text{if } z > 0`, SymPy's `\text{for}\: z > 0`)
_CONDITION_WORDS = ("if", "for", "when")
_OTHERWISE = ("otherwise", "else")


class CaseRules(ParserCore):
    """Parser methods for comparisons and cases (mixed into `parser._Parser`)."""

    def at_relation(self) -> bool:
        return self.tok.kind == "op" and self.tok.text in RELATIONS

    def indicator_of(self, opener: Token, left):
        """`[a > b]`, `[1 <= j-k+1 <= M]` (also `1[...]`, `\\mathbb{1}[...]`, `\\mathbf{1}\\{...\\}`): 1 where
        every comparison of the chain holds, else 0."""
        return self.comparisons(left)

    def comparisons(self, left):
        """The chain of comparisons after `left` (`left < b <= c`): the product of their indicators."""
        value = None
        while self.at_relation():
            relation = self.advance()
            right = self.concrete(self.expr())
            link = self.comparison(RELATIONS[relation.text], left, right, relation.pos)
            value = link if value is None else self.alg.hadamard(value, link, relation.pos)
            left = right
        return value

    def comparison(self, relation: str, left, right, pos: int):
        """One comparison as an indicator; of two index letters (or integers), `=` is δ and `≠` is 1 − δ."""
        if relation in ("==", "!=") and self.index_like(left) and self.index_like(right):
            delta = sp.KroneckerDelta(self.alg.scalar(left, pos), self.alg.scalar(right, pos))
            return delta if relation == "==" else self.alg.sadd([ONE, -delta], pos)
        return self.alg.indicator(relation, left, right, pos)

    def index_like(self, value) -> bool:
        if isinstance(value, Ambi):
            value = value.coeff
        if isinstance(value, sp.Integer):
            return True
        bound = {s for _, s in self.bound}
        return isinstance(value, sp.Symbol) and (value in self.vocab.index_range or value in bound)

    def condition(self):
        """A case's condition: a comparison or a chain of them (`z > 0`, `i \\neq j`, `1 \\le k \\le K`)."""
        start = self.tok
        if start.kind == "end" or self.at(CASES_CLOSE) or self.at(ROW):
            self.fail("a case needs its condition: value & condition, or value & \\text{otherwise}")
        left = self.concrete(self.expr())
        if not self.at_relation():
            self.fail(f"a case's condition is a comparison (i = j, z > 0), not {self.describe(start)}", start.pos)
        return self.comparisons(left)

    def case_condition(self):
        """After a case's value: `[if|for|when] condition` or `otherwise`/`else`; None for otherwise."""
        if self.tok.kind == "op" and self.tok.text in _OTHERWISE:
            self.advance()
            return None
        if self.tok.kind == "op" and self.tok.text in _CONDITION_WORDS:
            self.advance()
        return self.condition()

    def cases(self):
        """`\\begin{cases} value & condition \\\\ ... \\end{cases}` (or an array inside `\\left\\{ ... \\right.`)."""
        opener = self.advance()
        rows: list[tuple[Any, Any, int]] = []
        self.enter()
        try:
            while True:
                start = self.tok.pos
                value = self.concrete(self.expr())
                if self.at(","):
                    self.advance()
                if not self.at("&"):
                    self.fail(f"a case is written value & condition: expected '&', found {self.describe(self.tok)}")
                self.advance()
                rows.append((value, self.case_condition(), start))
                while self.tok.kind == "op" and self.tok.text in (",", ".", ";"):
                    self.advance()
                if self.at(ROW):
                    self.advance()
                if self.at(CASES_CLOSE):
                    self.advance()
                    break
                if self.tok.kind == "end":
                    self.fail(f"missing \\end{{cases}} for the cases from column {opener.pos}")
        finally:
            self.depth -= 1
        return self.piecewise(rows)

    def text_cases(self, first, opener: Token):
        """`{a if c; b otherwise}`, `(a if c else b)`: cases in plain text, inside the bracket `opener`
        (the first value is read); ends before the closing bracket."""
        rows: list[tuple[Any, Any, int]] = []
        value, start = first, opener.pos
        closer = CLOSERS.get(opener.raw, ")")
        while True:
            if self.at(","):
                self.advance()
            if not (self.tok.kind == "op" and self.tok.text in _CONDITION_WORDS + _OTHERWISE):
                self.fail(f"a case is written value if condition: expected 'if' or 'otherwise', "
                          f"found {self.describe(self.tok)}")
            rows.append((value, self.case_condition(), start))
            if self.at("else"):  # a if c else b
                self.advance()
                start = self.tok.pos
                rows.append((self.concrete(self.expr()), None, start))
                break
            if not (self.at(";") or self.at(",")):
                break
            self.advance()
            if self.tok.kind == "op" and self.tok.raw == closer:
                break
            start = self.tok.pos
            value = self.concrete(self.expr())
        return self.piecewise(rows)

    def piecewise(self, rows: list[tuple[Any, Any, int]]):
        """The value of the first case that holds: Σ_k v_k [c_k] Π_{m<k} (1 − [c_m])."""
        terms = []
        before: list = []  # 1 − [c_m] of the cases above
        for number, (value, holds, pos) in enumerate(rows, 1):
            if holds is None and number < len(rows):
                self.fail("'otherwise' is the last case", rows[number][2])
            if isinstance(value, Mat) and not self.alg.known_scalar(value):
                self.fail(f"a case's value is a number or an entry, not the matrix {self.alg.describe(value)}", pos)
            factors = [self.alg.scalar(value, pos), *before]
            if holds is not None:
                holds = self.alg.scalar(holds, pos, "a condition")
                factors.append(holds)
                before.append(self.alg.sadd([ONE, -holds], pos))
            terms.append(self.alg.smul_many(factors, pos))
        return self.alg.sadd(terms, rows[0][2])
