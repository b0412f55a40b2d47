"""The `derive` command: a thin click layer over the library.

It parses options, calls the library, prints, and turns `DeriveError` into
one line on stderr with exit code 2 (usage and unknown ids). SymPy is not
imported here: `derive --help` and `derive list` stay fast, and a cached
derivation renders without it.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from . import registry
from .errors import DeriveError

EXAMPLES = """
\b
Examples:
  derive list
  derive softmax-jacobian
  derive softmax-jacobian --latex
  derive softmax-jacobian --latex --standalone > jacobian.tex
  derive two-layer-l2 --part dW2 --json
  derive pdf -o solutions.pdf
  derive pdf softmax-jacobian two-layer-l2 -o hw3-solutions.pdf
  derive pdf --no-solutions -o hw3.pdf
"""


def fail(message: str, code: int = 2) -> None:
    click.echo(f"Error: {message}", err=True)
    sys.exit(code)


class ProblemGroup(click.Group):
    """Subcommands, and any other first word is a problem id: `derive softmax-jacobian`."""

    def get_command(self, ctx, name):
        command = super().get_command(ctx, name)
        if command is not None:
            return command
        return _problem_command(name)

    def resolve_command(self, ctx, args):
        name = args[0]
        command = self.get_command(ctx, name)
        return name, command, args[1:]


@click.group(cls=ProblemGroup, help="Derive, render and check backpropagation homework." + EXAMPLES,
             context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="derive")
def main() -> None:
    pass


@main.command("list", help="List the problems, their titles and parts." + """

\b
Example:
  derive list
  derive list --json
""")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def list_command(as_json: bool) -> None:
    try:
        headers = registry.headers()
    except DeriveError as exc:
        fail(str(exc))
    if as_json:
        click.echo(json.dumps([{"id": h.id, "title": h.title, "source": h.source, "parts": list(h.parts)}
                               for h in headers], indent=2, ensure_ascii=False))
        return
    width = max(len(h.id) for h in headers)
    for h in headers:
        click.echo(f"{h.id.ljust(width)}  {h.title}  [{', '.join(h.parts)}]")


@main.command("pdf", help="Build a solutions PDF (or the problem sheet) for some or all problems." + """

\b
Examples:
  derive pdf                                    # all problems -> solutions.pdf
  derive pdf softmax-jacobian two-layer-l2 -o hw3-solutions.pdf
  derive pdf --no-solutions -o hw3.pdf          # statements only
  derive pdf --tex -o hw3-solutions.tex         # the LaTeX source, to edit
  derive pdf --tex -o - | less

Needs a TeX engine (latexmk or pdflatex; Debian: texlive-latex-base,
texlive-latex-recommended, latexmk) unless --tex is given.
""")
@click.argument("problems", nargs=-1)
@click.option("-o", "--output", help="Output file ('-' with --tex: standard output). "
              "Default: solutions.pdf, or problems.pdf with --no-solutions (.tex with --tex).")
@click.option("--no-solutions", is_flag=True, help="The problem sheet: statements and questions only.")
@click.option("--tex", "tex_only", is_flag=True, help="Write the LaTeX source instead of compiling it.")
@click.option("--title", help="The document's title (default: Solutions / Problem sheet).")
def pdf_command(problems, output, no_solutions, tex_only, title):
    from .pdf import compile_pdf, document

    stem = "problems" if no_solutions else "solutions"
    output = output or f"{stem}.{'tex' if tex_only else 'pdf'}"
    try:
        source = document(problems, solutions=not no_solutions, title=title)
        if tex_only:
            if output == "-":
                click.echo(source, nl=False)
            else:
                Path(output).write_text(source, encoding="utf-8")
                click.echo(f"wrote {output}", err=True)
            return
        if output == "-":
            fail("a PDF is not written to standard output; give -o FILE.pdf, or --tex")
        compiled = compile_pdf(source, Path(output))
    except DeriveError as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"cannot write {output}: {exc.strerror}")
    click.echo(f"wrote {compiled.path}", err=True)


def _problem_command(problem_id: str) -> click.Command:
    @click.command(name=problem_id, help=f"Derive problem {problem_id} step by step." + EXAMPLES)
    @click.option("--part", "part_id", help="Only this part (see `derive list`).")
    @click.option("--latex", is_flag=True, help="Print the derivation as LaTeX (align*).")
    @click.option("--standalone", is_flag=True, help="With --latex: a complete, compilable document.")
    @click.option("--json", "as_json", is_flag=True, help="Print the derivation as JSON.")
    @click.option("--no-cache", is_flag=True, help="Derive again instead of using the on-disk cache.")
    def show(part_id, latex, standalone, as_json, no_cache):
        try:
            registry.header(problem_id)
            if part_id is not None:
                registry.check_part(problem_id, part_id)
            from .cache import problem_report

            report = problem_report(problem_id, use_cache=not no_cache)
        except DeriveError as exc:
            fail(str(exc))
        if part_id is not None:
            report = {**report, "parts": [p for p in report["parts"] if p["id"] == part_id]}
        if as_json:
            click.echo(json.dumps(report, indent=2, ensure_ascii=False))
            return
        from .templating import render

        if latex and standalone:
            from .pdf import standalone as standalone_document

            click.echo(standalone_document(report), nl=False)
        elif latex:
            click.echo(render("problem.tex.j2", problem=report, solutions=True), nl=False)
        else:
            click.echo(render("problem.txt.j2", problem=report), nl=False)

    return show


if __name__ == "__main__":  # pragma: no cover
    main()
