"""Derivations as plain data: what templates render, `--json` prints and the cache keeps."""
from __future__ import annotations

from . import registry
from .engine import Derivation, derive
from .render import matrix_tex, matrix_text, tex, text


def _assumption(a, spec) -> dict:
    return {"latex": f"{tex(a.lhs, spec)} = {tex(a.rhs, spec)}", "text": a.text}


def _matrix(derivation: Derivation):
    if not derivation.part.matrix:
        return None, None
    from .matrix import to_matrix

    spec = derivation.spec
    form = to_matrix(derivation.answer, derivation.part.free, spec)
    return matrix_tex(form, spec), matrix_text(form, spec)


def part_report(derivation: Derivation) -> dict:
    spec = derivation.spec
    matrix_latex, matrix_text = _matrix(derivation)
    return {
        "id": derivation.part.id,
        "statement": derivation.part.statement,
        "target_latex": tex(derivation.target, spec),
        "target_text": text(derivation.target, spec),
        "steps": [{"rule": s.rule, "note": s.note, "latex": tex(s.expr, spec), "text": text(s.expr, spec)}
                  for s in derivation.steps],
        "answer": {"index_latex": tex(derivation.answer, spec), "index_text": text(derivation.answer, spec),
                   "matrix_latex": matrix_latex, "matrix_text": matrix_text},
        "assumptions": [_assumption(a, spec) for a in derivation.assumptions],
        "domain": [{"latex": tex(c, spec), "text": text(c, spec)} for c in derivation.domain],
        "uses": list(derivation.citations),
    }


def problem_report(problem_id: str) -> dict:
    spec = registry.load(problem_id)
    return {
        "id": spec.id,
        "title": spec.title,
        "source": spec.source,
        "statement": spec.statement,
        "parts": [part_report(derive(spec, part.id)) for part in spec.parts],
    }
