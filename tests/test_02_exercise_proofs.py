"""Chapter 2's checks proven both ways: plausible wrong answers are refused with the fault named, and right
answers written differently from the reference are accepted."""

from __future__ import annotations

import math

import numpy as np
import pytest

from course_lib.checks.ch02 import q1, q2, q3, q4, q5
from course_lib.dns import alias_generation, alias_record, tree_generation, tree_name, tree_record
from course_lib.dns_race import apply_as_published, apply_fenced, delete_if_old
from course_lib.exercises import assert_check_failed, assert_check_passed
from course_lib.route53 import Change, ChangeRejected

# --- q1: an index into the trace -------------------------------------------------------------------

Q1_WRONG = [
    (1, "the check itself"),
    (2, "compares with the plan *applied*"),
    (13, "still pointed at plan 1"),  # Enactor 3's own check
    (15, "not the regional one"),
    (16, "still pointed at plan 1"),
    (18, "too late"),
    (22, "used"),
    ("17", "whole number"),
    (17.5, "a whole number such as 17; 17.5 is not one"),
    (math.nan, "a whole number such as 17; nan is not one"),
    (18.0, "too late"),  # a whole float is judged as the index it names
    (True, "whole number"),
    (-1, "is not one of them"),
    (10**6, "is not one of them"),
    (None, "forget `return`"),
]


@pytest.mark.parametrize("answer, fragment", Q1_WRONG)
def test_q1_refuses_wrong_answers_naming_the_fault(answer, fragment):
    """Each plausible wrong index (or type) gets its own explanation."""
    assert_check_failed(q1, answer, fragment)


@pytest.mark.parametrize("answer", [17, np.int64(17), np.int32(17), int("17"), 17.0, np.float64(17.0)])
def test_q1_accepts_the_index_in_any_integer_type(answer):
    """A numpy integer, or a float that is exactly whole (17.0), is as good an index as a Python int."""
    assert_check_passed(q1, answer)


# --- q2: a safe apply --------------------------------------------------------------------------------

def _tree_batch(zone, endpoint, generation, ips):
    return [] if zone.get(tree_name(generation, endpoint)) else [Change("CREATE", tree_record(generation, endpoint, ips))]


def apply_with_ge(zone, endpoint, generation, ips):
    """Wrong: skips only older plans (>= instead of >)."""
    current = zone.get(endpoint, "ALIAS")
    if current is not None and generation < alias_generation(zone, endpoint):
        return False
    return zone.try_change([*_tree_batch(zone, endpoint, generation, ips), Change("UPSERT", alias_record(endpoint, generation))])


def apply_check_then_upsert(zone, endpoint, generation, ips):
    """Wrong: compares, then writes in a separate, unconditional UPSERT."""
    live = alias_generation(zone, endpoint)
    if live is not None and generation <= live:
        return False
    zone.change([*_tree_batch(zone, endpoint, generation, ips), Change("UPSERT", alias_record(endpoint, generation))])
    return True


def apply_fenced_but_always_true(zone, endpoint, generation, ips):
    """Wrong: a conditional batch whose rejection is not reported."""
    current = zone.get(endpoint, "ALIAS")
    if current is not None and generation <= alias_generation(zone, endpoint):
        return False
    zone.try_change([*_tree_batch(zone, endpoint, generation, ips), Change("DELETE", current),
                     Change("CREATE", alias_record(endpoint, generation))])
    return True


def apply_forgets_return_when_skipping(zone, endpoint, generation, ips):
    """Wrong (regression: None used to pass as False): falls off the end instead of returning False."""
    current = zone.get(endpoint, "ALIAS")
    if current is None or generation > alias_generation(zone, endpoint):
        return zone.try_change([*_tree_batch(zone, endpoint, generation, ips), Change("DELETE", current),
                                Change("CREATE", alias_record(endpoint, generation))])


def apply_without_tree(zone, endpoint, generation, ips):
    """Wrong: moves the alias but never creates the plan's tree (the alias points at nothing)."""
    current = zone.get(endpoint, "ALIAS")
    if current is not None and generation <= alias_generation(zone, endpoint):
        return False
    return zone.try_change([Change("DELETE", current), Change("CREATE", alias_record(endpoint, generation))])


def apply_returns_one(zone, endpoint, generation, ips):
    """Wrong type: 1 and 0 instead of True and False."""
    return int(apply_fenced(zone, endpoint, generation, ips))


Q2_WRONG = [
    (apply_as_published, "only at the start"),
    (apply_with_ge, "strictly newer"),
    (apply_check_then_upsert, "checked, then wrote in a separate step"),
    (apply_fenced_but_always_true, "returned True"),
    (apply_forgets_return_when_skipping, "forget `return`"),
    (apply_without_tree, "must point the alias at plan 5's tree"),
    (apply_returns_one, "True or False"),
    (lambda zone, endpoint, generation, ips: False, "must point the alias"),
    (lambda zone, endpoint, generation, ips: 1 / 0, "ZeroDivisionError"),
    (42, "should be a function"),
]


@pytest.mark.parametrize("answer, fragment", Q2_WRONG)
def test_q2_refuses_wrong_answers_naming_the_fault(answer, fragment):
    """Each wrong apply strategy is refused with its fault named."""
    assert_check_failed(q2, answer, fragment)


def apply_delete_then_upsert(zone, endpoint, generation, ips):
    """Right: the exact DELETE is the fence; an UPSERT after it recreates the alias (a tuple batch)."""
    current = zone.get(endpoint, "ALIAS")
    if current is not None and tree_generation(current.values[0]) >= generation:
        return False
    fence = (Change("DELETE", current),) if current is not None else ()
    return zone.try_change((*_tree_batch(zone, endpoint, generation, ips), *fence,
                            Change("UPSERT", alias_record(endpoint, generation))))


def apply_with_change_and_numpy_bool(zone, endpoint, generation, ips):
    """Right: zone.change inside try/except, and a numpy bool as the answer."""
    current = zone.get(endpoint, "ALIAS")
    if current and not generation > alias_generation(zone, endpoint):
        return np.False_
    batch = _tree_batch(zone, endpoint, generation, ips)
    if current:
        batch.append(Change("DELETE", current))
    batch.append(Change("CREATE", alias_record(endpoint, generation)))
    try:
        zone.change(batch)
    except ChangeRejected:
        return np.False_
    return np.True_


@pytest.mark.parametrize("answer", [apply_fenced, apply_delete_then_upsert, apply_with_change_and_numpy_bool])
def test_q2_accepts_right_answers_written_differently(answer):
    """The reference, a DELETE+UPSERT tuple batch and a try/except with numpy bools all pass."""
    assert_check_passed(q2, answer)


# --- q3: a safe clean-up -------------------------------------------------------------------------------

def _active(zone, endpoint, generation):
    name = tree_name(generation, endpoint)
    return any(r.type == "ALIAS" and r.values[0] == name for r in zone.records())


def cleanup_keeps_only_the_newest(zone, endpoint, generation, applied, K):
    """Wrong: protects the plan just applied instead of the plan an alias points at."""
    return applied - generation >= K and generation != applied


def cleanup_or(zone, endpoint, generation, applied, K):
    """Wrong: 'or' where 'and' is meant."""
    return applied - generation >= K or not _active(zone, endpoint, generation)


def cleanup_forgets_return(zone, endpoint, generation, applied, K):
    """Wrong: returns True to delete and nothing otherwise."""
    if applied - generation >= K and not _active(zone, endpoint, generation):
        return True


def cleanup_existing_is_active(zone, endpoint, generation, applied, K):
    """Wrong: treats every stored tree as active, so nothing is ever deleted."""
    return applied - generation >= K and zone.get(tree_name(generation, endpoint)) is None


Q3_WRONG = [
    (delete_if_old, "deleting by age alone"),
    (cleanup_keeps_only_the_newest, "deleting by age alone"),
    (lambda z, e, g, applied, K: applied - g > K, "exactly K=3"),
    (lambda z, e, g, applied, K: applied - g >= K - 1, "only 2 generations older"),
    (lambda z, e, g, applied, K: False, "delete it"),
    (cleanup_or, "only 2 generations older"),
    (cleanup_forgets_return, "forget `return`"),
    (cleanup_existing_is_active, "delete it"),
    (lambda z, e, g, applied, K: "yes", "True or False"),
    ("delete", "should be a function"),
]


@pytest.mark.parametrize("answer, fragment", Q3_WRONG)
def test_q3_refuses_wrong_answers_naming_the_fault(answer, fragment):
    """Each wrong clean-up rule is refused with its fault named."""
    assert_check_failed(q3, answer, fragment)


def cleanup_by_alias_generation(zone, endpoint, generation, applied, K):
    """Right: a tree of this endpoint can only be the target of this endpoint's alias."""
    return applied - generation >= K and alias_generation(zone, endpoint) != generation


def cleanup_loop_numpy(zone, endpoint, generation, applied, K):
    """Right: an explicit loop and a numpy bool."""
    target = tree_name(generation, endpoint)
    for record in zone.records():
        if record.type == "ALIAS" and target in record.values:
            return np.False_
    return np.bool_(applied - generation >= K)


@pytest.mark.parametrize("answer", [cleanup_by_alias_generation, cleanup_loop_numpy])
def test_q3_accepts_right_answers_written_differently(answer):
    """Reading the endpoint's alias generation, or a loop returning numpy bools, both pass."""
    assert_check_passed(q3, answer)


# --- q4: from one run to a year ----------------------------------------------------------------------------

def yearly_without_certain_case(p, n):
    """Wrong (regression: used to say only 'math domain error at line 2'): no case for p_run = 1."""
    return -math.expm1(n * math.log1p(-p))


def yearly_loop_of_products(p_run, runs):
    """Wrong: multiplies 1 - p_run once per run, which rounds tiny p_run away."""
    if p_run >= 1:
        return 1.0
    none = 1.0
    for _ in range(runs):
        none *= 1 - p_run
    return 1 - none


Q4_WRONG = [
    (lambda p, n: p * n, ("not a probability",)),
    (lambda p, n: 1 - (1 - p) ** n, ("loses precision",)),
    (lambda p, n: p, ("p_run itself",)),
    (lambda p, n: (1 - p) ** n, ("probability of NO race",)),
    (lambda p, n: math.exp(n * math.log1p(-p)), ("probability of NO race",)),
    (yearly_without_certain_case, ("p_run=1", "handle p_run >= 1",)),
    (lambda p, n: 100.0 if p >= 1 else -100 * math.expm1(n * math.log1p(-p)), ("percentage",)),
    (lambda p, n: 1.0 if p >= 1 else -math.expm1((n - 1) * math.log1p(-p)), ("off by one",)),
    (lambda p, n: None, ("forget `return`",)),
    (lambda p, n: "1.0", ("should be",)),
    (lambda p, n: math.nan, ("finite number",)),
    (yearly_loop_of_products, ("loses precision",)),
]


@pytest.mark.parametrize("answer, fragments", Q4_WRONG)
def test_q4_refuses_wrong_answers_naming_the_fault(answer, fragments):
    """Each wrong formula is refused with its fault (and, for p = 1, the failing input) named."""
    assert_check_failed(q4, answer, *fragments)


def yearly_numpy(p, n):
    """Right: numpy, the certain case folded in by errstate (log1p(-1) = -inf, expm1(-inf) = -1)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out = -np.expm1(n * np.log1p(-p)) if n else np.float64(0.0)
    return np.float64(1.0) if p >= 1 else out


def yearly_pow_guarded(p, n):
    """Right: exp of a log1p, written as 1 - exp(...): precise enough at these sizes."""
    if p == 1:
        return 1
    return 1.0 - math.exp(n * math.log1p(-p))


def yearly_loop(p_run, runs):
    """Right: one log1p per run, summed in a loop over range(runs) (regression: runs used to arrive as 1e6)."""
    if p_run >= 1:
        return 1.0
    log_none = 0.0
    for _ in range(runs):
        log_none += math.log1p(-p_run)
    return -math.expm1(log_none)


@pytest.mark.parametrize("answer", [yearly_numpy, yearly_pow_guarded, yearly_loop,
                                    lambda p, n: 1.0 if p >= 1 else -math.expm1(n * math.log1p(-p))])
def test_q4_accepts_right_answers_written_differently(answer):
    """numpy scalars, an int 1 for certainty, a loop over range(runs) and another precise form all pass."""
    assert_check_passed(q4, answer)


# --- q5: which single fix guarantees which property ----------------------------------------------------------

ALL = {"recheck_at_write", "protect_active", "freeze_on_inconsistency"}
RIGHT = {"record never empty": ALL, "applied generation never decreases": {"recheck_at_write"},
         "active plan never deleted": ALL}

Q5_WRONG = [
    ({**RIGHT, "applied generation never decreases": {"recheck_at_write", "protect_active"}},
     "protect_active alone does not guarantee"),
    ({**RIGHT, "applied generation never decreases": ALL}, "does not guarantee"),
    ({**RIGHT, "record never empty": {"recheck_at_write"}}, "does guarantee"),
    ({name: set() for name in RIGHT}, "does guarantee"),
    ({"record never empty": ALL}, "missing"),
    ({**RIGHT, "active plan never deleted": {"magic"}}, "not fix names"),
    ({**RIGHT, "record never empty": "recheck_at_write"}, "should be"),
    ([("record never empty", ALL)], "should be"),
    (None, "forget `return`"),
]


@pytest.mark.parametrize("answer, fragment", Q5_WRONG)
def test_q5_refuses_wrong_answers_naming_the_fault(answer, fragment):
    """Claiming too much gets a counterexample; too little the reason; malformed answers the shape."""
    assert_check_failed(q5, answer, fragment)


@pytest.mark.parametrize("answer", [
    RIGHT,
    {name: sorted(fixes) for name, fixes in RIGHT.items()},
    {name: tuple(fixes) for name, fixes in RIGHT.items()},
    {name: frozenset(fixes) for name, fixes in reversed(list(RIGHT.items()))},
])
def test_q5_accepts_sets_lists_tuples_and_frozensets(answer):
    """A list or tuple of fix names means the same as a set."""
    assert_check_passed(q5, answer)
