"""Printing derivations: index and matrix forms as LaTeX, Unicode text and typeable ASCII.

`base` (what every printer shares: the spec's names, differences with a
minus), `index` (index forms: σ_i(δ_ij − σ_j)), `matrixform` (index form to
matrix form: `to_matrix`), `matrix` (matrix forms: diag(σ) − σσᵀ),
`texbreak` (long LaTeX broken into lines that fit the page).
"""
from __future__ import annotations

from .index import ascii_text, tex, text
from .matrix import matrix_ascii, matrix_tex, matrix_text
from .matrixform import to_matrix
from .texbreak import fit

__all__ = ["ascii_text", "fit", "matrix_ascii", "matrix_tex", "matrix_text", "tex", "text", "to_matrix"]
