r"""`derive grade` with whole derivations (issue 13, item 8): rows of kind `steps` and rows naming a `file`.

A class file mixes answers and derivations: inline ones (`\n` between lines) and files next to it, one all
right and one with a wrong middle step. Each is judged as `derive steps` judges it, scored by the partial-credit
rule of the points file, and written in JSONL, CSV and Gradescope's results.json; a file that is missing,
outside the folder, oversized or not text is a fault of its row before any work.
"""
from __future__ import annotations

import csv
import json
import time

import pytest
from click.testing import CliRunner

from derive.cli import main
from derive.grading import derivations
from derive.grading.formats import RESULT_FIELDS, STEPS_COLUMNS

RIGHT = r"""We differentiate the quotient.

$$
\begin{aligned}
\frac{d}{dx}\tanh(x) &= \frac{\cosh(x)^2 - \sinh(x)^2}{\cosh(x)^2} \\
&= 1 - \frac{\sinh(x)^2}{\cosh(x)^2} \\
&= 1 - \tanh(x)^2
\end{aligned}
$$
"""
WRONG_MIDDLE = RIGHT.replace(r"&= 1 - \frac", r"&= 1 + \frac")  # line 6: a sign; the final line is right again
SOFTMAX = (r"$$\frac{\partial s_i}{\partial x_j} = \frac{\partial}{\partial x_j} \frac{e^{x_i}}{\sum_k e^{x_k}}"
           r" = s_i \delta_{ij} - s_i s_j = s_i(\delta_{ij} - s_j)$$" "\n")
ROWS = [
    {"id": "ans", "student": "ann", "problem": "tanh-derivative", "answer": "1 - tanh(x)^2"},
    {"id": "right", "student": "bob", "problem": "tanh-derivative", "file": "work/right.md"},
    {"id": "wrong", "student": "cy", "problem": "tanh-derivative", "file": "work/wrong.md"},
    {"id": "inline-wrong", "student": "dee", "problem": "tanh-derivative", "part": "derivative", "kind": "steps",
     "answer": "d/dx tanh(x) = (cosh(x)^2 + sinh(x)^2)/cosh(x)^2\n= 1 + tanh(x)^2"},
    {"id": "inline-right", "student": "eve", "problem": "tanh-derivative", "kind": "steps",
     "answer": "d/dx tanh(x) = (cosh(x)^2 - sinh(x)^2)/cosh(x)^2\n= 1 - sinh(x)^2/cosh(x)^2\n= 1 - tanh(x)^2"},
    {"id": "softmax", "student": "ann", "problem": "softmax-jacobian", "part": "jacobian", "file": "work/sm.md"},
    {"id": "softmax-wrong", "student": "bob", "problem": "softmax-jacobian", "part": "jacobian", "kind": "steps",
     "answer": SOFTMAX.replace("- s_i s_j", "+ s_i s_j")},
]
#: id -> (verdict, first wrong line, score with 1 a part) by the default rule (penalty 0.25, no credit)
EXPECTED = {
    "ans": ("equivalent", None, 1),
    "right": ("equivalent", None, 1),
    "wrong": ("equivalent", 6, 0.75),
    "inline-wrong": ("not_equivalent", 1, 0),
    "inline-right": ("equivalent", None, 1),
    "softmax": ("equivalent", None, 1),
    "softmax-wrong": ("equivalent", 1, 0.75),
}
POINTS = {"*": 4, "step_penalty": {"tanh-derivative/derivative": 0.5}, "steps_credit": 0.5}


def grade(*args):
    return CliRunner().invoke(main, ["grade", *map(str, args), "--jobs", "2", "--timeout", "2"])


def write_class(folder, rows=ROWS):
    (folder / "work").mkdir(exist_ok=True)
    (folder / "work" / "right.md").write_text(RIGHT, encoding="utf-8")
    (folder / "work" / "wrong.md").write_text(WRONG_MIDDLE, encoding="utf-8")
    (folder / "work" / "sm.md").write_text(SOFTMAX, encoding="utf-8")
    (folder / "points.json").write_text(json.dumps(POINTS), encoding="utf-8")
    source = folder / "class.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return source


def jsonl(path):
    return {r["id"]: r for r in map(json.loads, path.read_text(encoding="utf-8").splitlines())}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """The class graded once in each format (default points in JSONL, the points file in CSV and Gradescope)."""
    folder = tmp_path_factory.mktemp("class")
    source = write_class(folder)
    runs = {"jsonl": grade(source, "-o", folder / "out.jsonl"),
            "csv": grade(source, "-o", folder / "out.csv", "--points", folder / "points.json"),
            "gradescope": grade(source, "-o", folder / "results.json", "--format", "gradescope",
                                "--points", folder / "points.json")}
    for fmt, result in runs.items():
        assert result.exit_code == 0, (fmt, result.output)
    return folder, runs


# -- the judgement and the score ----------------------------------------------------------------------
def test_each_derivation_is_judged_and_scored_by_the_default_rule(graded):
    folder, runs = graded
    out = jsonl(folder / "out.jsonl")
    got = {key: (row["verdict"], row.get("first_wrong_line"), row["score"]) for key, row in out.items()}
    assert got == EXPECTED
    wrong = out["wrong"]["steps"]
    assert wrong["summary"] == {"links": 3, "judged": 3, "follows": 2, "follows_if": 0, "does_not_follow": 1,
                                "unread": 0, "undecided": 0}
    assert wrong["first_wrong"]["line"] == 6 and "sign" in " ".join(wrong["first_wrong"]["diagnosis"])
    assert wrong["first_wrong"]["right_latex"] == r"1 + \frac{\sinh(x)^2}{\cosh(x)^2}"
    assert [link["verdict"] for link in wrong["links"]] == ["follows", "does_not_follow", "follows"]
    assert out["right"]["steps"]["summary"]["follows"] == 3 and out["right"]["steps"]["first_wrong"] is None
    assert out["inline-wrong"]["counterexample"] is not None  # the final answer's, as for an answer
    assert "1 wrong step" in out["wrong"]["score_note"] and "0.75" in out["wrong"]["score_note"]
    assert "eve: 1/2" in runs["jsonl"].output and "cy: 0.75/2" in runs["jsonl"].output


def test_an_answer_row_keeps_its_shape_and_a_derivation_adds_fields(graded):
    folder, _ = graded
    out = jsonl(folder / "out.jsonl")
    assert list(out["ans"]) == list(RESULT_FIELDS)
    assert list(out["wrong"]) == [*RESULT_FIELDS, *derivations.STEPS_FIELDS]
    assert out["wrong"]["kind"] == "steps"


def test_the_points_file_sets_the_penalty_per_part_and_the_credit_of_a_wrong_final_answer(graded):
    folder, runs = graded
    with (folder / "out.csv").open(encoding="utf-8", newline="") as handle:
        rows = {row["id"]: row for row in csv.DictReader(handle)}
    scores = {key: float(row["score"]) for key, row in rows.items()}
    # tanh: 4 x (1 - 0.5 x 1) with the part's own penalty; its wrong final answer: 4 x 0.5 x 1/2 links that follow;
    # softmax: the file's default penalty 0.25
    assert scores == {"ans": 4, "right": 4, "wrong": 2, "inline-wrong": 1, "inline-right": 4, "softmax": 4,
                      "softmax-wrong": 3}
    assert "dee: 1/8" in runs["csv"].output


SCORES = [  # (worth, final verdict, links, follows, wrong, penalty, credit, score)
    (4, "equivalent", 3, 3, 0, 0.25, 0.0, 4),
    (4, "equivalent", 3, 2, 1, 0.25, 0.0, 3),
    (4, "equivalent", 5, 2, 3, 0.5, 0.0, 0),  # floored at 0
    (4, "equivalent", 4, 1, 0, 0.25, 0.0, 4),  # unread links cost nothing
    (4, "not_equivalent", 4, 3, 1, 0.25, 0.0, 0),
    (4, "not_equivalent", 4, 3, 1, 0.25, 0.5, 1.5),
    (4, "undecided", 4, 4, 0, 0.25, 1.0, 4),
    (4, "invalid", 0, 0, 0, 0.25, 1.0, 0),
]


@pytest.mark.parametrize("worth,verdict,links,follows,wrong,penalty,credit,expected", SCORES)
def test_the_partial_credit_rule(worth, verdict, links, follows, wrong, penalty, credit, expected):
    summary = {"links": links, "follows": follows, "follows_if": 0, "does_not_follow": wrong}
    score, note = derivations.score(worth, verdict, summary, penalty, credit)
    assert score == pytest.approx(expected) and note


@pytest.mark.parametrize("points,words", [
    ({"step_penalty": 1.5}, ["line 1", "'step_penalty'", "fraction from 0 to 1"]),
    ({"steps_credit": {"tanh-derivative/derivativ": 0.5}}, ["names no part", "tanh-derivative/derivative"]),
    ({"steps_credit": "half"}, ["'steps_credit'", "fraction"]),
], ids=["over one", "unknown part", "text"])
def test_a_bad_setting_in_the_points_file_is_an_error_before_any_work(tmp_path, points, words):
    source = write_class(tmp_path, ROWS[:2])
    (tmp_path / "p.json").write_text(json.dumps(points), encoding="utf-8")
    result = grade(source, "-o", tmp_path / "out.jsonl", "--points", tmp_path / "p.json")
    assert result.exit_code == 2 and all(w in result.output for w in words), result.output
    assert not (tmp_path / "out.jsonl").exists()


# -- the formats --------------------------------------------------------------------------------------------
def test_csv_carries_the_first_wrong_step_and_the_counts(graded):
    folder, _ = graded
    with (folder / "out.csv").open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        rows = {row["id"]: row for row in reader}
    assert reader.fieldnames == [*RESULT_FIELDS, *STEPS_COLUMNS]
    wrong = rows["wrong"]
    assert wrong["kind"] == "steps" and wrong["first_wrong_line"] == "6"
    assert wrong["first_wrong"].startswith(r"line 6: \frac{\cosh(x)^2 - \sinh(x)^2}{\cosh(x)^2} = 1 + \frac")
    assert "sign" in wrong["first_wrong"]
    assert json.loads(wrong["steps_summary"])["does_not_follow"] == 1
    assert rows["ans"]["kind"] == rows["ans"]["first_wrong"] == rows["ans"]["steps_summary"] == ""


def test_a_csv_of_answers_only_keeps_its_columns(tmp_path):
    source = write_class(tmp_path, ROWS[:1])
    assert grade(source, "-o", tmp_path / "out.csv").exit_code == 0
    with (tmp_path / "out.csv").open(encoding="utf-8", newline="") as handle:
        assert next(csv.reader(handle)) == list(RESULT_FIELDS)


def test_gradescope_feedback_shows_the_first_wrong_line_and_why_and_the_partial_score(graded):
    folder, _ = graded
    data = json.loads((folder / "results.json").read_text(encoding="utf-8"))
    tests = {t["name"].split(":")[0]: t for t in data["tests"]}
    wrong = tests["wrong"]
    assert (wrong["score"], wrong["max_score"]) == (2, 4)
    assert r"first wrong step, line 6: \frac{\cosh(x)^2 - \sinh(x)^2}{\cosh(x)^2} = 1 + \frac" in wrong["output"]
    assert "sign error" in wrong["output"] and "the left side is" in wrong["output"]
    assert "1 - 0.5 x 1 = 0.5 of the points" in wrong["output"]
    assert tests["inline-wrong"]["score"] == 1 and tests["ans"]["output"] == "equivalent to the reference"
    assert data["score"] == 4 + 4 + 2 + 1 + 4 + 4 + 3


# -- a row at fault ---------------------------------------------------------------------------------------
BAD = [  # (the row's fields beyond id and problem, words of the one-line fault)
    ({"file": "work/missing.md"}, ["line 2", "file 'work/missing.md': no such file"]),
    ({"file": "../class.jsonl"}, ["line 2", "is outside the folder of the submissions file"]),
    ({"file": "work/../../x.md"}, ["line 2", "is outside the folder"]),
    ({"file": "/etc/passwd"}, ["line 2", "an absolute path"]),
    ({"file": "work/out.md"}, ["line 2", "is outside the folder"]),  # a symbolic link out of it
    ({"file": "work/huge.md"}, ["line 2", "bytes; a derivation file is at most 1000000 bytes"]),
    ({"file": "work/latin1.md"}, ["line 2", "not UTF-8", "save the file as UTF-8"]),
    ({"file": "work"}, ["line 2", "not a regular file"]),
    ({"kind": "steps", "answer": "d/dx tanh(x) = " + "x+" * 100_001}, ["line 2", "characters; the limit is"]),
    ({"kind": "steps", "answer": "  "}, ["line 2", "a blank derivation"]),
    ({"kind": "proof", "answer": "1"}, ["line 2", "unknown kind 'proof'", "steps"]),
    ({"file": "work/right.md", "answer": "1"}, ["line 2", "an answer and a file: give one"]),
    ({"file": "work/right.md", "kind": "answer"}, ["line 2", "a row with a file is a derivation"]),
    ({"file": 3}, ["line 2", "the file must be text"]),
]


def hostile_files(folder):
    work = folder / "work"
    work.mkdir(exist_ok=True)
    (work / "huge.md").write_text("$$a = b$$\n" * 110_000, encoding="utf-8")
    (work / "latin1.md").write_bytes("$$\\frac{d}{dx}\\tanh(x) = 1 - \\tanh(x)^2$$ é\n".encode("latin-1"))
    (folder.parent / f"{folder.name}-secret.md").write_text("$$\\tanh(x) = 1$$\n", encoding="utf-8")
    (work / "out.md").symlink_to(folder.parent / f"{folder.name}-secret.md")


@pytest.mark.parametrize("fields,words", BAD, ids=[w[1][:40] for _, w in BAD])
def test_a_derivation_row_at_fault_is_an_error_before_any_work(tmp_path, fields, words):
    source = write_class(tmp_path, [ROWS[1], {"id": "bad", "problem": "tanh-derivative", **fields}])
    hostile_files(tmp_path)
    result = grade(source, "-o", tmp_path / "out.jsonl")
    assert result.exit_code == 2, result.output
    assert all(w in result.output for w in words), result.output
    assert "Traceback" not in result.output and not (tmp_path / "out.jsonl").exists()


def test_skip_bad_rows_writes_the_derivations_at_fault_as_invalid_and_grades_the_rest(tmp_path):
    rows = [ROWS[2], *({"id": f"bad{n}", "problem": "tanh-derivative", **fields} for n, (fields, _) in
                       enumerate(BAD[:5]))]
    source = write_class(tmp_path, rows)
    hostile_files(tmp_path)
    result = grade(source, "-o", tmp_path / "out.jsonl", "--skip-bad-rows")
    assert result.exit_code == 0, result.output
    out = jsonl(tmp_path / "out.jsonl")
    assert (out["wrong"]["verdict"], out["wrong"]["score"]) == ("equivalent", 0.75)
    for n, (_, words) in enumerate(BAD[:5]):
        row = out[f"bad{n}"]
        assert (row["verdict"], row["score"], row["kind"]) == ("invalid", 0, "steps")
        assert row["message"].startswith(f"line {n + 2}: ") and words[1] in row["message"]
        assert "\n" not in row["message"]


def test_a_hostile_derivation_is_graded_within_its_limits_with_one_line(tmp_path):
    deep = "d/dx tanh(x) = " + "(" * 5000 + "x" + ")" * 5000 + "\n= 1 - tanh(x)^2\n"
    rows = [{"id": "deep", "problem": "tanh-derivative", "file": "work/deep.txt"},
            {"id": "prose", "problem": "tanh-derivative", "kind": "steps", "answer": "I do not know"},
            {"id": "attack", "problem": "tanh-derivative", "kind": "steps",
             "answer": "d/dx tanh(x) = __import__('os').system('touch pwned')\n= \\input{/etc/passwd}"}]
    source = write_class(tmp_path, rows)
    (tmp_path / "work" / "deep.txt").write_text(deep, encoding="utf-8")
    start = time.monotonic()
    result = grade(source, "-o", tmp_path / "out.jsonl")
    assert result.exit_code == 0, result.output
    assert time.monotonic() - start < 60
    out = jsonl(tmp_path / "out.jsonl")
    assert out["deep"]["steps"]["links"][0]["verdict"] == "unread"
    assert out["prose"]["verdict"] == "invalid" and "no chain of equalities" in out["prose"]["message"]
    assert out["attack"]["score"] == 0 and {link["verdict"] for link in out["attack"]["steps"]["links"]} == {"unread"}
    for row in out.values():
        assert "\n" not in row["message"] and "Traceback" not in row["message"]
    assert not (tmp_path / "pwned").exists() and not any(tmp_path.glob("**/pwned"))


# -- limits and resume ------------------------------------------------------------------------------------
def test_a_derivation_gets_the_steps_wall_time_and_is_stopped_past_it(tmp_path, monkeypatch):
    real = derivations.check_steps

    def slow(spec, text, part, timeout):
        time.sleep(float(text.split("%", 1)[0]) if "%" in text else 0)  # the workers are forked: they see this
        return real(spec, text.split("%", 1)[-1], part, timeout=timeout)

    monkeypatch.setattr(derivations, "check_steps", slow)
    rows = [{"id": "slow", "problem": "tanh-derivative", "kind": "steps", "answer": "3.5%d/dx tanh(x) = 1 - tanh(x)^2"},
            {"id": "stuck", "problem": "tanh-derivative", "kind": "steps", "answer": "60%d/dx tanh(x) = 1 - tanh(x)^2"}]
    source = write_class(tmp_path, rows)
    start = time.monotonic()
    # --timeout 0.1: an answer would be stopped after 0.1 + 2 s; a derivation has (24 + 2) x 0.1 = 2.6 s + 2 s
    result = CliRunner().invoke(main, ["grade", str(source), "-o", str(tmp_path / "out.jsonl"), "--jobs", "2",
                                       "--timeout", "0.1"])
    assert result.exit_code == 0, result.output
    assert time.monotonic() - start < 30
    out = jsonl(tmp_path / "out.jsonl")
    assert out["slow"]["verdict"] == "equivalent" and out["slow"]["score"] == 1
    stuck = out["stuck"]
    assert (stuck["verdict"], stuck["kind"], stuck["steps"], stuck["score"]) == ("undecided", "steps", None, 0)
    assert "did not finish within 2.6 s" in stuck["message"]


@pytest.mark.parametrize("suffix", [".jsonl", ".csv"])
def test_resume_grades_the_rest_and_scores_the_derivations_already_graded(tmp_path, suffix):
    source = write_class(tmp_path)
    out = tmp_path / f"out{suffix}"
    first = CliRunner().invoke(main, ["grade", str(source), "-o", str(out), "--jobs", "1", "--timeout", "2"])
    assert first.exit_code == 0, first.output
    lines = out.read_text(encoding="utf-8").splitlines(keepends=True)
    kept = 1 + (suffix == ".csv")
    ids = [json.loads(line)["id"] for line in lines] if suffix == ".jsonl" else \
        [row["id"] for row in csv.DictReader(lines)]
    assert ids.index("wrong") == 2  # one worker: the answers, then the derivations in the file's order
    cut = ids.index("wrong") + kept
    out.write_text("".join(lines[:cut]) + lines[cut][:20], encoding="utf-8")  # interrupted mid-line
    result = grade(source, "-o", out, "--resume")
    assert result.exit_code == 0, result.output
    assert f"{ids.index('wrong') + 1} ids already graded" in result.output
    assert "cy: 0.75/2" in result.output  # the derivation kept is scored from its stored counts
    if suffix == ".jsonl":
        again = jsonl(out)
    else:
        with out.open(encoding="utf-8", newline="") as handle:
            again = {row["id"]: {**row, "score": float(row["score"])} for row in csv.DictReader(handle)}
    assert len(out.read_text(encoding="utf-8").splitlines()) == len(ROWS) + (suffix == ".csv")
    assert {key: row["score"] for key, row in again.items()} == {key: e[2] for key, e in EXPECTED.items()}


def test_a_csv_class_names_derivation_files_in_a_file_column(tmp_path):
    write_class(tmp_path)
    source = tmp_path / "class.csv"
    source.write_text("id,student,problem,part,kind,file\n"
                      "w,cy,tanh-derivative,,,work/wrong.md\n"
                      "r,bob,tanh-derivative,derivative,steps,work/right.md\n"
                      "m,dee,tanh-derivative,,,\n", encoding="utf-8")
    result = grade(source, "-o", tmp_path / "out.jsonl", "--skip-bad-rows")
    assert result.exit_code == 0, result.output
    out = jsonl(tmp_path / "out.jsonl")
    assert (out["w"]["score"], out["w"]["first_wrong_line"], out["r"]["score"]) == (0.75, 6, 1)
    assert out["m"]["verdict"] == "invalid" and "line 4: no file; name the derivation's file" in out["m"]["message"]
