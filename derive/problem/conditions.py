"""The conditions of an expression and of the definitions it reads, and which sides of them a set of
points showed: what the checker's and the witness's points must cover.

A condition is a node whose value depends on which side of a threshold a
point lies: an indicator `[z > 0]`, a Piecewise, a max or min (which argument
wins), abs, sign and Heaviside (the sign of the argument). Conditions between
whole numbers (index bounds, labels) are not counted: a check's edges and
ties choose those. `Coverage` keeps, for each required node, the sides seen.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache

import sympy as sp
from sympy.core.relational import Relational

from .spec import Iverson


@lru_cache(maxsize=4096)
def atoms(expr: sp.Basic) -> frozenset:
    """The symbols, bases and functions of `expr` (cached: a reference and a definition are asked again)."""
    return frozenset(expr.atoms(sp.Symbol, sp.IndexedBase) | {f.func for f in expr.atoms(sp.Function)})


def involved(spec, exprs) -> set:
    """What the values of `exprs` depend on, through the spec's definitions: symbols (dimensions, scalars,
    indices), bases and functions, with the range of each index and the shape of each base."""
    seen: set = set()
    todo = list(exprs)
    while todo:
        expr = todo.pop()
        if not isinstance(expr, sp.Basic):
            continue
        for atom in atoms(expr) - seen:
            seen.add(atom)
            if atom in spec.definitions:
                todo.append(spec.definitions[atom].body)
            todo.extend(x for x in (spec.dim_values.get(atom), spec.index_range.get(atom)) if x is not None)
            todo.extend(spec.shapes.get(atom, ()) if isinstance(atom, sp.IndexedBase) else ())
    return seen


def _whole(condition) -> bool:
    return bool((condition.lhs - condition.rhs).is_integer)


def _relations(condition) -> list:
    """The real-valued comparisons inside a logical condition."""
    if isinstance(condition, Relational):
        return [] if _whole(condition) else [condition]
    if isinstance(condition, (sp.And, sp.Or, sp.Not)):
        return [r for c in condition.args for r in _relations(c)]
    return []


@lru_cache(maxsize=4096)
def conditions(expr: sp.Basic) -> dict:
    """Each conditional node of `expr` (as the evaluator records it) and the sides it has (kept: not to be
    changed)."""
    found: dict = {}
    for node in sp.preorder_traversal(expr):
        if isinstance(node, Iverson):
            cond = node.condition
            if isinstance(cond, Relational):
                if not _whole(cond):
                    found[node] = frozenset({-1, 1})
            else:
                found.update({r: frozenset({-1, 1}) for r in _relations(cond)})
        elif isinstance(node, sp.Piecewise) and len(node.args) > 1:
            found[node] = frozenset(range(len(node.args)))
        elif isinstance(node, (sp.Max, sp.Min)) and not all(a.is_integer for a in node.args):
            found[node] = frozenset(range(len(node.args)))
        elif isinstance(node, (sp.Abs, sp.sign, sp.Heaviside)) and not node.args[0].is_integer:
            found[node] = frozenset({-1, 1})
    return found


def required(spec, exprs: Iterable[sp.Expr]) -> dict:
    """The conditions of `exprs` and of every definition and defined function they read (through the
    spec's definitions), each with the sides it has."""
    exprs = list(exprs)
    bodies = list(exprs)
    if spec is not None:
        for atom in involved(spec, exprs):
            if atom in spec.definitions:
                bodies.append(spec.definitions[atom].body)
            info = spec.functions.get(atom)
            if info is not None and info.body is not None:
                bodies.append(info.body.expr)
    found: dict = {}
    for body in bodies:
        found.update(conditions(body))
    return found


@dataclass
class Coverage:
    """The sides of each required condition that a set of points showed."""

    required: dict = field(default_factory=dict)  # node -> its sides
    seen: dict = field(default_factory=dict)  # node -> the sides shown

    def missing(self) -> list:
        return [node for node, sides in self.required.items() if not sides <= self.seen.get(node, set())]

    def add(self, seen: dict) -> bool:
        """Add a point's sides; True when it showed a side not shown before."""
        new = False
        for node, sides in seen.items():
            if node in self.required:
                before = self.seen.setdefault(node, set())
                if not sides <= before:
                    new = True
                    before |= sides
        return new


def _sides(node) -> tuple | None:
    """The two quantities a two-sided condition compares (None for max/min and Piecewise)."""
    if isinstance(node, Iverson):
        node = node.condition
    if isinstance(node, Relational):
        return node.lhs, node.rhs
    if isinstance(node, (sp.Abs, sp.sign, sp.Heaviside)):
        return node.args[0], sp.S.Zero
    return None


def plain(expr: sp.Basic) -> str:
    """A free expression as a person types it (max, min, ^)."""
    return str(expr).replace("Max(", "max(").replace("Min(", "min(").replace("Abs(", "abs(").replace("**", "^")


def describe(node, show: Callable[[sp.Basic], str]) -> str:
    """A condition as a person reads it: `Z2_nj > 0`, `max(0, Z2_nj)`, `w_l > 0` for sign(w_l)."""
    if isinstance(node, Iverson):
        return show(node.condition)
    sides = _sides(node)
    if sides is not None and not isinstance(node, Relational):
        return f"{show(sides[0])} > 0"
    return show(node)


def missing_words(coverage: Coverage, show: Callable[[sp.Basic], str]) -> str:
    """What the points never showed: `Z2_nj > 0 (Z2_nj was never below 0)`, `max(x/2, exp(x)) (only exp(x)
    was the larger)`."""
    out = []
    for node in coverage.missing():
        seen = coverage.seen.get(node, set())
        sides = _sides(node)
        if not seen:
            which = "never evaluated at these points"
        elif sides is not None:
            which = f"{show(sides[0])} was never {'below' if 1 in seen else 'above'} {show(sides[1])}"
        elif isinstance(node, (sp.Max, sp.Min)):
            shown = " or ".join(show(node.args[k]) for k in sorted(seen))
            which = f"only {shown} was the {'larger' if isinstance(node, sp.Max) else 'smaller'}"
        else:
            which = "only its case " + " or ".join(str(k + 1) for k in sorted(seen)) + " held"
        out.append(f"{describe(node, show)} ({which})")
    return "; ".join(out)
