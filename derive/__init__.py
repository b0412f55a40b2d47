"""derive: symbolic derivation checker and LaTeX generator for backpropagation homework.

The package imports nothing heavy at import time: `derive --help` and
`derive list` must not pay for SymPy.

Packages, in layers (a module imports only from its own layer's package or
lower ones; `tests/test_layers.py` enforces it):

    errors, limits, version      the error hierarchy, every limit, the version
    problem                      specs (Spec, D), sampling points, the library of problem folders
    calculus, printing, parsing  the engine; LaTeX/text/ASCII printers; the parser of student text
    documents, checking,         reports, cache, templates, PDFs; the answer checker;
      authoring                  `derive validate` and `derive new`, with the numeric witness
    grading                      batch grading in isolated worker processes
    api                          the Python API: check, equiv, steps, derive_part, problems
    web                          `derive serve`: pages and a JSON API (Starlette)
    cli                          the `derive` command

`from derive import check, equiv, steps, derive_part, problems` imports
`derive.api` when first used (module `__getattr__`), so `import derive` stays cheap.
"""
from __future__ import annotations

from importlib import import_module
from typing import Any

from .version import __version__

_API = ("check", "derive_part", "equiv", "problems", "steps")

__all__ = ["__version__", *_API]


def __getattr__(name: str) -> Any:
    if name in _API:
        return getattr(import_module(".api", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
