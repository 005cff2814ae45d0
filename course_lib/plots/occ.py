"""Chapter 1 figures: the lost-update swimlane, OCC contention by backoff strategy, and lock waits."""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator, NullLocator

from ..contention import ContentionView
from ..lock_contention import LockRun
from ..occ import RunResult
from ..validate import check_number, check_type
from .backdrop import backdrop
from .style import PALETTE, SERIES, tidy
from .trace import draw_swimlanes

__all__ = ["draw_contention", "draw_lock_waits", "draw_loss_tail", "draw_n_squared", "draw_run", "draw_strategy_bars", "restyle_contention", "restyle_lock_waits"]

FIGSIZE = (7.0, 2.9)  # small figure, few ticks: keeps a slider redraw near the 60 ms budget

COLOURS = {"none": SERIES[7], "exponential": SERIES[3], "full jitter": SERIES[0], "equal jitter": SERIES[1],
           "decorrelated jitter": SERIES[2]}


def count_of(n: int, word: str, plural: str = "") -> str:
    """Return '1 client' / '5 clients': a readout should not say '1 clients'."""
    return f"{n} {word}" if n == 1 else f"{n} {plural or word + 's'}"


def draw_run(ax, run: RunResult, title: str = ""):
    """Draw a scheduler run as swimlanes, marking the write that lost an update."""
    _check_axes(ax)
    check_type("run", run, RunResult, "a RunResult from run_schedule")
    check_type("title", title, str, "a string")
    lost = run.lost_index()
    default = f"final x = {run.final} after {sum(run.committed.values())} committed writes"
    draw_swimlanes(ax, run.trace, run.actors, highlight=[] if lost is None else [lost], title=title or default)
    ax.set_xticks(range(len(run.trace)))
    ax.set_xlabel("step")
    return ax


def draw_n_squared(ax, view: ContentionView, legend: bool = True):
    """Draw calls against clients: the no-backoff curve, an N² fit, and every strategy at the chosen N."""
    _check_axes(ax)
    check_type("view", view, ContentionView, "a ContentionView")
    if type(legend).__name__ == "bool_":
        legend = bool(legend)
    check_type("legend", legend, bool, "True or False")
    n, calls = view.ref_clients, view.ref_calls
    k = float(np.sum(calls * n ** 2) / np.sum(n ** 4))  # least-squares fit of calls = k N²
    grid = np.linspace(0, n.max(), 60)
    ax.plot(grid, k * grid ** 2, ls="--", color=PALETTE["neutral"], lw=1, label=f"{k:.2f}·N²")
    ax.plot(n, calls, "o-", color=COLOURS["none"], ms=3, lw=1, label="no backoff (simulated)")
    for name, run in view.runs.items():
        ax.plot(run.clients, run.calls, ls="", color=COLOURS.get(name, PALETTE["accent"]), label=name,
                gid=f"strategy:{name}", **_point_style(name == view.selected))
    if legend:
        ax.legend(fontsize=7, frameon=False, loc="upper left")
    return tidy(ax, "work: total calls", "clients N", "calls")


def _point_style(selected: bool) -> dict:
    """Return the marker of a strategy's point: a big diamond for the selected one."""
    return {"marker": "D", "ms": 9} if selected else {"marker": "o", "ms": 5}


def draw_strategy_bars(ax, view: ContentionView):
    """Draw completion time per strategy as horizontal bars, the selected one outlined, calls written on each."""
    _check_axes(ax)
    check_type("view", view, ContentionView, "a ContentionView")
    names = list(view.runs)
    secs = [view.runs[s].completion_ms / 1000 for s in names]
    bars = ax.barh(names, secs, color=[COLOURS.get(s, PALETTE["accent"]) for s in names])
    for bar, name in zip(bars, names, strict=True):
        if name == view.selected:
            bar.set_edgecolor("black")
            bar.set_linewidth(2)
        ax.annotate(count_of(view.runs[name].calls, "call"), (bar.get_width(), bar.get_y() + bar.get_height() / 2),
                    xytext=(3, 0), textcoords="offset points", va="center", fontsize=7)
    ax.invert_yaxis()
    ax.margins(x=0.3)
    return tidy(ax, f"time until all {count_of(view.clients, 'client')} are done", "seconds (virtual)")


def _two_axes(fig, wspace: float = 0.35):
    """Return two side-by-side axes placed by hand: a layout engine would triple the redraw time."""
    return fig.subplots(1, 2, gridspec_kw={"left": 0.08, "right": 0.97, "bottom": 0.15, "top": 0.9,
                                           "wspace": wspace})


def _key(fig, lines: list[tuple[str, str]], top: float = 0.85):
    """Write a colour key as one short text per line: a legend costs twice as much to render."""
    for i, (text, colour) in enumerate(lines):
        fig.text(0.62, top - 0.11 * i, text, color=colour, fontsize=7.5)


def _contention_key(view: ContentionView) -> list[tuple[str, str]]:
    """Return widget (a)'s key lines: each strategy's calls and completion time, then the curves."""
    lines = [(f"{'◆' if name == view.selected else '● '} {name}: {count_of(run.calls, 'call')}, "
              f"{run.completion_ms / 1000:.1f} s", COLOURS.get(name, "black")) for name, run in view.runs.items()]
    return [*lines, ("- - fitted k·N², line: no backoff over N", PALETTE["neutral"])]


def draw_contention(fig, view: ContentionView):
    """Draw widget (a) on one axes: calls vs clients, each strategy at N keyed with its completion time."""
    _check_figure(fig)
    check_type("view", view, ContentionView, "a ContentionView")
    ax = fig.add_axes((0.09, 0.15, 0.48, 0.75))
    draw_n_squared(ax, view, legend=False)
    _fixed_title(ax)
    ax.locator_params(nbins=4)  # fewer tick labels: text is most of the redraw time
    _key(fig, _contention_key(view))
    return fig


def restyle_contention(fig, view: ContentionView) -> bool:
    """Move widget (a)'s strategy points and key to *view* in place; False if the figure is not widget (a)."""
    _check_figure(fig)
    check_type("view", view, ContentionView, "a ContentionView")
    points = {ln.get_gid(): ln for ln in fig.axes[0].lines if ln.get_gid()} if len(fig.axes) == 1 else {}
    key = _contention_key(view)
    if set(points) != {f"strategy:{name}" for name in view.runs} or len(fig.texts) != len(key):
        return False
    for name, run in view.runs.items():
        line = points[f"strategy:{name}"]
        line.set_data([run.clients], [run.calls])
        style = _point_style(name == view.selected)
        line.set_marker(style["marker"])
        line.set_markersize(style["ms"])
    for text, (words, colour) in zip(fig.texts, key, strict=True):
        text.set_text(words)
        text.set_color(colour)
    ax = fig.axes[0]
    _rescale(ax)
    backdrop(fig, fig.texts[:len(view.runs)], (ax.get_xlim(), ax.get_ylim()))
    return True


def _rescale(ax) -> None:
    """Recompute the data limits and autoscale, as a fresh draw of the same artists would."""
    ax.relim()
    ax.autoscale_view()


def _fixed_title(ax) -> None:
    """Pin the title at the top edge: the automatic position measures every tick label on each render."""
    ax.set_title(ax.get_title(), fontsize=10, y=1.0)


def _plain_log_x(ax):
    """Use a log x axis with plain-number labels: mathtext labels would double the redraw time."""
    ax.set_xscale("log")
    ax.xaxis.set_major_locator(FixedLocator([0.1, 0.3, 1, 3, 10, 30, 100, 300, 1000]))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:g}"))
    ax.xaxis.set_minor_locator(NullLocator())


def _plain_log_y(ax):
    """Use a log y axis for counts with plain-number labels (1, 10, 100, 1000)."""
    ax.set_yscale("log")
    ax.yaxis.set_major_locator(FixedLocator([1, 10, 100, 1000, 10000]))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda y, _: f"{y:g}"))
    ax.yaxis.set_minor_locator(NullLocator())


def _lock_key(run: LockRun, med: float, factor: float) -> list[tuple[str, str]]:
    """Return widget (b)'s key lines: sample size, median, the tail beyond factor x median, worst run."""
    return [(f"{count_of(len(run.waits), 'acquisition')} by {count_of(run.enactors, 'Enactor')}", PALETTE["ok"]),
            (f"- - median wait {med:.2g} s", PALETTE["neutral"]),
            (f"—  {factor:g}× median: {run.tail(factor):.1%} wait longer", PALETTE["bad"]),
            (f"worst run: {count_of(int(run.losses.max()), 'loss', 'losses')} in a row", "black"),
            (f"two holders at once: {count_of(run.overlaps, 'time')} ({count_of(run.overruns, 'hold')} > lease)",
             PALETTE["bad"] if run.overlaps else "black")]


_BASELINE = 0.5  # the floor of widget (b)'s log count axis: half an acquisition


def _wait_histogram(waits: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """Return (counts, log-spaced edges, median) of the waits."""
    lo = max(waits.min(), 1e-2)
    edges = np.geomspace(lo, max(waits.max(), 2 * lo) * 1.01, 30)  # 2*lo: one Enactor's equal waits still show
    counts, _ = np.histogram(waits, edges)
    # empty bins sit on the baseline of the log count axis (0 has no place on it)
    return np.maximum(counts, _BASELINE), edges, float(np.median(waits))


def draw_lock_waits(fig, run: LockRun, factor: float = 10.0):
    """Draw widget (b): histogram of waits (log scale) with the median and factor x median marked."""
    _check_figure(fig)
    check_type("run", run, LockRun, "a LockRun from simulate_lock")
    factor = check_number("factor", factor, lo=1, hi=1e6)
    ax = fig.add_axes((0.09, 0.15, 0.5, 0.75))
    waits = run.waits
    if len(waits):
        counts, edges, med = _wait_histogram(waits)
        # one artist instead of 30 bars; a log count axis so the tail's few acquisitions stay visible
        ax.stairs(counts, edges, fill=True, color=PALETTE["ok"], baseline=_BASELINE)
        _plain_log_x(ax)
        _plain_log_y(ax)
        ax.axvline(med, color=PALETTE["neutral"], ls="--", lw=1, zorder=3)  # over the bars, not hidden
        ax.axvline(factor * med, color=PALETTE["bad"], lw=1.5, zorder=3)
        _key(fig, _lock_key(run, med, factor))
    tidy(ax, f"{run.policy} retry", "wait (s, log scale)", "acquisitions (log)")
    _fixed_title(ax)
    return ax


def restyle_lock_waits(fig, run: LockRun, factor: float = 10.0) -> bool:
    """Update widget (b)'s histogram, median lines, key and title in place; False if it must be redrawn."""
    _check_figure(fig)
    check_type("run", run, LockRun, "a LockRun from simulate_lock")
    factor = check_number("factor", factor, lo=1, hi=1e6)
    ax = fig.axes[0] if len(fig.axes) == 1 else None
    if ax is None or not len(run.waits) or len(ax.patches) != 1 or len(ax.lines) != 2 or len(fig.texts) != 5:
        return False  # an empty run draws no histogram: rebuild rather than guess
    counts, edges, med = _wait_histogram(run.waits)
    ax.patches[0].set_data(counts, edges)
    ax.lines[0].set_xdata([med, med])
    ax.lines[1].set_xdata([factor * med] * 2)
    for text, (words, colour) in zip(fig.texts, _lock_key(run, med, factor), strict=True):
        text.set_text(words)
        text.set_color(colour)
    ax.set_title(f"{run.policy} retry", fontsize=10, y=1.0)
    # Autoscale as draw_lock_waits does: axvline widens the view only for a line outside the histogram's view.
    for line in ax.lines:
        line.set_visible(False)
    ax.relim(visible_only=True)
    ax.autoscale_view()
    for line in ax.lines:
        line.set_visible(True)
    lo, hi = ax.get_xbound()
    ax.relim()
    if not lo <= factor * med <= hi:
        ax.autoscale_view()
    return True  # no backdrop: the ticks, title and key change with every run


def draw_loss_tail(ax, run: LockRun):
    """Draw P(at least n consecutive losses): simulated points against two closed forms.

    Independent attempts (ρ₁ⁿ, with ρ₁ the chance a first attempt loses) and the retry-aware law
    ρ₁·ρᵣ^(n-1), with ρᵣ the chance a retry loses; both chances are measured from *run*.
    """
    _check_axes(ax)
    check_type("run", run, LockRun, "a LockRun from simulate_lock")
    n = np.arange(0, int(run.losses.max(initial=0)) + 2)
    sim = np.array([np.mean(run.losses >= k) for k in n]) if len(run.losses) else np.zeros(len(n))
    first, again = run.first_loss, run.retry_loss
    ax.semilogy(n, np.where(sim > 0, sim, np.nan), "o", ms=4, color=PALETTE["ok"], label="simulated")
    ax.semilogy(n, first ** n, ":", color=PALETTE["neutral"], lw=1.5,
                label=f"independent attempts ρ₁ⁿ, ρ₁={first:.2f}")
    ax.semilogy(n, np.where(n == 0, 1.0, first * again ** np.maximum(n - 1, 0)), "-", color=PALETTE["warn"],
                lw=1.5, label=f"retry-aware ρ₁·ρᵣⁿ⁻¹, ρᵣ={again:.2f}")
    if len(run.losses):
        ax.set_ylim(0.5 / len(run.losses), 1.5)  # below one acquisition in the sample there is nothing to see
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(fontsize=7, frameon=False)
    return tidy(ax, f"{run.policy}: P(at least n losses in a row)", "n", "probability")


def _check_axes(ax) -> None:
    check_type("ax", ax, Axes, "a matplotlib Axes")


def _check_figure(fig) -> None:
    check_type("fig", fig, Figure, "a matplotlib Figure")
