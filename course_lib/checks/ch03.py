"""Chapter 3 exercises: write properties for the model checker, fix a lock, predict a count, read a trace."""

from __future__ import annotations

import functools
import math
import numbers
from collections import deque
from collections.abc import Callable

from ..enactor_model import ENDPOINT_NAMES, Enactor, Zone, describe, enactor_model, inconsistent
from ..exercises import (
    NOTHING_RETURNED,
    Exercise,
    Incorrect,
    NotAttempted,
    expect_type,
    learner_call,
    learner_function,
)
from ..modelcheck import OK, VIOLATION, Model, ModelError, can_reach, check, check_each, explore, trace_events
from ..textbook_models import CRIT, IDLE, mutual_exclusion
from ..trace import format_swimlanes

__all__ = ["q1", "q2", "q3", "q4", "q5"]


def _timeline(result) -> str:
    """Return a counterexample as a text swimlane, its last step marked."""
    events = trace_events(result)
    return format_swimlanes(events, mark=[len(events) - 1]) if events else ""


def _zone_text(z) -> str:
    """Describe a zone in words (plans stored, aliases, Enactors)."""
    return describe(z)


@functools.lru_cache(maxsize=1)
def _buggy_graph():
    """Explore the buggy default model once; return its readable states, edges and goals (shared by checks).

    The checker stores packed states; the learner's functions see readable Zones, as the chapter shows.
    """
    model = enactor_model(properties={})
    _, _, _, parent, edges, _ = explore(model)
    view = model.view
    zones = {k: view(s) for k, (_, _, s) in parent.items()}
    graph = {zones[k]: [zones[t] for t in targets] for k, targets in edges.items()}
    goals = {zones[k] for k, (_, _, s) in parent.items() if model.goal(s)}
    return tuple(zones.values()), graph, goals


# --- q1: an invariant as a function -------------------------------------------------------------

# Zones no search of the default model reaches, each with the right answer and what a wrong one confuses:
# history flags set while every record resolves now (the operator re-pointed the alias), a third endpoint.
_HISTORY = [
    (Zone(4, frozenset({3, 4}), (4, 4), (Enactor(), Enactor()), False, False, True), True,
     "`deleted_active` is history: an active tree was deleted at some point, but the operator has since "
     "re-pointed the alias and every record resolves now. The invariant asks about the zone as it is now"),
    (Zone(4, frozenset({2, 3, 4}), (3, 4), (Enactor(), Enactor()), False, True, False), True,
     "`regressed` is history: a stale plan was written once, but every alias points at a stored tree now"),
    (Zone(4, frozenset({3, 4}), (4, 4, 2), (Enactor(), Enactor()), False, False, False), False,
     "this zone has three endpoints and the third one's alias points at deleted plan 2: check every alias, "
     "not a fixed number of them"),
    (Zone(4, frozenset({3, 4}), (4, 4), (Enactor(), Enactor()), True, False, False), True,
     "the zone is frozen (the alarm is up), but every alias points at a stored tree: frozen is not the question"),
]


def _check_invariant(fn: Callable) -> None:
    if not callable(fn):
        raise Incorrect(f"record_never_empty should be a function of a zone, but it is {type(fn).__name__}.")
    buggy = enactor_model(properties={})
    first = buggy.view(buggy.initial)
    start = expect_type(learner_call(fn, first), (bool,), "record_never_empty(zone)'s return value")
    if not start:
        raise Incorrect("your invariant is False in the initial state, where plan 1 is active everywhere.",
                        case=_zone_text(first))
    zones, _, _ = _buggy_graph()
    for z in zones:
        want = not inconsistent(z)
        got = expect_type(learner_call(fn, z), (bool,), "record_never_empty(zone)'s return value")
        if got != want:
            why = ("an alias points at a deleted plan, so that endpoint's DNS answer is empty" if not want
                   else "every alias points at a plan tree that exists, so every record resolves")
            if want and (z.regressed or z.deleted_active or z.frozen):
                why += (" (its history flags regressed / deleted_active, or frozen, are set: they record what "
                        "happened earlier; the invariant asks whether the record is empty now)")
            raise Incorrect(f"your invariant says {got} in a reachable state where {why}.", case=_zone_text(z))
    for z, want, why in _HISTORY:
        got = expect_type(learner_call(fn, z), (bool,), "record_never_empty(zone)'s return value")
        if got != want:
            raise Incorrect(f"your invariant says {got} here: {why}.", case=_zone_text(z))
    found = check(enactor_model(properties={"yours": learner_function(fn)}))
    if found.verdict != VIOLATION:
        raise Incorrect("your invariant never flags the buggy model, but the race does empty the record.")
    fixed = check(enactor_model(fixes=("protect_active",), properties={"yours": learner_function(fn)}))
    if fixed.verdict == VIOLATION:
        raise Incorrect("your invariant flags the model with protect_active, where no record goes empty.",
                        timeline=_timeline(fixed))


q1 = Exercise("q1", "record_never_empty", _check_invariant, [
    "A zone has `.stored` (the plan generations whose trees exist) and `.alias` (one generation per endpoint).",
    "The record is empty when some endpoint's alias points at a generation that is not in `zone.stored`.",
    "Look at the zone as it is now (`alias` and `stored`), not at the history flags; one alias whose tree "
    "is missing is enough to make the answer False.",
], chapter="03")


# --- q2: recoverability as a graph search ---------------------------------------------------------

_GRAPHS = [
    ({"a": ["b"], "b": ["c"], "c": []}, {"c"}),
    ({"a": ["b", "d"], "b": ["a"], "d": ["d"]}, {"b"}),
    ({"s": ["x", "y"], "x": ["g"], "y": ["y2"], "y2": ["y"], "g": ["s"]}, {"g"}),
    ({1: [2], 2: [3], 3: [1], 4: [1], 5: []}, {5}),
]


def _state_text(state) -> str:
    """Name a state for a verdict: a Zone in words, anything else by its repr."""
    return f"the state ({describe(state)})" if isinstance(state, Zone) else repr(state)[:120]


def _forwards(graph: dict, goals) -> set:
    """Return the states reachable from the goals along the edges (the classic wrong direction)."""
    seen, todo = set(goals), list(goals)
    while todo:
        for nxt in graph.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def _check_recoverable(fn: Callable) -> None:
    if not callable(fn):
        raise Incorrect(f"can_recover should be a function (edges, goals) -> set, but it is {type(fn).__name__}.")
    _, model_graph, model_goals = _buggy_graph()
    cases = []
    for i, (graph, goals) in enumerate([*_GRAPHS, (model_graph, model_goals)]):
        # a fresh copy each time: the learner's function may consume or change what it is given
        got = learner_call(fn, {k: list(v) for k, v in graph.items()}, set(goals))
        got = expect_type(got, (set, frozenset), "can_recover(edges, goals)'s return value")
        where = f"the graph {graph} with goals {sorted(goals, key=str)}" if i < len(_GRAPHS) else \
            "the buggy Enactor model's state graph"
        cases.append((where, graph, goals, got, can_reach(graph, goals)))
    wrong = [c for c in cases if c[3] != c[4]]
    if wrong and all(got == _forwards(graph, goals) for _, graph, goals, got, _ in cases):
        where = next(c[0] for c in wrong if c[3] - c[2])
        raise Incorrect(f"on {where}, your set is the states reachable *from* the goals (a search forwards "
                        "along the edges); the question asks for the states *from which* a goal can be "
                        "reached: follow the edges backwards.")
    for where, _graph, goals, got, want in wrong:
        missing, extra = want - got, got - want
        if missing & goals:
            example = min(missing & goals, key=str)
            raise Incorrect(f"on {where}, your set leaves out the goal {_state_text(example)} itself. A goal "
                            "state reaches a goal (itself, in no steps): include the goals.")
        if missing:
            example = min(missing, key=str)
            raise Incorrect(f"on {where}, a goal is reachable from {_state_text(example)}, but your set leaves "
                            "it out. Follow edges backwards from the goals, as far as they go (not just one step).")
        example = min(extra, key=str)
        raise Incorrect(f"on {where}, no goal is reachable from {_state_text(example)}, but your set "
                        "includes it. Only states with a path *to* a goal belong in the set.")


q2 = Exercise("q2", "can_recover", _check_recoverable, [
    "Reverse every edge first: build `back[dst] = [src, ...]`.",
    "Then search from the goals over the reversed edges (a stack or a queue), adding every state you meet.",
    "Start `seen = set(goals)` and `todo = list(goals)`; pop a state, push each predecessor not yet seen.",
], chapter="03")


# --- q3: fix a broken mutex -------------------------------------------------------------------------

def _in_critical(i: int):
    return lambda s: s[1][i] == CRIT


def _check_lock(fn: Callable) -> None:
    if not callable(fn):
        raise Incorrect(f"lock_successors should be a function of a state, but it is {type(fn).__name__}.")
    start = (0, (IDLE, IDLE))
    first = learner_call(fn, start)  # a stub raises NotImplementedError here: "not attempted"
    if first is None:
        raise Incorrect(f"lock_successors(state) {NOTHING_RETURNED} It should return or yield "
                        "(action, next_state) pairs.", case=f"state {start}")
    try:
        pairs = list(first)
    except TypeError:
        raise Incorrect(f"lock_successors(state) should return or yield (action, next_state) pairs, but it "
                        f"returned {type(first).__name__} ({first!r:.60}).", case=f"state {start}") from None
    for pair in pairs:
        state_like = isinstance(pair, tuple) and len(pair) == 2 and isinstance(pair[1], tuple) and \
            len(pair[1]) == 2 and isinstance(pair[1][0], int) and isinstance(pair[1][1], tuple)
        if not state_like:
            raise Incorrect("each item lock_successors yields should be a pair (action, next_state), where "
                            "next_state is (flag, pcs), e.g. (('P0', 'want the lock'), (0, ('test', 'idle'))); "
                            f"yours gave {pair!r:.80}.", case=f"state {start}")
    fn = learner_function(fn)
    safe = Model("your lock", start, fn, {"mutual exclusion": mutual_exclusion})
    try:
        result = check(safe, max_states=10_000, max_seconds=5)
    except ModelError as err:
        if isinstance(err.__cause__, NotImplementedError):
            raise NotAttempted() from None
        raise Incorrect(f"the model checker could not run your lock: {err}.") from None
    if result.verdict == VIOLATION:
        raise Incorrect("both processes reach the critical section at once: mutual exclusion is broken. "
                        "Testing the flag and setting it must be one step.", timeline=_timeline(result))
    if result.verdict != OK:
        raise Incorrect("your lock has too many states to check (more than 10,000): keep the state (flag, pcs).")
    for i in (0, 1):
        live = check(Model("your lock", start, fn, {}, goal=_in_critical(i)), max_states=10_000)
        if live.verdict == VIOLATION:
            raise Incorrect(f"safe, but not live: {_stuck_words(fn, live.trace[-1], i, not live.actions)}",
                            timeline=_timeline(live))


def _lock_words(state) -> str:
    """Describe a lock state (flag, pcs) in words, as the verdicts quote it."""
    flag, pcs = state
    return f"(flag {flag}; " + ", ".join(f"P{j} {pc}" for j, pc in enumerate(pcs)) + ")"


def _action_words(action) -> str:
    """Name a learner's action as the timeline shows it (actor, then kind)."""
    if isinstance(action, tuple) and len(action) >= 2:
        return f"{action[0]} {action[1]}"
    return str(action)


def _stuck_words(fn: Callable, state, i: int, initial: bool = False) -> str:
    """Say in words why process *i* never gets in from *state*, the timeline's last state.

    The text starts from the state the timeline ends in; if a held, unused flag is reachable from it, it
    names the steps that lead there (shortest first), so the words and the timeline tell one story.
    """
    where = "already in the initial state" if initial else "the timeline ends in the state"
    head = f"{where} {_lock_words(state)}, and from there P{i} never enters the critical section."
    try:
        parent, todo = {state: None}, deque([state])
        while todo and len(parent) < 10_000:
            current = todo.popleft()
            flag, pcs = current
            if flag and CRIT not in pcs:  # the lock is taken, yet nobody is inside: nobody will free it
                steps, at = [], current
                while parent[at] is not None:
                    at, action = parent[at]
                    steps.append(_action_words(action))
                after = f" After the further step{'s' if len(steps) > 1 else ''} " \
                    f"{', '.join(repr(a) for a in reversed(steps))}" if steps else " There"
                return (f"P{i} waits forever: the flag is never cleared. {head[0].upper()}{head[1:]}"
                        f"{after}, the state is {_lock_words(current)}: the lock is still taken although "
                        "nobody is in the critical section.")
            for action, nxt in fn(current):
                if nxt not in parent:
                    parent[nxt] = (current, action)
                    todo.append(nxt)
    except Exception:  # the learner's model already passed the checker; fall back to the plain verdict
        pass
    return (f"{head[0].upper()}{head[1:]} Does release clear the flag? Can a waiting process get in?")


q3 = Exercise("q3", "lock_successors", _check_lock, [
    "Start from `naive_lock_successors` and look at the shortest counterexample: both test, then both set.",
    "Merge the 'test' and the 'set' steps: a process in 'test' with flag == 0 goes straight to 'critical' "
    "and sets flag = 1 in the same step.",
    "Keep the 'release' step: it sets the flag back to 0 and the process back to 'idle'.",
], chapter="03")


# --- q4: predict a state count ----------------------------------------------------------------------

def _check_count(n) -> None:
    if isinstance(n, float) or type(n).__name__.startswith("float"):
        _not_a_whole_number(float(n))
    n = expect_type(n, (int,), "answer_q4")
    if n == 20:
        return
    raise Incorrect(_count_fault(n))

def _not_a_whole_number(x: float) -> None:
    """Name what is wrong with a float answer to q4 without giving the count away."""
    if math.isnan(x):
        raise Incorrect("answer_q4 is nan (not a number): a leftover 0/0 or an unfinished computation? "
                        "Give the count of reachable states as a whole number.")
    if math.isinf(x):
        raise Incorrect(f"answer_q4 is {x}: a model with finitely many places per process has finitely "
                        "many states. Give the count as a whole number.")
    if not x.is_integer():
        raise Incorrect(f"answer_q4 is {x!r}, a fraction: a count of states is a whole number. Where "
                        "does the fraction come from? Count combinations; do not divide or average.")
    if abs(x) > 1e6:
        raise Incorrect(f"answer_q4 is {x!r}: three processes with three places each cannot have that many "
                        "states, and a count of states is a whole number (an int).")
    whole = int(x)
    if whole == 20:
        raise Incorrect("answer_q4 is 20.0, a float: a count of states is a whole number; write it as an "
                        "int (20, not 20.0).")
    raise Incorrect(f"answer_q4 is {x!r}, a float: a count of states is a whole number, written as an int "
                    f"({whole}, not {x!r}). And {whole} is not the count either. " + _count_fault(whole, named=True))


def _count_fault(n: int, named: bool = False) -> str:
    """Return what a whole-number answer other than 20 gets wrong (*named*: the caller already said n is wrong)."""
    messages = {
        27: "27 counts every combination of (idle, test, critical) for three processes, including two or three "
            "critical at once: the lock makes those unreachable.",
        8: "8 is the two-process count the chapter printed; this question has three processes.",
        54: "the flag is not free: it is 1 exactly when some process is critical, so it adds no states of its own.",
        40: "the flag is not free: it is 1 exactly when some process is critical, so it does not double the count.",
        21: "21 strikes out the combinations with exactly two processes critical but keeps the one with all "
            "three critical: mutual exclusion forbids that one too.",
        26: "26 strikes out only 'all three critical'; two critical at once is forbidden as well.",
        19: "off by one: count the state where all three are idle too (the initial state).",
        9: "9 is 3 x 3, two processes; this question has three.",
        0: "0 states: the initial state (flag 0, all idle) is always reachable.",
    }
    if n in messages:
        return messages[n]
    if n < 0:
        return f"{n} is negative: a number of states is 0 or more."
    how = ("List each process's places (idle, test, critical), combine them for three processes, and strike "
           "out the combinations the lock forbids.")
    return how if named else f"{n} is not the number of reachable states. {how}"


q4 = Exercise("q4", "answer_q4", _check_count, [
    "Each process is idle, testing or critical; the flag is determined by whether someone is critical.",
    "Count the combinations of three processes' places, then remove those with two or more critical.",
    "How many combinations have at least two processes critical? (Choose which two, or all three.)",
], chapter="03")


# --- q5: read the counterexample of a subtly broken fix ----------------------------------------------

def regional_only(z, g: int) -> bool:
    """A subtly broken protect_active: keep a plan only if the *regional* alias points at it."""
    return g == z.alias[0]


@functools.lru_cache(maxsize=1)
def _subtle_truth() -> dict:
    good = check_each(enactor_model(fixes=("protect_active",)))
    bad = check_each(enactor_model(fixes=("protect_active",), protect=regional_only))
    broken = {name for name in good if good[name].holds and not bad[name].holds}
    trace = bad["record never empty"]
    last = trace.trace[-1]
    empty = [i for i, g in enumerate(last.alias) if g not in last.stored]
    return {"broken": broken, "steps": len(trace.actions), "endpoint": ("regional", "ipv6")[empty[0]]}


def _check_subtle(answer) -> None:
    expect_type(answer, (dict,), "answer_q5")
    missing = {"broken", "steps", "endpoint"} - set(answer)
    if missing:
        raise Incorrect(f"answer_q5 needs the keys 'broken', 'steps' and 'endpoint'; missing {sorted(missing)}.")
    truth = _subtle_truth()
    expect_type(answer["broken"], (set, frozenset, list, tuple), "answer_q5['broken']")
    got = set(answer["broken"])
    if "applied generation never decreases" in got:
        raise Incorrect("'applied generation never decreases' already fails with the correct protect_active "
                        "(a stale plan can overwrite a newer one): it is not newly broken.")
    if got != truth["broken"]:
        raise Incorrect(f"not quite: compare check_each on both models. You named {sorted(got)}; look again "
                        "at every property that held before, recoverability included.")
    endpoint = answer["endpoint"]
    expect_type(endpoint, (str,), "answer_q5['endpoint']")
    names = ENDPOINT_NAMES[:2]  # the default model has two endpoints
    if endpoint.strip().lower() not in names:
        raise Incorrect(f"answer_q5['endpoint'] is {endpoint!r}; the model's endpoints are "
                        f"{' and '.join(repr(n) for n in names)}.")
    if endpoint.strip().lower() != truth["endpoint"]:
        raise Incorrect(f"the endpoint whose record goes empty is not {endpoint!r}: the broken rule "
                        "still protects the regional plan. Read the last state of the trace.")
    steps = answer["steps"]
    if isinstance(steps, bool) or not isinstance(steps, numbers.Integral):
        raise Incorrect(f"answer_q5['steps'] should be a whole number (a count of steps), but it is "
                        f"{type(steps).__name__} ({steps!r:.40}).")
    if steps != truth["steps"]:
        raise Incorrect(f"the shortest counterexample for 'record never empty' does not have "
                        f"{answer['steps']} steps: count `len(result.actions)`.")


q5 = Exercise("q5", "answer_q5", _check_subtle, [
    "Run `check_each(enactor_model(fixes=('protect_active',), protect=regional_only))` and compare it with "
    "the correct protect_active.",
    "The broken rule only looks at `zone.alias[0]`, the regional endpoint. Which alias can still lose its plan?",
], chapter="03")
