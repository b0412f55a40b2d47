"""Everything derive prints reads back: each printed form of a derived answer is checked by `derive check`.

A part's answer is printed in index form and (with `matrix=True`) matrix
form, each in LaTeX, Unicode text and ASCII (`documents.report.answer_forms`;
the PDF's "As typed for derive check" line is the ASCII). A student copies
these, so each must read as equivalent to the engine's derived answer, with
the format it is written in (LaTeX forms with `fmt="latex"`, the others
`"text"`). A form that does not is a name nobody can type (`\\mathfrak{Q}`,
`☃`), a notation the parser does not read, or a printer's bracket missing;
`derive validate` names the part, the form and the checker's message.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import sympy as sp

from ..checking import EQUIVALENT, INVALID, check_part
from ..documents.report import ANSWER_FORMS, answer_forms
from ..errors import DeriveError
from ..problem.spec import Part, Spec

_TARGETS = {"latex": "LaTeX", "text": "Unicode text", "ascii": "ASCII"}
#: seconds the checker may take on one printed form (the limit of `derive check`'s default)
FORM_TIMEOUT = 10.0


@dataclass(frozen=True)
class Unread:
    """A printed form of a part's answer that `derive check` does not read as equivalent."""

    part: str
    form: str  # a key of ANSWER_FORMS: index_latex, ..., matrix_ascii
    printed: str
    verdict: str
    message: str

    def describe(self) -> str:
        """One line for a teacher: where, what was printed, what the checker says, and what to change."""
        shape, _, target = self.form.partition("_")
        fix = ("; students copy what derive prints: give the names it prints a spelling the checker reads "
               "(latex=, text=), or report the notation" if self.verdict == INVALID else "")
        return (f"part {self.part}: the {shape} form in {_TARGETS[target]} `{self.printed}` does not read back "
                f"in derive check: {self.message}{fix}")

    def to_json(self) -> dict:
        return dataclasses.asdict(self)


def read_back(spec: Spec, part: Part, answer: sp.Expr, timeout: float = FORM_TIMEOUT) -> tuple[int, list[Unread]]:
    """Check every printed form of `answer` (the engine's derived answer to `part`) against the answer itself:
    (forms checked, those that do not read back)."""
    try:
        forms = answer_forms(spec, part, answer)
    except DeriveError as exc:  # a matrix form the engine cannot write
        return 1, [Unread(part.id, "matrix_latex", "", INVALID, f"cannot print the matrix form: {exc}")]
    reference = dataclasses.replace(part, reference=answer)
    checked, unread = 0, []
    for form in ANSWER_FORMS:
        printed = forms[form]
        if printed is None:
            continue
        checked += 1
        result = check_part(spec, reference, printed, fmt="latex" if form.endswith("latex") else "text",
                            timeout=timeout)
        if result.verdict != EQUIVALENT:
            unread.append(Unread(part.id, form, printed, result.verdict, result.message))
    return checked, unread
