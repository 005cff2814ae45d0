"""The night as one chain: DNS race -> DynamoDB -> DWFM leases -> launches -> Network Manager -> NLB (Chapter 6).

Every stage's timing comes out of the stage before it; only the operators' actions carry clock times, and
those are read from :mod:`course_lib.timeline` (the record) or given by the learner.

* **DNS** (Chapter 2): ``dns_race.run_published()`` ends with the regional endpoint's answer empty; the
  record is empty from the event start (23:48) until the *dns repair* action.  With Chapter 2's fixes the
  answer never empties and the chain does nothing.
* **DynamoDB** (:func:`course_lib.dynamodb.after_repair`): reachable again once cached empty answers expire.
* **DWFM** (:func:`course_lib.dwfm.simulate`): leases time out while DynamoDB is unreachable; from the repair
  DWFM re-establishes them and collapses unless throttled and restarted; its ``launch_capacity`` is the
  share of launches EC2 admits (no lease, no launch; the throttle admits a share until relaxed).
* **Network Manager** (:func:`course_lib.network_manager.simulate`): the backlog of network-state
  propagations the recovered launches and the night's terminations feed.
* **NLB** (:func:`course_lib.nlb.simulate`): health checks flap on targets whose network state has not
  propagated; AZ failover removes capacity (fail-open when every AZ looks unhealthy; velocity control caps it).
* **Containers** (ECS, EKS, Fargate): back ``catch_up`` minutes after EC2 is normal (set equal to the record:
  14:20 minus 13:50).

Customer-impact minutes (a model choice): each minute counts by the share of the service impaired — all of
DynamoDB and of the internal services until they reach it, the share of EC2 launches refused (all of them while
new instances launch without connectivity), the share of NLB connections failing, and all of the container
services until they are back.  Every count, rate and threshold is a **model choice** (AWS published none);
the fitted parameters are listed in :data:`FITTED`, each with the one published time it was fitted to.  One
compared time is held out (:data:`PREDICTED`): the first instances without connectivity (06:21), whose limit is
set a priori from DWFM's lease timeout (:data:`A_PRIORI`); the model gives 06:04.  How loosely the record fixes
that moment (rerun over the values nobody fitted, the fit redone each time) is :mod:`course_lib.held_out`'s job.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache

import numpy as np

from . import dwfm, dynamodb, network_manager, nlb, timeline
from .params import Param, Spec
from .validate import check_choice, check_number, check_type

__all__ = [
    "ACTION_KINDS",
    "ALSO_FITTED",
    "ANCHORED",
    "A_PRIORI",
    "COMPARED",
    "COUNTERFACTUALS",
    "FITTED",
    "FIT_TOLERANCE",
    "HORIZON",
    "MITIGATIONS",
    "NLB_SEEDS",
    "OPERATOR_INPUT",
    "PREDICTED",
    "PUBLISHED_AS",
    "SERVICES",
    "SET_FROM_RECORD",
    "SPEC",
    "STAGES",
    "SUMMARY_LABELS",
    "TOLERANCE",
    "Action",
    "ActionScript",
    "Counterfactual",
    "NightResult",
    "Row",
    "ScriptError",
    "bands",
    "cache_clear",
    "clock",
    "compare",
    "counterfactuals",
    "critical_path",
    "fitted_parameters",
    "minute_of",
    "published_minute",
    "run",
    "sensitivity",
    "table_text",
    "what_if",
]

# ---- clock: every published time is read from the timeline ----------------------------------------------

PUBLISHED_NAMES = tuple(timeline.PUBLISHED)


def published_minute(name: str) -> float:
    """Return the minute (after 23:48 PDT) of a named published moment, read from the timeline."""
    return float(timeline.published(name))


def minute_of(hhmm: str) -> float:
    """Return the minute after 23:48 PDT of a clock time 'HH:MM' that night (23:48-23:59 is 19 Oct)."""
    check_type("hhmm", hhmm, str)
    m = float(timeline.minutes(hhmm))
    if m < 0:
        raise ValueError(f"time must be at or after the event start (23:48 PDT), got {hhmm!r}")
    return m


def clock(minute) -> str:
    """Return the PDT clock time 'HH:MM' of a minute after 23:48 ('never' for inf)."""
    if isinstance(minute, (float, np.floating)) and math.isinf(minute) and minute > 0:
        return "never"
    return timeline.clock(minute)


HORIZON = 20 * 60 + 12  # minutes: the model runs to 20 Oct 20:00 PDT (a bad night may last that long)

# ---- parameters, declared once -----------------------------------------------------------------------------

SPEC = Spec((
    Param("catch_up", timeline.published("event end") - timeline.published("ec2 normal"), lo=0, hi=300,
          label="containers' catch-up after EC2", unit="min", step=1,
          help="set equal to the record: the event ended (ECS, EKS, Fargate) at 14:20, EC2 was normal at 13:50"),
    Param("velocity_cap", 0.1, lo=0, hi=1, label="velocity control: most capacity one failover removes",
          help="model choice; in force only with the 'velocity control' mitigation"),
    Param("retry_budget", 0.5, lo=0, hi=1, lo_open=True, label="retry budget: share of DWFM's rate admitted",
          help="model choice; in force only with the 'retry budget' mitigation"),
))
# Every stage's parameters by the name run() accepts them under; the stage that declares a name owns it.
STAGE_SPECS = {"dynamodb": dynamodb.SPEC, "dwfm": dwfm.SPEC, "network_manager": network_manager.SPEC,
               "nlb": nlb.SPEC, "cascade": SPEC}
_RESERVED = {"repair_at", "horizon"}  # set by the action script and the run's horizon, not by a caller
# The fitted parameters of the whole chain: (stage, parameter) -> the published moment it was fitted to.
FITTED = {("dynamodb", "ttl"): "dynamodb recovered",
          **{("dwfm", k): v for k, v in dwfm.FITTED.items()},
          **{("network_manager", k): v for k, v in network_manager.FITTED.items()},
          **{("nlb", k): v for k, v in getattr(nlb, "FITTED", {}).items()},
          ("cascade", "catch_up"): "event end"}
# Of the fitted values, those set equal to the record by subtracting two published times (not searched for).
SET_FROM_RECORD = {("cascade", "catch_up"), ("dynamodb", "ttl"),
                   *(("dwfm", k) for k in getattr(dwfm, "SET_FROM_RECORD", ("lease_loss_minutes", "relax_minutes")))}
# NLB's parameters, when fitted, were searched so that its first errors fall near 05:30 AND last until the 09:36
# switch-off: the time the errors resolve is then constrained by that fit as well, not predicted.
ALSO_FITTED = ({"failover disabled": "nlb." + "/".join(getattr(nlb, "FITTED", {}))}
               if getattr(nlb, "FITTED", None) else {})
# Compared moments that are not a timeline.PUBLISHED key of their own, and the record entry they come from:
# the 05:28 entry says DWFM held every lease *and* Network Manager's backlog began [S1e][S1f].
PUBLISHED_AS = {"nm backlog begins": "all leases held"}
# Published moments the chain reproduces; those no parameter was fitted to are predictions.
COMPARED = ("dynamodb recovered", "all leases held", "nm backlog begins", "nlb errors begin", "connectivity problems",
            "failover disabled", "propagation normal", "ec2 normal", "event end")
# Rows that are not fitted but not independent either.  "NLB errors resolve" is when the model's NLB errors end,
# which follows the operators' switch-off (an input at the published 09:36: nothing is removed after it).  The
# backlog's start is compared with the 05:28 that dwfm.rate was fitted to (the same record entry), so it is
# anchored to a fitted time.  One row is an independent prediction: 06:21, the first instances without
# connectivity.  Its criterion (network_manager.A_PRIORI: a new instance waits for its network state no longer
# than DWFM's lease timeout) is taken from another stage, not searched, and no parameter is fitted to 06:21.
OPERATOR_INPUT = {"failover disabled": "disable nlb failover"}
ANCHORED = {"nm backlog begins": "all leases held"}
PREDICTED = tuple(m for m in COMPARED if m not in FITTED.values() and m not in ALSO_FITTED
                  and m not in OPERATOR_INPUT and m not in ANCHORED)  # ("connectivity problems",)
# Values set a priori from another model quantity (not searched), with the moment each one predicts.
A_PRIORI = {("network_manager", k): v for k, v in network_manager.A_PRIORI.items()}
LABELS = {"failover disabled": "NLB errors resolve", "nm backlog begins": "NM backlog begins"}  # the model's time for that row is when its errors end
# How NightResult.summary() names each moment: for what the model measures, not the record entry it is compared with.
SUMMARY_LABELS = {"failover disabled": "NLB errors end", "nm backlog begins": "NM backlog begins",
                  "nlb errors begin": "NLB errors begin", "dynamodb recovered": "DynamoDB recovered",
                  "ec2 normal": "EC2 normal", "propagation normal": "NM propagation normal"}
FIT_TOLERANCE = 5.0  # minutes: a fitted time this close counts as fitted (a grid search over seeds is coarse)
TOLERANCE = 15.0  # minutes: a predicted time within this of the published one counts as reproduced

# ---- the action script -------------------------------------------------------------------------------------

ACTION_KINDS = {
    "rpz override": "override DynamoDB's answer on internal resolvers (internal services reconnect)",
    "dns repair": "repair the regional endpoint's record (all DynamoDB DNS information restored)",
    "throttle dwfm": "throttle incoming work to DWFM (admit work up to a queue target)",
    "restart dwfm": "restart DWFM hosts (drops their queued work)",
    "disable nlb failover": "switch off NLB's automatic health-check AZ failover",
    "relax throttles": "start relaxing the EC2 throttles",
    "enable nlb failover": "switch NLB's automatic health-check failover back on",
}
MITIGATIONS = ("admission control", "velocity control", "retry budget")
_PUBLISHED_ACTIONS = (("rpz override", "rpz override"), ("dns repair", "dns restored"),
                      ("throttle dwfm", "throttling and restarts"), ("restart dwfm", "throttling and restarts"),
                      ("disable nlb failover", "failover disabled"), ("relax throttles", "throttles relaxed"),
                      ("enable nlb failover", "failover re-enabled"))


class ScriptError(ValueError):
    """An action script that cannot be run: the message names the action and the problem."""


@dataclass(frozen=True)
class Action:
    """One operator action: when (minutes after 23:48 PDT) and what."""

    at: float
    kind: str
    share: float = 1.0  # restart dwfm: the share of hosts restarted (the record says "selective")

    def __post_init__(self):
        if not isinstance(self.kind, str) or self.kind not in ACTION_KINDS:
            raise ScriptError(f"unknown action {self.kind!r}; choose from {', '.join(ACTION_KINDS)}")
        try:
            at = check_number("at", self.at, lo=0, hi=HORIZON)
            share = check_number("share", self.share, lo=0, hi=1, lo_open=True)
        except (TypeError, ValueError) as exc:
            raise ScriptError(f"action {self.kind!r}: {exc} (minutes after 23:48, up to {HORIZON} = 20:00)") \
                from None
        object.__setattr__(self, "at", at)
        object.__setattr__(self, "share", share)

    @property
    def clock(self) -> str:
        return clock(self.at)

    def __str__(self) -> str:
        return f"{self.clock} {self.kind}"


@dataclass(frozen=True)
class ActionScript:
    """The operators' actions in time order, each kind at most once, plus standing mitigations."""

    actions: tuple[Action, ...] = ()
    mitigations: frozenset = frozenset()

    def __post_init__(self):
        acts = self.actions
        if isinstance(acts, (str, bytes)) or not isinstance(acts, Iterable):
            raise ScriptError(f"actions must be a sequence of Action, got {type(acts).__name__}")
        acts = tuple(acts)
        for i, a in enumerate(acts):
            if not isinstance(a, Action):
                raise ScriptError(f"action {i} must be an Action, got {type(a).__name__} {a!r}")
        for prev, a in itertools.pairwise(acts):
            if a.at < prev.at:
                raise ScriptError(f"actions out of order: {a} comes after {prev}; sort them by time")
        kinds = [a.kind for a in acts]
        for k in set(kinds):
            if kinds.count(k) > 1:
                raise ScriptError(f"action {k!r} appears {kinds.count(k)} times; each action happens at most once")
        on = {a.kind: a.at for a in acts}
        if "enable nlb failover" in on and on.get("disable nlb failover", math.inf) > on["enable nlb failover"]:
            raise ScriptError("'enable nlb failover' needs an earlier 'disable nlb failover' (it is on already)")
        if "relax throttles" in on and "throttle dwfm" in on and on["relax throttles"] < on["throttle dwfm"]:
            raise ScriptError("'relax throttles' comes before 'throttle dwfm'; there is nothing to relax yet")
        mit = self.mitigations
        if isinstance(mit, str) or not isinstance(mit, Iterable):
            raise ScriptError(f"mitigations must be a set of names from {MITIGATIONS}, got {mit!r}")
        mit = frozenset(mit)
        for m in mit:
            if m not in MITIGATIONS:
                raise ScriptError(f"unknown mitigation {m!r}; choose from {', '.join(MITIGATIONS)}")
        object.__setattr__(self, "actions", acts)
        object.__setattr__(self, "mitigations", mit)

    @classmethod
    def published(cls) -> ActionScript:
        """Return AWS's actions at their published times (read from the timeline)."""
        acts = [Action(published_minute(when), kind) for kind, when in _PUBLISHED_ACTIONS]
        # "selective" restarts: the record gives no share; Chapter 4's DWFM model says which (a model choice)
        acts = [replace(a, share=dwfm.DEFAULT_RESTART_FRACTION) if a.kind == "restart dwfm" else a for a in acts]
        return cls(tuple(sorted(acts, key=lambda a: a.at)))

    @classmethod
    def of(cls, steps, mitigations=()) -> ActionScript:
        """Build a script from (clock 'HH:MM' or minute, kind) pairs, sorted by time."""
        if isinstance(steps, Mapping):
            steps = [(t, k) for k, t in steps.items()]
        acts = []
        for i, step in enumerate(steps):
            if not isinstance(step, (tuple, list)) or len(step) != 2:
                raise ScriptError(f"step {i} must be a (time, action) pair, got {step!r}")
            when, kind = step
            acts.append(Action(_to_minute(when, kind), kind))
        return cls(tuple(sorted(acts, key=lambda a: a.at)), frozenset(mitigations))

    def at(self, kind: str) -> float | None:
        """Return the minute of action *kind*, or None if the script does not take it."""
        check_choice("kind", kind, tuple(ACTION_KINDS))
        return next((a.at for a in self.actions if a.kind == kind), None)

    def get(self, kind: str) -> Action | None:
        """Return the script's action *kind*, or None if it does not take it."""
        check_choice("kind", kind, tuple(ACTION_KINDS))
        return next((a for a in self.actions if a.kind == kind), None)

    def moved(self, kind: str, to) -> ActionScript:
        """Return the script with action *kind* at *to* (a minute or 'HH:MM'); added if absent."""
        check_choice("kind", kind, tuple(ACTION_KINDS))
        old = self.get(kind)
        new = Action(_to_minute(to, kind), kind, old.share if old else 1.0)
        rest = [a for a in self.actions if a.kind != kind] + [new]
        return ActionScript(tuple(sorted(rest, key=lambda a: a.at)), self.mitigations)

    def without(self, kind: str) -> ActionScript:
        """Return the script without action *kind* (without the failover switch-off, no switch-on either)."""
        check_choice("kind", kind, tuple(ACTION_KINDS))
        drop = {kind, "enable nlb failover"} if kind == "disable nlb failover" else {kind}
        return ActionScript(tuple(a for a in self.actions if a.kind not in drop), self.mitigations)

    def shifted(self, after: float, by: float) -> ActionScript:
        """Return the script with every action later than minute *after* moved by *by* minutes.

        A what-if helper: responders keep their published pace after an earlier (or later) step.
        """
        after = check_number("after", after, lo=0, hi=HORIZON)
        by = check_number("by", by, lo=-HORIZON, hi=HORIZON)
        acts = [replace(a, at=min(max(a.at + by, after), HORIZON)) if a.at > after else a for a in self.actions]
        return ActionScript(tuple(sorted(acts, key=lambda a: a.at)), self.mitigations)

    def with_mitigations(self, *names: str) -> ActionScript:
        return ActionScript(self.actions, self.mitigations | set(names))

    def __str__(self) -> str:
        lines = [str(a) for a in self.actions] or ["(no actions)"]
        if self.mitigations:
            lines.append("mitigations: " + ", ".join(sorted(self.mitigations)))
        return "\n".join(lines)


def _to_minute(when, kind: str) -> float:
    if isinstance(when, str):
        try:
            return minute_of(when)
        except (ValueError, TypeError) as exc:
            raise ScriptError(f"action {kind!r}: {exc}") from None
    if isinstance(when, bool) or not isinstance(when, (int, float, np.integer, np.floating)):
        raise ScriptError(f"action {kind!r}: time must be 'HH:MM' or minutes after 23:48, got {when!r}")
    return float(when)


# ---- the result --------------------------------------------------------------------------------------------

SERVICES = ("DynamoDB", "Internal services", "EC2", "NLB", "Containers")


@dataclass(frozen=True)
class NightResult:
    """One night: the script, every stage's result, the times that emerged, and customer-impact minutes."""

    script: ActionScript
    params: dict
    race_empty: bool
    t: np.ndarray
    availability: object  # dynamodb.Availability or None (the record never empties)
    leases: object  # dwfm.LeaseRun or None
    propagation: object  # network_manager.PropagationRun or None
    capacity: object  # nlb.CapacityRun or None
    nlb_capacity: np.ndarray
    nlb_error_rate: np.ndarray
    times: dict
    impact: dict
    notes: tuple = field(default=())
    impact_rate: np.ndarray | None = field(default=None, repr=False)  # impact minutes accrued in each minute

    def impact_until(self, minute: float) -> float:
        """Return the customer-impact minutes accrued before *minute* (all services)."""
        minute = check_number("minute", minute, lo=0, hi=HORIZON + 1)
        if self.impact_rate is None:
            return 0.0
        return float(self.impact_rate[: int(minute)].sum())

    @property
    def end(self) -> float:
        return self.times["event end"]

    @property
    def total_impact(self) -> float:
        return float(sum(self.impact.values()))

    @property
    def launch_capacity(self) -> np.ndarray:
        return self._series("leases", "launch_capacity", 1.0)

    @property
    def nm_delay(self) -> np.ndarray:
        return self._series("propagation", "delay", 0.0)

    def _series(self, stage: str, name: str, fill: float) -> np.ndarray:
        run = getattr(self, stage)
        out = np.full(self.t.size, fill)
        if run is not None:
            values = getattr(run, name)
            out[: values.size] = values[: self.t.size]
            out[values.size:] = values[-1]
        return out

    def summary(self) -> str:
        """The night's moments in time order, each named for what the model measures, then impact per service.

        A moment the night never reaches prints 'never'; the NLB rows print 'no errors' on a night without
        NLB connection errors.  (The key 'failover disabled' in ``times`` is the record's name for the row it
        is compared with; what the model gives there is when its NLB errors end, printed as such.)
        """
        nlb_errors = self.race_empty and math.isfinite(self.times.get("nlb errors begin", math.inf))
        rows = []

        def when(item):  # in time order; moments that never come (or NLB rows without errors) last
            k, v = item
            none = not self.race_empty or not math.isfinite(v) or (k in ("nlb errors begin", "failover disabled")
                                                                   and not nlb_errors)
            return (none, v if not none else 0.0)

        for k, v in sorted(self.times.items(), key=when):
            if not self.race_empty:
                text = "never"
            elif k in ("nlb errors begin", "failover disabled") and not nlb_errors:
                text = "no errors"
            else:
                text = clock(v)
            rows.append(f"{SUMMARY_LABELS.get(k, k):24s} {text}")
        rows += [f"impact {s:17s} {m:6.0f} min" for s, m in self.impact.items()]
        return "\n".join(rows + list(self.notes))


# ---- the stages --------------------------------------------------------------------------------------------

@lru_cache(maxsize=4)
def _race_empties(fixes: tuple) -> bool:
    """Run Chapter 2's race (with *fixes*) and say whether the regional endpoint's answer ends empty."""
    from . import dns_race

    result = dns_race.run_published(fixes)
    return bool(result.answers) and result.answers[-1][1] == ()


def _split_params(params: Mapping) -> dict:
    """Route each keyword to the stage that declares it; refuse unknown and reserved names."""
    out = {k: {} for k in STAGE_SPECS}
    for name, value in params.items():
        owners = [k for k, spec in STAGE_SPECS.items() if name in spec]
        if name in _RESERVED or not owners:
            allowed = sorted({p.name for spec in STAGE_SPECS.values() for p in spec} - _RESERVED)
            raise ValueError(f"unknown parameter {name!r}; choose from {allowed}")
        out[owners[0]][name] = value
    for stage, spec in STAGE_SPECS.items():
        out[stage] = spec.validate(out[stage], partial=True)
    return out


def _freeze(d: Mapping) -> tuple:
    return tuple(sorted(d.items()))


@lru_cache(maxsize=256)
def _lease_stage(avail, actions, throttle_cap, dwfm_params: tuple):
    return dwfm.simulate(avail, actions=actions, retry_budget=throttle_cap, horizon=float(HORIZON),
                         **dict(dwfm_params))


@lru_cache(maxsize=256)
def _propagation_stage(avail, actions, throttle_cap, dwfm_params: tuple, nm_params: tuple):
    leases = _lease_stage(avail, actions, throttle_cap, dwfm_params)
    return network_manager.simulate(leases, **dict(nm_params))


@lru_cache(maxsize=256)
def _capacity_stage(avail, actions, throttle_cap, dwfm_params: tuple, nm_params: tuple, off, on, velocity,
                    nlb_params: tuple):
    prop = _propagation_stage(avail, actions, throttle_cap, dwfm_params, nm_params)
    return nlb.simulate(prop, failover_disabled_at=off, failover_enabled_at=on, velocity_control=velocity,
                        **dict(nlb_params))


def p_ttl(parts: dict) -> float:
    return parts["dynamodb"].get("ttl", dynamodb.DEFAULT_TTL)


def _first(mask: np.ndarray) -> float:
    idx = np.flatnonzero(mask)
    return float(idx[0]) if idx.size else math.inf


def _last_end(mask: np.ndarray) -> float:
    """Return the minute after the last True in *mask* (0 if none; inf if still True at the horizon)."""
    idx = np.flatnonzero(mask)
    if not idx.size:
        return 0.0
    return math.inf if idx[-1] >= mask.size - 1 else float(idx[-1] + 1)


def _dwfm_actions(script: ActionScript) -> dwfm.Actions:
    """Translate the script's DWFM actions and standing mitigations into dwfm.Actions."""
    throttle, restart, relax = script.at("throttle dwfm"), script.at("restart dwfm"), script.at("relax throttles")
    share = script.get("restart dwfm").share if restart is not None else None
    if "admission control" in script.mitigations or "retry budget" in script.mitigations:
        throttle = 0.0  # a standing mechanism: in place before the trigger
    return dwfm.Actions(throttle_at=throttle, restart_at=restart, restart_fraction=share, relax_at=relax)


def run(actions: ActionScript | None = None, *, fixes: tuple = (), **params) -> NightResult:
    """Run the night with an action script (AWS's published one by default) and return every stage."""
    script = ActionScript.published() if actions is None else actions
    if not isinstance(script, ActionScript):
        raise TypeError(f"actions must be an ActionScript, got {type(script).__name__}")
    if isinstance(fixes, str) or not isinstance(fixes, (tuple, list)):
        raise TypeError(f"fixes must be a tuple of Chapter 2's fix names, got {fixes!r}")
    parts = _split_params(params)
    p = {**SPEC.defaults, **parts["cascade"]}
    empty = _race_empties(tuple(fixes))
    at = {k: (script.at(k) if script.at(k) is not None else math.inf) for k in ACTION_KINDS}
    n = HORIZON + 1
    t = np.arange(n, dtype=float)
    notes = []
    if not empty:
        zero = np.zeros(n)
        times = dict.fromkeys((*COMPARED, "launches unthrottled"), 0.0)
        return NightResult(script, p, False, t, None, None, None, None, np.ones(n), zero, times,
                           dict.fromkeys(SERVICES, 0.0), ("the record never empties: no outage",))
    restored = at["dns repair"]
    leases = prop = avail = None
    if math.isfinite(restored) and restored + p_ttl(parts) >= HORIZON - 1:
        restored = math.inf  # repaired too late for this run's horizon: as if never
    if math.isfinite(restored):
        avail = dynamodb.after_repair(restored, **parts["dynamodb"])
        reachable = avail.reachable_at
        acts = _dwfm_actions(script)
        budget = None
        if "retry budget" in script.mitigations:
            budget = p["retry_budget"]  # a share of each DWFM host's own rate, admitted a minute
        leases = _lease_stage(avail, acts, budget, _freeze(parts["dwfm"]))
        prop = _propagation_stage(avail, acts, budget, _freeze(parts["dwfm"]), _freeze(parts["network_manager"]))
        held = leases.all_held_at
    else:
        reachable, held = math.inf, math.inf
        notes.append("DynamoDB's record is never repaired")
    if math.isfinite(restored) and not math.isfinite(held):
        notes.append("DWFM never holds every lease: the congestive collapse goes on")
    capacity = None
    if prop is not None:
        off, on = (None if math.isinf(at[k]) else at[k] for k in ("disable nlb failover", "enable nlb failover"))
        velocity = p["velocity_cap"] if "velocity control" in script.mitigations else None
        capacity = _capacity_stage(avail, acts, budget, _freeze(parts["dwfm"]), _freeze(parts["network_manager"]),
                                   off, on, velocity, _freeze(parts["nlb"]))
        cap = np.ones(n)
        err = np.zeros(n)
        k = min(n, capacity.t.size)
        cap[:k] = capacity.in_service[:k] / capacity.total
        err[:k] = capacity.error_rate[:k]
        errs = err > capacity.params["error_threshold"]
    else:
        cap, err = np.ones(n), np.zeros(n)
        errs = np.zeros(n, dtype=bool)
    errors_begin = _first(errs)
    resolve = _last_end(errs) if math.isfinite(errors_begin) else 0.0
    if prop is not None:
        conn_from, prop_normal = prop.no_connectivity_from, prop.normal_at
        backlog_from = prop.backlog_begins_at
        launch = np.ones(n)
        k = min(n, leases.launch_capacity.size)
        launch[:k] = leases.launch_capacity[:k]
        launch[k:] = leases.launch_capacity[-1]
        slow = np.zeros(n, dtype=bool)
        k = min(n, prop.delay.size)
        slow[:k] = prop.delay[:k] > prop.params["normal_delay"]
        slow[k:] = prop.delay[-1] > prop.params["normal_delay"]
        ec2_bad = (launch < 1.0 - 1e-9) | slow
        ec2_bad[: math.ceil(reachable)] = True
        no_conn = np.zeros(n, dtype=bool)
        k = min(n, prop.delay.size)
        no_conn[:k] = prop.delay[:k] > prop.params["connectivity_limit"]
        no_conn[k:] = prop.delay[-1] > prop.params["connectivity_limit"]
        # impaired share: launches refused, or new instances without connectivity (all of them)
        ec2_share = np.where(no_conn, 1.0, np.clip(1.0 - launch, 0.0, 1.0))
        ec2_share[: math.ceil(reachable)] = 1.0
    else:
        conn_from, prop_normal, backlog_from = math.inf, math.inf, math.inf
        ec2_bad = np.ones(n, dtype=bool)
        ec2_share = np.ones(n)
    ec2_normal = _last_end(ec2_bad)
    unthrottled = _last_end(launch < 1.0 - 1e-9) if prop is not None else math.inf
    containers = ec2_normal + p["catch_up"]
    internal = min(at["rpz override"], reachable)
    impact = {"DynamoDB": min(reachable, HORIZON), "Internal services": min(internal, HORIZON),
              "EC2": float(ec2_share.sum()), "NLB": float(err.sum()), "Containers": min(containers, HORIZON)}
    end = max(reachable, internal, ec2_normal, resolve, containers)
    times = {"dynamodb recovered": reachable, "all leases held": held, "nm backlog begins": backlog_from,
             "nlb errors begin": errors_begin,
             "connectivity problems": conn_from, "failover disabled": resolve, "propagation normal": prop_normal,
             "ec2 normal": ec2_normal, "event end": end, "launches unthrottled": unthrottled}
    rate = ((t < reachable).astype(float) + (t < internal) + ec2_share + err + (t < containers))
    return NightResult(script, p, True, t, avail, leases, prop, capacity, cap, err, times, impact, tuple(notes),
                       rate)


# ---- published vs model ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Row:
    """One published moment beside the model's: minutes, difference, and whether a parameter was fitted to it."""

    moment: str
    published: float
    model: float
    fitted_by: str  # "stage.parameter" fitted to this moment, or "" for a prediction
    absent: bool = False  # the model never has this moment (no NLB errors at all: nothing resolves)

    @property
    def kind(self) -> str:
        """How the row's model time came about: 'fitted (searched)', 'set equal to the record' (a subtraction),
        'operator input', 'anchored to a fitted time', or 'predicted' (06:21, in the published table)."""
        if self.moment in OPERATOR_INPUT:
            return "operator input"
        if self.moment in ANCHORED:
            return "anchored to a fitted time"
        if not self.fitted_by:
            return "predicted"
        params = [k for k, m in FITTED.items() if m == self.moment]
        if params and all(k in SET_FROM_RECORD for k in params):
            return "set equal to the record"
        return "fitted (searched)"

    @property
    def error(self) -> float:
        return math.nan if self.absent else self.model - self.published

    @property
    def ok(self) -> bool:
        tight = self.fitted_by or self.moment in OPERATOR_INPUT
        return math.isfinite(self.error) and abs(self.error) <= (FIT_TOLERANCE if tight else TOLERANCE)

    @property
    def label(self) -> str:
        return LABELS.get(self.moment, self.moment)

    def __str__(self) -> str:
        kind = self.kind
        if kind == "operator input":
            how = f"operator input (failover switched off at {clock(self.published)}: nothing removed after)"
            if self.fitted_by:  # and the NLB's fit asked for no errors after the switch-off
                how = (f"operator input (off at {clock(self.published)}) and the NLB fit "
                       f"({self.fitted_by.replace(' (with errors begin)', '')}: no errors after it)")
        elif kind == "anchored to a fitted time":
            how = "anchored to a fitted time (the 05:28 entry dwfm.rate was fitted to)"
        elif kind == "set equal to the record":
            how = f"set equal to the record ({self.fitted_by.replace(', set from the record', '')})"
        elif kind == "fitted (searched)":
            how = f"fitted, searched ({self.fitted_by.replace(', set from the record', '')})"
        else:
            how = f"predicted (±{TOLERANCE:g} min)"
        if self.absent:
            return f"{self.label:22s} {clock(self.published)}  {'none':>5s}  {'-':>9s}  no NLB errors in this night"
        return (f"{self.label:22s} {clock(self.published)}  {clock(self.model):>5s}  {self.error:+5.0f} min  "
                f"{how}")


def compare(night: NightResult | None = None) -> tuple[Row, ...]:
    """Return the published-vs-model table for *night* (the published script's night by default)."""
    night = run() if night is None else check_type("night", night, NightResult)
    by_moment: dict = {}
    for (stage, name), m in FITTED.items():
        by_moment[m] = f"{by_moment[m]}, {name}" if m in by_moment else f"{stage}.{name}"
        if (stage, name) in SET_FROM_RECORD:
            by_moment[m] += ", set from the record"
    by_moment.update({m: f"{v} (with errors begin)" for m, v in ALSO_FITTED.items()})
    no_errors = not math.isfinite(night.times["nlb errors begin"])
    return tuple(Row(m, published_minute(PUBLISHED_AS.get(m, m)), night.times[m], by_moment.get(m, ""),
                     absent=no_errors and m == "failover disabled")
                 for m in COMPARED)


def table_text(rows=None) -> str:
    """Return the published-vs-model table as text (of *rows*, by default the published night's)."""
    rows = compare() if rows is None else rows
    if isinstance(rows, (str, bytes)) or not isinstance(rows, (tuple, list)) or \
            not all(isinstance(r, Row) for r in rows):
        raise TypeError(f"rows must be a tuple of cascade.Row (the result of compare), got {type(rows).__name__}")
    head = f"{'published moment':22s} {'PDT':5s}  {'model':>5s}  {'diff':>9s}  how"
    return "\n".join([head] + [str(r) for r in rows])


def fitted_parameters() -> dict:
    """Return every fitted parameter as 'stage.name' -> (value, the published moment it was fitted to)."""
    return {f"{stage}.{name}": (STAGE_SPECS[stage][name].default, m) for (stage, name), m in FITTED.items()}


def sensitivity(step: float = 0.1) -> dict:
    """Move each fitted parameter by ±*step* (a share) and return how far every compared time moves.

    Returns {'stage.name': {moment: (shift at -step, shift at +step)}} in minutes (inf: never happens).
    """
    step = check_number("step", step, lo=0, hi=0.5, lo_open=True)
    base = run().times
    out = {}
    for (stage, name) in FITTED:
        spec = STAGE_SPECS[stage][name]
        value = spec.default
        shifts = {m: [] for m in COMPARED}
        for sign in (-1, 1):
            moved = min(max(value * (1 + sign * step), spec.lo), spec.hi)  # a default near its bound stops there
            try:
                night = run(**{name: moved})
            except ValueError:  # pragma: no cover - every fitted default sits well inside its range
                continue
            for m in COMPARED:
                shifts[m].append(night.times[m] - base[m])
        out[f"{stage}.{name}"] = {m: tuple(v) for m, v in shifts.items()}
    return out


def bands(sens: dict | None = None) -> dict:
    """Return, per compared moment, the (lowest, highest) model minute over the ±10 % runs."""
    sens = sensitivity() if sens is None else sens
    check_type("sens", sens, Mapping, "the result of sensitivity()")
    for name, per in sens.items():
        if not isinstance(per, Mapping) or any(m not in per for m in COMPARED) or not all(
                isinstance(d, tuple) and all(isinstance(x, (int, float)) and not math.isnan(x) for x in d)
                for d in per.values()):
            raise ValueError(f"sens must be the result of sensitivity(); sens[{name!r}] is not")
    base = run().times
    out = {}
    for m in COMPARED:
        moves = [d for per in sens.values() for d in per[m]]
        out[m] = (base[m] + min([*moves, 0.0]), base[m] + max([*moves, 0.0]))
    return out


# ---- what if -----------------------------------------------------------------------------------------------

def what_if(moves: Mapping | None = None, mitigations: Iterable = (), **params) -> NightResult:
    """Run the night with some of AWS's actions moved ('HH:MM' or minutes) or removed (None)."""
    moves = {} if moves is None else check_type("moves", moves, Mapping, "a mapping of action -> time or None")
    script = ActionScript.published()
    for kind, when in moves.items():
        if kind not in ACTION_KINDS:
            raise ScriptError(f"unknown action {kind!r}; choose from {', '.join(ACTION_KINDS)}")
        script = script.without(kind) if when is None else script.moved(kind, when)
    if isinstance(mitigations, str):
        mitigations = (mitigations,)
    if not isinstance(mitigations, Iterable):
        raise TypeError(f"mitigations must be a list of names from {MITIGATIONS}, got {type(mitigations).__name__}")
    mitigations = tuple(mitigations)
    for m in mitigations:
        if not isinstance(m, str) or m not in MITIGATIONS:
            raise ValueError(f"mitigations: unknown mitigation {m!r}; choose from {', '.join(MITIGATIONS)}")
    return run(ActionScript(script.actions, frozenset(mitigations)), **params)


def _cf_identified_plus_30() -> ActionScript:
    s = ActionScript.published()
    return s.moved("dns repair", published_minute("identified") + 30)


def _cf_identified_plus_30_paced() -> ActionScript:
    s = ActionScript.published()
    repair, to = s.at("dns repair"), published_minute("identified") + 30
    return s.shifted(repair, to - repair).moved("dns repair", to)


def _cf_throttle_at_repair_paced() -> ActionScript:
    s = ActionScript.published()
    at, to = s.at("throttle dwfm"), published_minute("dns restored")
    return s.shifted(at, to - at).moved("throttle dwfm", to).moved("restart dwfm", to)


def _cf_throttle_at_repair() -> ActionScript:
    s = ActionScript.published()
    at = published_minute("dns restored")
    return s.moved("throttle dwfm", at).moved("restart dwfm", at)


def _cf_failover_off_when_detected() -> ActionScript:
    return ActionScript.published().moved("disable nlb failover", published_minute("nlb failures detected"))


def _cf_restart_all_no_throttle() -> ActionScript:
    s = ActionScript.published().without("throttle dwfm").without("relax throttles")
    restart = s.get("restart dwfm")
    acts = tuple(replace(a, share=1.0) if a is restart else a for a in s.actions)
    return ActionScript(acts)


COUNTERFACTUALS = {
    "AWS's night (published actions)": ActionScript.published,
    "DNS repaired 30 min after it was identified (01:08)": _cf_identified_plus_30,
    "  ... and every later action as much earlier": _cf_identified_plus_30_paced,
    "DWFM throttled and restarted at 02:25 instead of 04:14": _cf_throttle_at_repair,
    "  ... and every later action as much earlier ": _cf_throttle_at_repair_paced,
    "velocity control on NLB failover": lambda: ActionScript.published().with_mitigations("velocity control"),
    "NLB failover disabled when detected (06:52)": _cf_failover_off_when_detected,
    "every DWFM host restarted at once, no throttle": _cf_restart_all_no_throttle,
    "admission control in DWFM": lambda: ActionScript.published().with_mitigations("admission control"),
    "retry budget in DWFM": lambda: ActionScript.published().with_mitigations("retry budget"),
}


@dataclass(frozen=True)
class Counterfactual:
    """One what-if: its name, the night it gives, and the change against AWS's night."""

    name: str
    night: NightResult
    saved: float  # customer-impact minutes saved against AWS's night (negative: worse), NLB seed 0
    saved_range: tuple = (math.nan, math.nan)  # lowest and highest saving over NLB_SEEDS (each against its own seed)

    @property
    def end(self) -> float:
        return self.night.end

    @property
    def distinguishable(self) -> bool:
        """True when the saving has the same sign (and is not zero) for every NLB seed."""
        lo, hi = self.saved_range
        return (lo > 0 and hi > 0) or (lo < 0 and hi < 0)

    def __str__(self) -> str:
        n = self.night
        lo, hi = self.saved_range
        spread = f"[{lo:+.0f}, {hi:+.0f}]" if math.isfinite(lo) and math.isfinite(hi) else ""
        return (f"{self.name:55s} end {clock(n.end):>5s}  impact {n.total_impact:6.0f} min  "
                f"saved {self.saved:+6.0f} {spread:12s}  leases {clock(n.times['all leases held']):>5s}")


# The NLB's random draws: every counterfactual is rerun with each of these seeds against AWS's night with the same
# seed, so that a saving smaller than the draws' own noise is shown as such (seed 0 is the chapters' night).
NLB_SEEDS = tuple(range(10))


def counterfactuals() -> tuple[Counterfactual, ...]:
    """Run the counterfactual table: each night and the impact minutes it saves against AWS's.

    ``saved`` is for NLB seed 0 (the chapters' night); ``saved_range`` the lowest and highest saving over
    :data:`NLB_SEEDS`, each seed's night against AWS's night with the same seed.
    """
    base = {seed: run(seed=seed).total_impact for seed in NLB_SEEDS}
    out = []
    for name, make in COUNTERFACTUALS.items():
        script = make()
        savings = [base[seed] - run(script, seed=seed).total_impact for seed in NLB_SEEDS]
        night = run(script)
        out.append(Counterfactual(name, night, base[0] - night.total_impact, (min(savings), max(savings))))
    return tuple(out)


STAGES = ("DNS record", "DynamoDB", "DWFM leases", "Network Manager", "NLB failover", "launch throttles",
          "containers")


def critical_path(night: NightResult) -> tuple[str, ...]:
    """Return the stages, from the trigger to the end, whose finishing time the night's end waited on."""
    check_type("night", night, NightResult)
    if not night.race_empty:
        return ()
    t = night.times
    if math.isinf(t["dynamodb recovered"]):
        return ("DNS record", "DynamoDB")
    if math.isinf(t["all leases held"]):
        return ("DNS record", "DynamoDB", "DWFM leases")
    containers = t["ec2 normal"] + night.params["catch_up"]
    if t["failover disabled"] > containers:  # the NLB's errors outlast everything else
        tail = ("Network Manager", "NLB failover")
    elif t["launches unthrottled"] >= t["propagation normal"]:
        tail = ("launch throttles", "containers")
    else:
        tail = ("Network Manager", "containers")
    return ("DNS record", "DynamoDB", "DWFM leases", *tail)


def cache_clear() -> None:
    """Forget the cached stage results (for benchmarks that time a cold run)."""
    _lease_stage.cache_clear()
    _propagation_stage.cache_clear()
    _capacity_stage.cache_clear()
