"""The `derive` command: help, exit codes, JSON shape, and no SymPy for help and list."""
from __future__ import annotations

import csv
import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from derive.authoring.skeleton import write_skeleton
from derive.cli import main
from derive.problem import library


def run(*args):
    return CliRunner().invoke(main, list(args))


HELP_PAGES = [[], *[[name] for name in sorted(main.commands)], ["softmax-jacobian"]]
SUBMISSIONS = [{"id": "s1", "student": "ann", "problem": "softmax-jacobian", "part": "jacobian",
                "answer": "s_i*(delta_ij - s_j)"},
               {"id": "s2", "student": "bob", "problem": "tanh-derivative", "part": "", "answer": "1 - tanh(x)"}]


def examples(words: list[str]) -> list[str]:
    """The command lines of a help page's Example(s) block."""
    page = run(*words, "--help").output
    block = page.split("Example", 1)[1].split("\n\n", 1)[0] if "Example" in page else ""
    return [line.strip() for line in block.splitlines() if line.strip().startswith(("derive ", "echo "))]


def run_example(line: str):
    """Run one example line as a shell would: `echo X | derive ...`, `> file`, `| less` dropped."""
    stdin = None
    if line.startswith("echo "):
        echoed, line = line.split("|", 1)
        stdin = shlex.split(echoed)[1] + "\n"
    words = shlex.split(line, comments=True)
    if "|" in words:
        words = words[:words.index("|")]
    target = None
    if ">" in words:
        target = words[words.index(">") + 1]
        words = words[:words.index(">")]
    assert words[0] == "derive", line
    result = CliRunner().invoke(main, words[1:], input=stdin)
    if target is not None:
        Path(target).write_text(result.output, encoding="utf-8")
    return result


def example_files(folder: Path, course: bool) -> None:
    """What the examples read: submissions, a class CSV, points and (unless `new` makes it) a course folder."""
    (folder / "submissions.jsonl").write_text("".join(json.dumps(r) + "\n" for r in SUBMISSIONS), encoding="utf-8")
    with (folder / "class.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["id", "student", "problem", "part", "answer"])
        writer.writeheader()
        writer.writerows(SUBMISSIONS)
    (folder / "points.json").write_text(json.dumps({"softmax-jacobian/jacobian": 2, "*": 1}), encoding="utf-8")
    if course:
        write_skeleton("relu-layer", folder / "course")


@pytest.fixture(scope="module")
def example_cache(tmp_path_factory):
    return tmp_path_factory.mktemp("example-cache")


@pytest.mark.parametrize("words", HELP_PAGES, ids=lambda w: " ".join(w) or "derive")
def test_every_help_page_has_examples_and_each_runs(words, tmp_path, example_cache, monkeypatch):
    example_files(tmp_path, course=words != ["new"])
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DERIVE_CACHE_DIR", str(example_cache))
    if words == ["serve"]:  # the options are read here; the server itself runs in tests/test_web.py
        import derive.web
        from derive.web import Settings

        def serve(settings, host, port, say):
            assert isinstance(settings, Settings) and settings.workers >= 1
            say(f"http://{host}:{port}/")

        monkeypatch.setattr(derive.web, "serve", serve)
    lines = examples(words)
    assert lines, f"`derive {' '.join(words)} --help` has no examples"
    for line in lines:
        result = run_example(line)
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        # an example that shows a wrong answer refused says so in its comment: "# ... exit 1"
        said = re.search(r"#.*\bexit (\d)", line)
        expected = int(said.group(1)) if said else 0
        assert result.exit_code == expected, f"{line!r} exited {result.exit_code}: {result.output[-500:]}"


def test_top_level_help_shows_examples():
    result = run("--help")
    assert result.exit_code == 0 and "derive softmax-jacobian --latex" in result.output


@pytest.mark.parametrize("args", [["--help"], ["list"]], ids=["help", "list"])
def test_help_and_list_do_not_import_sympy(args, tmp_path):
    """`list` loads every spec once to report broken ones, then keeps the result until a file changes."""
    code = ("import sys; from derive.cli import main\n"
            f"try:\n    main({args!r})\nexcept SystemExit:\n    pass\n"
            "sys.stdout.write('SYMPY' if 'sympy' in sys.modules else 'CLEAN')")
    env = {**os.environ, "DERIVE_CACHE_DIR": str(tmp_path)}
    subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env).stdout
    assert out.endswith("CLEAN")


def test_list_names_every_problem_and_part():
    result = run("list", "--json")
    listed = {p["id"]: p["parts"] for p in json.loads(result.output)}
    assert listed == {h.id: list(h.parts) for h in library.headers()}


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


@pytest.mark.parametrize("args,code", [
    (["check", "log-softmax-jacobian/nll-gradient", "-t_i"], 0),
    (["check", "tanh-derivative", "-tanh(x)^2 + 1", "--timeout", "3"], 0),
    (["check", "--latex", "tanh-derivative", r"-\tanh^2(x) + 1"], 0),  # -\tanh…: no -h flag hidden in it
    (["check", "tanh-derivative", "-hx"], 2),  # read as an answer (an unknown name), not as --help
    (["equiv", "-x", "-1*x"], 0),
    (["equiv", "--", "-x", "-1*x"], 0),
    (["equiv", "-x", "x", "--json"], 1),
    (["check", "tanh-derivative", "1 - tanh(x)^2", "--bogus"], 2),
], ids=["-t_i", "-tanh", "latex", "-h-inside", "equiv", "equiv --", "json", "unknown option"])
def test_answers_may_begin_with_a_minus_sign(args, code):
    result = run(*args)
    assert result.exit_code == code, result.output
    assert "No such option" not in result.output
