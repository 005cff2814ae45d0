"""The retry storm's policies: what clients send and retry, and what the server admits and serves.

``Policy`` is the do-nothing baseline the storm model (``course_lib.metastable``) runs by default; the
others are the mitigations.  This module imports nothing from the model, so the model can look policies
up by name without an import circle; ``course_lib.mitigations`` compares them on the model.

Each policy changes one thing in the loop "queue grows -> queries time out -> clients retry -> queue grows".
Some break the loop: the retry budget (retries are paid for by successes, so they stop when nothing succeeds),
the circuit breaker, LIFO (the newest query is served while its client still waits), load shedding (a short
queue cannot hold a query past its timeout) and queue-delay-based overload detection (CoDel-like: a persistent
minimum queueing delay switches the server to LIFO and shedding) and the server-side deadline check (each query
carries its client's deadline, and the server drops, unserved, a query whose client has already given up, so no
capacity goes to wasted work).  Backoff with jitter only moves each retry
later: with one retry per request the offered load still doubles, so it delays the storm but does not end it.
These are the policies HotOS '21 lists [S8] plus the deadline check; ``compare`` lets the model say which is which.
Parameters (token ratio, breaker threshold, shedding point, CoDel target) are model choices.
"""

from __future__ import annotations

import numpy as np

from .backoff import check_backoff, strategy_named
from .validate import check_choice, check_int, check_number, check_type

__all__ = ["POLICIES", "Backoff", "BudgetPolicy", "CircuitBreaker", "DeadlineDrop", "Lifo", "LoadShedding", "Policy",
           "QueueDelayDetector", "RetryBudget", "policy_named", "token_bucket"]


class Policy:
    """The do-nothing policy: retry every failure at once, admit everything, serve oldest first."""

    name = "none"
    delays = (1.0,)  # probability of a retry waiting 1, 2, ... ticks (backoff policies spread it)

    def start(self, n: int, dt: float, capacity: np.ndarray, timeout: float) -> None:
        """Reset per-run state for *n* scenarios."""

    def send(self, first: np.ndarray, retries: np.ndarray, obs: dict) -> tuple[np.ndarray, np.ndarray]:
        """Return how many first attempts and retries (per attempt number) the clients send now."""
        return first, retries

    def retries(self, wanted: np.ndarray, obs: dict) -> np.ndarray:
        """Return how many failed attempts (per attempt number) the clients retry."""
        return wanted

    def admit(self, arriving: np.ndarray, obs: dict) -> np.ndarray:
        """Return how many of the arriving queries the server lets into its queue."""
        return arriving

    def lifo(self, obs: dict) -> np.ndarray | bool:
        """Return True where the server should serve the newest query first."""
        return False

    def drops_expired(self) -> bool:
        """Return True if the server drops, unserved, queries whose client has already given up."""
        return False

    def observe(self, ok: np.ndarray, failed: np.ndarray, obs: dict) -> None:
        """Learn from this tick's successes and failures."""


def token_bucket(wanted: np.ndarray, successes: np.ndarray, tokens: np.ndarray,
                 ratio: float = 0.1, cap: float = 100.0) -> tuple[np.ndarray, np.ndarray]:
    """Earn *ratio* token per success (up to *cap*), spend one per retry; return (allowed, tokens)."""
    ratio = check_number("ratio", ratio, lo=0.0, hi=1e6)
    cap = check_number("cap", cap, lo=0.0, hi=1e12)
    wanted, successes, tokens = (_counts(n, v) for n, v in (("wanted", wanted), ("successes", successes),
                                                             ("tokens", tokens)))
    shapes = {"wanted": wanted.shape, "successes": successes.shape, "tokens": tokens.shape}
    try:
        np.broadcast_shapes(*shapes.values())
    except ValueError:
        raise ValueError("wanted, successes and tokens must have shapes that broadcast together, got "
                         + ", ".join(f"{k} {v}" for k, v in shapes.items())) from None
    return _token_bucket(wanted, successes, tokens, ratio, cap)


def _token_bucket(wanted: np.ndarray, successes: np.ndarray, tokens: np.ndarray, ratio: float,
                  cap: float) -> tuple[np.ndarray, np.ndarray]:
    """``token_bucket`` without its checks: for callers that validated ratio and cap once and pass the
    simulator's own count arrays every tick (integer or float counts give the same result: counts are whole
    numbers far below 2**53)."""
    tokens = np.minimum(cap, tokens + ratio * successes)
    allowed = np.minimum(wanted, np.floor(tokens)).astype(np.int64)
    return allowed, tokens - allowed


def _default_bucket() -> tuple[float, float]:
    """Return token_bucket's default (ratio, cap), checked as token_bucket checks them."""
    defaults = token_bucket.__defaults__
    return check_number("ratio", defaults[0], lo=0.0, hi=1e6), check_number("cap", defaults[1], lo=0.0, hi=1e12)


def _counts(name: str, value) -> np.ndarray:
    """Return *value* as a finite, non-negative float array, or raise naming *name*."""
    if isinstance(value, (str, bytes, bool, np.bool_)) or value is None:
        raise TypeError(f"{name} must be a number or a numpy array of numbers, got {type(value).__name__}")
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a number or a numpy array of numbers, got {type(value).__name__}") from None
    if arr.size > 10_000_000 or not np.all(np.isfinite(arr)) or np.any(arr < 0):
        raise ValueError(f"{name} must hold finite numbers >= 0 (at most 10,000,000 of them)")
    return arr


MAX_SCENARIOS = 10_000_000  # scenarios of one batch: metastable.DeadlineQueue's own bound


def check_start(n, dt, capacity, timeout) -> tuple[int, float, np.ndarray, float]:
    """Validate a policy's ``start`` arguments (called once per run); return capacity as an (n,) array."""
    n = check_int("n", n, lo=1, hi=MAX_SCENARIOS)
    dt = check_number("dt", dt, lo=0, lo_open=True, hi=60.0)
    capacity = _counts("capacity", capacity)
    if capacity.ndim > 1 or capacity.size not in (1, n):
        raise ValueError(f"capacity must be one number or one per scenario (n={n}), got shape {capacity.shape}")
    timeout = check_number("timeout", timeout, lo=0, lo_open=True, hi=1e6)
    return n, dt, np.broadcast_to(capacity, (n,)).copy(), timeout


def _tick_counts(name: str, value, ndim: int, n: int | None = None) -> np.ndarray:
    """A hook's per-tick counts: a numpy integer array of *ndim* dimensions, one row per scenario (*n*)."""
    if type(value) is np.ndarray and value.dtype.kind in "iu" and value.ndim == ndim and value.shape[0] == n:
        return value
    arr = _counts(name, value)
    if arr.ndim != ndim or (n is not None and arr.shape[0] != n):
        raise ValueError(f"{name} must be a {ndim}-D array of counts ({'scenario' if ndim == 1 else 'scenario x attempt'})"
                         f" for {n} scenarios, got shape {arr.shape}")
    return arr


def _obs(obs, *keys) -> dict:
    """A hook's observation dict, holding *keys*."""
    if type(obs) is not dict:
        raise TypeError(f"obs must be the simulator's observation dict, got {type(obs).__name__}")
    missing = [k for k in keys if k not in obs]
    if missing:
        raise ValueError(f"obs is missing {', '.join(missing)}")
    return obs


class BudgetPolicy(Policy):
    """Limit retries with a budget function ``budget(wanted, successes, tokens) -> (allowed, tokens)``."""

    name = "retry budget"

    def __init__(self, budget=token_bucket, start_tokens: float = 100.0):
        if not callable(budget):
            raise TypeError(f"budget must be a function (wanted, successes, tokens) -> (allowed, tokens), got "
                            f"{type(budget).__name__}")
        self.budget, self.start_tokens = budget, check_number("start_tokens", start_tokens, lo=0, hi=1e12)

    def start(self, n, dt, capacity, timeout):
        n, dt, capacity, timeout = check_start(n, dt, capacity, timeout)
        self.tokens = np.full(n, self.start_tokens)
        self.successes = np.zeros(n, dtype=np.int64)
        # The public token_bucket re-checks its three arrays and two numbers on every call (1,800 a widget run);
        # the bucket's ratio and cap are its defaults, checked here once, and the per-tick call skips the checks.
        self._fast = self.budget is token_bucket
        if self._fast:
            self._ratio, self._cap = _default_bucket()

    def retries(self, wanted, obs):
        wanted, _ = _tick_counts("wanted", wanted, 2, self.tokens.size), _obs(obs)
        total = np.add.reduce(wanted, axis=1)
        if self._fast:  # our own bucket: allowed is already a whole number in [0, total], tokens a float array
            allowed, self.tokens = _token_bucket(total, self.successes, self.tokens, self._ratio, self._cap)
        else:
            allowed, self.tokens = self.budget(total.copy(), self.successes.copy(), self.tokens.copy())
            allowed = np.clip(np.asarray(allowed, dtype=np.int64), 0, total)
            self.tokens = np.asarray(self.tokens, dtype=float)
        if wanted.shape[1] == 1:  # one attempt number (one retry per request): it gets the whole allowance
            return allowed[:, None]
        # Hand the allowance to the lowest attempt numbers first.
        return np.minimum(wanted, np.maximum(0, allowed[:, None] - (np.cumsum(wanted, 1) - wanted)))

    def observe(self, ok, failed, obs):
        n = self.tokens.size
        ok, _, _ = _tick_counts("ok", ok, 1, n), _tick_counts("failed", failed, 1, n), _obs(obs)
        self.successes = ok


class RetryBudget(BudgetPolicy):
    """The token-bucket retry budget: one retry costs a token; ten successes earn one (model choice)."""


class CircuitBreaker(Policy):
    """Stop sending for *cooldown* seconds when the recent failure ratio passes *threshold*."""

    name = "circuit breaker"

    def __init__(self, threshold: float = 0.5, cooldown: float = 5.0):
        self.threshold = check_number("threshold", threshold, lo=0, hi=1, lo_open=True)
        self.cooldown = check_number("cooldown", cooldown, lo=0, lo_open=True)

    def start(self, n, dt, capacity, timeout):
        n, dt, capacity, timeout = check_start(n, dt, capacity, timeout)
        self.dt, self.ratio, self.open_until = dt, np.zeros(n), np.full(n, -1.0)
        self._closed = None  # (tick, closed mask) from this tick's send
        self.alpha = min(1.0, dt / timeout)  # average over about one timeout

    def send(self, first, retries, obs):
        n = self.ratio.size
        first, retries = _tick_counts("first", first, 1, n), _tick_counts("retries", retries, 2, n)
        obs = _obs(obs, "tick")
        closed = obs["tick"] * self.dt >= self.open_until
        self._closed = (obs["tick"], closed)  # observe, later this tick, needs the same mask
        if closed.all():
            return first, retries
        return np.where(closed, first, 0), np.where(closed[:, None], retries, 0)

    def observe(self, ok, failed, obs):
        n = self.ratio.size
        ok, failed, obs = _tick_counts("ok", ok, 1, n), _tick_counts("failed", failed, 1, n), _obs(obs, "tick")
        cached, self._closed = getattr(self, "_closed", None), None
        closed = cached[1] if cached is not None and cached[0] == obs["tick"] else \
            obs["tick"] * self.dt >= self.open_until
        total = ok + failed
        now = np.where(total > 0, failed / np.maximum(total, 1), self.ratio)
        # While open, the breaker's own refusals are not evidence about the server.
        averaged = (1 - self.alpha) * self.ratio + self.alpha * now
        self.ratio = averaged if closed.all() else np.where(closed, averaged, self.ratio)
        trip = (self.ratio > self.threshold) & closed
        if trip.any():
            self.open_until = np.where(trip, obs["tick"] * self.dt + self.cooldown, self.open_until)
            self.ratio = np.where(trip, 0.0, self.ratio)


class Backoff(Policy):
    """Wait before retrying, drawn from a Chapter 1 backoff strategy (full jitter by default)."""

    name = "backoff"

    def __init__(self, strategy: str = "full jitter", base: float = 1.0, cap: float = 10.0, samples: int = 512):
        self.strategy = strategy_named(strategy)
        self.base, self.cap = check_backoff(base, cap)
        self.samples = check_int("samples", samples, lo=1, hi=100_000)

    def start(self, n, dt, capacity, timeout):
        n, dt, capacity, timeout = check_start(n, dt, capacity, timeout)
        rng = np.random.default_rng(12345)  # fixed: the delay distribution is part of the policy
        sleeps = [self.strategy(0, self.base, self.base, self.cap, rng) for _ in range(self.samples)]
        ticks = np.maximum(1, np.ceil(np.asarray(sleeps) / dt)).astype(int)
        self.delays = tuple(np.bincount(ticks - 1) / ticks.size)


class Lifo(Policy):
    """Serve the newest query first: the one whose client is still waiting."""

    name = "LIFO"

    def lifo(self, obs):
        _obs(obs)
        return True


class LoadShedding(Policy):
    """Reject queries once the queue holds *fraction* x timeout seconds of work."""

    name = "load shedding"

    def __init__(self, fraction: float = 0.5):
        self.fraction = check_number("fraction", fraction, lo=0, hi=1, lo_open=True)

    def start(self, n, dt, capacity, timeout):
        n, dt, capacity, timeout = check_start(n, dt, capacity, timeout)
        self.limit = np.floor(self.fraction * timeout * capacity).astype(np.int64)

    def admit(self, arriving, obs):
        arriving, obs = _tick_counts("arriving", arriving, 1, np.size(self.limit)), _obs(obs, "queue")
        return np.minimum(arriving, np.maximum(0, self.limit - obs["queue"]))


class QueueDelayDetector(Policy):
    """CoDel-like: if the minimum queueing delay over *window* s stays above *target* x timeout, go LIFO and shed."""

    name = "queue-delay detection"

    def __init__(self, target: float = 0.25, window: float = 2.0):
        self.target = check_number("target", target, lo=0, hi=1, lo_open=True)
        self.window = check_number("window", window, lo=0, lo_open=True)

    def start(self, n, dt, capacity, timeout):
        n, dt, capacity, timeout = check_start(n, dt, capacity, timeout)
        if n * max(1, round(self.window / dt)) > 5 * 10**7:
            raise ValueError(f"n x window/dt must be at most 5e7 cells, got {n} x {round(self.window / dt)}")
        self.capacity, self.limit = capacity, self.target * timeout
        # The last window/dt queueing delays, kept as a ring (column self._next is the oldest): only their
        # minimum matters, so no per-tick shifting is needed.
        self.history = np.zeros((n, max(1, round(self.window / dt))))
        self._next = 0
        self._room = np.floor(self.limit * self.capacity).astype(np.int64)  # the shedding point, in queries
        self.overloaded = np.zeros(n, dtype=bool)

    def admit(self, arriving, obs):
        arriving, obs = _tick_counts("arriving", arriving, 1, self.overloaded.size), _obs(obs, "queue")
        self.history[:, self._next] = obs["queue"] / self.capacity
        self._next = (self._next + 1) % self.history.shape[1]
        self.overloaded = np.minimum.reduce(self.history, axis=1) > self.limit
        room = np.maximum(0, self._room - obs["queue"])
        return np.where(self.overloaded, np.minimum(arriving, room), arriving)

    def lifo(self, obs):
        _obs(obs)
        # One answer for every scenario (always so for one run) lets the server take its plain FIFO/LIFO path,
        # which serves the same counts as the per-scenario mix without splitting the queue by rows.
        if self.overloaded.all():
            return True
        return self.overloaded if self.overloaded.any() else False


class DeadlineDrop(Policy):
    """The server checks each query's deadline (carried with it) and drops, unserved, those already given up."""

    name = "deadline check"

    def drops_expired(self) -> bool:
        return True


POLICIES = {
    "none": Policy,
    "retry budget": RetryBudget,
    "circuit breaker": CircuitBreaker,
    "backoff": Backoff,
    "LIFO": Lifo,
    "load shedding": LoadShedding,
    "queue-delay detection": QueueDelayDetector,
    "deadline check": DeadlineDrop,
}


def policy_named(name) -> Policy:
    """Return a fresh policy called *name* (one of POLICIES), or raise ValueError listing them."""
    check_type("policy name", name, str)
    return POLICIES[check_choice("policy name", name, POLICIES)]()
