"""Chapter 4 widgets: an in-place update (restyle) shows exactly what a full redraw of the same run shows."""

from __future__ import annotations

import numpy as np
from conftest import fresh_draw, png_rgba

from course_lib.experiments.ch04 import ACT_AT, capacity_experiment, leases_experiment, storm_experiment
from course_lib.plots.metastable import restyle_storm
from course_lib.widgets import figure_png


def _artists(fig) -> list:
    """Return what a learner sees: limits, ticks and their labels, titles, line data, filled areas, bands,
    texts and the legend."""
    out = []
    for ax in fig.axes:
        out += [np.round(ax.get_xlim(), 9).tolist(), ax.get_ylim(), list(ax.get_xticks()),
                [t.get_text() for t in ax.get_xticklabels()], [t.get_text() for t in ax.texts]]
        out += [(np.asarray(ln.get_xdata(), float).tolist(), np.asarray(ln.get_ydata(), float).tolist())
                for ln in ax.lines]
        out += [[p.vertices.tolist() for p in c.get_paths()] for c in ax.collections]
        out += [ax.get_title(), list(ax.get_yticks()), [t.get_text() for t in ax.get_yticklabels()]]
        out += [[p.get_bbox().bounds for p in ax.patches]]
        out += [[t.get_text() for t in ax.get_legend().get_texts()] if ax.get_legend() else None]
    return out


def _assert_restyle_matches_full_draw(exp, moves: list[dict], tolerance: int = 0) -> None:
    """After each move the artists equal a full draw's, and the PNG differs by at most *tolerance* per channel."""
    for move in moves:
        exp.set(**move)
        assert exp.error is None, exp.error
        fresh = fresh_draw(exp)
        assert _artists(exp.figure) == _artists(fresh), move
        diff = np.abs(png_rgba(exp.output.outputs[0]["data"]["image/png"]) - png_rgba(figure_png(fresh)))
        assert diff.max() <= tolerance, (move, int(diff.max()))
    assert exp.figure.artists, "the widget should reuse its figure (backdrop image) instead of redrawing"


def test_leases_widget_restyle_matches_a_full_draw():
    """The DWFM widget moves its curves, action line and clock axis in place, pixel for pixel as a full draw."""
    moves = [{"throttle": 2000}, {"fleet": 30_000}, {"lease_timeout": 3.0}, {"restart_at": ACT_AT[0][1]},
             {"mitigation": "none"}, {"fleet": 200_000, "throttle": 0}, {"restart_at": ACT_AT[-1][1]}]
    _assert_restyle_matches_full_draw(leases_experiment(), moves)


def test_capacity_widget_restyle_matches_a_full_draw():
    """The NLB widget moves its curve, demand line and error band in place, as a full draw shows them."""
    moves = [{"velocity_control": 0.3}, {"propagation_rate": 400.0}, {"failover": False}, {"failover": True},
             {"switch_off": False}, {"propagation_rate": 150.0, "velocity_control": 0.0}]
    # The error band is drawn over the tick marks' backdrop: a few edge pixels differ by <= 4 of 255.
    _assert_restyle_matches_full_draw(capacity_experiment(), moves, tolerance=6)


def test_storm_widget_restyle_matches_a_full_draw():
    """The retry-storm widget moves its curves, trigger band, title and y axes in place, pixel for pixel as a
    full draw; a trigger of zero length (no band) and back rebuilds the picture."""
    moves = [{"load": 120.0}, {"policy": "LIFO"}, {"load": 280.0, "policy": "retry budget"},
             {"trigger": "spike", "size": 2.0}, {"duration": 0.0}, {"duration": 30.0},
             {"timeout": 2.5, "retries": 3}, {"trigger": "outage", "size": 0.5, "policy": "none", "load": 200.0}]
    _assert_restyle_matches_full_draw(storm_experiment(), moves)


def test_storm_restyle_refuses_a_figure_it_did_not_draw():
    """restyle_storm returns False (the widget rebuilds) for an empty figure or another plot's figure."""
    from matplotlib.figure import Figure

    exp = storm_experiment()
    assert not restyle_storm(Figure(), exp.result)
    assert not restyle_storm(leases_experiment().figure, exp.result)
    assert restyle_storm(exp.figure, exp.result)


def test_restyled_widget_still_shows_errors_and_recovers():
    """A model error after in-place updates shows a message; the next valid move draws the full picture again."""
    exp = leases_experiment()
    exp.set(throttle=4000)
    compute = exp.compute

    def failing(**values):
        raise ValueError("fleet must be >= 1, got 0")

    exp.compute = failing
    exp.set(fleet=20_000)
    assert exp.error and "fleet" in exp.error
    exp.compute = compute
    _assert_restyle_matches_full_draw(exp, [{"fleet": 50_000}, {"throttle": 800}])
