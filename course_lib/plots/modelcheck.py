"""Draw what the model checker found: a counterexample as swimlanes, state explosion, random vs exhaustive."""

from __future__ import annotations

import math
from collections.abc import Sequence

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, NullLocator

from ..modelcheck import Result, trace_events
from ..validate import check_number, check_type
from .style import PALETTE, tidy
from .trace import draw_swimlanes

BUDGET = 400_000  # states per search in the widget: above its largest size (4 Enactors, 4 generations,
# 2 endpoints, K = 1: 297,182 states), so every search the sliders allow finishes exhaustively

# restyle_explosion_figure is not listed: the API fuzz test (not this chapter's file) has no recipe for it yet
__all__ = ["draw_counterexample", "draw_explosion", "draw_explosion_figure", "draw_random_vs_exhaustive",
           "restyle_explosion_figure"]


def _axes(ax):
    if not isinstance(ax, Axes):
        raise TypeError(f"ax must be a matplotlib Axes, got {type(ax).__name__}")
    return ax


def _names(name: str, values, allow_none: bool = False):
    """Return *values* as a tuple of strings, or raise TypeError naming the parameter."""
    if values is None and allow_none:
        return None
    if isinstance(values, str) or not isinstance(values, Sequence) or not all(isinstance(v, str) for v in values):
        raise TypeError(f"{name} must be a list of strings, got {type(values).__name__}")
    return tuple(values)


def draw_counterexample(ax, result: Result, actors: Sequence[str] | None = None, title: str = ""):
    """Draw the shortest counterexample of *result* as swimlanes, the breaking step marked in red."""
    _axes(ax)
    check_type("result", result, Result)
    actors = _names("actors", actors, allow_none=True)
    check_type("title", title, str)
    events = trace_events(result)
    if not events:
        ax.text(0.5, 0.5, "no counterexample: the property holds", ha="center", va="center",
                transform=ax.transAxes)
        ax.set_axis_off()
        return ax
    draw_swimlanes(ax, events, actors, highlight=[len(events) - 1],
                   title=title or f"shortest counterexample: '{result.prop}' broken at step {len(events)}")
    ax.set_xlabel("step")
    return ax


def _series(ax, xs, ys, hit, marker, ls, colour, label):
    """Plot one series; points whose search hit the state budget get hollow markers (lower bounds)."""
    ax.plot(xs, ys, ls, color=colour, label=label)
    done = [(x, y) for x, y, h in zip(xs, ys, hit, strict=True) if not h]
    bounded = [(x, y) for x, y, h in zip(xs, ys, hit, strict=True) if h]
    if done:
        ax.plot(*zip(*done, strict=True), marker, color=colour, ls="none")
    if bounded:
        ax.plot(*zip(*bounded, strict=True), marker, mfc="white", mec=colour, mew=1.5, ms=8, ls="none")


def _hit(rows, key):
    return [bool(r.get(key, r.get("bounded", False))) for r in rows]


_ROW_KEYS = ("enactors", "states", "states_sym", "seconds", "seconds_sym")


def _rows(rows) -> list:
    """Return *rows* (state_explosion's result) as a list, or raise naming what is wrong."""
    if not isinstance(rows, Sequence) or isinstance(rows, str) or not rows:
        raise TypeError(f"rows must be a non-empty list of state_explosion rows, got {type(rows).__name__}")
    for r in rows:
        if not isinstance(r, dict) or any(k not in r for k in _ROW_KEYS):
            raise TypeError(f"rows must hold state_explosion rows (dicts with {', '.join(_ROW_KEYS)}), got {r!r:.80}")
    return list(rows)


def draw_explosion(ax, rows: Sequence[dict], x: str = "enactors"):
    """Plot states explored against *x*, with and without symmetry reduction, on a log scale."""
    _axes(ax)
    rows = _rows(rows)
    if not isinstance(x, str) or x not in rows[0]:
        raise ValueError(f"x must name a column of the rows (e.g. 'enactors'), got {x!r:.40}")
    xs = [r[x] for r in rows]
    _series(ax, xs, [r["states"] for r in rows], _hit(rows, "bounded_states"), "o", "-", PALETTE["bad"],
            "all states")
    _series(ax, xs, [r["states_sym"] for r in rows], _hit(rows, "bounded_sym"), "s", "--", PALETTE["ok"],
            "with symmetry reduction")
    if any(r.get("bounded") for r in rows):
        ax.plot([], [], "o", mfc="white", mec=PALETTE["neutral"], ls="none", label="hollow: budget hit (≥)")
    _log_axis(ax)
    ax.set_xticks(xs)
    ax.legend(frameon=False, fontsize=8)
    return tidy(ax, title="state explosion", xlabel=x, ylabel="states explored")


def _count(value, _pos=None) -> str:
    return f"{value:,.0f}" if value >= 1 else f"{value:g}"


def _log_axis(ax, floor_decade: bool = False) -> None:
    """Use a log y axis labelled with plain counts (1, 10, 1,000): mathtext labels cost half a redraw.

    Call it after the data are drawn.  An axis spanning fewer than three decades gets ticks at 1, 2 and 5
    times each power of ten, so it always shows at least three labelled ticks.  With *floor_decade* the axis
    starts at the power of ten below the data (bars then rise from a labelled round number).
    """
    ax.set_yscale("log")
    lo, hi = ax.get_ylim()
    if floor_decade and lo > 0:
        lo = 10.0 ** math.floor(math.log10(lo))
        ax.set_ylim(bottom=lo)
    decades = math.log10(hi / lo) if lo > 0 and hi > lo else 0.0
    ax.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0) if decades < 3 else (1.0,)))
    ax.yaxis.set_major_formatter(FuncFormatter(_count))
    ax.yaxis.set_minor_locator(NullLocator())


def draw_random_vs_exhaustive(ax, labels: Sequence[str], steps: Sequence[float], exhaustive: int):
    """Bar chart: model steps each method executed until it hit the race, the exhaustive search's beside them.

    One unit for every bar (steps of the same model), so the bars compare like with like.
    """
    _axes(ax)
    labels = _names("labels", labels)
    if isinstance(steps, str) or not isinstance(steps, Sequence) or len(steps) != len(labels):
        raise TypeError(f"steps must be a list of numbers, one per label ({len(labels)}), got {type(steps).__name__}")
    steps = [check_number("steps", v, lo=0) for v in steps]
    exhaustive = check_number("exhaustive", exhaustive, lo=0)
    colours = [PALETTE["warn"]] * len(labels) + [PALETTE["ok"]]
    names = [*labels, "exhaustive\n(to first error)"]
    values = [*steps, exhaustive]
    ax.bar(range(len(names)), values, color=colours)
    for i, v in enumerate(values):
        ax.annotate(f"{v:,.0f}", (i, v), xytext=(0, 2), textcoords="offset points", ha="center", fontsize=7)
    ax.set_xticks(range(len(names)), names, fontsize=7)
    _log_axis(ax, floor_decade=True)
    return tidy(ax, title="work to find the race", ylabel="model steps executed")


def draw_explosion_figure(fig, rows: Sequence[dict]):
    """Draw states and seconds against the number of Enactors, with and without symmetry reduction."""
    if not isinstance(fig, Figure):
        raise TypeError(f"fig must be a matplotlib Figure, got {type(fig).__name__}")
    rows = _rows(rows)
    ax_states, ax_time = fig.subplots(1, 2)
    draw_explosion(ax_states, rows)
    xs = [r["enactors"] for r in rows]
    # a search that hit the budget stopped early: its time is "time to the budget", drawn hollow
    _series(ax_time, xs, [r["seconds"] for r in rows], _hit(rows, "bounded_states"), "o", "-", PALETTE["bad"],
            "all states")
    _series(ax_time, xs, [r["seconds_sym"] for r in rows], _hit(rows, "bounded_sym"), "s", "--",
            PALETTE["ok"], "symmetry")
    ax_time.set_xticks(xs)
    tidy(ax_time, title="time to check (hollow: stopped at the budget)", xlabel="enactors", ylabel="seconds")
    fig.suptitle(rows[-1].get("model", ""), fontsize=9, x=0.01, ha="left", y=0.99)
    return fig


def restyle_explosion_figure(fig, rows: Sequence[dict]) -> bool:
    """Move the lines of a previous :func:`draw_explosion_figure` to *rows* in place; False: draw it anew.

    Why: building two axes, their ticks and legends is a quarter of a Run's time, and only the data, the
    limits and the title change between two Runs.  Only the common picture is updated in place (every search
    finished, so each series is one line and one set of filled markers); any budget hit, now or in the
    picture shown, returns False and the caller redraws from scratch.
    """
    if not isinstance(fig, Figure):
        raise TypeError(f"fig must be a matplotlib Figure, got {type(fig).__name__}")
    rows = _rows(rows)
    axes = fig.axes
    if len(axes) != 2 or any(r.get("bounded") for r in rows) or any(len(ax.lines) != 4 for ax in axes):
        return False
    xs = [r["enactors"] for r in rows]
    for ax, keys in zip(axes, (("states", "states_sym"), ("seconds", "seconds_sym")), strict=True):
        line, dots, line_sym, dots_sym = ax.lines
        for artists, key in (((line, dots), keys[0]), ((line_sym, dots_sym), keys[1])):
            for artist in artists:
                artist.set_data(xs, [r[key] for r in rows])
        ax.relim()
        ax.autoscale_view()
        ax.set_xticks(xs)
    ax_states = axes[0]
    ax_states.set_yscale("linear")  # as a fresh draw: limits found on a linear axis, then made logarithmic
    ax_states.relim()
    ax_states.autoscale_view()
    _log_axis(ax_states)
    fig.suptitle(rows[-1].get("model", ""), fontsize=9, x=0.01, ha="left", y=0.99)
    return True
