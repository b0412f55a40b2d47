"""What the parts a document holds change in each problem's report.

A step that uses another part's result names it beside the rule ("derived
layer rule; ∂o/∂a_i, from weighted-softmax/gradient"). A document that holds
the cited part before the step needs nothing more; one that does not (a single
part printed alone, a selection of parts, a quiz) states the result once, at
the first part that uses it. The computation graph numbers the parts the
document shows, in its order (the backward pass), and no other.
"""
from __future__ import annotations

from collections.abc import Sequence


def assemble(problems: Sequence[dict]) -> list[dict]:
    """The reports of a document, in its order: each part's `state` lists the results it uses that the
    document has not derived before it nor stated yet; each graph marks the parts shown. Copies: the
    reports given are not changed."""
    derived: set[str] = set()
    stated: set[str] = set()
    out = []
    for problem in problems:
        parts = []
        for part in problem["parts"]:
            state = [c for c in part.get("cites", ()) if c["id"] not in derived and c["id"] not in stated]
            stated |= {c["id"] for c in state}
            parts.append({**part, "state": state})
            derived.add(f"{problem['id']}/{part['id']}")
        assembled = {**problem, "parts": parts}
        if "graph" in problem:
            assembled["graph"] = select_parts(problem["graph"], [p["id"] for p in parts])
        out.append(assembled)
    return out


def only_parts(report: dict, part_ids) -> dict:
    """A problem's report with only these parts (a copy)."""
    return {**report, "parts": [p for p in report["parts"] if p["id"] in part_ids]}


def select_parts(report: dict, part_ids) -> dict:
    """The graph of `graph_report` with the backward pass of these parts only, numbered 1, 2, 3 in their
    order (a copy)."""
    order = {part_id: number for number, part_id in enumerate(part_ids)}
    backward = sorted((dict(b) for b in report["backward"] if b["part"] in order), key=lambda b: order[b["part"]])
    for number, step in enumerate(backward):
        step["mark"] = number + 1
        step["joins"] = "first" if not number else "same" if step["layer"] == backward[number - 1]["layer"] \
            else "next"
    nodes = [{**n, "marks": [b["mark"] for b in backward if b["key"] == n["key"]]} for n in report["nodes"]]
    return {**report, "nodes": nodes, "backward": backward, "backward_text": backward_text(backward)}


def backward_text(backward: list[dict]) -> str:
    """The parts in order, `→` where the next differentiates by a quantity in another column."""
    out = ""
    for step in backward:
        out += {"first": "", "same": ", ", "next": " → "}[step["joins"]]
        out += f"{step['text']} ({step['part']})"
    return out
