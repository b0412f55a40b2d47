"""Reading student answers with our own grammar: plain text, Unicode and LaTeX, never `eval`.

`parse(text, vocabulary)` returns a `Parsed` answer (a scalar or a matrix
expression, with `index_form(free)`); a `Vocabulary` is a problem's symbol
table (`Vocabulary.from_spec`) or the free one of `derive equiv`
(`Vocabulary.free`). Bad text raises `ParseError` with its column; an answer that
reads but does not fit the part raises one of its kinds, `ShapeMismatch` (a
K×h matrix where h×K is needed) or `RangeClash` (y_i with i over another range).

Modules, in the order text flows through them: `lexer` (characters, tokens),
`vocab` (what names mean), `names` and `indices` (grammar rules for names,
subscripts and sums), `values` (shapes and the matrix algebra of an answer),
`parser` (the recursive-descent grammar).
"""
from __future__ import annotations

from .lexer import ParseError, RangeClash, ShapeMismatch
from .parser import Parsed, parse
from .vocab import Vocabulary

__all__ = ["ParseError", "Parsed", "RangeClash", "ShapeMismatch", "Vocabulary", "parse"]
