"""Chapter 1 widgets: each experiment's compute is the model, the controls drive it, bad values show a message."""

from __future__ import annotations

import ast
import importlib

import matplotlib.pyplot as plt
import nbformat
from conftest import ROOT

from course_lib.contention import contention_view
from course_lib.lock_contention import simulate_lock
from course_lib.occ import blind_increment, run_schedule
from course_lib.plots.occ import contention_experiment, draw_loss_tail, draw_run, lock_experiment, lock_view


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
