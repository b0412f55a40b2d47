"""A spec's statement (text with `$…$` LaTeX math) as Unicode text for the terminal.

Statements are written for the PDF. In the terminal the same sentence reads
with the math in the printers' text style: `$\\sigma_i(x) = e^{x_i} / \\sum_{k=1}^{n} e^{x_k}$`
becomes `σ_i(x) = e^(x_i) / Σ_{k=1..n} e^(x_k)`. Unknown commands keep their
name without the backslash; nothing here is parsed into an expression.
"""
from __future__ import annotations

import re

_SYMBOLS = {
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "varepsilon": "ε", "zeta": "ζ",
    "eta": "η", "theta": "θ", "iota": "ι", "kappa": "κ", "lambda": "λ", "mu": "μ", "nu": "ν", "xi": "ξ",
    "pi": "π", "rho": "ρ", "sigma": "σ", "tau": "τ", "upsilon": "υ", "phi": "φ", "varphi": "φ", "chi": "χ",
    "psi": "ψ", "omega": "ω", "Gamma": "Γ", "Delta": "Δ", "Theta": "Θ", "Lambda": "Λ", "Xi": "Ξ", "Pi": "Π",
    "Sigma": "Σ", "Phi": "Φ", "Psi": "Ψ", "Omega": "Ω", "ell": "ℓ", "partial": "∂", "nabla": "∇",
    "sum": "Σ", "prod": "Π", "int": "∫", "infty": "∞", "in": "∈", "notin": "∉", "subset": "⊂",
    "times": "×", "cdot": "·", "odot": "⊙", "otimes": "⊗", "oslash": "⊘", "circ": "∘", "pm": "±",
    "leq": "≤", "le": "≤", "geq": "≥", "ge": "≥", "neq": "≠", "ne": "≠", "approx": "≈", "equiv": "≡",
    "to": "→", "rightarrow": "→", "leftarrow": "←", "mapsto": "↦", "top": "ᵀ", "intercal": "ᵀ",
    "dots": "…", "ldots": "…", "cdots": "⋯", "|": "‖", "lVert": "‖", "rVert": "‖", "lvert": "|",
    "rvert": "|", "langle": "⟨", "rangle": "⟩", "{": "{", "}": "}", "_": "_", "%": "%", "&": "&",
    "exp": "exp", "log": "log", "ln": "ln", "tanh": "tanh", "sinh": "sinh", "cosh": "cosh", "sin": "sin",
    "cos": "cos", "max": "max", "min": "min", "arg": "arg", "det": "det",
}
_SPACES = {",": " ", ";": " ", ":": " ", "!": "", " ": " ", "quad": "  ", "qquad": "   "}
_DROP = {"left", "right", "big", "Big", "bigl", "bigr", "Bigl", "Bigr", "displaystyle", "textstyle",
         "limits", "nolimits"}
_FONTS = {"mathbf", "mathrm", "mathit", "mathsf", "boldsymbol", "bm", "operatorname", "text", "textrm",
          "textit", "emph", "textbf", "mathcal"}
_BLACKBOARD = {"R": "ℝ", "N": "ℕ", "Z": "ℤ", "Q": "ℚ", "C": "ℂ", "E": "𝔼", "1": "𝟏"}
_ACCENTS = {"hat": "\u0302", "widehat": "\u0302", "tilde": "\u0303", "widetilde": "\u0303", "bar": "\u0304",
            "overline": "\u0305", "dot": "\u0307", "vec": "\u20d7"}
_ATOM = r"\d+|[^\W\d_]+'*|[^\W\d_]\u0302"  # one number or one name
_TOKEN = re.compile(r"\\[A-Za-z]+|\\.|\s+|.", re.S)


def _tokens(latex: str) -> list[str]:
    return _TOKEN.findall(latex)


class _Reader:
    def __init__(self, latex: str):
        self.toks = _tokens(latex)
        self.at = 0

    def done(self) -> bool:
        return self.at >= len(self.toks)

    def peek(self) -> str:
        return self.toks[self.at] if self.at < len(self.toks) else ""

    def take(self) -> str:
        tok = self.peek()
        self.at += 1
        return tok

    def skip_spaces(self) -> None:
        while not self.done() and self.peek().isspace():
            self.at += 1

    def argument(self) -> str:
        """The next brace group or single token, converted."""
        self.skip_spaces()
        if self.peek() == "{":
            self.take()
            depth, start = 1, self.at
            while not self.done():
                tok = self.take()
                depth += tok == "{"
                depth -= tok == "}"
                if depth == 0:
                    return _math(self.toks[start:self.at - 1])
            return _math(self.toks[start:])
        return _math([self.take()])


def _simple(text: str) -> bool:
    """Prints without brackets as an exponent or subscript: one name, number or symbol."""
    return bool(re.fullmatch(r"[^\W_]+'*|[^\W\d_]\u0302|[ᵀ∞*′]", text))


def _wrapped(text: str) -> str:
    return text if _simple(text) or re.fullmatch(r"\(.*\)|\[.*\]", text) and _balanced(text[1:-1]) \
        else f"({text})"


def _balanced(text: str) -> bool:
    depth = 0
    for ch in text:
        depth += ch in "([{"
        depth -= ch in ")]}"
        if depth < 0:
            return False
    return depth == 0


def _math(toks: list[str]) -> str:
    reader = _Reader("")
    reader.toks = toks
    out: list[str] = []

    def add(piece: str, word: bool = False) -> None:
        """Append; a space where two words (or a subscript and a word) would run together."""
        last = out[-1] if out and out[-1] else " "
        if piece and (word or piece[0].isalnum()) and (last[-1].isalnum() or last[-1] in ")]}'") and \
                (word or _script[0]):
            out.append(" ")
        out.append(piece)
        _script[0] = word

    _script = [False]  # the last piece was a subscript, an exponent or a word: a name after it needs a space
    while not reader.done():
        tok = reader.take()
        if tok.isspace():
            if out and not out[-1].endswith(" "):
                out.append(" ")
            continue
        if tok in ("{", "}"):
            continue
        if tok in "^_":
            arg = reader.argument().strip()
            if tok == "^" and arg == "ᵀ":
                out.append("ᵀ")
            elif tok == "^":
                out.append("^" + _wrapped(arg))
            else:
                out.append("_" + (arg if _simple(arg) else "{" + arg + "}"))
            _script[0] = True
            continue
        if not tok.startswith("\\"):
            add(tok)
            continue
        name = tok[1:]
        if name in _SPACES:
            out.append(_SPACES[name])
        elif name in _DROP:
            pass
        elif name in ("frac", "dfrac", "tfrac"):
            top, bottom = reader.argument().strip(), reader.argument().strip()
            add(f"{_wrapped(top)}/{bottom if re.fullmatch(_ATOM, bottom) else f'({bottom})'} ")
        elif name == "sqrt":
            add("√" + _wrapped(reader.argument().strip()))
        elif name in ("mathbf", "boldsymbol", "bm", "mathbb") and reader.peek() in ("1", "{"):
            arg = reader.argument().strip()
            add("𝟏" if arg == "1" else _BLACKBOARD.get(arg, arg) if name == "mathbb" else arg)
        elif name in _FONTS:
            add(reader.argument(), word=name == "operatorname")
        elif name == "mathbb":
            arg = reader.argument().strip()
            add(_BLACKBOARD.get(arg, arg))
        elif name in _ACCENTS:
            arg = reader.argument().strip()
            add(arg + _ACCENTS[name] if len(arg) == 1 else f"{name}({arg})")
        elif name == "partial":
            add("∂")
            reader.skip_spaces()
        elif name in _SYMBOLS:
            symbol = _SYMBOLS[name]
            add(symbol, word=symbol.isalpha() and len(symbol) > 1)
        else:
            add(name, word=True)
    text = "".join(out)
    text = re.sub(r"Σ_\{(\w+)=([^{}]+)\}\^(\w+|\([^()]*\))", lambda m: f"Σ_{{{m[1]}={m[2]}..{m[3].strip('()')}}}",
                  text)
    text = re.sub(r" +", " ", text)
    return text.replace(" ᵀ", "ᵀ")


def prose_text(statement: str) -> str:
    """A statement's text with its `$…$` math written as Unicode text (σ_i, e^(x_i), Σ_{k=1..n}, ∂J/∂W_2)."""
    pieces = re.split(r"(\$\$.*?\$\$|\$.*?\$)", statement, flags=re.S)
    out = []
    for number, piece in enumerate(pieces):
        if number % 2:
            out.append(_math(_tokens(piece.strip("$"))).strip())
        else:
            out.append(re.sub(r"\\([%&_#$])", r"\1", piece).replace("~", " ").replace("--", "–"))
    return re.sub(r"[ \t]+", " ", "".join(out)).strip()
