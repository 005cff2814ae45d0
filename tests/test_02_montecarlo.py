"""Chapter 2's rare-event estimate: unbiased for the whole event, with an honest standard error."""

import math

import numpy as np
import pytest

from course_lib.dns_race_montecarlo import (
    MAX_RUNS,
    p_at_least_one,
    plain_stale_probability,
    race_curve,
    race_probability,
    runs_per_year,
)

MEDIAN, C = 0.05, 5.0  # the chapter's per-endpoint median and K * period


def brute_force(sigma: float, n: int, samples: int, seed: int) -> tuple[float, float]:
    """Return the share of plain simulated walks that reach C, and its binomial standard error."""
    rng = np.random.default_rng(seed)
    hits = 0
    for _ in range(samples // 200_000):
        hits += int((rng.lognormal(math.log(MEDIAN), sigma, (200_000, n)).sum(axis=1) >= C).sum())
    p = hits / samples
    return p, math.sqrt(p * (1 - p) / samples)


@pytest.mark.parametrize("sigma", [1.5, 2.0, 2.5])
def test_estimate_agrees_with_brute_force_where_hits_are_feasible(sigma):
    """At a large sigma plain simulation sees thousands of hits; the estimate lies in the combined interval."""
    est = race_probability(sigma, n_runs=50_000, seed=4)
    se = est.stderr / est.p_overlap
    plain, plain_se = brute_force(sigma, 3, 1_000_000, seed=11)
    assert plain * 1_000_000 > 1_000  # enough hits for the binomial interval to mean something
    assert abs(est.p_stale - plain) <= 3.5 * math.hypot(se, plain_se)


def lognormal_sf(x, mu, sigma):
    return 0.5 * math.erfc((math.log(x) - mu) / (sigma * math.sqrt(2))) if x > 0 else 1.0


def two_endpoints_by_quadrature(sigma: float) -> float:
    """Return P(X1 + X2 >= C) for two lognormal times by numerical integration over log X1."""
    mu = math.log(MEDIAN)
    u = np.linspace(mu - 14 * sigma, math.log(C), 400_001)
    x = np.exp(u)
    density = np.exp(-0.5 * ((u - mu) / sigma) ** 2) / (sigma * math.sqrt(2 * math.pi))  # per unit of log x
    tail = np.array([lognormal_sf(C - xi, mu, sigma) for xi in x])
    return float(np.trapezoid(density * tail, u)) + lognormal_sf(C, mu, sigma)


@pytest.mark.parametrize("sigma", [0.6, 0.8, 1.0])
def test_estimate_agrees_with_quadrature_where_plain_sampling_is_blind(sigma):
    """For two endpoints the exact probability is an integral: the estimate matches it within 4 std. errors."""
    exact = two_endpoints_by_quadrature(sigma)
    est = race_probability(sigma, n_runs=20_000, seed=5, n_endpoints=2)
    se = est.stderr / est.p_overlap
    assert exact < 1e-5
    assert abs(est.p_stale - exact) <= 4 * se + 1e-3 * exact
    assert se < 0.05 * exact  # the error bar resolves the probability


@pytest.mark.parametrize("sigma", [1.0, 1.2])
def test_standard_error_is_honest(sigma):
    """Across 40 seeds the estimates scatter as much as the reported standard error says (old flaw: 10x less)."""
    ests = [race_probability(sigma, n_runs=2_000, seed=s) for s in range(40)]
    p = np.array([e.p_run for e in ests])
    reported = float(np.median([e.stderr for e in ests]))
    assert 0.6 < p.std(ddof=1) / reported < 1.6


def test_estimate_catches_a_slow_first_endpoint():
    """The old estimator missed walks whose slow endpoint was not the last; this one is ~3x higher at sigma 1."""
    est = race_probability(1.0, n_runs=20_000, seed=2)
    plain_last_only = 1.23e-08  # what the old (last endpoint only) estimator printed in the chapter
    assert 2.5 < est.p_run / plain_last_only < 3.5


def test_degenerate_cases_are_exact():
    """sigma = 0 and a single endpoint need no sampling: the answers are exact, with zero error."""
    assert race_probability(0.0).p_stale == 0.0 and race_probability(0.0, median=2.0).p_stale == 1.0
    one = race_probability(1.5, n_endpoints=1)
    assert one.stderr == 0.0 and math.isclose(one.p_stale, lognormal_sf(C, math.log(MEDIAN), 1.5))


def test_curve_is_monotone_and_seeded():
    """P(race) rises with sigma and repeats for a seed."""
    curve = race_curve([0.6, 0.8, 1.0, 1.2, 1.5], n_runs=5_000, seed=3)
    p = [e.p_run for e in curve]
    assert p == sorted(p) and p[0] > 0
    assert race_probability(1.2, seed=3) == race_probability(1.2, seed=3)


@pytest.mark.parametrize("kw, name", [
    (dict(sigma=-1.0), "sigma"), (dict(sigma=math.nan), "sigma"), (dict(sigma=True), "sigma"),
    (dict(n_runs=1), "n_runs"), (dict(n_runs=MAX_RUNS + 1), "n_runs"), (dict(n_runs=2.5), "n_runs"),
    (dict(seed=-1), "seed"), (dict(seed=1.5), "seed"), (dict(median=0.0), "median"),
    (dict(median=math.inf), "median"), (dict(K=0), "K"), (dict(period=-1.0), "period"),
    (dict(run_interval=0.0), "run_interval"), (dict(cleanup_step=-0.1), "cleanup_step"),
    (dict(enactors=1), "enactors"), (dict(n_endpoints=0), "n_endpoints"),
])
def test_race_probability_refuses_bad_values_by_name(kw, name):
    """Every parameter is validated and named in the error."""
    kw = {"sigma": 1.0, **kw}
    with pytest.raises((TypeError, ValueError), match=name):
        race_probability(kw.pop("sigma"), **kw)


def test_helpers_refuse_bad_values_by_name():
    """race_curve, runs_per_year and p_at_least_one name what is wrong."""
    with pytest.raises(ValueError, match="sigmas"):
        race_curve([])
    with pytest.raises(TypeError, match="sigmas"):
        race_curve(1.0)
    with pytest.raises(ValueError, match="run_interval"):
        runs_per_year(0.0)
    with pytest.raises(ValueError, match="p_run"):
        p_at_least_one(math.nan, 10)
    with pytest.raises(ValueError, match="runs"):
        p_at_least_one(0.1, -1)


def test_plain_stale_probability_is_the_binomial_share():
    """The brute-force helper the chapter shows counts hits and reports the binomial error; it validates."""
    p, se = plain_stale_probability(2.0, n_runs=400_000, seed=3)
    mine, mine_se = brute_force(2.0, 3, 400_000, seed=3)
    assert p == mine and math.isclose(se, mine_se)  # same seed, same chunks: the same walks
    with pytest.raises(ValueError, match="n_runs"):
        plain_stale_probability(2.0, n_runs=1)


CHAPTER = dict(n_runs=20_000, seed=2)  # the chapter's curve


def test_chapter_2_sentences_hold():
    """The chapter's Monte Carlo story: rare at sigma 1.0, likely at 1.2, near certain at 1.3."""
    runs = runs_per_year(60.0, 3)
    curve = {e.sigma: e for e in race_curve([0.9, 1.0, 1.1, 1.2, 1.3], **CHAPTER)}
    rare = curve[1.0]
    assert 1e-8 <= rare.p_run < 1e-7 and curve[0.9].p_run < 1e-8  # "rare": the first sigma with p >= 1e-8
    assert 0.01 < p_at_least_one(rare.p_run, runs) < 0.2
    # The predict prompt's options: 1 in 100, 1 in 10 000, 1 in 100 million; the last is the closest (log scale).
    assert min((2, 4, 8), key=lambda d: abs(math.log10(1 / rare.p_run) - d)) == 8
    assert p_at_least_one(curve[1.1].p_run, runs) < 0.5 <= p_at_least_one(curve[1.2].p_run, runs)
    assert p_at_least_one(curve[1.3].p_run, runs) > 0.95
    for e in curve.values():  # every number printed is resolved: a relative error under 1 %
        assert e.stderr < 0.01 * e.p_run


def test_chapter_2_cross_check_agrees():
    """The chapter's cell comparing plain simulation with the estimate at sigma 2 agrees within 3 errors."""
    plain, plain_se = plain_stale_probability(2.0, n_runs=1_000_000, seed=7)
    smart = race_probability(2.0, n_runs=20_000, seed=2)
    assert abs(smart.p_stale - plain) < 3 * math.hypot(plain_se, smart.stderr / smart.p_overlap)
