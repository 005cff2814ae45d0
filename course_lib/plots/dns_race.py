"""Draw the Enactor race: swimlanes, the regional DNS answer strip, the active generation; the architecture."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from ..dns_race import ACTORS, RaceResult, pes_steps
from ..dns_race_montecarlo import RaceEstimate
from ..trace import Event
from ..validate import check_number, check_type
from .backdrop import backdrop
from .style import PALETTE, tidy

__all__ = ["RACE_GRID", "STEP_LABELS", "draw_architecture", "draw_generation_key", "draw_marker_key", "draw_race", "draw_race_curve", "draw_race_widget", "draw_swimlanes_fast", "race_axes", "restyle_race_widget", "step_labels"]

STEP_LABELS = {1: "1 one-time check", 2: "2 newer plans", 3: "3 fast apply", 4: "4 clean-up", 5: "5 old plan overwrites",
               6: "6 active plan deleted", 7: "7 blocked"}
# kind -> (marker, colour, size): one scatter call per kind keeps a redraw cheap.
MARKS = {
    "plan": ("|", PALETTE["neutral"], 40), "check": ("D", PALETTE["ok"], 28),
    "lock lost": ("x", PALETTE["warn"], 30), "apply": ("o", PALETTE["ok"], 30),
    "skip": ("o", PALETTE["good"], 30), "done": ("^", PALETTE["ok"], 30),
    "clean-up start": ("s", PALETTE["neutral"], 26), "delete": ("v", PALETTE["neutral"], 36),
    "keep": ("P", PALETTE["good"], 36), "blocked": ("s", PALETTE["bad"], 30),
    "freeze": ("*", PALETTE["accent"], 90), "frozen": ("*", PALETTE["accent"], 40),
}


MAX_EVENTS = 100_000  # more markers than a figure can show


def _axes(name: str, ax) -> Axes:
    return check_type(name, ax, Axes, "a matplotlib Axes")


def _result(result) -> RaceResult:
    return check_type("result", result, RaceResult, "a RaceResult (from run_published, run_scenario, ...)")


def _highlight(highlight, n: int) -> dict[int, str] | list[int]:
    if isinstance(highlight, (str, bytes)) or not isinstance(highlight, (Mapping, Iterable)):
        raise TypeError(f"highlight must be a mapping of event index to label, or event indices, got {highlight!r:.60}")
    items = list(highlight.items()) if isinstance(highlight, Mapping) else [(i, "") for i in highlight]
    for i, text in items:
        if isinstance(i, bool) or not isinstance(i, (int, np.integer)) or not 0 <= i < n:
            raise ValueError(f"highlight must name event indices in [0, {n - 1}], got {i!r}")
        check_type("highlight label", text, str)
    return highlight


def draw_swimlanes_fast(ax, events, actors=ACTORS, highlight: Mapping[int, str] | Iterable[int] = ()):
    """Draw *events* as lanes (first actor on top); events in *highlight* get a red ring and their label."""
    _axes("ax", ax)
    if isinstance(events, (str, bytes)) or not isinstance(events, (list, tuple)):
        raise TypeError(f"events must be a list of Event, got {type(events).__name__}")
    if len(events) > MAX_EVENTS:
        raise ValueError(f"events must hold at most {MAX_EVENTS:,} events, got {len(events):,}")
    for e in events:
        check_type("each event", e, Event)
    if isinstance(actors, (str, bytes)) or not isinstance(actors, (list, tuple)) or not actors:
        raise TypeError(f"actors must be a non-empty tuple of actor names, got {actors!r:.60}")
    _highlight(highlight, len(events))
    lane = {a: len(actors) - 1 - i for i, a in enumerate(actors)}
    groups: dict[str, tuple[list, list]] = {}
    for e in events:
        if e.actor in lane:
            kind = "bad delete" if e.kind == "delete" and e.data.get("deleted_active") else e.kind
            xs, ys = groups.setdefault(kind, ([], []))
            xs.append(e.time)
            ys.append(lane[e.actor])
    for kind, (xs, ys) in groups.items():
        marker, colour, size = MARKS.get(kind, ("v", PALETTE["bad"], 60))
        # One Line2D per kind: far cheaper to draw than a scatter collection.
        ax.plot(xs, ys, ls="none", marker=marker, color=colour, ms=size ** 0.5, mew=1.5, zorder=3)
    labels = highlight if isinstance(highlight, Mapping) else {i: events[i].kind for i in highlight}
    marked = sorted(labels.items())
    if marked:
        ax.plot([events[i].time for i, _ in marked], [lane[events[i].actor] for i, _ in marked], ls="none",
                marker="o", ms=13, mfc="none", mec=PALETTE["bad"], color=PALETTE["bad"], mew=1.6, zorder=4)
    seen: dict[str, int] = {}
    for i, text in marked:
        e = events[i]
        n = seen[e.actor] = seen.get(e.actor, -1) + 1
        # Alternate above/below within a lane so labels of near-simultaneous steps do not overlap.
        ax.annotate(text, (e.time, lane[e.actor]), xytext=(5, 7 if n % 2 == 0 else -13),
                    textcoords="offset points", fontsize=7, color=PALETTE["bad"], zorder=5)
    ax.set_yticks([lane[a] for a in actors], list(actors), fontsize=8)
    ax.set_ylim(-0.6, len(actors) - 0.3)
    return ax


RACE_GRID = {"height_ratios": [4, 1.3]}  # pass as gridspec_kw to plt.subplots(2, 1, sharex=True, ...)


def race_axes(fig):
    """Return the two stacked axes draw_race expects, at fixed positions on *fig* (for the widget)."""
    check_type("fig", fig, Figure, "a matplotlib Figure")
    # Fixed rectangles instead of a layout engine: the layout pass was a third of every redraw.
    lanes = fig.add_axes((0.14, 0.34, 0.84, 0.6))
    gen = fig.add_axes((0.14, 0.1, 0.84, 0.2))
    lanes.set_xticks([])  # not shared: the lanes need no x ticks of their own, and ticks cost text
    return lanes, gen


def draw_race(axes, result, highlight: Mapping[int, str] | Iterable[int] = (), title: str = ""):
    """Draw swimlanes with the regional answer strip as the bottom lane, and the active generation below."""
    if not isinstance(axes, (tuple, list, np.ndarray)) or len(axes) != 2:
        raise TypeError(f"axes must be a pair (lanes, generations) of Axes, got {axes!r:.60}")
    lanes, gen = _axes("axes[0]", axes[0]), _axes("axes[1]", axes[1])
    _highlight(highlight, len(_result(result).trace))
    check_type("title", title, str)
    horizon = result.params["horizon"]
    _draw_lanes(lanes, result, highlight)
    lanes.tick_params(axis="x", length=0)
    tidy(lanes)
    if title:
        lanes.set_title(title, fontsize=10, pad=18)  # room for the marker key between the lanes and the title
    draw_marker_key(lanes)
    draw_generations(gen, result, horizon)
    draw_generation_key(gen)
    lanes.set_xlim(0, horizon)
    gen.set_xlim(0, horizon)
    return axes


def _draw_lanes(lanes, result, highlight) -> None:
    """Draw the events, the PES rings and labels, and the answer strip on the lanes axes."""
    draw_swimlanes_fast(lanes, result.trace, ACTORS, highlight)
    draw_answer_strip(lanes, result.answers, result.params["horizon"], y=-1.0)
    lanes.set_ylim(-1.5, len(ACTORS) - 0.3)
    lanes.set_yticks(list(range(len(ACTORS) - 1, -2, -1)), [*ACTORS, "DNS answer\n(regional)"], fontsize=8)


def draw_race_widget(fig, result):
    """Draw the widget's race timeline on a cleared *fig*, PES steps ringed."""
    check_type("fig", fig, Figure, "a matplotlib Figure")
    draw_race(race_axes(fig), result, highlight=step_labels(pes_steps(result)))


def restyle_race_widget(fig, result) -> bool:
    """Replace only the race's data artists on the widget's axes; False if *fig* holds no race yet.

    The marker key, lane names and axes stay; the ticks and labels that read the same after a run are kept
    as a backdrop image (see course_lib.plots.backdrop), so a run re-renders the events and little text.
    """
    check_type("fig", fig, Figure, "a matplotlib Figure")
    _result(result)
    if len(fig.axes) != 2:
        return False
    lanes, gen = fig.axes
    # The keys are drawn in axes coordinates; everything in data coordinates belongs to the last run.
    for ax in (lanes, gen):
        for artist in [*ax.lines, *ax.collections, *ax.patches, *ax.texts]:
            if artist.get_transform() is not ax.transAxes:
                artist.remove()
        ax.relim()  # forget the last run's data limits, as a new axes would
        ax.set_prop_cycle(None)  # and restart the colour cycle (the PES ring takes its unused line colour)
    key_texts = [*lanes.texts, *gen.texts]
    horizon = result.params["horizon"]
    _draw_lanes(lanes, result, step_labels(pes_steps(result)))
    draw_generations(gen, result, horizon)
    lanes.set_xlim(0, horizon)
    gen.set_xlim(0, horizon)
    # The generation axis follows the run's length and plan count: drawn live, so the backdrop never changes.
    moving = [t for t in [*lanes.texts, *gen.texts] if t not in key_texts] + [gen.xaxis, gen.yaxis]
    still = [ln for ax in (lanes, gen) for ln in ax.lines if ln.get_transform() is ax.transAxes]
    backdrop(fig, moving, None, still=still)
    return True


KEY = ("check", "lock lost", "apply", "skip", "done", "delete", "bad delete", "blocked", "freeze")
KEY_TEXT = {"check": "check", "lock lost": "lock lost", "apply": "apply", "skip": "skip (newer live)",
            "done": "run done", "delete": "delete", "bad delete": "delete active", "blocked": "blocked",
            "freeze": "freeze"}


def draw_marker_key(ax):
    """Draw a one-row marker key above *ax* (the ring marks a PES step)."""
    _axes("ax", ax)
    # Hand-placed markers and labels in axes coordinates: a Legend's layout pass doubled the redraw time.
    # (1 + 0.045, not one float literal: Hypothesis draws floats from literals in local modules, and Chapter 3
    # prints a Hypothesis search whose course must not change with this plot.)
    kinds = [*KEY, "ring"]
    x = 0.0
    for kind in kinds:
        if kind == "ring":
            style = dict(marker="o", ms=8, mfc="none", mec=PALETTE["bad"], color=PALETTE["bad"], mew=1.4)
            text = "PES step"
        else:
            marker, colour, size = MARKS.get(kind, ("v", PALETTE["bad"], 60))
            style = dict(marker=marker, color=colour, ms=min(size, 40) ** 0.5, mew=1.5)
            text = KEY_TEXT[kind]
        ax.plot([x + 0.006], [1 + 0.045], ls="none", transform=ax.transAxes, clip_on=False, **style)
        ax.text(x + 0.016, 1 + 0.045, text, transform=ax.transAxes, fontsize=6, va="center")
        x += 0.028 + 0.0068 * len(text)  # about a 6-pt character per 0.0068 of a 7-inch axes
    return ax


def step_labels(steps: Mapping[int, int | None]) -> dict[int, str]:
    """Return {trace index: label} for the PES steps that happened (for *highlight*)."""
    check_type("steps", steps, Mapping, "the mapping pes_steps returns")
    return {i: STEP_LABELS[k] for k, i in steps.items() if k in STEP_LABELS and i is not None}


def draw_answer_strip(ax, answers, horizon: float, y: float = 0.0):
    """Draw the regional endpoint's DNS answer over time as a band at *y*: blue with IPs, red when empty."""
    _axes("ax", ax)
    horizon, y = check_number("horizon", horizon, lo=0, lo_open=True, hi=1e9), check_number("y", y, lo=-1e6, hi=1e6)
    if not isinstance(answers, (list, tuple)) or not answers:
        raise TypeError(f"answers must be a non-empty list of (time, answer) pairs, got {answers!r:.60}")
    ends = [t for t, _ in answers[1:]] + [horizon]
    spans = [(start, end - start) for (start, _), end in zip(answers, ends, strict=True)]
    colours = [PALETTE["ok"] if answer else PALETTE["bad"] for _, answer in answers]
    ax.broken_barh(spans, (y - 0.35, 0.7), facecolors=colours)
    for (start, width), (_, answer) in zip(spans, answers, strict=True):
        if width > 0.08 * horizon:
            text = f"{len(answer)} IP{'' if len(answer) == 1 else 's'}" if answer else "EMPTY"
            ax.text(start + width / 2, y, text, ha="center", va="center", color="white", fontsize=7)
    return ax


def draw_generations(ax, result, horizon: float):
    """Draw the newest plan generation and the generation the regional alias points at."""
    _axes("ax", ax)
    _result(result)
    horizon = check_number("horizon", horizon, lo=0, lo_open=True, hi=1e9)
    plans = result.plans
    ax.step([p.created_at for p in plans] + [horizon], [p.generation for p in plans] + [plans[-1].generation],
            where="post", color=PALETTE["neutral"], lw=1, label="newest plan")
    times = [t for t, _ in result.active] + [horizon]
    gens = [g for _, g in result.active]
    ax.step(times, [*gens, gens[-1]], where="post", color=PALETTE["ok"], lw=1.8, label="regional alias")
    for (t, answer), end in zip(result.answers, [t for t, _ in result.answers[1:]] + [horizon], strict=True):
        if not answer:
            ax.axvspan(t, end, color=PALETTE["bad"], alpha=0.15, lw=0)
    ax.locator_params(axis="y", nbins=3)
    ax.locator_params(axis="x", nbins=5)
    return tidy(ax, xlabel="time (s, model)", ylabel="generation")


GENERATION_KEY = (("newest plan", "neutral", 1.0), ("regional alias", "ok", 1.8))


def draw_generation_key(ax):
    """Name the two generation lines in a key at the top left of *ax*, where no line ever runs.

    Both lines only climb (the alias may fall back, never above the newest plan), so the top-left corner
    stays clear, and a key there cannot collide with the data or with itself at any slider setting, unlike
    labels at the lines' right ends, which met when the alias caught up with the newest plan.
    """
    _axes("ax", ax)
    x = 0.012
    for text, colour, width in GENERATION_KEY:
        ax.plot([x, x + 0.03], [0.86, 0.86], color=PALETTE[colour], lw=width, transform=ax.transAxes,
                clip_on=False)
        ax.text(x + 0.038, 0.86, text, transform=ax.transAxes, fontsize=7, va="center", color=PALETTE[colour])
        x += 0.07 + 0.0085 * len(text)
    return ax


def draw_race_curve(ax_run, ax_year, estimates, runs: float, p_year):
    """Draw P(race) per run and P(at least one race in a year) against the delay tail sigma."""
    _axes("ax_run", ax_run)
    _axes("ax_year", ax_year)
    if not isinstance(estimates, (list, tuple)) or not estimates:
        raise TypeError("estimates must be a non-empty list of RaceEstimate (from race_curve)")
    for e in estimates:
        check_type("each estimate", e, RaceEstimate)
    runs = check_number("runs", runs, lo=0, hi=1e15)
    try:
        p_year = None if isinstance(p_year, (str, bytes)) else np.asarray(p_year, dtype=float)
    except (TypeError, ValueError):
        p_year = None
    if p_year is None or p_year.shape != (len(estimates),) or not np.all((p_year >= 0) & (p_year <= 1)):
        raise ValueError(f"p_year must hold one probability in [0, 1] per estimate ({len(estimates)})")
    sig = [e.sigma for e in estimates]
    p_run = [max(e.p_run, 1e-300) for e in estimates]
    ax_run.semilogy(sig, p_run, "o-", color=PALETTE["ok"])
    # The lower limit follows the data (a decade below the smallest estimate) so no point falls off.
    ax_run.set_ylim(10 ** (np.floor(np.log10(min(p_run))) - 1), 1)
    tidy(ax_run, title="per Enactor run", xlabel="delay tail σ (lognormal)", ylabel="P(race)")
    ax_year.plot(sig, p_year, "o-", color=PALETTE["bad"])
    ax_year.set_ylim(-0.02, 1.02)
    tidy(ax_year, title=f"over a year ({runs:,.0f} runs)", xlabel="delay tail σ (lognormal)",
         ylabel="P(at least one race)")
    return ax_run, ax_year


def _box(ax, xy, text, colour, w=0.2, h=0.13):
    x, y = xy
    ax.add_patch(FancyBboxPatch((x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0.01", fc="white",
                                ec=colour, lw=1.5))
    ax.text(x, y, text, ha="center", va="center", fontsize=8)


def _arrow(ax, a, b, colour=PALETTE["neutral"]):
    ax.add_patch(FancyArrowPatch(a, b, arrowstyle="-|>", mutation_scale=10, color=colour, lw=1))


def draw_architecture(ax):
    """Draw Planner -> plans -> three Enactors -> Route 53 zone (aliases, trees, locks) and clean-up."""
    _axes("ax", ax)
    _box(ax, (0.12, 0.8), "DNS Planner\n(health, capacity)", PALETTE["ok"], w=0.22)
    _box(ax, (0.12, 0.45), "plans\ngenerations 1 … N", PALETTE["neutral"], w=0.22)
    _arrow(ax, (0.12, 0.73), (0.12, 0.52))
    for i, y in enumerate((0.8, 0.5, 0.2)):
        _box(ax, (0.42, y), f"Enactor {i + 1}\n(own AZ)", PALETTE["warn"], w=0.17)
        _arrow(ax, (0.23, 0.45), (0.33, y))
        _arrow(ax, (0.51, y), (0.64, 0.5))
    _box(ax, (0.82, 0.5), "Route 53 zone\nalias → tree of plan N\nrollback trees N−1, …\nlock TXT records",
         PALETTE["good"], w=0.32, h=0.3)
    ax.text(0.82, 0.12, "clean-up: delete trees\n≥ K generations older", ha="center", fontsize=7,
            color=PALETTE["bad"])
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.axis("off")
    return ax
