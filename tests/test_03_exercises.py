"""Chapter 3 exercises: each check fails on the stub, passes on the solution and names typical faults."""

from __future__ import annotations

import pytest
from conftest import exercise_namespace

from course_lib.checks.ch03 import q1, q2, q3, q4, q5
from course_lib.exercises import assert_check_failed, assert_check_passed
from course_lib.textbook_models import naive_lock_successors


@pytest.fixture(scope="module")
def solution():
    return exercise_namespace("03", "solution")


# --- mutants: typical wrong answers, each named in the verdict ---

def test_q1_mutants():
    """Invariants that never fire, watch only the regional endpoint, or always fire are each caught."""
    assert_check_failed(q1, lambda z: True, "says True", "deleted")
    assert_check_failed(q1, lambda z: z.alias[0] in z.stored, "ipv6 -> plan 2 (DELETED)")
    assert_check_failed(q1, lambda z: len(z.stored) > 0, "empty")
    assert_check_failed(q1, lambda z: False, "initial state")
    assert_check_failed(q1, lambda z: "yes", "should be True or False")
    assert_check_failed(q1, lambda z: z.records, "AttributeError")


def _forward(edges, goals):
    seen, todo = set(goals), list(goals)
    while todo:
        for nxt in edges.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def test_q2_mutants():
    """Returning only the goals, searching forwards, or returning every state is each caught."""
    assert_check_failed(q2, lambda edges, goals: set(goals), "leaves it out")
    assert_check_failed(q2, _forward, "leaves it out")
    assert_check_failed(q2, lambda edges, goals: set(edges), "includes it")
    assert_check_failed(q2, lambda edges, goals: list(goals), "should be a set")


def _put(t, i, v):
    return (*t[:i], v, *t[i + 1:])


def _no_release(state):
    flag, pcs = state
    for i, pc in enumerate(pcs):
        if pc == "idle":
            yield ("P", "want"), (flag, _put(pcs, i, "test"))
        elif pc == "test" and flag == 0:
            yield ("P", "take"), (1, _put(pcs, i, "critical"))
        elif pc == "critical":
            yield ("P", "leave"), (flag, _put(pcs, i, "idle"))  # forgets to clear the flag


def test_q3_mutants():
    """The naive lock shows its interleaving; a lock that never frees, or a broken model, is named."""
    v = assert_check_failed(q3, naive_lock_successors, "mutual exclusion", "set the lock")
    assert ">>" in v.timeline
    assert_check_failed(q3, _no_release, "not live", "P0 waits forever", "the flag is never cleared")
    assert_check_failed(q3, lambda s: [], "not live")
    assert_check_failed(q3, lambda s: [("x", [s])], "hashable")
    assert_check_failed(q3, 42, "function")


def test_q4_mutants():
    """Counting every pair, or the flag as a free bit, is explained; other numbers get a method."""
    assert_check_failed(q4, 9, "unreachable")
    assert_check_failed(q4, 18, "flag")
    assert_check_failed(q4, 5, "strike out")
    assert_check_failed(q4, "8", "should be a whole number")


def test_q5_mutants(solution):
    """Naming the old regression, the regional endpoint, a wrong length or a partial set is each caught."""
    right = solution["answer_q5"]
    assert_check_failed(q5, {**right, "broken": {"applied generation never decreases"}}, "not newly broken")
    assert_check_failed(q5, {**right, "endpoint": "regional"}, "still protects the regional plan")
    assert_check_failed(q5, {**right, "steps": 10}, "shortest counterexample")
    assert_check_failed(q5, {**right, "broken": {"record never empty"}}, "recoverability included")
    assert_check_failed(q5, {"steps": 11}, "missing")


def test_q5_types_and_endpoint_names(solution):
    """A step count given as a string is named as a type error; an unknown endpoint lists the valid ones."""
    right = solution["answer_q5"]
    assert_check_failed(q5, {**right, "steps": "11"}, "steps", "whole number", "str")
    assert_check_failed(q5, {**right, "steps": True}, "whole number")
    assert_check_failed(q5, {**right, "endpoint": "ipv4"}, "'regional' and 'ipv6'")
    assert_check_passed(q5, {**right, "endpoint": right["endpoint"].upper()})
