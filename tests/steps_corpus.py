"""The generated corpus of issue 13: every part's own derivation as a student's LaTeX chain, and mutants of it.

`chain_latex` prints a derivation with the project's LaTeX printer as the
chain `derive steps` reads: an `align*` with the target and the first step on
the first row, then a row `&= ...` for each further step. `mutant` makes one
wrong step out of a right one, on the SymPy expression (then printed again):

* `sign`: one term of the step's sum (or the whole step) times −1;
* `drop`: one term of a sum inside the step left out;
* `factor`: the step times 2;
* `swap`: two free indices of one range exchanged (i ↔ j);
* `phi`: φ for φ': the generic derivative φ'(u) as φ(u), or a pending ∂f(u)/∂v
  as f(u) itself (∂ tanh(x)/∂x → tanh(x), ∂e^{x_i}/∂x_j → e^{x_i}).

A mutant is used only where the witness (`derive.authoring.witness`, which
shares no rule with the engine or the checker) finds it numerically different
from the step it replaces; a mutation that changes nothing (a swap in a
symmetric expression, a dropped term that is 0) is no mutation.

Shared by `tests/test_steps_corpus.py` and `benchmarks/steps_corpus.py`.
"""
from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

import sympy as sp

from derive.authoring.witness import Witness, close, witness_points
from derive.calculus import Derivation, derive
from derive.checking.steps import (
    DOES_NOT_FOLLOW,
    FOLLOWS,
    FOLLOWS_IF,
    UNDECIDED,
    UNREAD,
    StepsReport,
    check_steps,
)
from derive.limits import DEFAULT_TIMEOUT
from derive.printing import tex
from derive.problem import library
from derive.problem.spec import D, Iverson, Spec

KINDS = ("sign", "drop", "factor", "swap", "phi")
SEED = 13
TRIES = 3  # draws of a mutation at one step
WITNESS_POINTS = 4  # points at which a mutant must differ from the step somewhere (i = j and i ≠ j in turn)


def chain_latex(spec: Spec, exprs: list[sp.Expr]) -> str:
    """`exprs` (the target first) as an align* chain; side n (0-based, n ≥ 1) is on line n + 1."""
    printed = [tex(e, spec) for e in exprs]
    rows = [f"{printed[0]} &= {printed[1]}"] + [f"&= {p}" for p in printed[2:]]
    return "\\begin{align*}\n" + " \\\\\n".join(rows) + "\n\\end{align*}\n"


def sides(derivation: Derivation) -> list[sp.Expr]:
    """The target, then every step's expression."""
    return [derivation.target] + [step.expr for step in derivation.steps]


# -- mutations ------------------------------------------------------------------------------------
def _sums_inside(expr: sp.Expr) -> list[sp.Add]:
    """The sums (Add nodes) of `expr` that are mathematics of the step, not index arithmetic: none inside an
    entry's indices, a Kronecker delta, an indicator's condition, a sum's limits or what ∂ is taken by."""
    found: list[sp.Add] = []

    def walk(e: sp.Basic) -> None:
        if isinstance(e, (sp.Indexed, sp.KroneckerDelta, Iverson, sp.Heaviside)) or e.is_Relational:
            return
        if isinstance(e, sp.Sum):
            walk(e.function)
            return
        if isinstance(e, D):
            walk(e.expr)
            return
        if isinstance(e, sp.Add) and e not in found:
            found.append(e)
        for a in e.args:
            walk(a)

    walk(expr)
    return found


def _sign(spec: Spec, free, expr: sp.Expr, rng: random.Random) -> sp.Expr | None:
    terms = list(sp.Add.make_args(expr))
    if len(terms) == 1:
        return -expr
    k = rng.randrange(len(terms))
    return sp.Add(*[-t if n == k else t for n, t in enumerate(terms)])


def _drop(spec: Spec, free, expr: sp.Expr, rng: random.Random) -> sp.Expr | None:
    candidates = _sums_inside(expr)
    if not candidates:
        return None
    node = rng.choice(candidates)
    terms = list(node.args)
    k = rng.randrange(len(terms))
    return expr.xreplace({node: sp.Add(*(terms[:k] + terms[k + 1:]))})


def _factor(spec: Spec, free, expr: sp.Expr, rng: random.Random) -> sp.Expr | None:
    return sp.Mul(2, expr)


def _swap(spec: Spec, free, expr: sp.Expr, rng: random.Random) -> sp.Expr | None:
    present = [i for i in free if i in expr.free_symbols]
    pairs = [(a, b) for n, a in enumerate(present) for b in present[n + 1:]
             if spec.index_range.get(a) == spec.index_range.get(b)]
    if not pairs:
        return None
    a, b = rng.choice(pairs)
    return expr.xreplace({a: b, b: a})


def _phi(spec: Spec, free, expr: sp.Expr, rng: random.Random) -> sp.Expr | None:
    primes = {info.derivative: func for func, info in spec.functions.items() if info.derivative is not None}
    candidates: dict[sp.Expr, sp.Expr] = {}
    for e in sp.preorder_traversal(expr):
        if isinstance(e, sp.Function) and e.func in primes:
            candidates[e] = primes[e.func](*e.args)  # φ'(u) -> φ(u)
        elif isinstance(e, D) and isinstance(e.expr, sp.Function) and not e.expr.has(D):
            candidates[e] = e.expr  # ∂f(u)/∂v -> f(u)
    if not candidates:
        return None
    node = rng.choice(sorted(candidates, key=sp.default_sort_key))
    return expr.xreplace({node: candidates[node]})


MUTATIONS: dict[str, Callable[[Spec, tuple, sp.Expr, random.Random], sp.Expr | None]] = {
    "sign": _sign, "drop": _drop, "factor": _factor, "swap": _swap, "phi": _phi}


def differs(spec: Spec, derivation: Derivation, a: sp.Expr, b: sp.Expr) -> bool:
    """Do `a` and `b` differ at some witness point (free indices tied and untied, each stand-in of φ)? A
    point where only one of them has a value counts as a difference; one where neither has, as none."""
    for point in witness_points(spec, derivation.part.free, seed=f"corpus/{spec.id}/{derivation.part.id}",
                                count=WITNESS_POINTS):
        witness = Witness(spec, point)
        values = []
        for e in (a, b):
            try:
                values.append(witness.value(e))
            except (ValueError, ZeroDivisionError):
                values.append(None)
        if values[0] is None and values[1] is None:
            continue
        if values[0] is None or values[1] is None or not close(values[0], values[1], rel=1e-9):
            return True
    return False


@dataclass(frozen=True)
class Mutant:
    """Step `step` (1-based) of a derivation replaced by `expr`, made by the mutation `kind`."""

    kind: str
    step: int
    expr: sp.Expr


def mutant(derivation: Derivation, kind: str, rng: random.Random) -> Mutant | None:
    """A mutant of `kind` at a step chosen by `rng` among those where it changes the value; None if none."""
    spec = derivation.spec
    exprs = sides(derivation)
    steps = list(range(1, len(exprs)))
    rng.shuffle(steps)
    for step in steps:
        tried = set()
        for _ in range(TRIES):  # another term, another pair of indices: some change nothing (dropping b of ∂(b + Σ)/∂x)
            changed = MUTATIONS[kind](spec, tuple(derivation.part.free), exprs[step], rng)
            if changed is None or changed == exprs[step] or changed in tried:
                continue
            tried.add(changed)
            if differs(spec, derivation, exprs[step], changed):
                return Mutant(kind, step, changed)
    return None


def window(derivation: Derivation, m: Mutant) -> tuple[list[sp.Expr], int]:
    """The chain a mutant is judged in, and the 1-based number of the link into the mutant: the step before
    it, the mutant, the step after it; the target first where the mutant is the first or the last step (so
    that the final answer is checked: right after a slip in the middle, wrong after a wrong last step)."""
    exprs = sides(derivation)
    last = len(exprs) - 1
    chain = [exprs[0]] if m.step in (1, last) else []
    if m.step > 1:
        chain.append(exprs[m.step - 1])
    chain.append(m.expr)
    wrong = len(chain) - 1
    if m.step < last:
        chain.append(exprs[m.step + 1])
    return chain, wrong


# -- judging ---------------------------------------------------------------------------------------
KINDS_PER_PART = 2  # kinds of mutation drawn in a part (the test's selection; the benchmark's --all: every kind)
HEAVY = {"relu-mlp": 1, "rnn-bptt": 1, "two-layer-l2": 1, "softmax-ce-two-layer": 1}  # kinds a part, to save time
TIMEOUT = 30.0  # a link's time limit: a loaded CI machine decides too
FLAGS = (DOES_NOT_FOLLOW, FOLLOWS_IF)  # a mark other than ✓ on a chain that states no case


@dataclass
class Outcome:
    """What the checker made of one chain, against what it should have: every link ✓ but the mutated one
    (`wrong`, 1-based; None for an unmutated chain), which must be ✗ (or "✓ if i = j": a swap of i and j,
    or φ for φ' in ∂e^{x_i}/∂x_j, is right on the diagonal only); and the final answer's verdict."""

    verdicts: list[str]
    wrong: int | None
    final: str | None
    final_wanted: str | None
    report: StepsReport

    @property
    def unread(self) -> int:
        return sum(v in (UNREAD, UNDECIDED) for v in self.verdicts)

    @property
    def false_alarms(self) -> int:
        return sum(v in FLAGS for n, v in enumerate(self.verdicts, 1) if n != self.wrong)

    @property
    def missed(self) -> bool:
        return self.wrong is not None and self.verdicts[self.wrong - 1] == FOLLOWS

    @property
    def exact(self) -> bool:
        """Every link as it should be, and the final answer too."""
        ok = [v in FLAGS if n == self.wrong else v == FOLLOWS for n, v in enumerate(self.verdicts, 1)]
        return all(ok) and self.final == self.final_wanted

    def describe(self) -> str:
        lines = [f"verdicts {self.verdicts} (mutated link: {self.wrong}), final {self.final} "
                 f"(wanted {self.final_wanted})"]
        for n, link in enumerate(self.report.links, 1):
            if (link.verdict != FOLLOWS) != (n == self.wrong):
                lines.append(f"  link {n} (line {link.line}) {link.verdict}: {link.message}")
                lines.append(f"    {_short(link.left_latex)}  =  {_short(link.right_latex)}")
        return "\n".join(lines)


def _short(latex: str, width: int = 160) -> str:
    return latex if len(latex) <= width else latex[:width - 20] + " ... " + latex[-15:]


def judge_chain(derivation: Derivation, chain: list[sp.Expr], wrong: int | None,
                timeout: float = DEFAULT_TIMEOUT) -> Outcome:
    """Print `chain` as LaTeX, let `derive steps` judge it, and compare with what it should say."""
    spec, part = derivation.spec, derivation.part
    report = check_steps(spec, chain_latex(spec, chain), part, timeout=timeout)
    starts = chain[0] == derivation.target
    final_wanted = None
    if starts and not chain[-1].has(D):
        final_wanted = "not_equivalent" if wrong == len(chain) - 1 else "equivalent"
    return Outcome([link.verdict for link in report.links], wrong,
                   None if report.final is None else report.final.verdict, final_wanted, report)


def applicable(derivation: Derivation) -> list[str]:
    """The kinds of mutation that change some step's expression (before the witness says whether the change
    changes a value): a swap needs two free indices of one range in a step, φ for φ' a derivative of a
    function, a dropped term a sum."""
    spec, free = derivation.spec, tuple(derivation.part.free)
    exprs = sides(derivation)[1:]
    return [kind for kind in KINDS
            if any(MUTATIONS[kind](spec, free, e, random.Random(SEED)) not in (None, e) for e in exprs)]


def chosen_kinds(derivation: Derivation, count: int) -> list[str]:
    """`count` of the applicable kinds for a part, by a fixed seed (SEED and the part's id)."""
    kinds = applicable(derivation)
    rng = random.Random(f"{SEED}:{derivation.spec.id}/{derivation.part.id}")
    return rng.sample(kinds, min(count, len(kinds)))


def part_rng(problem: str, part: str, kind: str) -> random.Random:
    return random.Random(f"{SEED}:{problem}/{part}:{kind}")


def all_parts() -> list[tuple[str, str]]:
    return [(h.id, part) for h in library.headers() for part in library.current().part_ids(h.id)]


def derivation_of(problem: str, part: str) -> Derivation:
    return derive(library.load(problem), part)
