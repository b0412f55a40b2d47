"""Solutions a teacher reads (issue 12): the computation graph, results cited from other parts, lines that
break well, index letters that do not clash, factors simplified when they appear, and the terminal's text.

Each rule is shown on the catalogue and on problems nobody wrote for it: specs written here and random
networks (tests/networks.py).
"""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import sympy as sp
from click.testing import CliRunner
from sympy import Rational, Sum, exp

from derive.authoring.witness import Witness, close, witness_points
from derive.calculus import derive
from derive.calculus.expand import bases_in
from derive.cli import main
from derive.documents import pdf
from derive.documents.assemble import assemble
from derive.documents.cache import problem_report
from derive.documents.graph import computation_graph, graph_report
from derive.documents.report import part_report
from derive.documents.templating import render
from derive.printing import text
from derive.printing.texbreak import break_lines
from derive.problem import library
from derive.spec import D, Spec

from .conftest import all_parts
from .networks import random_network
from .test_pdf import needs_tex

ROOT = Path(__file__).resolve().parent.parent
NETWORKS = range(8)


def tiny_net() -> Spec:
    """u = W x + c, h = φ(u), s = Σ v h, L = (s − t)²/2 with a softmax head p = softmax(u) beside it: not in
    the catalogue; its parts route through each other (∂L/∂W through ∂L/∂u) and use a layer rule (the
    Jacobian of p, for ∂q/∂W with q = Σ g_i p_i)."""
    spec = Spec(id="tiny-net", title="A tiny net", source="test",
                statement=r"$u = W x + c$, $h = \phi(u)$, $s = \sum_i v_i h_i$, $L = \frac{1}{2}(s - t)^2$; "
                          r"$p = \operatorname{softmax}(u)$ and $q = \sum_i g_i p_i$.")
    n = spec.dim("n")
    d = spec.dim("d")
    i, m, r = spec.indices("i m r", range=n)
    (k,) = spec.indices("k", range=d)
    phi = spec.function("phi", latex=r"\phi", text="φ", aliases=("φ",))
    x = spec.tensor("x", d)
    W = spec.tensor("W", n, d)
    c = spec.tensor("c", n)
    v = spec.tensor("v", n)
    g = spec.tensor("g", n)
    u = spec.tensor("u", n)
    h = spec.tensor("h", n)
    p = spec.tensor("p", n)
    s = spec.scalar("s")
    t = spec.scalar("t")
    L = spec.scalar("L")
    q = spec.scalar("q")
    spec.define(u[i], Sum(W[i, k] * x[k], (k, 1, d)) + c[i])
    spec.define(h[i], phi(u[i]))
    spec.define(s, Sum(v[i] * h[i], (i, 1, n)))
    spec.define(L, Rational(1, 2) * (s - t) ** 2)
    spec.define(p[i], exp(u[i]) / Sum(exp(u[m]), (m, 1, n)))
    spec.define(q, Sum(g[i] * p[i], (i, 1, n)))
    dphi = spec.derivative(phi)
    du = (s - t) * v[i] * dphi(u[i])
    spec.part("du", "Find dL/du.", target=D(L, u[i]), reference=du, free=(i,))
    spec.part("dW", "Find dL/dW.", target=D(L, W[i, k]), reference=du * x[k], free=(i, k))
    spec.part("dv", "Find dL/dv.", target=D(L, v[i]), reference=(s - t) * phi(u[i]), free=(i,))
    spec.part("jacobian", "Find dp_i/du_r.", target=D(p[i], u[r]), reference=p[i] * (sp.KroneckerDelta(i, r) - p[r]),
              free=(i, r))
    spec.part("dqW", "Find dq/dW.", target=D(q, W[r, k]),
              reference=p[r] * (g[r] - Sum(g[m] * p[m], (m, 1, n))) * x[k], free=(r, k))
    return spec


def squared_halves() -> Spec:
    """ℓ = (f − y)²/2 and m = (f − y)³/3 with f = w·x: the power rule's 2 and 3 meet the ½ and ⅓."""
    spec = Spec(id="halves", title="Halves", source="test", statement="")
    n = spec.dim("n")
    (i,) = spec.indices("i", range=n)
    w = spec.tensor("w", n)
    x = spec.tensor("x", n)
    f, y, ell, m = (spec.scalar(name) for name in ("f", "y", "ell", "m"))
    spec.define(f, Sum(w[i] * x[i], (i, 1, n)))
    spec.define(ell, Rational(1, 2) * (f - y) ** 2)
    spec.define(m, Rational(1, 3) * (f - y) ** 3 + Rational(1, 2) * (2 * f - 4 * y) ** 2)
    spec.part("dl", "Find dl/dw.", target=D(ell, w[i]), reference=(f - y) * x[i], free=(i,))
    spec.part("dm", "Find dm/dw.", target=D(m, w[i]), reference=((f - y) ** 2 + 2 * (2 * f - 4 * y)) * x[i],
              free=(i,))
    return spec


def written_specs() -> list[Spec]:
    return [tiny_net(), squared_halves()] + [random_network(seed, max_depth=2).spec for seed in NETWORKS]


def catalogue_specs() -> list[Spec]:
    return [library.load(header.id) for header in library.headers()]


def steps_are_equal(spec: Spec, part_id: str) -> None:
    """The witness's check of every step (what tests/test_derivations.py does for the catalogue)."""
    derivation = derive(spec, part_id)
    for point in witness_points(spec, derivation.part.free, seed=f"{spec.id}/{part_id}", count=2):
        witness = Witness(spec, point)
        previous = witness.value(derivation.target)
        for number, step in enumerate(derivation.steps, 1):
            current = witness.value(step.expr)
            assert close(previous, current), f"{spec.id}/{part_id} step {number} ({step.rule})"
            previous = current


@pytest.mark.parametrize("spec", [tiny_net(), squared_halves()], ids=lambda s: s.id)
def test_the_specs_written_here_derive_step_by_step(spec):
    for part in spec.parts:
        steps_are_equal(spec, part.id)


# -- the computation graph -------------------------------------------------------------------------------
def test_the_graph_of_a_spec_written_here():
    spec = tiny_net()
    graph = computation_graph(spec)
    roles = {node.key: node.role for node in graph.nodes}
    assert roles == {"x": "input", "t": "input", "g": "input", "W": "parameter", "c": "input", "v": "parameter",
                     "u": "intermediate", "h": "intermediate", "s": "intermediate",
                     "p": "intermediate", "L": "loss", "q": "loss"}
    assert set(graph.edges) == {("W", "u"), ("c", "u"), ("x", "u"), ("u", "h"), ("h", "s"), ("v", "s"),
                                ("s", "L"), ("t", "L"), ("u", "p"), ("g", "q"), ("p", "q")}
    depth = {node.key: node.depth for node in graph.nodes}
    assert depth == {"x": 0, "W": 0, "c": 0, "v": 0, "t": 0, "g": 0, "u": 1, "h": 2, "s": 3, "L": 4, "p": 2, "q": 3}
    layer = {node.key: node.layer for node in graph.nodes}
    assert layer["v"] == 2 and layer["t"] == 3 and layer["W"] == 0  # a primitive stands beside its first use


@pytest.mark.parametrize("spec", written_specs() + catalogue_specs(), ids=lambda s: s.id)
def test_every_definition_is_an_arrow_and_arrows_go_forward(spec):
    graph = computation_graph(spec)
    nodes = {node.key: node for node in graph.nodes}
    for base, definition in spec.definitions.items():
        key = str(getattr(base, "label", base))
        sources = {str(getattr(b, "label", b)) for b in bases_in(definition.body, spec)} - {key}
        assert {s for s, t in graph.edges if t == key} == sources, key
        assert nodes[key].depth == 1 + max((nodes[s].depth for s in sources), default=-1)
        assert nodes[key].layer == nodes[key].depth  # layers by depth from the inputs
    for source, target in graph.edges:
        assert nodes[source].layer < nodes[target].layer, (source, target)
    placed = [(n.layer, n.row) for n in graph.nodes]
    assert len(placed) == len(set(placed)), "two nodes in one place"
    sinks = [n for n in graph.nodes if n.sources and not any(s == n.key for s, _ in graph.edges)]
    assert sinks and all(n.role in ("loss", "output") for n in sinks)


def test_the_pictures_arrows_keep_clear_of_the_nodes():
    """An arrow that would run through a node of a column it crosses is routed around the picture."""
    report = graph_report(library.load("two-layer-l2"))
    by_id = {n["id"]: n for n in report["nodes"]}
    for edge in report["edges"]:
        a, b = by_id[edge["from"]], by_id[edge["to"]]
        if edge["controls"]:
            continue
        for n in report["nodes"]:
            if a["layer"] < n["layer"] < b["layer"]:
                height = a["y"] + (b["y"] - a["y"]) * (n["x"] - a["x"]) / (b["x"] - a["x"])
                assert abs(height - n["y"]) > 0.4, (a["key"], b["key"], n["key"])
    routed = {(by_id[e["from"]]["key"], by_id[e["to"]]["key"]) for e in report["edges"] if e["controls"]}
    assert ("W1", "J") in routed


def test_the_backward_pass_is_in_the_graph_and_in_the_terminal():
    report = problem_report("two-layer-l2")
    graph = report["graph"]
    marks = {n["key"]: n["marks"] for n in graph["nodes"] if n["marks"]}
    assert marks == {"Z3": [1], "W2": [2], "b2": [3], "Z2": [4], "W1": [5], "b1": [6]}
    assert graph["backward_text"] == ("∂J/∂Z3 (dZ3) → ∂J/∂W2 (dW2), ∂J/∂b2 (db2) → ∂J/∂Z2 (dZ2) → "
                                      "∂J/∂W1 (dW1), ∂J/∂b1 (db1)")
    out = CliRunner().invoke(main, ["two-layer-l2"]).output
    assert "Computation graph" in out and "A2, W2, b2 → Z3" in out and "Δ, Ψ, W1, W2, λ → J (loss)" in out
    assert "backward pass: ∂J/∂Z3 (dZ3) → ∂J/∂W2 (dW2)" in out
    # a document of some parts numbers those
    single = assemble([{**report, "parts": [p for p in report["parts"] if p["id"] == "dW1"]}])[0]["graph"]
    assert {n["key"]: n["marks"] for n in single["nodes"] if n["marks"]} == {"W1": [1]}


def _pending_depth(expr, spec: Spec, depth: dict) -> int:
    found = [depth[str(getattr(b, "label", b))] for node in expr.atoms(D) for b in bases_in(node.expr, spec)
             if b in spec.definitions]
    return max(found, default=-1)


@pytest.mark.parametrize("spec", written_specs() + catalogue_specs(), ids=lambda s: s.id)
def test_the_steps_go_backward_through_the_graph(spec):
    """Each step differentiates quantities no deeper in the graph than the step before it: from the loss
    towards the inputs. And a part routed through another's gradient (∂J/∂W_1 through ∂J/∂Z_2) uses one
    whose quantity lies nearer the loss."""
    graph = computation_graph(spec)
    depth = {node.key: node.depth for node in graph.nodes}
    layer = {node.key: node.layer for node in graph.nodes}
    for part in spec.parts:
        derivation = derive(spec, part.id)
        pending = [_pending_depth(derivation.target, spec, depth)] + \
            [_pending_depth(s.expr, spec, depth) for s in derivation.steps if s.expr.has(D)]
        assert pending == sorted(pending, reverse=True), (part.id, pending)
        for step in derivation.steps:
            if "chain rule through an intermediate" not in step.rule:
                continue
            for cited in step.cites:
                used = spec.part_by_id(cited.rpartition("/")[2]).target.wrt
                mine = part.target.wrt
                assert layer[str(used.base)] > layer[str(getattr(mine, "base", mine))], (part.id, cited)


def test_every_solution_opens_with_its_graph():
    for header in library.headers():
        report = problem_report(header.id)
        latex = pdf.standalone(report)
        assert latex.count(r"\begin{tikzpicture}") == 1, header.id
        graph = report["graph"]
        arrows = len(re.findall(r"\\draw\[->\]", latex))
        assert arrows == len(graph["edges"]) and graph["edges"], header.id
        assert latex.index(r"\begin{tikzpicture}") < latex.index(r"\begin{align*}")
        out = CliRunner().invoke(main, [header.id]).output
        assert "Computation graph" in out, header.id


def test_tikz_is_there_and_the_setup_installs_it():
    setup = (ROOT / ".ci" / "setup").read_text(encoding="utf-8")
    assert "texlive-pictures" in setup and "tikz.sty" in setup
    if shutil.which("kpsewhich"):
        assert subprocess.run(["kpsewhich", "tikz.sty"], capture_output=True, text=True).stdout.strip()


@needs_tex
def test_the_pdf_draws_a_graph_per_problem(tmp_path):
    source = pdf.document(["two-layer-l2", "weighted-softmax", "tanh-derivative"])
    assert source.count(r"\begin{tikzpicture}") == 3
    compiled = pdf.compile_pdf(source, tmp_path / "s.pdf")
    assert not pdf.overfull_lines(compiled.log)
    got = subprocess.run(["pdftotext", str(compiled.path), "-"], capture_output=True, text=True).stdout
    assert got.count("An arrow for every") == 3


@needs_tex
def test_the_latex_fragment_needs_no_tikz(tmp_path):
    """--latex without --standalone still compiles with amsmath and amssymb alone: the graph as a line."""
    fragment = CliRunner().invoke(main, ["two-layer-l2", "--latex"]).output
    (tmp_path / "body.tex").write_text(fragment, encoding="utf-8")
    (tmp_path / "mine.tex").write_text("\\documentclass{article}\\usepackage{amsmath,amssymb}\\begin{document}"
                                       "\\input{body}\\end{document}\n", encoding="utf-8")
    run = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "mine.tex"], cwd=tmp_path,
                         capture_output=True, text=True, stdin=subprocess.DEVNULL)
    assert run.returncode == 0, run.stdout[-2000:]
    got = subprocess.run(["pdftotext", str(tmp_path / "mine.pdf"), "-"], capture_output=True, text=True).stdout
    assert "Computation graph" in got


# -- results used from another part ----------------------------------------------------------------------
def test_a_step_names_the_result_it_uses():
    report = problem_report("weighted-softmax")
    dW2 = next(p for p in report["parts"] if p["id"] == "dW2")
    cited = [c for s in dW2["steps"] for c in s["cites"]]
    assert [c["id"] for c in cited] == ["weighted-softmax/gradient"]
    assert cited[0]["name_text"] == "∂o/∂a_i"
    out = CliRunner().invoke(main, ["weighted-softmax"]).output
    assert "[derived layer rule; ∂o/∂a_i, from weighted-softmax/gradient]" in out
    assert "Used below" not in out  # the whole problem derives it before
    latex = pdf.standalone(report)
    assert r"derived layer rule; $\partial o/\partial a_{i}$, from weighted-softmax/gradient" in latex


def test_a_result_not_in_the_document_is_stated_once_where_it_is_used():
    out = CliRunner().invoke(main, ["weighted-softmax", "--part", "dW2"]).output
    assert out.count("Used below, as derived in weighted-softmax/gradient: ∂o/∂a_i = σ_i·(a_i + 1 - o)") == 1
    source = pdf.document(["weighted-softmax/dW2", "weighted-softmax/dW1"])
    assert source.count(r"\emph{Used below, as derived in \texttt{weighted-softmax/gradient}:}") == 1
    assert source.index("Used below") < source.index(r"\nabla_{W_1}")  # at the first part that uses it
    whole = pdf.document(["weighted-softmax"])
    assert "Used below" not in whole


def test_results_used_in_a_spec_written_here_are_named():
    spec = tiny_net()
    reports = {part.id: part_report(derive(spec, part.id)) for part in spec.parts}
    assert {c["id"] for s in reports["dW"]["steps"] for c in s["cites"]} == {"tiny-net/du"}
    assert {c["id"] for s in reports["dqW"]["steps"] for c in s["cites"]} == {"tiny-net/jacobian"}
    problem = {"id": "tiny-net", "parts": [reports["dqW"], reports["dW"]]}
    stated = [[c["id"] for c in p["state"]] for p in assemble([problem])[0]["parts"]]
    assert stated == [["tiny-net/jacobian"], ["tiny-net/du"]]
    problem = {"id": "tiny-net", "parts": [reports["du"], reports["dW"]]}
    assert [p["state"] for p in assemble([problem])[0]["parts"]] == [[], []]
    assert reports["dqW"]["cites"][0]["text"] == "∂p_i/∂u_r = p_i·(δ_ir - p_r)"


# -- lines, letters, factors ---------------------------------------------------------------------------
_ENDS_WITH_SUMS = re.compile(r"\\sum_\{[^{}]*\}\^\{[^{}]*\}\s*(\\right\.\s*)*$")


@pytest.mark.parametrize("problem_id,part_id", all_parts())
def test_no_line_ends_with_a_sum_without_its_summand(problem_id, part_id):
    report = problem_report(problem_id)
    part = next(p for p in report["parts"] if p["id"] == part_id)
    for step in part["steps"]:
        for line in step["lines"][:-1]:
            assert not _ENDS_WITH_SUMS.search(line), (step["rule"], line)
            assert not re.search(r"(\+|-|=)\s*\\frac\{1\}\{[^{}]*\}\s*(\\right\.\s*)*$", line), line


def test_a_sign_after_sums_is_no_break():
    long = r"\left(a + " + r" + ".join(f"b_{{{n}}}" for n in range(12)) + \
        r" + \frac{1}{N} \sum_{n=1}^{N} \sum_{k=1}^{K} - \Delta_{nk} \log{\left(\Psi_{nk} \right)}\right)"
    for width in range(20, 80, 3):
        for line in break_lines(long, width)[:-1]:
            assert not _ENDS_WITH_SUMS.search(line), (width, line)
            assert not line.rstrip(r" \right.").endswith(r"\frac{1}{N}"), (width, line)


def _clashing_products(expr) -> list:
    """Products in which two sums (or sums inside two factors) bind the same letter, in the numerator or in
    the denominator."""
    bad = []
    for node in sp.preorder_traversal(expr):
        if not isinstance(node, sp.Mul):
            continue
        for below in (False, True):
            seen: set = set()
            for factor in node.args:
                if bool(factor.is_Pow and factor.exp.is_negative) != below:
                    continue
                letters = {v for s in sp.preorder_traversal(factor) if isinstance(s, sp.Sum) for v, _, _ in s.limits}
                if letters & seen:
                    bad.append(node)
                seen |= letters
    return bad


@pytest.mark.parametrize("spec", written_specs() + catalogue_specs(), ids=lambda s: s.id)
def test_no_product_reuses_a_bound_letter(spec):
    for part in spec.parts:
        for step in derive(spec, part.id).steps:
            assert not _clashing_products(step.expr), (part.id, step.rule, text(step.expr, spec))


def test_the_two_layer_gradient_has_distinct_letters():
    out = CliRunner().invoke(main, ["two-layer-l2", "--part", "dW1"]).output
    assert "Σ_{k=1..K} W2_ik·(Ψ_nk - Δ_nk)·Σ_{k=" not in out
    assert "Σ_{k=1..K} W2_ik·(Ψ_nk - Δ_nk)·Σ_{m=1..d} X_nm" in out


def _shared_number(expr) -> sp.Rational:
    """The number every term of a sum (or of a Σ's summand) carries: 2 in 2a − 2b and in Σ_j 2 f_j (c − d)."""
    if expr.is_Add:
        return expr.primitive()[0]
    if isinstance(expr, sp.Sum):
        return _shared_number(expr.function)
    if isinstance(expr, sp.Mul):
        coeff, factors = expr.as_coeff_mul()
        for factor in factors:
            if factor.is_Add or isinstance(factor, sp.Sum):
                coeff *= _shared_number(factor)
        return coeff
    return sp.S.One


def _products_outside_derivatives(expr):
    if isinstance(expr, D):  # ∂(…)/∂v is what the next step differentiates: left as written
        return
    if isinstance(expr, sp.Mul):
        yield expr
    for arg in expr.args:
        yield from _products_outside_derivatives(arg)


def _uncancelled(expr) -> list:
    """A number times a sum whose terms share a number that cancels with it: (2a − 2b)/2, ½ Σ_j (2a_j − 2b_j)."""
    bad = []
    for node in _products_outside_derivatives(expr):
        coeff, factors = node.as_coeff_mul()
        for factor in factors:
            if (factor.is_Add or isinstance(factor, sp.Sum)) and coeff != 1:
                combined = coeff * _shared_number(factor)
                if abs(combined.p) + combined.q < abs(coeff.p) + coeff.q:
                    bad.append(node)
    return bad


@pytest.mark.parametrize("spec", written_specs() + catalogue_specs(), ids=lambda s: s.id)
def test_a_common_factor_is_cancelled_where_it_appears(spec):
    for part in spec.parts:
        for step in derive(spec, part.id).steps:
            assert not _uncancelled(step.expr), (part.id, step.rule, text(step.expr, spec))


def test_the_weighted_softmax_loses_its_halves_at_once():
    out = CliRunner().invoke(main, ["weighted-softmax"]).output
    assert "2·ŷ - 2·y" not in out
    assert "= ∂(ŷ - y)/∂W2_ij·(ŷ - y)\n      [power rule]" in out
    out = CliRunner().invoke(main, ["rnn-bptt", "--part", "da3"]).output
    assert "= Σ_{j=1..H} ∂(h3_j - y_j)/∂a3_i·(h3_j - y_j)\n      [power rule]" in out
    halves = squared_halves()
    power = next(s for s in derive(halves, "dl").steps if "power rule" in s.rule)
    assert text(power.expr, halves) == "∂(f - y)/∂w_i·(f - y)"


# -- the terminal ------------------------------------------------------------------------------------------
def test_the_terminal_prints_the_statement_and_brackets_exponents():
    out = CliRunner().invoke(main, ["softmax-jacobian"]).output
    assert "Let σ_i(x) = e^(x_i) / Σ_{k=1..n} e^(x_k) be the softmax of x ∈ ℝ^n." in out
    assert "Find ∂σ_i / ∂x_j." in out
    for header in library.headers():
        out = CliRunner().invoke(main, [header.id]).output
        assert not re.search(r"e\^[^\s(]*_", out), header.id  # e^(x_i), never e^x_i
        assert "$" not in out.split("\n== ")[0], header.id  # the statement without LaTeX's dollars


def test_an_exponent_with_a_subscript_is_bracketed():
    spec = tiny_net()
    u = next(b for b in spec.shapes if str(b) == "u")
    z = sp.Symbol("t", real=True)
    assert text(exp(u[1]), spec) == "e^(u_1)" and text(exp(z), spec) == "e^t"
    rendered = render("problem.txt.j2", problem=assemble([{
        "id": spec.id, "title": spec.title, "source": spec.source, "statement_text": "S.",
        "graph": graph_report(spec), "parts": [part_report(derive(spec, "jacobian"))]}])[0])
    assert "e^(u_" in rendered and "e^u_" not in rendered


def test_selecting_parts_does_not_import_sympy():
    """`derive X --part P --json` serves a cached report: choosing its parts (and the graph's backward pass)
    must not load SymPy, as graph.py does."""
    import subprocess
    import sys

    code = "import sys, derive.documents.assemble; sys.exit('sympy' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0
