"""The architecture, enforced: packages in layers, imports pointing down only, no import cycle.

Every import counts, also one inside a function: a lazy import does not make
a cycle or an upward dependency go away.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "derive"

#: each unit's layer; a module may import its own unit and units of lower layers, nothing else
LAYERS = {
    "derive.errors": 0,
    "derive.limits": 1, "derive.version": 1, "derive.resources": 1,  # limits' Timeout is a DeriveError
    "derive.problem": 2,
    "derive.calculus": 3, "derive.printing": 3, "derive.parsing": 3,
    "derive.documents": 4, "derive.checking": 4, "derive.authoring": 4,
    "derive.grading": 5,
    "derive.api": 6,
    "derive.web": 7,
    "derive.cli": 8, "derive": 8,
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def is_module(name: str) -> bool:
    path = PACKAGE.parent / Path(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


#: modules that are another unit's stable import path (teachers' spec files import `derive.spec`)
ALIASES = {"derive.spec": "derive.problem"}


def unit(name: str) -> str:
    if name in ALIASES:
        return ALIASES[name]
    parts = name.split(".")
    return ".".join(parts[:2]) if len(parts) > 1 else name


def imports(path: Path) -> list[tuple[str, int]]:
    """(imported derive module, line) for every import in the file, lazy ones included."""
    me = module_name(path)
    package = me if path.name == "__init__.py" else me.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names if alias.name.split(".")[0] == "derive"]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            if source.split(".")[0] != "derive":
                continue
            submodules = [f"{source}.{alias.name}" for alias in node.names if is_module(f"{source}.{alias.name}")]
            others = [alias for alias in node.names if not is_module(f"{source}.{alias.name}")]
            found += [(name, node.lineno) for name in submodules]
            if others:
                found.append((source, node.lineno))
    return found


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}
GRAPH = {name: imports(path) for name, path in MODULES.items()}


def test_every_package_has_a_layer():
    assert {unit(name) for name in MODULES} <= set(LAYERS)


@pytest.mark.parametrize("name", sorted(MODULES))
def test_imports_point_down(name):
    mine = LAYERS[unit(name)]
    for target, line in GRAPH[name]:
        if unit(target) == unit(name):
            continue
        assert LAYERS[unit(target)] < mine, (f"{MODULES[name].relative_to(PACKAGE.parent)}:{line} imports {target} "
                                             f"(layer {LAYERS[unit(target)]}) from layer {mine}")


def test_no_import_cycle():
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(name: str) -> None:
        state[name] = 1
        stack.append(name)
        for target, _ in GRAPH.get(name, ()):
            if target not in GRAPH:
                continue
            if state.get(target) == 1:
                cycle = stack[stack.index(target):] + [target]
                raise AssertionError("import cycle: " + " -> ".join(cycle))
            if target not in state:
                visit(target)
        stack.pop()
        state[name] = 2

    for name in sorted(GRAPH):
        if name not in state:
            visit(name)


def test_the_checker_never_imports_the_witness():
    for name, edges in GRAPH.items():
        if unit(name) in ("derive.checking", "derive.parsing", "derive.grading"):
            assert not [t for t, _ in edges if unit(t) == "derive.authoring"], name


def test_only_the_pdf_module_runs_a_subprocess():
    users = [name for name, path in MODULES.items()
             if any(isinstance(n, (ast.Import, ast.ImportFrom)) and "subprocess" in
                    ([a.name for a in n.names] if isinstance(n, ast.Import) else [n.module])
                    for n in ast.walk(ast.parse(path.read_text(encoding="utf-8"))))]
    assert users == ["derive.documents.pdf"]


def test_the_layer_check_can_fail(tmp_path):
    """The checker of the checker: an upward import and a cycle are found."""
    global GRAPH
    saved = GRAPH
    try:
        GRAPH = {**saved, "derive.problem.spec": [*saved["derive.problem.spec"], ("derive.calculus.engine", 1)]}
        with pytest.raises(AssertionError, match="layer"):
            test_imports_point_down("derive.problem.spec")
        with pytest.raises(AssertionError, match="import cycle"):
            test_no_import_cycle()
    finally:
        GRAPH = saved


FACES = sorted({unit(name) for name in MODULES if name.count(".") >= 1 and (PACKAGE / name.split(".")[1]).is_dir()})


@pytest.mark.parametrize("face", FACES)
def test_each_package_face_is_typed_and_documented(face):
    """Every function and class a package's `__all__` names has a docstring; functions are annotated."""
    import importlib
    import inspect

    package = importlib.import_module(face)
    assert package.__doc__ and package.__all__, face
    for name in package.__all__:
        obj = getattr(package, name)
        if not (inspect.isfunction(obj) or inspect.isclass(obj)):
            continue
        doc = inspect.getdoc(obj) or ""
        assert doc and not doc.startswith(f"{obj.__name__}("), f"{face}.{name} has no docstring"
        if inspect.isfunction(obj):
            signature = inspect.signature(obj)
            untyped = [p.name for p in signature.parameters.values()
                       if p.annotation is inspect.Parameter.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
            assert not untyped and signature.return_annotation is not inspect.Signature.empty, \
                f"{face}.{name} is not fully annotated ({untyped or 'return'})"


@pytest.mark.parametrize("name", sorted(MODULES))
def test_every_module_says_what_it_is_for(name):
    assert ast.get_docstring(ast.parse(MODULES[name].read_text(encoding="utf-8"))), name
