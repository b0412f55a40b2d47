"""What the checker reads in an answer, before it judges it: the preview a student sees while typing.

STACK and PrairieLearn show "your answer was interpreted as ..." before
grading; `preview` gives the same: the answer read exactly as `check` (or
`equiv`, for a free expression) reads it, typeset as LaTeX, or the parse error
with its column. It never compares anything, so it is quick; it still runs
the parser on hostile text, so a server calls it in an isolated worker.
"""
from __future__ import annotations

import sympy as sp

from ..parsing import ParseError, Vocabulary, parse
from ..printing import tex
from ..problem import library
from .ladder import _read_answer, resolve


def preview(text: str, target: str | None = None, fmt: str = "auto", assume: dict | None = None) -> dict:
    """The reading of `text` as an answer to `target` (problem/part), or as a free expression when None.

    `{"ok": true, "latex": ..., "format": "text"|"latex"}`, or `{"ok": false, "error": the one-line
    message (with "at column N"), "message", "position": N or null, "caret": two lines}`. An unknown target
    raises `UnknownProblem`.
    """
    used = fmt if fmt != "auto" else ("latex" if "\\" in text else "text")
    try:
        if target is None:
            latex = sp.latex(parse(text, Vocabulary.free(assume or {}), fmt=fmt).index_form(()))
        else:
            problem_id, part_id = resolve(target)
            spec = library.load(problem_id)
            part = spec.part_by_id(part_id)
            latex = tex(_read_answer(text, spec, part, fmt), spec)
    except ParseError as exc:
        return {"ok": False, "error": str(exc), "message": exc.message, "position": exc.position,
                "caret": exc.caret(), "format": used}
    return {"ok": True, "latex": latex, "format": used}
