"""Writing problems: `derive validate` proves a spec right, `derive new` starts one.

`witness` (the independent numeric witness of the engine: SymPy's diff and
finite differences of the definitions at points that respect the
assumptions; the tests use it too).
"""
from __future__ import annotations

from .witness import Witness, close, witness_points

__all__ = ["Witness", "close", "witness_points"]
