"""Chapter 2's experiment: break and fix the Enactor race with sliders and fix toggles.

Thin builders: controls built from the model's declared parameters (``dns_race.SPEC``, ``FIX_SPEC``) ->
a pure model call (``experiment`` is what a test calls) -> a plot helper from ``course_lib.plots.dns_race``
-> a text readout (``dns_race.summarize``).
"""

from __future__ import annotations

from ..dns_race import FIX_SPEC, PUBLISHED, SPEC, RaceResult, run_scenario, summarize
from ..plots.dns_race import draw_race_widget, restyle_race_widget
from ..widgets import Experiment, control

__all__ = ["CONTROLS", "experiment", "race_experiment", "widget_horizon"]

CONTROLS = ("slow_delay", "lock_losses", "period", "K", "n_endpoints", "endpoint_time")  # the sliders, in order


def widget_horizon(slow_delay: float, lock_losses: int, n_endpoints: int, endpoint_time: float) -> float:
    """Return a horizon long enough for the slow Enactor's first run to end, with time to see what follows."""
    slow_delay, lock_losses = SPEC.check("slow_delay", slow_delay), SPEC.check("lock_losses", lock_losses)
    n_endpoints, endpoint_time = SPEC.check("n_endpoints", n_endpoints), SPEC.check("endpoint_time", endpoint_time)
    p = PUBLISHED
    # Enactor 1's walk: per endpoint its delay, its lost lock attempts and the write; then some later runs.
    walk = n_endpoints * (slow_delay + lock_losses * p["retry_after"] + endpoint_time)
    return min(SPEC["horizon"].hi, max(p["horizon"], round(p["starts"][0] + walk + 2 * p["run_interval"])))


def experiment(slow_delay: float = 1.5, lock_losses: int = 2, period: float = 1.0, K: int = 5,
               n_endpoints: int = 3, endpoint_time: float = 0.1, recheck_at_write: bool = False,
               protect_active: bool = False, freeze_on_inconsistency: bool = False) -> RaceResult:
    """Run the published scenario with the widget's values (the widget's compute)."""
    flags = FIX_SPEC.validate(dict(recheck_at_write=recheck_at_write, protect_active=protect_active,
                                   freeze_on_inconsistency=freeze_on_inconsistency))
    return run_scenario(tuple(name for name, on in flags.items() if on), slow_delay=slow_delay,
                        lock_losses=lock_losses, period=period, K=K, n_endpoints=n_endpoints,
                        endpoint_time=endpoint_time,
                        horizon=widget_horizon(slow_delay, lock_losses, n_endpoints, endpoint_time))


def race_experiment() -> Experiment:
    """Build Chapter 2's race widget: the slow Enactor, planner, clean-up and the three fixes."""
    controls = {name: control(SPEC[name]) for name in CONTROLS}
    controls.update({p.name: control(p) for p in FIX_SPEC})
    # A replay plus redraw measures about 45 ms (p95 60 ms) with the restyle hook: live sliders fit the budget.
    return Experiment(controls, compute=experiment, draw=draw_race_widget, summary=summarize, figsize=(8.5, 4.6),
                      height="440px", restyle=restyle_race_widget)
