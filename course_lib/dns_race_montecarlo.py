"""Rare per run, certain at scale: the race probability per Enactor run and over a year of runs.

A vectorised abstraction of one Enactor run, for rare-event estimates that the event simulation is too slow
for (all of it is a model choice): the walk takes the sum of ``n_endpoints`` lognormal per-endpoint times
(lock retries included), median ``median`` and log-spread ``sigma`` (the tail); the plan is then
``floor(walk / period)`` generations stale when it reaches the regional endpoint (walked last).  The race
needs two things at once: the plan is at least K generations stale, and the write lands inside another
Enactor's clean-up step (clean-ups start as a Poisson process, rate (enactors − 1) / run_interval, and the
deletion comes ``cleanup_step`` after the clean-up reads the zone).  The second factor is exact.

The first is a rare event, estimated by the Asmussen–Kroese conditional estimator: a heavy-tailed sum is
large mostly because its *largest* term is, so each sample draws n − 1 endpoint times, lets the missing one
be the largest, and computes exactly the chance that it is both the largest and big enough:
``n · P(X > max(M, c − S))`` with M and S the maximum and sum of the drawn times and c = K · period.  Every
sample contributes a probability instead of a rare 0-or-1 hit, the estimate is unbiased for the whole
event (whichever endpoint is slow), and its standard error is the sample standard deviation over √n_runs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .params import Param, Spec
from .validate import check_int, check_number

__all__ = ["SPEC", "RaceEstimate", "p_at_least_one", "plain_stale_probability", "race_curve", "race_probability",
           "runs_per_year"]

SECONDS_PER_YEAR = 365 * 24 * 3600
MAX_RUNS = 2_000_000  # samples per estimate: (n_runs, n_endpoints - 1) floats must fit in memory

# The vectorised run's parameters, declared once (every default and range a model choice; see the docstring).
SPEC = Spec([
    Param("sigma", 1.0, lo=0, hi=5, label="delay tail σ (lognormal)"),
    Param("n_runs", 10_000, "int", lo=2, hi=MAX_RUNS, label="samples"),
    Param("seed", 0, "int", lo=0, hi=2**63 - 1, label="seed"),
    Param("median", 0.05, lo=0, lo_open=True, hi=1e6, label="median per-endpoint time", unit="s"),
    Param("n_endpoints", 3, "int", lo=1, hi=3, label="endpoints"),
    Param("period", 1.0, lo=0, lo_open=True, hi=1e6, label="planner period", unit="s"),
    Param("K", 5, "int", lo=1, hi=10_000, label="K (clean-up threshold)"),
    Param("run_interval", 60.0, lo=0, lo_open=True, hi=1e9, label="time between an Enactor's runs", unit="s"),
    Param("cleanup_step", 0.15, lo=0, hi=1e9, label="clean-up step", unit="s"),
    Param("enactors", 3, "int", lo=2, hi=10, label="Enactors"),
])


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
    v = SPEC.validate(dict(sigma=sigma, n_runs=n_runs, seed=seed, median=median, n_endpoints=n_endpoints,
                           period=period, K=K, run_interval=run_interval, cleanup_step=cleanup_step,
                           enactors=enactors))
    sigma, n_runs, seed, median, n_endpoints, period, K, run_interval, cleanup_step, enactors = (
        v[p.name] for p in SPEC)
    p_stale, se_stale = _stale_probability(sigma, n_runs, seed, math.log(median), n_endpoints, K * period)
    # The overlap is exact, so multiplying beats sampling it (a far smaller variance for rare races).
    p_overlap = float(-np.expm1(-(enactors - 1) / run_interval * cleanup_step))
    return RaceEstimate(sigma, p_stale, p_overlap, p_stale * p_overlap, se_stale * p_overlap, n_runs)


def _stale_probability(sigma: float, n_runs: int, seed: int, mu: float, n: int, c: float) -> tuple[float, float]:
    """Return (estimate, standard error) of P(X_1 + ... + X_n >= c) for i.i.d. lognormal(mu, sigma) X_i."""
    if sigma == 0:  # every endpoint takes exactly the median: no randomness, the answer is exact
        return (1.0 if n * math.exp(mu) >= c else 0.0), 0.0
    if n == 1:
        return float(_survival(np.array([c]), mu, sigma)[0]), 0.0
    rng = np.random.default_rng(seed)
    drawn = rng.lognormal(mu, sigma, (n_runs, n - 1))
    # Asmussen–Kroese: the missing time is the largest one (n ways) and pushes the walk past c.
    z = n * _survival(np.maximum(drawn.max(axis=1), c - drawn.sum(axis=1)), mu, sigma)
    # A probability is at most 1: clipping a noisy mean can only move it toward the truth.
    return min(float(z.mean()), 1.0), float(z.std(ddof=1) / np.sqrt(n_runs))


def plain_stale_probability(sigma: float, *, n_runs: int = 1_000_000, seed: int = 0, median: float = 0.05,
                            n_endpoints: int = 3, period: float = 1.0, K: int = 5) -> tuple[float, float]:
    """Return (share, binomial std. error) of plainly simulated walks that reach K periods: the brute-force check."""
    v = SPEC.validate(dict(sigma=sigma, seed=seed, median=median, n_endpoints=n_endpoints, period=period, K=K))
    sigma, seed, median, n_endpoints, period, K = (v[k] for k in ("sigma", "seed", "median", "n_endpoints",
                                                                  "period", "K"))
    n_runs = check_int("n_runs", n_runs, lo=2, hi=10 * MAX_RUNS)  # plain sampling needs far more runs
    rng = np.random.default_rng(seed)
    hits, left = 0, n_runs
    while left:  # in chunks: a million walks at once would hold 24 MB for nothing
        n = min(left, 200_000)
        hits += int((rng.lognormal(math.log(median), sigma, (n, n_endpoints)).sum(axis=1) >= K * period).sum())
        left -= n
    p = hits / n_runs
    return p, math.sqrt(p * (1 - p) / n_runs)


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
    if isinstance(sigmas, (str, bytes)) or not hasattr(sigmas, "__iter__"):
        raise TypeError(f"sigmas must be a sequence of delay spreads, got {type(sigmas).__name__} {sigmas!r}")
    sigmas = list(sigmas)
    if not sigmas:
        raise ValueError("sigmas must hold at least one value")
    if len(sigmas) > 1000:
        raise ValueError(f"sigmas must hold at most 1000 values, got {len(sigmas)}")
    return [race_probability(s, **kw) for s in sigmas]


def runs_per_year(run_interval: float = 60.0, enactors: int = 3) -> float:
    """Return how many Enactor runs a year holds (each Enactor starts one every run_interval seconds)."""
    check_number("run_interval", run_interval, lo=0, lo_open=True)
    check_int("enactors", enactors, lo=1, hi=1000)
    return enactors * SECONDS_PER_YEAR / run_interval


def p_at_least_one(p_run, runs: float):
    """Return P(at least one race in *runs* independent runs), accurate even for tiny p_run."""
    try:
        p = np.asarray(p_run, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"p_run must be a probability (a number or an array of numbers), got "
                        f"{type(p_run).__name__} {p_run!r:.60}") from None
    if np.any((p < 0) | (p > 1)) or not np.all(np.isfinite(p)):
        raise ValueError(f"p_run must be a probability in [0, 1], got {p_run!r}")
    check_number("runs", runs, lo=0)
    safe = np.where(p >= 1, 0.0, p)  # p = 1 is handled below; keep log1p finite
    out = -np.expm1(runs * np.log1p(-safe))
    out = np.where(p >= 1, 1.0, out)
    return float(out) if out.ndim == 0 else out
