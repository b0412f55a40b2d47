"""The generated corpus of issue 13: `derive steps` on every part's own derivation, right and mutated.

For every part of every problem in the library, the engine's derivation is
printed with the project's LaTeX printer as a chain (`tests/steps_corpus.py`:
an align* whose first row is `target &= step 1` and then a row `&= step k`
per step) and judged by `derive.checking.steps.check_steps`:

* unmutated, every link must be `follows` (not `follows_if`: the engine's
  steps hold everywhere) and the final answer `equivalent`;
* mutated: one step's SymPy expression is changed by a mutation (a sign, a
  dropped term, a factor 2, two free indices swapped, φ for φ'; the witness
  confirms the mutant differs from the step), printed again, and judged in the
  window around it: the step before, the mutant, the step after (and the
  target first where the mutant is the first or the last step). "Flagged
  exactly" means: the link INTO the mutant is flagged (`does_not_follow`, or
  `follows_if` where the mutant happens to be right on the diagonal, as a
  swap of i and j always is) and every other link is `follows`, the link OUT
  of the mutant included: the checker judges a side after a wrong one again
  from the last right side ("the wrong line was a slip"), and step k+1
  follows from step k−1. Where the window starts with the target and ends
  without a pending derivative, the final answer must be `equivalent`, or
  `not_equivalent` when the mutant is the last step; a factor 2 is diagnosed
  as one. The links away from the window are the unmutated chain's, judged in
  the first test.

Mutations are chosen with a fixed seed (13 and the part's id): KINDS_PER_PART
of the kinds that apply to a part (one for the HEAVY problems, to keep the file
near 80 s of CPU), at a random step where the kind changes the value. A
mutation that changes nothing at the witness's points is not one (it is never
drawn); where no step has one (i ↔ j in the symmetric layer-norm Jacobian),
the case is skipped with that reason.
Where the checker is wrong today, the case is an `xfail(strict=True)` with the
reason (see XFAIL), so that the suite shows it and notices when it is fixed.
`benchmarks/steps_corpus.py` prints the counts.
"""
from __future__ import annotations

import pytest
import sympy as sp

from derive.checking.steps import check_steps, read_side
from derive.printing import tex
from derive.problem import library
from derive.problem.spec import D

from .steps_corpus import (
    HEAVY,
    KINDS_PER_PART,
    TIMEOUT,
    all_parts,
    chosen_kinds,
    derivation_of,
    judge_chain,
    mutant,
    part_rng,
    sides,
    window,
)

#: Cases the checker gets wrong today: (problem, part, kind or None for the unmutated chain) -> why.
XFAIL: dict[tuple[str, str, str | None], str] = {}


def _marks(key: tuple[str, str, str | None]) -> list:
    reason = XFAIL.get(key)
    return [pytest.mark.xfail(strict=True, reason=reason)] if reason else []


#: the (problem, part, kind) where no mutation of that kind changes the value (the witness says so)
NO_MUTANT = {("layer-norm", "jacobian", "swap"): "the Jacobian is symmetric: a swap of i and j changes nothing"}

PARTS = all_parts()
KINDS = {(p, q): chosen_kinds(derivation_of(p, q), HEAVY.get(p, KINDS_PER_PART)) for p, q in PARTS}
UNMUTATED = [pytest.param(p, q, id=f"{p}/{q}", marks=_marks((p, q, None))) for p, q in PARTS]
MUTATED = [pytest.param(p, q, kind, id=f"{p}/{q}-{kind}", marks=_marks((p, q, kind)))
           for p, q in PARTS for kind in KINDS[p, q]]


@pytest.mark.parametrize("problem, part", UNMUTATED)
def test_a_right_derivation_is_all_ticks(problem, part):
    derivation = derivation_of(problem, part)
    chain = sides(derivation)
    outcome = judge_chain(derivation, chain, None, TIMEOUT)
    assert len(outcome.verdicts) == len(chain) - 1
    assert [link.line for link in outcome.report.links] == list(range(2, len(chain) + 1))  # row n: side n
    assert outcome.exact, outcome.describe()
    assert outcome.final == "equivalent"


@pytest.mark.parametrize("problem, part, kind", MUTATED)
def test_a_mutated_step_is_flagged_exactly(problem, part, kind):
    derivation = derivation_of(problem, part)
    found = mutant(derivation, kind, part_rng(problem, part, kind))
    if found is None:
        assert (problem, part, kind) in NO_MUTANT, f"no {kind} mutant found in {problem}/{part}"
        pytest.skip(f"no step of {problem}/{part} where a {kind} mutation changes the value")
    chain, wrong = window(derivation, found)
    outcome = judge_chain(derivation, chain, wrong, TIMEOUT)
    assert outcome.exact, f"{kind} at step {found.step}: {outcome.describe()}"
    if kind == "factor":  # the whole step times 2: said so, not "a factor K" where K = 2 at every point
        assert "factor 2" in " ".join(outcome.report.links[wrong - 1].diagnosis), outcome.describe()


def test_the_corpus_covers_every_part_and_every_kind():
    assert len(PARTS) >= 40
    assert {kind for kinds in KINDS.values() for kind in kinds} == {"sign", "drop", "factor", "swap", "phi"}
    assert all(KINDS.values()), "every part has a mutation"


# -- what the corpus found: the printer's LaTeX read back (each a reader fix, kept here as a table) ------------
def _named(spec, name: str):
    """A spec's symbol, tensor or index letter by its name."""
    return next(s for s in (*spec.shapes, *spec.definitions, *spec.index_range) if str(s) == name)


@pytest.mark.parametrize("problem, part, latex, wanted", [
    ("tanh-derivative", "derivative", r"\frac{\partial}{\partial x}\left(- x\right) e^{- x}",  # (∂/∂x (−x)) e^{−x}
     lambda n: sp.exp(-n("x")) * D(-n("x"), n("x"))),
    ("two-layer-l2", "dW2", r"\left.\frac{\partial J}{\partial W_{2,jk}}\right|_{Z_3\ \mathrm{fixed}}",
     lambda n: D(n("J"), n("W2")[n("j"), n("k")], sp.Tuple(n("Z3")))),
    ("softmax-cross-entropy", "dloss-dlogits", r"\frac{\partial \ell}{\partial x_{j}}",  # ℓ of x, not ℓ of p
     lambda n: D(n("ell_x"), n("x")[n("j")])),
], ids=["operator-on-a-bracket", "held-fixed", "one-name-two-scalars"])
def test_the_printers_latex_reads_back(problem, part, latex, wanted):
    spec = library.load(problem)
    assert read_side(latex, spec, spec.part_by_id(part)) == wanted(lambda name: _named(spec, name))


def test_a_bound_sum_range_tells_two_tensors_of_one_name_apart():
    spec = library.load("sigmoid-bce")  # w is w_hid (n_z × n_y) and w_out (n_y × n_x); k runs over n_z
    read = read_side(r"\sum_{k=1}^{n_y} y_{k} w_{km}", spec, spec.part_by_id("dE-dw-output"))
    assert {e.base.label.name for e in read.atoms(sp.Indexed)} == {"y", "w_out"}


def test_an_indicator_of_a_conjunction_is_a_product():
    spec = library.load("conv1d")
    one = read_side(r"g_{j} \mathbb{1}\left[1 \leq j \wedge j \leq M\right]", spec, spec.part_by_id("dx"))
    two = read_side(r"g_{j} \mathbb{1}\left[1 \leq j\right] \mathbb{1}\left[j \leq M\right]", spec,
                    spec.part_by_id("dx"))
    assert one == two


def test_a_chain_from_a_target_that_is_an_expression_has_its_answer_checked():
    derivation = derivation_of("softmax-jacobian", "vjp")
    outcome = judge_chain(derivation, sides(derivation), None, TIMEOUT)
    assert outcome.final == "equivalent"


def test_a_target_alone_on_its_row_starts_the_chain():
    """`\\frac{∂E}{∂w} \\\\ &= ...`: the left side on a row of its own (as seed 004 writes it) is the chain's."""
    derivation = derivation_of("tanh-derivative", "derivative")
    spec = derivation.spec
    printed = [tex(e, spec) for e in sides(derivation)]
    text = "\\begin{align*}\n" + " \\\\\n".join([printed[0]] + [f"&= {p}" for p in printed[1:]]) + "\n\\end{align*}\n"
    report = check_steps(spec, text, derivation.part, timeout=TIMEOUT)
    assert [link.verdict for link in report.links] == ["follows"] * (len(printed) - 1)
    assert report.links[0].line == 3 and report.final is not None and report.final.verdict == "equivalent"
