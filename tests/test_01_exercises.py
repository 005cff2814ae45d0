"""Chapter 1 exercises: each check fails on the stub, passes on the solution and names the fault of mutants."""

from __future__ import annotations

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
