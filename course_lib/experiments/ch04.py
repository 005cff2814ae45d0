"""Chapter 4's experiments: the HotOS '21 retry storm, DWFM leases, and NLB capacity.

Thin builders: controls -> a pure model call (each ``*_compute``/``*_view`` is what a test calls) -> a
plot helper from ``course_lib.plots.metastable`` -> a text readout.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from .. import dwfm, network_manager, nlb, timeline
from ..plots.metastable import draw_capacity, draw_leases, draw_storm, restyle_capacity, restyle_leases

__all__ = ["ACT_AT", "LEASE_HORIZON", "capacity_compute", "capacity_experiment", "capacity_summary",
           "leases_compute", "leases_experiment", "leases_summary", "published_failover", "storm_compute",
           "storm_experiment", "storm_summary"]

# The DWFM widget runs until an hour after the published recovery and offers four action times, all read
# from the timeline: 35 and 65 minutes after the DNS repair, the published 04:14, and half an hour later.
LEASE_HORIZON = timeline.published("all leases held") + 62.0
_FIX = timeline.published("throttling and restarts")
ACT_AT = tuple((timeline.clock(m), m) for m in (timeline.published("dns restored") + 35.0,
                                                   timeline.published("dns restored") + 65.0, _FIX, _FIX + 31.0))


def storm_compute(load=280.0, trigger="outage", size=1.0, duration=10.0, timeout=1.0, retries=1, policy="none"):
    """Run the retry storm for the widget (180 s, trigger from t = 10 s)."""
    from ..metastable import Trigger, simulate

    return simulate(load, timeout=timeout, retries=retries, trigger=Trigger(trigger, size, 10.0, duration),
                    policy=policy, horizon=180.0)


def storm_summary(result) -> str:
    """Say whether the run recovered and quote the last 20 s."""
    from ..metastable import outcome

    k = round(20 / result.dt)
    offered, good = (float(result.rate(n)[0, -k:].mean()) for n in ("offered", "goodput"))
    verdict = "recovered" if outcome(result)[0] else "STUCK (metastable)"
    return f"last 20 s: offered {offered:.0f} QPS, goodput {good:.0f} QPS -> {verdict}"


def storm_experiment():
    """Build the HotOS '21 retry-storm widget (Run button: one run is ~0.1-0.2 s)."""
    from ..mitigations import POLICIES
    from ..widgets import Experiment, dropdown, float_slider, int_slider

    controls = {"load": float_slider("load (QPS)", 280, 20, 400, 10),
                "trigger": dropdown("trigger", ["outage", "spike"]),
                # outage: share of capacity lost (0-1); spike: extra load as a multiple of the load
                "size": float_slider("trigger size", 1.0, 0, 3, 0.1),
                "duration": float_slider("duration (s)", 10, 0, 170, 1),  # the trigger starts at 10 s of 180
                "timeout": float_slider("timeout (s)", 1.0, 0, 5, 0.1),
                "retries": int_slider("retries", 1, 0, 4),
                "policy": dropdown("policy", list(POLICIES))}
    return Experiment(controls, storm_compute, draw_storm, storm_summary, figsize=(8.0, 4.2), height="360px",
                      run_button=True, margins={"right": 0.72})


def leases_compute(fleet=100_000, lease_timeout=10.0, throttle=7_200, restart_at=_FIX,
                   mitigation="throttle+restart"):
    """Run DWFM for the widget (state checks every 3 minutes, or every lease timeout if that is shorter)."""
    return dwfm.simulate(actions=dwfm.mitigation_actions(mitigation, at=restart_at), fleet=fleet,
                         lease_timeout=lease_timeout, check_interval=max(1, min(3, int(lease_timeout))),
                         throttle=throttle, horizon=LEASE_HORIZON)


def leases_summary(run) -> str:
    """Say when all leases were held, next to the published time."""
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


def capacity_compute(propagation_rate=163.0, failover=True, velocity_control=1.0, switch_off=True):
    """Run Network Manager and the NLB for the widget, on DWFM's published night."""
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
    bad = int((run.error_rate > run.params["error_threshold"]).sum())
    return (f"lowest capacity {run.in_service.min() / run.total:.0%} (demand {run.demand / run.total:.0%}); "
            f"{bad} minutes with connection errors")


def capacity_experiment():
    """Build the NLB widget: propagation rate, failover on/off, velocity control, the manual switch-off."""
    from ..widgets import Experiment, control, float_slider, toggle

    off = timeline.PUBLISHED["failover disabled"].clock
    controls = {"propagation_rate": control(network_manager.SPEC["propagation_rate"]),
                "failover": toggle("automatic AZ failover", True),
                "velocity_control": float_slider("velocity control", 1.0, 0, 1, 0.05),
                "switch_off": toggle(f"switch failover off at {off}", True)}
    draw = lambda fig, run: draw_capacity(fig.subplots(), run)  # noqa: E731
    return Experiment(controls, capacity_compute, draw, capacity_summary, figsize=(7.5, 2.6), height="230px",
                      margins={"bottom": 0.2, "top": 0.82}, restyle=restyle_capacity)
