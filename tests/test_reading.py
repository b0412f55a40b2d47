"""Answers as students write them (issue 11): each row is a right answer that must read, or a wrong one that
must be refused with its diagnosis. The table grows with the issue."""
from __future__ import annotations

import pytest

from derive.checking import check

ROWS = [
    # 3. equation numbers, tags, labels and a sentence's full stop are not part of the answer
    ("tanh-derivative", r"1 - \tanh^2(x) \quad (3)", "equivalent"),
    ("tanh-derivative", r"1 - \tanh^2(x) \qquad \text{(3)}", "equivalent"),
    ("tanh-derivative", r"1 - \tanh^2(x) \tag{3}", "equivalent"),
    ("tanh-derivative", r"1 - \tanh^2(x) \label{eq:tanh}", "equivalent"),
    ("tanh-derivative", "1 - tanh(x)^2.", "equivalent"),
    ("tanh-derivative", "1 - tanh(x)^2,", "equivalent"),
    ("tanh-derivative", r"1 - \tanh^2(x) \quad (4)", "equivalent"),
    ("tanh-derivative", "1 - tanh(x) (3)", "not_equivalent"),  # without \quad, (3) is a factor
    ("tanh-derivative", r"1 + \tanh^2(x) \quad (3)", "not_equivalent"),
    # 1. an answer may begin with a minus sign (the CLI side is in test_cli.py)
    ("log-softmax-jacobian/nll-gradient", "-t_i", "equivalent"),
    ("log-softmax-jacobian/nll-gradient", "-t_i.", "equivalent"),
    ("log-softmax-jacobian/nll-gradient", "t_i", "not_equivalent"),
]


@pytest.mark.parametrize("target,answer,verdict", ROWS, ids=[f"{t}:{a}" for t, a, _ in ROWS])
def test_answers_as_students_write_them(target, answer, verdict):
    result = check(target, answer)
    assert result.verdict == verdict, result.message
