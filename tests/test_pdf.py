"""Solution PDFs and problem sheets, built with the real TeX engine and read back with pdftotext."""
from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from click.testing import CliRunner

from derive.cli import main
from derive.documents import pdf
from derive.documents.cache import problem_report
from derive.errors import TexError
from derive.printing.texbreak import break_lines, width
from derive.problem import library

needs_tex = pytest.mark.skipif(pdf.tex_engine() is None or shutil.which("pdftotext") is None,
                               reason="needs TeX Live and poppler-utils (pdftotext)")


def squash(text: str) -> str:
    """pdftotext output and ASCII answers compared without layout: no whitespace, plain quotes."""
    return re.sub(r"\s+", "", text.replace("\u2019", "'").replace("\u2212", "-"))


def pdf_text(path) -> str:
    return subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


@pytest.fixture(scope="module")
def solutions(tmp_path_factory):
    out = tmp_path_factory.mktemp("pdf") / "solutions.pdf"
    compiled = pdf.compile_pdf(pdf.document(), out)
    return compiled, pdf_text(out)


@pytest.fixture(scope="module")
def sheet(tmp_path_factory):
    out = tmp_path_factory.mktemp("pdf") / "sheet.pdf"
    result = CliRunner().invoke(main, ["pdf", "--no-solutions", "-o", str(out)])
    assert result.exit_code == 0, result.output
    return pdf_text(out)


@needs_tex
def test_solutions_contain_every_title_part_and_final_answer(solutions):
    _, text = solutions
    flat = squash(text)
    for problem_id in library.ids():
        report = problem_report(problem_id)
        assert squash(report["title"]) in flat
        for part in report["parts"]:
            assert squash(part["id"]) in flat
            assert squash(part["answer"]["index_ascii"]) in flat, (problem_id, part["id"])
            if part["answer"]["matrix_ascii"]:
                assert squash(part["answer"]["matrix_ascii"]) in flat, (problem_id, part["id"])


@needs_tex
def test_solutions_have_no_overfull_lines_and_no_template_leftovers(solutions):
    compiled, text = solutions
    assert pdf.overfull_lines(compiled.log) == []
    assert "VAR{" not in text and "BLOCK{" not in text and "None" not in text


@needs_tex
def test_sheet_has_the_questions_and_no_answers(sheet):
    flat = squash(sheet)
    for problem_id in library.ids():
        report = problem_report(problem_id)
        assert squash(report["title"]) in flat
        for part in report["parts"]:
            assert squash(part["id"]) in flat
            assert squash(part["answer"]["index_ascii"]) not in flat
    assert "Answer" not in sheet and "derive check" not in sheet


@needs_tex
def test_cli_builds_a_chosen_subset(tmp_path):
    out = tmp_path / "hw3-solutions.pdf"
    result = CliRunner().invoke(main, ["pdf", "softmax-jacobian", "tanh-derivative", "-o", str(out)])
    assert result.exit_code == 0, result.output
    text = pdf_text(out)
    assert "softmax Jacobian" in text and "tanh" in text and "Two-layer" not in text


def test_tex_source_to_a_file_and_to_stdout(tmp_path):
    out = tmp_path / "hw3.tex"
    result = CliRunner().invoke(main, ["pdf", "--tex", "-o", str(out), "softmax-jacobian"])
    assert result.exit_code == 0
    source = out.read_text(encoding="utf-8")
    assert source.startswith("\\documentclass") and source.rstrip().endswith("\\end{document}")
    printed = CliRunner().invoke(main, ["pdf", "--tex", "-o", "-", "softmax-jacobian"]).output
    assert printed == source


def test_unknown_problem_is_one_line_exit_2(tmp_path):
    result = CliRunner().invoke(main, ["pdf", "softmax-jacobain", "-o", str(tmp_path / "x.pdf")])
    assert result.exit_code == 2
    assert "softmax-jacobian" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "x.pdf").exists()


def test_no_tex_engine_says_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setattr(pdf.shutil, "which", lambda name: None)
    out = tmp_path / "x.pdf"
    result = CliRunner().invoke(main, ["pdf", "softmax-jacobian", "-o", str(out)])
    assert result.exit_code == 2
    assert "texlive-latex-base" in result.output and "latexmk" in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not out.exists()


@needs_tex
def test_tex_error_shows_the_log_and_keeps_the_source(tmp_path):
    out = tmp_path / "broken.pdf"
    source = "\\documentclass{article}\n\\begin{document}\n\\undefinedmacro\n\\end{document}\n"
    with pytest.raises(TexError) as caught:
        pdf.compile_pdf(source, out)
    message = str(caught.value)
    assert "Undefined control sequence" in message
    kept = re.search(r"kept at (\S+)", message).group(1)
    assert "\\undefinedmacro" in open(kept, encoding="utf-8").read()
    assert not out.exists()
    shutil.rmtree(kept.rsplit("/", 1)[0], ignore_errors=True)


@needs_tex
def test_failed_build_leaves_an_existing_output_untouched(tmp_path):
    out = tmp_path / "solutions.pdf"
    out.write_bytes(b"previous")
    with pytest.raises(TexError):
        pdf.compile_pdf("\\documentclass{article}\\begin{document}\\bad\\end{document}", out)
    assert out.read_bytes() == b"previous"


def test_long_formulas_break_at_terms_and_reopen_delimiters():
    terms = " + ".join(f"x_{{{k}}}" for k in range(40))
    lines = break_lines(rf"\left({terms}\right)", first=20)
    assert len(lines) > 2
    assert all(width(line.replace(r"\left.", "").replace(r"\right.", "")) <= 20 + 1e-9 for line in lines)
    assert lines[0].count(r"\left(") == 1 and lines[0].endswith(r"\right.")
    assert lines[1].startswith(r"\left. {} + ")
    assert lines[-1].endswith(r"\right)")


def test_short_groups_and_fractions_are_not_broken():
    lines = break_lines(r"a \left(b - c\right) + \frac{d + e}{f}", first=5)
    assert lines == [r"a \left(b - c\right)", r"{} + \frac{d + e}{f}"]


def test_objects_render_themselves_in_a_notebook():
    from derive.documents.notebook import solution

    spec = library.load("softmax-jacobian")
    assert "The softmax Jacobian" in spec._repr_latex_() and "$" in spec._repr_latex_()
    assert spec.parts[0]._repr_latex_().startswith("jacobian: ")
    rendered = solution("softmax-jacobian", "jacobian")._repr_latex_()
    assert rendered.startswith("$$\\begin{aligned}") and "quotient rule" in rendered
    assert r"\sigma_{i} \left(\delta_{ij} - \sigma_{j}\right)" in rendered


@needs_tex
def test_pdflatex_alone_runs_until_references_settle(tmp_path, monkeypatch):
    real = shutil.which
    monkeypatch.setattr(pdf.shutil, "which", lambda name: None if name == "latexmk" else real(name))
    assert pdf.tex_engine()[0] == "pdflatex"
    source = ("\\documentclass{article}\\begin{document}\\section{A}\\label{a}See \\ref{a} on page \\pageref{a}."
              "\\end{document}")
    compiled = pdf.compile_pdf(source, tmp_path / "x.pdf")
    assert "See 1 on page 1" in pdf_text(compiled.path)
