r"""Links that restate a definition (issue 19, item 3): `A_2 = \max(0, Z_2)` is a definition, not a step.

Students begin by restating the forward pass. A chain whose first side is a
quantity the problem defines (or the student did: "Let $g = …$") is about that
quantity: its first link follows, with `rule` "definition", when the other
side is the definition in any form (entry-wise, as a matrix, other index
letters, the function's name or its body), and does not follow ("this is not
the problem's definition of A2 (...)") when it is not; where the prose
introduces it as the student's own ("With", "Let", "Given") a wrong one is
the student's notation (unread), as any such definition is. The table: each
case with its verdicts, on library problems and on a spec written here.
"""
from __future__ import annotations

import json

import pytest
import sympy as sp
from click.testing import CliRunner

from derive.checking.steps import DOES_NOT_FOLLOW, FOLLOWS, FOLLOWS_IF, UNREAD, check_steps
from derive.cli import main
from derive.problem import library
from derive.spec import D, Spec

DEFINITION = "definition"
NOT_THE_DEFINITION = "this is not the problem's definition of A2 (A2_nj = relu(Z2_nj))"


def _small_relu() -> Spec:
    """A spec of this test's own (not in the catalogue): z = W x, a = relu(z) entry-wise, y = Σ a, a generic φ."""
    spec = Spec(id="small-relu", title="a small ReLU layer", source="test", statement="")
    n, m = spec.dim("n"), spec.dim("m")
    i, k = spec.indices("i k", range=m)
    (j,) = spec.indices("j", range=n)
    relu = spec.function("relu", lambda a: sp.Max(0, a), latex=r"\operatorname{relu}", text="relu")
    phi = spec.function("phi", latex=r"\phi", text="φ", aliases=("φ",))
    x = spec.tensor("x", n)
    w = spec.tensor("W", m, n)
    z = spec.tensor("z", m)
    a = spec.tensor("a", m)
    y = spec.scalar("y")
    spec.define(z[i], sp.Sum(w[i, j] * x[j], (j, 1, n)))
    spec.define(a[i], relu(z[i]))
    spec.define(y, sp.Sum(phi(a[i]), (i, 1, m)))
    spec.part("dW", "Find $\\partial y / \\partial W$.", target=D(y, w[i, j]),
              reference=spec.derivative(phi)(a[i]) * sp.Heaviside(z[i]) * x[j], free=(i, j))
    return spec


def _spec(name: str) -> Spec:
    return _small_relu() if name == "small-relu" else library.load(name)


#: (id, problem, part, text, the verdicts of its links, the rule of the first link, the first link's diagnosis)
CASES = [
    ("prose-with", "relu-mlp", "dW1",
     "With $A_2 = \\max(0, Z_2)$ the derivative of the activation is\n\n"
     "$$\\frac{\\partial A_{2,nj}}{\\partial Z_{2,nj}} = [Z_{2,nj} > 0]$$\n", [FOLLOWS, FOLLOWS], DEFINITION, None),
    ("function-name", "relu-mlp", "dW1", "$$A_2 = \\operatorname{relu}(Z_2)$$", [FOLLOWS], DEFINITION, None),
    ("max-swapped", "relu-mlp", "dW1", "$$A_2 = \\max(Z_2, 0)$$", [FOLLOWS], DEFINITION, None),
    ("entry-wise", "relu-mlp", "dW1", "$$A_{2,nj} = \\max(0, Z_{2,nj})$$", [FOLLOWS], DEFINITION, None),
    ("a-literal-entry", "relu-mlp", "dW2", "$$(A_2)_{1,2} = \\max(0, (Z_2)_{1,2})$$", [FOLLOWS], DEFINITION, None),
    ("then-steps", "relu-mlp", "dW1", "$$A_2 = \\max(0, Z_2) = Z_2 \\odot [Z_2 > 0]$$", [FOLLOWS, FOLLOWS],
     DEFINITION, None),
    ("then-a-wrong-step", "relu-mlp", "dW1", "$$A_2 = \\max(0, Z_2) = Z_2$$", [FOLLOWS, DOES_NOT_FOLLOW],
     DEFINITION, None),
    ("matrix-form", "relu-mlp", "dW1", "$$Z_2 = X W_1 + \\mathbf{1} b_1^\\top$$", [FOLLOWS], DEFINITION, None),
    ("the-loss", "relu-mlp", "dW1", "$$J = -\\frac{1}{N} \\sum_n \\sum_k \\Delta_{nk} \\log \\Psi_{nk}$$",
     [FOLLOWS], DEFINITION, None),
    ("wrong-no-max", "relu-mlp", "dW1", "$$A_2 = Z_2$$", [DOES_NOT_FOLLOW], None, NOT_THE_DEFINITION),
    ("wrong-input", "relu-mlp", "dW1", "$$A_2 = \\max(0, X)$$", [DOES_NOT_FOLLOW], None, NOT_THE_DEFINITION),
    ("wrong-but-the-students-own", "relu-mlp", "dW1", "With $A_2 = Z_2$ the activation is the identity.",
     [UNREAD], None, None),
    ("generic-phi", "two-layer-l2", "dW1", "$$A_2 = \\phi(Z_2)$$", [FOLLOWS], DEFINITION, None),
    ("generic-phi-entry", "two-layer-l2", "dZ2", "where $A_{2,nj} = \\phi(Z_{2,nj})$", [FOLLOWS], DEFINITION,
     None),
    ("generic-phi-wrong", "two-layer-l2", "dW1", "$$A_2 = \\phi'(Z_2)$$", [DOES_NOT_FOLLOW], None,
     "this is not the problem's definition of A2 (A2_nj = φ(Z2_nj))"),
    ("softmax-other-letters", "softmax-jacobian", "jacobian",
     "$$\\sigma_k = \\frac{e^{x_k}}{\\sum_m e^{x_m}}$$", [FOLLOWS], DEFINITION, None),
    ("softmax-by-name", "softmax-jacobian", "jacobian",  # the same expression: σ by its two names
     "$$\\sigma(\\mathbf{x}) = \\operatorname{softmax}(\\mathbf{x})$$", [FOLLOWS], None, None),
    ("own-spec-vector", "small-relu", "dW", "$$a = \\max(0, z)$$", [FOLLOWS], DEFINITION, None),
    ("own-spec-other-letter", "small-relu", "dW", "$$a_k = \\operatorname{relu}(\\sum_j W_{kj} x_j)$$", [FOLLOWS],
     DEFINITION, None),
    ("own-spec-scalar", "small-relu", "dW", "$$y = \\sum_i \\phi(a_i)$$", [FOLLOWS], DEFINITION, None),
    ("own-spec-wrong", "small-relu", "dW", "$$a = \\max(0, x)$$", [DOES_NOT_FOLLOW], None,
     "this is not the problem's definition of a (a_i = relu(z_i))"),
    ("own-spec-wrong-sum", "small-relu", "dW", "$$z_i = \\sum_j W_{ij} x_j^2$$", [DOES_NOT_FOLLOW], None,
     "this is not the problem's definition of z (z_i = Σ_{j=1..n} x_j·W_ij)"),
]


@pytest.mark.parametrize("problem, part, text, verdicts, rule, diagnosis", [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_a_restated_definition(problem, part, text, verdicts, rule, diagnosis):
    spec = _spec(problem)
    report = check_steps(spec, text, spec.part_by_id(part))
    first = report.links[0]
    assert [link.verdict for link in report.links] == verdicts, [link.message for link in report.links]
    assert first.rule == rule, first.message
    if rule == DEFINITION:
        assert first.message.startswith("the definition: ")
    if diagnosis is not None:
        assert first.diagnosis[0] == diagnosis
        assert first.counterexample is not None  # shown wrong: it costs points under `derive grade`


def test_the_reproduction_exits_0_and_says_definition_in_the_json(tmp_path):
    """The file of the issue: ✗ on its first line before, exit 1; now the definition, every link ✓, exit 0."""
    path = tmp_path / "relu.md"
    path.write_text("With $A_2 = \\max(0, Z_2)$ the derivative of the activation is\n\n"
                    "$$\\frac{\\partial A_{2,nj}}{\\partial Z_{2,nj}} = [Z_{2,nj} > 0]$$\n\nThen\n\n"
                    "$$\\frac{\\partial J}{\\partial W_{1,lj}} = \\sum_n \\frac{\\partial J}{\\partial Z_{2,nj}} "
                    "\\frac{\\partial Z_{2,nj}}{\\partial W_{1,lj}} = \\sum_n \\frac{\\partial J}{\\partial Z_{2,nj}} "
                    "X_{nl}$$\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["steps", "relu-mlp/dW1", str(path), "--json"])
    assert result.exit_code == 0, result.output
    links = json.loads(result.output)["links"]
    assert [link["verdict"] for link in links] == [FOLLOWS] * 4
    assert links[0]["rule"] == DEFINITION and links[0]["message"] == \
        "the definition: A2_nj = relu(Z2_nj) (the problem's)"
    assert all(link["rule"] is None for link in links[1:])
    text = CliRunner().invoke(main, ["steps", "relu-mlp/dW1", str(path)])
    assert "the definition: A2_nj = relu(Z2_nj)" in text.output


def test_a_student_definition_restated_rightly_and_wrongly():
    """A name the student defined ("Let $g_i = …$") restated later is a definition too; restated otherwise, it
    is not the student's own definition (said with its line)."""
    spec = library.load("softmax-jacobian")
    part = spec.part_by_id("jacobian")
    head = "Let $g_i = e^{x_i}$.\n\n"
    right = check_steps(spec, head + "$$g_k = \\exp(x_k)$$\n", part)
    assert [d.text for d in right.definitions] == ["g_i"]
    assert [(link.verdict, link.rule) for link in right.links] == [(FOLLOWS, DEFINITION)]
    assert right.links[0].message == "the definition: g_i = e^{x_i}"
    wrong = check_steps(spec, head + "$$g_i = e^{2 x_i}$$\n", part)
    assert wrong.links[0].verdict == DOES_NOT_FOLLOW
    assert wrong.links[0].diagnosis[0] == "this is not g as defined on line 1 (g_i = e^{x_i})"


def test_a_definition_chain_within_a_derivation():
    """The definition chain does not disturb the chains around it: the target's chain still ends in the checked
    answer, and a restatement that holds only at size one is marked so."""
    spec = library.load("relu-mlp")
    part = spec.part_by_id("dW1")
    text = ("$$A_2 = \\max(0, Z_2)$$\n\n$$\\frac{\\partial J}{\\partial W_{1,lj}} = \\sum_n X_{nl} [Z_{2,nj} > 0] "
            "\\sum_k \\frac{\\Psi_{nk} - \\Delta_{nk}}{N} W_{2,jk}$$\n")
    report = check_steps(spec, text, part)
    assert [link.verdict for link in report.links] == [FOLLOWS, FOLLOWS]
    assert report.final is not None and report.final.verdict == "equivalent" and report.exit_code == 0
    transposed = check_steps(spec, "$$A_2 = \\max(0, Z_2^T)$$", part)  # h×N: read with every dimension 1 only
    assert (transposed.links[0].verdict, transposed.links[0].condition) == (FOLLOWS_IF, "every dimension 1")
