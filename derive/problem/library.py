"""The library of problems: the shipped specs, and the course folders a teacher adds.

A library is a list of folders of spec files: the shipped `problems/` first,
then the folders of `$DERIVE_PROBLEMS` (a path list, separated like PATH),
then those given with `derive --problems DIR`. Files whose name starts with
`_` are helpers, not specs. Listing reads headers only (`headers.py`, no
SymPy); `load(id)` executes the one spec file, checks that it is well
formed and returns its `Spec`. A file that cannot be read, loaded or
validated is `Broken`: it is reported, by `derive list` and by any command
that names it, and it never stops another problem. Two files with the same
problem id are an error that names both.
"""
from __future__ import annotations

import contextlib
import difflib
import importlib.util
import os
import sys
import warnings
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import SpecError, UnknownProblem
from ..resources import shipped
from . import store
from .headers import UNREADABLE, Broken, Header, read_header

if TYPE_CHECKING:  # loading a spec imports SymPy; listing must not
    from .spec import Spec


class SpecWarning(UserWarning):
    """A broken spec was skipped where every spec is used (a PDF of all problems)."""


def shipped_folder() -> Path:
    """The shipped problems: inside an installed package, or `problems/` beside the source tree."""
    return shipped("problems")


def env_folders() -> list[Path]:
    """The folders named by $DERIVE_PROBLEMS (separated by os.pathsep; empty entries ignored)."""
    return [Path(p) for p in os.environ.get("DERIVE_PROBLEMS", "").split(os.pathsep) if p.strip()]


def shown(path: Path) -> str:
    """A path as a user reads it: relative to the working directory when below it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        return str(path)


def closest(name: str, known: Sequence[str], cutoff: float = 0.5) -> str | None:
    """The known id closest to `name`: one that differs only in case first, else the most similar; None."""
    same = [k for k in known if k.lower() == name.lower()]
    match = same or difflib.get_close_matches(name, list(known), n=1, cutoff=cutoff)
    return match[0] if match else None


def suggest(name: str, known: Sequence[str], shown: Callable[[str], str] = str) -> str:
    """`; did you mean X?` for the known id closest to `name`, or ''."""
    match = closest(name, known)
    return f"; did you mean {shown(match)}?" if match else ""


def unknown_message(kind: str, name: str, known: Sequence[str]) -> str:
    """`unknown problem 'x' (did you mean 'y'?); known: ...`"""
    close = closest(name, known, cutoff=0.4)
    hint = f" (did you mean {close!r}?)" if close else ""
    return f"unknown {kind} {name!r}{hint}; known: {', '.join(known)}"


class Library:
    """The problems of some folders (the shipped one first), read lazily and cached."""

    def __init__(self, folders: Iterable[Path]):
        self.folders: tuple[Path, ...] = tuple(dict.fromkeys(Path(f).resolve() for f in folders))
        for folder in self.folders:
            if not folder.is_dir():
                raise SpecError(f"problem folder {shown(folder)}: no such directory")
        self._scanned: tuple[tuple[Header, ...], tuple[Broken, ...]] | None = None
        self._stamps: list[list] | None = None
        self._specs: dict[str, Spec] = {}
        self._failed: dict[str, Broken] = {}
        self._warned: set[Path] = set()

    # -- files and headers ---------------------------------------------------------------
    def spec_files(self) -> list[Path]:
        """Every spec file of every folder, folder by folder, sorted by name."""
        return [path for path in self.python_files() if not path.name.startswith("_")]

    def python_files(self) -> list[Path]:
        """Every Python file of every folder: the specs and the `_helpers` they may import."""
        return [path for folder in self.folders for path in sorted(folder.glob("*.py"))]

    def stamps(self) -> list[list]:
        """Size and modification time of every source and spec file: what the kept results depend on."""
        if self._stamps is None:
            self._stamps = [[str(path), *store.stamp(path)]
                            for path in [*store.source_files(), *self.python_files()]]
        return self._stamps

    def _kept(self, name: str, compute, keep=lambda data: True):
        """`compute()` (JSON data), kept in the store while no source or spec file changes (and only
        when `keep(data)`: a result that may change without a file changing is computed again)."""
        folders = "|".join(map(str, self.folders))
        kept = store.read("status", name)
        kept = kept if isinstance(kept, dict) else {}
        entry = kept.get(folders)
        if isinstance(entry, dict) and entry.get("stamps") == self.stamps():
            return entry["data"]
        data = compute()
        if keep(data):
            kept = {k: v for k, v in list(kept.items())[-7:] if k != folders}  # a few libraries, the newest last
            kept[folders] = {"stamps": self.stamps(), "data": data}
            store.write("status", name, kept)
        return data

    def _scan(self) -> tuple[tuple[Header, ...], tuple[Broken, ...]]:
        if self._scanned is None:
            def read_all() -> dict:
                found = [read_header(path) for path in self.spec_files()]
                return {"good": [h.to_json() for h in found if isinstance(h, Header)],
                        "broken": [b.to_json() for b in found if isinstance(b, Broken)]}

            # an unreadable file may become readable (chmod) without changing: never kept
            data = self._kept("headers.json", read_all,
                              keep=lambda d: not any(b["error"].startswith(UNREADABLE) for b in d["broken"]))
            good = tuple(Header.from_json(h) for h in data["good"])
            seen: dict[str, Path] = {}
            for h in good:
                if h.id in seen:
                    raise SpecError(f"problem id {h.id!r} is defined twice: in {shown(seen[h.id])} "
                                    f"and in {shown(h.path)}; rename one")
                seen[h.id] = h.path
            self._scanned = (good, tuple(Broken.from_json(b) for b in data["broken"]))
        return self._scanned

    def headers(self) -> tuple[Header, ...]:
        """The headers of the readable spec files (a duplicate id raises SpecError)."""
        return self._scan()[0]

    def broken(self) -> tuple[Broken, ...]:
        """The spec files whose header cannot be read."""
        return self._scan()[1]

    def ids(self) -> list[str]:
        return [h.id for h in self.headers()]

    def header(self, problem_id: str) -> Header:
        """The header of `problem_id`; a broken spec of that id raises its error, an unknown id the known ones."""
        for h in self.headers():
            if h.id == problem_id:
                return h
        for b in self.broken():
            if b.id == problem_id:
                raise SpecError(f"{shown(b.path)} ({problem_id}): {b.error}")
        raise UnknownProblem(unknown_message("problem", problem_id, self.ids()))

    def folder_of(self, header: Header) -> Path | None:
        """The course folder of a problem, or None for the shipped library."""
        folder = header.path.resolve().parent
        return None if self.folders and folder == self.folders[0] else folder

    def fingerprint(self) -> str:
        """The key of every cached result: derive's source and every Python file of every folder."""
        return store.fingerprint(self.python_files())

    # -- loading ----------------------------------------------------------------------------
    def load(self, problem_id: str) -> Spec:
        """Execute the spec file of `problem_id` and return its `Spec`, checked to be well formed."""
        if problem_id in self._specs:
            return self._specs[problem_id]
        if problem_id in self._failed:
            failed = self._failed[problem_id]
            raise SpecError(f"{shown(failed.path)} ({problem_id}): {failed.error}")
        h = self.header(problem_id)
        from .wellformed import check_well_formed  # loading needs SymPy; listing does not

        try:
            spec = _execute(h.path)
            check_well_formed(spec, h)
        except SpecError as exc:
            self._failed[problem_id] = Broken(h.path, problem_id, str(exc))
            raise SpecError(f"{shown(h.path)} ({problem_id}): {exc}") from None
        self._specs[problem_id] = spec
        return spec

    def part_ids(self, problem_id: str) -> tuple[str, ...]:
        """The part ids of a problem: from its header, or from the loaded spec when they are computed."""
        h = self.header(problem_id)
        if h.parts and not h.dynamic:
            return h.parts
        return tuple(part.id for part in self.load(problem_id).parts)  # a broken spec raises its error here

    def specs(self) -> list[Spec]:
        """Every spec that loads; each broken one is skipped with one `SpecWarning`."""
        out = []
        for b in self.broken():
            self._warn(b.path, f"{shown(b.path)}: {b.error}")
        for problem_id in self.ids():
            try:
                out.append(self.load(problem_id))
            except SpecError as exc:
                self._warn(self.header(problem_id).path, str(exc))
        return out

    def _warn(self, path: Path, message: str) -> None:
        if path not in self._warned:
            self._warned.add(path)
            warnings.warn(f"skipped {message}", SpecWarning, stacklevel=3)

    def status(self) -> dict[str, dict]:
        """For each spec file (by path): its load error or None, and its part ids.

        Loading every spec imports SymPy, so the answer is kept in the store,
        valid while no source or spec file changes (their sizes and
        modification times, as Python checks its bytecode).
        """
        def load_all() -> dict[str, dict]:
            out: dict[str, dict] = {}
            for b in self.broken():
                out[str(b.path)] = {"error": b.error, "parts": []}
            for h in self.headers():
                try:
                    spec = self.load(h.id)
                    out[str(h.path)] = {"error": None, "parts": [p.id for p in spec.parts]}
                except SpecError:
                    out[str(h.path)] = {"error": self._failed[h.id].error, "parts": list(h.parts)}
            return out

        # a load error may go away without a file changing (a package installed): only successes are kept
        return self._kept("library.json", load_all, keep=lambda d: not any(v["error"] for v in d.values()))

    # -- targets ------------------------------------------------------------------------------
    def part_id(self, problem_id: str, part_id: str | None) -> str:
        """The part id to use: `part_id` (checked), or the only part of a one-part problem."""
        parts = self.part_ids(problem_id)
        if part_id is None:
            if len(parts) == 1:
                return parts[0]
            raise UnknownProblem(f"{problem_id} has parts {', '.join(parts)}: say which, "
                                 f"e.g. {problem_id}/{parts[0]}")
        if part_id not in parts:
            raise UnknownProblem(unknown_message(f"part of {problem_id}", part_id, list(parts)))
        return part_id

    def resolve(self, target: str) -> tuple[str, str]:
        """The problem and part that `problem/part` (or a one-part `problem`) names."""
        problem_id, _, part_id = target.partition("/")
        self.header(problem_id)
        return problem_id, self.part_id(problem_id, part_id or None)


def _execute(path: Path):
    """Run a spec file as a fresh module and return its SPEC (its folder importable while it runs)."""
    name = f"derive_problem_{path.stem.replace('-', '_')}_{abs(hash(str(path))):x}"
    loader_spec = importlib.util.spec_from_file_location(name, path)
    if loader_spec is None or loader_spec.loader is None:
        raise SpecError("cannot be imported as Python")
    module = importlib.util.module_from_spec(loader_spec)
    folder = str(path.parent)
    sys.path.insert(0, folder)
    try:
        with contextlib.redirect_stdout(sys.stderr):  # a print() in a spec must not corrupt `--json` output
            loader_spec.loader.exec_module(module)
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # noqa: BLE001 - a spec is user-written code (even sys.exit()): report it
        raise SpecError(f"{type(exc).__name__}: {exc}{_line_in(exc, path)}") from None
    finally:
        try:
            sys.path.remove(folder)
        except ValueError:
            pass
        _forget_helpers(path.parent)
    if not hasattr(module, "SPEC"):
        raise SpecError("the file must define SPEC = Spec(...)")
    return module.SPEC


def _forget_helpers(folder: Path) -> None:
    """Drop the modules a spec imported from its folder: another folder's `_common` is another module."""
    for name, module in list(sys.modules.items()):
        file = getattr(module, "__file__", None)
        if file and Path(file).resolve().parent == folder.resolve():
            del sys.modules[name]


def _line_in(exc: BaseException, path: Path) -> str:
    """` (line N)`: the last line of the spec file in the exception's traceback."""
    import traceback

    if isinstance(exc, SyntaxError) and exc.lineno:
        return f" (line {exc.lineno})"
    lines = [frame.lineno for frame in traceback.extract_tb(exc.__traceback__)
             if Path(frame.filename).resolve() == path.resolve()]
    return f" (line {lines[-1]})" if lines else ""


# -- the library in use ----------------------------------------------------------------------
_current: Library | None = None


def configure(extra: Sequence[Path | str] = ()) -> Library:
    """Use the shipped problems, $DERIVE_PROBLEMS and the `extra` folders (in that order)."""
    global _current
    _current = Library([shipped_folder(), *env_folders(), *map(Path, extra)])
    return _current


def current() -> Library:
    """The library in use (the shipped problems and $DERIVE_PROBLEMS unless `configure` said more)."""
    return _current if _current is not None else configure()


def headers() -> tuple[Header, ...]:
    """The headers of the readable specs of the library in use."""
    return current().headers()


def ids() -> list[str]:
    """The problem ids of the library in use, folder by folder."""
    return current().ids()


def header(problem_id: str) -> Header:
    """The header of one problem (UnknownProblem, or the SpecError of a broken spec)."""
    return current().header(problem_id)


def load(problem_id: str) -> Spec:
    """The loaded, well-formed spec of one problem."""
    return current().load(problem_id)


def all_specs() -> list[Spec]:
    """Every spec of the library in use that loads (broken ones are skipped with a warning)."""
    return current().specs()


def resolve(target: str) -> tuple[str, str]:
    """The problem and part that `problem/part` (or a one-part `problem`) names."""
    return current().resolve(target)


def part_id(problem_id: str, part: str | None) -> str:
    """The part id to use: `part` (checked), or the only part of a one-part problem."""
    return current().part_id(problem_id, part)


def fingerprint() -> str:
    """The key of cached results for the library in use."""
    return current().fingerprint()

