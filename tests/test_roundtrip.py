"""Everything derive prints reads back (issue 19, item 2).

Every printed form of every part's answer (index form and, where the part has
one, matrix form; LaTeX, Unicode text and ASCII: the report's answer keys) is
`equivalent` in `derive check` to the engine's own derived answer, read with
the form's format. Over the library, the course-style specs of
`tests/notation_course` (accents, `h^{\\mathrm{prev}}`, a dimension T, √d, π,
cases) and 40 random networks (tests/networks.py; their parts hold
placeholder references, so each is checked against its derived answer), whose
matrix forms are read back too wherever the engine can write one.

Deriving is the slow part (minutes for 40 networks), so each derived answer is
kept in derive's on-disk store (`srepr`, keyed by every source file of derive,
the library, the course folder and tests/networks.py), as derived problems are.
"""
from __future__ import annotations

import copy
import dataclasses
from pathlib import Path

import pytest
import sympy as sp

from derive.authoring import read_back
from derive.calculus import derive
from derive.errors import DerivationError
from derive.printing import to_matrix
from derive.problem import library, store
from derive.problem.spec import D, Iverson

from .networks import random_network

COURSE = Path(__file__).resolve().parent / "notation_course"
NETWORKS = Path(__file__).resolve().parent / "networks.py"
SEEDS = range(40)
LIBRARY_IDS = library.ids()
COURSE_IDS = ("gru-gate", "attention-score", "gauss-nll", "leaky-nobias", "constants")


def _key() -> str:
    files = [*sorted(library.shipped_folder().glob("*.py")), *sorted(COURSE.glob("*.py")), NETWORKS]
    return store.fingerprint(files)


KEY = _key()


def derived_answers(spec) -> dict:
    """{part id: the engine's answer}, from the store when it is there (checked to restore exactly when
    stored)."""
    name = f"roundtrip-answers-{spec.id}.json"
    cached = store.read(KEY, name)
    if isinstance(cached, dict) and set(cached) == {p.id for p in spec.parts}:
        return {part: sp.sympify(text, locals={"Iverson": Iverson, "D": D}) for part, text in cached.items()}
    answers = {part.id: derive(spec, part.id).answer for part in spec.parts}
    written = {part: sp.srepr(answer) for part, answer in answers.items()}
    if all(sp.sympify(text, locals={"Iverson": Iverson, "D": D}) == answers[part] for part, text in written.items()):
        store.write(KEY, name, written)
    return answers


def unread_forms(spec, parts=None) -> tuple[int, list[str]]:
    """Every printed form of every part of `spec` checked: (forms, those that do not read back)."""
    answers = derived_answers(spec)
    checked, unread = 0, []
    for part in parts or spec.parts:
        count, found = read_back(spec, part, answers[part.id])
        checked += count
        unread += [u.describe() for u in found]
    return checked, unread


@pytest.mark.parametrize("problem_id", LIBRARY_IDS)
def test_every_printed_form_of_the_library_reads_back(problem_id):
    checked, unread = unread_forms(library.load(problem_id))
    assert checked and not unread, "\n".join(unread)


@pytest.mark.parametrize("problem_id", COURSE_IDS)
def test_every_printed_form_of_a_course_spec_reads_back(problem_id):
    library.configure([COURSE])
    spec = library.load(problem_id)
    checked, unread = unread_forms(spec)
    assert checked and not unread, "\n".join(unread)
    assert checked == sum(6 if p.matrix else 3 for p in spec.parts)


def _with_matrix_forms(spec) -> list:
    """The network's parts as matrix parts too (a weight W_l: rows and columns; a bias: a column), wherever the
    engine writes the matrix form; the others as they are."""
    answers = derived_answers(spec)
    parts = []
    for part in spec.parts:
        try:
            to_matrix(answers[part.id], part.free, spec)
        except DerivationError:
            parts.append(part)
            continue
        parts.append(dataclasses.replace(part, matrix=True))
    return parts


@pytest.mark.parametrize("seed", SEEDS)
def test_every_printed_form_of_a_random_network_reads_back(seed):
    network = random_network(seed, max_depth=2)
    parts = _with_matrix_forms(network.spec)
    checked, unread = unread_forms(network.spec, parts)
    assert checked >= 3 * len(parts) and not unread, (network.describe(), "\n".join(unread))


def test_a_name_nobody_can_type_does_not_read_back():
    """σ printed as `\\mathfrak{s}` and `☃`: its LaTeX and text forms are found, with the part and the form."""
    spec = library.load("softmax-jacobian")
    part = spec.part_by_id("jacobian")
    sigma = next(k for k in spec.names if str(getattr(k, "label", "")) == "sigma")
    untypable = copy.copy(spec)
    untypable.names = {**spec.names, sigma: dataclasses.replace(spec.names[sigma], latex=r"\mathfrak{s}", text="☃")}
    checked, unread = read_back(untypable, part, derived_answers(spec)["jacobian"])
    assert checked == 6
    assert {u.form for u in unread} == {"index_latex", "index_text", "matrix_latex", "matrix_text"}
    assert all(u.verdict == "invalid" and "part jacobian" in u.describe() for u in unread)


def test_a_printed_form_that_means_another_answer_is_found(monkeypatch):
    """A printer that drops a sign (δ_ij + σ_j for δ_ij − σ_j) is a form that reads, as a wrong answer."""
    import derive.authoring.roundtrip as roundtrip

    printed = roundtrip.answer_forms

    def slipped(*args):
        forms = printed(*args)
        return {**forms, "index_ascii": forms["index_ascii"].replace(" - ", " + ")}

    monkeypatch.setattr(roundtrip, "answer_forms", slipped)
    spec = library.load("softmax-jacobian")
    part = spec.part_by_id("jacobian")
    _, unread = read_back(spec, part, derived_answers(spec)["jacobian"])
    assert [(u.form, u.verdict) for u in unread] == [("index_ascii", "not_equivalent")]
