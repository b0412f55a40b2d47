"""The answer checker: is a student's expression equal to the reference, and if not, why?

The ladder, each rung under the check's time limit:

1. parse with our own grammar (`derive.parsing`); bad text is `invalid`;
2. canonical form: SymPy's automatic canonicalisation makes the two the same;
3. evaluation at random points that respect the problem's assumptions
   (`compare`), exactly while the expressions are rational;
4. an equivalent answer names the assumptions it needs: each is relaxed in
   turn and the comparison repeated;
5. a wrong answer gets a counterexample (the point and both values) and a
   diagnosis (`diagnose`).
"""
from __future__ import annotations

import random
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from fractions import Fraction

import sympy as sp

from ..errors import DeriveError
from ..limits import CHECK_WORK, DEFAULT_TIMEOUT, Budget, OutOfWork, WallClock
from ..parsing import ParseError, RangeClash, ShapeMismatch, Vocabulary, parse
from ..printing import tex, text
from ..problem import library
from ..problem.conditions import Coverage, describe, missing_words
from ..problem.conditions import plain as plain_text
from ..problem.sampling import Point
from ..problem.spec import Part, Spec
from .compare import Comparison, Values, compare, counterexample, extra_points, spec_points
from .cover import cover
from .diagnose import diagnose
from .equation import answer_side
from .evaluate import Timeout

FREE_POINTS = 12  # free expressions are cheap to evaluate; more points meet small regions where they differ
EQUIVALENT, NOT_EQUIVALENT, INVALID, UNDECIDED = "equivalent", "not_equivalent", "invalid", "undecided"
EXIT_CODES = {EQUIVALENT: 0, NOT_EQUIVALENT: 1, INVALID: 2, UNDECIDED: 3}


@dataclass
class Result:
    """The verdict on one answer (or two expressions), with why; `to_json()` is the CLI's JSON shape."""

    problem: str | None
    part: str | None
    verdict: str
    message: str
    student_latex: str | None = None
    reference_latex: str | None = None
    assumptions_used: list = field(default_factory=list)
    counterexample: dict | None = None
    diagnosis: list = field(default_factory=list)
    method: str | None = None
    seconds: float = 0.0
    detail: str | None = None  # for a terminal: the answer with a caret under the error

    @classmethod
    def invalid(cls, problem, part, error: ParseError) -> Result:
        return cls(problem, part, INVALID, f"invalid: {error}", detail=error.caret())

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.verdict]

    def to_json(self) -> dict:
        data = asdict(self)
        data.pop("detail")
        return data


def resolve(target: str) -> tuple[str, str]:
    """The problem and part a `problem[/part]` names; unknown ids raise with the known ones."""
    return library.resolve(target)


@dataclass
class Prepared:
    """What every check of one part shares, computed once: its points (chosen until they show every side
    of every condition of the reference and its definitions, `cover`), what they showed, the reference's
    values at them and its LaTeX."""

    spec: Spec
    points: list[Point]
    coverage: Coverage
    reference: Values
    latex: str
    kept: dict  # the reference and each known mistake -> its Values (the diagnosis's)


_PREPARED: dict = {}


def prepared(spec, part, relax: frozenset = frozenset()) -> Prepared:
    """The part's shared state (cached per spec object: specs built in memory may share ids). The seed is
    the problem's and the part's: the same points on any machine."""
    key = (id(spec), part.id, tuple(part.free), part.reference, relax)
    hit = _PREPARED.get(key)
    if hit is None or hit.spec is not spec:
        seed = f"{spec.id}/{part.id}/{sorted(map(str, relax))}"
        base = spec_points(spec, part.free, seed=seed, relax=relax)
        points, coverage = cover(spec, [part.reference], base, extra_points(spec, part.free, seed, relax))
        reference = Values(spec, part.reference, charge=False)
        kept = {m.answer: Values(spec, m.answer, charge=False) for m in part.mistakes}
        kept[part.reference] = reference
        hit = _PREPARED[key] = Prepared(spec, points, coverage, reference, tex(part.reference, spec), kept)
        while len(_PREPARED) > 256:
            _PREPARED.pop(next(iter(_PREPARED)))
    return hit


def _points(spec, part, relax: frozenset = frozenset()) -> list[Point]:
    return prepared(spec, part, relax).points


def warm(targets: Iterable[str]) -> None:
    """Load the specs, vocabularies and test points of `targets` (problem/part) before workers fork."""
    for target in targets:
        try:
            problem_id, part_id = resolve(target)
        except DeriveError:
            continue
        spec = library.load(problem_id)
        Vocabulary.from_spec(spec, spec.part_by_id(part_id))
        shared = prepared(spec, spec.part_by_id(part_id))
        for env in shared.points:
            shared.reference.at(env)


def _with_budget(envs, budget: Budget):
    """The points, each charging its evaluations to `budget` (one check's)."""
    for env in envs:
        env.budget = budget
    return envs


def _free_indices(spec, expr) -> set:
    """The index letters `expr` leaves free (not bound by one of its sums)."""
    return {s for s in _free_letters(expr) if s in spec.index_range}


def _free_letters(expr) -> frozenset:
    """The free symbols of `expr`, by one walk (SymPy's free_symbols of a Sum rebuilds its limits)."""
    if isinstance(expr, sp.Symbol):
        return frozenset((expr,))
    if isinstance(expr, sp.Sum):
        inner = set(_free_letters(expr.function))
        for var, lo, hi in expr.limits:  # innermost first: its limits may name an outer variable
            inner.discard(var)
            inner |= _free_letters(lo) | _free_letters(hi)
        return frozenset(inner)
    if not expr.args:
        return frozenset()
    return frozenset().union(*(_free_letters(a) for a in expr.args))


def _free_words(free, part) -> str:
    """The answer's free indices against the target's: `the free indices are i; the target's are j, i`."""
    ours = [i for i in part.free if i in free] + sorted(set(free) - set(part.free), key=str)
    if not ours:
        return f"the answer has no free indices; the target's are {', '.join(map(str, part.free))}"
    theirs = f"the target's are {', '.join(map(str, part.free))}" if part.free else "the target has none"
    return f"the free indices are {', '.join(map(str, ours))}; {theirs}"


def check(target: str, answer: str, fmt: str = "auto", timeout: float = DEFAULT_TIMEOUT) -> Result:
    """Check a student's answer to `problem/part` against the reference."""
    problem_id, part_id = resolve(target)
    spec = library.load(problem_id)
    return check_part(spec, spec.part_by_id(part_id), answer, fmt, timeout)


def check_part(spec: Spec, part: Part, answer: str, fmt: str = "auto", timeout: float = DEFAULT_TIMEOUT) -> Result:
    """Check an answer to a part of a spec object (one from the library, or built in memory)."""
    start = time.monotonic()
    budget = Budget(CHECK_WORK, start + timeout)
    problem_id, part_id = spec.id, part.id
    result = Result(problem_id, part_id, UNDECIDED, "", reference_latex=prepared(spec, part).latex)
    notes: list[str] = []
    try:
        student = _read_answer(answer, spec, part, fmt, notes)
    except ShapeMismatch as exc:  # a K×h matrix where h×K is needed: read, and wrong
        return _wrong(result, _shape_words(spec, part, exc, budget), start)
    except RangeClash as exc:  # y_i for the entry (j, i): an answer about another entry
        if exc.free is None or exc.free == set(part.free):
            return Result.invalid(problem_id, part_id, exc)
        return _wrong(result, [_free_words(exc.free, part)], start)
    except ParseError as exc:
        return Result.invalid(problem_id, part_id, exc)
    result.student_latex = tex(student, spec)
    if _free_indices(spec, student) - set(part.free):  # an entry with an index the target does not have
        return _wrong(result, [_free_words(_free_indices(spec, student), part)], start)
    try:
        _decide(result, spec, part, student, budget)
    except Timeout as exc:
        _out_of_time(result, exc, timeout)
    for note in dict.fromkeys(notes):
        result.message += f" (note: {note})"
    result.seconds = time.monotonic() - start
    return result


def _out_of_time(result: Result, exc: Timeout, timeout: float) -> None:
    """`undecided`: the counted work ran out (the same on any machine), or, for hostile input, the
    wall-clock safety net was hit (said as such)."""
    result.verdict = UNDECIDED
    if isinstance(exc, WallClock):
        result.message = f"undecided: the safety time limit ({timeout:g} s) was reached before a verdict"
    else:
        result.message = f"undecided: {exc}" if isinstance(exc, OutOfWork) else \
            f"undecided: no verdict within the time limit ({timeout:g} s)"


def _read_answer(answer: str, spec: Spec, part: Part, fmt: str, notes: list | None = None) -> sp.Expr:
    """The answer's expression at the part's free indices; of `target = answer`, the right side. How a
    notation that reads two ways was read is added to `notes` (K^T where T is a size)."""
    notes = [] if notes is None else notes
    vocab = Vocabulary.from_spec(spec, part)
    side, offset = answer_side(answer, spec, part, vocab, fmt)
    if fmt == "auto":
        fmt = "latex" if "\\" in answer else "text"
    try:
        try:
            parsed = parse(side, vocab, fmt=fmt)
        except ParseError as first:
            if not vocab.row_vectors:
                raise
            try:  # "for a row vector v": v (diag(σ) − σσᵀ) reads with v as a row
                parsed = parse(side, vocab, fmt=fmt, rows=True)
            except ParseError:
                raise first from None
        notes.extend(parsed.notes)
        return parsed.index_form(part.free)
    except ParseError as exc:
        if not offset:
            raise
        exc.position = None if exc.position is None else exc.position + offset
        exc.text = answer  # the error keeps its kind (ShapeMismatch, RangeClash)
        raise exc from None


def _wrong(result: Result, diagnosis: list[str], start: float) -> Result:
    """A wrong answer that needs no point to show it: of another shape, or about other free indices."""
    result.verdict, result.diagnosis = NOT_EQUIVALENT, diagnosis
    result.message = f"not equivalent: {diagnosis[0]}"
    result.seconds = time.monotonic() - start
    return result


def _shape_words(spec, part, mismatch: ShapeMismatch, budget: Budget) -> list[str]:
    """Why an answer of another shape is wrong: turned round (and is its transpose right?), or not."""
    if mismatch.turned is None:
        return [str(mismatch)]
    turned, words = mismatch.turned, f"transposed ({mismatch})"
    try:
        shared = prepared(spec, part)
        envs = _with_budget(shared.points, budget)
        if turned - part.reference == 0 or \
                compare(spec, turned, part.reference, envs, reference=shared.reference).equal:
            return [f"{words}; the transpose of the answer is right"]
    except Timeout:
        return [words]
    why = _diagnosis(spec, part, turned, envs, kept=shared.kept)
    return [f"{words}; its transpose is not right either" + (f": {why[0]}" if why else "")]


def _decide(result: Result, spec, part, student, budget: Budget) -> None:
    reference = part.reference
    if student - reference == 0:  # SymPy objects, never text: the same expression needs no assumption
        result.verdict, result.method = EQUIVALENT, "canonical form"
        result.message = "equivalent to the reference"
        return
    shared = prepared(spec, part)
    envs, coverage = shared.points, shared.coverage
    outcome = compare(spec, student, reference, _with_budget(envs, budget), reference=shared.reference)
    if outcome.equal is None:
        result.verdict = UNDECIDED
        result.message = (f"undecided: the answer and the reference both have a value at only {outcome.points} "
                          f"of {len(envs)} test points")
        return
    show = _shower(spec)
    if outcome.equal and coverage.missing():  # agreeing on one side of a kink is no verdict
        result.verdict = UNDECIDED
        result.message = (f"undecided: the answer agrees with the reference at {outcome.points} points, but they "
                          f"never showed each side of {missing_words(coverage, show)}")
        return
    if outcome.equal:
        result.verdict = EQUIVALENT
        result.method = _method(outcome, coverage, show)
        result.message = "equivalent to the reference"
        result.assumptions_used = _assumptions_used(spec, part, student, budget)
        _say_assumptions(result)
        return
    result.verdict = NOT_EQUIVALENT
    result.counterexample = counterexample(spec, outcome.witness, lambda s: _name(spec, s), (student, reference))
    result.diagnosis = _diagnosis(spec, part, student, envs, kept=shared.kept)
    free = _free_indices(spec, student)
    if free != set(part.free):  # an index missing: the answer does not vary with it, the reference does
        known = sum(d in {m.why for m in part.mistakes} for d in result.diagnosis)  # the spec's words first
        result.diagnosis.insert(known, _free_words(free, part))
    point = result.counterexample
    where = ", ".join(f"{k}={v}" for k, v in point["point"].items() if not isinstance(v, dict))
    result.message = (f"not equivalent: {f'at {where} ' if where else ''}the answer is {point['student_value']}, "
                      f"the reference {point['reference_value']}")
    if point["student_value"] == point["reference_value"]:
        result.message += " (they differ beyond the digits shown)"
    if result.diagnosis:
        result.message += f" ({result.diagnosis[0]})"


def _method(outcome, coverage: Coverage | None = None, show=str) -> str:
    how = "exact" if outcome.exact else "40 and 120 digits"
    method = f"{how} at {outcome.points} random points"
    if coverage is not None and coverage.required:
        shown = list(dict.fromkeys(describe(node, show) for node in coverage.required))
        method += f"; each side of {', '.join(shown)} seen"
    return method


def _shower(spec):
    """How the checker's messages show an expression of the spec (its text printer)."""
    return lambda expr: text(expr, spec) if spec is not None else str(expr)


def _diagnosis(*args, **kwargs) -> list[str]:
    """The diagnosis, or none when the time runs out: the verdict already stands."""
    try:
        return diagnose(*args, **kwargs)
    except Timeout:
        return []


def _assumptions_used(spec, part, student, budget: Budget) -> list[str]:
    """The spec's assumptions without which the answer differs from the reference.

    When the time runs out first, every assumption the spec makes is named: the
    answer was only checked at points that respect them all.
    """
    used = []
    try:
        for assumption in spec.assumptions:
            bases = frozenset(b for b in assumption.lhs.atoms(sp.IndexedBase) if b in spec.samplers)
            if not bases:
                continue
            relaxed = prepared(spec, part, bases)
            envs = _with_budget(relaxed.points, budget)
            if compare(spec, student, part.reference, envs, reference=relaxed.reference).equal is False:
                used.append(assumption.text)
    except Timeout:
        return [a.text for a in spec.assumptions]
    return used


def _say_assumptions(result: Result) -> None:
    if result.assumptions_used:
        result.message += " under the assumption " + "; ".join(result.assumptions_used)


def _name(spec, symbol) -> str:
    name = spec.names.get(symbol)
    return name.text if name else str(getattr(symbol, "label", symbol))


# -- two free expressions ---------------------------------------------------------------
def _free_point(symbols, assume: dict, rng: random.Random, n: int) -> Point:
    """The n-th point of two free expressions: a third of them far out (2 to 50, either sign), so that
    piecewise answers show."""
    values = {}
    for s in symbols:
        if n % 3 == 2:
            size = Fraction(2 * 25 ** rng.random()).limit_denominator(97)
            sign = 1 if assume.get(s.name) == "positive" or rng.random() < 0.5 else -1
            values[(s, ())] = sign * size
            continue
        lo, hi = (0.1, 3.0) if assume.get(s.name) == "positive" else (-2.5, 2.5)
        values[(s, ())] = Fraction(rng.uniform(lo, hi)).limit_denominator(997)
    return Point(values=values)


def _free_points(symbols, assume: dict, seed, count=FREE_POINTS) -> list[Point]:
    rng = random.Random(seed)
    return [_free_point(symbols, assume, rng, n) for n in range(count)]


def _free_covered(exprs, symbols, assume: dict, seed: str, budget: Budget) -> tuple[list[Point], Coverage]:
    """The points of free expressions, and more until every side of every condition of either shows."""
    points = _with_budget(_free_points(symbols, assume, seed), budget)
    more = random.Random(f"{seed}/more")

    def draw(n: int) -> Point:
        env = _free_point(symbols, assume, more, n + 2 if n % 2 else n)  # far out every other time
        env.budget = budget
        return env
    return cover(None, exprs, points, draw, strict=False)


def equiv(a: str, b: str, assume: dict | None = None, fmt: str = "auto",
          timeout: float = DEFAULT_TIMEOUT) -> Result:
    """Are two free expressions equal for all real values of their variables (principal branches)?"""
    start = time.monotonic()
    budget = Budget(CHECK_WORK, start + timeout)
    assume = dict(assume or {})
    result = Result(None, None, UNDECIDED, "")
    try:
        vocab = Vocabulary.free(assume)
        first = parse(a, vocab, fmt=fmt).index_form(())
        second = parse(b, vocab, fmt=fmt).index_form(())
        # without the assumptions: SymPy may already have used them (sqrt(x^2) -> x for x > 0)
        plain = Vocabulary.free({})
        relaxed = (parse(a, plain, fmt=fmt).index_form(()), parse(b, plain, fmt=fmt).index_form(())) \
            if assume else None
    except ParseError as exc:
        return Result.invalid(None, None, exc)
    result.student_latex, result.reference_latex = sp.latex(first), sp.latex(second)
    try:
        _decide_free(result, first, second, assume, budget, relaxed)
    except Timeout as exc:
        _out_of_time(result, exc, timeout)
    result.seconds = time.monotonic() - start
    return result


def _decide_free(result: Result, first, second, assume: dict, budget: Budget, relaxed=None) -> None:
    symbols = sorted(first.free_symbols | second.free_symbols, key=lambda s: s.name)
    coverage = Coverage()
    if first - second == 0:  # the same after SymPy's automatic canonicalisation
        envs: list[Point] = []
        outcome = Comparison(True, 0)
    else:  # neither is a reference: both are evaluated exactly at their thresholds
        envs, coverage = _free_covered([first, second], symbols, assume, f"{first}|{second}", budget)
        outcome = compare(None, first, second, envs, strict=False)
    if outcome.equal is None:
        result.verdict = UNDECIDED
        result.message = f"undecided: both expressions have a value at only {outcome.points} of {len(envs)} test points"
        return
    if outcome.equal and coverage.missing():
        result.verdict = UNDECIDED
        result.message = (f"undecided: the expressions agree at {outcome.points} points, but they never showed "
                          f"each side of {missing_words(coverage, plain_text)}")
        return
    if outcome.equal:
        result.verdict, result.message = EQUIVALENT, "equivalent"
        result.method = "canonical form" if outcome.points == 0 else _method(outcome, coverage, plain_text)
        if relaxed is not None:
            plain = sorted(relaxed[0].free_symbols | relaxed[1].free_symbols, key=lambda s: s.name)
            points = _with_budget(_free_points(plain, {}, seed=f"relaxed|{first}|{second}"), budget)
            try:
                needed = relaxed[0] - relaxed[1] != 0 and \
                    compare(None, relaxed[0], relaxed[1], points, strict=False).equal is False
            except Timeout:
                needed = True  # not shown otherwise: name what was assumed
            if needed:
                result.assumptions_used = [f"{name} {kind}" for name, kind in sorted(assume.items())]
                result.message += " under the assumption " + ", ".join(result.assumptions_used)
        return
    result.verdict = NOT_EQUIVALENT
    result.counterexample = counterexample(None, outcome.witness, lambda s: str(getattr(s, "label", s)),
                                           (first, second))
    result.diagnosis = _diagnosis(None, None, first, envs, reference=second)
    point = result.counterexample
    where = ", ".join(f"{k}={v}" for k, v in point["point"].items()) or "every point"
    result.message = (f"not equivalent: at {where} the first is {point['student_value']}, "
                      f"the second {point['reference_value']}")
    if result.diagnosis:
        result.message += f" ({result.diagnosis[0]})"


def run_payload(payload: tuple) -> Result:
    """`check` or `equiv` from a tuple (what an isolated worker runs)."""
    kind, *args = payload
    if kind == "check":
        target, answer, fmt, timeout = args
        return check(target, answer, fmt=fmt, timeout=timeout)
    first, second, assume, fmt, timeout = args
    return equiv(first, second, assume=assume, fmt=fmt, timeout=timeout)
