"""Chapter 3 exercises: every check rejects plausible wrong answers naming the fault, accepts right variants."""

from __future__ import annotations

from collections import deque

import numpy as np
import pytest
from conftest import exercise_namespace

from course_lib.checks.ch03 import q1, q2, q3, q4, q5
from course_lib.exercises import assert_check_failed, assert_check_passed
from course_lib.textbook_models import naive_lock_successors


@pytest.fixture(scope="module")
def solution():
    return exercise_namespace("03", "solution")


# --- q1: record_never_empty(zone) -------------------------------------------------------------------

def test_q1_wrong_answers_are_named():
    """Never firing, one endpoint only, a history flag, always firing, wrong types and crashes: each named."""
    assert_check_failed(q1, lambda z: True, "says True", "deleted")
    assert_check_failed(q1, lambda z: z.alias[0] in z.stored, "ipv6 -> plan 2 (DELETED)")
    assert_check_failed(q1, lambda z: z.alias[-1] in z.stored, "regional -> plan 2 (DELETED)")
    assert_check_failed(q1, lambda z: len(z.stored) > 0, "empty")
    assert_check_failed(q1, lambda z: False, "initial state")
    assert_check_failed(q1, lambda z: "yes", "should be True or False")
    assert_check_failed(q1, lambda z: None, "did you forget `return`")
    assert_check_failed(q1, lambda z: z.records, "AttributeError")
    assert_check_failed(q1, lambda z: not z.deleted_active, "history", "as it is now")
    assert_check_failed(q1, lambda z: not (z.deleted_active or z.regressed), "history")
    assert_check_failed(q1, lambda z: z.alias[0] in z.stored and z.alias[1] in z.stored, "three endpoints")
    assert_check_failed(q1, lambda z: all(g in z.stored for g in z.alias) and not z.frozen, "frozen is not")


def test_q1_right_answers_written_differently_pass(solution):
    """The reference, a loop, a set inclusion and a numpy boolean are all accepted."""
    assert_check_passed(q1, solution["record_never_empty"])

    def loop(zone):
        ok = True
        for g in zone.alias:
            ok = ok and g in zone.stored
        return ok

    assert_check_passed(q1, loop)
    assert_check_passed(q1, lambda z: set(z.alias) <= z.stored)
    assert_check_passed(q1, lambda z: np.all([g in z.stored for g in z.alias]))  # returns np.bool_


# --- q2: can_recover(edges, goals) -------------------------------------------------------------------

def _forward(edges, goals):
    seen, todo = set(goals), list(goals)
    while todo:
        for nxt in edges.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def _one_step(edges, goals):
    return set(goals) | {s for s, targets in edges.items() if any(t in goals for t in targets)}


def _all_successors_good(edges, goals):
    """AG instead of EF: keep a state only if every successor is good (and it has one)."""
    good = set(goals)
    changed = True
    while changed:
        changed = False
        for s, targets in edges.items():
            if s not in good and targets and all(t in good for t in targets):
                good.add(s)
                changed = True
    return good


def _back(edges, goals):
    back = {}
    for src, targets in edges.items():
        for dst in targets:
            back.setdefault(dst, []).append(src)
    return back


def test_q2_wrong_answers_are_named():
    """Only the goals, forwards, one step, AG, everything, goals left out, list or None: each named."""
    assert_check_failed(q2, lambda edges, goals: set(goals), "leaves it out", "not just one step")
    assert_check_failed(q2, _forward, "reachable *from* the goals", "backwards")
    assert_check_failed(q2, _one_step, "leaves it out", "not just one step")
    assert_check_failed(q2, _all_successors_good, "leaves it out")
    assert_check_failed(q2, lambda edges, goals: set(edges), "includes it")
    assert_check_failed(q2, lambda edges, goals: _forward(_back(edges, goals), goals) - set(goals),
                        "leaves out the goal", "itself")
    assert_check_failed(q2, lambda edges, goals: list(goals), "should be a set")
    assert_check_failed(q2, lambda edges, goals: None, "did you forget `return`")


def test_q2_right_answers_written_differently_pass(solution):
    """The reference (a stack), a breadth-first queue, a fixed point and recursion are all accepted."""
    assert_check_passed(q2, solution["can_recover"])

    def bfs(edges, goals):
        back, seen, todo = _back(edges, goals), set(goals), deque(goals)
        while todo:
            for src in back.get(todo.popleft(), []):
                if src not in seen:
                    seen.add(src)
                    todo.append(src)
        return seen

    def fixed_point(edges, goals):
        good = set(goals)
        while True:
            more = {s for s, targets in edges.items() if s not in good and any(t in good for t in targets)}
            if not more:
                return frozenset(good)
            good |= more

    def recursive(edges, goals):
        back, seen = _back(edges, goals), set()

        def visit(s):
            if s not in seen:
                seen.add(s)
                for src in back.get(s, ()):
                    visit(src)

        for g in goals:
            visit(g)
        return seen

    assert_check_passed(q2, bfs)
    assert_check_passed(q2, fixed_point)
    assert_check_passed(q2, recursive)


# --- q3: lock_successors(state) ----------------------------------------------------------------------

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


def _only_p0(state):
    flag, pcs = state
    if pcs[0] == "idle":
        yield ("P0", "want"), (flag, _put(pcs, 0, "test"))
    elif pcs[0] == "test" and flag == 0:
        yield ("P0", "take"), (1, _put(pcs, 0, "critical"))
    elif pcs[0] == "critical":
        yield ("P0", "leave"), (0, _put(pcs, 0, "idle"))


def _bare_states(state):
    for _, nxt in naive_lock_successors(state):
        yield nxt  # forgets the action


def _reference(state):
    flag, pcs = state
    out = []
    for i, pc in enumerate(pcs):
        if pc == "idle":
            out.append(((f"P{i}", "want the lock"), (flag, _put(pcs, i, "test"))))
        elif pc == "test" and flag == 0:
            out.append(((f"P{i}", "test-and-set"), (1, _put(pcs, i, "critical"))))
        elif pc == "critical":
            out.append(((f"P{i}", "release"), (0, _put(pcs, i, "idle"))))
    return out


def test_q3_wrong_answers_are_named():
    """The naive lock, a lock never freed, one process only, nothing, bare states, None, lists: each named."""
    v = assert_check_failed(q3, naive_lock_successors, "mutual exclusion", "set the lock")
    assert ">>" in v.timeline
    assert_check_failed(q3, _no_release, "not live", "P0 waits forever", "the flag is never cleared")
    assert_check_failed(q3, _only_p0, "not live", "P1")
    assert_check_failed(q3, lambda s: [], "not live")
    assert_check_failed(q3, lambda s: [("x", [s])], "pair (action, next_state)")
    assert_check_failed(q3, _bare_states, "pair (action, next_state)")
    assert_check_failed(q3, lambda s: None, "did you forget `return`")
    assert_check_failed(q3, lambda s: 7, "should return or yield")
    assert_check_failed(q3, 42, "function")


def test_q3_stuck_verdict_describes_the_state_its_timeline_ends_in():
    """Regression: the words start from the timeline's last state, then name the step that leaves the flag set."""
    v = assert_check_failed(q3, _no_release, "the timeline ends in the state (flag 1; P0 idle, P1 critical)",
                            "after the further step 'p leave', the state is (flag 1; p0 idle, p1 idle)")
    assert v.timeline.rstrip().splitlines()[-1].startswith(">>")  # the marked last step: the take
    assert "take" in v.timeline.rstrip().splitlines()[-1]
    assert_check_failed(q3, _only_p0, "already in the initial state (flag 0; P0 idle, P1 idle)")


def test_q3_right_answers_written_differently_pass(solution):
    """The reference generator, a list-building version and a table-driven one are all accepted."""
    assert_check_passed(q3, solution["lock_successors"])
    assert_check_passed(q3, _reference)
    moves = {"idle": ("want the lock", "test"), "critical": ("release", "idle")}

    def table(state):
        flag, pcs = state
        for i, pc in enumerate(pcs):
            if pc in moves:
                name, to = moves[pc]
                yield (f"P{i}", name), (0 if pc == "critical" else flag, _put(pcs, i, to))
            elif flag == 0:
                yield (f"P{i}", "test-and-set"), (1, _put(pcs, i, "critical"))

    assert_check_passed(q3, table)


# --- q4: the atomic lock's states with three processes -----------------------------------------------

def test_q4_wrong_answers_are_named():
    """All combinations, the two-process count, the flag as a free bit, off by one, types: each explained."""
    assert_check_failed(q4, 27, "unreachable")
    assert_check_failed(q4, 8, "two-process count")
    assert_check_failed(q4, 54, "flag")
    assert_check_failed(q4, 40, "flag")
    assert_check_failed(q4, 21, "all\nthree".replace("\n", " "))
    assert_check_failed(q4, 26, "two critical at once")
    assert_check_failed(q4, 19, "off by one")
    assert_check_failed(q4, 5, "strike out")
    assert_check_failed(q4, -20, "negative")
    assert_check_failed(q4, "20", "should be a whole number")
    assert_check_failed(q4, 20.0, "20, not 20.0")
    assert_check_failed(q4, None, "did you forget `return`")


@pytest.mark.parametrize("answer", [27.0, 7.5, float("nan"), float("inf"), np.float64(8.0), -3.0, 1e300, 5.0])
def test_q4_float_answers_do_not_give_the_count_away(answer):
    """Regression: a float other than 20.0 is told what is wrong with it, never that the answer is 20."""
    v = assert_check_failed(q4, answer, "answer_q4 is")
    assert "20" not in v.message.replace(repr(answer), "")


def test_q4_float_answers_name_their_own_fault():
    """NaN is not 'a number with a decimal point'; a fraction, a whole float and a wrong whole float differ."""
    nan = assert_check_failed(q4, float("nan"), "not a number")
    assert "decimal point" not in nan.message
    assert_check_failed(q4, 7.5, "a fraction")
    assert_check_failed(q4, 27.0, "(27, not 27.0)", "unreachable")
    assert_check_failed(q4, float("-inf"), "finitely many states")
    assert_check_failed(q4, 1e300, "cannot have that many states")


def test_q4_right_answers_written_differently_pass(solution):
    """20, as a numpy integer, or computed as 27 - 7, is accepted; the chapter never prints it."""
    assert_check_passed(q4, solution["answer_q4"])
    assert_check_passed(q4, np.int64(20))
    assert_check_passed(q4, 3 ** 3 - (3 + 3 + 1))


def test_q4_answer_is_not_printed_in_the_chapter():
    """Regression: the chapter's outputs never show the three-process count."""
    import nbformat

    nb = nbformat.read("notebooks/03_model_checking.ipynb", 4)
    lines = [line for c in nb.cells if c.cell_type == "code" for o in c.outputs
             for line in o.get("text", "").splitlines()]
    assert not any("atomic test-and-set lock" in line and "(20 states" in line for line in lines)
    from course_lib.modelcheck import check
    from course_lib.textbook_models import atomic_lock

    assert check(atomic_lock(3)).states == 20


# --- q5: read the counterexample of a subtly broken fix ----------------------------------------------

def test_q5_wrong_answers_are_named(solution):
    """The old regression, the regional endpoint, a wrong length, a partial set, missing keys, types: each named."""
    right = solution["answer_q5"]
    assert_check_failed(q5, {**right, "broken": {"applied generation never decreases"}}, "not newly broken")
    assert_check_failed(q5, {**right, "endpoint": "regional"}, "still protects the regional plan")
    assert_check_failed(q5, {**right, "steps": 10}, "shortest counterexample")
    assert_check_failed(q5, {**right, "broken": {"record never empty"}}, "recoverability included")
    assert_check_failed(q5, {"steps": 11}, "missing")
    assert_check_failed(q5, {**right, "steps": "11"}, "steps", "whole number", "str")
    assert_check_failed(q5, {**right, "steps": True}, "whole number")
    assert_check_failed(q5, {**right, "endpoint": "ipv4"}, "'regional' and 'ipv6'")
    assert_check_failed(q5, None, "did you forget `return`")


def test_q5_right_answers_written_differently_pass(solution):
    """A list or tuple for the set, a numpy step count, an upper-case endpoint are accepted."""
    right = solution["answer_q5"]
    assert_check_passed(q5, right)
    assert_check_passed(q5, {**right, "broken": sorted(right["broken"])})
    assert_check_passed(q5, {**right, "broken": tuple(right["broken"]), "steps": np.int64(right["steps"])})
    assert_check_passed(q5, {**right, "endpoint": right["endpoint"].upper()})


def test_instructor_notes_state_the_total_time_with_exercises():
    """Regression: the notes said '≈ 65 min' (the sections only); the total with exercises is stated."""
    import nbformat

    nb = nbformat.read("notebooks/03_model_checking.ipynb", 4)
    notes = next(c.source for c in nb.cells if c.source.startswith("## Instructor notes"))
    assert "about 95–105 minutes with exercises" in notes and "≈ 65 min" not in notes
