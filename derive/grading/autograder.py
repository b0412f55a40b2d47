"""`derive autograder`: a Gradescope autograder, and what it runs for each student's submission.

Gradescope builds an image once from the zip (it runs `setup.sh` as root on
its Ubuntu base image, with the zip unpacked in /autograder/source), then for
each submission puts the student's files in /autograder/submission and runs
/autograder/run_autograder, which must write /autograder/results/results.json.

The zip (`build`) holds:

    setup.sh          installs Python (apt, if missing), a virtual environment in source/venv,
                      derive's wheel and the dependency versions the zip was built with
    run_autograder    `python -m derive.grading.autograder ROOT` (ROOT: /autograder, or $AUTOGRADER_ROOT)
    autograder.json   the graded parts with their points, the course folders, the check limits
    requirements.txt  the dependency versions (those installed where the zip was built)
    wheels/           derive itself, as a wheel written from the running package (a checkout or an
                      installed derive alike), with the shipped problems and templates
    problems/N-NAME/  each course folder of the library in use (its *.py specs and course.toml)

For each submission (`grade_root`): the answers file (answers.json,
answers.yaml or answers.md, see `answers`) is read, every graded part's
answer is checked in a worker process with the limits of `derive grade`, and
results.json gets one test per part (name `problem/part`, score, max_score,
output: the verdict, how the answer was read, why it is wrong and a
counterexample). A missing or unreadable answers file scores 0 and its output
says which files are read. A fault of the autograder itself (derive not
installed, a course folder missing) writes no results.json: Gradescope then
marks the submission as failed for the course staff, rather than recording a 0.
"""
from __future__ import annotations

import base64
import difflib
import hashlib
import io
import json
import os
import re
import sys
import time
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import DeriveError
from ..limits import DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT, MAX_ANSWER
from ..problem import course, library
from ..resources import PACKAGE, shipped
from ..version import __version__
from . import answers as answer_files
from .points import load, number

CONFIG = "autograder.json"
FORMAT = 1  # of autograder.json
STAMP = (2020, 1, 1, 0, 0, 0)  # every zip entry's time: the same inputs give the same bytes
EXECUTABLE, REGULAR = 0o100755 << 16, 0o100644 << 16
MAX_ENTRIES = 500  # answers in one answers file


@dataclass(frozen=True)
class Graded:
    """One graded part: its `problem/part` id, its points, its number ("2.1": problem 2, first part)."""

    target: str
    points: float
    number: str


# -- which parts, for how many points ----------------------------------------------------------
def plan(points_file: Path | None = None) -> tuple[list[Graded], str]:
    """The graded parts in course order, and where their points come from.

    Graded are every part of the course folders' problems, and each part of a shipped problem that a
    points key names (itself, or its problem). The points are those of `derive grade`
    (`grading.points`): the `--points` file (its "*" the default, else 1), else the [points] of the
    course.toml files, else 1 a part. A part worth 0 is left out; a key that names no part is an error.
    """
    lib = library.current()
    course.current()  # a faulty course.toml is an error even when --points overrides its points
    points, errors = load(points_file)
    if errors:
        raise DeriveError("\n".join(errors))
    own_folders = lib.folders[1:]
    for broken in lib.broken():  # a spec of the course folders that cannot be read would go ungraded
        if broken.path.resolve().parent in own_folders:
            raise DeriveError(f"{library.shown(broken.path)}: {broken.error}")
    own = {h.id for h in lib.headers() if lib.folder_of(h) is not None}
    named = {key.partition("/")[0] for key in points.table}
    graded: list[Graded] = []
    count = 0
    for problem_id in course.ordered(sorted(own | named)):
        parts = lib.part_ids(problem_id)
        mine = [(part_id, points.of(problem_id, part_id)) for part_id in parts
                if problem_id in own or problem_id in points.table or f"{problem_id}/{part_id}" in points.table]
        mine = [(part_id, worth) for part_id, worth in mine if worth > 0]
        if mine:
            count += 1
            graded += [Graded(f"{problem_id}/{part_id}", worth, f"{count}.{n}")
                       for n, (part_id, worth) in enumerate(mine, start=1)]
    if not graded:
        raise DeriveError(f"nothing to grade ({points.source}): name the parts and their points with --points "
                          "points.json or in the [points] of a course.toml, or add --problems DIR (before "
                          "`autograder`) to grade every part of that course folder")
    for problem_id in dict.fromkeys(g.target.partition("/")[0] for g in graded):
        lib.load(problem_id)  # a broken spec is an error now, not when the first student submits
    return graded, points.source


# -- derive as a wheel -------------------------------------------------------------------------
def _package_files() -> list[tuple[str, Path]]:
    """(path in the wheel, file) for derive's modules and the shipped problems and templates, from the
    running package: a source checkout (problems/ and templates/ beside derive/) or an installed one."""
    out: list[tuple[str, Path]] = []
    inside = {PACKAGE / "problems", PACKAGE / "templates"}
    for root, dirs, files in os.walk(PACKAGE):
        here = Path(root)
        dirs[:] = sorted(d for d in dirs if not d.startswith((".", "__pycache__")) and here / d not in inside)
        for name in sorted(files):
            if name.endswith((".pyc", ".pyo")) or name.startswith("."):
                continue
            out.append(("derive/" + (here / name).relative_to(PACKAGE).as_posix(), here / name))
    for folder, patterns in (("problems", ("*.py", "course.toml")), ("templates", ("*.j2",))):
        source = shipped(folder)
        for path in sorted({p for pattern in patterns for p in source.glob(pattern)}):
            out.append((f"derive/{folder}/{path.name}", path))
    return out


def _project() -> tuple[list[str], str, str]:
    """derive's requirements, Requires-Python and summary: from pyproject.toml beside a checkout, else
    from the installed distribution's metadata."""
    pyproject = PACKAGE.parent / "pyproject.toml"
    if pyproject.is_file():
        data = course.tomllib.loads(pyproject.read_text(encoding="utf-8")).get("project", {})
        if data.get("name") == "derive":
            return list(data.get("dependencies", [])), data.get("requires-python", ""), data.get("description", "")
    from importlib import metadata

    try:
        meta = metadata.metadata("derive")
    except metadata.PackageNotFoundError:
        raise DeriveError("derive runs neither from its source tree nor installed: cannot say its "
                          "dependencies; install it (pip install .)") from None
    requires = [r for r in meta.get_all("Requires-Dist") or [] if "extra ==" not in r.replace('"', "'")]
    python, summary = meta.get_all("Requires-Python") or [""], meta.get_all("Summary") or [""]
    return requires, python[0], summary[0]


def wheel() -> tuple[str, bytes]:
    """derive as a wheel (its file name and bytes), with the shipped problems and templates inside."""
    requires, python, summary = _project()
    info = f"derive-{__version__}.dist-info"
    metadata = "".join([
        "Metadata-Version: 2.1\n", "Name: derive\n", f"Version: {__version__}\n", f"Summary: {summary}\n",
        *([f"Requires-Python: {python}\n"] if python else []), *(f"Requires-Dist: {r}\n" for r in requires)])
    extra = {
        f"{info}/METADATA": metadata.encode(),
        f"{info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: derive autograder\nRoot-Is-Purelib: true\n"
                         b"Tag: py3-none-any\n",
        f"{info}/entry_points.txt": b"[console_scripts]\nderive = derive.cli:main\n",
        f"{info}/top_level.txt": b"derive\n",
    }
    members = [(name, path.read_bytes()) for name, path in _package_files()] + list(extra.items())
    record = []
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members:
            _add(archive, name, data)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            record.append(f"{name},sha256={digest},{len(data)}")
        record.append(f"{info}/RECORD,,")
        _add(archive, f"{info}/RECORD", ("\n".join(record) + "\n").encode())
    return f"derive-{__version__}-py3-none-any.whl", buffer.getvalue()


def _name_of(requirement: str) -> str:
    found = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    return found.group(1) if found else ""


def pinned() -> list[str]:
    """`name==version` of derive's dependencies and theirs, as installed here (a marker kept), so that
    Gradescope checks with the versions the teacher tried; one not installed here is left to pip."""
    from importlib import metadata

    def canonical(name: str) -> str:
        return re.sub(r"[-_.]+", "-", name).lower()

    out, seen = [], set()
    todo = list(_project()[0])
    while todo:
        requirement = todo.pop(0)
        name, _, marker = requirement.partition(";")
        key = canonical(_name_of(name))
        if not key or key in seen or "extra" in marker:
            continue
        seen.add(key)
        try:
            version = metadata.version(key)
            requires = metadata.requires(key) or []
        except metadata.PackageNotFoundError:
            continue
        out.append(f"{key}=={version}" + (f"; {marker.strip()}" if marker.strip() else ""))
        todo += [r for r in requires if "extra" not in r.partition(";")[2]]
    return sorted(out)


# -- the zip ---------------------------------------------------------------------------------------
SETUP = r"""#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image (written by `derive autograder`).
# It installs derive from the wheel in wheels/, with the dependency versions the zip was built with
# (requirements.txt), in a virtual environment beside this script, which run_autograder uses.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV="$HERE/venv"

new_enough() { command -v python3 >/dev/null 2>&1 && python3 -c 'import sys; sys.exit(sys.version_info < (3, 10))'; }
install_python() {
    echo "installing python3, python3-venv, python3-pip with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq || true
    apt-get install -y -qq python3 python3-venv python3-pip
}

new_enough || install_python
if ! new_enough; then
    echo "derive needs Python 3.10 or newer; this image has $(python3 --version 2>&1)." >&2
    echo "Choose Ubuntu 22.04 or newer as the autograder's base image on Gradescope." >&2
    exit 1
fi
rm -rf "$VENV"
if ! python3 -m venv "$VENV"; then  # Debian and Ubuntu keep venv's pip in python3-venv
    install_python
    rm -rf "$VENV"
    python3 -m venv "$VENV"
fi
PIP=("$VENV/bin/python" -m pip install --disable-pip-version-check --no-input --find-links "$HERE/wheels")
WHEEL=("$HERE"/wheels/derive-*.whl)
if ! "${PIP[@]}" -r "$HERE/requirements.txt" "${WHEEL[0]}"; then
    echo "warning: the pinned versions of requirements.txt did not install on this image;" >&2
    echo "warning: installing derive with the newest versions its own requirements allow" >&2
    "${PIP[@]}" "${WHEEL[0]}"
fi
chmod +x "$HERE/run_autograder"
"$VENV/bin/python" -m derive.grading.autograder --check-install "$HERE"
"""

RUN = r"""#!/usr/bin/env bash
# Gradescope runs this once per submission, as /autograder/run_autograder (written by `derive autograder`).
# It reads the answers file in submission/ and writes results/results.json, under the root /autograder,
# or the directory in $AUTOGRADER_ROOT (to try the autograder elsewhere). Python: $AUTOGRADER_PYTHON, else
# the virtual environment setup.sh made in source/venv, else the python3 on PATH (with derive installed).
set -u
ROOT="$(cd "${AUTOGRADER_ROOT:-/autograder}" && pwd)" || exit 2
PYTHON="${AUTOGRADER_PYTHON:-}"
if [ -z "$PYTHON" ]; then
    if [ -x "$ROOT/source/venv/bin/python" ]; then PYTHON="$ROOT/source/venv/bin/python"; else PYTHON=python3; fi
fi
unset DERIVE_PROBLEMS
mkdir -p "$ROOT/results"
cd "$ROOT"
exec "$PYTHON" -m derive.grading.autograder "$ROOT"
"""


def _add(archive: zipfile.ZipFile, name: str, data: bytes, mode: int = REGULAR) -> None:
    info = zipfile.ZipInfo(name, STAMP)
    info.external_attr = mode
    info.create_system = 3  # Unix: unzip keeps the modes
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, data)


@dataclass(frozen=True)
class Built:
    path: Path
    graded: list[Graded]
    source: str
    folders: list[str]
    wheel: str

    @property
    def total(self) -> float:
        return sum(g.points for g in self.graded)


def build(output: Path, points_file: Path | None = None, timeout: float = DEFAULT_TIMEOUT,
          memory: int = DEFAULT_MEMORY_MB, jobs: int = 1) -> Built:
    """Write the autograder zip for the library in use (its course folders) and the points."""
    graded, source = plan(points_file)
    lib = library.current()
    folders = []
    files: list[tuple[str, bytes, int]] = []
    for n, folder in enumerate(lib.folders[1:], start=1):  # the shipped problems travel in the wheel
        name = f"problems/{n}-{re.sub(r'[^A-Za-z0-9_.-]', '_', folder.name)}"
        folders.append(name)
        for path in sorted([*folder.glob("*.py"), folder / course.FILE]):
            if path.is_file():
                files.append((f"{name}/{path.name}", path.read_bytes(), REGULAR))
    wheel_name, wheel_bytes = wheel()
    config = {
        "format": FORMAT, "derive": __version__,
        "parts": [{"target": g.target, "points": g.points, "number": g.number} for g in graded],
        "problems": folders, "timeout": timeout, "memory": memory, "jobs": jobs,
    }
    files += [
        ("setup.sh", SETUP.encode(), EXECUTABLE),
        ("run_autograder", RUN.encode(), EXECUTABLE),
        (CONFIG, (json.dumps(config, indent=2, ensure_ascii=False) + "\n").encode(), REGULAR),
        ("requirements.txt", ("\n".join(pinned()) + "\n").encode(), REGULAR),
        (f"wheels/{wheel_name}", wheel_bytes, REGULAR),
    ]
    output = Path(output)
    partial = output.with_name(output.name + ".partial")
    try:
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, data, mode in sorted(files):
                _add(archive, name, data, mode)
        os.replace(partial, output)
    finally:
        partial.unlink(missing_ok=True)
    return Built(output, graded, source, [library.shown(f) for f in lib.folders[1:]], wheel_name)


# -- grading one submission ------------------------------------------------------------------------
def _check(payload: tuple) -> dict:
    """One answer's result (runs in a worker); never raises for bad input."""
    from ..checking import INVALID, Result, check

    target, answer, timeout = payload
    try:
        return check(target, answer[:MAX_ANSWER], timeout=timeout).to_json()
    except DeriveError as exc:
        problem, _, part = target.partition("/")
        return Result(problem, part, INVALID, f"invalid: {exc}").to_json()


@dataclass
class Submission:
    """What a student's submission folder gave: the file read, the answer per target, notes, or a fault."""

    file: str | None = None
    answers: dict | None = None  # target -> Entry
    notes: list | None = None  # one line each, for the whole submission
    hints: dict | None = None  # target -> a line for that part (a key that was close to it)
    fault: str | None = None  # the file could not be read (or there is none): why, and what is read


def _files_in(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    found = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "__MACOSX")
        found += [Path(root, f) for f in sorted(files) if not f.startswith(".")]
    return found


def _how_to(graded: Sequence[Graded]) -> str:
    example = graded[0].target if graded else "problem/part"
    return ("Submit one file named answers.json, answers.yaml or answers.md, with an answer for each part:\n"
            f'  answers.json  {{"{example}": "your answer", ...}}\n'
            f"  answers.yaml  one line per part:  {example}: your answer\n"
            f"  answers.md    a heading per part, ## {example}, with the answer below it\n"
            "The parts of this assignment: " + ", ".join(g.target for g in graded))


def read_submission(folder: Path, graded: Sequence[Graded]) -> Submission:
    """The answers of a submission folder, matched to the graded parts."""
    files = _files_in(folder)
    named = [f for f in files if f.name.lower() in answer_files.NAMES or f.name.lower() == "answers.yml"]
    notes: list[str] = []
    if len(named) > 1:
        shown = ", ".join(str(f.relative_to(folder)) for f in named)
        return Submission(fault=f"The submission holds {len(named)} answers files ({shown}); submit one.\n"
                                f"{_how_to(graded)}")
    if not named:
        usable = [f for f in files if answer_files.kind_of(f)]
        if len(usable) != 1:
            held = ", ".join(str(f.relative_to(folder)) for f in files[:10]) or "no file"
            return Submission(fault=f"No answers file in the submission (it holds: {held}).\n{_how_to(graded)}")
        notes.append(f"Read {usable[0].relative_to(folder)} as the answers file (its usual name is "
                     f"answers{usable[0].suffix.lower()}).")
        named = usable
    path = named[0]
    lib = library.current()
    try:
        entries = answer_files.read(path, problems=lib.ids())
    except answer_files.AnswersError as exc:
        return Submission(file=path.name, fault=f"{exc}\nNothing was graded. {_how_to(graded)}")
    except OSError as exc:
        return Submission(file=path.name, fault=f"{path.name} cannot be read ({exc.strerror}).\n{_how_to(graded)}")
    targets = [g.target for g in graded]
    if len(entries) > MAX_ENTRIES:
        return Submission(file=path.name, fault=f"{path.name} holds {len(entries)} answers; this assignment has "
                                                f"{len(graded)} parts.\n{_how_to(graded)}")
    by_target: dict[str, list] = {}
    hints: dict[str, str] = {}
    for entry in entries:
        target = _target_of(entry.key, targets, lib)
        where = f" ({entry.where})" if entry.where else ""
        if target in targets:
            by_target.setdefault(target, []).append(entry)
            continue
        if target is not None:
            notes.append(f"Not graded: {entry.key}{where} is not a part of this assignment.")
            continue
        close = difflib.get_close_matches(entry.key, targets, n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]}?" if close else ""
        notes.append(f"Not graded: {entry.key}{where} names no part of this assignment{hint}")
        if close:
            hints.setdefault(close[0], f"(the submission has {entry.key!r}{where}: is it this part? "
                                       f"Write {close[0]}.)")
    answered: dict = {}
    for target, found in by_target.items():
        if len(found) > 1:
            lines = ", ".join(e.where or "?" for e in found)
            answered[target] = answer_files.Entry(target, None, found[0].line,
                                                  f"answered {len(found)} times ({lines}); keep one")
        else:
            answered[target] = found[0]
    return Submission(file=str(path.relative_to(folder)), answers=answered, notes=notes, hints=hints)


def _target_of(key: str, targets: Sequence[str], lib: library.Library) -> str | None:
    """The `problem/part` a key names: exactly, or up to case when that is unique, or a one-part problem
    named alone; None when it names no part of the library."""
    key = re.sub(r"\s*/\s*", "/", key.strip())
    if key in targets:
        return key
    folded = [t for t in targets if t.lower() == key.lower()]
    if len(folded) == 1:
        return folded[0]
    try:
        problem_id, part_id = lib.resolve(key)
    except DeriveError:
        return None
    return f"{problem_id}/{part_id}"


def describe(data: dict) -> str:
    """A test's output: the verdict and message, the answer as read, why it is wrong, a counterexample.
    Never the reference."""
    message = data.get("message") or data.get("verdict", "")
    verdict = str(data.get("verdict", "")).replace("_", " ")
    lines = [message if message.startswith(verdict) else f"{verdict}: {message}"]
    if data.get("student_latex"):
        lines.append(f"Your answer, as read: {data['student_latex']}")
    for why in data.get("diagnosis") or []:
        if why not in message:
            lines.append(f"Why: {why}")
    example = data.get("counterexample")
    if isinstance(example, dict) and isinstance(example.get("point"), dict):
        lines.append("Counterexample: " + _point(example["point"]))
        if example.get("student_value") is not None:
            lines.append(f"  your answer there: {example['student_value']}; "
                         f"the right value: {example.get('reference_value')}")
    if data.get("assumptions_used"):
        lines.append("Assumed: " + ", ".join(map(str, data["assumptions_used"])))
    if data.get("verdict") == "undecided":
        lines.append("Scored 0 for now: the course staff see every undecided answer and may grade it by hand.")
    return "\n".join(lines)


def _point(point: dict, most: int = 40) -> str:
    words: list[str] = []
    for name, value in point.items():
        if isinstance(value, dict):
            words += [f"{name}[{index}] = {entry}" for index, entry in value.items()]
        else:
            words.append(f"{name} = {value}")
    return ", ".join(words[:most]) + (f", … ({len(words) - most} more)" if len(words) > most else "")


def grade(submission: Submission, graded: Sequence[Graded], timeout: float, memory: int,
          jobs: int) -> dict:
    """The results.json of one submission."""
    from ..checking import warm
    from .isolate import Failure, run

    start = time.monotonic()
    answers = submission.answers or {}
    todo = {g.target: answers[g.target].answer for g in graded
            if g.target in answers and answers[g.target].answer and not answers[g.target].fault}
    warm(todo)
    checked: dict = {}
    for target, result in run(_check, [(t, (t, a, timeout)) for t, a in todo.items()], jobs=jobs,
                              timeout=timeout, memory_mb=memory):
        if isinstance(result, Failure):
            problem, _, part = target.partition("/")
            result = {"problem": problem, "part": part, "verdict": "undecided",
                      "message": f"undecided: {result.reason}"}
        checked[target] = result
    tests: list[dict[str, Any]] = []
    for g in graded:
        entry = answers.get(g.target)
        data = checked.get(g.target)
        if submission.fault is not None:
            output, verdict = "not graded: the answers file could not be read (see the top of the results)", None
        elif data is not None:
            output, verdict = describe(data), data.get("verdict")
        elif entry is not None and entry.fault:
            output, verdict = f"invalid: {entry.fault}", "invalid"
        else:
            output, verdict = "no answer", None
            if submission.hints and g.target in submission.hints:
                output += " " + submission.hints[g.target]
        score = g.points if verdict == "equivalent" else 0.0
        tests.append({"name": g.target, "number": g.number, "score": number(score), "max_score": number(g.points),
                      "status": "passed" if verdict == "equivalent" else "failed", "output": output,
                      "visibility": "visible"})
    total = sum(t["score"] for t in tests)
    answered = sum(1 for g in graded if answers.get(g.target) and answers[g.target].answer)
    if submission.fault is not None:
        top = submission.fault
    else:
        top = "\n".join([f"Graded {submission.file}: {answered} of {len(graded)} parts answered, "
                         f"{sum(1 for t in tests if t['status'] == 'passed')} right.", *(submission.notes or [])])
    return {"score": number(total), "output": top, "tests": tests, "visibility": "visible",
            "stdout_visibility": "hidden", "execution_time": round(time.monotonic() - start, 2),
            "extra_data": {"derive": __version__, "file": submission.file,
                           "verdicts": {t: checked[t].get("verdict") for t in checked}}}


def load_config(source: Path) -> dict:
    path = source / CONFIG
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DeriveError(f"{path}: cannot be read ({exc}); is this an autograder built by `derive autograder`?") \
            from None
    if config.get("format") != FORMAT:
        raise DeriveError(f"{path}: format {config.get('format')!r}, this derive reads format {FORMAT}")
    return config


def configure(source: Path) -> tuple[dict, list[Graded]]:
    """The zip's configuration, and the library of its course folders (the shipped problems first)."""
    config = load_config(source)
    os.environ.pop("DERIVE_PROBLEMS", None)  # only what the zip carries
    library.configure([source / folder for folder in config["problems"]])
    graded = [Graded(p["target"], float(p["points"]), str(p.get("number", ""))) for p in config["parts"]]
    return config, graded


def grade_root(root: Path) -> dict:
    """Grade the submission under `root` (/autograder) and write root/results/results.json."""
    config, graded = configure(root / "source")
    submission = read_submission(root / "submission", graded)
    results = grade(submission, graded, float(config.get("timeout", DEFAULT_TIMEOUT)),
                    int(config.get("memory", DEFAULT_MEMORY_MB)), int(config.get("jobs", 1)))
    out = root / "results" / "results.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name("results.json.partial")
    partial.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(partial, out)
    return results


def check_install(source: Path) -> str:
    """What setup.sh checks last: the zip's derive is the one installed, and every graded spec loads."""
    config, graded = configure(source)
    if config.get("derive") != __version__:
        raise DeriveError(f"the zip was built with derive {config.get('derive')}, but {__version__} is installed")
    for problem_id in dict.fromkeys(g.target.partition("/")[0] for g in graded):
        library.load(problem_id)
    return f"derive {__version__}: {len(graded)} parts of {len({g.target.partition('/')[0] for g in graded})} " \
           f"problems load; ready to grade"


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m derive.grading.autograder [ROOT]` (what run_autograder runs), or `--check-install SOURCE`."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        if args[:1] == ["--check-install"] and len(args) == 2:
            print(check_install(Path(args[1])))
            return 0
        root = Path(args[0] if args else os.environ.get("AUTOGRADER_ROOT", "/autograder")).resolve()
        results = grade_root(root)
    except DeriveError as exc:  # the autograder's fault, not the student's: no results.json, Gradescope says so
        print(f"derive autograder: {exc}", file=sys.stderr)
        return 2
    verdicts = results["extra_data"]["verdicts"]
    print(f"score {results['score']} of {sum(t['max_score'] for t in results['tests'])}; "
          + (", ".join(f"{t}: {v}" for t, v in verdicts.items()) or results["output"].splitlines()[0]))
    return 0


if __name__ == "__main__":  # pragma: no cover - run by run_autograder
    sys.exit(main())
