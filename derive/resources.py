"""Where the shipped folders are: inside an installed package, or beside the source tree.

The repository keeps `problems/` and `templates/` at its top level; a built
wheel carries them inside the package as `derive/problems/` and
`derive/templates/` (pyproject.toml maps them there). A source checkout or
an editable install finds them beside `derive/`.
"""
from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent


def shipped(name: str) -> Path:
    """The shipped folder `name` ("problems" or "templates")."""
    packaged = PACKAGE / name
    return packaged if packaged.is_dir() else PACKAGE.parent / name
