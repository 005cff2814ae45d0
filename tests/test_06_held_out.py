"""The sceptical rerun of Chapter 6's held-out moment (course_lib.held_out): the refit, the draws, the error bars."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from course_lib import cascade, dwfm, held_out, network_manager, timeline


@pytest.fixture(scope="module")
def night():
    return cascade.run()


@pytest.fixture(scope="module")
def spreads():
    return held_out.spread(200, seed=0), held_out.spread(200, seed=1)


@pytest.fixture(scope="module")
def one():
    return held_out.one_at_a_time()


def test_the_refit_rule_finds_the_shipped_default(night):
    """The rule every draw is refitted by gives 173 a minute (10:38) on the published night, as shipped."""
    rate, at = held_out.refit_propagation_rate(night.leases)
    assert rate == network_manager.SPEC["propagation_rate"].default == 173.0
    assert at == night.times["propagation normal"] == timeline.minutes("10:38")


@pytest.mark.parametrize("kw", [{}, {"launch_rate": 80.0}, {"termination_rate": 28.0}, {"peak_launches": 500.0}])
def test_the_refit_is_the_nearest_whole_rate_by_brute_force(night, kw):
    """Bisection against a plain scan of every whole rate from 100 to 400 a minute."""
    rate, at = held_out.refit_propagation_rate(night.leases, **kw)
    target = timeline.published("propagation normal")
    scan = {r: network_manager.simulate(night.leases, propagation_rate=float(r), **kw).normal_at
            for r in range(100, 401)}
    best = min(scan.values(), key=lambda m: abs(m - target))
    assert abs(at - target) == abs(best - target)
    assert scan[int(rate)] == at
    # the normal time never rises with the rate (what the bisection relies on)
    times = [scan[r] for r in range(100, 401)]
    assert all(b <= a for a, b in itertools.pairwise(times))


def test_default_rerun_equals_the_replay(night, one):
    """At the defaults the rerun reads 06:04, the replay's own prediction (17 minutes early)."""
    base = {key: held_out._default(*key) for key in held_out.UNCERTAIN}
    rerun = held_out._rerun(base, held_out._leases())
    assert rerun.fitted and rerun.propagation_rate == 173.0
    assert rerun.predicted == night.times["connectivity problems"] == timeline.minutes("06:04")
    assert rerun.error == -17.0


def test_one_at_a_time_ranges_and_results(one):
    assert set(one) == {f"{s}.{n}" for s, n in held_out.UNCERTAIN}
    for name, (low, high) in one.items():
        stage, param = name.split(".")
        default = held_out._default(stage, param)
        assert low.values[name] == pytest.approx(default / held_out.FACTOR)
        assert high.values[name] == pytest.approx(min(default * held_out.FACTOR, 1.0 if param == "throttled_launches"
                                                      else math.inf))
        for r in (low, high):
            target = timeline.published("propagation normal")
            assert r.fitted == (abs(r.normal_at - target) <= cascade.FIT_TOLERANCE)
    # the a priori limit: 15 minutes would give 06:22, 6.7 minutes 05:52 (the rate does not move: it is refitted
    # to 10:36, which the limit does not change)
    low, high = one["network_manager.connectivity_limit"]
    assert (cascade.clock(low.predicted), cascade.clock(high.predicted)) == ("05:52", "06:22")
    assert low.propagation_rate == high.propagation_rate == 173.0
    # launch demand 1.5x the default cannot be fitted: refused launches still wait at 11:23 (see the next test)
    assert not one["network_manager.launch_rate"][1].fitted


def test_unfitted_draws_are_ruled_out_by_the_record(night):
    """With 150 launch requests a minute the throttle (200 a minute) drains the refused ones so slowly that they
    are still waiting when the throttles are relaxed at 11:23, and their flood keeps Network Manager slow past
    10:36 for every rate that lets a backlog build at all: no rate reproduces 10:36."""
    relax = int(timeline.published("throttles relaxed"))
    target = timeline.published("propagation normal")
    for rate in (200.0, 250.0, 300.0, 316.0, 320.0, 400.0):
        run = network_manager.simulate(night.leases, launch_rate=150.0, propagation_rate=rate)
        assert run.pending[relax] > 10_000
        assert abs(run.normal_at - target) > cascade.FIT_TOLERANCE


def test_unfitted_draws_are_the_waiting_ones_or_the_grid(spreads):
    """Every unfitted draw either still has refused launches waiting at 11:23, or sits where the whole rates on
    either side of the target miss it by more than the fit tolerance (the grid, checked here); no fitted draw has
    launches waiting at 11:23."""
    target = timeline.published("propagation normal")
    leases_for = held_out._leases()
    s = spreads[0]
    assert s.unfitted_waiting <= s.unfitted
    assert not any(r.fitted and r.waiting_at_relax > 0 for r in s.reruns)
    for r in s.reruns:
        if r.fitted or r.waiting_at_relax > 0:
            continue
        nm = {k.split(".")[1]: v for k, v in r.values.items() if k.startswith("network_manager.")}
        leases = leases_for(r.values["dwfm.throttled_launches"])
        for rate in (r.propagation_rate - 1, r.propagation_rate, r.propagation_rate + 1):
            at = network_manager.simulate(leases, propagation_rate=rate, **nm).normal_at
            assert abs(at - target) > cascade.FIT_TOLERANCE


def test_spread_is_seeded_and_deterministic():
    a, b = held_out.spread(12, seed=3), held_out.spread(12, seed=3)
    assert [r.values for r in a.reruns] == [r.values for r in b.reruns]
    assert np.array_equal(a.predicted, b.predicted)
    assert [r.values for r in held_out.spread(12, seed=4).reruns] != [r.values for r in a.reruns]


def test_draws_stay_within_their_declared_ranges(spreads):
    for s in spreads:
        for r in s.reruns:
            for (stage, name) in held_out.UNCERTAIN:
                lo, hi = held_out._bounds(stage, name)
                assert lo - 1e-9 <= r.values[f"{stage}.{name}"] <= hi + 1e-9
        shares = {r.values["dwfm.throttled_launches"] for r in s.reruns}
        assert len(shares) <= held_out.THROTTLE_GRID


def test_fitted_draws_agree_with_the_record_where_the_default_does(spreads):
    target = timeline.published("propagation normal")
    for s in spreads:
        fitted = [r for r in s.reruns if r.fitted]
        assert len(fitted) == s.predicted.size == s.draws - s.unfitted
        assert all(abs(r.normal_at - target) <= cascade.FIT_TOLERANCE for r in fitted)


def test_the_record_does_not_fix_the_held_out_moment(spreads):
    """The chapter's finding, on two independent seeds: few draws within ±15 min, the median well early."""
    published = timeline.published("connectivity problems")
    for s in spreads:
        _, _, hi = s.within()
        assert hi < 0.35  # far from "most draws reproduce 06:21"
        _, m_hi = s.median_interval()
        assert m_hi < published - cascade.TOLERANCE  # the median is more than 15 minutes early
        assert s.quantile(0.1) < published - 30 and s.quantile(0.9) > published + 30  # a wide spread


def test_error_bars_are_honest_across_seeds(spreads):
    """Two independent seeds agree within their own error bars (shares within 3 combined standard errors)."""
    (a, b) = spreads
    for get in (lambda s: s.within(), lambda s: s.never):
        (pa, _, _), (pb, _, _) = get(a), get(b)
        na, nb = a.predicted.size, b.predicted.size
        se = math.sqrt(pa * (1 - pa) / na + pb * (1 - pb) / nb)
        assert abs(pa - pb) <= 3 * max(se, 1 / min(na, nb))
    ia, ib = a.median_interval(), b.median_interval()
    assert ia[0] <= ib[1] and ib[0] <= ia[1]  # the two medians' 95 % intervals overlap


def test_wilson_interval_against_known_values():
    """k = 0 of 10: (0, 0, 0.2775); k = 5 of 10: (0.5, 0.2366, 0.7634) (standard tables)."""
    s = held_out.spread(1, seed=0)
    p, lo, hi = s._share(np.zeros(10, dtype=bool))
    assert (p, lo) == (0.0, 0.0) and hi == pytest.approx(0.2775, abs=1e-4)
    p, lo, hi = s._share(np.arange(10) < 5)
    assert p == 0.5 and lo == pytest.approx(0.2366, abs=1e-4) and hi == pytest.approx(0.7634, abs=1e-4)


def test_notebook_paragraph_states_the_printed_numbers():
    """Chapter 6's rerun paragraph quotes the same numbers spread(300, seed=0) gives."""
    import json
    from pathlib import Path

    nb = json.loads((Path(__file__).resolve().parents[1] / "notebooks" / "06_the_cascade.ipynb").read_text())
    text = " ".join(" ".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown").split())
    s = held_out.spread(300, seed=0)
    share, lo, hi = s.within()
    m_lo, m_hi = s.median_interval()
    pc, c = (lambda x: f"{100 * x:.0f} %"), cascade.clock
    for fragment in (f"{s.unfitted} of the {s.draws} draws", f"In {s.unfitted_waiting} of them",
                     f"In the other {s.unfitted - s.unfitted_waiting},", f"Only {pc(share)} of the rest",
                     f"({pc(lo)}–{pc(hi)}, a 95 % interval)", f"Their median is {c(s.quantile(0.5))} ({c(m_lo)}–{c(m_hi)})",
                     f"from {c(s.quantile(0.1))} to {c(s.quantile(0.9))}", f"only {pc(share)} of the runs land"):
        assert fragment in text, fragment


@pytest.mark.parametrize(("kw", "name", "exc"), [
    ({"draws": 0}, "draws", ValueError), ({"draws": -1}, "draws", ValueError),
    ({"draws": 10**18}, "draws", ValueError), ({"draws": 2.5}, "draws", TypeError),
    ({"draws": "many"}, "draws", TypeError), ({"draws": True}, "draws", TypeError),
    ({"seed": -1}, "seed", ValueError), ({"seed": None}, "seed", TypeError),
])
def test_spread_refuses_bad_input_by_name(kw, name, exc):
    with pytest.raises(exc, match=name):
        held_out.spread(**{"draws": 2, **kw})


def test_spread_methods_refuse_bad_input_by_name():
    s = held_out.spread(12, seed=0)
    for bad, exc in ((math.nan, ValueError), (-1.0, ValueError), ("15", TypeError), (math.inf, ValueError)):
        with pytest.raises(exc, match="tolerance"):
            s.within(bad)
    for bad, exc in ((1.5, ValueError), (math.nan, ValueError), (None, TypeError)):
        with pytest.raises(exc, match="q"):
            s.quantile(bad)
    with pytest.raises(ValueError, match="at least 10"):
        held_out.spread(3, seed=0).median_interval()


def test_refit_refuses_bad_input_by_name(night):
    with pytest.raises(TypeError, match="leases"):
        held_out.refit_propagation_rate(None)
    with pytest.raises(ValueError, match="propagation_rate"):
        held_out.refit_propagation_rate(night.leases, propagation_rate=173.0)
    with pytest.raises(ValueError, match="launch_rate"):
        held_out.refit_propagation_rate(night.leases, launch_rate=math.nan)
    with pytest.raises(ValueError, match=r"unknown|no_such"):
        held_out.refit_propagation_rate(night.leases, no_such=1.0)


def test_the_limit_follows_dwfm_lease_timeout():
    assert held_out._default("network_manager", "connectivity_limit") == dwfm.SPEC["lease_timeout"].default
