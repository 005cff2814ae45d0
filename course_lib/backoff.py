"""Backoff strategies: how long a client sleeps before retry number *attempt*, and the one retry loop.

Each strategy is a plain function ``strategy(attempt, previous, base, cap, rng) -> seconds`` so a learner
swaps behaviour by passing a function.  Formulas follow Marc Brooker, "Exponential Backoff And Jitter",
AWS Architecture Blog [S12]; *attempt* counts from 0 for the first retry and *previous*
is the last sleep (decorrelated jitter needs it; the first retry passes ``previous=base``).

:func:`retry` is the loop both contention models of Chapter 1 share: try, and on a loss sleep by the
strategy and try again.  A model supplies only what one attempt is.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Generator
from dataclasses import dataclass

import numpy as np

from .validate import check_choice, check_int, check_number

__all__ = ["CONVENTIONS", "STRATEGIES", "Convention", "Strategy", "capped_doubling", "check_args", "check_backoff",
           "check_sleep", "decorrelated_jitter", "equal_jitter", "exponential", "full_jitter", "no_backoff",
           "retry", "strategy_named"]

Strategy = Callable[[int, float, float, float, np.random.Generator], float]

MAX_ATTEMPT = 10**9  # more retries than any run of the course can make; a bigger count is a caller's bug
# Past 2100 doublings every positive float base exceeds every finite cap (base >= 2**-1074, cap < 2**1024).
_DOUBLINGS_PAST_ANY_CAP = 2100


def capped_doubling(attempt: int, base: float, cap: float) -> float:
    """Return min(cap, base * 2**attempt) without ever forming 2**attempt past the cap (it overflows)."""
    if type(attempt) is not int:
        attempt = check_int("attempt", attempt, lo=0)
    if type(base) is not float or type(cap) is not float or not 0.0 < base <= cap <= MAX_BACKOFF:
        base, cap = check_backoff(base, cap)  # the fast path above also refuses NaN (every comparison fails)
    if attempt >= _DOUBLINGS_PAST_ANY_CAP:
        return cap
    try:
        return min(cap, math.ldexp(base, attempt))  # ldexp(b, n) is exactly b * 2**n
    except OverflowError:  # base * 2**attempt is beyond the largest float, so far beyond the cap
        return cap


def check_args(attempt, previous, base, cap, rng) -> tuple[int, float, float, float]:
    """Validate a strategy's arguments (strategies are public: a learner or a test may call them)."""
    if type(attempt) is not int:
        attempt = check_int("attempt", attempt, lo=0, hi=MAX_ATTEMPT)
    elif not 0 <= attempt <= MAX_ATTEMPT:
        raise ValueError(f"attempt must be an integer in [0, {MAX_ATTEMPT}], got {attempt}")
    base, cap = check_backoff(base, cap)
    if type(previous) is not float or not 0.0 <= previous < math.inf:
        previous = check_number("previous", previous, lo=0)
    if type(rng) is not np.random.Generator and not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__} {rng!r:.40}")
    return attempt, previous, base, cap


def no_backoff(attempt: int, previous: float, base: float, cap: float, rng: np.random.Generator) -> float:
    """Retry at once."""
    check_args(attempt, previous, base, cap, rng)
    return 0.0


def exponential(attempt: int, previous: float, base: float, cap: float, rng: np.random.Generator) -> float:
    """Sleep min(cap, base * 2**attempt): capped exponential backoff, no jitter."""
    attempt, _, base, cap = check_args(attempt, previous, base, cap, rng)
    return capped_doubling(attempt, base, cap)


def full_jitter(attempt: int, previous: float, base: float, cap: float, rng: np.random.Generator) -> float:
    """Sleep a uniform random time in [0, min(cap, base * 2**attempt))."""
    attempt, _, base, cap = check_args(attempt, previous, base, cap, rng)
    return rng.uniform(0.0, capped_doubling(attempt, base, cap))


def equal_jitter(attempt: int, previous: float, base: float, cap: float, rng: np.random.Generator) -> float:
    """Sleep half the exponential delay plus a uniform random time in [0, the other half)."""
    attempt, _, base, cap = check_args(attempt, previous, base, cap, rng)
    temp = capped_doubling(attempt, base, cap)
    return temp / 2.0 + rng.uniform(0.0, temp / 2.0)


def decorrelated_jitter(attempt: int, previous: float, base: float, cap: float,
                        rng: np.random.Generator) -> float:
    """Sleep min(cap, uniform(base, previous * 3)): grows from the last sleep, not from the attempt count."""
    _, previous, base, cap = check_args(attempt, previous, base, cap, rng)
    return min(cap, rng.uniform(base, max(base, min(previous, cap) * 3.0)))


STRATEGIES: dict[str, Strategy] = {
    "none": no_backoff,
    "exponential": exponential,
    "full jitter": full_jitter,
    "equal jitter": equal_jitter,
    "decorrelated jitter": decorrelated_jitter,
}


def strategy_named(name: str) -> Strategy:
    """Return the strategy called *name* (one of STRATEGIES), or raise ValueError listing them."""
    if not isinstance(name, str):
        raise TypeError(f"strategy name must be a str, got {type(name).__name__} {name!r:.40}")
    return STRATEGIES[check_choice("strategy name", name, STRATEGIES)]


MAX_BACKOFF = 1e9  # seconds or ms alike: a cap beyond 30 years of either is a typo, not a model


def check_backoff(base: float, cap: float) -> tuple[float, float]:
    """Validate 0 < *base* <= *cap* <= 1e9; return them as floats."""
    if type(base) is not float or not 0.0 < base <= MAX_BACKOFF:
        base = check_number("base", base, lo=0, lo_open=True, hi=MAX_BACKOFF)
    if type(cap) is not float or not 0.0 < cap <= MAX_BACKOFF:
        cap = check_number("cap", cap, lo=0, lo_open=True, hi=MAX_BACKOFF)
    if cap < base:
        raise ValueError(f"cap must be >= base ({base:g}), got {cap:g}")
    return base, cap


def check_sleep(name: str, sleep) -> float:
    """Return a strategy's answer as a float, or raise ValueError naming the strategy if it is not a sleep."""
    if type(sleep) is float and 0.0 <= sleep < math.inf:  # the common case, checked in one comparison
        return sleep
    if isinstance(sleep, bool) or not isinstance(sleep, numbers.Real):
        raise TypeError(f"strategy {name!r} returned {type(sleep).__name__} {sleep!r:.40}; it must return "
                        "a number (the sleep)")
    sleep = float(sleep)
    if not (sleep >= 0.0 and math.isfinite(sleep)):
        raise ValueError(f"strategy {name!r} returned sleep {sleep!r}; it must be a finite number >= 0")
    return sleep


def retry(attempt: Callable[[float | None], Generator], strategy: Strategy, base: float, cap: float,
          rng: np.random.Generator, first_attempt: int = 0, name: str = "strategy") -> Generator:
    """Run *attempt* until it wins, drawing a sleep from *strategy* after each loss; return how many it lost.

    A process for ``course_lib.events.Scheduler``.  ``attempt(sleep)`` is a generator that yields delays and
    returns True (won) or False (lost); *sleep* is None for the first attempt and otherwise the sleep to
    take before trying again (an attempt folds it into its first delay, so a retry costs no extra event).
    The first retry passes ``first_attempt`` as the attempt number (0: the first window is *base*; 1: it
    is 2·base) and ``previous=base``.
    """
    if not callable(attempt):
        raise TypeError(f"attempt must be a callable returning a generator, got {type(attempt).__name__}")
    if not callable(strategy):
        raise TypeError(f"strategy must be a callable (a backoff strategy), got {type(strategy).__name__}")
    base, cap = check_backoff(base, cap)
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__} {rng!r:.40}")
    first_attempt = check_int("first_attempt", first_attempt, lo=0, hi=MAX_ATTEMPT)
    if not isinstance(name, str):
        raise TypeError(f"name must be a str (the strategy's name), got {type(name).__name__} {name!r:.40}")
    return _retry_loop(attempt, strategy, base, cap, rng, first_attempt, name)


def _retry_loop(attempt, strategy, base, cap, rng, first_attempt, name) -> Generator:
    """The loop of retry(), entered once its arguments are checked."""
    losses, sleep = 0, None
    while not (yield from attempt(sleep)):
        previous = base if sleep is None else sleep
        sleep = check_sleep(name, strategy(first_attempt + losses, previous, base, cap, rng))
        losses += 1
    return losses


@dataclass(frozen=True)
class Convention:
    """Where the retry windows start and stop: the first window is base·2**first_attempt, the last is cap."""

    name: str
    base: float
    cap: float
    first_attempt: int
    note: str


CONVENTIONS = {
    "course": Convention("course", 5.0, 1000.0, 0, "first retry window = base, cap 1000 ms (model choices)"),
    # As read from the code of Brooker's published simulator, not from the post's text.
    "brooker": Convention("brooker", 5.0, 2000.0, 1, "first retry window = 2·base, cap 2000 ms"),
}
