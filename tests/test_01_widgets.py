"""Chapter 1 widgets: each experiment's compute is the model, the controls drive it, bad values show a message."""

from __future__ import annotations

import ast
import importlib
import io

import matplotlib.pyplot as plt
import nbformat
import numpy as np
from conftest import ROOT, fresh_draw, png_rgba
from PIL import Image

from course_lib.experiments.ch01 import contention_experiment, contention_view, lock_experiment, lock_view
from course_lib.lock_contention import simulate_lock
from course_lib.occ import blind_increment, run_schedule
from course_lib.plots.occ import draw_loss_tail, draw_run
from course_lib.widgets import figure_png


def test_contention_widget_follows_controls():
    """Moving the controls of widget (a) recomputes the same result as the plain model call."""
    exp = contention_experiment()
    exp.set(clients=40, strategy="equal jitter", base=10.0, cap=500.0)
    assert exp.error is None
    expected = contention_view(40, "equal jitter", 10.0, 500.0)
    assert exp.result.runs["equal jitter"].calls == expected.runs["equal jitter"].calls
    assert "equal jitter, 40 clients" in exp.readout.value


def test_contention_widget_bad_cap_shows_message():
    """A cap below the base shows a message naming the parameter instead of crashing; valid values clear it."""
    exp = contention_experiment()
    exp.set(base=80.0, cap=50.0)
    assert exp.error and "cap must be >= base" in exp.error
    exp.set(cap=1000.0, base=5.0)
    assert exp.error is None


def test_contention_widget_sliders_start_at_valid_values():
    """Every base and cap the sliders allow on their own is valid: base from 1 ms, cap from 50 ms."""
    exp = contention_experiment()
    assert exp.controls["base"].min == 1.0 and exp.controls["cap"].min == 50.0
    exp.set(base=1.0, cap=50.0)
    assert exp.error is None


def test_readouts_pluralise():
    """One client / one Enactor reads '1 client', not '1 clients'."""
    exp = contention_experiment()
    exp.set(clients=1)
    assert "1 client:" in exp.readout.value and "1 call " in exp.readout.value
    assert "1 clients" not in exp.readout.value
    lock = lock_experiment()
    lock.set(enactors=1)
    assert "lost 0 times" in lock.readout.value and "0 times" in lock.readout.value


def test_lock_widget_default_matches_chapter_table():
    """Widget (b) at its defaults runs the same model as the chapter's table (3 Enactors, exponential)."""
    exp = lock_experiment()
    assert exp.result.tail() == simulate_lock(3, policy="exponential", seed=0).tail()
    assert f"{simulate_lock(3, policy='exponential', seed=0).tail():.1%}" in exp.readout.value


def test_lock_widget_follows_controls_and_reports_overlaps():
    """Widget (b) runs the lock model; a lease shorter than the hold time reports two holders at once."""
    exp = lock_experiment()
    exp.set(enactors=4, hold=5.0, lease=1.0, policy="full jitter")
    assert exp.error is None
    assert exp.result.overlaps == lock_view(4, 5.0, 1.0, "full jitter").overlaps > 0
    assert "two holders at once" in exp.readout.value


def test_static_plot_helpers_draw():
    """The static plot helpers draw a swimlane and a loss tail on plain axes."""
    fig, (a, b) = plt.subplots(1, 2)
    draw_run(a, run_schedule({"A": blind_increment, "B": blind_increment}, "ABAB"))
    draw_loss_tail(b, simulate_lock(3))
    assert a.get_title().startswith("final x = 1")
    plt.close(fig)


def test_notebook_imports_exist():
    """Every `from course_lib... import ...` name used by the chapter's notebooks exists."""
    checked = 0
    for path in (ROOT / "notebooks" / "01_optimistic_concurrency.ipynb",
                 ROOT / "solutions" / "01_optimistic_concurrency.ipynb"):
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            for node in ast.walk(ast.parse(cell.source)):
                if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("course_lib"):
                    mod = importlib.import_module(node.module)
                    for alias in node.names:
                        assert hasattr(mod, alias.name), f"{node.module}.{alias.name} missing"
                        checked += 1
    assert checked > 20


def _artists(fig) -> list:
    """Return what a learner sees of *fig*: limits, ticks, titles, line data and markers, patches, texts."""
    out = []
    for ax in fig.axes:
        # limits to 9 decimals: relim after an update may differ from a first autoscale in the last bit
        out += [np.round(ax.get_xlim(), 9).tolist(), np.round(ax.get_ylim(), 9).tolist(), ax.get_title(), list(ax.get_xticks()), list(ax.get_yticks()),
                [t.get_text() for t in ax.get_xticklabels() + ax.get_yticklabels()]]
        out += [(list(map(float, ln.get_xdata())), list(map(float, ln.get_ydata())), ln.get_marker(),
                 ln.get_markersize(), ln.get_color()) for ln in ax.lines]
        out += [p.get_path().vertices.tolist() for p in ax.patches]
    return out + [(t.get_text(), t.get_color()) for t in fig.texts]


def _assert_restyle_matches_full_draw(exp, moves: list[dict]) -> None:
    """After each move the in-place update shows what a full draw of the same result shows, pixel for pixel."""
    for move in moves:
        exp.set(**move)
        assert exp.error is None, exp.error
        fresh = fresh_draw(exp)
        assert _artists(exp.figure) == _artists(fresh), move
        assert np.array_equal(png_rgba(exp.output.outputs[0]["data"]["image/png"]), png_rgba(figure_png(fresh))), move


def test_contention_widget_restyle_matches_a_full_draw():
    """Widget (a) updates its points, key and limits in place, exactly as a full redraw would show them."""
    exp = contention_experiment()
    moves = [{"strategy": "none"}, {"base": 12.0}, {"cap": 300.0}, {"clients": 7}, {"strategy": "equal jitter"},
             {"clients": 200, "cap": 5000.0}, {"base": 1.0}, {"strategy": "decorrelated jitter"}]
    _assert_restyle_matches_full_draw(exp, moves)
    assert exp.figure.artists, "widget (a) should reuse its figure (backdrop image) instead of redrawing"


def test_lock_widget_restyle_matches_a_full_draw():
    """Widget (b) updates histogram, median lines, key and title in place, exactly as a full redraw would."""
    exp = lock_experiment()
    first_axes = exp.figure.axes[0]
    moves = [{"enactors": 1}, {"policy": "fixed"}, {"enactors": 8, "hold": 20.0}, {"lease": 1.0},
             {"policy": "decorrelated jitter"}, {"enactors": 2, "hold": 0.5}]
    _assert_restyle_matches_full_draw(exp, moves)
    assert exp.figure.axes[0] is first_axes, "widget (b) should update its axes, not rebuild them"


def test_restyle_recovers_after_an_error():
    """A bad value shows a message; the next valid move draws the full picture again."""
    exp = contention_experiment()
    exp.set(base=80.0, cap=50.0)
    assert exp.error
    _assert_restyle_matches_full_draw(exp, [{"cap": 1000.0, "base": 5.0}, {"clients": 30}])


def test_restyled_figure_saved_at_another_dpi_matches_a_full_draw():
    """Saving a restyled widget figure at another dpi draws its still parts itself: same picture as a full draw."""
    exp = contention_experiment()
    exp.set(base=9.0)
    exp.set(strategy="none")
    pictures = []
    for fig in (exp.figure, fresh_draw(exp)):
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=120)
        pictures.append(np.asarray(Image.open(buf), dtype=int))
    assert np.array_equal(*pictures)


def test_controls_come_from_the_model_declarations():
    """Each slider's range, step and label are the model's SPEC declaration, and both ends of every slider run."""
    from course_lib import contention, lock_contention
    for exp, spec in ((contention_experiment(), contention.SPEC), (lock_experiment(), lock_contention.SPEC)):
        for name, widget in exp.controls.items():
            param = spec[name]
            assert widget.description == param.text
            if param.kind == "choice":
                assert tuple(widget.options) == param.choices
                continue
            assert (widget.min, widget.max) == param.window
            for end in param.window:
                param.check(end)  # the slider cannot offer a value the model refuses
    exp = lock_experiment()
    for values in ({"enactors": 8, "hold": 20.0, "lease": 60.0}, {"enactors": 1, "hold": 0.5, "lease": 1.0}):
        exp.set(**values)
        assert exp.error is None, exp.error


def test_summaries_refuse_other_results():
    """The readout helpers name what they expected when given something else."""
    import pytest

    from course_lib.experiments.ch01 import contention_summary, lock_summary
    with pytest.raises(TypeError, match="view"):
        contention_summary(simulate_lock(3))
    with pytest.raises(TypeError, match="run"):
        lock_summary(None)


def test_widget_runs_equal_the_plain_model_calls():
    """The widget's cached runs (the no-backoff run shared across base and cap) equal direct simulate calls."""
    from course_lib.backoff import STRATEGIES
    from course_lib.contention import simulate
    view = contention_view(40, "none", 9.0, 700.0)
    for name in STRATEGIES:
        direct = simulate(40, name, 9.0, 700.0, 0)
        assert view.runs[name].calls == direct.calls and view.runs[name].base == 9.0 and view.runs[name].cap == 700.0
        assert np.array_equal(view.runs[name].times, direct.times)


def test_one_client_is_one_call_not_one_calls():
    """Widget (a) at N = 1: the key, the bars and the readout say "1 call", never "1 calls"."""
    from course_lib.experiments.ch01 import contention_summary
    from course_lib.plots.occ import _contention_key, draw_strategy_bars
    view = contention_view(1)
    key = " ".join(text for text, _ in _contention_key(view))
    assert "1 call," in key and "1 calls" not in key
    fig, ax = plt.subplots()
    draw_strategy_bars(ax, view)
    assert all("1 calls" not in t.get_text() for t in ax.texts) and any(t.get_text() == "1 call" for t in ax.texts)
    plt.close(fig)
    assert "1 calls" not in contention_summary(view)


def test_lock_readout_names_the_holds_that_outlasted_the_lease():
    """Widget (b)'s readout and key say how many holds ran past the lease, the cause of two holders at once."""
    from course_lib.experiments.ch01 import lock_summary
    from course_lib.plots.occ import _lock_key
    run = lock_view(4)
    assert run.overlaps > 0 and run.overruns > 0
    assert f"after {run.overruns} holds that outlasted the lease" in lock_summary(run)
    assert any(f"({run.overruns} holds > lease)" in text for text, _ in _lock_key(run, 0.2, 10.0))
