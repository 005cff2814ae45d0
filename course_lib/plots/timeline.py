"""Pictures of the published timeline: periods of impact, service status at time t, and the cascade."""

from __future__ import annotations

from datetime import datetime

from matplotlib.dates import DateFormatter, HourLocator, date2num
from matplotlib.patches import FancyBboxPatch

from ..timeline import CASCADE, EVENT_START, IMPAIRMENTS, PERIODS, SERVICES, at
from ..validate import check_axes, check_bool
from .style import PALETTE, SERIES, tidy

__all__ = ["KEY_MOMENTS", "draw_cascade", "draw_periods", "draw_status", "move_status_line"]

KEY_MOMENTS = (("23:48", "start"), ("00:38", "DNS identified"), ("01:15", "partial mitigation"),
               ("02:25", "DNS restored"), ("04:14", "throttle + restarts"), ("05:28", "leases back"),
               ("09:36", "NLB failover off"), ("14:20", "end"))


def _time_axis(ax):
    ax.xaxis.set_major_locator(HourLocator(interval=2))
    ax.xaxis.set_major_formatter(DateFormatter("%H:%M"))
    ax.set_xlim(date2num(at("23:30")), date2num(at("14:40")))


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
        for k, (hhmm, label) in enumerate(KEY_MOMENTS):
            x = date2num(at(hhmm))
            ax.axvline(x, color=PALETTE["neutral"], lw=0.6, ls=":")
            ax.text(x, len(PERIODS) - 0.45 + 0.3 * (k % 3), f"{hhmm} {label}", fontsize=7, rotation=0,
                    ha="left", va="bottom")
    _time_axis(ax)
    ax.set_ylim(-0.6, len(PERIODS) + 0.55)
    return tidy(ax, xlabel="time (PDT), 19–20 Oct 2025")


def _minutes(t: datetime) -> float:
    return (t - EVENT_START).total_seconds() / 60


STATUS_TICKS = [(_minutes(at(h)), h) for h in ("00:00", "02:00", "04:00", "06:00", "08:00", "10:00", "12:00",
                                                "14:00")]


def draw_status(ax, t: datetime):
    """Draw each service's impaired (vermillion) and mitigated (sky blue) stretches and a line at time *t*."""
    check_axes("ax", ax)
    colours = {"impaired": PALETTE["bad"], "mitigated": PALETTE["mitigated"]}
    for service in SERVICES:
        y = len(SERVICES) - 1 - SERVICES.index(service)
        spans = [imp for imp in IMPAIRMENTS if imp.service == service]
        ax.broken_barh([(_minutes(i.start), _minutes(i.end) - _minutes(i.start)) for i in spans], (y - 0.25, 0.5),
                       facecolors=[colours[i.status] for i in spans], edgecolor="white", lw=0.5)
    ax.axvline(_minutes(t), color=PALETTE["ok"], lw=2, gid="now")
    ax.set_yticks(range(len(SERVICES)), list(reversed(SERVICES)), fontsize=8)
    ax.set_xticks([m for m, _ in STATUS_TICKS], [h for _, h in STATUS_TICKS], fontsize=8)
    ax.set_xlim(_minutes(at("23:30")), _minutes(at("14:40")))
    ax.set_ylim(-0.6, len(SERVICES) - 0.4)
    ax.set_title(_status_title(t), fontsize=9)
    return tidy(ax)


def _status_title(t: datetime) -> str:
    return f"{t:%d %b %H:%M} PDT — red-orange: impaired, light blue: mitigated"


def move_status_line(ax, t: datetime) -> bool:
    """Move the time line of a drawn status plot to *t* (no redraw of the bars); False if there is none."""
    check_axes("ax", ax)
    lines = [ln for ln in ax.lines if ln.get_gid() == "now"]
    if not lines:
        return False
    lines[0].set_xdata([_minutes(t)] * 2)
    ax.set_title(_status_title(t), fontsize=9)
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
