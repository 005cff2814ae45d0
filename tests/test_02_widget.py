"""Chapter 2 widget: the experiment redraws, reports verdicts, and shows bad values as messages."""

from __future__ import annotations

import base64
import io
import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.figure import Figure
from PIL import Image

from course_lib.dns_race import SPEC, pes_steps, run_published, slow_run_finished, summarize
from course_lib.experiments.ch02 import CONTROLS, experiment, race_experiment
from course_lib.plots.dns_race import draw_race, draw_race_widget, race_axes, step_labels
from course_lib.widgets import Experiment, figure_png


def make_experiment() -> Experiment:
    """Build the chapter's experiment exactly as the notebook does."""
    return race_experiment()


def test_widget_starts_on_the_published_race():
    """The default controls show the published race: every property violated, record stuck empty."""
    exp = make_experiment()
    assert exp.error is None and exp.result.stuck
    assert "✘ record never empty" in exp.readout.value and "STUCK" in exp.readout.value
    assert exp.output.outputs[0]["data"]["image/png"]


def test_widget_fix_toggle_changes_the_verdicts():
    """Switching fix 1 on makes every property hold."""
    exp = make_experiment()
    exp.set(recheck_at_write=True)
    assert exp.readout.value.count("✔") == 3 and not exp.result.stuck


def test_widget_redraws_when_a_slider_is_released():
    """The sliders are live (updating on release): a move replays the race and redraws at once."""
    exp = make_experiment()
    assert all(getattr(c, "continuous_update", False) is False for c in exp.controls.values())
    exp.controls["slow_delay"].value = 4.0
    assert exp.values["slow_delay"] == 4.0 and exp.result.params["slow_delay"] == 4.0
    assert "press Run" not in exp.readout.value and "mid-run" not in exp.readout.value


def test_race_plot_has_a_marker_key_and_labels_inside_the_axes():
    """The timeline carries a marker key, and the generation key stays inside the figure at a late step."""
    fig = Figure(figsize=(8.5, 4.6))
    lanes, gen = race_axes(fig)
    draw_race((lanes, gen), experiment(slow_delay=4.0, lock_losses=6))
    texts = [t.get_text() for t in lanes.texts]
    assert {"check", "lock lost", "apply", "PES step"} <= set(texts)
    fig.canvas.draw()
    label = next(t for t in gen.texts if "regional alias" in t.get_text())
    assert label.get_window_extent().x1 <= fig.bbox.x1


EXTREMES = [dict(zip(CONTROLS, values, strict=True))
            for values in itertools.product(*(SPEC[n].window for n in CONTROLS))]


@pytest.mark.parametrize("values", EXTREMES[::3] + EXTREMES[1::6], ids=lambda v: ",".join(f"{x:g}" for x in v.values()))
def test_generation_key_never_meets_itself_or_the_lines_at_the_slider_ends(values):
    """Regression: at the slider ends 'newest plan' and 'regional alias' met at the right edge.

    The two names now sit in a key at the top left: apart, inside the axes, and above both lines there.
    """
    r = experiment(**values)
    fig = Figure(figsize=(8.5, 4.6))
    draw_race_widget(fig, r)
    fig.canvas.draw()
    gen = fig.axes[1]
    newest, alias = (next(t for t in gen.texts if t.get_text() == name).get_window_extent()
                     for name in ("newest plan", "regional alias"))
    assert not newest.overlaps(alias) and newest.x1 < alias.x0
    assert gen.bbox.x0 <= newest.x0 and alias.x1 <= gen.bbox.x1 and max(newest.y1, alias.y1) <= gen.bbox.y1
    # Both lines are at or below the newest plan, and it only climbs: under the key's right end is enough.
    t_end = gen.transData.inverted().transform((alias.x1, 0))[0]
    top = max(p.generation for p in r.plans if p.created_at <= t_end)
    assert gen.transData.transform((0, top))[1] < min(newest.y0, alias.y0), values


def test_every_pes_step_is_ringed_in_the_published_race():
    """Regression: the chapter says the ringed events are the PES steps, and step 2 (newer plans) was not ringed."""
    r = run_published()
    steps = pes_steps(r)
    labels = step_labels(steps)
    assert sorted(labels) == sorted(steps.values()) and len(labels) == 7
    assert labels[steps[2]] == "2 newer plans" and r.trace[steps[2]].actor == "Planner"
    fig = Figure(figsize=(8.5, 4.6))
    draw_race_widget(fig, r)
    assert {f"{k} " for k in range(1, 8)} <= {t.get_text()[:2] for t in fig.axes[0].texts}


def test_sliders_offer_only_values_the_model_accepts():
    """Each slider is built from the model's declaration: its ends are values the model accepts."""
    exp = make_experiment()
    for name in CONTROLS:
        w = exp.controls[name]
        assert (w.min, w.max) == SPEC[name].window
        for value in (w.min, w.max):
            SPEC.check(name, value)
    with pytest.raises(ValueError, match="period"):  # below the slider, the model refuses by name
        experiment(period=0.0)


def test_widget_shows_bad_value_as_message():
    """A model error (here an injected one) shows as a message in the readout instead of a traceback."""
    exp = make_experiment()
    exp.compute = lambda **kw: experiment(**{**kw, "period": 0.0})
    exp.set(K=4)
    assert exp.error is not None and "period" in exp.error
    exp.compute = experiment
    exp.set(K=5)
    assert exp.error is None


@settings(max_examples=60, deadline=None)
@given(slow_delay=st.sampled_from([0.0, 0.25, 1.5, 4.0]), lock_losses=st.integers(0, 6),
       period=st.sampled_from([0.25, 1.0, 3.0]), K=st.integers(1, 12), n_endpoints=st.integers(1, 3),
       endpoint_time=st.sampled_from([0.05, 0.1, 0.5]), fixes=st.lists(st.booleans(), min_size=3, max_size=3))
def test_experiment_compute_never_fails_on_slider_values(slow_delay, lock_losses, period, K, n_endpoints,
                                                         endpoint_time, fixes):
    """Every combination of slider values gives a result whose timeline can be drawn."""
    r = experiment(slow_delay, lock_losses, period, K, n_endpoints, endpoint_time, *fixes)
    assert summarize(r) and slow_run_finished(r)  # the horizon grows with the slow delay
    fig = Figure(figsize=(4, 3))
    draw_race(race_axes(fig), r, highlight=step_labels(pes_steps(r)))


def _artists(fig) -> list:
    """Return what a learner sees of the race: limits, ticks, sorted line data, bars, texts and their places."""
    out = []
    for ax in fig.axes:
        out += [np.round(ax.get_xlim(), 9).tolist(), np.round(ax.get_ylim(), 9).tolist(),
                [t.get_text() for t in ax.get_xticklabels() + ax.get_yticklabels()]]
        out.append(sorted(repr((ln.get_marker(), ln.get_color(), np.asarray(ln.get_xdata(), float).tolist(),
                                np.asarray(ln.get_ydata(), float).tolist())) for ln in ax.lines))
        out.append(sorted((t.get_text(), tuple(map(float, t.get_position()))) for t in ax.texts))
        out.append([[p.vertices.tolist() for p in c.get_paths()] for c in ax.collections])
        out.append([p.get_path().vertices.tolist() for p in ax.patches])
    return out


def _png(b64: str) -> np.ndarray:
    """Decode a base64 PNG to an RGBA integer array."""
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(b64))).convert("RGBA"), dtype=int)


def test_race_restyle_matches_a_full_draw():
    """Each Run replaces only the race's data artists; the picture equals a full draw of the same result."""
    exp = make_experiment()
    moves = [dict(slow_delay=0.5), dict(recheck_at_write=True), dict(recheck_at_write=False, K=3),
             dict(protect_active=True), dict(freeze_on_inconsistency=True, slow_delay=4.0), dict(lock_losses=6),
             dict(n_endpoints=1, period=3.0), dict(period=0.0), dict(period=1.0, endpoint_time=0.5), dict(K=8)]
    for move in moves:
        exp.set(**move)
        if exp.error:  # a period of 0 is rejected; the next run draws from scratch
            continue
        fresh = Figure(figsize=exp.figure.get_size_inches())
        fresh.subplots_adjust(**exp.margins)
        draw_race_widget(fresh, exp.result)
        assert _artists(exp.figure) == _artists(fresh), move
        # The backdrop's text is composited under the live markers: edge pixels may differ by a few levels.
        diff = np.abs(_png(exp.output.outputs[0]["data"]["image/png"]) - _png(figure_png(fresh)))
        assert diff.max() <= 16 and (diff > 0).sum() < 500, (move, int(diff.max()), int((diff > 0).sum()))
    assert exp.figure.artists, "the race widget should reuse its figure (backdrop image) instead of redrawing"
