"""k Enactors contend for the Route 53 lock: how many times in a row does one lose, and how long does it wait?

The lock is ``course_lib.r53lock`` on a ``HostedZone`` [S2]: an Enactor takes it with one DELETE+CREATE change
batch and, if that fails, backs off and tries again (the shared ``course_lib.backoff.retry`` loop).  [S2]
reports that one Enactor failed to get the lock several times in a row, so the plan it held grew "older than
anyone had ever envisioned".  This module measures that: the distribution of consecutive losses and of the
wait before an Enactor holds the lock, by simulation and -- for deterministic retry policies -- in closed form.

Two holders at once (``LockRun.overlaps``) need no pause: holds are exponential, so now and then one outlasts
its lease (``LockRun.overruns``), and every acquisition by another Enactor while the late holder still works
counts once.  The lease's epoch is written in whole seconds (``r53lock.lock_value``), so a lease ends up to
half a second before or after now + lease.

Model choices (no published numbers): hold and gap times are exponential with the given means; each
attempt is one Route 53 call taking *call* seconds; attempts are instantaneous at the zone (the lock's own
compare-and-swap is exercised by the tests, not by this timing model).  Times are seconds.

The closed form has two chances, both measured from a run: ρ₁, that an Enactor's *first* attempt finds the
lock held, and ρᵣ, that a *retry* does.  P(L >= n) = ρ₁·ρᵣ^(n-1).  They differ because a retry is not a fresh
look: it comes back a moment later and often finds the same hold still under way.

It also replays the paused-holder case: a holder pauses past its lease, another Enactor takes the lock, and
the stale holder wakes and writes -- unless its write is fenced (the seed of Chapter 2's fix).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from . import r53lock
from .backoff import STRATEGIES, capped_doubling, check_args, check_backoff, retry
from .dns.layout import REGIONAL_ENDPOINT, lock_name
from .events import Scheduler
from .params import Param, Spec
from .route53 import Change, ChangeRejected, HostedZone, Record
from .trace import Event
from .validate import check_choice, check_int, check_number, check_type

__all__ = ["FENCING", "LOCK_NAME", "PLAN_NAME", "POLICIES", "SEEDS", "SPEC", "LockRun", "PausedResult",
           "TailEstimate", "fenced_batch", "fixed_interval", "lock_runs", "loss_tail", "losses_for_tail",
           "losses_pmf", "paused_holder", "pooled", "simulate_lock", "tail_closed_form", "tail_estimate",
           "tail_table", "wait_after_losses"]

LOCK_NAME = lock_name(REGIONAL_ENDPOINT)  # the TXT record that is the lock (its name is a model choice)
PLAN_NAME = "active-plan.dynamodb.us-east-1"  # model choice: a TXT record naming the applied plan generation
FENCING = ("none", "lock", "generation")
MAX_ATTEMPTS = 5_000_000  # enactors x horizon / call beyond this would run for minutes: refused at entry
MAX_LOSSES = 10**12  # counts of losses beyond this are not a question any Enactor asks


def fixed_interval(attempt: int, previous: float, base: float, cap: float, rng: np.random.Generator) -> float:
    """Sleep *base* every time: a constant retry interval."""
    return check_args(attempt, previous, base, cap, rng)[2]


POLICIES = {"fixed": fixed_interval, **{k: v for k, v in STRATEGIES.items() if k != "none"}}
DETERMINISTIC = ("fixed", "exponential")  # sleeps do not depend on the rng: a closed form exists

SPEC = Spec([
    Param("enactors", 3, "int", lo=1, hi=50, label="Enactors", view=(1, 8)),
    Param("hold", 2.0, lo=0, lo_open=True, hi=3600.0, label="hold", unit="s", step=0.5, view=(0.5, 20.0)),
    Param("lease", 10.0, lo=1, hi=3600.0, label="lease", unit="s", step=1.0, view=(1.0, 60.0)),
    Param("policy", "exponential", "choice", choices=tuple(POLICIES), label="retry"),
    Param("base", 0.5, lo=0, lo_open=True, hi=3600.0, unit="s"),
    Param("cap", 60.0, lo=0, lo_open=True, hi=3600.0, unit="s"),
    Param("gap", 1.0, lo=0, hi=3600.0, unit="s"),
    Param("call", 0.2, lo=0.001, hi=60.0, unit="s"),
    Param("horizon", 1200.0, lo=0, lo_open=True, hi=1e6, unit="s"),
    Param("seed", 0, "int", lo=0, hi=2**32 - 1),
])


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
    busy_fraction: float  # share of ALL attempts that found the lock held (not a per-attempt chance)
    overruns: int = 0  # holds that outlasted their lease (call + hold past the epoch written in the lock)

    @property
    def conserved(self) -> bool:
        """Return True if every attempt is counted once as a win or a loss."""
        return self.attempts == len(self.winner) + self.failures and int(self.losses.sum()) <= self.failures

    @property
    def first_loss(self) -> float:
        """Return ρ₁: the share of acquisitions whose first attempt found the lock held, P(L >= 1)."""
        return float(np.mean(self.losses >= 1)) if len(self.losses) else 0.0

    @property
    def retry_loss(self) -> float:
        """Return ρᵣ: the share of retries (attempts after a loss) that lost again, over finished acquisitions."""
        retries = int(self.losses.sum())
        return float(np.maximum(self.losses - 1, 0).sum() / retries) if retries else 0.0

    def tail(self, factor: float = 10.0) -> float:
        """Return the share of acquisitions that waited more than *factor* times the median wait."""
        factor = check_number("factor", factor, lo=1, hi=1e6)
        if len(self.waits) == 0:
            return math.nan
        return float(np.mean(self.waits > factor * np.median(self.waits)))


def _validate_lock(values: dict) -> dict:
    values = SPEC.validate(values)
    values["base"], values["cap"] = check_backoff(values["base"], values["cap"])
    if values["enactors"] * values["horizon"] / values["call"] > MAX_ATTEMPTS:
        raise ValueError(f"horizon must keep enactors × horizon / call <= {MAX_ATTEMPTS:,} attempts, got "
                         f"{values['enactors']} × {values['horizon']:g} / {values['call']:g}")
    return values


def simulate_lock(enactors: int = 3, hold: float = 2.0, lease: float = 10.0, policy: str = "exponential",
                  base: float = 0.5, cap: float = 60.0, gap: float = 1.0, call: float = 0.2,
                  horizon: float = 1200.0, seed: int = 0) -> LockRun:
    """Run *enactors* Enactors that each want the lock, hold it, rest *gap*, and want it again."""
    check_type("policy", policy, str, "the name of a retry policy")
    v = _validate_lock({"enactors": enactors, "hold": hold, "lease": lease, "policy": policy, "base": base,
                        "cap": cap, "gap": gap, "call": call, "horizon": horizon, "seed": seed})
    enactors, hold, lease, gap, call = v["enactors"], v["hold"], v["lease"], v["gap"], v["call"]
    sleep_for = POLICIES[policy]
    rng = np.random.default_rng(v["seed"])
    sched, zone = Scheduler(), HostedZone()
    names = [f"Enactor {i + 1}" for i in range(enactors)]
    holding = [False] * enactors
    waiting = [False] * enactors
    wanted_at, lost, hold_for = [0.0] * enactors, [0] * enactors, [0.0] * enactors
    winner, losses, waits = [], [], []
    count = {"attempts": 0, "failures": 0, "overlaps": 0, "overruns": 0}

    def take_lock(i: int, sleep: float | None):
        """One attempt: submit the DELETE+CREATE batch; its answer comes one call later.

        A retry first waits for the answer that said "lost" and then sleeps (one delay, one event).
        """
        if sleep is not None:
            yield call + sleep
        count["attempts"] += 1
        if not r53lock.try_acquire(zone, LOCK_NAME, names[i], sched.now, lease):
            count["failures"] += 1
            lost[i] += 1
            return False
        count["overlaps"] += any(holding[j] for j in range(enactors) if j != i)
        holding[i], waiting[i] = True, False
        winner.append(i)
        losses.append(lost[i])
        waits.append(sched.now + call - wanted_at[i])
        hold_for[i] = float(rng.exponential(hold))  # how long it will hold, drawn as it wins
        # still working after the lease ran out? The epoch is written in whole seconds (lock_value's "%.0f",
        # which rounds half to even exactly as round() does); the tests compare it with the record itself
        count["overruns"] += sched.now + call + hold_for[i] > round(sched.now + lease)
        yield call
        return True

    def enactor(i: int):
        while True:
            yield float(rng.exponential(gap)) if gap else 0.0  # rest, then want the lock
            wanted_at[i], lost[i], waiting[i] = sched.now, 0, True
            yield from retry(functools.partial(take_lock, i), sleep_for, v["base"], v["cap"], rng, name=policy)
            yield hold_for[i]
            r53lock.release(zone, LOCK_NAME, names[i])  # fails harmlessly if the lease ran out and was taken
            holding[i] = False

    for i in range(enactors):
        sched.process(enactor(i))
    sched.run(until=v["horizon"])
    attempts = count["attempts"]
    return LockRun(enactors, policy, np.array(winner, dtype=np.int32), np.array(losses, dtype=np.int32),
                   np.array(waits, dtype=float), attempts, count["failures"], sum(waiting), count["overlaps"],
                   count["failures"] / attempts if attempts else 0.0, count["overruns"])


# --- closed form: P(L >= n) = rho_first * rho_retry**(n - 1) -------------------------------------------

def _chances(rho, retry_rho) -> tuple[float, float]:
    rho = check_number("rho", rho, lo=0, hi=1, hi_open=True)
    retry_rho = rho if retry_rho is None else check_number("retry_rho", retry_rho, lo=0, hi=1, hi_open=True)
    return rho, retry_rho


def losses_pmf(rho: float, n_max: int = 30, retry_rho: float | None = None) -> np.ndarray:
    """Return P(L = n) for n = 0..n_max: the first attempt loses with chance *rho*, each retry with *retry_rho*.

    *retry_rho* defaults to *rho* (independent attempts: the geometric law).
    """
    rho, retry_rho = _chances(rho, retry_rho)
    n = np.arange(check_int("n_max", n_max, lo=0, hi=10_000) + 1)
    at_least = np.where(n == 0, 1.0, rho * retry_rho ** np.maximum(n - 1, 0))
    return at_least * np.where(n == 0, 1 - rho, 1 - retry_rho)


def loss_tail(rho: float, k: int, retry_rho: float | None = None) -> float:
    """Return P(L >= k) = rho · retry_rho**(k-1) (rho**k for independent attempts); 1 for k = 0."""
    rho = check_number("rho", rho, lo=0, hi=1)
    retry_rho = rho if retry_rho is None else check_number("retry_rho", retry_rho, lo=0, hi=1)
    k = check_int("k", k, lo=0, hi=MAX_LOSSES)
    return 1.0 if k == 0 else rho * retry_rho ** (k - 1)


def _deterministic(policy) -> str:
    check_type("policy", policy, str, "'fixed' or 'exponential'")
    return check_choice("policy", policy, DETERMINISTIC)


def wait_after_losses(n: int, policy: str, base: float, cap: float, call: float = 0.2) -> float:
    """Return the wait of an Enactor that loses *n* times then wins, for a deterministic *policy*."""
    n = check_int("n", n, lo=0, hi=MAX_LOSSES)
    _deterministic(policy)
    base, cap = check_backoff(base, cap)
    call = check_number("call", call, lo=0, hi=3600.0)
    if policy == "fixed":
        sleeps = n * base
    else:  # base, 2·base, ... doubling until the cap; then every sleep is the cap
        doubling = 0
        while doubling < n and capped_doubling(doubling, base, cap) < cap:
            doubling += 1
        sleeps = base * (2.0 ** doubling - 1) + (n - doubling) * cap
    return (n + 1) * call + sleeps


def _median_losses(rho: float, retry_rho: float) -> int:
    """Return the smallest n with P(L <= n) >= 1/2, i.e. P(L >= n + 1) <= 1/2."""
    if rho <= 0.5:
        return 0
    # rho * retry_rho**n <= 1/2  <=>  n >= log(0.5 / rho) / log(retry_rho); then settle the rounding exactly
    n = max(0, math.ceil(math.log(0.5 / rho) / math.log(retry_rho)) - 1)
    while loss_tail(rho, n + 1, retry_rho) > 0.5:
        n += 1
    while n > 0 and loss_tail(rho, n, retry_rho) <= 0.5:
        n -= 1
    return n


def _first_longer(limit: float, start: int, policy: str, base: float, cap: float, call: float) -> int:
    """Return the fewest losses n >= start whose wait exceeds *limit* (waits grow with n: double, then bisect)."""
    lo, hi = start, max(start, 1)
    while wait_after_losses(hi, policy, base, cap, call) <= limit:
        lo, hi = hi, 2 * hi
    while lo < hi:  # the answer is in [lo, hi]
        mid = (lo + hi) // 2
        if wait_after_losses(mid, policy, base, cap, call) > limit:
            hi = mid
        else:
            lo = mid + 1
    return lo


def losses_for_tail(rho: float, policy: str, base: float = 0.5, cap: float = 60.0, call: float = 0.2,
                    factor: float = 10.0, retry_rho: float | None = None) -> tuple[int, int]:
    """Return (median losses, fewest losses whose wait exceeds *factor* x the median wait).

    Losses follow the closed form: the first attempt loses with chance *rho*, each retry with *retry_rho*
    (by default *rho* again: independent attempts).
    """
    rho, retry_rho = _chances(rho, retry_rho)
    _deterministic(policy)
    base, cap = check_backoff(base, cap)
    call = check_number("call", call, lo=0, hi=3600.0, lo_open=True)
    factor = check_number("factor", factor, lo=1, hi=1e6)
    n_med = _median_losses(rho, retry_rho)
    limit = factor * wait_after_losses(n_med, policy, base, cap, call)
    return n_med, _first_longer(limit, n_med, policy, base, cap, call)


def tail_closed_form(rho: float, policy: str, base: float = 0.5, cap: float = 60.0, call: float = 0.2,
                     factor: float = 10.0, retry_rho: float | None = None) -> float:
    """Return P(wait > factor x median wait) = P(L >= n*) from the closed form; deterministic policies only."""
    rho, retry_rho = _chances(rho, retry_rho)
    return loss_tail(rho, losses_for_tail(rho, policy, base, cap, call, factor, retry_rho)[1], retry_rho)


# --- many seeds: every number the chapter prints about the lock is a mean over these runs ----------------

SEEDS = tuple(range(16))  # the chapter's seeds for every lock number (one 1200 s run each)
Z95 = 1.96  # normal approximation of the 95 % interval of a mean over seeds


@dataclass
class TailEstimate:
    """P(wait > factor x median) over seeds: the mean, the half-width of its 95 % interval, each seed's value."""

    mean: float
    half: float
    values: np.ndarray


def _seeds(seeds) -> tuple[int, ...]:
    check_type("seeds", seeds, (list, tuple, range), "a list of seeds")
    if not 2 <= len(seeds) <= 1000:
        raise ValueError(f"seeds must hold 2 to 1000 seeds (an interval needs two), got {len(seeds)}")
    return tuple(check_int("seeds", s, lo=0, hi=2**32 - 1) for s in seeds)


def lock_runs(enactors: int = 3, policy: str = "exponential", seeds: Sequence[int] = SEEDS, **kw) -> list[LockRun]:
    """Return one simulate_lock run per seed (same settings otherwise)."""
    return [simulate_lock(enactors, policy=policy, seed=s, **kw) for s in _seeds(seeds)]


def tail_estimate(runs: Sequence[LockRun], factor: float = 10.0) -> TailEstimate:
    """Return the mean over *runs* of P(wait > factor x that run's median wait), with its 95 % interval."""
    check_type("runs", runs, (list, tuple), "a list of LockRun")
    if len(runs) < 2 or not all(isinstance(r, LockRun) for r in runs):
        raise ValueError("runs must be a list of at least 2 LockRun (an interval needs two seeds)")
    factor = check_number("factor", factor, lo=1, hi=1e6)
    values = np.array([r.tail(factor) for r in runs])
    if not np.all(np.isfinite(values)):
        raise ValueError("every run must have at least one acquisition to have a tail")
    return TailEstimate(float(values.mean()), float(Z95 * values.std(ddof=1) / math.sqrt(len(values))), values)


def pooled(runs: Sequence[LockRun]) -> LockRun:
    """Return the runs' acquisitions as one LockRun (arrays joined, counts summed): for chances such as ρ₁, ρᵣ.

    Its ``tail()`` uses the pooled median; the chapter's tails are per-run means (``tail_estimate``).
    """
    check_type("runs", runs, (list, tuple), "a list of LockRun")
    if not runs or not all(isinstance(r, LockRun) for r in runs):
        raise ValueError("runs must be a non-empty list of LockRun")
    if len({(r.enactors, r.policy) for r in runs}) != 1:
        raise ValueError("runs must share their number of Enactors and their policy to be pooled")
    attempts, failures = sum(r.attempts for r in runs), sum(r.failures for r in runs)
    return LockRun(runs[0].enactors, runs[0].policy, np.concatenate([r.winner for r in runs]),
                   np.concatenate([r.losses for r in runs]), np.concatenate([r.waits for r in runs]), attempts,
                   failures, sum(r.pending for r in runs), sum(r.overlaps for r in runs),
                   failures / attempts if attempts else 0.0, sum(r.overruns for r in runs))


def tail_table(contenders: Sequence[int] = (2, 3, 4, 6, 8), policies: Sequence[str] = ("fixed", "exponential",
               "full jitter"), factor: float = 10.0, seeds: Sequence[int] = SEEDS,
               **kw) -> tuple[np.ndarray, np.ndarray]:
    """Return (mean, 95 % half-width) of P(wait > factor x median) over *seeds*: rows contenders, columns policies."""
    for name, seq in (("contenders", contenders), ("policies", policies)):
        check_type(name, seq, (list, tuple, range), f"a list of {name}")
        if not 1 <= len(seq) <= 20:
            raise ValueError(f"{name} must hold 1 to 20 entries, got {len(seq)}")
    factor = check_number("factor", factor, lo=1, hi=1e6)
    seeds = _seeds(seeds)
    estimates = [[tail_estimate(lock_runs(k, p, seeds, **kw), factor) for p in policies] for k in contenders]
    return (np.array([[e.mean for e in row] for row in estimates]),
            np.array([[e.half for e in row] for row in estimates]))


# --- the paused holder --------------------------------------------------------------------------------

@dataclass
class PausedResult:
    """The paused-holder replay: its trace, the plan generation left active, and whether the stale write landed."""

    trace: list[Event]
    active_generation: int
    stale_write_applied: bool  # A's write went through after A had lost the lock
    takeover: bool


def fenced_batch(lock_seen: Record, changes: Sequence[Change]) -> list[Change]:
    """Return *changes* guarded by the lock: DELETE and re-CREATE the exact lock record the writer holds."""
    check_type("lock_seen", lock_seen, Record, "the lock Record the writer read")
    check_type("changes", changes, (list, tuple), "a list of Change")
    for change in changes:
        check_type("changes", change, Change, "a list of Change")
    return [Change("DELETE", lock_seen), Change("CREATE", lock_seen), *changes]


def _plan(generation: int) -> Record:
    return Record(PLAN_NAME, "TXT", (f"generation {generation}",))


def paused_holder(pause: float = 15.0, lease: float = 10.0, fencing: str = "none",
                  stale_generation: int = 5, fresh_generation: int = 7) -> PausedResult:
    """Replay: Enactor A takes the lock and pauses; B retries each second, takes over, writes; A wakes and writes.

    The two Enactors are processes on one scheduler, so the trace is in time order whatever the pause: if A
    wakes between B's takeover and B's write, A's (stale) write lands first and B's follows.
    """
    pause = check_number("pause", pause, lo=0, hi=3600.0)
    lease = check_number("lease", lease, lo=1, hi=3600.0)
    check_type("fencing", fencing, str, "one of " + ", ".join(map(repr, FENCING)))
    check_choice("fencing", fencing, FENCING)
    stale_generation = check_int("stale_generation", stale_generation, lo=1, hi=10**6)
    fresh_generation = check_int("fresh_generation", fresh_generation, lo=stale_generation + 1, hi=10**6 + 1)
    zone = HostedZone([_plan(stale_generation - 1)])
    sched = Scheduler()
    trace: list[Event] = []
    A, B, R53 = "Enactor A", "Enactor B", "Route 53"
    state = {"takeover": False, "applied": False}
    wake = 1.0 + pause

    def note(actor, kind, detail="", data=None):
        trace.append(Event(sched.now, actor, kind, detail, data or {}))

    def active():
        note(R53, "active", f"gen {int(zone.get(PLAN_NAME, 'TXT').values[0].split()[1])}")

    def enactor_a():
        r53lock.try_acquire(zone, LOCK_NAME, A, sched.now, lease)
        lock_a, seen_plan = zone.get(LOCK_NAME, "TXT"), zone.get(PLAN_NAME, "TXT")
        note(A, "lock", f"until t={lease:g}")
        note(A, "read", f"gen {stale_generation - 1}")
        yield 1.0
        note(A, "pause", f"{pause:g} s")
        yield pause
        write = Change("UPSERT", _plan(stale_generation))
        if fencing == "lock":
            batch = fenced_batch(lock_a, [write])
        elif fencing == "generation":
            batch = [Change("DELETE", seen_plan), Change("CREATE", _plan(stale_generation))]
        else:
            batch = [write]
        try:
            zone.change(batch)
            state["applied"] = True
            note(A, "write", f"gen {stale_generation}" + (" (stale!)" if state["takeover"] else ""))
        except ChangeRejected as why:
            note(A, "rejected", "lock changed" if fencing == "lock" else "plan changed", {"reason": why.reason})
        active()

    def enactor_b():
        yield 2.0
        while sched.now < wake:  # B backs off and retries once a second while A is paused
            if r53lock.try_acquire(zone, LOCK_NAME, B, sched.now, lease):
                state["takeover"] = True
                note(B, "lock", "A expired")
                yield 0.5
                zone.change([Change("UPSERT", _plan(fresh_generation))])
                note(B, "write", f"gen {fresh_generation}")
                active()
                return
            yield 1.0

    sched.process(enactor_a())
    sched.process(enactor_b(), priority=0)  # at equal times B's step comes first
    sched.run(until=wake + 10.0)
    generation = int(zone.get(PLAN_NAME, "TXT").values[0].split()[1])
    return PausedResult(trace, generation, state["applied"] and state["takeover"], state["takeover"])
