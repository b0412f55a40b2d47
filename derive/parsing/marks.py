r"""Accented letters for `derive.parsing`: h̃, x̄, x̂, ž, ẋ, ẍ as one letter of a name.

An accent is part of the name it sits on (`\tilde{h}` is the GRU's candidate
state h̃, not h), so the lexer turns every spelling of an accented letter into
one character: `\tilde{h}`, `\widetilde{h}`, h + U+0303 and a precomposed
letter (ñ, ŷ) alike. Where Unicode has a precomposed letter (ŷ) that is the
character; where it has none (h̃, x̂, σ̂) it is a private-use character that
stands for the letter and its accent, so that every character of the
canonical stream is one letter. The vocabulary reads a spec's spellings
through the same table, so what a student types meets what the spec declares.
"""
from __future__ import annotations

import unicodedata

#: combining marks read as accents, each with its slot among the private-use letters
MARKS = {"\u0302": 0, "\u0303": 1, "\u0304": 2, "\u030c": 3, "\u0307": 4, "\u0308": 5}
#: marks read as another one: the combining overline as the macron (x̅ is x̄)
MARK_ALIASES = {"\u0305": "\u0304"}
#: LaTeX accent commands and the mark each puts on its letter
LATEX_ACCENTS = {"hat": "\u0302", "widehat": "\u0302", "tilde": "\u0303", "widetilde": "\u0303",
                 "bar": "\u0304", "overline": "\u0304", "check": "\u030c", "dot": "\u0307", "ddot": "\u0308"}
#: the first private-use letter and the size of each mark's block: letters below U+03E0 (Latin, Greek) fit
ACCENTED = 0xE100
_BLOCK = 0x3E0


def accent(letter: str, mark: str) -> str | None:
    """The one character of `letter` with `mark` (a combining accent): the precomposed letter where Unicode
    has one, else a private-use one; None for what is not one plain letter (an accent on an accent, a digit)."""
    mark = MARK_ALIASES.get(mark, mark)
    if len(letter) != 1 or mark not in MARKS or not unicodedata.category(letter).startswith("L") \
            or is_accented(letter) or len(unicodedata.normalize("NFD", letter)) > 1:  # an accent on an accent
        return None
    composed = unicodedata.normalize("NFC", letter + mark)
    if len(composed) == 1:
        return composed
    if ord(letter) < _BLOCK:
        return chr(ACCENTED + MARKS[mark] * _BLOCK + ord(letter))
    return None


def is_accented(c: str) -> bool:
    """Is `c` a private-use accented letter (one `accent` made)?"""
    return len(c) == 1 and ACCENTED <= ord(c) < ACCENTED + len(MARKS) * _BLOCK


def accented_letter(c: str) -> bool:
    """Is `c` one letter with one of the accents read here (ŷ, ẋ, or a private-use h̃)?"""
    if is_accented(c):
        return True
    decomposed = unicodedata.normalize("NFD", c)
    return len(decomposed) == 2 and unicodedata.category(decomposed[0]).startswith("L") and \
        (decomposed[1] in MARKS or decomposed[1] in MARK_ALIASES)


def unaccent(text: str) -> str:
    """Canonical text as a person reads it: private-use accented letters back as letter + combining mark."""
    if not any(is_accented(c) for c in text):
        return text
    marks = {slot: mark for mark, slot in MARKS.items()}
    out = []
    for c in text:
        if is_accented(c):
            slot, code = divmod(ord(c) - ACCENTED, _BLOCK)
            out.append(chr(code) + marks[slot])
        else:
            out.append(c)
    return "".join(out)
