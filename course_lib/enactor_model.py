"""The DNS Enactors as a model for the checker: every step of the post-event summary, every interleaving.

The steps follow the PES [S1a][S1c][S1d]: the Planner publishes a new generation of the plan; an Enactor
**takes** the newest plan and checks **once** that it is newer than the plan applied; it **applies** the
plan one endpoint at a time (each write a Route 53 transaction that points the endpoint's alias at the
plan's record tree [S2]); then it **cleans up**, deleting plans at least ``K`` generations older than the
one it applied, one deletion per step.  Any Enactor may be arbitrarily slow between two steps: that is
how the checker plays the "unusually high delays" [S1c].

When an alias points at a deleted tree the zone is inconsistent and no Enactor can apply a plan [S1d]:
the stuck state.  Chapter 2's fixes are switches with the same names:

- ``recheck_at_write``: the write is conditional on the alias's current generation (skip if newer);
- ``protect_active``: clean-up never deletes a plan some alias points at (conditional delete);
- ``freeze_on_inconsistency``: clean-up that finds an old plan active, or an Enactor that finds an alias
  pointing at a deleted tree, freezes the automation and raises an alarm; the operator then stops the
  automation and re-points any broken alias at a surviving tree [S2].

Model choices (no published numbers): the counts of generations and endpoints, the threshold ``K``
("significantly older" has no published value), and the operator's repair as a single step.
"""

from __future__ import annotations

import contextlib
from typing import NamedTuple

from .modelcheck import Model
from .validate import check_choice, check_int

__all__ = [
    "ENDPOINT_NAMES",
    "FIXES",
    "PROPERTIES",
    "Enactor",
    "EnactorState",
    "Step",
    "Zone",
    "canonical",
    "describe",
    "enactor_model",
    "inconsistent",
    "initial_state",
    "is_active",
    "newest_plan_active",
    "race_events",
    "state_explosion",
    "successors",
]

FIXES = ("recheck_at_write", "protect_active", "freeze_on_inconsistency")
ENDPOINT_NAMES = ("regional", "ipv6", "fips", "account")  # endpoint 0 is the public regional endpoint [S1e]
IDLE, APPLY, CLEANUP = "idle", "apply", "cleanup"


class Enactor(NamedTuple):
    """One Enactor's local state: what it is doing, the plan it holds, where it is in its work."""

    pc: str = IDLE
    plan: int = 0
    endpoint: int = 0
    to_delete: tuple[int, ...] = ()


class Zone(NamedTuple):
    """The whole system's state: the Planner, the plan trees and aliases in Route 53, the Enactors.

    Named tuples are immutable and hash fast: ``z._replace(...)`` builds the next state.
    """

    latest: int  # newest generation the Planner has published
    stored: frozenset[int]  # generations whose record trees exist in Route 53
    alias: tuple[int, ...]  # per endpoint: the generation its alias points at
    enactors: tuple[Enactor, ...]
    frozen: bool = False  # fix 3: automation halted and alarmed
    regressed: bool = False  # history: some write pointed an alias at an older generation
    deleted_active: bool = False  # history: some deletion removed a tree an alias pointed at


EnactorState = Zone


class Step(NamedTuple):
    """One action of the model: who did what (drawn as one event of a swimlane)."""

    actor: str
    kind: str
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.actor}: {self.kind} {self.detail}".rstrip()


def inconsistent(z: Zone) -> bool:
    """Return True if some alias points at a record tree that no longer exists."""
    return any(g not in z.stored for g in z.alias)


def record_never_empty(z: Zone) -> bool:
    """Every endpoint's alias points at an existing tree, so DNS answers with addresses."""
    return not inconsistent(z)


def generation_never_decreases(z: Zone) -> bool:
    """No write has ever pointed an alias at an older plan than the one it replaced."""
    return not z.regressed


def active_never_deleted(z: Zone) -> bool:
    """No clean-up has ever deleted the tree of a plan that an alias pointed at."""
    return not z.deleted_active


PROPERTIES = {
    "record never empty": record_never_empty,
    "applied generation never decreases": generation_never_decreases,
    "active plan never deleted": active_never_deleted,
}


def _set(t: tuple, i: int, value) -> tuple:
    return (*t[:i], value, *t[i + 1:])


def is_active(z: Zone, g: int) -> bool:
    """Return True if some endpoint's alias points at plan *g* (what protect_active refuses to delete)."""
    return g in z.alias


def _enactor_steps(z: Zone, i: int, e: Enactor, fixes: frozenset, K: int, protect=is_active):
    """Yield the steps Enactor *i* can take now."""
    me = f"Enactor {i + 1}"
    if z.frozen:
        return
    if e.pc == CLEANUP:  # deletions go ahead even in a broken zone: they do not read the alias
        g, rest = e.to_delete[0], e.to_delete[1:]
        nxt = _set(z.enactors, i, e._replace(to_delete=rest) if rest else Enactor())
        if "protect_active" in fixes and protect(z, g):
            yield Step(me, "keep", f"plan {g} (active)"), z._replace(enactors=nxt)
            return
        if "freeze_on_inconsistency" in fixes and g in z.alias:  # an old plan is live: something is wrong
            yield Step(me, "freeze", f"alarm: old plan {g} is active"), z._replace(frozen=True)
            return
        yield Step(me, "delete", f"plan {g}"), z._replace(stored=z.stored - {g}, enactors=nxt,
                                                       deleted_active=z.deleted_active or g in z.alias)
        return
    if inconsistent(z):  # the alias points nowhere: no plan update can be applied [S1d]
        if "freeze_on_inconsistency" in fixes:
            yield Step(me, "freeze", "alarm: alias points at a deleted plan"), z._replace(frozen=True)
        return
    if e.pc == IDLE:
        if z.latest > z.alias[0]:  # the one-time freshness check [S1a]
            yield (Step(me, "take", f"plan {z.latest} (check {z.latest} > {z.alias[0]})"),
                   z._replace(enactors=_set(z.enactors, i, Enactor(APPLY, z.latest))))
        return
    g, ep = e.plan, e.endpoint
    done = ep + 1 == len(z.alias)
    old = sorted(h for h in z.stored if h <= g - K)
    after = Enactor(CLEANUP, g, 0, tuple(old)) if done and old else Enactor() if done else e._replace(endpoint=ep + 1)
    name = ENDPOINT_NAMES[ep]
    if g not in z.stored:  # Route 53 rejects an alias to a missing tree: give the plan up
        yield Step(me, "abandon", f"plan {g} (deleted)"), z._replace(enactors=_set(z.enactors, i, Enactor()))
    elif "recheck_at_write" in fixes and z.alias[ep] >= g:
        yield Step(me, "skip", f"{name}: has plan {z.alias[ep]}"), z._replace(enactors=_set(z.enactors, i, after))
    else:
        yield (Step(me, "apply", f"plan {g} to {name}"),
               z._replace(alias=_set(z.alias, ep, g), enactors=_set(z.enactors, i, after),
                       regressed=z.regressed or g < z.alias[ep]))


def successors(z: Zone, generations: int, K: int, fixes: frozenset, protect=is_active, operator: bool = True):
    """Yield every (step, next zone) pair enabled in zone *z*."""
    if z.latest < generations:
        yield Step("Planner", "publish", f"plan {z.latest + 1}"), z._replace(
            latest=z.latest + 1, stored=z.stored | {z.latest + 1})
    for i, e in enumerate(z.enactors):
        yield from _enactor_steps(z, i, e, fixes, K, protect)
    if z.frozen and operator:  # the alarm pages a human, who stops automation and re-points the aliases [S2]
        fixed = tuple(g if g in z.stored else max(z.stored) for g in z.alias)
        yield Step("Operator", "repair", f"re-point aliases at plan {max(z.stored)}"), z._replace(
            alias=fixed, frozen=False, enactors=tuple(Enactor() for _ in z.enactors))


def initial_state(enactors: int, endpoints: int) -> Zone:
    """Return the starting zone: plan 1 published and active on every endpoint, all Enactors idle."""
    return Zone(1, frozenset({1}), (1,) * endpoints, (Enactor(),) * enactors)


def canonical(z: Zone) -> Zone:
    """Return the symmetric representative of *z*: Enactors are interchangeable, so sort them."""
    return z._replace(enactors=tuple(sorted(z.enactors)))


def newest_plan_active(generations: int):
    """Return the goal of recoverability: the regional endpoint serves the newest plan, every record resolves."""
    def goal(z: Zone) -> bool:
        return z.alias[0] == generations and not z.frozen and not inconsistent(z)
    return goal


def enactor_model(enactors: int = 3, generations: int = 4, endpoints: int = 2, K: int = 2,
                  fixes=(), symmetry: bool = False, properties=None, protect=is_active,
                  operator: bool = True) -> Model:
    """Return the Enactor model with the given sizes, Chapter 2's *fixes* switched on, and its properties.

    *protect(zone, generation)* says which plans protect_active keeps; pass another function to try a
    different protection rule.  With ``operator=False`` nobody answers the alarm of a frozen zone.
    """
    n = check_int("enactors", enactors, lo=1, hi=4)
    g = check_int("generations", generations, lo=1, hi=8)
    m = check_int("endpoints", endpoints, lo=1, hi=len(ENDPOINT_NAMES))
    k = check_int("K", K, lo=1, hi=8)
    if isinstance(fixes, str):
        fixes = (fixes,)
    fixes = frozenset(check_choice("fix", f, FIXES) for f in fixes)
    label = "+".join(f for f in FIXES if f in fixes) or "no fixes"
    return Model(f"Enactors={n} generations={g} endpoints={m} K={k} [{label}]",
                 initial_state(n, m), lambda z: successors(z, g, k, fixes, protect, operator),
                 dict(PROPERTIES if properties is None else properties),
                 goal=newest_plan_active(g), canonical=canonical if symmetry else None)


def state_explosion(enactors: int = 3, generations: int = 4, endpoints: int = 2, K: int = 2,
                    max_states: int = 60_000, fixes=FIXES) -> list[dict]:
    """Count the states of the model with *fixes* for 1..*enactors* Enactors, with and without symmetry.

    Each row says which searches hit the *max_states* budget ("bounded_states", "bounded_sym"): their
    counts are lower bounds, and their times are the time to the budget, not to the end of the search.
    """
    from .modelcheck import BOUNDED, check

    n = check_int("enactors", enactors, lo=1, hi=4)
    generations = check_int("generations", generations, lo=2, hi=8)
    threshold = check_int("K", K, lo=1)
    if threshold >= generations:  # clean-up deletes plans at least K older: with K >= generations, none
        raise ValueError(f"K (clean-up threshold) must be below the number of generations ({generations}), "
                         f"got {threshold}: with K >= generations clean-up never deletes a plan")
    budget = check_int("max_states", max_states, lo=1)
    fixes = (fixes,) if isinstance(fixes, str) else tuple(fixes)
    label = "fixed model (all fixes on)" if set(fixes) == set(FIXES) else \
        ("buggy model (no fixes)" if not fixes else f"model with {' + '.join(fixes)}")
    rows = []
    for k in range(1, n + 1):
        # no properties: a violation would stop the search early, and here we count every reachable state
        full = check(enactor_model(k, generations, endpoints, threshold, fixes, properties={}), max_states=budget)
        sym = check(enactor_model(k, generations, endpoints, threshold, fixes, symmetry=True, properties={}),
                    max_states=budget)
        rows.append({"enactors": k, "states": full.states, "seconds": full.seconds, "states_sym": sym.states,
                     "seconds_sym": sym.seconds, "bounded_states": full.verdict == BOUNDED,
                     "bounded_sym": sym.verdict == BOUNDED, "bounded": BOUNDED in (full.verdict, sym.verdict),
                     "budget": budget, "model": label})
    return rows


def describe(z: Zone) -> str:
    """Describe a zone in words: the newest plan, the plans stored, where each alias points, the Enactors."""
    aliases = ", ".join(f"{ENDPOINT_NAMES[i]} -> plan {g}{'' if g in z.stored else ' (DELETED)'}"
                        for i, g in enumerate(z.alias))
    jobs = "; ".join(f"Enactor {i + 1} {e.pc}" + (f" plan {e.plan}" if e.pc != IDLE else "")
                     for i, e in enumerate(z.enactors))
    flags = " FROZEN+ALARM" if z.frozen else ""
    return f"newest plan {z.latest}; stored {sorted(z.stored)}; {aliases}; {jobs}{flags}"


# --- randomised testing over Chapter 2's simulation (imported late: Chapter 2 is a separate module) ---

def chapter2_random_search(prop: str = "record never empty", fixes=(), runs: int = 1000, **params):
    """Run Chapter 2's random scenario for seeds 0, 1, 2, ... until *prop* fails; return a Search."""
    from .dns_race import PROPERTIES as CH2
    from .dns_race import run_random
    from .modelcheck import Search

    check_choice("prop", prop, CH2)
    runs = check_int("runs", runs, lo=1)
    steps = 0
    for seed in range(runs):
        result = run_random(seed, tuple(fixes), **params)
        steps += len(result.trace)
        if not CH2[prop](result).holds:
            return Search("Chapter 2 random seeds", seed + 1, runs, steps, prop)
    return Search("Chapter 2 random seeds", None, runs, steps, None)


def chapter2_hypothesis_search(prop: str = "record never empty", fixes=(), max_examples: int = 200, **params):
    """Let Hypothesis choose seeds and delay spreads for Chapter 2's random scenario; count cases to a failure."""
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import strategies as st

    from .dns_race import PROPERTIES as CH2
    from .dns_race import run_random
    from .modelcheck import Search, repeatable_hypothesis

    check_choice("prop", prop, CH2)
    max_examples = check_int("max_examples", max_examples, lo=1)
    seen = {"runs": 0, "steps": 0, "first": None}

    @settings(max_examples=max_examples, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck), print_blob=False,
              phases=(Phase.explicit, Phase.generate))  # stop at the first failure: no shrinking needed
    @given(seed=st.integers(0, 2**31 - 1), sigma=st.floats(0.2, 1.5))
    def race_never_happens(seed, sigma):
        seen["runs"] += 1
        result = run_random(seed, tuple(fixes), **{"sigma": sigma, **params})
        seen["steps"] += len(result.trace)
        holds = CH2[prop](result).holds
        if not holds and seen["first"] is None:
            seen["first"] = seen["runs"]
        assert holds

    with contextlib.suppress(AssertionError), repeatable_hypothesis():
        race_never_happens()
    return Search("Hypothesis over Chapter 2", seen["first"], max_examples, seen["steps"],
                  prop if seen["first"] else None)


_KINDS = {"publish": "plan", "take": "check"}  # this model's step names -> Chapter 2's event kinds


def race_events(result) -> list:
    """Return a counterexample as Chapter 2-style events (one per step), ready for its swimlane plotter."""
    from .trace import Event

    events = []
    for i, (step, before) in enumerate(zip(result.actions, result.trace, strict=False), start=1):
        data = {"step": i}
        if step.kind == "delete":
            g = int(step.detail.split()[-1])
            data["deleted_active"] = [ENDPOINT_NAMES[j] for j, a in enumerate(before.alias) if a == g]
        events.append(Event(float(i), step.actor, _KINDS.get(step.kind, step.kind), step.detail, data))
    return events
