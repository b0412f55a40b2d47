"""Documents: derived problems as data, cached on disk, rendered by templates, compiled to PDF.

`report` (a derivation as plain data: what `--json` prints and templates
render), `cache` (reports kept on disk, keyed by every source and spec),
`templating` (the Jinja environment for templates/), `pdf` (solution keys
and problem sheets with a real TeX engine), `notebook` (derivations that
render themselves: `derive.documents.notebook.solution`, which imports the
engine). Only `pdf` runs a subprocess.
"""
from __future__ import annotations

from .cache import problem_report
from .pdf import Compiled, compile_pdf, document, standalone
from .templating import render

__all__ = ["Compiled", "compile_pdf", "document", "problem_report", "render", "standalone"]
