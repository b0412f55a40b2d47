"""Speed figures for the derivation engine (prints them; asserts nothing about time).

    .venv/bin/python benchmarks/speed.py

- `derive --help` and `derive list`: wall time, and whether SymPy was imported;
- `derive softmax-jacobian --latex`, cold process, with the on-disk cache warm
  and with --no-cache, against `python -c "import sympy"` measured in the same run;
- deriving every part of every problem in one process, and the slowest part.
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
PY = sys.executable


def wall(args, env=None, repeat=5) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(args, check=True, capture_output=True, env=env, cwd=ROOT)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    cache = tempfile.mkdtemp(prefix="derive-bench-")
    env = {**os.environ, "DERIVE_CACHE_DIR": cache}
    derive = [PY, "-m", "derive.cli"]
    sympy_import = wall([PY, "-c", "import sympy"])
    print(f"python -c 'import sympy'                      {sympy_import * 1000:8.0f} ms (median of 5)")
    for label, args in (("derive --help", ["--help"]), ("derive list", ["list"])):
        t = wall(derive + args, env)
        probe = subprocess.run([PY, "-c", "import sys; from derive.cli import main\n"
                                f"try:\n    main({args!r})\nexcept SystemExit:\n    pass\n"
                                "print('sympy imported' if 'sympy' in sys.modules else 'no sympy')"],
                               capture_output=True, text=True, cwd=ROOT, env=env).stdout.strip().splitlines()[-1]
        print(f"{label:46s}{t * 1000:8.0f} ms ({probe})")
    subprocess.run(derive + ["softmax-jacobian", "--latex"], check=True, capture_output=True, env=env, cwd=ROOT)
    warm = wall(derive + ["softmax-jacobian", "--latex"], env)
    ratio = warm / sympy_import
    print(f"derive softmax-jacobian --latex (cache warm)  {warm * 1000:8.0f} ms = {ratio:.2f}x import sympy")
    cold = wall(derive + ["softmax-jacobian", "--latex", "--no-cache"], env, repeat=3)
    ratio = cold / sympy_import
    print(f"derive softmax-jacobian --latex --no-cache    {cold * 1000:8.0f} ms = {ratio:.2f}x import sympy")
    code = ("import time; t=time.perf_counter()\n"
            "from derive.problem import library; from derive.calculus import derive\n"
            "n, slowest = 0, (0.0, '')\n"
            "for spec in library.all_specs():\n"
            "    for part in spec.parts:\n"
            "        s = time.perf_counter(); derive(spec, part.id); n += 1\n"
            "        slowest = max(slowest, (time.perf_counter() - s, spec.id + '/' + part.id))\n"
            "print(n, time.perf_counter()-t, slowest[0], slowest[1])")
    out = subprocess.run([PY, "-c", code], check=True, capture_output=True, text=True, cwd=ROOT).stdout.split()
    print(f"derive every part of every problem            {float(out[1]) * 1000:8.0f} ms ({out[0]} parts, one process)")
    print(f"  the slowest part                            {float(out[2]) * 1000:8.0f} ms ({out[3]}; "
          f"a part derived first also pays for what later parts reuse)")


if __name__ == "__main__":
    main()
