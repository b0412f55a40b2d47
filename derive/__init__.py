"""derive: symbolic derivation checker and LaTeX generator for backpropagation homework.

The package imports nothing heavy at import time: `derive --help` and
`derive list` must not pay for SymPy.
"""
from __future__ import annotations

__version__ = "0.1.0"
