"""Chapter 1 simulators: OCC contention (Brooker's findings) and Route 53 lock contention."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from course_lib.backoff import STRATEGIES
from course_lib.contention import (
    compare_strategies,
    contention_view,
    repeat_strategies,
    simulate,
    sweep_clients,
)
from course_lib.lock_contention import (
    POLICIES,
    loss_tail,
    losses_for_tail,
    losses_pmf,
    simulate_lock,
    tail_closed_form,
    tail_table,
    wait_after_losses,
)

SEEDS = range(4)


@pytest.fixture(scope="module")
def at_100():
    """Mean calls and completion time per strategy at 100 clients, base 5 ms, cap 1000 ms, over 4 seeds."""
    runs = [compare_strategies(100, 5.0, 1000.0, seed) for seed in SEEDS]
    return {name: (np.mean([r[name].calls for r in runs]), np.mean([r[name].completion_ms for r in runs]))
            for name in STRATEGIES}


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 60), st.sampled_from(list(STRATEGIES)), st.floats(0.5, 50), st.floats(1, 20),
       st.integers(0, 10_000), st.floats(50, 1e5))
def test_contention_conserves_calls(n, strategy, base, cap_factor, seed, horizon):
    """Every call is counted once as success, conflict or in flight, and each client succeeds at most once."""
    run = simulate(n, strategy, base, base * cap_factor, seed, horizon_ms=horizon)
    assert run.conserved
    assert run.successes <= n and run.successes == int(np.sum(~np.isnan(run.done_ms)))
    if run.in_flight == 0:
        assert run.successes == n


def test_contention_is_deterministic_per_seed():
    """The same seed gives the same trace; another seed gives another."""
    a, b = simulate(30, "full jitter", seed=7), simulate(30, "full jitter", seed=7)
    assert np.array_equal(a.times, b.times) and np.array_equal(a.who, b.who) and a.calls == b.calls
    assert not np.array_equal(a.times, simulate(30, "full jitter", seed=8).times)


def test_work_grows_like_n_squared_without_backoff():
    """Without backoff the calls grow roughly with N²: the log-log slope is between 1.6 and 2.2."""
    counts, calls, _ = sweep_clients([25, 50, 100, 200], "none")
    slope = np.polyfit(np.log(counts), np.log(calls), 1)[0]
    assert 1.6 < slope < 2.2


def test_exponential_without_jitter_is_the_clear_loser(at_100):
    """Un-jittered exponential backoff does more work and takes longer than every jittered strategy."""
    calls, time = at_100["exponential"]
    for name in ("full jitter", "equal jitter", "decorrelated jitter"):
        assert calls > at_100[name][0] and time > at_100[name][1]


def test_jitter_more_than_halves_calls_at_100_clients(at_100):
    """At 100 clients full and equal jitter make fewer than half the calls of un-jittered backoff."""
    plain = at_100["exponential"][0]
    assert at_100["full jitter"][0] < 0.5 * plain and at_100["equal jitter"][0] < 0.5 * plain
    assert at_100["decorrelated jitter"][0] < 0.6 * plain


def test_full_equal_similar_decorrelated_more(at_100):
    """Full and equal jitter do about the same work (within 10%); decorrelated does somewhat more than full."""
    full, equal, deco = (at_100[n][0] for n in ("full jitter", "equal jitter", "decorrelated jitter"))
    assert abs(full - equal) < 0.1 * full
    assert full < deco < 1.5 * full


def test_equal_jitter_takes_longer_than_full(at_100):
    """Equal jitter takes more time than full jitter ([S12]: 'much more time')."""
    assert at_100["equal jitter"][1] > at_100["full jitter"][1]


def test_horizon_leaves_calls_in_flight():
    """A short horizon leaves calls in flight and still conserves them."""
    run = simulate(50, "none", horizon_ms=30.0)
    assert run.in_flight > 0 and run.conserved and math.isnan(run.completion_ms)


def test_strategy_function_is_accepted_and_checked():
    """A plain function works as a strategy; a negative sleep is reported naming the strategy."""
    run = simulate(10, lambda a, p, b, c, rng: 1.0)
    assert run.strategy == "<lambda>" and run.successes == 10
    with pytest.raises(ValueError, match="returned sleep"):
        simulate(10, lambda a, p, b, c, rng: -1.0)


@pytest.mark.parametrize("kwargs, fragment", [
    ({"clients": 0}, "clients"), ({"clients": -3}, "clients"), ({"base": -1.0}, "base"),
    ({"base": 10.0, "cap": 5.0}, "cap must be >= base"), ({"base": float("nan")}, "base"),
    ({"strategy": "bogus"}, "unknown strategy"), ({"delay_mean": -1.0}, "delay_mean"),
])
def test_contention_validates(kwargs, fragment):
    """Bad parameters raise ValueError naming the parameter."""
    with pytest.raises(ValueError, match=fragment):
        simulate(**kwargs)


def test_contention_view_runs_all_strategies():
    """The widget's compute runs every strategy at the chosen N and returns the no-backoff curve."""
    view = contention_view(40, "equal jitter")
    assert set(view.runs) == set(STRATEGIES) and view.ref_calls[-1] > view.ref_calls[0]
    with pytest.raises(ValueError, match="unknown strategy"):
        contention_view(40, "nope")


# --- lock contention -------------------------------------------------------------------------------

@settings(max_examples=30, deadline=None)
@given(st.integers(1, 6), st.floats(0.5, 10), st.floats(1, 30), st.sampled_from(list(POLICIES)),
       st.integers(0, 1000))
def test_lock_sim_conserves_attempts(k, hold, lease, policy, seed):
    """Every lock attempt is counted once as a win or a loss; losses before wins never exceed all losses."""
    run = simulate_lock(k, hold, lease, policy, horizon=300.0, seed=seed)
    assert run.conserved and run.pending <= k
    assert len(run.waits) == len(run.losses) == len(run.winner)


def test_lock_sim_deterministic_and_exclusive_with_long_lease():
    """Same seed, same run; with a lease far longer than any hold nobody ever shares the lock."""
    a, b = simulate_lock(3, seed=5), simulate_lock(3, seed=5)
    assert np.array_equal(a.waits, b.waits)
    assert simulate_lock(3, hold=1.0, lease=60.0, seed=5).overlaps == 0


def test_short_lease_breaks_exclusion():
    """A lease shorter than typical holds lets a second Enactor take the lock while the first still works."""
    assert simulate_lock(3, hold=5.0, lease=1.0).overlaps > 10


def test_single_enactor_never_waits():
    """With one Enactor every attempt wins at once."""
    run = simulate_lock(1)
    assert run.failures == 0 and np.allclose(run.waits, 0.2)


def test_exponential_tail_heavier_than_fixed():
    """For 3 Enactors, waiting 10x the median is far more common with exponential backoff than fixed retries."""
    table = tail_table((3,), ("fixed", "exponential"))
    assert table[0, 1] > 5 * table[0, 0]


def test_closed_form_geometric():
    """The geometric loss law: pmf sums to one, tail is rho**k, and waits add sleeps and calls."""
    assert losses_pmf(0.5, 60).sum() == pytest.approx(1.0)
    assert loss_tail(0.6, 5) == pytest.approx(0.6 ** 5)
    assert wait_after_losses(6, "exponential", 0.5, 60.0, 0.2) == pytest.approx(32.9)
    assert wait_after_losses(3, "fixed", 0.5, 60.0, 0.2) == pytest.approx(2.3)


def test_losses_for_tail_matches_the_chapter_prose():
    """With exponential backoff the median is 0 losses and 2 losses exceed 10x it; a fixed interval needs many more."""
    rho = simulate_lock(3, policy="exponential", horizon=3000.0).rho
    assert losses_for_tail(rho, "exponential") == (0, 2)
    assert wait_after_losses(2, "exponential", 0.5, 60.0) > 10 * wait_after_losses(0, "exponential", 0.5, 60.0)
    assert tail_closed_form(rho, "exponential") == pytest.approx(rho ** 2)
    n_med, n_star = losses_for_tail(simulate_lock(3, policy="fixed", horizon=3000.0).rho, "fixed")
    assert n_star >= 5 * max(n_med, 1)


def test_repeat_strategies_full_equal_same_work_equal_slower():
    """Over 10 seeds: full and equal jitter within 3% in calls, equal slower, decorrelated more work than full."""
    reps = repeat_strategies(100, seeds=range(10), names=("full jitter", "equal jitter", "decorrelated jitter"))
    full, equal, deco = (reps[n] for n in ("full jitter", "equal jitter", "decorrelated jitter"))
    assert all(len(a) == 10 for a in (*full, *equal, *deco))
    assert abs(full[0].mean() - equal[0].mean()) < 0.03 * full[0].mean()
    assert equal[1].mean() > 1.1 * full[1].mean()
    assert deco[0].mean() > 1.05 * full[0].mean()
    with pytest.raises(ValueError, match="seeds"):
        repeat_strategies(10, seeds=[])


def test_closed_form_matches_simulation_for_few_contenders():
    """For 2-3 Enactors with exponential backoff the closed-form tail is within a factor 1.5 of simulation."""
    for k in (2, 3):
        run = simulate_lock(k, policy="exponential", horizon=3000.0)
        assert tail_closed_form(run.rho, "exponential") == pytest.approx(run.tail(), rel=0.5)


@pytest.mark.parametrize("kwargs, fragment", [
    ({"enactors": 0}, "enactors"), ({"hold": 0.0}, "hold"), ({"lease": -1.0}, "lease"),
    ({"policy": "none"}, "policy"), ({"base": 2.0, "cap": 1.0}, "cap"),
])
def test_lock_sim_validates(kwargs, fragment):
    """Bad lock parameters raise ValueError naming the parameter."""
    with pytest.raises(ValueError, match=fragment):
        simulate_lock(**kwargs)
