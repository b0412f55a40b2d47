"""Printing index expressions as LaTeX and as readable Unicode text.

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

from .spec import D, Spec


def _indices(indices, printer) -> str:
    parts = [printer._print(i) for i in indices]
    joined = "".join(parts) if all(len(p) == 1 for p in parts) else ",".join(parts)
    return joined


def _ordered_terms(expr: sp.Add, printer) -> list:
    """Positive terms first (δ_ij − σ_j, Ψ − Δ), otherwise SymPy's order."""
    terms = list(expr.as_ordered_terms())
    return sorted(terms, key=lambda t: t.could_extract_minus_sign())


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


class _DifferenceFirst:
    """Sums printed positive terms first, with a minus sign, not + (-1)·x."""

    def _print_Add(self, expr, order=None):
        terms = _ordered_terms(expr, self)
        out = self._print(terms[0])
        for term in terms[1:]:
            if term.could_extract_minus_sign():
                out += " - " + self.parenthesize(-term, 40)
            else:
                out += " + " + self.parenthesize(term, 40)
        return out


class TexPrinter(_DifferenceFirst, LatexPrinter):
    printmethod = "_derive_tex"

    def __init__(self, spec: Spec):
        super().__init__({"mul_symbol": None})
        self.spec = spec

    def _name(self, key, default):
        name = self.spec.names.get(key)
        return name.latex if name else default

    def _print_IndexedBase(self, expr):
        return self._name(expr, str(expr.label))

    def _print_Indexed(self, expr):
        base = self._print(expr.base)
        idx = _indices(expr.indices, self)
        found = re.fullmatch(r"(.+)_\{?([A-Za-z0-9]+)\}?", base)
        if found:
            return f"{found.group(1)}_{{{found.group(2)},{idx}}}"
        return f"{base}_{{{idx}}}"

    def _print_Symbol(self, expr, style="plain"):
        name = self.spec.names.get(expr)
        return name.latex if name else super()._print_Symbol(expr)

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
        if denom and _is_big(numer) and not _is_big(denom):
            # 1/N Σ_n …, as a teacher writes a mean: a fraction bar cannot break across lines
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


class TextPrinter(_DifferenceFirst, StrPrinter):
    printmethod = "_derive_text"

    def __init__(self, spec: Spec):
        super().__init__()
        self.spec = spec

    def _name(self, key, default):
        name = self.spec.names.get(key)
        return name.text if name else default

    def _print_IndexedBase(self, expr):
        return self._name(expr, str(expr.label))

    def _print_Indexed(self, expr):
        idx = _indices(expr.indices, self)
        wrapped = idx if len(idx) <= 3 and "," not in idx and idx.isalnum() else "{" + idx + "}"
        return f"{self._print(expr.base)}_{wrapped}"

    def _print_Symbol(self, expr):
        return self._name(expr, expr.name)

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
            out = f"{out}/{bottom}" if len(denom) == 1 and not denom[0].is_Add and \
                not isinstance(denom[0], (sp.Sum, sp.Pow)) else f"{out}/({bottom})"
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
        return f"e^{arg}" if re.fullmatch(r"[\w']+", arg) else f"e^({arg})"

    def _print_Function(self, expr):
        if isinstance(expr.func, UndefinedFunction):
            name = self._name(expr.func, expr.func.__name__)
            return f"{name}({', '.join(self._print(a) for a in expr.args)})"
        return super()._print_Function(expr)


_IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9]*'?")


def ascii_name(name, default: str) -> str:
    """The name a student types on a plain keyboard: σ → sigma, φ' → phi'."""
    if name is None:
        return default
    if _IDENTIFIER.fullmatch(name.text):
        return name.text
    if _IDENTIFIER.fullmatch(default):
        return default
    return next((a for a in name.aliases if _IDENTIFIER.fullmatch(a)), default)


class AsciiPrinter(TextPrinter):
    """Plain text in the checker's ASCII syntax: what a student can type (`sigma_i*(delta_ij - sigma_j)`)."""

    printmethod = "_derive_ascii"

    def _name(self, key, default):
        return ascii_name(self.spec.names.get(key), default)

    def _print_KroneckerDelta(self, expr):
        return f"delta_{_indices(expr.args, self)}"

    def _print_Sum(self, expr):
        return super()._print_Sum(expr).replace("Σ_", "sum_")

    def _product(self, factors) -> str:
        return super()._product(factors).replace("·", "*")

    def _print_D(self, expr):
        return super()._print_D(expr).replace("∂", "d")


def tex(expr: sp.Expr, spec: Spec) -> str:
    return TexPrinter(spec).doprint(expr)


def text(expr: sp.Expr, spec: Spec) -> str:
    return TextPrinter(spec).doprint(expr).replace("**", "^")


def ascii_text(expr: sp.Expr, spec: Spec) -> str:
    return AsciiPrinter(spec).doprint(expr).replace("**", "^")


def _elementwise_head(expr):
    """The function applied entry-wise in φ'(Z2): its class, whether given bare or as a Lambda."""
    func = expr.function
    body = func.expr if isinstance(func, sp.Lambda) else func
    return body.func if isinstance(body, sp.Function) else func


class MatrixTexPrinter(_DifferenceFirst, LatexPrinter):
    """Matrix forms: diag(σ) − σσᵀ, A_2ᵀ(Ψ − Δ)/N, 𝟏, ⊙."""

    printmethod = "_derive_matrix_tex"

    def __init__(self, spec: Spec):
        super().__init__({"mul_symbol": None})
        self.spec = spec
        self.by_label = {str(k.label): v for k, v in spec.names.items() if isinstance(k, sp.IndexedBase)}

    def _print_MatrixSymbol(self, expr):
        name = self.by_label.get(expr.name)
        return name.latex if name else super()._print_MatrixSymbol(expr)

    def _print_Transpose(self, expr):
        inner = self._print(expr.arg)
        if not isinstance(expr.arg, sp.MatrixSymbol):
            inner = rf"\left({inner}\right)"
        return rf"{inner}^{{\top}}"

    def _print_DiagMatrix(self, expr):
        return rf"\operatorname{{diag}}\left({self._print(expr.args[0])}\right)"

    def _print_OneMatrix(self, expr):
        return r"\mathbf{1}"

    def _print_Identity(self, expr):
        return "I"

    def _print_HadamardProduct(self, expr):
        return r" \odot ".join(self.parenthesize(a, 50) for a in expr.args)

    def _print_ElementwiseApplyFunction(self, expr):
        head = _elementwise_head(expr)
        name = self.spec.names.get(head)
        label = name.latex if name else self._print(head)
        return rf"{label}\left({self._print(expr.expr)}\right)"

    def _print_Symbol(self, expr, style="plain"):
        name = self.spec.names.get(expr)
        return name.latex if name else super()._print_Symbol(expr)

    def _print_MatAdd(self, expr):
        terms = sorted(expr.args, key=lambda t: self._print(t).startswith("-"))
        out = self._print(terms[0])
        for term in terms[1:]:
            printed = self._print(term)
            out += f" - {printed[1:].lstrip()}" if printed.startswith("-") else f" + {printed}"
        return out


class MatrixTextPrinter(_DifferenceFirst, StrPrinter):
    printmethod = "_derive_matrix_text"

    def __init__(self, spec: Spec):
        super().__init__()
        self.spec = spec
        self.by_label = {str(k.label): v for k, v in spec.names.items() if isinstance(k, sp.IndexedBase)}

    def _print_MatrixSymbol(self, expr):
        name = self.by_label.get(expr.name)
        return name.text if name else expr.name

    def _print_Symbol(self, expr):
        name = self.spec.names.get(expr)
        return name.text if name else expr.name

    def _print_Transpose(self, expr):
        inner = self._print(expr.arg)
        return f"{inner}^T" if isinstance(expr.arg, sp.MatrixSymbol) else f"({inner})^T"

    def _print_DiagMatrix(self, expr):
        return f"diag({self._print(expr.args[0])})"

    def _print_OneMatrix(self, expr):
        return "1"

    def _print_Identity(self, expr):
        return "I"

    def _print_HadamardProduct(self, expr):
        return " ⊙ ".join(self.parenthesize(a, 50) for a in expr.args)

    def _print_MatMul(self, expr):
        coeff, matrices = expr.as_coeff_matrices()
        body = " ".join(self.parenthesize(a, 50) for a in matrices)
        if coeff == 1:
            return body
        if coeff == -1:
            return f"-{body}"
        if coeff.is_Mul and all(f.is_Number or f.is_Symbol for f in coeff.args):
            return f"{''.join(self._print(f) for f in coeff.args)} {body}"  # 2λ W1
        return f"{self.parenthesize(coeff, 50)} {body}"

    def _print_MatAdd(self, expr):
        terms = sorted(expr.args, key=lambda t: str(self._print(t)).startswith("-"))
        out = self._print(terms[0])
        for term in terms[1:]:
            printed = self._print(term)
            out += f" - {printed[1:]}" if printed.startswith("-") else f" + {printed}"
        return out

    def _print_ElementwiseApplyFunction(self, expr):
        head = _elementwise_head(expr)
        name = self.spec.names.get(head)
        return f"{name.text if name else head}({self._print(expr.expr)})"


class MatrixAsciiPrinter(MatrixTextPrinter):
    """Matrix forms in the checker's ASCII syntax: `A2^T (Psi - Delta)/N`, `.*` for ⊙."""

    def _print_MatrixSymbol(self, expr):
        return ascii_name(self.by_label.get(expr.name), expr.name)

    def _print_Symbol(self, expr):
        return ascii_name(self.spec.names.get(expr), expr.name)

    def _print_HadamardProduct(self, expr):
        return " .* ".join(self.parenthesize(a, 50) for a in expr.args)

    def _print_ElementwiseApplyFunction(self, expr):
        head = _elementwise_head(expr)
        return f"{ascii_name(self.spec.names.get(head), str(head))}({self._print(expr.expr)})"

    def _print_MatMul(self, expr):
        coeff, matrices = expr.as_coeff_matrices()
        if coeff.is_Mul and all(f.is_Number or f.is_Symbol for f in coeff.args):
            body = " ".join(self.parenthesize(a, 50) for a in matrices)
            return f"{' '.join(self._print(f) for f in coeff.args)} {body}"  # 2 lambda W1
        return super()._print_MatMul(expr)


def matrix_ascii(form, spec: Spec) -> str:
    return MatrixAsciiPrinter(spec).doprint(form).replace("**", "^")


def matrix_tex(form, spec: Spec) -> str:
    return MatrixTexPrinter(spec).doprint(form)


def matrix_text(form, spec: Spec) -> str:
    return MatrixTextPrinter(spec).doprint(form).replace("**", "^")
