"""Chapter 3 exercises: write properties for the model checker, fix a lock, predict a count, read a trace."""

from __future__ import annotations

import functools
import numbers
from collections.abc import Callable

from ..enactor_model import ENDPOINT_NAMES, describe, enactor_model, inconsistent
from ..exercises import Exercise, Incorrect, NotAttempted, expect_type, learner_call
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

def _check_invariant(fn: Callable) -> None:
    if not callable(fn):
        raise Incorrect(f"record_never_empty should be a function of a zone, but it is {type(fn).__name__}.")
    buggy = enactor_model(properties={})
    start = learner_call(fn, buggy.view(buggy.initial))
    expect_type(start, (bool,), "record_never_empty(zone)'s return value")
    if not start:
        raise Incorrect("your invariant is False in the initial state, where plan 1 is active everywhere.",
                        case=_zone_text(buggy.view(buggy.initial)))
    zones, _, _ = _buggy_graph()
    for z in zones:
        want, got = not inconsistent(z), learner_call(fn, z)
        if bool(got) != want:
            why = ("an alias points at a deleted plan, so that endpoint's DNS answer is empty" if not want
                   else "every alias points at a plan tree that exists, so every record resolves")
            raise Incorrect(f"your invariant says {bool(got)} in a reachable state where {why}.",
                            case=_zone_text(z))
    found = check(enactor_model(properties={"yours": fn}))
    if found.verdict != VIOLATION:
        raise Incorrect("your invariant never flags the buggy model, but the race does empty the record.")
    fixed = check(enactor_model(fixes=("protect_active",), properties={"yours": fn}))
    if fixed.verdict == VIOLATION:
        raise Incorrect("your invariant flags the model with protect_active, where no record goes empty.",
                        timeline=_timeline(fixed))


q1 = Exercise("q1", "record_never_empty", _check_invariant, [
    "A zone has `.stored` (the plan generations whose trees exist) and `.alias` (one generation per endpoint).",
    "The record is empty when some endpoint's alias points at a generation that is not in `zone.stored`.",
    "Loop over `zone.alias` and ask, for each generation, whether its tree still exists; one missing tree "
    "is enough to make the answer False.",
], chapter="03")


# --- q2: recoverability as a graph search ---------------------------------------------------------

_GRAPHS = [
    ({"a": ["b"], "b": ["c"], "c": []}, {"c"}),
    ({"a": ["b", "d"], "b": ["a"], "d": ["d"]}, {"b"}),
    ({"s": ["x", "y"], "x": ["g"], "y": ["y2"], "y2": ["y"], "g": ["s"]}, {"g"}),
    ({1: [2], 2: [3], 3: [1], 4: [1], 5: []}, {5}),
]


def _check_recoverable(fn: Callable) -> None:
    if not callable(fn):
        raise Incorrect(f"can_recover should be a function (edges, goals) -> set, but it is {type(fn).__name__}.")
    _, graph, goals = _buggy_graph()
    cases = [*_GRAPHS, (graph, goals)]
    for i, (graph, goals) in enumerate(cases):
        # a fresh copy each time: the learner's function may consume or change what it is given
        got = learner_call(fn, {k: list(v) for k, v in graph.items()}, set(goals))
        expect_type(got, (set, frozenset), "can_recover(edges, goals)'s return value")
        want = can_reach(graph, goals)
        where = f"the graph {graph} with goals {sorted(goals, key=str)}" if i < len(_GRAPHS) else \
            "the buggy Enactor model's state graph"
        missing, extra = want - got, got - want
        if missing:
            example = next(iter(missing))
            raise Incorrect(f"on {where}, a goal is reachable from {example!r:.120}, but your set leaves it "
                            "out. Follow edges backwards from the goals, as far as they go.")
        if extra:
            example = next(iter(extra))
            raise Incorrect(f"on {where}, no goal is reachable from {example!r:.120}, but your set includes "
                            "it. Only states with a path *to* a goal belong in the set.")


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
    learner_call(lambda s: list(fn(s)), start)  # a stub raises NotImplementedError here: "not attempted"
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
            raise Incorrect(f"safe, but not live: {_stuck_words(fn, live.trace[-1], i)}",
                            timeline=_timeline(live))


def _stuck_words(fn: Callable, state, i: int) -> str:
    """Say in words why process *i* never gets in from *state* (flag, pcs): look for a held, unused flag."""
    try:
        seen, todo = {state}, [state]
        while todo and len(seen) < 10_000:
            flag, pcs = current = todo.pop()
            if flag and CRIT not in pcs:  # the lock is taken, yet nobody is inside: nobody will free it
                where = ", ".join(f"P{j} {pc}" for j, pc in enumerate(pcs))
                return (f"P{i} waits forever: the flag is never cleared. In the state (flag {flag}; {where}) "
                        "the lock is still taken although nobody is in the critical section.")
            for _, nxt in fn(current):
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
    except Exception:  # the learner's model already passed the checker; fall back to the plain verdict
        pass
    return (f"from some state P{i} can never enter the critical section again (does release clear the flag? "
            "can a waiting process get in?).")


q3 = Exercise("q3", "lock_successors", _check_lock, [
    "Start from `naive_lock_successors` and look at the shortest counterexample: both test, then both set.",
    "Merge the 'test' and the 'set' steps: a process in 'test' with flag == 0 goes straight to 'critical' "
    "and sets flag = 1 in the same step.",
    "Keep the 'release' step: it sets the flag back to 0 and the process back to 'idle'.",
], chapter="03")


# --- q4: predict a state count ----------------------------------------------------------------------

def _check_count(n) -> None:
    expect_type(n, (int,), "answer_q4")
    if n == 8:
        return
    if n == 9:
        raise Incorrect("9 counts every pair of (idle, test, critical), including both processes critical "
                        "at once: the lock makes that pair unreachable.")
    if n in (18, 16):
        raise Incorrect("the flag is not free: it is 1 exactly when some process is critical, so it adds "
                        "no states of its own.")
    raise Incorrect(f"{n} is not the number of reachable states. List each process's places (idle, test, "
                    "critical), combine them, and strike out the combinations the lock forbids.")


q4 = Exercise("q4", "answer_q4", _check_count, [
    "Each process is idle, testing or critical; the flag is determined by whether someone is critical.",
    "3 × 3 combinations of the two processes, minus the ones mutual exclusion rules out.",
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
