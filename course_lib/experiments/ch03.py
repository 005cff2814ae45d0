"""Chapter 3's experiment: state explosion, with and without symmetry reduction.

Thin builders: controls -> a pure model call (each ``*_compute``/``*_view`` is what a test calls) -> a
plot helper from ``course_lib.plots.modelcheck`` -> a text readout.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..enactor_model import race_possible
from ..plots.modelcheck import BUDGET, draw_explosion_figure, restyle_explosion_figure

__all__ = ["explosion_experiment", "explosion_summary"]


def _took(seconds: float) -> str:
    """A search's time as a reader wants it: milliseconds below a second, seconds above."""
    return f"{seconds * 1000:.0f} ms" if seconds < 1.0 else f"{seconds:.2f} s"


def explosion_summary(rows: Sequence[dict]) -> str:
    """Return the widget's readout: states and the reduction factor at the largest size."""
    if not isinstance(rows, Sequence) or isinstance(rows, str) or not rows or not isinstance(rows[-1], dict):
        raise TypeError(f"rows must be a non-empty list of state_explosion rows, got {type(rows).__name__}")
    r = rows[-1]
    head = f"{r.get('model', 'model')}, {r['enactors']} Enactor{'s' if r['enactors'] != 1 else ''}: "
    note = ""
    if r.get("fixes") == () and "generations" in r and not race_possible(r["enactors"], r["generations"], r["K"]):
        note = (" — at these sizes the race cannot happen (it needs 2+ Enactors and generations >= K + 2), "
                "so a check here would 'verify' the buggy design")
    if not r["bounded"]:
        return (head + f"{r['states']:,} states (complete: every reachable state) in {_took(r['seconds'])}; with "
                f"symmetry {r['states_sym']:,} states in {_took(r['seconds_sym'])} "
                f"({r['states'] / r['states_sym']:.1f}x fewer)" + note)

    def part(states, hit):
        return f"≥ {states:,} states (stopped at the {r['budget']:,}-state budget)" if hit else \
            f"{states:,} states (complete)"

    text = head + f"{part(r['states'], r['bounded_states'])}; with symmetry {part(r['states_sym'], r['bounded_sym'])}"
    if r["bounded_sym"]:
        text += "; shrink generations or endpoints to finish the search"
    return text + note


def explosion_experiment():
    """Return the state-explosion widget: Enactors, generations, endpoints -> states and time (Run button)."""
    from ..enactor_model import FIXES, SPEC, state_explosion
    from ..widgets import Experiment, control, dropdown

    controls = {"model": dropdown("model", [("buggy (no fixes, as in the outage)", ()),
                                            ("fixed (all fixes on)", FIXES)], value=()),
                # K must stay below the number of generations; the model says so if it does not
                **{name: control(SPEC[name]) for name in ("enactors", "generations", "endpoints", "K")}}

    def compute(model, enactors, generations, endpoints, K):
        return state_explosion(enactors, generations, endpoints, K, max_states=BUDGET, fixes=model)

    # left margin: room for the y label beside "100,000" (the largest size has 297,182 states); a Run moves
    # the previous picture's lines in place when it can (restyle), the same PNG as a fresh draw, sooner
    return Experiment(controls, compute, draw_explosion_figure, explosion_summary,
                      figsize=(8.0, 3.2), run_button=True, margins={"left": 0.125, "bottom": 0.17, "top": 0.82},
                      restyle=restyle_explosion_figure)
