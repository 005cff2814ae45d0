"""Run every benchmarks/bench_*.py and print its lines; then time the notebook part of the test command.

    python benchmarks/run_all.py            # everything
    python benchmarks/run_all.py --no-notebooks
Ratios (e.g. against SimPy) are measured in the same run, so machine noise cancels out.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def _load(path: Path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def notebook_time() -> str:
    """Time the strict nbval run over notebooks/ and solutions/, as the test command runs it."""
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "notebooks", "solutions", "--nbval",
           "--nbval-current-env", "--nbval-sanitize-with", "tests/nbval_sanitize.cfg"]
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}  # kernels must use the inline backend
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - start
    tail = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr[-200:]
    return f"notebooks (strict nbval, notebooks/ + solutions/): {elapsed:.1f} s wall — {tail}"


def main(argv: list[str]) -> int:
    sys.path.insert(0, str(HERE))
    from common import png_baseline

    print(png_baseline(), flush=True)
    for path in sorted(HERE.glob("bench_*.py")):
        if path.stem == "bench_08_browser" and "--browser" not in argv:
            continue
        start = time.perf_counter()
        for line in _load(path).run():
            print(line, flush=True)
        print(f"  ({path.name} took {time.perf_counter() - start:.1f} s)", flush=True)
    if "--no-notebooks" not in argv:
        print(notebook_time())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
