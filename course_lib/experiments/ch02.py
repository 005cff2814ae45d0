"""Chapter 2's experiment: break and fix the Enactor race with sliders and fix toggles.

Thin builders: controls -> a pure model call (each ``*_compute``/``*_view`` is what a test calls) -> a
plot helper from ``course_lib.plots.dns_race`` -> a text readout.
"""

from __future__ import annotations

from ..dns_race import experiment, summarize
from ..plots.dns_race import draw_race_widget, restyle_race_widget
from ..widgets import Experiment, float_slider, int_slider, toggle

__all__ = ["race_experiment"]


def race_experiment() -> Experiment:
    """Build Chapter 2's race widget: the slow Enactor, planner, clean-up and the three fixes."""
    controls = dict(
        slow_delay=float_slider("slow Enactor delay / endpoint (s)", 1.5, 0.0, 4.0, 0.25),
        lock_losses=int_slider("lost lock attempts / endpoint", 2, 0, 6),
        period=float_slider("planner period (s)", 1.0, 0.0, 3.0, 0.25),
        K=int_slider("K (clean-up threshold)", 5, 1, 12),
        n_endpoints=int_slider("endpoints", 3, 1, 3),
        endpoint_time=float_slider("per-endpoint time (s)", 0.1, 0.05, 0.5, 0.05),
        recheck_at_write=toggle("fix 1: recheck at write"),
        protect_active=toggle("fix 2: protect active"),
        freeze_on_inconsistency=toggle("fix 3: freeze + alarm"),
    )
    # A replay plus redraw measures about 45 ms (p95 60 ms) with the restyle hook: live sliders fit the budget.
    return Experiment(controls, compute=experiment, draw=draw_race_widget, summary=summarize, figsize=(8.5, 4.6),
                      height="440px", restyle=restyle_race_widget)
