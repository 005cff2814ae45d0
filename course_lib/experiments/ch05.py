"""Chapter 5's experiment: coverage, drills, skill half-life and automation age -> the repair-time distribution.

Thin builder: controls built from ``skills.SPEC`` -> :func:`explore_repairs` (the plain model call a test
makes) -> ``plots.automation.draw_explorer`` (``restyle_explorer`` moves the drawn artists in place on later moves)
-> :func:`describe_repairs` as the text readout.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import skills
from ..plots.automation import draw_explorer, restyle_explorer
from ..validate import check_type

__all__ = ["CONTROLS", "RepairExplorer", "describe_repairs", "explore_repairs", "repair_time_experiment"]

CONTROLS = ("coverage", "drills_per_year", "half_life_days", "automation_age_years")
SKILLS_GONE = 0.05  # proficiency below this counts as "skills gone" in the readout (a reading aid)


@dataclass(frozen=True)
class RepairExplorer:
    """What the widget shows: the study at the chosen settings and the same team without drills."""

    study: skills.RepairStudy
    undrilled: skills.RepairStudy

    def __post_init__(self):
        check_type("study", self.study, skills.RepairStudy)
        check_type("undrilled", self.undrilled, skills.RepairStudy)


def explore_repairs(coverage: float = skills.SPEC["coverage"].default,
                    drills_per_year: int = skills.SPEC["drills_per_year"].default,
                    half_life_days: float = skills.SPEC["half_life_days"].default,
                    automation_age_years: float = skills.AUTOMATION_AGE_YEARS, *, years: int = 4000,
                    seed: int = 0) -> RepairExplorer:
    """Return the study at the chosen settings and the no-drill baseline (the widget's model call)."""
    kw = {"years": years, "automation_age_years": automation_age_years, "seed": seed}
    study = skills.simulate_repairs(coverage, drills_per_year, half_life_days, **kw)
    return RepairExplorer(study, skills.simulate_repairs(coverage, 0, half_life_days, **kw))


def describe_repairs(result: RepairExplorer) -> str:
    """Return the widget's readout: settings, percentiles, and when the half-life cannot matter."""
    check_type("result", result, RepairExplorer)
    s, u = result.study, result.undrilled
    drills = f"{s.drills_per_year:g} drill{'' if s.drills_per_year == 1 else 's'} a year"
    text = (f"Model: coverage {s.coverage:.0%}, {drills}, half-life {s.half_life_days:g} d, automation "
            f"{s.automation_age_years:g} y old: median repair {s.p50:.0f} min, p95 {s.p95:.0f} min "
            f"(without drills: p95 {u.p95:.0f} min); {s.years} simulated failures.")
    gone = float(np.mean(s.proficiency < SKILLS_GONE))
    if gone >= 0.5:
        last = float(np.median(s.days_since_practice))
        text += (f" In {gone:.0%} of them skills are gone (last practice a median {last:.0f} d ago, "
                 f"{last / s.half_life_days:.0f} half-lives): only a half-life near that long would matter.")
    return text


def repair_time_experiment():
    """Return the widget: coverage x drills x half-life x automation age -> repair time when automation fails."""
    from ..widgets import Experiment, control

    controls = {name: control(skills.SPEC[name]) for name in CONTROLS}
    for name in ("half_life_days", "automation_age_years"):
        controls[name].readout_format = ".0f" if name == "half_life_days" else ".1f"
    return Experiment(controls, compute=explore_repairs, draw=draw_explorer, summary=describe_repairs,
                      figsize=(7.5, 2.8), restyle=restyle_explorer)
