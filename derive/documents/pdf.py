"""Solution keys and problem sheets as LaTeX documents, compiled with a real TeX engine.

`document()` renders templates/document.tex.j2 around the problems' reports;
`compile_pdf()` runs latexmk (or pdflatex until its cross-references settle)
in a temporary directory and moves the PDF into place only when TeX
succeeded. A failure raises `TexError` with the relevant lines of TeX's log
and the path of the kept build directory. TeX runs without shell escape and
with kpathsea's `openin_any=p` (no file read by an absolute path or from a
parent folder): a document that quotes a student never gives TeX more.
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
from ..problem import course, library
from ..problem.library import SpecWarning
from .assemble import assemble, only_parts
from .cache import problem_report
from .templating import render

INSTALL_HINT = ("no TeX engine found (latexmk or pdflatex); install TeX Live, on Debian: "
                "apt-get install texlive-latex-base texlive-latex-recommended texlive-pictures latexmk")
TEX_TIMEOUT = 300  # seconds for the whole compilation
_PDFLATEX_RUNS = 4


def selection(targets: Sequence[str]) -> list[tuple[str, tuple[str, ...] | None]]:
    """`problem` and `problem/part` targets as (problem, parts or None for every part), each problem once, in
    the order first named; a problem's parts keep the spec's order, a whole problem wins over its parts, and a
    repeated id counts once. Every id is checked (UnknownProblem with the closest id) before any work."""
    chosen: dict[str, list[str] | None] = {}
    for target in targets:
        problem_id, slash, part_id = target.partition("/")
        library.header(problem_id)
        if not slash:
            chosen[problem_id] = None
            continue
        part_id = library.part_id(problem_id, part_id)
        parts = chosen.setdefault(problem_id, [])
        if parts is not None and part_id not in parts:
            parts.append(part_id)
    out: list[tuple[str, tuple[str, ...] | None]] = []
    for problem_id, parts in chosen.items():
        if parts is None:
            out.append((problem_id, None))
        else:
            order = library.current().part_ids(problem_id)
            out.append((problem_id, tuple(p for p in order if p in parts)))
    return out


def reports(targets: Sequence[str] = ()) -> list[dict]:
    """The reports of the given problems (or `problem/part`s: the report keeps those parts), in the order
    given; with none given, of every problem that loads, in the course's order (a broken spec is skipped
    with a warning). Unknown ids fail before any work."""
    if targets:
        out = []
        for problem_id, parts in selection(targets):
            report = problem_report(problem_id)
            if parts is not None:
                report = only_parts(report, parts)
            out.append(report)
        return out
    out = []
    for problem_id in course.ordered():
        try:
            out.append(problem_report(problem_id))
        except SpecError as exc:
            warnings.warn(f"skipped {exc}", SpecWarning, stacklevel=2)
    return out


def document(targets: Sequence[str] = (), solutions: bool = True, title: str | None = None,
             subtitle: str | None = None, ids: bool = True) -> str:
    """The LaTeX source of a solutions key (or, without solutions, a problem sheet a teacher hands out:
    problems numbered 1, 2, 3 and parts (a), (b), (c), no ids or sources). The key shows each problem's
    id and source and each part's `problem/part` in the margin, unless `ids` is false. The title and the
    line under it default to the course's (`course.toml`)."""
    now = course.current()
    problems = reports(targets)
    if solutions:  # a result of a part the document leaves out is stated where it is used; the graph
        # numbers the parts shown
        problems = assemble(problems)
    if title is None:
        title = now.title or ("Solutions" if solutions else "Problem sheet")
    if subtitle is None:
        subtitle = now.subtitle
    return render("document.tex.j2", problems=problems, solutions=solutions, title=title,
                  subtitle=subtitle or "", ids=ids and solutions)


def standalone(report: dict) -> str:
    """One problem's solution as a complete document without a title block."""
    return render("document.tex.j2", problems=[report], solutions=True, title=None, subtitle="", ids=True)


def tex_engine() -> list[str] | None:
    """The command that compiles `doc.tex`, or None when no engine is installed."""
    if shutil.which("latexmk") and shutil.which("pdflatex"):
        return ["latexmk", "-pdf", "-interaction=nonstopmode", "-halt-on-error", "-file-line-error",
                "-latexoption=-no-shell-escape", "doc.tex"]
    if shutil.which("pdflatex"):
        return ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "-file-line-error", "-no-shell-escape",
                "doc.tex"]
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
                              timeout=TEX_TIMEOUT, env={**os.environ, "TEXINPUTS": f"{build}:",
                                                        "openin_any": "p"})  # no \input{/etc/...}
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
