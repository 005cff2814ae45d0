"""Chapter 4 widgets: an in-place update (restyle) shows exactly what a full redraw of the same run shows."""

from __future__ import annotations

import numpy as np
from conftest import fresh_draw, png_rgba

from course_lib.experiments.ch04 import ACT_AT, capacity_experiment, leases_experiment
from course_lib.widgets import figure_png


def _artists(fig) -> list:
    """Return what a learner sees: limits, tick labels, line data, filled areas, texts and the legend."""
    out = []
    for ax in fig.axes:
        out += [np.round(ax.get_xlim(), 9).tolist(), ax.get_ylim(), list(ax.get_xticks()),
                [t.get_text() for t in ax.get_xticklabels()], [t.get_text() for t in ax.texts]]
        out += [(np.asarray(ln.get_xdata(), float).tolist(), np.asarray(ln.get_ydata(), float).tolist())
                for ln in ax.lines]
        out += [[p.vertices.tolist() for p in c.get_paths()] for c in ax.collections]
        out += [[t.get_text() for t in ax.get_legend().get_texts()]]
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
