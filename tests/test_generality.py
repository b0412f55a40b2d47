"""Problems nobody wrote for the catalogue: specs written here, in a temporary course folder.

Each test is a rule that must hold for every problem, shown on one the
library does not have.
"""
from __future__ import annotations

import textwrap

import pytest

from derive.checking import check
from derive.problem import library

TWO_GENERICS = '''
from derive.spec import D, Spec

SPEC = Spec(id="two-generics", title="Two activations", source="test", statement="y = phi(psi(x)).")
phi = SPEC.function("phi", latex=r"\\phi", text="φ", aliases=("φ", "phi"))
psi = SPEC.function("psi", latex=r"\\psi", text="ψ", aliases=("ψ", "psi"))
x = SPEC.scalar("x")
y = SPEC.scalar("y")
SPEC.define(y, phi(psi(x)))
SPEC.part("dy", "Find dy/dx.", target=D(y, x),
          reference=SPEC.derivative(phi)(psi(x)) * SPEC.derivative(psi)(x))
'''


def course(tmp_path, **specs):
    folder = tmp_path / "course"
    folder.mkdir()
    for name, text in specs.items():
        (folder / f"{name}.py").write_text(textwrap.dedent(text), encoding="utf-8")
    library.configure([folder])
    return folder


def test_two_generic_functions_never_share_a_stand_in(tmp_path):
    """φ'(ψ(x)) ψ'(x) and ψ'(φ(x)) φ'(x) are different functions: a checker that replaced both φ and ψ by
    tanh called them equal."""
    course(tmp_path, two_generics=TWO_GENERICS)
    assert check("two-generics", "phi'(psi(x)) * psi'(x)").verdict == "equivalent"
    wrong = check("two-generics", "psi'(phi(x)) * phi'(x)")
    assert wrong.verdict == "not_equivalent", wrong.message
    assert set(wrong.counterexample["point"]) >= {"phi", "psi"}
    assert wrong.counterexample["point"]["phi"] != wrong.counterexample["point"]["psi"]


@pytest.mark.parametrize("answer", ["phi'(psi(x))", "psi'(x)", "phi(psi(x)) * psi'(x)"])
def test_other_wrong_chain_rules_are_refused(tmp_path, answer):
    course(tmp_path, two_generics=TWO_GENERICS)
    assert check("two-generics", answer).verdict == "not_equivalent"
