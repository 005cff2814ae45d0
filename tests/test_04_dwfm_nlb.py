"""Chapter 4 DWFM leases and NLB failover: the published story, conservation, velocity control, bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from course_lib import dwfm, nlb

STORY_TOLERANCE = 5  # minutes either side of a published clock time


def test_clock_round_trips_across_midnight():
    """minutes() and clock() agree, with 23:48 as minute 0 and the night wrapping at 24:00."""
    assert dwfm.minutes("23:48") == 0 and dwfm.minutes("02:25") == 157
    assert dwfm.clock(dwfm.minutes("05:28")) == "05:28"


def test_default_run_collapses_without_mitigation():
    """With no mitigation DWFM makes no progress after 02:25: leases never all come back."""
    run = dwfm.simulate(mitigation="none")
    assert math.isinf(run.all_held_at())
    after = run.t >= dwfm.minutes("03:00")
    assert run.held[after].max() == 0  # congestive collapse: no forward progress
    assert run.wasted[after].sum() > 0  # the manager is busy, on attempts whose lease already timed out


def test_default_run_tells_the_published_story():
    """Leases are gone by 02:24, stuck until 04:14, and all held at about 05:28 with throttling + restarts."""
    run = dwfm.simulate()
    assert run.held[dwfm.minutes("02:24")] == 0
    assert run.held[dwfm.minutes("04:13")] == 0
    assert abs(run.all_held_at() - dwfm.minutes("05:28")) <= STORY_TOLERANCE


@pytest.mark.parametrize("mitigation", ["restart", "throttle"])
def test_either_action_alone_is_not_enough_by_05_28(mitigation):
    """A restart alone refloods; a throttle alone leaves the doomed queue to drain."""
    assert dwfm.simulate(mitigation=mitigation).all_held_at() > dwfm.minutes("05:28") + STORY_TOLERANCE


@pytest.mark.parametrize("throttle", [None, 7_200])
def test_smaller_fleets_recover_no_later(throttle):
    """With throttling + restarts at 04:14, a smaller fleet holds all leases no later than the default 100,000."""
    default = dwfm.simulate(throttle=throttle).all_held_at()
    times = [dwfm.simulate(fleet=fleet, throttle=throttle).all_held_at() for fleet in range(10_000, 100_001, 10_000)]
    assert all(t <= default for t in times)
    assert times == sorted(times)  # monotone in the fleet size


def test_admission_control_in_place_prevents_the_collapse():
    """The queue-size throttle, in place when DNS returns, recovers with no restart; added at 04:14 it cannot."""
    assert dwfm.simulate(mitigation="admission control").all_held_at() < dwfm.minutes("04:14")
    assert math.isinf(dwfm.simulate(mitigation="throttle").all_held_at())


def test_zero_propagation_delay_means_no_flapping():
    """With network state propagating at once nothing flaps, so failover never removes capacity."""
    run = nlb.simulate(propagation_delay=0.0, switch_off=None)
    assert run.flips.max() == 0 and run.in_service.min() == run.total


def _dwfm_balanced(run):
    assert run.attempts.sum() == run.established.sum() + run.timed_out.sum() + run.dropped.sum() + run.pending
    assert run.held[-1] + run.backlog[-1] + run.pending == run.fleet


@settings(max_examples=40, deadline=None)
@given(fleet=st.integers(1, 300_000), timeout=st.integers(2, 30), rate=st.floats(100, 20_000),
       mitigation=st.sampled_from(dwfm.MITIGATIONS), slowdown=st.floats(0, 3))
def test_every_lease_attempt_is_counted_once(fleet, timeout, rate, mitigation, slowdown):
    """Conservation: attempts = established + timed out + dropped + pending; droplets are held, waiting or queued."""
    _dwfm_balanced(dwfm.simulate(fleet=fleet, lease_timeout=timeout, check_interval=min(3, timeout),
                                 rate=rate, mitigation=mitigation, slowdown=slowdown))


def test_dwfm_is_deterministic():
    """The DWFM model has no randomness: two runs are identical."""
    assert np.array_equal(dwfm.simulate().held, dwfm.simulate().held)


@pytest.mark.parametrize(("kw", "name"), [
    ({"fleet": 0}, "fleet"), ({"lease_timeout": 0.0}, "lease_timeout"), ({"rate": -1.0}, "rate"),
    ({"rate": math.nan}, "rate"), ({"mitigation": "pray"}, "mitigation"), ({"mitigation_at": "25:00"},
                                                                             "mitigation_at"),
    ({"horizon": "01:00"}, "horizon")])
def test_dwfm_bad_input(kw, name):
    """Bad DWFM parameters raise ValueError naming the parameter."""
    with pytest.raises(ValueError, match=name):
        dwfm.simulate(**kw)


def test_nlb_default_run_tells_the_published_story():
    """Errors start near 05:30, stop when failover is switched off at 09:36, none after re-enabling."""
    run = nlb.simulate()
    bad = run.t[run.error_rate > 0.01]
    assert abs(bad[0] - nlb.minutes("05:30")) <= STORY_TOLERANCE
    assert bad[-1] < nlb.minutes("09:36")
    off = (run.t >= nlb.minutes("09:36")) & (run.t < nlb.minutes("14:09"))
    assert np.all(run.in_service[off] == run.total)  # every healthy node back in service


def test_nlb_without_switch_off_errors_last_until_propagation_recovers():
    """Left on, failover keeps removing capacity until propagation is normal again (10:36)."""
    run = nlb.simulate(switch_off=None)
    assert run.t[run.error_rate > 0.01][-1] >= nlb.minutes("10:30")


@settings(max_examples=40, deadline=None)
@given(cap=st.floats(0, 1), delay=st.floats(1, 120), seed=st.integers(0, 50), demand=st.floats(0.1, 0.9))
def test_velocity_control_bounds_capacity_removed_by_failover(cap, delay, seed, demand):
    """AZ failover never removes more than the velocity cap; targets and connections are conserved."""
    run = nlb.simulate(velocity_cap=cap, propagation_delay=delay, switch_off=None, seed=seed, demand=demand)
    assert np.all(run.az_removed <= math.floor(cap * run.total + 1e-9))
    assert np.all(run.in_service + run.node_removed + run.az_removed == run.total)
    assert np.all(run.connections == run.served + run.errors)


def test_a_small_cap_keeps_capacity_above_demand():
    """With a 0.1 cap capacity stays above demand all morning, where no cap drops it to zero."""
    assert nlb.simulate(velocity_cap=0.1, switch_off=None).in_service.min() >= nlb.simulate().demand
    assert nlb.simulate(switch_off=None).in_service.min() < nlb.simulate().demand


def test_nlb_is_deterministic_per_seed():
    """One seed, one run."""
    assert np.array_equal(nlb.simulate(seed=4).in_service, nlb.simulate(seed=4).in_service)


@pytest.mark.parametrize(("kw", "name"), [
    ({"demand": 0.0}, "demand"), ({"velocity_cap": -0.1}, "velocity_cap"), ({"velocity_cap": math.nan},
                                                                            "velocity_cap"),
    ({"propagation_delay": -1.0}, "propagation_delay"), ({"targets": 0}, "targets"),
    ({"horizon": "04:00"}, "horizon")])
def test_nlb_bad_input(kw, name):
    """Bad NLB parameters raise ValueError naming the parameter."""
    with pytest.raises(ValueError, match=name):
        nlb.simulate(**kw)
