"""Solution keys and problem sheets as LaTeX documents, compiled with a real TeX engine.

`document()` renders templates/document.tex.j2 around the problems' reports;
`compile_pdf()` runs latexmk (or pdflatex until its cross-references settle)
in a temporary directory and moves the PDF into place only when TeX
succeeded. A failure raises `TexError` with the relevant lines of TeX's log
and the path of the kept build directory.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import SpecError, TexError
from ..problem import library
from ..problem.library import SpecWarning
from .cache import problem_report
from .templating import render

INSTALL_HINT = ("no TeX engine found (latexmk or pdflatex); install TeX Live, on Debian: "
                "apt-get install texlive-latex-base texlive-latex-recommended latexmk")
TEX_TIMEOUT = 300  # seconds for the whole compilation
_PDFLATEX_RUNS = 4


def reports(problem_ids: Sequence[str] = ()) -> list[dict]:
    """The reports of the given problems; with none given, of every problem that loads (a broken
    spec is skipped with a warning). Unknown ids fail before any work."""
    if problem_ids:
        for problem_id in problem_ids:
            library.header(problem_id)
        return [problem_report(problem_id) for problem_id in problem_ids]
    out = []
    for problem_id in library.ids():
        try:
            out.append(problem_report(problem_id))
        except SpecError as exc:
            warnings.warn(f"skipped {exc}", SpecWarning, stacklevel=2)
    return out


def document(problem_ids: Sequence[str] = (), solutions: bool = True, title: str | None = None) -> str:
    """The LaTeX source of a solutions key (or, without solutions, a problem sheet)."""
    problems = reports(problem_ids)
    if title is None:
        title = "Solutions" if solutions else "Problem sheet"
    return render("document.tex.j2", problems=problems, solutions=solutions, title=title)


def standalone(report: dict) -> str:
    """One problem's solution as a complete document without a title block."""
    return render("document.tex.j2", problems=[report], solutions=True, title=None)


def tex_engine() -> list[str] | None:
    """The command that compiles `doc.tex`, or None when no engine is installed."""
    if shutil.which("latexmk") and shutil.which("pdflatex"):
        return ["latexmk", "-pdf", "-interaction=nonstopmode", "-halt-on-error", "-file-line-error", "doc.tex"]
    if shutil.which("pdflatex"):
        return ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "-file-line-error", "doc.tex"]
    return None


def log_excerpt(log: str, context: int = 3, limit: int = 30) -> str:
    """The error lines of a TeX log (`! ...` or `file:line: ...`) with a few lines after each."""
    lines = log.splitlines()
    picked: list[str] = []
    for number, line in enumerate(lines):
        if line.startswith("!") or re.match(r"^[^:\s]+\.tex:\d+: ", line):
            picked.extend(lines[number:number + context + 1])
            picked.append("...")
    if not picked:
        picked = lines[-limit:]
    return "\n".join(picked[:limit])


def _run(command: list[str], build: Path) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(command, cwd=build, stdin=subprocess.DEVNULL, capture_output=True,
                              timeout=TEX_TIMEOUT, env={**os.environ, "TEXINPUTS": f"{build}:"})
    except subprocess.TimeoutExpired as exc:
        raise TexError(f"{command[0]} did not finish in {TEX_TIMEOUT} s; the source is kept at {build / 'doc.tex'}") \
            from exc


@dataclass(frozen=True)
class Compiled:
    """A compiled PDF: where it was written, and TeX's log of the last run."""

    path: Path
    log: str  # TeX's log of the last run


def compile_pdf(source: str, output: Path) -> Compiled:
    """Compile `source` and write the PDF to `output`; nothing is written when TeX fails."""
    command = tex_engine()
    if command is None:
        raise TexError(INSTALL_HINT)
    build = Path(tempfile.mkdtemp(prefix="derive-tex-"))
    (build / "doc.tex").write_text(source, encoding="utf-8")
    runs = 1 if command[0] == "latexmk" else _PDFLATEX_RUNS
    previous_aux = None
    for _ in range(runs):
        result = _run(command, build)
        log_path = build / "doc.log"
        log = log_path.read_text(encoding="utf-8", errors="replace") if log_path.exists() else \
            result.stdout.decode(errors="replace")
        if result.returncode != 0 or not (build / "doc.pdf").is_file():
            raise TexError(f"TeX failed; the source is kept at {build / 'doc.tex'}\n{log_excerpt(log)}")
        aux = (build / "doc.aux").read_bytes() if (build / "doc.aux").exists() else b""
        if aux == previous_aux:
            break  # pdflatex: cross-references are stable
        previous_aux = aux
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(f".{output.name}.partial")
    shutil.copyfile(build / "doc.pdf", partial)
    os.replace(partial, output)
    shutil.rmtree(build, ignore_errors=True)
    return Compiled(output, log)


def overfull_lines(log: str) -> list[str]:
    """TeX's complaints about lines wider than the page."""
    return [line for line in log.splitlines() if line.startswith("Overfull \\hbox")]
