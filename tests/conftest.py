"""Shared fixtures: the repository root and the answers defined by a solutions notebook."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib

# Agg for this process only: do not set MPLBACKEND in the environment, or the kernels that nbval and the
# exercise-notebook tests start would inherit it and stop showing inline figures.
matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parent.parent


def _cells(chapter: str) -> list[str]:
    (path,) = sorted((ROOT / "solutions").glob(f"{chapter}_*.ipynb"))
    nb = json.loads(path.read_text(encoding="utf-8"))
    return ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]


def exercise_namespace(chapter: str, kind: str = "solution") -> dict:
    """Run the imports cell and every solution cell of ``solutions/<chapter>_*.ipynb``; return the namespace.

    With ``kind="stub"`` each solution block is first replaced by the stub the learner starts from.
    Lines calling ``.check()`` are dropped so that only the answers are defined.
    """
    import sys

    sys.path.insert(0, str(ROOT / "tools"))
    from make_exercises import stub_source

    cells = _cells(chapter)
    ns: dict = {"__name__": f"solutions_{chapter}"}
    exec(compile(cells[0], f"{chapter}-imports", "exec"), ns)
    for i, src in enumerate(cells[1:], start=1):
        if "### BEGIN SOLUTION" not in src:
            continue
        if kind == "stub":
            src = stub_source(src, f"{chapter} cell {i}")
        src = "\n".join(ln for ln in src.splitlines() if ".check()" not in ln and ".hint(" not in ln)
        exec(compile(src, f"{chapter}-cell-{i}", "exec"), ns)
    return ns


def png_rgba(png_b64: str):
    """Decode a base64 PNG (as an Experiment stores it) to an RGBA integer array."""
    import base64
    import io

    import numpy as np
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(base64.b64decode(png_b64))).convert("RGBA"), dtype=int)


def fresh_draw(exp):
    """Draw an Experiment's current result on a new figure, as its first, full draw would."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=exp.figure.get_size_inches())
    fig.subplots_adjust(**exp.margins)
    exp.draw(fig, exp.result)
    return fig
