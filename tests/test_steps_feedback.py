"""`derive steps ... --pdf`: the student's derivation typeset, each step marked, the first wrong one explained.

Three documents are compiled (a derivation with a wrong middle step, an all-right one, a hostile one) and read
back with pdftotext; the rest looks at the LaTeX source (`--tex`) and at the pieces that guard it.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from derive.checking.readings import feedback_data
from derive.checking.steps import check_steps
from derive.cli import main
from derive.documents import pdf
from derive.documents.feedback import feedback_document, point_items, safe_math
from derive.problem import library

from .test_pdf import needs_tex, pdf_text, squash

#: d tanh/dx from the definition, with a sign slip in the quotient rule on line 6 (the middle of the chain)
WRONG_MIDDLE = r"""The derivative of tanh, from its definition.

$$
\begin{aligned}
\frac{d}{dx}\tanh(x) &= \frac{d}{dx} \frac{e^x - e^{-x}}{e^x + e^{-x}} \\
&\stackrel{\text{quotient rule}}{=} \frac{(e^x + e^{-x})^2 + (e^x - e^{-x})^2}{(e^x + e^{-x})^2} \\
&= 1 + \tanh^2(x) \\
&= 1 - \tanh^2(x)
\end{aligned}
$$
"""

ALL_RIGHT = r"""Off the diagonal and on it at once:
\begin{align*}
\frac{\partial \sigma_i}{\partial x_j} &= \frac{\partial}{\partial x_j} \frac{e^{x_i}}{\sum_k e^{x_k}} \\
&= \sigma_i(\delta_{ij} - \sigma_j)
\end{align*}
"""

HOSTILE = "\n".join([
    r"Hostile work \input{/etc/passwd} \write18{touch PWNED-A}",
    "",
    "$$",
    r"\frac{d}{dx}\tanh(x) &= \input{/etc/passwd} \\",
    r"&= \immediate\write18{touch PWNED-B} 1 \\",
    r"&= ^^5cinput{/etc/hostname} \\",
    r"&= \catcode`\@=0 @input{/etc/passwd} \\",
    r"&\stackrel{\input{/etc/passwd} ^^5c # % & ~ $ \write18{touch PWNED-C}}{=} \def\x{\x}\x \\",
    r"&= 1 - \tanh^2(x) + " + "Q" * 3000 + r" \\",
    r"&= 1 - \tanh^2(x) \end{document} \csname input\endcsname{/etc/passwd}",
    "$$",
    "",
])

_ESCAPES_ONLY = (r"\input{/etc", r"\write18", "^^5c", r"\catcode", r"\def\x", r"\csname", r"\immediate",
                 r"\end{document} \csname")


def _feedback_source(problem: str, text: str, source: str = "work.md", part: str | None = None) -> tuple:
    spec = library.load(problem)
    report = check_steps(spec, text, spec.part_by_id(part) if part else None)
    return report, feedback_document(feedback_data(report, spec, text, source))


def _between(text: str, start: str, end: str) -> str:
    """The text (squashed) from `start` to the next `end`."""
    flat = squash(text)
    at = flat.index(squash(start))
    return flat[at:flat.index(squash(end), at)]


# -- the LaTeX source ---------------------------------------------------------------------------
def test_tex_has_the_solutions_preamble_the_marks_and_the_explanation_under_the_wrong_step():
    report, source = _feedback_source("tanh-derivative", WRONG_MIDDLE, "work.md")
    assert [link.verdict for link in report.links][:2] == ["follows", "does_not_follow"]
    assert source.startswith("\\documentclass[11pt]{article}") and source.rstrip().endswith("\\end{document}")
    assert "\\input{glyphtounicode}" in source and "\\usepackage{amsmath,amssymb}" in source  # preamble.tex.j2
    assert source.count("\\begin{align*}") == 2  # the chain, the final answer
    rows = [line for line in source.splitlines() if "\\tag*{\\fbmargin" in line]
    assert [re.search(r"\\fbmargin\{(\d+)\}\{([^}]*)\}", row).groups() for row in rows] == [
        ("5", "\\fbright"), ("6", "\\fbwrong"), ("7", "\\fbright"), ("8", "\\fbright")]
    wrong = source.index("\\fbmargin{6}")
    explanation = source.index("\\fbexplain{6}")
    assert wrong < explanation < source.index("\\fbmargin{7}")  # under the first wrong step, before the next
    assert "\\fbwhy{sign error}" in source and source.count("\\fbexplain{") == 1
    assert "\\fbrel{quotient rule}" in source  # the student's stated reason, beside its = sign
    # each side as read, printed by our printer (never the student's text as LaTeX)
    assert "\\frac{\\partial}{\\partial x}\\left(\\frac{e^{x} - e^{- x}}{e^{x} + e^{- x}}\\right)" in source
    final = source.split("\\subsection*{Final answer}", 1)[1]
    assert "Your final answer:\n\\begin{align*}\n  &1 - \\tanh^{2}{\\left(x \\right)}\n\\end{align*}\n" in final
    assert "\n\\end{align*}\nEquivalent to the reference.\n" in final


def test_cli_writes_the_tex_to_a_file_or_stdout_and_keeps_the_verdicts_exit_code(tmp_path):
    work = tmp_path / "work.md"
    work.write_text(WRONG_MIDDLE, encoding="utf-8")
    out = tmp_path / "feedback.tex"
    result = CliRunner().invoke(main, ["steps", "tanh-derivative", str(work), "--pdf", str(out), "--tex"])
    assert result.exit_code == 1, result.output  # a link does not follow
    assert "first wrong step" in result.output  # the text report is printed as without --pdf
    assert out.read_text(encoding="utf-8").startswith("\\documentclass")
    printed = CliRunner().invoke(main, ["steps", "tanh-derivative", str(work), "--pdf", "-", "--tex"])
    assert printed.exit_code == 1
    assert printed.stdout == out.read_text(encoding="utf-8")  # the LaTeX alone on standard output
    right = tmp_path / "right.tex"
    right.write_text(ALL_RIGHT, encoding="utf-8")
    ok = CliRunner().invoke(main, ["steps", "softmax-jacobian/jacobian", str(right), "--pdf", "-", "--tex"])
    assert ok.exit_code == 0
    assert re.findall(r"\\fbmargin\{(\d+)\}\{([^}]*)\}", ok.stdout) == [("3", "\\fbright"), ("4", "\\fbright")]


@pytest.mark.parametrize("args, words", [
    (["--tex"], "--pdf"),
    (["--pdf", "-"], "standard output"),
    (["--pdf", "-", "--tex", "--json"], "--json"),
], ids=["tex-without-pdf", "pdf-to-stdout", "tex-and-json-to-stdout"])
def test_usage_errors_are_one_line_exit_2(tmp_path, args, words):
    work = tmp_path / "work.md"
    work.write_text(WRONG_MIDDLE, encoding="utf-8")
    result = CliRunner().invoke(main, ["steps", "tanh-derivative", str(work), *args])
    assert result.exit_code == 2 and words in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_without_a_tex_engine_one_line_and_no_file(tmp_path, monkeypatch):
    monkeypatch.setattr(pdf.shutil, "which", lambda name: None)
    work = tmp_path / "work.md"
    work.write_text(ALL_RIGHT, encoding="utf-8")
    out = tmp_path / "feedback.pdf"
    result = CliRunner().invoke(main, ["steps", "softmax-jacobian/jacobian", str(work), "--pdf", str(out)])
    assert result.exit_code == 2 and "texlive-latex-base" in result.stderr and not out.exists()
    assert len(result.stderr.strip().splitlines()) == 1


def test_hostile_text_reaches_the_source_escaped_only():
    _, source = _feedback_source("tanh-derivative", HOSTILE, source="../../$(rm -rf ~)\\input{x}.md")
    body = source.split("\\begin{document}", 1)[1].replace("\\allowbreak{}", "")
    for raw in _ESCAPES_ONLY:
        assert raw not in body, raw
    assert "\\textbackslash{}input\\{/etc/passwd\\}" in body  # shown as typed, in \texttt
    assert "\\textasciicircum{}\\textasciicircum{}5cinput" in body
    assert "Q" * (2 * 400) not in body and "QQQQ" in body  # a long side is cut
    assert "\\$(rm -rf \\textasciitilde{})\\textbackslash{}input\\{x\\}.md" in body  # the file name, escaped


def test_links_are_grouped_back_into_the_chains_a_stated_case_skipped():
    """The inline `$i = j$` the prose states is no chain the checker judges; a side that does not read keeps its
    text and no LaTeX; the step after it was judged from the side before it."""
    text = ("Diagonal entries, when $i = j$:\n\n$$\\frac{\\partial \\sigma_i}{\\partial x_i} = "
            "\\frac{\\partial}{\\partial x_i} \\frac{e^{x_i}}{\\sum_k e^{x_k}} = \\sigma_i \\mathbin{\\#} 2 "
            "= \\sigma_i - \\sigma_i^2$$\n")
    spec = library.load("softmax-jacobian")
    report = check_steps(spec, text, spec.part_by_id("jacobian"))
    (chain,) = feedback_data(report, spec, text, "cases.md")["chains"]
    assert chain["part"] == "jacobian" and chain["first"]["latex"] == "\\frac{\\partial \\sigma_{i}}{\\partial x_{i}}"
    assert [(row["line"], row["link"]["verdict"], row["from_line"]) for row in chain["rows"]] == [
        (3, "follows", None), (3, "unread", None), (3, "follows", 3)]
    unread = chain["rows"][1]
    assert unread["latex"] is None and unread["raw"] == "\\sigma_i \\mathbin{\\#} 2"
    source = feedback_document(feedback_data(report, spec, text, "cases.md"))
    assert "\\fbtyped{\\textbackslash{}sigma\\_i \\textbackslash{}mathbin\\{\\textbackslash{}\\#\\} 2}" in source
    assert "judged from the side on line 3" in source and "unsupported LaTeX command" in source


def test_a_side_read_with_the_students_own_names_is_shown_as_read():
    """"where $Z = \\sum_k e^{x_k}$" makes Z the student's name: the side that uses it was read and judged, so the
    feedback shows its reading, not the text as typed (it re-read the side without the student's names)."""
    text = ("$$\\frac{\\partial \\sigma_i}{\\partial x_j} = \\frac{\\partial}{\\partial x_j} \\frac{e^{x_i}}{Z} "
            "= \\sigma_i (\\delta_{ij} - \\sigma_j)$$\n\nwhere $Z = \\sum_k e^{x_k}$.\n")
    spec = library.load("softmax-jacobian")
    report = check_steps(spec, text, spec.part_by_id("jacobian"))
    assert [link.verdict for link in report.links] == ["follows", "follows"]
    (chain,) = feedback_data(report, spec, text, "names.md")["chains"]
    assert chain["rows"][0]["latex"] is not None and "Z" in chain["rows"][0]["latex"]


@pytest.mark.parametrize("latex, safe", [
    (r"\frac{\partial \sigma_{i}}{\partial x_{j}}", True),
    (r"\sigma_{i} \left(\delta_{ij} - \sigma_{j}\right)", True),
    (r"\sum_{k=1}^{n} e^{x_{k}} \cdot \operatorname{sign}{\left(w \right)}", True),
    (r"\text{if } x", True),
    (r"\input{/etc/passwd}", False),
    (r"x^^5cinput", False),
    (r"\csname input\endcsname", False),
    (r"x \\ y", False),
    (r"a & b", False),
    (r"\text{a_b}", False),  # text mode: a subscript there stops TeX
    (r"\frac{a}{b", False),
    (r"a}{", False),
    ("x % y", False),
    ("σ", False),
    (r"\begin{cases} a \end{cases}", False),
    ("", False),
], ids=lambda v: str(v)[:24])
def test_safe_math_allows_only_what_our_printer_writes(latex, safe):
    assert safe_math(latex) is safe


def test_counterexample_points_are_math():
    items = point_items({"n_x": 2, "i": 1, "w_hid": {"1,2": "392/275"}, "x": {"1": "-1/3 ≈ -0.333"},
                         "phi": "sin", "\\input{/etc/passwd}": "\\write18{x}"})
    assert items[:4] == ["{n_{x}} = 2", "i = 1", "{w_{\\mathrm{hid}}}_{1,2} = 392/275", "x_{1} = -1/3 \\approx -0.333"]
    assert items[4] == "\\mathit{phi} = \\text{sin}"
    assert "\\input{" not in items[5] and "\\write18" not in items[5]


# -- compiled PDFs ------------------------------------------------------------------------------------
@needs_tex
def test_pdf_of_a_wrong_middle_step_shows_the_marks_and_the_diagnosis_under_it(tmp_path):
    report, source = _feedback_source("tanh-derivative", WRONG_MIDDLE, "work.md")
    compiled = pdf.compile_pdf(source, tmp_path / "feedback.pdf")
    assert pdf.overfull_lines(compiled.log) == []
    text = pdf_text(compiled.path)
    assert "Feedback on your derivation" in text and "The derivative of tanh" in text and "work.md" in text
    marks = re.findall(r"^\s*(\d+)\s+([✓×?])", text, re.M)  # the margin: a line number, then the mark
    assert marks == [("5", "✓"), ("6", "×"), ("7", "✓"), ("8", "✓")], text
    under = _between(text, "First wrong step (line 6)", "tanh2")
    assert "Why:signerror." in under and "theleftsideis" in under
    point = report.first_wrong.counterexample["point"]["x"]
    assert squash(point.replace("-", "−")) in under  # the point where both sides differ
    assert "quotient rule" in text
    assert "4links:3✓,0✓if,1×,0notread,0notdecided." in squash(text)


@needs_tex
def test_pdf_of_an_all_right_derivation_has_no_cross(tmp_path):
    work = tmp_path / "jacobian.tex"
    work.write_text(ALL_RIGHT, encoding="utf-8")
    out = tmp_path / "feedback.pdf"
    result = CliRunner().invoke(main, ["steps", "softmax-jacobian", str(work), "--pdf", str(out)])
    assert result.exit_code == 0, result.output
    assert f"wrote {out}" in result.stderr
    text = pdf_text(out)
    assert "First wrong step" not in text and "why:" not in text
    assert re.findall(r"^\s*(\d+)\s+([✓×?])", text, re.M) == [("3", "✓"), ("4", "✓")]
    assert "part jacobian" in text  # a problem of several parts names the part of each chain
    assert "Your final answer to part jacobian:" in text and "Equivalent to the reference" in text


@needs_tex
def test_pdf_of_hostile_text_builds_and_leaks_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    work = tmp_path / "work.md"
    work.write_text(HOSTILE, encoding="utf-8")
    out = tmp_path / "feedback.pdf"
    result = CliRunner().invoke(main, ["steps", "tanh-derivative", str(work), "--pdf", str(out)])
    plain = CliRunner().invoke(main, ["steps", "tanh-derivative", str(work)])
    assert result.exit_code == plain.exit_code != 2, result.output  # the verdicts' exit code; TeX built the PDF
    assert out.is_file() and "Traceback" not in result.output
    text = pdf_text(out)
    passwd = Path("/etc/passwd").read_text(encoding="utf-8", errors="replace").splitlines()
    assert not any(line and line in text for line in passwd[:3])
    assert not list(tmp_path.glob("PWNED*")) and not list(Path.cwd().glob("PWNED*"))
    assert "\\input{/etc/passwd}" in text  # shown as typed
    assert "not read" in text and "Q" * 40 in text and "Q" * 500 not in squash(text)


@needs_tex
def test_tex_runs_without_shell_escape_and_reads_no_absolute_path(tmp_path, monkeypatch):
    """Defence in depth, should raw TeX ever get in: what pdf.py runs cannot run commands or read /etc."""
    monkeypatch.chdir(tmp_path)
    source = ("\\documentclass{article}\\begin{document}\\IfFileExists{/etc/passwd}{READABLE}{UNREADABLE}, "
              "\\immediate\\write18{touch " + str(tmp_path / "PWNED") + "}done.\\end{document}\n")
    compiled = pdf.compile_pdf(source, tmp_path / "x.pdf")
    assert "UNREADABLE, done." in pdf_text(compiled.path)
    assert not (tmp_path / "PWNED").exists()
    assert re.search(r"runsystem\(touch [^)]*\)\.*disabled", compiled.log.replace("\n", ""))  # TeX's lines wrap
