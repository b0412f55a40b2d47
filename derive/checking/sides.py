r"""Reading one side of a student's derivation, as the steps checker judges it.

`read_side(text, spec, part)` gives a side's expression, derivatives pending
(`D`): the student's notation is first put in the parser's (δ(i − m), dx_j, a
sum bound that is the student's name for a dimension, an indicator of a
conjunction), then the side is read with the part's vocabulary as a scalar, or
as a vector or matrix at the part's free indices; a side that is the part's
target by name (`z_j` of "Find $z_j$", ∇_W J, D_x σ), a vector by its entries
(`[z_1, …, z_n]`) or a matrix by its entries with ellipses (a bmatrix with ⋯, ⋮,
⋱) is recognised first. ParseError when a side does not read.
"""
from __future__ import annotations

import re

import sympy as sp

from ..parsing import ParseError, Vocabulary
from ..parsing.chains import rename
from ..parsing.derivatives import parse_side
from ..parsing.parser import ellipsis_template
from ..problem.spec import Part, Spec
from .equation import _names_target


def shown_name(spec: Spec, symbol) -> str:
    """How the problem shows a symbol (σ, n_x), else its SymPy name."""
    name = spec.names.get(symbol)
    return name.text if name else str(symbol)


_DELTA_OF_DIFFERENCE = re.compile(r"\\delta\s*\(\s*([A-Za-z])\s*-\s*([A-Za-z])\s*\)"
                                  r"|δ\s*\(\s*([A-Za-z])\s*-\s*([A-Za-z])\s*\)")


_D_OF = re.compile(r"(^|[\s(*/{])d([A-Za-z])(?=[_\s/}^]|$)")
#: `\frac{\partial f}{\partial x}(x)`: the derivative at x, not times x
_AT_VARIABLE = re.compile(r"(\\frac\s*\{\s*\\partial\s*[^{}]*\}\s*\{\s*\\partial\s*([A-Za-z])\s*\})\s*\(\s*\2\s*\)")
_SUM_BOUND = re.compile(r"(\\sum|Σ)\s*_\s*\{\s*([A-Za-z])\s*=\s*1\s*\}\s*\^\s*(\{\s*[A-Za-z]\s*\}|[A-Za-z])")
#: `\mathbb{1}[a \wedge b]`, an indicator of a conjunction: the product `\mathbb{1}[a] \mathbb{1}[b]`
_CONJUNCTION = re.compile(r"(\\mathbb\s*\{\s*1\s*\}|𝟙)?\s*\[([^\[\]]*?(?:\\wedge|\\land|∧)[^\[\]]*)\]")


def _notation(text: str, spec: Spec, part: Part | None = None) -> str:
    """A side in the parser's notation: δ(i − m), the Kronecker delta as a function of a difference, is δ_{im};
    the upper bound of `\\sum_{j=1}^N` that is no dimension of the problem (or none that the part involves) is
    the range of j (or the problem's only dimension): the student's name for it."""
    text = _AT_VARIABLE.sub(lambda m: m.group(1), text)
    text = _CONJUNCTION.sub(lambda m: " ".join(f"{m.group(1) or ''}[{c.strip()}]" for c in
                                               re.split(r"\\wedge|\\land|∧", m.group(2))), text)
    if not any(str(name) == "d" for name in (*spec.shapes, *spec.index_range)):
        text = _D_OF.sub(lambda m: f"{m.group(1)}d {m.group(2)}", text)  # dx_j, dE: the d of a derivative
    text = _DELTA_OF_DIFFERENCE.sub(lambda m: f"\\delta_{{{m.group(1) or m.group(3)}{m.group(2) or m.group(4)}}}",
                                    text)
    dims = {d for d in spec.index_range.values()}
    if part is not None:
        dims &= {d for base in Vocabulary.from_spec(spec, part).prefer for d in spec.shapes.get(base, ())} or dims
    known = {shown_name(spec, d) for d in dims} | {str(d) for d in dims}

    def bound(m: re.Match) -> str:
        letter, upper = m.group(2), m.group(3).strip("{} ")
        if upper in known:
            return m.group(0)
        index = next((i for i in spec.index_range if str(i) == letter), None)
        dim = spec.index_range[index] if index is not None else (next(iter(dims)) if len(dims) == 1 else None)
        if dim is None:
            return m.group(0)
        return f"{m.group(1)}_{{{letter}=1}}^{{{shown_name(spec, dim)}}}"

    return _SUM_BOUND.sub(bound, text)


def read_side(text: str, spec: Spec, part: Part, names: list[tuple[str, str]] | None = None) -> sp.Expr:
    """A side's expression, derivatives pending (`D`), read with the part's vocabulary and, where a name is
    ambiguous there (w of two layers), with another part's; `names` are a notation header's (the student's
    name, the problem's). ParseError when it does not read."""
    if not text.strip():
        raise ParseError("an empty side", 0, text)
    if names:
        text = rename(text, names)
    named = target_named(text, spec, part)
    if named is not None:
        return named
    text = _notation(text, spec, part)
    listed = _listed(text, spec, part, names) if "matrix" not in text else _matrix(text, spec, part, names)
    if listed is not None:
        return listed
    first: ParseError | None = None
    for vocab_part in [part, *(p for p in spec.parts if p is not part)]:
        try:
            parsed = parse_side(text, Vocabulary.from_spec(spec, vocab_part), matrix=True)
            # a vector or matrix side (D_x σ = diag(σ) − σσᵀ, −t): its entry at the part's free indices
            return parsed.index_form(tuple(part.free) if parsed.shape != () else ())
        except ParseError as exc:
            first = first or exc
            if "ambiguous" not in str(exc):
                break
    if _names_target(text, spec, part, Vocabulary.from_spec(spec, part), "auto"):
        return part.target  # \nabla_W J, D_x σ(x): the part's target by a name the side parser has not
    assert first is not None
    raise first


_DOTS = r"(?:\\[lc]?dots[bcm]?|\.\.\.?|…|⋯)"
_LIST = re.compile(r"^\s*[\[(]\s*(?P<items>.+?)\s*[,\s]\s*(?:\\q?quad\s*)?" + _DOTS +
                   r"\s*(?:,|\\q?quad)?\s*(?P<last>[^,]+?)\s*[\])]\s*$", re.S)


_MATRIX = re.compile(r"^\s*\\begin\{(?P<env>[bpvBV]?matrix)\}(?P<body>.*)\\end\{(?P=env)\}\s*$", re.S)
_VERTICAL = re.compile(r"^\s*(?:\\vdots|\\ddots|⋮|⋱)\s*$")  # a row of these stands for the rows between
_GAP = re.compile(r"^\s*(?:\\[lcvd]?dots[bcm]?|\\ddots|\.\.\.|…|⋯|⋮|⋱)?\s*$")


def _matrix(text: str, spec: Spec, part: Part, names) -> sp.Expr | None:
    """A matrix written by its entries with ellipses (`\\begin{bmatrix} a_{11} & \\dots & a_{1N} \\\\ \\vdots &
    \\ddots & \\vdots \\\\ a_{N1} & \\dots & a_{NN} \\end{bmatrix}`), as its entry at the part's free indices: the
    rows and columns before an ellipsis count from 1, those after it from the last (n); one pattern in the row
    and column index fits every written entry, or one on the diagonal and one off it. None when no pattern
    fits (a written entry that breaks it is not guessed around)."""
    m = _MATRIX.match(text)
    if m is None or len(part.free) != 2:
        return None
    row, col = part.free
    last = spec.index_range[row]
    if spec.index_range[col] != last:
        return None
    rows = [r.split("&") for r in re.split(r"\\\\", m.group("body")) if r.strip()]
    entries: list[tuple[sp.Expr, sp.Expr, sp.Expr]] = []
    for r_at, r_pos in _positions([any(_VERTICAL.match(c) for c in r) for r in rows], last):
        cells = rows[r_at]
        for c_at, c_pos in _positions([bool(_GAP.match(c)) for c in cells], last):
            try:
                entries.append((r_pos, c_pos, read_side(cells[c_at], spec, part, names)))
            except ParseError:
                return None
    off = [e for e in entries if e[0] != e[1]]
    on = [e for e in entries if e[0] == e[1]]
    whole = _pattern(off[:1] or on[:1], entries, row, col)
    if whole is not None and len(entries) >= 3:
        return whole
    off_pattern, on_pattern = _pattern(off[:1], off, row, col), _pattern(on[:1], on, row, row)
    if off_pattern is None or on_pattern is None or len(off) < 2 or len(on) < 2:
        return None
    delta = sp.KroneckerDelta(row, col)
    return delta * on_pattern + (1 - delta) * off_pattern


def _positions(gaps: list[bool], last: sp.Expr) -> list[tuple[int, sp.Expr]]:
    """(place in the list, index) of the written items: from 1 before the first gap, from `last` after the last
    one; those between two gaps have no known index and are left out."""
    if not any(gaps):
        return []  # all written out: at one size only
    first, final = gaps.index(True), len(gaps) - 1 - gaps[::-1].index(True)
    out = [(k, sp.Integer(k + 1)) for k in range(first)]
    out += [(k, last - (len(gaps) - 1 - k)) for k in range(final + 1, len(gaps))]
    return [(k, pos) for k, pos in out if not gaps[k]]


def _pattern(seed: list, entries: list, row: sp.Symbol, col: sp.Symbol) -> sp.Expr | None:
    """The entry's pattern from `seed`'s one entry (its row index made `row`, its column index `col`) when it
    gives every entry of `entries` at its place; None otherwise."""
    if not seed:
        return None
    r0, c0, e0 = seed[0]

    def general(e):
        return e.base[tuple(row if i == r0 else col if i == c0 else i for i in e.indices)]

    pattern = e0.replace(lambda e: isinstance(e, sp.Indexed), general)
    if all(pattern.xreplace({row: r, col: c}) == e for r, c, e in entries):
        return pattern
    return None


def _listed(text: str, spec: Spec, part: Part, names) -> sp.Expr | None:
    """`[a_1, \\dots, a_N]`, `(-t_1 \\quad \\cdots \\quad -t_N)`: a vector written by its entries, as its
    entry at the part's one free index; None for any other side (or a list whose pattern is not clear)."""
    m = _LIST.match(text)
    if m is None or len(part.free) != 1:
        return None
    items = [t for t in re.split(r",|\\q?quad", m.group("items")) if t.strip()]
    try:
        known = [read_side(t, spec, part, names) for t in items]
        last = read_side(m.group("last"), spec, part, names)
    except ParseError:
        return None
    found = ellipsis_template(known[-1], last)
    index = part.free[0]
    if found is None or found[3] not in (spec.index_range[index], sp.Integer(spec.dim_values.get(
            spec.index_range[index], -1))):
        return None
    template, var, _, _ = found
    if any(value != template.xreplace({var: sp.Integer(n)}) for n, value in enumerate(known, 1)):
        return None  # [a_1, b_2, …, b_N]: the first entries are not the pattern's
    return template.xreplace({var: index})


_FIND = re.compile(r"Find \$\s*([A-Za-z]\w*|\\[A-Za-z]+)\s*_\s*\{?\s*([A-Za-z])\s*\}?\s*\$")
_NAMED = re.compile(r"([A-Za-z]\w*|\\[A-Za-z]+)\s*_\s*\{?\s*([A-Za-z]|\d{1,3})\s*\}?")


def target_named(text: str, spec: Spec, part: Part) -> sp.Expr | None:
    """The part's target when a side is the name the statement gives it (`z_j` of "Find $z_j$"), at the
    index written (`z_1`, `z_i`); None otherwise."""
    found = _FIND.search(part.statement)
    written = _NAMED.fullmatch(text.strip())
    if not found or not written or written.group(1) != found.group(1):
        return None
    index = next((i for i in part.free if str(i) == found.group(2)), None)
    if index is None:
        return None
    value = written.group(2)
    if value.isdigit():
        return part.target.xreplace({index: sp.Integer(int(value))})
    if value == shown_name(spec, spec.index_range[index]) and value not in {str(i) for i in spec.index_range}:
        return part.target.xreplace({index: spec.index_range[index]})  # z_N: the last entry
    letter = next((i for i in spec.index_range if str(i) == value), None)
    if letter is None or spec.index_range[letter] != spec.index_range[index]:
        return None
    return _fresh_bound(part.target).xreplace({index: letter})


def _fresh_bound(expr: sp.Expr) -> sp.Expr:
    """`expr` with the variable of each sum renamed apart, so that substituting a free index cannot capture it."""
    for s in sorted(expr.atoms(sp.Sum), key=sp.count_ops, reverse=True):
        if s not in expr.atoms(sp.Sum):
            continue
        renamed = s
        for var, _, _ in s.limits:
            fresh = sp.Dummy(str(var), integer=True)
            renamed = renamed.xreplace({var: fresh})
        expr = expr.xreplace({s: renamed})
    return expr
