"""The first stage of `derive.parsing`: the one error class, and the tokenizer.

Student text is hostile: it is checked for length and control characters,
then normalised character by character (Unicode variants, full-width forms,
LaTeX commands) into a canonical stream that remembers, for every character,
its column in the original text, and then cut into tokens. Names are cut by
longest match against the vocabulary of the problem (`W2`, `n_x`, `phi'`,
`softmax(x)`), so `xy` is two names and `sigmoid` one. Nothing here builds a
SymPy object.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any, NoReturn

from ..errors import DeriveError
from ..limits import MAX_DEPTH, Limits
from .marks import LATEX_ACCENTS, MARK_ALIASES, MARKS, accent, is_accented, unaccent


class ParseError(DeriveError):
    """A student answer that cannot be read: what is wrong, where, and in which text."""

    def __init__(self, message: str, position: int | None = None, text: str = "", hint: str = ""):
        self.message = message
        self.position = position
        self.text = text if isinstance(text, str) else ""
        self.hint = hint
        super().__init__(str(self))

    def __str__(self) -> str:
        out = unaccent(self.message)
        if self.position is not None:
            out += f" at column {self.position}"
        return out + (f"; {self.hint}" if self.hint else "")

    def caret(self) -> str:
        """Two lines: the text (the line of the error, at most 72 characters) and a caret under the error."""
        text, pos = self.text, self.position
        start = 0 if pos is None else text.rfind("\n", 0, pos) + 1
        end = text.find("\n", start)
        line = text[start:end if end >= 0 else len(text)]
        col = 0 if pos is None else min(pos - start, len(line))
        left = max(0, min(col - 36, len(line) - 72))
        shown = "".join(" " if unicodedata.category(c)[0] in "CZ" else c for c in line[left:left + 72])
        return shown + "\n" + (" " * (col - left) + "^" if pos is not None else "")


class ShapeMismatch(ParseError):
    """An answer that reads, but whose shape is not the target's (K×h where h×K is needed): a wrong answer.

    `have` and `want` are the shapes as shown (`K×h`; `want` may be `a vector of length K`, `a scalar`);
    `transposed` says that the answer has the target's shape turned round, and then `turned` is the entry of
    its transpose at the target's free indices (set by `Parsed.index_form`).
    """

    def __init__(self, have: str, want: str, text: str = "", transposed: bool = False):
        self.have, self.want, self.transposed = have, want, transposed
        self.turned: Any = None
        super().__init__(f"the shapes do not match: {have} where {want} is needed", None, text)


class RangeClash(ParseError):
    """An entry indexed out of its range (y_i, i over n_x, y over n_y), with the free indices of the answer
    (None when the answer is a matrix): against a target indexed otherwise, a wrong answer."""

    def __init__(self, message: str, position: int | None, text: str, free: frozenset | None):
        self.free = free
        super().__init__(message, position, text)


@dataclass
class Token:
    kind: str  # num word unknown sub op end
    text: str  # num: digits; word: the vocabulary key; op: the canonical operator; sub/unknown: as typed
    pos: int  # column in the original text
    raw: str = ""  # as typed (after normalisation)
    cont: bool = False  # a word like `W_{2,` whose subscript continues: W_{2,jk}


# -- characters --------------------------------------------------------------------

SEP = "\x01"  # ends a word that came from a LaTeX command (\sin, \operatorname{..}); lexed as space
FRAC = "\ue000"
SQRT = "\ue001"
CASES_OPEN, CASES_CLOSE, ROW = "\ue002", "\ue003", "\ue004"  # \begin{cases}, \end{cases}, the \\ between rows
#: words of a case's condition (`\text{if } i = j`, `\text{otherwise}`, `{a if z > 0; b otherwise}`); `for`
#: (SymPy's `\text{for}`) only inside a LaTeX command, where it cannot be a product f·o·r
KEYWORDS = frozenset({"if", "otherwise", "else"})
LATEX_KEYWORDS = frozenset({"for", "when"})
#: environments read as cases (an array only as the body of `\left\{ ... \right.`, which is the same)
CASES_ENVIRONMENTS = frozenset({"cases", "dcases", "array"})
ONES = "𝟏"
WHITESPACE = " \t\n\r" + SEP

GREEK = {
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "varepsilon": "ε", "zeta": "ζ",
    "eta": "η", "theta": "θ", "vartheta": "θ", "iota": "ι", "kappa": "κ", "lambda": "λ", "mu": "μ", "nu": "ν",
    "xi": "ξ", "pi": "π", "rho": "ρ", "varrho": "ρ", "sigma": "σ", "varsigma": "σ", "tau": "τ",
    "upsilon": "υ", "phi": "φ", "varphi": "φ", "chi": "χ", "psi": "ψ", "omega": "ω", "Gamma": "Γ",
    "Delta": "Δ", "Theta": "Θ", "Lambda": "Λ", "Xi": "Ξ", "Phi": "Φ", "Psi": "Ψ", "Omega": "Ω",
    "Upsilon": "Υ",
}
GREEK_NAME: dict[str, str] = {}
for _name, _char in GREEK.items():
    GREEK_NAME.setdefault(_char, _name)

CHAR_MAP = {
    "\u2212": "-", "\u2013": "-", "\u2014": "-", "\ufe63": "-", "\u2217": "*", "\u22c5": "·", "\u2219": "·",
    "\u2032": "'", "\u2019": "'", "\u2211": "Σ", "\u03d5": "φ", "\u03f5": "ε", "\u03d1": "θ", "\u03c2": "σ",
    "\u00f7": "/", "\u2218": "∘", "\u22ba": "⊤", "\u1d40": "⊤", "$": " ", "~": " ", "\u2026": "..", "\u22ef": "..",
    "\U0001d7d9": "𝟏",  # 𝟙 (double-struck one) is the indicator's one, like 𝟏
    "\u2225": "‖", "\u27e8": "⟨", "\u27e9": "⟩", "\u2329": "⟨", "\u232a": "⟩",  # ∥ 〈 〉: norms, inner products
}
#: subscript characters, read as `_` and the plain characters (σᵢⱼ is σ_ij, W₂ is W_2, x₍ᵢ₊₁₎ is x_{(i+1)})
SUBSCRIPTS = {**{chr(0x2080 + k): str(k) for k in range(10)}, "₊": "+", "₋": "-", "₌": "=", "₍": "(", "₎": ")",
              "ₐ": "a", "ₑ": "e", "ₒ": "o", "ₓ": "x", "ₕ": "h", "ₖ": "k", "ₗ": "l", "ₘ": "m", "ₙ": "n",
              "ₚ": "p", "ₛ": "s", "ₜ": "t", "ᵢ": "i", "ᵣ": "r", "ᵤ": "u", "ᵥ": "v", "ⱼ": "j"}
SUPERSCRIPTS = {"⁰": "0", "¹": "1", "²": "2", "³": "3", "⁴": "4", "⁵": "5", "⁶": "6", "⁷": "7", "⁸": "8",
                "⁹": "9", "⁻": "-", "⁺": ""}

LATEX_SYMBOLS = {
    "cdot": "·", "times": "×", "ast": "*", "odot": "⊙", "circ": "∘", "top": "⊤", "intercal": "⊤",
    "sum": "Σ", "prime": "'", "div": "/", "ell": "ℓ", "lbrace": "(", "rbrace": ")", "lbrack": "[",
    "rbrack": "]", "lvert": "|", "rvert": "|", "vert": "|", "mid": "|", "lparen": "(", "rparen": ")",
    "frac": FRAC, "dfrac": FRAC, "tfrac": FRAC, "cfrac": FRAC, "sqrt": SQRT,
    "geq": "≥", "ge": "≥", "geqslant": "≥", "leq": "≤", "le": "≤", "leqslant": "≤", "neq": "≠", "ne": "≠",
    "gt": ">", "lt": "<", "oslash": "⊘", "otimes": "⊗", "partial": "∂",
    "lVert": "‖", "rVert": "‖", "Vert": "‖", "langle": "⟨", "rangle": "⟩",
    "infty": "∞", "cdots": "..", "ldots": "..", "dots": "..", "dotsb": "..", "dotsc": "..", "dotsm": "..",
}
#: comparison operators as tokens (inside an indicator [z > 0] only)
RELATIONS = {">": ">", "<": "<", "≥": ">=", "≤": "<=", "≠": "!=", "=": "=="}
_TWO_CHARACTER_RELATIONS = {">=": "≥", "<=": "≤", "!=": "≠"}
LATEX_SPACES = {",", ";", ":", "!", " ", ">", "quad", "qquad", "enspace", "thinspace", "medspace",
                "thickspace", "negthinspace", "negmedspace", "negthickspace"}
LATEX_IGNORED = {"left", "right", "big", "Big", "bigg", "Bigg", "bigl", "bigr", "Bigl", "Bigr", "biggl", "biggr",
                 "Biggl", "Biggr", "middle", "displaystyle", "textstyle", "scriptstyle", "limits", "nolimits",
                 "boxed", "mathop", "nonumber"}
LATEX_FUNCTIONS = {"exp", "log", "ln", "sin", "cos", "tan", "sec", "csc", "cot", "sinh", "cosh", "tanh", "sech",
                   "csch", "coth", "arcsin", "arccos", "arctan", "arcsinh", "arccosh", "arctanh", "arccot",
                   "max", "min"}
LATEX_WORDS = {"operatorname", "mathrm", "text", "mbox", "textrm", "mathit", "textit", "mathsf", "textsf", "mathbf",
               "textbf", "boldsymbol", "bm", "mathbb", "mathnormal", "mathup", "vec"}
LATEX_STYLES = {"mathbf", "boldsymbol", "bm", "mathit", "mathnormal", "vec"}  # a styled symbol: \mathbf{W}_2 is W_2
LATEX_SINGLE = {"{": "[", "}": "]", "|": "‖"}  # \{...\}: a bracket (the set braces of \mathbf{1}\{z > 0\})

_BRACE_BEFORE_CASES = re.compile(r"\s*\\\{\s*(?=\\begin\s*\{\s*(?:array|cases|dcases)\s*\})")
EQUATION_NUMBER = re.compile(r"\s*(\(\s*\d+[a-z]?\s*\)|\\text\s*\{\s*\(\s*\d+[a-z]?\s*\)\s*\})[\s.,]*$")
NUMBER = re.compile(r"(\d+(?:\.\d+)?|\.\d+)")
SCIENTIFIC = re.compile(r"[eE]([+-]?)(\d+)")
RUN = re.compile(r"[A-Za-z]+[0-9]*")
ALNUM = re.compile(r"[A-Za-z0-9]+")


def _matched(pattern: re.Pattern[str], text: str, at: int) -> re.Match[str]:
    """A match the caller has already made sure of (the character at `at` starts one)."""
    found = pattern.match(text, at)
    if found is None:  # pragma: no cover - an internal error, reported as such by the parser
        raise ValueError(f"{pattern.pattern!r} does not match at column {at}")
    return found


def _is_ascii_letter(c: str) -> bool:
    return ("a" <= c <= "z") or ("A" <= c <= "Z")


def is_letter(c: str) -> bool:
    return _is_ascii_letter(c) or is_accented(c) or \
        (ord(c) > 127 and c not in "Σ" + ONES and unicodedata.category(c)[0] == "L")


def check_characters(text: str, limits: Limits) -> None:
    if not isinstance(text, str):
        raise ParseError("an answer must be text", None, "")
    if len(text) > limits.max_length:
        raise ParseError(f"answer too long ({len(text)} characters; the limit is {limits.max_length})",
                         None, text[:200])
    for k, c in enumerate(text):
        if c in "\t\n\r":
            continue
        category = unicodedata.category(c)
        if category[0] == "C":
            raise ParseError(f"control or invisible character U+{ord(c):04X}", k, text)
    if not text.strip():
        raise ParseError("empty answer", None, text)


# -- normalisation ---------------------------------------------------------------------

class _Normaliser:
    """Canonical characters plus, for each, its column in the original text."""

    def __init__(self, text: str, depth: int = 0):
        self.text = text
        self.out: list[str] = []
        self.pos: list[int] = []
        self.depth = depth
        if depth > MAX_DEPTH:
            raise ParseError("LaTeX commands are nested too deeply", None, text)

    def emit(self, s: str, p: int) -> None:
        for c in s:
            self.out.append(c)
            self.pos.append(p)

    def fail(self, message: str, p: int) -> NoReturn:
        raise ParseError(message, p, self.text)

    def run(self, start: int = 0, end: int | None = None) -> None:
        text = self.text
        end = len(text) if end is None else end
        i = start
        while i < end:
            c = text[i]
            if c == "\\":
                i = self.command(i, end)
                continue
            if c in SUBSCRIPTS:
                i = self.subscript(i, end)
                continue
            if (c in MARKS or c in MARK_ALIASES) and self.out:  # a combining accent: y + ^ = ŷ, h + ~ = h̃
                accented = accent(self.out[-1], c)
                if accented is None:
                    self.fail(f"an accent (U+{ord(c):04X}) must follow one letter", i)
                self.out[-1] = accented
            elif "\uff01" <= c <= "\uff5e":
                self.emit(chr(ord(c) - 0xFEE0), i)
            elif c in CHAR_MAP:
                self.emit(CHAR_MAP[c], i)
            elif unicodedata.category(c) == "Zs":
                self.emit(" ", i)
            else:
                self.emit(c, i)
            i += 1

    def subscript(self, i: int, end: int) -> int:
        """A run of subscript characters at i: `_` and their plain characters (braced when they hold more
        than letters and digits); every character keeps its own column. The end of the run."""
        k = i
        while k < end and self.text[k] in SUBSCRIPTS:
            k += 1
        plain = [SUBSCRIPTS[c] for c in self.text[i:k]]
        braced = not all(c.isalnum() for c in plain)
        if not (self.out and self.out[-1] == "_"):  # x_ᵢ is x_i
            self.emit("_", i)
        if braced:
            self.emit("{", i)
        for p, c in enumerate(plain, start=i):
            self.emit(c, p)
        if braced:
            self.emit("}", k - 1)
        return k

    def group(self, i: int, end: int) -> tuple[int, int, int]:
        """The argument at i: `{...}` → (content start, content end, next); else one character or command."""
        while i < end and self.text[i] in " \t\n\r":
            i += 1
        if i >= end:
            self.fail("missing argument", end)
        if self.text[i] == "{":
            depth, k = 0, i
            while k < end:
                if self.text[k] == "\\":
                    k += 2
                    continue
                depth += {"{": 1, "}": -1}.get(self.text[k], 0)
                if depth == 0:
                    return i + 1, k, k + 1
                k += 1
            self.fail("missing '}'", i)
        if self.text[i] == "\\":
            m = re.compile(r"\\([A-Za-z]+|.)").match(self.text, i)
            if m is None or m.end() > end:
                self.fail("a lone backslash", i)
            return i, m.end(), m.end()
        return i, i + 1, i + 1

    def command(self, i: int, end: int) -> int:
        text = self.text
        m = re.compile(r"\\([A-Za-z]+\*?|.)").match(text, i)
        if m is None or m.end() > end:
            self.fail("a lone backslash", i)
        name, k = m.group(1), m.end()
        if name.endswith("*") and name != "operatorname*":
            name, k = name[:-1], k - 1
        if name in ("quad", "qquad") and EQUATION_NUMBER.match(text, k, end):
            return end  # `\quad (3)` at the end: an equation's number, not a factor 3
        if name in ("tag", "label"):
            _, _, k = self.group(k, end)  # \tag{3}, \label{eq:grad}: dropped
            return k
        if name in LATEX_SPACES:
            self.emit(" ", i)
        elif name in LATEX_IGNORED:
            if name in ("left", "right", "middle"):
                while k < end and text[k] == " ":
                    k += 1
                if k < end and text[k] == ".":
                    k += 1
                cases = _BRACE_BEFORE_CASES.match(text, k, end) if name == "left" else None
                if cases:  # \left\{ \begin{array}...\end{array} \right.: the brace is the cases' own
                    k = cases.end()
        elif name in ("begin", "end"):
            start, stop, k = self.group(k, end)
            environment = text[start:stop].strip()
            if environment not in CASES_ENVIRONMENTS:
                self.fail(f"unsupported LaTeX environment {environment}: an answer may hold cases "
                          f"(\\begin{{cases}} ... \\end{{cases}})", i)
            if name == "begin" and environment == "array":
                _, _, k = self.group(k, end)  # the column specification {ll}
            self.emit(CASES_OPEN if name == "begin" else CASES_CLOSE, i)
        elif name == "\\":
            self.emit(ROW, i)
        elif name in LATEX_SINGLE:
            self.emit(LATEX_SINGLE[name], i)
        elif name in GREEK:
            self.emit(GREEK[name], i)
        elif name in LATEX_SYMBOLS:
            self.emit(LATEX_SYMBOLS[name], i)
        elif name in LATEX_FUNCTIONS:
            self.emit(SEP + name + SEP, i)
        elif name.rstrip("*") in LATEX_WORDS:
            start, stop, k = self.group(k, end)
            inner = _Normaliser(text, self.depth + 1)
            inner.run(start, stop)
            word = "".join(inner.out).replace(SEP, "").strip()
            if word == "1" and name in ("mathbf", "mathbb", "bm", "boldsymbol", "textbf"):
                self.emit(ONES, i)
            elif word == "":
                pass
            elif not all(is_letter(c) or c.isdigit() or c in "'" for c in word):
                self.fail(f"\\{name.rstrip('*')}{{...}} must hold a name, not '{word[:20]}'", i)
            else:
                plain = name in LATEX_STYLES and len(word) == 1
                self.emit("" if plain else SEP, i)
                for c, p in zip(inner.out, inner.pos):
                    if c != SEP:
                        self.emit(c, p)
                self.emit("" if plain else SEP, i)
        elif name in LATEX_ACCENTS:  # \hat{y}, \tilde{h}, \bar{x}: one accented letter, part of a name
            start, stop, k = self.group(k, end)
            inner = _Normaliser(text, self.depth + 1)
            inner.run(start, stop)
            word = "".join(inner.out).replace(SEP, "").strip()
            accented = accent(word, LATEX_ACCENTS[name]) if len(word) == 1 and is_letter(word) else None
            if accented is None:
                self.fail(f"\\{name}{{...}} must hold one letter", i)
            self.emit(accented, i)
        else:
            self.fail(f"unsupported LaTeX command \\{name}", i)
        return k


def normalize(text: str) -> tuple[str, list[int]]:
    """The canonical character stream of `text`, and the original column of each character."""
    norm = _Normaliser(text)
    norm.run()
    s = "".join(norm.out)
    # ^{\prime} and ^\prime are written φ' as well
    s2, pos2, k = [], [], 0
    for m in re.finditer(r"\^\s*(\{\s*'\s*\}|')", s):
        s2.append(s[k:m.start()])
        pos2.extend(norm.pos[k:m.start()])
        s2.append("'")
        pos2.append(norm.pos[m.start()])
        k = m.end()
    s2.append(s[k:])
    pos2.extend(norm.pos[k:])
    out = "".join(s2)
    stripped = out.rstrip(" \t\n\r" + SEP)
    if stripped.endswith((".", ",")) and not stripped.endswith(".."):  # the full stop that ends a sentence
        out, pos2 = stripped[:-1], pos2[:len(stripped) - 1]
    return out, pos2


def normalize_spelling(spelling: str) -> str:
    """A spec's spelling of a name (`\\sigma`, `W^{(2)}`, `\\hat{y}`) in canonical characters."""
    try:
        s, _ = normalize(spelling)
    except ParseError:
        return ""
    return s.replace(SEP, "").replace(" ", "")


def canon(surface: str) -> str:
    """The vocabulary key of a surface: Greek names become letters (sigma → σ, phi' → φ')."""
    if surface in GREEK:
        return GREEK[surface]
    if surface.endswith("'") and surface[:-1] in GREEK:
        return GREEK[surface[:-1]] + "'"
    return surface


# -- tokens -------------------------------------------------------------------------------

SINGLE_OPS = {"+": "+", "-": "-", "*": "*", "·": "*", "×": "*", "/": "/", "^": "^", "(": "(", ")": ")",
              "[": "[", "]": "]", "{": "(", "}": ")", ",": ",", "_": "_", "!": "!", "'": "'", "|": "|",
              "⊙": "⊙", "∘": "∘", "⊤": "⊤", "ᵀ": "ᵀ", "Σ": "Σ", ONES: ONES, FRAC: FRAC, SQRT: SQRT,
              "=": "=", ">": ">", "<": "<", "≥": "≥", "≤": "≤", "≠": "≠", "‖": "‖", "⟨": "⟨", "⟩": "⟩",
              "@": "*", "⊘": "⊘", "⊗": "⊗", "∂": "∂", "√": "√", "∛": "∛", "∜": "∜",  # a @ b: NumPy's matrix product
              "∞": "∞", "&": "&", ";": ";", CASES_OPEN: CASES_OPEN, CASES_CLOSE: CASES_CLOSE, ROW: ROW}
# `{ }` group like `( )`; the token's raw text keeps the brace for LaTeX arguments
#: how a message shows the tokens that stand for a LaTeX command
SHOWN = {CASES_OPEN: "\\begin{cases}", CASES_CLOSE: "\\end{cases}", ROW: "\\\\", FRAC: "\\frac", SQRT: "\\sqrt"}


def tokenize(text: str, vocab, latex: bool) -> tuple[list[Token], set[str]]:
    """Tokens of `text`, and the letters used as indices or single-letter names (for fresh index names)."""
    s, pos = normalize(text)
    pos = pos + [len(text)]
    tokens: list[Token] = []
    letters: set[str] = set()
    n = len(s)
    i = 0

    def fail(message, k):
        raise ParseError(message, pos[k], text)

    while i < n:
        c = s[i]
        if c in WHITESPACE:
            i += 1
            continue
        p = pos[i]
        if c in "0123456789" or (c == "." and i + 1 < n and s[i + 1] in "0123456789"):
            m = _matched(NUMBER, s, i)
            digits, i = m.group(), m.end()
            if not latex:
                sci = SCIENTIFIC.match(s, i)
                if sci:
                    digits, i = digits + "e" + sci.group(1) + sci.group(2), sci.end()
            tokens.append(Token("num", digits, p, digits))
        elif c == "_" and i + 1 < n and s[i + 1].isascii() and s[i + 1].isalnum():
            tokens.append(Token("op", "_", p, "_"))
            m = _matched(ALNUM, s, i + 1)
            tokens.append(Token("sub", m.group(), pos[i + 1], m.group()))
            letters.update(ch for ch in m.group() if ch.isalpha())
            i = m.end()
        elif is_letter(c):
            i = _identifier(s, pos, i, vocab, tokens, letters, fail)
        elif c == "*" and s.startswith("**", i):
            tokens.append(Token("op", "^", p, "**"))
            i += 2
        elif c == "." and s.startswith(".*", i):
            tokens.append(Token("op", "⊙", p, ".*"))
            i += 2
        elif c == "." and s.startswith("./", i):  # MATLAB's entry-wise division: t./p
            tokens.append(Token("op", "⊘", p, "./"))
            i += 2
        elif c == "." and s.startswith("..", i):
            k = i
            while k < n and s[k] == ".":
                k += 1
            tokens.append(Token("op", "..", p, s[i:k]))
            i = k
        elif c == "|" and s.startswith("||", i):  # ||x||: a norm, as ‖x‖
            tokens.append(Token("op", "‖", p, "||"))
            i += 2
        elif c == "=" and s.startswith("==", i):
            tokens.append(Token("op", "=", p, "=="))
            i += 2
        elif s[i:i + 2] in _TWO_CHARACTER_RELATIONS:
            tokens.append(Token("op", _TWO_CHARACTER_RELATIONS[s[i:i + 2]], p, s[i:i + 2]))
            i += 2
        elif c == "." and s.startswith(".^", i):  # MATLAB's element-wise power: h.^2
            tokens.append(Token("op", "^", p, ".^"))
            tokens.append(Token("op", "∘", p, ".^"))
            i += 2
        elif c in SINGLE_OPS:
            tokens.append(Token("op", SINGLE_OPS[c], p, SHOWN.get(c, c)))
            i += 1
        elif c in SUPERSCRIPTS:
            k = i
            while k < n and s[k] in SUPERSCRIPTS:
                k += 1
            value = "".join(SUPERSCRIPTS[ch] for ch in s[i:k])
            if not re.fullmatch(r"-?\d+", value):
                fail("a malformed superscript", i)
            tokens.append(Token("op", "sup", p, value))
            i = k
        else:
            shown = c if c.isprintable() else f"U+{ord(c):04X}"
            fail(f"unexpected character '{shown}'", i)
    tokens.append(Token("end", "", len(text), ""))
    return tokens, letters


def _boundary_ok(s: str, j: int, last: str) -> bool:
    if j >= len(s):
        return True
    nxt = s[j]
    if last in "0123456789":
        return nxt not in "0123456789"
    if _is_ascii_letter(last):
        return not (nxt.isascii() and nxt.isalnum())
    return True


def _surface_end(s: str, i: int, surface: str, continues: bool = False) -> int | None:
    r"""Where `surface` (a declared name such as `h^{prev}`, `h_prev`) ends when it is spelled at `i`, braces
    and the word breaks of LaTeX commands aside: `h^{\mathrm{prev}}` and `h^prev` spell `h^{prev}`; None
    when it is not spelled there. A surface that `continues` (`W_{2,` of `W_{2,jk}`) ends inside its brace."""
    skeleton = surface.replace("{", "").replace("}", "")
    j, depth, n = i, 0, len(s)
    for ch in skeleton:
        while j < n and s[j] != ch and (s[j] in "{" + SEP or (s[j] == "}" and depth) or (s[j] == " " and depth)):
            depth += {"{": 1, "}": -1}.get(s[j], 0)
            j += 1
        if j >= n or s[j] != ch:
            return None
        j += 1
    if continues:
        return j if depth == 1 else None
    closed = False
    while j < n and (s[j] == SEP or (s[j] in " }" and depth)):
        if s[j] == "}":
            depth, closed = depth - 1, True
        j += 1
    if depth or not (closed or _boundary_ok(s, j, skeleton[-1])):
        return None
    return j


def _identifier(s, pos, i, vocab, tokens, letters, fail) -> int:
    c = s[i]
    best = None
    for surface, key, cont in vocab.extended.get(c, ()):  # longest first
        end = _surface_end(s, i, surface, cont)
        if end is not None:
            best = (surface, key, cont, end)
            break
    if not _is_ascii_letter(c):
        if best is not None:
            return _emit_extended(s, pos, i, best, tokens)
        key = vocab.surfaces.get(c)
        tokens.append(Token("word", key, pos[i], c) if key is not None else Token("unknown", c, pos[i], c))
        return i + 1
    run = _matched(RUN, s, i).group()
    if best is not None and best[3] - i > len(run):
        return _emit_extended(s, pos, i, best, tokens)
    if (run in KEYWORDS or (run in LATEX_KEYWORDS and i and s[i - 1] == SEP)) and run not in vocab.surfaces:
        tokens.append(Token("op", run, pos[i], run))
        return i + len(run)
    if run in vocab.surfaces:
        tokens.append(Token("word", vocab.surfaces[run], pos[i], run))
        if len(run) == 1:
            letters.add(run)
        return i + len(run)
    pieces = _segment(run, vocab)
    if pieces is None:
        tokens.append(Token("unknown", run, pos[i], run))
        return i + len(run)
    offset = i
    for piece, kind in pieces:
        if kind == "num":
            tokens.append(Token("num", piece, pos[offset], piece))
        else:
            tokens.append(Token("word", vocab.surfaces.get(piece, piece), pos[offset], piece))
            if len(piece) == 1:
                letters.add(piece)
        offset += len(piece)
    return i + len(run)


def _emit_extended(s, pos, i, best, tokens) -> int:
    surface, key, cont, end = best
    tokens.append(Token("word", key, pos[i], surface.rstrip(",{_") if cont else surface))
    if cont:  # W_{2,jk}: the name W2, then the subscript {jk}
        at = pos[end - 1]
        tokens.append(Token("op", "_", at, "_"))
        tokens.append(Token("op", "(", at, "{"))
    return end


def _segment(run: str, vocab) -> list[tuple[str, str]] | None:
    """`mn` → m, n; `sinx` → sin, x; `x2` (free) → x2. None when a piece is unknown (problem mode)."""
    m = _matched(re.compile(r"([A-Za-z]+)([0-9]*)$"), run, 0)
    word, digits = m.group(1), m.group(2)
    pieces: list[list[str]] = []
    k = 0
    while k < len(word):
        for length in range(min(len(word) - k, vocab.longest), 0, -1):
            if word[k:k + length] in vocab.surfaces:
                pieces.append([word[k:k + length], "word"])
                k += length
                break
        else:
            if vocab.mode != "free":
                return None
            pieces.append([word[k], "free"])
            k += 1
    if digits:
        last = pieces[-1]
        if last[1] == "free" or (vocab.mode == "free" and not vocab.is_builtin_word(last[0])):
            last[0] += digits
            last[1] = "free"
        elif last[0] + digits in vocab.surfaces:
            last[0] += digits
        elif vocab.is_builtin_word(last[0]):
            pieces.append([digits, "num"])
        else:
            return None
    return [(piece, kind) for piece, kind in pieces]
