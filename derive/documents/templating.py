"""The Jinja2 environment for templates/: LaTeX-friendly delimiters, strict variables.

Templates only loop and call filters; no mathematics happens in them.
"""
from __future__ import annotations

from functools import lru_cache

import jinja2

from ..resources import shipped

TEMPLATES = shipped("templates")

_TEX_SPECIALS = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
                 "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\^{}"}


# Unicode that problem texts use (assumptions, mistakes, rule names), as pdflatex can set it.
_UNICODE_MATH = {"σ": r"\sigma", "δ": r"\delta", "Σ": r"\Sigma", "Δ": r"\Delta", "Ψ": r"\Psi", "ψ": r"\psi",
                 "φ": r"\phi", "λ": r"\lambda", "ℓ": r"\ell", "∂": r"\partial", "−": "-", "·": r"\cdot",
                 "×": r"\times", "→": r"\to", "²": "^2", "‖": r"\|", "ŷ": r"\hat{y}", "⊙": r"\odot",
                 "π": r"\pi", "α": r"\alpha", "β": r"\beta", "η": r"\eta", "θ": r"\theta", "ε": r"\epsilon",
                 "≠": r"\neq", "≤": r"\leq", "≥": r"\geq"}
_UNICODE_TEXT = {"…": r"\ldots{}", "’": "'", "“": "``", "”": "''", "–": "--", "—": "---"}


def texescape(value: str) -> str:
    """Plain text made safe inside LaTeX text mode (specials escaped, Greek and math signs as math)."""
    out = []
    for ch in str(value):
        if ch in _TEX_SPECIALS:
            out.append(_TEX_SPECIALS[ch])
        elif ch in _UNICODE_MATH:
            out.append(rf"\ensuremath{{{_UNICODE_MATH[ch]}}}")
        elif ch in _UNICODE_TEXT:
            out.append(_UNICODE_TEXT[ch])
        elif ord(ch) > 127 or (ord(ch) < 32 and ch not in "\n\t"):
            out.append("?")  # pdflatex cannot set it; never let it stop the build
        else:
            out.append(ch)
    return "".join(out)


_CODE_SPECIALS = {**_TEX_SPECIALS, "^": r"\textasciicircum{}", "'": r"\textquotesingle{}"}
_CODE_BREAKS = set("*+-/(,")


def texcode(value: str) -> str:
    """Plain text (an answer as typed, an id) for `\\texttt`: specials escaped, a line break allowed after
    `* + - / ( ,` and at spaces. Needs no package beyond the kernel (unlike `url`'s `\\path`)."""
    out = []
    for ch in str(value):
        if ch in _CODE_SPECIALS:
            out.append(_CODE_SPECIALS[ch])
        elif ord(ch) > 127 or (ord(ch) < 32 and ch not in "\n\t"):
            out.append(texescape(ch))
        else:
            out.append(ch)
        if ch in _CODE_BREAKS:
            out.append(r"\allowbreak{}")
    return "".join(out)


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        block_start_string=r"\BLOCK{", block_end_string="}",
        variable_start_string=r"\VAR{", variable_end_string="}",
        comment_start_string=r"\#{", comment_end_string="}",
        line_comment_prefix="%#",
        trim_blocks=True, lstrip_blocks=True, autoescape=False,
        undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
    )
    env.filters["texescape"] = texescape
    env.filters["texcode"] = texcode
    return env


def render(template: str, **context) -> str:
    """Render one of templates/ with `context`."""
    return environment().get_template(template).render(**context)
