"""Grading a course without silent surprises (issue 12, grading items 1-3).

Every fault in the data is found before any check runs and reported with its
line and its fix, all in one message, exit 2; `--skip-bad-rows` grades the
rest. `--resume` refuses an output of another input and sums up the whole
file. Rows may name a `student`: the summary and `--totals FILE` add up their
points (from `--points`, else course.toml, else 1 a part).
"""
from __future__ import annotations

import csv
import json

import pytest
from click.testing import CliRunner

from derive.cli import main

from .test_library import write_spec

JACOBIAN = "s_i*(delta_ij - s_j)"
TANH = "1 - tanh(x)^2"
GOOD = {"id": "ok", "problem": "tanh-derivative", "answer": TANH}


def grade(*args):
    return CliRunner().invoke(main, ["grade", *map(str, args), "--jobs", "1"])


def jsonl(path, *rows):
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows), encoding="utf-8")
    return path


def results(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


# -- every data error before any work ----------------------------------------------------------
BAD_ROWS = [  # (second line of the file, words the message holds)
    ({"id": "a", "problem": "softmax-jacobian", "part": "jakobian", "answer": "s_i"},
     ["line 2", "unknown part 'jakobian'", "did you mean softmax-jacobian/jacobian?"]),
    ({"id": "a", "problem": "softmax-jakobian", "part": "jacobian", "answer": "s_i"},
     ["line 2", "unknown problem 'softmax-jakobian'", "did you mean softmax-jacobian?"]),
    ('{"id": "a", "problem": "tanh-derivative", "answer": "1"', ["line 2", "not valid JSON", "one JSON object"]),
    ('["a", "tanh-derivative", "1"]', ["line 2", "JSON object"]),
    ({"id": "a", "problem": "tanh-derivative"}, ["line 2", "no 'answer' field", "empty string"]),
    ({"id": "a", "answer": "1"}, ["line 2", "no problem", "derive list"]),
    ({"problem": "tanh-derivative", "answer": "1"}, ["line 2", "no id", "its own id"]),
    ({"id": [1], "problem": "tanh-derivative", "answer": "1"}, ["line 2", "the id must be text or a number"]),
    ({"id": "a", "problem": "tanh-derivative", "answer": ["1"]}, ["line 2", "the answer must be text"]),
    ({"id": "a", "problem": "tanh-derivative", "answer": "1", "name": "x"}, ["line 2", "unknown field 'name'"]),
    ({"id": "a", "problem": "softmax-jacobian", "answer": "s_i"}, ["line 2", "has parts jacobian, vjp", "say which"]),
    ({"id": "ok", "problem": "tanh-derivative", "answer": "1"}, ["appears twice (lines 1 and 2)", "its own id"]),
]


@pytest.mark.parametrize("row,words", BAD_ROWS, ids=[" ".join(w[1:2]) for _, w in BAD_ROWS])
def test_a_bad_row_is_an_error_before_any_work_naming_its_line_and_fix(tmp_path, row, words):
    source = jsonl(tmp_path / "in.jsonl", GOOD, row)
    out = tmp_path / "out.jsonl"
    result = grade(source, "-o", out)
    assert result.exit_code == 2, result.output
    for word in words:
        assert word in result.output
    assert "in.jsonl" in result.output and "Traceback" not in result.output
    assert not out.exists()


BAD_CSV = [  # (file text, words)
    ("id,problem,answer\nok,tanh-derivative,1\nb,tanh-derivative,1,extra\n", ["line 3", "4 fields", "quote"]),
    ("id,problem,answer\nok,tanh-derivative,1\nb,tanh-derivative\n", ["line 3", "2 fields", "header has 3"]),
    ("id,problem,part\nok,tanh-derivative,\n", ["missing: answer"]),
    ("id,problem,part,answer\nok,tanh-derivative,,1\nb,softmax-jacobian,jakobian,s_i\n",
     ["line 3", "did you mean softmax-jacobian/jacobian?"]),
    ("id,student,problem,answer\nok,ann,tanh-derivative,1\nb,,tanh-derivative,1\n", ["line 3", "no student"]),
    ("id,student,problem,answer\nok,ann,tanh-derivative,1\nb,ann,tanh-derivative,2\n",
     ["line 3", "ann", "already answered tanh-derivative/derivative on line 2"]),
]


@pytest.mark.parametrize("text,words", BAD_CSV, ids=[w[-1] for _, w in BAD_CSV])
def test_a_bad_csv_row_is_an_error_with_its_line(tmp_path, text, words):
    source = tmp_path / "in.csv"
    source.write_text(text, encoding="utf-8")
    result = grade(source, "-o", tmp_path / "out.csv")
    assert result.exit_code == 2, result.output
    for word in words:
        assert word in result.output
    assert not (tmp_path / "out.csv").exists()


BAD_OPTIONS = [  # (options, words): each a contradiction the run would otherwise ignore
    (["-o", "r.json"], ["r.json", "--format gradescope", ".jsonl"]),
    (["-o", "results.xlsx"], ["results.xlsx", ".xlsx", ".csv"]),
    (["--format", "csv", "-o", "r.jsonl"], ["r.jsonl", "--format csv"]),
    (["--format", "gradescope", "-o", "r.csv"], ["r.csv", "gradescope"]),
    (["-o", "r.jsonl", "--totals", "totals.csv"], ["--totals", "student"]),
    (["-o", "r.jsonl", "--totals", "totals.txt"], ["totals.txt", ".csv"]),
]


@pytest.mark.parametrize("options,words", BAD_OPTIONS, ids=[" ".join(o) for o, _ in BAD_OPTIONS])
def test_an_option_that_contradicts_the_run_is_an_error(tmp_path, monkeypatch, options, words):
    monkeypatch.chdir(tmp_path)
    source = jsonl(tmp_path / "in.jsonl", GOOD)
    result = grade(source, *options)
    assert result.exit_code == 2, result.output
    for word in words:
        assert word in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl"]


@pytest.mark.parametrize("points,words", [
    ('{\n  "*": 1,\n  "two-layer-l2/dw2": 3\n}\n', ["points.json line 3", "'two-layer-l2/dw2'",
                                                   "did you mean two-layer-l2/dW2?"]),
    ('{"softmax-jakobian": 3}', ["points.json line 1", "did you mean softmax-jacobian?"]),
    ('{\n"tanh-derivative": -1\n}', ["points.json line 2", "non-negative"]),
    ('{"tanh-derivative": 1,}', ["points.json line 1", "not valid JSON"]),
    ('[1, 2]', ["points.json", "problem/part"]),
])
def test_a_points_file_key_that_names_no_part_is_an_error(tmp_path, points, words):
    source = jsonl(tmp_path / "in.jsonl", GOOD)
    (tmp_path / "points.json").write_text(points, encoding="utf-8")
    result = grade(source, "-o", tmp_path / "out.jsonl", "--points", tmp_path / "points.json")
    assert result.exit_code == 2, result.output
    for word in words:
        assert word in result.output
    assert not (tmp_path / "out.jsonl").exists()


def test_every_fault_of_a_run_is_in_one_message(tmp_path):
    source = jsonl(tmp_path / "in.jsonl", GOOD,
                   {"id": "b", "problem": "softmax-jacobian", "part": "jakobian", "answer": "s_i"},
                   '{"id": "c", oops}',
                   {"id": "d", "problem": "softmax-jacobian", "part": "jakobian", "answer": "s_j"},
                   {"id": "e", "problem": "nope-problem", "answer": "1"})
    (tmp_path / "points.json").write_text('{"two-layer-l2/dw2": 3}', encoding="utf-8")
    result = grade(source, "-o", tmp_path / "out.json", "--points", tmp_path / "points.json")
    assert result.exit_code == 2
    text = result.output
    assert "lines 2, 4: unknown part 'jakobian'" in text  # the same fault on two lines: said once
    assert "line 3: not valid JSON" in text and "line 5: unknown problem 'nope-problem'" in text
    assert "points.json line 1" in text and "out.json" in text and "nothing was graded" in text
    assert not (tmp_path / "out.json").exists()


def test_skip_bad_rows_grades_the_rest_and_writes_the_bad_ones_as_invalid(tmp_path):
    source = jsonl(tmp_path / "in.jsonl", GOOD,
                   {"id": "b", "problem": "softmax-jacobian", "part": "jakobian", "answer": "s_i"},
                   '{"id": "c", oops}',
                   {"id": "d", "problem": "softmax-jacobian", "part": "jacobian", "answer": JACOBIAN})
    out = tmp_path / "out.jsonl"
    result = grade(source, "-o", out, "--skip-bad-rows")
    assert result.exit_code == 0, result.output
    graded = {r["id"]: r for r in results(out)}
    assert set(graded) == {"ok", "b", "line 3", "d"}  # a row without a readable id is named by its line
    assert graded["ok"]["verdict"] == graded["d"]["verdict"] == "equivalent"
    assert graded["b"]["verdict"] == "invalid" and "line 2: unknown part 'jakobian'" in graded["b"]["message"]
    assert "did you mean softmax-jacobian/jacobian?" in graded["b"]["message"]
    assert graded["line 3"]["verdict"] == "invalid" and "not valid JSON" in graded["line 3"]["message"]
    assert "4 answers: 2 equivalent, 0 not_equivalent, 2 invalid, 0 undecided" in result.output
    assert "2 rows at fault, written as invalid (--skip-bad-rows): lines 2, 3" in result.output
    again = grade(source, "-o", out, "--skip-bad-rows", "--resume")  # the bad rows are not appended again
    assert again.exit_code == 0, again.output
    assert "at fault" not in again.output and "4 answers: 2 equivalent" in again.output
    assert sorted(r["id"] for r in results(out)) == ["b", "d", "line 3", "ok"]


def test_a_repeated_id_is_an_error_even_with_skip_bad_rows(tmp_path):
    source = jsonl(tmp_path / "in.jsonl", GOOD, GOOD)
    result = grade(source, "-o", tmp_path / "out.jsonl", "--skip-bad-rows")
    assert result.exit_code == 2 and "appears twice" in result.output


# -- resume -------------------------------------------------------------------------------------
def test_resume_refuses_the_output_of_another_input_in_one_line(tmp_path):
    other = jsonl(tmp_path / "other.jsonl", *[{**GOOD, "id": f"x{n}"} for n in range(3)])
    out = tmp_path / "out.jsonl"
    assert grade(other, "-o", out).exit_code == 0
    before = out.read_text(encoding="utf-8")
    source = jsonl(tmp_path / "in.jsonl", GOOD)
    result = grade(source, "-o", out, "--resume")
    assert result.exit_code == 2
    assert len(result.output.strip().splitlines()) == 1
    assert "3 ids that" in result.output and "'x0'" in result.output and "another -o FILE" in result.output
    assert out.read_text(encoding="utf-8") == before


@pytest.mark.parametrize("suffix", ["jsonl", "csv"])
def test_the_summary_after_a_resume_covers_the_whole_output_file(tmp_path, suffix):
    rows = [{**GOOD, "id": f"r{n}", "answer": TANH if n % 2 else "tanh(x)"} for n in range(4)]
    out = tmp_path / f"out.{suffix}"
    assert grade(jsonl(tmp_path / "half.jsonl", *rows[:2]), "-o", out).exit_code == 0
    result = grade(jsonl(tmp_path / "in.jsonl", *rows), "-o", out, "--resume")
    assert result.exit_code == 0, result.output
    assert "2 ids already graded" in result.output
    assert "4 answers: 2 equivalent, 2 not_equivalent, 0 invalid, 0 undecided" in result.output


def test_resume_appends_to_an_older_csv_in_its_own_columns(tmp_path):
    out = tmp_path / "out.csv"
    old = ("id,problem,part,verdict,message,student_latex,reference_latex,assumptions_used,counterexample,diagnosis\n"
           "r0,tanh-derivative,derivative,equivalent,kept,,,[],,[]\n")
    out.write_text(old, encoding="utf-8")
    source = jsonl(tmp_path / "in.jsonl", {**GOOD, "id": "r0"}, {**GOOD, "id": "r1"})
    result = grade(source, "-o", out, "--resume")
    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    assert len({len(r) for r in rows}) == 1 and [r[0] for r in rows] == ["id", "r0", "r1"]
    assert "2 answers: 2 equivalent" in result.output


# -- points and totals --------------------------------------------------------------------------
CLASS = [
    {"id": 1, "student": "ann", "problem": "softmax-jacobian", "part": "jacobian", "answer": JACOBIAN},
    {"id": 2, "student": "ann", "problem": "tanh-derivative", "answer": TANH},
    {"id": 3, "student": "bob", "problem": "softmax-jacobian", "part": "jacobian", "answer": "s_i"},
    {"id": 4, "student": "bob", "problem": "tanh-derivative", "answer": TANH},
    {"id": 5, "student": "cy", "problem": "tanh-derivative", "answer": TANH},
]


def _totals(path):
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_totals_per_student_with_points(tmp_path, fmt):
    source = jsonl(tmp_path / "in.jsonl", *CLASS)
    (tmp_path / "points.json").write_text('{"softmax-jacobian/jacobian": 3, "*": 2}', encoding="utf-8")
    totals = tmp_path / "totals.csv"
    result = grade(source, "-o", tmp_path / f"out.{fmt}", "--points", tmp_path / "points.json", "--totals", totals)
    assert result.exit_code == 0, result.output
    header = ["student", "score", "max_score", "softmax-jacobian/jacobian", "tanh-derivative/derivative"]
    assert _totals(totals) == [header, ["ann", "5", "5", "3", "2"], ["bob", "2", "5", "0", "2"],
                               ["cy", "2", "5", "", "2"]]
    assert "3 students" in result.output and "points.json" in result.output
    assert "  ann: 5/5" in result.output and "  bob: 2/5" in result.output and "  cy: 2/5" in result.output
    if fmt == "jsonl":
        graded = {r["id"]: r for r in results(tmp_path / "out.jsonl")}
        assert (graded[1]["student"], graded[1]["score"], graded[1]["max_score"]) == ("ann", 3, 3)
        assert (graded[3]["score"], graded[3]["max_score"]) == (0, 3)


def test_totals_after_a_resume_cover_the_whole_output(tmp_path):
    out, totals = tmp_path / "out.csv", tmp_path / "totals.csv"
    assert grade(jsonl(tmp_path / "half.jsonl", *CLASS[:2]), "-o", out).exit_code == 0
    result = grade(jsonl(tmp_path / "in.jsonl", *CLASS), "-o", out, "--resume", "--totals", totals)
    assert result.exit_code == 0, result.output
    assert _totals(totals)[1:] == [["ann", "2", "2", "1", "1"], ["bob", "1", "2", "0", "1"], ["cy", "1", "2", "", "1"]]


def test_points_come_from_course_toml_unless_a_points_file_is_given(tmp_path):
    folder = tmp_path / "course"
    write_spec(folder)
    (folder / "course.toml").write_text('[points]\n"course-softmax" = 4\n"tanh-derivative" = 2\n', encoding="utf-8")
    source = jsonl(tmp_path / "in.jsonl",
                   {"id": 1, "student": "ann", "problem": "course-softmax", "part": "jacobian",
                    "answer": "q_i*(delta_ij - q_j)"},
                   {"id": 2, "student": "ann", "problem": "tanh-derivative", "answer": TANH})
    totals = tmp_path / "totals.csv"

    def run(*extra):
        return CliRunner().invoke(main, ["--problems", str(folder), "grade", str(source), "-o",
                                         str(tmp_path / "out.jsonl"), "--jobs", "1", "--totals", str(totals), *extra])

    result = run()
    assert result.exit_code == 0, result.output
    assert "course.toml" in result.output
    assert _totals(totals)[1][:3] == ["ann", "4", "4"]  # course-softmax's 4 points split over 2 parts; 2 for tanh
    (tmp_path / "points.json").write_text('{"*": 5}', encoding="utf-8")
    result = run("--points", str(tmp_path / "points.json"))  # --points overrides course.toml
    assert result.exit_code == 0, result.output
    assert _totals(totals)[1][:3] == ["ann", "10", "10"]


def test_points_apply_in_every_format_that_writes_scores(tmp_path):
    source = jsonl(tmp_path / "in.jsonl", GOOD)
    (tmp_path / "points.json").write_text('{"tanh-derivative/derivative": 4}', encoding="utf-8")
    out = tmp_path / "out.csv"
    result = grade(source, "-o", out, "--points", tmp_path / "points.json")
    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8", newline="") as handle:
        row = next(csv.DictReader(handle))
    assert (row["score"], row["max_score"]) == ("4", "4")


def test_a_row_naming_a_spec_that_does_not_load_is_an_error_before_any_work(tmp_path):
    folder = tmp_path / "course"
    path = write_spec(folder)
    path.write_text(path.read_text(encoding="utf-8") + '\nraise RuntimeError("oops")\n', encoding="utf-8")
    source = jsonl(tmp_path / "in.jsonl", GOOD, {"id": "b", "problem": "course-softmax", "part": "jacobian",
                                                 "answer": "q_i"})
    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(main, ["--problems", str(folder), "grade", str(source), "-o", str(out)])
    assert result.exit_code == 2 and "line 2" in result.output and "oops" in result.output
    assert "derive validate course-softmax" in result.output and not out.exists()
    result = CliRunner().invoke(main, ["--problems", str(folder), "grade", str(source), "-o", str(out),
                                       "--skip-bad-rows", "--jobs", "1"])
    assert result.exit_code == 0, result.output
    assert sorted(r["verdict"] for r in results(out)) == ["equivalent", "invalid"]


def test_the_summary_of_a_large_class_shows_fifty_students_and_points_to_totals():
    from derive.grading.formats import Summary

    summary = Summary({"tanh-derivative/derivative": 2.0}, [f"s{n}" for n in range(60)], "points.json")
    for n in range(60):
        verdict = "equivalent" if n % 2 else "invalid"
        summary.add({"problem": "tanh-derivative", "part": "derivative", "verdict": verdict, "student": f"s{n}",
                     "score": 2 if n % 2 else 0, "max_score": 2})
    lines = summary.lines()
    assert "60 students, out of 2 points (points: points.json):" in lines
    assert "  s0: 0/2" in lines and "  s1: 2/2" in lines and "  s50: 0/2" not in lines
    assert lines[-1] == "  ... and 10 more (all of them: --totals FILE)"
    assert [row["score"] for row in summary.totals()][:2] == [0, 2]
