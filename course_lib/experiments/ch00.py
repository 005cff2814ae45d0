"""Chapter 0's experiment: scrub a time slider and see what was broken at that moment, and why."""

from __future__ import annotations

import ipywidgets as W

from ..plots.timeline import draw_status, move_status_line
from ..timeline import describe, slider_options, snapshot
from ..widgets import Experiment

__all__ = ["START_MINUTES", "time_slider"]

# The slider opens before the event (23:40 PDT): the chapter asks learners to predict 03:00 and 08:00 first,
# and the plot draws only what has happened by the slider's time, so nothing is given away on opening.
START_MINUTES = -8


def _draw(fig, snap):
    draw_status(fig.add_subplot(), snap.time)


def _restyle(fig, snap) -> bool:
    return move_status_line(fig.axes[0], snap.time)


def time_slider(step: int = 10) -> Experiment:
    """Return the time-slider experiment: minutes after 23:48 -> service status plot and a text readout."""
    options = slider_options(step)
    value = min((m for _, m in options), key=lambda m: abs(m - START_MINUTES))
    control = W.SelectionSlider(options=options, value=value, description="time (PDT)",
                                continuous_update=False, layout=W.Layout(width="640px"),
                                style={"description_width": "initial"})
    return Experiment({"minutes": control}, compute=snapshot, draw=_draw, summary=describe, restyle=_restyle,
                      figsize=(8.0, 2.6), height="230px",
                      margins={"left": 0.2, "bottom": 0.12})
