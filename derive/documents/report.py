"""Derivations as plain data: what templates render, `--json` prints and the cache keeps."""
from __future__ import annotations

import sympy as sp

from ..calculus import Derivation, derive
from ..printing import ascii_text, fit, matrix_ascii, matrix_tex, matrix_text, tex, text, to_matrix
from ..printing.prose import prose_text
from ..problem import library
from ..problem.spec import D, Part, Spec
from .graph import graph_report


def _assumption(a, spec) -> dict:
    return {"latex": f"{tex(a.lhs, spec)} = {tex(a.rhs, spec)}", "text": a.text}


#: the answer's printed forms (each a key of a report's answer); `derive check` reads every one back
ANSWER_FORMS = ("index_latex", "index_text", "index_ascii", "matrix_latex", "matrix_text", "matrix_ascii")


def answer_forms(spec: Spec, part: Part, answer: sp.Expr) -> dict:
    """A part's answer as every printer writes it: index form and (for a part with `matrix=True`) matrix
    form, each in LaTeX, Unicode text and ASCII; a form the part does not have is None."""
    forms = {"index_latex": tex(answer, spec), "index_text": text(answer, spec),
             "index_ascii": ascii_text(answer, spec), "matrix_latex": None, "matrix_text": None, "matrix_ascii": None}
    if part.matrix:
        form = to_matrix(answer, part.free, spec)
        forms.update(matrix_latex=matrix_tex(form, spec), matrix_text=matrix_text(form, spec),
                     matrix_ascii=matrix_ascii(form, spec))
    return forms


def _answer(derivation: Derivation, target_latex: str) -> dict:
    forms = answer_forms(derivation.spec, derivation.part, derivation.answer)
    matrix_latex = forms["matrix_latex"]
    return {"index_latex": forms["index_latex"], "index_text": forms["index_text"],
            "index_ascii": forms["index_ascii"], "index_lines": fit(forms["index_latex"], target_latex),
            "matrix_latex": matrix_latex, "matrix_text": forms["matrix_text"], "matrix_ascii": forms["matrix_ascii"],
            "matrix_lines": fit(matrix_latex, target_latex) if matrix_latex is not None else None}


def _inline(target, spec: Spec) -> str:
    """∂f/∂v as inline LaTeX (a slash, not a fraction): what a rule's tag names."""
    if isinstance(target, D):
        return rf"\partial {tex(target.expr, spec)}/\partial {tex(target.wrt, spec)}"
    return tex(target, spec)


def cited_result(spec: Spec, cited: str) -> dict:
    """A derived result a step uses (`problem/part`): its name (the cited part's target) and its statement
    (target = answer), for the step that names it and for a document that does not derive it itself."""
    problem_id, _, part_id = cited.rpartition("/")
    source = spec if problem_id == spec.id else library.load(problem_id)
    derivation = derive(source, part_id)
    target_latex = tex(derivation.target, source)
    answer_latex = tex(derivation.answer, source)
    return {"id": cited, "problem": problem_id, "part": part_id,
            "name_latex": _inline(derivation.target, source), "name_text": text(derivation.target, source),
            "target_latex": target_latex, "answer_latex": answer_latex,
            "lines": fit(answer_latex, target_latex),
            "text": f"{text(derivation.target, source)} = {text(derivation.answer, source)}"}


def part_report(derivation: Derivation) -> dict:
    """One derived part as plain data: its steps, answer, assumptions and domain, in LaTeX and text."""
    spec = derivation.spec
    target_latex = tex(derivation.target, spec)
    steps = []
    cites: dict[str, dict] = {}
    for step in derivation.steps:
        latex = tex(step.expr, spec)
        for cited in step.cites:
            cites.setdefault(cited, cited_result(spec, cited))
        steps.append({"rule": step.rule, "note": step.note, "latex": latex, "text": text(step.expr, spec),
                      "lines": fit(latex, target_latex),
                      "cites": [{key: cites[c][key] for key in ("id", "name_latex", "name_text")}
                                for c in step.cites]})
    return {
        "id": derivation.part.id,
        "statement": derivation.part.statement,
        "statement_text": prose_text(derivation.part.statement),
        "target_latex": target_latex,
        "target_text": text(derivation.target, spec),
        "steps": steps,
        "answer": _answer(derivation, target_latex),
        "assumptions": [_assumption(a, spec) for a in derivation.assumptions],
        "domain": [{"latex": tex(c, spec), "text": text(c, spec)} for c in derivation.domain],
        "uses": list(derivation.citations),
        "cites": list(cites.values()),  # the derived results its steps use, each once
        "state": [],  # those a document states here, not deriving them itself (assemble.assemble)
    }


def derive_report(problem_id: str) -> dict:
    """Derive every part of a problem and return the report (no cache; see `cache.problem_report`)."""
    spec = library.load(problem_id)
    return {
        "id": spec.id,
        "title": spec.title,
        "source": spec.source,
        "statement": spec.statement,
        "statement_text": prose_text(spec.statement),
        "graph": graph_report(spec),
        "parts": [part_report(derive(spec, part.id)) for part in spec.parts],
    }
