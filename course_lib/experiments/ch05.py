"""Chapter 5's experiment: automation coverage, drills and skill half-life -> the repair-time distribution.

Thin builder: controls -> ``skills.explore_repairs`` (the plain model call a test makes) ->
``plots.automation.draw_explorer`` -> ``skills.describe_repairs`` as the text readout.
"""

from __future__ import annotations

from .. import skills
from ..plots.automation import draw_explorer
from ..widgets import Experiment, float_slider, int_slider

__all__ = ["repair_time_experiment"]


def repair_time_experiment() -> Experiment:
    """Return the widget: coverage x drills per year x skill half-life -> repair time when automation fails."""
    controls = {"coverage": float_slider("automation coverage", 0.9, 0.0, 1.0, 0.05),
                "drills_per_year": int_slider("drills per year", 2, 0, 24),
                "half_life_days": int_slider("skill half-life (days)", 60, 5, 365, 5)}
    return Experiment(controls, compute=skills.explore_repairs, draw=draw_explorer,
                      summary=skills.describe_repairs, figsize=(7.5, 2.8))
