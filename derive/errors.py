"""The one error hierarchy of derive; the CLI translates it at the edge."""
from __future__ import annotations


class DeriveError(Exception):
    """Base class: a message a user can act on, no traceback needed."""


class UnknownProblem(DeriveError):
    """A problem or part id that the registry does not know."""


class SpecError(DeriveError):
    """A problem spec file that cannot be loaded or is malformed."""


class DerivationError(DeriveError):
    """The engine could not finish a derivation with its rules."""


class TexError(DeriveError):
    """A TeX engine is missing or failed."""
