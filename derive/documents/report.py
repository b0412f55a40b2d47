"""Derivations as plain data: what templates render, `--json` prints and the cache keeps."""
from __future__ import annotations

from ..calculus import Derivation, derive
from ..printing import ascii_text, fit, matrix_ascii, matrix_tex, matrix_text, tex, text, to_matrix
from ..problem import library


def _assumption(a, spec) -> dict:
    return {"latex": f"{tex(a.lhs, spec)} = {tex(a.rhs, spec)}", "text": a.text}


def _answer(derivation: Derivation, target_latex: str) -> dict:
    spec = derivation.spec
    index_latex = tex(derivation.answer, spec)
    answer = {"index_latex": index_latex, "index_text": text(derivation.answer, spec),
              "index_ascii": ascii_text(derivation.answer, spec), "index_lines": fit(index_latex, target_latex),
              "matrix_latex": None, "matrix_text": None, "matrix_ascii": None, "matrix_lines": None}
    if derivation.part.matrix:
        form = to_matrix(derivation.answer, derivation.part.free, spec)
        matrix_latex = matrix_tex(form, spec)
        answer.update(matrix_latex=matrix_latex, matrix_text=matrix_text(form, spec),
                      matrix_ascii=matrix_ascii(form, spec), matrix_lines=fit(matrix_latex, target_latex))
    return answer


def part_report(derivation: Derivation) -> dict:
    """One derived part as plain data: its steps, answer, assumptions and domain, in LaTeX and text."""
    spec = derivation.spec
    target_latex = tex(derivation.target, spec)
    steps = []
    for step in derivation.steps:
        latex = tex(step.expr, spec)
        steps.append({"rule": step.rule, "note": step.note, "latex": latex, "text": text(step.expr, spec),
                      "lines": fit(latex, target_latex)})
    return {
        "id": derivation.part.id,
        "statement": derivation.part.statement,
        "target_latex": target_latex,
        "target_text": text(derivation.target, spec),
        "steps": steps,
        "answer": _answer(derivation, target_latex),
        "assumptions": [_assumption(a, spec) for a in derivation.assumptions],
        "domain": [{"latex": tex(c, spec), "text": text(c, spec)} for c in derivation.domain],
        "uses": list(derivation.citations),
    }


def derive_report(problem_id: str) -> dict:
    """Derive every part of a problem and return the report (no cache; see `cache.problem_report`)."""
    spec = library.load(problem_id)
    return {
        "id": spec.id,
        "title": spec.title,
        "source": spec.source,
        "statement": spec.statement,
        "parts": [part_report(derive(spec, part.id)) for part in spec.parts],
    }
