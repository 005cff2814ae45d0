"""A versioned key-value store with compare-and-swap, and a scheduler that interleaves clients step by step.

A client is a generator function (SimPy style): it ``yield``s one operation at a time -- ``read(key)``,
``write(key, value)`` or ``cas(key, version, value)`` -- and receives the store's answer.  The scheduler runs
the clients in the order a *schedule* names them, so any interleaving can be replayed exactly and drawn as
a trace.  Two stock clients show the chapter's first picture: ``blind_increment`` (read, then write) loses
updates under some schedules; ``cas_increment`` (read, then compare-and-swap, retry on conflict) never does.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import product

from .trace import Event
from .validate import check_int, check_type

__all__ = ["Op", "RunResult", "VersionedStore", "all_interleavings", "all_schedules", "blind_increment", "cas",
           "cas_increment", "read", "run_schedule", "write"]


MAX_STEPS = 10_000  # steps of one replayed run: far more than any schedule in the chapter


def _key(key) -> str:
    check_type("key", key, str, "a key name (a string)")
    if not key:
        raise ValueError("key must be a non-empty string")
    return key


@dataclass(frozen=True)
class Op:
    """One operation a client asks the store to do: kind is 'read', 'write' or 'cas'."""

    kind: str
    key: str
    value: object = None
    version: int | None = None


def read(key: str) -> Op:
    """Return the operation 'read *key*'; the store answers (value, version)."""
    return Op("read", _key(key))


def write(key: str, value) -> Op:
    """Return the operation 'write *value* to *key* unconditionally'; the store answers the new version."""
    return Op("write", _key(key), value)


def cas(key: str, version: int, value) -> Op:
    """Return 'write *value* only if *key* is still at *version*'; the store answers True or False."""
    if isinstance(version, bool) or not isinstance(version, numbers.Integral):
        raise TypeError(f"version must be an integer (the version read() returned), got {type(version).__name__} "
                        f"{version!r:.40}")
    return Op("cas", _key(key), value, int(version))


class VersionedStore:
    """Keys map to (value, version); every successful write bumps the version by one."""

    def __init__(self, initial: dict | None = None):
        if initial is not None:
            check_type("initial", initial, dict, "a dict of key -> value")
        self._data: dict[str, tuple[object, int]] = {k: (v, 0) for k, v in (initial or {}).items()}

    def read(self, key: str) -> tuple[object, int]:
        """Return (value, version) of *key*; a missing key reads as (0, 0)."""
        check_type("key", key, str)
        return self._data.get(_key(key), (0, 0))

    def write(self, key: str, value) -> int:
        """Overwrite *key* whatever its version; return the new version."""
        version = self.read(key)[1] + 1
        self._data[key] = (value, version)
        return version

    def cas(self, key: str, version: int, value) -> bool:
        """Write *value* only if *key* is still at *version*; return whether it was written."""
        version = cas(key, version, value).version  # validates key and version
        if self.read(key)[1] != version:
            return False
        self.write(key, value)
        return True

    def apply(self, op: Op):
        """Carry out *op* and return the answer the client receives."""
        check_type("operation", op, Op, "an Op made by read(), write() or cas()")
        if op.kind == "read":
            return self.read(op.key)
        if op.kind == "write":
            return self.write(op.key, op.value)
        return self.cas(op.key, op.version, op.value)


def blind_increment(key: str = "x") -> Iterator[Op]:
    """Read *key*, then write value + 1 without checking that nobody wrote in between."""
    value, _ = yield read(key)
    yield write(key, value + 1)


def cas_increment(key: str = "x") -> Iterator[Op]:
    """Read *key*, then compare-and-swap value + 1; on conflict read again and retry."""
    while True:
        value, version = yield read(key)
        ok = yield cas(key, version, value + 1)
        if ok:
            return


@dataclass
class RunResult:
    """What a run did: the trace, the store's final value, and how many increments each client committed."""

    trace: list[Event]
    final: object
    initial: object
    committed: dict[str, int]
    finished: dict[str, bool]
    steps: int
    actors: list[str] = field(default_factory=list)

    @property
    def lost_updates(self) -> int:
        """Return how many committed writes are missing from the final value (for increments)."""
        return sum(self.committed.values()) - (self.final - self.initial)

    def lost_index(self) -> int | None:
        """Return the trace index of the first write that overwrote someone else's committed write."""
        last_version: int | None = None
        for i, e in enumerate(self.trace):
            if e.kind in ("write", "cas ok"):
                seen = e.data.get("read_version")
                if seen is not None and last_version is not None and seen < last_version:
                    return i
                last_version = e.data["version"]
        return None


def _describe(op: Op, answer) -> tuple[str, str]:
    if op.kind == "read":
        return "read", f"{op.key}={answer[0]} v{answer[1]}"
    if op.kind == "write":
        return "write", f"{op.key}:={op.value} v{answer}"
    return ("cas ok" if answer else "cas fail"), f"{op.key}:={op.value} if v{op.version}"


def run_schedule(clients: dict[str, Callable[[], Iterator[Op]]], schedule: Sequence[str],
                 initial: int = 0, key: str = "x", max_steps: int = 200) -> RunResult:
    """Run *clients* on a fresh store, one step per schedule entry, then round-robin until all finish.

    Entries naming a finished client are skipped.  A client that has not finished after *max_steps* steps in
    total is reported as not finished (a retry loop that never succeeds, for instance).
    """
    check_type("clients", clients, dict)
    if not clients:
        raise ValueError("clients must name at least one client")
    if len(clients) > 26:
        raise ValueError(f"clients must name at most 26 clients, got {len(clients)}")
    for name, make in clients.items():
        if not callable(make):
            raise TypeError(f"clients[{name!r}] must be a generator function, got {type(make).__name__}")
    check_type("schedule", schedule, (str, list, tuple), "a sequence of client names")
    if len(schedule) > MAX_STEPS:
        raise ValueError(f"schedule must hold at most {MAX_STEPS} entries, got {len(schedule)}")
    check_int("initial", initial, lo=-10**9, hi=10**9)
    _key(key)
    for name in schedule:
        if name not in clients:
            raise ValueError(f"schedule names unknown client {name!r}; clients are {list(clients)}")
    max_steps = check_int("max_steps", max_steps, lo=1, hi=MAX_STEPS)
    store = VersionedStore({key: initial})
    gens = {name: make() for name, make in clients.items()}
    pending: dict[str, Op | None] = {}
    last_read: dict[str, tuple] = {}
    committed = dict.fromkeys(clients, 0)
    trace: list[Event] = []

    def start(name):
        try:
            pending[name] = next(gens[name])
        except StopIteration:
            pending[name] = None

    for name in clients:
        start(name)

    def step(name):
        op = pending[name]
        answer = store.apply(op)
        kind, detail = _describe(op, answer)
        seen = last_read.get(name)  # (value, version) of this client's latest read, if any
        data = {"version": store.read(op.key)[1], "read_version": None if seen is None else seen[1],
                "read_value": None if seen is None else seen[0], "value": op.value, "op_version": op.version}
        if op.kind == "read":
            last_read[name] = answer
            data["value"] = answer[0]
        elif kind in ("write", "cas ok"):
            committed[name] += 1
        trace.append(Event(len(trace), name, kind, detail, data))
        try:
            pending[name] = gens[name].send(answer)
        except StopIteration:
            pending[name] = None

    def order():
        yield from schedule
        while any(pending[n] is not None for n in clients):
            yield from clients

    for name in order():
        if len(trace) >= max_steps:
            break
        if pending[name] is not None:
            step(name)
    finished = {n: pending[n] is None for n in clients}
    return RunResult(trace, store.read(key)[0], initial, committed, finished, len(trace), list(clients))


def all_schedules(names: Sequence[str], length: int) -> Iterator[tuple[str, ...]]:
    """Yield every schedule of *length* entries over *names* (len(names) ** length of them).

    Some of them name a client after it has finished; ``run_schedule`` skips those entries, so different
    schedules can replay the same interleaving.  Use ``all_interleavings`` to get each interleaving once.
    """
    length = check_int("length", length, lo=0, hi=12)
    check_type("names", names, (str, list, tuple), "a sequence of client names")
    if not 1 <= len(names) <= 26:
        raise ValueError(f"names must hold 1 to 26 client names, got {len(names)}")
    if len(names) ** length > 10**7:
        raise ValueError(f"len(names) ** length must be at most 10,000,000 schedules, got {len(names) ** length:,}")
    yield from product(names, repeat=length)


def all_interleavings(steps: dict[str, int]) -> Iterator[tuple[str, ...]]:
    """Yield each distinct interleaving once: client *name* appears ``steps[name]`` times, in every order.

    Each client's own steps stay in order, so two clients of two steps each have C(4, 2) = 6 interleavings.
    """
    check_type("steps", steps, dict)
    counts = {name: check_int(f"steps[{name!r}]", n, lo=0, hi=12) for name, n in steps.items()}
    if sum(counts.values()) > 12:
        raise ValueError(f"steps must add up to at most 12, got {sum(counts.values())}")

    def extend(prefix: tuple[str, ...]):
        if all(n == 0 for n in counts.values()):
            yield prefix
            return
        for name in counts:
            if counts[name]:
                counts[name] -= 1
                yield from extend((*prefix, name))
                counts[name] += 1
    yield from extend(())
