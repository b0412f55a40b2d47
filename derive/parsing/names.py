"""Names in a student answer for `derive.parsing`: symbols, tensors, functions, δ, I, diag.

A word from the tokenizer is looked up in the vocabulary; what follows it
decides between its meanings: `σ(s)` applies a function, `σ_i` is an entry,
a bare `W2` is a matrix, `σ(x)_i` and `softmax(x)_i` name the softmax output
through the tensor its definition reads. A mixin of the parser in `parser.py`.
"""
from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from .core import CLOSERS, ParserCore
from .lexer import Token
from .marks import accented_letter, unaccent
from .values import ONE, Base, Identity, Mat
from .vocab import (
    BUILTIN_FUNCTIONS,
    INVERSE_FUNCTIONS,
    NOTATION_KINDS,
    SCALAR_FUNCTION_KINDS,
    SYMBOL_NAME,
    VARIADIC,
    Entry,
)


@dataclass
class NameRef:
    """A tensor name before its postfix: subscripted it is an entry, bare a matrix."""

    token: Token
    entries: list


class NameRules(ParserCore):
    """Parser methods for names (mixed into `parser._Parser`)."""

    # -- names -----------------------------------------------------------------------------
    def name(self):
        t = self.advance()
        if len(t.raw) == 1:
            for letter, symbol in reversed(self.bound):
                if letter == t.raw:
                    return symbol
        entries = self.vocab.lookup(t.text) if t.kind == "word" else ()
        if not entries:
            if self.vocab.mode == "free" and t.kind == "word":
                return self.free_symbol(t, t.raw)
            if self.vocab.mode == "free" and len(t.raw) == 1 and accented_letter(t.raw):
                return sp.Symbol(unaccent(t.raw), real=True)  # x̂, x̄ in a free expression: a variable of its own
            if self.at("("):
                found = self.alias_application(t)
                if found is not None:
                    return found
            self.unknown(t)
        by: dict[str, list[Entry]] = {}
        for e in entries:
            by.setdefault(e.kind, []).append(e)
        funcs = [e for k in SCALAR_FUNCTION_KINDS for e in by.get(k, ())]
        tensors = by.get("tensor", [])
        if "scalar" in by and tensors:  # one name for a scalar and a tensor: the one this part involves
            scalar_here = any(e.obj in self.vocab.prefer for e in by["scalar"])
            if scalar_here != any(e.obj in self.vocab.prefer for e in tensors):
                if scalar_here:
                    tensors = by["tensor"] = []
                else:
                    del by["scalar"]
        if "sum" in by:
            self.i -= 1
            return self.sum_()
        if "label" in by or NOTATION_KINDS & by.keys():  # ones, outer, mean, logsumexp; y of [k = y_n]
            return self.notation(t, by)
        if "delta" in by and (self.at("_") or self.at("(")):
            return self.kronecker(t)
        if "ident" in by:
            return self.identity(t)
        if "diag" in by or "hpow" in by:
            return self.matrix_function(t, "diag" if "diag" in by else "hpow")
        if "softmax" in by:
            found = self.alias_application(t) if self.at("(") else None
            if found is None:
                self.unknown(t)
            return found
        if tensors and self.at("("):
            found = self.tensor_application(t, tensors)
            if found is not None:
                return found
        if funcs and (self.at("(") or not (tensors or "scalar" in by or "dim" in by or "index" in by)):
            return self.call(t, funcs[0])
        if tensors and (self.at("_") or self.at("[")):
            return NameRef(t, tensors)
        if "scalar" in by:  # two scalars of one name (ℓ of p, ℓ of x): the one this part involves
            return next((e.obj for e in by["scalar"] if e.obj in self.vocab.prefer), by["scalar"][0].obj)
        if tensors:
            return NameRef(t, tensors)
        for kind in ("dim", "index", "const"):
            if kind in by:
                return by[kind][0].obj
        if "greek" in by:
            return self.free_symbol(t, by["greek"][0].obj)
        if "delta" in by:
            self.fail("δ needs two indices: δ_ij", t.pos)
        self.unknown(t)

    def unknown(self, t: Token):
        if self.vocab.mode == "free":
            self.fail(f"unknown name '{t.raw}'", t.pos)
        self.fail(f"unknown name '{t.raw}'", t.pos, self.vocab.hint)

    def free_symbol(self, t: Token, name: str):
        if self.at("_"):
            self.advance()
            items = self.index_items()
            name += "_" + "".join(str(x) for x, _ in items)
        if not SYMBOL_NAME.fullmatch(name):
            self.fail(f"'{name}' is not a valid symbol name", t.pos)
        return sp.Symbol(name, real=True, **self.vocab.assume.get(name, {}))

    def concrete(self, value):
        """A bare tensor name is a matrix (a vector a column)."""
        if not isinstance(value, NameRef):
            return value
        entry = self.choose(value.token, value.entries)
        shape = self.vocab.shapes[entry.obj]
        if len(shape) == 1:
            rows, cols = (ONE, shape[0]) if entry.obj in self.row_vectors else (shape[0], ONE)
        else:
            rows, cols = shape
        m = Base(rows, cols, entry.obj)
        m.label = value.token.raw
        return m

    def choose(self, t: Token, entries: list) -> Entry:
        unique = list({id(e.obj): e for e in entries}.values())
        if len(unique) > 1:
            preferred = [e for e in unique if e.obj in self.vocab.prefer]
            if len(preferred) == 1:
                return preferred[0]
            names = " and ".join(str(e.obj) for e in unique)
            self.fail(f"'{t.raw}' is ambiguous here: it names {names}", t.pos,
                      "name the part when building the vocabulary, or use a name that is unique")
        return unique[0]

    def tensor_application(self, t: Token, tensors: list):
        """`σ(x)` where σ's definition reads x: the tensor itself (then `σ(x)_i`)."""
        arg, close = self.peek(), self.peek(2)
        if not (arg.kind == "word" and self.at(")", close)):
            return None
        args = {e.obj for e in self.vocab.lookup(arg.text) if e.kind == "tensor"}
        found = [e for e in tensors if args & self.vocab.inputs.get(e.obj, frozenset())]
        if not found:
            return None
        self.i += 3
        return NameRef(t, found)

    def alias_application(self, t: Token):
        """`softmax(x)` spelled as a whole alias in the spec, typed as `\\operatorname{softmax}(x)`."""
        arg, close = self.peek(), self.peek(2)
        if not (arg.kind == "word" and self.at(")", close)):
            return None
        for surface, key in self.vocab.surfaces.items():
            if key == arg.text:
                whole = self.vocab.surfaces.get(f"{t.raw}({surface})")
                tensors = [e for e in self.vocab.lookup(whole) if e.kind == "tensor"] if whole else []
                if tensors:
                    self.i += 3
                    return NameRef(t, tensors)
        return None

    def call(self, t: Token, entry: Entry):
        power = None
        if self.at("^") and not (self.peek().raw == "T" or self.at("⊤", self.peek())):
            op = self.advance()
            power = (self.exponent(), op.pos)
        elif self.at("sup"):
            op = self.advance()
            power = (sp.Integer(int(op.raw)), op.pos)
        if self.at("'"):  # f'(u) of a function with a body, or of a built-in: its derivative
            self.advance()
            entry = Entry("deriv", self.derivative_of(t, entry), t.raw + "'")
        base = None
        if entry.kind == "bfunc" and entry.obj == "log" and self.at("_"):
            self.advance()
            base = self.log_base()
        variable = self.vocab.variable
        bare = self.bare_calls.count(entry.obj)
        if self.at("(") and self.tok.raw in ("(", "{"):
            args = self.call_args()
        elif self.starts_factor(self.tok, False) or (variable is None and (self.at("-") or self.at("+"))):
            self.enter()
            try:
                args = [self.concrete(self.term(implicit_only=True))]
            finally:
                self.depth -= 1
        elif variable is not None:  # σ alone in a one-variable part: σ(s)
            self.bare_calls.append(entry.obj)
            return self.finish_call(t, entry, [variable], base, power)
        else:
            self.fail(f"{t.raw} needs an argument", hint="write it applied to its argument: "
                      f"{t.raw}(x)" if entry.kind != "deriv" else "")
        if variable is not None and self.bare_calls.count(entry.obj) > bare and len(args) == 1:
            # σ(1 − σ) where σ alone means σ(s): a product, not σ applied to 1 − σ (exp(-tanh) stays exp(-tanh(x)))
            own = self.finish_call(t, entry, [variable], base, power)
            return self.alg.mul(own, args[0], t.pos)
        return self.finish_call(t, entry, args, base, power)

    def finish_call(self, t: Token, entry: Entry, args: list, base, power):
        r"""f(args), its logarithm's base applied; `f^{p}(x)` is f(x)^p, except `f^{-1}`, the inverse function
        (`\tanh^{-1}`, `\sin^{-1}`; refused for a function whose inverse derive does not know)."""
        exp = None
        if power is not None:
            exp, pos = power
            exp = self.alg.scalar(exp, pos, "an exponent")
            if exp == -ONE and base is None:
                name = entry.obj if entry.kind == "bfunc" else getattr(entry.obj, "__name__", "")
                inverse = INVERSE_FUNCTIONS.get(name) if entry.kind in ("bfunc", "func") else None
                if inverse is None:
                    self.fail(f"{t.raw}^(-1) is the inverse function of {t.raw}, which derive does not know; "
                              f"for the reciprocal write 1/{t.raw}(x)", pos)
                entry, exp = Entry("bfunc", inverse, inverse), None
        value = self.apply(t, entry, args)
        if base is not None:
            value = self.alg.div(value, self.alg.apply(sp.log, base, t.pos), t.pos)
        if exp is not None:
            value = self.alg.power(value, exp, pos)
        return value

    def derivative_of(self, t: Token, entry: Entry) -> sp.Lambda:
        """The derivative of the function a name means, as a Lambda (SymPy differentiates the body)."""
        u = sp.Dummy("u", real=True)
        if entry.kind == "bfunc" and entry.obj not in VARIADIC:
            function = BUILTIN_FUNCTIONS[entry.obj]
            return sp.Lambda(u, sp.diff(function(u), u))
        body = self.vocab.bodies.get(entry.obj)
        if entry.kind == "func" and body is not None:
            return sp.Lambda(u, sp.diff(body(u), u))
        self.fail(f"{t.raw}' is not defined in this problem: write the derivative out")

    def log_base(self):
        t = self.tok
        if t.kind == "sub" and t.raw.isdigit():
            self.advance()
            return sp.Integer(int(t.raw))
        if self.at("(") and t.raw == "{":
            value = self.group()
            return self.alg.scalar(value, t.pos)
        self.fail("the base of a logarithm is a number: log_2 or log_{10}")

    def call_args(self) -> list:
        opener = self.advance()
        self.enter()
        try:
            if self.tok.kind == "op" and self.tok.raw == CLOSERS[opener.raw]:
                self.fail("empty parentheses: a function needs an argument")
            args = [self.concrete(self.expr())]
            while self.at(","):
                self.advance()
                args.append(self.concrete(self.expr()))
            self.expect_close(opener)
        finally:
            self.depth -= 1
        return args

    def apply(self, t: Token, entry: Entry, args: list):
        name = entry.obj if entry.kind == "bfunc" else getattr(entry.obj, "__name__", t.raw)
        if entry.kind == "bfunc" and name in VARIADIC:
            return self.extremum(t, BUILTIN_FUNCTIONS[name], args)
        wanted = (1, 2) if name == "log" and entry.kind == "bfunc" else (1,)
        if len(args) not in wanted:
            self.fail(f"{t.raw} takes {' or '.join(map(str, wanted))} argument(s), not {len(args)}", t.pos)
        if entry.kind == "bfunc" and name == "log" and len(args) == 2:
            base = self.alg.scalar(args[1], t.pos)
            top = self.alg.elementwise(sp.log, args[0], t.pos)
            return self.alg.div(top, self.alg.apply(sp.log, base, t.pos), t.pos)
        if entry.kind == "bfunc" and name == "sqrt":
            func = lambda x: self.alg.spow(x, sp.Rational(1, 2), t.pos)  # noqa: E731
        elif entry.kind == "bfunc":
            func = BUILTIN_FUNCTIONS[name]
        else:
            func = entry.obj
        return self.alg.elementwise(func, args[0], t.pos)

    def extremum(self, t: Token, function, args: list):
        """max(a, b, ...), min(...): of scalars, or entry-wise of one matrix and scalars (max(0, Z2))."""
        if len(args) < 2:
            self.fail(f"{t.raw} takes two or more arguments", t.pos)
        matrices = [a for a in args if isinstance(a, Mat) and not self.alg.known_scalar(a)]
        if len(matrices) > 1:
            self.fail(f"{t.raw} of two matrices: write it for one entry", t.pos)
        if not matrices:
            return self.alg.apply(lambda _: function(*[self.alg.scalar(a, t.pos) for a in args]), None, t.pos)
        others = [None if a is matrices[0] else self.alg.scalar(a, t.pos) for a in args]
        return self.alg.elementwise(lambda entry: function(*[entry if o is None else o for o in others]),
                                    matrices[0], t.pos)

    def matrix_function(self, t: Token, kind: str):
        if not self.at("("):
            self.fail(f"{t.raw} needs parentheses: {t.raw}(...)")
        args = self.call_args()
        if kind == "diag":
            if len(args) != 1:
                self.fail("diag takes one vector", t.pos)
            return self.label(self.alg.diag(args[0], t.pos), t.pos)
        if len(args) != 2:
            self.fail("HadamardPower takes a matrix and an exponent", t.pos)
        return self.label(self.alg.hadamard_power(args[0], args[1], t.pos), t.pos)

    def identity(self, t: Token):
        if self.at("_"):
            self.advance()
            items = self.index_items()
            if len(items) == 1:
                dims = [e.obj for e in self.vocab.lookup(str(items[0][0])) if e.kind == "dim"]
                if dims:
                    return Identity(dims[0], dims[0])
            if len(items) == 2:
                return sp.KroneckerDelta(*(self.index_symbol(x, p) for x, p in items))
            self.fail("write I for the identity, I_n for its size, or I_ij for an entry", t.pos)
        size = self.alg.shapes.new()
        m = Identity(size, size)
        m.label = "I"
        return m

    def kronecker(self, t: Token):
        if self.at("("):
            opener = self.advance()
            items = self.index_items(opener)
        else:
            self.advance()
            items = self.index_items()
        letters = [(x, p) for x, p in items if x != "="]
        if len(letters) != 2 or len(items) != 2:
            self.fail("the Kronecker delta takes two indices: δ_ij", t.pos)
        return sp.KroneckerDelta(*(self.index_symbol(x, p) for x, p in letters))
