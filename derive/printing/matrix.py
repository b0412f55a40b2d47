"""Printing matrix forms as LaTeX, Unicode text and ASCII: diag(σ) − σσᵀ, A₂ᵀ(Ψ − Δ)/N, 𝟏, ⊙.

The matrix expressions come from `matrixform.to_matrix`; tensors print by
their spec names (`W_2`, `Ψ`, `W2`), vectors are columns.
"""
from __future__ import annotations

import sympy as sp
from sympy.core.function import UndefinedFunction
from sympy.printing.latex import LatexPrinter
from sympy.printing.precedence import PRECEDENCE
from sympy.printing.str import StrPrinter

from ..problem.spec import Spec
from .base import AsciiNames, LatexNames, TextNames, Verbatim


def _elementwise_head(expr):
    """The function applied entry-wise in φ'(Z2): its class, whether given bare or as a Lambda."""
    func = expr.function
    body = func.expr if isinstance(func, sp.Lambda) else func
    return body.func if isinstance(body, sp.Function) else func


def _named_application(expr, spec) -> bool:
    """Is the entry-wise function a named one applied to the entry (φ(z), not [z > 0] or sign(z))?"""
    func = expr.function
    if not isinstance(func, sp.Lambda):
        return True
    (z,), body = func.variables, func.expr
    return isinstance(body, sp.Function) and body.args == (z,) and \
        (body.func in spec.names or isinstance(body.func, UndefinedFunction))


def _body_at(expr, printed: str):
    """The entry-wise body with its variable replaced by the printed matrix: [Z_2 > 0], sign(W)."""
    (z,), body = expr.function.variables, expr.function.expr
    return body.xreplace({z: Verbatim(printed, real=True)})


def _entrywise_in_product(item, level) -> bool:
    """Is `item` an entry-wise product printed where a product binds it (a factor of a matrix product)? The
    checker reads ⊙ looser than a product (as the LaTeX printer's `_print_MatMul` does too), so `(a ⊙ b) xᵀ`
    keeps its brackets."""
    return isinstance(item, sp.HadamardProduct) and level >= PRECEDENCE["Mul"]


class MatrixTexPrinter(LatexNames, LatexPrinter):
    """Matrix forms as LaTeX."""

    printmethod = "_derive_matrix_tex"

    def __init__(self, spec: Spec):
        super().__init__(spec, {"mul_symbol": None})

    def _print_MatMul(self, expr):
        """SymPy's, with an entry-wise product among the factors in brackets: −(a ⊙ b) xᵀ."""
        if not any(isinstance(a, sp.HadamardProduct) for a in expr.args):
            return super()._print_MatMul(expr)
        coeff, matrices = expr.as_coeff_matrices()
        sign = "- " if coeff.as_coeff_Mul()[0].is_negative else ""  # -1/n, -2λ; not (ŷ - y), a difference
        coeff = -coeff if sign else coeff
        factors = [] if coeff == 1 else [self._print(coeff) if isinstance(coeff, sp.Mul)
                                         else self.parenthesize(coeff, PRECEDENCE["Mul"], False)]
        factors += [rf"\left({self._print(a)}\right)" if isinstance(a, sp.HadamardProduct)
                    else self.parenthesize(a, PRECEDENCE["Mul"], False) for a in matrices]
        return sign + " ".join(factors)

    def _print_Transpose(self, expr):
        inner = self._print(expr.arg)
        if not isinstance(expr.arg, sp.MatrixSymbol):
            inner = rf"\left({inner}\right)"
        return rf"{inner}^{{\top}}"

    def _print_DiagMatrix(self, expr):
        return rf"\operatorname{{diag}}\left({self._print(expr.args[0])}\right)"

    def _print_OneMatrix(self, expr):
        return r"\mathbf{1}" if 1 in expr.shape else r"\mathbf{1}\mathbf{1}^{\top}"

    def _print_Identity(self, expr):
        return "I"

    def _print_HadamardProduct(self, expr):
        return r" \odot ".join(self.parenthesize(a, 50) for a in expr.args)

    def _print_ElementwiseApplyFunction(self, expr):
        if not _named_application(expr, self.spec):
            return self._print(_body_at(expr, self._print(expr.expr)))
        head = _elementwise_head(expr)
        return rf"{self._name(head, self._print(head))}\left({self._print(expr.expr)}\right)"

    def _print_HadamardPower(self, expr):
        return rf"{self.parenthesize(expr.base, 60)}^{{\circ {self._print(expr.exp)}}}"


class MatrixTextPrinter(TextNames, StrPrinter):
    """Matrix forms as Unicode text."""

    printmethod = "_derive_matrix_text"
    hadamard = " ⊙ "

    def __init__(self, spec: Spec):
        super().__init__(spec)

    def parenthesize(self, item, level, strict=False):
        if _entrywise_in_product(item, level):
            return f"({self._print(item)})"
        return super().parenthesize(item, level, strict)

    def _print_Transpose(self, expr):
        inner = self._print(expr.arg)
        return f"{inner}^T" if isinstance(expr.arg, sp.MatrixSymbol) else f"({inner})^T"

    def _print_DiagMatrix(self, expr):
        return f"diag({self._print(expr.args[0])})"

    def _print_OneMatrix(self, expr):
        return "1" if 1 in expr.shape else "1 1^T"  # a square of ones: the outer product of two columns

    def _print_Identity(self, expr):
        return "I"

    def _print_HadamardProduct(self, expr):
        return self.hadamard.join(self.parenthesize(a, 50) for a in expr.args)

    def _factor(self, a) -> str:
        """A factor of a matrix product; an element-wise power in brackets: (σ^∘2) 1, not σ^∘2 1."""
        return f"({self._print(a)})" if isinstance(a, sp.HadamardPower) else self.parenthesize(a, 50)

    def _print_MatMul(self, expr):
        coeff, matrices = expr.as_coeff_matrices()
        body = " ".join(self._factor(a) for a in matrices)
        sign = "-" if coeff.as_coeff_Mul()[0].is_negative else ""  # -1/n, -2λ; not (1 - ŷ), a difference
        coeff = -coeff if sign else coeff
        if coeff == 1:
            return sign + body
        if coeff.is_Mul and all(f.is_Number or f.is_Symbol for f in coeff.args):
            return sign + f"{self.coefficient_separator.join(self._print(f) for f in coeff.args)} {body}"  # 2λ W1
        return sign + f"{self._print(coeff) if not coeff.is_Add else '(' + self._print(coeff) + ')'} {body}"

    coefficient_separator = ""

    def _print_ElementwiseApplyFunction(self, expr):
        if not _named_application(expr, self.spec):
            return self._print(_body_at(expr, self._print(expr.expr)))
        head = _elementwise_head(expr)
        return f"{self._name(head, str(head))}({self._print(expr.expr)})"

    hadamard_power = "^∘"

    def _print_HadamardPower(self, expr):
        return f"{self.parenthesize(expr.base, 60)}{self.hadamard_power}{self.parenthesize(expr.exp, 60)}"


class MatrixAsciiPrinter(AsciiNames, MatrixTextPrinter):
    """Matrix forms in the checker's ASCII syntax: `A2^T (Psi - Delta)/N`, `.*` for ⊙, `2 lambda W1`."""

    hadamard = " .* "
    hadamard_power = ".^"
    coefficient_separator = " "


def matrix_ascii(form: sp.MatrixExpr, spec: Spec) -> str:
    """A matrix form as a student types it."""
    return MatrixAsciiPrinter(spec).doprint(form).replace("**", "^")


def matrix_tex(form: sp.MatrixExpr, spec: Spec) -> str:
    """A matrix form as LaTeX."""
    return MatrixTexPrinter(spec).doprint(form)


def matrix_text(form: sp.MatrixExpr, spec: Spec) -> str:
    """A matrix form as Unicode text."""
    return MatrixTextPrinter(spec).doprint(form).replace("**", "^")
