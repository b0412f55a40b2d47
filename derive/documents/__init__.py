"""Documents: derived problems as data, cached on disk, rendered by templates, compiled to PDF.

`report` (a derivation as plain data: what `--json` prints and templates
render), `cache` (reports kept on disk, keyed by every source and spec),
`templating` (the Jinja environment for templates/), `pdf` (solution keys
and problem sheets with a real TeX engine), `feedback` (a student's derivation
typeset with the marks of `derive steps`), `notebook` (derivations that
render themselves; it imports the engine). Only `pdf` runs a subprocess.

The names below are imported when first used, so that a cached derivation
(`cache` and `templating`) does not pay for the PDF machinery.
"""
from __future__ import annotations

from importlib import import_module
from typing import Any

_WHERE = {"problem_report": "cache", "render": "templating", "Compiled": "pdf", "compile_pdf": "pdf",
          "document": "pdf", "standalone": "pdf", "Solution": "notebook", "solution": "notebook",
          "feedback_document": "feedback", "answer_forms": "report", "ANSWER_FORMS": "report"}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(import_module(f".{_WHERE[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
