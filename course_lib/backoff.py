"""Backoff strategies: how long a client sleeps before retry number *attempt*.

Each strategy is a plain function ``strategy(attempt, previous, base, cap, rng) -> seconds`` so a learner
swaps behaviour by passing a function.  Formulas follow Marc Brooker, "Exponential Backoff And Jitter",
AWS Architecture Blog (fact sheet §7, [S12]); *attempt* counts from 0 for the first retry and *previous*
is the last sleep (decorrelated jitter needs it; the first retry passes ``previous=base``).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .validate import check_number

__all__ = ["STRATEGIES", "Strategy", "check_backoff", "decorrelated_jitter", "equal_jitter", "exponential",
           "full_jitter", "no_backoff", "strategy_named"]

Strategy = Callable[[int, float, float, float, np.random.Generator], float]


def no_backoff(attempt: int, previous: float, base: float, cap: float, rng: np.random.Generator) -> float:
    """Retry at once."""
    return 0.0


def exponential(attempt: int, previous: float, base: float, cap: float, rng: np.random.Generator) -> float:
    """Sleep min(cap, base * 2**attempt): capped exponential backoff, no jitter."""
    return min(cap, base * 2.0 ** attempt)


def full_jitter(attempt: int, previous: float, base: float, cap: float, rng: np.random.Generator) -> float:
    """Sleep a uniform random time in [0, min(cap, base * 2**attempt))."""
    return rng.uniform(0.0, min(cap, base * 2.0 ** attempt))


def equal_jitter(attempt: int, previous: float, base: float, cap: float, rng: np.random.Generator) -> float:
    """Sleep half the exponential delay plus a uniform random time in [0, the other half)."""
    temp = min(cap, base * 2.0 ** attempt)
    return temp / 2.0 + rng.uniform(0.0, temp / 2.0)


def decorrelated_jitter(attempt: int, previous: float, base: float, cap: float,
                        rng: np.random.Generator) -> float:
    """Sleep min(cap, uniform(base, previous * 3)): grows from the last sleep, not from the attempt count."""
    return min(cap, rng.uniform(base, max(base, previous * 3.0)))


STRATEGIES: dict[str, Strategy] = {
    "none": no_backoff,
    "exponential": exponential,
    "full jitter": full_jitter,
    "equal jitter": equal_jitter,
    "decorrelated jitter": decorrelated_jitter,
}


def strategy_named(name: str) -> Strategy:
    """Return the strategy called *name* (one of STRATEGIES), or raise ValueError listing them."""
    if name not in STRATEGIES:
        raise ValueError(f"unknown strategy {name!r}; choose one of: {', '.join(map(repr, STRATEGIES))}")
    return STRATEGIES[name]


def check_backoff(base: float, cap: float) -> tuple[float, float]:
    """Validate *base* > 0 and *cap* >= base; return them as floats."""
    base = check_number("base", base, lo=0, lo_open=True)
    cap = check_number("cap", cap, lo=0, lo_open=True)
    if cap < base:
        raise ValueError(f"cap must be >= base ({base:g}), got {cap:g}")
    return base, cap
