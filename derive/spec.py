"""The spec API a problem file imports: `from derive.spec import D, Spec`.

This import path is an interface that teachers' files depend on; the
implementation lives in `derive.problem.spec`.
"""
from __future__ import annotations

from .problem.spec import (
    Assumption,
    D,
    Definition,
    FunctionInfo,
    Iverson,
    Mistake,
    Name,
    Part,
    Spec,
    pending,
)

__all__ = ["Assumption", "D", "Definition", "FunctionInfo", "Iverson", "Mistake", "Name", "Part", "Spec",
           "pending"]
