"""Execute notebooks in place with nbclient and clean them (no widget state, no timing metadata).

    python tools/execute_notebooks.py notebooks/00_the_night.ipynb solutions/00_the_night.ipynb
    python tools/execute_notebooks.py            # every notebook in notebooks/ and solutions/

Authors never hand-edit outputs: run this (``make execute``) and commit the result.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent


def clean(nb) -> None:
    """Drop saved widget state and per-cell execution timestamps."""
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        if cell.cell_type == "code":
            for out in cell.get("outputs", []):
                out.get("metadata", {}).pop("execution", None)


def execute(path: Path) -> float:
    """Execute *path* in place; return the seconds it took."""
    nb = nbformat.read(path, as_version=4)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    start = time.perf_counter()
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    elapsed = time.perf_counter() - start
    clean(nb)
    # nbformat's own layout (one JSON string per source line): what JupyterLab writes on save, so a prose
    # edit is a one-line diff and saving in Lab does not rewrite every cell.
    path.write_text(nbformat.writes(nb) + "\n", encoding="utf-8")
    return elapsed


def main(argv: list[str]) -> int:
    paths = [Path(p) for p in argv] or sorted(
        p for d in ("notebooks", "solutions") for p in (ROOT / d).glob("[0-9][0-9]_*.ipynb"))
    for path in paths:
        print(f"executed {path} in {execute(path):.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
