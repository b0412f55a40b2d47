"""Writing problems: `derive validate` proves a spec right, `derive new` starts one.

`validate` (the checks, one line per thing to change), `roundtrip` (every
printed form of every answer read back by the checker), `skeleton` (a
commented spec that validates as written), `witness` (the independent
numeric witness of the engine: SymPy's diff and finite differences of the
definitions at points that respect the assumptions; the tests use it too).
The checker never imports this package.
"""
from __future__ import annotations

from .roundtrip import Unread, read_back
from .skeleton import skeleton, write_skeleton
from .validate import Report, validate_file, validate_problem
from .witness import Witness, close, witness_points

__all__ = ["Report", "Unread", "Witness", "close", "read_back", "skeleton", "validate_file", "validate_problem",
           "witness_points", "write_skeleton"]
