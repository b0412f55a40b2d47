"""What every derive printer shares: a spec's display names, and sums printed as differences.

A printer is a SymPy printer for one target (LaTeX, Unicode text, the ASCII a
student types) and one form (index or matrix). `SpecNames` gives each of them
the spec's names for symbols, tensors (as entries' bases or as matrix
symbols) and functions through one method, `display`, which each target
defines once; `a − b` is printed with a minus, positive terms first.
"""
from __future__ import annotations

import re
from typing import Any

import sympy as sp

_IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9]*'?")


def ascii_name(name: Any, default: str) -> str:
    """The name a student types on a plain keyboard: σ → sigma, φ' → phi'."""
    if name is None:
        return default
    if _IDENTIFIER.fullmatch(name.text):
        return name.text
    if _IDENTIFIER.fullmatch(default):
        return default
    return next((a for a in name.aliases if _IDENTIFIER.fullmatch(a)), default)


def ordered_terms(expr: sp.Expr) -> list:
    """The terms of a sum, positive ones first (δ_ij − σ_j, Ψ − Δ), otherwise SymPy's order."""
    return sorted(expr.as_ordered_terms(), key=lambda t: t.could_extract_minus_sign())


class SpecNames:
    """Mixin for a SymPy printer: the spec's display names, and differences printed with a minus.

    A target sets `display(name, default)`: how a spec `Name` is shown
    (its LaTeX, its text, or a typeable ASCII word).
    """

    spec: Any
    by_label: dict

    def __init__(self, spec: Any, settings: dict | None = None):
        super().__init__(settings)  # type: ignore[call-arg]
        self.spec = spec
        self.by_label = {str(k.label): v for k, v in spec.names.items() if isinstance(k, sp.IndexedBase)}

    def display(self, name: Any, default: str) -> str:  # pragma: no cover - each target defines it
        raise NotImplementedError

    def _name(self, key: Any, default: str) -> str:
        name = self.spec.names.get(key)
        return self.display(name, default) if name is not None else default

    def _print_Symbol(self, expr: sp.Symbol, *args: Any, **kwargs: Any) -> str:
        name = self.spec.names.get(expr)
        return self.display(name, expr.name) if name is not None else \
            super()._print_Symbol(expr, *args, **kwargs)  # type: ignore[misc]

    def _print_IndexedBase(self, expr: sp.IndexedBase) -> str:
        return self._name(expr, str(expr.label))

    def _print_MatrixSymbol(self, expr: sp.MatrixSymbol) -> str:
        name = self.by_label.get(expr.name)
        return self.display(name, expr.name) if name is not None else \
            super()._print_MatrixSymbol(expr)  # type: ignore[misc]

    def _print_Add(self, expr: sp.Add, order: Any = None) -> str:
        terms = ordered_terms(expr)
        out = self._print(terms[0])  # type: ignore[attr-defined]
        for term in terms[1:]:
            if term.could_extract_minus_sign():
                out += " - " + self.parenthesize(-term, 40)  # type: ignore[attr-defined]
            else:
                out += " + " + self.parenthesize(term, 40)  # type: ignore[attr-defined]
        return out

    def _print_MatAdd(self, expr: sp.MatAdd) -> str:
        printed = sorted((self._print(t) for t in expr.args), key=lambda p: p.startswith("-"))  # type: ignore
        out = printed[0]
        for term in printed[1:]:
            out += f" - {term[1:].lstrip()}" if term.startswith("-") else f" + {term}"
        return out


def _named(text: str):
    """A `_print_X` method that prints `text` (a constant's one spelling in a target)."""
    def printer(self: Any, expr: Any = None, *args: Any, **kwargs: Any) -> str:
        return text
    return printer


class Verbatim(sp.Symbol):
    """A symbol that prints as the text it was made with: a printed matrix inside an entry-wise body."""

    def _printed(self, printer: Any) -> str:
        return self.name

    _derive_tex = _derive_text = _derive_ascii = _printed
    _derive_matrix_tex = _derive_matrix_text = _printed


class LatexNames(SpecNames):
    r"""LaTeX: the spec's LaTeX names; [c] as 𝟙[c]; SymPy's constants as π, e, ∞ (never `\text{\Pi}`)."""

    def display(self, name: Any, default: str) -> str:
        return name.latex

    # SymPy's other named constants by their SymPy names, as text and ASCII print them: the checker reads
    # these names back, where γ, φ or G would name the spec's own symbols
    _print_EulerGamma = _named(r"\mathrm{EulerGamma}")
    _print_Catalan = _named(r"\mathrm{Catalan}")
    _print_GoldenRatio = _named(r"\mathrm{GoldenRatio}")
    _print_TribonacciConstant = _named(r"\mathrm{TribonacciConstant}")
    _print_Pi = _named(r"\pi")
    _print_Exp1 = _named("e")
    _print_ImaginaryUnit = _named(r"\mathrm{i}")
    _print_Infinity = _named(r"\infty")
    _print_NegativeInfinity = _named(r"-\infty")
    _print_ComplexInfinity = _named(r"\tilde{\infty}")
    _print_NaN = _named(r"\mathrm{NaN}")

    def _print_Iverson(self, expr: Any, exp: Any = None) -> str:
        return rf"\mathbb{{1}}\left[{self._print(expr.condition)}\right]"  # type: ignore[attr-defined]

    def _print_Heaviside(self, expr: Any, exp: Any = None) -> str:
        return rf"\mathbb{{1}}\left[{self._print(sp.Gt(expr.args[0], 0))}\right]"  # type: ignore[attr-defined]


class TextNames(SpecNames):
    """Text: the spec's text names; [c] as an Iverson bracket; max, min, sign in lower case; π, e, ∞."""

    def display(self, name: Any, default: str) -> str:
        return name.text

    _print_Pi = _named("π")
    _print_Exp1 = _named("e")
    _print_Infinity = _named("∞")
    _print_NegativeInfinity = _named("-∞")

    def _print_Iverson(self, expr: Any) -> str:
        return f"[{self._print(expr.condition)}]"  # type: ignore[attr-defined]

    def _print_Heaviside(self, expr: Any) -> str:
        return f"[{self._print(sp.Gt(expr.args[0], 0))}]"  # type: ignore[attr-defined]

    def _print_Abs(self, expr: Any) -> str:
        return f"|{self._print(expr.args[0])}|"  # type: ignore[attr-defined]

    def _print_Piecewise(self, expr: Any) -> str:
        cases = [f"{self._print(e)} if {self._print(c)}" for e, c in expr.args[:-1]]  # type: ignore[attr-defined]
        last, condition = expr.args[-1]
        cases.append(f"{self._print(last)}" + (" otherwise" if condition is sp.true  # type: ignore[attr-defined]
                                               else f" if {self._print(condition)}"))  # type: ignore[attr-defined]
        return "{" + "; ".join(cases) + "}"

    def _print_Max(self, expr: Any) -> str:
        return f"max({', '.join(self._print(a) for a in expr.args)})"  # type: ignore[attr-defined]

    def _print_Min(self, expr: Any) -> str:
        return f"min({', '.join(self._print(a) for a in expr.args)})"  # type: ignore[attr-defined]


class AsciiNames(SpecNames):
    """ASCII: names a student types (`sigma`), and `pi`, `e`, `oo` for SymPy's constants."""

    def display(self, name: Any, default: str) -> str:
        return ascii_name(name, default)

    _print_Pi = _named("pi")
    _print_Exp1 = _named("e")
    _print_Infinity = _named("oo")
    _print_NegativeInfinity = _named("-oo")
