"""Generate exercises/NN_*.ipynb from solutions/NN_*.ipynb (the single source of truth).

Solution code sits between ``### BEGIN SOLUTION`` and ``### END SOLUTION``.  A block inside a function
body becomes ``raise NotImplementedError``; a top-level block (answers to numeric or "which one"
questions) must hold only assignments, and each becomes ``name = ...``.  Outputs are cleared.

    python tools/make_exercises.py          # write exercises/
    python tools/make_exercises.py --check  # exit 1 if exercises/ differs from what would be written
    python tools/make_exercises.py --only 03  # one chapter
"""

from __future__ import annotations

import argparse
import copy
import json
import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
ASSIGN = re.compile(r"^([A-Za-z_]\w*)\s*(?::[^=]+)?=(?!=)")
BANNER = ("> **Exercise notebook.** Write your answers where you see `...` or `raise NotImplementedError`, "
          "then run the `check()` cell below each one. Stuck? `qN.hint()`, `qN.hint(2)`, `qN.solution()`.\n\n")


class StubError(ValueError):
    """A solution block that cannot be turned into a stub."""


def stub_block(lines: list[str], where: str) -> list[str]:
    """Return the stub lines that replace one solution block."""
    code = [ln for ln in lines if ln.strip() and not ln.strip().startswith("#")]
    if not code:
        raise StubError(f"{where}: empty solution block")
    indent = min(len(ln) - len(ln.lstrip()) for ln in code)
    pad = " " * indent
    if indent:
        return [f"{pad}# YOUR CODE HERE\n", f"{pad}raise NotImplementedError\n"]
    names = [m.group(1) for ln in code if (m := ASSIGN.match(ln))]
    if not names:
        raise StubError(f"{where}: a top-level solution block must assign the answer (name = ...)")
    return [f"{name} = ...  # YOUR ANSWER HERE\n" for name in dict.fromkeys(names)]


def stub_source(source: str, where: str) -> str:
    """Replace every solution block in *source* by its stub."""
    out, block, inside = [], [], False
    for line in source.splitlines(keepends=True):
        if line.strip() == BEGIN:
            if inside:
                raise StubError(f"{where}: nested {BEGIN}")
            inside, block = True, []
        elif line.strip() == END:
            if not inside:
                raise StubError(f"{where}: {END} without {BEGIN}")
            out.extend(stub_block(block, where))
            inside = False
        elif inside:
            block.append(line)
        else:
            out.append(line)
    if inside:
        raise StubError(f"{where}: {BEGIN} without {END}")
    text = "".join(out)
    return text if source.endswith("\n") else text.rstrip("\n")


def exercise_notebook(solution: dict, name: str) -> dict:
    """Return the exercise notebook generated from a solution notebook."""
    nb = copy.deepcopy(solution)
    nb["metadata"].pop("widgets", None)
    for i, cell in enumerate(nb["cells"]):
        src = "".join(cell["source"])
        if cell["cell_type"] == "code":
            src = stub_source(src, f"{name} cell {i}")
            cell["outputs"], cell["execution_count"] = [], None
            cell["metadata"].pop("execution", None)
        elif i == 0:
            src = src.replace(" (solutions)", "")
            src = src.rstrip("\n") + "\n\n" + BANNER.rstrip("\n")
        cell["source"] = src.splitlines(keepends=True)
    return nb


def dumps(nb: dict) -> str:
    """Return the notebook as nbformat writes it (one JSON string per source line), as JupyterLab saves it."""
    return nbformat.writes(nbformat.from_dict(nb)) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="report drift instead of writing")
    parser.add_argument("--only", metavar="NN", help="only the chapter whose notebook starts with NN")
    args = parser.parse_args(argv)
    drift = 0
    for src in sorted((ROOT / "solutions").glob(f"{args.only or '[0-9][0-9]'}_*.ipynb")):
        target = ROOT / "exercises" / src.name
        text = dumps(exercise_notebook(json.loads(src.read_text(encoding="utf-8")), src.name))
        if args.check:
            if not target.exists() or target.read_text(encoding="utf-8") != text:
                print(f"DRIFT: {target.relative_to(ROOT)} is not what solutions/{src.name} generates; "
                      "run `make exercises`")
                drift += 1
        else:
            target.parent.mkdir(exist_ok=True)
            target.write_text(text, encoding="utf-8")
            print(f"wrote {target.relative_to(ROOT)}")
    return 1 if drift else 0


if __name__ == "__main__":
    sys.exit(main())
