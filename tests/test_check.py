"""The checker end to end: notations accepted, mistakes rejected with the right words, bad input."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from derive.checking import check, equiv
from derive.cli import main

ACCEPTED = {
    "softmax-jacobian/jacobian": [
        "s_i*(delta_ij - s_j)", "σ_i(δ_ij − σ_j)", r"\sigma_i(\delta_{ij}-\sigma_j)",
        "sigma_i*delta_ij - sigma_i*sigma_j", "p_i([i==j] - p_j)", "diag(s) - s s^T",
        r"\operatorname{diag}(\sigma) - \sigma\sigma^\top",
    ],
    "softmax-jacobian/vjp": [r"s_j*(v_j - sum_k v_k s_k)", r"\sigma_j\left(v_j-\sum_{k=1}^{n} v_k\sigma_k\right)"],
    "log-softmax-jacobian/jacobian": ["delta_ij - s_j", r"\delta_{ij} - \sigma_j", "I - 1 s^T"],
    "tanh-derivative": [r"1-\tanh^2(x)", "1 - tanh(x)^2", "sech(x)^2", r"\operatorname{sech}^2(x)", "1/cosh(x)^2"],
    "softmax-cross-entropy/dloss-dlogits": ["s_j - t_j", r"\sigma_j - t_j"],
    "softmax-cross-entropy/dloss-dprob": ["-t_i/p_i", r"-\frac{t_i}{p_i}"],
    "two-layer-l2/dW2": ["A2^T (Psi - Delta)/N + 2 lambda W2", r"\frac{1}{N} A_2^\top (\Psi - \Delta) + 2\lambda W_2",
                         "sum_n A2_nj (Psi_nk - Delta_nk)/N + 2 λ W2_jk"],
    "two-layer-l2/dZ2": ["((Psi - Delta) W2^T) ⊙ phi'(Z2) / N"],
}
CASES = [(target, answer) for target, answers in ACCEPTED.items() for answer in answers]


@pytest.mark.parametrize("target,answer", CASES, ids=[f"{t}:{a}" for t, a in CASES])
def test_correct_forms_are_equivalent(target, answer):
    result = check(target, answer)
    assert result.verdict == "equivalent", result.message
    assert result.exit_code == 0


REJECTED = [
    ("softmax-jacobian/jacobian", r"\sigma_i(1-\sigma_j)", "δ_ij is missing"),
    ("softmax-jacobian/jacobian", "-s_i s_j", "off-diagonal formula"),
    ("tanh-derivative", "tanh(x)^2 - 1", "sign error"),
    ("two-layer-l2/dW2", "A2^T (Psi - Delta)/N", "regularisation term"),
    ("two-layer-l2/dW2", "A2^T (Psi - Delta)/N + lambda W2", "factor 2"),
    ("two-layer-l2/dZ3", "Psi - Delta", "1/N"),
    ("two-layer-l2/dZ2", "((Psi - Delta) W2^T) ⊙ phi(Z2) / N", "φ used where φ' belongs"),
    ("softmax-cross-entropy/dloss-dlogits", "t_j - s_j", "sign error"),
]


@pytest.mark.parametrize("target,answer,why", REJECTED, ids=[f"{t}:{a}" for t, a, _ in REJECTED])
def test_wrong_answers_are_rejected_with_the_right_diagnosis(target, answer, why):
    result = check(target, answer)
    assert result.verdict == "not_equivalent" and result.exit_code == 1
    assert any(why in d for d in result.diagnosis), result.diagnosis
    assert result.counterexample["student_value"] != result.counterexample["reference_value"]


def test_an_answer_equal_only_under_an_assumption_names_it():
    result = check("softmax-cross-entropy/dloss-dlogits", "s_j*sum_k t_k - t_j")
    assert result.verdict == "equivalent"
    assert result.assumptions_used == ["Σ_k t_k = 1"]


INVALID = [
    ("", "empty"),
    ("s_i*(delta_ij - s_j", "("),
    ("__import__('os')", ""),
    (r"\input{/etc/passwd}", r"\input"),
    ("9^9^9^9", ""),
    ("q_i", "q"),
]


@pytest.mark.parametrize("answer,needle", INVALID, ids=[a or "empty" for a, _ in INVALID])
def test_invalid_input_is_a_clean_invalid_verdict(answer, needle):
    result = check("softmax-jacobian/jacobian", answer)
    assert result.verdict == "invalid" and result.exit_code == 2
    assert needle in result.message and "\n" not in result.message


def test_an_answer_with_another_free_index_is_wrong_not_unreadable():
    result = check("softmax-jacobian/jacobian", "s_k")
    assert result.verdict == "not_equivalent" and result.exit_code == 1
    assert result.diagnosis == ["the free indices are k; the target's are i, j"]


def test_cli_check_json_shape_and_exit_codes():
    runner = CliRunner()
    ok = runner.invoke(main, ["check", "two-layer-l2/dW2", "A2^T (Psi - Delta)/N + 2 lambda W2", "--json"])
    assert ok.exit_code == 0, ok.output
    data = json.loads(ok.output)
    assert set(data) >= {"problem", "part", "verdict", "message", "student_latex", "reference_latex",
                         "assumptions_used", "counterexample", "diagnosis"}
    wrong = runner.invoke(main, ["check", "softmax-jacobian/jacobian", r"\sigma_i(1-\sigma_j)"])
    assert wrong.exit_code == 1 and "not equivalent" in wrong.output
    piped = runner.invoke(main, ["check", "tanh-derivative", "-"], input="1-\\tanh^2(x)\n")
    assert piped.exit_code == 0, piped.output
    bad = runner.invoke(main, ["check", "softmax-jacobian/jacobian", "s_i*("])
    assert bad.exit_code == 2 and "Traceback" not in bad.output
    unknown = runner.invoke(main, ["check", "softmax-jacobain/jacobian", "s_i"])
    assert unknown.exit_code == 2 and "softmax-jacobian" in unknown.output


def test_equiv_free_expressions():
    assert equiv("1/(1+exp(-2x))", "tanh(x)/2 + 1/2").verdict == "equivalent"
    assert equiv(r"\frac{1}{2^{98}}", r"\frac{1}{2^{99}}").verdict == "not_equivalent"
    assert equiv("sqrt(x^2)", "x").verdict == "not_equivalent"
    assert equiv("sqrt(x^2)", "x", assume={"x": "positive"}).verdict == "equivalent"
    shifted = equiv("x^4/4 + c", "x^4/4")
    assert shifted.verdict == "not_equivalent"
    result = CliRunner().invoke(main, ["equiv", "x-1)^2", "(x-1)^2"])
    assert result.exit_code == 2


def test_grade_jsonl_and_csv(tmp_path):
    rows = [{"id": "a1", "problem": "softmax-jacobian", "part": "jacobian", "answer": "s_i*(delta_ij - s_j)"},
            {"id": "a2", "problem": "softmax-jacobian", "part": "jacobian", "answer": r"\sigma_i(1-\sigma_j)"},
            {"id": "a3", "problem": "tanh-derivative", "part": "", "answer": "1 - tanh(x)^2"},
            {"id": "a4", "problem": "softmax-jacobian", "part": "jacobian", "answer": "s_i*("}]
    source = tmp_path / "subs.jsonl"
    source.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    out = tmp_path / "results.jsonl"
    result = CliRunner().invoke(main, ["grade", str(source), "-o", str(out)])
    assert result.exit_code == 0, result.output
    graded = {g["id"]: g for g in map(json.loads, out.read_text(encoding="utf-8").splitlines())}
    assert sorted(graded) == ["a1", "a2", "a3", "a4"]  # in the order they completed
    assert [graded[k]["verdict"] for k in sorted(graded)] == ["equivalent", "not_equivalent", "equivalent", "invalid"]
    assert "4 answers: 2 equivalent, 1 not_equivalent, 1 invalid, 0 undecided" in result.output
    csv_in = tmp_path / "subs.csv"
    csv_in.write_text("id,problem,part,answer\nb1,softmax-jacobian,jacobian,\"s_i*(delta_ij - s_j)\"\n",
                      encoding="utf-8")
    result = CliRunner().invoke(main, ["grade", str(csv_in), "-o", str(tmp_path / "r.csv")])
    assert result.exit_code == 0, result.output
    assert "equivalent" in (tmp_path / "r.csv").read_text(encoding="utf-8")


def _notations():
    from derive.printing import ascii_text, matrix_ascii, matrix_tex, matrix_text, tex, text
    from derive.printing.matrixform import to_matrix
    from derive.problem import library

    for spec in library.all_specs():
        for part in spec.parts:
            forms = {"ascii": ascii_text(part.reference, spec), "unicode": text(part.reference, spec),
                     "latex": tex(part.reference, spec)}
            if part.matrix:
                form = to_matrix(part.reference, part.free, spec)
                forms.update({"matrix ascii": matrix_ascii(form, spec), "matrix unicode": matrix_text(form, spec),
                              "matrix latex": matrix_tex(form, spec)})
            mistakes = [(m, {"ascii": ascii_text(m.answer, spec), "latex": tex(m.answer, spec)})
                        for m in part.mistakes]
            yield f"{spec.id}/{part.id}", forms, mistakes


NOTATIONS = list(_notations())


@pytest.mark.parametrize("target,forms,mistakes", NOTATIONS, ids=[n[0] for n in NOTATIONS])
def test_every_spec_answer_in_every_notation_and_every_known_mistake(target, forms, mistakes):
    for how, answer in forms.items():
        result = check(target, answer)
        assert result.verdict == "equivalent", (how, answer, result.message)
    for mistake, written in mistakes:
        for how, answer in written.items():
            result = check(target, answer)
            assert result.verdict == "not_equivalent", (how, answer, result.message)
            assert mistake.why in result.diagnosis, (how, answer, result.diagnosis)


def test_no_student_text_path_calls_eval_sympify_parse_expr_or_lambdify():
    import ast
    from pathlib import Path

    forbidden = {"eval", "exec", "sympify", "parse_expr", "lambdify", "S", "parse_latex", "compile"}
    package = Path(__file__).resolve().parent.parent / "derive"
    modules = [*sorted((package / "parsing").glob("*.py")), *sorted((package / "checking").glob("*.py")),
               *sorted((package / "grading").glob("*.py")), package / "cli.py"]
    assert len(modules) >= 14, [m.name for m in modules]  # the student-text path is all here
    for module in modules:
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                if isinstance(node.func, ast.Attribute):  # sp.sympify(...), not re.compile(...)
                    name = node.func.attr if node.func.attr not in ("compile",) else ""
                else:
                    name = getattr(node.func, "id", "")
                assert name not in forbidden, f"{module.name}:{node.lineno} calls {name}"


@pytest.mark.parametrize("target,answer", [
    ("softmax-jacobian/jacobian", "42 + 10^(-40)*cos(10^40 + x_i)"),  # one huge term inside a function
    ("tanh-derivative", "1 - tanh(x)^2 + 10^(-30)"),  # a tiny but real difference
    ("tanh-derivative", "1 - tanh(x)^2 + |x - 2| + x - 2"),  # right only for x < 2
    ("softmax-jacobian/jacobian", "s_i*(1 - s_j)/delta_ij"),  # undefined wherever i ≠ j
    ("softmax-jacobian/jacobian", "s_i*(delta_ij - s_j) + log(delta_ij)"),
    ("softmax-cross-entropy/batch-mean", "(Psi_nk - 1/Delta_nk)/N"),
])
def test_answers_that_fooled_a_tolerance_or_skipped_points_are_rejected(target, answer):
    assert check(target, answer).verdict == "not_equivalent"


@pytest.mark.parametrize("first,second,verdict", [
    ("exp(x)*(1+2^(-100))", "exp(x)", "not_equivalent"),
    ("sin(10^40 + x) + 1", "sin(10^40 + x)", "not_equivalent"),
    ("1/(cosh(x)^2 - sinh(x)^2 - 1 + 10^(-30))", "10^30", "equivalent"),  # cancellation, then equal
    ("abs(x-3)", "3-x", "not_equivalent"),
    ("sqrt((x+3)^2)", "x+3", "not_equivalent"),
])
def test_equiv_decides_by_two_precisions_not_a_tolerance(first, second, verdict):
    assert equiv(first, second).verdict == verdict


def test_equiv_names_an_assumption_sympy_already_used():
    result = equiv("sqrt(x^2)", "x", assume={"x": "positive"})
    assert result.verdict == "equivalent" and result.assumptions_used == ["x positive"]


def test_a_verdict_survives_a_diagnosis_that_runs_out_of_time(monkeypatch):
    from derive.checking import ladder as check_module
    from derive.checking.evaluate import Timeout

    def slow(*args, **kwargs):
        raise Timeout("time limit reached")

    monkeypatch.setattr(check_module, "diagnose", slow)
    result = check("softmax-jacobian/jacobian", r"\sigma_i(1-\sigma_j)")
    assert result.verdict == "not_equivalent" and result.diagnosis == []
