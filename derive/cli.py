"""The `derive` command: a thin click layer over the library.

It parses options, calls the library, prints, and turns `DeriveError` into
one line on stderr with exit code 2 (usage and unknown ids). Commands import
what they use when they run: `derive --help` imports click alone, `derive
list` and a cached derivation never import SymPy.
"""
from __future__ import annotations

import json
import os
import sys
import warnings
from pathlib import Path
from typing import NoReturn

import click

from .errors import DeriveError
from .limits import DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT, MAX_STDIN

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
  derive check softmax-jacobian/jacobian 's_i*(delta_ij - s_j)'
  derive equiv '1/(1+exp(-2x))' 'tanh(x)/2 + 1/2'
  derive grade submissions.jsonl -o results.jsonl
"""


def fail(message: str, code: int = 2) -> NoReturn:
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


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    click.echo(f"warning: {message}", err=True)


@click.group(cls=ProblemGroup, help="Derive, render and check backpropagation homework." + EXAMPLES,
             context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--problems", "folders", multiple=True, metavar="DIR",
              type=click.Path(file_okay=False, path_type=Path),
              help="A course folder of problem specs, added to the shipped ones (repeatable; "
                   "$DERIVE_PROBLEMS adds folders too, separated like PATH).")
@click.version_option(package_name="derive")
def main(folders: tuple[Path, ...]) -> None:
    from .problem import library

    warnings.showwarning = _show_warning  # the library warns (a skipped spec); the CLI prints one line
    try:
        library.configure(folders)
    except DeriveError as exc:
        fail(str(exc))


@main.command("list", help="List the problems, their titles, parts and course folders." + """

A spec that cannot be loaded is listed with its file and error; the others
are listed as usual (exit 0). Loading every spec imports SymPy: the result is
cached until a source or spec file changes.

\b
Example:
  derive list
  derive list --json
  derive --problems course list
""")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (broken specs go to standard error).")
def list_command(as_json: bool) -> None:
    from .api import listing

    try:
        good, broken = listing()
    except DeriveError as exc:
        fail(str(exc))
    if as_json:
        click.echo(json.dumps(good, indent=2, ensure_ascii=False))
        for path, problem_id, error in broken:
            click.echo(f"warning: {path}" + (f" ({problem_id})" if problem_id else "") + f": {error}", err=True)
        return
    width = max([len(p["id"]) for p in good] + [len(b[1] or "?") for b in broken] + [1])
    for p in good:
        where = f"  ({p['folder']})" if p["folder"] else ""
        click.echo(f"{p['id'].ljust(width)}  {p['title']}  [{', '.join(p['parts'])}]{where}")
    for path, problem_id, error in broken:
        click.echo(f"{(problem_id or '?').ljust(width)}  cannot be loaded: {path}: {error}")


@main.command("validate", help="Prove problem specs right: derive every part and check it numerically." + """

For each problem (an id, or a spec FILE; all problems when none is given):
the header agrees with the spec, every assumption holds at the points derive
samples, every step equals the one before it, the answer equals finite
differences of the definitions and the spec's reference, and every known
mistake is really wrong. One line per thing to change. Exit 0 when all hold,
1 otherwise.

\b
Examples:
  derive validate softmax-jacobian
  derive validate
  derive validate course/relu_layer.py
  derive --problems course validate relu-layer --json
""")
@click.argument("targets", nargs=-1, metavar="[ID|FILE]...")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per problem, in a list.")
def validate_command(targets, as_json):
    from .authoring import validate_file, validate_problem
    from .problem import library

    reports = []
    warnings.simplefilter("ignore", library.SpecWarning)  # validate reports broken specs itself
    try:
        broken = {b.id for b in library.current().broken()}
        for target in targets:  # unknown ids and missing files: one line, exit 2, before any work
            if _is_file(target) and not Path(target).is_file():
                fail(f"{target}: no such file")
            if not _is_file(target) and target not in broken:
                library.header(target)
        everything = [*library.ids(), *(str(b.path) for b in library.current().broken())]
        for target in targets or everything:
            reports.append(validate_file(Path(target)) if _is_file(target) else validate_problem(target))
    except DeriveError as exc:
        fail(str(exc))
    if as_json:
        click.echo(json.dumps([r.to_json() for r in reports], indent=2, ensure_ascii=False))
    else:
        for r in reports:
            parts = f"{len(r.parts)} part{'s' if len(r.parts) != 1 else ''}"
            click.echo(f"{r.problem}: ok ({parts}, {r.file})" if r.ok else f"{r.problem}: {r.file}")
            for failure in r.failures:
                click.echo(f"  {failure}")
    sys.exit(0 if all(r.ok for r in reports) else 1)


def _is_file(target: str) -> bool:
    return target.endswith(".py") or Path(target).is_file()


@main.command("new", help="Write a commented skeleton spec for a new problem, valid as written." + """

The file is ID with dashes as underscores (relu-layer -> relu_layer.py), in
DIR (default: the current directory); an existing file is never overwritten.
Then edit it, `derive validate` it and `derive pdf` it.

\b
Examples:
  derive new relu-layer -o course
  derive --problems course validate relu-layer
  derive --problems course pdf relu-layer -o relu-layer.pdf
""")
@click.argument("problem_id", metavar="ID")
@click.option("-o", "--output", "folder", default=".", show_default=True, type=click.Path(file_okay=False),
              help="The folder to write the spec into.")
@click.option("--title", help="The problem's title.")
def new_command(problem_id, folder, title):
    from .authoring.skeleton import write_skeleton
    from .problem import library

    if problem_id in main.commands:
        fail(f"{problem_id!r} is a command of derive; a problem needs another id")
    try:
        taken = {h.id: h.path for h in library.headers()}
        if problem_id in taken:
            fail(f"problem id {problem_id!r} is taken by {library.shown(taken[problem_id])}; choose another")
        path = write_skeleton(problem_id, Path(folder), title)
    except DeriveError as exc:
        fail(str(exc))
    click.echo(f"wrote {path}; edit it, then: derive --problems {path.parent} validate {problem_id}", err=True)


@main.command("pdf", help="Build a solutions PDF (or the problem sheet) for some or all problems." + """

\b
Examples:
  derive pdf                                    # all problems, in the course's order -> solutions.pdf
  derive pdf softmax-jacobian two-layer-l2 -o hw3-solutions.pdf
  derive pdf softmax-jacobian/jacobian two-layer-l2/dW2 -o quiz.pdf
  derive pdf --no-solutions -o hw3.pdf          # the problem sheet a teacher hands out
  derive pdf --title 'Homework 3' --subtitle 'Due Friday' --no-solutions -o hw3.pdf
  derive pdf --tex -o hw3-solutions.tex         # the LaTeX source, to edit
  derive pdf --tex -o - | less

Problems come out in the order given (a `problem/part` selects one part; a
repeated id counts once), or, with none given, in the course's order (the
`order` of course.toml). The sheet numbers problems 1, 2, 3 and parts (a),
(b), (c); the solutions key shows each problem's id and source in the margin
(not with --no-ids). Needs a TeX engine (latexmk or pdflatex; Debian:
texlive-latex-base, texlive-latex-recommended, texlive-pictures, latexmk)
unless --tex is given.
""")
@click.argument("problems", nargs=-1)
@click.option("-o", "--output", help="Output file ('-' with --tex: standard output). "
              "Default: solutions.pdf, or problems.pdf with --no-solutions (.tex with --tex).")
@click.option("--no-solutions", is_flag=True, help="The problem sheet: statements and questions only.")
@click.option("--tex", "tex_only", is_flag=True, help="Write the LaTeX source instead of compiling it.")
@click.option("--title", help="The document's title (default: course.toml's title).")
@click.option("--subtitle", help="The line under the title (default: course.toml's subtitle, if any).")
@click.option("--no-ids", is_flag=True, help="Solutions without problem ids and sources in the margin.")
def pdf_command(problems, output, no_solutions, tex_only, title, subtitle, no_ids):
    from .documents.pdf import compile_pdf, document

    stem = "problems" if no_solutions else "solutions"
    output = output or f"{stem}.{'tex' if tex_only else 'pdf'}"
    try:
        source = document(problems, solutions=not no_solutions, title=title, subtitle=subtitle,
                          ids=not no_ids)
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


def _format(latex: bool, text: bool) -> str:
    if latex and text:
        fail("--latex and --text exclude each other")
    return "latex" if latex else "text" if text else "auto"


def _answer_text(answer: str) -> str:
    if answer != "-":
        return answer
    data = sys.stdin.buffer.read(MAX_STDIN + 1)
    try:
        return data.decode("utf-8").strip()
    except UnicodeDecodeError as exc:
        fail(f"standard input is not UTF-8 (byte {exc.start})")


def _report(result, as_json: bool, first="answer", second="reference") -> None:
    if as_json:
        data = result.to_json()
        data.pop("seconds", None)
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        click.echo(f"{result.verdict.replace('_', ' ')}: {result.message}" if not
                   result.message.startswith(result.verdict.replace("_", " ")) else result.message)
        if result.detail:
            click.echo(result.detail)
        for why in result.diagnosis[1:]:
            click.echo(f"  also: {why}")
        if result.method:
            click.echo(f"  checked: {result.method}")
    sys.exit(result.exit_code)


_TIMEOUT = click.option("--timeout", type=click.FloatRange(0.1, 600), default=DEFAULT_TIMEOUT, show_default=True,
                        help="A safety net: seconds before a check is stopped, 'undecided' (exit 3). What decides "
                             "a verdict is counted work, the same on any machine.")


class AnswerCommand(click.Command):
    """A command whose arguments are answers, which may begin with a minus sign (-t_i, -tanh(x)^2 + 1): an
    argument that is not one of the command's own options is an argument, not a cluster of flags."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        takes_value = {}
        for param in self.get_params(ctx):
            if isinstance(param, click.Option):
                for name in (*param.opts, *param.secondary_opts):
                    takes_value[name] = not param.is_flag
        options, positionals, rest = [], [], list(args)
        while rest:
            arg = rest.pop(0)
            if arg == "--":
                positionals += rest
                break
            name = arg.split("=", 1)[0]
            if name in takes_value:
                options.append(arg)
                if takes_value[name] and "=" not in arg and rest:
                    options.append(rest.pop(0))
            else:
                positionals.append(arg)
        return super().parse_args(ctx, [*options, "--", *positionals])


@main.command("check", cls=AnswerCommand, help="Check a student's answer against a part's reference." + """

TARGET is problem/part (or a problem with one part); ANSWER is plain text,
Unicode or LaTeX, or '-' to read it from standard input. Exit codes: 0
equivalent, 1 not equivalent (with why), 2 invalid input or usage, 3
undecided (time limit).

\b
Examples:
  derive check softmax-jacobian/jacobian 's_i*(delta_ij - s_j)'
  derive check softmax-jacobian/jacobian '\\sigma_i(1-\\sigma_j)'   # exit 1, with why
  derive check two-layer-l2/dW2 'A2^T (Psi - Delta)/N + 2 lambda W2' --json
  echo '1-\\tanh^2(x)' | derive check tanh-derivative -
""")
@click.argument("target")
@click.argument("answer")
@click.option("--latex", is_flag=True, help="Read the answer as LaTeX.")
@click.option("--text", is_flag=True, help="Read the answer as plain text / Unicode.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@_TIMEOUT
def check_command(target, answer, latex, text, as_json, timeout):
    from .api import check_result

    fmt = _format(latex, text)
    answer = _answer_text(answer)
    try:
        result = check_result(target, answer, fmt, timeout)  # unknown ids: exit 2 before any worker starts
    except DeriveError as exc:
        fail(str(exc))
    _report(result, as_json)


@main.command("steps", help="Check a student's whole derivation, link by link." + """

TARGET is problem/part, or a problem: then each chain is judged in the part
whose target its first side is (a chain that starts otherwise, in the part of
the chain before it). FILE is Markdown ($$...$$, \\[...\\], $...$), LaTeX
(equation, align, aligned, ...) or plain text with one step a line, or '-'
for standard input. Each link is marked: ✓ follows, ✓ if i = j (holds only
there), ✗ does not follow (the first one with a counterexample and why), ?
not read or undecided; then the final answer is checked as `derive check`
does. Exit codes: 0 every judged link follows and the final answer is right,
1 a link does not follow or the final answer is wrong, 2 unreadable file or
usage, 3 undecided.

\b
Examples:
  echo 'd/dx tanh(x) = 1 - tanh(x)^2' | derive steps tanh-derivative -
  echo 'd/dx tanh(x) = 1 + tanh(x)^2' | derive steps tanh-derivative - --json   # exit 1
  echo 'ds_i/dx_j = s_i (delta_ij - s_j)' | derive steps softmax-jacobian/jacobian -
  echo 'd/dx tanh(x) = 1 + tanh(x)^2' | derive steps tanh-derivative - --pdf feedback.pdf   # marked; exit 1
  echo 'd/dx tanh(x) = 1 - tanh(x)^2' | derive steps tanh-derivative - --pdf - --tex         # its LaTeX
""")
@click.argument("target")
@click.argument("file", metavar="FILE")
@click.option("--lines", "lines", metavar="A-B",
              help="Only the lines A to B of FILE (line numbers stay those of FILE).")
@click.option("--json", "as_json", is_flag=True,
              help="Print the links, the first wrong one and the final check as JSON.")
@click.option("--pdf", "pdf", metavar="FILE",
              help="Also write the feedback for the student: the steps typeset, each marked in the margin, the "
                   "first wrong one explained (needs a TeX engine).")
@click.option("--tex", "tex_only", is_flag=True,
              help="With --pdf: write the feedback's LaTeX source to FILE ('-': standard output) instead.")
@_TIMEOUT
def steps_command(target, file, lines, as_json, pdf, tex_only, timeout):
    from .api import only_lines, steps_report
    from .checking.steps import render
    from .parsing import ParseError
    from .problem import library

    if tex_only and not pdf:
        fail("--tex writes the feedback's LaTeX to the file of --pdf FILE (or '-'): give --pdf")
    if pdf == "-" and not tex_only:
        fail("a PDF is not written to standard output; give --pdf FILE.pdf, or --tex")
    if pdf == "-" and as_json:
        fail("--json and --pdf - --tex both write to standard output: give --pdf FILE.tex")
    if file == "-":
        data = sys.stdin.buffer.read(MAX_STDIN + 1)
    else:
        try:
            data = Path(file).read_bytes()[:MAX_STDIN + 1]
        except OSError as exc:
            fail(f"{file}: {exc.strerror or exc}")
    if len(data) > MAX_STDIN:
        fail(f"{file}: larger than {MAX_STDIN} bytes")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        fail(f"{file}: not UTF-8 (byte {exc.start})")
    try:
        text = only_lines(text, lines)
        report = steps_report(target, text, timeout)
        spec = library.load(target.partition("/")[0])  # for the feedback document
    except ParseError as exc:
        fail(f"{file}: {exc}")
    except DeriveError as exc:
        fail(str(exc))
    if as_json:
        click.echo(json.dumps(report.to_json(), indent=2, ensure_ascii=False))
    elif pdf != "-":
        click.echo(render(report))
    if pdf:
        _feedback(report, spec, text, "standard input" if file == "-" else file, pdf, tex_only)
    sys.exit(report.exit_code)


def _feedback(report, spec, text: str, source: str, output: str, tex_only: bool) -> None:
    """`derive steps --pdf`: the feedback document, compiled (or its LaTeX source with --tex)."""
    from .checking.readings import feedback_data
    from .documents.feedback import feedback_document
    from .documents.pdf import compile_pdf

    try:
        latex = feedback_document(feedback_data(report, spec, text, source))
        if tex_only and output == "-":
            click.echo(latex, nl=False)
        elif tex_only:
            Path(output).write_text(latex, encoding="utf-8")
            click.echo(f"wrote {output}", err=True)
        else:
            click.echo(f"wrote {compile_pdf(latex, Path(output)).path}", err=True)
    except DeriveError as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"cannot write {output}: {exc.strerror}")


@main.command("equiv", cls=AnswerCommand,
              help="Are two expressions equal for all real values of their variables?" + """

Real variables, principal branches; --assume x>0 restricts a variable. The
same ladder as `derive check`: exact evaluation while the expressions are
rational, 40 then 120 digits when they are not, a counterexample when they
differ. Exit codes as for check.

\b
Examples:
  derive equiv '1/(1+exp(-2x))' 'tanh(x)/2 + 1/2'
  derive equiv 'sqrt(x^2)' 'x'                   # not equivalent at x = -1.2: exit 1
  derive equiv 'sqrt(x^2)' 'x' --assume 'x>0'
  derive equiv '\\frac{1}{2^{98}}' '\\frac{1}{2^{99}}' --json   # exit 1
""")
@click.argument("first")
@click.argument("second")
@click.option("--assume", "assume", multiple=True, metavar="NAME>0", help="Assume a variable positive (repeatable).")
@click.option("--latex", is_flag=True, help="Read both as LaTeX.")
@click.option("--text", is_flag=True, help="Read both as plain text / Unicode.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@_TIMEOUT
def equiv_command(first, second, assume, latex, text, as_json, timeout):
    from .api import equiv_result

    fmt = _format(latex, text)
    try:
        result = equiv_result(_answer_text(first), _answer_text(second), assume, fmt, timeout)
    except DeriveError as exc:
        fail(str(exc))
    _report(result, as_json)


@main.command("grade", help="Grade a class: one result per submission, then a summary." + """

SUBMISSIONS is a JSONL file (one {"id","problem","part","answer"} object a
line, and an optional "student") or a CSV file with those columns. Every row
is checked first: a malformed line, a missing field, a repeated id, an
unknown problem or part (with the closest id), a points key that names no
part, an OUTPUT name whose extension says another format; all of them are
reported in one message (exit 2) before any work, unless --skip-bad-rows.

A row whose "kind" is "steps", or that names a "file" (relative to the
folder of SUBMISSIONS), is a whole derivation: judged link by link as `derive
steps` does, scored by the final answer less a "step_penalty" (0.25) for each
wrong step, or, with a wrong final answer, "steps_credit" (0) times the links
that follow; both set in --points.

Each check runs in a worker process with a CPU-time and memory limit; results
are appended to OUTPUT as they complete (JSONL, CSV when OUTPUT ends in .csv,
or with --format gradescope a results.json), so an interrupted run keeps what
it graded and --resume goes on from there. Each result carries its score and
max_score: points from --points, else the [points] of course.toml, else 1 a
part. The summary (counts per verdict and per part, and with a student column
each student's points) goes to standard error and covers the whole OUTPUT.

\b
Examples:
  derive grade submissions.jsonl -o results.jsonl
  derive grade class.csv -o results.csv --jobs 2 --timeout 2
  derive grade submissions.jsonl -o results.jsonl --resume
  derive grade class.csv -o results.csv --points points.json --totals totals.csv
  derive grade submissions.jsonl -o results.jsonl --skip-bad-rows
  derive grade submissions.jsonl --format gradescope -o results.json --points points.json
""")
@click.argument("submissions", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-o", "--output", default="-", show_default=True,
              help="Results file: .jsonl, .csv, or .json with --format gradescope ('-': standard output).")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv", "gradescope"]),
              help="Output format (default: from OUTPUT's extension, else jsonl).")
@click.option("--jobs", type=click.IntRange(1, 256), default=os.cpu_count() or 1, show_default="number of cores",
              help="Worker processes.")
@click.option("--resume", is_flag=True,
              help="Skip the ids already in OUTPUT and append the rest (refused when OUTPUT holds other ids).")
@click.option("--points", "points_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help='JSON {"problem/part": points, "problem": points split over its parts, "*": default}; '
                   "overrides course.toml's [points] (default: those, else 1 a part).")
@click.option("--skip-bad-rows", is_flag=True,
              help="Grade the other rows when some are at fault; those are written as invalid, with why.")
@click.option("--totals", "totals_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Write each student's points as CSV: student, score, max_score, one column a problem/part "
                   "(the rows need a student).")
@click.option("--memory", type=click.IntRange(64, 1 << 20), default=DEFAULT_MEMORY_MB, show_default=True,
              help="Memory limit per worker, in MB.")
@_TIMEOUT
def grade_command(submissions, output, fmt, jobs, resume, points_file, skip_bad_rows, totals_file, memory, timeout):
    from .grading.plan import prepare

    try:
        plan = prepare(submissions, output, fmt, points_file=points_file, resume=resume, totals=totals_file,
                       skip_bad_rows=skip_bad_rows)
    except DeriveError as exc:
        fail(str(exc))
    _grade(plan, jobs, timeout, memory)


def _grade(plan, jobs, timeout, memory):
    from .grading.batch import Interrupted, grade_batch

    output = plan.output
    try:
        skipped, summary = grade_batch(plan, jobs, timeout, memory)
    except Interrupted as exc:
        if plan.fmt == "gradescope":
            fail(f"interrupted after {exc.graded} answers: nothing written (--format gradescope writes {output} "
                 "at the end); run it again", code=130)
        totals = f"; {plan.totals} not written" if plan.totals else ""
        held = sum(exc.summary.verdicts.values())
        fail(f"interrupted: {exc.graded} answers graded now, {held} results in "
             f"{'standard output' if output == '-' else output}{totals}; go on with --resume", code=130)
    except OSError as exc:
        fail(f"cannot write {exc.filename or output}: {exc.strerror}")
    if skipped:
        click.echo(f"{skipped} ids already graded in {output}, skipped; the summary covers the whole file", err=True)
    bad = [row for row in plan.bad if str(row["id"]) not in plan.done]  # the ones written now
    if bad:
        lines = ", ".join(str(row["line"]) for row in bad[:10]) + (", ..." if len(bad) > 10 else "")
        click.echo(f"{len(bad)} row{'s' if len(bad) > 1 else ''} at fault, written as invalid (--skip-bad-rows): "
                   f"line{'s' if len(bad) > 1 else ''} {lines}", err=True)
    for line in summary.lines():
        click.echo(line, err=True)
    if plan.totals is not None:
        count = len(summary.scores)
        click.echo(f"totals of {count} student{'s' if count != 1 else ''} written to {plan.totals}", err=True)


@main.command("autograder", help="Build a Gradescope autograder: a zip that grades each student's answers file." + """

The zip holds setup.sh (installs derive on Gradescope's Ubuntu image),
run_autograder, derive itself (a wheel), the course folders (--problems, before
the command) and the points. For each submission it reads answers.json,
answers.yaml or answers.md (an answer under each problem/part key or `##`
heading), checks every answer with the limits of `derive grade`, and writes
results.json: one test per part, with the verdict, why and a counterexample.

Graded are every part of the course folders' problems, and each part of a
shipped problem that a points key names. The points are those of `derive
grade`: --points (JSON {"problem/part": points, "problem": points split over
its parts, "*": default}), else the [points] of course.toml, else 1 a part; a
part worth 0 is left out. A key that names no part is an error (exit 2).

\b
Examples:
  derive --problems course autograder --points points.json -o autograder.zip
  derive --problems course autograder -o hw3-autograder.zip
""")
@click.option("--points", "points_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="JSON points per problem/part (default: course.toml's [points]).")
@click.option("-o", "--output", default="autograder.zip", show_default=True, help="The zip to write.")
@click.option("--jobs", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Worker processes per submission (Gradescope gives an autograder about one CPU).")
@click.option("--memory", type=click.IntRange(64, 1 << 20), default=DEFAULT_MEMORY_MB, show_default=True,
              help="Memory limit per worker, in MB.")
@click.option("--timeout", type=click.FloatRange(0.1, 600), default=DEFAULT_TIMEOUT, show_default=True,
              help="A safety net: seconds per answer before it is stopped, 'undecided' (verdicts are decided by "
                   "counted work).")
def autograder_command(points_file, output, jobs, memory, timeout):
    from .grading.autograder import build

    if not output.lower().endswith(".zip"):
        fail(f"-o {output}: Gradescope takes the autograder as a zip; give -o NAME.zip")
    try:
        built = build(Path(output), points_file, timeout=timeout, memory=memory, jobs=jobs)
    except DeriveError as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"cannot write {output}: {exc.strerror}")
    total = f"{built.total:g} point{'s' if built.total != 1 else ''}"
    parts = f"{len(built.graded)} part{'s' if len(built.graded) != 1 else ''}"
    click.echo(f"wrote {built.path}: {parts}, {total} (points: {built.source}; "
               f"course folders: {', '.join(built.folders) or 'none'})", err=True)
    width = max(len(g.target) for g in built.graded)
    for g in built.graded:
        click.echo(f"  {g.number:<5} {g.target.ljust(width)}  {g.points:g}", err=True)
    click.echo("Upload it on Gradescope: the assignment's Configure Autograder, Zip file upload, "
               "base image Ubuntu 22.04 or newer.", err=True)


@main.command("serve", help="Serve the problems as web pages and a JSON API, for a class." + """

Students type answers and see them read as they type (the reading typeset,
or the error with its column), check them, see the solution, check a whole
derivation, and compare two expressions (/equiv). The JSON API
(/api/problems, /api/check, /api/equiv, /api/steps, /api/parse) gives the
shapes of the commands' --json. Every check runs in a pool of isolated
workers with the limits of `derive grade`; request bodies over 64 KB and
clients sending faster than --rate are refused. It listens on 127.0.0.1
unless --host says otherwise, and prints the URL.

\b
Examples:
  derive serve
  derive serve --port 8080 --workers 4
  derive serve --host 0.0.0.0 --problems course --no-solutions
""")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="The address to listen on (0.0.0.0: every interface, for a classroom).")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True, help="The port.")
@click.option("--problems", "extra", multiple=True, metavar="DIR", type=click.Path(file_okay=False, path_type=Path),
              help="A course folder of problem specs (repeatable; as `derive --problems DIR`).")
@click.option("--no-solutions", is_flag=True, help="No \"Show the solution\"; the API refuses solutions (403).")
@click.option("--workers", type=click.IntRange(1, 256), default=2, show_default=True,
              help="Worker processes for checks.")
@click.option("--rate", type=click.FloatRange(0.1, 10_000), default=10.0, show_default=True,
              help="API requests a second per client address, on average (bursts of six times as many).")
@click.option("--memory", type=click.IntRange(64, 1 << 20), default=DEFAULT_MEMORY_MB, show_default=True,
              help="Memory limit per worker, in MB.")
@_TIMEOUT
@click.pass_context
def serve_command(ctx, host, port, extra, no_solutions, workers, rate, memory, timeout):
    try:
        from .web import Settings, serve
    except ImportError as exc:
        fail(f"derive serve needs starlette and uvicorn ({exc.name} is missing): pip install starlette uvicorn")
    folders = [*ctx.parent.params.get("folders", ()), *extra]
    settings = Settings(folders=folders, solutions=not no_solutions, workers=workers, timeout=timeout,
                        memory_mb=memory, rate=rate, burst=6 * rate)
    try:
        serve(settings, host, port, say=lambda line: click.echo(line, err=True))
    except DeriveError as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}")


def _problem_command(problem_id: str) -> click.Command:
    @click.command(name=problem_id, help=f"Derive problem {problem_id} step by step." + EXAMPLES)
    @click.option("--part", "part_id", help="Only this part (see `derive list`).")
    @click.option("--latex", is_flag=True, help="Print the derivation as LaTeX (align*).")
    @click.option("--standalone", is_flag=True, help="With --latex: a complete, compilable document.")
    @click.option("--json", "as_json", is_flag=True, help="Print the derivation as JSON.")
    @click.option("--no-cache", is_flag=True, help="Derive again instead of using the on-disk cache.")
    def show(part_id, latex, standalone, as_json, no_cache):
        from .api import derive_part

        if standalone and not latex:
            fail("--standalone works with --latex (a complete LaTeX document); add --latex")
        try:
            report = derive_part(problem_id, part_id, use_cache=not no_cache)
        except DeriveError as exc:
            fail(str(exc))
        if as_json:
            click.echo(json.dumps(report, indent=2, ensure_ascii=False))
            return
        from .documents.templating import render

        if latex and standalone:
            from .documents.pdf import standalone as standalone_document

            click.echo(standalone_document(report), nl=False)
        elif latex:
            click.echo(render("problem.tex.j2", problem=report, solutions=True), nl=False)
        else:
            click.echo(render("problem.txt.j2", problem=report), nl=False)

    return show


if __name__ == "__main__":  # pragma: no cover
    main()
