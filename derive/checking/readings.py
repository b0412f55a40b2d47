r"""A steps report as the plain data of the student's feedback document (`derive steps --pdf`).

`feedback_data(report, spec, text, source)` groups the report's links back
into the chains of the submission (`derive.parsing.chains`, read again from
the same text) and gives each side the LaTeX of its reading, printed by our
own printer from the parsed expression: the student's text is hostile, so it
never reaches the document as LaTeX. A side that does not read keeps only
its text (`raw`), which the template sets escaped in `\texttt`.

The result is what `derive.documents.feedback` renders: the layers keep the
documents apart from the checker, so the data is plain dicts, lists and
strings, with each link as in `StepsReport.to_json()`.
"""
from __future__ import annotations

from ..parsing import ParseError
from ..parsing.chains import Chain, TooLarge, notation_header, read_chains
from ..printing import tex
from ..problem.spec import Part, Spec
from .restated import restated
from .steps import Link, StepsReport, read_side

#: what our printer may raise on an expression it was not written for: the side is then shown as typed, escaped
_PRINT_ERRORS = (ValueError, TypeError, AttributeError, KeyError, NotImplementedError, RecursionError)


def _reading(text: str, spec: Spec, part: Part | None, names: list[tuple[str, str]]) -> str | None:
    """The LaTeX of a side as the checker reads it, or None where it does not read."""
    if part is None:
        return None
    try:
        return tex(read_side(text, spec, part, names), spec)
    except (ParseError, *_PRINT_ERRORS):
        return None


def _matches(links: list[Link], at: int, chain: Chain) -> bool:
    """Are the links from `at` on those of `chain` (each right side, in order, on its line)?"""
    rest = chain.sides[1:]
    return len(links) - at >= len(rest) and all(
        link.line == side.line and link.right_latex == side.text for link, side in zip(links[at:], rest))


def _side(text: str, line: int, latex: str | None) -> dict:
    return {"line": line, "raw": text, "latex": latex}


def _row(link: Link, before: list[dict], latex: str | None, first_wrong: Link | None) -> dict:
    """One link as a row under the side before it; `from_line` where it was judged from an earlier side (the one
    before did not read, or was wrong)."""
    previous = before[-1]
    from_line = None
    if link.left_latex != previous["raw"]:
        from_line = next((side["line"] for side in reversed(before) if side["raw"] == link.left_latex), None)
    return {**_side(link.right_latex, link.line, latex), "link": link.to_json(), "from_line": from_line,
            "first_wrong": link is first_wrong}


def chains(report: StepsReport, spec: Spec, text: str) -> list[dict]:
    """The judged chains of `text`: each with its part, its first side and a row for every link; each side read
    as the checker read it (with the student's own names and the renamings it found)."""
    _, body = notation_header(text)
    spec, names = report.spec or spec, report.names
    parts = {p.id: p for p in spec.parts}
    try:
        found = read_chains(body)
    except TooLarge:
        found = []
    out: list[dict] = []
    at = 0
    links = report.links
    for chain in found:
        if at >= len(links):
            break
        if not _matches(links, at, chain):
            continue  # a chain the checker skips: a case or condition the student states (`i = j`)
        part = parts.get(links[at].part or "")
        first = chain.sides[0]
        # a chain about a defined quantity (A_2 = max(0, Z_2)) is read at the quantity's indices, as the checker does
        restatement = None if part is None else restated(first.text, spec, part, names)
        reading, own = (spec, part) if restatement is None else (restatement.reading, restatement.part)
        sides = [_side(first.text, first.line, _reading(first.text, reading, own, names))]
        rows = []
        for link, side in zip(links[at:], chain.sides[1:]):
            row = _row(link, sides, _reading(side.text, reading, own, names), report.first_wrong)
            rows.append(row)
            sides.append(row)
        out.append({"part": None if part is None else part.id, "first": sides[0], "rows": rows})
        at += len(rows)
    for link in links[at:]:  # links the chains above do not account for: each a chain of its own
        part = parts.get(link.part or "")
        left = _side(link.left_latex, link.line, _reading(link.left_latex, spec, part, names))
        row = _row(link, [left], _reading(link.right_latex, spec, part, names), report.first_wrong)
        out.append({"part": None if part is None else part.id, "first": left, "rows": [row]})
    return out


def feedback_data(report: StepsReport, spec: Spec, text: str, source: str) -> dict:
    """Everything the feedback document shows: the problem, the file, the chains with their marks, the first
    wrong link, the final answer's check and the counts (see the module docstring)."""
    return {**report.to_json(), "title": spec.title, "source": source, "chains": chains(report, spec, text),
            "several_parts": len(spec.parts) > 1 and report.part is None}  # then each chain names its part
