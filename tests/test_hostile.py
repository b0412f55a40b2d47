"""Hostile and accidental input: each gets `invalid` or `undecided` within the limit, one clear line,
no file touched, no traceback."""
from __future__ import annotations

import json
import os
import time

import pytest
from click.testing import CliRunner

from derive.checking import check
from derive.cli import main

ATTACKS = {
    "python import": "__import__('os').system('touch pwned')",
    "dunder chain": "().__class__.__bases__[0].__subclasses__()",
    "attribute": "x.real",
    "lambda": "lambda: 1",
    "eval": "eval('1')",
    "latex input": r"\input{/etc/passwd}",
    "latex include": r"\include{secret}",
    "latex write18": r"\immediate\write18{touch pwned}",
    "latex def": r"\def\x{1}\x",
    "latex newcommand": r"\newcommand{\x}{1}",
    "latex catcode": r"\catcode`\^=7",
    "tower": "9^9^9^9",
    "power tower": "10**10**10",
    "huge exponent": "(x+1)^(10^10)",
    "factorial": "99999!",
    "sum bound": "sum_{k=1}^{10^10} k",
    "deep nesting": "(" * 10_000 + "s_i" + ")" * 10_000,
    "one megabyte": "s_i+" * 250_000 + "s_i",
    "nul byte": "s_i\x00",
    "control characters": "s_i\x1b[2J",
    "empty": "",
    "blank": "   ",
}


@pytest.mark.parametrize("answer", list(ATTACKS.values()), ids=list(ATTACKS))
def test_attack_is_invalid_or_undecided_quickly_with_one_line(answer, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    start = time.monotonic()
    result = check("softmax-jacobian/jacobian", answer, timeout=2.0)
    assert time.monotonic() - start < 10
    assert result.verdict in ("invalid", "undecided")
    assert result.message and "\n" not in result.message and "Traceback" not in result.message
    assert list(tmp_path.iterdir()) == []


def test_grade_survives_a_file_of_attacks_and_touches_no_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rows = [{"id": name, "problem": "softmax-jacobian", "part": "jacobian", "answer": answer}
            for name, answer in ATTACKS.items()]
    rows.append({"id": "good", "problem": "softmax-jacobian", "part": "jacobian", "answer": "s_i*(delta_ij - s_j)"})
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["grade", str(source), "-o", "out.jsonl", "--jobs", "2", "--timeout", "2"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl", "out.jsonl"]
    graded = {r["id"]: r for r in map(json.loads, (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines())}
    assert set(graded) == {r["id"] for r in rows}
    assert graded["good"]["verdict"] == "equivalent"
    assert all(graded[name]["verdict"] in ("invalid", "undecided") for name in ATTACKS)


def test_invalid_utf8_in_the_input_file_is_one_line(tmp_path):
    source = tmp_path / "in.jsonl"
    source.write_bytes(b'{"id": "a", "problem": "tanh-derivative", "answer": "1"}\n{"id": "b", "answer": "\xff"}\n')
    result = CliRunner().invoke(main, ["grade", str(source), "-o", str(tmp_path / "out.jsonl")])
    assert result.exit_code == 2
    assert "line 2" in result.output and "UTF-8" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_wrong_column_names_are_one_line(tmp_path):
    source = tmp_path / "in.csv"
    source.write_text("student,question,response\n1,tanh-derivative,1\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["grade", str(source), "-o", str(tmp_path / "out.csv")])
    assert result.exit_code == 2 and "id, problem, part, answer" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_repeated_id_is_reported_before_any_work(tmp_path):
    source = tmp_path / "in.jsonl"
    row = {"id": "a", "problem": "tanh-derivative", "answer": "1 - tanh(x)^2"}
    source.write_text(json.dumps(row) + "\n" + json.dumps(row) + "\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["grade", str(source), "-o", str(tmp_path / "out.jsonl")])
    assert result.exit_code == 2 and "appears twice" in result.output
    assert not (tmp_path / "out.jsonl").exists()


def test_resume_skips_graded_ids_and_repairs_a_cut_last_line(tmp_path):
    rows = [{"id": f"r{n}", "problem": "tanh-derivative", "answer": "1 - tanh(x)^2"} for n in range(4)]
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    first = {"id": "r0", "problem": "tanh-derivative", "part": None, "verdict": "equivalent", "message": "kept"}
    out.write_text(json.dumps(first) + "\n" + '{"id": "r1", "verd', encoding="utf-8")  # killed mid-line
    result = CliRunner().invoke(main, ["grade", str(source), "-o", str(out), "--resume"])
    assert result.exit_code == 0, result.output
    graded = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [g["id"] for g in graded][0] == "r0" and graded[0]["message"] == "kept"
    assert sorted(g["id"] for g in graded) == ["r0", "r1", "r2", "r3"]


def test_gradescope_results_json(tmp_path):
    rows = [{"id": "a", "problem": "tanh-derivative", "answer": "1 - tanh(x)^2"},
            {"id": "b", "problem": "softmax-jacobian", "part": "jacobian", "answer": "s_i"}]
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    points = tmp_path / "points.json"
    points.write_text(json.dumps({"softmax-jacobian/jacobian": 3, "*": 2}), encoding="utf-8")
    out = tmp_path / "results.json"
    result = CliRunner().invoke(main, ["grade", str(source), "--format", "gradescope", "-o", str(out),
                                       "--points", str(points)])
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text(encoding="utf-8"))
    assert [(t["score"], t["max_score"]) for t in data["tests"]] == [(2.0, 2.0), (0.0, 3.0)]
    assert data["score"] == 2.0 and all(t["name"] and t["output"] for t in data["tests"])
    assert os.path.getsize(out) > 0


def _submissions(path, count):
    answers = ["s_i*(delta_ij - s_j)", r"\sigma_i(1-\sigma_j)", "diag(s) - s s^T", "s_i"]
    rows = [{"id": f"r{n}", "problem": "softmax-jacobian", "part": "jacobian", "answer": answers[n % 4]}
            for n in range(count)]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return {r["id"] for r in rows}


@pytest.mark.parametrize("how", ["SIGKILL", "SIGINT"])
def test_an_interrupted_run_leaves_a_valid_file_and_resume_finishes_it(tmp_path, how):
    import signal
    import subprocess
    import sys

    source, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    ids = _submissions(source, 3000)
    command = [sys.executable, "-m", "derive.cli", "grade", str(source), "-o", str(out), "--jobs", "2"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and (not out.exists() or out.stat().st_size < 2000):
        time.sleep(0.05)
    process.send_signal(getattr(signal, how))
    _, err = process.communicate(timeout=30)
    if how == "SIGINT":
        assert process.returncode == 130 and b"--resume" in err and b"Traceback" not in err
    lines = out.read_text(encoding="utf-8").split("\n")
    complete = [json.loads(line) for line in lines[:-1]]  # everything before the last newline parses
    assert 0 < len(complete) < 3000
    result = CliRunner().invoke(main, ["grade", str(source), "-o", str(out), "--resume"])
    assert result.exit_code == 0, result.output
    graded = [json.loads(line)["id"] for line in out.read_text(encoding="utf-8").splitlines()]
    assert sorted(graded) == sorted(ids)  # every id exactly once


def test_gradescope_needs_an_output_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps({"id": "a", "problem": "tanh-derivative", "answer": "1"}) + "\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["grade", str(source), "--format", "gradescope"])
    assert result.exit_code == 2 and "-o FILE" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl"]


def test_resume_of_a_csv_output_matches_numeric_ids_and_writes_one_header(tmp_path):
    rows = [{"id": n, "problem": "tanh-derivative", "answer": "1 - tanh(x)^2"} for n in range(3)]
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    assert CliRunner().invoke(main, ["grade", str(source), "-o", str(out)]).exit_code == 0
    again = CliRunner().invoke(main, ["grade", str(source), "-o", str(out), "--resume"])
    assert again.exit_code == 0 and "3 ids already graded" in again.output
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 4 and lines[0].startswith("id,")


def test_an_id_that_is_a_list_is_a_data_error_or_with_skip_bad_rows_an_invalid_row(tmp_path):
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps({"id": [1], "problem": "tanh-derivative", "answer": "1"}) + "\n"
                      + json.dumps({"id": "b", "problem": "tanh-derivative", "answer": "1 - tanh(x)^2"}) + "\n",
                      encoding="utf-8")
    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(main, ["grade", str(source), "-o", str(out)])
    assert result.exit_code == 2 and "line 1: the id must be text or a number" in result.output
    assert "Traceback" not in result.output and not out.exists()
    result = CliRunner().invoke(main, ["grade", str(source), "-o", str(out), "--skip-bad-rows"])
    assert result.exit_code == 0, result.output
    verdicts = sorted(json.loads(line)["verdict"] for line in out.read_text(encoding="utf-8").splitlines())
    assert verdicts == ["equivalent", "invalid"]
