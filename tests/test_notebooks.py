"""Committed notebooks: executed, clean, few ignored outputs, and every course_lib name they use exists."""

from __future__ import annotations

import ast
import importlib
import json
import re

import pytest
from conftest import ROOT

CHAPTERS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
SOLUTIONS = sorted((ROOT / "solutions").glob("[0-9][0-9]_*.ipynb"))
EXERCISES = sorted((ROOT / "exercises").glob("[0-9][0-9]_*.ipynb"))
MAX_IGNORED = 2  # "a handful": NBVAL_IGNORE_OUTPUT only where nothing else works


def _code_cells(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    return nb, [c for c in nb["cells"] if c["cell_type"] == "code" and "".join(c["source"]).strip()]


def _ids(paths):
    return [p.name for p in paths]


@pytest.mark.parametrize("path", CHAPTERS + SOLUTIONS, ids=_ids(CHAPTERS + SOLUTIONS))
def test_committed_executed_and_clean(path):
    """Every code cell has run, there is no saved widget state, and no cell stored an error."""
    nb, cells = _code_cells(path)
    assert "widgets" not in nb["metadata"], "saved widget state: run `make execute`"
    unrun = [i for i, c in enumerate(cells) if c["execution_count"] is None]
    assert not unrun, f"unexecuted code cells {unrun}: run `make execute NB={path.relative_to(ROOT)}`"
    errors = [o for c in cells for o in c["outputs"] if o["output_type"] == "error"]
    assert not errors, f"stored error output: {errors[0]['ename']}: {errors[0]['evalue']}"
    ignored = sum("NBVAL_IGNORE_OUTPUT" in "".join(c["source"]) for c in cells)
    assert ignored <= MAX_IGNORED, f"{ignored} cells ignore their output"


@pytest.mark.parametrize("path", EXERCISES, ids=_ids(EXERCISES))
def test_exercise_notebooks_have_no_outputs(path):
    """Exercise notebooks are committed without outputs, for the learner to run."""
    _, cells = _code_cells(path)
    assert all(not c["outputs"] and c["execution_count"] is None for c in cells)


def _course_lib_uses(source: str):
    """Yield (module, attribute) pairs for every course_lib name a cell imports or reads from a module alias."""
    code = "\n".join(ln for ln in source.splitlines() if not ln.lstrip().startswith(("%", "!")))
    tree = ast.parse(code)
    aliases = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("course_lib"):
            for a in node.names:
                yield node.module, a.name
                aliases[a.asname or a.name] = f"{node.module}.{a.name}"
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith("course_lib"):
                    yield a.name, None
                    aliases[a.asname or a.name] = a.name
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases:
            yield aliases[node.value.id], node.attr


ALL_NOTEBOOKS = CHAPTERS + SOLUTIONS


@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=_ids(ALL_NOTEBOOKS))
def test_every_course_lib_name_a_notebook_uses_exists(path):
    """No library/notebook drift: each imported module, name and module attribute exists."""
    _, cells = _code_cells(path)
    for cell in cells:
        for module, name in _course_lib_uses("".join(cell["source"])):
            try:
                mod = importlib.import_module(module)
            except ModuleNotFoundError:
                parent, _, attr = module.rpartition(".")
                mod = importlib.import_module(parent)
                assert hasattr(mod, attr), f"{path.name}: {parent} has no {attr}"
                mod = getattr(mod, attr)
                if not hasattr(mod, "__dict__") or not isinstance(mod, type(importlib)):
                    continue  # an attribute of a class or object: checked by running the notebook
            if name is not None:
                assert hasattr(mod, name) or importlib.util.find_spec(f"{module}.{name}"), (
                    f"{path.name}: {module} has no {name}")


def test_chapter_notebooks_have_the_shared_sections():
    """Each chapter states objectives, cites sources, and ends with key points and instructor notes."""
    for path in CHAPTERS:
        nb = json.loads(path.read_text(encoding="utf-8"))
        text = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
        assert re.search(r"# Chapter \d", text), path.name
        assert re.search(r"\[S\d+[a-h]?\]", text), f"{path.name} cites no source key"
        assert "Key points" in text and "Instructor notes" in text, path.name
