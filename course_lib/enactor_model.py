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

The layout (endpoint labels), the fixes, the Enactors' decisions (``take_rule``, ``write_rule``,
``cleanup_action``, ``start_action``) and the safety properties come from ``course_lib.dns``, the one
definition the event simulator of Chapter 2 and the operator console share; this module only says when
each decision is taken.  The change properties ("applied generation never decreases", "active plan never
deleted") are judged on every step's before/after snapshot and remembered as history flags of the state.

Model choices (no published numbers): the counts of generations and endpoints, the threshold ``K``
("significantly older" has no published value), and the operator's repair as a single step.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Mapping
from dataclasses import dataclass, replace
from itertools import combinations, product
from typing import NamedTuple

from .dns import layout
from .dns.properties import Snapshot, holds
from .dns.rules import FIXES, check_fixes, cleanup_action, is_old, start_action, take_rule, write_rule
from .modelcheck import Model
from .params import Param, Spec
from .validate import check_bool, check_choice, check_int, check_type

__all__ = [
    "ENDPOINT_NAMES",
    "FIXES",
    "PROPERTIES",
    "SPEC",
    "SWEEP_RANGES",
    "Compact",
    "Enactor",
    "EnactorState",
    "Induction",
    "Step",
    "Zone",
    "canonical",
    "check_inductive",
    "describe",
    "enactor_model",
    "enactor_moves",
    "encoding_states",
    "fix_invariant",
    "inconsistent",
    "initial_state",
    "is_active",
    "newest_plan_active",
    "operator_moves",
    "planner_moves",
    "race_events",
    "race_possible",
    "regression_possible",
    "state_explosion",
    "successors",
    "sweep_sizes",
]

ENDPOINT_NAMES = tuple(short for _, short in layout.ENDPOINT_TABLE)  # regional first [S1e]

# Sizes are model choices (the PES gives three Enactors [S1a]; the rest has no published number).  The
# sliders show the window in which every search of the widget finishes exhaustively in about a second.
SPEC = Spec((
    Param("enactors", 3, "int", 1, 4, label="Enactors"),
    Param("generations", 4, "int", 1, 8, label="generations", view=(2, 4)),
    Param("endpoints", 2, "int", 1, len(ENDPOINT_NAMES), label="endpoints", view=(1, 2)),
    Param("K", 2, "int", 1, 8, label="K (clean-up threshold, < generations)", view=(1, 3)),
))
# Upper bounds of the sizes the packed encoding accepts (far above the sliders: they only keep a typo such as
# 10**18 from sizing tables without end).  Endpoints are bounded by the layout's names.
MAX_ENACTORS, MAX_GENERATIONS, MAX_K = 64, 16, 64
IDLE, APPLY, WRITE, CLEANUP = "idle", "apply", "write", "cleanup"  # WRITE: read the alias, write next step


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


@functools.lru_cache(maxsize=1 << 16)  # zones repeat across steps and models; a snapshot is immutable
def snapshot(z: Zone) -> Snapshot:
    """Return the zone as the shared properties see it: every endpoint's alias and the trees stored."""
    return Snapshot.uniform(z.alias, z.stored)


def _zone(z) -> Zone:
    """Return *z* if it is a Zone, else raise TypeError naming the parameter."""
    if type(z) is not Zone:
        check_type("z", z, Zone, "a Zone (the model's state)")
    return z


def inconsistent(z: Zone) -> bool:
    """Return True if some alias points at a record tree that no longer exists."""
    _zone(z)
    return not holds("record never empty", None, snapshot(z))


def record_never_empty(z: Zone) -> bool:
    """Every endpoint's alias points at an existing tree, so DNS answers with addresses."""
    return holds("record never empty", None, snapshot(z))


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


def _judged(z: Zone, nz: Zone) -> Zone:
    """Return *nz* with the change properties' verdicts on the step z -> nz added to its history flags."""
    before, after = snapshot(z), snapshot(nz)
    return nz._replace(
        regressed=nz.regressed or not holds("applied generation never decreases", before, after),
        deleted_active=nz.deleted_active or not holds("active plan never deleted", before, after))


def _set(t: tuple, i: int, value) -> tuple:
    return (*t[:i], value, *t[i + 1:])


def is_active(z: Zone, g: int) -> bool:
    """Return True if some endpoint's alias points at plan *g* (what protect_active refuses to delete)."""
    if type(g) is not int:
        check_int("g", g, lo=0)
    return g in _zone(z).alias


def _enactor(e) -> Enactor:
    """Return *e* if it is an Enactor job, else raise TypeError naming the parameter."""
    if type(e) is not Enactor:
        check_type("e", e, Enactor, "an Enactor (one Enactor's job)")
    return e


def _generations(generations) -> int:
    if type(generations) is not int or not 1 <= generations <= MAX_GENERATIONS:
        generations = check_int("generations", generations, lo=1, hi=MAX_GENERATIONS)
    return generations


def _rules(K, fixes, protect, atomic) -> tuple:
    """Return (K, fixes, protect, atomic) checked: the rule set's arguments every public entry takes."""
    if type(K) is not int or not 1 <= K <= MAX_K:
        K = check_int("K", K, lo=1, hi=MAX_K)
    if not callable(protect):
        raise TypeError(f"protect must be a function (zone, generation) -> bool, got {type(protect).__name__}")
    return K, _fixes(fixes), protect, check_bool("atomic", atomic)


def enactor_moves(z: Zone, e: Enactor, fixes: frozenset, K: int, protect=is_active, atomic: bool = True):
    """Yield (kind, detail, zone, job) for each step an Enactor with job *e* can take in zone *z*.

    The Enactor reads only Route 53 (the trees and aliases of *z*) and its own job, never another
    Enactor's: the returned zone carries the Route 53 change, the returned job the Enactor's new place.
    With ``atomic=False`` recheck_at_write reads the alias in one step and writes in the next (a
    separate read and write instead of one conditional Route 53 batch): the assumption it rests on, undone.
    """
    _zone(z), _enactor(e)
    K, fixes, protect, atomic = _rules(K, fixes, protect, atomic)
    return _enactor_moves(z, e, fixes, K, protect, atomic)


def _enactor_moves(z: Zone, e: Enactor, fixes: frozenset, K: int, protect=is_active, atomic: bool = True):
    """enactor_moves without the entry checks (the packed encoding's inner loop calls this)."""
    for kind, detail, nz, job in _decide(z, e, fixes, K, protect, atomic):
        yield kind, detail, (nz if nz is z else _judged(z, nz)), job


def _decide(z: Zone, e: Enactor, fixes: frozenset, K: int, protect, atomic: bool = True):
    """Yield the Enactor's next step, each decision taken by the shared rules of course_lib.dns."""
    if z.frozen:
        return
    if e.pc == CLEANUP:  # deletions go ahead even in a broken zone: they do not read the alias
        g, rest = e.to_delete[0], e.to_delete[1:]
        after = e._replace(to_delete=rest) if rest else Enactor()
        action = cleanup_action(g, e.plan, K, g in z.alias, fixes)
        if protect is not is_active and "protect_active" in fixes:  # another protection rule decides the keeps
            action = "keep" if protect(z, g) else cleanup_action(g, e.plan, K, g in z.alias,
                                                                 fixes - {"protect_active"})
        if action == "keep":
            yield "keep", f"plan {g} (active)", z, after
        elif action == "freeze":  # an old plan is live: something is wrong
            yield "freeze", f"alarm: old plan {g} is active", z._replace(frozen=True), e
        else:
            yield "delete", f"plan {g}", z._replace(stored=z.stored - {g}), after
        return
    start = start_action(inconsistent(z), fixes)
    if start != "go":  # the alias points nowhere: no plan update can be applied [S1d]
        if start == "freeze":
            yield "freeze", "alarm: alias points at a deleted plan", z._replace(frozen=True), e
        return
    if e.pc == IDLE:
        if take_rule(z.latest, z.alias[0]):  # the one-time freshness check [S1a]
            yield "take", f"plan {z.latest} (check {z.latest} > {z.alias[0]})", z, Enactor(APPLY, z.latest)
        return
    g, ep = e.plan, e.endpoint
    done = ep + 1 == len(z.alias)
    old = sorted(h for h in z.stored if is_old(h, g, K))
    after = Enactor(CLEANUP, g, 0, tuple(old)) if done and old else Enactor() if done else e._replace(endpoint=ep + 1)
    name = ENDPOINT_NAMES[ep]
    if g not in z.stored:  # Route 53 rejects an alias to a missing tree: give the plan up
        yield "abandon", f"plan {g} (deleted)", z, Enactor()
    elif e.pc == WRITE:  # the alias was read in an earlier step: write without looking again
        yield "apply", f"plan {g} to {name}", z._replace(alias=_set(z.alias, ep, g)), after
    elif not write_rule(g, z.alias[ep], fixes):
        yield "skip", f"{name}: has plan {z.alias[ep]}", z, after
    elif not atomic and "recheck_at_write" in fixes:  # the check is its own step, apart from the write
        yield "read", f"{name}: has plan {z.alias[ep]} < {g}", z, e._replace(pc=WRITE)
    else:
        yield "apply", f"plan {g} to {name}", z._replace(alias=_set(z.alias, ep, g)), after


def planner_moves(z: Zone, generations: int):
    """Yield (kind, detail, zone) for the Planner: publish the next generation while there is one."""
    return _planner_moves(_zone(z), _generations(generations))


def _planner_moves(z: Zone, generations: int):
    if z.latest < generations:
        yield "publish", f"plan {z.latest + 1}", _judged(z, z._replace(latest=z.latest + 1,
                                                                       stored=z.stored | {z.latest + 1}))


def operator_moves(z: Zone, operator: bool = True):
    """Yield (kind, detail, zone) for the operator: a frozen zone's alarm pages a human, who repairs it [S2].

    The repair stops the automation (every Enactor drops its job) and re-points any broken alias at the
    newest surviving tree; the caller resets the Enactors.
    """
    return _operator_moves(_zone(z), check_bool("operator", operator))


def _operator_moves(z: Zone, operator: bool = True):
    if z.frozen and operator:
        fixed = tuple(g if g in z.stored else max(z.stored) for g in z.alias)
        yield "repair", f"re-point aliases at plan {max(z.stored)}", _judged(z, z._replace(alias=fixed, frozen=False))


def successors(z: Zone, generations: int, K: int, fixes: frozenset, protect=is_active, operator: bool = True,
               atomic: bool = True):
    """Yield every (step, next zone) pair enabled in zone *z* (the readable form of the model)."""
    _zone(z)
    K, fixes, protect, atomic = _rules(K, fixes, protect, atomic)
    return _successors(z, _generations(generations), K, fixes, protect, check_bool("operator", operator), atomic)


def _successors(z: Zone, generations: int, K: int, fixes: frozenset, protect=is_active, operator: bool = True,
                atomic: bool = True):
    """successors without the entry checks (check_inductive calls this once per state)."""
    route53 = z._replace(enactors=())
    for kind, detail, nz in _planner_moves(route53, generations):
        yield Step("Planner", kind, detail), nz._replace(enactors=z.enactors)
    for i, e in enumerate(z.enactors):
        for kind, detail, nz, job in _enactor_moves(route53, e, fixes, K, protect, atomic):
            yield Step(f"Enactor {i + 1}", kind, detail), nz._replace(enactors=_set(z.enactors, i, job))
    for kind, detail, nz in _operator_moves(route53, operator):
        yield Step("Operator", kind, detail), nz._replace(enactors=tuple(Enactor() for _ in z.enactors))


def initial_state(enactors: int, endpoints: int) -> Zone:
    """Return the starting zone: plan 1 published and active on every endpoint, all Enactors idle."""
    enactors, endpoints = check_int("enactors", enactors, lo=1, hi=64), check_int("endpoints", endpoints, lo=1, hi=64)
    return Zone(1, frozenset({1}), (1,) * endpoints, (Enactor(),) * enactors)


def canonical(z: Zone) -> Zone:
    """Return the symmetric representative of *z*: Enactors are interchangeable, so sort them."""
    return _zone(z)._replace(enactors=tuple(sorted(z.enactors)))


def newest_plan_active(generations: int):
    """Return the goal of recoverability: the regional endpoint serves the newest plan, every record resolves."""
    return _newest_plan_active(_generations(generations))


@functools.lru_cache(maxsize=16)  # one goal function per size, so its verdicts can be shared between models
def _newest_plan_active(generations: int):
    def goal(z: Zone) -> bool:
        return z.alias[0] == generations and not z.frozen and not inconsistent(z)
    return goal


@functools.lru_cache(maxsize=32)
def _tables(generations: int, endpoints: int, K: int, fixes: frozenset, protect, operator: bool,
            atomic: bool) -> dict:
    """Return the interning and move tables of one rule set (shared by every Compact built on it)."""
    return {"zones": {}, "zone_ids": {}, "jobs": [Enactor()], "job_ids": {Enactor(): 0}, "moves": {},
            "global": {}, "lanes": {}, "verdicts": {}}


def clear_tables() -> None:
    """Forget every memoised table: moves, zone snapshots and goals (a benchmark calls this to time a cold start)."""
    _tables.cache_clear()
    snapshot.cache_clear()
    _newest_plan_active.cache_clear()


# --- the compact encoding the checker explores (speed; the semantics are the functions above) ---------

class Compact:
    """The model's states packed into one int: the Route 53 part's id, then one job id per Enactor.

    Why: a Python int hashes and compares in a few nanoseconds, where a named tuple of tuples and a
    frozenset costs microseconds.  Each distinct Route 53 part (a Zone without Enactors) and each
    distinct Enactor job gets a small id the first time it is met (interning); state = zone id |
    job id of Enactor i << (zone bits + i * job bits).  A zone id's lowest bit is the zone's ``frozen``
    flag, so the successor function sees without a lookup whether the operator can act.  The field widths
    come from an upper bound on the number of distinct values, so no id can overflow its field.  Every
    move of one Enactor depends only on the Route 53 part and its own job, so it is computed once, by
    :func:`enactor_moves`, and stored as (step, delta): the next state is ``state + delta``.  The
    Planner's moves depend only on the Route 53 part, so they are stored at the head of Enactor 1's list
    (the order of the steps stays Planner, Enactors, operator).  The readable state is ``view(state)``.
    """

    def __init__(self, enactors: int, generations: int, endpoints: int, K: int, fixes: frozenset, protect,
                 operator: bool, atomic: bool = True):
        # checked before any table is sized or cached: the field widths grow as 2**generations
        enactors = check_int("enactors", enactors, lo=1, hi=MAX_ENACTORS)
        generations = check_int("generations", generations, lo=1, hi=MAX_GENERATIONS)
        endpoints = check_int("endpoints", endpoints, lo=1, hi=len(ENDPOINT_NAMES))
        K, fixes, protect, atomic = _rules(K, fixes, protect, atomic)
        operator = check_bool("operator", operator)
        self.n, self.generations, self.K, self.fixes = enactors, generations, K, fixes
        self.protect, self.operator, self.atomic = protect, operator, atomic
        # at most: latest x stored sets x alias values per endpoint x three flags; pc x plan x endpoint x to_delete
        zones = 2 * generations * 2 ** generations * (generations + 1) ** endpoints * 8  # x 2: the frozen bit
        jobs = 4 * (generations + 1) * endpoints * 2 ** generations
        self.zone_bits, self.job_bits = zones.bit_length(), jobs.bit_length()
        self.zone_mask, job_mask = (1 << self.zone_bits) - 1, (1 << self.job_bits) - 1
        self.job_mask = job_mask
        self.shifts = tuple(self.zone_bits + self.job_bits * i for i in range(enactors))
        self.masks = tuple(self.zone_mask | (job_mask << sh) for sh in self.shifts)
        # the tables depend on the rules, not on the number of Enactors: models that differ only in that
        # (the explosion widget's rows, a search with and without symmetry) share them
        t = _tables(generations, endpoints, K, fixes, protect, operator, atomic)
        self.zones: dict[int, Zone] = t["zones"]  # zone id -> Route 53 part
        self.zone_ids: dict[Zone, int] = t["zone_ids"]
        self.jobs: list[Enactor] = t["jobs"]  # job id 0 is "idle": every Enactor idle is just the zone id
        self.job_ids: dict[Enactor, int] = t["job_ids"]
        self._moves: dict[tuple[int, int], list] = t["moves"]  # (zone id, job id) -> an Enactor's moves
        self._repairs: dict[int, list] = t["global"]  # frozen zone id -> the operator's moves
        # Enactor i -> its moves by packed (zone, job) key; ("pair", i, n) -> Enactors i and i + 1's, joined
        self._lanes: dict = t["lanes"]
        self._verdicts: dict = t["verdicts"]  # Route 53 predicate -> {zone id: verdict}

    def _zone(self, z: Zone) -> int:
        zid = self.zone_ids.get(z)
        if zid is None:
            zid = self.zone_ids[z] = len(self.zones) << 1 | z.frozen
            self.zones[zid] = z
        return zid

    def _job(self, e: Enactor) -> int:
        jid = self.job_ids.get(e)
        if jid is None:
            jid = self.job_ids[e] = len(self.jobs)
            self.jobs.append(e)
        return jid

    def encode(self, z: Zone) -> int:
        """Return the packed int of zone *z* (Enactors included)."""
        _zone(z)
        if len(z.enactors) != self.n:
            raise ValueError(f"zone has {len(z.enactors)} Enactors, the model {self.n}")
        s = self._zone(z._replace(enactors=()))
        for sh, e in zip(self.shifts, z.enactors, strict=True):
            s |= self._job(e) << sh
        return s

    def _state(self, s) -> int:
        """Return *s* if it is a packed state this encoding has met, else raise naming the parameter."""
        top = (1 << self.shifts[-1] + self.job_bits) - 1
        s = check_int("s", s, lo=0, hi=top)
        jm = self.job_mask
        if s & self.zone_mask not in self.zones or any((s >> sh) & jm >= len(self.jobs) for sh in self.shifts):
            raise ValueError(f"s must be a packed state of this encoding (from encode() or the successors), got {s}")
        return s

    def view(self, s: int) -> Zone:
        """Return the readable Zone of packed state *s*."""
        return self._view(self._state(s))

    def _view(self, s: int) -> Zone:
        jm = self.job_mask
        return self.zones[s & self.zone_mask]._replace(enactors=tuple(self.jobs[(s >> sh) & jm] for sh in self.shifts))

    def route53(self, s: int) -> Zone:
        """Return the Route 53 part of packed state *s* (a Zone without Enactors)."""
        return self.zones[self._state(s) & self.zone_mask]

    def _repair_moves(self, zid: int) -> list:
        """Return the operator's moves in zone *zid* as (step, absolute state): every Enactor idle, job ids 0."""
        return [(Step("Operator", kind, detail), self._zone(nz))
                for kind, detail, nz in _operator_moves(self.zones[zid], self.operator)]

    def _enactor_moves(self, i: int, key: int) -> list:
        """Return Enactor *i*'s moves as (step, delta) for the zone id and job id packed in *key*."""
        zid, sh = key & self.zone_mask, self.shifts[i]
        jid = key >> sh
        moves = self._moves.get((zid, jid))
        if moves is None:  # the same for every Enactor: computed once, shifted into each one's place
            moves = self._moves[zid, jid] = [
                (kind, detail, self._zone(nz) - zid, self._job(job) - jid)
                for kind, detail, nz, job in _enactor_moves(self.zones[zid], self.jobs[jid], self.fixes,
                                                           self.K, self.protect, self.atomic)]
        me = f"Enactor {i + 1}"
        mine = [(Step(me, kind, detail), dz + (dj << sh)) for kind, detail, dz, dj in moves]
        if i == 0:  # the Planner's moves (they read only Route 53) come first, as in successors()
            mine[:0] = [(Step("Planner", kind, detail), self._zone(nz) - zid)
                        for kind, detail, nz in _planner_moves(self.zones[zid], self.generations)]
        return mine

    def successor_function(self):
        """Return successors(state) over packed states; moves are computed once and then looked up.

        The Enactors are looked up two at a time: the moves of Enactors 1 and 2 depend only on the zone and
        their two jobs, so one dictionary lookup on those bits returns both lists, already joined (built
        from the one-Enactor lists the first time the pair is met).  Half the lookups for the same steps.
        """
        repairs, lanes = self._repairs, self._lanes
        groups = []
        for first in range(0, self.n, 2):
            members = tuple((i, self.masks[i], lanes.setdefault(i, {})) for i in range(first, min(first + 2, self.n)))
            mask = 0
            for _, lane_mask, _ in members:
                mask |= lane_mask
            groups.append((members, mask, lanes.setdefault(("pair", first, self.n), {})))
        groups = tuple(groups)
        repair_moves, enactor_moves_, zone_mask = self._repair_moves, self._enactor_moves, self.zone_mask

        def joined(members, key: int) -> list:
            out = []
            for i, mask, cache in members:
                mine = cache.get(key & mask)
                if mine is None:
                    mine = cache[key & mask] = enactor_moves_(i, key & mask)
                out += mine
            return out

        def packed_successors(s: int) -> list:
            out = []
            for members, mask, cache in groups:  # Enactor 1's list starts with the Planner's moves
                key = s & mask  # these Enactors' jobs and the zone, still in place: a cheap dictionary key
                mine = cache.get(key)
                if mine is None:
                    mine = cache[key] = joined(members, key)
                for step, d in mine:  # a plain loop: a comprehension costs a call
                    out.append((step, s + d))
            if s & 1:  # a frozen zone: the operator may repair it
                zid = s & zone_mask
                repair = repairs.get(zid)
                if repair is None:
                    repair = repairs[zid] = repair_moves(zid)
                out += repair
            return out

        return packed_successors

    def symmetric_function(self):
        """Return canonical(state): the Enactors' job ids sorted (they are interchangeable), cached per job part."""
        cache: dict[int, int] = {}
        zb, jb, jm, shifts, zone_mask = self.zone_bits, self.job_bits, self.job_mask, self.shifts, self.zone_mask

        def sort_jobs(part: int) -> int:
            out = 0
            for i, jid in enumerate(sorted((part >> (sh - zb)) & jm for sh in shifts)):
                out |= jid << (i * jb)
            return out

        def symmetric(s: int) -> int:
            part = s >> zb  # the Enactors' jobs: far fewer distinct values than states
            canon = cache.get(part)
            if canon is None:
                canon = cache[part] = sort_jobs(part)
            return (canon << zb) | (s & zone_mask)

        return symmetric

    def on_route53(self, fn):
        """Return fn(Route 53 part of state) as a function of packed states, computed once per zone id."""
        _function("fn", fn)
        cache: dict[int, bool] = self._verdicts.setdefault(fn, {})  # fn reads only the zone: share its verdicts
        zones, zone_mask = self.zones, self.zone_mask

        def lifted(s: int) -> bool:
            zid = s & zone_mask
            v = cache.get(zid)
            if v is None:
                v = cache[zid] = bool(fn(zones[zid]))
            return v

        lifted.__doc__ = fn.__doc__
        return lifted

    def on_view(self, fn):
        """Return fn(readable zone) as a function of packed states (for properties that read the Enactors)."""
        _function("fn", fn)
        view = self._view

        def lifted(s: int):
            return fn(view(s))

        lifted.__doc__ = fn.__doc__
        return lifted


def _function(name: str, fn):
    if not callable(fn):
        raise TypeError(f"{name} must be a function of a zone, got {type(fn).__name__} {fn!r:.60}")
    return fn


_ROUTE53_ONLY = {record_never_empty, generation_never_decreases, active_never_deleted}  # read no Enactor


def enactor_model(enactors: int = 3, generations: int = 4, endpoints: int = 2, K: int = 2,
                  fixes=(), symmetry: bool = False, properties=None, protect=is_active,
                  operator: bool = True, atomic_recheck: bool = True) -> Model:
    """Return the Enactor model with the given sizes, Chapter 2's *fixes* switched on, and its properties.

    *protect(zone, generation)* says which plans protect_active keeps; pass another function to try a
    different protection rule (it sees Route 53's part of the zone: trees, aliases, flags; no Enactor's
    job).  With ``operator=False`` nobody answers the alarm of a frozen zone.  With
    ``atomic_recheck=False`` recheck_at_write reads the alias and writes in two separate steps (the
    assumption that the check sits in the write's all-or-nothing batch, undone).

    K >= generations is accepted on purpose: clean-up then never deletes a plan, and such a model is the
    boundary case of :func:`race_possible` that tests use to show the checker agrees the race cannot happen.
    The state-explosion widget (:func:`state_explosion`) refuses it, because there it shows nothing.  The states the checker
    stores are packed ints (:class:`Compact`); properties, the goal and every trace see readable Zones.
    """
    n, g = SPEC.check("enactors", enactors), SPEC.check("generations", generations)
    m, k = SPEC.check("endpoints", endpoints), SPEC.check("K", K)
    fixes = _fixes(fixes)
    if not callable(protect):
        raise TypeError(f"protect must be a function (zone, generation) -> bool, got {type(protect).__name__}")
    check_type("symmetry", symmetry, bool)
    check_type("operator", operator, bool)
    check_type("atomic_recheck", atomic_recheck, bool)
    props = dict(PROPERTIES if properties is None else _properties(properties))
    label = "+".join(f for f in FIXES if f in fixes) or "no fixes"
    if not atomic_recheck and "recheck_at_write" in fixes:
        label += ", read and write apart"
    code = Compact(n, g, m, k, fixes, protect, operator, atomic_recheck)
    initial = code.encode(initial_state(n, m))
    invariants = {name: code.on_route53(fn) if fn in _ROUTE53_ONLY else code.on_view(fn)
                  for name, fn in props.items()}
    return Model(f"Enactors={n} generations={g} endpoints={m} K={k} [{label}]", initial,
                 code.successor_function(), invariants, goal=code.on_route53(newest_plan_active(g)),
                 canonical=code.symmetric_function() if symmetry else None, view=code._view)


def _fixes(fixes) -> frozenset:
    """Return the fixes as a frozenset, refusing unknown names and non-string entries (course_lib.dns.rules)."""
    return frozenset(check_fixes(fixes))


def _properties(properties) -> dict:
    """Return *properties* as a dict name -> function, refusing other shapes."""
    if not isinstance(properties, Mapping):
        raise TypeError(f"properties must be a dict name -> function(zone) -> bool, got {type(properties).__name__}")
    for name, fn in properties.items():
        check_type("property name", name, str)
        if not callable(fn):
            raise TypeError(f"property {name!r} must be a function of a zone, got {type(fn).__name__}")
    return dict(properties)


def state_explosion(enactors: int = 3, generations: int = 4, endpoints: int = 2, K: int = 2,
                    max_states: int = 60_000, fixes=FIXES) -> list[dict]:
    """Count the states of the model with *fixes* for 1..*enactors* Enactors, with and without symmetry.

    Each row says which searches hit the *max_states* budget ("bounded_states", "bounded_sym"): their
    counts are lower bounds, and their times are the time to the budget, not to the end of the search.
    """
    from .modelcheck import BOUNDED, MAX_STATES, check

    n = SPEC.check("enactors", enactors)
    generations = check_int("generations", SPEC.check("generations", generations), lo=2)
    endpoints, threshold = SPEC.check("endpoints", endpoints), SPEC.check("K", K)
    if threshold >= generations:  # clean-up deletes plans at least K older: with K >= generations, none
        raise ValueError(f"K (clean-up threshold) must be below the number of generations ({generations}), "
                         f"got {threshold}: with K >= generations clean-up never deletes a plan")
    budget = check_int("max_states", max_states, lo=1, hi=MAX_STATES)
    fixes = tuple(f for f in FIXES if f in _fixes(fixes))
    label = "fixed model (all fixes on)" if set(fixes) == set(FIXES) else \
        ("buggy model (no fixes)" if not fixes else f"model with {' + '.join(fixes)}")
    rows = []
    for k in range(1, n + 1):
        # no properties: a violation would stop the search early, and here we count every reachable state
        # and no goal: recoverability is not asked, so the checker need not keep the graph's edges
        full = check(replace(enactor_model(k, generations, endpoints, threshold, fixes, properties={}), goal=None),
                     max_states=budget)
        sym = check(replace(enactor_model(k, generations, endpoints, threshold, fixes, symmetry=True,
                                          properties={}), goal=None), max_states=budget)
        rows.append({"enactors": k, "states": full.states, "seconds": full.seconds, "states_sym": sym.states,
                     "seconds_sym": sym.seconds, "bounded_states": full.verdict == BOUNDED,
                     "bounded_sym": sym.verdict == BOUNDED, "bounded": BOUNDED in (full.verdict, sym.verdict),
                     "budget": budget, "model": label, "fixes": fixes, "generations": generations,
                     "endpoints": endpoints, "K": threshold})
    return rows


SWEEP_RANGES = {"enactors": (1, 3), "generations": (1, 5), "endpoints": (1, 2), "K": (1, 4)}  # the tests' grid


def sweep_sizes(race_only: bool = False) -> list[tuple[int, int, int, int]]:
    """Return the sizes (enactors, generations, endpoints, K) of the tests' sweep over SWEEP_RANGES.

    Only meaningful sizes, K < generations (with K >= generations clean-up never deletes a plan); with
    *race_only*, only those where the buggy model can show the race (:func:`race_possible`).
    """
    race_only = check_bool("race_only", race_only)
    ranges = [range(lo, hi + 1) for lo, hi in SWEEP_RANGES.values()]
    sizes = [(n, g, m, k) for n, g, m, k in product(*ranges) if k < g]
    return [s for s in sizes if race_possible(s[0], s[1], s[3])] if race_only else sizes


def race_possible(enactors: int, generations: int, K: int) -> bool:
    """Return True if the buggy model can empty the record (and delete the active plan) at these sizes.

    The race needs a stale Enactor and a fresh one (two Enactors), and a stale plan p >= 2 (plan 1 is
    already active, so taking it fails the one-time check) that the fresh Enactor's clean-up finds K or
    more generations older than its own plan q <= generations: generations >= K + 2.  The endpoint count
    does not matter.  A size-sweep test checks this rule against the checker.
    """
    n, g, k = SPEC.check("enactors", enactors), SPEC.check("generations", generations), SPEC.check("K", K)
    return n >= 2 and g >= k + 2


def regression_possible(enactors: int, generations: int) -> bool:
    """Return True if the buggy model can move an alias back to an older plan: two Enactors, plans 2 and 3."""
    return SPEC.check("enactors", enactors) >= 2 and SPEC.check("generations", generations) >= 3


def fix_invariant(z: Zone, K: int) -> bool:
    """The inductive invariant of recheck_at_write: aliases only move forward, and clean-up is always safe.

    - no alias has moved back, no active tree was deleted, the automation is not frozen;
    - every alias points at a stored tree;
    - an Enactor applying plan p has left every endpoint it already passed at p or newer;
    - an Enactor cleaning up after plan p sees every alias at p or newer, and deletes only plans <= p - K.
    """
    _zone(z)
    if type(K) is not int:
        K = check_int("K", K, lo=1)
    if z.regressed or z.deleted_active or z.frozen or not all(a in z.stored for a in z.alias):
        return False
    for e in z.enactors:
        if e.pc == APPLY and any(a < e.plan for a in z.alias[:e.endpoint]):
            return False
        if e.pc == CLEANUP and (any(a < e.plan for a in z.alias) or any(d > e.plan - K for d in e.to_delete)):
            return False
    return True


@dataclass(frozen=True)
class Induction:
    """The result of checking that an invariant is inductive over every state of an encoding."""

    encoding: str
    states: int  # states in the encoding (reachable or not)
    satisfying: int  # of which satisfy the invariant
    initial_holds: bool
    implies_properties: bool  # every satisfying state satisfies the three safety properties
    counterexample: tuple | None = None  # (state, step, next state): the invariant holds, then breaks

    @property
    def inductive(self) -> bool:
        return self.initial_holds and self.implies_properties and self.counterexample is None

    def __str__(self) -> str:
        head = f"{self.encoding}: {self.states:,} states, {self.satisfying:,} satisfy the invariant"
        if self.inductive:
            return head + "; it holds initially, every step keeps it, and it implies the three safety properties"
        if self.counterexample is not None:
            return head + f"; NOT inductive: '{self.counterexample[1]}' leaves it"
        return head + ("; does not hold initially" if not self.initial_holds else "; does not imply the properties")


def encoding_states(enactors: int, generations: int, endpoints: int, K: int):
    """Yield every zone of the stated encoding, reachable or not.

    latest in 1..generations; stored any subset of 1..latest; each alias any of 1..latest; the three flags
    free; each Enactor idle, applying a plan p <= latest at any endpoint, or cleaning up after p <= latest
    with any non-empty list of plans <= p - K (idle jobs carry no plan; clean-up starts at endpoint 0).
    """
    enactors = check_int("enactors", enactors, lo=1, hi=MAX_ENACTORS)
    generations = check_int("generations", generations, lo=1, hi=MAX_GENERATIONS)
    endpoints = check_int("endpoints", endpoints, lo=1, hi=len(ENDPOINT_NAMES))
    K = check_int("K", K, lo=1, hi=MAX_K)
    return _encoding_states(enactors, generations, endpoints, K)


def _encoding_states(enactors: int, generations: int, endpoints: int, K: int):
    for latest in range(1, generations + 1):
        gens = range(1, latest + 1)
        jobs = [Enactor()] + [Enactor(APPLY, p, ep) for p in gens for ep in range(endpoints)]
        for p in gens:
            old = range(1, p - K + 1)
            jobs += [Enactor(CLEANUP, p, 0, d) for r in range(1, len(old) + 1) for d in combinations(old, r)]
        for stored in (frozenset(c) for r in range(latest + 1) for c in combinations(gens, r)):
            for alias in product(gens, repeat=endpoints):
                for frozen, regressed, deleted in product((False, True), repeat=3):
                    for team in product(jobs, repeat=enactors):
                        yield Zone(latest, stored, alias, team, frozen, regressed, deleted)


MAX_ENCODING = 2_000_000  # states: the largest encoding check_inductive enumerates


def check_inductive(enactors: int = 2, generations: int = 3, endpoints: int = 2, K: int = 1, fixes=FIXES,
                    invariant=fix_invariant) -> Induction:
    """Check that *invariant(zone, K)* is inductive for the model with *fixes*, over the whole encoding.

    Every state of :func:`encoding_states` that satisfies the invariant must have only successors that
    satisfy it; the initial state must satisfy it; and it must imply the safety properties.  Then no
    reachable state breaks a property, whatever the schedule — shown by one step from any state, not by a
    search from the start.
    """
    n, g = SPEC.check("enactors", enactors), SPEC.check("generations", generations)
    m, k = SPEC.check("endpoints", endpoints), SPEC.check("K", K)
    fixes = _fixes(fixes)
    if not callable(invariant):
        raise TypeError(f"invariant must be a function (zone, K) -> bool, got {type(invariant).__name__}")
    if _encoding_size(n, g, m, k) > MAX_ENCODING:
        raise ValueError(f"the encoding for enactors={n}, generations={g}, endpoints={m}, K={k} has more than "
                         f"{MAX_ENCODING:,} states; choose smaller sizes")
    label = "+".join(f for f in FIXES if f in fixes) or "no fixes"
    name = f"Enactors={n} generations={g} endpoints={m} K={k} [{label}]"
    total = satisfying = 0
    implies, cti = True, None
    for z in _encoding_states(n, g, m, k):
        total += 1
        if not invariant(z, k):
            continue
        satisfying += 1
        implies = implies and all(prop(z) for prop in PROPERTIES.values())
        if cti is None:
            for step, nz in _successors(z, g, k, fixes):
                if not invariant(nz, k):
                    cti = (z, step, nz)
                    break
    return Induction(name, total, satisfying, bool(invariant(initial_state(n, m), k)), implies, cti)


def _encoding_size(n: int, g: int, m: int, k: int) -> int:
    """Return the number of states encoding_states yields (without enumerating them)."""
    total = 0
    for latest in range(1, g + 1):
        jobs = 1 + latest * m + sum(2 ** max(0, p - k) - 1 for p in range(1, latest + 1))
        total += 2 ** latest * latest ** m * 8 * jobs ** n
    return total


def describe(z: Zone) -> str:
    """Describe a zone in words: the newest plan, the plans stored, where each alias points, the Enactors."""
    _zone(z)
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
    from .modelcheck import Result
    from .trace import Event

    check_type("result", result, Result, "a modelcheck Result (from check() or check_each())")
    events = []
    for i, (step, before) in enumerate(zip(result.actions, result.trace, strict=False), start=1):
        data = {"step": i}
        if step.kind == "delete":
            g = int(step.detail.split()[-1])
            data["deleted_active"] = [ENDPOINT_NAMES[j] for j, a in enumerate(before.alias) if a == g]
        detail = step.detail
        if step.kind == "publish":  # Chapter 2 names the Planner's step "plan generation N", not "plan plan N"
            detail = detail.replace("plan ", "generation ", 1)
        events.append(Event(float(i), step.actor, _KINDS.get(step.kind, step.kind), detail, data))
    return events
