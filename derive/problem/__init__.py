"""Problems: the declarative spec of a homework problem, its sample points, and the library of folders.

`spec` (Spec, D and the records a spec holds; teachers import it as
`derive.spec`), `wellformed` (structural checks at load), `sampling` (random
points that respect a problem's assumptions), `headers` (a spec's header
read without running it), `library` (the shipped problems and course
folders), `store` (the on-disk cache keyed by every source and spec file).
Importing this package does not import SymPy; loading a spec does.
"""
from __future__ import annotations

from .headers import Broken, Header
from .library import (
    Library,
    SpecWarning,
    all_specs,
    configure,
    current,
    header,
    headers,
    ids,
    load,
    part_id,
    resolve,
    shown,
    unknown_message,
)

__all__ = ["Broken", "Header", "Library", "SpecWarning", "all_specs", "configure", "current", "header", "headers",
           "ids", "load", "part_id", "resolve", "shown", "unknown_message"]
