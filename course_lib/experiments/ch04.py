"""Chapter 4's experiments: the HotOS '21 retry storm, DWFM leases, and NLB capacity.

Thin builders: controls -> a pure model call (each ``*_compute``/``*_view`` is what a test calls) -> a
plot helper from ``course_lib.plots.metastable`` -> a text readout.
"""

from __future__ import annotations

import numpy as np

from ..dwfm import clock
from ..plots.metastable import draw_capacity, draw_leases, draw_storm, restyle_capacity, restyle_leases

__all__ = ["capacity_compute", "capacity_experiment", "capacity_summary", "leases_compute", "leases_experiment",
           "leases_summary", "storm_compute", "storm_experiment", "storm_summary"]


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


def leases_compute(fleet=100_000, lease_timeout=10.0, throttle=7_200, restart_at="04:14",
                   mitigation="throttle+restart"):
    """Run DWFM for the widget (state checks every 3 minutes, or every lease timeout if that is shorter)."""
    from ..dwfm import simulate

    return simulate(fleet=fleet, lease_timeout=lease_timeout, check_interval=max(1, min(3, int(lease_timeout))),
                    throttle=throttle, mitigation_at=restart_at, mitigation=mitigation)


def leases_summary(run) -> str:
    """Say when all leases were held, next to the published 05:28."""
    done = run.all_held_at()
    when = clock(done) if np.isfinite(done) else "never (by 06:30)"
    return f"all leases held: {when}   (published: 05:28) - fleet, timeout and rate are model choices"


def leases_experiment():
    """Build the DWFM widget: fleet size, lease timeout, throttle, restart time, mitigation."""
    from ..dwfm import MITIGATIONS
    from ..widgets import Experiment, dropdown, float_slider, int_slider

    controls = {"fleet": int_slider("fleet (droplets)", 100_000, 10_000, 200_000, 10_000),
                "lease_timeout": float_slider("lease timeout (min)", 10, 1, 30, 1),
                "throttle": int_slider("throttle (queue target)", 7_200, 0, 40_000, 400),
                "restart_at": dropdown("act at", ["03:00", "03:30", "04:14", "04:45"], "04:14"),
                "mitigation": dropdown("mitigation", list(MITIGATIONS), "throttle+restart")}
    draw = lambda fig, run: draw_leases(fig.subplots(), run)  # noqa: E731
    return Experiment(controls, leases_compute, draw, leases_summary, figsize=(7.5, 2.6), height="230px",
                      margins={"bottom": 0.2, "top": 0.82}, restyle=restyle_leases)


def capacity_compute(propagation_delay=45.0, failover=True, velocity_cap=1.0, switch_off=True):
    """Run the NLB model for the widget."""
    from ..nlb import simulate

    return simulate(propagation_delay=propagation_delay, failover=failover, velocity_cap=velocity_cap,
                    switch_off="09:36" if switch_off else None)


def capacity_summary(run) -> str:
    """Quote the lowest capacity and the minutes with connection errors."""
    bad = int((run.error_rate > 0.01).sum())
    return (f"lowest capacity {run.in_service.min() / run.total:.0%} (demand {run.demand / run.total:.0%}); "
            f"{bad} minutes with connection errors")


def capacity_experiment():
    """Build the NLB widget: propagation delay, failover on/off, velocity cap, manual switch-off at 09:36."""
    from ..widgets import Experiment, float_slider, toggle

    controls = {"propagation_delay": float_slider("propagation delay (min)", 45, 0, 120, 5),
                "failover": toggle("automatic AZ failover", True),
                "velocity_cap": float_slider("velocity cap", 1.0, 0, 1, 0.05),
                "switch_off": toggle("switch failover off at 09:36", True)}
    draw = lambda fig, run: draw_capacity(fig.subplots(), run)  # noqa: E731
    return Experiment(controls, capacity_compute, draw, capacity_summary, figsize=(7.5, 2.6), height="230px",
                      margins={"bottom": 0.2, "top": 0.82}, restyle=restyle_capacity)
