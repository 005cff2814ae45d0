"""OCC contention in virtual time: N clients all try to update one item at once, and back off when they lose.

The set-up follows Marc Brooker's "Exponential Backoff And Jitter" [S12]: clients talk to a remote database
over a network whose delay has "mean 10 ms and variance 4 ms"; each client must make one successful
conditional write.  An attempt reads the item (one round trip), then sends a conditional write that fails
if anyone wrote between the read reaching the database and the write reaching it; a failed client hears
the rejection, sleeps by its backoff strategy (the shared ``course_lib.backoff.retry`` loop) and reads
again.  "Calls" counts attempts (read + conditional write).

Model choices (not from the post): we apply that delay to each one-way trip and read the variance as 4 ms²,
so one-way delays are normal(10 ms, sd 2 ms) clipped at 0.1 ms; every client starts at time 0; base 5 ms and
cap 1000 ms by default, with the first retry window equal to base (``first_attempt=0``; Brooker's simulator
starts at 2·base, ``first_attempt=1``).  Network delays and backoff draws come from two streams of one seed,
so runs of different strategies at one seed draw the same sequence of network delays.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .backoff import CONVENTIONS, STRATEGIES, Strategy, check_backoff, retry, strategy_named
from .events import Scheduler
from .params import Param, Spec
from .trace import Event
from .validate import check_int, check_type

__all__ = ["DELAY_MEAN_MS", "DELAY_VAR_MS", "SPEC", "ContentionResult", "ContentionView", "compare_strategies",
           "mean_ci", "repeat_strategies", "simulate", "sweep_clients"]

DELAY_MEAN_MS = 10.0  # network delay, mean ([S12]); applying it per one-way trip is a model choice
DELAY_VAR_MS = 4.0  # [S12] says "variance 4 ms"; reading it as 4 ms^2 (sd 2 ms) is a model choice
SUCCESS, CONFLICT, IN_FLIGHT = 0, 1, 2  # outcome codes in the trace
MAX_SEEDS = 1000  # repeat_strategies: more seeds than any comparison in the course needs

SPEC = Spec([
    Param("clients", 100, "int", lo=1, hi=1000, label="clients", view=(1, 200)),
    Param("strategy", "full jitter", "choice", choices=tuple(STRATEGIES), label="strategy"),
    Param("base", 5.0, lo=0, lo_open=True, hi=1e6, label="base", unit="ms", step=1.0, view=(1.0, 100.0)),
    Param("cap", 1000.0, lo=0, lo_open=True, hi=1e6, label="cap", unit="ms", step=50.0, view=(50.0, 5000.0)),
    Param("seed", 0, "int", lo=0, hi=2**32 - 1),
    Param("horizon_ms", 1e6, lo=0, lo_open=True, hi=1e9, unit="ms"),
    Param("delay_mean", DELAY_MEAN_MS, lo=0, hi=1e4, unit="ms"),
    Param("delay_var", DELAY_VAR_MS, lo=0, hi=1e6, unit="ms²"),
    Param("first_attempt", 0, "int", lo=0, hi=10, help="attempt number of the first retry: 0 = window base"),
])


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
    times: np.ndarray  # trace: arrival time of each call at the database (the horizon for calls in flight)
    who: np.ndarray  # trace: which client made it
    outcome: np.ndarray  # trace: SUCCESS, CONFLICT or IN_FLIGHT

    @property
    def conserved(self) -> bool:
        """Return True if every call is counted once as success, conflict or in flight."""
        return (self.calls == self.successes + self.conflicts + self.in_flight == len(self.times)
                and int(self.attempts.sum()) == self.calls)

    def events(self, limit: int = 50) -> list[Event]:
        """Return the first *limit* calls as trace events (for printing and swimlanes)."""
        limit = check_int("limit", limit, lo=0, hi=10**6)
        names = ("success", "conflict", "in flight")
        return [Event(round(float(t), 2), f"client {int(c)}", names[int(o)])
                for t, c, o in zip(self.times[:limit], self.who[:limit], self.outcome[:limit], strict=True)]


def _strategy(strategy) -> tuple[str, Strategy]:
    if isinstance(strategy, str):
        return strategy, strategy_named(strategy)
    if not callable(strategy):
        raise TypeError(f"strategy must be a name or a function, got {type(strategy).__name__}")
    return getattr(strategy, "__name__", "custom"), strategy


class _Network:
    """One-way message delays, drawn in blocks: one numpy call per block is far cheaper than one per message."""

    def __init__(self, rng: np.random.Generator, mean: float, sd: float, block: int):
        self.rng, self.mean, self.sd, self.block = rng, mean, sd, block
        self.delays: list[float] = []

    def trip(self) -> float:
        """Return the delay of one message."""
        if not self.delays:
            self.delays = np.maximum(self.rng.normal(self.mean, self.sd, self.block), 0.1).tolist()[::-1]
        return self.delays.pop()


def simulate(clients: int = 100, strategy="full jitter", base: float = 5.0, cap: float = 1000.0,
             seed: int = 0, horizon_ms: float = 1e6, delay_mean: float = DELAY_MEAN_MS,
             delay_var: float = DELAY_VAR_MS, first_attempt: int = 0) -> ContentionResult:
    """Run *clients* clients to completion (or to *horizon_ms*) under a backoff *strategy*; times in ms.

    *strategy* is a name from ``course_lib.backoff.STRATEGIES`` or a function
    ``(attempt, previous, base, cap, rng) -> sleep``; *base* and *cap* are in ms.
    """
    clients = SPEC.check("clients", clients)
    name, sleep_for = _strategy(strategy)
    base, cap = SPEC.check("base", base), SPEC.check("cap", cap)
    base, cap = check_backoff(base, cap)
    seed, horizon_ms = SPEC.check("seed", seed), SPEC.check("horizon_ms", horizon_ms)
    delay_mean, delay_var = SPEC.check("delay_mean", delay_mean), SPEC.check("delay_var", delay_var)
    first_attempt = SPEC.check("first_attempt", first_attempt)
    net_seed, backoff_seed = np.random.SeedSequence(seed).spawn(2)
    net = _Network(np.random.default_rng(net_seed), delay_mean, math.sqrt(delay_var), max(1024, 4 * clients))
    rng = np.random.default_rng(backoff_seed)
    sched = Scheduler()
    version = [0]  # the item's version at the database
    times, who, outcome = [], [], []
    done = [math.nan] * clients

    def attempt(c: int, sleep: float | None):
        """One attempt of client *c*: read, then a conditional write; a retry first hears its rejection."""
        if sleep is None:
            yield net.trip()  # the read reaches the database
        else:
            yield net.trip() + sleep + net.trip()  # the rejection comes back; sleep; the new read arrives
        seen = version[0]
        yield net.trip() + net.trip()  # its answer comes back and the conditional write goes out
        times.append(sched.now)
        who.append(c)
        if seen == version[0]:
            version[0] += 1
            outcome.append(SUCCESS)
            done[c] = sched.now
            return True
        outcome.append(CONFLICT)
        return False

    for c in range(clients):
        sched.process(retry(functools.partial(attempt, c), sleep_for, base, cap, rng, first_attempt, name))
    sched.run(until=horizon_ms)
    for c in range(clients):  # a client still going when we stop looking has one call under way
        if math.isnan(done[c]):
            times.append(horizon_ms)
            who.append(c)
            outcome.append(IN_FLIGHT)
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


def _counts(counts: Sequence[int]) -> list[int]:
    check_type("counts", counts, (list, tuple, range, np.ndarray), "a sequence of client counts")
    if len(counts) == 0:
        raise ValueError("counts must hold at least one client count")
    if len(counts) > 50:
        raise ValueError(f"counts must hold at most 50 client counts, got {len(counts)}")
    try:
        return [SPEC.check("clients", n) for n in counts]
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"counts: each must be a client count; {exc}") from None


def sweep_clients(counts: Sequence[int], strategy="full jitter", base: float = 5.0, cap: float = 1000.0,
                  seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (clients, calls, completion_ms) arrays for each client count in *counts*."""
    runs = [simulate(n, strategy, base, cap, seed) for n in _counts(counts)]
    return (np.array([r.clients for r in runs]), np.array([r.calls for r in runs]),
            np.array([r.completion_ms for r in runs]))


def _names(names: Sequence[str]) -> tuple[str, ...]:
    check_type("names", names, (list, tuple), "a list of strategy names")
    if not names:
        raise ValueError("names must hold at least one strategy name")
    for name in names:
        strategy_named(name)
    return tuple(names)


def compare_strategies(clients: int = 100, base: float = 5.0, cap: float = 1000.0, seed: int = 0,
                       names: Sequence[str] = tuple(STRATEGIES), first_attempt: int = 0
                       ) -> dict[str, ContentionResult]:
    """Run every strategy in *names* with the same clients, base, cap, seed and first retry window."""
    return {name: simulate(clients, name, base, cap, seed, first_attempt=first_attempt) for name in _names(names)}


def repeat_strategies(clients: int = 100, seeds: Sequence[int] = range(20), base: float = 5.0,
                      cap: float = 1000.0, names: Sequence[str] = tuple(STRATEGIES), first_attempt: int = 0,
                      convention: str | None = None) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Return, per strategy, (calls, completion_ms) arrays over *seeds*: one seed alone can mislead.

    *convention* (``"course"`` or ``"brooker"``, see ``course_lib.backoff.CONVENTIONS``) sets base, cap and
    the first retry window at once.
    """
    check_type("seeds", seeds, (list, tuple, range, np.ndarray), "a sequence of seeds")
    if len(seeds) == 0:
        raise ValueError("seeds must hold at least one seed")
    if len(seeds) > MAX_SEEDS:
        raise ValueError(f"seeds must hold at most {MAX_SEEDS} seeds, got {len(seeds)}")
    if convention is not None:
        if not isinstance(convention, str) or convention not in CONVENTIONS:
            raise ValueError(f"unknown convention {convention!r}; choose one of: {', '.join(CONVENTIONS)}")
        preset = CONVENTIONS[convention]
        base, cap, first_attempt = preset.base, preset.cap, preset.first_attempt
    runs = [compare_strategies(clients, base, cap, SPEC.check("seed", s), names, first_attempt) for s in seeds]
    return {name: (np.array([r[name].calls for r in runs]), np.array([r[name].completion_ms for r in runs]))
            for name in _names(names)}


def mean_ci(values) -> tuple[float, float]:
    """Return (mean, half-width of its 95 % confidence interval) of *values*, one per seed (normal approximation).

    To compare two strategies pass their per-seed differences: the interval of the difference, not the two
    means' intervals, says whether the difference is resolved.
    """
    if isinstance(values, (str, bytes)) or values is None:
        raise TypeError(f"values must be a sequence of numbers, got {type(values).__name__}")
    try:
        values = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"values must be a sequence of numbers, got {type(values).__name__} {values!r:.40}") from None
    if values.ndim != 1 or len(values) < 2:
        raise ValueError(f"values must be a flat sequence of at least 2 numbers, got shape {values.shape}")
    if not np.all(np.isfinite(values)):
        raise ValueError("values must all be finite (a run that did not finish has no completion time)")
    return float(values.mean()), float(1.96 * values.std(ddof=1) / math.sqrt(len(values)))


@dataclass
class ContentionView:
    """Every strategy at one client count, and the no-backoff curve over client counts (widget (a)'s picture)."""

    clients: int
    selected: str
    runs: dict[str, ContentionResult]
    ref_clients: np.ndarray
    ref_calls: np.ndarray
