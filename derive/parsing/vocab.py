"""What the names in a student answer mean: a problem's vocabulary, or the free one of `derive equiv`.

`Vocabulary.from_spec(spec, part)` reads a spec's symbol table: every symbol
is reachable by its name, its text and LaTeX display names and its aliases
(`σ`, `sigma`, `\\sigma`, `s`, `softmax(x)`); Greek names and letters are one
spelling (`lambda` = `λ`). The spec wins over the built-in names (elementary
functions, `e`, `pi`, `delta`, `sum`, `diag`, `I`). `Vocabulary.free()` knows
only the built-ins; any other letter is a real symbol.
"""
from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import sympy as sp

from ..problem.spec import D
from .lexer import GREEK, GREEK_NAME, canon, normalize_spelling


def _sigmoid(x):
    return sp.Pow(1 + sp.exp(-x), -1)


def _softplus(x):
    """softplus(x) = log(1 + eˣ), the smooth ReLU."""
    return sp.log(1 + sp.exp(x))


def _silu(x):
    """SiLU (swish with β = 1): x σ(x)."""
    return x * _sigmoid(x)


BUILTIN_FUNCTIONS: dict[str, Callable] = {
    "exp": sp.exp, "log": sp.log, "ln": sp.log, "sqrt": sp.sqrt, "abs": sp.Abs, "sin": sp.sin, "cos": sp.cos,
    "tan": sp.tan, "sec": sp.sec, "csc": sp.csc, "cot": sp.cot, "sinh": sp.sinh, "cosh": sp.cosh,
    "tanh": sp.tanh, "sech": sp.sech, "csch": sp.csch, "coth": sp.coth, "asin": sp.asin, "acos": sp.acos,
    "atan": sp.atan, "acot": sp.acot, "asinh": sp.asinh, "acosh": sp.acosh, "atanh": sp.atanh,
    "arcsin": sp.asin, "arccos": sp.acos, "arctan": sp.atan, "arccot": sp.acot, "arcsinh": sp.asinh,
    "arccosh": sp.acosh, "arctanh": sp.atanh, "sigmoid": _sigmoid, "sign": sp.sign, "sgn": sp.sign,
    "erf": sp.erf, "relu": lambda x: sp.Max(0, x), "max": sp.Max, "min": sp.Min,
    "softplus": _softplus, "silu": _silu, "swish": _silu, "asec": sp.asec, "acsc": sp.acsc, "acoth": sp.acoth,
    "asech": sp.asech, "acsch": sp.acsch,
}
#: f^{-1}(x) of these is their inverse function (\tanh^{-1} x = artanh x), as SymPy and the textbooks read it;
#: any other power of a function is a power of its value (\cosh^{-2}(x) = 1/cosh(x)², \sigma^{1/2}(x))
INVERSE_FUNCTIONS = {"sin": "asin", "cos": "acos", "tan": "atan", "cot": "acot", "sec": "asec", "csc": "acsc",
                     "sinh": "asinh", "cosh": "acosh", "tanh": "atanh", "coth": "acoth", "sech": "asech",
                     "csch": "acsch"}
#: built-ins that take two or more arguments
VARIADIC = frozenset({"max", "min"})
# Entry kinds of the scalar functions a name can apply (spec functions, their derivatives,
# built-ins), in the order a name that is several of them is tried.
SCALAR_FUNCTION_KINDS = ("func", "dfunc", "bfunc")
# Entry kinds of every word that takes an argument (a word built in for them is never split).
#: built-in words read by `notation.NotationRules`, each its own entry kind: a column of ones (`ones`,
#: `ones(N)`), the outer product `outer(a, b)`, `mean(v)` and `mean(x_k, k)`, and `logsumexp`
NOTATION_KINDS = frozenset({"ones", "outer", "mean", "logsumexp"})
ARGUMENT_KINDS = frozenset(SCALAR_FUNCTION_KINDS) | {"sum", "diag", "delta", "hpow", "softmax"} | NOTATION_KINDS
ASSUMPTIONS = {"positive", "negative", "nonnegative", "nonpositive", "nonzero", "integer", "real"}
SYMBOL_NAME = re.compile(r"[A-Za-z][A-Za-z0-9]*(_[A-Za-z0-9]+)?")


@dataclass(frozen=True)
class Entry:
    """One meaning of a name: kind is tensor, scalar, dim, index, func, dfunc (spec) or a built-in kind."""

    kind: str
    obj: Any = None
    label: str = ""


def _builtins(mode: str) -> tuple[dict[str, str], dict[str, tuple[Entry, ...]]]:
    surfaces: dict[str, str] = {}
    entries: dict[str, list[Entry]] = {}

    def add(surface: str, entry: Entry | None) -> None:
        key = canon(surface)
        surfaces[surface] = key
        if entry is not None:
            entries.setdefault(key, []).append(entry)

    for name in BUILTIN_FUNCTIONS:
        add(name, Entry("bfunc", name, name))
    add("e", Entry("const", sp.E, "e"))
    add("E", Entry("const", sp.E, "E"))  # SymPy's own spelling; a spec's E (an error function) wins
    for constant in (sp.EulerGamma, sp.Catalan, sp.GoldenRatio, sp.TribonacciConstant):  # as derive prints them
        add(str(constant), Entry("const", constant, str(constant)))
    for surface in ("pi", "π"):
        add(surface, Entry("const", sp.pi, "π") if surface == "π" else None)
    for surface in ("sum", "Sum"):
        add(surface, Entry("sum", None, "sum"))
    add("δ", Entry("delta", None, "δ"))
    add("KroneckerDelta", Entry("delta", None, "δ"))
    add("diag", Entry("diag", None, "diag"))
    add("HadamardPower", Entry("hpow", None, "HadamardPower"))
    add("softmax", Entry("softmax", None, "softmax"))
    for word in sorted(NOTATION_KINDS):
        add(word, Entry(word, None, word))
    if mode == "free":
        add("ℓ", Entry("greek", "ell", "ℓ"))
    else:
        add("I", Entry("ident", None, "I"))
    for name, char in GREEK.items():
        if name not in ("pi",):
            add(name, None)
            add(char, Entry("greek", GREEK_NAME[char], char) if mode == "free" and char != "π" else None)
    return surfaces, {k: tuple(v) for k, v in entries.items()}


_BUILTINS = {mode: _builtins(mode) for mode in ("free", "problem")}


@dataclass(frozen=True, eq=False)
class Vocabulary:
    """The names an answer may use; build with `from_spec` or `free`, both cached."""

    mode: str  # "problem" | "free"
    surfaces: Mapping[str, str]  # as typed (canonical characters) -> key
    extended: Mapping[str, tuple]  # first character -> ((surface, key, continues), ...), longest first
    entries: Mapping[str, tuple[Entry, ...]]  # key -> meanings, the spec's before the built-ins
    indices: Mapping[str, sp.Symbol] = field(default_factory=dict)  # index letter -> the spec's Symbol
    index_range: Mapping = field(default_factory=dict)  # index Symbol -> dim Symbol
    shapes: Mapping = field(default_factory=dict)  # IndexedBase -> dims; scalar -> ()
    depends: Mapping = field(default_factory=dict)  # tensor -> tensors its definition reads
    inputs: Mapping = field(default_factory=dict)  # defined quantity -> every tensor and scalar it is built from
    prefer: frozenset = frozenset()  # bases of the part (tie-break between equally named tensors)
    row_vectors: frozenset = frozenset()  # vectors the statement calls row vectors (read so on a second try)
    variable: Any = None  # the one scalar a one-variable part differentiates by (σ alone is σ(s) there)
    target_indices: tuple = ()  # the part's free indices, in the order of its target's entry (row, column)
    assume: Mapping[str, Mapping[str, bool]] = field(default_factory=dict)
    bodies: Mapping = field(default_factory=dict)  # a spec function with a body -> its Lambda (for f')
    hint: str = ""
    index_hint: str = ""
    spec_id: str | None = None
    reserved: frozenset = frozenset()  # names of every symbol of the spec (fresh index letters avoid them)
    builtin_words: frozenset = frozenset()
    longest: int = 16  # characters of the longest plain-word surface: bounds the search when splitting `xy`

    def lookup(self, key: str) -> tuple[Entry, ...]:
        return self.entries.get(key, ())

    def is_builtin_word(self, surface: str) -> bool:
        return surface in self.builtin_words

    def indices_of_dim(self, dim) -> list[sp.Symbol]:
        return [s for s, d in self.index_range.items() if d == dim]

    # -- construction ------------------------------------------------------------------
    @classmethod
    def free(cls, assume: Mapping[str, str] | None = None) -> Vocabulary:
        key = tuple(sorted((assume or {}).items()))
        if key not in _FREE_CACHE:
            _FREE_CACHE[key] = _free(assume or {})
        return _FREE_CACHE[key]

    @classmethod
    def from_spec(cls, spec, part=None) -> Vocabulary:
        """The vocabulary of `spec`; `part` (a Part or its id) decides between equally named tensors."""
        part_id = part if isinstance(part, str) or part is None else part.id
        key = (id(spec), part_id)
        hit = _SPEC_CACHE.get(key)
        if hit is not None and hit[0] is spec:
            _SPEC_CACHE.move_to_end(key)
            return hit[1]
        vocab = _from_spec(spec, part_id)
        _SPEC_CACHE[key] = (spec, vocab)
        while len(_SPEC_CACHE) > 64:
            _SPEC_CACHE.popitem(last=False)
        return vocab


_FREE_CACHE: dict = {}
_SPEC_CACHE: OrderedDict = OrderedDict()


def _extended(surfaces: Mapping[str, str], continued: Mapping[str, str]) -> dict[str, tuple]:
    """Surfaces that are not a plain run of letters and digits, by first character, longest first."""
    table: dict[str, list] = {}
    for surface, key in surfaces.items():
        if len(surface) > 1 and not re.fullmatch(r"[A-Za-z]+[0-9]*", surface):
            table.setdefault(surface[0], []).append((surface, key, False))
    for surface, key in continued.items():
        table.setdefault(surface[0], []).append((surface, key, True))
    return {c: tuple(sorted(v, key=lambda t: -len(t[0]))) for c, v in table.items()}


def _builtin_words(surfaces, entries) -> frozenset:
    return frozenset(s for s, k in surfaces.items() if any(e.kind in ARGUMENT_KINDS for e in entries.get(k, ())))


def _free(assume: Mapping[str, str]) -> Vocabulary:
    surfaces, entries = _BUILTINS["free"]
    checked: dict[str, dict[str, bool]] = {}
    for name, words in assume.items():
        name = GREEK_NAME.get(name, name)
        if not SYMBOL_NAME.fullmatch(name):
            raise ValueError(f"cannot assume anything about {name!r}: not a symbol name")
        found = {w for w in re.split(r"[\s,]+", str(words).strip()) if w}
        if not found or not found <= ASSUMPTIONS:
            raise ValueError(f"unknown assumption {words!r}; known: {', '.join(sorted(ASSUMPTIONS))}")
        checked[name] = {w: True for w in found}
        try:
            sp.Symbol(name, real=True, **checked[name])
        except ValueError as exc:  # InconsistentAssumptions: positive and negative
            raise ValueError(f"inconsistent assumptions for {name!r}: {words!r}") from exc
    return Vocabulary("free", surfaces, _extended(surfaces, {}), entries, assume=checked,
                      builtin_words=_builtin_words(surfaces, entries), longest=max(map(len, surfaces)))


def _variants(spelling: str) -> set[str]:
    """A normalised spelling and the ways to type it: braces optional, Greek by name or by letter."""
    out = {spelling, spelling.replace("{", "").replace("}", "")}
    out.add(re.sub(r"([_^])([A-Za-z0-9])(?![A-Za-z0-9])", r"\1{\2}", spelling))
    for s in list(out):
        base, prime = (s[:-1], "'") if s.endswith("'") else (s, "")
        if base in GREEK:
            out.add(GREEK[base] + prime)
        elif base in GREEK_NAME:
            out.add(GREEK_NAME[base] + prime)
    return {s for s in out if s and " " not in s}


def _reachable(spec, expr) -> frozenset:
    seen: set = set()
    stack = [expr]
    while stack:
        for node in sp.preorder_traversal(stack.pop()):
            base = node.base if isinstance(node, sp.Indexed) else node
            if isinstance(base, (sp.IndexedBase, sp.Symbol)) and base not in seen:
                seen.add(base)
                definition = spec.definitions.get(base)
                if definition is not None:
                    stack.append(definition.body)
    return frozenset(seen)


def _from_spec(spec, part_id: str | None) -> Vocabulary:
    builtin_surfaces, builtin_entries = _BUILTINS["problem"]
    dims = set(spec.index_range.values()) | {d for shape in spec.shapes.values() for d in shape}
    derivative_of = {info.derivative: func for func, info in spec.functions.items() if info.derivative}
    surfaces: dict[str, str] = {}
    continued: dict[str, str] = {}
    entries: dict[str, list[Entry]] = {}
    shown: dict[str, list[str]] = {"name": [], "index": [], "dim": []}
    reserved: set[str] = set()
    for key, name in spec.names.items():
        if isinstance(key, sp.IndexedBase):
            kind, label = "tensor", str(key.label)
        elif isinstance(key, sp.Symbol):
            kind = "index" if key in spec.index_range else "dim" if key in dims else "scalar"
            label = key.name
        elif key in spec.functions:
            kind, label = "func", key.__name__
        elif key in derivative_of:
            kind, label = "dfunc", key.__name__
        else:
            continue
        reserved.add(label)
        spellings = [name.text, label, *name.aliases, name.latex]
        if kind == "dfunc":
            parent = spec.names.get(derivative_of[key])
            if parent is not None:
                for s in (parent.text, str(derivative_of[key].__name__), *parent.aliases):
                    plain = normalize_spelling(s)
                    if plain and plain.isalpha():
                        spellings.append("d" + plain)
        entry = Entry(kind, key, name.text)
        typed: list[str] = []
        for spelling in spellings:
            plain = normalize_spelling(spelling)
            if not plain:
                continue
            k = canon(plain)
            if plain not in typed:
                typed.append(plain)
            for surface in _variants(plain):
                surfaces.setdefault(surface, k)
                m = re.fullmatch(r"([A-Za-z]+)(?:_\{?([A-Za-z0-9]+)\}?|([0-9]+))", surface)
                if m:
                    continued.setdefault(f"{m.group(1)}_{{{m.group(2) or m.group(3)}," , k)
            if entry not in entries.setdefault(k, []):
                entries[k].append(entry)
        group = "index" if kind == "index" else "dim" if kind == "dim" else "name"
        others = typed[1:]
        shown[group].append(typed[0] + (f" ({', '.join(others)})" if others and group == "name" else ""))
    for base, label in spec.labels.items():  # Δ_nk = [k = y_n]: the class labels y a one-hot Δ encodes
        plain = normalize_spelling(label)
        if plain:
            surfaces.setdefault(plain, canon(plain))
            entries.setdefault(canon(plain), []).append(Entry("label", base, plain))
    for surface, k in builtin_surfaces.items():
        surfaces.setdefault(surface, k)
    merged = {k: tuple(v) for k, v in entries.items()}
    for k, v in builtin_entries.items():
        merged.setdefault(k, v)
    depends = {}
    for base, definition in spec.definitions.items():
        if isinstance(base, sp.IndexedBase):
            depends[base] = frozenset(e.base for e in definition.body.atoms(sp.Indexed))
    inputs = {quantity: _reachable(spec, definition.body) for quantity, definition in spec.definitions.items()}
    prefer: frozenset = frozenset()
    variable = None
    free: tuple = ()
    if part_id is not None:
        part = spec.part_by_id(part_id)
        free = tuple(part.free)
        prefer = _reachable(spec, part.target)
        wrt = part.target.args[1] if isinstance(part.target, D) else None
        if isinstance(wrt, sp.Symbol) and not part.free:
            variable = wrt
    hint = "known names: " + ", ".join(dict.fromkeys(shown["name"]))
    if shown["dim"]:
        hint += "; dimensions: " + ", ".join(dict.fromkeys(shown["dim"]))
    index_hint = "indices of this problem: " + ", ".join(dict.fromkeys(shown["index"]))
    return Vocabulary(
        "problem", surfaces, _extended(surfaces, continued), merged,
        indices={s.name: s for s in spec.index_range}, index_range=dict(spec.index_range),
        shapes=dict(spec.shapes), depends=depends, inputs=inputs, prefer=prefer, variable=variable,
        target_indices=free,
        row_vectors=frozenset(getattr(spec, "row_vectors", ())),
        hint=hint, index_hint=index_hint,
        spec_id=spec.id, reserved=frozenset(reserved), builtin_words=_builtin_words(surfaces, merged),
        bodies={func: info.body for func, info in spec.functions.items() if info.body is not None},
        longest=max(map(len, surfaces)))
