"""The shared event core (course_lib.events.Scheduler) and the one retry loop (course_lib.backoff.retry)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from course_lib.backoff import exponential, retry
from course_lib.events import Scheduler


def test_processes_resume_in_time_then_priority_then_schedule_order():
    """Simultaneous events run by priority, then in the order they were scheduled; time always moves forward."""
    sched, seen = Scheduler(), []

    def proc(name, delays):
        for d in delays:
            yield d
            seen.append((sched.now, name))

    sched.process(proc("late", [2.0]))
    sched.process(proc("b", [1.0]), priority=1)
    sched.process(proc("a", [1.0]), priority=0)
    sched.process(proc("c", [1.0]), priority=1)
    sched.run(until=10.0)
    assert seen == [(1.0, "a"), (1.0, "b"), (1.0, "c"), (2.0, "late")]


def test_run_stops_at_until_and_can_continue():
    """Events after *until* stay scheduled; a later run picks them up."""
    sched, seen = Scheduler(), []

    def ticker():
        while True:
            yield 1.0
            seen.append(sched.now)

    sched.process(ticker())
    sched.run(until=3.5)
    assert seen == [1.0, 2.0, 3.0]
    sched.run(until=5.0)
    assert seen == [1.0, 2.0, 3.0, 4.0, 5.0]


@pytest.mark.parametrize("bad", [-1.0, float("nan"), float("inf"), True, "1", None])
def test_bad_delays_are_refused(bad):
    """A process that yields a negative, NaN, infinite, boolean or non-numeric delay is refused by name."""
    sched = Scheduler()

    def proc():
        yield bad

    sched.process(proc())
    with pytest.raises(ValueError, match="finite delay"):
        sched.run(until=1.0)


def test_int_and_numpy_delays_are_accepted():
    """Whole numbers and numpy floats are delays too."""
    sched = Scheduler()

    def proc():
        yield 1
        yield np.float64(0.5)

    sched.process(proc())
    sched.run(until=2.0)
    assert sched.now == 1.5


def test_a_process_that_never_waits_is_stopped():
    """Zero delays in a loop hit the event limit instead of hanging."""
    sched = Scheduler(max_events=1000)

    def spin():
        while True:
            yield 0.0

    sched.process(spin())
    with pytest.raises(RuntimeError, match="loop without waiting"):
        sched.run(until=1.0)


def test_retry_passes_attempt_numbers_and_previous_sleeps():
    """The retry loop calls the strategy with attempt first_attempt + losses and the previous sleep, folds each
    sleep into the next attempt, and returns the number of losses."""
    calls, sleeps = [], []

    def strategy(attempt, previous, base, cap, rng):
        calls.append((attempt, previous))
        return exponential(attempt, previous, base, cap, rng)

    def attempt(sleep):
        sleeps.append(sleep)
        yield 0.0 if sleep is None else sleep
        return len(sleeps) == 4  # the fourth attempt wins

    sched, out = Scheduler(), []

    def proc():
        out.append((yield from retry(attempt, strategy, 1.0, 3.0, np.random.default_rng(0), first_attempt=1)))

    sched.process(proc())
    sched.run(until=100.0)
    assert out == [3]
    assert calls == [(1, 1.0), (2, 2.0), (3, 3.0)]
    assert sleeps == [None, 2.0, 3.0, 3.0] and sched.now == 8.0


def test_retry_refuses_a_strategy_that_returns_no_sleep():
    """A strategy returning NaN, a negative, a string or None is named in a ValueError/TypeError."""
    for bad in (math.nan, -1.0, "soon", None):
        def attempt(sleep):
            yield 0.0
            return False

        sched = Scheduler()
        sched.process(retry(attempt, lambda *a, bad=bad: bad, 1.0, 2.0, np.random.default_rng(0), name="mine"))
        with pytest.raises((TypeError, ValueError), match="mine"):
            sched.run(until=10.0)
