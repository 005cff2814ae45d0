"""Rare per run, certain at scale: the race probability per Enactor run and over a year of runs.

A vectorised abstraction of one Enactor run, for rare-event estimates that the event simulation is too slow
for (all of it is a model choice): the walk takes the sum of ``n_endpoints`` lognormal per-endpoint times
(lock retries included), median ``median`` and log-spread ``sigma`` (the tail); the plan is then
``floor(walk / period)`` generations stale when it reaches the regional endpoint (walked last).  The race
estimate is conditional Monte Carlo: the first n − 1 endpoint times are sampled and the chance that the
last one pushes the walk past K periods is computed exactly, so probabilities far below 1/n_runs are still
resolved.  The race needs two things at once: the plan is at least K generations stale, and the write lands inside another
Enactor's clean-up step (clean-ups start as a Poisson process, rate (enactors − 1) / run_interval, and the
deletion comes ``cleanup_step`` after the clean-up reads the zone).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .validate import check_int, check_number

__all__ = ["RaceEstimate", "p_at_least_one", "race_curve", "race_probability", "runs_per_year"]

SECONDS_PER_YEAR = 365 * 24 * 3600


@dataclass(frozen=True)
class RaceEstimate:
    """A Monte Carlo estimate of the race probability per Enactor run."""

    sigma: float
    p_stale: float  # P(plan K or more generations stale at the regional write)
    p_overlap: float  # P(the write lands inside another Enactor's clean-up step), exact
    p_run: float  # P(race per run) = p_stale * p_overlap
    stderr: float
    n_runs: int


def race_probability(sigma: float, *, n_runs: int = 10_000, seed: int = 0, median: float = 0.05,
                     n_endpoints: int = 3, period: float = 1.0, K: int = 5, run_interval: float = 60.0,
                     cleanup_step: float = 0.15, enactors: int = 3) -> RaceEstimate:
    """Estimate P(race) per Enactor run for a per-endpoint delay tail *sigma*."""
    sigma = check_number("sigma", sigma, lo=0, hi=5)
    n_runs = check_int("n_runs", n_runs, lo=1, hi=10**8)
    median = check_number("median", median, lo=0, lo_open=True)
    n_endpoints = check_int("n_endpoints", n_endpoints, lo=1, hi=3)
    period = check_number("period", period, lo=0, lo_open=True)
    K = check_int("K", K, lo=1)
    run_interval = check_number("run_interval", run_interval, lo=0, lo_open=True)
    cleanup_step = check_number("cleanup_step", cleanup_step, lo=0)
    enactors = check_int("enactors", enactors, lo=2, hi=10)
    rng = np.random.default_rng(seed)
    mu = math.log(median)
    head = rng.lognormal(mu, sigma, (n_runs, n_endpoints - 1)).sum(axis=1)
    # floor(walk / period) >= K  <=>  walk >= K * period; the last endpoint must supply the rest.
    tail = _survival(K * period - head, mu, sigma)
    p_stale = float(tail.mean())
    # The overlap is exact, so multiplying beats sampling it (a far smaller variance for rare races).
    p_overlap = float(-np.expm1(-(enactors - 1) / run_interval * cleanup_step))
    stderr = float(tail.std() / np.sqrt(n_runs)) * p_overlap
    return RaceEstimate(sigma, p_stale, p_overlap, p_stale * p_overlap, stderr, n_runs)


_ERFC = np.frompyfunc(math.erfc, 1, 1)


def _survival(rest: np.ndarray, mu: float, sigma: float) -> np.ndarray:
    """Return P(lognormal(mu, sigma) >= rest) for each remaining time (1 where nothing remains)."""
    out = np.ones_like(rest)
    need = rest > 0
    if sigma == 0:
        out[need] = (math.exp(mu) >= rest[need]).astype(float)
        return out
    z = (np.log(rest[need]) - mu) / (sigma * math.sqrt(2))
    out[need] = 0.5 * _ERFC(z).astype(float)
    return out


def race_curve(sigmas, **kw) -> list[RaceEstimate]:
    """Return race_probability for each tail in *sigmas* (same seed for each: common random numbers)."""
    sigmas = list(sigmas)
    if not sigmas:
        raise ValueError("sigmas must hold at least one value")
    return [race_probability(s, **kw) for s in sigmas]


def runs_per_year(run_interval: float = 60.0, enactors: int = 3) -> float:
    """Return how many Enactor runs a year holds (each Enactor starts one every run_interval seconds)."""
    check_number("run_interval", run_interval, lo=0, lo_open=True)
    check_int("enactors", enactors, lo=1)
    return enactors * SECONDS_PER_YEAR / run_interval


def p_at_least_one(p_run, runs: float):
    """Return P(at least one race in *runs* independent runs), accurate even for tiny p_run."""
    p = np.asarray(p_run, dtype=float)
    if np.any((p < 0) | (p > 1)) or not np.all(np.isfinite(p)):
        raise ValueError(f"p_run must be a probability in [0, 1], got {p_run!r}")
    check_number("runs", runs, lo=0)
    safe = np.where(p >= 1, 0.0, p)  # p = 1 is handled below; keep log1p finite
    out = -np.expm1(runs * np.log1p(-safe))
    out = np.where(p >= 1, 1.0, out)
    return float(out) if out.ndim == 0 else out
