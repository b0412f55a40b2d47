r"""A whole equation as an answer: `∂σ_i/∂x_j = σ_i(δ_ij − σ_j)`, `\nabla_{W_2} J = ...`, `z_j = ...`.

When the answer is `left = right` (one `=` outside every bracket), the left
side must name the part's target and the right side is the answer. The left
side is read as derivative notation, in any of the ways a course writes it,

    ∂A/∂B   dA/dB   d/dB A   \frac{\partial A}{\partial B}   \frac{d}{dB} A   \nabla_B A   A'(u)

where A and B are read with the problem's own vocabulary and compared with
the target ∂f/∂v: A must be f (or, as a matrix, f's tensor) and B must be v
(or v's tensor: `\nabla_{W_2} J`, `dJ/dW2`). A left side that is the name the
part's statement gives the target (`z_j` for "Find $z_j$") is accepted as well.
Anything else is refused with what the part asks for: a student who answered
another question is told so, not graded on it.
"""
from __future__ import annotations

import re

import sympy as sp

from ..limits import Limits
from ..parsing import ParseError, Vocabulary, parse
from ..printing import text as show
from ..problem.spec import D, Part, Spec

RELATION_NEIGHBOURS = set("<>!=:≤≥≠")
OPEN, CLOSE = "([{", ")]}"
DIFFERENTIAL = r"(?:∂|d)"
FRAC = re.compile(r"\\[dt]?frac\s*")
SPACES = re.compile(r"\\(?:left|right|displaystyle|[,;:! ])|\\mathrm\{d\}|\\text\{d\}|\\operatorname\{d\}")
SLASHED = re.compile(rf"^{DIFFERENTIAL}\s*(?P<a>.+?)\s*/\s*{DIFFERENTIAL}\s*(?P<b>[^/]+)$")
OPERATOR = re.compile(rf"^{DIFFERENTIAL}\s*/\s*{DIFFERENTIAL}\s*(?P<b>[^\s(\\]+(?:_\{{[^}}]*\}})?)\s*(?P<a>.+)$")
NABLA = re.compile(r"^(?:∇|D)\s*_\s*(?P<b>\{[^}]*\}|\S)\s*(?P<a>.+)$")  # ∇_W J; D_x σ, the Jacobian
PRIME = re.compile(r"^(?P<f>[^'()]+)'\s*\(\s*(?P<u>[^()]+)\s*\)$")


def split(answer: str) -> tuple[str, str, int] | None:
    r"""`(left, right, offset of right)` for `left = right` with one `=` outside brackets (and outside
    `\begin{cases} ... \end{cases}`, whose conditions may be `i = j`); None without one."""
    depth, found = 0, []
    for k, c in enumerate(answer):
        if c == "\\" and answer.startswith(("\\begin", "\\end"), k):
            depth += 1 if answer.startswith("\\begin", k) else -1
        elif c in OPEN:
            depth += 1
        elif c in CLOSE:
            depth -= 1
        elif c == "=" and depth == 0:
            before = answer[k - 1] if k else ""
            after = answer[k + 1] if k + 1 < len(answer) else ""
            if before not in RELATION_NEIGHBOURS and after not in RELATION_NEIGHBOURS:
                found.append(k)
    if not found:
        return None
    if len(found) > 1:
        raise ParseError("a chain of equalities: give the answer alone, or the target = the answer",
                         found[1], answer)
    k = found[0]
    return answer[:k], answer[k + 1:], k + 1


def answer_side(answer: str, spec: Spec, part: Part, vocab: Vocabulary, fmt: str) -> tuple[str, int]:
    """The text of the answer proper and where it starts: the right side of `target = answer`."""
    if len(answer) > Limits().max_length:
        return answer, 0  # the parser refuses it, with the limit
    parts = split(answer)
    if parts is None:
        return answer, 0
    left, right, offset = parts
    if not left.strip():
        raise ParseError("nothing before '=': give the answer alone, or the target = the answer", 0, answer)
    if not right.strip():
        raise ParseError("nothing after '=': the answer goes on the right", offset, answer)
    if not _names_target(left, spec, part, vocab, fmt):
        wanted = show(part.target, spec)
        raise ParseError(f"the left side '{left.strip()}' is not what this part asks for ({wanted})", 0, answer,
                         f"write the answer alone, or {wanted} = the answer")
    return right, offset


def _plain(left: str) -> str:
    left = re.sub(r"\\(?:mathbf|boldsymbol|bm|vec)\s*\{\s*([^{}]*?)\s*\}", r"\1", left)  # D_{\mathbf{x}}
    left = SPACES.sub(" ", left.replace("\\partial", "∂").replace("\\nabla", "∇"))
    return " ".join(left.split())


def _group(text: str, k: int) -> tuple[str, int] | None:
    """The contents of the brace group at `k` and the index after it."""
    if k >= len(text) or text[k] != "{":
        return None
    depth = 0
    for m in range(k, len(text)):
        depth += {"{": 1, "}": -1}.get(text[m], 0)
        if depth == 0:
            return text[k + 1:m], m + 1
    return None


def _derivative(left: str) -> tuple[str, str] | None:
    """(A, B) of the notations for ∂A/∂B, or None."""
    m = FRAC.match(left)
    if m:
        top = _group(left, m.end())
        bottom = _group(left, top[1]) if top else None
        if top and bottom:
            rest = left[bottom[1]:].strip()
            a = re.fullmatch(rf"{DIFFERENTIAL}\s*(.*)", top[0].strip(), re.S)
            b = re.fullmatch(rf"{DIFFERENTIAL}\s*(.+)", bottom[0].strip(), re.S)
            if a and b and bool(a.group(1).strip()) != bool(rest):
                return (a.group(1).strip() or rest), b.group(1).strip()
        return None
    for pattern in (OPERATOR, SLASHED, NABLA):
        found = pattern.match(left)
        if found:
            wrt = found.group("b").strip()
            return found.group("a").strip(), (wrt[1:-1] if wrt.startswith("{") else wrt)
    return None


def _read(text: str, vocab: Vocabulary, fmt: str):
    """A side's name as the parser reads it: an expression, or a matrix's tensor."""
    try:
        parsed = parse(text, vocab, fmt=fmt)
    except ParseError:
        return None
    value = parsed._value
    base = getattr(value, "base", None)
    if parsed.shape != () and isinstance(base, sp.IndexedBase):
        return base
    try:
        return parsed.index_form(())
    except ParseError:
        return None


def _same(written, wanted) -> bool:
    if written is None:
        return False
    if isinstance(written, sp.IndexedBase):
        return isinstance(wanted, sp.Indexed) and wanted.base == written
    return bool(written == wanted)


def _names_target(left: str, spec: Spec, part: Part, vocab: Vocabulary, fmt: str) -> bool:
    plain = _plain(left)
    target = part.target
    if isinstance(target, D):
        f, wrt = target.args[0], target.args[1]
        found = _derivative(plain)
        if found is not None:
            a, b = found
            return _same(_read(a, vocab, fmt), f) and _same(_read(b, vocab, fmt), wrt)
        m = PRIME.match(plain)
        if m and isinstance(wrt, sp.Symbol):
            return _same(_read(f"{m.group('f')}({m.group('u')})", vocab, fmt), f) and \
                _same(_read(m.group("u"), vocab, fmt), wrt)
    return _named_in_statement(plain, part.statement)


def _named_in_statement(left: str, statement: str) -> bool:
    """Is the left side (a name such as z_j) written in the part's statement's math?"""
    squeeze = lambda s: re.sub(r"[\s{}]", "", s)  # noqa: E731
    name = squeeze(left)
    if not re.fullmatch(r"[A-Za-z]\w*", name):
        return False
    math = " ".join(squeeze(m) for m in re.findall(r"\$([^$]*)\$", statement))
    return re.search(rf"(?<![\w\\]){re.escape(name)}(?!\w)", math) is not None
