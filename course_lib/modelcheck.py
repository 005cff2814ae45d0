"""A small explicit-state model checker: breadth-first search over every interleaving.

A :class:`Model` is an initial state, a function ``successors(state)`` that returns the enabled
``(action, next_state)`` pairs, named safety **invariants** (functions ``state -> bool`` that must hold
in every reachable state) and, optionally, a **goal** for recoverability: from every reachable state a
goal state must remain reachable (``AG EF goal`` in temporal-logic notation).

:func:`check` visits states in breadth-first order, so the first violation it meets is one of the
nearest to the initial state: the trace it returns is a **shortest** counterexample.  States must be
hashable values (tuples, frozensets, frozen dataclasses); the checker never changes them, and it
refuses a model whose successor function mutates or raises, with a message that says so.  A state
budget turns a search that would run too long into the verdict "bounded", never a hang.
"""

from __future__ import annotations

import contextlib
import gc
import time
from collections import defaultdict, deque
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, field

from .validate import check_bool, check_int, check_number, check_type

__all__ = ["BOUNDED", "OK", "VIOLATION", "Model", "ModelError", "Result", "Search", "can_reach", "check", "check_each", "explore",
           "hypothesis_search", "random_walks", "trace_events"]

OK, VIOLATION, BOUNDED = "ok", "violation", "bounded"
RECOVERABILITY = "recoverability"
_REPR_CHECKS = 200  # how many expansions also compare repr(state) before/after, to catch hidden mutation
MAX_STATES = 20_000_000  # the largest state budget accepted: beyond it a search exhausts memory, not time
MAX_SECONDS = 3600.0  # the longest time budget accepted (one hour)


class ModelError(Exception):
    """The model itself is broken: unhashable or mutated states, or a successor function that raised."""


@dataclass(frozen=True)
class Model:
    """What to explore: the initial state, the successor function, and the properties to check."""

    name: str
    initial: Hashable
    successors: Callable[[Hashable], Iterable[tuple[Hashable, Hashable]]]
    invariants: Mapping[str, Callable[[Hashable], bool]] = field(default_factory=dict)
    goal: Callable[[Hashable], bool] | None = None
    canonical: Callable[[Hashable], Hashable] | None = None
    view: Callable[[Hashable], Hashable] | None = None  # stored state -> the readable state a trace shows

    def __post_init__(self):
        check_type("name", self.name, str)
        if not callable(self.successors):
            raise TypeError(f"successors must be a function state -> [(action, next_state), ...], "
                            f"got {type(self.successors).__name__}")
        check_type("invariants", self.invariants, Mapping, "a dict name -> function(state) -> bool")
        for name, holds in self.invariants.items():
            if not isinstance(name, str) or not callable(holds):
                raise TypeError(f"invariants must map names (strings) to functions, got {name!r:.40}: "
                                f"{type(holds).__name__}")
        for field_name in ("goal", "canonical", "view"):
            value = getattr(self, field_name)
            if value is not None and not callable(value):
                raise TypeError(f"{field_name} must be a function of a state or None, got {type(value).__name__}")


@dataclass(frozen=True)
class Result:
    """The verdict of one search, its size and, for a violation, the shortest trace that shows it."""

    model: str
    verdict: str
    prop: str | None
    states: int
    transitions: int
    depth: int
    seconds: float
    actions: tuple = ()
    trace: tuple = ()
    checked: tuple[str, ...] = ()

    @property
    def holds(self) -> bool:
        return self.verdict == OK

    def __str__(self) -> str:
        # no timings here: printed verdicts must be the same on every run (times are in .seconds)
        size = f"{self.states:,} states, {self.transitions:,} transitions, depth {self.depth}"
        if self.verdict == OK:
            return f"{self.model}: all {len(self.checked)} properties hold ({size})"
        if self.verdict == BOUNDED:
            return (f"{self.model}: bounded: {self.states:,} states explored, no violation found "
                    "(the budget ran out before the search finished)")
        return f"{self.model}: VIOLATION of '{self.prop}' after {len(self.actions)} steps ({size})"


def _key(model: Model, state) -> Hashable:
    """Return the dictionary key for *state*: its canonical form under symmetry, and check it hashes."""
    key = model.canonical(state) if model.canonical else state
    try:
        hash(key)
    except TypeError as exc:
        raise ModelError(f"states must be hashable values (tuples, frozensets, frozen dataclasses); "
                         f"got {type(key).__name__}: {key!r:.120} ({exc})") from None
    return key


def _expand(model: Model, state, paranoid: bool) -> list:
    """Return the (action, next state) pairs of *state*, refusing a successor function that misbehaves.

    The first expansions (*paranoid*) also check that the state was not changed, that every pair is an
    (action, state) pair and that every state hashes; later ones trust the model, for speed.
    """
    before = (hash(state), repr(state)) if paranoid else None
    try:
        pairs = model.successors(state)
        if type(pairs) is not list:
            pairs = list(pairs)
    except Exception as exc:
        raise ModelError(f"the successor function raised {type(exc).__name__}: {exc} "
                         f"in state {state!r:.160}") from exc
    if before is not None:
        if (hash(state), repr(state)) != before:
            raise ModelError(f"the successor function changed the state it was given ({state!r:.120}); "
                             "build and return a new state instead of modifying the old one")
        for pair in pairs:
            if not (isinstance(pair, tuple) and len(pair) == 2):
                raise ModelError(f"successors must return (action, next_state) pairs, got {pair!r:.120}")
            _key(model, pair[1])
    return pairs


def _expander(model: Model) -> Callable:
    """Return expand(state) -> the (action, next state) pairs of *state*, as a list.

    The first expansions go through :func:`_expand`, which refuses a successor function that changes
    its state or returns something other than (action, hashable state) pairs; later ones trust the model,
    for speed, and only turn an exception of the successor function into a ModelError that names the state.
    """
    successors, left = model.successors, [_REPR_CHECKS]

    def expand(state) -> list:
        if left[0]:
            left[0] -= 1
            return _expand(model, state, paranoid=True)
        try:
            pairs = successors(state)
            return pairs if type(pairs) is list else list(pairs)
        except Exception as exc:
            raise ModelError(f"the successor function raised {type(exc).__name__}: {exc} "
                             f"in state {state!r:.160}") from exc

    return expand


def _path(parent: dict, key) -> tuple[tuple, tuple]:
    """Walk parent links back from *key*; return (actions, states) from the initial state."""
    actions, states = [], []
    while key is not None:
        prev, action, state = parent[key]
        actions.append(action)
        states.append(state)
        key = prev
    actions.reverse()
    states.reverse()
    return tuple(actions[1:]), tuple(states)


def _returned_none(name: str, where: str = "") -> ModelError:
    """The error for an invariant that returned None: most likely a learner's function without `return`."""
    return ModelError(f"invariant '{name}' returned None{where}: did you forget `return`? An invariant returns "
                      "True (holds) or False (violated)")


def _broken(model: Model, state) -> str | None:
    """Return the name of the first invariant *state* violates, or None."""
    try:
        for name, holds in model.invariants.items():
            ok = holds(state)
            if not ok:
                if ok is None:  # a function that forgot `return` is not a violation: say so
                    raise _returned_none(name, f" in state {state!r:.160}")
                return name
    except ModelError:
        raise
    except Exception as exc:
        raise ModelError(f"invariant '{name}' raised {type(exc).__name__}: {exc} "
                         f"in state {state!r:.160}") from exc
    return None


def explore(model: Model, max_states: int = 200_000, max_seconds: float = 30.0):
    """Search breadth-first; return (verdict, property, bad state's key, parent links, edges, stats).

    This is the core loop: a queue of states to expand, a dictionary of states already seen (each with
    the state and action it was first reached from), and a check of every invariant on every new state.
    stats = (states, transitions, depth, seconds).
    """
    check_type("model", model, Model)
    max_states = check_int("max_states", max_states, lo=1, hi=MAX_STATES)
    max_seconds = check_number("max_seconds", max_seconds, lo=0, lo_open=True, hi=MAX_SECONDS)
    start = time.perf_counter()
    deadline = start + max_seconds
    first = _key(model, model.initial)
    parent = {first: (None, None, model.initial)}  # key -> (parent key, action, representative state)
    edges: dict = {}
    queue, transitions = deque([first]), 0
    broken = _broken(model, model.initial)
    if broken:
        return VIOLATION, broken, first, parent, edges, (1, 0, 0, time.perf_counter() - start)
    canonical, invariants = model.canonical, model.invariants  # read once, not once per state
    keep_edges = model.goal is not None  # the graph is kept only for recoverability (and costs memory)
    expand = _expander(model)  # model.successors, with the first expansions checked closely
    while queue:
        key = queue.popleft()  # oldest first: states come out in order of distance from the start
        pairs = expand(parent[key][2])
        if keep_edges:
            targets = edges[key] = []
        for action, nxt in pairs:
            nkey = canonical(nxt) if canonical else nxt  # symmetry: one key per class of equivalent states
            if keep_edges:
                targets.append(nkey)
            if nkey in parent:  # seen before, by a path at least as short: nothing new here
                continue
            parent[nkey] = (key, action, nxt)
            broken = _broken(model, nxt) if invariants else None
            if broken:
                seen = transitions + pairs.index((action, nxt)) + 1  # transitions up to and including this one
                return VIOLATION, broken, nkey, parent, edges, (len(parent), seen, _depth(parent, nkey),
                                                                time.perf_counter() - start)
            queue.append(nkey)
        transitions += len(pairs)
        if len(parent) >= max_states or time.perf_counter() > deadline:
            return BOUNDED, None, None, parent, edges, (len(parent), transitions, _depth(parent, key),
                                                         time.perf_counter() - start)
    # breadth-first: the state discovered last is one of the farthest from the start
    return OK, None, None, parent, edges, (len(parent), transitions, _depth(parent, next(reversed(parent))),
                                           time.perf_counter() - start)


def _depth(parent: dict, key) -> int:
    """Return the number of steps from the initial state to *key*, following parent links."""
    steps = 0
    while parent[key][0] is not None:
        key, steps = parent[key][0], steps + 1
    return steps


def can_reach(edges: Mapping, goals: Iterable) -> set:
    """Return every state from which some state in *goals* is reachable (backward search from the goals)."""
    check_type("edges", edges, Mapping, "a dict state -> list of successor states")
    if isinstance(goals, (str, bytes)) or not isinstance(goals, Iterable):
        raise TypeError(f"goals must be a collection of states, got {type(goals).__name__}")
    goals = list(goals)
    back: defaultdict = defaultdict(list)  # reversed edges (a defaultdict: no empty list built per edge)
    for src, targets in edges.items():
        for dst in targets:
            back[dst].append(src)
    seen, todo = set(goals), goals
    while todo:
        for src in back.get(todo.pop(), ()):
            if src not in seen:
                seen.add(src)
                todo.append(src)
    return seen


@contextlib.contextmanager
def _collector_paused():
    """Pause Python's cyclic garbage collector for the block (reference counting still frees memory).

    A search allocates a tuple per state and builds no reference cycles, yet every few hundred allocations
    the collector walks the young objects, and now and then all of them: about a tenth of a large
    search's time, for nothing to collect.  The collector is switched back on even if the search raises.
    """
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def check(model: Model, max_states: int = 200_000, max_seconds: float = 30.0,
          recoverability: bool = True) -> Result:
    """Explore *model* exhaustively and return the verdict with the shortest counterexample, if any."""
    check_bool("recoverability", recoverability)
    with _collector_paused():
        verdict, prop, bad, parent, edges, (n, m, d, secs) = explore(model, max_states, max_seconds)
    names = tuple(model.invariants) + ((RECOVERABILITY,) if model.goal and recoverability else ())
    if verdict == OK and model.goal is not None and recoverability:
        t0 = time.perf_counter()
        bad = _stuck(model, parent, edges)
        secs += time.perf_counter() - t0
        if bad is not None:
            verdict, prop = VIOLATION, RECOVERABILITY
    if verdict != VIOLATION:
        return Result(model.name, verdict, None, n, m, d, secs, checked=names)
    actions, states = _trace(model, parent, bad)
    return Result(model.name, verdict, prop, n, m, d, secs, actions, states, names)


def _stuck(model: Model, parent: dict, edges: Mapping):
    """Return the first reachable state (in breadth-first order) with no path to a goal, or None."""
    goal = model.goal
    good = {k for k, (_, _, s) in parent.items() if goal(s)}
    # Why not can_reach() directly: building the reversed graph costs more than the search here.  Most edges
    # lead one level deeper, so sweeping the states in reverse discovery order marks nearly every state that
    # can reach a goal in one pass.  Each later sweep visits only the states still unmarked (a few hundred);
    # a sweep that marks nothing proves the set complete.  If four sweeps still mark states, the backward
    # search of can_reach finishes the job exactly.
    pending = [k for k in reversed(edges) if k not in good]
    for _ in range(4):
        left = []
        for src in pending:
            if good.isdisjoint(edges[src]):  # no edge into the marked set (yet)
                left.append(src)
            else:
                good.add(src)
        if len(left) == len(pending):
            break
        pending = left
    else:
        good = can_reach(edges, good)
    # parent preserves discovery order, which is breadth-first: the first stuck state is a nearest one
    return next((k for k in parent if k not in good), None)


def _trace(model: Model, parent: dict, key) -> tuple[tuple, tuple]:
    """Return the actions and the (readable) states of the path from the initial state to *key*."""
    actions, states = _path(parent, key)
    if model.view is not None:
        states = tuple(model.view(s) for s in states)
    return actions, states


def check_each(model: Model, max_states: int = 200_000, max_seconds: float = 30.0) -> dict[str, Result]:
    """Check every property separately in one full search; return name -> Result with its shortest trace.

    The reachable graph is explored once; for each property, the first violating state in breadth-first
    discovery order is a nearest one, so each trace is still a shortest counterexample.  If the budget
    runs out first, a safety property already violated among the states explored is still a violation
    (with a shortest trace: breadth-first order explores every shorter path first); the others, and
    recoverability, which needs the whole graph, are "bounded".
    """
    check_type("model", model, Model)
    bare = Model(model.name, model.initial, model.successors, {}, model.goal, model.canonical, model.view)
    with _collector_paused():
        verdict, _, _, parent, edges, (n, m, d, secs) = explore(bare, max_states, max_seconds)
    out = {}
    for name, holds in model.invariants.items():
        t0 = time.perf_counter()
        bad = _first_violation(name, holds, parent)
        stats = (n, m, d, secs + time.perf_counter() - t0)
        if bad is None and verdict == BOUNDED:
            out[name] = Result(model.name, BOUNDED, None, *stats, checked=(name,))
        else:
            out[name] = _verdict(model, name, bad, parent, stats)
    if model.goal is not None:
        if verdict == BOUNDED:
            out[RECOVERABILITY] = Result(model.name, BOUNDED, None, n, m, d, secs, checked=(RECOVERABILITY,))
        else:
            t0 = time.perf_counter()
            bad = _stuck(model, parent, edges)
            out[RECOVERABILITY] = _verdict(model, RECOVERABILITY, bad, parent,
                                           (n, m, d, secs + time.perf_counter() - t0))
    return out


def _first_violation(name: str, holds: Callable, parent: dict):
    """Return the first state key, in discovery order, where invariant *name* fails (None if it never does)."""
    try:
        bad = next((k for k, (_, _, s) in parent.items() if not holds(s)), None)
        if bad is not None and holds(parent[bad][2]) is None:
            raise _returned_none(name)
        return bad
    except ModelError:
        raise
    except Exception as exc:
        raise ModelError(f"invariant '{name}' raised {type(exc).__name__}: {exc}") from exc


def _verdict(model: Model, prop: str, bad, parent: dict, stats: tuple) -> Result:
    """Return the Result for one property: OK if *bad* is None, else the trace to state *bad*."""
    if bad is None:
        return Result(model.name, OK, None, *stats, checked=(prop,))
    actions, states = _trace(model, parent, bad)
    return Result(model.name, VIOLATION, prop, *stats, actions, states, (prop,))


@dataclass(frozen=True)
class Search:
    """How a randomised search fared: runs until the first violation (None if none), steps, property."""

    method: str
    runs: int | None
    budget: int
    steps: int
    prop: str | None
    actions: tuple = ()

    def __str__(self) -> str:
        if self.runs is None:
            return f"{self.method}: no violation in {self.budget:,} runs ({self.steps:,} steps)"
        return (f"{self.method}: hit '{self.prop}' on run {self.runs:,} of at most {self.budget:,} "
                f"({self.steps:,} steps in total)")


def _actor(action):
    """Return who performs *action*: its ``actor`` attribute, or the first item of a tuple."""
    return getattr(action, "actor", action[0] if isinstance(action, tuple) and action else action)


def random_walks(model: Model, seed: int = 0, runs: int = 1000, max_steps: int = 60,
                 switch: float = 1.0) -> Search:
    """Walk at random from the initial state until an invariant breaks; return how many runs it took.

    With ``switch=1`` every enabled step is equally likely.  With a smaller *switch* the actor that moved
    last keeps going with probability ``1 - switch``: a scheduler on which a delay in the middle of a job
    is rare, as on a healthy production system.
    """
    seed = check_int("seed", seed, lo=0)
    import numpy as np

    check_type("model", model, Model)
    seed = check_int("seed", seed, lo=0, hi=2**63 - 1)
    runs = check_int("runs", runs, lo=1, hi=10_000_000)
    max_steps = check_int("max_steps", max_steps, lo=1, hi=100_000)
    switch = check_number("switch", switch, lo=0, hi=1)
    rng, total = np.random.default_rng(seed), 0
    for run in range(1, runs + 1):
        state, actions, last = model.initial, [], None
        for _ in range(max_steps):
            pairs = _expand(model, state, paranoid=False)
            if not pairs:
                break
            mine = [p for p in pairs if _actor(p[0]) == last]
            pool = mine if mine and rng.random() >= switch else pairs
            action, state = pool[int(rng.integers(len(pool)))]
            last = _actor(action)
            actions.append(action)
            total += 1
            broken = _broken(model, state)
            if broken:
                return Search("random walks", run, runs, total, broken, tuple(actions))
    return Search("random walks", None, runs, total, None)


@contextlib.contextmanager
def repeatable_hypothesis():
    """Stop Hypothesis from mixing literals of the course's own modules into its inputs, for the block.

    Hypothesis 6 draws some inputs from constants it finds in loaded local modules, so a search's run count
    would change whenever any module of course_lib gains a number.  The hook is internal to Hypothesis; if
    it moves, the block runs unchanged (still derandomized, only less stable across edits).
    """
    try:
        from hypothesis.internal.conjecture import providers
    except ImportError:  # pragma: no cover - a Hypothesis without that module
        yield
        return
    original = getattr(providers, "_get_local_constants", None)
    if original is None or not hasattr(providers, "Constants"):  # pragma: no cover
        yield
        return
    cache = getattr(getattr(providers, "CONSTANTS_CACHE", None), "cache", {})
    providers._get_local_constants = providers.Constants
    cache.clear()  # drop inputs already derived from local constants by earlier runs in this process
    try:
        yield
    finally:
        providers._get_local_constants = original
        cache.clear()


def hypothesis_search(model: Model, max_examples: int = 1000, max_steps: int = 60) -> Search:
    """Let Hypothesis drive the model as a RuleBasedStateMachine; count test cases until the first failure."""
    from hypothesis import HealthCheck, Phase, settings
    from hypothesis import strategies as st
    from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

    check_type("model", model, Model)
    max_examples = check_int("max_examples", max_examples, lo=1, hi=100_000)
    max_steps = check_int("max_steps", max_steps, lo=1, hi=10_000)
    seen = {"runs": 0, "steps": 0, "first": None}

    class Machine(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            self.state, self.actions = model.initial, []
            seen["runs"] += 1

        @rule(pick=st.integers(min_value=0, max_value=63))
        def step(self, pick):
            pairs = _expand(model, self.state, paranoid=False)
            if pairs:
                action, self.state = pairs[pick % len(pairs)]
                self.actions.append(action)
                seen["steps"] += 1

        @invariant()
        def properties_hold(self):
            broken = _broken(model, self.state)
            if broken and seen["first"] is None:
                seen["first"] = (seen["runs"], broken)
            assert broken is None, broken

    config = settings(max_examples=max_examples, stateful_step_count=max_steps, derandomize=True,
                      database=None, deadline=None, suppress_health_check=list(HealthCheck),
                      report_multiple_bugs=False, print_blob=False,
                      phases=(Phase.explicit, Phase.generate))  # count runs to the first failure; no shrinking
    with contextlib.suppress(AssertionError), repeatable_hypothesis():
        run_state_machine_as_test(Machine, settings=config)
    if seen["first"] is None:
        return Search("Hypothesis stateful", None, max_examples, seen["steps"], None)
    return Search("Hypothesis stateful", seen["first"][0], max_examples, seen["steps"], seen["first"][1])


def trace_events(result) -> list:
    """Return a counterexample's actions as course_lib.trace.Event rows (time = step number).

    *result* is a :class:`Result` or a plain sequence of actions (for example Spin's translated trail).
    """
    from .trace import Event

    if isinstance(result, Result):
        actions = result.actions
    elif isinstance(result, (list, tuple)):
        actions = tuple(result)
    else:
        raise TypeError(f"result must be a Result or a sequence of actions, got {type(result).__name__}")
    events = []
    for i, action in enumerate(actions, start=1):
        actor = str(_actor(action))
        kind = getattr(action, "kind", None)
        if kind is None:
            kind = str(action[1]) if isinstance(action, tuple) and len(action) > 1 else str(action)
        events.append(Event(float(i), actor, kind, getattr(action, "detail", ""), {"step": i}))
    return events
