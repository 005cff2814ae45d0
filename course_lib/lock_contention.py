"""k Enactors contend for the Route 53 lock: how many times in a row does one lose, and how long does it wait?

The lock is ``course_lib.r53lock`` on a ``HostedZone`` (fact sheet §1, [S2]): an Enactor takes it with one
DELETE+CREATE change batch and, if that fails, backs off and tries again.  [S2] reports that one Enactor
failed to get the lock several times in a row, so the plan it held grew "older than anyone had ever
envisioned".  This module measures that: the distribution of consecutive losses and of the wait before an
Enactor holds the lock, by simulation and -- for deterministic retry policies -- in closed form.

Model choices (no published numbers): hold and gap times are exponential with the given means; each
attempt is one Route 53 call taking *call* seconds; attempts are instantaneous at the zone (the lock's own
compare-and-swap is exercised by the tests, not by this timing model).  Times are seconds.

It also replays the paused-holder case: a holder pauses past its lease, another Enactor takes the lock, and
the stale holder wakes and writes -- unless its write is fenced (the seed of Chapter 2's fix).
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from . import r53lock
from .backoff import STRATEGIES, check_backoff
from .route53 import Change, ChangeRejected, HostedZone, Record
from .trace import Event
from .validate import check_choice, check_int, check_number

__all__ = ["FENCING", "LOCK_NAME", "PLAN_NAME", "POLICIES", "LockRun", "PausedResult", "fenced_batch",
           "fixed_interval", "loss_tail", "losses_for_tail", "losses_pmf", "paused_holder", "simulate_lock",
           "tail_closed_form", "tail_table", "wait_after_losses"]

LOCK_NAME = "_enactor-lock.dynamodb.us-east-1"  # model choice: the TXT record that is the lock
PLAN_NAME = "active-plan.dynamodb.us-east-1"  # model choice: a TXT record naming the applied plan generation
FENCING = ("none", "lock", "generation")


def fixed_interval(attempt: int, previous: float, base: float, cap: float, rng: np.random.Generator) -> float:
    """Sleep *base* every time: a constant retry interval."""
    return base


POLICIES = {"fixed": fixed_interval, **{k: v for k, v in STRATEGIES.items() if k != "none"}}
DETERMINISTIC = ("fixed", "exponential")  # sleeps do not depend on the rng: a closed form exists


@dataclass
class LockRun:
    """Per acquisition: who got the lock, after how many consecutive losses, after how long a wait."""

    enactors: int
    policy: str
    winner: np.ndarray
    losses: np.ndarray
    waits: np.ndarray
    attempts: int
    failures: int
    pending: int  # Enactors still waiting when the run stopped
    overlaps: int  # acquisitions made while another Enactor still believed it held the lock
    busy_fraction: float  # share of attempts that found the lock held: the rho of the closed form

    @property
    def conserved(self) -> bool:
        """Return True if every attempt is counted once as a win or a loss."""
        return self.attempts == len(self.winner) + self.failures and int(self.losses.sum()) <= self.failures

    @property
    def rho(self) -> float:
        """Return the geometric fit of the losses: P(lose an attempt) = mean losses / (1 + mean losses)."""
        mean = float(self.losses.mean()) if len(self.losses) else 0.0
        return mean / (1.0 + mean)

    def tail(self, factor: float = 10.0) -> float:
        """Return the share of acquisitions that waited more than *factor* times the median wait."""
        if len(self.waits) == 0:
            return math.nan
        return float(np.mean(self.waits > factor * np.median(self.waits)))


def _validate_lock(enactors, hold, lease, policy, base, cap, gap, call, horizon):
    enactors = check_int("enactors", enactors, lo=1, hi=50)
    hold = check_number("hold", hold, lo=0, lo_open=True)
    lease = check_number("lease", lease, lo=1)
    check_choice("policy", policy, POLICIES)
    base, cap = check_backoff(base, cap)
    gap = check_number("gap", gap, lo=0)
    call = check_number("call", call, lo=0, lo_open=True)
    horizon = check_number("horizon", horizon, lo=0, lo_open=True)
    return enactors, hold, lease, base, cap, gap, call, horizon


def simulate_lock(enactors: int = 3, hold: float = 2.0, lease: float = 10.0, policy: str = "exponential",
                  base: float = 0.5, cap: float = 60.0, gap: float = 1.0, call: float = 0.2,
                  horizon: float = 1200.0, seed: int = 0) -> LockRun:
    """Run *enactors* Enactors that each want the lock, hold it, rest *gap*, and want it again."""
    enactors, hold, lease, base, cap, gap, call, horizon = _validate_lock(
        enactors, hold, lease, policy, base, cap, gap, call, horizon)
    sleep_for = POLICIES[policy]
    rng = np.random.default_rng(seed)
    zone = HostedZone()
    names = [f"Enactor {i + 1}" for i in range(enactors)]
    heap = [(float(rng.exponential(gap)) if gap else 0.0, i, "want") for i in range(enactors)]
    heapq.heapify(heap)
    wanted_at = [0.0] * enactors
    lost = [0] * enactors
    last_sleep = [base] * enactors
    holding = [False] * enactors
    winner, losses, waits = [], [], []
    attempts = failures = overlaps = 0
    while heap and heap[0][0] <= horizon:
        t, i, kind = heapq.heappop(heap)
        if kind == "release":
            r53lock.release(zone, LOCK_NAME, names[i])  # fails harmlessly if the lease ran out and was taken
            holding[i] = False
            heapq.heappush(heap, (t + float(rng.exponential(gap)) if gap else t, i, "want"))
            continue
        if kind == "want":
            wanted_at[i], lost[i], last_sleep[i] = t, 0, base
        attempts += 1
        done = t + call  # the change batch is answered one call later
        if r53lock.try_acquire(zone, LOCK_NAME, names[i], t, lease):
            overlaps += any(holding[j] for j in range(enactors) if j != i)
            holding[i] = True
            winner.append(i)
            losses.append(lost[i])
            waits.append(done - wanted_at[i])
            heapq.heappush(heap, (done + float(rng.exponential(hold)), i, "release"))
            continue
        failures += 1
        sleep = float(sleep_for(lost[i], last_sleep[i], base, cap, rng))
        lost[i] += 1
        last_sleep[i] = sleep
        heapq.heappush(heap, (done + sleep, i, "retry"))
    pending = sum(1 for _, _, kind in heap if kind == "retry")
    return LockRun(enactors, policy, np.array(winner, dtype=np.int32), np.array(losses, dtype=np.int32),
                   np.array(waits), attempts, failures, pending, overlaps,
                   failures / attempts if attempts else 0.0)


def losses_pmf(rho: float, n_max: int = 30) -> np.ndarray:
    """Return P(L = n) for n = 0..n_max when each attempt independently finds the lock held with prob. *rho*."""
    rho = check_number("rho", rho, lo=0, hi=1, hi_open=True)
    n = np.arange(check_int("n_max", n_max, lo=0, hi=10_000) + 1)
    return (1 - rho) * rho ** n


def loss_tail(rho: float, k: int) -> float:
    """Return P(L >= k): the chance of losing at least *k* times in a row (geometric: rho ** k)."""
    rho = check_number("rho", rho, lo=0, hi=1)
    return rho ** check_int("k", k, lo=0)


def wait_after_losses(n: int, policy: str, base: float, cap: float, call: float = 0.2) -> float:
    """Return the wait of an Enactor that loses *n* times then wins, for a deterministic *policy*."""
    n = check_int("n", n, lo=0)
    check_choice("policy", policy, DETERMINISTIC)
    base, cap = check_backoff(base, cap)
    call = check_number("call", call, lo=0)
    sleeps = sum(base if policy == "fixed" else min(cap, base * 2.0 ** j) for j in range(n))
    return (n + 1) * call + sleeps


def losses_for_tail(rho: float, policy: str, base: float = 0.5, cap: float = 60.0, call: float = 0.2,
                    factor: float = 10.0) -> tuple[int, int]:
    """Return (median losses, fewest losses whose wait exceeds *factor* x the median wait); losses geometric(rho)."""
    rho = check_number("rho", rho, lo=0, hi=1, hi_open=True)
    factor = check_number("factor", factor, lo=1)
    n_med = 0
    while 1 - rho ** (n_med + 1) < 0.5:  # smallest n with P(L <= n) >= 1/2
        n_med += 1
    limit = factor * wait_after_losses(n_med, policy, base, cap, call)
    n = n_med
    while wait_after_losses(n, policy, base, cap, call) <= limit:
        n += 1
    return n_med, n


def tail_closed_form(rho: float, policy: str, base: float = 0.5, cap: float = 60.0, call: float = 0.2,
                     factor: float = 10.0) -> float:
    """Return P(wait > factor x median wait) = rho ** n* when losses are geometric(rho); deterministic policies."""
    return rho ** losses_for_tail(rho, policy, base, cap, call, factor)[1]


def tail_table(contenders: Sequence[int] = (2, 3, 4, 6, 8), policies: Sequence[str] = ("fixed", "exponential",
               "full jitter"), factor: float = 10.0, seed: int = 0, **kw) -> np.ndarray:
    """Return P(wait > factor x median) by simulation: one row per contender count, one column per policy."""
    return np.array([[simulate_lock(k, policy=p, seed=seed, **kw).tail(factor) for p in policies]
                     for k in contenders])


@dataclass
class PausedResult:
    """The paused-holder replay: its trace, the plan generation left active, and whether the stale write landed."""

    trace: list[Event]
    active_generation: int
    stale_write_applied: bool
    takeover: bool


def fenced_batch(lock_seen: Record, changes: Sequence[Change]) -> list[Change]:
    """Return *changes* guarded by the lock: DELETE and re-CREATE the exact lock record the writer holds."""
    return [Change("DELETE", lock_seen), Change("CREATE", lock_seen), *changes]


def _plan(generation: int) -> Record:
    return Record(PLAN_NAME, "TXT", (f"generation {generation}",))


def paused_holder(pause: float = 15.0, lease: float = 10.0, fencing: str = "none",
                  stale_generation: int = 5, fresh_generation: int = 7) -> PausedResult:
    """Replay: Enactor A takes the lock and pauses; B retries each second, takes over, writes; A wakes and writes."""
    pause = check_number("pause", pause, lo=0)
    lease = check_number("lease", lease, lo=1)
    check_choice("fencing", fencing, FENCING)
    zone = HostedZone([_plan(stale_generation - 1)])
    trace: list[Event] = []
    A, B, R53 = "Enactor A", "Enactor B", "Route 53"
    r53lock.try_acquire(zone, LOCK_NAME, A, 0.0, lease)
    lock_a = zone.get(LOCK_NAME, "TXT")
    seen_plan = zone.get(PLAN_NAME, "TXT")
    trace.append(Event(0.0, A, "lock", f"until t={lease:g}"))
    trace.append(Event(0.0, A, "read", f"gen {stale_generation - 1}"))
    trace.append(Event(1.0, A, "pause", f"{pause:g} s"))
    wake = 1.0 + pause
    takeover = False
    t = 2.0
    while t < wake:  # B backs off and retries once a second while A is paused
        if r53lock.try_acquire(zone, LOCK_NAME, B, t, lease):
            takeover = True
            trace.append(Event(t, B, "lock", "A expired"))
            zone.change([Change("UPSERT", _plan(fresh_generation))])
            trace.append(Event(t + 0.5, B, "write", f"gen {fresh_generation}"))
            trace.append(Event(t + 0.5, R53, "active", f"gen {fresh_generation}"))
            break
        t += 1.0
    write = Change("UPSERT", _plan(stale_generation))
    if fencing == "lock":
        batch = fenced_batch(lock_a, [write])
    elif fencing == "generation":
        batch = [Change("DELETE", seen_plan), Change("CREATE", _plan(stale_generation))]
    else:
        batch = [write]
    try:
        zone.change(batch)
        applied = True
        trace.append(Event(wake, A, "write", f"gen {stale_generation}" + (" (stale!)" if takeover else "")))
    except ChangeRejected as why:
        applied = False
        what = "lock changed" if fencing == "lock" else "plan changed"
        trace.append(Event(wake, A, "rejected", what, {"reason": why.reason}))
    active = int(zone.get(PLAN_NAME, "TXT").values[0].split()[1])
    trace.append(Event(wake, R53, "active", f"gen {active}"))
    return PausedResult(trace, active, applied and takeover, takeover)
