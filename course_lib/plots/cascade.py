"""Plots for Chapter 6: the published-vs-model table as a picture, and the night's stages over time."""

from __future__ import annotations

import math

import numpy as np

from ..validate import check_axes, check_figure, check_type
from .backdrop import backdrop
from .style import PALETTE, tidy

__all__ = ["draw_dashboard", "draw_night", "draw_table", "draw_timelines", "restyle_dashboard", "restyle_night"]

LAST = 15 * 60 + 12  # the plots show 23:48 to 15:00 (minutes)
_TICKS = np.arange(12, LAST + 1, 120)  # 00:00, 02:00, ... 14:00


def _clock_axis(ax, labels: bool = True) -> None:
    from ..timeline import clock

    ax.set_xlim(0, LAST)
    ax.set_xticks(_TICKS)
    ax.set_xticklabels([clock(float(m)) for m in _TICKS] if labels else [])


def draw_table(ax, rows, bands: dict | None = None):
    """Draw each published moment (black diamond) beside the model's (circle; hollow = not fitted) with the
    ±10 % sensitivity band of the fitted parameters (shaded)."""
    from ..cascade import Row

    check_axes("ax", ax)
    if isinstance(rows, (str, bytes)) or not isinstance(rows, (tuple, list)) or not all(
            isinstance(r, Row) for r in rows):
        raise TypeError(f"rows must be a tuple of cascade.Row (from cascade.compare), got {type(rows).__name__}")
    rows = tuple(rows)
    if not rows:
        raise ValueError("rows must not be empty: pass cascade.compare(...)")
    if bands is not None:
        check_type("bands", bands, dict, "a dict from cascade.bands()")
        for m, band in bands.items():
            if not (isinstance(band, tuple) and len(band) == 2 and all(
                    isinstance(x, (int, float)) and not math.isnan(x) for x in band)):
                raise ValueError(f"bands[{m!r}] must be a (low, high) pair of minutes, got {band!r}")
    for i, r in enumerate(rows):
        y = len(rows) - 1 - i
        if bands and r.moment in bands:
            lo, hi = bands[r.moment]
            hi = min(hi, LAST)
            ax.barh(y, max(hi - lo, 1.0), left=lo, height=0.5, color=PALETTE["mitigated"], alpha=0.5, lw=0)
        model = r.model if math.isfinite(r.model) else LAST
        face = "white" if r.kind in ("anchored to a fitted time", "predicted") else PALETTE["ok"]
        ax.plot([model], [y], "o", mec=PALETTE["ok"], mfc=face, ms=8, mew=1.6)
        ax.plot([r.published], [y], "D", color="black", mec="white", ms=4.5, zorder=4)
        ax.text(LAST + 10, y, f"{r.error:+.0f} min, {r.kind}", va="center", fontsize=7)
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels([getattr(r, "label", r.moment) for r in reversed(rows)], fontsize=8)
    _clock_axis(ax)
    ax.set_ylim(-0.7, len(rows) - 0.3)
    ax.plot([], [], "D", color="black", ms=5, label="published")
    ax.plot([], [], "o", mec=PALETTE["ok"], mfc=PALETTE["ok"], ms=6,
            label="model (fitted, set equal to the record, or operator input)")
    ax.plot([], [], "o", mec=PALETTE["ok"], mfc="white", ms=6, mew=1.6, label="model (anchored to a fitted time)")
    ax.barh([], [], color=PALETTE["mitigated"], alpha=0.5, label="±10 % on each fitted parameter")
    ax.legend(fontsize=7, loc="lower left", frameon=False)
    return tidy(ax, title="The night replayed: published vs model", xlabel="time (PDT)")


_PANELS = (("DynamoDB reachable / leases held", "share"), ("launches admitted", "share"),
           ("Network Manager delay", "min"), ("NLB connection errors", "share"))


def _curves(night):
    t = night.t
    reach = np.ones_like(t)
    if night.availability is not None:
        reach[(t >= night.availability.unreachable_from) & (t < night.availability.reachable_at)] = 0.0
    elif night.race_empty:
        reach[:] = 0.0
    held = np.nan_to_num(night._series("leases", "held", 0.0) / (night.leases.fleet if night.leases else 1.0),
                         nan=0.0) if night.leases is not None else np.zeros_like(t)
    if not night.race_empty:
        held = np.ones_like(t)
    return t, (reach, held), night.launch_capacity, np.minimum(night.nm_delay, 120.0), night.nlb_error_rate


def draw_night(fig, night, reference=None):
    """Draw the night's stages (four panels sharing the clock), AWS's night in grey behind if given."""
    from ..cascade import NightResult

    check_figure("fig", fig)
    check_type("night", night, NightResult, "a cascade.NightResult (from cascade.run)")
    if reference is not None:
        check_type("reference", reference, NightResult, "a cascade.NightResult or None")
    axes = fig.subplots(4, 1, sharex=True)
    t, (reach, held), launch, delay, err = _curves(night)
    if reference is not None:
        rt, (_, rh), rl, rd, re_ = _curves(reference)
        for ax, y in zip(axes, (rh, rl, rd, re_), strict=True):
            ax.plot(rt, y, color=PALETTE["neutral"], lw=2.5, alpha=0.5)
    else:
        for ax in axes:
            ax.plot([], [])
    axes[0].plot(t, reach, color=PALETTE["bad"], lw=1.2, label="DynamoDB reachable")
    axes[0].plot(t, held, color=PALETTE["ok"], lw=1.4, label="droplet leases held")
    axes[1].plot(t, launch, color=PALETTE["ok"], lw=1.4)
    axes[2].plot(t, delay, color=PALETTE["accent"], lw=1.4)
    axes[3].plot(t, err, color=PALETTE["bad"], lw=1.4)
    for ax, (title, unit) in zip(axes, _PANELS, strict=True):
        ax.set_ylabel(unit, fontsize=7)
        ax.text(0.01, 0.95, title, transform=ax.transAxes, fontsize=8, va="top")
        tidy(ax)
        ax.tick_params(labelsize=7)
    # the top quarter of each panel stays empty for its title (text drawn under the curves would otherwise
    # look different after a restyle, which draws the still text first)
    axes[0].set_ylim(-0.05, 1.45)
    axes[1].set_ylim(-0.05, 1.45)
    axes[2].set_ylim(0, 160)
    axes[3].set_ylim(0, 1.4)
    for k, (label, colour) in enumerate((("DynamoDB reachable", PALETTE["bad"]),
                                         ("droplet leases held", PALETTE["ok"]))):
        axes[0].text(0.85, 0.55 - 0.2 * k, label, color=colour, transform=axes[0].transAxes, fontsize=7,
                     ha="right", va="center")
    _clock_axis(axes[-1])
    end = night.end if math.isfinite(night.end) else LAST
    for ax in axes:  # the dashed end of the event, on every panel (Network Manager's included)
        ax.axvline(end, color="black", lw=1.0, ls="--", zorder=5)
    return axes


def restyle_night(fig, night) -> bool:
    """Move the night's curves and end line to *night* in place; False if the figure is not draw_night's."""
    from ..cascade import NightResult

    check_figure("fig", fig)
    check_type("night", night, NightResult, "a cascade.NightResult (from cascade.run)")
    axes = fig.axes
    if len(axes) != 4 or any(len(ax.lines) < 3 for ax in axes):
        return False
    t, (reach, held), launch, delay, err = _curves(night)
    axes[0].lines[1].set_data(t, reach)
    axes[0].lines[2].set_data(t, held)
    for ax, y in zip(axes[1:], (launch, delay, err), strict=True):
        ax.lines[1].set_data(t, y)
    end = night.end if math.isfinite(night.end) else LAST
    for ax in axes:
        ax.lines[-1].set_xdata([end, end])
    # ticks, labels and AWS's grey night never move: render them once
    backdrop(fig, [], "night", still=[ax.lines[0] for ax in axes])
    return True


_DASH = ((("border_packet_loss", "border packet loss, use1-az1 (%)", PALETTE["warn"]),),
         (("dynamodb_errors", "DynamoDB API errors (%)", PALETTE["bad"]),
          ("dns_answer_size", "addresses in DNS answer (x10)", PALETTE["ok"])),
         (("leases_held", "DWFM leases held (%)", PALETTE["ok"]),
          ("launches_admitted", "EC2 launches admitted (%)", PALETTE["good"])),
         (("nm_delay", "Network Manager delay (min)", PALETTE["accent"]),
          ("nlb_errors", "NLB connection errors (%)", PALETTE["bad"])))
_SCALE = {"dns_answer_size": 10.0}
_DASH_UNITS = ("% of packets", "% / addresses x10", "%", "min / %")


def draw_dashboard(fig, view):
    """Draw the game day's dashboards up to the view's clock (2 x 2 panels, the whole night on the x axis)."""
    from ..gameday import View

    check_figure("fig", fig)
    check_type("view", view, View, "a gameday.View (from Game.view())")
    axes = fig.subplots(2, 2, sharex=True).ravel()
    for ax, panel, unit in zip(axes, _DASH, _DASH_UNITS, strict=True):
        for k, (name, label, colour) in enumerate(panel):
            y = view.history[name] * _SCALE.get(name, 1.0)
            # a thicker line for the DNS answer: at 0 addresses it lies just above the axis, not hidden on it
            ax.plot(np.arange(y.size), y, color=colour, lw=2.2 if name == "dns_answer_size" else 1.3)
            ax.text(0.99, 0.97 - 0.17 * k, label, color=colour, fontsize=8, ha="right", va="top",
                    transform=ax.transAxes)
        ax.axvline(view.now, color="black", lw=0.8, ls=":")
        # labels above the data; the floor sits below 0 so a signal at 0 is visible above the x axis
        ax.set_ylim(-8, 160) if panel[0][0] != "border_packet_loss" else ax.set_ylim(-0.35, 7.5)
        ax.set_ylabel(unit, fontsize=8)
        tidy(ax)
        ax.tick_params(labelsize=8)
    _clock_axis(axes[-1])  # the x axis is shared: label it once, and hide the top row's labels
    for ax in axes[:2]:
        ax.tick_params(labelbottom=False)
    return axes


def restyle_dashboard(fig, view) -> bool:
    """Extend the dashboard's curves to the view's clock in place; False if the figure is not a dashboard."""
    from ..gameday import View

    check_figure("fig", fig)
    check_type("view", view, View, "a gameday.View (from Game.view())")
    axes = fig.axes
    if len(axes) != 4:
        return False
    for ax, panel in zip(axes, _DASH, strict=True):
        if len(ax.lines) != len(panel) + 1:
            return False
        for line, (name, _, _) in zip(ax.lines, panel, strict=False):
            y = view.history[name] * _SCALE.get(name, 1.0)
            line.set_data(np.arange(y.size), y)
        ax.lines[-1].set_xdata([view.now, view.now])
    backdrop(fig, [], "dashboard")
    return True


def draw_timelines(ax, records: dict, aws_steps=()):
    """Workshop mode: one lane per team (and AWS's published steps), a mark per decision, guardrails in red."""
    from ..gameday import GameRecord

    check_axes("ax", ax)
    if isinstance(aws_steps, (str, bytes)) or not isinstance(aws_steps, (tuple, list)) or not all(
            isinstance(s, tuple) and len(s) == 2 and isinstance(s[0], (int, float)) for s in aws_steps):
        raise TypeError("aws_steps must be a tuple of (minute, what) pairs, e.g. gameday.aws_decisions()")
    if not isinstance(records, dict) or not records:
        raise ValueError("records must be a non-empty dict of team name -> GameRecord")
    lanes = [("AWS (published)", [(t, what) for t, what in aws_steps], [])]
    for name, rec in records.items():
        if not isinstance(rec, GameRecord):
            raise TypeError(f"records[{name!r}] must be a GameRecord, got {type(rec).__name__}")
        steps = [(d.at + d.minutes, d.action) for d in rec.decisions if d.ok and not d.action.startswith("wait")]
        lanes.append((str(name), steps, list(rec.violations)))
    for y, (_, steps, bad) in enumerate(reversed(lanes)):
        xs = [min(t, LAST) for t, _ in steps]
        ax.plot(xs, [y] * len(xs), "|", color=PALETTE["ok"], ms=12, mew=2)
        if bad:
            ax.plot([min(t, LAST) for t, _ in bad], [y] * len(bad), "x", color=PALETTE["bad"], ms=9, mew=2)
    ax.set_yticks(range(len(lanes)))
    ax.set_yticklabels([name for name, _, _ in reversed(lanes)], fontsize=8)
    ax.set_ylim(-0.6, len(lanes) - 0.4)
    _clock_axis(ax)
    return tidy(ax, title="Decisions through the night (| a step done, x a guardrail broken)", xlabel="time (PDT)")
