"""Pictures of the published timeline: periods of impact, service status up to time t, and the cascade."""

from __future__ import annotations

from datetime import datetime, timedelta

from matplotlib.dates import DateFormatter, HourLocator, date2num
from matplotlib.patches import FancyBboxPatch, Rectangle

from ..timeline import CASCADE, EVENT_END, EVENT_START, IMPAIRMENTS, PERIODS, PUBLISHED, SERVICES
from ..validate import check_axes, check_bool, check_type
from .backdrop import backdrop
from .style import PALETTE, SERIES, tidy

__all__ = ["KEY_MOMENTS", "draw_cascade", "draw_periods", "draw_status", "move_status_line"]

# The moments marked on the periods plot, by their names in timeline.PUBLISHED, with a short label.
KEY_MOMENTS = (("event start", "start"), ("identified", "DNS identified"), ("rpz override", "partial mitigation"),
               ("dns restored", "DNS restored"), ("throttling and restarts", "throttle + restarts"),
               ("all leases held", "leases back"), ("failover disabled", "NLB failover off"), ("event end", "end"))
# The plots show from 18 minutes before the start to 20 minutes after the end.
_FIRST, _LAST = EVENT_START - timedelta(minutes=18), EVENT_END + timedelta(minutes=20)


def _time_axis(ax):
    ax.xaxis.set_major_locator(HourLocator(interval=2))
    ax.xaxis.set_major_formatter(DateFormatter("%H:%M"))
    ax.set_xlim(date2num(_FIRST), date2num(_LAST))


def draw_periods(ax, moments: bool = True):
    """Draw the three periods of impact as bars, with the key moments as labelled ticks."""
    check_axes("ax", ax)
    check_bool("moments", moments)
    for i, p in enumerate(PERIODS):
        y = len(PERIODS) - 1 - i
        start, end = date2num(p.start), date2num(p.end)
        ax.barh(y, end - start, left=start, height=0.55, color=SERIES[i])
        hours, mins = divmod(p.minutes, 60)
        ax.text(end + 0.004, y, f"{hours} h {mins:02d} min", va="center", fontsize=8)
    ax.set_yticks(range(len(PERIODS)), [p.name for p in reversed(PERIODS)], fontsize=8)
    if moments:
        for k, (name, label) in enumerate(KEY_MOMENTS):
            moment = PUBLISHED[name]
            x = date2num(moment.time)
            ax.axvline(x, color=PALETTE["neutral"], lw=0.6, ls=":")
            ax.text(x, len(PERIODS) - 0.45 + 0.3 * (k % 3), f"{moment.clock} {label}", fontsize=7, rotation=0,
                    ha="left", va="bottom")
    _time_axis(ax)
    ax.set_ylim(-0.6, len(PERIODS) + 0.55)
    return tidy(ax, xlabel="time (PDT), 19–20 Oct 2025")


def _minutes(t: datetime) -> float:
    return (t - EVENT_START).total_seconds() / 60


# Every two clock hours from the first whole hour after the start.
_FIRST_HOUR = (60 - EVENT_START.minute) % 60
STATUS_TICKS = [(m, (EVENT_START + timedelta(minutes=m)).strftime("%H:%M"))
                for m in range(_FIRST_HOUR, int(_minutes(EVENT_END)) + 1, 120)]
_COLOURS = {"impaired": PALETTE["bad"], "mitigated": PALETTE["mitigated"]}
FUTURE = PALETTE["future"]  # the not-yet-happened part of the status plot


def draw_status(ax, t: datetime):
    """Draw each service's impaired (vermillion) and mitigated (sky blue) stretches **up to time t** and a line
    at *t*; what came later is not drawn (the readout and the picture never show the future)."""
    check_axes("ax", ax)
    check_type("t", t, datetime)
    now = _minutes(t)
    for k, imp in enumerate(IMPAIRMENTS):
        y = len(SERVICES) - 1 - SERVICES.index(imp.service)
        start = _minutes(imp.start)
        rect = Rectangle((start, y - 0.25), _shown(imp, now), 0.5, facecolor=_COLOURS[imp.status],
                         edgecolor="white", lw=0.5, gid=f"imp{k}")
        ax.add_patch(rect)
        if imp.label:  # the segment's name under its bar, on one of two lines; shown once the segment began
            line = sum(1 for other in IMPAIRMENTS[:k] if other.service == imp.service and other.label) % 2
            ax.text(start + 2, y - 0.29 - 0.19 * line, imp.label, fontsize=6, va="top", ha="left", gid=f"lab{k}",
                    color=PALETTE["neutral"])
    # The future: an opaque veil over the bars and labels that have not happened yet (above the labels).
    ax.add_patch(Rectangle((now, 0), _minutes(_LAST) - now, 1, transform=ax.get_xaxis_transform(),
                           facecolor=FUTURE, lw=0, gid="future", zorder=3.5))
    ax.axvline(now, color=PALETTE["ok"], lw=2, gid="now", zorder=4)
    ax.set_yticks(range(len(SERVICES)), list(reversed(SERVICES)), fontsize=8)
    ax.set_xticks([m for m, _ in STATUS_TICKS], [h for _, h in STATUS_TICKS], fontsize=8)
    ax.set_xlim(_minutes(_FIRST), _minutes(_LAST))
    ax.set_ylim(-0.75, len(SERVICES) - 0.55)
    ax.set_title(_status_title(t), fontsize=9, y=1.01)  # a fixed place: no auto-positioning per draw
    return tidy(ax)


def _shown(imp, now: float) -> float:
    """The width of an impairment's bar drawn at minute *now*: the part that has already happened."""
    return max(0.0, min(_minutes(imp.end), now) - _minutes(imp.start))


def _status_title(t: datetime) -> str:
    return f"{t:%d %b %H:%M} PDT — red-orange: impaired, light blue: mitigated, grey: not yet happened"


def move_status_line(ax, t: datetime) -> bool:
    """Move a drawn status plot to *t*: bars grow or shrink to what has happened, the line and the grey future
    move (no new artists); False if *ax* holds no status plot."""
    check_axes("ax", ax)
    check_type("t", t, datetime)
    lines = [ln for ln in ax.lines if ln.get_gid() == "now"]
    rects = {p.get_gid(): p for p in ax.patches if (p.get_gid() or "").startswith(("imp", "future"))}
    if not lines or len(rects) != len(IMPAIRMENTS) + 1:
        return False
    now = _minutes(t)
    lines[0].set_xdata([now] * 2)
    for k, imp in enumerate(IMPAIRMENTS):
        rects[f"imp{k}"].set_width(_shown(imp, now))
    future = rects["future"]
    future.set_x(now)
    future.set_width(_minutes(_LAST) - now)
    ax.set_title(_status_title(t), fontsize=9, y=1.01)  # a fixed place: no auto-positioning per draw
    # Ticks, service names and segment labels never change: render them once (the veil hides future labels).
    backdrop(ax.figure, [ax.title], ax.get_xlim())
    return True


def draw_cascade(ax):
    """Draw the chain DNS -> DWFM -> Network Manager -> NLB as boxes and arrows, with the chapters."""
    check_axes("ax", ax)
    chapters = ("Ch. 1–3", "Ch. 4", "Ch. 4", "Ch. 4")
    for i, (name, chapter) in enumerate(zip(CASCADE, chapters, strict=True)):
        x = i * 2.6
        ax.add_patch(FancyBboxPatch((x, 0), 2.0, 1.0, boxstyle="round,pad=0.08", fc=SERIES[i], alpha=0.25,
                                    ec=SERIES[i]))
        title, _, detail = name.partition(" (")
        ax.text(x + 1.0, 0.62, title, ha="center", va="center", fontsize=9, weight="bold")
        ax.text(x + 1.0, 0.32, detail.rstrip(")"), ha="center", va="center", fontsize=7)
        ax.text(x + 1.0, -0.25, chapter, ha="center", va="center", fontsize=7, color=PALETTE["neutral"])
        if i < len(CASCADE) - 1:
            ax.annotate("", xy=(x + 2.55, 0.5), xytext=(x + 2.05, 0.5),
                        arrowprops={"arrowstyle": "->", "lw": 1.5})
    ax.set_xlim(-0.2, len(CASCADE) * 2.6 - 0.4)
    ax.set_ylim(-0.5, 1.2)
    ax.axis("off")
    return ax
