"""Every exercise check, every chapter: the generated stub is 'not attempted' and the solution is correct.

The third way a check is tested — naming the fault of typical wrong answers — lives with each chapter's
mutants in tests/test_NN_exercises.py.
"""

from __future__ import annotations

import importlib
import re

import pytest
from conftest import ROOT, exercise_namespace

from course_lib.exercises import assert_check_passed, assert_check_unattempted

CHAPTERS = sorted(p.name[:2] for p in (ROOT / "solutions").glob("[0-9][0-9]_*.ipynb"))
CASES = [(ch, name) for ch in CHAPTERS
         for name in sorted(n for n in vars(importlib.import_module(f"course_lib.checks.ch{ch}"))
                            if re.fullmatch(r"q\d+", n))]
_NAMESPACES: dict = {}


def _answer(chapter: str, kind: str, var: str):
    if (chapter, kind) not in _NAMESPACES:
        _NAMESPACES[chapter, kind] = exercise_namespace(chapter, kind)
    return _NAMESPACES[chapter, kind][var]


def _exercise(chapter: str, name: str):
    return getattr(importlib.import_module(f"course_lib.checks.ch{chapter}"), name)


@pytest.mark.parametrize(("chapter", "name"), CASES, ids=[f"ch{c}-{n}" for c, n in CASES])
def test_stub_is_not_attempted(chapter, name):
    """The starter the learner gets is judged 'not attempted'."""
    ex = _exercise(chapter, name)
    assert_check_unattempted(ex, _answer(chapter, "stub", ex.var))


@pytest.mark.parametrize(("chapter", "name"), CASES, ids=[f"ch{c}-{n}" for c, n in CASES])
def test_solution_passes(chapter, name):
    """The reference solution in solutions/ is judged correct."""
    ex = _exercise(chapter, name)
    assert_check_passed(ex, _answer(chapter, "solution", ex.var))
