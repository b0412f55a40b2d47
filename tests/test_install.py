"""derive installed as a user installs it: a built wheel, and `pip install .`, each in a fresh virtual
environment, used from a directory that is not the repository.

The shipped problems and templates live at the repository's top level and
travel inside the wheel; nothing here may find them through the source tree.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
IGNORE = shutil.ignore_patterns(".venv", ".git", "build", "dist", "*.egg-info", "__pycache__", ".pytest_cache",
                                ".ruff_cache", ".mypy_cache", "tests")


def sh(*args, cwd=None, env=None, check=True):
    result = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    if check and result.returncode != 0:
        command = " ".join(map(str, args))
        raise AssertionError(f"{command} exited {result.returncode}:\n{result.stdout}\n{result.stderr}")
    return result


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    """A copy of the working tree (so that building leaves nothing behind in the repository)."""
    copy = tmp_path_factory.mktemp("src") / "derive-src"
    shutil.copytree(ROOT, copy, ignore=IGNORE)
    return copy


def fresh_venv(where: Path) -> Path:
    sh(sys.executable, "-m", "venv", where)
    return where / "bin"


@pytest.fixture(scope="module", params=["wheel", "pip install ."])
def installed(request, source, tmp_path_factory):
    base = tmp_path_factory.mktemp("venv")
    bin_dir = fresh_venv(base / "venv")
    pip = [bin_dir / "python", "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    if request.param == "wheel":
        dist = base / "dist"
        sh(bin_dir / "python", "-m", "pip", "wheel", "-q", "--no-deps", "-w", dist, source)
        (wheel,) = dist.glob("derive-*.whl")
        sh(*pip, wheel)
    else:
        sh(*pip, source)
    return bin_dir


@pytest.fixture
def elsewhere(tmp_path):
    """An empty working directory, and an empty cache."""
    env = {**os.environ, "DERIVE_CACHE_DIR": str(tmp_path / "cache"), "PYTHONPATH": ""}
    env.pop("DERIVE_PROBLEMS", None)
    work = tmp_path / "work"
    work.mkdir()
    return work, env


def test_the_installed_package_is_not_the_source_tree(installed, elsewhere):
    work, env = elsewhere
    where = sh(installed / "python", "-c", "import derive, pathlib; print(pathlib.Path(derive.__file__).parent)",
               cwd=work, env=env).stdout.strip()
    assert "site-packages" in where and not where.startswith(str(ROOT))
    assert (Path(where) / "problems" / "softmax_jacobian.py").is_file()
    assert (Path(where) / "templates" / "document.tex.j2").is_file()


def test_list_pdf_check_and_grade_work_from_any_directory(installed, elsewhere):
    work, env = elsewhere
    derive = installed / "derive"
    listed = json.loads(sh(derive, "list", "--json", cwd=work, env=env).stdout)
    assert {"softmax-jacobian", "two-layer-l2", "tanh-derivative"} <= {p["id"] for p in listed}
    latex = sh(derive, "softmax-jacobian", "--latex", cwd=work, env=env).stdout
    assert r"\delta_{ij}" in latex
    if shutil.which("pdflatex"):
        sh(derive, "pdf", "softmax-jacobian", "-o", "sheet.pdf", cwd=work, env=env)
        assert (work / "sheet.pdf").read_bytes().startswith(b"%PDF")
    assert sh(derive, "check", "softmax-jacobian/jacobian", "s_i*(delta_ij - s_j)", cwd=work, env=env).returncode == 0
    wrong = sh(derive, "check", "tanh-derivative", "1 - tanh(x)", cwd=work, env=env, check=False)
    assert wrong.returncode == 1 and "the square is missing" in wrong.stdout
    (work / "class.jsonl").write_text(json.dumps({"id": "a", "problem": "tanh-derivative", "part": "",
                                                  "answer": "1-tanh(x)^2"}) + "\n", encoding="utf-8")
    sh(derive, "grade", "class.jsonl", "-o", "results.jsonl", cwd=work, env=env)
    (row,) = [json.loads(line) for line in (work / "results.jsonl").read_text().splitlines()]
    assert row["verdict"] == "equivalent"


def test_a_course_folder_works_with_the_installed_package(installed, elsewhere):
    work, env = elsewhere
    derive = installed / "derive"
    sh(derive, "new", "my-unit", "-o", "course", cwd=work, env=env)
    result = sh(derive, "--problems", "course", "validate", "my-unit", cwd=work, env=env)
    assert result.stdout.startswith("my-unit: ok")
