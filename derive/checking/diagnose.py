"""Why an answer is wrong, in words a student understands.

Each test compares the student's answer with a variant of the reference at the
checker's points: the spec's own known mistakes first (the seeds' real
errors, with the spec's explanation), then mutations found automatically —
sign, a constant factor (2, ½, 1/N), an additive constant, swapped indices or
a transpose, the diagonal formula used everywhere (a missing δ_ij), φ where φ'
belongs, a missing regularisation term.
"""
from __future__ import annotations

from fractions import Fraction

import mpmath
import sympy as sp
from sympy.core.relational import Relational

from ..printing import text
from ..problem.spec import Iverson
from .compare import JUMP, Values, compare, evaluate
from .evaluate import Undefined

_SAME = mpmath.mpf(10) ** -20


def _values(spec, expr, envs, kept: Values | None = None, strict: bool = False):
    """The values at 40 digits (None where undefined, or where a reference sits on a jump); from `kept`
    where the expression's values are kept (a part's reference)."""
    out: list = []
    for env in envs:
        try:
            with mpmath.workdps(40):
                value = kept.at(env) if kept is not None else evaluate(spec, expr, env, strict)
                if value is None or value is JUMP:
                    out.append(None)
                    continue
                out.append(mpmath.mpmathify(value) if not isinstance(value, Fraction) else
                           mpmath.mpf(value.numerator) / value.denominator)
        except Undefined:
            out.append(None)
    return out


def _constant(values) -> mpmath.mpf | None:
    present = [v for v in values if v is not None]
    if len(present) < 2 or any(not mpmath.isfinite(abs(v)) for v in present):
        return None
    first = present[0]
    if all(abs(v - first) <= _SAME * max(1, abs(first)) for v in present):
        return first
    return None


def _simple(c) -> Fraction | None:
    if isinstance(c, mpmath.mpc):
        if abs(c.imag) > _SAME:
            return None
        c = c.real
    guess = Fraction(float(c)).limit_denominator(12)
    return guess if abs(mpmath.mpf(guess.numerator) / guess.denominator - c) <= _SAME * max(1, abs(c)) else None


def _factor_words(c: Fraction) -> str:
    if c == 0:
        return "the answer is 0 where the right one is not"
    if c == -1:
        return "sign error: the answer is the negative of the right one"
    if c < 0:
        return f"sign error, and off by a factor {-c}"
    if c > 1:
        return f"a constant factor {c} too many (the answer is {c} times the right one)"
    return f"a constant factor {1 / c} missing (the answer is {c} times the right one)"


def _ratio_words(spec, student_values, reference_values, envs) -> list[str]:
    ratios = [s / r if s is not None and r is not None and r != 0 else None
              for s, r in zip(student_values, reference_values)]
    constant = _constant(ratios)
    if constant is not None:
        simple = _simple(constant)
        if simple is not None:
            return [_factor_words(simple)] if simple != 1 else []
        if abs(constant - 1) < mpmath.mpf("0.01"):
            return ["close to the right value but not equal: a rounded decimal? (decimals are read exactly)"]
        return [f"off by a constant factor ≈ {mpmath.nstr(constant, 6)}"]
    if spec is None:
        return []
    for dim in sorted({d for env in envs for d in env.sizes}, key=str):
        name = spec.names.get(dim)
        label = name.text if name else str(dim)
        sizes = [env.sizes.get(dim) for env in envs]
        if _matches(ratios, sizes, lambda r, n: r * n):
            return [f"an extra factor 1/{label}"]
        if _matches(ratios, sizes, lambda r, n: r / n):
            return [f"the factor 1/{label} is missing"]
    return []


def _matches(ratios, sizes, scaled) -> bool:
    present = [(r, n) for r, n in zip(ratios, sizes) if r is not None and n]
    return len(present) >= 2 and len({n for _, n in present}) >= 1 and \
        all(abs(scaled(r, n) - 1) <= _SAME for r, n in present)


def diagnose(spec, part, student, envs, reference=None, kept: dict | None = None) -> list[str]:
    """What is wrong with `student`, most specific first; [] when nothing is recognised. `kept` holds the
    values of the part's reference and known mistakes at `envs` (`compare.Values`), computed once a part.

    A diagnosis is advice: if working one out fails, the verdict stands without it.
    """
    try:
        return _diagnose(spec, part, student, envs, reference, kept or {})
    except (ArithmeticError, ValueError, TypeError, Undefined):
        return []


def _diagnose(spec, part, student, envs, reference, kept: dict) -> list[str]:
    reference = part.reference if part is not None else reference
    found: list[str] = []
    if part is not None:
        for mistake in part.mistakes:
            # the same expression (SymPy objects, never text), or equal at the points
            if student - mistake.answer == 0 or \
                    compare(spec, student, mistake.answer, envs, reference=kept.get(mistake.answer)).equal:
                found.append(mistake.why)
        if found:
            return found  # the spec's own words say it best
    student_values = _values(spec, student, envs)
    reference_values = _values(spec, reference, envs, kept.get(reference), strict=True)
    found += _ratio_words(spec, student_values, reference_values, envs)
    differences = [s - r if s is not None and r is not None else None
                   for s, r in zip(student_values, reference_values)]
    shift = _constant(differences)
    if shift is not None and abs(shift) > _SAME:
        side = "larger" if (shift.real if isinstance(shift, mpmath.mpc) else shift) > 0 else "smaller"
        found.append(f"equal up to an additive constant (the answer is {mpmath.nstr(abs(shift), 6)} {side})")
    if part is not None:
        found += _structural(spec, part, student, reference, envs)
    return list(dict.fromkeys(found))


def _indicator_groups(reference) -> dict:
    """The reference's real-valued indicators, grouped by the quantity they test against 0 ([z > 0] and
    [z < 0] both test z)."""
    groups: dict = {}
    for node in sorted(reference.atoms(Iverson), key=str):
        condition = node.condition
        if not isinstance(condition, Relational) or condition.rel_op in ("==", "!=") or \
                (condition.lhs - condition.rhs).is_integer:
            continue
        quantity = condition.lhs - condition.rhs
        if quantity.could_extract_minus_sign():
            quantity = -quantity
        groups.setdefault(quantity, []).append(node)
    return groups


def _holds(node, quantity, side: int) -> int:
    """The value of the indicator `node` where `quantity` has the sign `side` (±1)."""
    condition = node.condition  # lhs − rhs is ±quantity (`_indicator_groups`)
    value = side if condition.lhs - condition.rhs == quantity else -side
    return int(bool(condition.func(value, 0)))


def _indicator_words(spec, student, reference, envs) -> list[str]:
    """An answer that is the reference with an indicator fixed (a ReLU's mask always 1, a leaky ReLU's
    slope lost: one side of the kink missing) or turned round."""
    show = (lambda e: text(e, spec)) if spec is not None else str
    found = []
    for quantity, nodes in _indicator_groups(reference).items():
        for side in (1, -1):
            fixed = {node: _holds(node, quantity, side) for node in nodes}
            if compare(spec, student, reference.xreplace(fixed), envs).equal:
                other = "<" if side > 0 else ">"
                values = ", ".join(f"[{show(node.condition)}] = {value}" for node, value in fixed.items())
                found.append(f"the case {show(quantity)} {other} 0 is missing: the answer is the reference with "
                             f"{values} everywhere (a mask or a slope lost)")
        turned = {node: 1 - node for node in nodes}
        if compare(spec, student, reference.xreplace(turned), envs).equal:
            found.append(f"the condition on {show(quantity)} is turned round: the answer takes the other side of "
                         f"each of {', '.join(f'[{show(node.condition)}]' for node in nodes)}")
    return found


def _structural(spec, part, student, reference, envs) -> list[str]:
    found = _indicator_words(spec, student, reference, envs)
    free = part.free
    if len(free) == 2:
        i, j = free
        swapped = reference.xreplace({i: j, j: i})
        if compare(spec, student, swapped, envs).equal:
            found.append(f"indices {i} and {j} swapped (in matrix form: transposed)")
        if spec.index_range[i] == spec.index_range[j]:
            diagonal = [e for e in envs if e.indices[i] == e.indices[j]]
            off = [e for e in envs if e.indices[i] != e.indices[j]]
            on_ok = compare(spec, student, reference, diagonal).equal if diagonal else None
            off_ok = compare(spec, student, reference, off).equal if off else None
            if on_ok and off_ok is False:
                found.append(f"right for {i} = {j} only: the diagonal formula used for every entry "
                             f"(a δ_{i}{j} term is missing)")
            if off_ok and on_ok is False:
                found.append(f"right for {i} ≠ {j} only: the diagonal entries are wrong (check the δ_{i}{j} term)")
    for func, info in spec.functions.items():
        if info.derivative is not None and reference.has(info.derivative):
            name = spec.names.get(func).text if spec.names.get(func) else str(func)
            replaced = reference.replace(info.derivative, func)
            if compare(spec, student, replaced, envs).equal:
                found.append(f"{name} used where {name}' belongs")
    for symbol, shape in spec.shapes.items():
        if shape == () and isinstance(symbol, sp.Symbol) and symbol not in spec.definitions and \
                reference.has(symbol):
            without = reference.xreplace({symbol: 0})
            if compare(spec, student, without, envs).equal:
                name = spec.names.get(symbol).text if spec.names.get(symbol) else str(symbol)
                note = " (the regularisation)" if name in ("λ", "lambda") else ""
                found.append(f"the term with {name} is missing{note}")
    return found
