"""Retry storm: an open system whose retries keep it overloaded after the trigger is gone.

The set-up is HotOS '21 §2.1 ([S8]): a database that serves 300 queries per second, clients
that send one query per request and retry once if no reply comes within 1 s.  A **trigger** (a network outage
or a load spike) fills the queue; every queued query then waits past its client's timeout, the client retries,
and the offered load doubles.  That is the **sustaining effect** (work amplification): the server spends its
whole capacity on queries whose clients have already given up, so goodput stays near zero after the trigger
ends.  The **characteristic metric** is queueing delay: the trigger pushes it up, and it only comes back down
when the system recovers.  Below the *hidden capacity* (capacity / (1 + retries), 150 QPS here) the system is
**stable**: it heals itself.  Between hidden and advertised capacity it is **vulnerable**: healthy, but a trigger
can tip it into the **metastable failure state**.

Why a tick model with integer counts, not one event per request: the paper's numbers are rates and timeouts,
so what matters is how many queries of each age sit in the queue.  Time advances in ticks of ``dt`` seconds
(0.1 s by default, a tenth of the timeout); each tick holds integer counts of queries by arrival tick and
attempt number (``DeadlineQueue``).  Arrivals are Poisson counts from a seeded generator.  Everything is a
numpy array over *scenarios*, so one loop over time runs a whole phase diagram at once and counts stay exact
(conservation is an integer identity, not a float tolerance).  The cost is per tick, not per request, so a
stuck run (560 attempts a second) costs the same as a healthy one.  The event-per-request SimPy version in
benchmarks/bench_04_metastable.py gives the same stuck state (~560 QPS offered) several times slower for one
run and about two orders of magnitude slower per request when scenarios are batched.  Model choices (no published
number): ``dt``, Poisson arrivals, the queue limit, FIFO service, and a dropped query being retried at once.

``classify_runs`` labels runs: a run below the hidden capacity that has not recovered when the run ends is
"recovering" (slow, ``drain_time`` says how slow), never "metastable": only at or above the hidden capacity
can the retries sustain the stuck state.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .params import Param, Spec
from .policies import Policy, policy_named
from .validate import check_choice, check_int, check_number, check_type

__all__ = [
    "DEFINITIONS",
    "HOTOS_TRIGGER",
    "MAX_CELLS",
    "MAX_RATE",
    "MAX_SCENARIOS",
    "MAX_TICKS",
    "SPEC",
    "TRIGGER_KINDS",
    "TRIGGER_SPEC",
    "DeadlineQueue",
    "Policy",
    "StormResult",
    "Trigger",
    "classify_runs",
    "drain_time",
    "hidden_capacity",
    "outage_threshold",
    "outcome",
    "simulate",
    "simulate_batch",
    "state_of",
    "time_to_recovery",
    "trigger_end",
]

TRIGGER_KINDS = ("outage", "spike")
# Explicit bounds (issue: capacity=1e18 overflowed int64 counts).  A million queries a second over an hour at the
# finest tick is ~3.6e9 per scenario, far inside int64; the cell bound keeps the per-tick records in memory.
MAX_RATE = 1e6
MAX_SCENARIOS = 100_000
MAX_CELLS = 5_000_000
MAX_TICKS = 100_000  # one Python step per tick: about three seconds of run time at most
RECORDS = ("attempts", "offered", "goodput", "wasted", "dropped", "timed_out", "retried", "queue", "discarded")
DEFINITIONS = {
    "trigger": "the event that pushes the system into the bad state (here: a network outage or a load spike)",
    "sustaining effect": "the feedback loop that keeps it there after the trigger is gone (here: retries "
                         "double the offered load, work amplification)",
    "characteristic metric": "a metric the trigger pushes up that only returns to normal on recovery "
                             "(here: queueing delay)",
    "stable": "load below the hidden capacity: any trigger's damage clears when the trigger ends",
    "vulnerable": "load between hidden and advertised capacity: healthy, but a large enough trigger tips it over",
    "metastable": "the failure state: goodput near zero, sustained by the loop after the trigger has ended",
}


@dataclass(frozen=True)
class Trigger:
    """A trigger: an outage removes *magnitude* of the capacity, a spike adds *magnitude* x load."""

    kind: str = "outage"
    magnitude: float = 1.0
    start: float = 10.0
    duration: float = 10.0

    @property
    def end(self) -> float:
        return self.start + self.duration


HOTOS_TRIGGER = Trigger()  # HotOS '21 §2.1: a 10 s network outage (here starting at t = 10 s)


class DeadlineQueue:
    """Integer counts of queued work by enqueue tick and class; work older than *window* ticks is stale."""

    def __init__(self, n: int, window: int, classes: int):
        n, window, classes = (check_int(k, v, lo=1, hi=10**7) for k, v in (("n", n), ("window", window), ("classes", classes)))
        if n * window * classes > 5 * 10**7:
            raise ValueError(f"n x window x classes must be at most 5e7 cells, got {n} x {window} x {classes}")
        self.fresh = np.zeros((n, window, classes), dtype=np.int64)  # column 0 is the oldest tick
        self.stale = np.zeros(n, dtype=np.int64)  # its client gave up; serving it is wasted work
        self._size = np.zeros(n, dtype=np.int64)  # the queue's length: kept here, and only here

    def size(self) -> np.ndarray:
        """Return queued work per scenario, fresh and stale (a copy: callers cannot put it out of step)."""
        return self._size.copy()

    def push(self, counts: np.ndarray) -> None:
        """Enqueue *counts* (scenario x class) in the newest column."""
        # O(1) checks only (this runs every tick): the dtype and shape, never a scan of the values
        if type(counts) is not np.ndarray or counts.dtype.kind not in "iu" or counts.shape != self._counts_shape():
            raise TypeError(f"counts must be an integer numpy array of shape (n, classes) = {self._counts_shape()}, "
                            f"got {_describe_array(counts)}")
        self.fresh[:, -1] += counts
        self._size += counts.sum(axis=1)

    def discard_stale(self) -> np.ndarray:
        """Drop the work whose deadline has passed without serving it (the server checks the deadline);
        return how many were dropped per scenario."""
        out = self.stale.copy()
        self.stale[:] = 0
        self._size -= out
        return out

    def _counts_shape(self) -> tuple[int, int]:
        return self.fresh.shape[0], self.fresh.shape[2]

    def serve(self, capacity: np.ndarray, lifo=False) -> tuple[np.ndarray, np.ndarray]:
        """Serve up to *capacity* items; return fresh served per class and stale served."""
        n, w, c = self.fresh.shape
        # O(1) checks only (this runs every tick): types, dtypes and shapes, never a scan of the values
        if type(capacity) is not np.ndarray or capacity.dtype.kind not in "iu" or capacity.shape != (n,):
            if isinstance(capacity, (int, np.integer)) and not isinstance(capacity, (bool, np.bool_)):
                capacity = np.full(n, check_int("capacity", capacity, lo=0), dtype=np.int64)
            else:
                raise TypeError(f"capacity must be an integer count or an integer numpy array of shape ({n},), "
                                f"got {_describe_array(capacity)}")
        if not isinstance(lifo, (bool, np.bool_)) and (type(lifo) is not np.ndarray or lifo.dtype != bool
                                                        or lifo.shape != (n,)):
            raise TypeError(f"lifo must be True/False or a bool numpy array of shape ({n},), got {_describe_array(lifo)}")
        if isinstance(lifo, (bool, np.bool_)) and isinstance(capacity, np.ndarray) and capacity.dtype == np.int64 \
                and capacity.shape == self.stale.shape:
            # The two common ticks, without the running sums of _take (same counts): a short queue served whole,
            # and, oldest first, a stale pool that takes the whole capacity (the stuck state).
            if (self._size <= capacity).all():
                served, stale_served = self.fresh.sum(axis=1), self.stale.copy()
                self.fresh[:] = 0
                self.stale[:] = 0
                self._size -= served.sum(axis=1) + stale_served
                return served, stale_served
            if not lifo and (self.stale >= capacity).all():
                stale_served = capacity.copy()
                self.stale -= stale_served
                self._size -= stale_served
                return np.zeros((n, c), dtype=np.int64), stale_served
        flat = self.fresh.reshape(n, w * c)
        if isinstance(lifo, (bool, np.bool_)):
            take, stale_served = _take(flat, self.stale, capacity, bool(lifo))
        else:  # scenarios differ (an overload detector switched some of them to LIFO)
            lifo = np.asarray(lifo, dtype=bool)
            take, stale_served = np.zeros_like(flat), np.zeros_like(self.stale)
            for way, rows in ((False, ~lifo), (True, lifo)):
                if rows.any():
                    take[rows], stale_served[rows] = _take(flat[rows], self.stale[rows], capacity[rows], way)
        flat -= take
        self.stale -= stale_served
        self._size -= take.sum(axis=1) + stale_served
        return take.reshape(n, w, c).sum(axis=1), stale_served

    def expire(self) -> np.ndarray:
        """Move the oldest column to the stale pool and return its counts (the timeouts)."""
        out = self.fresh[:, 0].copy()
        self.stale += out.sum(axis=1)
        self.fresh[:, :-1] = self.fresh[:, 1:]
        self.fresh[:, -1] = 0
        return out

    def clear_rows(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Drop the queues of the scenarios (or hosts) in the boolean mask *rows*; return per-row fresh counts
        per class and stale counts dropped (zero for the rows kept)."""
        n = self.stale.shape[0]
        if type(rows) is not np.ndarray or rows.dtype != bool or rows.shape != (n,):
            raise TypeError(f"rows must be a bool numpy array of shape ({n},), got {_describe_array(rows)}")
        fresh = np.where(rows[:, None], self.fresh.sum(axis=1), 0)
        stale = np.where(rows, self.stale, 0)
        self.fresh[rows] = 0
        self.stale[rows] = 0
        self._size[rows] = 0
        return fresh, stale

    def clear(self) -> tuple[np.ndarray, np.ndarray]:
        """Drop everything (a restart); return the fresh counts per class and the stale count dropped."""
        fresh, stale = self.fresh.sum(axis=1), self.stale.copy()
        self.fresh[:] = 0
        self.stale[:] = 0
        self._size[:] = 0
        return fresh, stale


def _describe_array(value) -> str:
    """A short description of *value* for an error message: an array's dtype and shape, else its type."""
    if isinstance(value, np.ndarray):
        return f"an array of dtype {value.dtype} and shape {value.shape}"
    return f"{type(value).__name__} {value!r:.60}"


def _take(flat, stale, capacity, lifo: bool):
    """Return what one tick serves: FIFO takes stale work first, LIFO the newest fresh work first."""
    first = np.zeros_like(stale) if lifo else np.minimum(stale, capacity)
    order = flat[:, ::-1] if lifo else flat
    before = np.cumsum(order, axis=1)
    before -= order
    take = np.minimum(order, np.maximum(0, (capacity - first)[:, None] - before))
    if not lifo:
        return take, first
    left = capacity - take.sum(axis=1)
    return take[:, ::-1], np.minimum(stale, left)


@dataclass
class StormResult:
    """Per-tick counts (scenario x tick) of one or many runs, and the totals that must balance."""

    t: np.ndarray
    dt: float
    load: np.ndarray
    capacity: np.ndarray
    trigger: tuple
    policy: str
    offered: np.ndarray
    goodput: np.ndarray
    wasted: np.ndarray
    dropped: np.ndarray
    timed_out: np.ndarray
    queue: np.ndarray
    capacity_now: np.ndarray
    attempts: np.ndarray
    retried: np.ndarray
    first: np.ndarray
    discarded: np.ndarray  # expired queries the server dropped unserved (the deadline policy only)
    totals: dict = field(default_factory=dict)
    retries: int = 1  # retries per request the clients may send (sets the hidden capacity)
    timeout: float = 1.0  # the clients' timeout in seconds

    def rate(self, name: str) -> np.ndarray:
        """Return a per-tick count as a rate per second."""
        return getattr(self, name) / self.dt

    @property
    def queue_delay(self) -> np.ndarray:
        """Return the characteristic metric: seconds of work queued ahead of a new query."""
        return self.queue / self.capacity[:, None]


SPEC = Spec((
    Param("load", 280.0, lo=0.0, hi=MAX_RATE, lo_open=True, label="load", unit="QPS", view=(20.0, 400.0), step=10.0),
    Param("capacity", 300.0, lo=0.0, hi=MAX_RATE, lo_open=True, label="capacity", unit="QPS"),
    Param("timeout", 1.0, lo=0.001, hi=60.0, label="timeout", unit="s", view=(0.1, 5.0), step=0.1),
    Param("retries", 1, "int", lo=0, hi=10, label="retries", view=(0, 4)),
    Param("dt", 0.1, lo=0.001, hi=1.0, label="tick", unit="s"),
    Param("horizon", 300.0, lo=0.01, hi=3600.0, label="run length", unit="s"),
    Param("seed", 0, "int", lo=0, hi=2**32 - 1),
))

# The trigger's parameters (the widget's controls come from here; the model adds: an outage removes at most
# all of the capacity, and the trigger must end by the horizon).
TRIGGER_SPEC = Spec((
    Param("kind", "outage", "choice", choices=TRIGGER_KINDS, label="trigger"),
    Param("magnitude", 1.0, lo=0.0, hi=100.0, label="trigger size", view=(0.0, 3.0), step=0.1,
          help="outage: share of capacity lost (0-1); spike: extra load as a multiple of the load"),
    Param("duration", 10.0, lo=0.0, hi=3600.0, label="duration", unit="s", view=(0.0, 170.0), step=1.0),
))


def _validate(load, capacity, timeout, retries, trigger: Trigger, dt, horizon, queue_limit):
    if isinstance(load, (bool, np.bool_)) or (isinstance(load, np.ndarray) and load.dtype == bool):
        raise TypeError(f"load must be a number or an array of numbers of queries per second, got {load!r}")
    try:
        load = np.atleast_1d(np.asarray(load, dtype=float))
    except (TypeError, ValueError):
        raise TypeError(f"load must be a number or an array of numbers, got {type(load).__name__}") from None
    if load.size == 0 or load.size > MAX_SCENARIOS:
        raise ValueError(f"load must hold between 1 and {MAX_SCENARIOS:,} scenarios, got {load.size:,}")
    check_type("trigger", trigger, Trigger)
    for name, arr in (("load", load), ("trigger magnitude", np.atleast_1d(trigger.magnitude)),
                      ("trigger duration", np.atleast_1d(trigger.duration))):
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{name} must be a finite number, got {float(arr[~np.isfinite(arr)][0])}")
    if np.any(load <= 0) or np.any(load > MAX_RATE):
        bad = load[(load <= 0) | (load > MAX_RATE)][0]
        raise ValueError(f"load must be in (0, {MAX_RATE:g}] queries per second, got {bad:g}")
    capacity = SPEC.check("capacity", capacity)
    dt = SPEC.check("dt", dt)
    timeout = check_number("timeout", SPEC.check("timeout", timeout), lo=dt, hi=60.0)
    retries = SPEC.check("retries", retries)
    horizon = check_number("horizon", SPEC.check("horizon", horizon), lo=10 * dt, hi=3600.0)
    ticks = round(horizon / dt)
    if ticks > MAX_TICKS:
        raise ValueError(f"horizon / dt must be at most {MAX_TICKS:,} ticks (run time), got {ticks:,}: use a "
                         "larger dt or a shorter horizon")
    cells = load.size * ticks
    if cells > MAX_CELLS:
        raise ValueError(f"horizon / dt x scenarios must be at most {MAX_CELLS:,} (memory), got {cells:,}: use "
                         "a larger dt, a shorter horizon or fewer loads")
    check_choice("trigger kind", trigger.kind, TRIGGER_KINDS)
    magnitude = np.atleast_1d(np.asarray(trigger.magnitude, dtype=float))
    # An outage cannot remove more than all the capacity; a spike may multiply the load up to the declared top.
    hi = 1.0 if trigger.kind == "outage" else TRIGGER_SPEC["magnitude"].hi
    if np.any(magnitude < 0) or np.any(magnitude > hi):
        bad = float(magnitude[(magnitude < 0) | (magnitude > hi)][0])
        article = "an" if trigger.kind[0] in "aeiou" else "a"
        raise ValueError(f"trigger magnitude must be in [0, {hi:g}] for {article} {trigger.kind}, got {bad:g}")
    duration = np.atleast_1d(np.asarray(trigger.duration, dtype=float))
    start = check_number("trigger start", trigger.start, lo=0, hi=TRIGGER_SPEC["duration"].hi)
    if np.any(duration < TRIGGER_SPEC["duration"].lo) or np.any(start + duration > horizon):
        raise ValueError(f"trigger duration must be >= 0 and end by the horizon ({horizon:g} s), "
                         f"got start {start:g} + duration {duration.max():g}")
    queue_limit = check_number("queue_limit", queue_limit, lo=1, hi=1e9) if queue_limit is not None else None
    return load, capacity, timeout, retries, dt, horizon, queue_limit, magnitude, duration, start


def simulate_batch(load, capacity: float = 300.0, timeout: float = 1.0, retries: int = 1,
                   trigger: Trigger = HOTOS_TRIGGER, policy="none", dt: float = 0.1, horizon: float = 300.0,
                   queue_limit: float | None = None, seed: int = 0) -> StormResult:
    """Run many scenarios at once: *load*, trigger magnitude and duration may be arrays of one shape."""
    load, capacity, timeout, retries, dt, horizon, queue_limit, magnitude, duration, start = _validate(
        load, capacity, timeout, retries, trigger, dt, horizon, queue_limit)
    load, magnitude, duration = (a.ravel() for a in np.broadcast_arrays(load, magnitude, duration))
    policy = policy_named(policy) if isinstance(policy, str) else policy
    check_type("policy", policy, Policy, "a policy name or a Policy object")
    n, ticks, window, classes = load.size, round(horizon / dt), max(1, round(timeout / dt)), retries + 1
    limit = queue_limit if queue_limit is not None else capacity * 10.0  # model choice: 10 s of work
    t = np.arange(ticks) * dt
    during = (t[None, :] >= start) & (t[None, :] < start + duration[:, None])
    cap_rate = np.full((n, ticks), capacity)
    load_rate = np.repeat(load[:, None], ticks, axis=1)
    if trigger.kind == "outage":
        cap_rate = np.where(during, capacity * (1 - magnitude[:, None]), cap_rate)
    else:
        load_rate = np.where(during, load_rate * (1 + magnitude[:, None]), load_rate)
    # Whole items per tick whose running sum tracks the exact rate (300 QPS at dt=0.1 is 30 a tick).
    cum = np.floor(np.cumsum(cap_rate * dt, axis=1) + 1e-9).astype(np.int64)
    cap_ticks = np.diff(cum, axis=1, prepend=0)
    rng = np.random.default_rng(SPEC.check("seed", seed))
    arrivals = rng.poisson(load_rate * dt)
    policy.start(n, dt, np.full(n, capacity), timeout)
    delays = np.asarray(policy.delays, dtype=float)
    ring = np.zeros((n, delays.size + 1, classes), dtype=np.int64)  # retries waiting, by attempt number
    queue = DeadlineQueue(n, window, classes)
    rec = {k: np.zeros((ticks, n), dtype=np.int64) for k in RECORDS}  # tick-major: one row per tick
    arriving = np.zeros((n, classes), dtype=np.int64)
    limit = np.int64(np.floor(limit))
    obs = {"dt": dt}
    arrivals_t, cap_t = np.ascontiguousarray(arrivals.T), np.ascontiguousarray(cap_ticks.T)
    # The baseline's hooks do nothing (send, retries, observe) or agree with the model's own bounds (admit,
    # lifo), so the loop skips calling them: a tick costs a few microseconds per numpy call, and one run of the
    # widget is 1,800 ticks.  Every count is an int64, so skipping a no-op changes no result.
    custom_send, custom_admit, custom_lifo, custom_retries, custom_observe = (
        not _plain(policy, hook) for hook in ("send", "admit", "lifo", "retries", "observe"))
    deadline = bool(policy.drops_expired())
    one_delay = delays.size == 1  # retries go out the next tick: the ring's second slot stays empty
    reduce = np.add.reduce  # the sum of a row, without np.sum's dispatch
    r_attempts, r_offered, r_goodput, r_wasted, r_timed_out, r_queue, r_admit, r_retried, r_discarded = (
        rec[k] for k in ("attempts", "offered", "goodput", "wasted", "timed_out", "queue", "dropped", "retried",
                         "discarded"))
    for i in range(ticks):
        size = queue.size()  # the queue's own count: no second copy to keep in step
        obs["tick"], obs["capacity"], obs["queue"] = i, cap_t[i], size
        due = ring[:, 0].copy()
        if one_delay:
            ring[:, 0] = 0
        else:
            ring[:, :-1] = ring[:, 1:]
            ring[:, -1] = 0
        new, retry = arrivals_t[i], due[:, 1:]
        if custom_send:
            new, retry = policy.send(new, retry, obs)
        arriving[:, 0], arriving[:, 1:] = new, retry
        offered = reduce(arriving, axis=1)
        room = np.maximum(0, limit - size)
        admit = np.minimum(np.minimum(policy.admit(offered, obs), offered), room) if custom_admit else \
            np.minimum(offered, room)
        rejected = (offered != admit).any()
        if rejected:  # the lowest attempt numbers get in first
            admitted = np.minimum(arriving, np.maximum(0, admit[:, None] - (np.cumsum(arriving, 1) - arriving)))
        else:
            admitted = arriving
        queue.push(admitted)
        if deadline:  # the deadline travels with the query: expired ones are dropped, not served
            r_discarded[i] = queue.discard_stale()
        ok, stale = queue.serve(cap_t[i], policy.lifo(obs) if custom_lifo else False)
        expired = queue.expire()
        r_timed_out[i] = reduce(expired, axis=1)
        failed = expired + (arriving - admitted) if rejected else expired  # expired is the queue's copy
        if custom_send:
            failed[:, 0] += arrivals_t[i] - new
            failed[:, 1:] += due[:, 1:] - retry
        if classes == 1:
            pass  # no retries: the record stays zero
        elif one_delay and not custom_retries:  # every failure is retried, next tick
            wanted = failed[:, :-1]
            ring[:, 0, 1:] += wanted
            r_retried[i] = reduce(wanted, axis=1)
        else:
            r_retried[i] = _schedule_retries(ring, failed, delays, policy, obs, rng)
        ok_total = reduce(ok, axis=1)
        if custom_observe:
            policy.observe(ok_total, reduce(failed, axis=1), obs)
        r_attempts[i] = arrivals_t[i] + reduce(due, axis=1)
        r_offered[i] = offered
        r_goodput[i] = ok_total
        r_wasted[i] = stale
        r_queue[i] = queue._size
        r_admit[i] = admit  # turned into "dropped" below, once the loop is done
    rec = {k: np.ascontiguousarray(v.T) for k, v in rec.items()}
    rec["dropped"] = rec["attempts"] - rec["dropped"]  # blocked by the client or rejected by the server
    tot = {k: rec[k].sum(axis=1) for k in ("attempts", "timed_out", "dropped", "retried", "wasted", "discarded")}
    tot["ok"] = rec["goodput"].sum(axis=1)
    tot["given_up"] = tot["timed_out"] + tot["dropped"] - tot["retried"]
    tot["pending"] = queue.fresh.sum(axis=(1, 2))
    tot["stale_pending"] = queue.stale.copy()
    tot["retry_waiting"] = ring.sum(axis=(1, 2))
    return StormResult(t=t, dt=dt, load=load, capacity=np.full(n, capacity),
                       trigger=(trigger.kind, magnitude, start, duration), policy=policy.name,
                       capacity_now=cap_ticks, totals=tot, first=arrivals, retries=retries, timeout=timeout,
                       **rec)


def _schedule_retries(ring, failed, delays, policy, obs, rng) -> np.ndarray:
    """Turn failed attempts into retries (one attempt number up), spread over the backoff delays."""
    n, classes = failed.shape
    if classes == 1:
        return np.zeros(n, dtype=np.int64)
    wanted = failed[:, :-1]
    allowed = np.minimum(np.maximum(np.asarray(policy.retries(wanted, obs), dtype=np.int64), 0), wanted)
    if delays.size == 1:
        ring[:, 0, 1:] += allowed
    else:
        for k in range(allowed.shape[1]):
            ring[:, : delays.size, k + 1] += rng.multinomial(allowed[:, k], delays)
    return allowed.sum(axis=1)


def _plain(policy: Policy, hook: str) -> bool:
    """Return True if *policy*'s method *hook* is the baseline ``Policy``'s (not overridden in its class or on it)."""
    return getattr(type(policy), hook, None) is getattr(Policy, hook) and hook not in getattr(policy, "__dict__", {})


def simulate(load: float = 280.0, capacity: float = 300.0, timeout: float = 1.0, retries: int = 1,
             trigger: Trigger = HOTOS_TRIGGER, policy="none", dt: float = 0.1, horizon: float = 300.0,
             queue_limit: float | None = None, seed: int = 0) -> StormResult:
    """Run one scenario of the retry storm and return its per-tick counts."""
    load = SPEC.check("load", load)
    return simulate_batch(load, capacity, timeout, retries, trigger, policy, dt, horizon, queue_limit, seed)


def hidden_capacity(capacity: float = 300.0, retries: int = 1) -> float:
    """Return the load below which the storm cannot sustain itself: capacity / (1 + retries)."""
    return SPEC.check("capacity", capacity) / (1 + SPEC.check("retries", retries))


def outcome(result: StormResult, window: float = 10.0, threshold: float = 0.9) -> np.ndarray:
    """Return True where goodput over the last *window* s is at least *threshold* x new requests.

    A verdict at one fixed moment (the end of the run); ``time_to_recovery`` and ``classify_runs`` say more.
    """
    check_type("result", result, StormResult, "a StormResult (the result of simulate or simulate_batch)")
    window = check_number("window", window, lo=result.dt, hi=float(result.t[-1]) + result.dt)
    threshold = check_number("threshold", threshold, lo=0.0, hi=1.0, lo_open=True)
    k = max(1, round(window / result.dt))
    # Compare with the requests that actually arrived, so Poisson noise at tiny loads is not "stuck".
    return result.goodput[:, -k:].sum(axis=1) >= threshold * result.first[:, -k:].sum(axis=1)


def state_of(load: float, capacity: float = 300.0, retries: int = 1) -> str:
    """Classify a healthy system by its load: 'stable', 'vulnerable' or 'overloaded'."""
    load = SPEC.check("load", load)
    if load < hidden_capacity(capacity, retries):
        return "stable"
    return "vulnerable" if load < capacity else "overloaded"


def trigger_end(result: StormResult) -> np.ndarray:
    """Return, per scenario, the second at which the trigger ended."""
    check_type("result", result, StormResult, "a StormResult (metastable.simulate())")
    _kind, _magnitude, start, duration = result.trigger
    return start + np.broadcast_to(np.asarray(duration, dtype=float), result.load.shape)


def time_to_recovery(result: StormResult, threshold: float = 0.9, hold: float = 5.0) -> np.ndarray:
    """Return, per scenario, the seconds from the trigger's end until goodput first holds at least *threshold*
    x the new requests over *hold* seconds (inf if that does not happen within the run).

    A trigger still on at the end of the run is judged on the run's last *hold* seconds.
    """
    check_type("result", result, StormResult, "a StormResult (the result of simulate or simulate_batch)")
    threshold = check_number("threshold", threshold, lo=0.0, hi=1.0, lo_open=True)
    hold = check_number("hold", hold, lo=result.dt, hi=float(result.t[-1]) + result.dt)
    k = max(1, round(hold / result.dt))
    good = np.cumsum(result.goodput, axis=1)
    new = np.cumsum(result.first, axis=1)
    good[:, k:] -= good[:, :-k].copy()
    new[:, k:] -= new[:, :-k].copy()
    window_start = result.t - (k - 1) * result.dt  # the window ending at each tick starts here
    end = trigger_end(result)
    latest = float(result.t[-1]) - (k - 1) * result.dt
    judged_from = np.minimum(end, latest)
    ok = (good >= threshold * new) & (window_start[None, :] >= judged_from[:, None] - 1e-9)
    ok[:, : k - 1] = False
    first = np.argmax(ok, axis=1)
    found = ok[np.arange(ok.shape[0]), first]
    return np.where(found, np.maximum(0.0, window_start[first] - end), np.inf)


def classify_runs(result: StormResult, threshold: float = 0.9, hold: float = 5.0) -> np.ndarray:
    """Label each scenario 'recovered', 'recovering', 'metastable' or 'overloaded'.

    * overloaded: the load is at or above capacity (no trigger needed), or goodput has not come back while the
      trigger is still on at the end of the run: neither needs a sustaining loop;
    * recovered: goodput came back (within the run) after the trigger ended, or was never lost;
    * recovering: the trigger is over and goodput has not come back *within the run*, but the load is below
      the hidden capacity, so the stuck state's queue drains (``drain_time`` is finite): a slow recovery that
      a longer run shows, not a metastable failure;
    * metastable: the trigger is over and the load is at or above the hidden capacity (and below capacity),
      yet goodput has not come back: the retries sustain the stuck state.
    """
    ttr = time_to_recovery(result, threshold, hold)
    k = max(1, round(hold / result.dt))
    still_on = trigger_end(result) > float(result.t[-1]) - (k - 1) * result.dt + 1e-9
    over = result.load >= result.capacity
    drains = result.load < result.capacity / (1 + result.retries)  # below the hidden capacity
    after = np.where(drains, "recovering", "metastable")
    return np.where(over, "overloaded", np.where(np.isfinite(ttr), "recovered",
                                                 np.where(still_on, "overloaded", after)))


def drain_time(load: float, capacity: float = 300.0, retries: int = 1, backlog: float = 3000.0,
               timeout: float = 1.0) -> float:
    """Closed form: seconds for the stuck state's queue to drain from *backlog* to one timeout of work.

    In the stuck state every query is sent 1 + retries times, so the queue shrinks at
    capacity - (1 + retries) x load per second; it must fall to capacity x timeout before queries are served
    in time again.  Below the hidden capacity this is finite and grows without bound as the load nears it:
    the slow drain near the edge.  inf at or above the hidden capacity.
    """
    load = SPEC.check("load", load)
    capacity = SPEC.check("capacity", capacity)
    retries = SPEC.check("retries", retries)
    backlog = check_number("backlog", backlog, lo=0.0, hi=1e12)
    timeout = SPEC.check("timeout", timeout)
    spare = capacity - (1 + retries) * load
    excess = max(0.0, backlog - capacity * timeout)
    if excess == 0.0:
        return 0.0
    return excess / spare if spare > 0 else float("inf")


def outage_threshold(load: float, capacity: float = 300.0, timeout: float = 1.0) -> float:
    """Closed form: the shortest full outage after which queries queued at *load* wait past the timeout.

    During an outage of d seconds d x load queries queue up; once they exceed capacity x timeout (one timeout of
    work) the last of them is served after its client gave up, which starts the retries.  So
    d* = timeout x capacity / load: about one timeout when the load is near capacity.
    """
    load = SPEC.check("load", load)
    capacity = SPEC.check("capacity", capacity)
    timeout = SPEC.check("timeout", timeout)
    return timeout * capacity / load
