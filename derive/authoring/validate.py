"""`derive validate`: prove a spec right before students see it, one line per thing to change.

For a problem it loads the spec, derives every part and checks with the
witness (SymPy's diff and finite differences of the definitions, at points
that respect the declared assumptions):

- the header `derive list` reads agrees with the loaded spec (literal part
  ids, not ids built in a loop);
- every assumption holds at the points derive samples (a vector that must
  lie on the simplex is declared `sample="simplex"`), and the sampler that
  would make it hold is named;
- every step of every derivation equals the one before it, and the answer
  equals finite differences of the definitions (else the engine is wrong);
- the spec's `reference=` equals the derived answer;
- every `mistakes=` entry is really wrong;
- every printed form of every answer (index and matrix form; LaTeX, text and
  ASCII) reads back in `derive check` as equivalent (`roundtrip`), so that a
  name nobody can type is found before a student types it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import sympy as sp

from ..calculus import derive
from ..errors import DeriveError, SpecError
from ..printing import text
from ..problem import library
from ..problem.conditions import missing_words
from ..problem.headers import Broken, Header, read_header
from ..problem.sampling import SAMPLE_KINDS
from ..problem.spec import D, Spec
from .roundtrip import Unread, read_back
from .witness import Witness, close, covered_points, witness_points

POINTS = 4  # witness points per check (free indices tied and distinct, φ as each stand-in)
FD_POINTS = 2  # finite differences are slower: fewer points


@dataclass
class Report:
    """What `derive validate` found for one problem: `failures` is empty when the spec is right."""

    problem: str
    file: str
    parts: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    forms: int = 0  # printed answer forms read back by the checker
    unread: list[Unread] = field(default_factory=list)  # those that do not read as equivalent (also failures)

    @property
    def ok(self) -> bool:
        return not self.failures

    def to_json(self) -> dict:
        return {"problem": self.problem, "file": self.file, "ok": self.ok, "parts": self.parts,
                "failures": self.failures,
                "round_trip": {"forms": self.forms, "unread": [u.to_json() for u in self.unread]}}


def _where(spec: Spec, point) -> str:
    """The free indices and sizes of a point, as a student would read them."""
    def name(symbol) -> str:
        found = spec.names.get(symbol)
        return found.text if found else str(symbol)

    shown = [f"{name(i)}={v}" for i, v in point.indices.items()]
    shown += [f"{name(d)}={v}" for d, v in point.sizes.items()]
    return ", ".join(shown) or "a test point"


def _number(value) -> str:
    return sp.sstr(sp.N(value, 6))


def validate_problem(problem_id: str) -> Report:
    """Validate one problem of the library in use."""
    lib = library.current()
    try:
        header = lib.header(problem_id)
    except SpecError as exc:  # a broken spec of that id (an unknown id is a usage error: it propagates)
        broken = next(b for b in lib.broken() if b.id == problem_id)
        return Report(problem_id, library.shown(broken.path), failures=[str(exc)])
    report = Report(problem_id, library.shown(header.path))
    try:
        spec = lib.load(problem_id)
    except DeriveError as exc:
        report.failures.append(str(exc))
        return report
    report.parts = [p.id for p in spec.parts]
    report.failures += _header_findings(header, spec)
    unmet = _assumption_findings(spec)
    report.failures += unmet
    for part in spec.parts:
        findings, derivation = _part_findings(spec, part, bool(unmet))
        report.failures += [f"part {part.id}: {m}" for m in findings]
        if derivation is not None:
            forms, unread = read_back(spec, part, derivation.answer)
            report.forms += forms
            report.unread += unread
            report.failures += [u.describe() for u in unread]
    return report


def validate_file(path: Path) -> Report:
    """Validate the spec file at `path`: its folder joins the library in use if it is not there yet."""
    path = Path(path).resolve()
    found = read_header(path)
    if isinstance(found, Broken):
        return Report(found.id or path.stem, library.shown(path), failures=[f"{library.shown(path)}: {found.error}"])
    lib = library.current()
    if path.parent not in lib.folders:
        library.configure([*lib.folders[1:], path.parent])
    return validate_problem(found.id)


# -- the header ---------------------------------------------------------------------------------
def _header_findings(header: Header, spec: Spec) -> list[str]:
    out = []
    loaded = [p.id for p in spec.parts]
    if header.dynamic:
        computed = [p for p in loaded if p not in header.parts]
        out.append(f"part ids built at run time ({', '.join(computed) or 'none found'}): `derive list` reads "
                   f"part ids without running the file; write each SPEC.part(\"...\") with a literal id")
    elif list(header.parts) != loaded:
        out.append(f"the header lists parts {', '.join(header.parts)} but the spec has {', '.join(loaded)}: "
                   f"call SPEC.part(...) once per part, at the top level of the file")
    for field_name in ("title", "source"):
        if getattr(header, field_name) != getattr(spec, field_name):
            out.append(f"SPEC.{field_name} is changed after Spec(...): set it in Spec({field_name}=...) only")
    return out


# -- assumptions --------------------------------------------------------------------------------
def _holds(spec: Spec, lhs, rhs, params, seed: str) -> bool:
    for point in witness_points(spec, params, seed=seed, count=POINTS):
        witness = Witness(spec, point)
        if not close(witness.value(lhs), witness.value(rhs)):
            return False
    return True


def _assumption_findings(spec: Spec) -> list[str]:
    out = []
    for assumption in spec.assumptions:
        seed = f"{spec.id}/assume/{assumption.text}"
        if _holds(spec, assumption.lhs, assumption.rhs, assumption.params, seed):
            continue
        bases = sorted((b for b in assumption.lhs.atoms(sp.IndexedBase, sp.Symbol) if b in spec.samplers
                        and b not in spec.definitions), key=str)
        fixes = []
        for base in bases:
            for kind in SAMPLE_KINDS:
                if kind == spec.samplers[base]:
                    continue
                trial = _with_sampler(spec, base, kind)
                if _holds(trial, assumption.lhs, assumption.rhs, assumption.params, seed):
                    fixes.append(f'declare {base} with sample="{kind}"')
                    break
        fix = "; ".join(fixes) if fixes else "no sample= kind of its tensors makes it hold: check the assumption"
        out.append(f"the assumption {assumption.text} does not hold at the points derive samples: {fix}")
    return out


def _with_sampler(spec: Spec, base, kind: str) -> Spec:
    """A copy of `spec` whose `base` is sampled as `kind`."""
    import copy

    trial = copy.copy(spec)
    trial.samplers = {**spec.samplers, base: kind}
    return trial


# -- parts -------------------------------------------------------------------------------------
def _part_findings(spec: Spec, part, unmet_assumption: bool = False):
    """What is wrong with a part, and its derivation (None where the engine cannot derive it)."""
    try:
        derivation = derive(spec, part.id)
    except DeriveError as exc:
        return [f"the engine cannot derive it ({exc}); see `derive {spec.id} --part {part.id}`"], None
    try:
        return _numeric_findings(spec, part, derivation, unmet_assumption), derivation
    except (TypeError, ValueError, ArithmeticError) as exc:  # a value that is not a number
        return [f"cannot be evaluated at a test point ({type(exc).__name__}: {exc}); check that every "
                f"symbol is declared and every function has a body or is generic"], None


def _numeric_findings(spec: Spec, part, derivation, unmet_assumption: bool) -> list[str]:
    points, coverage = covered_points(spec, part.free, seed=f"validate/{spec.id}/{part.id}", count=POINTS)
    out: list[str] = []
    if coverage.missing():  # a check of this part could never say `equivalent`: say so now
        out.append(f"the test points never showed each side of "
                   f"{missing_words(coverage, lambda e: text(e, spec))}: the derivation is checked on one side "
                   f"only, and answers to it would be undecided; sample the inputs so that both sides occur "
                   f"(sample=\"real\" where a sign is not fixed)")
    for point in points:
        witness = Witness(spec, point)
        previous = witness.value(derivation.target)
        for number, step in enumerate(derivation.steps, 1):
            current = witness.value(step.expr)
            if not close(previous, current):
                why = ("the assumption above does not hold at these points: fix it first" if unmet_assumption
                       else "an engine error: please report it with this spec")
                return [f"step {number} ({step.rule}) changes the value at {_where(spec, point)}: "
                        f"{_number(previous)} -> {_number(current)}; {why}"]
            previous = current
    if derivation.target.has(D):
        for point in points[:FD_POINTS]:
            witness = Witness(spec, point)
            answer, fd = witness.value(derivation.answer), witness.value(derivation.target, mode="fd")
            if not close(answer, fd, rel=1e-9):
                return [f"the derived answer {_number(answer)} differs from finite differences of the "
                        f"definitions {_number(fd)} at {_where(spec, point)} (report it with this spec)"]
    for point in points:
        witness = Witness(spec, point)
        answer, reference = witness.value(derivation.answer), witness.value(part.reference)
        if not close(answer, reference):
            out.append(f"reference= is wrong: at {_where(spec, point)} it is {_number(reference)}, the derivative "
                       f"is {_number(answer)}; the derived answer is {text(derivation.answer, spec)} "
                       f"(`derive {spec.id} --part {part.id}` shows how)")
            break
    for mistake in part.mistakes:
        if all(close(Witness(spec, p).value(mistake.answer), Witness(spec, p).value(derivation.answer))
               for p in points):
            out.append(f"the mistake {mistake.why!r} ({text(mistake.answer, spec)}) equals the right answer at every "
                       f"test point: it is not a mistake; change its answer or remove it")
    return out
