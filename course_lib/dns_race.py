"""The DNS Enactor race of 19 October 2025, as a deterministic event simulation.

What the record says (fact sheet §1–§2): a DNS Planner produces successive *generations* of one regional
plan (load balancers and weights) shared by several endpoints [S1a][S1c]; three Enactors, fully independent,
each take the newest plan, check **once, at the start** that it is newer than the plan applied before, then
walk the endpoints, replacing the plan with a Route 53 transaction and retrying an endpoint when blocked
[S1a][S1c][S1e]; when done, an Enactor's clean-up deletes plans "significantly older" than the one it just
applied [S1c][S1d].  Plans are record trees; a top-level alias points at the active tree; older trees are
kept as rollback trees [S2].  The one-time check went stale, an old plan overwrote the regional endpoint,
clean-up deleted it, the record went empty and no Enactor could apply later plans [S1c][S1d][S1e].

Contract (other chapters rely on these names):

* ``REGIONAL_ENDPOINT`` and ``ENDPOINTS`` (regional first, then an IPv6 and a FIPS variant; the variant
  names are illustrative, a model choice).  ``tree_name(generation, endpoint)`` names a plan's record tree
  for one endpoint (an ``A`` record set); each endpoint has an ``ALIAS`` record at its own name pointing at
  the active tree; other trees stay as rollback trees until clean-up deletes them.
* ``FIXES = ("recheck_at_write", "protect_active", "freeze_on_inconsistency")``: (1) the apply batch is
  conditional on the alias's current generation (a fencing token: read it, compare, and DELETE it exactly
  in the same batch); (2) clean-up never deletes a tree that an alias points at (every clean-up
  delete batch is fenced on the aliases it read, ``dns_race_world.fenced_delete``); (3) when clean-up finds
  that an old plan is active, or an Enactor finds a dangling alias, freeze the automation and raise an
  alarm instead of acting.
* ``run_published(fixes=())`` replays the PES sequence (§2 steps 1–7); ``run_scenario(**params)`` is the
  same scenario with other parameters (the widget); ``run_random(seed, fixes=(), **params)`` draws
  lognormal (heavy-tailed) per-endpoint delays and lock losses from a seed.
* ``RaceResult``: ``.trace`` (``Event`` list), ``.zone`` (``HostedZone`` at the end), ``.answers``
  (regional DNS answer over time), ``.active`` (regional alias generation over time), ``.stuck``,
  ``.frozen``, ``.alarms``, ``.runs`` / ``.locks`` (work accounting), ``.params``.
* Properties (``PropertyVerdict(name, holds, first_violation_index, explanation)``): ``record_never_empty``,
  ``generation_never_decreases``, ``active_plan_never_deleted``; ``PROPERTIES`` maps "record never empty",
  "applied generation never decreases", "active plan never deleted" to them; ``pes_steps(result)`` finds
  PES steps 1–7 in a trace and ``became_stale_index`` the event that made a freshness check stale.
* Strategies are plain functions, swappable per run (``apply=``, ``cleanup=``): ``apply(zone, endpoint,
  generation, ips) -> bool`` (``apply_as_published``, ``apply_fenced``) and ``cleanup(zone, endpoint,
  generation, applied, K) -> bool`` (``delete_if_old``, ``delete_if_old_and_inactive``).  The engine is in
  ``dns_race_world``; rare-event estimates (P(race) per run and per year) in ``dns_race_montecarlo``.

Model choices (no published number or mechanism): time in seconds; the Planner's period; K, the number of
generations that makes a plan "significantly older" (clean-up deletes a tree when applied − generation ≥ K);
the fleet size; per-endpoint and clean-up step times; the lock lease; Enactors walk the variants first and
the regional endpoint last; the "previously applied plan" of the start check is the regional alias's
generation; an Enactor never gives up on an endpoint.  The stuck state: an Enactor starts by reading the
current plan of every endpoint and cannot build its change set if an alias points at a deleted tree, so it
stops ("blocked") — consistent with the PES's "inconsistent state that prevented subsequent plan updates"
[S1d]; why AWS's Enactors were blocked is not published (fact sheet §2, INTERPRETATION).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .dns.layout import ENDPOINTS as LAYOUT_ENDPOINTS
from .dns.layout import (
    REGIONAL_ENDPOINT,
    alias_generation,
    alias_record,
    tree_generation,
    tree_name,
    tree_record,
)
from .dns.rules import FIXES, check_fixes, delete_rule, write_rule
from .dns_race_properties import (
    PROPERTIES,
    PropertyVerdict,
    active_plan_never_deleted,
    became_stale_index,
    check_all,
    generation_never_decreases,
    pes_steps,
    record_never_empty,
)
from .events import Scheduler
from .route53 import Change, HostedZone
from .trace import Event
from .validate import check_int, check_number

__all__ = [
    "ACTORS",
    "ENDPOINTS",
    "FIXES",
    "PROPERTIES",
    "PUBLISHED",
    "REGIONAL_ENDPOINT",
    "Plan",
    "Planner",
    "PropertyVerdict",
    "RaceResult",
    "Scheduler",
    "active_plan_never_deleted",
    "alias_generation",
    "alias_record",
    "apply_as_published",
    "apply_fenced",
    "became_stale_index",
    "check_all",
    "delete_if_old",
    "delete_if_old_and_inactive",
    "experiment",
    "generation_never_decreases",
    "pes_steps",
    "record_never_empty",
    "run_published",
    "run_random",
    "run_scenario",
    "slow_run_finished",
    "summarize",
    "tree_generation",
    "tree_name",
    "tree_record",
    "widget_horizon",
]

ENDPOINTS = LAYOUT_ENDPOINTS[:3]  # the published scenario walks the regional, IPv6 and FIPS endpoints
ACTORS = ("Planner", "Enactor 1", "Enactor 2", "Enactor 3", "clean-up")
LEASE = 30.0  # lock lease in seconds: a model choice, longer than any single apply here

# The "as published" scenario: every number is a model choice picked so the PES order of steps happens.
PUBLISHED = dict(period=1.0, K=5, n_endpoints=3, endpoint_time=0.1, slow_delay=1.5, lock_losses=2,
                 retry_after=0.5, cleanup_step=0.15, run_interval=3.0, horizon=15.0,
                 starts=(1.05, 8.3, 11.0), n_lbs=4)


def _points_at(zone: HostedZone, name: str) -> bool:
    """Return True if any alias in the zone targets *name*."""
    return any(r.type == "ALIAS" and r.values[0] == name for r in zone.records())


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
        self.rng = np.random.default_rng(seed)

    def plan(self, generation: int, now: float) -> Plan:
        """Return plan *generation*: each load balancer weighted 0–3, 0 meaning drained (a model choice)."""
        weights = self.rng.integers(0, 4, self.n_lbs)
        weights[int(np.argmax(weights))] += 1  # a plan always keeps at least one load balancer in service
        return Plan(generation, now, tuple((f"10.0.0.{i + 1}", int(w)) for i, w in enumerate(weights)))


# --- strategies: how an Enactor writes and what clean-up deletes -------------------------------------

def apply_as_published(zone: HostedZone, endpoint: str, generation: int, ips: tuple[str, ...]) -> bool:
    """Point the alias at the plan's tree in one batch, whatever the alias holds now."""
    batch = [] if zone.get(tree_name(generation, endpoint)) else [Change("CREATE", tree_record(generation, endpoint, ips))]
    zone.change([*batch, Change("UPSERT", alias_record(endpoint, generation))])
    return True


def apply_fenced(zone: HostedZone, endpoint: str, generation: int, ips: tuple[str, ...]) -> bool:
    """Apply only if the plan is newer than the alias's generation; the exact DELETE makes it conditional."""
    current = zone.get(endpoint, "ALIAS")
    if not write_rule(generation, alias_generation(zone, endpoint), ("recheck_at_write",)):
        return False  # a newer (or the same) plan is already live: the fencing token says no
    batch = [] if zone.get(tree_name(generation, endpoint)) else [Change("CREATE", tree_record(generation, endpoint, ips))]
    if current is not None:
        batch.append(Change("DELETE", current))
    return zone.try_change([*batch, Change("CREATE", alias_record(endpoint, generation))])


def delete_if_old(zone: HostedZone, endpoint: str, generation: int, applied: int, K: int) -> bool:
    """Delete a tree that is K or more generations older than the plan just applied (age alone)."""
    return delete_rule(generation, applied, K, active=False)


def delete_if_old_and_inactive(zone: HostedZone, endpoint: str, generation: int, applied: int, K: int) -> bool:
    """Delete an old tree only if no alias points at it."""
    return delete_rule(generation, applied, K, _points_at(zone, tree_name(generation, endpoint)), ("protect_active",))


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

    def verdicts(self) -> dict[str, PropertyVerdict]:
        """Return every property's verdict on this result."""
        return check_all(self)


def _simulate(*args, **kw) -> RaceResult:
    from .dns_race_world import simulate  # imported late: the engine builds on the names above
    return simulate(*args, **kw)


def _check_fixes(fixes) -> tuple[str, ...]:
    if isinstance(fixes, str) or not isinstance(fixes, (tuple, list, set, frozenset)):
        raise TypeError(f"fixes must be a tuple of fix names, got {fixes!r}")
    return check_fixes(fixes)


def _strategies(fixes, apply, cleanup) -> tuple[Callable, Callable]:
    apply = apply or (apply_fenced if "recheck_at_write" in fixes else apply_as_published)
    cleanup = cleanup or (delete_if_old_and_inactive if "protect_active" in fixes else delete_if_old)
    if not callable(apply) or not callable(cleanup):
        raise TypeError("apply and cleanup must be functions")
    return apply, cleanup


def _check_params(p: dict) -> dict:
    check_number("period", p["period"], lo=0, lo_open=True)
    check_int("K", p["K"], lo=1, hi=1000)
    check_int("n_endpoints", p["n_endpoints"], lo=1, hi=len(ENDPOINTS))
    for name in ("endpoint_time", "slow_delay", "cleanup_step"):
        check_number(name, p[name], lo=0)
    # Zero waits between retries or runs would let a process spin forever at one instant.
    for name in ("retry_after", "run_interval"):
        check_number(name, p[name], lo=0, lo_open=True)
    check_int("lock_losses", p["lock_losses"], lo=0, hi=1000)
    check_number("horizon", p["horizon"], lo=0, lo_open=True, hi=10_000)
    return p


def run_scenario(fixes: tuple[str, ...] = (), apply: Callable | None = None, cleanup: Callable | None = None,
                 **params) -> RaceResult:
    """Replay the published scenario with some parameters changed (a slider experiment)."""
    unknown = set(params) - set(PUBLISHED)
    if unknown:
        raise ValueError(f"unknown parameter(s) {sorted(unknown)}; choose from {sorted(PUBLISHED)}")
    fixes = _check_fixes(fixes)
    p = _check_params({**PUBLISHED, **params})
    slow, losses, quick = p["slow_delay"], p["lock_losses"], p["endpoint_time"]

    def delays(enactor: int, endpoint: str) -> tuple[float, int, float]:
        # Enactor 1 is the one with "unusually high delays" and lost locks [S1c][S2]; the others are quick.
        return (slow, losses, quick) if enactor == 1 else (0.0, 0, quick)

    return _simulate(p, fixes, *_strategies(fixes, apply, cleanup), delays, seed=0)


def run_published(fixes: tuple[str, ...] = (), apply: Callable | None = None,
                  cleanup: Callable | None = None) -> RaceResult:
    """Replay the race as published (PES steps 1–7), optionally with fixes or learner strategies."""
    return run_scenario(fixes, apply, cleanup)


RANDOM = dict(period=1.0, K=3, n_endpoints=3, endpoint_time=0.05, median_delay=0.3, sigma=1.5,
              loss_prob=0.3, retry_after=0.5, cleanup_step=0.15, run_interval=2.0, horizon=40.0, n_lbs=4)


def run_random(seed: int, fixes: tuple[str, ...] = (), apply: Callable | None = None,
               cleanup: Callable | None = None, **params) -> RaceResult:
    """Run three Enactors with lognormal per-endpoint delays and random lock losses drawn from *seed*."""
    check_int("seed", seed, lo=0)
    unknown = set(params) - set(RANDOM)
    if unknown:
        raise ValueError(f"unknown parameter(s) {sorted(unknown)}; choose from {sorted(RANDOM)}")
    fixes = _check_fixes(fixes)
    p = {**RANDOM, **params}
    check_number("median_delay", p["median_delay"], lo=0, lo_open=True)
    check_number("sigma", p["sigma"], lo=0, hi=5)
    check_number("loss_prob", p["loss_prob"], lo=0, hi=0.95)
    rng = np.random.default_rng(seed)
    p["starts"] = tuple(float(x) for x in rng.uniform(0, p["run_interval"] + 1e-9, 3))
    p.update(slow_delay=0.0, lock_losses=0)
    _check_params(p)
    mu, sigma, q = np.log(p["median_delay"]), p["sigma"], p["loss_prob"]

    def delays(enactor: int, endpoint: str) -> tuple[float, int, float]:
        # Heavy tail: most walks are quick, a few are very slow (lognormal); losses are geometric.
        return float(rng.lognormal(mu, sigma)), int(rng.geometric(1 - q) - 1), p["endpoint_time"]

    return _simulate(p, fixes, *_strategies(fixes, apply, cleanup), delays, seed=seed)


def experiment(slow_delay: float = 1.5, lock_losses: int = 2, period: float = 1.0, K: int = 5,
               n_endpoints: int = 3, endpoint_time: float = 0.1, recheck_at_write: bool = False,
               protect_active: bool = False, freeze_on_inconsistency: bool = False) -> RaceResult:
    """Run the published scenario with the widget's values (the widget's compute)."""
    flags = dict(recheck_at_write=recheck_at_write, protect_active=protect_active,
                 freeze_on_inconsistency=freeze_on_inconsistency)
    return run_scenario(tuple(name for name, on in flags.items() if on), slow_delay=slow_delay,
                        lock_losses=lock_losses, period=period, K=K, n_endpoints=n_endpoints,
                        endpoint_time=endpoint_time,
                        horizon=widget_horizon(slow_delay, lock_losses, n_endpoints, endpoint_time))


def widget_horizon(slow_delay: float, lock_losses: int, n_endpoints: int, endpoint_time: float) -> float:
    """Return a horizon long enough for the slow Enactor's first run to end, with time to see what follows."""
    p = PUBLISHED
    # Enactor 1's walk: per endpoint its delay, its lost lock attempts and the write; then some later runs.
    walk = n_endpoints * (slow_delay + lock_losses * p["retry_after"] + endpoint_time)
    return max(p["horizon"], round(p["starts"][0] + walk + 2 * p["run_interval"]))


def slow_run_finished(result: RaceResult) -> bool:
    """Return True if Enactor 1 (the slow one) finished its first run before the horizon."""
    ends = ("done", "blocked", "frozen", "freeze")
    return any(e.actor == "Enactor 1" and (e.kind in ends or (e.kind == "check" and not e.data["fresh"]))
               for e in result.trace)


def summarize(result: RaceResult) -> str:
    """Return one line: a verdict per property and the end state of the regional record."""
    marks = "; ".join(f"{'✔' if v.holds else '✘'} {name}" for name, v in result.verdicts().items())
    end = result.answers[-1][1]
    state = ("STUCK: record empty, later runs blocked" if result.stuck else
             "FROZEN: alarm raised" if result.frozen else f"answer: {len(end)} IP{'' if len(end) == 1 else 's'}")
    if not slow_run_finished(result):
        # The verdicts only cover what happened so far: the slow write may still be to come.
        state += f" | Enactor 1 still mid-run at t={result.params['horizon']:g} s: verdicts so far"
    return f"{marks} | {state}"
