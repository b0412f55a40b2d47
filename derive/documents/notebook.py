"""Derivations that render themselves in a notebook (`_repr_latex_`).

    from derive.documents.notebook import solution
    solution("softmax-jacobian", "jacobian")      # an aligned block, each step with its rule
"""
from __future__ import annotations

from dataclasses import dataclass

from ..calculus import Derivation, derive
from ..problem import library
from .report import part_report


@dataclass(frozen=True)
class Solution:
    """A derived part, with its report (steps, answer) and its notebook display."""

    derivation: Derivation
    report: dict

    def _repr_latex_(self) -> str:
        """The derivation as one aligned block, each step with its rule."""
        report = self.report
        rows = [rf"{report['target_latex'] if n == 0 else ''} &= {s['latex']} && \text{{{s['rule']}}}"
                for n, s in enumerate(report["steps"])]
        return "$$\\begin{aligned}" + " \\\\ ".join(rows) + "\\end{aligned}$$"


def solution(problem_id: str, part_id: str | None = None) -> Solution:
    """The derivation of `problem_id/part_id` (the only part of a one-part problem when None)."""
    spec = library.load(problem_id)
    derivation = derive(spec, library.part_id(problem_id, part_id))
    return Solution(derivation, part_report(derivation))
