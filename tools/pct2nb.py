"""Turn a percent-format script (``# %%`` / ``# %% [markdown]`` cells) into a new, unexecuted notebook.

A drafting aid for authors: the committed .ipynb is the source of truth; after the first conversion, edit
the notebook (or convert again from your draft) and run ``make execute``.

    python tools/pct2nb.py draft.py notebooks/NN_topic.ipynb
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat


def convert(text: str):
    """Return a notebook built from percent-format *text*."""
    nb = nbformat.v4.new_notebook()
    cells: list[tuple[str, list[str]]] = []
    for line in text.splitlines():
        if line.startswith("# %%"):
            cells.append(("markdown" if "[markdown]" in line else "code", []))
        elif cells:
            cells[-1][1].append(line)
    for kind, lines in cells:
        while lines and not lines[-1].strip():
            lines.pop()
        while lines and not lines[0].strip():
            lines.pop(0)
        if kind == "markdown":
            body = "\n".join(ln[2:] if ln.startswith("# ") else ln.lstrip("#") for ln in lines)
            nb.cells.append(nbformat.v4.new_markdown_cell(body))
        else:
            nb.cells.append(nbformat.v4.new_code_cell("\n".join(lines)))
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"c{i:03d}"
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    return nb


if __name__ == "__main__":
    src, dst = sys.argv[1:3]
    nbformat.write(convert(Path(src).read_text(encoding="utf-8")), dst)
    print(f"wrote {dst}")
