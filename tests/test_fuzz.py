"""Property-based tests of the parser: random text and random expression trees."""
from __future__ import annotations

import time

import sympy as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from derive.checking.compare import compare, spec_points
from derive.parsing import ParseError, Vocabulary, parse
from derive.printing import ascii_text, tex, text
from derive.problem import library

from .conftest import RUNAWAY_SECONDS

SPEC = library.load("softmax-jacobian")
VOCAB = Vocabulary.from_spec(SPEC)
PART = SPEC.part_by_id("jacobian")
ENVS = spec_points(SPEC, PART.free, seed="fuzz")
ALPHABET = "sijkvxδσΣ_^{}()[]+-*/., 0123456789\\'eψpltan|!=<>⊙ᵀ·−\t"
WORDS = ["\\frac", "\\sum", "\\sigma", "\\delta", "\\left(", "\\right)", "\\sqrt", "exp", "log", "tanh", "sum",
         "delta", "sigma", "^T", "**", "diag", "1", "I", "\\input", "__", "lambda"]


def fragments():
    return st.lists(st.one_of(st.sampled_from(WORDS), st.text(alphabet=ALPHABET, max_size=6)), max_size=25) \
        .map("".join)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(max_size=80), fragments()))
def test_parser_returns_an_expression_or_its_own_error_quickly(answer):
    start = time.monotonic()
    try:
        expr = parse(answer, VOCAB).index_form(PART.free)
    except ParseError as exc:
        assert str(exc) and "\n" not in str(exc)
    else:
        assert isinstance(expr, sp.Basic)
    assert time.monotonic() - start < RUNAWAY_SECONDS


i, j = PART.free
sigma = next(b for b in SPEC.shapes if str(b) == "sigma")
x = next(b for b in SPEC.shapes if str(b) == "x")
v = next(b for b in SPEC.shapes if str(b) == "v")
LEAVES = st.sampled_from([sigma[i], sigma[j], x[i], x[j], v[j], sp.KroneckerDelta(i, j), sp.Integer(2),
                          sp.Integer(3), sp.Rational(1, 2)])


def trees():
    return st.recursive(LEAVES, lambda children: st.one_of(
        st.builds(lambda a, b: a + b, children, children),
        st.builds(lambda a, b: a - b, children, children),
        st.builds(lambda a, b: a * b, children, children),
        st.builds(lambda a: a ** 2, children),
        st.builds(lambda a: sp.exp(a), children),
        st.builds(lambda a: 1 / (1 + a ** 2), children),
    ), max_leaves=12)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(trees(), st.sampled_from(["text", "ascii", "latex"]))
def test_render_then_parse_gives_an_equivalent_expression(expr, how):
    printed = {"text": text, "ascii": ascii_text, "latex": tex}[how](expr, SPEC)
    again = parse(printed, VOCAB).index_form(PART.free)
    assert compare(SPEC, again, expr, ENVS).equal is True, printed
