r"""A whole derivation, link by link: does each side follow from the one before, and where does it go wrong?

`check_steps(spec, text, part)` reads the chains of a submission
(`derive.parsing.chains`), the student's own names (`definitions.py`), reads
each side (`sides.py`: derivatives pending, vectors and matrices at the part's
free indices) and judges each link `left = right` at random points of the
problem (`links.py`): both sides are valued at each point by one walk
(`pointwise.py`: sums as loops, definitions followed, each ∂f/∂v in forward
mode), in floats first and exactly or at 40 digits and more where it is to be
settled; two values are equal by the two-precision rule of `compare.settle`.
Index-free matrix steps that do not read so are judged with every dimension
1 (`sizeone.py`). A chain whose first side is a quantity the problem (or the
student) defines is read at that quantity's indices, and its first link is
judged against the definition (`restated.py`: rule "definition").

A link's verdict is `follows`, `follows_if` (it holds only where two free
indices of one range are equal or differ, only where a class label y_n = k or
≠, or only with every dimension 1), `does_not_follow` (with a counterexample
and a diagnosis), `unread` (the parse message; the next link is judged from the
last side that was read) or `undecided` (too few points with a value, or the
link's counted work spent). After a wrong step the next side is judged from
the last right one. The last side of the last chain that starts with the
part's target is then checked against the part's reference exactly as
`derive check` does.

A chain that starts with no part's target is judged in the part of the chain
before it. Chains that only state a case or a condition (`i = 1`, "when
$z_i = 0$") are skipped; the case the prose states ("off-diagonal", "if
$y_i \neq j$") turns a link that holds only in the other one into a wrong one,
and a literal index it fixes ("For $j = 1$:") is substituted. A link of a
chain the prose introduces as the student's own definition that differs from
the problem's is `unread`, not wrong. A teacher's notation header
(`% derive: z = p`) renames the student's names before reading.

The student's text is never evaluated: it is read by our parser only, within
the parser's limits (and `chains.MAX_FILE`). What a link may do is counted
work (`limits.LINK_WORK` units), and so is what the whole file may do
(`FILE_WORK`): the same verdicts on any machine. Wall clocks (a link's
`limits.LINK_SAFETY_FACTOR` and the file's `FILE_TIMEOUT_FACTOR` times the
timeout) are only a safety net, and say so when they are hit.
"""
from __future__ import annotations

import re
import time
from dataclasses import dataclass, field

import sympy as sp

from ..limits import DEFAULT_TIMEOUT, FILE_WORK
from ..parsing import ParseError, Vocabulary
from ..parsing.chains import Chain, Side, TooLarge, notation_header, read_chains, rename
from ..printing import text as show
from ..problem.concrete import bind
from ..problem.spec import D, Part, Spec
from . import sizeone
from .definitions import StudentName, define_names, dimension_names, is_definition, parameter_names
from .equation import _names_target
from .ladder import Result, check_part
from .links import (
    DOES_NOT_FOLLOW,
    FOLLOWS,
    FOLLOWS_IF,
    MARKS,
    UNDECIDED,
    UNREAD,
    VERDICTS,
    Link,
    Workspace,
    judge,
    link_points,
)
from .restated import Restatement, definition_words, not_the_definition, restated
from .sides import _notation, read_side, shown_name, target_named
from .sizeone import size_one

__all__ = ["DOES_NOT_FOLLOW", "FOLLOWS", "FOLLOWS_IF", "MARKS", "UNDECIDED", "UNREAD", "VERDICTS", "Link",
           "StepsReport", "Workspace", "check_chains", "check_steps", "judge", "link_points", "read_side", "render"]

FILE_TIMEOUT_FACTOR = 24  # a whole file's safety net: this many links' time limits (2 minutes at the default)


@dataclass
class StepsReport:
    """All links of a submission, the first wrong one, and the final answer's check."""

    problem: str
    part: str | None
    links: list[Link]
    final: Result | None = None
    lines: list[str] = field(default_factory=list, repr=False)  # the submission, for the text output
    definitions: list[StudentName] = field(default_factory=list)  # names the student defined ("Let g_i = ...")
    spec: Spec | None = field(default=None, repr=False)  # the problem as read: with the student's own names
    names: list = field(default_factory=list, repr=False)  # the renamings read with (header, dimensions, ...)

    @property
    def first_wrong(self) -> Link | None:
        return next((link for link in self.links if link.verdict == DOES_NOT_FOLLOW), None)

    def summary(self) -> dict:
        counts = {v: sum(link.verdict == v for link in self.links) for v in VERDICTS}
        judged = counts[FOLLOWS] + counts[FOLLOWS_IF] + counts[DOES_NOT_FOLLOW]
        return {"links": len(self.links), "judged": judged, **counts}

    @property
    def exit_code(self) -> int:
        """0: every judged link follows and the final answer is right; 1: a wrong link or answer; 3: undecided."""
        if self.first_wrong is not None or (self.final is not None and self.final.verdict == "not_equivalent"):
            return 1
        if any(link.verdict == UNDECIDED for link in self.links) or \
                (self.final is not None and self.final.verdict == "undecided"):
            return 3
        return 0

    def to_json(self) -> dict:
        first = self.first_wrong
        return {"problem": self.problem, "part": self.part, "links": [link.to_json() for link in self.links],
                "first_wrong": None if first is None else first.to_json(),
                "final": None if self.final is None else {k: v for k, v in self.final.to_json().items()
                                                          if k != "seconds"},  # as `derive check --json` prints it
                "summary": self.summary(),
                "definitions": [{"line": d.line, "name": d.text, "definition": d.body} for d in self.definitions]}


# -- a submission -----------------------------------------------------------------------------
def _starts_with_target(side: Side, spec: Spec, part: Part, names: list | None = None) -> bool:
    text = rename(side.text, names) if names else side.text
    if target_named(text, spec, part) is not None:
        return True
    if not isinstance(part.target, D):  # a target that is an expression (Σ_i v_i ∂σ_i/∂x_j), written out
        try:
            if read_side(text, spec, part) == part.target:
                return True
        except ParseError:
            pass
    try:
        return _names_target(_notation(text, spec), spec, part, Vocabulary.from_spec(spec, part), "auto")
    except (ParseError, ValueError, TypeError):
        return False


def assign(chains: list[Chain], spec: Spec, part: Part | None,
           names: list | None = None) -> list[tuple[Chain, Part, bool]]:
    """Each chain with the part it is judged in, and whether its first side is that part's target.

    With a part, every chain is judged in it. Without one, a chain goes to the
    part whose target its first side is; a chain that starts with no target
    goes to the part of the chain before it (or, before the first, after it).
    """
    if part is not None:
        return [(c, part, _starts_with_target(c.sides[0], spec, part, names)) for c in chains]
    matched: list[Part | None] = []
    for c in chains:
        matched.append(next((p for p in spec.parts if _starts_with_target(c.sides[0], spec, p, names)), None))
    if not any(matched):
        if len(spec.parts) != 1:
            return []
        matched = [spec.parts[0]] + matched[1:]
    out = []
    last = next(p for p in matched if p is not None)
    for c, p in zip(chains, matched):
        last = p or last
        out.append((c, last, p is not None))
    return out


_CONDITION = re.compile(r"(?:\b(?:when|if|whenever|unless|for|assuming|suppose|e\.g\.|i\.e\.)|e\.g\.)\s*:?\s*$",
                        re.I)


def _states_a_case(chain: Chain, spec: Spec) -> bool:
    """`i = 1`, `i = j`, "when $z_i = 0$": a case or a condition the student states, not a step."""
    if len(chain.sides) == 2 and _CONDITION.search(chain.before):
        return True
    letters = {str(i) for i in spec.index_range}
    return all(re.fullmatch(r"[A-Za-z]|\d{1,3}", side.text.strip()) for side in chain.sides) and \
        any(side.text.strip() in letters for side in chain.sides)


def check_chains(spec: Spec, chains: list[Chain], part: Part | None = None,
                 timeout: float = DEFAULT_TIMEOUT, names: list[tuple[str, str]] | None = None,
                 work: Workspace | None = None, defined: list[StudentName] | None = None) -> StepsReport:
    """Judge every link of `chains` (see the module docstring); `defined` are the names the student defined."""
    assigned = assign(chains, spec, part, names)
    if not assigned:
        raise ParseError(f"no chain starts with what a part of {spec.id} asks for "
                         f"({', '.join(show(p.target, spec) for p in spec.parts)}): name the part", None, "")
    work = work or Workspace()
    file_deadline = time.monotonic() + FILE_TIMEOUT_FACTOR * timeout
    links: list[Link] = []
    final: tuple[Side, Part, sp.Expr | None, str | None] | None = None
    final_chain, final_literal = chains[0], {}
    for chain, chain_part, is_target in assigned:
        if _states_a_case(chain, spec):
            continue
        last: tuple[Side, sp.Expr] | None = None
        good: tuple[Side, sp.Expr] | None = None  # the last side reached by a link that is not wrong
        literal = _literal_index(chain, spec)
        # a chain about a defined quantity (A_2 = max(0, Z_2) = ...) is read at the quantity's own indices
        restatement = None if is_target else restated(chain.sides[0].text, spec, chain_part, names)
        reading, judging = (spec, chain_part) if restatement is None else (restatement.reading, restatement.part)
        for k, side in enumerate(chain.sides):
            try:
                expr = read_side(side.text, reading, judging, names)
                for index, value in literal.items():  # not inside a sum that binds the same letter
                    expr = bind(expr, index, value)
                error = None
            except ParseError as exc:
                expr, error = None, exc
            if k == 0:
                last = good = (side, expr) if expr is not None else None
                first_error = error
                continue
            before = chain.sides[k - 1]
            link = Link(side.line, before.text, side.text, UNREAD, reason=side.reason, part=chain_part.id)
            late = _late(work, file_deadline, timeout)
            spent = late is not None
            late = late or ""
            at_one = None
            if restatement is not None and k == 1 and last is not None and not spent:
                student = next((d for d in defined or () if d.symbol == restatement.quantity), None)
                at_one = _definition_link(spec, restatement, expr, error, side, student, names, timeout, work)
                if at_one is not None and is_definition(chain) and at_one.verdict == DOES_NOT_FOLLOW:
                    at_one = _students_own(at_one, definition_words(spec, restatement, student))
                if at_one is not None:
                    at_one.line, at_one.left_latex, at_one.right_latex = side.line, before.text, side.text
                    at_one.reason, at_one.part = side.reason, chain_part.id
                    if expr is not None:
                        last = (side, expr)
                        good = last if at_one.verdict == FOLLOWS else good
            elif (error is not None or last is None) and not spent:
                at_one = _size_one_link(spec, chain_part, before, side, names, timeout, work)
            if at_one is not None:
                link = at_one
            elif spent and (error is not None or last is None):
                link.verdict = UNDECIDED
                link.message = late
            elif error is not None:
                link.message = f"this side does not read: {error}"
            elif last is None:
                link.message = f"the side before does not read: {first_error}"
                last = good = (side, expr)
            elif spent:
                link.verdict = UNDECIDED
                link.message = late
                last = good = (side, expr)
            else:
                judged = judge(spec, judging, last[1], expr, seed=spec.id, timeout=timeout, work=work)
                from_good = last is good  # a side that follows from a wrong one carries its error: not right
                if judged.verdict in (DOES_NOT_FOLLOW, FOLLOWS_IF) and good is not None and good is not last:
                    # after a wrong (or only conditionally right) step: a side that follows from the last right
                    # one was reached all the same (the wrong line was a slip), so only the wrong link is marked
                    again = judge(spec, judging, good[1], expr, seed=spec.id, timeout=timeout, work=work)
                    if again.verdict == FOLLOWS or (again.verdict == FOLLOWS_IF and judged.verdict == DOES_NOT_FOLLOW):
                        again.message += f"; judged from the last right side (line {good[0].line})"
                        judged, last, from_good = again, good, True
                if judged.verdict == FOLLOWS_IF and judged.condition and \
                        _stated_case(chain) == ("≠" not in judged.condition):  # the other case than the prose's
                    judged.verdict, judged.diagnosis = DOES_NOT_FOLLOW, [
                        f"holds only where {judged.condition}, but this chain is about the other case"]
                    judged.message = f"does not follow in the case the prose states: {judged.diagnosis[0]}"
                if judged.verdict == DOES_NOT_FOLLOW and is_definition(chain):
                    judged = _students_own(judged)
                judged.line, judged.left_latex, judged.right_latex = side.line, last[0].text, side.text
                judged.reason, judged.part = side.reason, chain_part.id
                link = judged
                last = (side, expr)
                if judged.verdict == FOLLOWS and from_good:
                    good = last  # the same tuple: `good is not last` means a link not surely right came between
            links.append(link)
        if is_target:
            conditions = [link.condition for link in links[len(links) - len(chain.sides) + 1:] if link.condition]
            final = (chain.sides[-1], chain_part, last[1] if last is not None and last[0] is chain.sides[-1]
                     else None, conditions[0] if conditions else None)
            final_chain, final_literal = chain, literal
    result = None
    if final is not None:
        side, final_part, final_expr, condition = final
        if "∂" not in side.text and "partial" not in side.text:
            answer = _notation(rename(side.text, names) if names else side.text, spec, final_part)
            result = check_part(spec, final_part, answer, timeout=timeout)
            if result.verdict == "not_equivalent" and condition and final_expr is not None and \
                    _stated_case(final_chain) == ("≠" in condition):
                _in_case(result, spec, final_part, final_expr, condition, timeout, work)
            if final_literal and final_expr is not None:  # "for i = 1": the answer at that entry
                _as_read(result, spec, final_part, final_expr, timeout, work, final_literal)
            elif result.verdict == "invalid" and final_expr is not None:
                _as_read(result, spec, final_part, final_expr, timeout, work)
    return StepsReport(spec.id, None if part is None else part.id, links, result)


def _definition_link(spec: Spec, restatement: Restatement, right: sp.Expr | None, error: ParseError | None,
                     side: Side, student: StudentName | None, names, timeout: float,
                     work: Workspace) -> Link | None:
    r"""The first link of a chain about a defined quantity: the definition restated (`follows`, rule
    "definition") or not (`does_not_follow`: "this is not the problem's definition of A2 (...)"). A side that
    does not read at the quantity's indices is judged with every dimension 1 and the problem's definitions
    (`A_2 = \max(0, X)`: X has other dimensions than A2); None when it does not read so either."""
    wrong = not_the_definition(spec, restatement, student)
    if right is None:
        one = size_one(spec)
        try:
            value, how = sizeone.read(rename(side.text, names) if names else side.text, spec)
        except ParseError:
            return None
        if how != sizeone.SHOWN:
            return None
        scalar = one.scalars.get(restatement.quantity, restatement.quantity)
        judged = judge(one.defined, restatement.part, scalar, value, seed=f"{spec.id}/size one", timeout=timeout,
                       work=work)
        if judged.verdict == FOLLOWS:
            judged.verdict, judged.condition = FOLLOWS_IF, sizeone.CONDITION
            judged.message = (f"the definition ({definition_words(spec, restatement, student)}) with every "
                              "dimension 1 (each matrix a number); order and transposes are not seen")
        elif judged.verdict == DOES_NOT_FOLLOW:
            judged.diagnosis[:0] = [wrong] + ([str(error)] if error is not None else [])  # the shapes do not match
            judged.message = f"does not follow: {wrong}; with every dimension 1 (each matrix a number): " + \
                judged.message.removeprefix("does not follow: ")
        return judged
    judged = judge(spec, restatement.part, restatement.entry, right, seed=spec.id, timeout=timeout, work=work)
    if judged.verdict == FOLLOWS and judged.message != "the same expression":
        judged.rule = "definition"
        judged.message = f"the definition: {definition_words(spec, restatement, student)}" + \
            ("" if student is not None else " (the problem's)")
    elif judged.verdict == DOES_NOT_FOLLOW:
        judged.diagnosis[:0] = [wrong]
        judged.message = f"does not follow: {wrong}: " + judged.message.removeprefix("does not follow: ")
    return judged


def _students_own(judged: Link, definition: str | None = None) -> Link:
    """A link of a chain the prose introduces as the student's own definition ("Let", "Given", ":=") that
    differs from the problem's: the student's notation, not judged."""
    theirs = f" ({definition})" if definition else ""
    return Link(judged.line, judged.left_latex, judged.right_latex, UNREAD, reason=judged.reason,
                message=f"a definition of the student's own (\"Given ...\", \"Let ...\") that differs from the "
                        f"problem's{theirs}: read as the student's notation, not judged", part=judged.part)


def _late(work: Workspace, deadline: float, timeout: float) -> str | None:
    """Why the file's links are no longer judged (its work spent, or the safety time limit hit); None while
    they are."""
    if work.used > FILE_WORK:
        return f"not judged: the whole file's work budget ({FILE_WORK:,} units) is spent"
    if time.monotonic() > deadline:
        return f"not judged: the whole file's safety time limit ({FILE_TIMEOUT_FACTOR * timeout:g} s) was hit"
    return None


def _size_one_link(spec: Spec, part: Part, before: Side, side: Side, names, timeout: float,
                   work: Workspace) -> Link | None:
    """The link between two index-free matrix sides, judged with every dimension 1 (`sizeone.py`); None when
    either side does not read so."""
    try:
        (left, how), (right, how_right) = (sizeone.read(rename(s.text, names) if names else s.text, spec)
                                           for s in (before, side))
    except ParseError:
        return None
    if how != how_right:
        return None  # a chain rule of names on one side, what they are on the other: no size-one reading
    one = size_one(spec)
    judging = one.chained if how == sizeone.CHAIN else one.judging
    seed = f"{spec.id}/size one"
    judged = judge(judging, part, left, right, seed=seed, timeout=timeout, work=work)
    rule = " as a chain rule" if how == sizeone.CHAIN else ""
    if judged.verdict == FOLLOWS:
        judged.verdict, judged.condition = FOLLOWS_IF, sizeone.CONDITION
        judged.message = (f"holds{rule} with every dimension 1 (each matrix a number); order and transposes are "
                          "not seen")
    elif judged.verdict == DOES_NOT_FOLLOW:
        judged.message = f"with every dimension 1 (each matrix a number){rule}: " + judged.message
        judged.diagnosis[:0] = sizeone.chain_words(spec, left, right) if how == sizeone.CHAIN else \
            _derivative_for_function(one.judging, part, left, right, seed, timeout, work)
    judged.line, judged.left_latex, judged.right_latex = side.line, before.text, side.text
    judged.reason, judged.part = side.reason, part.id
    return judged


def _derivative_for_function(spec: Spec, part: Part, left, right, seed: str, timeout: float,
                             work: Workspace) -> list[str]:
    """["φ where φ' belongs"] when the right side with φ' for φ (or φ for φ') follows."""
    found = []
    for func, info in spec.functions.items():
        if info.derivative is None:
            continue
        for wrote, meant in ((func, info.derivative), (info.derivative, func)):
            if right.has(wrote) and judge(spec, part, left, right.replace(wrote, meant), seed=seed,
                                          timeout=timeout, work=work).verdict == FOLLOWS:
                found.append(f"{shown_name(spec, wrote)} where {shown_name(spec, meant)} belongs")
    return found


_LITERAL = re.compile(r"(?:\bfor|\bwith|\bwhen|\bif|\btake|\blet|e\.g\.|i\.e\.)[^$\n]{0,30}?\$?\s*"
                      r"([A-Za-z])\s*=\s*(\d{1,3})\s*\$?\s*:?\s*$", re.I)


def _literal_index(chain: Chain, spec: Spec) -> dict:
    """{i: 1} when the prose just before the chain fixes one of the problem's index letters ("for $i = 1$:")."""
    found = _LITERAL.search(chain.context.rstrip().rsplit("\n\n", 1)[-1][-200:])
    if found is None:
        return {}
    index = next((i for i in spec.index_range if str(i) == found.group(1)), None)
    return {} if index is None else {index: sp.Integer(int(found.group(2)))}


_OFF_DIAGONAL = re.compile(r"off[- ]?diagonal|\\neq?(?![A-Za-z])|≠|!=", re.I)
_NAME_OR_INDEX = r"[A-Za-z](?:_[A-Za-z]|_\{[A-Za-z]{1,3}\})?"
#: "Diagonal entries", "if $y_n = k$", "when $i = j$": the case where two indices (or a label and an index) agree
_DIAGONAL = re.compile(rf"diagonal|\$\s*{_NAME_OR_INDEX}\s*=\s*{_NAME_OR_INDEX}\s*\$", re.I)


def _stated_case(chain: Chain) -> bool | None:
    """The case the prose just before a chain states: True off the diagonal ("Off-diagonal", "i ≠ j"), False on
    it ("Diagonal entries"), None when it states none."""
    paragraph = chain.context.rsplit("\n\n\n", 1)[-1][-300:]
    off = [m.end() for m in _OFF_DIAGONAL.finditer(paragraph)]
    on = [m.end() for m in _DIAGONAL.finditer(paragraph)
          if not paragraph[:m.start()].lower().endswith(("off-", "off "))]
    if not off and not on:
        return None
    return max(off, default=-1) >= max(on, default=-1)


def _as_read(result: Result, spec: Spec, part: Part, final: sp.Expr, timeout: float, work: Workspace,
             literal: dict | None = None) -> None:
    """A last side that the steps reader reads and `check` does not (`[-t_1/p_1, …, -t_n/p_n]`, a vector by its
    entries), or one of a chain about one entry ("for i = 1"): judged against the reference as a link is."""
    literal = literal or {}
    judged = judge(spec, part, part.reference.xreplace(literal), final, seed=f"{spec.id}/{part.id}/final",
                   timeout=timeout, work=work)
    if judged.verdict == FOLLOWS:
        where = ", ".join(f"{shown_name(spec, i)} = {v}" for i, v in literal.items())
        result.verdict = "equivalent"
        result.message = f"equivalent to the reference where {where}" if literal else \
            "equivalent to the reference (read entry by entry)"
    elif judged.verdict == DOES_NOT_FOLLOW:
        result.verdict, result.diagnosis = "not_equivalent", judged.diagnosis
        result.message = "not equivalent to the reference: " + judged.message.removeprefix("does not follow: ")
        result.counterexample = judged.counterexample
    else:
        return
    result.detail = None


def _in_case(result: Result, spec: Spec, part: Part, final: sp.Expr, condition: str, timeout: float,
             work: Workspace) -> None:
    """A chain that derives one case (its links hold only where i ≠ j): its answer is right if it equals the
    reference in that case."""
    judged = judge(spec, part, part.reference, final, seed=f"{spec.id}/{part.id}/final", timeout=timeout,
                   work=work)
    if judged.verdict == FOLLOWS_IF and judged.condition == condition:
        result.verdict, result.counterexample, result.diagnosis = "equivalent", None, []
        result.message = f"equivalent to the reference where {condition} (the case this chain derives)"


def check_steps(spec: Spec, text: str, part: Part | None = None, timeout: float = DEFAULT_TIMEOUT) -> StepsReport:
    """Read a submission's chains and judge every link; ParseError when the file has none."""
    names, body = notation_header(text)
    try:
        chains = read_chains(body)
    except TooLarge as exc:
        raise ParseError(str(exc), None, "") from None
    if not chains:
        raise ParseError("no chain of equalities found in the file", None, "")
    names = names + dimension_names(spec, chains)
    work = Workspace()
    names = names + parameter_names(spec, chains, part, lambda t, s, p: read_side(t, s, p, names),
                                    lambda s, p, a, b: judge(s, p, a, b, seed="names", timeout=timeout,
                                                             work=work).verdict == FOLLOWS)
    spec, defined, only = define_names(spec, chains, part, lambda t, s, p: read_side(t, s, p, names))
    steps = []
    for n, chain in enumerate(chains):
        if n in only:
            continue
        if any(d.line == chain.sides[0].line and d.text == chain.sides[0].text for d in defined):
            chain = Chain(chain.sides[1:], chain.before, chain.context)  # `h := a = b`: the steps start at a
        steps.append(chain)
    if not steps:
        raise ParseError("the file only defines names: no chain of equalities to judge", None, "")
    report = check_chains(spec, steps, part, timeout, names, work, defined)
    report.lines = text.splitlines()
    report.definitions, report.spec, report.names = defined, spec, names
    return report


def render(report: StepsReport) -> str:
    """The text output: each link's line of the submission with its mark, and under the first ✗ why."""
    out = [f"{d.line:4d}  {'def':<10} {d.text} := {d.body}" for d in report.definitions]
    first = report.first_wrong
    for link in report.links:
        mark = MARKS[link.verdict] + (f" {link.condition}" if link.condition else "")
        out.append(f"{link.line:4d}  {mark:<10} {link.left_latex}  =  {link.right_latex}")
        if link.reason:
            out.append(f"      {'':<10} (stated reason: {link.reason})")
        if link.verdict == UNREAD or link.rule:  # why it is not read; "the definition: A2_nj = relu(Z2_nj) ..."
            out.append(f"      {'':<10} {link.message}")
        if link is first:
            if link.counterexample:
                point = ", ".join(f"{k}={v}" for k, v in link.counterexample["point"].items())
                out.append(f"      {'':<10} first wrong step: at {point}")
                out.append(f"      {'':<10} the left side is {link.counterexample['left_value']}, "
                           f"the right side {link.counterexample['right_value']}")
            for why in link.diagnosis:
                out.append(f"      {'':<10} {why}")
    summary = report.summary()
    out.append("")
    out.append(f"{summary['links']} links: {summary['follows']} ✓, {summary['follows_if']} ✓ if, "
               f"{summary['does_not_follow']} ✗, {summary['unread']} unread, {summary['undecided']} undecided")
    if report.final is not None:
        out.append(f"final answer ({report.final.part}): {report.final.message}")
    else:
        out.append("final answer: not checked (no chain ends with an answer to a part)")
    return "\n".join(out)
