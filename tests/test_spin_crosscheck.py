"""Spin and the course's checker agree: the same verdict on every property, the same number of states.

The Promela program is generated from the course's Enactor model (course_lib.promela); Spin runs it in a
temporary directory.  Without Spin (or gcc) this module is skipped with one line; in CI (CI=true) a
missing Spin fails instead.
"""

from __future__ import annotations

import itertools
import os
import tempfile
from dataclasses import replace
from pathlib import Path

import pytest

from course_lib import promela as pm
from course_lib.enactor_model import FIXES, PROPERTIES, enactor_model, initial_state, successors
from course_lib.modelcheck import RECOVERABILITY, check, check_each, explore

MISSING = pm.spin_missing()
if MISSING:
    if os.environ.get("CI") == "true":
        raise RuntimeError(f"CI needs Spin for the cross-check: {MISSING}")
    pytest.skip(f"Spin cross-check skipped: {MISSING}", allow_module_level=True)

FIX_SETS = [(), *((f,) for f in FIXES), FIXES]
SIZES = [(2, 3, 1, 1), (2, 4, 2, 2), (3, 4, 2, 2), (3, 3, 2, 1)]  # Enactors, generations, endpoints, K
SWEEP = [(*size, fixes) for size, fixes in itertools.product(SIZES, FIX_SETS)]


def is_acyclic(edges) -> bool:
    """Return True if the explored graph has no cycle (Kahn's algorithm)."""
    indegree = dict.fromkeys(edges, 0)
    for targets in edges.values():
        for t in targets:
            indegree[t] += 1
    todo = [s for s, d in indegree.items() if d == 0]
    seen = 0
    while todo:
        s = todo.pop()
        seen += 1
        for t in edges[s]:
            indegree[t] -= 1
            if indegree[t] == 0:
                todo.append(t)
    return seen == len(edges)


@pytest.mark.parametrize("config", SWEEP, ids=lambda c: f"{c[0]}E-{c[1]}g-{c[2]}ep-K{c[3]}-{'+'.join(c[4]) or 'none'}")
def test_spin_and_the_course_agree_on_every_verdict_and_the_state_count(config):
    """Each property's verdict is the same in Spin and in check_each, and Spin stores exactly the course's
    reachable states (its recoverability monitor's step returns to the state it left)."""
    n, g, m, k, fixes = config
    spin = pm.verify(n, g, m, k, fixes)
    course = check_each(enactor_model(n, g, m, k, fixes))
    assert spin.holds == {name: r.holds for name, r in course.items()}, spin
    full = course["record never empty"].states
    assert spin.states == full


@pytest.mark.parametrize("config", [(3, 4, 2, 2, ()), (3, 4, 2, 2, FIXES), (2, 4, 2, 1, ("protect_active",))])
def test_without_the_monitor_spin_stores_exactly_the_course_states(config):
    """One d_step per course step and no partial-order reduction: the two state spaces are the same size."""
    n, g, m, k, fixes = config
    spin = pm.verify(n, g, m, k, fixes, properties=pm.SAFETY)
    course = check(replace(enactor_model(n, g, m, k, fixes, properties={}), goal=None))
    assert spin.states == course.states
    reduced = pm.verify(n, g, m, k, fixes, properties=(), reduction=True)
    # every step touches the shared zone, so partial-order reduction finds nothing to merge here
    assert reduced.states == course.states and reduced.reduction


@pytest.mark.parametrize("size", SIZES)
def test_the_course_graph_is_acyclic_so_recoverability_is_about_terminal_states(size):
    """AG EF goal equals "every state without successors is a goal" only on a finite acyclic graph: it is one."""
    for fixes in ((), FIXES):
        _, _, _, _, edges, _ = explore(enactor_model(*size, fixes, properties={}))
        assert is_acyclic(edges)


def test_spin_trail_is_a_shortest_counterexample_of_the_course_model():
    """Spin's breadth-first trail for the empty record replays step by step in the course's readable model."""
    spin = pm.verify(3, 4, 2, 2, (), trail="record never empty")
    course = check_each(enactor_model())["record never empty"]
    assert spin.trail_property == "record never empty"
    assert len(spin.trail) == len(course.actions) == 10
    z = initial_state(3, 2)
    for step in spin.trail:
        nxt = [t for s, t in successors(z, 4, 2, frozenset()) if s == step]
        assert nxt, f"Spin's step {step} is not a step of the course model in {z}"
        z = nxt[0]
    assert not PROPERTIES["record never empty"](z)
    assert {s.kind for s in spin.trail} <= {"publish", "take", "apply", "delete"}


def test_generated_promela_names_the_configuration_and_each_property():
    """The program says which configuration it is and carries one assertion per safety property."""
    text = pm.promela(3, 4, 2, 2, FIXES)
    assert "Enactors=3 generations=4 endpoints=2 K=2 [recheck_at_write+protect_active+freeze_on_inconsistency]" in text
    for marker in pm.MARKERS.values():
        assert marker in text
    assert "proctype Operator" in text and "timeout" in text
    assert "proctype Operator" not in pm.promela(3, 4, 2, 2, ("protect_active",))


def test_bad_configurations_get_clear_messages():
    """Unsupported rules, unknown properties and bad sizes are refused before anything runs."""
    with pytest.raises(pm.UnsupportedModel, match="protect"):
        pm.promela(protect=lambda z, g: True)
    with pytest.raises(ValueError, match="unknown property"):
        pm.promela(properties=("never late",))
    with pytest.raises(ValueError, match="enactors"):
        pm.promela(enactors=9)
    with pytest.raises(ValueError, match="fix"):
        pm.verify(fixes=("retry_harder",))
    with pytest.raises(ValueError, match="trail"):
        pm.verify(properties=pm.SAFETY, trail=RECOVERABILITY)
    with pytest.raises(ValueError, match="max_memory_mb"):
        pm.verify(max_memory_mb=10**9)
    with pytest.raises(TypeError, match="reduction"):
        pm.verify(reduction="yes")


def test_missing_spin_is_named(monkeypatch):
    """Without spin on the PATH, verify says which tool is missing and how to install it."""
    monkeypatch.setattr(pm.shutil, "which", lambda tool: None if tool == "spin" else "/usr/bin/" + tool)
    with pytest.raises(pm.SpinUnavailable, match=r"spin not installed.*apt-get install -y spin"):
        pm.verify(2, 3, 1, 1)


def test_failed_runs_say_why_and_leave_nothing_behind():
    """Out of memory and out of time are named; the temporary directory is gone afterwards."""
    before = set(Path(tempfile.gettempdir()).glob("course-spin-*"))
    with pytest.raises(pm.SpinError, match="ran out of memory"):
        pm.verify(4, 4, 2, 1, (), max_memory_mb=16)
    with pytest.raises(pm.SpinError, match="ran for more than"):
        pm.verify(2, 3, 1, 1, timeout=0.001)
    assert set(Path(tempfile.gettempdir()).glob("course-spin-*")) == before


def test_stored_result_is_what_spin_says_today():
    """The copy Chapter 3 shows without Spin equals a live run, trail included."""
    live, is_live = pm.spin_or_stored()
    assert is_live
    assert live.holds == pm.STORED["holds"] and live.states == pm.STORED["states"]
    assert (live.transitions, live.depth) == (pm.STORED["transitions"], pm.STORED["depth"])
    assert tuple(tuple(s) for s in live.trail) == pm.STORED["trail"]


def test_without_spin_the_stored_copy_is_returned_and_marked(monkeypatch):
    """No Spin: the stored result comes back flagged as not live, with the generated program."""
    monkeypatch.setattr(pm.shutil, "which", lambda tool: None)
    stored, is_live = pm.spin_or_stored()
    assert not is_live and stored.states == 9418 and len(stored.trail) == 10 and "proctype Enactor" in stored.source
    with pytest.raises(pm.SpinUnavailable, match="only the trail"):
        pm.spin_or_stored(trail=RECOVERABILITY)
