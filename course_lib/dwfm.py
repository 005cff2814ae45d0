"""DropletWorkflow Manager (DWFM): droplet leases, their loss during the outage, and congestive collapse.

What the post-event summary says ([S1e][S1f]): DWFM hosts each hold a lease on every droplet they manage and
renew it with a state check every few minutes; the checks depend on DynamoDB.  From 23:48 the checks failed
and between 23:48 and 02:24 leases across the fleet slowly timed out.  When DynamoDB's DNS was restored (02:25)
DWFM tried to re-establish every lease at once; establishing a lease then took longer than the lease timeout,
each failed attempt queued more work, and DWFM "had entered a state of congestive collapse".  At 04:14
engineers throttled incoming work and **selectively** restarted DWFM hosts, which cleared the queues; at 05:28
DWFM held leases with all droplets; throttles were relaxed from 11:23.

The stage: ``simulate(dynamodb, actions=...)`` takes DynamoDB's :class:`~course_lib.dynamodb.Availability`
(leases time out while it is unreachable; state checks resume when its DNS is restored, as the record says
DWFM did at 02:25) and the operators' :class:`Actions` in model minutes, and returns a :class:`LeaseRun` whose
``all_held_at`` and ``launch_capacity`` the Network Manager stage reads.  No clock time is typed in here.

The model, minute by minute with integer counts, per DWFM host.  The hosts differ: host i manages a share of
the droplets in proportion to 1 / (1 + ``host_skew`` x i) (``host_shares``; a declared, deterministic spread and
a **model choice**), so the hosts with few droplets re-establish their leases after 02:25 and the ones with many
collapse.  An attempt to establish a lease waits in its host's FIFO queue (the retry storm's
``DeadlineQueue``) and must finish within ``lease_timeout`` minutes of being queued; if it does not, it fails,
the droplet goes back to the host's backlog and new work is queued for it (the sustaining effect).  The host
still spends time on attempts whose deadline has passed (wasted work), and the time per attempt grows with the
host's queue (``slowdown`` per ``QUEUE_SCALE``/``hosts`` queued attempts).  A **restart** empties a host's queue
(its droplets go back to the backlog); ``restart_fraction`` says which share of the hosts is restarted, the ones
with the longest queues first (a host with nothing queued holds all its leases and is left alone).  At 04:14 eight
of the ten hosts have work queued (seven hold no lease, one a quarter of its own), two hold all theirs: which
hosts to restart is a real choice (Chapter 4's restart-share table).  The **throttle** admits work to a host only up to its share of a queue target.
Held leases are renewed every ``check_interval`` minutes; a renewal stuck behind more than the remaining lease
time fails and the lease is lost.

Which numbers come from where.  AWS published no fleet size, host count, timeout, rate or restart share
([S1e]); every such number is a **model choice**.  Three are tied to one published time each (see
``FITTED``).  ``rate`` is **fitted** (searched for) so that all leases are held at 05:28.  The other two are
**set equal to the record** by subtraction (``SET_FROM_RECORD``): ``lease_loss_minutes`` = 157, the minutes
23:48 to 02:24 counted inclusively (02:24 - 23:48 + 1), so the last lease times out in the minute 02:24; and
``relax_minutes`` = 147, from the throttles' relaxing at 11:23 to EC2 fully normal at 13:50.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from . import dynamodb as _dynamodb
from . import timeline
from .metastable import DeadlineQueue
from .params import Param, Spec
from .validate import check_choice, check_int, check_number, check_type

__all__ = ["DEFAULT_RATE", "DEFAULT_RESTART_FRACTION", "FITTED", "MITIGATIONS", "QUEUE_SCALE", "SET_FROM_RECORD", "SPEC", "Actions",
           "LeaseRun", "host_shares", "mitigation_actions", "simulate", "throttle_by_queue"]

# Fitted to 05:28 (all leases held) with the published actions at 04:14, the restart share and the host spread
# below (a search over whole hundreds of attempts a minute; ±10 % moves 05:28 to 05:36 / 05:21).
DEFAULT_RATE = 4900.0
# Model choice.  The record says the restarts were *selective* but not which hosts.  Here the hosts with the
# longest queues are restarted first, and only hosts with work queued are restarted at all: with the default 1.0
# the eight hosts that have not re-established their leases are restarted, the two that have are not.  A
# collapsed host left out drains its queue of expired work only slowly (see the chapter's restart-share table).
DEFAULT_RESTART_FRACTION = 1.0
# Queued attempts (over the whole manager) at which one attempt takes (1 + slowdown) times as long (model
# choice).  A fixed number of attempts, not a share of the fleet, so a smaller fleet never recovers later.
QUEUE_SCALE = 100_000
# Model choice: how unevenly the droplets spread over the DWFM hosts (see host_shares).
DEFAULT_HOST_SKEW = 1.0
MITIGATIONS = ("none", "throttle", "restart", "throttle+restart", "LIFO", "admission control")
_H = float(timeline.LAST_MINUTE)

SPEC = Spec((
    Param("fleet", 100_000, "int", lo=1, hi=10_000_000, label="fleet", unit="droplets", view=(10_000, 200_000),
          step=10_000, help="model choice: AWS published no droplet count"),
    Param("hosts", 10, "int", lo=1, hi=1000, label="DWFM hosts", view=(1, 40),
          help="model choice: AWS published no host count"),
    Param("host_skew", DEFAULT_HOST_SKEW, lo=0.0, hi=10.0, label="how unevenly droplets spread over the hosts",
          view=(0.0, 2.0), step=0.1,
          help="model choice: host i manages a share in proportion to 1 / (1 + skew x i); 0 gives equal shares"),
    Param("lease_timeout", 10.0, lo=1.0, hi=240.0, label="lease timeout", unit="min", view=(1.0, 30.0), step=1.0,
          help="model choice"),
    Param("check_interval", 3, "int", lo=1, hi=240, label="state check every", unit="min",
          help="model choice: 'every few minutes' [S1e]; at most the lease timeout"),
    Param("rate", DEFAULT_RATE, lo=0.0, hi=1e7, lo_open=True, label="attempts a minute (short queue)",
          help="fitted to 05:28 (all leases held)"),
    Param("slowdown", 1.0, lo=0.0, hi=100.0, label="slowdown per QUEUE_SCALE queued attempts"),
    Param("throttle", 7_200, "int", lo=0, hi=100_000_000, label="throttle (queue target)", view=(0, 40_000),
          step=400, help="model choice: 720 attempts queued a host, about 1.5 minutes of a host's short-queue work"),
    Param("lease_loss_minutes", timeline.published("leases stop timing out") + 1, lo=1.0, hi=_H,
          label="minutes to lose every lease", help="set equal to the record: the minutes 23:48 to 02:24 inclusive"),
    Param("throttled_launches", 0.5, lo=0.0, hi=1.0, label="share of launches admitted while throttled",
          help="model choice: the record says launches hit 'request limit exceeded' while throttled"),
    Param("relax_minutes", timeline.published("ec2 normal") - timeline.published("throttles relaxed"), lo=0.0,
          hi=_H, label="minutes to relax the throttles fully", help="set equal to the record: relaxed from 11:23, normal 13:50"),
    Param("horizon", timeline.published("event end") + 40.0, lo=1.0, hi=_H, label="run until",
          unit="min after 23:48", help="default: 40 minutes after the event ended (15:00)"),
))
FITTED = {"rate": "all leases held", "lease_loss_minutes": "leases stop timing out", "relax_minutes": "ec2 normal"}
# Of FITTED, the values computed by subtraction from published times rather than searched for.
SET_FROM_RECORD = ("lease_loss_minutes", "relax_minutes")


def _minute_or_none(name: str, value):
    return None if value is None else check_number(name, value, lo=-_H, hi=_H)


@dataclass(frozen=True)
class Actions:
    """The operators' DWFM actions in model minutes (None: never): throttle, selective restart, relax, LIFO."""

    throttle_at: float | None = None
    restart_at: float | None = None
    restart_fraction: float | None = DEFAULT_RESTART_FRACTION
    relax_at: float | None = None
    lifo_at: float | None = None  # serve the newest attempt first (a HotOS '21 policy, not an AWS action)

    def __post_init__(self):
        for name in ("throttle_at", "restart_at", "relax_at", "lifo_at"):
            object.__setattr__(self, name, _minute_or_none(name, getattr(self, name)))
        if self.restart_fraction is not None:
            object.__setattr__(self, "restart_fraction",
                               check_number("restart_fraction", self.restart_fraction, lo=0.0, hi=1.0))
        if self.relax_at is not None and self.throttle_at is not None and self.relax_at < self.throttle_at:
            raise ValueError(f"relax_at ({self.relax_at:g}) must not be before throttle_at ({self.throttle_at:g})")

    @classmethod
    def published(cls) -> Actions:
        """Return what AWS did: throttle and selective restarts at 04:14, throttles relaxed from 11:23."""
        at = timeline.published("throttling and restarts")
        return cls(throttle_at=at, restart_at=at, relax_at=timeline.published("throttles relaxed"))

    @property
    def restarts(self) -> bool:
        return self.restart_at is not None and bool(self.restart_fraction)


def mitigation_actions(mitigation: str, at: float | None = None, dynamodb=None) -> Actions:
    """Return the :class:`Actions` of one of Chapter 4's named mitigations, acting at *at* (default 04:14).

    'admission control' is the queue-size throttle in place before the trigger (from minute 0).
    """
    check_choice("mitigation", mitigation, MITIGATIONS)
    at = timeline.published("throttling and restarts") if at is None else check_number("at", at, lo=0.0, hi=_H)
    relax = timeline.published("throttles relaxed")
    if mitigation == "none":
        return Actions(restart_fraction=None)
    if mitigation == "admission control":
        return Actions(throttle_at=0.0, restart_fraction=None, relax_at=max(relax, 0.0))
    if mitigation == "LIFO":
        return Actions(restart_fraction=None, lifo_at=at)
    throttle = at if "throttle" in mitigation else None
    restart = at if "restart" in mitigation else None
    return Actions(throttle_at=throttle, restart_at=restart, restart_fraction=DEFAULT_RESTART_FRACTION
                   if restart is not None else None, relax_at=max(relax, at) if throttle is not None else None)


def throttle_by_queue(queue: int, backlog: int, target: int) -> int:
    """Admit only enough new work to bring the queue up to *target* (rate-limited by queue size)."""
    queue, backlog, target = (check_int(n, v, lo=0) for n, v in (("queue", queue), ("backlog", backlog), ("target", target)))
    return max(0, min(backlog, target - queue))


@dataclass(frozen=True)
class LeaseRun:
    """Leases over time, per minute (totals over the hosts), the recovery time and the launches possible."""

    t: np.ndarray
    held: np.ndarray
    backlog: np.ndarray  # droplets without a lease and no attempt queued for them
    queue: np.ndarray  # queued attempts, those still in time and those whose deadline has passed
    waiting: np.ndarray  # queued attempts still in time: one per droplet (held + backlog + waiting = fleet)
    established: np.ndarray
    timed_out: np.ndarray
    wasted: np.ndarray
    dropped: np.ndarray
    attempts: np.ndarray
    restarted: np.ndarray  # hosts restarted in that minute
    launch_capacity: np.ndarray  # share of launches possible: leases held x the launch throttle
    all_held_at: float  # first minute after the DNS repair with every lease held (inf if never)
    pending: int
    fleet: int
    hosts: int
    host_share: np.ndarray  # droplets each host manages (uneven: a model choice, see host_shares)
    host_held: np.ndarray  # leases held, per host (rows) and minute (columns)
    host_queue: np.ndarray  # queued attempts, per host and minute
    dynamodb: _dynamodb.Availability
    actions: Actions
    params: dict = field(repr=False)

    def collapsed(self, minute: float) -> np.ndarray:
        """Return a mask of the hosts that, at *minute*, hold fewer leases than they manage and have work
        queued: collapsed, or still re-establishing (a host with every lease held and no queue is not)."""
        k = int(check_number("minute", minute, lo=0.0, hi=float(self.t[-1])))
        return (self.host_held[:, k] < self.host_share) & (self.host_queue[:, k] > 0)


def simulate(dynamodb: _dynamodb.Availability | None = None, *, actions: Actions | None = None,
             throttle_fn: Callable | None = None, retry_budget: float | None = None, **params) -> LeaseRun:
    """Run DWFM through the night for DynamoDB's *dynamodb* availability and the operators' *actions*."""
    avail = _dynamodb.published() if dynamodb is None else check_type("dynamodb", dynamodb,
                                                                      _dynamodb.Availability)
    actions = Actions.published() if actions is None else check_type("actions", actions, Actions)
    if throttle_fn is not None and not callable(throttle_fn):
        raise TypeError(f"throttle_fn must be a function (queue, backlog) -> admitted, got "
                        f"{type(throttle_fn).__name__}")
    if retry_budget is not None:
        retry_budget = check_number("retry_budget", retry_budget, lo=0.0, hi=1.0, lo_open=True)
        if throttle_fn is not None:
            raise ValueError("give throttle_fn or retry_budget, not both")
    p = SPEC.validate(params)
    fleet, hosts, timeout, interval = p["fleet"], p["hosts"], p["lease_timeout"], p["check_interval"]
    if interval > timeout:
        raise ValueError(f"check_interval must be at most lease_timeout ({timeout:g} min), got {interval}")
    if hosts > fleet:
        raise ValueError(f"hosts must be at most fleet ({fleet}), got {hosts}")
    stop = int(p["horizon"])
    lost_from, back = avail.unreachable_from, avail.dns_restored
    if lost_from < 0 or back >= stop:
        raise ValueError(f"dynamodb must become unreachable at or after minute 0 and have its DNS restored "
                         f"before the horizon ({stop}), got {lost_from:g} and {back:g}")
    rate, slowdown, target = p["rate"], p["slowdown"], p["throttle"]
    share = host_shares(fleet, hosts, p["host_skew"])  # droplets per host (uneven: a model choice)
    window = max(1, round(timeout))
    queue = DeadlineQueue(hosts, window, 1)
    held = np.zeros((hosts, interval), dtype=np.int64)  # held leases by minutes since their last state check
    held[:] = (share // interval)[:, None]
    held[:, 0] += share - held.sum(axis=1)
    backlog = np.zeros(hosts, dtype=np.int64)
    host_rate, host_scale = rate / hosts, QUEUE_SCALE / hosts
    host_target = _shares(target, hosts)
    loss = p["lease_loss_minutes"]
    carry = np.zeros(hosts)
    budget_carry = np.zeros(hosts)
    names = ("held", "backlog", "queue", "waiting", "established", "timed_out", "wasted", "dropped", "attempts",
             "restarted")
    rec = {k: np.zeros(stop + 1, dtype=np.int64) for k in names}
    per_held = np.zeros((hosts, stop + 1), dtype=np.int64)  # leases held per host and minute
    per_queue = np.zeros((hosts, stop + 1), dtype=np.int64)  # queued attempts (fresh and expired) per host
    throttle_on, relax_on = actions.throttle_at, actions.relax_at
    restart_minute = None if not actions.restarts else max(int(np.ceil(actions.restart_at)), int(np.ceil(back)))
    # Once every lease is held and nothing is queued, only a restart still to come could change anything.
    settle = max(back, restart_minute if restart_minute is not None else back)
    zero_rows = np.zeros((hosts, 1), dtype=np.int64)
    t = 0
    for t in range(stop + 1):
        if t < back:
            if t >= lost_from:  # leases time out at a steady pace while DynamoDB is unreachable (model choice)
                k = t - lost_from
                lost = np.floor(share * min(k + 1, loss) / loss) - np.floor(share * min(k, loss) / loss)
                backlog += _take_oldest(held, lost.astype(np.int64))
        else:
            throttled = throttle_on is not None and throttle_on <= t and not (relax_on is not None and t >= relax_on)
            if t == restart_minute:
                restart = _restart_hosts(queue, math.floor(actions.restart_fraction * hosts + 0.5))  # half up: 0.65 of 10 is 7
                fresh, _ = queue.clear_rows(restart)
                backlog += fresh[:, 0]
                rec["dropped"][t], rec["restarted"][t] = int(fresh.sum()), int(restart.sum())
            size = queue.size()
            if throttled and retry_budget is not None:  # each host admits at most a share of its own rate
                budget_carry += retry_budget * host_rate
                allowed = budget_carry.astype(np.int64)
                budget_carry -= allowed
                admit = np.minimum(backlog, allowed)
            elif throttled and throttle_fn is not None:
                # Each host applies the rule to its own queue and backlog, scaled up to the whole manager (as if
                # every host were like this one) and its answer scaled back: the queue target is shared equally,
                # as the built-in throttle's is, and no host is sent more than its share.
                admit = np.array([_learner_admit(throttle_fn, int(q) * hosts, int(b) * hosts) // hosts
                                  if b else 0 for q, b in zip(size.tolist(), backlog.tolist(), strict=True)],
                                 dtype=np.int64)
                admit = np.minimum(admit, backlog)
            elif throttled:
                admit = np.maximum(0, np.minimum(backlog, host_target - size))
            else:
                admit = backlog.copy()
            backlog -= admit
            zero_rows[:, 0] = admit
            queue.push(zero_rows)
            rec["attempts"][t] = int(admit.sum())
            lifo = actions.lifo_at is not None and t >= actions.lifo_at
            # Work per attempt grows with the host's queue (model choice).
            speed = host_rate / (1.0 + slowdown * (size + admit) / host_scale)
            carry += speed
            cap = carry.astype(np.int64)
            carry -= cap
            ok, stale = queue.serve(cap, lifo)
            expired = queue.expire()[:, 0]
            backlog += expired
            wait = np.zeros(hosts) if lifo else queue.size() / np.maximum(speed, 1e-9)
            due = held[:, -1].copy()
            held[:, 1:] = held[:, :-1]
            held[:, 0] = ok[:, 0]
            renewed = wait <= timeout - interval  # the state check got through in time: the lease is renewed
            held[:, 0] += np.where(renewed, due, 0)
            backlog += np.where(renewed, 0, due)
            rec["established"][t], rec["timed_out"][t] = int(ok.sum()), int(expired.sum())
            rec["wasted"][t] = int(stale.sum())
        host_held = held.sum(axis=1)
        total_held = int(host_held.sum())
        rec["held"][t], rec["backlog"][t], rec["queue"][t] = total_held, int(backlog.sum()), int(queue.size().sum())
        rec["waiting"][t] = int(queue.fresh.sum())
        per_held[:, t], per_queue[:, t] = host_held, queue.size()
        if t >= settle and total_held == fleet and not backlog.any() and not queue.size().any():
            break  # steady from here on: every lease held, nothing queued, no restart left to come
    for k in ("held", "backlog", "queue", "waiting"):
        rec[k][t + 1:] = rec[k][t]
    per_held[:, t + 1:] = per_held[:, t:t + 1]
    per_queue[:, t + 1:] = per_queue[:, t:t + 1]
    minutes = np.arange(stop + 1, dtype=float)
    after = minutes >= back
    full = np.nonzero(after & (rec["held"] == fleet))[0]
    all_held = float(minutes[full[0]]) if full.size else float("inf")
    admitted = _launch_share(minutes, actions, p["throttled_launches"], p["relax_minutes"])
    # While DWFM's incoming work is throttled after the DNS repair, the throttle's room goes to re-establishing
    # leases: launch work is admitted only once every lease is held (model choice; the record has launches succeed from 05:28, when
    # DWFM held every lease, throttled until the throttles were relaxed).
    admitted[(admitted < 1.0) & (rec["held"] < fleet) & (minutes >= back)] = 0.0
    launches = rec["held"] / fleet * admitted
    return LeaseRun(t=minutes, launch_capacity=launches, all_held_at=all_held, pending=int(queue.fresh.sum()),
                    fleet=fleet, hosts=hosts, host_share=share, host_held=per_held, host_queue=per_queue,
                    dynamodb=avail, actions=actions, params=p, **rec)


def _launch_share(t: np.ndarray, actions: Actions, throttled: float, relax_minutes: float) -> np.ndarray:
    """Return the share of launch requests EC2 admits: all, the throttled share, then a linear relaxation."""
    share = np.ones_like(t)
    if actions.throttle_at is None:
        return share
    on = t >= actions.throttle_at
    share[on] = throttled
    if actions.relax_at is not None:
        since = t - actions.relax_at
        ramp = np.clip(since / relax_minutes, 0.0, 1.0) if relax_minutes > 0 else (since >= 0).astype(float)
        share = np.where(on & (since >= 0), throttled + (1.0 - throttled) * ramp, share)
    return share


MAX_SHARE_HOSTS = 10**7  # hosts host_shares divides a fleet among (DeadlineQueue's own bound on its rows)


def host_shares(fleet: int, hosts: int, skew: float = 0.0) -> np.ndarray:
    """Return the droplets each DWFM host manages: in proportion to 1 / (1 + skew x i) (largest remainder).

    A declared, deterministic spread (a model choice; AWS published no host count or share): with skew 0 every
    host manages an equal share; with skew 1 the shares fall as 1, 1/2, 1/3, ... of the first host's.
    """
    fleet = check_int("fleet", fleet, lo=1)
    hosts = check_int("hosts", hosts, lo=1, hi=MAX_SHARE_HOSTS)  # bounded: the shares are an array of that length
    skew = check_number("skew", skew, lo=0.0, hi=10.0)
    if skew == 0.0:
        return _shares(fleet, hosts)
    weights = 1.0 / (1.0 + skew * np.arange(hosts))
    exact = fleet * weights / weights.sum()
    out = np.floor(exact).astype(np.int64)
    left = fleet - int(out.sum())
    out[np.argsort(-(exact - out), kind="stable")[:left]] += 1
    return out


def _shares(total: int, hosts: int) -> np.ndarray:
    """Split *total* evenly over the hosts (the first ones take the remainder)."""
    out = np.full(hosts, total // hosts, dtype=np.int64)
    out[: total - int(out.sum())] += 1
    return out


def _restart_hosts(queue: DeadlineQueue, n: int) -> np.ndarray:
    """Return a mask of the hosts restarted: of the *n* hosts with the longest queues (ties: lowest index), those
    with work queued.  A host with nothing queued holds all its leases: there is nothing to clear, it is left be."""
    size = queue.size()
    order = np.argsort(-size, kind="stable")
    mask = np.zeros(size.size, dtype=bool)
    mask[order[:n]] = True
    return mask & (size > 0)


def _learner_admit(fn: Callable, size: int, backlog: int) -> int:
    got = fn(size, backlog)
    if isinstance(got, bool) or not isinstance(got, (int, np.integer, float, np.floating)) or not np.isfinite(got):
        raise TypeError(f"throttle_fn must return a whole number of attempts to admit, got {got!r}")
    return int(min(max(int(got), 0), backlog))


def _take_oldest(held: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Remove up to *k* leases per host from the cohorts checked longest ago; return how many were removed."""
    taken = np.zeros(held.shape[0], dtype=np.int64)
    for i in range(held.shape[1] - 1, -1, -1):
        step = np.minimum(held[:, i], k - taken)
        held[:, i] -= step
        taken += step
    return taken
