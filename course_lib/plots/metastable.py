"""Plots for Chapter 4: the retry storm over time, the phase diagram, DWFM leases and NLB capacity."""

from __future__ import annotations

import numpy as np
from matplotlib.text import Text

from ..timeline import EVENT_START, PUBLISHED, clock
from ..validate import check_axes, check_figure, check_int, check_number, check_type
from .backdrop import backdrop
from .style import PALETTE, tidy

__all__ = ["draw_capacity", "draw_definitions", "draw_leases", "draw_phase", "draw_storm", "restyle_capacity", "restyle_leases",
           "restyle_storm", "trailing_mean"]


def _check_result(name: str, value, module: str, cls: str):
    """Raise TypeError unless *value* is the named result class of course_lib.*module*."""
    import importlib

    wanted = getattr(importlib.import_module(f"course_lib.{module}"), cls)
    return check_type(name, value, wanted, f"a {module}.{cls}")


def draw_definitions(ax, capacity: float = 300.0, retries: int = 1):
    """Draw the load axis split into stable, vulnerable and overloaded, with hidden and advertised capacity."""
    check_axes("ax", ax)
    capacity = check_number("capacity", capacity, lo=0, lo_open=True, hi=1e9)
    retries = check_int("retries", retries, lo=0, hi=100)
    hidden = capacity / (1 + retries)
    top = capacity * 1.25
    bands = ((0, hidden, PALETTE["ok"], "stable:\ntriggers heal"),
             (hidden, capacity, PALETTE["warn"], "vulnerable:\nhealthy, but a trigger\ncan tip it over"),
             (capacity, top, PALETTE["bad"], "overloaded"))
    for lo, hi, colour, text in bands:
        ax.axvspan(lo, hi, color=colour, alpha=0.25, lw=0)
        ax.text((lo + hi) / 2, 0.55, text, ha="center", va="center", fontsize=8)
    for x, text in ((hidden, f"hidden capacity\n{hidden:g} QPS"), (capacity, f"advertised capacity\n{capacity:g} QPS")):
        ax.axvline(x, color="black", lw=1)
        ax.text(x, 1.02, text, ha="center", va="bottom", fontsize=8, transform=ax.get_xaxis_transform())
    example = (hidden + capacity) / 2
    ax.annotate("", xy=(top, 0.15), xytext=(example, 0.15), arrowprops={"arrowstyle": "->", "color": "black"})
    ax.plot([example], [0.15], "o", color="black", ms=4)
    ax.text((example + top) / 2, 0.2, f"after a trigger, one retry each: {example:g} QPS offered as "
            f"{example * (1 + retries):g}", ha="center", fontsize=7)
    ax.set_xlim(0, top)
    ax.set_ylim(0, 1)
    ax.set_yticks([])
    return tidy(ax, xlabel="load (queries per second)")


def draw_storm(fig, result, index: int = 0):
    """Draw offered load, goodput and wasted work (top) and queueing delay (bottom), trigger shaded."""
    check_figure("fig", fig)
    _check_result("result", result, "metastable", "StormResult")
    index = check_int("index", index, lo=0, hi=result.load.size - 1)
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=(2, 1))
    t = result.t
    kind, _magnitude, start, duration = result.trigger
    end = start + float(np.broadcast_to(duration, result.load.shape)[index])
    for ax in (top, bottom):
        if end > start:
            ax.axvspan(start, end, color=PALETTE["warn"], alpha=0.25, lw=0)
    capacity, load, *curves = _storm_curves(result, index)
    styles = ((PALETTE["bad"], "-", 1.4, "offered (incl. retries)"),
              (PALETTE["ok"], "-", 1.4, "goodput"),
              (PALETTE["neutral"], (0, (1, 1)), 2.4, "work for clients who gave up\n(= capacity when stuck)"))
    top.axhline(capacity[0], color="black", lw=0.8, ls="--", label="capacity", zorder=1)
    top.axhline(load[0], color=PALETTE["good"], lw=0.8, ls=":", label="load", zorder=1)
    for (colour, ls, lw, label), y in zip(styles, curves, strict=True):
        top.plot(t, y, color=colour, ls=ls, lw=lw, label=label, zorder=3)
    top.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)  # outside the curves
    tidy(top, title=f"{kind} trigger (shaded), policy: {result.policy}", ylabel="queries / s")
    bottom.plot(t, result.queue_delay[index], color=PALETTE["accent"], lw=1.2)
    return tidy(bottom, xlabel="time (s)", ylabel="queue delay (s)")


def _storm_curves(result, index: int) -> list:
    """Return the y data of draw_storm's top lines in drawing order: capacity, load, offered, goodput, wasted."""
    k = max(1, round(1.0 / result.dt))  # one-second averages keep the curves readable
    return [[result.capacity[index]] * 2, [result.load[index]] * 2,
            *(trailing_mean(result.rate(name)[index], k) for name in ("offered", "goodput", "wasted"))]


def restyle_storm(fig, result, index: int = 0) -> bool:
    """Move the retry-storm widget's curves, trigger band, title and y axes to *result* in place (no new artists).

    The picture is the one ``draw_storm`` gives for the same run: same data, limits (autoscaled again), ticks,
    title and legend.  The legend (outside the axes), the x axis and its label are the same for every run, so
    they are kept as a backdrop image; the y axes and the title are drawn each time.  Returns False (rebuild) when the figure
    is not draw_storm's or the trigger band appears or disappears.
    """
    check_figure("fig", fig)
    _check_result("result", result, "metastable", "StormResult")
    index = check_int("index", index, lo=0, hi=result.load.size - 1)
    if len(fig.axes) != 2:
        return False
    top, bottom = fig.axes
    kind, _magnitude, start, duration = result.trigger
    end = start + float(np.broadcast_to(duration, result.load.shape)[index])
    bands = (end > start)
    if (len(top.lines), len(bottom.lines)) != (5, 1) or top.get_legend() is None or \
            any(len(ax.patches) != bands for ax in (top, bottom)):
        return False
    for ax in (top, bottom):
        for band in ax.patches:
            band.set_x(start)
            band.set_width(end - start)
    t = result.t
    capacity, load, *curves = _storm_curves(result, index)
    top.lines[0].set_ydata(capacity)  # the two horizontal lines span the axes
    top.lines[1].set_ydata(load)
    for line, y in zip(top.lines[2:], curves, strict=True):
        line.set_data(t, y)
    bottom.lines[0].set_data(t, result.queue_delay[index])
    for ax in (top, bottom):
        ax.relim()
        ax.autoscale_view()
    tidy(top, title=f"{kind} trigger (shaded), policy: {result.policy}")
    # The empty side titles stay live too: matplotlib places the title above every title's extent, and a
    # hidden text's extent is the unit box, which would push the title off the figure.
    empty = [a for ax in (top, bottom) for a in ax.get_children() if isinstance(a, Text) and not a.get_text()]
    backdrop(fig, [top.yaxis, bottom.yaxis, top.title, *empty], top.get_xlim(), still=[top.get_legend()])
    return True


def _short_repr(value) -> str:
    return f"{type(value).__name__} {value!r:.60}"


def trailing_mean(values, k: int) -> np.ndarray:
    """Average each sample with up to *k* - 1 samples before it (no padding: the first ones average fewer)."""
    if isinstance(values, (str, bytes)) or np.ndim(values) != 1:
        raise TypeError(f"values must be a 1-D sequence of numbers, got {type(values).__name__}")
    try:
        values = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"values must be a 1-D sequence of numbers, got {_short_repr(values)}") from None
    if values.size == 0:
        raise ValueError("values must hold at least one sample, got an empty sequence")
    k = check_int("k", k, lo=1)
    if k > values.size:
        raise ValueError(f"k must be at most len(values) = {values.size}, got {k}")
    total = np.cumsum(values)
    total[k:] = total[k:] - total[:-k]
    return total / np.minimum(np.arange(1, values.size + 1), k)


def draw_phase(ax, phase):
    """Draw recovered (blue), recovering (sky blue: below the hidden capacity, not recovered within the run)
    and stuck (vermillion) cells of a phase diagram, with the hidden capacity marked."""
    check_axes("ax", ax)
    _check_result("phase", phase, "phase", "Phase")
    from matplotlib.colors import ListedColormap

    cmap = ListedColormap([PALETTE["bad"], PALETTE["mitigated"], PALETTE["ok"]])
    dv = (phase.values[1] - phase.values[0]) / 2 if phase.values.size > 1 else 0.5
    dl = (phase.loads[1] - phase.loads[0]) / 2 if phase.loads.size > 1 else 0.5
    extent = (phase.values[0] - dv, phase.values[-1] + dv, phase.loads[0] - dl, phase.loads[-1] + dl)
    level = np.where(phase.recovered, 2, np.where(phase.state == "recovering", 1, 0))
    ax.imshow(level, origin="lower", aspect="auto", cmap=cmap, vmin=0, vmax=2, extent=extent,
              interpolation="nearest")
    ax.axhline(phase.hidden, color="white", lw=1.2, ls="--")
    ax.text(extent[1], phase.hidden, " hidden capacity", va="center", fontsize=7)
    unit = "s" if phase.axis == "duration" else "share of capacity lost"
    slow = "   sky blue: recovering (slow)" if (level == 1).any() else ""
    return tidy(ax, title=f"blue: recovers{slow}   vermillion: stays stuck", xlabel=f"trigger {phase.axis} ({unit})",
                ylabel="load (QPS)")


def _clock_axis(ax, start: float, stop: float, step: int = 60) -> None:
    """Label the x axis with PDT clock times every *step* minutes."""
    offset = (60 - EVENT_START.minute) % 60  # align ticks to whole clock hours, not to the start's minute
    ticks = np.arange(np.ceil((start - offset) / step) * step + offset, stop + 1, step)
    ax.set_xticks(ticks, [clock(x) for x in ticks], fontsize=7)
    ax.set_xlim(start, stop)


def _mark(ax, keys) -> None:
    """Mark the named published moments (``timeline.PUBLISHED``) with a dotted line, their clock time and their
    label (proper names from ``Moment.label``).  Call it after the x limits are set: a label closer than a
    seventh of the axis to the previous one goes one row higher, so neighbouring labels do not overlap."""
    lo, hi = ax.get_xlim()
    previous, row = None, 0
    for key in keys:
        moment = PUBLISHED[key]
        close = previous is not None and moment.minute - previous < (hi - lo) / 7
        row = 1 - row if close else 0
        previous = moment.minute
        ax.axvline(moment.minute, color="black", lw=0.7, ls=":")
        ax.text(moment.minute, 1.0 + 0.16 * row, f"{moment.clock}\n{moment.label}", transform=ax.get_xaxis_transform(),
                fontsize=6.5, ha="center", va="bottom")
def _action_at(run) -> float:
    """Return the minute of the run's first DWFM action (off the axis when there is none)."""
    times = [x for x in (run.actions.restart_at, run.actions.throttle_at, run.actions.lifo_at) if x is not None]
    return max(min(times), run.dynamodb.dns_restored) if times else -1e4


def draw_leases(ax, run):
    """Draw leases held (and the work queue) against the published DWFM timestamps."""
    check_axes("ax", ax)
    _check_result("run", run, "dwfm", "LeaseRun")
    held, queue = _lease_curves(run)
    ax.plot(run.t, held, color=PALETTE["ok"], lw=1.6, label="leases held")
    ax.plot(run.t, queue, color=PALETTE["bad"], lw=1.0, label="work queue (% of fleet, capped at 100)")
    ax.axvline(_action_at(run), color=PALETTE["mitigated"], lw=6, alpha=0.3)
    _clock_axis(ax, _lease_start(run), run.t[-1])
    _mark(ax, ("dns restored", "throttling and restarts", "all leases held"))
    ax.set_ylim(0, 105)
    # In the gap between the collapsed queue (top) and the lost leases (bottom), clear of the 04:14-05:28 rise.
    ax.legend(fontsize=7, loc="center", bbox_to_anchor=(0.37, 0.5), frameon=False)
    return tidy(ax, xlabel="time (PDT)", ylabel="% of droplets")


def _lease_start(run) -> float:
    """The DWFM plot starts an hour before DynamoDB's DNS was restored (read from the run, not typed in)."""
    return max(float(run.t[0]), run.dynamodb.dns_restored - 55.0)


def _capacity_start(run) -> float:
    """The NLB plot starts half an hour before DWFM held every lease (or at the DNS repair if it never did)."""
    leases = run.propagation.leases
    start = leases.all_held_at if np.isfinite(leases.all_held_at) else leases.dynamodb.dns_restored
    return max(float(run.t[0]), start - 28.0)


def _lease_curves(run) -> tuple[np.ndarray, np.ndarray]:
    """Return leases held and the work queue, both as % of the fleet (the queue capped at 100)."""
    return run.held / run.fleet * 100, np.minimum(run.queue / run.fleet, 1) * 100


def restyle_leases(fig, run) -> bool:
    """Move the DWFM widget's curves, action line and clock axis to *run* in place (no new artists)."""
    check_figure("fig", fig)
    _check_result("run", run, "dwfm", "LeaseRun")
    ax = fig.axes[0] if len(fig.axes) == 1 else None
    if ax is None or len(ax.lines) != 6:
        return False
    held, queue = _lease_curves(run)
    ax.lines[0].set_data(run.t, held)
    ax.lines[1].set_data(run.t, queue)
    ax.lines[2].set_xdata([_action_at(run)] * 2)
    _clock_axis(ax, _lease_start(run), run.t[-1])
    backdrop(fig, [], ax.get_xlim())  # the marks, ticks and labels move only with the end of the run
    return True


def draw_capacity(ax, run):
    """Draw NLB capacity in service against demand, connection errors shaded, with the published times."""
    check_axes("ax", ax)
    _check_result("run", run, "nlb", "CapacityRun")
    ax.plot(run.t, run.in_service / run.total * 100, color=PALETTE["ok"], lw=1.4, label="capacity in service")
    ax.axhline(run.demand / run.total * 100, color="black", lw=0.8, ls="--", label="demand")
    ax.fill_between(run.t, 0, run.error_rate * 100, color=PALETTE["bad"], alpha=0.4, lw=0,
                    label="connection errors (% of attempts)")
    _clock_axis(ax, _capacity_start(run), run.t[-1], step=120)
    _mark(ax, ("nlb errors begin", "nlb failures detected", "failover disabled", "failover re-enabled"))
    ax.set_ylim(0, 105)
    ax.legend(fontsize=7, loc="lower right", frameon=False)
    return tidy(ax, xlabel="time (PDT)", ylabel="% of NLB capacity")


def restyle_capacity(fig, run) -> bool:
    """Move the NLB widget's capacity curve, demand line and error band to *run* in place."""
    check_figure("fig", fig)
    _check_result("run", run, "nlb", "CapacityRun")
    ax = fig.axes[0] if len(fig.axes) == 1 else None
    if ax is None or len(ax.lines) != 6 or len(ax.collections) != 1:
        return False
    ax.lines[0].set_data(run.t, run.in_service / run.total * 100)
    ax.lines[1].set_ydata([run.demand / run.total * 100] * 2)
    ax.collections[0].set_data(run.t, 0, run.error_rate * 100)
    _clock_axis(ax, _capacity_start(run), run.t[-1], step=120)
    backdrop(fig, [], ax.get_xlim())
    return True

