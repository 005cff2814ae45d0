"""Chapter 6's experiments: the what-if explorer over the night's action script, and the game day.

Thin builders: controls -> ``whatif_compute`` (the plain model call a test makes: ``cascade.what_if``) ->
``plots.cascade.draw_night`` (AWS's night in grey behind) -> ``whatif_summary``.
"""

from __future__ import annotations

from functools import lru_cache

from .. import cascade
from ..plots.cascade import draw_night, restyle_night

__all__ = ["SHIFTS", "whatif_compute", "whatif_experiment", "whatif_summary"]

# Each action can stay where AWS took it, move by one of these offsets, or never happen (None).
SHIFTS = (("as published", 0), ("2 h earlier", -120), ("1 h earlier", -60), ("30 min earlier", -30),
          ("30 min later", 30), ("1 h later", 60), ("2 h later", 120), ("never", None))
_KEYS = {kind: kind.replace(" ", "_") for kind in cascade.ACTION_KINDS}


@lru_cache(maxsize=1)
def _reference():
    return cascade.run()


def whatif_compute(**values):
    """Return the night with each action shifted (minutes, None = never) and the chosen mitigations on."""
    script = cascade.ActionScript.published()
    moves = {}
    for kind, key in _KEYS.items():
        shift = values.get(key, 0)
        if shift is None:
            moves[kind] = None
        elif shift:
            moves[kind] = max(0.0, script.at(kind) + shift)
    mitigations = [m for m in cascade.MITIGATIONS if values.get(m.replace(" ", "_"), False)]
    return cascade.what_if(moves, mitigations)


def whatif_summary(night) -> str:
    """Say when the night ends and how many impact minutes it costs, next to AWS's night."""
    ref = _reference()
    per = ", ".join(f"{s} {m:.0f}" for s, m in night.impact.items())
    notes = ("  " + "; ".join(night.notes)) if night.notes else ""
    return (f"end {cascade.clock(night.end)} (AWS's night: {cascade.clock(ref.end)}); impact "
            f"{night.total_impact:.0f} min (AWS: {ref.total_impact:.0f}) = {per}.{notes}")


def _draw(fig, night):
    draw_night(fig, night, _reference())


def whatif_experiment():
    """Build the what-if explorer: move or drop each of AWS's actions, switch Chapter 4's mitigations on."""
    from ..widgets import Experiment, dropdown, toggle

    controls = {key: dropdown(kind, list(SHIFTS), 0) for kind, key in _KEYS.items()}
    for m in cascade.MITIGATIONS:
        controls[m.replace(" ", "_")] = toggle(m, False)
    return Experiment(controls, whatif_compute, _draw, whatif_summary, figsize=(8.0, 4.6), height="390px",
                      margins={"left": 0.08, "bottom": 0.07, "top": 0.98, "hspace": 0.12}, restyle=restyle_night)
