"""Draw what the model checker found: a counterexample as swimlanes, state explosion, random vs exhaustive."""

from __future__ import annotations

from collections.abc import Sequence

from ..modelcheck import Result, trace_events
from .style import PALETTE, tidy
from .trace import draw_swimlanes

BUDGET = 20_000  # states per search in the widget: keeps one click under ~2 s on a small machine

__all__ = ["draw_counterexample", "draw_explosion", "draw_explosion_figure", "draw_random_vs_exhaustive",
           "explosion_experiment", "explosion_summary"]


def draw_counterexample(ax, result: Result, actors: Sequence[str] | None = None, title: str = ""):
    """Draw the shortest counterexample of *result* as swimlanes, the breaking step marked in red."""
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


def draw_explosion(ax, rows: Sequence[dict], x: str = "enactors"):
    """Plot states explored against *x*, with and without symmetry reduction, on a log scale."""
    xs = [r[x] for r in rows]
    ax.plot(xs, [r["states"] for r in rows], "o-", color=PALETTE["bad"], label="all states")
    ax.plot(xs, [r["states_sym"] for r in rows], "s--", color=PALETTE["ok"], label="with symmetry reduction")
    for r in rows:
        if r.get("bounded"):
            ax.annotate("budget hit", (r[x], r["states"]), xytext=(4, 4), textcoords="offset points", fontsize=7)
    ax.set_yscale("log")
    ax.set_xticks(xs)
    ax.legend(frameon=False, fontsize=8)
    return tidy(ax, title="state explosion", xlabel=x, ylabel="states explored")


def draw_random_vs_exhaustive(ax, labels: Sequence[str], counts: Sequence[float], exhaustive: int):
    """Bar chart: runs each randomised method needed to hit the race, beside the exhaustive state count."""
    colours = [PALETTE["warn"]] * len(labels) + [PALETTE["ok"]]
    names = [*labels, "exhaustive\n(states)"]
    values = [*counts, exhaustive]
    ax.bar(range(len(names)), values, color=colours)
    for i, v in enumerate(values):
        ax.annotate(f"{v:,.0f}", (i, v), xytext=(0, 2), textcoords="offset points", ha="center", fontsize=7)
    ax.set_xticks(range(len(names)), names, fontsize=7)
    ax.set_yscale("log")
    return tidy(ax, title="effort to find the race", ylabel="runs (random) / states (exhaustive)")


def draw_explosion_figure(fig, rows: Sequence[dict]):
    """Draw states and seconds against the number of Enactors, with and without symmetry reduction."""
    ax_states, ax_time = fig.subplots(1, 2)
    draw_explosion(ax_states, rows)
    xs = [r["enactors"] for r in rows]
    ax_time.plot(xs, [r["seconds"] for r in rows], "o-", color=PALETTE["bad"], label="all states")
    ax_time.plot(xs, [r["seconds_sym"] for r in rows], "s--", color=PALETTE["ok"], label="symmetry")
    ax_time.set_xticks(xs)
    tidy(ax_time, title="time to check", xlabel="enactors", ylabel="seconds")
    return fig


def explosion_summary(rows: Sequence[dict]) -> str:
    """Return the widget's readout: states and the reduction factor at the largest size."""
    r = rows[-1]
    if r["bounded"]:
        return (f"{r['enactors']} Enactors: bounded — the budget of {r['states']:,} states ran out "
                f"(with symmetry: {r['states_sym']:,} states); shrink generations or endpoints")
    return (f"{r['enactors']} Enactors: {r['states']:,} states in {r['seconds']:.2f} s; with symmetry "
            f"{r['states_sym']:,} states ({r['states'] / r['states_sym']:.1f}x fewer)")


def explosion_experiment():
    """Return the state-explosion widget: Enactors, generations, endpoints -> states and time (Run button)."""
    from ..enactor_model import state_explosion
    from ..widgets import Experiment, int_slider

    controls = {"enactors": int_slider("Enactors", 3, 1, 4), "generations": int_slider("generations", 4, 2, 6),
                "endpoints": int_slider("endpoints", 2, 1, 3), "K": int_slider("K (clean-up threshold)", 2, 1, 4)}
    def compute(enactors, generations, endpoints, K):
        return state_explosion(enactors, generations, endpoints, K, max_states=BUDGET)

    return Experiment(controls, compute, draw_explosion_figure, explosion_summary,
                      figsize=(8.0, 3.0), run_button=True)
