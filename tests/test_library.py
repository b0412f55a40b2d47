"""Course folders, broken specs that stop nothing, `derive validate` and `derive new`.

Every spec here is written in the test, in a temporary course folder: none of
them is in the shipped library.
"""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest
from click.testing import CliRunner

from derive.cli import main

SOFTMAX_CE = '''
from sympy import KroneckerDelta, Sum, exp, log
from derive.spec import D, Spec

SPEC = Spec(id="{id}", title="Course softmax", source="test", statement="A softmax with a cross-entropy.")
n = SPEC.dim("n")
i, j, k = SPEC.indices("i j k", range=n)
x = SPEC.tensor("x", n)
t = SPEC.tensor("t", n{t_sample})
q = SPEC.tensor("q", n, latex=r"\\sigma", text="q")
ell = SPEC.scalar("ell")
SPEC.define(q[i], exp(x[i]) / Sum(exp(x[k]), (k, 1, n)))
SPEC.define(ell, -Sum(t[k] * log(q[k]), (k, 1, n)))
SPEC.assume(Sum(t[k], (k, 1, n)), 1, "Σ_k t_k = 1")
{parts}
'''
JACOBIAN_PART = '''SPEC.part("jacobian", "Find dq_i/dx_j.", target=D(q[i], x[j]), reference={reference}, free=(i, j),
          matrix=True, mistakes=[({mistake}, "{why}")])'''
GRADIENT_PART = '''SPEC.part("gradient", "Find dl/dx_j.", target=D(ell, x[j]), reference=q[j] - t[j], free=(j,))'''
RIGHT = "q[i] * (KroneckerDelta(i, j) - q[j])"


def write_spec(folder, name="course_softmax.py", id="course-softmax", t_sample=', sample="simplex"',
               reference=RIGHT, mistake="q[i] * (1 - q[j])", why="the delta is missing", parts=None):
    folder.mkdir(parents=True, exist_ok=True)
    parts = parts if parts is not None else "\n".join(
        [JACOBIAN_PART.format(reference=reference, mistake=mistake, why=why), GRADIENT_PART])
    path = folder / name
    path.write_text(SOFTMAX_CE.format(id=id, t_sample=t_sample, parts=parts), encoding="utf-8")
    return path


def run(*args, env=None):
    return CliRunner().invoke(main, list(args), env=env)


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("DERIVE_CACHE_DIR", str(tmp_path / "cache"))


# -- course folders ------------------------------------------------------------------------------
def test_a_course_folder_adds_problems_that_derive_check_and_list_with_their_folder(tmp_path):
    course = tmp_path / "course"
    write_spec(course)
    listed = run("--problems", str(course), "list")
    assert listed.exit_code == 0, listed.output
    line = next(row for row in listed.output.splitlines() if row.startswith("course-softmax"))
    assert line.endswith(f"[jacobian, gradient]  ({course})"), line
    assert "softmax-jacobian" in listed.output  # the shipped problems are still there
    data = json.loads(run("--problems", str(course), "list", "--json").output)
    assert {p["id"]: p["folder"] for p in data}["course-softmax"].endswith("course")
    assert {p["id"]: p["folder"] for p in data}["softmax-jacobian"] is None
    derived = run("--problems", str(course), "course-softmax", "--part", "gradient")
    assert derived.exit_code == 0 and "Answer: q_j - t_j" in derived.output, derived.output
    checked = run("--problems", str(course), "check", "course-softmax/jacobian", "q_i*(delta_ij - q_j)")
    assert checked.exit_code == 0, checked.output


def test_derive_problems_is_a_path_list_added_to_the_library(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    write_spec(first, id="course-a")
    write_spec(second, id="course-b")
    listed = run("list", env={"DERIVE_PROBLEMS": f"{first}:{second}"})
    ids = [row.split()[0] for row in listed.output.splitlines()]
    assert {"course-a", "course-b", "softmax-jacobian"} <= set(ids)


def test_a_duplicate_problem_id_is_one_line_naming_both_files(tmp_path):
    write_spec(tmp_path / "a", name="one.py", id="dup")
    write_spec(tmp_path / "b", name="two.py", id="dup")
    result = run("--problems", str(tmp_path / "a"), "--problems", str(tmp_path / "b"), "list")
    assert result.exit_code == 2
    (line,) = result.output.strip().splitlines()
    assert "'dup'" in line and "one.py" in line and "two.py" in line


def test_a_missing_course_folder_is_one_line(tmp_path):
    result = run("--problems", str(tmp_path / "nowhere"), "list")
    assert result.exit_code == 2 and "no such directory" in result.output


@pytest.mark.parametrize("broken,error", [
    ('from derive.spec import Spec\nSPEC = Spec(id="zz-broken", title="B", source="s", statement="x"\n',
     "SyntaxError"),
    ('from derive.spec import Spec\nSPEC = Spec(id="zz-broken", title="B", source="s", statement="x")\n'
     'n = SPEC.dim("n")\ny = undefined_name + 1\n', "NameError: name 'undefined_name' is not defined (line 4)"),
    ('from derive.spec import Spec\nSPEC = Spec(id="zz-broken", title="B", source="s", statement="x")\n',
     "no parts"),
], ids=["syntax", "name", "invalid"])
def test_a_broken_spec_in_a_course_folder_stops_nothing_else(tmp_path, broken, error):
    course = tmp_path / "course"
    write_spec(course)
    (course / "zz_broken.py").write_text(broken, encoding="utf-8")
    folder = ["--problems", str(course)]
    listed = run(*folder, "list")
    assert listed.exit_code == 0, listed.output
    (line,) = [row for row in listed.output.splitlines() if "zz_broken.py" in row]
    assert line.startswith("zz-broken") and error in line
    assert "course-softmax" in listed.output and "two-layer-l2" in listed.output
    derived = run(*folder, "softmax-jacobian", "--no-cache")
    assert derived.exit_code == 0 and "Answer: σ_i·(δ_ij - σ_j)" in derived.output
    assert run(*folder, "check", "course-softmax/gradient", "q_j - t_j").exit_code == 0
    named = run(*folder, "zz-broken")
    assert named.exit_code == 2 and len(named.output.strip().splitlines()) == 1
    assert "zz_broken.py" in named.output and error in named.output


def test_a_broken_spec_is_skipped_with_one_warning_where_every_problem_is_used(tmp_path):
    """Deriving one problem never reads another (no derivation depends on the rest of the library); a PDF of
    every problem skips the broken one with one warning line."""
    course = tmp_path / "course"
    course.mkdir()
    (course / "zz_broken.py").write_text("SPEC = 1/0\n" + 'Spec(id="zz-broken", title="B", source="s")\n')
    one = subprocess.run([sys.executable, "-m", "derive.cli", "--problems", str(course), "softmax-cross-entropy",
                          "--no-cache"], capture_output=True, text=True, env=_env(tmp_path))
    assert one.returncode == 0 and "warning" not in one.stderr, one.stderr
    every = subprocess.run([sys.executable, "-m", "derive.cli", "--problems", str(course), "pdf", "--tex", "-o", "-"],
                           capture_output=True, text=True, env=_env(tmp_path))
    assert every.returncode == 0, every.stderr
    warnings = [row for row in every.stderr.splitlines() if row.startswith("warning:")]
    assert len(warnings) == 1 and "zz_broken.py" in warnings[0] and "ZeroDivisionError" in warnings[0]
    assert "Softmax cross-entropy" in every.stdout


def _env(tmp_path):
    import os

    return {**os.environ, "DERIVE_CACHE_DIR": str(tmp_path / "cache")}


def test_the_cache_key_covers_course_specs(tmp_path):
    course = tmp_path / "course"
    path = write_spec(course)
    first = run("--problems", str(course), "course-softmax", "--part", "gradient", "--json")
    path.write_text(path.read_text().replace('statement="A softmax', 'statement="Another softmax'))
    second = run("--problems", str(course), "course-softmax", "--part", "gradient", "--json")
    assert json.loads(first.output)["statement"] != json.loads(second.output)["statement"]


def test_list_does_not_import_sympy_once_the_library_status_is_cached(tmp_path):
    course = tmp_path / "course"
    write_spec(course)
    code = textwrap.dedent(f"""
        import sys
        from derive.cli import main
        try:
            main(["--problems", {str(course)!r}, "list"])
        except SystemExit:
            pass
        sys.stdout.write("SYMPY" if "sympy" in sys.modules else "CLEAN")
    """)
    subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=_env(tmp_path))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env=_env(tmp_path)).stdout
    assert out.endswith("CLEAN") and "course-softmax" in out


# -- derive validate -------------------------------------------------------------------------------
def validate(tmp_path, **spec):
    path = write_spec(tmp_path / "course", **spec)
    return run("validate", str(path))


def test_a_right_spec_validates(tmp_path):
    result = validate(tmp_path)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("course-softmax: ok (2 parts")


def test_validate_reports_a_wrong_reference_with_the_derived_answer(tmp_path):
    result = validate(tmp_path, reference="q[i] * (KroneckerDelta(i, j) + q[j])")
    assert result.exit_code == 1
    (line,) = [row for row in result.output.splitlines() if "part jacobian" in row]
    assert "reference= is wrong" in line and "q_i·(δ_ij - q_j)" in line


def test_validate_reports_a_mistake_that_is_right(tmp_path):
    result = validate(tmp_path, mistake="q[i] * KroneckerDelta(i, j) - q[i] * q[j]", why="not really wrong")
    assert result.exit_code == 1
    (line,) = [row for row in result.output.splitlines() if "not really wrong" in row]
    assert "it is not a mistake" in line and "remove it" in line


def test_validate_reports_a_missing_simplex_sample_and_names_it(tmp_path):
    result = validate(tmp_path, t_sample="")
    assert result.exit_code == 1
    assert any('the assumption Σ_k t_k = 1 does not hold' in row and 'declare t with sample="simplex"' in row
               for row in result.output.splitlines()), result.output


def test_validate_reports_parts_built_in_a_loop(tmp_path):
    loop = textwrap.dedent('''
        for name, wrt in (("dq-dx", x), ("dq-dt", t)):
            SPEC.part(name, "Find it.", target=D(q[i], wrt[j]), free=(i, j),
                      reference=q[i] * (KroneckerDelta(i, j) - q[j]) if wrt == x else 0)
    ''')
    path = write_spec(tmp_path / "course", parts=loop)
    listed = run("--problems", str(path.parent), "list")
    assert "[dq-dx, dq-dt]" in listed.output  # list loads what it cannot read
    result = run("validate", str(path))
    assert result.exit_code == 1
    (line,) = [row for row in result.output.splitlines() if "built at run time" in row]
    assert "dq-dx" in line and "literal id" in line


def test_validate_reads_back_every_printed_form(tmp_path):
    """A right spec: every answer's printed forms (index and matrix; LaTeX, text, ASCII) read back."""
    path = write_spec(tmp_path / "course")
    result = run("validate", str(path), "--json")
    assert result.exit_code == 0, result.output
    (report,) = json.loads(result.output)
    assert report["round_trip"] == {"forms": 6 + 3, "unread": []}  # the jacobian's 6 forms, the gradient's 3


def test_validate_fails_a_spec_whose_printed_names_cannot_be_typed(tmp_path):
    """q printed as `\\mathfrak{q}` and `☃`: the teacher learns it from validate, with the part, the form and
    the checker's message, before a student meets it."""
    path = write_spec(tmp_path / "course")
    path.write_text(path.read_text().replace('latex=r"\\sigma", text="q"', 'latex=r"\\mathfrak{q}", text="☃"'))
    result = run("validate", str(path))
    assert result.exit_code == 1, result.output
    lines = [row for row in result.output.splitlines() if "does not read back" in row]
    assert len(lines) == 6, result.output  # LaTeX and text: the jacobian's index and matrix forms, the gradient's
    jacobian = next(row for row in lines if "part jacobian: the index form in LaTeX" in row)
    assert r"`\mathfrak{q}_{i}" in jacobian and r"unsupported LaTeX command \mathfrak" in jacobian
    text = next(row for row in lines if "part gradient: the index form in Unicode text" in row)
    assert "`☃_j - t_j`" in text and "unexpected character '☃'" in text and "latex=, text=" in text
    assert not [row for row in lines if "ASCII" in row]  # q's ASCII name is its label
    (report,) = json.loads(run("validate", str(path), "--json").output)
    assert not report["ok"] and report["round_trip"]["forms"] == 9
    assert {(u["part"], u["form"], u["verdict"]) for u in report["round_trip"]["unread"]} == {
        ("jacobian", "index_latex", "invalid"), ("jacobian", "index_text", "invalid"),
        ("jacobian", "matrix_latex", "invalid"), ("jacobian", "matrix_text", "invalid"),
        ("gradient", "index_latex", "invalid"), ("gradient", "index_text", "invalid")}


def test_validate_of_an_unknown_id_is_a_usage_error():
    result = run("validate", "softmax-jakobian")
    assert result.exit_code == 2 and "did you mean 'softmax-jacobian'" in result.output


# -- derive new ------------------------------------------------------------------------------------
def test_new_writes_a_skeleton_that_validates_and_never_overwrites(tmp_path):
    course = tmp_path / "course"
    made = run("new", "relu-layer", "-o", str(course), "--title", "A ReLU layer")
    assert made.exit_code == 0, made.output
    path = course / "relu_layer.py"
    assert 'id="relu-layer"' in path.read_text() and "title='A ReLU layer'" in path.read_text()
    checked = run("--problems", str(course), "validate", "relu-layer")
    assert checked.exit_code == 0, checked.output
    again = run("new", "relu-layer", "-o", str(course))
    assert again.exit_code == 2 and "exists" in again.output
    assert run("new", "Bad Id", "-o", str(course)).exit_code == 2


# -- what a course folder may hold: helpers, prints, exits ----------------------------------------------
POWER_SPEC = '''
from {helper} import POWER
from derive.spec import D, Spec

SPEC = Spec(id="{id}", title="A power", source="test", statement="x to a power.")
x = SPEC.scalar("x")
y = SPEC.scalar("y")
SPEC.define(y, x ** POWER)
SPEC.part("dy", "Find dy/dx.", target=D(y, x), reference=POWER * x ** (POWER - 1))
'''


def power_folder(folder, power, id="power", helper="_common"):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{helper}.py").write_text(f"POWER = {power}\n", encoding="utf-8")
    (folder / f"{id.replace('-', '_')}.py").write_text(POWER_SPEC.format(id=id, helper=helper), encoding="utf-8")
    return folder


def test_an_edited_helper_is_seen_by_the_cache_and_the_list(tmp_path):
    course = power_folder(tmp_path / "course", 2)
    assert "Answer: 2·x" in run("--problems", str(course), "power").output
    (course / "_common.py").write_text("POWER = 5\n", encoding="utf-8")
    assert "Answer: 5·x^4" in run("--problems", str(course), "power").output
    (course / "_common.py").write_text("POWER = 1/0\n", encoding="utf-8")
    listed = run("--problems", str(course), "list")
    assert "cannot be loaded" in listed.output and "ZeroDivisionError" in listed.output


def test_helpers_of_the_same_name_in_two_folders_are_two_modules(tmp_path):
    first = power_folder(tmp_path / "a", 2, id="power-a")
    second = power_folder(tmp_path / "b", 3, id="power-b")
    for order in ([first, second], [second, first]):
        folders = [arg for folder in order for arg in ("--problems", str(folder))]
        result = run(*folders, "validate", "power-a", "power-b")
        assert result.exit_code == 0, result.output


def test_a_spec_that_exits_or_prints_stops_nothing(tmp_path):
    course = tmp_path / "course"
    write_spec(course)
    (course / "zz_exit.py").write_text('import sys\nsys.exit(3)\nSPEC = Spec(id="zz-exit", title="E", source="s")\n',
                                       encoding="utf-8")
    (course / "zz_print.py").write_text(SOFTMAX_CE.format(id="zz-print", t_sample="", parts=GRADIENT_PART)
                                        + 'print("hello from a spec")\n', encoding="utf-8")
    listed = run("--problems", str(course), "list", "--json")
    assert listed.exit_code == 0
    ids = {p["id"] for p in json.loads(listed.stdout)}  # stdout is JSON only: the print went to stderr
    assert {"course-softmax", "zz-print", "softmax-jacobian"} <= ids and "zz-exit" not in ids
    assert "SystemExit: 3" in listed.stderr
    assert run("--problems", str(course), "softmax-jacobian", "--part", "jacobian").exit_code == 0


def test_a_reference_with_an_undeclared_symbol_is_a_spec_error(tmp_path):
    path = write_spec(tmp_path / "course", reference='"2*x"')
    result = run("validate", str(path))
    assert result.exit_code == 1
    assert "the reference uses x, which the spec does not declare" in result.output


def test_new_refuses_taken_ids_command_names_and_writes_quoted_titles(tmp_path):
    assert "taken by" in run("new", "softmax-jacobian", "-o", str(tmp_path)).output
    assert "is a command" in run("new", "list", "-o", str(tmp_path)).output
    made = run("new", "quoted", "-o", str(tmp_path), "--title", 'The "quoted" \\unit\\')
    assert made.exit_code == 0
    result = run("--problems", str(tmp_path), "list", "--json")
    titles = {p["id"]: p["title"] for p in json.loads(result.stdout)}
    assert titles["quoted"] == 'The "quoted" \\unit\\'
