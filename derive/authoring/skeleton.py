'''`derive new ID`: a commented skeleton spec that a teacher fills in, valid as written.

The skeleton is a small complete problem (one tanh unit with a squared
error), so `derive validate` passes before the first edit, and every `Spec`
method a problem uses appears once with a comment.
'''
from __future__ import annotations

import re
from pathlib import Path
from string import Template

from ..errors import DeriveError

PROBLEM_ID = re.compile(r"[a-z0-9][a-z0-9-]*[a-z0-9]|[a-z0-9]")

SKELETON = Template('''"""Problem $id: a spec for derive (edit it, then run `derive validate $id`).

A spec declares; it holds no derivation steps and no LaTeX of a derivation:
the engine derives every part from the definitions. See "Writing a problem"
in derive's README for every method and argument.
"""
from sympy import Rational, Sum, tanh

from derive.spec import D, Spec

SPEC = Spec(
    id="$id",  # the problem id students and graders type: derive check $id/<part> ...
    title=$title,
    source="TODO: where the problem comes from (course, homework, question)",
    statement=(r"A unit computes $$z = \\sum_k w_k x_k$$, $$a = \\tanh(z)$$ and the loss "
               r"$$L = \\frac{1}{2}(a - y)^2$$. TODO: the problem as students read it (LaTeX math in $$...$$)."),
)

# Dimensions (positive integers) and the index letters that run over them.
n = SPEC.dim("n")
i, j, k = SPEC.indices("i j k", range=n)

# Tensors: a vector has one dimension, a matrix two. sample= says how the witness and the
# checker draw values: "real" (default), "positive", "unit" (in (0, 1)), "label", "simplex"
# (entries summing to 1), "onehot-rows" (a one-hot label matrix).
x = SPEC.tensor("x", n)
w = SPEC.tensor("w", n)

# Scalars; latex=/text= set how they print, aliases= what a student may type for them.
y = SPEC.scalar("y", aliases=("target",))
z = SPEC.scalar("z")
a = SPEC.scalar("a")
L = SPEC.scalar("L", aliases=("loss", "ell"))

# Functions: SPEC.function("phi", latex=r"\\phi", text="φ") is a generic φ (its derivative is φ');
# SPEC.function("relu", lambda u: ...) defines one by a body. SymPy's own (tanh, exp, log) need nothing.

# Definitions: the computation, one quantity at a time (an entry with its indices, or a scalar).
SPEC.define(z, Sum(w[k] * x[k], (k, 1, n)))
SPEC.define(a, tanh(z))
SPEC.define(L, Rational(1, 2) * (a - y) ** 2)

# Assumptions the answers may use: SPEC.assume(Sum(t[k], (k, 1, n)), 1, "Σ_k t_k = 1") (and declare
# t with sample="simplex", so that the points derive samples respect it).

# Parts: a target to derive (D(f, v) is ∂f/∂v), the reference answer as a cross-check, the free
# indices of the answer, matrix=True for a matrix (or vector) form too, and known wrong answers
# with the mistake each one shows (a student who types one is told that sentence).
SPEC.part(
    "dL-dw",
    r"Find $$\\partial L / \\partial w_j$$.",
    target=D(L, w[j]),
    reference=(a - y) * (1 - a ** 2) * x[j],
    free=(j,),
    matrix=True,
    mistakes=[((a - y) * x[j], "the factor tanh'(z) = 1 − a² of the activation is missing"),
              ((y - a) * (1 - a ** 2) * x[j], "sign error")],
)
''')


def skeleton(problem_id: str, title: str | None = None) -> str:
    """The text of a new spec file for `problem_id`."""
    if not PROBLEM_ID.fullmatch(problem_id):
        raise DeriveError(f"problem id {problem_id!r}: use lower-case letters, digits and dashes (e.g. relu-mlp)")
    return SKELETON.substitute(id=problem_id, title=repr(title or "TODO: a title"))


def write_skeleton(problem_id: str, folder: Path, title: str | None = None) -> Path:
    """Write `<folder>/<problem_id with _>.py`; an existing file is never overwritten."""
    text = skeleton(problem_id, title)
    folder = Path(folder)
    path = folder / f"{problem_id.replace('-', '_')}.py"
    if path.exists():
        raise DeriveError(f"{path} exists; choose another id or folder (-o DIR)")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with path.open("x", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as exc:
        raise DeriveError(f"cannot write {path}: {exc.strerror or exc}") from None
    return path
