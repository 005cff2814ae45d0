"""Chapter 4's experiments: the HotOS '21 retry storm, DWFM leases, and NLB capacity.

Thin builders: controls -> a pure model call (each ``*_compute``/``*_view`` is what a test calls) -> a
plot helper from ``course_lib.plots.metastable`` -> a text readout.
"""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache

import numpy as np

from .. import dwfm, network_manager, nlb, timeline
from ..plots.metastable import draw_capacity, draw_leases, draw_storm, restyle_capacity, restyle_leases
from ..validate import check_bool, check_choice, check_number, check_type

__all__ = ["ACT_AT", "LEASE_HORIZON", "capacity_compute", "capacity_experiment", "capacity_summary",
           "fitted_sensitivity", "how_set", "leases_compute", "leases_experiment", "leases_summary", "published_failover",
           "restart_share_table", "storm_compute",
           "storm_experiment", "storm_summary"]

# The DWFM widget runs until an hour after the published recovery and offers four action times, all read
# from the timeline: 35 and 65 minutes after the DNS repair, the published 04:14, and half an hour later.
LEASE_HORIZON = timeline.published("all leases held") + 62.0
_FIX = timeline.published("throttling and restarts")
ACT_AT = tuple((timeline.clock(m), m) for m in (timeline.published("dns restored") + 35.0,
                                                   timeline.published("dns restored") + 65.0, _FIX, _FIX + 31.0))


def storm_compute(load=280.0, trigger="outage", size=1.0, duration=10.0, timeout=1.0, retries=1, policy="none"):
    """Run the retry storm for the widget (180 s, trigger from t = 10 s)."""
    from ..metastable import SPEC, TRIGGER_SPEC, Trigger, simulate

    # checked under the widget's names, against the ranges the model declares (the controls' own Params)
    load, timeout, retries = (SPEC.check(n, v) for n, v in (("load", load), ("timeout", timeout), ("retries", retries)))
    trigger = _as("trigger", TRIGGER_SPEC["kind"], trigger)
    size, duration = _as("size", TRIGGER_SPEC["magnitude"], size), _as("duration", TRIGGER_SPEC["duration"], duration)
    return simulate(load, timeout=timeout, retries=retries, trigger=Trigger(trigger, size, 10.0, duration),
                    policy=policy, horizon=180.0)


def _as(name: str, param, value):
    """Return *value* checked against *param*'s declared range, an error naming the widget's parameter *name*."""
    return replace(param, name=name).check(value)


def storm_summary(result) -> str:
    """Name the run's state (recovered / recovering / metastable / overloaded) with the last 20 s.

    *offered* counts the queries reaching the server (new requests plus retries), *goodput* the queries it
    answered before their client's timeout, taken from the queue; so while the queue drains goodput can exceed
    the offered load, and the queue's length at both ends of the 20 s says by how much.
    """
    from ..metastable import (
        StormResult,
        classify_runs,
        drain_time,
        hidden_capacity,
        time_to_recovery,
        trigger_end,
    )

    check_type("result", result, StormResult, "a metastable StormResult (from metastable.simulate())")
    k = round(20 / result.dt)
    offered, good = (float(result.rate(n)[0, -k:].mean()) for n in ("offered", "goodput"))
    before, after = int(result.queue[0, -k - 1]), int(result.queue[0, -1])
    state, ttr = str(classify_runs(result)[0]), float(time_to_recovery(result)[0])
    verdict = {"recovered": f"recovered {ttr:.0f} s after the trigger ended",
               "metastable": "METASTABLE: the trigger is over, goodput has not come back",
               "overloaded": "OVERLOADED: load at or above capacity, or the trigger is still on"}.get(state)
    if state == "recovering":
        hidden = hidden_capacity(float(result.capacity[0]), result.retries)
        end = min(round(float(trigger_end(result)[0]) / result.dt), result.queue.shape[1] - 1)
        drain = drain_time(float(result.load[0]), float(result.capacity[0]), result.retries,
                           backlog=float(result.queue[0, end]), timeout=result.timeout)
        verdict = (f"RECOVERING (slow), not recovered within the {result.t[-1] + result.dt:.0f} s run: below the "
                   f"hidden capacity ({hidden:.0f} QPS) the backlog drains about {drain:.0f} s after the trigger (closed form)")
    return (f"last 20 s: offered {offered:.0f} QPS (requests + retries), goodput {good:.0f} QPS (answered in "
            f"time), queue {before} to {after} -> {verdict}")


def storm_experiment():
    """Build the HotOS '21 retry-storm widget (Run button: a run and redraw take about 0.07-0.15 s; the plot is
    restyled in place after the first draw)."""
    from ..metastable import SPEC, TRIGGER_SPEC
    from ..mitigations import POLICIES
    from ..plots.metastable import restyle_storm
    from ..widgets import Experiment, control, dropdown

    controls = {"load": control(SPEC["load"]),
                "trigger": control(TRIGGER_SPEC["kind"]),
                # outage: share of capacity lost (0-1); spike: extra load as a multiple of the load
                "size": control(TRIGGER_SPEC["magnitude"]),
                "duration": control(TRIGGER_SPEC["duration"]),  # the trigger starts at 10 s of 180
                "timeout": control(SPEC["timeout"]),
                "retries": control(SPEC["retries"]),
                "policy": dropdown("policy", list(POLICIES))}
    return Experiment(controls, storm_compute, draw_storm, storm_summary, figsize=(8.0, 4.2), height="360px",
                      run_button=True, margins={"right": 0.72}, restyle=restyle_storm)


def leases_compute(fleet=100_000, lease_timeout=10.0, throttle=7_200, restart_at=_FIX,
                   mitigation="throttle+restart"):
    """Run DWFM for the widget (state checks every 3 minutes, or every lease timeout if that is shorter)."""
    fleet, lease_timeout = _as("fleet", dwfm.SPEC["fleet"], fleet), _as("lease_timeout", dwfm.SPEC["lease_timeout"],
                                                                          lease_timeout)
    throttle = _as("throttle", dwfm.SPEC["throttle"], throttle)
    if restart_at is not None:
        check_number("restart_at", restart_at)  # finite; its range is the model's (re-raised under this name)
    try:
        actions = dwfm.mitigation_actions(mitigation, at=restart_at)
    except ValueError as exc:
        if "at must be" not in str(exc):
            raise
        raise ValueError(f"restart_at: {exc}") from None
    return dwfm.simulate(actions=actions, fleet=fleet,
                         lease_timeout=lease_timeout, check_interval=max(1, min(3, int(lease_timeout))),
                         throttle=throttle, horizon=LEASE_HORIZON)


def leases_summary(run) -> str:
    """Say when all leases were held, next to the published time."""
    check_type("run", run, dwfm.LeaseRun, "a dwfm.LeaseRun")
    done = run.all_held_at
    when = timeline.clock(done) if np.isfinite(done) else f"never (by {timeline.clock(run.t[-1])})"
    return (f"all leases held: {when}   (published: {timeline.PUBLISHED['all leases held'].clock}) - fleet, "
            "timeout and rate are model choices")


def leases_experiment():
    """Build the DWFM widget: fleet size, lease timeout, throttle, action time, mitigation."""
    from ..widgets import Experiment, control, dropdown

    controls = {"fleet": control(dwfm.SPEC["fleet"]),
                "lease_timeout": control(dwfm.SPEC["lease_timeout"]),
                "throttle": control(dwfm.SPEC["throttle"]),
                "restart_at": dropdown("act at", list(ACT_AT), _FIX),
                "mitigation": dropdown("mitigation", list(dwfm.MITIGATIONS), "throttle+restart")}
    draw = lambda fig, run: draw_leases(fig.subplots(), run)  # noqa: E731
    return Experiment(controls, leases_compute, draw, leases_summary, figsize=(7.5, 2.6), height="230px",
                      margins={"bottom": 0.2, "top": 0.82}, restyle=restyle_leases)


@lru_cache(maxsize=1)
def _published_leases():
    """DWFM on the published night (computed once: the NLB widget changes only later stages)."""
    return dwfm.simulate()


def published_failover() -> dict:
    """Return the published NLB failover actions: disabled at 09:36, re-enabled at 14:09."""
    return {"failover_disabled_at": timeline.published("failover disabled"),
            "failover_enabled_at": timeline.published("failover re-enabled")}


def capacity_compute(propagation_rate=network_manager.SPEC["propagation_rate"].default, failover=True,
                     velocity_control=1.0, switch_off=True):
    """Run Network Manager and the NLB for the widget, on DWFM's published night."""
    failover, switch_off = check_bool("failover", failover), check_bool("switch_off", switch_off)
    velocity_control = nlb.VELOCITY.check(velocity_control)
    prop = network_manager.simulate(_published_leases(), propagation_rate=propagation_rate)
    if not failover:
        when = {"failover_disabled_at": 0.0, "failover_enabled_at": None}
    elif switch_off:
        when = published_failover()
    else:
        when = {"failover_disabled_at": None, "failover_enabled_at": None}
    return nlb.simulate(prop, velocity_control=None if velocity_control >= 1.0 else velocity_control, **when)


def capacity_summary(run) -> str:
    """Quote the lowest capacity and the minutes with connection errors."""
    check_type("run", run, nlb.CapacityRun, "an nlb.CapacityRun")
    bad = int((run.error_rate > run.params["error_threshold"]).sum())
    return (f"lowest capacity {run.in_service.min() / run.total:.0%} (demand {run.demand / run.total:.0%}); "
            f"{bad} minutes with connection errors")


def capacity_experiment():
    """Build the NLB widget: propagation rate, failover on/off, velocity control, the manual switch-off."""
    from ..widgets import Experiment, control, toggle

    off = timeline.PUBLISHED["failover disabled"].clock
    controls = {"propagation_rate": control(network_manager.SPEC["propagation_rate"]),
                "failover": toggle("automatic AZ failover", True),
                "velocity_control": control(nlb.VELOCITY),
                "switch_off": toggle(f"switch failover off at {off}", True)}
    draw = lambda fig, run: draw_capacity(fig.subplots(), run)  # noqa: E731
    return Experiment(controls, capacity_compute, draw, capacity_summary, figsize=(7.5, 2.6), height="230px",
                      margins={"bottom": 0.2, "top": 0.82}, restyle=restyle_capacity)


def _first(mask: np.ndarray, t: np.ndarray) -> float:
    idx = np.nonzero(mask)[0]
    return float(t[idx[0]]) if idx.size else float("inf")


def _fitted_times(dwfm_params: dict, nm_params: dict, ttl: float | None = None) -> dict:
    """Return the time each fitted value was fitted to, as the chained models give it."""
    from .. import dynamodb

    avail = dynamodb.published() if ttl is None else dynamodb.after_repair(timeline.published("dns restored"), ttl)
    leases = dwfm.simulate(avail, **dwfm_params)
    prop = network_manager.simulate(leases, **nm_params)
    relaxed = leases.actions.relax_at
    return {"dynamodb recovered": avail.reachable_at,
            "leases stop timing out": _first(leases.held == 0, leases.t),
            "all leases held": leases.all_held_at,
            "ec2 normal": _first((leases.t >= relaxed) & (leases.launch_capacity >= 1 - 1e-12), leases.t),
            "connectivity problems": prop.no_connectivity_from,
            "propagation normal": prop.normal_at}


def how_set(stage: str, name: str) -> str:
    """Say how a value tied to a published time was set: 'fitted' (searched for), 'set equal to the record'
    (computed by subtracting published times: DynamoDB's TTL and ``dwfm.SET_FROM_RECORD``) or 'set a priori'
    (``network_manager.A_PRIORI``: taken from another model quantity, so the moment it governs is predicted)."""
    check_choice("stage", stage, ("dynamodb", "dwfm", "network_manager", "nlb"))
    check_type("name", name, str)
    if stage == "network_manager" and name in network_manager.A_PRIORI:
        return "set a priori"  # from another stage's quantity, not searched: its moment is a prediction
    from_record = stage == "dynamodb" or (stage == "dwfm" and name in dwfm.SET_FROM_RECORD)
    return "set equal to the record" if from_record else "fitted"


def fitted_sensitivity(shift: float = 0.10) -> list[tuple]:
    """Return one row per value tied to a published time (fitted, or set equal to the record: ``how_set``):
    (stage, parameter, value, published moment, its clock time, the modelled time at -shift, at the value and
    at +shift).  Each value moves alone; the others stay at their defaults."""
    from .. import dynamodb

    shift = check_number("shift", shift, lo=0.0, hi=0.5, lo_open=True)
    fitted = [("dynamodb", "ttl", dynamodb.DEFAULT_TTL, "dynamodb recovered")]
    fitted += [("dwfm", name, dwfm.SPEC[name].default, moment) for name, moment in dwfm.FITTED.items()]
    fitted += [("network_manager", name, network_manager.SPEC[name].default, moment)
               for name, moment in network_manager.FITTED.items()]
    rows = []
    for stage, name, value, moment in fitted:
        times = []
        for factor in (1 - shift, 1.0, 1 + shift):
            kw = {name: value * factor}
            got = _fitted_times(kw if stage == "dwfm" else {}, kw if stage == "network_manager" else {},
                                kw["ttl"] if stage == "dynamodb" else None)
            times.append(got[moment])
        rows.append((stage, name, value, moment, timeline.PUBLISHED[moment].clock, *times))
    return rows


def restart_share_table(shares=(0.1, 0.3, 0.5, 0.7, 0.8, 1.0)) -> list[tuple[float, int, float, float]]:
    """Return (share of hosts restarted, longest queues first; hosts restarted (a host with nothing queued is left
    alone); leases held at the end of the run; all held at), with the throttle at 04:14 as AWS did."""
    if isinstance(shares, (str, bytes)) or not hasattr(shares, "__iter__"):
        raise TypeError(f"shares must be a sequence of shares in [0, 1], got {type(shares).__name__}")
    shares = list(shares)
    if not 1 <= len(shares) <= 20:
        raise ValueError(f"shares must hold 1 to 20 values, got {len(shares)}")
    for share in shares:
        check_number("shares (each share of hosts restarted)", share, lo=0.0, hi=1.0)
    rows = []
    for share in shares:
        run = dwfm.simulate(actions=dwfm.Actions(**{**vars(dwfm.Actions.published()), "restart_fraction": share}))
        rows.append((float(share), int(run.restarted.sum()), float(run.held[-1] / run.fleet), run.all_held_at))
    return rows
