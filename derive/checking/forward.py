"""Forward mode at one point: each value carried with its derivative along one variable (`Tangent`), or along
every entry of a tensor at once (`Gradient`), through the spec's definitions, for `pointwise.Evaluation`.

∂f/∂v is f valued with every value paired with its rate of change along v:
the entries of v's tensor (and of the bases the derivative holds fixed) are
independent variables, every other definition is followed through, and each
node applies its own rule (a sum, a product, a power, an elementary function,
a stand-in φ from its body, a kink's derivative away from the kink, 0 for a
function constant away from its jumps). A rate is a number (`Tangent`) or a
sparse vector {entry: rate} (`Gradient`: Σ_k ∂J/∂Z_nk … for every n and k from
one walk of J).
"""
from __future__ import annotations

from typing import Any

import sympy as sp

from ..problem.spec import Iverson
from .evaluate import OnJump, Undefined
from .nodes import BODY, ELEMENTARY_KIND, STAND_IN, kind, names_in, parts_of, unknown
from .numbers import as_mp

_EMPTY: dict = {}  # a Gradient's zero rate (never changed: every operation makes a new one)


class Tangent:
    """Forward mode for one derivative at one point: each value with its derivative along the entry `idx` of
    `base`, the bases in `stop` held as independent variables, `reaches` what depends on `base`. The rates are
    numbers; `Gradient` carries the derivatives along every entry of `base` at once."""

    zero: object = 0

    def __init__(self, ev: Any, stop: frozenset, base, idx: tuple | None, reaches: frozenset):
        self.ev = ev  # the `pointwise.Evaluation` that asks (not imported: this module sits below that one)
        self.stop = stop
        self.base = base
        self.idx = idx
        self.reaches = reaches
        key = (ev.dps, stop, base, idx)
        self.memo = ev.state.tangents.setdefault(key, {})

    # -- the rates: numbers (a Gradient's are sparse vectors) ----------------------------------
    def seed(self, idx: tuple):
        return int(idx == self.idx)

    def radd(self, a, b):
        return b if a == 0 else a if b == 0 else self.ev.add(a, b)

    def rscale(self, rate, factor):
        return 0 if rate == 0 else self.ev.mul(rate, factor)

    # -- the walk ------------------------------------------------------------------------------
    def pair(self, e, bound) -> tuple:
        """(value, derivative) of `e`."""
        names = names_in(e)
        if self.reaches.isdisjoint(names) and not any(type(bound.get(s)) is tuple for s in names):
            return self.ev._value(e, bound), self.zero
        self.ev.spend()
        return _TANGENT[kind(e)](self, e, bound)

    def _symbol(self, s, bound):
        if s in bound:
            value = bound[s]
            return value if type(value) is tuple else (value, self.zero)
        if s == self.base:
            return self.ev._symbol(s, bound), self.seed(())
        if s in self.ev.spec.definitions and s not in self.stop:
            return self.entry(s, ())
        return self.ev._symbol(s, bound), self.zero

    def _indexed(self, e, bound):
        ev = self.ev
        base, indices = parts_of(e)
        if base == self.base:
            return ev._indexed(e, bound), self.seed(tuple(ev._int(i, bound) for i in indices))
        if base in ev.spec.definitions and base not in self.stop:
            return self.entry(base, tuple(ev._int(i, bound) for i in indices))
        return ev._indexed(e, bound), self.zero

    def entry(self, base, idx) -> tuple:
        key = (base, idx)
        if key not in self.memo:
            ev = self.ev
            definition = ev.spec.definitions[base]
            if len(idx) != len(definition.params):
                raise Undefined(f"{base} takes {len(definition.params)} indices")
            ev._check_entry(base, idx)
            found = self.memo[key] = self.pair(definition.body, dict(zip(definition.params, idx)))
            ev.state.entries.setdefault((ev.dps, base, idx), found[0])  # the same value a value walk finds
        return self.memo[key]

    def _add(self, e, bound):
        pairs = [self.pair(a, bound) for a in e.args]
        rate = self.zero
        for _, r in pairs:
            rate = self.radd(rate, r)
        return self.ev.add_all([p[0] for p in pairs]), rate

    def _mul(self, e, bound):
        ev = self.ev
        for arg in e.args:
            if isinstance(arg, Iverson) and ev._value(arg, bound) == 0:
                return 0, self.zero
        value, rate = 1, self.zero
        for v, r in [self.pair(a, bound) for a in e.args]:
            rate = self.radd(self.rscale(rate, v), self.rscale(r, value))
            value = ev.mul(value, v)
        return value, rate

    def _pow(self, e, bound):
        ev = self.ev
        (b, db), (x, dx) = self.pair(e.base, bound), self.pair(e.exp, bound)
        value = ev.power(b, x)
        rate = self.zero
        if db != self.zero:
            rate = self.rscale(db, ev.mul(x, ev.power(b, ev.add(x, -1))))
        if dx != self.zero:
            rate = self.radd(rate, self.rscale(dx, ev.mul(value, ev.elementary(sp.log, b))))
        return value, rate

    def _abs(self, e, bound):
        ev = self.ev
        x, dx = self.pair(e.args[0], bound)
        if dx == self.zero:
            return abs(x), dx
        if ev.on_jump(x, 0):
            raise OnJump("|x| at 0")
        return abs(x), self.rscale(dx, 1 if ev.real(x) > 0 else -1)

    def _extremum(self, e, bound):
        ev = self.ev
        pairs = [self.pair(a, bound) for a in e.args]
        pick = max if isinstance(e, sp.Max) else min
        chosen = pick(pairs, key=lambda p: ev.real(p[0]))
        for other in pairs:
            if other is not chosen and other[1] != chosen[1] and ev.on_jump(other[0], chosen[0]):
                raise OnJump(f"{e.func.__name__} at a tie")
        return chosen

    def _piecewise(self, e, bound):
        for piece, condition in e.args:
            if self.ev._truth(condition, bound):
                return self.pair(piece, bound)
        raise Undefined("no case of the piecewise function holds")

    def _flat(self, e, bound):
        """A function constant away from its jumps ([z > 0], sign, δ_ij, n!): derivative 0."""
        return self.ev._value(e, bound), self.zero

    def _function(self, e, bound):
        ev = self.ev
        func = e.__class__
        how, what = ev.state.resolve(func)
        if how == ELEMENTARY_KIND:
            x, dx = self.pair(e.args[0], bound)
            value = ev.elementary(func, x)
            if dx == self.zero:
                return value, dx
            slope = what.rule_mp(as_mp(x), value) if ev.exact else what.rule_float(x, value)
            return value, self.rscale(dx, slope)
        if how == BODY:
            args = [self.pair(a, bound) for a in e.args]
            return self.pair(what.expr, {**bound, **dict(zip(what.variables, args))})
        if how == STAND_IN and len(e.args) == 1:
            stand, plain = what
            order = 0 if plain else 1
            x, dx = self.pair(e.args[0], bound)
            value = ev.stand_in(stand, x, order)
            return value, (self.rscale(dx, ev.stand_in(stand, x, order + 1)) if dx != self.zero else dx)
        raise Undefined(f"cannot evaluate the function {func}")

    def _sum(self, e, bound):
        ev = self.ev
        value, rate = 0, self.zero
        for v, r in ev._sum_terms(e, bound, self.pair):
            value = ev.add(value, v)
            rate = self.radd(rate, r)
        return value, rate

    def _derivative(self, e, bound):
        raise Undefined("a derivative of a derivative")


class Gradient(Tangent):
    """Forward mode along every entry of `base` at once: a rate is a sparse vector {entry's indices: derivative}.
    One walk gives Σ_k ∂J/∂Z_nk … for every n and k, where one derivative at a time would walk J N·K times."""

    zero: object = _EMPTY

    def __init__(self, ev: Any, stop: frozenset, base, reaches: frozenset):
        super().__init__(ev, stop, base, None, reaches)

    def seed(self, idx: tuple):
        return {idx: 1}

    def radd(self, a, b):
        if not a:
            return b
        if not b:
            return a
        add = self.ev.add
        out = dict(a)
        for k, v in b.items():
            out[k] = add(out[k], v) if k in out else v
        return out

    def rscale(self, rate, factor):
        mul = self.ev.mul
        return {k: mul(v, factor) for k, v in rate.items()} if rate else rate


_TANGENT = {
    "number": Tangent._flat, "symbol": Tangent._symbol, "indexed": Tangent._indexed, "add": Tangent._add,
    "mul": Tangent._mul, "pow": Tangent._pow, "delta": Tangent._flat, "sum": Tangent._sum, "abs": Tangent._abs,
    "extremum": Tangent._extremum, "iverson": Tangent._flat, "sign": Tangent._flat,
    "piecewise": Tangent._piecewise, "factorial": Tangent._flat, "derivative": Tangent._derivative,
    "function": Tangent._function, "unknown": unknown,
}
