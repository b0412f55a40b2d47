"""Indices and sums in a student answer for `derive.parsing`.

Subscripts (`x_i`, `w_{ji}`, `w[j,i]`, `W_{2,jk}`), Kronecker deltas written as
Iverson brackets (`[i = j]`, `1_{i=j}`), entries of matrix expressions
(`(Ψ - Δ)_{nk}`), and sums: `Σ_k body`, `\\sum_{k=1}^{n} body`, `sum(x_k, k)`,
`sum(t)`. A summation letter is the spec's index when the problem has it, else
a fresh integer symbol; its range is the dimension of the slots it indexes.
A mixin of the parser in `parser.py`.
"""
from __future__ import annotations

from typing import Any

import sympy as sp

from ..problem.spec import Iverson
from .core import CLOSERS, ParserCore
from .lexer import Token
from .names import NameRef
from .values import ONE, Ambi, EntryContext, Mat, Var, entry_of

ARITHMETIC = {"+", "-", "*", "(", ")"}


def _plain(bound: sp.Expr, vocab) -> bool:
    """A bound that is one number or one dimension (not an index, a max/min or a sum of them: a sub-range)."""
    return isinstance(bound, sp.Integer) or (isinstance(bound, sp.Symbol) and bound not in vocab.index_range
                                             and not bound.is_Dummy and bound.name not in vocab.indices)


class IndexRules(ParserCore):
    """Parser methods for indices and sums (mixed into `parser._Parser`)."""

    def iverson(self):
        """`[i = j]`, `[i == j]`: δ_ij; `[k = y_n]` of a class label: Δ_nk (see `notation`)."""
        labelled = self.label_indicator()
        if labelled is not None:
            return labelled
        t0, t1, t2, t3, t4 = (self.peek(k) for k in range(5))
        if not (self.at("[", t0) and self.at("=", t2) and self.at("]", t4)):
            return None
        if not all(t.kind in ("word", "unknown", "sub", "num") for t in (t1, t3)):
            return None
        if not all(self.is_index_word(t) for t in (t1, t3)):
            return None  # [x = 1] of a real x: an indicator, read by the grammar of brackets
        self.i += 5
        a = self.index_symbol(t1.raw, t1.pos)
        b = self.index_symbol(t3.raw, t3.pos)
        return sp.KroneckerDelta(a, b)

    def is_index_word(self, t: Token) -> bool:
        """An index letter of the problem, a summation letter in scope, or an integer."""
        if t.kind == "num":
            return t.text.isdigit()
        if any(letter == t.raw for letter, _ in self.bound):
            return True
        return self.vocab.mode == "problem" and t.raw in self.vocab.indices

    def indicator(self):
        """After 𝟏 or 1: `_{i=j}` or `[i=j]` makes δ_ij."""
        if self.at("["):
            return self.iverson()
        if self.at("_") and self.at("(", self.peek()) and self.at("=", self.peek(3)):
            self.advance()
            items = self.index_items()
            letters = [x for x, _ in items if x != "="]
            if len(items) != 3 or items[1][0] != "=" or len(letters) != 2:
                self.fail("an indicator is written 1_{i=j}")
            return sp.KroneckerDelta(*(self.index_symbol(x, p) for x, p in (items[0], items[2])))
        return None

    # -- indices --------------------------------------------------------------------------
    def index_items(self, opener: Token | None = None) -> list[tuple[Any, int]]:
        """The indices after `_` (or inside an opened bracket): letters, integers and `=`."""
        t = self.tok
        if opener is None and t.kind in ("sub", "word", "unknown", "num"):
            self.advance()
            return self.split_index(t)
        if opener is None:
            if not (self.at("(") and t.raw == "{"):
                self.fail("expected an index after '_'")
            opener = self.advance()
        closer = CLOSERS.get(opener.raw, ")")
        groups: list[list[Token]] = [[]]
        depth = 0
        while depth or not (self.tok.kind == "op" and self.tok.raw == closer):
            t = self.advance()
            if t.kind == "end":
                self.fail(f"missing '{closer}' to close '{opener.raw}' from column {opener.pos}", t.pos)
            if self.at(",", t) and not depth:
                groups.append([])
                continue
            depth += 1 if self.at("(", t) else -1 if self.at(")", t) else 0
            groups[-1].append(t)
        self.advance()
        items: list[tuple[Any, int]] = []
        for group in groups:
            if any(t.kind == "op" and t.text in ARITHMETIC for t in group):
                items.append((self.index_arithmetic(group), group[0].pos))
                continue
            for t in group:
                if t.kind in ("sub", "word", "unknown", "num"):
                    items.extend(self.split_index(t))
                elif self.at("=", t):
                    items.append(("=", t.pos))
                else:
                    self.fail(f"unexpected {self.describe(t)} in indices", t.pos)
        if not items:
            self.fail("empty indices", opener.pos)
        return items

    def index_arithmetic(self, tokens: list[Token]) -> sp.Expr:
        """An affine index such as `i+k-1`, `2i`, `i+2(k-1)`, `j-k+1`: integers and index letters."""
        at = 0

        def peek() -> Token | None:
            return tokens[at] if at < len(tokens) else None

        def expression() -> sp.Expr:
            nonlocal at
            total = term()
            while (t := peek()) is not None and self.at("+", t) or (t is not None and self.at("-", t)):
                at += 1
                total = total + term() if t.text == "+" else total - term()
            return total

        def term() -> sp.Expr:
            nonlocal at
            t = peek()
            if t is not None and self.at("-", t):
                at += 1
                return -term()
            value = factor()
            while (t := peek()) is not None and (self.at("*", t) or t.kind in ("num", "word", "unknown", "sub")
                                                 or self.at("(", t)):
                at += self.at("*", t)
                value = value * factor()
            return value

        def factor() -> sp.Expr:
            nonlocal at
            t = peek()
            if t is None:
                self.fail("an index expression ends too early", tokens[-1].pos)
            at += 1
            if self.at("(", t):
                inner = expression()
                closing = peek()
                if closing is None or not self.at(")", closing):
                    self.fail("missing ')' in an index expression", t.pos)
                at += 1
                return inner
            dims = [e.obj for e in self.vocab.lookup(t.text) if e.kind == "dim"] if t.kind == "word" else []
            if dims:  # w_{K - m + 1}: a dimension in index arithmetic
                return dims[0]
            if t.kind in ("sub", "word", "unknown", "num"):
                return sp.Mul(*[self.index_symbol(x, p) for x, p in self.split_index(t)])
            self.fail(f"unexpected {self.describe(t)} in an index expression", t.pos)

        value = expression()
        if at < len(tokens):
            self.fail(f"unexpected {self.describe(tokens[at])} in an index expression", tokens[at].pos)
        value = sp.expand(value)
        if not value.is_polynomial() or sp.Poly(value, *value.free_symbols).total_degree() > 1 \
                if value.free_symbols else False:
            self.fail("index arithmetic is affine (i + 2k - 1), not a product of indices", tokens[0].pos)
        return value

    def split_index(self, t: Token) -> list[tuple[Any, int]]:
        raw = t.raw if t.kind != "num" else t.text
        out: list[tuple[Any, int]] = []
        k = 0
        while k < len(raw):
            c = raw[k]
            if c.isdigit():
                j = k
                while j < len(raw) and raw[j].isdigit():
                    j += 1
                value = int(raw[k:j]) if j - k <= 6 else None
                if value is None or value > self.limits.max_sum_bound:
                    self.fail("an index number is too large", t.pos + k)
                out.append((value, t.pos + k))
                k = j
            elif c.isalpha() and c.isascii():
                out.append((c, t.pos + k))
                k += 1
            else:
                self.fail(f"'{raw}' is not an index", t.pos)
        return out

    def index_symbol(self, item, pos: int):
        if isinstance(item, sp.Expr):  # already an index expression (i + k − 1)
            return item
        if isinstance(item, int):
            if item < 1:
                self.fail("indices start at 1", pos)
            return sp.Integer(item)
        letter = str(item)
        if len(letter) != 1:
            self.fail(f"'{letter}' is not an index", pos)
        for name, symbol in reversed(self.bound):
            if name == letter:
                return symbol
        if self.vocab.mode == "free":
            return sp.Symbol(letter, integer=True)
        if letter in self.vocab.indices:
            return self.vocab.indices[letter]
        dims = [e.obj for e in self.vocab.lookup(self.vocab.surfaces.get(letter, "")) if e.kind == "dim"]
        if len(dims) == 1:
            return dims[0]  # v_N: the last entry
        self.fail(f"unknown index '{letter}'", pos,
                  self.vocab.index_hint + "; any other index must be bound by a sum (Σ_c)")

    def tensor_entry(self, ref: NameRef):
        if self.at("["):
            opener = self.advance()
            items = self.index_items(opener)
        else:
            self.advance()
            items = self.index_items()
        if any(x == "=" for x, _ in items):
            self.fail("unexpected '=' in indices", ref.token.pos)
        arities = {len(self.vocab.shapes[e.obj]) for e in ref.entries}
        if len(items) == 2 and len(items) not in arities and 1 in arities and isinstance(items[0][0], int) \
                and isinstance(items[1][0], str) and items[1][0] != "=":
            items = [(items[0][0] * self.index_symbol(*items[1]), items[0][1])]  # x_{2i}: one index, 2i
        idx = [self.index_symbol(x, p) for x, p in items]
        bound = {s for _, s in self.bound}
        fitting_arity = [e for e in ref.entries if len(self.vocab.shapes[e.obj]) == len(idx)]
        if not fitting_arity:
            counts = sorted({len(self.vocab.shapes[e.obj]) for e in ref.entries})
            self.fail(f"{ref.token.raw} takes {' or '.join(map(str, counts))} ind"
                      f"{'ex' if counts == [1] else 'ices'}, not {len(idx)}", ref.token.pos)

        def clash(entry):
            for index, dim in zip(idx, self.vocab.shapes[entry.obj]):
                have = self.vocab.index_range.get(index)
                if index not in bound and have is not None and have != dim:
                    return index, have, dim
            return None

        fitting = [e for e in fitting_arity if clash(e) is None]
        if len(fitting) > 1:  # one name for two tensors (w of two layers): a bound index's sum range tells which
            fitting = [e for e in fitting if all(self.bound_range.get(index, dim) == dim for index, dim in
                                                 zip(idx, self.vocab.shapes[e.obj]))] or fitting
        if not fitting:
            index, have, dim = clash(fitting_arity[0])
            message = f"the index {index} runs over 1..{have}, but this index of {ref.token.raw} runs over 1..{dim}"
            self.range_clashes.append((message, ref.token.pos, index, dim, fitting_arity[0].obj))
            fitting = fitting_arity
        if len(fitting) > 1:  # w_ji of two layers in `Σ_j w_ji y_j`: a bound j is still the letter of 1..n_y
            lettered = [e for e in fitting if all(self.vocab.index_range.get(index) in (None, dim)
                                                  for index, dim in zip(idx, self.vocab.shapes[e.obj]))]
            fitting = lettered if len(lettered) == 1 else fitting
        entry = self.choose(ref.token, fitting)
        return entry_of(entry.obj, tuple(idx))

    def subscript(self, value, start: int):
        """`_` after something that is not a tensor name: an indicator 1_{i=j}, or an entry of a matrix."""
        pos = self.tok.pos
        if isinstance(value, Ambi) and value.coeff == ONE:
            delta = self.indicator()
            if delta is not None:
                return delta
        if isinstance(value, Mat):
            self.advance()
            items = self.index_items()
            idx = [self.index_symbol(x, p) for x, p in items if x != "="]
            return self.entry_of(value, idx, pos)
        if isinstance(value, sp.Expr) and self.vocab.mode != "free":  # (∂ log σ_i/∂x_j)_{ij}: the matrix of
            self.advance()                                              # these entries, at its entry (i, j)
            items = self.index_items()
            idx = [self.index_symbol(x, p) for x, p in items if x != "="]
            free = {s for s in value.free_symbols if s in self.vocab.index_range}
            if len(idx) == 1 and set(idx) == free:
                return value
            if len(idx) == 2 and set(idx) == free and set(idx) == set(self.vocab.target_indices):
                # M_{ab} = value: at the target's entry (row, column), value with a, b put there
                row, col = self.vocab.target_indices
                return value.xreplace({idx[0]: row, idx[1]: col})  # one pass: (f_ij)_{ji} is f_ji
            self.fail("a bracket's subscript names the free indices of its entry: (f_ij)_{ij}", pos)
        self.fail("only a vector or matrix takes indices here", pos)

    def entry_of(self, m: Mat, idx: list, pos: int):
        shapes = self.alg.shapes
        dims = [self.vocab.index_range.get(i) for i in idx]
        if len(idx) == 2:
            r, c = idx
            for have, want in ((m.rows, dims[0]), (m.cols, dims[1])):
                if want is not None and not shapes.unify(have, want):
                    self.fail(f"{self.alg.describe(m)} has no entry ({r}, {c})", pos)
        elif len(idx) == 1:
            if shapes.find(m.cols) == ONE or (isinstance(shapes.find(m.cols), Var) and shapes.unify(m.cols, ONE)):
                r, c = idx[0], None
            elif shapes.unify(m.rows, ONE):
                r, c = None, idx[0]
            else:
                self.fail(f"{self.alg.describe(m)} is a matrix: give two indices", pos)
        else:
            self.fail("an entry takes one or two indices", pos)
        used = set(idx) | {s for _, s in self.bound}
        ctx = EntryContext(self.alg, shapes, self.vocab, used, self.letters)
        return self.alg.materialise(ctx, m, r, c)

    # -- sums -------------------------------------------------------------------------------
    def sum_(self):
        t = self.advance()
        if self.at("(") and self.tok.raw == "(":
            return self.sum_call(t)
        letters: list[tuple[str, int]] = []
        low = high = None
        seen = set()
        while (self.at("_") or self.at("^")) and self.tok.text not in seen:
            op = self.advance()
            seen.add(op.text)
            if op.text == "^":
                high = self.bound_value()
                continue
            if self.at("(") and self.tok.raw == "{":
                opener = self.advance()
                while self.tok.kind in ("word", "unknown", "sub") or self.at(","):
                    v = self.advance()
                    if v.kind != "op":
                        letters.extend((c, v.pos + k) for k, c in enumerate(v.raw))
                if self.at("="):
                    self.advance()
                    low = self.bound_expr()
                    if self.at("..") or self.at(","):
                        self.advance()
                        high = self.bound_expr()
                self.expect_close(opener)
            elif self.tok.kind in ("sub", "word", "unknown"):
                v = self.advance()
                letters.extend((c, v.pos + k) for k, c in enumerate(v.raw))
            else:
                self.fail("expected the summation index after '_'")
        if not letters:
            self.fail("a sum needs its index: Σ_k x_k or sum(x_k, k)", t.pos)
        if any(not (c.isascii() and c.isalpha()) for c, _ in letters):
            self.fail("a summation index is a letter", letters[0][1])
        if len(letters) > 1 and (low is not None or high is not None):
            self.fail("give bounds to one summation index at a time", t.pos)
        symbols = [self.bind(c) for c, _ in letters]
        self.bound.extend(zip([c for c, _ in letters], symbols))
        outer = dict(self.bound_range)
        if high is not None and low in (None, 1):
            self.bound_range.update({s: high for s in symbols})
        self.enter()
        try:
            body = self.concrete(self.term())
        finally:
            del self.bound[len(self.bound) - len(symbols):]
            self.bound_range = outer
            self.depth -= 1
        return self.make_sums(body, letters, symbols, low, high, t.pos)

    def sum_call(self, t: Token):
        """`sum(x_k, k)`, `sum(x_k, k, 1, n)`, `sum(x_k, (k, 1, n))`, `sum(t)` (all entries)."""
        opener = self.tok
        commas, depth, k = [], 0, self.i
        while True:
            tk = self.tokens[k]
            if tk.kind == "end":
                self.fail(f"missing ')' to close '(' from column {opener.pos}", tk.pos)
            if tk.kind == "op" and tk.text in ("(", "["):
                depth += 1
            elif tk.kind == "op" and tk.text in (")", "]"):
                depth -= 1
                if depth == 0:
                    break
            elif depth == 1 and self.at(",", tk):
                commas.append(k)
            k += 1
        if not commas:
            args = self.call_args()
            return self.alg.sum_all(args[0], t.pos)
        var = self.tokens[commas[0] + 1]
        if self.at("(", var):
            var = self.tokens[commas[0] + 2]
        if var.kind not in ("word", "unknown", "sub") or len(var.raw) != 1 or not var.raw.isalpha():
            self.fail("the second argument of sum(...) is the summation index: sum(x_k, k)", var.pos)
        symbol = self.bind(var.raw)
        self.advance()
        self.bound.append((var.raw, symbol))
        self.enter()
        try:
            body = self.concrete(self.expr())
        finally:
            self.bound.pop()
            self.depth -= 1
        if self.i != commas[0]:
            self.fail(f"unexpected {self.describe(self.tok)} in sum(...)")
        self.advance()  # the comma
        inner = None
        if self.at("("):
            inner = self.advance()
        self.advance()  # the index letter, checked above
        low = high = None
        if self.at(","):
            self.advance()
            low = self.bound_expr()
            if not self.at(","):
                self.fail("sum(x_k, k, low, high) needs both bounds")
            self.advance()
            high = self.bound_expr()
        if inner is not None:
            self.expect_close(inner)
        self.expect_close(opener)
        return self.make_sums(body, [(var.raw, var.pos)], [symbol], low, high, t.pos)

    def bind(self, letter: str) -> sp.Symbol:
        if self.vocab.mode != "free" and letter in self.vocab.indices:
            return self.vocab.indices[letter]
        return sp.Symbol(letter, integer=True)

    def bound_value(self):
        t = self.tok
        message = (f"a sum bound must be a dimension of the problem or an integer from "
                   f"{-self.limits.max_sum_bound} to {self.limits.max_sum_bound}")
        if self.at("(") and t.raw == "{" or (t.kind == "word" and any(
                e.kind == "bfunc" and e.obj in ("max", "min") for e in self.vocab.lookup(t.text))):
            return self.bound_expression(message)
        sign = 1
        if self.at("-"):
            self.advance()
            sign, t = -1, self.tok
        if t.kind == "num":
            if not t.text.isdigit() or len(t.text) > 6 or int(t.text) > self.limits.max_sum_bound:
                self.fail(message, t.pos)
            self.advance()
            return sp.Integer(sign * int(t.text))
        if t.kind in ("word", "unknown") and sign == 1 and self.is_index_word(t):
            self.advance()
            return self.index_symbol(t.raw, t.pos)  # Σ_{i=1}^{k}: up to another index
        if t.kind == "word" and sign == 1:
            dims = [e.obj for e in self.vocab.lookup(t.text) if e.kind == "dim"]
            if dims:
                self.advance()
                return dims[0]
            if self.vocab.mode == "free" and not self.vocab.lookup(t.text):
                self.advance()
                return self.free_symbol(t, t.raw)
        self.fail(message, t.pos)

    def bound_expr(self) -> sp.Expr:
        """A sum's bound where brackets or a comma end it (`Σ_{i=k}^{...}`, `Σ_{i=k..k+M-1}`, `sum(x_i, i, 1,
        n)`): an integer, or a sum of integers, dimensions and indices (`k + M − 1`, max(1, j − M + 1))."""
        message = (f"a sum bound must be a dimension of the problem or an integer from "
                   f"{-self.limits.max_sum_bound} to {self.limits.max_sum_bound}")
        return self.bound_expression(message, whole=True)

    def bound_expression(self, message: str, whole: bool = False) -> sp.Expr:
        """A bound in braces or a max/min: {N - K + 1}, max(1, j - M + 1): integers, dimensions, indices
        (`whole`: an expression up to the bracket or comma that ends it, not one primary)."""
        t = self.tok
        value = self.alg.scalar(self.concrete(self.expr() if whole else self.primary()), t.pos)
        if not isinstance(value, sp.Expr) or value.is_integer is not True or any(
                not isinstance(a, (sp.Add, sp.Mul, sp.Max, sp.Min, sp.Integer, sp.Symbol))
                for a in sp.preorder_traversal(value)):
            self.fail(message + ", or a max/min of sums of them", t.pos)
        if isinstance(value, sp.Integer) and abs(value) > self.limits.max_sum_bound:
            self.fail(message, t.pos)
        return value

    def make_sums(self, body, letters, symbols, low, high, pos):
        body = self.alg.scalar(body, pos, "the body of a sum")
        for (letter, at), symbol in reversed(list(zip(letters, symbols))):
            body = self.make_sum(body, letter, symbol, low, high, at)
        return body

    def make_sum(self, body, letter: str, symbol, low, high, pos):
        slots = set()
        for entry in body.atoms(sp.Indexed):
            for index, dim in zip(entry.indices, self.vocab.shapes.get(entry.base, ())):
                if index == symbol:
                    slots.add(dim)
        if not slots:
            for delta in body.atoms(sp.KroneckerDelta):
                if symbol in delta.args:
                    other = [a for a in delta.args if a != symbol]
                    if other and other[0] in self.vocab.index_range:
                        slots.add(self.vocab.index_range[other[0]])
        if len(slots) > 1 and high is None:  # with its bounds written, the sum says how far it runs
            self.fail(f"the index {letter} runs over both {' and '.join(sorted(map(str, slots)))}", pos)
        slot = next(iter(slots), None) if len(slots) == 1 else None
        spec_range = self.vocab.index_range.get(symbol)
        if high is None:
            high = slot if slot is not None else spec_range
            if high is None:
                self.fail(f"cannot tell the range of {letter}: write its bounds, Σ_{{{letter}=1..n}}", pos)
        elif slot is not None and high != slot and _plain(high, self.vocab) and not any(
                isinstance(f, Iverson) and {symbol, slot} <= f.condition.free_symbols
                for f in sp.Mul.make_args(body)):  # Σ_{p=1}^{N} [p <= M] g_p: the indicator keeps g in range
            self.fail(f"the sum over {letter} runs to {high}, but {letter} indexes 1..{slot}", pos)
        low = sp.Integer(1) if low is None else low
        if slot is not None and low != 1 and _plain(low, self.vocab):
            self.fail(f"a sum over the index {letter} of a vector starts at 1", pos)
        if spec_range is not None and high != spec_range:
            fresh = sp.Dummy(letter, integer=True)
            body, symbol = body.xreplace({symbol: fresh}), fresh
        return self.alg.checked(sp.Sum(body, (symbol, low, high)), pos)
