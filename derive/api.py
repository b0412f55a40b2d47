"""The Python API: what the `derive` commands print with `--json`, as plain dicts and lists.

    from derive import check, equiv, steps, derive_part, problems
    check("softmax-jacobian/jacobian", "s_i*(delta_ij - s_j)")["verdict"]     # 'equivalent'

Each function takes the command's options as keyword arguments (`format`
for --latex/--text, `timeout`, `assume`, `lines`, `folders` for --problems)
and runs the same code as the command: the CLI calls these functions, so the
two cannot drift apart. A check runs in an isolated worker process with the
limits of `derive grade` (`isolated=False` runs it in this process; `pool=`
a server's long-lived `derive.grading.isolate.Pool`). Errors raise
`DeriveError` (`UnknownProblem` for an unknown problem or part) with the
one-line message the CLI prints. Importing this module is cheap: SymPy is
imported when a check first needs it.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from .errors import DeriveError
from .limits import DEFAULT_TIMEOUT

FORMATS = ("auto", "latex", "text")
MIN_TIMEOUT, MAX_TIMEOUT = 0.1, 600.0


def use_folders(folders: Sequence[Path | str] | None) -> None:
    """Add course folders to the shipped problems (the CLI's --problems); None keeps the library in use."""
    if folders is not None:
        from .problem import library

        library.configure(folders)


# -- the problems ----------------------------------------------------------------------------
def listing() -> tuple[list[dict], list[tuple[str, str | None, str]]]:
    """`derive list`: the problems that load ({"id","title","source","parts","folder"}) and the broken
    ones (their file, id or None, error)."""
    from .problem import library

    lib = library.current()
    headers = lib.headers()
    status = lib.status()
    good: list[dict] = []
    broken = [(library.shown(b.path), b.id, b.error) for b in lib.broken()]
    for h in headers:
        state = status.get(str(h.path), {"error": None, "parts": list(h.parts)})
        if state["error"]:
            broken.append((library.shown(h.path), h.id, state["error"]))
        else:
            folder = lib.folder_of(h)
            good.append({"id": h.id, "title": h.title, "source": h.source, "parts": state["parts"],
                         "folder": None if folder is None else library.shown(folder)})
    return good, broken


def problems(folders: Sequence[Path | str] | None = None) -> list[dict]:
    """`derive list --json`: [{"id","title","source","parts","folder"}] of the problems that load."""
    use_folders(folders)
    return listing()[0]


def derive_part(problem: str, part: str | None = None, *, folders: Sequence[Path | str] | None = None,
                use_cache: bool = True) -> dict:
    """`derive PROBLEM [--part PART] --json`: the derivation, step by step, with rule names."""
    from .documents.cache import problem_report
    from .problem import library

    use_folders(folders)
    library.header(problem)
    if part is not None:
        library.part_id(problem, part)
    return select_part(problem_report(problem, use_cache=use_cache), part)


def select_part(report: dict, part: str | None) -> dict:
    """A problem's report with only `part` (all of them when None), as `derive X --part PART --json`."""
    if part is None:
        return report
    from .documents.assemble import assemble, only_parts

    return assemble([only_parts(report, {part})])[0]  # a result of another part is stated where it is used


# -- options as the CLI reads them ------------------------------------------------------------
def check_format(fmt: str) -> str:
    """`fmt` when it is one of auto, latex, text; otherwise DeriveError."""
    if fmt not in FORMATS:
        raise DeriveError(f"format {fmt!r}: give auto, latex or text")
    return fmt


def check_timeout(timeout: float) -> float:
    """`timeout` in seconds when it is within the CLI's range (0.1 to 600); otherwise DeriveError."""
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or \
            not MIN_TIMEOUT <= timeout <= MAX_TIMEOUT:
        raise DeriveError(f"timeout {timeout!r}: give seconds between {MIN_TIMEOUT:g} and {MAX_TIMEOUT:g}")
    return float(timeout)


def parse_assumptions(items: Iterable[str] | dict) -> dict:
    """`--assume x>0` (also `x>=0`, `x positive`) as {"x": "positive"}; a dict is checked and kept."""
    if isinstance(items, dict):
        items = [f"{name} {kind}" for name, kind in items.items()]
    assume = {}
    for item in items:
        found = re.fullmatch(r"\s*([A-Za-z][A-Za-z0-9]*)\s*(>=?|positive)\s*(0?)\s*", str(item))
        if not found or (found.group(2) != "positive" and found.group(3) != "0"):
            raise DeriveError(f"--assume {item!r}: write NAME>0 (or NAME>=0, NAME positive)")
        assume[found.group(1)] = "positive"
    return assume


def only_lines(text: str, lines: str | None) -> str:
    """`--lines A-B`: the text with every other line blanked (line numbers kept)."""
    if not lines:
        return text
    found = re.fullmatch(r"\s*(\d+)\s*-\s*(\d+)\s*", lines)
    if not found or int(found.group(1)) > int(found.group(2)):
        raise DeriveError(f"--lines {lines!r}: write A-B, e.g. 28-52")
    from .parsing.chains import only_lines as blank_others

    return blank_others(text, int(found.group(1)), int(found.group(2)))


# -- work done in a worker ---------------------------------------------------------------------
def work(payload: tuple) -> Any:
    """What an isolated worker runs: ("check"|"equiv", ...) as `run_payload`, ("steps", target, text,
    timeout) -> the steps JSON (or {"error"} for a file without a readable chain), ("preview", text, target,
    fmt, assume) -> the reading."""
    kind = payload[0]
    if kind == "steps":
        from .parsing import ParseError

        try:
            return steps_report(*payload[1:]).to_json()
        except ParseError as exc:
            return {"error": str(exc)}
    if kind == "preview":
        from .checking.preview import preview as read

        return read(*payload[1:])
    from .checking import run_payload

    return run_payload(payload)


def _run(payload: tuple, allowance: float, isolated: bool, pool: Any = None) -> Any:
    """`work(payload)` here, in the pool given, or in a fresh worker; a `Failure` when the worker gives none."""
    if not isolated:
        return work(payload)
    if pool is not None:
        return pool.submit(payload, allowance)
    from .grading.isolate import run_one

    return run_one(work, payload, timeout=allowance)


def _undecided(result: Any, problem: str | None = None, part: str | None = None):
    """A check's Result, or an `undecided` one saying why the worker gave none."""
    from .checking import UNDECIDED, Result
    from .grading.isolate import Failure

    if isinstance(result, Failure):
        return Result(problem, part, UNDECIDED, f"undecided: {result.reason}")
    return result


def _json(result) -> dict:
    data = result.to_json()
    data.pop("seconds", None)  # as the CLI prints it: the same input gives the same JSON
    return data


# -- checks ---------------------------------------------------------------------------------------
def check_result(target: str, answer: str, fmt: str = "auto", timeout: float = DEFAULT_TIMEOUT,
                 isolated: bool = True, pool: Any = None):
    """`derive check` as a `Result` (the CLI prints it); unknown ids raise before any worker starts."""
    from .problem import library

    check_format(fmt)
    check_timeout(timeout)
    problem, part = library.resolve(target)
    return _undecided(_run(("check", target, answer, fmt, timeout), timeout, isolated, pool), problem, part)


def check(target: str, answer: str, *, format: str = "auto", timeout: float = DEFAULT_TIMEOUT,
          folders: Sequence[Path | str] | None = None, isolated: bool = True, pool: Any = None) -> dict:
    """`derive check TARGET ANSWER --json`: {"problem","part","verdict","message","student_latex",
    "reference_latex","assumptions_used","counterexample","diagnosis","method"}."""
    use_folders(folders)
    return _json(check_result(target, answer, format, timeout, isolated, pool))


def equiv_result(first: str, second: str, assume: Iterable[str] | dict = (), fmt: str = "auto",
                 timeout: float = DEFAULT_TIMEOUT, isolated: bool = True, pool: Any = None):
    """`derive equiv` as a `Result` (the CLI prints it)."""
    check_format(fmt)
    check_timeout(timeout)
    payload = ("equiv", first, second, parse_assumptions(assume), fmt, timeout)
    return _undecided(_run(payload, timeout, isolated, pool))


def equiv(first: str, second: str, *, assume: Iterable[str] | dict = (), format: str = "auto",
          timeout: float = DEFAULT_TIMEOUT, isolated: bool = True, pool: Any = None) -> dict:
    """`derive equiv FIRST SECOND --json` (`assume=["x>0"]` as `--assume x>0`)."""
    return _json(equiv_result(first, second, assume, format, timeout, isolated, pool))


def steps_report(target: str, text: str, timeout: float = DEFAULT_TIMEOUT):
    """`derive steps` as a `StepsReport` (in this process; the CLI renders it and builds its PDF)."""
    from .checking.steps import check_steps
    from .problem import library

    problem_id, _, part_id = target.partition("/")
    spec = library.load(problem_id)
    part = spec.part_by_id(library.part_id(problem_id, part_id)) if part_id else None
    return check_steps(spec, text, part, timeout=timeout)


def steps_allowance(timeout: float) -> float:
    """The time a whole derivation may take: the file's limit of `derive steps`."""
    from .checking.steps import FILE_TIMEOUT_FACTOR

    return FILE_TIMEOUT_FACTOR * timeout


def steps(target: str, text: str, *, lines: str | None = None, timeout: float = DEFAULT_TIMEOUT,
          folders: Sequence[Path | str] | None = None, isolated: bool = True, pool: Any = None) -> dict:
    """`derive steps TARGET FILE --json` with the file's text: {"problem","part","links","first_wrong",
    "final","summary","definitions"}. A text without a chain of equalities raises `ParseError`."""
    from .parsing import ParseError
    from .problem import library

    use_folders(folders)
    check_timeout(timeout)
    problem_id, _, part_id = target.partition("/")
    library.header(problem_id)
    if part_id:
        library.part_id(problem_id, part_id)
    text = only_lines(text, lines)
    result = _run(("steps", target, text, timeout), steps_allowance(timeout), isolated, pool)
    if isinstance(result, dict) and set(result) == {"error"}:
        raise ParseError(result["error"], None, "")
    if isinstance(result, dict):
        return result
    from .checking.steps import StepsReport

    undecided = _undecided(result, problem_id, part_id or None)
    return StepsReport(problem_id, part_id or None, [], final=undecided).to_json()


def preview(text: str, target: str | None = None, *, format: str = "auto", assume: Iterable[str] | dict = (),
            isolated: bool = True, pool: Any = None) -> dict:
    """The reading of an answer to `target` (or of a free expression) typeset, or the parse error with
    its column: what the web page shows while the student types."""
    from .problem import library

    check_format(format)
    if target is not None:
        library.resolve(target)
    result = _run(("preview", text, target, format, parse_assumptions(assume)), DEFAULT_TIMEOUT, isolated, pool)
    if isinstance(result, dict):
        return result
    return {"ok": False, "error": f"not read: {getattr(result, 'reason', result)}", "message": "not read",
            "position": None, "caret": "", "format": format}
