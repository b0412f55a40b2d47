"""The data the page templates show, cut from the reports `derive X --json` prints.

Templates only loop and escape (Jinja's autoescape is on); the cutting is
here: a statement's `$...$` math split from its text, so that the page
typesets each piece of math with KaTeX and shows the text as text; parts
lettered (a), (b), (c) as in the PDFs; what the problem sheet keeps of a
report when the server gives no solutions.
"""
from __future__ import annotations

import re
from pathlib import Path
from string import ascii_lowercase

import jinja2

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"

_MATH = re.compile(r"\$\$(.+?)\$\$|\$(.+?)\$", re.S)

#: what a problem's report keeps without solutions (`--no-solutions`): statements, targets and the graph
SHEET_KEYS = ("id", "title", "source", "statement", "statement_text", "graph")
SHEET_PART_KEYS = ("id", "statement", "statement_text", "target_latex", "target_text")


def environment() -> jinja2.Environment:
    """The pages' Jinja environment: HTML autoescape on everything, misspelt variables fail."""
    return jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                              undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def segments(statement: str) -> list[dict]:
    """A statement as pieces: {"math": False, "text"} and {"math": True, "text": LaTeX, "display"}."""
    out, last = [], 0
    for found in _MATH.finditer(statement):
        if found.start() > last:
            out.append({"math": False, "text": statement[last:found.start()], "display": False})
        display = found.group(1) is not None
        out.append({"math": True, "text": found.group(1) if display else found.group(2), "display": display})
        last = found.end()
    if last < len(statement):
        out.append({"math": False, "text": statement[last:], "display": False})
    return out


def letter(n: int, count: int) -> str:
    """The label of part n (0-based) of `count`: (a), (b), ...; none for a one-part problem."""
    if count == 1:
        return ""
    return f"({ascii_lowercase[n]})" if n < 26 else f"({n + 1})"


def sheet(report: dict) -> dict:
    """A report without its solutions: what the API gives when the server runs with --no-solutions."""
    out = {k: report[k] for k in SHEET_KEYS if k in report}
    out["parts"] = [{k: p[k] for k in SHEET_PART_KEYS if k in p} for p in report["parts"]]
    return out


def problem_view(report: dict, solutions: bool) -> dict:
    """What the problem page and the list show of one problem."""
    count = len(report["parts"])
    parts = [{"id": p["id"], "letter": letter(n, count), "statement": segments(p["statement"]),
              "target_latex": p.get("target_latex", ""),
              "steps": p.get("steps", []) if solutions else [],
              "answer": p.get("answer") if solutions else None,
              "assumptions": p.get("assumptions", []) if solutions else [],
              "domain": p.get("domain", []) if solutions else []}
             for n, p in enumerate(report["parts"])]
    graph = report.get("graph") or {}
    return {"id": report["id"], "title": report["title"], "source": report.get("source", ""),
            "statement": segments(report["statement"]), "graph": list(graph.get("lines", [])),
            "backward": graph.get("backward_text", ""), "parts": parts}
