"""The DNS Enactor race of 19 October 2025, as a deterministic event simulation.

What the record says: a DNS Planner produces successive *generations* of one regional plan (load balancers
and weights) shared by several endpoints [S1a][S1c]; three Enactors, fully independent, each take the newest
plan, check **once, at the start** that it is newer than the plan applied before, then walk the endpoints,
replacing the plan with a Route 53 transaction and retrying an endpoint when blocked [S1a][S1c][S1e]; when
done, an Enactor's clean-up deletes plans "significantly older" than the one it just applied [S1c][S1d].
Plans are record trees; a top-level alias points at the active tree; older trees are kept as rollback trees
[S2].  The one-time check went stale, an old plan overwrote the regional endpoint, clean-up deleted it, the
record went empty and no Enactor could apply later plans [S1c][S1d][S1e].

The zone layout, the rules (and ``FIXES``) and the properties come from ``course_lib.dns``; this module is
the mechanism in time: the Planner, three Enactors and their clean-up as ``events.Scheduler`` processes,
every zone change a Route 53 change batch on a ``HostedZone``.

* ``run_published(fixes=())`` replays the PES sequence (steps 1–7); ``run_scenario(**params)`` is the same
  scenario with other parameters (``SPEC`` declares each one's range, default and label once);
  ``run_random(seed, fixes=(), **params)`` draws lognormal per-endpoint delays and lock losses from a seed;
  ``replay(steps, ...)`` executes a model checker's counterexample through the same strategies.
* ``RaceResult``: ``.trace`` (``Event`` list; zone-changing events carry a ``snapshot``), ``.zone``,
  ``.answers`` / ``.active`` (regional answer and alias generation over time), ``.stuck``, ``.frozen``,
  ``.alarms``, ``.runs`` / ``.locks`` (work accounting), ``.params``; ``.verdicts()`` judges the trace with
  ``course_lib.dns.properties`` (see ``dns_race_properties``).
* Strategies are plain functions, swappable per run: ``apply(zone, endpoint, generation, ips) -> bool``
  (``apply_as_published``, ``apply_fenced``) and ``cleanup(zone, endpoint, generation, applied, K) -> bool``
  (``delete_if_old``, ``delete_if_old_and_inactive``).

Model choices (no published number or mechanism): time in seconds; the Planner's period; K; the per-endpoint
and clean-up step times; the lock lease; Enactors walk the variants first and the regional endpoint last;
the "previously applied plan" of the start check is the regional alias's generation; an Enactor never gives
up on an endpoint.  The stuck state: an Enactor starts by reading the current plan of every endpoint and
cannot build its change set if an alias points at a deleted tree, so it stops ("blocked") — consistent with
the PES's "inconsistent state that prevented subsequent plan updates" [S1d]; why AWS's Enactors were blocked
is not published (INTERPRETATION).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .dns.layout import ENDPOINTS as LAYOUT_ENDPOINTS
from .dns.layout import (
    REGIONAL_ENDPOINT,
    alias_generation,
    alias_record,
    label,
    lock_name,
    tree_generation,
    tree_name,
    tree_record,
)
from .dns.layout import (
    tree_generations as layout_tree_generations,
)
from .dns.properties import Snapshot
from .dns.rules import FIXES, check_fixes, delete_rule, freeze_rule, start_action, take_rule, write_rule
from .dns_race_properties import (
    PROPERTIES,
    PropertyVerdict,
    active_plan_never_deleted,
    became_stale_index,
    check_all,
    generation_never_decreases,
    pes_steps,
    record_never_empty,
    slow_run_finished,
    summarize,
)
from .events import Scheduler
from .params import Param, Spec
from .r53lock import holder_of, release, try_acquire
from .route53 import Change, HostedZone, Record
from .trace import Event
from .validate import check_int, check_number, check_type

__all__ = [
    "ACTORS",
    "ENDPOINTS",
    "FIXES",
    "FIX_SPEC",
    "PROPERTIES",
    "PUBLISHED",
    "RANDOM",
    "RANDOM_SPEC",
    "REGIONAL_ENDPOINT",
    "SPEC",
    "Plan",
    "Planner",
    "PropertyVerdict",
    "RaceResult",
    "ReplayMismatch",
    "active_plan_never_deleted",
    "alias_generation",
    "alias_record",
    "apply_as_published",
    "apply_fenced",
    "became_stale_index",
    "check_all",
    "delete_if_old",
    "delete_if_old_and_inactive",
    "fenced_delete",
    "generation_never_decreases",
    "pes_steps",
    "record_never_empty",
    "replay",
    "run_published",
    "run_random",
    "run_scenario",
    "short",
    "slow_run_finished",
    "summarize",
    "tree_generation",
    "tree_name",
    "tree_record",
]

ENDPOINTS = LAYOUT_ENDPOINTS[:3]  # the published scenario walks the regional, IPv6 and FIPS endpoints
ACTORS = ("Planner", "Enactor 1", "Enactor 2", "Enactor 3", "clean-up")
LEASE = 30.0  # lock lease in seconds: a model choice, longer than any single apply here
MAX_PLANS = 20_000  # horizon / period: more generations than a kernel should wait for
MAX_RUNS = 10_000  # horizon / run_interval per Enactor
short = label  # an endpoint's short label for timelines, from the one layout table

# The scenario's parameters, declared once: the model validates with them, the widget builds its controls
# from them.  Every default is a model choice picked so the PES order of steps happens.
SPEC = Spec([
    Param("slow_delay", 1.5, lo=0, hi=1000, label="slow Enactor delay / endpoint", unit="s", step=0.25,
          view=(0.0, 4.0), help="Enactor 1's extra delay before each endpoint (the PES's unusually high delays)"),
    Param("lock_losses", 2, "int", lo=0, hi=1000, label="lost lock attempts / endpoint", view=(0, 6)),
    Param("period", 1.0, lo=0.01, hi=1000, label="planner period", unit="s", step=0.25, view=(0.25, 3.0)),
    Param("K", 5, "int", lo=1, hi=1000, label="K (clean-up threshold)", view=(1, 12)),
    Param("n_endpoints", 3, "int", lo=1, hi=len(ENDPOINTS), label="endpoints"),
    Param("endpoint_time", 0.1, lo=0, hi=1000, label="per-endpoint time", unit="s", step=0.05,
          view=(0.05, 0.5)),
    Param("retry_after", 0.5, lo=0.001, hi=1000, label="lock retry wait", unit="s"),
    Param("cleanup_step", 0.15, lo=0, hi=1000, label="clean-up step", unit="s"),
    Param("run_interval", 3.0, lo=0.01, hi=10_000, label="pause between runs", unit="s"),
    Param("horizon", 15.0, lo=0, lo_open=True, hi=10_000, label="horizon", unit="s"),
    Param("n_lbs", 4, "int", lo=1, hi=64, label="load balancers"),
])
PUBLISHED = {**SPEC.defaults, "starts": (1.05, 8.3, 11.0)}  # when each Enactor starts its first run

# Fix switches as widget toggles (the names are rules.FIXES).
FIX_SPEC = Spec([
    Param("recheck_at_write", False, "bool", label="fix 1: recheck at write"),
    Param("protect_active", False, "bool", label="fix 2: protect active"),
    Param("freeze_on_inconsistency", False, "bool", label="fix 3: freeze + alarm"),
])

RANDOM_SPEC = Spec([
    *(SPEC[name] for name in ("period", "n_endpoints", "retry_after", "cleanup_step", "n_lbs")),
    Param("K", 3, "int", lo=1, hi=1000, label="K (clean-up threshold)"),
    Param("endpoint_time", 0.05, lo=0, hi=1000, label="per-endpoint time", unit="s"),
    Param("run_interval", 2.0, lo=0.01, hi=10_000, label="pause between runs", unit="s"),
    Param("horizon", 40.0, lo=0, lo_open=True, hi=10_000, label="horizon", unit="s"),
    Param("median_delay", 0.3, lo=0, lo_open=True, hi=100, label="median delay / endpoint", unit="s"),
    Param("sigma", 1.5, lo=0, hi=5, label="delay spread σ (log scale)"),
    Param("loss_prob", 0.3, lo=0, hi=0.95, label="lock loss probability"),
])
RANDOM = RANDOM_SPEC.defaults


# --- plans ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Plan:
    """One generation of the regional plan: load balancer IPs with weights."""

    generation: int
    created_at: float
    weights: tuple[tuple[str, int], ...]

    @property
    def ips(self) -> tuple[str, ...]:
        return tuple(ip for ip, w in self.weights if w > 0)


class Planner:
    """Produce plan generations from a seeded view of the load balancer fleet."""

    def __init__(self, n_lbs: int = 4, seed: int = 0):
        self.n_lbs = check_int("n_lbs", n_lbs, lo=1, hi=64)
        self.rng = np.random.default_rng(check_int("seed", seed, lo=0))

    def plan(self, generation: int, now: float) -> Plan:
        """Return plan *generation*: each load balancer weighted 0–3, 0 meaning drained (a model choice)."""
        generation, now = check_int("generation", generation, lo=1), check_number("now", now, lo=0)
        weights = self.rng.integers(0, 4, self.n_lbs)
        weights[int(np.argmax(weights))] += 1  # a plan always keeps at least one load balancer in service
        return Plan(generation, now, tuple((f"10.0.0.{i + 1}", int(w)) for i, w in enumerate(weights)))


# --- strategies: how an Enactor writes and what clean-up deletes -------------------------------------

def _points_at(zone: HostedZone, name: str) -> bool:
    """Return True if any alias in the zone targets *name*."""
    return any(r.type == "ALIAS" and r.values[0] == name for r in zone.records())


def _check_write(zone, endpoint, generation, ips) -> None:
    check_type("zone", zone, HostedZone)
    tree_name(generation, endpoint)  # validates the generation and the endpoint
    if isinstance(ips, (str, bytes)) or not isinstance(ips, (tuple, list)) or not ips:
        raise TypeError(f"ips must be a non-empty tuple of IP address strings, got {ips!r:.60}")
    for ip in ips:
        check_type("each ip", ip, str)


def _create_tree(zone: HostedZone, endpoint: str, generation: int, ips) -> list[Change]:
    return [] if zone.get(tree_name(generation, endpoint)) else [Change("CREATE", tree_record(generation, endpoint, ips))]


def apply_as_published(zone: HostedZone, endpoint: str, generation: int, ips: tuple[str, ...]) -> bool:
    """Point the alias at the plan's tree in one batch, whatever the alias holds now."""
    _check_write(zone, endpoint, generation, ips)
    zone.change([*_create_tree(zone, endpoint, generation, ips), Change("UPSERT", alias_record(endpoint, generation))])
    return True


def apply_fenced(zone: HostedZone, endpoint: str, generation: int, ips: tuple[str, ...]) -> bool:
    """Apply only if the plan is newer than the alias's generation; the exact DELETE makes it conditional."""
    _check_write(zone, endpoint, generation, ips)
    current = zone.get(endpoint, "ALIAS")
    if not write_rule(generation, alias_generation(zone, endpoint), ("recheck_at_write",)):
        return False  # a newer (or the same) plan is already live: the fencing token says no
    batch = _create_tree(zone, endpoint, generation, ips)
    if current is not None:
        batch.append(Change("DELETE", current))
    return zone.try_change([*batch, Change("CREATE", alias_record(endpoint, generation))])


def delete_if_old(zone: HostedZone, endpoint: str, generation: int, applied: int, K: int) -> bool:
    """Delete a tree that is K or more generations older than the plan just applied (age alone)."""
    check_type("zone", zone, HostedZone)
    tree_name(generation, endpoint)
    return delete_rule(generation, applied, K, active=False)


def delete_if_old_and_inactive(zone: HostedZone, endpoint: str, generation: int, applied: int, K: int) -> bool:
    """Delete an old tree only if no alias points at it."""
    check_type("zone", zone, HostedZone)
    active = _points_at(zone, tree_name(generation, endpoint))
    return delete_rule(generation, applied, K, active, ("protect_active",))


def fenced_delete(zone: HostedZone, generation: int, endpoints) -> list[Change]:
    """Return one batch deleting plan *generation*'s trees, fenced on each endpoint's alias as read now."""
    # DELETE + CREATE of the unchanged alias is a precondition: the exact DELETE fails if another Enactor
    # moved the alias between clean-up's read and this write, and the whole batch is rejected with it.
    # In the simulator read and write happen at one instant, so the fence never fires here; in Route 53 a
    # check followed by a separate delete would need it (the same trap as the Enactor's one-time check).
    check_type("zone", zone, HostedZone)
    if isinstance(endpoints, str) or not isinstance(endpoints, (tuple, list)) or not endpoints:
        raise TypeError(f"endpoints must be a non-empty list of endpoint names, got {endpoints!r:.60}")
    trees = [zone.get(tree_name(generation, ep)) for ep in endpoints]
    missing = [ep for ep, tree in zip(endpoints, trees, strict=True) if tree is None]
    if missing:
        raise ValueError(f"generation {generation}: endpoints must each hold a tree of that plan; {missing[0]} has none")
    batch = [Change("DELETE", tree) for tree in trees]
    for ep in endpoints:
        alias = zone.get(ep, "ALIAS")
        if alias is not None:
            batch += [Change("DELETE", alias), Change("CREATE", alias)]
    return batch


# --- the result -------------------------------------------------------------------------------------

@dataclass
class RaceResult:
    """What one run produced: the trace, the final zone, the regional answer over time, and accounting."""

    trace: list[Event]
    zone: HostedZone
    answers: list[tuple[float, tuple[str, ...]]]
    active: list[tuple[float, int | None]]
    plans: list[Plan]
    stuck: bool
    frozen: bool
    alarms: list[str]
    runs: dict[str, int]
    locks: dict[str, int]
    params: dict
    fixes: tuple[str, ...] = ()
    endpoints: tuple[str, ...] = field(default=ENDPOINTS)
    initial: Snapshot | None = None  # the zone before the first change, for the change properties
    step_of_event: tuple[int, ...] = ()  # replay only: the index of the replayed step behind each event

    def verdicts(self) -> dict[str, PropertyVerdict]:
        """Return every property's verdict on this result."""
        return check_all(self)


# --- the mechanism: the Planner, three Enactors and clean-up as scheduler processes ------------------

PHANTOM = Record("lock.phantom", "TXT", ("another-writer 0",))  # a stale read: its exact DELETE cannot match


class World:
    """The shared state of one run: zone, plans, trace and the accounting of runs and lock attempts."""

    def __init__(self, p, fixes, apply, cleanup, delays, seed):
        self.p, self.fixes, self.apply, self.cleanup, self.delays = p, fixes, apply, cleanup, delays
        self.endpoints = LAYOUT_ENDPOINTS[: p["n_endpoints"]]
        # Model choice: the variants first, the regional endpoint last (the PES's slow Enactor retried
        # several endpoints before it reached the regional one [S1c]).
        self.walk = self.endpoints[1:] + self.endpoints[:1]
        self.planner = Planner(p["n_lbs"], seed)
        first = self.planner.plan(1, 0.0)
        self.plans = [first]
        self.zone = HostedZone([r for ep in self.endpoints
                                for r in (tree_record(1, ep, first.ips), alias_record(ep, 1))])
        self.initial = Snapshot.of_zone(self.zone, self.endpoints)
        self.sim = Scheduler()
        self.trace: list[Event] = []
        self.answers = [(0.0, self.zone.resolve(REGIONAL_ENDPOINT))]
        self.active = [(0.0, 1)]
        self.runs = dict(started=0, done=0, blocked=0, frozen=0, pending=0)
        self.locks = dict(attempts=0, won=0, lost=0)
        self.frozen, self.stuck, self.alarms = False, False, []

    def log(self, actor: str, kind: str, detail: str = "", changed: bool = False, **data) -> None:
        """Append an event; after a zone change, attach the snapshot and extend the answer strips."""
        if changed:
            data["answers"] = {ep: self.zone.resolve(ep) for ep in self.endpoints}
            data["snapshot"] = snap = Snapshot.of_zone(self.zone, self.endpoints)
            data["aliases"] = dict(zip(self.endpoints, snap.aliases, strict=True))
            answer, gen = data["answers"][REGIONAL_ENDPOINT], snap.aliases[0]
            if answer != self.answers[-1][1]:
                self.answers.append((self.sim.now, answer))
            if gen != self.active[-1][1]:
                self.active.append((self.sim.now, gen))
        self.trace.append(Event(round(self.sim.now, 6), actor, kind, detail, data))

    def dangling(self) -> list[str]:
        """Return the endpoints whose alias points at a tree that no longer exists."""
        return [ep for ep in self.endpoints
                if (a := self.zone.get(ep, "ALIAS")) is not None and self.zone.get(a.values[0]) is None]

    def freeze(self, actor: str, why: str) -> None:
        """Stop all automation and raise an alarm for an operator (fix 3)."""
        self.frozen = True
        self.alarms.append(f"t={self.sim.now:g} {actor}: {why}")
        self.log(actor, "freeze", f"alarm: {why}")

    def result(self) -> RaceResult:
        """Return the run's RaceResult."""
        self.stuck = self.stuck or bool(self.dangling())
        return RaceResult(trace=self.trace, zone=self.zone, answers=self.answers, active=self.active,
                          plans=self.plans, stuck=self.stuck, frozen=self.frozen, alarms=self.alarms,
                          runs=self.runs, locks=self.locks, params=dict(self.p), fixes=tuple(self.fixes),
                          endpoints=self.endpoints, initial=self.initial)


def planner(w: World):
    """Produce a new plan generation every period."""
    while True:
        yield w.p["period"]
        publish(w)


def publish(w: World) -> Plan:
    """Let the Planner publish the next generation."""
    plan = w.planner.plan(len(w.plans) + 1, w.sim.now)
    w.plans.append(plan)
    w.log("Planner", "plan", f"generation {plan.generation}", generation=plan.generation)
    return plan


def enactor(w: World, index: int):
    """Start a run at this Enactor's offset, then again run_interval after each run ends."""
    yield w.p["starts"][index - 1]
    while True:
        w.runs["started"] += 1
        w.runs["pending"] += 1
        outcome = yield from enactor_run(w, index)
        w.runs["pending"] -= 1
        w.runs[outcome] += 1
        yield w.p["run_interval"]


def take_plan(w: World, name: str) -> Plan | str:
    """Start a run: read the zone, take the newest plan and check it once; return the plan or the outcome."""
    if w.frozen:
        w.log(name, "frozen", "automation frozen: waiting for an operator")
        return "frozen"
    missing = w.dangling()
    action = start_action(bool(missing), w.fixes)
    if action == "freeze":
        w.freeze(name, f"alias of {missing[0]} points at a deleted tree")
        return "frozen"
    if action == "blocked":
        w.stuck = True
        w.log(name, "blocked", f"current plan of {missing[0]} is gone", endpoint=missing[0])
        return "blocked"
    plan = w.plans[-1]
    g, applied = plan.generation, alias_generation(w.zone, REGIONAL_ENDPOINT)
    fresh = take_rule(g, applied)  # the one-time freshness check, made here and never again [S1a][S1c]
    w.log(name, "check", f"plan {g} newer than applied {applied}: {'yes' if fresh else 'no'}",
          generation=g, applied=applied, fresh=fresh)
    return plan if fresh else "done"


def write(w: World, name: str, endpoint: str, plan: Plan) -> bool:
    """Write the plan to one endpoint with the run's apply strategy; log the apply or the skip."""
    previous = alias_generation(w.zone, endpoint)
    wrote = w.apply(w.zone, endpoint, plan.generation, plan.ips)
    kind = "apply" if wrote else "skip"
    w.log(name, kind, f"plan {plan.generation} -> {short(endpoint)}" + ("" if wrote else " (a newer plan is live)"),
          changed=True, endpoint=endpoint, generation=plan.generation, previous=previous)
    return wrote


def enactor_run(w: World, index: int):
    """Take the newest plan, check it once, walk the endpoints, then clean up; return the outcome."""
    name = f"Enactor {index}"
    plan = take_plan(w, name)
    if isinstance(plan, str):
        return plan
    for endpoint in w.walk:
        before, losses, apply_time = w.delays(index, endpoint)
        yield before
        yield from take_lock(w, name, endpoint, losses)
        yield apply_time  # the lock is held while the change is prepared and sent
        if w.frozen:
            release(w.zone, lock_name(endpoint), name)
            w.log(name, "frozen", "automation frozen mid-run")
            return "frozen"
        write(w, name, endpoint, plan)
        release(w.zone, lock_name(endpoint), name)
    w.log(name, "done", f"plan {plan.generation} on all endpoints", generation=plan.generation)
    yield from clean_up(w, name, plan.generation)
    return "frozen" if w.frozen else "done"


def take_lock(w: World, name: str, endpoint: str, losses: int):
    """Retry the endpoint's lock until this Enactor holds it; *losses* attempts are lost to other writers."""
    lock = lock_name(endpoint)
    while True:
        w.locks["attempts"] += 1
        # A lost attempt is a read that went stale before the write: the exact DELETE does not match.
        seen = PHANTOM if losses > 0 else False
        if try_acquire(w.zone, lock, name, w.sim.now, LEASE, seen=seen):
            w.locks["won"] += 1
            return
        injected = losses > 0
        losses -= 1
        w.locks["lost"] += 1
        # An injected loss is the model's stand-in for the PES's unexplained delays: no other Enactor need
        # be running at that moment, so the trace says so rather than naming a holder.
        holder = holder_of(w.zone, lock, w.sim.now)
        why = "contention injected: model choice" if injected and holder is None else f"held by {holder}"
        w.log(name, "lock lost", f"{short(endpoint)} ({why})", endpoint=endpoint, injected=injected)
        yield w.p["retry_after"]


def older_generations(w: World, after: int, applied: int) -> list[int]:
    """Return the generations with a stored tree strictly between *after* and *applied*, oldest first."""
    return sorted({tree_generation(r.name) for r in w.zone.records()
                   if r.type == "A" and after < tree_generation(r.name) < applied})


def start_clean_up(w: World, name: str, applied: int) -> None:
    """Log the start of *name*'s clean-up after it applied plan *applied*."""
    w.log("clean-up", "clean-up start", f"{name}: plans {w.p['K']}+ generations older than {applied}",
          applied=applied, by=name)


def clean_up_step(w: World, name: str, visited: int, applied: int) -> str:
    """Judge one older generation with the run's clean-up strategy; return 'delete', 'keep', 'freeze' or ''."""
    K = w.p["K"]
    trees = [ep for ep in w.endpoints if w.zone.get(tree_name(visited, ep)) is not None]
    doomed = [ep for ep in trees if w.cleanup(w.zone, ep, visited, applied, K)]
    active = [ep for ep in doomed if alias_generation(w.zone, ep) == visited]
    if freeze_rule(w.fixes, deleting_active=bool(active)):
        w.freeze("clean-up", f"plan {visited} is old but active on {short(active[0])}")
        return "freeze"
    outcome = ""
    if doomed and w.zone.try_change(fenced_delete(w.zone, visited, doomed)):
        w.log("clean-up", "delete", f"plan {visited} ({len(doomed)} tree{'' if len(doomed) == 1 else 's'}), {name}'s clean-up", changed=True,
              generation=visited, deleted=doomed, deleted_active=active, by=name)
        outcome = "delete"
    elif doomed:  # cannot happen while each step is instant; in Route 53 it is the fence doing its job
        w.log("clean-up", "skip", f"plan {visited}: an alias moved since clean-up read it", by=name)
    kept = [ep for ep in trees if ep not in doomed and alias_generation(w.zone, ep) == visited]
    if kept and applied - visited >= K:
        w.log("clean-up", "keep", f"plan {visited}: active on {short(kept[0])}", generation=visited)
        outcome = outcome or "keep"
    return outcome


def clean_up(w: World, name: str, applied: int):
    """Visit older generations one step each, oldest first, deleting trees the clean-up rule selects."""
    start_clean_up(w, name, applied)
    visited = 0
    while gens := older_generations(w, visited, applied):
        visited = gens[0]
        yield w.p["cleanup_step"]  # clean-up re-reads the zone at each step: a newer write can slip in
        if w.frozen or clean_up_step(w, name, visited, applied) == "freeze":
            return


def _simulate(p: dict, fixes, apply, cleanup, delays, seed: int = 0) -> RaceResult:
    """Run the Planner and three Enactors until the horizon; return the RaceResult."""
    w = World(p, fixes, apply, cleanup, delays, seed)
    w.sim.process(planner(w), priority=0)  # a plan made at time t is visible to an Enactor starting at t
    for index in (1, 2, 3):
        w.sim.process(enactor(w, index))
    w.sim.run(until=p["horizon"])
    return w.result()


# --- entry points -----------------------------------------------------------------------------------

def _check_fixes(fixes) -> tuple[str, ...]:
    if isinstance(fixes, str) or not isinstance(fixes, (tuple, list, set, frozenset)):
        raise TypeError(f"fixes must be a tuple of fix names from {FIXES}, got {type(fixes).__name__} {fixes!r}")
    return check_fixes(fixes)


def _strategies(fixes, apply, cleanup) -> tuple[Callable, Callable]:
    for name, fn in (("apply", apply), ("cleanup", cleanup)):
        if fn is not None and not callable(fn):
            raise TypeError(f"{name} must be a function (a strategy) or None, got {type(fn).__name__} {fn!r}")
    apply = apply or (apply_fenced if "recheck_at_write" in fixes else apply_as_published)
    cleanup = cleanup or (delete_if_old_and_inactive if "protect_active" in fixes else delete_if_old)
    return apply, cleanup


def _check_sizes(p: dict) -> dict:
    # Bounds on the work a run can cost, so no slider or learner value keeps a kernel busy for minutes.
    if p["horizon"] / p["period"] > MAX_PLANS:
        raise ValueError(f"horizon / period must be at most {MAX_PLANS:,} plan generations, got "
                         f"horizon={p['horizon']:g}, period={p['period']:g}")
    if p["horizon"] / p["run_interval"] > MAX_RUNS:
        raise ValueError(f"horizon / run_interval must be at most {MAX_RUNS:,} runs per Enactor, got "
                         f"horizon={p['horizon']:g}, run_interval={p['run_interval']:g}")
    return p


def _check_starts(starts) -> tuple[float, float, float]:
    if not isinstance(starts, (tuple, list)) or len(starts) != 3:
        raise TypeError(f"starts must be a tuple of 3 start times (one per Enactor), got {starts!r}")
    return tuple(check_number("starts", s, lo=0, hi=10_000) for s in starts)


def run_scenario(fixes: tuple[str, ...] = (), apply: Callable | None = None, cleanup: Callable | None = None,
                 starts=PUBLISHED["starts"], **params) -> RaceResult:
    """Replay the published scenario with some parameters changed (a slider experiment)."""
    fixes = _check_fixes(fixes)
    p = _check_sizes({**SPEC.validate(params), "starts": _check_starts(starts)})
    apply, cleanup = _strategies(fixes, apply, cleanup)
    slow, losses, quick = p["slow_delay"], p["lock_losses"], p["endpoint_time"]

    def delays(enactor: int, endpoint: str) -> tuple[float, int, float]:
        # Enactor 1 is the one with "unusually high delays" and lost locks [S1c][S2]; the others are quick.
        return (slow, losses, quick) if enactor == 1 else (0.0, 0, quick)

    return _simulate(p, fixes, apply, cleanup, delays, seed=0)


def run_published(fixes: tuple[str, ...] = (), apply: Callable | None = None,
                  cleanup: Callable | None = None) -> RaceResult:
    """Replay the race as published (PES steps 1–7), optionally with fixes or learner strategies."""
    return run_scenario(fixes, apply, cleanup)


def run_random(seed: int, fixes: tuple[str, ...] = (), apply: Callable | None = None,
               cleanup: Callable | None = None, **params) -> RaceResult:
    """Run three Enactors with lognormal per-endpoint delays and random lock losses drawn from *seed*."""
    seed = check_int("seed", seed, lo=0, hi=2**63 - 1)
    fixes = _check_fixes(fixes)
    p = _check_sizes(RANDOM_SPEC.validate(params))
    apply, cleanup = _strategies(fixes, apply, cleanup)
    rng = np.random.default_rng(seed)
    p["starts"] = tuple(float(x) for x in rng.uniform(0, p["run_interval"] + 1e-9, 3))
    p.update(slow_delay=0.0, lock_losses=0)
    mu, sigma, q = np.log(p["median_delay"]), p["sigma"], p["loss_prob"]

    def delays(enactor: int, endpoint: str) -> tuple[float, int, float]:
        # Heavy tail: most walks are quick, a few are very slow (lognormal); losses are geometric.
        return float(rng.lognormal(mu, sigma)), int(rng.geometric(1 - q) - 1), p["endpoint_time"]

    return _simulate(p, fixes, apply, cleanup, delays, seed=seed)


# --- replaying a model checker's counterexample through the same mechanism ---------------------------

REPLAY_KINDS = ("publish", "take", "apply", "skip", "abandon", "delete", "keep", "freeze", "repair")
MAX_REPLAY_STEPS = 10_000


class ReplayMismatch(ValueError):
    """The simulator's strategies did not do what the replayed step says (the two models disagree)."""

    def __init__(self, index: int, step, why: str):
        super().__init__(f"step {index} ({step[0]}: {step[1]} {step[2]}): {why}")
        self.index, self.step, self.why = index, step, why


def _steps(steps, enactors: int) -> list[tuple[str, str, str]]:
    if isinstance(steps, (str, bytes)) or not hasattr(steps, "__iter__"):
        raise TypeError(f"steps must be a sequence of (actor, kind, detail) steps, got {type(steps).__name__}")
    out = []
    actors = ("Planner", "Operator", *(f"Enactor {i}" for i in range(1, enactors + 1)))
    for i, step in enumerate(steps):
        if i >= MAX_REPLAY_STEPS:
            raise ValueError(f"steps must hold at most {MAX_REPLAY_STEPS:,} steps")
        try:
            actor, kind, detail = (step.actor, step.kind, step.detail) \
                if hasattr(step, "kind") else tuple(step)
        except (TypeError, ValueError):
            raise TypeError(f"steps[{i}] must be a Step(actor, kind, detail) or a 3-tuple, got {step!r}") from None
        if not all(isinstance(x, str) for x in (actor, kind, detail)):
            raise TypeError(f"steps[{i}] must hold three strings (actor, kind, detail), got {step!r}")
        if actor not in actors:
            raise ValueError(f"steps[{i}]: unknown actor {actor!r}; choose one of: {', '.join(actors)}")
        if kind not in REPLAY_KINDS:
            raise ValueError(f"steps[{i}]: unknown step kind {kind!r}; choose one of: {', '.join(REPLAY_KINDS)}")
        out.append((actor, kind, detail))
    return out


def _numbers(detail: str) -> list[int]:
    return [int(x) for x in re.findall(r"\d+", detail)]


def _endpoint_in(detail: str, endpoints) -> str | None:
    labels = {label(ep): ep for ep in endpoints}
    return next((labels[w] for w in re.findall(r"[a-z0-9]+", detail) if w in labels), None)


def replay(steps, *, enactors: int = 3, endpoints: int = 2, K: int = 2, fixes=(), apply: Callable | None = None,
           cleanup: Callable | None = None) -> RaceResult:
    """Execute a model checker's step sequence on a HostedZone with this simulator's own strategies.

    Each step (``Step(actor, kind, detail)`` of ``enactor_model``, kinds in ``REPLAY_KINDS``) runs one
    simulator action at time = its index + 1: ``publish`` makes the next plan and stages its trees (the
    checker stores a plan's trees from publication: a model choice of that model), ``take`` is
    ``take_plan`` (the one-time check), ``apply``/``skip`` take the endpoint's lock and call the apply
    strategy, ``delete``/``keep``/``freeze`` are clean-up steps through the clean-up strategy and the
    freeze rule, ``repair`` is the operator re-pointing broken aliases at the newest rollback tree [S2].
    The result's verdicts come from the same properties as every run's; ``ReplayMismatch`` says where the
    simulator would not take a step the checker took.
    """
    enactors = check_int("enactors", enactors, lo=1, hi=4)
    endpoints = check_int("endpoints", endpoints, lo=1, hi=len(LAYOUT_ENDPOINTS))
    steps = _steps(steps, enactors)
    fixes = check_fixes(fixes)
    p = {**SPEC.defaults, "K": check_int("K", K, lo=1, hi=1000), "n_endpoints": endpoints,
         "horizon": float(len(steps) + 1), "starts": (0.0,) * 3}
    apply, cleanup = _strategies(fixes, apply, cleanup)
    w = World(p, fixes, apply, cleanup, delays=None, seed=0)
    jobs: dict[str, dict] = {}
    owner: list[int] = []
    for index, step in enumerate(steps):
        w.sim.now = float(index + 1)
        _replay_step(w, jobs, index, step)
        owner += [index] * (len(w.trace) - len(owner))
    result = w.result()
    result.step_of_event = tuple(owner)
    return result


def _replay_step(w: World, jobs: dict, index: int, step: tuple[str, str, str]) -> None:
    """Run one replayed step on the world; raise ReplayMismatch if the simulator disagrees."""
    actor, kind, detail = step

    def mismatch(why: str):
        raise ReplayMismatch(index, step, why)

    if kind == "publish":
        plan = w.planner.plan(len(w.plans) + 1, w.sim.now)
        w.plans.append(plan)
        w.zone.change([Change("CREATE", tree_record(plan.generation, ep, plan.ips)) for ep in w.endpoints])
        w.log("Planner", "plan", f"generation {plan.generation}", changed=True, generation=plan.generation)
        return
    if kind == "repair":
        if not w.frozen:
            mismatch("the operator repairs only a frozen zone")
        batch = []
        for ep in w.dangling():
            trees = layout_tree_generations(w.zone, ep)
            if not trees:
                mismatch(f"no rollback tree left for {ep}")
            batch += [Change("DELETE", w.zone.get(ep, "ALIAS")), Change("CREATE", alias_record(ep, trees[-1]))]
        if batch:
            w.zone.change(batch)
        w.frozen = False
        jobs.clear()
        w.log("Operator", "repair", "re-point broken aliases at the newest rollback tree", changed=True)
        return
    job = jobs.setdefault(actor, {"plan": None, "written": 0, "cleanup": False})
    if kind == "take":
        plan = take_plan(w, actor)
        if not isinstance(plan, Plan):
            mismatch(f"the simulator's Enactor did not take a plan: {plan}")
        jobs[actor] = {"plan": plan, "written": 0, "cleanup": False}
        return
    if kind in ("apply", "skip", "abandon"):
        plan = job["plan"]
        if plan is None or job["cleanup"]:
            mismatch("this Enactor holds no plan to write")
        if kind == "abandon":
            if all(w.zone.get(tree_name(plan.generation, ep)) is not None for ep in w.endpoints):
                mismatch(f"plan {plan.generation}'s trees still exist")
            w.log(actor, "abandon", f"plan {plan.generation} (its trees were deleted)", generation=plan.generation)
            jobs.pop(actor)
            return
        endpoint = _endpoint_in(detail, w.endpoints)
        if endpoint is None:
            mismatch("the step names no endpoint of this zone")
        if not try_acquire(w.zone, lock_name(endpoint), actor, w.sim.now, LEASE):
            mismatch(f"the lock of {endpoint} is held")
        wrote = write(w, actor, endpoint, plan)
        release(w.zone, lock_name(endpoint), actor)
        if wrote != (kind == "apply"):
            mismatch(f"the apply strategy {'wrote' if wrote else 'skipped'}")
        job["written"] += 1
        if job["written"] == len(w.endpoints):
            w.log(actor, "done", f"plan {plan.generation} on all endpoints", generation=plan.generation)
            start_clean_up(w, actor, plan.generation)
            job["cleanup"] = True
        return
    numbers = _numbers(detail)
    if kind == "freeze" and not (job["cleanup"] and numbers):
        if not (w.dangling() and freeze_rule(w.fixes, dangling=True)):
            mismatch("no alias points at a deleted tree, or the freeze fix is off")
        w.freeze(actor, f"alias of {w.dangling()[0]} points at a deleted tree")
        return
    if not job["cleanup"] or not numbers:
        mismatch("this Enactor is not cleaning up")
    outcome = clean_up_step(w, actor, numbers[0], job["plan"].generation)
    if (kind == "freeze") != (outcome == "freeze"):
        mismatch(f"the clean-up strategy gave {outcome or 'nothing to do'!r}")
