"""Chapter 4 DWFM leases, Network Manager and NLB failover: the published story, conservation, bad input."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from course_lib import dwfm, dynamodb, network_manager, nlb
from course_lib.timeline import published

STORY_TOLERANCE = 5  # minutes either side of a published clock time
OFF = {"failover_disabled_at": published("failover disabled"), "failover_enabled_at": published("failover re-enabled")}
NEVER = {"failover_disabled_at": None, "failover_enabled_at": None}


@pytest.fixture(scope="module")
def night():
    """The published night through DWFM and Network Manager (computed once for the NLB tests)."""
    leases = dwfm.simulate()
    return leases, network_manager.simulate(leases)


def test_default_run_collapses_without_mitigation():
    """With no mitigation DWFM makes no progress after 02:25: leases never all come back.  The hosts differ:
    the two that manage the fewest droplets re-establish all their leases, one holds a quarter of its own and
    stays there, the seven largest hold none (congestive collapse)."""
    run = dwfm.simulate(actions=dwfm.mitigation_actions("none"))
    assert math.isinf(run.all_held_at)
    after = run.t >= published("dns restored") + 35
    at = int(published("throttling and restarts")) - 1
    assert run.host_share.tolist() == [34142, 17071, 11381, 8535, 6828, 5690, 4877, 4268, 3794, 3414]
    assert (run.host_held[:7, after] == 0).all()  # collapsed: no forward progress
    assert (run.host_held[8:, at] == run.host_share[8:]).all() and run.host_queue[8:, at].sum() == 0
    assert 0 < run.host_held[7, at] < run.host_share[7] and run.host_queue[7, at] > 0  # partly, and stuck
    assert run.collapsed(at).tolist() == [True] * 8 + [False] * 2
    assert run.held[after].max() - run.held[after].min() <= 2  # no progress at all from then on
    assert run.wasted[after].sum() > 0  # the manager is busy, on attempts whose lease already timed out


def test_default_run_tells_the_published_story():
    """Leases are gone by 02:24, stuck until 04:14, and all held at about 05:28 with throttling + restarts."""
    run = dwfm.simulate()
    assert run.held[int(published("leases stop timing out"))] == 0
    before = int(published("throttling and restarts")) - 1
    assert run.held[before] == 8326  # the two smallest hosts' leases and a quarter of the third smallest's
    assert abs(run.all_held_at - published("all leases held")) <= STORY_TOLERANCE
    at = int(published("throttling and restarts"))
    # selective: the eight hosts with work queued are restarted once, at 04:14; the two healthy ones are not
    assert run.restarted.sum() == run.restarted[at] == run.collapsed(at - 1).sum() == 8 < run.hosts


@pytest.mark.parametrize("mitigation", ["restart", "throttle"])
def test_either_action_alone_is_not_enough_by_05_28(mitigation):
    """A restart alone refloods; a throttle alone leaves the doomed queue to drain."""
    run = dwfm.simulate(actions=dwfm.mitigation_actions(mitigation))
    assert run.all_held_at > published("all leases held") + STORY_TOLERANCE


def test_hosts_left_out_of_the_restart_recover_late_or_never():
    """Selective restarts: a collapsed host left out drains its expired queue only slowly under the throttle;
    restarting only the longest queue leaves most of the fleet without leases until the end of the run."""
    def run(share):
        return dwfm.simulate(actions=dataclasses.replace(dwfm.Actions.published(), restart_fraction=share))

    half, one = run(0.5), run(0.1)
    assert half.restarted.sum() == 5 and half.all_held_at > published("all leases held") + 60
    assert one.restarted.sum() == 1 and math.isinf(one.all_held_at)


def test_conservation_every_droplet_every_minute():
    """Every minute each droplet is held, waiting in the backlog or queued with an attempt still in time."""
    for actions in (dwfm.Actions.published(), dwfm.mitigation_actions("none"), dwfm.mitigation_actions("restart"),
                    dataclasses.replace(dwfm.Actions.published(), restart_fraction=0.3)):
        run = dwfm.simulate(actions=actions)
        assert (run.held + run.backlog + run.waiting == run.fleet).all()
        assert (run.host_held.sum(axis=0) == run.held).all() and (run.host_queue.sum(axis=0) == run.queue).all()
        assert (run.host_held <= run.host_share[:, None]).all()


@settings(max_examples=20, deadline=None)
@given(fleet=st.integers(1, 200_000), hosts=st.integers(1, 12), skew=st.floats(0, 3),
       mitigation=st.sampled_from(dwfm.MITIGATIONS), share=st.floats(0, 1))
def test_conservation_per_minute_any_spread(fleet, hosts, skew, mitigation, share):
    """held + backlog + waiting = fleet in every minute, for any spread of droplets over the hosts."""
    acts = dwfm.mitigation_actions(mitigation)
    if acts.restart_at is not None:
        acts = dataclasses.replace(acts, restart_fraction=share)
    run = dwfm.simulate(actions=acts, fleet=fleet, hosts=min(hosts, fleet), host_skew=skew, horizon=420.0)
    assert run.host_share.sum() == fleet
    assert (run.held + run.backlog + run.waiting == fleet).all()


@pytest.mark.parametrize("throttle", [7_200, 5_000])
def test_smaller_fleets_recover_no_later(throttle):
    """With throttling + restarts at 04:14, a smaller fleet holds all leases no later than the default 100,000."""
    default = dwfm.simulate(throttle=throttle).all_held_at
    times = [dwfm.simulate(fleet=fleet, throttle=throttle).all_held_at for fleet in range(10_000, 100_001, 10_000)]
    assert all(t <= default for t in times)
    assert times == sorted(times)  # monotone in the fleet size


def test_admission_control_in_place_prevents_the_collapse():
    """The queue-size throttle, in place when DNS returns, recovers with no restart; added at 04:14 it cannot."""
    assert dwfm.simulate(actions=dwfm.mitigation_actions("admission control")).all_held_at < published(
        "throttling and restarts")
    assert math.isinf(dwfm.simulate(actions=dwfm.mitigation_actions("throttle")).all_held_at)


def test_dwfm_reads_dynamodb_availability():
    """An earlier DNS repair loses fewer leases; DWFM's result carries the availability it was given."""
    early = dynamodb.after_repair(published("identified") + 30)
    run = dwfm.simulate(early)
    assert run.dynamodb is early
    assert run.held[int(early.dns_restored) - 1] > 0
    assert run.all_held_at <= dwfm.simulate().all_held_at


def _dwfm_balanced(run):
    assert run.attempts.sum() == run.established.sum() + run.timed_out.sum() + run.dropped.sum() + run.pending
    assert run.held[-1] + run.backlog[-1] + run.pending == run.fleet


@settings(max_examples=30, deadline=None)
@given(fleet=st.integers(1, 300_000), timeout=st.integers(2, 30), rate=st.floats(100, 20_000),
       mitigation=st.sampled_from(dwfm.MITIGATIONS), slowdown=st.floats(0, 3), hosts=st.integers(1, 12))
def test_every_lease_attempt_is_counted_once(fleet, timeout, rate, mitigation, slowdown, hosts):
    """Conservation: attempts = established + timed out + dropped + pending; droplets are held, waiting or queued."""
    _dwfm_balanced(dwfm.simulate(actions=dwfm.mitigation_actions(mitigation), fleet=fleet, lease_timeout=timeout,
                                 check_interval=min(3, timeout), rate=rate, slowdown=slowdown,
                                 hosts=min(hosts, fleet), horizon=420.0))


def test_dwfm_is_deterministic():
    """The DWFM model has no randomness: two runs are identical."""
    assert np.array_equal(dwfm.simulate().held, dwfm.simulate().held)


@pytest.mark.parametrize(("kw", "name"), [
    ({"fleet": 0}, "fleet"), ({"lease_timeout": 0.0}, "lease_timeout"), ({"rate": -1.0}, "rate"),
    ({"rate": math.nan}, "rate"), ({"rate": True}, "rate"), ({"horizon": 100.0}, "horizon"),
    ({"horizon": math.inf}, "horizon"), ({"hosts": 0}, "hosts"), ({"check_interval": 20}, "check_interval"),
    ({"actions": "04:14"}, "actions"), ({"dynamodb": 157}, "dynamodb"), ({"throttle_fn": 3}, "throttle_fn"),
    ({"wat": 1}, "unknown")])
def test_dwfm_bad_input(kw, name):
    """Bad DWFM parameters raise ValueError/TypeError naming the parameter."""
    with pytest.raises((ValueError, TypeError), match=name):
        dwfm.simulate(**kw)


@pytest.mark.parametrize(("kw", "name"), [
    ({"throttle_at": math.nan}, "throttle_at"), ({"restart_fraction": 1.5}, "restart_fraction"),
    ({"relax_at": "11:23"}, "relax_at"), ({"throttle_at": 300.0, "relax_at": 200.0}, "relax_at")])
def test_actions_bad_input(kw, name):
    """Actions are validated when they are made."""
    with pytest.raises((ValueError, TypeError), match=name):
        dwfm.Actions(**kw)


def test_nlb_default_run_tells_the_published_story(night):
    """Errors start near 05:30, none from the 09:36 switch-off until re-enabling."""
    for seed in (0, 1, 2):  # fitted (churn, AZ skew and threshold tuned together): within 10 minutes
        assert abs(nlb.simulate(night[1], seed=seed, **OFF).errors_begin_at - published("nlb errors begin")) <= 10
    run = nlb.simulate(night[1], **OFF)
    assert (run.error_rate > 0.01).sum() >= 20  # sustained, not a blip
    assert run.errors_end_at <= published("failover disabled")
    off = (run.t >= published("failover disabled")) & (run.t < published("failover re-enabled"))
    assert np.all(run.az_removed[off] == 0) and np.all(run.errors[off] == 0)


def test_nlb_never_goes_to_zero_it_fails_open(night):
    """Failover alone never removes every AZ: when every AZ looks unhealthy the NLB fails open."""
    run = nlb.simulate(night[1], **NEVER)
    assert run.in_service.min() > 0
    assert run.failed_open.sum() > 0
    assert np.all(run.az_removed[run.failed_open.astype(bool)] == 0)
    assert np.all(run.az_removed < run.total)


def test_errors_only_where_capacity_cannot_carry_the_load(night):
    """A minute has connection errors exactly when the capacity in service is below demand."""
    run = nlb.simulate(night[1], **NEVER)
    short = run.in_service * 10 < run.connections
    assert np.array_equal(run.errors > 0, short)


@settings(max_examples=25, deadline=None)
@given(cap=st.floats(0, 1), seed=st.integers(0, 50), demand=st.floats(0.1, 0.9))
def test_velocity_control_bounds_capacity_removed_by_failover(night, cap, seed, demand):
    """AZ failover never removes more than the velocity control; targets and connections are conserved."""
    run = nlb.simulate(night[1], velocity_control=cap, seed=seed, demand=demand, **NEVER)
    assert np.all(run.az_removed <= math.floor(cap * run.total + 1e-9))
    assert np.all(run.in_service + run.node_removed + run.az_removed == run.total)
    assert np.all(run.connections == run.served + run.errors)


def test_nlb_is_deterministic_per_seed(night):
    """One seed, one run."""
    assert np.array_equal(nlb.simulate(night[1], seed=4, **OFF).in_service,
                          nlb.simulate(night[1], seed=4, **OFF).in_service)


@pytest.mark.parametrize(("kw", "name"), [
    ({"demand": 0.0}, "demand"), ({"velocity_control": -0.1}, "velocity_control"),
    ({"velocity_control": math.nan}, "velocity_control"), ({"targets": 0}, "targets"), ({"seed": -1}, "seed"),
    ({"failover_disabled_at": "09:36"}, "failover_disabled_at"),
    ({"failover_disabled_at": 600.0, "failover_enabled_at": 500.0}, "failover_enabled_at")])
def test_nlb_bad_input(night, kw, name):
    """Bad NLB parameters raise ValueError/TypeError naming the parameter."""
    with pytest.raises((ValueError, TypeError), match=name):
        nlb.simulate(night[1], **{**OFF, **kw})


def test_nlb_refuses_anything_but_a_propagation_run(night):
    """NLB takes Network Manager's result, not DWFM's or a number."""
    for wrong in (night[0], 5, None):
        with pytest.raises(TypeError, match="propagation"):
            nlb.simulate(wrong, **OFF)


def test_each_fitted_value_gives_its_published_time_and_moves_it_both_ways():
    """The chapter's sensitivity table: at the fitted value each time is the published one (within 2 min: the
    propagation rate is fitted on its slider's grid of whole propagations a minute); -10 % and +10 % move it in
    opposite directions.  The connectivity limit is not in it: it is set a priori, its 06:21 is predicted."""
    from course_lib.experiments.ch04 import fitted_sensitivity

    rows = fitted_sensitivity()
    assert {r[1] for r in rows} == {"ttl", *dwfm.FITTED, *network_manager.FITTED}
    for _stage, name, _value, moment, _clock, low, mid, high in rows:
        assert abs(mid - published(moment)) <= 2, name
        assert (low - mid) * (high - mid) < 0, name  # opposite sides


def test_restart_share_table_of_the_chapter():
    """Chapter 4's restart-share table: restarting too few hosts leaves collapsed ones (late or never); from
    the seven longest queues on, 05:28; beyond the eight hosts with work queued there is nothing more to clear."""
    from course_lib.experiments.ch04 import restart_share_table
    from course_lib.timeline import clock

    rows = restart_share_table()
    assert [r[0] for r in rows] == [0.1, 0.3, 0.5, 0.7, 0.8, 1.0]
    assert [r[1] for r in rows] == [1, 3, 5, 7, 8, 8]
    assert [clock(r[3]) if math.isfinite(r[3]) else "never" for r in rows] == [
        "never", "never", "09:23", "05:28", "05:28", "05:28"]
    assert [round(r[2], 2) for r in rows[:2]] == [0.56, 0.85]


def test_the_chapters_mitigation_and_failover_rows(night):
    """The numbers Chapter 4 prints: admission control all held at 03:39, LIFO 33 % at 05:28, only
    throttle+restart at 05:28; NM fitted times; velocity control 0.1 safe; failover off keeps full capacity."""
    from course_lib.timeline import clock

    rows = {m: dwfm.simulate(actions=dwfm.mitigation_actions(m)) for m in dwfm.MITIGATIONS}
    assert clock(rows["admission control"].all_held_at) == "03:39"
    assert clock(rows["throttle+restart"].all_held_at) == "05:28"
    assert round(rows["LIFO"].held[int(published("all leases held"))] / rows["LIFO"].fleet, 2) == 0.33
    prop = night[1]
    assert (clock(prop.no_connectivity_from), clock(prop.normal_at)) == ("06:04", "10:38")
    capped = nlb.simulate(prop, velocity_control=0.1, **NEVER)
    assert capped.in_service.min() >= capped.demand and capped.errors.sum() == 0
    off = nlb.simulate(prop, failover_disabled_at=0.0, failover_enabled_at=None)
    assert off.in_service.min() == off.total
    run = nlb.simulate(prop, **OFF)
    assert clock(run.errors_begin_at) == "05:31"
    assert published("failover disabled") - 5 <= run.errors_end_at <= published("failover disabled")


def test_nlb_docstring_fit_claim_is_what_is_computed(night):
    """nlb's docstring: with the switch-off, errors begin within 5 min of 05:30 for seed 0 (05:31), within 10 min
    for seeds 0-2 (05:31, 05:29, 05:31), and last until the 09:36 switch-off (ending within 5 min of it)."""
    begins = {}
    for seed in (0, 1, 2):
        run = nlb.simulate(night[1], seed=seed, **OFF)
        begins[seed] = run.errors_begin_at - published("nlb errors begin")
        assert published("failover disabled") - 5 <= run.errors_end_at <= published("failover disabled")
    assert begins == {0: 1.0, 1: -1.0, 2: 1.0}
    assert abs(begins[0]) <= 5 and max(map(abs, begins.values())) <= 10
    doc = " ".join(nlb.__doc__.split())
    assert "within 5 minutes of 05:30 for seed 0" in doc and "within 10 minutes for seeds 0-2" in doc


def test_values_set_by_subtraction_are_labelled_and_agree_with_the_record():
    """lease_loss_minutes = 157 = the minutes 23:48 to 02:24 inclusive, and the model's last lease is lost in
    02:24; these and the TTL are 'set equal to the record', the searched-for rates are 'fitted'."""
    from course_lib.experiments.ch04 import fitted_sensitivity, how_set

    assert dwfm.SPEC["lease_loss_minutes"].default == published("leases stop timing out") + 1 == 157
    rows = {(r[0], r[1]): r for r in fitted_sensitivity()}
    assert rows[("dwfm", "lease_loss_minutes")][6] == published("leases stop timing out")
    assert {k for k in rows if how_set(*k) == "set equal to the record"} == {
        ("dynamodb", "ttl"), ("dwfm", "lease_loss_minutes"), ("dwfm", "relax_minutes")}
    assert {k for k in rows if how_set(*k) == "fitted"} == {
        ("dwfm", "rate"), ("network_manager", "propagation_rate")}
    assert how_set("network_manager", "connectivity_limit") == "set a priori"


@pytest.mark.parametrize(("share", "hosts_restarted"), [(0.45, 5), (0.5, 5), (0.55, 6), (0.65, 7), (0.75, 8)])
def test_restart_share_rounds_half_up_to_whole_hosts(share, hosts_restarted):
    """0.65 of 10 hosts restarts 7 (not Python's round-half-even 6); at most the 8 hosts with work queued."""
    avail = dynamodb.after_repair(published("dns restored"))
    acts = dataclasses.replace(dwfm.Actions.published(), restart_fraction=share)
    assert int(dwfm.simulate(avail, actions=acts).restarted.sum()) == hosts_restarted
