"""The same `derive steps --json` on any machine, whatever its load (issue 19, item 4).

What decides that a link is `undecided` is counted work (`limits.Budget`, a
link's LINK_WORK units), not the clock: the wall clock is only a safety net,
far above what a link takes. The points a link is judged at are seeded by the
problem, the free indices and the kind of set, so they depend only on the
input. So the JSON of `derive steps` is the same text in two processes with
different hash seeds (a set's order must decide nothing), the second with two
CPU-bound processes competing for the machine: for a table of derivations
(the issue's ReLU file, wrong and unread links, the seeds' index-free links
judged at size one) and for the steps corpus (every part's own derivation
printed as a chain, and one mutant of each part).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .steps_corpus import (
    HEAVY,
    KINDS_PER_PART,
    all_parts,
    chain_latex,
    chosen_kinds,
    derivation_of,
    mutant,
    part_rng,
    sides,
    window,
)

SEEDS = Path(__file__).resolve().parent.parent.parent / "shared" / "seeds"
RELU = ("With $A_2 = \\max(0, Z_2)$ the derivative of the activation is\n\n"
        "$$\\frac{\\partial A_{2,nj}}{\\partial Z_{2,nj}} = [Z_{2,nj} > 0]$$\n\nThen\n\n"
        "$$\\frac{\\partial J}{\\partial W_{1,lj}} = \\sum_n \\sum_k \\frac{\\partial J}{\\partial Z_{3,nk}} "
        "\\frac{\\partial Z_{3,nk}}{\\partial A_{2,nj}} \\frac{\\partial A_{2,nj}}{\\partial Z_{2,nj}} "
        "\\frac{\\partial Z_{2,nj}}{\\partial W_{1,lj}} = \\sum_n \\frac{\\partial J}{\\partial Z_{2,nj}} X_{nl} "
        "= \\sum_n X_{nl} [Z_{2,nj} > 0] \\sum_k \\frac{\\Psi_{nk} - \\Delta_{nk}}{N} W_{2,jk}$$\n")
TABLE = {
    "relu-mlp": ("relu-mlp/dW1", RELU),
    "relu-mlp-wrong": ("relu-mlp/dW1", RELU.replace("\\max(0, Z_2)", "Z_2").replace("\\Psi_{nk} - \\Delta",
                                                                                  "\\Psi_{nk} + \\Delta")),
    "tanh-wrong-then-right": ("tanh-derivative", "d/dx tanh(x) = 1 + tanh(x)^2\n= 1 - tanh(x)^2\n= 2 - tanh(x)^2\n"),
    "unread-and-names": ("softmax-jacobian/jacobian",
                         "Let $g_i = e^{x_i}$.\n\n$$\\frac{\\partial \\sigma_i}{\\partial x_j} = \\frac{\\partial}"
                         "{\\partial x_j} \\frac{g_i}{\\sum_k g_k} = \\sigma_i (\\delta_{ij} - \\sigma_j) = \\foo$$\n"),
    "chain-rule-size-one": ("two-layer-l2/dW2",
                            "% derive: z^3 = Z3, a^3 = Psi, a^2 = A2, w^2 = W2, b^2 = b2\n"
                            "$$\\frac{\\partial J}{\\partial w^2} = \\frac{\\partial J}{\\partial z^3} \\cdot "
                            "\\frac{\\partial z^3}{\\partial w^2} = \\frac{\\partial J}{\\partial a^3} \\cdot "
                            "\\frac{\\partial a^3}{\\partial z^3} \\cdot \\frac{\\partial z^3}{\\partial w^2}$$\n"),
}
#: the seeds' sections (problem/part, first line, last line, a notation header)
SEED_SECTIONS = {
    "seed-001-case-2": ("001", "softmax-ce-two-layer", 28, 60, None),
    "seed-002-jacobian": ("002", "softmax-jacobian", 1, 23, None),
    "seed-004-two-layer": ("004", "two-layer-l2", 42, 66,
                           "% derive: z^3 = Z3, z^2 = Z2, a^3 = Psi, a^2 = A2, a^1 = X, w^2 = W2, w^1 = W1, b^2 = b2, "
                           "b^1 = b1, w^{(2)} = W2, w^{(1)} = W1, \\psi = \\Psi"),
}

_RUN = r"""
import json, sys
from pathlib import Path
from click.testing import CliRunner
from derive.cli import main
cases = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
out = {}
for key, (target, path) in sorted(cases.items()):
    result = CliRunner().invoke(main, ["steps", target, path, "--json"])
    out[key] = [result.exit_code, result.output]
Path(sys.argv[2]).write_text(json.dumps(out), encoding="utf-8")
"""


def _cases(folder: Path) -> dict[str, tuple[str, str]]:
    """Every case's target and the path of its file (written into `folder`)."""
    texts = dict(TABLE)
    from derive.parsing.chains import only_lines

    for key, (seed, problem, first, last, header) in SEED_SECTIONS.items():
        found = list(SEEDS.glob(f"{seed}_*.txt"))
        if found:
            text = only_lines(found[0].read_text(encoding="utf-8"), first, last)
            if header:  # on the first line, blank in the seed: the line numbers stay
                text = header + text[text.index("\n"):]
            texts[key] = (problem, text)
    for problem, part in all_parts():
        derivation = derivation_of(problem, part)
        texts[f"{problem}/{part}"] = (f"{problem}/{part}", chain_latex(derivation.spec, sides(derivation)))
        kind = chosen_kinds(derivation, HEAVY.get(problem, KINDS_PER_PART))[0]
        found = mutant(derivation, kind, part_rng(problem, part, kind))
        if found is not None:
            chain, _ = window(derivation, found)
            texts[f"{problem}/{part}/{kind}"] = (f"{problem}/{part}", chain_latex(derivation.spec, chain))
    cases = {}
    for n, (key, (target, text)) in enumerate(texts.items()):
        path = folder / f"case{n}.md"
        path.write_text(text, encoding="utf-8")
        cases[key] = (target, str(path))
    return cases


def _run(cases_file: Path, out: Path, hash_seed: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "DERIVE_PROBLEMS"}  # the shipped problems only
    env["PYTHONHASHSEED"] = hash_seed
    subprocess.run([sys.executable, "-c", _RUN, str(cases_file), str(out)], env=env, check=True, timeout=900)
    return json.loads(out.read_text(encoding="utf-8"))


def _first_difference(first: dict, second: dict, key: str) -> str:
    """Where two runs' outputs of a case part: the exit codes, or the first line that differs, with its context."""
    (code, text), (other_code, other) = first[key], second[key]
    if code != other_code:
        return f"exit {code} against {other_code}"
    lines, others = text.splitlines(), other.splitlines()
    at = next(n for n, (a, b) in enumerate(zip([*lines, ""], [*others, ""])) if a != b)
    return "\n".join([*lines[max(0, at - 6):at], f"- {lines[at] if at < len(lines) else ''}",
                      f"+ {others[at] if at < len(others) else ''}"])


@pytest.mark.skipif(not SEEDS.is_dir(), reason="the seeds are not beside the repository")
def test_the_json_is_the_same_text_in_another_process_under_load(tmp_path):
    cases = _cases(tmp_path)
    cases_file = tmp_path / "cases.json"
    cases_file.write_text(json.dumps(cases), encoding="utf-8")
    first = _run(cases_file, tmp_path / "first.json", "1")
    burners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(2)]
    try:
        second = _run(cases_file, tmp_path / "second.json", "2")
    finally:
        for burner in burners:
            burner.kill()
            burner.wait()
    assert set(first) == set(cases) and set(second) == set(cases)
    changed = [key for key in cases if first[key] != second[key]]
    assert not changed, (f"{len(changed)} of {len(cases)} differ, e.g. {changed[0]}:\n"
                         f"{_first_difference(first, second, changed[0])}")
    reports = {key: json.loads(output) for key, (code, output) in first.items() if code in (0, 1, 3)}
    assert len(reports) == len(cases)  # every case was judged (none unreadable: exit 2)
    links = [link for report in reports.values() for link in report["links"]]
    assert len(links) > 500 and not any("time limit" in link["message"] for link in links)
    assert {link["verdict"] for link in links} >= {"follows", "follows_if", "does_not_follow", "unread"}
    relu = reports["relu-mlp"]
    assert [link["verdict"] for link in relu["links"]] == ["follows"] * 5 and relu["links"][0]["rule"] == "definition"
