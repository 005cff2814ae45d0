"""The engine behind ``dns_race``: the Planner, three Enactors and their clean-up as scheduler processes.

Every zone change goes through a Route 53 change batch (``HostedZone.change``); every event that changes
the zone carries a snapshot (each endpoint's answer and alias generation) so properties can be judged from
the trace alone.  Per-endpoint lock: ``r53lock`` on a TXT record named ``dns.layout.lock_name(endpoint)``.
"""

from __future__ import annotations

from .dns.layout import label, lock_name
from .dns_race import (
    ACTORS,
    ENDPOINTS,
    LEASE,
    REGIONAL_ENDPOINT,
    Planner,
    RaceResult,
    Scheduler,
    alias_generation,
    alias_record,
    tree_generation,
    tree_name,
    tree_record,
)
from .r53lock import holder_of, release, try_acquire
from .route53 import Change, HostedZone, Record
from .trace import Event

PHANTOM = Record("lock.phantom", "TXT", ("another-writer 0",))  # a stale read: its exact DELETE cannot match


class World:
    """The shared state of one run: zone, plans, trace and the accounting of runs and lock attempts."""

    def __init__(self, p, fixes, apply, cleanup, delays, seed):
        self.p, self.fixes, self.apply, self.cleanup, self.delays = p, fixes, apply, cleanup, delays
        self.endpoints = ENDPOINTS[: p["n_endpoints"]]
        # Model choice: the variants first, the regional endpoint last (the PES's slow Enactor retried
        # several endpoints before it reached the regional one [S1c]).
        self.walk = self.endpoints[1:] + self.endpoints[:1]
        self.planner = Planner(p["n_lbs"], seed)
        first = self.planner.plan(1, 0.0)
        self.plans = [first]
        self.zone = HostedZone([r for ep in self.endpoints
                                for r in (tree_record(1, ep, first.ips), alias_record(ep, 1))])
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
            data["aliases"] = {ep: alias_generation(self.zone, ep) for ep in self.endpoints}
            answer, gen = data["answers"][REGIONAL_ENDPOINT], data["aliases"][REGIONAL_ENDPOINT]
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


def planner(w: World):
    """Produce a new plan generation every period."""
    while True:
        yield w.p["period"]
        plan = w.planner.plan(len(w.plans) + 1, w.sim.now)
        w.plans.append(plan)
        w.log("Planner", "plan", f"generation {plan.generation}", generation=plan.generation)


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


def enactor_run(w: World, index: int):
    """Take the newest plan, check it once, walk the endpoints, then clean up; return the outcome."""
    name = f"Enactor {index}"
    if w.frozen:
        w.log(name, "frozen", "automation frozen: waiting for an operator")
        return "frozen"
    plan, missing = w.plans[-1], w.dangling()
    if missing:
        if "freeze_on_inconsistency" in w.fixes:
            w.freeze(name, f"alias of {missing[0]} points at a deleted tree")
            return "frozen"
        w.stuck = True
        w.log(name, "blocked", f"current plan of {missing[0]} is gone", endpoint=missing[0])
        return "blocked"
    g, applied = plan.generation, alias_generation(w.zone, REGIONAL_ENDPOINT)
    fresh = g > applied  # the one-time freshness check, made here and never again [S1a][S1c]
    w.log(name, "check", f"plan {g} newer than applied {applied}: {'yes' if fresh else 'no'}",
          generation=g, applied=applied, fresh=fresh)
    if not fresh:
        return "done"
    for endpoint in w.walk:
        before, losses, apply_time = w.delays(index, endpoint)
        yield before
        yield from take_lock(w, name, endpoint, losses)
        yield apply_time  # the lock is held while the change is prepared and sent
        if w.frozen:
            release(w.zone, lock_name(endpoint), name)
            w.log(name, "frozen", "automation frozen mid-run")
            return "frozen"
        previous = alias_generation(w.zone, endpoint)
        wrote = w.apply(w.zone, endpoint, g, plan.ips)
        release(w.zone, lock_name(endpoint), name)
        kind = "apply" if wrote else "skip"
        w.log(name, kind, f"plan {g} -> {short(endpoint)}" + ("" if wrote else " (a newer plan is live)"),
              changed=True, endpoint=endpoint, generation=g, previous=previous)
    w.log(name, "done", f"plan {g} on all endpoints", generation=g)
    yield from clean_up(w, name, g)
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


def clean_up(w: World, name: str, applied: int):
    """Visit older generations one step each, oldest first, deleting trees the clean-up rule selects."""
    K, visited = w.p["K"], 0
    w.log("clean-up", "clean-up start", f"{name}: plans {K}+ generations older than {applied}",
          applied=applied, by=name)
    while True:
        gens = sorted({tree_generation(r.name) for r in w.zone.records()
                       if r.type == "A" and visited < tree_generation(r.name) < applied})
        if not gens:
            return
        visited = gens[0]
        yield w.p["cleanup_step"]  # clean-up re-reads the zone at each step: a newer write can slip in
        if w.frozen:
            return
        trees = [ep for ep in w.endpoints if w.zone.get(tree_name(visited, ep)) is not None]
        doomed = [ep for ep in trees if w.cleanup(w.zone, ep, visited, applied, K)]
        active = [ep for ep in doomed if alias_generation(w.zone, ep) == visited]
        if active and "freeze_on_inconsistency" in w.fixes:
            w.freeze("clean-up", f"plan {visited} is old but active on {short(active[0])}")
            return
        if doomed and w.zone.try_change(fenced_delete(w.zone, visited, doomed)):
            w.log("clean-up", "delete", f"plan {visited} ({len(doomed)} trees), {name}'s clean-up", changed=True,
                  generation=visited, deleted=doomed, deleted_active=active, by=name)
        elif doomed:  # cannot happen while each step is instant; in Route 53 it is the fence doing its job
            w.log("clean-up", "skip", f"plan {visited}: an alias moved since clean-up read it", by=name)
        kept = [ep for ep in trees if ep not in doomed and alias_generation(w.zone, ep) == visited]
        if kept and applied - visited >= K:
            w.log("clean-up", "keep", f"plan {visited}: active on {short(kept[0])}", generation=visited)


def fenced_delete(zone: HostedZone, generation: int, endpoints) -> list[Change]:
    """Return one batch deleting plan *generation*'s trees, fenced on each endpoint's alias as read now."""
    # DELETE + CREATE of the unchanged alias is a precondition: the exact DELETE fails if another Enactor
    # moved the alias between clean-up's read and this write, and the whole batch is rejected with it.
    # In the simulator read and write happen at one instant, so the fence never fires here; in Route 53 a
    # check followed by a separate delete would need it (the same trap as the Enactor's one-time check).
    batch = [Change("DELETE", zone.get(tree_name(generation, ep))) for ep in endpoints]
    for ep in endpoints:
        alias = zone.get(ep, "ALIAS")
        if alias is not None:
            batch += [Change("DELETE", alias), Change("CREATE", alias)]
    return batch


short = label  # the endpoint's short label (for timelines), from the one layout table


def simulate(p: dict, fixes, apply, cleanup, delays, seed: int = 0) -> RaceResult:
    """Run the Planner and three Enactors until the horizon; return the RaceResult."""
    w = World(p, fixes, apply, cleanup, delays, seed)
    w.sim.process(planner(w), priority=0)  # a plan made at time t is visible to an Enactor starting at t
    for index in (1, 2, 3):
        w.sim.process(enactor(w, index))
    w.sim.run(until=p["horizon"])
    w.stuck = w.stuck or bool(w.dangling())
    return RaceResult(trace=w.trace, zone=w.zone, answers=w.answers, active=w.active, plans=w.plans,
                      stuck=w.stuck, frozen=w.frozen, alarms=w.alarms, runs=w.runs, locks=w.locks,
                      params=dict(p), fixes=tuple(fixes), endpoints=w.endpoints)


__all__ = ["ACTORS", "World", "fenced_delete", "short", "simulate"]
