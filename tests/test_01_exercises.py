"""Chapter 1 exercises: each check fails on the stub, passes on the solution and names the fault of mutants."""

from __future__ import annotations

import random

import numpy as np
import pytest

from course_lib.checks.ch01 import q1, q2, q3, q4, q5, q6, q7
from course_lib.exercises import assert_check_failed, assert_check_passed
from course_lib.occ import cas, read, write
from course_lib.r53lock import lock_value, parse_lock
from course_lib.route53 import Change, Record

LOCK = "_enactor-lock.dynamodb.us-east-1"


# --- q1 mutants ---

def blind(key):
    value, _ = yield read(key)
    yield write(key, value + 1)


def no_retry(key):
    value, version = yield read(key)
    yield cas(key, version, value + 1)


def stale_retry(key):
    value, version = yield read(key)
    while not (yield cas(key, version, value + 1)):
        pass


def not_a_generator(key):
    return read(key)


def test_q1_blind_write_loses_update():
    """A read-then-write without CAS is caught as a lost update, with a timeline marking the bad write."""
    v = assert_check_failed(q1, blind, "lost update", ">>")
    assert "read x=0" in v.timeline


def test_q1_no_retry_gives_up():
    """A single CAS without a retry is caught as a client that gave up."""
    assert_check_failed(q1, no_retry, "gave up")


def test_q1_retry_without_reread_never_finishes():
    """Retrying the CAS with the old version is caught as a client that never finishes, on a short timeline."""
    v = assert_check_failed(q1, stale_retry, "never finished", "read again")
    rows = [ln for ln in v.timeline.splitlines() if "|" in ln and "time" not in ln]
    assert len(rows) <= 12, f"timeline has {len(rows)} rows; show only the rows around the failure"
    assert any(ln.startswith(">>") and "cas fail" in ln for ln in rows)
    assert "later steps not shown" in v.timeline


def test_q1_plain_function_is_explained():
    """A function that returns instead of yielding gets a plain-words verdict."""
    assert_check_failed(q1, not_a_generator, "generator function")


def stale_value(key):
    value, version = yield read(key)
    while not (yield cas(key, version, value + 1)):
        _, version = yield read(key)  # refreshes the version, keeps the first value


def never_returns(key):
    while True:
        value, version = yield read(key)
        yield cas(key, version, value + 1)  # ignores the answer and goes round again


def inverted_test(key):
    while True:
        value, version = yield read(key)
        ok = yield cas(key, version, value + 1)
        if not ok:
            return


def version_plus_one(key):
    while True:
        value, version = yield read(key)
        if (yield cas(key, version + 1, value + 1)):
            return


def writes_same_value(key):
    while True:
        value, version = yield read(key)
        if (yield cas(key, version, value)):
            return


def falls_back_to_blind_write(key):
    value, version = yield read(key)
    if not (yield cas(key, version, value + 1)):
        value, _ = yield read(key)
        yield write(key, value + 1)
        value, _ = yield read(key)


def test_q1_stale_value_is_named():
    """A retry that re-reads the version but keeps the first value is told it writes a stale value."""
    v = assert_check_failed(q1, stale_value, "kept the value from its first read", "stale value")
    assert "gave up" not in v.message and "already failed" not in v.message


def test_q1_never_returning_after_success_is_named():
    """A loop that ignores the cas answer is told it committed a second increment, not that it used a stale version."""
    v = assert_check_failed(q1, never_returns, "second increment", "return as soon as a cas succeeds")
    assert "already failed" not in v.message
    assert ">>" in v.timeline


def test_q1_inverted_condition_is_named():
    """Returning on failure instead of success is caught (it keeps going after a success)."""
    assert_check_failed(q1, inverted_test, "second increment")


def test_q1_wrong_version_is_named():
    """Passing version + 1 is told the cas failed although nobody wrote, naming both versions."""
    assert_check_failed(q1, version_plus_one, "nobody wrote since its read", "version 1", "version 0")


def test_q1_not_an_increment_is_named():
    """Writing the value read (not + 1) is named as not an increment."""
    assert_check_failed(q1, writes_same_value, "plus one")


def test_q1_blind_fallback_is_a_lost_update():
    """Falling back to a plain write after a failed cas loses updates under some schedule."""
    assert_check_failed(q1, falls_back_to_blind_write, "lost update")


def loop_until(key):
    value, version = yield read(key)
    while not (yield cas(key, version, value + 1)):
        value, version = yield read(key)


def recursive(key):
    value, version = yield read(key)
    if not (yield cas(key, version, value + 1)):
        yield from recursive(key)


def counted(key):
    import itertools
    for _attempt in itertools.count():
        snapshot = yield read(key)
        if (yield cas(key, snapshot[1], snapshot[0] + 1)):
            break


@pytest.mark.parametrize("answer", [loop_until, recursive, counted])
def test_q1_right_variants_pass(answer):
    """A while-not loop, a recursive retry and a counted for-loop with tuple indexing are all accepted."""
    assert_check_passed(q1, answer)


# --- q2 mutants ---

def no_jitter(attempt, previous, base, cap, rng):
    return min(cap, base * 2.0 ** attempt)


def no_cap(attempt, previous, base, cap, rng):
    return rng.uniform(0, base * 2.0 ** attempt)


def no_growth(attempt, previous, base, cap, rng):
    return rng.uniform(0, base)


def equal(attempt, previous, base, cap, rng):
    temp = min(cap, base * 2.0 ** attempt)
    return temp / 2 + rng.uniform(0, temp / 2)


def test_q2_no_jitter():
    """Exponential backoff without jitter is named as such."""
    assert_check_failed(q2, no_jitter, "without jitter")


def test_q2_no_cap():
    """Forgetting the cap is named."""
    assert_check_failed(q2, no_cap, "forget the cap")


def test_q2_no_growth():
    """A jitter that does not grow with the attempt is caught by its mean."""
    assert_check_failed(q2, no_growth, "average")


def test_q2_equal_jitter_is_not_full_jitter():
    """Equal jitter is rejected: its sleeps average three quarters of the ceiling."""
    assert_check_failed(q2, equal, "average")


def python_random(attempt, previous, base, cap, rng):
    return random.uniform(0, min(cap, base * 2 ** attempt))


def global_numpy(attempt, previous, base, cap, rng):
    return np.random.uniform(0, min(cap, base * 2 ** attempt))


def fresh_seeded_generator(attempt, previous, base, cap, rng):
    return np.random.default_rng(0).uniform(0, min(cap, base * 2 ** attempt))


def one_attempt_ahead(attempt, previous, base, cap, rng):
    return rng.uniform(0, min(cap, base * 2 ** (attempt + 1)))


def whole_milliseconds(attempt, previous, base, cap, rng):
    return int(rng.integers(0, int(min(cap, base * 2 ** attempt))))


def test_q2_python_random_ignores_rng():
    """Python's random module ignores the rng argument and is named as such."""
    assert_check_failed(q2, python_random, "does not draw from the `rng`")


def test_q2_global_numpy_ignores_rng():
    """The global numpy generator ignores the rng argument and is named as such."""
    assert_check_failed(q2, global_numpy, "does not draw from the `rng`")


def test_q2_generator_made_inside_repeats():
    """A generator seeded inside the function returns the same sleep every call, and is told why."""
    assert_check_failed(q2, fresh_seeded_generator, "same", "starts over")


def test_q2_window_one_attempt_ahead():
    """Using attempt + 1 (a first window of 2·base) is named."""
    assert_check_failed(q2, one_attempt_ahead, "attempt + 1")


def test_q2_whole_numbers():
    """Drawing whole milliseconds is caught."""
    assert_check_failed(q2, whole_milliseconds, "whole numbers")


@pytest.mark.parametrize("answer", [
    lambda attempt, previous, base, cap, rng: rng.random() * min(cap, base * 2 ** attempt),
    lambda attempt, previous, base, cap, rng: np.float64(rng.uniform(high=np.minimum(cap, base * np.power(2.0, attempt)))),
    lambda attempt, previous, base, cap, rng: (1 - rng.random()) * (cap if attempt > 40 else min(cap, base * 2 ** attempt)),
])
def test_q2_right_variants_pass(answer):
    """rng.random() scaled, a numpy expression returning np.float64, and an early cap are accepted."""
    assert_check_passed(q2, answer)


# --- q3 mutants ---

def _mine(holder, now, lease):
    return Record(LOCK, "TXT", (lock_value(holder, now + lease),))


def upsert(seen, holder, now, lease):
    state = parse_lock(seen)
    if state and state[0] != holder and state[1] > now:
        return None
    return [Change("UPSERT", _mine(holder, now, lease))]


def create_only(seen, holder, now, lease):
    state = parse_lock(seen)
    if state and state[0] != holder and state[1] > now:
        return None
    return [Change("CREATE", _mine(holder, now, lease))]


def ignore_expiry(seen, holder, now, lease):
    mine = _mine(holder, now, lease)
    return [Change("CREATE", mine)] if seen is None else [Change("DELETE", seen), Change("CREATE", mine)]


def test_q3_upsert_lets_both_hold():
    """An UPSERT lock lets two racing Enactors both believe they hold it; the timeline shows the race."""
    v = assert_check_failed(q3, upsert, "both", "DELETE the exact record")
    assert "Enactor B" in v.timeline


def test_q3_create_only_never_takes_over():
    """A CREATE without the DELETE never takes over an expired lock."""
    assert_check_failed(q3, create_only, "did not take over", "already exists")


def test_q3_ignoring_expiry_steals():
    """Ignoring the epoch steals a lock that is still held."""
    assert_check_failed(q3, ignore_expiry, "still held")


def no_self_renewal(seen, holder, now, lease):
    state = parse_lock(seen)
    if state and state[1] > now:  # backs off from its own lock too
        return None
    mine = _mine(holder, now, lease)
    return [Change("CREATE", mine)] if seen is None else [Change("DELETE", seen), Change("CREATE", mine)]


def expiry_with_ge(seen, holder, now, lease):
    state = parse_lock(seen)
    if state and state[0] != holder and state[1] >= now:
        return None
    mine = _mine(holder, now, lease)
    return [Change("CREATE", mine)] if seen is None else [Change("DELETE", seen), Change("CREATE", mine)]


def lease_not_added(seen, holder, now, lease):
    state = parse_lock(seen)
    if state and state[0] != holder and state[1] > now:
        return None
    mine = Record(LOCK, "TXT", (lock_value(holder, lease),))
    return [Change("CREATE", mine)] if seen is None else [Change("DELETE", seen), Change("CREATE", mine)]


def create_before_delete(seen, holder, now, lease):
    state = parse_lock(seen)
    if state and state[0] != holder and state[1] > now:
        return None
    mine = _mine(holder, now, lease)
    return [Change("CREATE", mine)] if seen is None else [Change("CREATE", mine), Change("DELETE", seen)]


def test_q3_holder_cannot_renew():
    """A lock its own holder cannot renew is rejected, naming renewal."""
    assert_check_failed(q3, no_self_renewal, "could not renew its own lock")


def test_q3_ge_at_expiry():
    """Treating the lock as held at its epoch (>=) is named."""
    assert_check_failed(q3, expiry_with_ge, "`>`, not `>=`")


def test_q3_lease_not_added():
    """Writing the lease length as the epoch is caught by the record check."""
    assert_check_failed(q3, lease_not_added, "until t=110")


def test_q3_create_before_delete():
    """CREATE before DELETE in the batch fails on the existing record."""
    assert_check_failed(q3, create_before_delete, "did not take over")


def tuple_batch(seen, holder, now, lease):
    state = parse_lock(seen)
    if state is not None and state[0] != holder and state[1] > now:
        return None
    mine = Record(LOCK if seen is None else seen.name, "TXT", (lock_value(holder, now + lease),))
    return (Change("CREATE", mine),) if seen is None else (Change("DELETE", seen), Change("CREATE", mine))


def early_return_style(seen, holder, now, lease):
    mine = _mine(holder, now, lease)
    if seen is None:
        return [Change("CREATE", mine)]
    who, until = parse_lock(seen)
    if who == holder or until <= now:
        return [Change("DELETE", seen), Change("CREATE", mine)]
    return None


@pytest.mark.parametrize("answer", [tuple_batch, early_return_style])
def test_q3_right_variants_pass(answer):
    """A tuple batch and an early-return formulation are accepted."""
    assert_check_passed(q3, answer)


def test_q3_wrong_return_type():
    """Returning a single Change instead of a list gets a plain-words verdict."""
    assert_check_failed(q3, lambda seen, holder, now, lease: Change("CREATE", _mine(holder, now, lease)),
                        "list of Change")


# --- q4 mutants ---

def test_q4_unfenced_write():
    """A plain write lets the paused Enactor's stale plan through, shown on a timeline."""
    v = assert_check_failed(q4, lambda lock, change: [change], "stale write", "generation 7")
    assert ">>" in v.timeline


def test_q4_upsert_lock_is_no_fence():
    """Re-writing the lock with UPSERT checks nothing."""
    assert_check_failed(q4, lambda lock, change: [Change("UPSERT", lock), change], "stale write")


def test_q4_delete_only_removes_lock():
    """Deleting the lock without re-creating it releases the lock by accident."""
    assert_check_failed(q4, lambda lock, change: [Change("DELETE", lock), change], "lock record is gone")


def test_q4_forgets_plan_change():
    """A fence without the plan change is told to include it."""
    assert_check_failed(q4, lambda lock, change: [Change("DELETE", lock), Change("CREATE", lock)],
                        "include the plan change")


def test_q4_create_only_fails_for_the_holder():
    """CREATE of the lock record (which exists) fails even for the holder."""
    assert_check_failed(q4, lambda lock, change: [Change("CREATE", lock), change], "could not write")


def test_q4_renewing_the_lock_changes_it():
    """Re-creating the lock with a new epoch changes the lock, which the fence must not do."""
    renewed = Record(LOCK, "TXT", (lock_value("Enactor A", 99),))
    assert_check_failed(q4, lambda lock, change: [Change("DELETE", lock), Change("CREATE", renewed), change],
                        "gone or changed")


def test_q4_returns_nothing():
    """A function without return is named."""
    assert_check_failed(q4, lambda lock, change: None, "forget `return`")


@pytest.mark.parametrize("answer", [
    lambda lock, change: (Change("DELETE", lock), Change("CREATE", lock), change),
    lambda lock, change: [change, Change("DELETE", lock), Change("CREATE", lock)],
    lambda lock, change: __import__("course_lib.lock_contention", fromlist=["fenced_batch"]).fenced_batch(lock, [change]),
])
def test_q4_right_variants_pass(answer):
    """A tuple, a batch with the plan change first and the library's fenced_batch are accepted."""
    assert_check_passed(q4, answer)


# --- q5-q7 mutants ---

def test_q5_linear_guess():
    """Guessing 2 (linear) is named as the completion-time ratio."""
    assert_check_failed(q5, 2, "completion time")


def test_q5_no_growth_guess():
    """Guessing 1 (work does not grow) is named."""
    assert_check_failed(q5, 1, "does not grow")


def test_q5_far_off():
    """A ratio of 10 is too far from the simulator."""
    assert_check_failed(q5, 10, "too far")


def test_q5_not_a_number():
    """A string answer gets a type message."""
    assert_check_failed(q5, "four", "should be a number")


def _ratio(strategy="none", small=60, large=120):
    from course_lib.contention import simulate
    return simulate(large, strategy).calls / simulate(small, strategy).calls


def test_q5_n_squared_guess_is_rejected():
    """The N² guess 4 is rejected with its own explanation (the accepted range is tight)."""
    assert_check_failed(q5, 4, "textbook N²", "overlap")
    assert_check_failed(q5, np.float64(4.0), "textbook N²")


def test_q5_upside_down_ratio():
    """Dividing the small run by the large one is named."""
    assert_check_failed(q5, 1 / _ratio(), "upside down")


def test_q5_with_backoff():
    """The ratio computed with full jitter is named as the wrong strategy."""
    assert_check_failed(q5, _ratio("full jitter"), "full jitter")


def test_q5_cubic_and_negative():
    """N³ and a negative ratio each get their own fault."""
    assert_check_failed(q5, 8, "N³")
    assert_check_failed(q5, -3.6, "cannot be a ratio")


@pytest.mark.parametrize("answer", [_ratio(), np.float64(_ratio()), round(_ratio(), 1)])
def test_q5_right_variants_pass(answer):
    """The computed ratio, as numpy scalar and rounded to one decimal, is accepted."""
    assert_check_passed(q5, answer)


def test_q5_hints_do_not_push_to_n_squared_nor_give_the_code():
    """Hint 2 warns against the N² answer; the last hint does not spell out the solution's code."""
    assert "less than the textbook" in q5.hints[1]
    assert "simulate(" not in q5.hints[-1]


def test_q5_asks_about_counts_the_chapter_does_not_print():
    """q5's client counts are not among those the chapter prints, so the chapter does not give the answer."""
    from course_lib.checks.ch01 import LARGE, SMALL
    assert not {SMALL, LARGE} & {25, 50, 100, 200, 400}


def test_q6_win_probability():
    """Using the win probability is named."""
    assert_check_failed(q6, 0.4 ** 5, "winning")


def test_q6_exactly_five_losses():
    """0.6⁵·0.4 is named as the chance of exactly five losses."""
    assert_check_failed(q6, 0.6 ** 5 * 0.4, "exactly five losses")


def test_q6_complement():
    """1 − 0.6⁵ is named as the opposite event."""
    assert_check_failed(q6, 1 - 0.6 ** 5, "opposite")


def test_q6_not_probability():
    """0.6 * 5 is not a probability."""
    assert_check_failed(q6, 0.6 * 5, "not a probability")


SLEEPS7 = 0.5 + 1 + 2 + 4 + 8 + 10 + 10  # seven capped sleeps, base 0.5 s, cap 10 s


def test_q7_forgot_calls():
    """Counting only the sleeps is named."""
    assert_check_failed(q7, SLEEPS7, "8 calls")


def test_q7_one_call_short():
    """Counting seven calls instead of eight (forgetting the winning call) is named."""
    assert_check_failed(q7, SLEEPS7 + 7 * 0.2, "7 calls", "makes 8")


def test_q7_forgot_cap():
    """Doubling past the 10 s cap is named."""
    assert_check_failed(q7, 0.5 * (2 ** 7 - 1) + 8 * 0.2, "forgets the cap")


def test_q7_single_sleep():
    """Taking one doubled sleep instead of the sum is named, without miscounting the losses."""
    v = assert_check_failed(q7, 0.5 * 2 ** 7, "a single sleep", "loses 7 times")
    assert "8th" not in v.message and "7th" not in v.message


def test_q7_not_printed_by_chapter():
    """The chapter's model (cap 60 s, six losses) gives another answer than q7 (cap 10 s, seven losses)."""
    from course_lib.lock_contention import wait_after_losses
    assert abs(wait_after_losses(6, "exponential", 0.5, 60.0) - 37.1) > 1
    assert_check_passed(q7, 37.1)


def test_q6_more_faults_named():
    """One loss, a percentage and six losses are each named."""
    assert_check_failed(q6, 0.6, "one loss")
    assert_check_failed(q6, 100 * 0.6 ** 5, "percentage")
    assert_check_failed(q6, 0.6 ** 6, "wrong number of losses")


@pytest.mark.parametrize("answer", [0.07776, np.float64(0.6) ** 5, __import__("math").prod([0.6] * 5),
                                    __import__("fractions").Fraction(3, 5) ** 5])
def test_q6_right_variants_pass(answer):
    """A decimal, a numpy scalar, math.prod and a Fraction are accepted."""
    assert_check_passed(q6, answer)


def test_q7_more_faults_named():
    """Starting the doubling at 2·base, eight sleeps, and milliseconds are each named."""
    doubled = sum(min(10, 0.5 * 2 ** (j + 1)) for j in range(7)) + 8 * 0.2
    assert_check_failed(q7, doubled, "starts the doubling at 1")
    eight = sum(min(10, 0.5 * 2 ** j) for j in range(8)) + 8 * 0.2
    assert_check_failed(q7, eight, "counts 8 sleeps")
    assert_check_failed(q7, 37100, "milliseconds")


@pytest.mark.parametrize("answer", [37.1, np.float64(37.1), sum([0.2] * 8) + sum(min(10.0, 0.5 * 2.0 ** j) for j in range(7))])
def test_q7_right_variants_pass(answer):
    """A typed number, a numpy scalar and a sum of lists are accepted."""
    assert_check_passed(q7, answer)


def test_learner_exception_is_a_verdict():
    """An exception inside learner code becomes a verdict naming it, not a traceback."""
    def broken(key):
        value, version = yield read(key)
        yield cas(key, version, value + undefined_name)  # noqa: F821
    assert_check_failed(q1, broken, "NameError")


def test_q1_yielding_a_tuple_is_explained():
    """Yielding something that is not an operation gets a verdict naming what to yield."""
    def tuple_ops(key):
        value, version = yield ("read", key)
        yield ("cas", key, version, value + 1)
    assert_check_failed(q1, tuple_ops, "yield only read(key)")


@pytest.mark.parametrize("exercise", [q1, q2, q3, q4, q5, q6, q7], ids=lambda q: q.name)
def test_last_hint_nudges_without_the_solution(exercise):
    """No line of the reference solution appears in any hint, and the last hint holds no code expression."""
    from course_lib.exercises import solution_source
    code = [ln.strip() for ln in solution_source("01", exercise.var).splitlines()
            if len(ln.strip()) > 12 and not ln.strip().startswith(("def ", '"""', "#"))]
    assert code, exercise.name
    for hint in exercise.hints:
        assert not any(ln in hint for ln in code), (exercise.name, hint)
    assert "return [" not in exercise.hints[-1] and "rng.uniform(0" not in exercise.hints[-1]


# --- review fixes: previous vs base, large attempts, q6's precision, abandoned generators ---

def previous_for_base(attempt, previous, base, cap, rng):
    return rng.uniform(0, min(cap, previous * 2 ** attempt))


def cap_forgotten_after_12(attempt, previous, base, cap, rng):
    return rng.uniform(0, min(cap, base * 2 ** attempt)) if attempt < 13 else 1e9


def cap_forgotten_after_40(attempt, previous, base, cap, rng):
    return rng.uniform(0, min(cap, base * 2.0 ** attempt) if attempt <= 40 else base * 2.0 ** min(attempt, 900))


def test_q2_previous_in_place_of_base_is_named():
    """The check passes previous != base, so a window grown from `previous` is caught and named."""
    from course_lib.checks.ch01 import PREVIOUS
    assert PREVIOUS != 5.0
    assert_check_failed(q2, previous_for_base, "previous·2^attempt", "full jitter grows from `base`")


@pytest.mark.parametrize("answer", [cap_forgotten_after_12, cap_forgotten_after_40], ids=["after 12", "after 40"])
def test_q2_large_attempts_must_be_capped(answer):
    """Attempts 30, 60 and 1000 are sampled: a cap that stops binding past attempt 12 (or 40) is caught."""
    v = assert_check_failed(q2, answer, "forget the cap")
    assert "attempt=30" in v.case or "attempt=60" in v.case


@pytest.mark.parametrize("rounded", [0.08, 0.078, np.float64(0.0775)])
def test_q6_rounded_too_far_is_close_but_not_precise(rounded):
    """A rounding of 0.07776 to fewer than three significant figures is told it is close but not precise."""
    assert_check_failed(q6, rounded, "close, but not precise enough", "three significant figures")


@pytest.mark.parametrize("answer", [0.0778, np.float32(0.0778), round(0.6 ** 5, 4)])
def test_q6_three_significant_figures_pass(answer):
    """0.0778 (three significant figures, as the prompt asks), as a float or numpy float32, is accepted."""
    assert_check_passed(q6, answer)


def test_q6_prompt_states_the_precision():
    """The exercise's prompt says how precise the answer must be, as the check expects."""
    from pathlib import Path

    import nbformat
    nb = nbformat.read(Path(__file__).parent.parent / "solutions" / "01_optimistic_concurrency.ipynb", 4)
    prompt = next(c.source for c in nb.cells if c.source.startswith("## Exercise 6"))
    assert "three significant figures" in prompt


ABANDONED = """
import sys
sys.path.insert(0, {root!r})
from course_lib.checks.ch01 import q1, q6
from course_lib.exercises import Exercise
from course_lib.occ import cas, read

{learner}

quick = Exercise("q1", "safe_increment", q1._check, ["hint"], chapter="01", time_limit=0.3)
print("FIRST", quick.verdict(safe_increment).status)
import gc
gc.collect()
print("NEXT", q6.verdict(0.6 ** 5).status)
del safe_increment, quick
gc.collect()
"""


BARE_EXCEPT = """
def safe_increment(key):
    while True:
        try:
            value, version = yield read(key)
            yield cas(key, version, value)
            while True:
                pass
        except:
            pass
"""

ENDLESS_FINALLY = """
def safe_increment(key):
    try:
        while True:
            value, version = yield read(key)
            yield cas(key, version, value)
            while True:
                pass
    finally:
        while True:
            pass
"""


@pytest.mark.parametrize("learner", [BARE_EXCEPT, ENDLESS_FINALLY], ids=["bare except", "endless finally"])
def test_abandoned_bare_except_generator_leaves_stderr_clean(tmp_path, learner):
    """A learner generator stopped by the time limit prints nothing to stderr later and cannot hang the kernel
    when it is closed: a bare except that swallows GeneratorExit, or a finally that never ends."""
    import subprocess
    import sys
    from pathlib import Path
    script = tmp_path / "learner_cell.py"
    script.write_text(ABANDONED.format(root=str(Path(__file__).resolve().parent.parent), learner=learner),
                      encoding="utf-8")
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert "FIRST incorrect" in proc.stdout and "NEXT correct" in proc.stdout, proc.stdout + proc.stderr
    assert proc.stderr == "", proc.stderr
