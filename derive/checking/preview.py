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
from .equation import answer_side
from .ladder import _read_answer, resolve


def preview(text: str, target: str | None = None, fmt: str = "auto", assume: dict | None = None) -> dict:
    """The reading of `text` as an answer to `target` (problem/part), or as a free expression when None.

    `{"ok": true, "latex": ..., "format": "text"|"latex", "notes": [...]}` (`notes`: how a notation that
    reads two ways was read, such as K^T where T is also a size), or `{"ok": false, "error": the one-line
    message (with "at column N"), "message", "position": N or null, "caret": two lines}`. An unknown target
    raises `UnknownProblem`.
    """
    used = fmt if fmt != "auto" else ("latex" if "\\" in text else "text")
    try:
        if target is None:
            parsed = parse(text, Vocabulary.free(assume or {}), fmt=fmt)
            latex, notes = sp.latex(parsed.index_form(())), list(parsed.notes)
        else:
            problem_id, part_id = resolve(target)
            spec = library.load(problem_id)
            part = spec.part_by_id(part_id)
            latex = tex(_read_answer(text, spec, part, fmt), spec)
            notes = _notes(text, spec, part, fmt)
    except ParseError as exc:
        return {"ok": False, "error": str(exc), "message": exc.message, "position": exc.position,
                "caret": exc.caret(), "format": used}
    return {"ok": True, "latex": latex, "format": used, "notes": notes}


def _notes(text: str, spec, part, fmt: str) -> list[str]:
    """The parser's notes on the answer proper (the right side of `target = answer`)."""
    vocab = Vocabulary.from_spec(spec, part)
    side, _ = answer_side(text, spec, part, vocab, fmt)
    try:
        return list(parse(side, vocab, fmt=fmt).notes)
    except ParseError:  # read by the second try (a row vector): no note to give
        return []
