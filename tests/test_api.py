"""The Python API (`from derive import check, ...`) gives what the CLI's --json prints, option for option."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

import derive
from derive import api
from derive.cli import main
from derive.errors import DeriveError, UnknownProblem

#: a time limit no check here comes near, so that a loaded machine cannot turn one side `undecided`
SLOW = "30"


def cli_json(*args: str, stdin: str | None = None):
    result = CliRunner().invoke(main, list(args), input=stdin)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return json.loads(result.stdout)


def test_problems_is_list_json():
    problems = derive.problems()
    assert problems == cli_json("list", "--json")
    jacobian = next(p for p in problems if p["id"] == "softmax-jacobian")  # what it says, not only that it agrees
    assert jacobian["parts"] == ["jacobian", "vjp"] and jacobian["title"] == "The softmax Jacobian"


@pytest.mark.parametrize("problem,part", [("softmax-jacobian", None), ("two-layer-l2", "dW2")], ids=str)
def test_derive_part_is_the_problem_json(problem, part):
    args = [problem, "--json"] + (["--part", part] if part else [])
    report = derive.derive_part(problem, part)
    assert report == cli_json(*args)
    assert report["id"] == problem and [p["id"] for p in report["parts"]] == ([part] if part else ["jacobian", "vjp"])
    assert all(p["steps"] for p in report["parts"])
    if part == "dW2":  # a part printed alone states the result of dZ3 it uses (documents/assemble.py)
        assert [c["id"] for c in report["parts"][0]["state"]] == ["two-layer-l2/dZ3"]


CHECKS = {
    "right": ("softmax-jacobian/jacobian", "s_i*(delta_ij - s_j)", "auto"),
    "wrong": ("softmax-jacobian/jacobian", r"\sigma_i(1-\sigma_j)", "auto"),
    "unreadable": ("softmax-jacobian/jacobian", "s_i*(delta_ij - ", "text"),
    "latex": ("tanh-derivative", r"1-\tanh^2(x)", "latex"),
}
VERDICTS = {"right": "equivalent", "wrong": "not_equivalent", "unreadable": "invalid", "latex": "equivalent"}


@pytest.mark.parametrize("target,answer,fmt", list(CHECKS.values()), ids=list(CHECKS))
def test_check_is_check_json(target, answer, fmt):
    flags = [] if fmt == "auto" else [f"--{fmt}"]
    expected = cli_json("check", target, answer, "--json", "--timeout", SLOW, *flags)
    got = derive.check(target, answer, format=fmt, timeout=float(SLOW))
    assert got == expected
    name = next(k for k, v in CHECKS.items() if v == (target, answer, fmt))
    assert got["verdict"] == VERDICTS[name]


def test_check_in_this_process_gives_the_same():
    target, answer, _ = CHECKS["wrong"]
    assert derive.check(target, answer, isolated=False) == derive.check(target, answer)


@pytest.mark.parametrize("first,second,assume", [
    ("sqrt(x^2)", "x", ["x>0"]),
    ("sqrt(x^2)", "x", []),
    ("1/(1+exp(-2x))", "tanh(x)/2 + 1/2", []),
], ids=["assumed", "counterexample", "equal"])
def test_equiv_is_equiv_json(first, second, assume):
    args = ["equiv", first, second, "--json", "--timeout", SLOW] + [f"--assume={a}" for a in assume]
    assert derive.equiv(first, second, assume=assume, timeout=float(SLOW)) == cli_json(*args)


@pytest.mark.parametrize("target,text", [
    ("tanh-derivative", "d/dx tanh(x) = (1/cosh(x))^2 = 1 + tanh(x)^2"),
    ("softmax-jacobian/jacobian", "ds_i/dx_j = s_i (delta_ij - s_j)"),
], ids=["wrong", "right"])
def test_steps_is_steps_json(target, text):
    expected = cli_json("steps", target, "-", "--json", "--timeout", SLOW, stdin=text + "\n")
    assert derive.steps(target, text + "\n", timeout=float(SLOW)) == expected


def test_steps_lines_option():
    text = "d/dx tanh(x) = 1 + tanh(x)^2\nd/dx tanh(x) = 1 - tanh(x)^2\n"
    got = derive.steps("tanh-derivative", text, lines="2-2")
    assert [link["line"] for link in got["links"]] == [2] and got["final"]["verdict"] == "equivalent"
    with pytest.raises(DeriveError, match="write A-B"):
        derive.steps("tanh-derivative", text, lines="2")


def test_errors_are_derive_errors_with_the_cli_message():
    with pytest.raises(UnknownProblem, match="did you mean 'softmax-jacobian'"):
        derive.check("softmax-jacobain/jacobian", "s_i")
    with pytest.raises(UnknownProblem):
        derive.derive_part("two-layer-l2", "dw2")
    with pytest.raises(DeriveError, match="format"):
        derive.check("tanh-derivative", "1", format="markdown")
    with pytest.raises(DeriveError, match="NAME>0"):
        derive.equiv("x", "x", assume=["x<0"])
    with pytest.raises(DeriveError, match="timeout"):
        derive.check("tanh-derivative", "1", timeout=0)


def test_preview_reads_as_check_does():
    assert api.preview("s_i*(delta_ij - s_j)", "softmax-jacobian/jacobian", isolated=False)["latex"] == \
        derive.check("softmax-jacobian/jacobian", "s_i*(delta_ij - s_j)")["student_latex"]
    bad = api.preview("s_i*(delta_ij - ", "softmax-jacobian/jacobian", isolated=False)
    assert not bad["ok"] and bad["position"] == 16 and "column 16" in bad["error"]


def test_import_derive_stays_cheap():
    code = ("import sys, derive; assert 'derive.api' not in sys.modules and 'sympy' not in sys.modules; "
            "from derive import check; assert 'derive.api' in sys.modules; print('ok')")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "ok"
    with pytest.raises(AttributeError):
        derive.nothing_of_that_name  # noqa: B018
