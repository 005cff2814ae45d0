"""Event traces shared by every model: one record per thing that happened, printable and drawable.

A trace is a plain list of :class:`Event`.  Models return traces; tests assert on them; plots and
exercise verdicts draw them (``format_swimlanes`` as text, ``plots.timeline.draw_swimlanes`` as a figure).
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

__all__ = ["Event", "format_swimlanes", "format_trace"]


@dataclass(frozen=True)
class Event:
    """One thing that happened: when, who did it, what kind of step, and a short detail."""

    time: float
    actor: str
    kind: str
    detail: str = ""
    data: dict = field(default_factory=dict, compare=False, repr=False)

    def __str__(self) -> str:
        detail = f" {self.detail}" if self.detail else ""
        return f"t={self.time:g} {self.actor}: {self.kind}{detail}"


def check_events(name: str, events) -> list:
    """Return *events* as a list of :class:`Event`, or raise TypeError naming *name*."""
    if isinstance(events, (str, bytes, dict)) or not isinstance(events, Iterable):
        raise TypeError(f"{name} must be a sequence of trace Events, got {type(events).__name__} {events!r:.60}")
    events = list(events)
    for e in events:
        if not isinstance(e, Event):
            raise TypeError(f"{name} must hold trace Events only, got {type(e).__name__} {e!r:.60}")
    return events


def check_actors(name: str, actors) -> list | None:
    """Return *actors* (None, or a sequence of actor names) as a list, or raise TypeError naming *name*."""
    if actors is None:
        return None
    if isinstance(actors, (str, bytes, dict)) or not isinstance(actors, Iterable):
        raise TypeError(f"{name} must be a sequence of actor names, got {type(actors).__name__} {actors!r:.60}")
    actors = list(actors)
    if not all(isinstance(a, str) for a in actors):
        raise TypeError(f"{name} must hold actor names (strings), got {actors!r:.60}")
    if not actors:
        raise ValueError(f"{name} must name at least one actor (or be None: the actors of the events)")
    return actors


def check_rows(name: str, rows) -> set:
    """Return *rows* (row indices to mark) as a set of ints, or raise TypeError naming *name*."""
    if isinstance(rows, (str, bytes, dict)) or not isinstance(rows, Iterable):
        raise TypeError(f"{name} must be a collection of row indices, got {type(rows).__name__} {rows!r:.60}")
    rows = list(rows)
    if any(isinstance(i, bool) or not isinstance(i, numbers.Integral) for i in rows):
        raise TypeError(f"{name} must hold row indices (whole numbers), got {rows!r:.60}")
    return {int(i) for i in rows}


def format_trace(events: Iterable[Event]) -> str:
    """Return the trace as one line per event."""
    events = check_events("events", events)
    return "\n".join(str(e) for e in events)


def format_swimlanes(events: Sequence[Event], actors: Sequence[str] | None = None,
                     width: int = 26, mark: Iterable[int] = ()) -> str:
    """Draw the trace as text: one column per actor, one row per event, in time order.

    Rows whose index is in *mark* are flagged with ``>>`` so a verdict can point at the step that broke.
    """
    events, actors, mark = check_events("events", events), check_actors("actors", actors), check_rows("mark", mark)
    if not isinstance(width, numbers.Integral) or isinstance(width, bool) or not 4 <= width <= 200:
        raise TypeError(f"width must be a whole number of characters in [4, 200], got {width!r:.40}")
    if actors is None:
        actors = list(dict.fromkeys(e.actor for e in events))
    marked = set(mark)
    col = {a: i for i, a in enumerate(actors)}
    header = "      time | " + " | ".join(a[:width].ljust(width) for a in actors)
    lines = [header, "-" * len(header)]
    for i, e in enumerate(events):
        cells = [""] * len(actors)
        text = f"{e.kind} {e.detail}".strip()
        cells[col.get(e.actor, 0)] = text[:width]
        flag = ">>" if i in marked else "  "
        lines.append(f"{flag}{e.time:8g} | " + " | ".join(c.ljust(width) for c in cells))
    return "\n".join(line.rstrip() for line in lines)
