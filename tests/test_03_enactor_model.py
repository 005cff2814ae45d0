"""Chapter 3: the Enactor model finds the race, each fix holds exactly what Chapter 2 claims, symmetry is sound."""

from __future__ import annotations

import itertools
from collections import deque

import pytest

from course_lib.enactor_model import (
    FIXES,
    PROPERTIES,
    canonical,
    chapter2_hypothesis_search,
    chapter2_random_search,
    describe,
    enactor_model,
    initial_state,
    state_explosion,
    successors,
)
from course_lib.modelcheck import OK, RECOVERABILITY, VIOLATION, check, check_each, hypothesis_search

SUBSETS = [fx for r in range(4) for fx in itertools.combinations(FIXES, r)]
SAFETY = tuple(PROPERTIES)

# What each fix guarantees (Chapter 2's claims, plus recoverability, which Chapter 3 adds).
HOLDS = {
    (): set(),
    ("recheck_at_write",): {*SAFETY, RECOVERABILITY},
    ("protect_active",): {"record never empty", "active plan never deleted", RECOVERABILITY},
    ("freeze_on_inconsistency",): {"record never empty", "active plan never deleted", RECOVERABILITY},
}


def expected(fixes) -> set:
    """Properties that hold with a combination of fixes: the union of what each fix gives."""
    return set().union(*(HOLDS[(f,)] for f in fixes)) if fixes else set()


@pytest.mark.parametrize("fixes", SUBSETS, ids=lambda f: "+".join(f) or "none")
def test_each_fix_holds_exactly_the_claimed_properties(fixes):
    """Exhaustively, a combination of fixes satisfies exactly the properties its fixes claim."""
    results = check_each(enactor_model(fixes=fixes))
    assert {name for name, r in results.items() if r.verdict == OK} == expected(fixes)
    assert all(r.verdict in (OK, VIOLATION) for r in results.values())


def test_buggy_model_replays_the_published_race():
    """The shortest empty-record trace is the PES sequence: stale take, newer plan, overwrite, clean-up deletes."""
    result = check_each(enactor_model())["record never empty"]
    steps = [str(a) for a in result.actions]
    assert steps[-1].endswith("delete plan 2")
    take = next(i for i, s in enumerate(steps) if s.startswith("Enactor 1: take plan 2"))
    overwrite = steps.index("Enactor 1: apply plan 2 to regional")
    newer = steps.index("Enactor 2: apply plan 4 to regional")
    assert take < newer < overwrite < len(steps) - 1
    assert "regional -> plan 2 (DELETED)" in describe(result.trace[-1])


def test_recoverability_is_the_stuck_state():
    """Without fixes the stuck state breaks recoverability; freezing without an operator is stuck too."""
    assert check_each(enactor_model())[RECOVERABILITY].verdict == VIOLATION
    frozen = check_each(enactor_model(fixes=("freeze_on_inconsistency",), operator=False))
    assert frozen[RECOVERABILITY].verdict == VIOLATION
    assert frozen[RECOVERABILITY].trace[-1].frozen


@pytest.mark.parametrize("size", [(2, 3, 2, 1), (3, 4, 2, 2), (3, 3, 1, 1), (2, 4, 3, 2)])
@pytest.mark.parametrize("fixes", [(), ("protect_active",), FIXES], ids=["none", "protect", "all"])
def test_symmetry_reduction_preserves_verdicts(size, fixes):
    """Checking with Enactors treated as interchangeable gives the same verdicts and trace lengths, on fewer states."""
    full = check_each(enactor_model(*size, fixes=fixes))
    reduced = check_each(enactor_model(*size, fixes=fixes, symmetry=True))
    for name in full:
        assert full[name].verdict == reduced[name].verdict, name
        assert len(full[name].actions) == len(reduced[name].actions), name
    assert reduced[SAFETY[0]].states <= full[SAFETY[0]].states


def test_symmetric_trace_is_a_real_execution():
    """Under symmetry the trace's states are real states linked by real steps, not canonical forms."""
    model = enactor_model(symmetry=True)
    result = check(model)
    assert result.trace[0] == initial_state(3, 2)
    for action, before, after in zip(result.actions, result.trace, result.trace[1:], strict=False):
        assert (action, after) in list(successors(before, 4, 2, frozenset()))
    assert canonical(canonical(result.trace[-1])) == canonical(result.trace[-1])


def test_default_model_is_exhaustively_checked():
    """The default fixed model is explored completely and every property holds."""
    result = check(enactor_model(fixes=FIXES))
    assert result.holds and result.states == 2512


def test_states_are_immutable_tuples():
    """Zones are named tuples of tuples and frozensets; the checker stores them packed into one int."""
    model = enactor_model()
    assert isinstance(model.initial, int)
    z = model.view(model.initial)
    hash(z)
    assert isinstance(z, tuple) and isinstance(z.stored, frozenset) and isinstance(z.enactors, tuple)


def _readable_graph(n, g, m, k, fixes, operator=True, atomic=True) -> dict:
    """Breadth-first over the readable successors(): zone -> [(step, next zone), ...] in generation order."""
    start = initial_state(n, m)
    graph, queue = {}, deque([start])
    while queue:
        z = queue.popleft()
        graph[z] = list(successors(z, g, k, frozenset(fixes), operator=operator, atomic=atomic))
        for _, nz in graph[z]:
            if nz not in graph and nz not in queue:
                queue.append(nz)
    return graph


@pytest.mark.parametrize(("size", "fixes", "operator", "atomic"), [
    ((3, 4, 2, 2), (), True, True), ((3, 4, 2, 2), ("freeze_on_inconsistency",), True, True),
    ((2, 3, 2, 1), ("freeze_on_inconsistency",), False, True), ((4, 3, 1, 1), FIXES, True, True),
    ((2, 4, 3, 2), ("recheck_at_write",), True, False), ((1, 3, 1, 1), ("protect_active",), True, True)])
def test_packed_successors_are_the_readable_ones(size, fixes, operator, atomic):
    """The packed encoding the checker explores has exactly the readable model's steps, in the same order.

    Same reachable zones, and from each one the same (step, next zone) list: the Planner first, then the
    Enactors in order, then the operator.  The encoding is for speed only; this is what makes it so.
    """
    model = enactor_model(*size, fixes=fixes, operator=operator, atomic_recheck=atomic, properties={})
    packed, queue = {}, deque([model.initial])
    seen = {model.initial}
    while queue:
        s = queue.popleft()
        pairs = model.successors(s)
        packed[model.view(s)] = [(step, model.view(t)) for step, t in pairs]
        for _, t in pairs:
            if t not in seen:
                seen.add(t)
                queue.append(t)
    readable = _readable_graph(*size, fixes, operator, atomic)
    assert len(packed) == len(readable) == check(model, recoverability=False).states
    assert packed == readable


def test_model_validates_parameters():
    """Out-of-range sizes and unknown fixes are rejected with the parameter's name."""
    with pytest.raises(ValueError, match="enactors"):
        enactor_model(enactors=9)
    with pytest.raises(ValueError, match="fix"):
        enactor_model(fixes=("retry_harder",))
    with pytest.raises(TypeError, match="generations"):
        enactor_model(generations=2.5)
    with pytest.raises(ValueError, match="K"):
        state_explosion(2, 3, 1, K=3)


def test_state_explosion_grows_and_symmetry_helps():
    """States grow with the number of Enactors, and symmetry reduction never adds states."""
    rows = state_explosion(3, 3, 2, 1)
    assert [r["enactors"] for r in rows] == [1, 2, 3]
    assert rows[0]["states"] < rows[1]["states"] < rows[2]["states"]
    assert all(r["states_sym"] <= r["states"] for r in rows) and rows[2]["states_sym"] < rows[2]["states"]


def test_hypothesis_state_machine_finds_the_race():
    """Hypothesis driving the model as a RuleBasedStateMachine eventually empties the record."""
    model = enactor_model(properties={"record never empty": PROPERTIES["record never empty"]})
    found = hypothesis_search(model, max_examples=500, max_steps=20)
    assert found.runs is not None and found.prop == "record never empty"
    fixed = enactor_model(fixes=FIXES)
    assert hypothesis_search(fixed, max_examples=30, max_steps=20).runs is None


def test_chapter2_random_and_hypothesis_agree_with_the_checker():
    """Random and Hypothesis runs of Chapter 2's simulation find the race unfixed and never with recheck."""
    assert chapter2_random_search(runs=50).runs is not None
    assert chapter2_random_search(fixes=("recheck_at_write",), runs=20).runs is None
    assert chapter2_hypothesis_search(max_examples=60).runs is not None


@pytest.mark.parametrize("fixes", SUBSETS, ids=lambda f: "+".join(f) or "none")
def test_chapter2_published_run_agrees_with_the_checker(fixes):
    """Where the checker proves a property, Chapter 2's published replay satisfies it too."""
    from course_lib.dns_race import PROPERTIES as CH2
    from course_lib.dns_race import run_published

    replay = run_published(fixes=fixes)
    for name in expected(fixes) - {RECOVERABILITY}:
        assert CH2[name](replay).holds, name
    if not fixes:
        assert not any(CH2[name](replay).holds for name in SAFETY)


def test_widget_runs_and_shows_bad_input():
    """The explosion widget computes on Run and shows a validation message for a bad K."""
    from course_lib.experiments.ch03 import explosion_experiment

    exp = explosion_experiment()
    # the default is the buggy model, whose 9,418 states the chapter's prose quotes
    assert exp.error is None and exp.result[-1]["states"] == 9418
    assert "buggy model (no fixes), 3 Enactors: 9,418 states" in exp.readout.value
    exp.set(model=FIXES)
    assert exp.result[-1]["states"] == 2512 and "fixed model (all fixes on)" in exp.readout.value
    exp.set(enactors=2, generations=2, K=2)
    assert exp.error is not None and "must be below the number of generations" in exp.error
    exp.set(enactors=2, generations=3, K=1)
    assert exp.error is None and "2 Enactors" in exp.readout.value
    assert "race cannot happen" not in exp.readout.value
    exp.set(model=(), enactors=1)
    assert "1 Enactor:" in exp.readout.value and "race cannot happen" in exp.readout.value
    exp.set(enactors=3, generations=3, K=2)
    assert "race cannot happen" in exp.readout.value  # K = 2 needs 4 generations


def test_explosion_readout_and_plot_mark_budget_hits():
    """A search stopped by the budget reads as a lower bound and is drawn with hollow markers."""
    from matplotlib.figure import Figure

    from course_lib.experiments.ch03 import explosion_summary
    from course_lib.plots.modelcheck import draw_explosion_figure

    rows = state_explosion(3, 3, 2, 1, max_states=500)
    last = rows[-1]
    assert last["bounded_states"] and not last["bounded_sym"] and last["budget"] == 500
    text = explosion_summary(rows)
    assert f"≥ {last['states']:,} states (stopped at the 500-state budget)" in text
    assert "(complete)" in text and "shrink" not in text
    fig = Figure()
    draw_explosion_figure(fig, rows)
    hollow = [line for ax in fig.axes for line in ax.lines if line.get_markerfacecolor() == "white"]
    assert len(hollow) >= 2  # one on the states panel, one on the time panel
    assert all(ax.get_xlabel() == "enactors" for ax in fig.axes)
    whole = explosion_summary(state_explosion(3, 3, 2, 1))
    assert "(complete: every reachable state)" in whole and "≥" not in whole and whole.count(" ms") >= 2


def _visible_tick_labels(ax) -> list[str]:
    lo, hi = ax.get_ylim()
    return [t.get_text() for t, v in zip(ax.get_yticklabels(), ax.get_yticks(), strict=True)
            if lo <= v <= hi and t.get_text()]


def test_random_vs_exhaustive_bars_have_readable_log_ticks():
    """Regression: the chapter's bar chart (121 to 3,735 steps) showed a single labelled tick; now several."""
    from matplotlib.figure import Figure

    from course_lib.plots.modelcheck import draw_random_vs_exhaustive

    ax = Figure(figsize=(6, 3)).subplots()
    draw_random_vs_exhaustive(ax, ["uniform", "healthy", "Hypothesis"], [121, 1838, 345], 3735)
    labels = _visible_tick_labels(ax)
    assert len(labels) >= 4 and "1,000" in labels and "100" in labels  # starts at the decade below the bars


def test_explosion_widget_keeps_the_y_label_inside_the_figure():
    """Regression: at the largest size ("100,000" ticks) the y label 'states explored' was cut at the left edge."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from course_lib.experiments.ch03 import explosion_experiment
    from course_lib.plots.modelcheck import draw_explosion_figure

    margins = explosion_experiment().margins
    rows = [{"enactors": k, "states": s, "states_sym": s // 5 + 1, "seconds": k / 2, "seconds_sym": k / 6,
             "bounded": False, "model": "fixed"} for k, s in [(1, 40), (2, 900), (3, 20_000), (4, 297_182)]]
    fig = Figure(figsize=(8.0, 3.2))
    FigureCanvasAgg(fig)
    fig.subplots_adjust(**margins)
    draw_explosion_figure(fig, rows)
    renderer = fig.canvas.get_renderer()
    fig.draw(renderer)
    label = fig.axes[0].yaxis.label
    assert label.get_text() == "states explored" and label.get_window_extent(renderer).x0 >= 0
    assert "100,000" in _visible_tick_labels(fig.axes[0])


def test_explosion_restyle_gives_the_fresh_picture():
    """A Run that moves the previous picture's lines in place gives the same PNG as drawing it anew.

    Across sizes, models and numbers of Enactors (1 to 4); a picture with a budget hit is redrawn instead.
    """
    from matplotlib.figure import Figure

    from course_lib.plots.modelcheck import draw_explosion_figure, restyle_explosion_figure
    from course_lib.widgets import figure_png

    def fresh(rows):
        fig = Figure(figsize=(8.0, 3.2))
        draw_explosion_figure(fig, rows)
        return fig

    configs = [(3, 4, 2, 2, ()), (4, 4, 2, 2, ()), (3, 4, 2, 2, FIXES), (1, 2, 1, 1, FIXES), (2, 3, 1, 1, ())]
    runs = [state_explosion(*c[:4], max_states=400_000, fixes=c[4]) for c in configs]
    fig = fresh(runs[0])
    for rows in runs[1:]:
        assert restyle_explosion_figure(fig, rows)
        assert figure_png(fig) == figure_png(fresh(rows))
    bounded = state_explosion(3, 4, 2, 2, max_states=1000, fixes=())
    assert not restyle_explosion_figure(fig, bounded)  # hollow markers and an extra legend entry: redraw
    assert not restyle_explosion_figure(fresh(bounded), runs[0])
    with pytest.raises(TypeError, match="fig"):
        restyle_explosion_figure("figure", runs[0])


def test_race_events_name_the_planners_step_as_chapter_2_does():
    """The Planner's step reads 'plan generation N' (Chapter 2's words), never 'plan plan N'."""
    from course_lib.enactor_model import race_events
    from course_lib.modelcheck import check as _check

    events = race_events(_check(enactor_model(3, 4, 2, 2)))
    planner = [e for e in events if e.kind == "plan"]
    assert planner and all(e.detail.startswith("generation ") for e in planner)
    assert not any("plan plan" in str(e) for e in events)
