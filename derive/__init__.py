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
    cli                          the `derive` command
"""
from __future__ import annotations

from .version import __version__

__all__ = ["__version__"]
