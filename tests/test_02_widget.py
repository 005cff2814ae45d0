"""Chapter 2 widget: the experiment redraws, reports verdicts, and shows bad values as messages."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.figure import Figure

from course_lib.dns_race import experiment, pes_steps, slow_run_finished, summarize
from course_lib.plots.dns_race import draw_race, race_axes, step_labels
from course_lib.widgets import Experiment, float_slider, int_slider, toggle


def make_experiment() -> Experiment:
    """Build the chapter's experiment exactly as the notebook does."""
    def draw(fig, result):
        draw_race(race_axes(fig), result, highlight=step_labels(pes_steps(result)))

    return Experiment(
        controls=dict(
            slow_delay=float_slider("slow Enactor delay / endpoint (s)", 1.5, 0.0, 4.0, 0.25),
            lock_losses=int_slider("lost lock attempts / endpoint", 2, 0, 6),
            period=float_slider("planner period (s)", 1.0, 0.0, 3.0, 0.25),
            K=int_slider("K (clean-up threshold)", 5, 1, 12),
            n_endpoints=int_slider("endpoints", 3, 1, 3),
            endpoint_time=float_slider("per-endpoint time (s)", 0.1, 0.05, 0.5, 0.05),
            recheck_at_write=toggle("fix 1: recheck at write"),
            protect_active=toggle("fix 2: protect active"),
            freeze_on_inconsistency=toggle("fix 3: freeze + alarm"),
        ),
        compute=experiment, draw=draw, summary=summarize, figsize=(8.5, 4.6), height="440px",
        run_button=True,
    )


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


def test_widget_says_when_settings_changed_before_run():
    """In Run-button mode a slider move marks the readout stale until Run redraws."""
    exp = make_experiment()
    exp.controls["slow_delay"].value = 4.0
    assert "press Run" in exp.readout.value
    exp.update()
    assert "press Run" not in exp.readout.value and "mid-run" not in exp.readout.value


def test_race_plot_has_a_marker_key_and_labels_inside_the_axes():
    """The timeline carries a marker key, and the 'regional alias' label stays inside the figure at a late step."""
    fig = Figure(figsize=(8.5, 4.6))
    lanes, gen = race_axes(fig)
    draw_race((lanes, gen), experiment(slow_delay=4.0, lock_losses=6))
    texts = [t.get_text() for t in lanes.texts]
    assert {"check", "lock lost", "apply", "PES step"} <= set(texts)
    fig.canvas.draw()
    label = next(t for t in gen.texts if "regional alias" in t.get_text())
    assert label.get_window_extent().x1 <= fig.bbox.x1


def test_widget_shows_bad_value_as_message():
    """A planner period of 0 shows a message naming the parameter instead of crashing."""
    exp = make_experiment()
    exp.set(period=0.0)
    assert exp.error is not None and "period" in exp.error
    exp.set(period=1.0)
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
