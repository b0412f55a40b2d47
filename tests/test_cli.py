"""The `derive` command: help, exit codes, JSON shape, and no SymPy for help and list."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from derive import registry
from derive.cli import main


def run(*args):
    return CliRunner().invoke(main, list(args))


@pytest.mark.parametrize("command", sorted(main.commands))
def test_every_command_has_help_with_an_example(command):
    result = run(command, "--help")
    assert result.exit_code == 0
    assert "Example" in result.output


def test_top_level_help_shows_examples():
    result = run("--help")
    assert result.exit_code == 0 and "derive softmax-jacobian --latex" in result.output


@pytest.mark.parametrize("args", [["--help"], ["list"]], ids=["help", "list"])
def test_help_and_list_do_not_import_sympy(args):
    code = ("import sys; from derive.cli import main\n"
            f"try:\n    main({args!r})\nexcept SystemExit:\n    pass\n"
            "sys.stdout.write('SYMPY' if 'sympy' in sys.modules else 'CLEAN')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.endswith("CLEAN")


def test_list_names_every_problem_and_part():
    result = run("list", "--json")
    listed = {p["id"]: p["parts"] for p in json.loads(result.output)}
    assert listed == {h.id: list(h.parts) for h in registry.headers()}


@pytest.mark.parametrize("args,needle", [
    (["softmax-jacobain"], "did you mean 'softmax-jacobian'"),
    (["two-layer-l2", "--part", "dW2x"], "did you mean 'dW2'"),
])
def test_unknown_problem_or_part_exits_2_with_one_line(args, needle):
    result = run(*args)
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0] and "known:" in lines[0]


def test_json_has_the_documented_shape(tmp_path, monkeypatch):
    monkeypatch.setenv("DERIVE_CACHE_DIR", str(tmp_path))
    result = run("two-layer-l2", "--part", "dW2", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert {"id", "title", "source", "statement", "parts"} <= set(data)
    (part,) = data["parts"]
    assert part["id"] == "dW2"
    assert {"id", "statement", "steps", "answer", "assumptions", "domain"} <= set(part)
    assert all(set(step) >= {"rule", "note", "latex", "text"} for step in part["steps"])
    assert set(part["answer"]) == {"index_latex", "index_text", "index_ascii", "index_lines",
                                   "matrix_latex", "matrix_text", "matrix_ascii", "matrix_lines"}
    assert part["answer"]["matrix_text"] is not None


def test_cached_and_fresh_output_agree(tmp_path, monkeypatch):
    monkeypatch.setenv("DERIVE_CACHE_DIR", str(tmp_path))
    first = run("softmax-jacobian", "--latex").output
    second = run("softmax-jacobian", "--latex").output
    fresh = run("softmax-jacobian", "--latex", "--no-cache").output
    assert first == second == fresh
    assert list(tmp_path.rglob("softmax-jacobian.json"))


def test_terminal_output_names_rules_and_answer(tmp_path, monkeypatch):
    monkeypatch.setenv("DERIVE_CACHE_DIR", str(tmp_path))
    result = run("softmax-jacobian")
    assert result.exit_code == 0
    assert "[quotient rule]" in result.output and "Answer: σ_i·(δ_ij - σ_j)" in result.output
