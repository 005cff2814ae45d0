"""Chapter 6's experiments: the what-if explorer over the night's action script, and the game day.

Thin builders: controls -> ``whatif_compute`` (the plain model call a test makes: ``cascade.what_if``) ->
``plots.cascade.draw_night`` (AWS's night in grey behind) -> ``whatif_summary``.
"""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache

from .. import cascade
from ..plots.cascade import draw_night, restyle_night

__all__ = ["FIXES", "FIX_KEY", "SHIFTS", "GameDay", "gameday_experiment", "whatif_compute", "whatif_experiment", "whatif_summary"]

# Each action can stay where AWS took it, move by one of these offsets, or never happen (None).
SHIFTS = (("as published", 0), ("2 h earlier", -120), ("1 h earlier", -60), ("30 min earlier", -30),
          ("30 min later", 30), ("1 h later", 60), ("2 h later", 120), ("never", None))
FIX_KEY = "chapter_2_fix"  # the explorer's toggle: run the night with Chapter 2's fix to the race
FIXES = ("recheck_at_write",)  # Chapter 2's fix: the Enactor re-checks its plan's generation as it writes
_KEYS = {kind: kind.replace(" ", "_") for kind in cascade.ACTION_KINDS}


@lru_cache(maxsize=1)
def _reference():
    return cascade.run()


def whatif_compute(**values):
    """Return the night with each action shifted (minutes, None = never) and the chosen mitigations on."""
    from ..validate import check_bool, check_number

    allowed = set(_KEYS.values()) | {m.replace(" ", "_") for m in cascade.MITIGATIONS} | {FIX_KEY}
    unknown = sorted(set(values) - allowed)
    if unknown:
        raise ValueError(f"unknown control(s) {unknown}; choose from {sorted(allowed)}")
    script = cascade.ActionScript.published()
    moves = {}
    clamped = []
    for kind, key in _KEYS.items():
        shift = values.get(key, 0)
        if shift is not None:
            shift = check_number(key, shift, lo=-cascade.HORIZON, hi=cascade.HORIZON)
        if shift is None:
            moves[kind] = None
        elif shift:
            wanted = script.at(kind) + shift
            moves[kind] = min(max(0.0, wanted), float(cascade.HORIZON))
            if moves[kind] != wanted:
                moved = moves[kind] - script.at(kind)
                clamped.append(f"{kind} moved only {abs(moved):.0f} min {'earlier' if moved < 0 else 'later'} "
                               f"(to {cascade.clock(moves[kind])}, the "
                               f"{'event start' if moved < 0 else 'end of the run'}), not {abs(shift):.0f}")
    mitigations = [m for m in cascade.MITIGATIONS
                   if check_bool(m.replace(" ", "_"), values.get(m.replace(" ", "_"), False))]
    fixes = FIXES if check_bool(FIX_KEY, values.get(FIX_KEY, False)) else ()
    night = cascade.what_if(moves, mitigations, fixes=fixes)
    if clamped:
        night = replace(night, notes=(*night.notes, *clamped))
    return night


def whatif_summary(night) -> str:
    """Say when the night ends and how many impact minutes it costs, next to AWS's night."""
    from ..validate import check_type

    check_type("night", night, cascade.NightResult, "a cascade.NightResult")
    ref = _reference()
    if not night.race_empty:
        return (f"no outage: the record never empties, so nothing downstream fails (AWS's night: ends "
                f"{cascade.clock(ref.end)}, impact {ref.total_impact:.0f} min).")
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
    controls[FIX_KEY] = toggle("Chapter 2's fix (re-check at write)", False)
    return Experiment(controls, whatif_compute, _draw, whatif_summary, figsize=(8.0, 4.6), height="390px",
                      margins={"left": 0.08, "bottom": 0.07, "top": 0.98, "hspace": 0.12}, restyle=restyle_night)


class GameDay:
    """The game-day widget: pick an action, press *Do it*; the dashboards and the log follow the night.

    ``turn(action)`` is what the button does (tests and benchmarks call it); ``reset()`` starts again.
    Redraws replace the Output's outputs with one PNG (no ``with out:``), so it works in JupyterLab and Voila.
    """

    def __init__(self, seed: int = 0, team: str = ""):
        import ipywidgets as W
        from matplotlib.figure import Figure

        from .. import gameday
        from ..validate import check_type

        self.team = check_type("team", team, str)
        self.game = gameday.Game(seed)
        self.figure = Figure(figsize=(8.0, 3.8))
        self.choice = W.Dropdown(options=list(self.game.available()), description="action",
                                 style={"description_width": "initial"}, layout=W.Layout(width="340px"))
        self.go = W.Button(description="Do it", button_style="primary", icon="play")
        self.new = W.Button(description="New game", icon="refresh")
        self.go.on_click(lambda _: self.turn(self.choice.value))
        self.new.on_click(lambda _: self.reset())
        self.status = W.HTML()
        self.log = W.HTML(layout=W.Layout(max_height="160px", overflow="auto"))
        self.output = W.Output(layout=W.Layout(height="320px", overflow="hidden"))
        self.widget = W.VBox([W.HBox([self.choice, self.go, self.new]), self.status, self.output, self.log])
        self._redraw(full=True)

    def reset(self) -> None:
        self.game.reset()
        self._redraw(full=True)

    def turn(self, action) -> str:
        """Take one turn with *action*; return the outcome in words (refusals included, nothing raised).

        A real action that cannot be taken yet is answered "not now: why"; a name that is no action at all
        gets only the reason (it would never be possible).
        """
        from ..gameday import ACTIONS

        decision = self.game.act(action)
        self._redraw(full=False)
        if decision.ok:
            return decision.outcome
        real = isinstance(action, str) and action in ACTIONS
        return f"not now: {decision.outcome}" if real else decision.outcome

    def record(self):
        return self.game.record(self.team)

    def _redraw(self, full: bool) -> None:
        import html

        from ..plots.cascade import draw_dashboard, restyle_dashboard
        from ..widgets import MARGINS, figure_png

        view = self.game.view()
        if full or not restyle_dashboard(self.figure, view):
            self.figure.clf()
            self.figure.subplots_adjust(**{**MARGINS, "left": 0.07, "bottom": 0.1, "top": 0.97, "hspace": 0.15,
                                           "wspace": 0.15})
            draw_dashboard(self.figure, view)
        self.output.outputs = ({"output_type": "display_data",
                                "data": {"image/png": figure_png(self.figure), "text/plain": "<Figure>"},
                                "metadata": {}},)
        options = list(view.available) or ["(the night is over)"]
        self.choice.options = options
        self.choice.value = options[0] if "wait 15 min" not in options else "wait 15 min"
        self.go.disabled = self.game.finished
        if self.game.finished:
            text = "The night is over. " + self.record().summary()
        else:
            from ..gameday import aws_night

            so_far = self.game.night().impact_until(view.now)
            aws = aws_night(self.game.seed).impact_until(view.now)
            text = (f"{view.clock} PDT — you are on call. Impact so far {so_far:.0f} min (AWS's night by now: "
                    f"{aws:.0f}). Known: {', '.join(sorted(view.known)) or 'nothing yet'}.")
        self.status.value = f"<b>{html.escape(text)}</b>"
        rows = [html.escape(str(d)) for d in reversed(view.decisions[-12:])]
        rows += [f"<i>{html.escape(cascade.clock(t))} {html.escape(text)}</i>" for t, text in reversed(view.alerts)]
        self.log.value = "<br>".join(rows)

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)


def gameday_experiment(seed: int = 0, team: str = "") -> GameDay:
    """Build the game-day widget (deterministic per seed)."""
    return GameDay(seed, team)
