"""One link `left = right` of a derivation, judged at random points of the problem.

`judge(spec, part, left, right, seed, work=...)` values both sides at points
of the problem (`link_points`: POINTS with the free indices distinct and
POINTS with them tied where two share a range) with `pointwise.Evaluation`:

* first in floats, at every point: fast, and enough to see two sides apart;
* then exactly, or at 40 digits and more, where floats do not tie or cannot
  say, and at one point of every group that tied in floats: two values are
  equal by the two-precision rule of `compare.settle` (`settle` here, with
  the values a side takes at each precision), never by a tolerance.

A link's verdict is `follows`, `follows_if` (only where two free indices are
equal or differ, or where a class label y_n = k or ≠), `does_not_follow`
(with a counterexample and a diagnosis) or `undecided` (too few points with
a value, or the link's work budget spent). What decides "undecided" is
counted work (`limits.Budget`, LINK_WORK units a link): the same on any
machine, whatever its load. A wall clock of LINK_SAFETY_FACTOR times the
check's timeout remains only as a safety net, and says so when it is hit.

A `Workspace` is what one file's checking keeps across its links: the
points of each set (seeded by the problem, the free indices and the kind of
set, so they depend only on the input) and, at each point, the values of
definitions, derivatives and sides already found. Nothing is kept from one
file to the next, so the work a link spends depends only on its file.
"""
from __future__ import annotations

import random
import time
from dataclasses import asdict, dataclass, field
from fractions import Fraction

import mpmath
import sympy as sp

from ..limits import DEFAULT_TIMEOUT, LINK_SAFETY_FACTOR, LINK_WORK, Budget, OutOfWork, Timeout, WallClock
from ..printing import text
from ..problem.conditions import Coverage, missing_words, required
from ..problem.sampling import STAND_INS, Point, spec_point
from ..problem.spec import D, Part, Spec
from .compare import JUMP, MIN_POINTS, Comparison, counterexample, digits_apart, two_precisions
from .cover import cover
from .diagnose import _factor_words, _simple
from .evaluate import OnJump, Undefined
from .numbers import as_mp
from .pointwise import FLOAT, Evaluation, PointState, Unsure
from .sides import shown_name

FOLLOWS, FOLLOWS_IF, DOES_NOT_FOLLOW, UNREAD, UNDECIDED = (
    "follows", "follows_if", "does_not_follow", "unread", "undecided")
VERDICTS = (FOLLOWS, FOLLOWS_IF, DOES_NOT_FOLLOW, UNREAD, UNDECIDED)
MARKS = {FOLLOWS: "✓", FOLLOWS_IF: "✓ if", DOES_NOT_FOLLOW: "✗", UNREAD: "?", UNDECIDED: "?"}
SIZES = (2, 3)  # dimensions at a link's points
POINTS = 4  # points of each kind (indices tied, untied)
TIE = 1e-9  # floats this close (relatively) tie: the point is settled exactly if it must be


@dataclass
class Link:
    """The verdict on one link `left = right` of a chain; `line` is where the right side begins."""

    line: int
    left_latex: str
    right_latex: str
    verdict: str
    condition: str | None = None
    reason: str | None = None  # the student's stated reason (\stackrel{...}{=})
    counterexample: dict | None = None
    diagnosis: list = field(default_factory=list)
    message: str = ""
    rule: str | None = None  # what makes a link follow other than a computation: "definition"
    part: str | None = field(default=None, repr=False)

    def to_json(self) -> dict:
        data = asdict(self)
        data.pop("part")
        return data


# -- points -----------------------------------------------------------------------------
_COVERED: dict = {}


def covered_points(spec: Spec, free: list, seed: str) -> tuple[list[Point], Coverage]:
    """`link_points`, and more until each side of each condition of the problem's definitions has shown
    (`cover`: a ReLU's pre-activation negative somewhere, a hinge's margin on both sides), with what they
    showed. They depend only on the spec, the free indices and the seed, so they are kept (per spec object)
    for every file; the work a link counts is spent on its own values, not on these."""
    key = (id(spec), tuple(free), seed)
    hit = _COVERED.get(key)
    if hit is None or hit[0] is not spec:
        seeded = f"{seed}/{','.join(map(str, free))}"
        more = random.Random(f"{seeded}/more")
        generics = list(STAND_INS)
        tied = bool(tie_pairs(spec, free))

        def draw(n: int) -> Point:
            return spec_point(spec, free, more, tied and n % 2 == 1, generics[n % len(generics)], sizes=SIZES,
                              wide=n % 2 == 0, hot=n % 2 == 1)
        points, coverage = cover(spec, [d.lhs for d in spec.definitions.values()],
                                 link_points(spec, free, seeded), draw, whole=False)
        if len(_COVERED) >= 256:
            _COVERED.clear()
        hit = _COVERED[key] = (spec, points, coverage)
    return hit[1], hit[2]


def free_indices(spec: Spec, *exprs: sp.Expr) -> list:
    found: set = set()
    for e in exprs:
        found |= {s for s in e.free_symbols if s in spec.index_range}
    return sorted(found, key=str)


def tie_pairs(spec: Spec, free: list) -> list[tuple]:
    return [(a, b) for n, a in enumerate(free) for b in free[n + 1:] if spec.index_range[a] == spec.index_range[b]]


def link_points(spec: Spec, free: list, seed: str, deadline: float | None = None) -> list[Point]:
    """POINTS points with the free indices distinct, and POINTS more with them tied when two share a range (or
    POINTS + 2 where none do); each with its own sizes and the stand-in functions in turn."""
    rng = random.Random(seed)
    generics = list(STAND_INS)
    kinds = (False, True) if tie_pairs(spec, free) else (False,)
    return [spec_point(spec, free, rng, tie, generics[n % len(generics)], deadline=deadline, sizes=SIZES,
                       hot=n % 2 == 1) for tie in kinds for n in range(POINTS if len(kinds) == 2 else POINTS + 2)]


class Workspace:
    """What one file's checking keeps across its links (see the module docstring); `used` is the work spent."""

    def __init__(self) -> None:
        self._points: dict = {}
        self._coverage: dict = {}
        self._specs: list[Spec] = []  # kept alive: the point sets are found by the spec's id
        self.used = 0

    def points(self, spec: Spec, free: list, seed: str, budget: Budget) -> list[PointState]:
        """A set of points (`covered_points`), with what this file learns at each."""
        key = (id(spec), tuple(free), seed)
        found = self._points.get(key)
        if found is None:
            points, coverage = covered_points(spec, free, seed)
            found = []
            for point in points:
                budget.spend(1 + len(point.values))  # a point drawn: one unit an entry
                found.append(PointState(spec, point))
            self._points[key] = found
            self._coverage[key] = coverage
            self._specs.append(spec)
        return found

    def unseen(self, spec: Spec, free: list, seed: str, exprs: list) -> str:
        """The conditions `exprs` read (through the definitions) whose sides the points of this set did not
        all show, in words ("" when there are none)."""
        coverage = self._coverage.get((id(spec), tuple(free), seed))
        if coverage is None or not coverage.missing():
            return ""
        wanted = required(spec, exprs)
        missing = Coverage({node: sides for node, sides in coverage.required.items() if node in wanted},
                           coverage.seen)
        return missing_words(missing, lambda e: text(e, spec)) if missing.missing() else ""

    def value(self, expr: sp.Expr, state: PointState, dps: int | None, budget: Budget, strict: bool = True):
        """`expr` at a point in one arithmetic: a number, None where it has no value, JUMP on a jump, or (in
        floats only) UNSURE where floats cannot say; remembered for the point, with the work it took.
        `strict`: a reference (the side a link starts from), undefined on the jumps of its conditions;
        otherwise the side a student wrote next, exact at its own thresholds ([0 >= 0] = 1). One walk serves
        both: it goes on past a threshold and says whether it met one (a side is the right of one link and
        the left of the next)."""
        key = (dps, expr)
        found = state.sides.get(key)
        if found is None:
            before = budget.used
            evaluation = Evaluation(state, dps, budget, strict=False)
            try:
                value = evaluation.value(expr)
            except OnJump:
                value = JUMP
            except Undefined:
                value = _NONE
            except Unsure:
                value = UNSURE
            found = state.sides[key] = (value, evaluation.tied)
            state.costs[key] = budget.used - before
        value, tied = found
        if strict and tied and value is not UNSURE:
            return JUMP
        return None if value is _NONE else value

    @staticmethod
    def cost(expr: sp.Expr, state: PointState) -> int:
        """The work `expr` took in floats at this point (what it will take, roughly, at a precision)."""
        return state.costs.get((FLOAT, expr), 0)


_NONE, UNSURE = object(), object()  # no value (kept as such: None is a miss); floats cannot say


def _finite(value) -> bool:
    return isinstance(value, (int, float)) and value == value and abs(value) != float("inf")


def _ties(a, b) -> bool:
    return _finite(a) and _finite(b) and (a == b or abs(a - b) <= TIE * max(abs(a), abs(b)))


def _exact(value) -> bool:
    return isinstance(value, (int, Fraction))


def settle(value_at, va, vb) -> bool:
    """Are two defined values equal (as `compare.settle` decides)? Exact ones compare exactly; others by the
    two-precision rule (`compare.two_precisions`; `value_at(dps)` gives both)."""
    if _exact(va) and _exact(vb):
        return va == vb
    return two_precisions(value_at, va, vb)


class _Pair:
    """Two expressions at one point: their values at each precision, as `settle` asks for them."""

    def __init__(self, work: Workspace, a, b, state: PointState, budget: Budget):
        self.work, self.a, self.b, self.state, self.budget = work, a, b, state, budget

    def __call__(self, dps: int | None) -> tuple:
        """The values of `a`, the reference (a link's left side), and `b`, the answer (its right side)."""
        return (self.work.value(self.a, self.state, dps, self.budget),
                self.work.value(self.b, self.state, dps, self.budget, strict=False))


def compare_at(work: Workspace, a, b, states: list[PointState], budget: Budget) -> Comparison:
    """`a` against `b` at each point (as `compare.compare` decides): floats first; a point where they do not
    tie, or cannot say, is valued at 40 digits and settled; where every point ties in floats, one is settled.
    The witness is (point state, value of a, value of b)."""
    used, one_sided, tied, settled = 0, [], [], 0
    for state in states:
        pair = _Pair(work, a, b, state, budget)
        fa, fb = pair(FLOAT)
        if fa is None and fb is None:
            continue
        if _ties(fa, fb):
            used += 1
            tied.append(pair)
            continue
        va, vb = pair(40)
        if (va is None and vb is None) or va is JUMP:  # only the reference's jumps leave a point out
            continue
        if va is None or vb is None:
            one_sided.append((state, va, vb))
            continue
        used += 1
        if not settle(pair, va, vb):
            return Comparison(False, used, (state, va, vb), False)
        settled += 1
    if len(one_sided) >= 2 or (one_sided and used < MIN_POINTS):
        return Comparison(False, used, one_sided[0], False)
    if used < MIN_POINTS:
        return Comparison(None, used)
    if not settled:  # every point tied in floats: one settles what floats cannot see (1 + 10⁻²⁰ against 1)
        pair = min(tied, key=lambda p: work.cost(a, p.state) + work.cost(b, p.state))  # the first of the cheapest
        va, vb = pair(40)
        if va is not JUMP and (va is None or vb is None or not settle(pair, va, vb)):
            return Comparison(False, used, (pair.state, va, vb), False)
    return Comparison(True, used, None, False)


def precise_values(work: Workspace, a, b, states: list[PointState], budget: Budget) -> list:
    """(point, None, None, value of a, value of b) at 40 digits at every point (for the diagnosis)."""
    out: list = []
    for state in states:
        va, vb = _Pair(work, a, b, state, budget)(40)
        out.append(None if va is None or vb is None else (state.point, None, None, va, vb))
    return out


# -- a link --------------------------------------------------------------------------------
def judge(spec: Spec, part: Part, left: sp.Expr, right: sp.Expr, seed: str,
          timeout: float = DEFAULT_TIMEOUT, work: Workspace | None = None) -> Link:
    """The verdict on `left = right` (line and texts left empty for the caller)."""
    link = Link(0, "", "", UNDECIDED)
    work = work or Workspace()
    if left - right == 0:
        link.verdict, link.message = FOLLOWS, "the same expression"
        return link
    budget = Budget(LINK_WORK, time.monotonic() + LINK_SAFETY_FACTOR * timeout)
    free = free_indices(spec, left, right)
    try:
        states = work.points(spec, free, seed, budget)
        pairs = tie_pairs(spec, free)
        if pairs:
            a, b = pairs[0]
            tied = [s for s in states if s.point.indices[a] == s.point.indices[b]]
            untied = [s for s in states if s not in tied]
            on = compare_at(work, left, right, tied, budget)
            off = compare_at(work, left, right, untied, budget)
            if on.equal and off.equal:
                link.verdict, link.message = FOLLOWS, "equal at every point"
            elif on.equal and off.equal is False:
                link.verdict, link.condition = FOLLOWS_IF, f"{shown_name(spec, a)} = {shown_name(spec, b)}"
                link.message = f"holds only where {link.condition}"
            elif off.equal and on.equal is False:
                link.verdict, link.condition = FOLLOWS_IF, f"{shown_name(spec, a)} ≠ {shown_name(spec, b)}"
                link.message = f"holds only where {link.condition}"
            elif on.equal is False or off.equal is False:
                wrong = off if off.equal is False else on
                values = precise_values(work, left, right, untied, budget) if wrong is off else []
                _wrong(link, spec, wrong, left, right, values, work, budget)
                link.diagnosis[:0] = _known_mistakes(spec, part, right, states, work, budget)
            else:
                link.message = "too few points where both sides have a value"
            return link
        outcome = compare_at(work, left, right, states, budget)
        if outcome.equal:
            link.verdict, link.message = FOLLOWS, "equal at every point"
        elif outcome.equal is False and (case := _label_case(spec, work, left, right, free, seed, budget)):
            link.verdict, link.condition = FOLLOWS_IF, case
            link.message = f"holds only where {case}"
        elif outcome.equal is False:
            _wrong(link, spec, outcome, left, right, precise_values(work, left, right, states, budget), work,
                   budget)
            link.diagnosis[:0] = _known_mistakes(spec, part, right, states, work, budget)
        else:
            link.message = "too few points where both sides have a value"
        if link.verdict in (FOLLOWS, FOLLOWS_IF) and (unseen := work.unseen(spec, free, seed, [left, right])):
            link.verdict, link.condition = UNDECIDED, None  # agreeing on one side of a kink is no verdict
            link.message = f"the sides agree at every point, but the points never showed each side of {unseen}"
    except OutOfWork:
        link.verdict, link.diagnosis, link.counterexample = UNDECIDED, [], None
        link.message = f"no verdict within the work budget of a link ({LINK_WORK:,} units)"
    except WallClock:
        link.verdict, link.diagnosis, link.counterexample = UNDECIDED, [], None
        link.message = (f"no verdict: the safety time limit was hit ({LINK_SAFETY_FACTOR * timeout:g} s), "
                        "before the work budget ran out")
    except Timeout:
        link.verdict, link.message = UNDECIDED, "no verdict within the limits"
    except (ValueError, TypeError, ArithmeticError, RecursionError, Undefined) as exc:  # a bug of ours: no verdict
        link.verdict, link.message = UNDECIDED, f"cannot evaluate this link ({type(exc).__name__})"
    finally:
        work.used += budget.used
    return link


def _label_case(spec: Spec, work: Workspace, left, right, free: list, seed: str, budget: Budget) -> str | None:
    """Where a one-hot Δ_nk = [k = y_n] encodes class labels y: "y_n = k" when the link holds exactly at the
    points where Δ_nk = 1 (the true class), "y_n ≠ k" when exactly where it is 0; None otherwise."""
    for base, label in spec.labels.items():
        slots = []
        for dim in spec.shapes[base]:
            fits = [i for i in free if spec.index_range[i] == dim]
            if len(fits) != 1:
                break
            slots.append(fits[0])
        else:
            states = [s for k in range(3) for s in work.points(spec, free, f"{seed}/label/{k}", budget)]
            hot = [s for s in states if s.point.values.get((base, tuple(s.point.indices[i] for i in slots))) == 1]
            cold = [s for s in states if s not in hot]
            on, off = (compare_at(work, left, right, group, budget) for group in (hot, cold))
            where = f"{label}_{''.join(shown_name(spec, i) for i in slots[:-1])}"
            if on.equal and off.equal is False:
                return f"{where} = {shown_name(spec, slots[-1])}"
            if off.equal and on.equal is False:
                return f"{where} ≠ {shown_name(spec, slots[-1])}"
    return None


def _wrong(link: Link, spec: Spec, outcome: Comparison, left, right, values: list, work: Workspace,
           budget: Budget) -> None:
    link.verdict = DOES_NOT_FOLLOW
    state, va, vb = outcome.witness  # type: ignore[misc]
    env = state.point
    if digits_apart(va, vb) > 35:  # a near miss: its digits shown from values that hold them
        va, vb = _Pair(work, left, right, state, budget)(200)
    shown = counterexample(spec, (env, vb, va), lambda s: shown_name(spec, s), (right, left))
    link.counterexample = {"point": shown["point"], "left_value": shown["reference_value"],
                           "right_value": shown["student_value"]}
    link.diagnosis = _diagnosis(spec, left, right, values)
    where = ", ".join(f"{k}={v}" for k, v in shown["point"].items() if not isinstance(v, dict))
    link.message = (f"does not follow: {f'at {where} ' if where else ''}the left side is "
                    f"{shown['reference_value']}, the right side {shown['student_value']}")
    if link.diagnosis:
        link.message += f" ({link.diagnosis[0]})"


def _known_mistakes(spec: Spec, part: Part, right: sp.Expr, states: list[PointState], work: Workspace,
                    budget: Budget) -> list[str]:
    """The spec's own words for a right side that is one of the part's known mistakes (about its entry)."""
    if right.has(D) or set(free_indices(spec, right)) != set(part.free):
        return []
    found = []
    for mistake in part.mistakes:
        try:
            if right - mistake.answer == 0 or compare_at(work, right, mistake.answer, states, budget).equal:
                found.append(mistake.why)
        except (Undefined, ValueError, TypeError, ArithmeticError):
            break
    return found


def _ratios(values: list) -> list:
    out = []
    with mpmath.workdps(40):
        for v in values:
            if not v or v[3] in (None, JUMP) or v[4] in (None, JUMP):
                continue
            left, right = as_mp(v[3]), as_mp(v[4])
            if left != 0:
                out.append((v[0], right / left))
    return out


def _diagnosis(spec: Spec, left, right, values: list) -> list[str]:
    """Why a link does not follow: a factor of a size (a sum over an index of a term without it), a constant
    factor, a sign."""
    ratios = _ratios(values)
    if len(ratios) < 2:
        return []
    close = mpmath.mpf(10) ** -20
    for dim in sorted({d for env, _ in ratios for d in env.sizes}, key=str):
        # a size that is the same at every point (K = 2 throughout) is told from a constant 2 only by a sum
        # over its index of a term without it
        varies = len({env.sizes[dim] for env, _ in ratios}) > 1
        empty = [s for s in _idle_sums(right) if spec.index_range.get(s) == dim]
        if all(abs(r - env.sizes[dim]) <= close * env.sizes[dim] for env, r in ratios) and (varies or empty):
            label = shown_name(spec, dim)
            if empty:
                letter = shown_name(spec, empty[0])
                return [f"a factor {label}: a sum over {letter} of a term without {letter}"]
            return [f"a factor {label} too many"]
        if varies and all(abs(r * env.sizes[dim] - 1) <= close for env, r in ratios):
            label = shown_name(spec, dim)
            return [f"a factor {label} missing (the right side is 1/{label} of the left)"]
    first = ratios[0][1]
    if all(abs(r - first) <= close * max(1, abs(first)) for _, r in ratios):
        simple = _simple(first)
        if simple is not None and simple != 1:
            return [_factor_words(simple).replace("the answer", "the right side").replace("the right one",
                                                                                             "the left side")]
    return []


def _idle_sums(expr: sp.Expr) -> list:
    """The variables of sums whose body does not hold them (Σ_i f with no i in f)."""
    found = []
    for s in sorted(expr.atoms(sp.Sum), key=sp.default_sort_key):  # not a set's order: that changes with the hash seed
        for var, _, _ in s.limits:
            if var not in s.function.free_symbols:
                found.append(var)
    return found
