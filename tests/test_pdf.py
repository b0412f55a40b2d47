"""Solution PDFs and problem sheets, built with the real TeX engine and read back with pdftotext."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys

import pytest
from click.testing import CliRunner

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

from derive.cli import main
from derive.documents import pdf
from derive.documents.cache import problem_report
from derive.errors import TexError
from derive.printing.texbreak import break_lines, width
from derive.problem import course, library

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
            assert squash(part["id"]).replace("-", "") in flat.replace("-", "")  # margin ids break at "-"
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
            assert squash(part["answer"]["index_ascii"]) not in flat
    assert "Answer" not in sheet and "derive check" not in sheet


def _word(word: str) -> re.Pattern:
    return re.compile(rf"(?<![\w-]){re.escape(word)}(?![\w-])")


@needs_tex
def test_sheet_shows_no_source_and_no_id_only_numbers_and_letters(sheet):
    """A sheet a teacher hands out: problems 1, 2, 3 in the course's order, parts (a), (b), (c), and none of
    the internal sources ("seed 002, Q4(b,c,d)") or ids; an id that is a word of the titles or statements
    themselves ("gradient", "derivative", the dx of d/dx) may stand there as that word."""
    assert "seed" not in sheet.lower() and "library:" not in sheet
    reports = [problem_report(problem_id) for problem_id in course.ordered()]
    said = " ".join([f"{r['title']} {r['statement']}" for r in reports]
                    + [p["statement"] for r in reports for p in r["parts"]])
    for report in reports:
        assert not _word(report["id"]).search(sheet), report["id"]
        assert squash(report["source"]) not in squash(sheet)
        for part in report["parts"]:
            if not _word(part["id"]).search(said):
                assert not _word(part["id"]).search(sheet), f"{report['id']}/{part['id']}"
    where = [re.search(rf"^\f?Problem {n}\b", sheet, re.M).start() for n in range(1, len(reports) + 1)]
    assert where == sorted(where) and f"Problem {len(reports) + 1}" not in sheet
    for n, report in enumerate(reports):
        block = sheet[where[n]:where[n + 1] if n + 1 < len(where) else len(sheet)]
        assert squash(report["title"]) in squash(block)
        letters = re.findall(r"^\f?\(([a-z])\)", block, re.M)  # \f: a part that opens a page
        if len(report["parts"]) > 1:
            assert letters == list("abcdefghijklmnopqrstuvwxyz"[:len(report["parts"])]), report["id"]
        else:
            assert letters == [], report["id"]


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


def tex_of(*args: str) -> str:
    result = CliRunner().invoke(main, ["pdf", "--tex", "-o", "-", *args])
    assert result.exit_code == 0, result.output
    return result.output


def outline(source: str) -> list[tuple[str, list[str]]]:
    """(problem id, [part ids]) of a key's LaTeX source, in document order, read from its margin notes; the
    problems are numbered 1, 2, 3 and the parts lettered (a), (b), (c) when there are several."""
    source = source.replace(r"\allowbreak{}", "")
    out: list[tuple[str, list[str]]] = []
    sections = re.split(r"^\\section\*\{", source, flags=re.M)[1:]
    for n, section in enumerate(sections, 1):
        assert section.startswith(f"Problem {n}\\quad "), section[:80]
        problem_id = re.search(r"\\marginpar\{\\raggedright\\scriptsize\\texttt\{([^}]*)\}", section).group(1)
        parts = re.findall(r"\\texttt\{/([^}]*)\}", section)
        letters = re.findall(r"\\textbf\{\(([a-z])\)\}", section)
        assert letters == (list("abcdefghijklmnopqrstuvwxyz"[:len(parts)]) if len(parts) > 1 else []), section
        out.append((problem_id, parts))
    return out


def test_problems_come_in_the_order_given_else_in_the_course_order():
    given = outline(tex_of("tanh-derivative", "two-layer-l2", "softmax-jacobian"))
    assert [p for p, _ in given] == ["tanh-derivative", "two-layer-l2", "softmax-jacobian"]
    every = outline(tex_of())
    assert [p for p, _ in every] == course.ordered() == list(tomllib.loads(
        (library.shipped_folder() / "course.toml").read_text(encoding="utf-8"))["order"])
    assert every[0] == ("softmax-jacobian", ["jacobian", "vjp"])


def test_a_course_toml_reorders_and_titles_the_documents(tmp_path):
    from .test_library import write_spec

    folder = tmp_path / "course"
    write_spec(folder)
    (folder / "course.toml").write_text('title = "Homework 3"\nsubtitle = "Due Friday"\n'
                                        'order = ["tanh-derivative", "course-softmax"]\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["--problems", str(folder), "pdf", "--tex", "-o", "-"],
                                env={"DERIVE_CACHE_DIR": str(tmp_path / "cache")})
    assert result.exit_code == 0, result.output
    ids = [p for p, _ in outline(result.output)]
    assert ids[:3] == ["tanh-derivative", "course-softmax", "softmax-jacobian"]
    assert sorted(ids) == sorted(library.ids())  # every problem once; the shipped ones in their course order
    assert ids[2:] == [p for p in course.ordered() if p not in ids[:2]]
    assert r"{\Large\bfseries Homework 3}" in result.output and r"{\large Due Friday}" in result.output
    mine = CliRunner().invoke(main, ["--problems", str(folder), "pdf", "--tex", "-o", "-", "--no-solutions",
                                     "--title", "Quiz", "--subtitle", "Week 5 & 6", "tanh-derivative"],
                              env={"DERIVE_CACHE_DIR": str(tmp_path / "cache")})
    assert r"{\Large\bfseries Quiz}" in mine.output and r"{\large Week 5 \& 6}" in mine.output


def test_single_parts_are_selected_and_a_repeated_id_appears_once():
    source = tex_of("softmax-jacobian/vjp", "two-layer-l2/dW2", "softmax-jacobian/jacobian",
                    "softmax-jacobian/vjp", "tanh-derivative", "tanh-derivative", "two-layer-l2/dW2")
    assert outline(source) == [("softmax-jacobian", ["jacobian", "vjp"]), ("two-layer-l2", ["dW2"]),
                               ("tanh-derivative", ["derivative"])]
    assert outline(tex_of("two-layer-l2/db1", "two-layer-l2", "softmax-jacobian/vjp")) == [
        ("two-layer-l2", ["dZ3", "dW2", "db2", "dZ2", "dW1", "db1"]), ("softmax-jacobian", ["vjp"])]
    bad = CliRunner().invoke(main, ["pdf", "--tex", "-o", "-", "softmax-jacobian/jacobain"])
    assert bad.exit_code == 2 and "jacobian" in bad.output and len(bad.output.strip().splitlines()) == 1


def test_the_key_shows_ids_and_sources_in_the_margin_unless_no_ids():
    key = tex_of("log-softmax-jacobian")
    assert "seed 002, Q4(b,c,d)" in key and r"\marginpar" in key
    assert "log-softmax-jacobian" in key.replace(r"\allowbreak{}", "") and "nll-gradient" in key.replace(
        r"\allowbreak{}", "")
    plain = tex_of("--no-ids", "log-softmax-jacobian").replace(r"\allowbreak{}", "")
    sheet = tex_of("--no-solutions", "log-softmax-jacobian").replace(r"\allowbreak{}", "")
    for source in (plain, sheet):
        assert "seed" not in source and r"\marginpar" not in source and r"\texttt{/" not in source
        assert r"\texttt{log-softmax-jacobian}" not in source
        assert r"\textbf{(c)}" in source and r"\section*{Problem 1\quad The log-softmax Jacobian}" in source
    assert "log-softmax-jacobian" not in sheet and "nll-gradient" not in sheet


def test_standalone_without_latex_is_an_error():
    result = CliRunner().invoke(main, ["softmax-jacobian", "--standalone"])
    assert result.exit_code == 2 and "--latex" in result.output and "\\documentclass" not in result.output


@needs_tex
def test_the_latex_body_compiles_with_amsmath_and_amssymb_alone(tmp_path):
    """What `derive X --latex` prints goes into a document that loads amsmath and amssymb, nothing else."""
    bodies = []
    for problem_id in library.ids():
        result = CliRunner().invoke(main, [problem_id, "--latex"])
        assert result.exit_code == 0, result.output
        bodies.append(result.output)
    (tmp_path / "mine.tex").write_text("\\documentclass{article}\n\\usepackage{amsmath,amssymb}\n\\begin{document}\n"
                                       + "\n".join(bodies) + "\\end{document}\n", encoding="utf-8")
    run = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "mine.tex"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, pdf.log_excerpt(run.stdout)
    assert "Undefined control sequence" not in run.stdout and "LaTeX Error" not in run.stdout
    text = squash(pdf_text(tmp_path / "mine.pdf"))
    assert all(squash(problem_report(problem_id)["title"]) in text for problem_id in library.ids())


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
