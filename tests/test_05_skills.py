"""Chapter 5: the skill-decay and drill model, its widget, and its bad-input messages."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.figure import Figure

from course_lib import skills
from course_lib.experiments.ch05 import repair_time_experiment
from course_lib.plots.automation import draw_explorer, draw_proficiency
from course_lib.widgets import Experiment


def make_experiment() -> Experiment:
    """Build the notebook's repair-time widget."""
    return repair_time_experiment()


def test_proficiency_halves_every_half_life():
    """Proficiency is 1 right after practice and halves every half-life."""
    p = skills.proficiency(np.array([0.0, 30.0, 60.0]), 30.0)
    assert np.allclose(p, [1.0, 0.5, 0.25])


def test_repair_minutes_bounds():
    """A practised team takes BASE minutes, an unpractised one SLOWDOWN x BASE (before the spread)."""
    assert skills.repair_minutes(np.array([1.0]))[0] == pytest.approx(skills.BASE_REPAIR_MIN)
    assert skills.repair_minutes(np.array([0.0]))[0] == pytest.approx(skills.BASE_REPAIR_MIN * skills.SLOWDOWN)


def test_simulation_is_seeded():
    """The same seed gives the same repair times."""
    a = skills.simulate_repairs(0.9, 4, 60, years=500, seed=3)
    b = skills.simulate_repairs(0.9, 4, 60, years=500, seed=3)
    assert np.array_equal(a.minutes, b.minutes)


def test_one_repair_per_simulated_year():
    """Every simulated year yields exactly one finite, positive repair time (nothing lost or doubled)."""
    s = skills.simulate_repairs(0.5, 2, 90, years=1234)
    assert s.years == 1234 and s.minutes.shape == s.proficiency.shape == (1234,)
    assert np.all(np.isfinite(s.minutes)) and np.all(s.minutes > 0)


def test_the_paradox_more_coverage_slower_repair():
    """With no drills, more automation coverage means a slower p95 manual repair."""
    _, _, p95 = skills.sweep_coverage([0.0, 0.5, 0.9, 1.0], 0, 60, years=4000)
    assert np.all(np.diff(p95) > 0)


@settings(max_examples=60, deadline=None)
@given(coverage=st.floats(0, 1), half_life=st.floats(5, 400), drills=st.integers(0, 50))
def test_more_drills_never_slower(coverage, half_life, drills):
    """With common random numbers, one more drill per year never makes any year's repair slower."""
    a = skills.simulate_repairs(coverage, drills, half_life, years=300, seed=1)
    b = skills.simulate_repairs(coverage, drills + 1, half_life, years=300, seed=1)
    assert np.all(b.minutes <= a.minutes + 1e-9)
    assert np.all((a.proficiency >= 0) & (a.proficiency <= 1))


@pytest.mark.parametrize(("kwargs", "fragment"), [
    ({"drills_per_year": -1}, "drills_per_year"),
    ({"half_life_days": -5}, "half_life_days"),
    ({"half_life_days": 0}, "half_life_days"),
    ({"coverage": 1.5}, "coverage"),
    ({"incidents_per_year": -2}, "incidents_per_year"),
])
def test_bad_parameters_name_the_parameter(kwargs, fragment):
    """Negative frequencies or half-lives raise a ValueError naming the parameter."""
    params = {"coverage": 0.9, "drills_per_year": 2, "half_life_days": 60, **kwargs}
    with pytest.raises(ValueError, match=fragment):
        skills.simulate_repairs(**params, years=10)


def test_proficiency_trace_shape():
    """The one-team trace has one proficiency value per day, within [0, 1]."""
    day, prof, _incidents, drills = skills.proficiency_trace(0.9, 4, 60, days=365)
    assert day.shape == prof.shape == (365,)
    assert len(drills) == 4 and np.all((prof >= 0) & (prof <= 1))


def test_widget_updates_and_shows_bad_input():
    """The widget recomputes on a control change and shows a message for a bad value."""
    exp = make_experiment()
    exp.set(drills_per_year=12)
    assert exp.error is None and exp.result.study.drills_per_year == 12
    assert "p95" in exp.readout.value
    exp.controls["half_life_days"].min = -10  # a notebook user could widen a slider like this
    exp.set(half_life_days=-5)
    assert exp.error and "half_life_days" in exp.error
    assert "half_life_days" in exp.readout.value


def test_proficiency_plot_draws():
    """The proficiency plot helper draws on a given Axes."""
    from matplotlib.figure import Figure
    ax = Figure().subplots()
    draw_proficiency(ax, *skills.proficiency_trace(0.9, 4, 60, days=200))
    assert ax.lines


def test_explorer_baseline_has_no_drills():
    """The widget's outline is the same team without drills, and it is never faster at p95."""
    r = skills.explore_repairs(0.9, 6, 60, years=2000)
    assert r.undrilled.drills_per_year == 0 and r.undrilled.p95 >= r.study.p95


def test_coverage_sweep_plot_draws():
    """The coverage sweep helper draws one line per drill frequency."""
    from matplotlib.figure import Figure

    from course_lib.plots.automation import draw_coverage_sweep
    ax = Figure().subplots()
    cov = [0.0, 0.5, 1.0]
    draw_coverage_sweep(ax, cov, {d: skills.sweep_coverage(cov, d, 60, years=200)[2] for d in (0, 4)})
    assert len(ax.lines) == 2


def test_readout_grammar():
    """The widget readout says "1 drill a year" (singular) and has no stray trailing "model"."""
    one = skills.describe_repairs(skills.explore_repairs(0.9, 1, 60, years=200))
    assert "1 drill a year" in one and one.startswith("Model:") and not one.endswith(", model")
    assert "2 drills a year" in skills.describe_repairs(skills.explore_repairs(0.9, 2, 60, years=200))


def test_explorer_plot_labels_axes_and_leaves_headroom():
    """The histogram has a y label and room above the bars for the percentile labels."""
    fig = Figure(figsize=(7.5, 2.8))
    result = skills.explore_repairs(0.9, 2, 60, years=500)
    ax = draw_explorer(fig, result)
    assert ax.get_ylabel() == "simulated years"
    tallest = max(float(patch.get_data().values.max()) for patch in ax.patches)
    assert ax.get_ylim()[1] >= 1.25 * tallest
