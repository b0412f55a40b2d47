r"""A student's derivation as chains of equal sides, each with the line of the file it begins on.

`read_chains(text)` finds the math of a write-up and splits it into chains:

* Markdown: `$$...$$`, `\[...\]` and `$...$`; LaTeX: the environments
  `equation`, `align`, `align*`, `aligned`, `gather`, `multline`, `split`
  (and their starred forms); a file with none of these is plain text, one step
  a line.
* A chain is a run of sides joined by `=`, `&=`, a row (or a line) that starts
  with `=`, `\stackrel{...}{=}` or `\overset{...}{=}`; the annotation of the
  last two is kept as the step's stated reason. `\Rightarrow` (⇒, `\implies`)
  ends a chain, and so does prose between two blocks; a row that does not
  start with `=` starts a new chain.
* Dropped from a side: `\text{...}` prose, `\quad (n)` and `\tag{...}`
  numbers, `\label{...}`, `\left`/`\right`, `\displaystyle`, `\cancel`
  (its argument stays), `\underbrace{X}_{...}` (X stays), sizes such as
  `\in \mathbb{R}^{N}`, and trailing punctuation.

A teacher's notation header, a line `% derive: z^3 = Z3, \psi = \Psi`, is read
by `notation_header` (and blanked, so it is no chain); `rename` applies it.

Only text is handled here: nothing is parsed as mathematics (the checker
reads each side with the problem's vocabulary). The input is bounded by
`MAX_FILE` characters and `MAX_SIDES` sides.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

MAX_FILE = 200_000  # characters of one submission
MAX_SIDES = 2_000  # sides of all chains of one submission

ENVIRONMENTS = ("equation", "align", "aligned", "gather", "gathered", "multline", "split", "eqnarray", "alignat")
_ENV = "|".join(ENVIRONMENTS)
_BEGIN_END = re.compile(rf"\\(?:begin|end)\{{(?:{_ENV})\*?\}}(?:\{{\d+\}})?")
_BLOCK = re.compile(
    r"\$\$(?P<dd>.+?)\$\$"
    r"|\\\[(?P<br>.+?)\\\]"
    rf"|\\begin\{{(?P<env>{_ENV})(?P<star>\*?)\}}(?P<body>.+?)\\end\{{(?P=env)(?P=star)\}}"
    r"|(?<![\\$])\$(?P<d>[^$\n]+?)\$(?!\$)", re.S)
_ARROW = re.compile(r"\\(?:Rightarrow|implies|Longrightarrow|iff|Leftrightarrow)(?![A-Za-z])|⇒|⟹|⇔")
_ROW = re.compile(r"\\\\(?:\[[^\]]*\])?|\\newline(?![A-Za-z])")


@dataclass
class Side:
    """One side of a chain: its text (cleaned), the 1-based line it begins on, and the stated reason of the
    `=` before it (`\\stackrel{(a)}{=}`), if any."""

    text: str
    line: int
    reason: str | None = None
    raw: str = ""
    defines: bool = False  # joined by a definition sign (`:=`, `\\coloneqq`, `≔`, `\\triangleq`): the side before
    #                        is a name the student defines


@dataclass
class Chain:
    """Sides that the student says are equal, in order; `before` is the prose that precedes the chain."""

    sides: list[Side] = field(default_factory=list)
    before: str = ""
    context: str = ""  # the file's text just before the chain's block, math included ("Off-diagonal: ...")


class TooLarge(ValueError):
    """The submission is larger than the reader's limits."""


def _group(text: str, k: int) -> tuple[str, int] | None:
    """The contents of the brace group at `k` (spaces skipped) and the index after it."""
    while k < len(text) and text[k] in " \t\n":
        k += 1
    if k >= len(text) or text[k] != "{":
        return None
    depth = 0
    for m in range(k, len(text)):
        if text[m] == "{" and (m == 0 or text[m - 1] != "\\"):
            depth += 1
        elif text[m] == "}" and (m == 0 or text[m - 1] != "\\"):
            depth -= 1
            if depth == 0:
                return text[k + 1:m], m + 1
    return None


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


# -- cleaning one side -------------------------------------------------------------------
_DROP_COMMANDS = re.compile(r"\\(?:left|right|displaystyle|textstyle|nonumber|notag|quad|qquad|big|Big|bigg|Bigg)"
                            r"(?![A-Za-z])|\\[,;:!]")
_NUMBERING = re.compile(r"\\q?quad\s*\(\s*[\w.*]{1,6}\s*\)|\(\s*\d{1,3}[a-z]?\s*\)\s*$"
                        r"|^\s*\(\s*[a-z]\s*\)\s*\\q?quad")  # `(a) \quad D_x σ = ...`: the part's label


_PROSE_TAIL = re.compile(r"\\(?:text|textrm|mbox)\s*\{\s*(?:with|where|for|since|as|because|using|by|if|"
                         r"when|and|which|i\.e\.|e\.g\.|see|from|note)\b", re.I)


def _remove_command(text: str, name: str, keep: bool, subscript: bool = False) -> str:
    """`\\name{X}`: X with `keep`, nothing without; with `subscript`, a `_{...}` after it goes too."""
    out, k = [], 0
    pattern = re.compile(rf"\\{name}(?![A-Za-z])")
    while True:
        m = pattern.search(text, k)
        if not m:
            out.append(text[k:])
            return "".join(out)
        out.append(text[k:m.start()])
        group = _group(text, m.end())
        if group is None:
            k = m.end()
            continue
        inner, k = group
        if subscript:
            rest = re.match(r"\s*[_^]", text[k:])
            if rest:
                after = _group(text, k + rest.end())
                k = after[1] if after else min(len(text), k + rest.end() + 1)
        out.append(f"{{{inner}}}" if keep else " ")


def _depth(text: str, k: int) -> int:
    """The nesting of brackets and braces at `text[k]`."""
    depth = 0
    for c in text[:k]:
        depth += 1 if c in "({[" else -1 if c in ")}]" else 0
    return depth


def clean(side: str) -> str:
    """A side without what is not mathematics of the problem (see the module's docstring)."""
    text = side
    for name in ("underbrace", "overbrace"):  # first: `\underbrace{X}_{\text{from (a)}}` is no prose tail
        text = _remove_command(text, name, keep=True, subscript=True)
    prose = _prose_tail(text)
    if prose and text[:prose.start()].strip():  # `= -t_i/z_i \text{ with } \ln(x)' = 1/x`: a remark follows
        text = text[:prose.start()]
    # \text{softmax}_i(x): a function's name, not prose
    text = re.sub(r"\\(?:text|textrm|mathrm)\s*\{\s*([A-Za-z]{2,20})\s*\}(?=\s*[_(^])", r"\\operatorname{\1}", text)
    for name in ("text", "textrm", "textit", "mbox", "hbox", "intertext", "tag", "label", "tag*"):
        text = _remove_command(text, re.escape(name), keep=False)
    for name in ("cancel", "bcancel", "xcancel", "boxed", "color{[^}]*}"):
        text = _remove_command(text, name, keep=True)
    text = _NUMBERING.sub(" ", text)
    for m in re.finditer(r"\\in(?![A-Za-z])|∈", text):
        if _depth(text, m.start()) == 0:  # `W \in R^{N×K}`: a size; `\sum_{(u,v) \in E}` is a sum's range
            text = text[:m.start()]
            break
    text = _DROP_COMMANDS.sub(" ", text)
    inner = [(m.start(), m.end()) for m in _INNER.finditer(text)]  # a matrix keeps its `&` between entries
    text = "".join(" " if c == "&" and not any(a <= k < b for a, b in inner) else c for k, c in enumerate(text))
    text = " ".join(text.split())
    text = re.sub(r"[\s,.;:]+$", "", text)
    text = re.sub(r"^[\s,.;:]+", "", text)
    return text.strip()


# -- splitting a row at its equals signs -------------------------------------------------------
_DEFINITION_SIGN = re.compile(r":=|≔|≜|\\(?:coloneqq|coloneq|triangleq|eqqcolon)(?![A-Za-z])")
DEFINITION = ":="  # the reason `_splits` gives a definition sign


def _splits(row: str) -> list[tuple[int, int, str | None]]:
    """(start, end, reason) of each top-level `=` of a row (and of `\\stackrel{r}{=}`, `\\overset{r}{=}`); a
    definition sign (`:=`, `\\coloneqq`, ...) is a split whose reason is `DEFINITION`."""
    found: list[tuple[int, int, str | None]] = []
    inner = {m.start(): m.end() for m in _INNER.finditer(row)}  # a cases environment's `=` is its own
    depth, k = 0, 0
    while k < len(row):
        if k in inner:
            k = inner[k]
            continue
        c = row[k]
        sign = _DEFINITION_SIGN.match(row, k) if depth == 0 else None
        if sign:
            found.append((k, sign.end(), DEFINITION))
            k = sign.end()
            continue
        if row.startswith(("\\stackrel", "\\overset"), k):
            name = "\\stackrel" if row.startswith("\\stackrel", k) else "\\overset"
            first = _group(row, k + len(name))
            second = _group(row, first[1]) if first else None
            if first and second and second[0].strip() in ("=", ":="):  # `\stackrel{def.}{:=}`: a definition
                found.append((k, second[1], DEFINITION if second[0].strip() == ":=" else " ".join(
                    first[0].replace("\\text", "").replace("{", " ").replace("}", " ").split()) or None))
                k = second[1]
                continue
        if c == "\\":
            m = re.match(r"\\[A-Za-z]+|\\.", row[k:])
            k += len(m.group(0)) if m else 1
            continue
        if c in "({[":
            depth += 1
        elif c in ")}]":
            depth = max(0, depth - 1)
        elif c == "=" and depth == 0:
            before = row[k - 1] if k else ""
            after = row[k + 1] if k + 1 < len(row) else ""
            if not (before and before in "<>!=:") and not (after and after in "=<>"):
                found.append((k, k + 1, None))
        k += 1
    return found


def _prose_tail(text: str) -> re.Match | None:
    """Where words begin a remark (`\\text{ with }`), outside a cases environment (`1 & \\text{when } y = j`)."""
    inner = [(m.start(), m.end()) for m in _INNER.finditer(text)]
    return next((m for m in _PROSE_TAIL.finditer(text) if not any(a <= m.start() < b for a, b in inner)), None)


def _remark(piece: str) -> bool:
    prose = _prose_tail(piece)
    return bool(prose and piece[:prose.start()].strip())


_LEADING_PROSE = re.compile(r"\s*&?\s*\\(?:text|textrm|mbox)\s*\{([^{}]*)\}")


class _Builder:
    def __init__(self, text: str):
        self.text = text
        self.chains: list[Chain] = []
        self.current: Chain | None = None
        self.count = 0
        self.context = ""

    def end(self) -> None:
        if self.current is not None and len(self.current.sides) >= 2:
            self.chains.append(self.current)
        self.current = None

    def row(self, row: str, offset: int, before: str = "", context: str = "", inner: bool = False) -> None:
        """One row of math; `inner`: not the first row of its block (a row without `=` goes on the side before)."""
        self.context = context
        self._rows(row, offset, before, inner)

    def _rows(self, row: str, offset: int, before: str = "", inner: bool = False) -> None:
        """One row of math at `offset` of the file: its sides join the current chain or start one."""
        for piece_start, piece in _pieces(row, _ARROW):
            if piece_start:  # after a ⇒: a new chain
                self.end()
            self._row(piece, offset + piece_start, before, inner and not piece_start)

    def _row(self, row: str, offset: int, before: str, inner: bool = False) -> None:
        cuts = _splits(row)
        if not cuts:
            text = clean(row)
            if text and self.current is not None and self.current.sides and \
                    (inner or re.match(r"[+\-−]|\\cdot|\\times", text)):
                last = self.current.sides[-1]  # a side that goes on on the next row: `&= a + b \\ &\quad + c`
                last.text, last.raw = f"{last.text} {text}", f"{last.raw} {row.strip()}"
            elif text:  # a left side alone on its row (`\frac{∂E}{∂w} \\ &= ...`): the rows `= ...` go on from it
                self.end()
                self.current = Chain(before=before, context=self.context)
                lead = len(row) - len(row.lstrip())
                self.add(Side(text, _line_of(self.text, offset + lead), None, row.strip()))
            return
        starts = [0] + [end for _, end, _ in cuts]
        ends = [start for start, _, _ in cuts] + [len(row)]
        reasons = [None] + [reason for _, _, reason in cuts]
        for n, (a, b, reason) in enumerate(zip(starts, ends, reasons)):
            piece = row[a:b]
            text = clean(piece)
            if n == 0:
                if text:  # a new left side: a new chain
                    self.end()
                    prose = _LEADING_PROSE.match(piece)  # `\text{where } Δ = ...`: the chain's own prose
                    self.current = Chain(before=f"{before} {prose.group(1)}".strip() if prose else before,
                                         context=self.context)
                elif self.current is None:
                    self.current = Chain(before=before, context=self.context)
                else:
                    continue  # `= ...` continues the chain
                if not text:
                    continue
            if not text:  # `c = \\text{const.}`: prose, no side (a chain needs two)
                continue
            if n and _remark(piece):  # `= b \text{ with } c = d`: what follows the words is a remark
                lead = len(piece) - len(piece.lstrip())
                self.add(Side(text, _line_of(self.text, offset + a + lead), reason, piece.strip()))
                break
            lead = len(piece) - len(piece.lstrip())
            defines = reason == DEFINITION
            self.add(Side(text, _line_of(self.text, offset + a + lead), None if defines else reason, piece.strip(),
                          defines))

    def first(self, line: str, offset: int) -> None:
        """A line that is a chain's first side on its own (the next line starts with `=`)."""
        self.end()
        text = clean(line)
        if text:
            self.current = Chain(context=self.context)
            lead = len(line) - len(line.lstrip())
            self.add(Side(text, _line_of(self.text, offset + lead), None, line.strip()))

    def add(self, side: Side) -> None:
        self.count += 1
        if self.count > MAX_SIDES:
            raise TooLarge(f"more than {MAX_SIDES} sides: split the submission")
        assert self.current is not None
        self.current.sides.append(side)


_INNER = re.compile(r"\\begin\{(cases|[bpvBV]?matrix|array|smallmatrix)\*?\}.*?\\end\{\1\*?\}", re.S)


def _pieces(text: str, pattern: re.Pattern) -> list[tuple[int, str]]:
    """`text` cut at each match of `pattern` outside a cases or matrix environment (whose `\\\\` ends its own
    rows), with the offset of each piece."""
    inner = [(m.start(), m.end()) for m in _INNER.finditer(text)]
    out, k = [], 0
    for m in pattern.finditer(text):
        if any(a <= m.start() < b for a, b in inner):
            continue
        out.append((k, text[k:m.start()]))
        k = m.end()
    out.append((k, text[k:]))
    return out


def _is_math_file(text: str) -> bool:
    return bool(re.search(r"\$|\\\[|\\begin\{", text))


def read_chains(text: str) -> list[Chain]:
    """The chains of equalities of a submission (Markdown, LaTeX or plain text), in order."""
    if len(text) > MAX_FILE:
        raise TooLarge(f"the submission has {len(text)} characters; the limit is {MAX_FILE}")
    builder = _Builder(text)
    if not _is_math_file(text):
        offset = 0
        lines = text.splitlines(keepends=True)
        for k, line in enumerate(lines):
            if line.strip():
                if _splits(line):
                    builder.row(line, offset)
                elif next((rest.lstrip().startswith("=") for rest in lines[k + 1:] if rest.strip()), False):
                    builder.first(line, offset)  # `d/dx tanh(x)` alone, then `= ...` lines
                else:
                    builder.end()
            offset += len(line)
        builder.end()
        return builder.chains
    last = 0
    for m in _BLOCK.finditer(text):
        between = text[last:m.start()]
        if between.strip():
            builder.end()
        last = m.end()
        name = next(g for g in ("dd", "br", "body", "d") if m.group(g) is not None)
        body, start = m.group(name), m.start(name)
        inline = name == "d"
        if inline:
            builder.end()
        # an environment inside $$ ... $$: its \begin / \end lines are not math
        body = _BEGIN_END.sub(lambda b: " " * len(b.group(0)), body)
        for row_start, row in _pieces(body, _ROW):
            builder.row(row, start + row_start, before=between.strip()[-300:],
                        context=text[max(0, m.start() - 400):m.start()], inner=row_start > 0)
        if inline:
            builder.end()
    builder.end()
    return builder.chains


def only_lines(text: str, first: int, last: int) -> str:
    """`text` with every line outside `first`..`last` (1-based) blanked: the lines keep their numbers."""
    return "".join(line if first <= n <= last else "\n" for n, line in enumerate(text.splitlines(keepends=True), 1))


#: a teacher's notation header: `% derive: z^3 = Z3, a^2 = A2, \psi = \Psi` (or in `<!-- ... -->`, or after `#`)
_HEADER = re.compile(r"^[ \t]*(?:%|<!--|#|//)[ \t]*derive:[ \t]*(?P<pairs>.*?)[ \t]*(?:-->)?[ \t]*$", re.M)
MAX_NAMES = 50


def notation_header(text: str) -> tuple[list[tuple[str, str]], str]:
    """The pairs (the student's name, the problem's) of the file's notation headers, and the text with each
    header line blanked (its line numbers kept)."""
    pairs: list[tuple[str, str]] = []
    for m in _HEADER.finditer(text):
        for item in m.group("pairs").split(","):
            theirs, eq, ours = item.partition("=")
            if eq and theirs.strip() and ours.strip() and len(pairs) < MAX_NAMES:
                pairs.append((theirs.strip(), ours.strip()))
    return pairs, _HEADER.sub("", text)


def rename(side: str, pairs: list[tuple[str, str]]) -> str:
    """`side` with each student's name of `pairs` written as the problem's (whole names only: `z` is not the z
    of `\\zeta` or of `z_max`'s `max`)."""
    for theirs, ours in sorted(pairs, key=lambda p: -len(p[0])):
        side = re.sub(rf"(?<![A-Za-z\\]){re.escape(theirs)}(?![A-Za-z])", lambda _: ours, side)
    return side
