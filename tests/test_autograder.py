"""`derive autograder`: the zip Gradescope takes, and a submission graded the way Gradescope runs it.

The zip is built with the CLI, unpacked into a temporary root as Gradescope
unpacks it (root/source), a submission is placed in root/submission and
root/source/run_autograder runs with AUTOGRADER_ROOT set; the test reads
root/results/results.json. AUTOGRADER_PYTHON (this test environment's
Python, with derive installed) stands for what setup.sh installs; one test
runs setup.sh itself into a fresh virtual environment and grades with it.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from derive.cli import main
from derive.grading import answers
from derive.problem import library

from .test_library import write_spec

POINTS = {"softmax-jacobian/jacobian": 2, "tanh-derivative": 1, "*": 1.5}
# the graded parts, in course order: the shipped problems (the catalogue's order), then the course folder's
PARTS = {"softmax-jacobian/jacobian": 2, "tanh-derivative/derivative": 1, "course-softmax/jacobian": 1.5,
         "course-softmax/gradient": 1.5}
RIGHT = {"softmax-jacobian/jacobian": r"\sigma_i(\delta_{ij} - \sigma_j)",
         "tanh-derivative/derivative": "1 - tanh(x)^2", "course-softmax/jacobian": "q_i*(delta_ij - q_j)",
         "course-softmax/gradient": "q_j - t_j"}


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The zip of a course folder (course-softmax) and two shipped problems, with points.json's points."""
    saved = library._current
    folder = tmp_path_factory.mktemp("teacher")
    write_spec(folder / "course")
    (folder / "points.json").write_text(json.dumps(POINTS), encoding="utf-8")
    zip_path = folder / "autograder.zip"
    try:
        result = run("--problems", folder / "course", "autograder", "--points", folder / "points.json",
                     "-o", zip_path)
    finally:
        library._current = saved
    assert result.exit_code == 0, result.output
    return zip_path, result.output


@pytest.fixture
def root(built, tmp_path):
    """An autograder root as Gradescope lays it out: source/ (the zip), submission/, results/."""
    top = tmp_path / "autograder"
    with zipfile.ZipFile(built[0]) as archive:
        archive.extractall(top / "source")
    (top / "submission").mkdir()
    return top


def grade(root: Path, files: dict[str, str], env: dict | None = None) -> dict:
    for name, text in files.items():
        (root / "submission" / name).parent.mkdir(parents=True, exist_ok=True)
        (root / "submission" / name).write_text(text, encoding="utf-8")
    environment = {**os.environ, "AUTOGRADER_ROOT": str(root), "AUTOGRADER_PYTHON": sys.executable,
                   "DERIVE_CACHE_DIR": str(root.parent / "cache"), **(env or {})}
    done = subprocess.run(["bash", str(root / "source" / "run_autograder")], cwd=root.parent, env=environment,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads((root / "results" / "results.json").read_text(encoding="utf-8"))


def by_name(results: dict) -> dict:
    return {test["name"]: test for test in results["tests"]}


# -- the zip ---------------------------------------------------------------------------------------
def test_the_zip_has_setup_and_run_autograder_at_its_top_with_the_course_and_points(built):
    zip_path, said = built
    with zipfile.ZipFile(zip_path) as archive:
        names = archive.namelist()
        modes = {info.filename: info.external_attr >> 16 for info in archive.infolist()}
        config = json.loads(archive.read("autograder.json"))
        requirements = archive.read("requirements.txt").decode()
    assert {"setup.sh", "run_autograder", "autograder.json", "requirements.txt"} <= set(names)
    assert modes["setup.sh"] & 0o111 and modes["run_autograder"] & 0o111
    assert "problems/1-course/course_softmax.py" in names
    (wheel,) = [n for n in names if n.startswith("wheels/derive-") and n.endswith("-py3-none-any.whl")]
    assert {p["target"]: p["points"] for p in config["parts"]} == PARTS
    assert [p["target"] for p in config["parts"]] == list(PARTS)
    assert "sympy==" in requirements and "click==" in requirements
    assert "wrote" in said and "4 parts, 6 points" in said and "Gradescope" in said


def test_the_wheel_carries_derive_the_shipped_problems_and_templates(built):
    with zipfile.ZipFile(built[0]) as archive:
        (name,) = [n for n in archive.namelist() if n.startswith("wheels/")]
        with zipfile.ZipFile(archive.open(name)) as wheel:
            files = set(wheel.namelist())
            metadata = wheel.read(next(f for f in files if f.endswith("dist-info/METADATA"))).decode()
            entry_points = wheel.read(next(f for f in files if f.endswith("entry_points.txt"))).decode()
    assert {"derive/cli.py", "derive/grading/autograder.py", "derive/problems/softmax_jacobian.py",
            "derive/problems/course.toml", "derive/templates/document.tex.j2"} <= files
    assert not [f for f in files if "__pycache__" in f or f.endswith(".pyc")]
    assert "Requires-Dist: sympy" in metadata and "tomli" in metadata and "Requires-Python: >=3.10" in metadata
    assert "derive = derive.cli:main" in entry_points


@pytest.mark.parametrize("script", ["setup.sh", "run_autograder"])
def test_the_scripts_are_valid_bash(root, script):
    checked = subprocess.run(["bash", "-n", str(root / "source" / script)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr


def test_the_same_inputs_give_the_same_zip(built, tmp_path):
    saved = library._current
    folder = built[0].parent
    try:
        again = run("--problems", folder / "course", "autograder", "--points", folder / "points.json",
                    "-o", tmp_path / "again.zip")
    finally:
        library._current = saved
    assert again.exit_code == 0, again.output
    assert (tmp_path / "again.zip").read_bytes() == built[0].read_bytes()


@pytest.mark.parametrize("points,words", [
    ({"softmax-jacobian/jakobian": 2}, "'softmax-jacobian/jakobian' names no part of softmax-jacobian; "
                                       "did you mean softmax-jacobian/jacobian?"),
    ({"tanh-derivatve": 1, "softmax-jacobian": -1}, "did you mean tanh-derivative?\n"),  # every fault at once
    ({"tanh-derivatve": 1, "softmax-jacobian": -1}, "non-negative"),
    ({"softmax-jacobian/jacobian": True}, "non-negative"),
    ({"*": 1}, "nothing to grade"),
    ({"tanh-derivative": 0}, "nothing to grade"),
    ([1, 2], "expected a JSON object"),
])
def test_a_points_file_with_a_fault_is_an_error_before_any_zip(tmp_path, points, words):
    (tmp_path / "points.json").write_text(json.dumps(points), encoding="utf-8")
    result = run("autograder", "--points", tmp_path / "points.json", "-o", tmp_path / "a.zip")
    assert result.exit_code == 2 and words in result.output, result.output
    assert not (tmp_path / "a.zip").exists()


def test_nothing_to_grade_and_a_zip_of_another_name_are_errors(tmp_path):
    nothing = run("autograder", "-o", tmp_path / "a.zip")
    assert nothing.exit_code == 2 and "nothing to grade" in nothing.output
    tar = run("autograder", "--points", tmp_path / "p.json", "-o", tmp_path / "a.tar")
    assert tar.exit_code == 2
    (tmp_path / "p.json").write_text('{"tanh-derivative": 1}', encoding="utf-8")
    tar = run("autograder", "--points", tmp_path / "p.json", "-o", tmp_path / "a.tar")
    assert tar.exit_code == 2 and "give -o NAME.zip" in tar.output


def test_course_toml_points_and_the_default_of_one_point_per_course_part(tmp_path):
    course = tmp_path / "course"
    write_spec(course)
    plain = run("--problems", course, "autograder", "-o", tmp_path / "plain.zip")
    assert plain.exit_code == 0 and "2 parts, 2 points" in plain.output, plain.output
    (course / "course.toml").write_text('[points]\n"course-softmax/gradient" = 4\n"tanh-derivative" = 1\n',
                                        encoding="utf-8")
    toml = run("--problems", course, "autograder", "-o", tmp_path / "toml.zip")
    assert toml.exit_code == 0 and "3 parts, 6 points" in toml.output, toml.output
    with zipfile.ZipFile(tmp_path / "toml.zip") as archive:
        config = json.loads(archive.read("autograder.json"))
        assert "problems/1-course/course.toml" in archive.namelist()
    assert {p["target"]: p["points"] for p in config["parts"]} == {
        "tanh-derivative/derivative": 1, "course-softmax/jacobian": 1, "course-softmax/gradient": 4}
    (course / "course.toml").write_text('[points]\n"course-softmax/jacobian" = 0\n', encoding="utf-8")
    left_out = run("--problems", course, "autograder", "-o", tmp_path / "zero.zip")  # worth 0: not graded
    assert left_out.exit_code == 0 and "1 part, 1 point" in left_out.output, left_out.output
    (course / "course.toml").write_text('[points]\n"course-softmax/gradiant" = 4\n', encoding="utf-8")
    typo = run("--problems", course, "autograder", "-o", tmp_path / "typo.zip")
    assert typo.exit_code == 2 and "did you mean course-softmax/gradient?" in typo.output


def test_a_broken_spec_is_an_error_when_the_zip_is_built(tmp_path):
    course = tmp_path / "course"
    write_spec(course, reference="q[i] * (", parts=None)
    result = run("--problems", course, "autograder", "-o", tmp_path / "a.zip")
    assert result.exit_code == 2 and "course_softmax.py" in result.output, result.output


# -- a submission, graded ------------------------------------------------------------------------
def submission(kind: str, given: dict[str, str]) -> dict[str, str]:
    if kind == "json":
        return {"answers.json": json.dumps(given, ensure_ascii=False, indent=1)}
    if kind == "yaml":
        return {"answers.yaml": "# my answers\n" + "".join(f"{k}: {v}\n" for k, v in given.items())}
    return {"answers.md": "# Homework 3\n\nAda Lovelace\n\n"
            + "".join(f"## {k}\n\nMy answer is ${v}$.\n\n" for k, v in given.items())}


@pytest.mark.parametrize("kind", ["json", "yaml", "md"])
def test_right_wrong_invalid_and_missing_answers_score_as_they_should(root, kind):
    given = {"softmax-jacobian/jacobian": r"\sigma_i(1-\sigma_j)",  # wrong: the delta is missing
             "tanh-derivative": "1 - tanh(x)^2",  # right, named by its one-part problem alone
             "course-softmax/jacobian": "q_i*(delta_ij - ",  # invalid
             }  # course-softmax/gradient: missing
    results = grade(root, submission(kind, given))
    tests = by_name(results)
    assert list(tests) == list(PARTS)
    assert {name: t["max_score"] for name, t in tests.items()} == PARTS
    assert {name: t["score"] for name, t in tests.items()} == {
        "softmax-jacobian/jacobian": 0, "tanh-derivative/derivative": 1, "course-softmax/jacobian": 0,
        "course-softmax/gradient": 0}
    assert results["score"] == 1
    wrong = tests["softmax-jacobian/jacobian"]["output"]
    assert wrong.startswith("not equivalent") and "δ_ij is missing" in wrong and "Counterexample: n = " in wrong
    assert "Your answer, as read: " in wrong
    assert "\\delta_{ij} - \\sigma_{j}" not in wrong  # the reference is never shown
    assert tests["course-softmax/jacobian"]["output"].startswith("invalid")
    assert tests["course-softmax/gradient"]["output"] == "no answer"
    assert all(t["visibility"] == "visible" for t in results["tests"])
    assert f"Graded answers.{kind}: 3 of 4 parts answered, 1 right." in results["output"]


@pytest.mark.parametrize("kind", ["json", "yaml", "md"])
def test_all_right_scores_full_marks(root, kind):
    results = grade(root, submission(kind, RIGHT))
    assert results["score"] == sum(PARTS.values()) == 6
    assert all(t["status"] == "passed" for t in results["tests"]), results["tests"]


def test_a_submission_without_an_answers_file_scores_zero_and_says_which_files_are_read(root):
    results = grade(root, {"homework.pdf": "%PDF-1.4"})
    assert results["score"] == 0 and [t["score"] for t in results["tests"]] == [0, 0, 0, 0]
    assert "No answers file in the submission (it holds: homework.pdf)" in results["output"]
    assert "answers.json, answers.yaml or answers.md" in results["output"]
    assert "## softmax-jacobian/jacobian" in results["output"]  # an example with a real part


@pytest.mark.parametrize("files,words", [
    ({"answers.json": '{"tanh-derivative": "1 - tanh(x)^2",,}'}, "answers.json, line 1, column 37: not valid JSON"),
    ({"answers.yaml": "tanh-derivative: 1 - tanh(x)^2\n- softmax-jacobian/jacobian\n"}, "answers.yaml, line 2"),
    ({"answers.json": "{}", "answers.md": "## tanh-derivative\n1 - tanh(x)^2\n"}, "holds 2 answers files"),
    ({"answers.json": '["1 - tanh(x)^2"]'}, "expected one JSON object"),
])
def test_a_malformed_submission_scores_zero_and_says_what_is_wrong(root, files, words):
    results = grade(root, files)
    assert results["score"] == 0 and words in results["output"], results["output"]
    assert "answers.json, answers.yaml or answers.md" in results["output"]
    assert all(t["output"].startswith("not graded") for t in results["tests"])


def test_a_misspelt_key_is_named_with_the_part_it_is_close_to(root):
    results = grade(root, {"answers.json": json.dumps({"softmax-jacobian/jakobian": RIGHT["softmax-jacobian/jacobian"],
                                                       "relu-mlp/dW2": "x", "tanh-derivative": "1-tanh(x)^2"},
                                                      indent=1)})
    assert results["score"] == 1
    assert "Not graded: softmax-jacobian/jakobian (line 2) names no part of this assignment; did you mean " \
           "softmax-jacobian/jacobian?" in results["output"]
    assert "Not graded: relu-mlp/dW2 (line 3) is not a part of this assignment." in results["output"]
    missing = by_name(results)["softmax-jacobian/jacobian"]["output"]
    assert missing.startswith("no answer") and "'softmax-jacobian/jakobian'" in missing


def test_an_answers_file_of_another_name_is_read_with_a_note(root):
    results = grade(root, {"hw3/my-answers.yaml": "tanh-derivative/derivative: 1 - tanh(x)^2\n"})
    assert results["score"] == 1
    assert "Read hw3/my-answers.yaml as the answers file" in results["output"]


def test_a_part_answered_twice_is_invalid_and_the_others_count(root):
    results = grade(root, {"answers.md": "## tanh-derivative\n$1 - tanh(x)^2$\n\n## tanh-derivative/derivative\n"
                                         "$1 - tanh^2(x)$\n\n## course-softmax/gradient\n`q_j - t_j`\n"})
    tests = by_name(results)
    assert tests["tanh-derivative/derivative"]["score"] == 0
    assert "answered 2 times (line 1, line 4); keep one" in tests["tanh-derivative/derivative"]["output"]
    assert tests["course-softmax/gradient"]["score"] == 1.5


def test_a_fault_of_the_autograder_writes_no_results(root):
    (root / "source" / "autograder.json").unlink()
    environment = {**os.environ, "AUTOGRADER_ROOT": str(root), "AUTOGRADER_PYTHON": sys.executable}
    done = subprocess.run(["bash", str(root / "source" / "run_autograder")], env=environment, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 2 and "autograder.json" in done.stderr
    assert not (root / "results" / "results.json").exists()


def test_setup_installs_the_bundled_wheel_and_run_autograder_uses_it(root, tmp_path):
    """setup.sh as Gradescope runs it, but offline: its dependencies come from this environment
    (PYTHONPATH; pip sees them installed), derive from the zip's wheel into source/venv."""
    here = Path(sys.executable).parent
    site = sysconfig.get_paths()["purelib"]
    environment = {**os.environ, "PATH": f"{here}{os.pathsep}{os.environ.get('PATH', '')}", "PYTHONPATH": site,
                   "PIP_NO_INDEX": "1", "DERIVE_CACHE_DIR": str(tmp_path / "cache")}
    environment.pop("AUTOGRADER_PYTHON", None)
    setup = subprocess.run(["bash", str(root / "source" / "setup.sh")], cwd=tmp_path, env=environment,
                           capture_output=True, text=True, timeout=600)
    assert setup.returncode == 0, setup.stdout + setup.stderr
    assert "4 parts of 3 problems load; ready to grade" in setup.stdout
    venv_python = root / "source" / "venv" / "bin" / "python"
    where = subprocess.run([venv_python, "-c", "import derive; print(derive.__file__)"], cwd=tmp_path,
                           env=environment, capture_output=True, text=True, timeout=120).stdout
    assert where.startswith(str(root / "source" / "venv")), where
    (root / "submission" / "answers.json").write_text(json.dumps(RIGHT), encoding="utf-8")
    done = subprocess.run(["bash", str(root / "source" / "run_autograder")], cwd=tmp_path,
                          env={**environment, "AUTOGRADER_ROOT": str(root)}, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    results = json.loads((root / "results" / "results.json").read_text(encoding="utf-8"))
    assert results["score"] == 6 and results["extra_data"]["derive"]
    # the installed derive builds the same autograder (its wheel from the installed package, not a checkout)
    teacher = root.parent / "teacher"
    teacher.mkdir()
    (teacher / "points.json").write_text(json.dumps(POINTS), encoding="utf-8")
    again = subprocess.run([root / "source" / "venv" / "bin" / "derive", "--problems", root / "source" / "problems" /
                            "1-course", "autograder", "--points", teacher / "points.json", "-o", teacher / "again.zip"],
                           cwd=teacher, env=environment, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    with zipfile.ZipFile(teacher / "again.zip") as rebuilt:
        (name,) = [n for n in rebuilt.namelist() if n.startswith("wheels/")]
        with zipfile.ZipFile(rebuilt.open(name)) as wheel:
            installed_files = sorted(wheel.namelist())
        config = json.loads(rebuilt.read("autograder.json"))
    with zipfile.ZipFile(root / "source" / "wheels" / Path(name).name) as wheel:
        checkout_files = sorted(wheel.namelist())
    assert installed_files == checkout_files
    assert [p["target"] for p in config["parts"]] == list(PARTS)


# -- reading answers files ------------------------------------------------------------------------
def entries(kind: str, text: str) -> dict:
    read = {"json": answers.read_json, "yaml": answers.read_yaml}.get(kind)
    found = read(text) if read else answers.read_markdown(text, problems={"tanh-derivative"})
    return {e.key: (e.answer, e.fault) if e.fault else e.answer for e in found}


def test_json_takes_latex_with_single_backslashes_and_nested_parts():
    text = r'{"a/b": "\frac{1}{N} \sigma_i \theta \nabla \beta \right", "c": {"d": "x", "e": ""}, "f": 2}'
    assert entries("json", text) == {"a/b": r"\frac{1}{N} \sigma_i \theta \nabla \beta \right", "c/d": "x",
                                     "c/e": None, "f": "2"}
    assert entries("json", r'{"a/b": "\\frac{1}{N}"}') == {"a/b": r"\frac{1}{N}"}
    assert entries("json", '{"a/b": ["x"]}') == {"a/b": (None, "the answer must be text (a JSON string)")}


def test_yaml_lines_blocks_nesting_quotes_and_comments():
    text = "\n".join([
        "# answers", "---",
        r"a/b: \frac{1}{N} \sum_n x_n  # a comment",
        r'c/d: "\frac{a}{b}"',
        "e/f: 'it''s'",
        "g/h: |", "  1 - tanh(x)^2", "  + 0",
        "i/j: >-", "  long", "  line",
        "k:", "  l: s_i(delta_ij - s_j)", "  m:", "",
        "n/o:", "p/q: ~",
        "r/s:x_1",
    ])
    assert entries("yaml", text) == {"a/b": r"\frac{1}{N} \sum_n x_n", "c/d": r"\frac{a}{b}", "e/f": "it's",
                                     "g/h": "1 - tanh(x)^2\n+ 0", "i/j": "long line", "k/l": "s_i(delta_ij - s_j)",
                                     "k/m": None, "n/o": None, "p/q": None, "r/s": "x_1"}


@pytest.mark.parametrize("text,words", [
    ("a/b: x\n- c\n", "line 2: expected `key: answer`"),
    ("a/b: x\n  y\nc\n", "line 3: expected `key: answer`"),
    ('a/b: "x\n', "line 1: the quote \" is not closed"),
    ("k:\n    l: x\n  m: y\n", "line 2: this line's indent"),
])
def test_a_yaml_line_that_is_not_key_answer_is_an_error_with_its_line(text, words):
    with pytest.raises(answers.AnswersError) as caught:
        answers.read_yaml(text)
    assert words in str(caught.value)


def test_markdown_headings_code_blocks_and_formulas():
    text = "\n".join([
        "# Homework", "Name: Ada", "",
        "## a/b", "", "```latex", r"\frac{1}{N}", "## not a heading in a fence", "```", "",
        "## (b) `c/d`", "The answer is $$x_1 +", "x_2$$ as shown.",
        "## e/f", r"We get \(s_i\) here.",
        "## tanh-derivative", "1 - tanh(x)^2", "<!-- a note -->",
        "## Notes", "$not an answer$",
        "## g/h", "$a$ or $b$",
        "## i/j", "<!-- write here -->",
    ])
    assert entries("md", text) == {"a/b": r"\frac{1}{N}" + "\n## not a heading in a fence", "c/d": "x_1 +\nx_2",
                                   "e/f": "s_i", "tanh-derivative": "1 - tanh(x)^2",
                                   "g/h": (None, "2 formulas ($...$) under the heading; write the answer as one"),
                                   "i/j": None}


def test_an_answers_file_that_is_not_utf8_or_too_large_is_refused(tmp_path):
    latin = tmp_path / "answers.yaml"
    latin.write_bytes("a/b: x\nc/d: é\n".encode("latin-1"))
    with pytest.raises(answers.AnswersError, match="line 2: not UTF-8"):
        answers.read(latin)
    large = tmp_path / "answers.md"
    large.write_bytes(b"x" * (answers.MAX_BYTES + 1))
    with pytest.raises(answers.AnswersError, match="more than an answers file holds"):
        answers.read(large)
