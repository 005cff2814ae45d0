"""Plots for Chapter 5: repair-time distributions, proficiency over time, and the first hour's signals."""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure, SubFigure
from matplotlib.ticker import MaxNLocator

from ..signals import MILESTONES, SIGNAL_NAMES, Signals
from ..skills import RepairStudy
from ..validate import check_choice, check_number, check_type
from .style import PALETTE, SERIES, tidy

__all__ = ["draw_coverage_sweep", "draw_explorer", "draw_proficiency", "draw_repair_study", "draw_signals",
           "restyle_explorer"]


def draw_repair_study(ax, study: RepairStudy, undrilled: RepairStudy | None = None,
                      target: float | None = None):
    """Draw the repair-time distribution of *study*, optionally over the same team without drills."""
    check_type("ax", ax, Axes, "a matplotlib Axes")
    check_type("study", study, RepairStudy, "a skills.RepairStudy")
    if undrilled is not None:
        check_type("undrilled", undrilled, RepairStudy, "a skills.RepairStudy or None")
    if target is not None:
        target = check_number("target", target, lo=0, lo_open=True, hi=1e6)
    edges, counts, outline = _histograms(study, undrilled)
    if outline is not None:
        ax.stairs(outline, edges, color=PALETTE["neutral"], lw=1.2)
    # One filled stairs artist instead of 40 bars: the redraw budget is tight.
    ax.stairs(counts, edges, fill=True, color=PALETTE["ok"], alpha=0.8)
    _limits(ax, edges, counts, outline)
    # Percentile lines are labelled in place (a legend costs more to draw than the histogram).
    for value, colour, label in _marks(study, target):
        ax.axvline(value, color=colour, lw=1.5, ls="--")
        ax.text(value, 0.97, f" {label} {value:.0f}", color=colour, fontsize=8, va="top",
                transform=ax.get_xaxis_transform())
    ax.xaxis.set_major_locator(MaxNLocator(6))
    ax.yaxis.set_major_locator(MaxNLocator(3, integer=True))
    title = "Repair time when the automation fails (filled: your drills; outline: no drills)"
    return tidy(ax, title if undrilled is not None else title.split(" (")[0], "repair time (min, model)",
                "simulated failures")


def _histograms(study, undrilled):
    """Return the bin edges, the study's counts and the no-drill outline's counts (None without one)."""
    hi = max(float(np.percentile((undrilled or study).minutes, 99.5)), 60.0)
    edges = np.linspace(0.0, hi, 41)
    outline = None if undrilled is None else np.histogram(undrilled.minutes, edges)[0]
    return edges, np.histogram(study.minutes, edges)[0], outline


def _limits(ax, edges, counts, outline) -> None:
    """Set fixed limits: 5% margins in x, headroom above the tallest bar for the percentile labels."""
    top = max(counts.max(), 0 if outline is None else outline.max(), 1)
    ax.set_xlim(-0.05 * edges[-1], 1.05 * edges[-1])
    ax.set_ylim(0, top * 1.3)


def _marks(study, target):
    marks = [(study.p50, PALETTE["neutral"], "p50"), (study.p95, PALETTE["bad"], "p95")]
    return marks + ([(target, PALETTE["good"], "target")] if target is not None else [])


def _check_explorer(result) -> None:
    if not (isinstance(getattr(result, "study", None), RepairStudy)
            and isinstance(getattr(result, "undrilled", None), RepairStudy)):
        raise TypeError(f"result must be a RepairExplorer (study and undrilled), got {type(result).__name__}")


def restyle_explorer(fig, result) -> bool:
    """Move the widget's histogram, outline and percentile marks to *result* in place (no new artists)."""
    check_type("fig", fig, (Figure, SubFigure), "a matplotlib Figure")
    _check_explorer(result)
    ax = fig.axes[0] if len(fig.axes) == 1 else None
    if ax is None or len(ax.patches) != 2 or len(ax.lines) != 2 or len(ax.texts) != 2:
        return False
    edges, counts, outline = _histograms(result.study, result.undrilled)
    ax.patches[0].set_data(outline, edges)
    ax.patches[1].set_data(counts, edges)
    _limits(ax, edges, counts, outline)
    for line, text, (value, _, label) in zip(ax.lines, ax.texts, _marks(result.study, None), strict=True):
        line.set_xdata([value, value])
        text.set_x(value)
        text.set_text(f" {label} {value:.0f}")
    return True


def _floats(name: str, value) -> np.ndarray:
    """Return *value* as a float array, or raise TypeError naming the parameter (not numpy's message)."""
    if isinstance(value, (str, bytes)):
        raise TypeError(f"{name} must be a sequence of numbers, got str {value!r:.60}")
    try:
        return np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a sequence of numbers, got {type(value).__name__} {value!r:.60}") from None


def draw_coverage_sweep(ax, coverages, curves):
    """Draw p95 repair time against automation coverage, one line per drill frequency."""
    check_type("ax", ax, Axes, "a matplotlib Axes")
    check_type("curves", curves, dict, "a dict {drills per year: p95 array}")
    coverages = _floats("coverages", coverages)
    if coverages.ndim != 1 or coverages.size == 0 or not curves:
        raise ValueError("coverages must be a non-empty 1-D sequence and curves a non-empty dict")
    for p95 in curves.values():
        if np.shape(p95) != coverages.shape:
            raise ValueError(f"each curve needs one p95 per coverage ({coverages.size}), got {np.shape(p95)}")
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
    """Draw the widget's view of an experiments.ch05.RepairExplorer result on a cleared figure."""
    check_type("fig", fig, (Figure, SubFigure), "a matplotlib Figure")
    _check_explorer(result)
    ax = fig.subplots(gridspec_kw=_fixed_layout(fig, bottom=0.17, left=0.1))
    return draw_repair_study(ax, result.study, result.undrilled)


def draw_proficiency(ax, day, prof, incident_days, drill_days):
    """Draw one team's proficiency over time, with manual incidents and drills marked."""
    check_type("ax", ax, Axes, "a matplotlib Axes")
    day, prof = _floats("day", day), _floats("prof", prof)
    incident_days, drill_days = _floats("incident_days", incident_days), _floats("drill_days", drill_days)
    if day.ndim != 1 or day.shape != prof.shape or day.size == 0:
        raise ValueError("day and prof must be non-empty 1-D arrays of the same length")
    if incident_days.ndim != 1 or drill_days.ndim != 1:
        raise ValueError("incident_days and drill_days must be 1-D arrays")
    ax.plot(day, prof, color=PALETTE["ok"], lw=1.2)
    ax.plot(incident_days, np.ones_like(incident_days), "v", color=PALETTE["warn"], ms=5,
            label="manual incident")
    ax.plot(drill_days, np.full_like(drill_days, 0.9), "^", color=PALETTE["good"], ms=5, label="drill")
    ax.set_ylim(0, 1.08)
    ax.legend(fontsize=8, frameon=False, loc="lower right")
    return tidy(ax, "Proficiency between practice events (model)", "day", "proficiency")


def draw_signals(fig, signals: Signals, names=("border_packet_loss", "dynamodb_errors", "dns_answer_size"),
                 milestones: bool = True):
    """Draw the synthetic first-hour series, one panel each, with the diagnosis milestones on top."""
    check_type("fig", fig, (Figure, SubFigure), "a matplotlib Figure")
    check_type("signals", signals, Signals, "a Signals result (signals.first_hour())")
    if isinstance(names, str) or not isinstance(names, (tuple, list)) or not names:
        raise TypeError(f"names must be a non-empty tuple of signal names, got {names!r:.60}")
    for name in names:
        check_choice("signal", name, SIGNAL_NAMES)
    if type(milestones).__name__ == "bool_":
        milestones = bool(milestones)
    check_type("milestones", milestones, bool, "True or False")
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
                "dns_answer_size": "addresses in\nDNS answer",
                "canary_success": "canary: answers\nwith addresses %",
                "canary_empty": "canary: EMPTY\nanswers %"}
