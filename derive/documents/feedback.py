r"""Feedback for a student: their own derivation typeset, each step marked, the first wrong one explained.

`feedback_document(data)` renders templates/feedback.tex.j2 (the solutions'
preamble, `preamble.tex.j2`) from the plain data of a steps report
(`derive.checking.readings.feedback_data`: the report's JSON, its links
grouped into the submission's chains, each side with the LaTeX of its
reading). `derive steps ... --pdf` compiles it with `pdf.compile_pdf`.

The student's text is hostile. What enters the document as LaTeX is our
printer's output for a side that was read, and only where `safe_math` finds
nothing in it but the math we print (an allowlist of commands, balanced
braces, no `^^`, no catcode or file commands); every other string (a side
that did not read, a stated reason, the file name, messages) is escaped by
the template's filters. A side shown as typed is cut at `MAX_RAW` characters.
"""
from __future__ import annotations

import re
from collections.abc import Iterator

from ..printing.texbreak import LETTER_PT, TEXTWIDTH_PT, fit, width
from .templating import render, texescape

MAX_RAW = 400  # characters of a side shown as typed
MAX_LATEX = 6000  # characters of a side's printed reading (a longer one is shown as typed)
MAX_POINT_ENTRIES = 16  # values of a counterexample's point shown
MAX_NOTE = 300  # characters of a message, a diagnosis or a stated reason
WIDE_LEAD = 24.0  # letters: a first side up to this wide is the left column (as in the solutions), a wider one
#                   opens the steps' column, the steps aligned under it
_TT_PT = 5.6  # the width of a \small\ttfamily character
_REASON_PT = 4.2  # the width of a \scriptsize character: a stated reason stands beside its = where it fits
MAX_REASON = 60  # characters of a stated reason

_MATH_WORDS = frozenset("""
    alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu nu xi pi varpi rho
    varrho sigma varsigma tau upsilon phi varphi chi psi omega Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi
    Psi Omega ell partial nabla infty
    frac dfrac tfrac sqrt sum prod left right big Big bigg Bigg limits nolimits displaystyle
    exp log ln sin cos tan tanh sinh cosh max min arg
    cdot times odot circ otimes top intercal prime dots ldots cdots
    neq leq geq le ge lt gt wedge vee in notin to
    hat bar tilde vec dot ddot overline underline mathbf mathrm mathit mathbb mathcal mathtt boldsymbol
    operatorname langle rangle lVert rVert lvert rvert vert Vert lbrace rbrace lfloor rfloor lceil rceil
    quad qquad
""".split())
_TEXT_WORDS = frozenset({"text", "textrm", "textit", "textsf", "texttt", "mbox"})
_SYMBOLS = frozenset({",", ";", ":", "!", " ", "|", "{", "}"})
_TOKEN = re.compile(r"\\[A-Za-z]+|\\.|.", re.S)
_PLAIN = re.compile(r"[A-Za-z0-9 +\-*/=()\[\]{}^_,.'|<>!:;\n\t]")
_TEXT_GROUP = re.compile(r"\s*\{[A-Za-z0-9 .,:'\-]*\}")


def safe_math(latex: str) -> bool:
    """Is `latex` nothing but math our printer writes: allowlisted commands, plain characters, balanced braces?
    (No `^^` character codes, no `#`, `%`, `&`, `~`, `$`, no row breaks, no environments.)"""
    if not latex or len(latex) > MAX_LATEX or "^^" in latex:
        return False
    depth = 0
    for m in _TOKEN.finditer(latex):
        token = m.group(0)
        name = token[1:]
        if token.startswith("\\") and name.isalpha():
            if name in _TEXT_WORDS:
                if not _TEXT_GROUP.match(latex, m.end()):
                    return False
            elif name not in _MATH_WORDS:
                return False
        elif token.startswith("\\"):
            if name not in _SYMBOLS:
                return False
        elif not _PLAIN.fullmatch(token):
            return False
        elif token == "{":
            depth += 1
        elif token == "}":
            depth -= 1
            if depth < 0:
                return False
    return depth == 0


def _chunks(text: str, size: int) -> list[str]:
    """`text` cut at `MAX_RAW` characters and into pieces of `size` (at a space where there is one nearby)."""
    text = " ".join(text.split())
    cut = len(text) > MAX_RAW
    text = text[:MAX_RAW]
    out = []
    while text:
        if len(text) <= size:
            out.append(text)
            break
        at = text.rfind(" ", size // 2, size)
        at = at if at > 0 else size
        out.append(text[:at])
        text = text[at:].lstrip()
    if cut:
        out[-1] += " …"
    return out


def _room(lead: float) -> float:
    """Letters of math beside a left column `lead` letters wide."""
    return max((TEXTWIDTH_PT - lead * LETTER_PT - 24.0) / LETTER_PT, 20.0)


def _side(side: dict, lead: str, lead_width: float) -> tuple[list[str], bool]:
    """A side as lines of math, or, where it was not read (or not safely printed), as pieces of the student's
    text (escaped by the template); and whether it is math."""
    latex = side.get("latex")
    if latex and safe_math(latex):
        return (fit(latex, lead) if lead else fit(latex)), True
    size = max(24, int(_room(lead_width) * LETTER_PT / _TT_PT))
    return _chunks(side["raw"], size) or [""], False


def _rows(lines: list[str], math: bool, first: str, tag: dict | None, left: str = "", reason: str | None = None
          ) -> list[dict]:
    """The align rows of one side: the first opens with `first` ("=", "phantom" or "") and carries the tag,
    the rest are indented."""
    return [{"kind": "row", "left": left if n == 0 else "", "opening": first if n == 0 else "indent",
             "reason": reason if n == 0 else None, "math": line if math else None,
             "typed": None if math else line, "tag": tag if n == 0 else None, "keep": n + 1 < len(lines)}
            for n, line in enumerate(lines)]


_LONG_WORD = re.compile(r"\S{41,}")


def _short(text: str | None, limit: int = MAX_NOTE) -> str:
    """`text` on one line, at most `limit` characters, and no word longer than a line can hold."""
    text = " ".join(str(text or "").split())
    text = _LONG_WORD.sub(lambda m: m.group(0)[:39] + "…", text)
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _sentence(text: str | None) -> str:
    """A message or a reason, shortened, without the full stop the template puts after it."""
    return _short(text).rstrip(".")


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


_NUMBER = re.compile(r"-?\d{1,40}(?:\.\d{1,40})?(?:/\d{1,40})?(?:e[+-]?\d{1,4})?")
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9]{0,15}")


def _value(value: object) -> str:
    """A value the checker printed, as math: a number (or `-1/3 ≈ -0.333`) as it is, anything else as text."""
    shown = str(value)
    numbers = shown.split(" ≈ ")
    if len(numbers) <= 2 and all(_NUMBER.fullmatch(n) for n in numbers):
        return r" \approx ".join(numbers)
    return rf"\text{{{texescape(_short(shown, 60))}}}"


def _name(name: str, entry: str = "") -> str:
    """A name of the checker's point (`x`, `n_x`, `w_hid`, `σ`) as math, with the entry it has (`1,2`)."""
    base, _, sub = name.partition("_")
    if _NAME.fullmatch(base) and (not sub or _NAME.fullmatch(sub)):
        shown = base if len(base) == 1 else rf"\mathit{{{base}}}"
        if sub:
            lower = sub if len(sub) == 1 else rf"\mathrm{{{sub}}}"
            shown = f"{{{shown}_{{{lower}}}}}"
    else:
        shown = rf"\text{{{texescape(_short(name, 30))}}}"
    return f"{shown}_{{{texescape(_short(entry, 20))}}}" if entry else shown


def point_items(point: dict) -> list[str]:
    """A counterexample's point as math items (`n = 3`, `x_{2} = -1/3`), at most `MAX_POINT_ENTRIES`."""
    items: list[str] = []
    for name, value in point.items():
        entries: Iterator = iter(value.items()) if isinstance(value, dict) else iter([(None, value)])
        for entry, number in entries:
            items.append(f"{_name(str(name), '' if entry is None else str(entry))} = {_value(number)}")
    if len(items) > MAX_POINT_ENTRIES:
        items = items[:MAX_POINT_ENTRIES] + [r"\ldots"]
    return items


_CONDITION = re.compile(r"([A-Za-z][A-Za-z0-9]{0,15}) (=|≠) ([A-Za-z][A-Za-z0-9]{0,15})")


def condition(text: str | None) -> str | None:
    """A link's condition (`i ≠ j`) as LaTeX: math where it is two names, escaped text otherwise."""
    if not text:
        return None
    found = _CONDITION.fullmatch(text)
    if found is None:
        return texescape(_short(text, 40))
    left, sign, right = found.groups()
    relation = "=" if sign == "=" else r"\neq"
    return f"${_name(left)} {relation} {_name(right)}$"


def _explanation(link: dict) -> dict:
    found = link.get("counterexample") or {}
    return {"point": point_items(found.get("point") or {}),
            "left_value": _value(found["left_value"]) if "left_value" in found else None,
            "right_value": _value(found["right_value"]) if "right_value" in found else None,
            "diagnosis": [_sentence(why) for why in link.get("diagnosis") or []],
            "message": _sentence(link.get("message"))}


def _width_pt(lines: list[str], math: bool) -> float:
    """The estimated width of a side's widest line, in points."""
    return max((width(line) * LETTER_PT if math else len(line) * _TT_PT) for line in lines)


def _under(row: dict, reason: str | None) -> dict | None:
    """What stands under a link's row: notes (a reason that does not fit beside its = sign, why the side was not
    read, why a later wrong step is wrong, which side it was judged from) and, under the first wrong link, the
    explanation."""
    link = row["link"]
    notes = [f"your reason: {reason}"] if reason is not None else []
    if link["verdict"] in ("unread", "undecided"):
        notes.append(_short(link.get("message")))
    elif link["verdict"] == "does_not_follow" and link.get("diagnosis") and not row.get("first_wrong"):
        notes.append(f"why: {_sentence(link['diagnosis'][0])}")
    if row.get("from_line") is not None:
        notes.append(f"judged from the side on line {row['from_line']}: the one before it was not read or not right")
    explanation = {"line": row["line"], **_explanation(link)} if row.get("first_wrong") else None
    return {"kind": "under", "notes": notes, "explanation": explanation} if notes or explanation else None


def _chain(chain: dict) -> dict:
    """A chain as the rows of one align*: its first side on a line of its own (the left column, or where it is
    wide, the first line of the steps' column), then a row for each link with its mark, and what stands under it
    (`_under`); what stands under the last row follows the display (`after`)."""
    first = chain["first"]
    latex = first.get("latex")
    narrow = bool(latex and safe_math(latex)) and width(latex) <= WIDE_LEAD
    lead = latex if narrow else ""
    same_line = bool(chain["rows"]) and chain["rows"][0]["line"] == first["line"]
    first_tag = None if same_line else {"line": first["line"], "verdict": None, "condition": None}
    if narrow:
        items = [{"kind": "row", "left": latex, "opening": "", "reason": None, "math": "", "typed": None,
                  "tag": first_tag, "keep": True}]
        column = width(latex) * LETTER_PT
    else:
        lines, math = _side(first, "", 0.0)
        items = _rows(lines, math, "phantom", first_tag)
        column = 0.0
    shown = [_side(row, lead, width(lead)) for row in chain["rows"]]
    widest = max([_width_pt(lines, math) for lines, math in shown], default=0.0) + 15.0
    # a stated reason stands left of its = sign: in the left column and the margin of the centred display
    room = column + max(0.0, (TEXTWIDTH_PT - column - widest) / 2) - 8.0
    for row, (lines, math) in zip(chain["rows"], shown):
        link = row["link"]
        reason = _short(link.get("reason"), MAX_REASON) if link.get("reason") else None
        beside = reason is not None and len(reason) * _REASON_PT < room
        items += _rows(lines, math, "=", {"line": row["line"], "verdict": link["verdict"],
                                          "condition": condition(link.get("condition"))},
                       reason=reason if beside else None)
        under = _under(row, None if beside else reason)
        if under is not None:
            items.append(under)
    lines_used = [first["line"]] + [row["line"] for row in chain["rows"]]
    after = items.pop() if items[-1]["kind"] == "under" else None  # under the last row: after the display
    return {"part": chain.get("part"), "items": items, "after": after, "lines": (min(lines_used), max(lines_used))}


def _final(final: dict | None, several_parts: bool) -> dict | None:
    if final is None:
        return None
    answer = final.get("student_latex")
    return {"verdict": final.get("verdict"), "part": final.get("part") if several_parts else None,
            "answer": fit(answer) if answer and safe_math(answer) else None,
            "message": _capital(_sentence(final.get("message"))),
            "diagnosis": [_sentence(why) for why in final.get("diagnosis") or []]}


def feedback_document(data: dict) -> str:
    """The LaTeX source of the feedback on one submission (see the module docstring)."""
    return render("feedback.tex.j2", title=data.get("title") or data["problem"], problem=data["problem"],
                  part=data.get("part"), source=_short(data.get("source"), 120),
                  several_parts=data.get("several_parts"),
                  chains=[_chain(chain) for chain in data["chains"]],
                  final=_final(data.get("final"), bool(data.get("several_parts"))),
                  summary=data["summary"])
