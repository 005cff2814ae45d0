"""Plots for Chapter 5: repair-time distributions, proficiency over time, and the first hour's signals."""

from __future__ import annotations

import numpy as np
from matplotlib.ticker import MaxNLocator

from ..signals import MILESTONES
from .style import PALETTE, SERIES, tidy

__all__ = ["draw_coverage_sweep", "draw_explorer", "draw_proficiency", "draw_repair_study", "draw_signals"]


def draw_repair_study(ax, study, undrilled=None, target: float | None = None):
    """Draw the repair-time distribution of *study*, optionally over the same team without drills."""
    hi = max(float(np.percentile((undrilled or study).minutes, 99.5)), 60.0)
    edges = np.linspace(0.0, hi, 41)
    counts = np.histogram(study.minutes, edges)[0]
    top = counts.max()
    if undrilled is not None:
        outline = np.histogram(undrilled.minutes, edges)[0]
        top = max(top, outline.max())
        ax.stairs(outline, edges, color=PALETTE["neutral"], lw=1.2)
    # One filled stairs artist instead of 40 bars: the redraw budget is tight.
    ax.stairs(counts, edges, fill=True, color=PALETTE["ok"], alpha=0.8)
    # Headroom above the tallest bar keeps the in-place percentile labels clear of the bars.
    ax.set_ylim(0, max(top, 1) * 1.3)
    # Percentile lines are labelled in place (a legend costs more to draw than the histogram).
    marks = [(study.p50, PALETTE["neutral"], "p50"), (study.p95, PALETTE["bad"], "p95")]
    if target is not None:
        marks.append((target, PALETTE["good"], "target"))
    for value, colour, label in marks:
        ax.axvline(value, color=colour, lw=1.5, ls="--")
        ax.text(value, 0.97, f" {label} {value:.0f}", color=colour, fontsize=8, va="top",
                transform=ax.get_xaxis_transform())
    ax.xaxis.set_major_locator(MaxNLocator(6))
    ax.yaxis.set_major_locator(MaxNLocator(3, integer=True))
    title = "Repair time when the automation fails (filled: your drills; outline: no drills)"
    return tidy(ax, title if undrilled is not None else title.split(" (")[0], "repair time (min, model)",
                "simulated years")


def draw_coverage_sweep(ax, coverages, curves):
    """Draw p95 repair time against automation coverage, one line per drill frequency."""
    for (drills, p95), colour in zip(curves.items(), SERIES, strict=False):
        ax.plot(np.asarray(coverages) * 100, p95, color=colour, marker="o", ms=3, label=f"{drills} drills/yr")
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=8, frameon=False, ncols=2)
    return tidy(ax, "More automation, slower manual repair — unless you drill",
                "automation coverage (%)", "p95 repair time (min, model)")


def _fixed_layout(fig, **margins) -> dict:
    """Return fixed gridspec margins: a layout engine would make savefig draw the figure twice."""
    return {"left": 0.08, "right": 0.98, "top": 0.9, **margins}


def draw_explorer(fig, result):
    """Draw the widget's view of a skills.RepairExplorer result on a cleared figure."""
    ax = fig.subplots(gridspec_kw=_fixed_layout(fig, bottom=0.17, left=0.1))
    return draw_repair_study(ax, result.study, result.undrilled)


def draw_proficiency(ax, day, prof, incident_days, drill_days):
    """Draw one team's proficiency over time, with manual incidents and drills marked."""
    ax.plot(day, prof, color=PALETTE["ok"], lw=1.2)
    ax.plot(incident_days, np.ones_like(incident_days), "v", color=PALETTE["warn"], ms=5,
            label="manual incident")
    ax.plot(drill_days, np.full_like(drill_days, 0.9), "^", color=PALETTE["good"], ms=5, label="drill")
    ax.set_ylim(0, 1.08)
    ax.legend(fontsize=8, frameon=False, loc="lower right")
    return tidy(ax, "Proficiency between practice events (model)", "day", "proficiency")


def draw_signals(fig, signals, names=("border_packet_loss", "dynamodb_errors", "dns_answer_size"),
                 milestones=True):
    """Draw the synthetic first-hour series, one panel each, with the diagnosis milestones on top."""
    axes = fig.subplots(len(names), 1, sharex=True, squeeze=False)[:, 0]
    minutes = signals.t / 60.0
    for ax, name, colour in zip(axes, names, SERIES, strict=False):
        ax.plot(minutes, signals[name], color=colour, lw=1.2)
        ax.set_ylabel(SHORT_LABELS.get(name, name), fontsize=8)
        ax.spines[["top", "right"]].set_visible(False)
        if milestones:
            for minute, _, _ in MILESTONES:
                ax.axvline(minute, color=PALETTE["neutral"], lw=0.6, ls=":")
    if milestones:
        top = axes[0].secondary_xaxis("top")
        # Alternate label heights: 23:52/23:54 and 00:26/00:27 are close together.
        top.set_xticks([m for m, _, _ in MILESTONES],
                       [t.split(" ")[0] + ("\n" if k % 2 else "") for k, (_, t, _) in enumerate(MILESTONES)],
                       fontsize=7)
    axes[0].set_title("The first hour (synthetic series; milestones from [S2][S1e][S1f])", fontsize=9, pad=22)
    axes[-1].set_xlabel("minutes after 23:48 PDT")
    return axes


SHORT_LABELS = {"border_packet_loss": "border loss %\n(use1-az1)", "dynamodb_errors": "DynamoDB\nerrors %",
                "dns_answer_size": "addresses in\nDNS answer", "canary_success": "canary\nanswered %"}
