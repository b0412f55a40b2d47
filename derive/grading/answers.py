"""A student's answers file, as the autograder reads it: answers.json, answers.yaml or answers.md.

Each gives answers by `problem/part` id (a problem with one part may be named
alone):

    answers.json  {"softmax-jacobian/jacobian": "s_i(delta_ij - s_j)", ...}
                  (or nested: {"softmax-jacobian": {"jacobian": "..."}})
    answers.yaml  softmax-jacobian/jacobian: s_i(\\delta_{ij} - s_j)
                  one `key: answer` line per part; `key: |` and indented lines for a long one
    answers.md    ## softmax-jacobian/jacobian
                  the answer below its heading: a code block, $$...$$, one $...$ in a
                  sentence, or the text itself

The YAML reader is a small strict one, not a YAML library: an answer is taken
as written (quotes around it are removed, a backslash is kept: `"\\frac{1}{N}"`
stays LaTeX, where YAML would read `\\f` as a form feed), and a line that is not
`key: answer` is an error with its line number. The JSON reader forgives the
usual LaTeX slip of single backslashes (`"\\sigma_i"`, `"\\frac"`, `"\\theta"`): a
backslash that does not start a JSON escape is kept, and `\\f`, `\\t`, `\\n`, `\\r`,
`\\b` before a letter are read as the LaTeX commands they are, not as control
characters.

`read(path, problems)` gives the entries in file order; a file that cannot be
read at all raises `AnswersError` saying what is wrong and where. An entry
whose answer cannot be taken (two formulas under one heading) carries the
reason instead.
"""
from __future__ import annotations

import json
import re
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

from ..errors import DeriveError

NAMES = ("answers.json", "answers.yaml", "answers.md")
SUFFIXES = {".json": "json", ".yaml": "yaml", ".yml": "yaml", ".md": "md", ".markdown": "md"}
MAX_BYTES = 1_000_000
MAX_BODY = 5000  # characters under one Markdown heading (an answer itself is at most limits.MAX_LENGTH)
MAX_HEADING = 300  # characters of a line that may be a heading


class AnswersError(DeriveError):
    """An answers file that cannot be read: what is wrong, and where."""


@dataclass(frozen=True)
class Entry:
    """One answer of the file: its key as written, the answer text (None: left empty), its line."""

    key: str
    answer: str | None
    line: int | None = None
    fault: str | None = None  # why the answer cannot be taken as it stands

    @property
    def where(self) -> str:
        return f"line {self.line}" if self.line else ""


def kind_of(path: Path) -> str | None:
    """"json", "yaml" or "md" by the file's extension; None for another file."""
    return SUFFIXES.get(path.suffix.lower())


def read(path: Path, problems: Collection[str] = ()) -> list[Entry]:
    """The entries of an answers file (`problems`: the known problem ids, for a Markdown heading that
    names a one-part problem alone)."""
    kind = kind_of(path)
    if kind is None:
        raise AnswersError(f"{path.name}: not an answers file (.json, .yaml or .md)")
    raw = path.read_bytes()
    if len(raw) > MAX_BYTES:
        raise AnswersError(f"{path.name}: {len(raw)} bytes, more than an answers file holds "
                           f"({MAX_BYTES // 1000} kB at most)")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise AnswersError(f"{path.name}, line {line}: not UTF-8 text (byte {exc.start}); save the file as UTF-8") \
            from None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if kind == "json":
        return read_json(text, path.name)
    if kind == "yaml":
        return read_yaml(text, path.name)
    return read_markdown(text, problems)


# -- JSON --------------------------------------------------------------------------------------
_LONE_BACKSLASH = re.compile(r'\\\\|\\(?!["\\/bfnrt]|u[0-9a-fA-F]{4})')
_CONTROL = {"\x08": "b", "\x0c": "f", "\n": "n", "\r": "r", "\t": "t"}
_CONTROL_BEFORE_LETTER = re.compile("[\x08\x0c\n\r\t](?=[A-Za-z])")


def _latex_escapes(value: str) -> str:
    """`\\theta` written in JSON as "\\theta" (a tab and "heta"), back to LaTeX."""
    return _CONTROL_BEFORE_LETTER.sub(lambda m: "\\" + _CONTROL[m.group()], value)


def read_json(text: str, name: str = "answers.json") -> list[Entry]:
    kept = _LONE_BACKSLASH.sub(lambda m: m.group() if m.group() == "\\\\" else "\\\\", text)
    try:
        data = json.loads(kept, object_pairs_hook=lambda pairs: pairs)
    except json.JSONDecodeError as exc:
        raise AnswersError(f"{name}, line {exc.lineno}, column {exc.colno}: not valid JSON ({exc.msg})") from None
    if not isinstance(data, list) or (data and not isinstance(data[0], tuple)):
        raise AnswersError(f'{name}: expected one JSON object, {{"problem/part": "answer", ...}}')
    lines = _json_key_lines(text)
    entries = []
    for key, value in data:
        if isinstance(value, list) and all(isinstance(item, tuple) for item in value) and value:
            for part, inner in value:  # {"problem": {"part": "answer"}}
                full = f"{key}/{part}"
                entries.append(_json_entry(full, inner, lines.pop(part, None)))
            lines.pop(key, None)
            continue
        entries.append(_json_entry(key, value, lines.pop(key, None)))
    return entries


def _json_entry(key: str, value, line: int | None) -> Entry:
    if value is None or value == "" or value == []:
        return Entry(key, None, line)
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return Entry(key, None, line, "the answer must be text (a JSON string)")
    return Entry(key, _latex_escapes(str(value)).strip() or None, line)


def _json_key_lines(text: str) -> dict:
    """The line of each key's first occurrence (for messages; a best effort, not a parser)."""
    lines: dict = {}
    for match in re.finditer(r'"((?:[^"\\\n]|\\.)*)"\s*:', text):
        lines.setdefault(match.group(1), text.count("\n", 0, match.start()) + 1)
    return lines


# -- YAML (a strict subset) -----------------------------------------------------------------------
_BLOCK = re.compile(r"[|>][-+]?")


def read_yaml(text: str, name: str = "answers.yaml") -> list[Entry]:
    lines = text.split("\n")
    entries: list[Entry] = []
    number = 0

    def fault(line_no: int, what: str) -> AnswersError:
        return AnswersError(f"{name}, line {line_no}: {what}; each line is `problem/part: answer` "
                            f"(see the example in the assignment)")

    def indented_block(start: int, parent_indent: int) -> tuple[list[str], int]:
        """The lines after `start` indented deeper than `parent_indent` (blank lines inside kept)."""
        block, n = [], start
        while n < len(lines):
            line = lines[n]
            if line.strip() and _indent(line) <= parent_indent:
                break
            block.append(line)
            n += 1
        while block and not block[-1].strip():
            block.pop()
        return block, n

    def value_of(raw: str, line_no: int, follow: list[str]) -> str | None:
        """The answer of one `key: raw` line, with the deeper lines that follow it."""
        if _BLOCK.fullmatch(raw):
            body = _dedent(follow)
            return ("\n" if raw[0] == "|" else " ").join(body).strip() or None
        if raw[:1] in "\"'":
            quote = raw[0]
            end = raw.rfind(quote)
            rest = raw[end + 1:].strip() if end > 0 else ""
            if end <= 0 or (rest and not rest.startswith("#")):
                raise fault(line_no, f"the quote {quote} is not closed at the end of the line")
            inner = raw[1:end]
            if follow:
                raise fault(line_no + 1, "a quoted answer is one line")
            return (inner.replace("''", "'") if quote == "'" else inner).strip() or None
        plain = _strip_comment(raw)
        more = [_strip_comment(line).strip() for line in follow if line.strip()]
        joined = " ".join([plain, *more]).strip()
        return None if joined in ("", "~", "null") else joined

    while number < len(lines):
        line = lines[number]
        number += 1
        stripped = line.strip()
        if not stripped or stripped.startswith("#") or stripped in ("---", "..."):
            continue
        if _indent(line) > 0:
            raise fault(number, "an indented line that continues nothing")
        split = _key_and_value(line)
        if split is None:
            raise fault(number, f"expected `key: answer`, found {stripped[:40]!r}")
        (key, raw), line_no = split, number
        follow, number = indented_block(number, 0)
        if raw.strip() and not raw.strip().startswith("#"):
            entries.append(Entry(key, value_of(raw.strip(), line_no, follow), line_no))
            continue
        # `problem:` alone: a nested `part: answer` block, or an empty answer
        nested = [(line_no + 1 + k, text) for k, text in enumerate(follow)]
        if not any(text.strip() and not text.strip().startswith("#") for _, text in nested):
            entries.append(Entry(key, None, line_no))
            continue
        depth = min(_indent(text) for _, text in nested if text.strip() and not text.strip().startswith("#"))
        k = 0
        while k < len(nested):
            sub_no, text = nested[k]
            k += 1
            if not text.strip() or text.strip().startswith("#"):
                continue
            if _indent(text) != depth:
                raise fault(sub_no, "this line's indent does not match the part above it")
            sub = _key_and_value(text[depth:])
            if sub is None:
                raise fault(sub_no, f"expected `part: answer` under {key}:, found {text.strip()[:40]!r}")
            inner: list[str] = []
            while k < len(nested) and (not nested[k][1].strip() or _indent(nested[k][1]) > depth):
                inner.append(nested[k][1])
                k += 1
            while inner and not inner[-1].strip():
                inner.pop()
            part, sub_raw = sub[0], sub[1].strip()
            answer = value_of(sub_raw, sub_no, inner) if sub_raw and not sub_raw.startswith("#") else None
            entries.append(Entry(f"{key}/{part}", answer, sub_no))
    return entries


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


def _dedent(lines: list[str]) -> list[str]:
    depth = min((_indent(line) for line in lines if line.strip()), default=0)
    return [line[depth:] for line in lines]


def _key_and_value(line: str) -> tuple[str, str] | None:
    """`key: value` (the key bare or quoted) split at its colon; None for another kind of line."""
    text = line.strip()
    if not text or text[0] in "-#:":
        return None
    if text[0] in "\"'":
        end = text.find(text[0], 1)
        rest = text[end + 1:].lstrip() if end > 0 else ""
        if not rest.startswith(":") or not text[1:end].strip():
            return None
        return text[1:end].strip(), rest[1:]
    cut = text.find(":")
    return (text[:cut].strip(), text[cut + 1:]) if cut > 0 else None


def _strip_comment(value: str) -> str:
    """A plain YAML value without its ` # comment`."""
    cut = re.search(r"(^|\s)#", value)
    return value[:cut.start()].rstrip() if cut else value.rstrip()


# -- Markdown ---------------------------------------------------------------------------------------
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$")
_ID = re.compile(r"[A-Za-z0-9][\w.-]*(?:/[\w.-]+)?")
_COMMENT = re.compile(r"<!--.*?-->", re.S)
_DISPLAY = re.compile(r"\$\$(.+?)\$\$|\\\[(.+?)\\\]", re.S)
_INLINE = re.compile(r"(?<![\\$])\$(?!\$)(.+?)(?<![\\$])\$(?!\$)|\\\((.+?)\\\)", re.S)
_CODE = re.compile(r"(?<!`)`([^`\n]+)`(?!`)")


def heading_id(text: str, problems: Collection[str]) -> str | None:
    """The id a heading names (`## softmax-jacobian/jacobian`, `` ## `tanh-derivative` ``, `## (b) two-layer-l2/dW2`),
    or None for a heading of another kind (a title, "Notes")."""
    words = [word.strip("`*_:;,.()[]") for word in text.split()]
    ids = [w for w in words if _ID.fullmatch(w) and ("/" in w or w in problems)]
    return ids[0] if len(ids) == 1 else None


def read_markdown(text: str, problems: Collection[str] = ()) -> list[Entry]:
    """Each `## problem/part` heading's body is its answer; text before the first such heading, and
    under a heading of another kind, is not an answer."""
    entries: list[Entry] = []
    current: tuple[str, int] | None = None
    body: list[str] = []
    fence: str | None = None

    def close() -> None:
        if current is not None:
            answer, fault = answer_of(body)
            entries.append(Entry(current[0], answer, current[1], fault))

    for number, line in enumerate(text.split("\n"), start=1):
        opened = _FENCE.match(line)
        if fence is not None:
            if opened and opened.group(1)[0] == fence[0] and len(opened.group(1)) >= len(fence) \
                    and not line.strip()[len(opened.group(1)):].strip():
                fence = None
            body.append(line)
            continue
        if opened:
            fence = opened.group(1)
            body.append(line)
            continue
        heading = _HEADING.match(line) if len(line) <= MAX_HEADING else None
        if heading:
            close()
            key = heading_id(heading.group(2), problems)
            current = (key, number) if key else None
            body = []
            continue
        body.append(line)
    close()
    return entries


def answer_of(body: list[str]) -> tuple[str | None, str | None]:
    """The answer under a heading, and why it cannot be taken (None when it can)."""
    text = "\n".join(body).strip()
    if len(text) > MAX_BODY:
        return None, f"{len(text)} characters under the heading; an answer is at most {MAX_BODY}"
    text = _COMMENT.sub("", text).strip()
    if not text:
        return None, None
    fences = _fenced_blocks(text)
    if fences:
        if len(fences) > 1:
            return None, f"{len(fences)} code blocks under the heading; put the answer in one"
        return fences[0].strip() or None, None
    for pattern, what in ((_DISPLAY, "displayed formulas ($$...$$)"), (_INLINE, "formulas ($...$)"),
                          (_CODE, "code spans (`...`)")):
        found = [next(g for g in m.groups() if g is not None) for m in pattern.finditer(text)]
        if len(found) > 1:
            return None, f"{len(found)} {what} under the heading; write the answer as one"
        if found:
            return found[0].strip() or None, None
    return text, None


def _fenced_blocks(text: str) -> list[str]:
    blocks: list[str] = []
    lines: list[str] = []
    inside, fence = False, ""
    for line in text.split("\n"):
        opened = _FENCE.match(line)
        if not inside and opened:
            inside, fence, lines = True, opened.group(1), []
        elif inside and opened and opened.group(1)[0] == fence[0] and len(opened.group(1)) >= len(fence):
            inside = False
            blocks.append("\n".join(lines))
        elif inside:
            lines.append(line)
    if inside:
        blocks.append("\n".join(lines))
    return blocks
