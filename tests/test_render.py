"""Rendered LaTeX: golden files per problem, matrix forms equal to index forms, pdflatex compiles it.

Regenerate the golden files with `.venv/bin/python -m tests.regenerate_golden` and review the diff;
a test run only compares.
"""
from __future__ import annotations

import random
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import sympy as sp

from derive.authoring.witness import WITNESS_SIZES, Witness
from derive.calculus import derive
from derive.documents.pdf import standalone
from derive.documents.report import derive_report as problem_report
from derive.documents.templating import render
from derive.printing.matrixform import to_matrix
from derive.problem import library
from derive.problem.sampling import spec_point

GOLDEN = Path(__file__).parent / "golden"
IDS = library.ids()


def latex_of(problem_id: str) -> str:
    return render("problem.tex.j2", problem=problem_report(problem_id), solutions=True)


@pytest.mark.parametrize("problem_id", IDS)
def test_latex_matches_golden(problem_id):
    path = GOLDEN / f"{problem_id}.tex"
    assert path.is_file(), f"no golden file: run `python -m tests.regenerate_golden` and review {path}"
    assert latex_of(problem_id) == path.read_text(encoding="utf-8")


@pytest.mark.parametrize("problem_id", IDS)
def test_latex_has_no_template_leftovers(problem_id):
    text = latex_of(problem_id)
    assert r"\VAR{" not in text and r"\BLOCK{" not in text and "None" not in text


MATRIX_PARTS = [(s.id, p.id) for s in library.all_specs() for p in s.parts if p.matrix]


@pytest.mark.parametrize("problem_id,part_id", MATRIX_PARTS, ids=[f"{a}/{b}" for a, b in MATRIX_PARTS])
def test_matrix_form_equals_index_form_entry_by_entry(problem_id, part_id):
    spec = library.load(problem_id)
    derivation = derive(spec, part_id)
    form = to_matrix(derivation.answer, derivation.part.free, spec)
    rng = random.Random(part_id)
    for _ in range(2):
        point = spec_point(spec, derivation.part.free, rng, tie=False, sizes=WITNESS_SIZES)
        evaluator = Witness(spec, point)
        concrete = form.xreplace(point.sizes)
        entries = {}
        for symbol in concrete.atoms(sp.MatrixSymbol):
            base = next(b for b in spec.shapes if str(getattr(b, "label", b)) == symbol.name)
            rows, cols = symbol.shape
            entries[symbol] = sp.Matrix(rows, cols, lambda r, c: evaluator.value(
                base[(r + 1, c + 1)] if len(spec.shapes[base]) == 2 else base[r + 1]))
        scalars = {s: evaluator.value(s) for s in concrete.free_symbols if s in spec.shapes or s in spec.definitions}
        explicit = concrete.xreplace(scalars).subs(entries).doit().as_explicit()
        explicit = evaluator.functions(explicit)
        free = derivation.part.free
        sizes = [point.sizes[spec.index_range[i]] for i in free]
        for r in range(sizes[0]):
            for c in range(sizes[1] if len(free) == 2 else 1):
                point.indices = dict(zip(free, (r + 1, c + 1)))
                index_value = Witness(spec, point).value(derivation.answer)
                assert abs(complex(sp.N(explicit[r, c])) - complex(index_value)) < 1e-12


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="needs pdflatex (texlive-latex-base)")
@pytest.mark.parametrize("problem_id", ["softmax-jacobian", "two-layer-l2"])
def test_standalone_document_compiles_with_pdflatex(tmp_path, problem_id):
    source = tmp_path / "one.tex"
    source.write_text(standalone(problem_report(problem_id)), encoding="utf-8")
    result = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", source.name],
                            cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout[-3000:]
    assert (tmp_path / "one.pdf").stat().st_size > 0


@pytest.mark.parametrize("problem_id", IDS)
def test_broken_lines_put_back_together_are_the_step(problem_id):
    report = problem_report(problem_id)
    for part in report["parts"]:
        for step in part["steps"]:
            lines = [re.sub(r"( \\right\.)*$", "", re.sub(r"^(\\left\. )*\{\} ", "", line)) for line in step["lines"]]
            assert " ".join(lines) == step["latex"]
