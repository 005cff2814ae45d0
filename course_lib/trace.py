"""Event traces shared by every model: one record per thing that happened, printable and drawable.

A trace is a plain list of :class:`Event`.  Models return traces; tests assert on them; plots and
exercise verdicts draw them (``format_swimlanes`` as text, ``plots.timeline.draw_swimlanes`` as a figure).
"""

from __future__ import annotations

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


def format_trace(events: Iterable[Event]) -> str:
    """Return the trace as one line per event."""
    return "\n".join(str(e) for e in events)


def format_swimlanes(events: Sequence[Event], actors: Sequence[str] | None = None,
                     width: int = 26, mark: Iterable[int] = ()) -> str:
    """Draw the trace as text: one column per actor, one row per event, in time order.

    Rows whose index is in *mark* are flagged with ``>>`` so a verdict can point at the step that broke.
    """
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
