"""Answers as students write them (issue 11): each row is a right answer that must read, or a wrong one that
must be refused with its diagnosis, or unreadable text that must be `invalid` with a message saying what to
write instead. A row is (target, answer, verdict, words the message must hold)."""
from __future__ import annotations

import pytest

from derive.checking import check

ROWS = [
    # 1. an answer may begin with a minus sign (the CLI side is in test_cli.py)
    ("log-softmax-jacobian/nll-gradient", "-t_i", "equivalent", ""),
    ("log-softmax-jacobian/nll-gradient", "-t_i.", "equivalent", ""),
    ("log-softmax-jacobian/nll-gradient", "-1*t_i", "equivalent", ""),
    ("log-softmax-jacobian/nll-gradient", "t_i", "not_equivalent", "sign"),
    # 3. equation numbers, tags, labels and a sentence's full stop are not part of the answer
    ("tanh-derivative", r"1 - \tanh^2(x) \quad (3)", "equivalent", ""),
    ("tanh-derivative", r"1 - \tanh^2(x) \qquad \text{(3)}", "equivalent", ""),
    ("tanh-derivative", r"1 - \tanh^2(x) \tag{3}", "equivalent", ""),
    ("tanh-derivative", r"1 - \tanh^2(x) \label{eq:tanh}", "equivalent", ""),
    ("tanh-derivative", "1 - tanh(x)^2.", "equivalent", ""),
    ("tanh-derivative", "1 - tanh(x)^2,", "equivalent", ""),
    ("tanh-derivative", r"1 - \tanh^2(x) \quad (4)", "equivalent", ""),
    ("tanh-derivative", "1 - tanh(x) (3)", "not_equivalent", ""),  # without \quad, (3) is a factor
    ("tanh-derivative", r"1 + \tanh^2(x) \quad (3)", "not_equivalent", ""),
]


def _id(row) -> str:
    return f"{row[0]}:{row[1]}"


@pytest.mark.parametrize("target,answer,verdict,words", ROWS, ids=[_id(r) for r in ROWS])
def test_answers_as_students_write_them(target, answer, verdict, words):
    result = check(target, answer)
    assert result.verdict == verdict, result.message
    assert words in result.message, result.message
