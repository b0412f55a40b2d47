"""Breaking long LaTeX formulas into lines that fit the page.

TeX does not break display math. A derivation step of a two-layer network is
three page widths long, so the renderer breaks it itself: at the `+` and `−`
between terms, and before a `\\sum` inside a long product, at any depth of `\\left( … \\right)` (closing the open
delimiters with `\\right.` at the end of a line and reopening them with
`\\left.` on the next), never inside a brace group (a fraction, a subscript).

Widths are estimates in "letters" (about the width of a math italic x at the
document's size); the tests compile every problem and read TeX's log for
overfull lines, so an estimate that is too optimistic shows up there.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

# Measured against TeX (11pt Latin Modern, display style): a "letter" is 6.5pt on
# the median and 8.5pt at worst; 7pt errs on the side of shorter lines.
LETTER_PT = 7.0

_TOKEN = re.compile(r"\\[A-Za-z]+|\\.|[{}^_]|\s+|.", re.S)
_ZERO = {r"\left", r"\right", r"\displaystyle", r"\textstyle", r"\limits", r"\nolimits", r"\!"}
_SPACES = {r"\,": 0.3, r"\;": 0.5, r"\:": 0.4, r"\ ": 0.5, r"\quad": 2.0, r"\qquad": 4.0}
_ROMAN = {r"\mathrm", r"\text", r"\operatorname", r"\textsf", r"\texttt", r"\mathbf"}
_FUNCTIONS = {r"\exp", r"\log", r"\ln", r"\sin", r"\cos", r"\tan", r"\tanh", r"\sinh", r"\cosh",
              r"\sec", r"\csc", r"\cot", r"\max", r"\min", r"\operatorname"}
_BIG = {r"\sum": 2.6, r"\prod": 2.6, r"\int": 1.5}
_FRACTIONS = {r"\frac", r"\dfrac", r"\tfrac"}
_BINARY = {"+": 2.2, "-": 2.2, "=": 2.4}
_NARROW = {",": 0.5, "(": 0.7, ")": 0.7, "|": 0.5, "'": 0.4, ".": 0.4, "[": 0.6, "]": 0.6}


def tokens(latex: str) -> list[str]:
    return [t for t in _TOKEN.findall(latex)]


def _group(toks: list[str], at: int) -> tuple[list[str], int]:
    """The tokens of the argument starting at `at` (a brace group or one token) and the index after it."""
    while at < len(toks) and toks[at].isspace():
        at += 1
    if at >= len(toks):
        return [], at
    if toks[at] != "{":
        return [toks[at]], at + 1
    depth, start = 0, at
    for pos in range(at, len(toks)):
        if toks[pos] == "{":
            depth += 1
        elif toks[pos] == "}":
            depth -= 1
            if depth == 0:
                return toks[start + 1:pos], pos + 1
    return toks[start + 1:], len(toks)


def _width(toks: list[str]) -> float:
    total, at = 0.0, 0
    while at < len(toks):
        tok = toks[at]
        at += 1
        if tok.isspace() or tok in _ZERO or tok in "{}":
            if tok in (r"\left", r"\right") and at < len(toks):
                total += 0.0 if toks[at] == "." else 1.0
                at += 1
            continue
        if tok in _SPACES:
            total += _SPACES[tok]
        elif tok in _FRACTIONS:
            top, at = _group(toks, at)
            bottom, at = _group(toks, at)
            total += max(_width(top), _width(bottom)) + 0.4
        elif tok in _ROMAN:
            arg, at = _group(toks, at)
            total += 0.85 * sum(len(t) for t in arg if not t.isspace() and t not in "{}")
        elif tok in _FUNCTIONS:
            total += 0.8 * (len(tok) - 1)
        elif tok in _BIG:
            limits = 0.0
            while at < len(toks) and toks[at] in "_^":
                arg, at = _group(toks, at + 1)
                limits = max(limits, 0.7 * _width(arg))
            total += max(_BIG[tok], limits) + 0.3
        elif tok in "_^":
            arg, at = _group(toks, at)
            total += 0.7 * _width(arg)
        elif tok in _BINARY:
            total += _BINARY[tok]
        elif tok in _NARROW:
            total += _NARROW[tok]
        else:
            total += 1.0
    return total


def width(latex: str) -> float:
    """The estimated width of a LaTeX math string, in letters."""
    return _width(tokens(latex))


@dataclass
class _Piece:
    text: str
    depth: int  # open \left delimiters at the start of the piece
    width: float


def _matching_rights(toks: list[str]) -> dict[int, int]:
    """Position of each brace-depth-0 `\\left` → position of its `\\right`."""
    matches, stack, braces = {}, [], 0
    for pos, tok in enumerate(toks):
        if tok == "{":
            braces += 1
        elif tok == "}":
            braces -= 1
        elif tok == r"\left" and braces == 0:
            stack.append(pos)
        elif tok == r"\right" and braces == 0 and stack:
            matches[stack.pop()] = pos
    return matches


def _after_operator_or_sum(toks: list[str], pos: int) -> bool:
    """Does the `\\sum` at `pos` follow a + or −, or the limits of another sum (Σ_n Σ_m stays together)?"""
    at = pos - 1
    while at >= 0 and toks[at].isspace():
        at -= 1
    if at < 0 or toks[at] in "+-=":
        return True
    if toks[at] != "}":
        return False
    depth = 0
    while at >= 0:  # back over the limit groups ^{…} _{…} to what they belong to
        if toks[at] == "}":
            depth += 1
        elif toks[at] == "{":
            depth -= 1
            if depth == 0:
                at -= 1
                if at >= 0 and toks[at] in "^_":
                    at -= 1
                    while at >= 0 and toks[at].isspace():
                        at -= 1
                    if at >= 0 and toks[at] == "}":
                        continue
                    return at >= 0 and toks[at] == r"\sum"
                return False
        at -= 1
    return False


# A break before a sum inside a product leaves at least this much of the product on the line: never a lone
# `+ 1/N` whose sums begin the next line.
_MIN_HEAD = 8.0


def _unary(toks: list[str], pos: int) -> bool:
    """Is the + or − at `pos` a sign rather than an operator: after an opening delimiter, another operator,
    or the limits of a sum (Σ_n Σ_k −Δ_nk log Ψ_nk: a break there would leave the sums without a summand)?"""
    at = pos - 1
    while at >= 0 and toks[at].isspace():
        at -= 1
    return at < 0 or toks[at] in ("(", "[", r"\{", ",") or _after_operator_or_sum(toks, pos)


def _pieces(latex: str, min_group: float) -> list[_Piece]:
    """Split at the binary + and − of brace depth 0; each piece starts with its operator.

    A + or − inside \\left( … \\right) is a break only when that group is wider than
    `min_group`: (Ψ − Δ) stays on one line.
    """
    toks = tokens(latex)
    rights = _matching_rights(toks)
    pieces, start, braces, start_depth = [], 0, 0, 0
    open_lefts: list[int] = []
    for pos, tok in enumerate(toks):
        if tok == "{":
            braces += 1
        elif tok == "}":
            braces -= 1
        elif tok == r"\left" and braces == 0:
            open_lefts.append(pos)
        elif tok == r"\right" and braces == 0 and open_lefts:
            open_lefts.pop()
        elif (braces == 0 and 0 < pos < len(toks) - 1 and toks[pos - 1].isspace() and pos - 1 > start
              and ((tok in "+-" and toks[pos + 1].isspace() and not _unary(toks, pos))
                   or (tok == r"\sum" and not _after_operator_or_sum(toks, pos)
                       and _width(toks[start:pos]) >= _MIN_HEAD))):
            # a break before + or −, or inside a long product before a sum (the product goes on)
            if open_lefts:
                inner = open_lefts[-1]
                if _width(toks[inner:rights.get(inner, len(toks)) + 2]) < min_group:
                    continue
            pieces.append(_Piece("".join(toks[start:pos]).rstrip(), start_depth, _width(toks[start:pos])))
            start, start_depth = pos, len(open_lefts)
    pieces.append(_Piece("".join(toks[start:]).rstrip(), start_depth, _width(toks[start:])))
    return pieces


def break_lines(latex: str, first: float, rest: float | None = None) -> list[str]:
    """`latex` as lines of at most `first` (then `rest`) letters where it can be broken.

    Every line but the last ends with `\\right.` for each delimiter still open,
    every line but the first starts with `\\left.` for each and `{}` so the
    leading operator stays binary. A piece wider than a line stays whole.
    """
    rest = first if rest is None else rest
    lines: list[tuple[list[_Piece], float]] = []
    current: list[_Piece] = []
    used = 0.0
    for piece in _pieces(latex, min_group=max(15.0, 0.4 * min(first, rest))):
        limit = first if not lines else rest
        if current and used + piece.width > limit:
            lines.append((current, used))
            current, used = [], 0.0
        current.append(piece)
        used += piece.width
    lines.append((current, used))
    out = []
    for number, (line, _) in enumerate(lines):
        body = " ".join(p.text for p in line)
        opening = line[0].depth
        if number > 0:
            body = r"\left. " * opening + "{} " + body
        if number < len(lines) - 1:
            closing = lines[number + 1][0][0].depth
            body += r" \right." * closing
        out.append(body)
    return out


# The solutions document: A4, 2.2 cm margins, 11pt (templates/document.tex.j2).
TEXTWIDTH_PT = 470.0
_GAP_PT = 24.0  # the "= " after the alignment point and a little air


def fit(latex: str, lead: str = "") -> list[str]:
    """`latex` broken to fit beside `lead` (the left column of an align) on one page width."""
    room = (TEXTWIDTH_PT - width(lead) * LETTER_PT - _GAP_PT) / LETTER_PT
    return break_lines(latex, max(room, 20.0))
