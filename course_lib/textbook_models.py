"""Textbook concurrency models with known answers, to validate the model checker before trusting it.

- A naive test-and-set lock, where "test" and "set" are two separate steps: mutual exclusion fails.
- The same lock with an atomic test-and-set: mutual exclusion holds.
- Peterson's algorithm for two processes: mutual exclusion holds, and each process can always get in.
- A shared counter incremented by read-then-write: updates are lost.

Every state is a tuple; process *i*'s program counter is ``state[...][i]``.
"""

from __future__ import annotations

from .modelcheck import Model
from .validate import check_int

__all__ = [
    "atomic_lock",
    "lost_update_counter",
    "mutual_exclusion",
    "naive_lock",
    "naive_lock_successors",
    "peterson",
]

IDLE, TEST, SET, CRIT = "idle", "test", "set", "critical"


def _put(t: tuple, i: int, value) -> tuple:
    """Return a copy of tuple *t* with position *i* replaced by *value*."""
    return (*t[:i], value, *t[i + 1:])


def _lock_state(state):
    """Return *state* if it looks like (flag, pcs), else raise TypeError naming the parameter."""
    if not (isinstance(state, tuple) and len(state) >= 2 and isinstance(state[1], tuple)):
        raise TypeError(f"state must be a tuple (flag, pcs, ...) with pcs a tuple, got {state!r:.60}")
    return state


def mutual_exclusion(state) -> bool:
    """Return True unless two processes are in the critical section at once."""
    _lock_state(state)
    return sum(pc == CRIT for pc in state[1]) <= 1


def naive_lock_successors(state):
    """Yield the steps of a lock whose test and set are two separate steps (state = (flag, pcs))."""
    flag, pcs = _lock_state(state)[:2]
    for i, pc in enumerate(pcs):
        p = f"P{i}"
        if pc == IDLE:
            yield (p, "want the lock"), (flag, _put(pcs, i, TEST))
        elif pc == TEST and flag == 0:
            yield (p, "test: lock is free"), (flag, _put(pcs, i, SET))
        elif pc == SET:
            yield (p, "set the lock"), (1, _put(pcs, i, CRIT))
        elif pc == CRIT:
            yield (p, "release"), (0, _put(pcs, i, IDLE))


def _atomic_successors(state):
    """Yield the steps of a lock whose test and set happen in one atomic step."""
    flag, pcs = state
    for i, pc in enumerate(pcs):
        p = f"P{i}"
        if pc == IDLE:
            yield (p, "want the lock"), (flag, _put(pcs, i, TEST))
        elif pc == TEST and flag == 0:
            yield (p, "test-and-set"), (1, _put(pcs, i, CRIT))
        elif pc == CRIT:
            yield (p, "release"), (0, _put(pcs, i, IDLE))


def _someone_critical(state) -> bool:
    return CRIT in state[1]


def naive_lock(processes: int = 2) -> Model:
    """Return the naive test-then-set lock for *processes* processes (violates mutual exclusion)."""
    n = check_int("processes", processes, lo=1, hi=6)
    return Model("naive test-then-set lock", (0, (IDLE,) * n), naive_lock_successors,
                 {"mutual exclusion": mutual_exclusion}, goal=_someone_critical)


def atomic_lock(processes: int = 2) -> Model:
    """Return the lock with an atomic test-and-set (satisfies mutual exclusion)."""
    n = check_int("processes", processes, lo=1, hi=6)
    return Model("atomic test-and-set lock", (0, (IDLE,) * n), _atomic_successors,
                 {"mutual exclusion": mutual_exclusion}, goal=_someone_critical)


def _peterson_successors(state):
    """Yield Peterson's steps; state = (turn, pcs, flags)."""
    turn, pcs, flags = state
    for i, pc in enumerate(pcs):
        p, other = f"P{i}", 1 - i
        if pc == IDLE:
            yield (p, "raise my flag"), (turn, _put(pcs, i, "flag"), _put(flags, i, True))
        elif pc == "flag":
            yield (p, f"give the turn to P{other}"), (other, _put(pcs, i, "wait"), flags)
        elif pc == "wait" and (not flags[other] or turn == i):
            yield (p, "enter"), (turn, _put(pcs, i, CRIT), flags)
        elif pc == CRIT:
            yield (p, "leave, lower my flag"), (turn, _put(pcs, i, IDLE), _put(flags, i, False))


def peterson() -> Model:
    """Return Peterson's two-process mutual exclusion algorithm (satisfies mutual exclusion)."""
    return Model("Peterson's algorithm", (0, (IDLE, IDLE), (False, False)), _peterson_successors,
                 {"mutual exclusion": mutual_exclusion}, goal=_someone_critical)


def _counter_successors(state):
    """Yield read and write steps; state = (counter, pcs, local copies)."""
    counter, pcs, tmp = state
    for i, pc in enumerate(pcs):
        p = f"P{i}"
        if pc == "read":
            yield (p, f"read counter = {counter}"), (counter, _put(pcs, i, "write"), _put(tmp, i, counter))
        elif pc == "write":
            yield (p, f"write counter = {tmp[i] + 1}"), (tmp[i] + 1, _put(pcs, i, "done"), tmp)


def lost_update_counter(processes: int = 2) -> Model:
    """Return *processes* processes each adding one to a shared counter by read then write (loses updates)."""
    n = check_int("processes", processes, lo=1, hi=6)

    def no_lost_update(state) -> bool:
        counter, pcs, _ = state
        return any(pc != "done" for pc in pcs) or counter == n

    return Model("counter with read-then-write", (0, ("read",) * n, (0,) * n), _counter_successors,
                 {"no lost update": no_lost_update})
