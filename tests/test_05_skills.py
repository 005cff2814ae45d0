"""Chapter 5: the skill-decay and drill model, its widget, and its bad-input messages."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.figure import Figure

from course_lib import skills
from course_lib.experiments.ch05 import describe_repairs, explore_repairs, repair_time_experiment
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


def test_widget_is_built_from_the_spec():
    """Every control's range, default and label come from skills.SPEC (declared once)."""
    exp = make_experiment()
    assert list(exp.controls) == ["coverage", "drills_per_year", "half_life_days", "automation_age_years"]
    for name, control in exp.controls.items():
        param = skills.SPEC[name]
        assert control.value == param.default and (control.min, control.max) == param.window
        assert control.description == param.text
        assert param.lo <= control.min and control.max <= param.hi


def test_half_life_matters_when_the_automation_is_young():
    """Regression: at 100% coverage and no drills the half-life slider moves the p95 unless skills are long gone."""
    p95 = {h: explore_repairs(1.0, 0, h, 1.0).study.p95 for h in (30, 180, 365)}
    assert p95[30] > p95[180] + 30 > p95[365] + 60
    # Three years without practice: half-lives up to half a year forget it all, and the readout says so.
    old = {h: explore_repairs(1.0, 0, h, 3.0) for h in (5, 60, 180)}
    assert max(r.study.p95 for r in old.values()) - min(r.study.p95 for r in old.values()) < 5
    assert all("skills are gone" in describe_repairs(r) for r in old.values())
    assert "skills are gone" not in describe_repairs(explore_repairs(1.0, 0, 365, 1.0))


def test_full_coverage_no_drills_last_practice_is_the_training():
    """With full coverage and no drills, the last practice is exactly the training at go-live."""
    s = skills.simulate_repairs(1.0, 0, 60, years=100, automation_age_years=2.0)
    assert np.all(s.days_since_practice == 2.0 * 365)
    assert np.allclose(s.proficiency, 2.0 ** (-730 / 60))
    fresh = skills.simulate_repairs(1.0, 0, 60, years=100, automation_age_years=0.0)
    assert np.allclose(fresh.proficiency, 1.0)


def test_chapter_numbers():
    """The chapter's printed table, asserted: p50/p95 per coverage without drills, and with 12 drills."""
    got = {c: skills.simulate_repairs(c, 0, 60, years=20_000) for c in (0.0, 0.5, 0.9, 0.98)}
    assert [(round(s.p50), round(s.p95)) for s in got.values()] == [(50, 134), (71, 182), (130, 255), (154, 276)]
    drilled = skills.simulate_repairs(0.98, 12, 60, years=20_000)
    assert (round(drilled.p50), round(drilled.p95)) == (52, 102)


def test_percentile_interval_covers_the_truth():
    """The order-statistics interval for p95 covers the p95 of a much larger study, and is a few minutes wide."""
    big = skills.simulate_repairs(0.98, 0, 60, years=400_000, seed=99).p95
    lo, hi = skills.simulate_repairs(0.98, 0, 60, years=20_000).percentile_interval(95)
    assert lo <= big <= hi and hi - lo < 10


def test_closed_form_without_spread_or_incidents():
    """Cross-check: with no manual incidents, repair = BASE * (1 + (SLOWDOWN-1)(1-p)) * lognormal spread."""
    s = skills.simulate_repairs(1.0, 0, 100, years=50_000, automation_age_years=1.0, seed=3)
    p = 2.0 ** (-365 / 100)
    expected_median = skills.BASE_REPAIR_MIN * (1 + (skills.SLOWDOWN - 1) * (1 - p))  # median of the spread is 1
    assert s.p50 == pytest.approx(expected_median, rel=0.02)


HOSTILE = [None, "3", True, np.nan, np.inf, -np.inf, -1, 10**30, [1, 2], np.array([1.0, 2.0])]


@pytest.mark.parametrize("name", ["coverage", "drills_per_year", "half_life_days", "automation_age_years",
                                  "incidents_per_year", "years", "seed"])
@pytest.mark.parametrize("bad", HOSTILE, ids=repr)
def test_simulate_repairs_refuses_hostile_values(name, bad):
    """Each parameter refuses wrong types, NaN, infinities, negatives, bools and absurd sizes, by name."""
    kw = {"coverage": 0.9, "drills_per_year": 2, "half_life_days": 60.0, "years": 50}
    kw[name] = bad
    with pytest.raises((TypeError, ValueError), match=name):
        skills.simulate_repairs(**kw)


def test_other_entry_points_validate():
    """proficiency, repair_minutes, sweep_coverage, p95_for_drills and the trace refuse bad input by name."""
    for call, fragment in [
        (lambda: skills.proficiency(np.nan, 60), "days_since"),
        (lambda: skills.proficiency([1, -1], 60), "days_since"),
        (lambda: skills.proficiency("x", 60), "days_since"),
        (lambda: skills.proficiency(1.0, 0), "half_life_days"),
        (lambda: skills.repair_minutes(1.5), "proficiency"),
        (lambda: skills.repair_minutes(np.nan), "proficiency"),
        (lambda: skills.repair_minutes(0.5, 0.0), "spread"),
        (lambda: skills.sweep_coverage([], 0, 60), "coverages"),
        (lambda: skills.sweep_coverage("0.5", 0, 60), "coverages"),
        (lambda: skills.sweep_coverage([0.5, np.nan], 0, 60), "coverage"),
        (lambda: skills.sweep_coverage(np.zeros(10_000), 0, 60), "coverages"),
        (lambda: skills.p95_for_drills(2.5), "drills_per_year"),
        (lambda: skills.proficiency_trace(0.9, 2, 60, days=0), "days"),
        (lambda: skills.proficiency_trace(0.9, 2, 60, days=10**9), "days"),
        (lambda: skills.simulate_repairs(0.9, 2, 60, years=10).percentile(101), "q"),
        (lambda: skills.simulate_repairs(0.9, 2, 60, years=10).percentile_interval(95, 1.0), "level"),
        (lambda: explore_repairs(0.9, 2, 60, np.inf), "automation_age_years"),
        (lambda: describe_repairs(42), "result"),
    ]:
        with pytest.raises((TypeError, ValueError), match=fragment):
            call()


def test_proficiency_plot_draws():
    """The proficiency plot helper draws on a given Axes."""
    from matplotlib.figure import Figure
    ax = Figure().subplots()
    draw_proficiency(ax, *skills.proficiency_trace(0.9, 4, 60, days=200))
    assert ax.lines


def test_explorer_baseline_has_no_drills():
    """The widget's outline is the same team without drills, and it is never faster at p95."""
    r = explore_repairs(0.9, 6, 60, years=2000)
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
    one = describe_repairs(explore_repairs(0.9, 1, 60, years=200))
    assert "1 drill a year" in one and one.startswith("Model:") and not one.endswith(", model")
    assert "2 drills a year" in describe_repairs(explore_repairs(0.9, 2, 60, years=200))


def test_explorer_plot_labels_axes_and_leaves_headroom():
    """The histogram has a y label and room above the bars for the percentile labels."""
    fig = Figure(figsize=(7.5, 2.8))
    result = explore_repairs(0.9, 2, 60, years=500)
    ax = draw_explorer(fig, result)
    assert ax.get_ylabel() == "simulated failures"
    tallest = max(float(patch.get_data().values.max()) for patch in ax.patches)
    assert ax.get_ylim()[1] >= 1.25 * tallest


def test_widget_restyle_matches_a_full_draw():
    """The repair-time widget moves its histogram and marks in place, as a full draw of the same result shows."""
    from conftest import fresh_draw, png_rgba

    from course_lib.widgets import figure_png
    exp = make_experiment()
    for move in [{"coverage": 1.0}, {"drills_per_year": 0}, {"half_life_days": 365.0},
                 {"automation_age_years": 0.5}, {"drills_per_year": 24, "coverage": 0.0}]:
        exp.set(**move)
        assert exp.error is None
        fresh = fresh_draw(exp)
        ax, ref = exp.figure.axes[0], fresh.axes[0]
        assert ax.get_xlim() == ref.get_xlim() and ax.get_ylim() == ref.get_ylim()
        assert [t.get_text() for t in ax.texts] == [t.get_text() for t in ref.texts]
        assert [t.get_text() for t in ax.get_xticklabels()] == [t.get_text() for t in ref.get_xticklabels()]
        diff = np.abs(png_rgba(exp.output.outputs[0]["data"]["image/png"]) - png_rgba(figure_png(fresh)))
        assert diff.max() <= 6, (move, int(diff.max()))


def test_chapter_explorer_numbers():
    """The chapter's explorer lines, asserted: full coverage, no drills, half-life x automation age; and 6 drills."""
    p95 = {(h, a): round(explore_repairs(1.0, 0, h, a).study.p95) for h, a in ((60, 3.0), (365, 3.0), (60, 1.0),
                                                                              (365, 1.0))}
    assert p95 == {(60, 3.0): 282, (365, 3.0): 251, (60, 1.0): 278, (365, 1.0): 159}
    assert round(explore_repairs(1.0, 6, 60).study.p95) == 135
    lo, hi = skills.simulate_repairs(0.98, 0, 60, years=skills.STUDY_YEARS).percentile_interval(95)
    assert (round(lo), round(hi)) == (274, 280)
