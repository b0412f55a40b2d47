"""A problem's computation graph, drawn from its spec's definitions.

Every quantity a definition names is a node: the inputs (primitive
quantities no part differentiates by), the parameters (primitive quantities a
part differentiates by), the intermediate quantities (defined, and used by
another definition) and the loss (defined, used by none; an `output` when it is
not a scalar). A part whose target is ∂f/∂v of an expression that is not a
declared quantity (d tanh(x)/dx, ∂ log σ_i/∂x_j) adds f as an output. There is
an arrow for every "is defined from": from each quantity a definition's body
mentions to the quantity it defines.

Layout: layers by depth from the inputs. A defined quantity sits in the column
of its depth (one more than the deepest quantity it is defined from); a
primitive one in the column just before its first use, so that the weights of
a layer stand beside that layer's input. Rows are ordered by the mean row of
the neighbours (a few barycentre sweeps), and an arrow that would run through
a node of a column it crosses is routed around the picture, over or under.

The backward pass: the parts that differentiate by a quantity (∂J/∂Z_3, then
∂J/∂W_2, …) are numbered in the order of the solution, and the picture marks
each quantity with those numbers; `backward` groups them by column, from the
loss towards the inputs.
"""
from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from ..calculus.expand import bases_in
from ..printing import tex, text
from ..problem.spec import D, Spec
from .assemble import select_parts

X_SPAN_CM = 13.0  # the widest picture, centre to centre of its outer columns
X_UNIT_CM = 2.3  # between two columns, when the picture is narrower than that
Y_UNIT_CM = 1.15  # between two rows
CLEARANCE = 0.45  # rows: how far an arrow keeps from a node's centre


@dataclass(frozen=True)
class Node:
    """A quantity of the graph: its key (the spec's name), display names, role and place."""

    key: str
    latex: str
    text: str
    role: str  # input, parameter, intermediate, loss, output
    depth: int  # 0 for a primitive quantity; else one more than the deepest quantity it is defined from
    layer: int  # its column in the drawing
    row: float  # its height in the drawing (rows, centred on 0)
    sources: tuple[str, ...]  # the keys of the quantities it is defined from
    tag: str = ""  # the spec's name, where two quantities are shown alike (σ of a unit and σ of a net)


@dataclass(frozen=True)
class Graph:
    """The nodes of a computation graph and its arrows (source key, defined key)."""

    nodes: tuple[Node, ...]
    edges: tuple[tuple[str, str], ...]

    def node(self, key: str) -> Node:
        for node in self.nodes:
            if node.key == key:
                return node
        raise KeyError(key)


def _key(base) -> str:
    return str(base.label) if isinstance(base, sp.IndexedBase) else str(base)


def _quantity(expr: sp.Expr, spec: Spec):
    """The declared base or scalar `expr` is an entry of, or None."""
    if isinstance(expr, sp.Indexed) and expr.base in spec.shapes:
        return expr.base
    if isinstance(expr, sp.Symbol) and expr in spec.shapes:
        return expr
    return None


def differentiated(spec: Spec) -> list[tuple[str, object]]:
    """(part id, the base or scalar it differentiates by) for every part whose target is ∂f/∂v."""
    out = []
    for part in spec.parts:
        target = part.target
        if isinstance(target, D):
            base = target.wrt.base if isinstance(target.wrt, sp.Indexed) else target.wrt
            out.append((part.id, base))
    return out


def _sorted(bases) -> list:
    return sorted(bases, key=lambda b: _key(b))


def computation_graph(spec: Spec) -> Graph:
    """The computation graph of `spec`: its definitions' quantities, an arrow for every "is defined from"."""
    sources: dict[str, list[str]] = {}
    shown: dict[str, tuple[str, str, object]] = {}  # key -> (latex, text, shape key or None)

    def declare(base) -> str:
        key = _key(base)
        if key not in shown:
            name = spec.names.get(base)
            shown[key] = (name.latex if name else key, name.text if name else key, base)
        return key

    for base, definition in spec.definitions.items():
        key = declare(base)
        sources[key] = [declare(b) for b in _sorted(bases_in(definition.body, spec)) if b != base]
    for part in spec.parts:  # ∂f/∂v of an expression that is no declared quantity: f is an output too
        target = part.target
        if isinstance(target, D) and _quantity(target.expr, spec) is None:
            label = text(target.expr, spec)
            if label not in shown:
                shown[label] = (tex(target.expr, spec), label, None)
                sources[label] = [declare(b) for b in _sorted(bases_in(target.expr, spec))]
    wrt = {_key(base) for _, base in differentiated(spec)}
    texts = [label for _, label, _ in shown.values()]
    tags = {key: key if texts.count(label) > 1 else "" for key, (_, label, _) in shown.items()}

    depth: dict[str, int] = {}

    def depth_of(key: str, seen: frozenset = frozenset()) -> int:
        if key not in depth:
            inputs = [s for s in sources.get(key, ()) if s not in seen]
            depth[key] = 1 + max((depth_of(s, seen | {key}) for s in inputs), default=-1) if key in sources else 0
        return depth[key]

    for key in shown:
        depth_of(key)
    users: dict[str, list[str]] = {key: [] for key in shown}
    for key, inputs in sources.items():
        for source in inputs:
            users[source].append(key)
    layer = {key: depth[key] if key in sources else
             max(min((depth[u] for u in users[key]), default=1) - 1, 0) for key in shown}
    rows = _order(shown, sources, users, layer)

    nodes = []
    for key, (latex, label, base) in shown.items():
        if key in sources:
            scalar = base is None or spec.shapes.get(base, ()) == ()
            role = "intermediate" if users[key] else ("loss" if scalar and base is not None else "output")
        else:
            role = "parameter" if key in wrt else "input"
        nodes.append(Node(key, latex, f"{label} [{key}]" if tags[key] else label, role, depth[key], layer[key],
                          rows[key], tuple(sources.get(key, ())), tags[key]))
    nodes.sort(key=lambda n: (n.layer, -n.row))
    edges = tuple((source, key) for key in shown for source in sources.get(key, ()))
    return Graph(tuple(nodes), edges)


def _components(shown, sources) -> list[list[str]]:
    """The weakly connected parts of the graph (a unit and the net that reuses it), in order of appearance."""
    parent = {key: key for key in shown}

    def root(key: str) -> str:
        while parent[key] != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    for key, inputs in sources.items():
        for source in inputs:
            parent[root(source)] = root(key)
    groups: dict[str, list[str]] = {}
    for key in shown:
        groups.setdefault(root(key), []).append(key)
    return list(groups.values())


def _order(shown, sources, users, layer) -> dict[str, float]:
    """Rows: each connected part in its own band, top to bottom; within a part, barycentre sweeps over the
    columns; the whole centred on row 0 (a higher row is drawn higher)."""
    rows: dict[str, float] = {}
    top = 0.0
    for component in _components(shown, sources):
        columns: dict[int, list[str]] = {}
        for key in component:
            columns.setdefault(layer[key], []).append(key)
        band = max(len(c) for c in columns.values())

        def heights() -> dict[str, float]:
            out = {}
            for column in columns.values():
                for number, key in enumerate(column):
                    out[key] = (len(column) - 1) / 2 - number
            return out

        def mean(values, default: float) -> float:
            values = list(values)
            return sum(values) / len(values) if values else default

        for _ in range(4):
            for column in sorted(columns)[1:]:  # left to right: by what each is defined from
                y = heights()
                columns[column].sort(key=lambda k: -mean((y[s] for s in sources.get(k, ())), y[k]))
            for column in sorted(columns, reverse=True)[1:]:  # right to left: by what uses it
                y = heights()
                columns[column].sort(key=lambda k: -mean((y[u] for u in users[k]), y[k]))
        for key, height in heights().items():
            rows[key] = top - (band - 1) / 2 + height
        top -= band + 0.5
    middle = (max(rows.values()) + min(rows.values())) / 2 if rows else 0.0
    return {key: row - middle for key, row in rows.items()}


def _route(graph: Graph, source: Node, target: Node) -> list[tuple[float, float]]:
    """The control points of an arrow that would cross a node of a column between its ends (none: straight)."""
    between = [n for n in graph.nodes if source.layer < n.layer < target.layer]
    if not between:
        return []

    def height_at(layer: int) -> float:
        t = (layer - source.layer) / (target.layer - source.layer)
        return source.row + t * (target.row - source.row)

    if all(abs(n.row - height_at(n.layer)) > CLEARANCE for n in between):
        return []
    top = max(n.row for n in between)
    bottom = min(n.row for n in between)
    middle = (source.row + target.row) / 2
    over = middle >= (top + bottom) / 2  # around the side the arrow is nearer to
    extreme = top + CLEARANCE + 0.2 if over else bottom - CLEARANCE - 0.2
    # a cubic from y_a through controls at y_c peaks at about (y_a + y_b)/8 + 3 y_c / 4
    control = (extreme - middle / 4) / 0.75
    return [(source.layer + 0.6, control), (target.layer - 0.6, control)]


def graph_report(spec: Spec) -> dict:
    """The graph as plain data for the templates and `--json`: nodes placed in centimetres, arrows with
    their routes, the same arrows as LaTeX and as lines of text, and the backward pass (`select_parts`
    keeps the parts a document shows)."""
    graph = computation_graph(spec)
    columns = max((n.layer for n in graph.nodes), default=0)
    x_unit = min(X_UNIT_CM, X_SPAN_CM / columns) if columns else X_UNIT_CM
    ids = {node.key: f"q{number}" for number, node in enumerate(graph.nodes)}
    backward = []
    for part_id, base in differentiated(spec):
        key = _key(base)
        if key in ids:
            latex, label = _gradient(spec.part_by_id(part_id).target, spec, graph)
            backward.append({"part": part_id, "key": key, "layer": graph.node(key).layer, "latex": latex,
                             "text": label})
    nodes = [{"id": ids[n.key], "key": n.key, "latex": n.latex, "text": n.text, "tag": n.tag, "role": n.role,
              "depth": n.depth, "layer": n.layer, "x": round(n.layer * x_unit, 3), "y": round(n.row * Y_UNIT_CM, 3),
              "marks": []} for n in graph.nodes]
    edges = []
    for source_key, target_key in graph.edges:
        source, target = graph.node(source_key), graph.node(target_key)
        controls = [{"x": round(x * x_unit, 3), "y": round(y * Y_UNIT_CM, 3)} for x, y in _route(graph, source, target)]
        edges.append({"from": ids[source_key], "to": ids[target_key], "controls": controls})
    arrows = [{"sources": ", ".join(_tagged(graph.node(s)) for s in n.sources), "latex": _tagged(n), "role": n.role}
              for n in sorted((n for n in graph.nodes if n.sources), key=lambda n: (n.layer, -n.row))]
    report = {"nodes": nodes, "edges": edges, "arrows": arrows, "lines": graph_lines(graph), "backward": backward,
              "backward_text": ""}
    return select_parts(report, [part.id for part in spec.parts])


def _tagged(node: Node) -> str:
    """A node's LaTeX name, with the spec's name where two quantities are shown alike (σ [s])."""
    if not node.tag:
        return node.latex
    tag = node.tag.replace("_", r"\_")
    return rf"{node.latex}\,[\mathtt{{{tag}}}]"


def _gradient(target: D, spec: Spec, graph: Graph) -> tuple[str, str]:
    """∂f/∂v in the graph's names, without indices (∂J/∂W_2), as inline LaTeX (a slash, not a fraction) and
    as text."""
    def names(expr: sp.Expr) -> tuple[str, str]:
        base = _quantity(expr, spec)
        if base is None:
            return tex(expr, spec), text(expr, spec)
        node = graph.node(_key(base))
        return node.latex, node.text

    (f_latex, f_text), (v_latex, v_text) = names(target.expr), names(target.wrt)
    return rf"\partial {f_latex}/\partial {v_latex}", f"∂{f_text}/∂{v_text}"


_ROLE_NAMES = {"input": "inputs", "parameter": "parameters", "intermediate": "intermediate", "loss": "loss",
               "output": "output"}


def graph_lines(graph: Graph) -> list[str]:
    """The graph as text: the primitive quantities, then each defined one with the arrows into it, column by
    column."""
    lines = []
    kinds = []
    for role in ("input", "parameter"):
        names = [n.text for n in graph.nodes if n.role == role]
        if names:
            kinds.append(f"{_ROLE_NAMES[role]} {', '.join(names)}")
    if kinds:
        lines.append("; ".join(kinds))
    for node in sorted((n for n in graph.nodes if n.sources), key=lambda n: (n.layer, -n.row)):
        sources = ", ".join(graph.node(s).text for s in node.sources)
        role = f" ({node.role})" if node.role in ("loss", "output") else ""
        lines.append(f"{sources} → {node.text}{role}")
    return lines
