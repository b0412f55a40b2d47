"""Printing index expressions as LaTeX, readable Unicode text, and the ASCII a student types.

The printers know a spec's display names (σ for `sigma`, W_{2,jk} for an
entry of `W2`), print Kronecker deltas as δ_ij, sums with their bounds, and
pending derivatives as ∂f/∂v. They are SymPy printers, so every other node
prints the SymPy way.
"""
from __future__ import annotations

import re

import sympy as sp
from sympy.core.function import UndefinedFunction
from sympy.printing.latex import LatexPrinter
from sympy.printing.str import StrPrinter

from ..problem.spec import D, Spec
from .base import AsciiNames, LatexNames, TextNames
from .texbreak import width

WIDE_NUMERATOR = 40  # letters (texbreak's unit): wider numerators are written 1/d (…) so that they can break


def _indices(indices, printer) -> str:
    parts = [printer._print(i) for i in indices]
    joined = "".join(parts) if all(len(p) == 1 for p in parts) else ",".join(parts)
    return joined


def _factor_rank(factor: sp.Expr) -> int:
    """Teacher's order in a product: plain factors, then differences, then sums."""
    if isinstance(factor, sp.Sum):
        return 2
    return 1 if factor.is_Add else 0


def _split_mul(expr: sp.Mul):
    """(sign, numerator factors in teacher's order, denominator factors)."""
    coeff, factors = expr.as_coeff_mul()
    sign = coeff.is_negative
    coeff = abs(coeff)
    numer = [f for f in factors if not (f.is_Pow and f.exp.is_negative)]
    denom = [f.base ** (-f.exp) for f in factors if f.is_Pow and f.exp.is_negative]
    if coeff.p != 1:
        numer.insert(0, sp.Integer(coeff.p))
    if coeff.q != 1:
        denom.insert(0, sp.Integer(coeff.q))
    numer.sort(key=_factor_rank)
    return sign, numer, denom


def _is_big(factors) -> bool:
    """Factors holding a sum or a pending derivative: too wide to sit over a fraction bar."""
    return any(f.has(sp.Sum, D) for f in factors)


class TexPrinter(LatexNames, LatexPrinter):
    """Index forms as LaTeX: σ_{i}(δ_{ij} − σ_{j}), sums with bounds, ∂f/∂v."""

    printmethod = "_derive_tex"

    def __init__(self, spec: Spec):
        super().__init__(spec, {"mul_symbol": None})

    def _print_Indexed(self, expr):
        base = self._print(expr.base)
        idx = _indices(expr.indices, self)
        found = re.fullmatch(r"(.+)_\{?([A-Za-z0-9]+)\}?", base)
        if found:
            return f"{found.group(1)}_{{{found.group(2)},{idx}}}"
        return f"{base}_{{{idx}}}"

    def _print_KroneckerDelta(self, expr, exp=None):
        text = rf"\delta_{{{_indices(expr.args, self)}}}"
        return f"{text}^{{{exp}}}" if exp else text

    def _print_Sum(self, expr):
        out = ""
        for var, lo, hi in reversed(expr.limits):
            out += rf"\sum_{{{self._print(var)}={self._print(lo)}}}^{{{self._print(hi)}}} "
        body = expr.function
        inner = self._print(body)
        return out + (rf"\left({inner}\right)" if body.is_Add else inner)

    def _product(self, factors) -> str:
        if not factors:
            return "1"
        if len(factors) == 1:
            return self._print(factors[0])
        return " ".join(self.parenthesize(f, 45) if f.is_Add or f.is_Mul else self._print(f)
                        for f in factors)

    def _print_Pow(self, expr, exp=None):
        if isinstance(expr.base, sp.Sum) and expr.exp.is_Integer:
            return rf"\left({self._print(expr.base)}\right)^{{{self._print(expr.exp)}}}"
        return super()._print_Pow(expr)

    def _print_Mul(self, expr):
        sign, numer, denom = _split_mul(expr)
        out = self._product(numer)
        # 1/N Σ_n …, as a teacher writes a mean, and any numerator wider than half a line: a fraction bar
        # cannot break across lines, a bracket can
        if denom and _is_big(numer) and (not _is_big(denom) or width(out) > WIDE_NUMERATOR):
            out = rf"\frac{{1}}{{{self._product(denom)}}} " + (
                rf"\left({out}\right)" if len(numer) == 1 and numer[0].is_Add else out)
        elif denom:
            out = rf"\frac{{{out}}}{{{self._product(denom)}}}"
        return ("- " if sign else "") + out

    def _print_D(self, expr):
        f, v = expr.expr, expr.wrt
        atomic = isinstance(f, (sp.Indexed, sp.Symbol)) or (isinstance(f, sp.Function) and not f.is_Add)
        if atomic and not f.is_Add:
            out = rf"\frac{{\partial {self._print(f)}}}{{\partial {self._print(v)}}}"
        else:
            out = rf"\frac{{\partial}}{{\partial {self._print(v)}}}\left({self._print(f)}\right)"
        if expr.fixed:
            held = ", ".join(self._print(b) for b in expr.fixed)
            out = rf"\left.{out}\right|_{{{held}\ \mathrm{{fixed}}}}"
        return out

    def _print_Function(self, expr, exp=None):
        if isinstance(expr.func, UndefinedFunction):
            name = self._name(expr.func, expr.func.__name__)
            args = ", ".join(self._print(a) for a in expr.args)
            head = f"{name}^{{{exp}}}" if exp else name
            return rf"{head}\left({args}\right)"
        return super()._print_Function(expr, exp)


class TextPrinter(TextNames, StrPrinter):
    """Index forms as Unicode text: σ_i·(δ_ij - σ_j), Σ_{k=1..n}, ∂f/∂v."""

    printmethod = "_derive_text"

    def __init__(self, spec: Spec):
        super().__init__(spec)

    def _print_Indexed(self, expr):
        idx = _indices(expr.indices, self)
        wrapped = idx if len(idx) <= 3 and "," not in idx and idx.isalnum() else "{" + idx + "}"
        return f"{self._print(expr.base)}_{wrapped}"

    def _print_KroneckerDelta(self, expr):
        return f"δ_{_indices(expr.args, self)}"

    def _print_Sum(self, expr):
        out = ""
        for var, lo, hi in reversed(expr.limits):
            out += f"Σ_{{{self._print(var)}={self._print(lo)}..{self._print(hi)}}} "
        body = expr.function
        inner = self._print(body)
        return out + (f"({inner})" if body.is_Add else inner)

    def _product(self, factors) -> str:
        if not factors:
            return "1"
        return "·".join(f"({self._print(f)})" if f.is_Add or f.is_Mul else self.parenthesize(f, 50)
                        for f in factors)

    def _print_Pow(self, expr):
        if expr.exp == sp.S.Half:
            return f"sqrt({self._print(expr.base)})"
        if isinstance(expr.base, (sp.Sum, sp.Add, sp.Mul)) and not expr.exp.is_negative:
            return f"({self._print(expr.base)})^{self.parenthesize(expr.exp, 60)}"
        return super()._print_Pow(expr)

    def _print_Mul(self, expr):
        sign, numer, denom = _split_mul(expr)
        out = self._product(numer)
        if denom:
            bottom = self._product(denom)
            if len(numer) > 1 or (numer and numer[0].is_Add):
                out = f"({out})" if not out.startswith("(") or len(numer) > 1 else out
            atomic = len(denom) == 1 and not denom[0].is_Add and not isinstance(denom[0], sp.Sum) and \
                not (isinstance(denom[0], sp.Pow) and denom[0].exp != sp.S.Half)  # x/sqrt(v): no brackets
            out = f"{out}/{bottom}" if atomic else f"{out}/({bottom})"
        return ("-" if sign else "") + out

    def _print_D(self, expr):
        f = self._print(expr.expr)
        if not isinstance(expr.expr, (sp.Indexed, sp.Symbol, sp.Function)):
            f = f"({f})"
        out = f"∂{f}/∂{self._print(expr.wrt)}"
        if expr.fixed:
            out += " [" + ", ".join(self._print(b) for b in expr.fixed) + " fixed]"
        return out

    def _print_exp(self, expr):
        arg = self._print(expr.args[0])
        # e^x, but e^(x_i): an exponent with a subscript is bracketed, or it reads as (e^x)_i
        return f"e^{arg}" if re.fullmatch(r"[^\W_]+'*", arg) else f"e^({arg})"

    def _print_Function(self, expr):
        if isinstance(expr.func, UndefinedFunction):
            name = self._name(expr.func, expr.func.__name__)
            return f"{name}({', '.join(self._print(a) for a in expr.args)})"
        return super()._print_Function(expr)


class AsciiPrinter(AsciiNames, TextPrinter):
    """Plain text in the checker's ASCII syntax: what a student can type (`sigma_i*(delta_ij - sigma_j)`)."""

    printmethod = "_derive_ascii"

    def _print_KroneckerDelta(self, expr):
        return f"delta_{_indices(expr.args, self)}"

    def _print_Sum(self, expr):
        return super()._print_Sum(expr).replace("Σ_", "sum_")

    def _product(self, factors) -> str:
        return super()._product(factors).replace("·", "*")

    def _print_D(self, expr):
        return super()._print_D(expr).replace("∂", "d")


def tex(expr: sp.Expr, spec: Spec) -> str:
    """An index expression as LaTeX, in the spec's names."""
    return TexPrinter(spec).doprint(expr)


def text(expr: sp.Expr, spec: Spec) -> str:
    """An index expression as Unicode text, in the spec's names."""
    return TextPrinter(spec).doprint(expr).replace("**", "^")


def ascii_text(expr: sp.Expr, spec: Spec) -> str:
    """An index expression as a student types it for `derive check`."""
    return AsciiPrinter(spec).doprint(expr).replace("**", "^")
