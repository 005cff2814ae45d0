"""exercises/ is generated from solutions/ and cannot drift; each exercise pairs with one solution and check."""

from __future__ import annotations

import importlib
import json
import re
import sys

import nbformat
import pytest
from conftest import ROOT
from nbclient import NotebookClient

sys.path.insert(0, str(ROOT / "tools"))
import make_exercises

SOLUTIONS = sorted((ROOT / "solutions").glob("[0-9][0-9]_*.ipynb"))


def test_exercises_match_what_solutions_generate(capsys):
    """Regenerating exercises/ from solutions/ changes nothing."""
    assert make_exercises.main(["--check"]) == 0, capsys.readouterr().out


def test_every_solution_has_an_exercise_and_the_reverse():
    """Exactly one exercise notebook per solutions notebook."""
    assert {p.name for p in SOLUTIONS} == {p.name for p in (ROOT / "exercises").glob("[0-9][0-9]_*.ipynb")}


@pytest.mark.parametrize("path", SOLUTIONS, ids=[p.name for p in SOLUTIONS])
def test_each_exercise_has_one_solution_block_and_one_check(path):
    """Every qN imported from the chapter's checks is checked once and its variable is solved in one block."""
    chapter = path.name[:2]
    checks = importlib.import_module(f"course_lib.checks.ch{chapter}")
    cells = ["".join(c["source"]) for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code"]
    text = "\n".join(cells)
    names = sorted(n for n in vars(checks) if re.fullmatch(r"q\d+", n))
    assert len(names) >= 3, f"{path.name}: fewer than 3 exercises"
    for name in names:
        ex = getattr(checks, name)
        assert len(re.findall(rf"\b{name}\.check\(\)", text)) == 1, f"{name}.check() must appear once"
        blocks = [c for c in cells if "### BEGIN SOLUTION" in c and re.search(
            rf"^\s*(def {ex.var}\(|{ex.var}\s*=|class {ex.var}\b)", c, re.M)]
        assert len(blocks) == 1, f"{name}: `{ex.var}` must be solved in exactly one solution cell"


def test_stub_rules():
    """Indented blocks become `raise NotImplementedError`; top-level blocks become `name = ...`."""
    src = "def f(x):\n    ### BEGIN SOLUTION\n    return x\n    ### END SOLUTION\n"
    assert "raise NotImplementedError" in make_exercises.stub_source(src, "t")
    src = "### BEGIN SOLUTION\nanswer = 4\nother: int = 5\n### END SOLUTION\nq.check()"
    assert make_exercises.stub_source(src, "t").splitlines()[:2] == [
        "answer = ...  # YOUR ANSWER HERE", "other = ...  # YOUR ANSWER HERE"]
    with pytest.raises(make_exercises.StubError):
        make_exercises.stub_source("### BEGIN SOLUTION\nprint(1)\n### END SOLUTION\n", "t")
    with pytest.raises(make_exercises.StubError):
        make_exercises.stub_source("### BEGIN SOLUTION\nx = 1\n", "t")


EXERCISE_NBS = sorted((ROOT / "exercises").glob("[0-9][0-9]_*.ipynb"))


@pytest.mark.notebooks
@pytest.mark.parametrize("path", EXERCISE_NBS, ids=[p.name for p in EXERCISE_NBS])
def test_exercise_notebook_runs_on_the_stubs(path):
    """The learner's starting notebook runs without errors and every check says 'not attempted'."""
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    verdicts = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for out in cell.outputs:
            assert out.output_type != "error", f"{out.get('ename')}: {out.get('evalue')}"
            text = out.get("data", {}).get("text/plain", "") if "data" in out else out.get("text", "")
            if re.search(r"q\d+: (correct|incorrect|not attempted)", text):
                verdicts.append(text)
    checks = importlib.import_module(f"course_lib.checks.ch{path.name[:2]}")
    expected = sum(bool(re.fullmatch(r"q\d+", n)) for n in vars(checks))
    assert len(verdicts) == expected, f"{len(verdicts)} verdicts shown for {expected} exercises"
    assert all("not attempted" in v for v in verdicts), "\n".join(verdicts)
