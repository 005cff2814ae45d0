"""OCC contention in virtual time: N clients all try to update one item at once, and back off when they lose.

The set-up follows Marc Brooker's "Exponential Backoff And Jitter" ([S12], fact sheet §7): clients talk to a
remote database over a network whose delay has "mean 10 ms and variance 4 ms"; each client must make one
successful conditional write.  An attempt reads the item (one round trip), then sends a conditional write
that fails if anyone wrote between the read reaching the database and the write reaching it; a failed client
sleeps by its backoff strategy and reads again.  "Calls" counts attempts (read + conditional write).
Model choices (not from the post): we apply that delay to each one-way trip and read the variance as 4 ms²,
so one-way delays are normal(10 ms, sd 2 ms) clipped at 0.1 ms; every client starts at time 0; base 5 ms and
cap 1000 ms by default.

The loop is a tight heap of (arrival time, client, phase) entries -- two heap steps per attempt -- and the
trace is kept as three numpy arrays (time, client, outcome) so a 100-client run takes a few milliseconds.
"""

from __future__ import annotations

import functools
import heapq
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .backoff import STRATEGIES, Strategy, check_backoff, strategy_named
from .trace import Event
from .validate import check_int, check_number

__all__ = ["DELAY_MEAN_MS", "DELAY_VAR_MS", "ContentionResult", "ContentionView", "compare_strategies",
           "contention_view", "repeat_strategies", "simulate", "sweep_clients"]

DELAY_MEAN_MS = 10.0  # network delay, mean ([S12]); applying it per one-way trip is a model choice
DELAY_VAR_MS = 4.0  # [S12] says "variance 4 ms"; reading it as 4 ms^2 (sd 2 ms) is a model choice
SUCCESS, CONFLICT, IN_FLIGHT = 0, 1, 2  # outcome codes in the trace
READ, WRITE = 0, 1  # the two phases of an attempt


@dataclass
class ContentionResult:
    """One run: total calls, completion time (ms), calls per client, and the trace as arrays."""

    strategy: str
    clients: int
    base: float
    cap: float
    calls: int
    successes: int
    conflicts: int
    in_flight: int
    completion_ms: float  # when the last client succeeded (nan if some never did before the horizon)
    attempts: np.ndarray  # calls made by each client
    done_ms: np.ndarray  # when each client's write succeeded (nan if it never did)
    times: np.ndarray  # trace: arrival time of each call at the database
    who: np.ndarray  # trace: which client made it
    outcome: np.ndarray  # trace: SUCCESS, CONFLICT or IN_FLIGHT

    @property
    def conserved(self) -> bool:
        """Return True if every call is counted once as success, conflict or in flight."""
        return (self.calls == self.successes + self.conflicts + self.in_flight == len(self.times)
                and int(self.attempts.sum()) == self.calls)

    def events(self, limit: int = 50) -> list[Event]:
        """Return the first *limit* calls as trace events (for printing and swimlanes)."""
        names = ("success", "conflict", "in flight")
        return [Event(round(float(t), 2), f"client {int(c)}", names[int(o)])
                for t, c, o in zip(self.times[:limit], self.who[:limit], self.outcome[:limit], strict=True)]


def _validate(clients, base, cap, horizon_ms, delay_mean, delay_var):
    clients = check_int("clients", clients, lo=1, hi=2000)
    base, cap = check_backoff(base, cap)
    horizon_ms = check_number("horizon_ms", horizon_ms, lo=0, lo_open=True)
    delay_mean = check_number("delay_mean", delay_mean, lo=0)
    delay_var = check_number("delay_var", delay_var, lo=0)
    return clients, base, cap, horizon_ms, delay_mean, delay_var


def _strategy(strategy) -> tuple[str, Strategy]:
    if isinstance(strategy, str):
        return strategy, strategy_named(strategy)
    if not callable(strategy):
        raise TypeError(f"strategy must be a name or a function, got {type(strategy).__name__}")
    return getattr(strategy, "__name__", "custom"), strategy


def simulate(clients: int = 100, strategy="full jitter", base: float = 5.0, cap: float = 1000.0,
             seed: int = 0, horizon_ms: float = 1e6, delay_mean: float = DELAY_MEAN_MS,
             delay_var: float = DELAY_VAR_MS) -> ContentionResult:
    """Run *clients* clients to completion (or to *horizon_ms*) under a backoff *strategy*; times in ms.

    *strategy* is a name from ``course_lib.backoff.STRATEGIES`` or a function
    ``(attempt, previous, base, cap, rng) -> sleep``; *base* and *cap* are in ms.
    """
    clients, base, cap, horizon_ms, delay_mean, delay_var = _validate(
        clients, base, cap, horizon_ms, delay_mean, delay_var)
    name, sleep_for = _strategy(strategy)
    rng = np.random.default_rng(seed)
    sd = math.sqrt(delay_var)
    # Draw delays in blocks: one numpy call per block is far cheaper than one per message.
    block = max(1024, 4 * clients)
    delays = np.maximum(rng.normal(delay_mean, sd, block), 0.1).tolist()
    di = 0
    heap = []
    for c in range(clients):
        heapq.heappush(heap, (delays[di], c, READ))
        di += 1
    seen = [0] * clients  # version each client's latest read returned
    failures = [0] * clients
    last_sleep = [base] * clients
    version = 0
    times, who, outcome = [], [], []
    done = [math.nan] * clients
    pop, push = heapq.heappop, heapq.heappush
    while heap:
        t, c, phase = pop(heap)
        if di + 2 > len(delays):
            delays = np.maximum(rng.normal(delay_mean, sd, block), 0.1).tolist()
            di = 0
        if t > horizon_ms:  # the attempt is still under way when we stop looking
            times.append(t)
            who.append(c)
            outcome.append(IN_FLIGHT)
            continue
        if phase == READ:  # the read reaches the database; the conditional write follows a round trip later
            seen[c] = version
            push(heap, (t + delays[di] + delays[di + 1], c, WRITE))
            di += 2
            continue
        times.append(t)
        who.append(c)
        if seen[c] == version:
            version += 1
            outcome.append(SUCCESS)
            done[c] = t
            continue
        outcome.append(CONFLICT)
        sleep = float(sleep_for(failures[c], last_sleep[c], base, cap, rng))
        if not (sleep >= 0.0 and math.isfinite(sleep)):
            raise ValueError(f"strategy {name!r} returned sleep {sleep!r}; it must be a finite number >= 0")
        failures[c] += 1
        last_sleep[c] = sleep
        push(heap, (t + delays[di] + sleep + delays[di + 1], c, READ))  # reply travels back, sleep, read again
        di += 2
    out = np.array(outcome, dtype=np.int8)
    who_arr = np.array(who, dtype=np.int32)
    done_arr = np.array(done)
    finished = done_arr[~np.isnan(done_arr)]
    return ContentionResult(
        strategy=name, clients=clients, base=base, cap=cap, calls=len(times),
        successes=int((out == SUCCESS).sum()), conflicts=int((out == CONFLICT).sum()),
        in_flight=int((out == IN_FLIGHT).sum()),
        completion_ms=float(finished.max()) if len(finished) == clients else math.nan,
        attempts=np.bincount(who_arr, minlength=clients), done_ms=done_arr,
        times=np.array(times), who=who_arr, outcome=out)


def sweep_clients(counts: Sequence[int], strategy="full jitter", base: float = 5.0, cap: float = 1000.0,
                  seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (clients, calls, completion_ms) arrays for each client count in *counts*."""
    if len(counts) == 0:
        raise ValueError("counts must hold at least one client count")
    runs = [simulate(n, strategy, base, cap, seed) for n in counts]
    return (np.array([r.clients for r in runs]), np.array([r.calls for r in runs]),
            np.array([r.completion_ms for r in runs]))


def compare_strategies(clients: int = 100, base: float = 5.0, cap: float = 1000.0, seed: int = 0,
                       names: Sequence[str] = tuple(STRATEGIES)) -> dict[str, ContentionResult]:
    """Run every strategy in *names* with the same clients, base, cap and seed."""
    return {name: simulate(clients, name, base, cap, seed) for name in names}


def repeat_strategies(clients: int = 100, seeds: Sequence[int] = range(20), base: float = 5.0,
                      cap: float = 1000.0, names: Sequence[str] = tuple(STRATEGIES)
                      ) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Return, per strategy, (calls, completion_ms) arrays over *seeds*: one seed alone can mislead."""
    if len(seeds) == 0:
        raise ValueError("seeds must hold at least one seed")
    runs = [compare_strategies(clients, base, cap, seed, names) for seed in seeds]
    return {name: (np.array([r[name].calls for r in runs]), np.array([r[name].completion_ms for r in runs]))
            for name in names}


@dataclass
class ContentionView:
    """What widget (a) shows: every strategy at one client count, and the no-backoff curve over client counts."""

    clients: int
    selected: str
    runs: dict[str, ContentionResult]
    ref_clients: np.ndarray
    ref_calls: np.ndarray


REF_COUNTS = (5, 10, 25, 50, 75, 100, 150, 200)  # client counts of the no-backoff reference curve


@functools.lru_cache(maxsize=64)
def _all_strategies(clients: int, base: float, cap: float, seed: int) -> dict[str, ContentionResult]:
    return compare_strategies(clients, base, cap, seed)


@functools.lru_cache(maxsize=4)
def _reference(seed: int) -> tuple[np.ndarray, np.ndarray]:
    counts, calls, _ = sweep_clients(REF_COUNTS, "none", seed=seed)
    return counts, calls


def contention_view(clients: int = 100, strategy: str = "full jitter", base: float = 5.0, cap: float = 1000.0,
                    seed: int = 0) -> ContentionView:
    """Run all five strategies at *clients* clients; the no-backoff curve comes from a cached sweep.

    Runs are cached by (clients, base, cap, seed): choosing another strategy only moves the highlight.
    """
    strategy_named(strategy)
    clients, base, cap, *_ = _validate(clients, base, cap, 1.0, 0.0, 0.0)
    runs = _all_strategies(clients, base, cap, seed)
    counts, calls = _reference(seed)
    return ContentionView(clients, strategy, runs, counts, calls)
