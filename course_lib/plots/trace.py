"""Draw an event trace as swimlanes: one horizontal lane per actor, one marker per event."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ..trace import Event, check_actors, check_events, check_rows
from ..validate import check_axes, check_bool, check_type
from .style import PALETTE, SERIES, tidy

__all__ = ["draw_swimlanes"]


def draw_swimlanes(ax, events: Sequence[Event], actors: Sequence[str] | None = None,
                   highlight: Iterable[int] = (), labels: bool = True, title: str = ""):
    """Draw *events* on *ax*, lanes top to bottom in *actors* order; events at indices in *highlight* in red."""
    check_axes("ax", ax)
    events, actors, highlight = check_events("events", events), check_actors("actors", actors), check_rows(
        "highlight", highlight)
    check_bool("labels", labels)
    check_type("title", title, str)
    if actors is None:
        actors = list(dict.fromkeys(e.actor for e in events))
    lane = {a: len(actors) - 1 - i for i, a in enumerate(actors)}
    marked = set(highlight)
    for i, a in enumerate(actors):
        ax.axhline(lane[a], color=SERIES[i % len(SERIES)], lw=0.8, alpha=0.4)
    for i, e in enumerate(events):
        y = lane.get(e.actor)
        if y is None:
            continue
        colour = PALETTE["bad"] if i in marked else PALETTE["ok"]
        ax.plot(e.time, y, marker="X" if i in marked else "o", color=colour, ms=7 if i in marked else 5)
        if labels:
            ax.annotate(e.kind, (e.time, y), xytext=(0, 6), textcoords="offset points", fontsize=7,
                        rotation=30, color=colour, ha="left")
    ax.set_yticks([lane[a] for a in actors], actors)
    ax.set_ylim(-0.7, len(actors) - 0.2)
    return tidy(ax, title=title, xlabel="time")
