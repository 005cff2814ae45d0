"""Chapter 3: the model checker itself, validated on textbook models, brute force and bad models."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from course_lib.enactor_model import PROPERTIES, enactor_model
from course_lib.modelcheck import (
    BOUNDED,
    OK,
    RECOVERABILITY,
    VIOLATION,
    Model,
    ModelError,
    can_reach,
    check,
    check_each,
    explore,
    random_walks,
    trace_events,
)
from course_lib.textbook_models import atomic_lock, lost_update_counter, naive_lock, peterson


def brute_force_shortest(model: Model, limit: int) -> int | None:
    """Return the length of the shortest action sequence reaching a violating state, by enumeration."""
    def bad(s):
        return any(not f(s) for f in model.invariants.values())

    if bad(model.initial):
        return 0
    frontier = [model.initial]
    for length in range(1, limit + 1):
        # every sequence of this length, without merging equal states (only duplicates are dropped)
        nxt = [t for s in frontier for _, t in model.successors(s)]
        if any(bad(t) for t in nxt):
            return length
        frontier = list(dict.fromkeys(nxt))
    return None


def replay(model: Model, result) -> None:
    """Assert that every step of the counterexample is a real transition of the model."""
    view = model.view or (lambda s: s)
    states = result.trace
    assert states[0] == view(model.initial)
    _, _, _, parent, _, _ = explore(Model(model.name, model.initial, model.successors))
    raw = {view(s): s for _, _, s in parent.values()}  # readable state -> the state the model stores
    for action, before, after in zip(result.actions, states, states[1:], strict=False):
        assert (action, after) in [(a, view(t)) for a, t in model.successors(raw[before])]


@pytest.mark.parametrize("factory, verdict, prop", [
    (naive_lock, VIOLATION, "mutual exclusion"),
    (atomic_lock, OK, None),
    (peterson, OK, None),
    (lost_update_counter, VIOLATION, "no lost update"),
])
def test_textbook_verdicts(factory, verdict, prop):
    """The checker gives the known answer on each textbook model."""
    result = check(factory())
    assert result.verdict == verdict
    assert result.prop == prop


def test_naive_lock_trace_is_the_classic_interleaving():
    """The naive lock fails by both processes testing before either sets: six steps."""
    result = check(naive_lock())
    kinds = [a[1] for a in result.actions]
    assert kinds.count("test: lock is free") == 2 and kinds[-1] == "set the lock"
    assert len(result.actions) == 6
    replay(naive_lock(), result)


def test_lost_update_loses_an_increment():
    """Two read-then-write increments can leave the counter at 1."""
    result = check(lost_update_counter(2))
    assert result.trace[-1][0] == 1 and len(result.actions) == 4


def test_atomic_lock_has_eight_states():
    """The atomic lock with two processes has 3 x 3 - 1 = 8 reachable states."""
    assert check(atomic_lock(2)).states == 8


@pytest.mark.parametrize("model", [
    naive_lock(2), naive_lock(3), lost_update_counter(2), lost_update_counter(3),
    enactor_model(2, 3, 1, 1), enactor_model(2, 3, 2, 1),
    enactor_model(2, 3, 1, 1, properties={"record never empty": PROPERTIES["record never empty"]}),
], ids=lambda m: m.name)
def test_counterexample_is_as_short_as_brute_force(model):
    """The BFS counterexample has the minimal length found by enumerating every action sequence."""
    result = check(model, recoverability=False)
    assert result.verdict == VIOLATION
    assert len(result.actions) == brute_force_shortest(model, 14)
    replay(model, result)


@st.composite
def graphs(draw):
    """A random finite graph as a model: states 0..n-1, some of them bad, some goals."""
    n = draw(st.integers(1, 9))
    edges = {i: sorted(set(draw(st.lists(st.integers(0, n - 1), max_size=3)))) for i in range(n)}
    bad = draw(st.sets(st.integers(0, n - 1), max_size=2))
    goals = draw(st.sets(st.integers(0, n - 1), max_size=3))
    return n, edges, bad, goals


@settings(max_examples=150, deadline=None)
@given(graphs())
def test_random_graphs_shortest_and_recoverability(g):
    """On random graphs: the trace is shortest, each step is an edge, and AG EF matches a brute-force search."""
    n, edges, bad, goals = g
    model = Model("graph", 0, lambda s: [(f"{s}->{t}", t) for t in edges[s]], {"not bad": lambda s: s not in bad})
    result = check(model)
    expected = brute_force_shortest(model, n)
    assert (result.verdict == VIOLATION) == (expected is not None)
    if expected is not None:
        assert len(result.actions) == expected
        replay(model, result)
    # recoverability against a direct search from each reachable state
    live = check(Model("graph", 0, model.successors, {}, goal=lambda s: s in goals))
    _, _, _, parent, _, _ = explore(Model("graph", 0, model.successors))

    def reaches_goal(s):
        seen, todo = {s}, [s]
        while todo:
            x = todo.pop()
            if x in goals:
                return True
            for t in edges[x]:
                if t not in seen:
                    seen.add(t)
                    todo.append(t)
        return False

    assert live.holds == all(reaches_goal(s) for s in parent)


def test_can_reach_follows_edges_backwards():
    """can_reach returns exactly the states with a path to a goal."""
    edges = {"a": ["b"], "b": ["c"], "c": [], "d": ["d"]}
    assert can_reach(edges, ["c"]) == {"a", "b", "c"}


def test_transitions_are_conserved():
    """Every transition counted is an edge of the explored graph (nothing dropped or double-counted)."""
    model = enactor_model(fixes=("recheck_at_write",))
    result = check(model)
    _, _, _, parent, edges, (states, transitions, _, _) = explore(model)
    assert result.states == states == len(parent)
    assert result.transitions == transitions == sum(len(t) for t in edges.values())


def test_check_each_agrees_with_check():
    """Each property checked alone in one search gives the same verdict and trace length as check()."""
    model = enactor_model()
    each = check_each(model)
    for name, holds in model.invariants.items():
        alone = check(Model(model.name, model.initial, model.successors, {name: holds}), recoverability=False)
        assert each[name].verdict == alone.verdict
        assert len(each[name].actions) == len(alone.actions)
    assert each[RECOVERABILITY].verdict == VIOLATION


def test_state_budget_gives_bounded_verdict():
    """An infinite model ends with 'bounded: N states explored, no violation found', not a hang."""
    infinite = Model("counter", 0, lambda s: [("inc", s + 1)], {"small": lambda s: s >= 0})
    result = check(infinite, max_states=1000)
    assert result.verdict == BOUNDED
    assert "bounded: 1,000 states explored, no violation found" in str(result)


def test_unhashable_state_is_refused():
    """A model whose states are lists gets a clear error naming hashability."""
    with pytest.raises(ModelError, match="hashable"):
        check(Model("lists", [0], lambda s: [("x", [*s, 1])]))


class Box:
    """A hashable-by-identity object with mutable contents: the kind of state that hides mutation."""

    def __init__(self):
        self.items = []

    def __repr__(self):
        return f"Box({self.items})"


def test_mutating_successor_is_refused():
    """A successor function that modifies its input state is caught and named."""
    def bad(state):
        state.items.append(1)
        return [("same", state)]

    with pytest.raises(ModelError, match="changed the state"):
        check(Model("mutating", Box(), bad))


def test_raising_successor_is_reported():
    """A successor function that raises gives a ModelError naming the exception and the state."""
    with pytest.raises(ModelError, match="raised ZeroDivisionError"):
        check(Model("raising", 1, lambda s: [("x", s // 0)]))


def test_bad_pairs_and_bad_parameters():
    """Non-pairs, bad budgets and wrong argument types are rejected with clear messages."""
    with pytest.raises(ModelError, match="pairs"):
        check(Model("bad", 0, lambda s: [1]))
    with pytest.raises(ValueError, match="max_states"):
        check(naive_lock(), max_states=0)
    with pytest.raises(TypeError, match="model"):
        check("not a model")


def test_trace_events_for_swimlanes():
    """A counterexample converts to one Event per step, actors taken from the actions."""
    events = trace_events(check(naive_lock()))
    assert [e.time for e in events] == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    assert {e.actor for e in events} == {"P0", "P1"}


def test_random_walks_are_seeded():
    """The same seed gives the same random search; the sticky scheduler needs more runs."""
    model = enactor_model(properties={"record never empty": PROPERTIES["record never empty"]})
    a, b = random_walks(model, seed=3, runs=5000), random_walks(model, seed=3, runs=5000)
    assert a == b and a.runs is not None
    sticky = [random_walks(model, seed=s, runs=20000, switch=0.3).runs for s in range(3)]
    uniform = [random_walks(model, seed=s, runs=20000).runs for s in range(3)]
    assert sum(sticky) > sum(uniform)


def test_check_each_reports_violations_found_before_the_budget():
    """On a 4-Enactor size the budget runs out, yet what was found is a verdict with a shortest trace."""
    model = enactor_model(4, 4, 2, 2)
    full = check_each(model)
    capped = check_each(model, max_states=2000)
    stale = capped["applied generation never decreases"]
    assert stale.verdict == VIOLATION and len(stale.actions) == len(full["applied generation never decreases"].actions)
    assert capped["record never empty"].verdict == BOUNDED and capped[RECOVERABILITY].verdict == BOUNDED
    # with a budget large enough for the shortest empty-record trace's depth, that one is found too
    roomy = check_each(model, max_states=20_000)
    assert roomy["record never empty"].verdict == VIOLATION
    assert len(roomy["record never empty"].actions) == len(full["record never empty"].actions)


def test_budgets_have_upper_bounds():
    """Absurd budgets are refused with the parameter's name instead of exhausting memory or time."""
    with pytest.raises(ValueError, match="max_states"):
        check(naive_lock(), max_states=10**12)
    with pytest.raises(ValueError, match="max_seconds"):
        check(naive_lock(), max_seconds=float("inf"))
    with pytest.raises(TypeError, match="result"):
        trace_events(42)


def test_recoverability_on_a_graph_whose_edges_point_backwards():
    """A chain that leads back towards the start needs many sweeps: the exact backward search finishes it."""
    edges = {0: [1, 2, 3, 4, 5, 6], 1: [7], 7: [], **{i: [i - 1] for i in range(2, 7)}}
    model = Model("chain", 0, lambda s: [(f"{s}->{t}", t) for t in edges[s]], {}, goal=lambda s: s == 7)
    assert check(model).holds
    edges[6] = [8]  # 6 now leads to a dead end instead
    edges[8] = []
    stuck = check(model)
    assert stuck.verdict == VIOLATION and stuck.prop == RECOVERABILITY and stuck.trace[-1] == 6


@pytest.mark.parametrize("search", [check, check_each, explore])
def test_an_invariant_that_returns_none_is_named_not_reported_as_a_violation(search):
    """A learner's invariant without `return` gives None: the checker says so instead of 'VIOLATION after 0 steps'."""
    model = Model("no return", 0, lambda s: [(("P", "step"), s + 1)] if s < 3 else [], {"p": lambda s: None})
    with pytest.raises(ModelError, match=r"invariant 'p' returned None.*forget `return`"):
        search(model)
    falsy = Model("falsy", 0, lambda s: [(("P", "step"), s + 1)] if s < 3 else [], {"p": lambda s: s < 2})
    assert check(falsy).verdict == VIOLATION  # a plain False is still a violation
