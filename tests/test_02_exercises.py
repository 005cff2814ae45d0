"""Chapter 2 exercises: each check fails on the stub, passes on the solution, and names typical faults."""

from __future__ import annotations

import math

from conftest import exercise_namespace

from course_lib.checks.ch02 import q1, q1_run, q2, q3, q4, q5
from course_lib.dns import alias_generation, alias_record, tree_name, tree_record
from course_lib.dns_race import (
    apply_as_published,
    apply_fenced,
    became_stale_index,
    delete_if_old,
    pes_steps,
    run_published,
)
from course_lib.exercises import assert_check_failed, assert_check_passed
from course_lib.route53 import Change


def test_q1_names_the_check_and_the_overwrite():
    """Pointing at the check itself, a Planner tick, a variant's apply or the overwrite gets a specific explanation."""
    assert_check_passed(q1, 17)
    assert_check_failed(q1, 1, "the check itself")
    assert_check_failed(q1, 2, "compares with the plan *applied*")
    assert_check_failed(q1, 22, "used")
    assert_check_failed(q1, 15, "not the regional one")
    assert_check_failed(q1, 14, "the ipv6 alias (dynamodb.us-east-1.api.aws)")  # the trace's short name first
    assert_check_failed(q1, 16, "still pointed at plan 1")
    assert_check_failed(q1, "17", "whole number")
    assert_check_passed(q1, 17.0)


def test_q1_answer_is_not_the_chapter_worked_example():
    """Exercise 1 asks about another scenario than the chapter's, so the chapter's printed index is wrong there."""
    published = run_published()
    chapter = became_stale_index(published, pes_steps(published)[1])
    race = q1_run()
    assert became_stale_index(race, pes_steps(race)[1]) != chapter
    assert_check_failed(q1, chapter, "too late")


def apply_checks_only_at_start(zone, endpoint, generation, ips):
    """Mutant: trust the run's one-time check and write unconditionally."""
    return apply_as_published(zone, endpoint, generation, ips)


def apply_with_ge(zone, endpoint, generation, ips):
    """Mutant: >= instead of > (re-applies the live plan)."""
    current = zone.get(endpoint, "ALIAS")
    if current is not None and generation < alias_generation(zone, endpoint):
        return False
    batch = [] if zone.get(tree_name(generation, endpoint)) else [Change("CREATE", tree_record(generation, endpoint, ips))]
    return zone.try_change([*batch, Change("UPSERT", alias_record(endpoint, generation))])


def apply_check_then_upsert(zone, endpoint, generation, ips):
    """Mutant: compare with the alias's generation, then write in a separate, unconditional UPSERT."""
    live = alias_generation(zone, endpoint)
    if live is not None and generation <= live:
        return False
    batch = [] if zone.get(tree_name(generation, endpoint)) else [Change("CREATE", tree_record(generation, endpoint, ips))]
    zone.change([*batch, Change("UPSERT", alias_record(endpoint, generation))])
    return True


def apply_fenced_but_always_true(zone, endpoint, generation, ips):
    """Mutant: a conditional batch whose rejection is not reported."""
    current = zone.get(endpoint, "ALIAS")
    if current is not None and generation <= alias_generation(zone, endpoint):
        return False
    batch = [] if zone.get(tree_name(generation, endpoint)) else [Change("CREATE", tree_record(generation, endpoint, ips))]
    zone.try_change([*batch, Change("DELETE", current), Change("CREATE", alias_record(endpoint, generation))])
    return True


def test_q2_catches_a_check_then_write_in_two_steps():
    """A freshness check followed by a separate UPSERT passes the simulator but fails the racing zone."""
    v = assert_check_failed(q2, apply_check_then_upsert, "checked, then wrote in a separate step",
                            "another Enactor moved the alias in between", "from plan 9 to plan 5")
    assert "Enactor 2" in v.timeline and ">>" in v.timeline and "in between" in v.case
    assert_check_failed(q2, apply_fenced_but_always_true, "returned True")
    assert_check_passed(q2, apply_fenced)


def test_q2_names_typical_faults():
    """A start-only check gets the published counterexample timeline; >= and no-ops are named."""
    v = assert_check_failed(q2, apply_checks_only_at_start, "only at the start", "published scenario",
                            "applied generation never decreases")
    assert ">>" in v.timeline and "apply plan 2 -> regional" in v.timeline
    assert_check_failed(q2, apply_with_ge, "strictly newer", "generation <= live")
    assert_check_failed(q2, lambda zone, endpoint, generation, ips: False, "must point the alias")
    assert_check_failed(q2, lambda zone, endpoint, generation, ips: 1 / 0, "ZeroDivisionError")
    assert_check_failed(q2, 42, "should be a function")


def test_q3_names_typical_faults():
    """Deleting by age alone, an off-by-one threshold and never deleting are each named."""
    v = assert_check_failed(q3, delete_if_old, "deleting by age alone", "active plan never deleted")
    assert ">>" in v.timeline
    assert_check_failed(q3, lambda z, e, g, applied, K: applied - g > K, "exactly K=3")
    assert_check_failed(q3, lambda z, e, g, applied, K: False, "delete it")
    assert_check_failed(q3, lambda z, e, g, applied, K: applied - g >= K - 1, "only 2 generations older")


def test_q4_names_typical_faults():
    """The linear sum and the imprecise complement are named."""
    assert_check_failed(q4, lambda p, n: p * n, "not a probability")
    assert_check_failed(q4, lambda p, n: 1 - (1 - p) ** n, "loses precision")
    assert_check_failed(q4, lambda p, n: p, "expected")
    assert_check_failed(q4, lambda p, n: (1 - p) ** n, "probability of NO race")
    assert_check_failed(q4, lambda p, n: math.exp(n * math.log1p(-p)), "probability of NO race")
    assert_check_passed(q4, lambda p, n: 1.0 if p >= 1 else -math.expm1(n * math.log1p(-p)))


def test_q5_names_typical_faults():
    """Claiming too much gets a counterexample timeline; claiming too little gets the reason."""
    ns = exercise_namespace("02", "solution")
    right = ns["answer_q5"]
    wrong = {**right, "applied generation never decreases": {"recheck_at_write", "protect_active"}}
    v = assert_check_failed(q5, wrong, "protect_active alone does not guarantee")
    assert ">>" in v.timeline
    assert_check_failed(q5, {**right, "record never empty": {"recheck_at_write"}}, "does guarantee")
    assert_check_failed(q5, {"record never empty": set()}, "missing")
    assert_check_failed(q5, {**right, "active plan never deleted": {"magic"}}, "not fix names")
