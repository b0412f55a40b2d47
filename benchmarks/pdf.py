"""Time to build the full solutions PDF and the problem sheet (prints figures; asserts nothing).

    .venv/bin/python benchmarks/pdf.py

Each figure is a whole `derive pdf` process: with the derivation cache warm
(what a teacher sees after the first build), and cold (every problem derived
again first). The TeX engine's share is printed beside it.
"""
from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def wall(args, env, repeat) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(args, check=True, capture_output=True, env=env, cwd=ROOT)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    from derive.documents.pdf import tex_engine

    engine = tex_engine()
    if engine is None:
        sys.exit("no TeX engine: install texlive-latex-base texlive-latex-recommended texlive-pictures latexmk")
    out = Path(tempfile.mkdtemp(prefix="derive-bench-pdf-"))
    derive = [sys.executable, "-m", "derive.cli", "pdf"]
    cold_cache = {**os.environ, "DERIVE_CACHE_DIR": str(out / "cold")}
    cold = wall(derive + ["-o", str(out / "s.pdf")], cold_cache, repeat=1)
    warm = wall(derive + ["-o", str(out / "s.pdf")], cold_cache, repeat=3)
    sheet = wall(derive + ["--no-solutions", "-o", str(out / "p.pdf")], cold_cache, repeat=3)
    tex_only = wall(derive + ["--tex", "-o", str(out / "s.tex")], cold_cache, repeat=3)
    pages = subprocess.run(["pdfinfo", str(out / "s.pdf")], capture_output=True, text=True).stdout
    pages = next((line.split()[-1] for line in pages.splitlines() if line.startswith("Pages")), "?")
    print(f"TeX engine: {engine[0]}")
    print(f"derive pdf (all problems, {pages} pages), cache cold  {cold:6.2f} s")
    print(f"derive pdf (all problems), cache warm             {warm:6.2f} s (median of 3)")
    print(f"  of which writing the LaTeX (derive pdf --tex)   {tex_only:6.2f} s; TeX ≈ {warm - tex_only:.2f} s")
    print(f"derive pdf --no-solutions, cache warm              {sheet:6.2f} s (median of 3)")


if __name__ == "__main__":
    main()
