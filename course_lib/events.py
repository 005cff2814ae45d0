"""The one event-loop core every discrete-event model in the course runs on.

Processes are generators that yield delays (seconds of simulated time).  The heap holds
``(time, priority, sequence, process)``: simultaneous events run in priority order and then in the
order they were scheduled, so every run is deterministic and the heap never compares two processes
(SimPy's trick).  Models stay a literal reading of their mechanism; the bookkeeping lives here.
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections.abc import Generator

from .validate import check_int, check_number

__all__ = ["Scheduler"]


class Scheduler:
    """Run generator processes from a (time, priority, seq, process) heap; a process yields delays."""

    def __init__(self, max_events: int = 10_000_000):
        self.now = 0.0
        self.events = 0  # how many times a process was resumed
        self.max_events = check_int("max_events", max_events, lo=1)
        self._heap: list = []
        self._seq = itertools.count()

    def process(self, proc: Generator, delay: float = 0.0, priority: int = 1) -> None:
        """Schedule *proc* to resume after *delay*; ties go to lower priority, then to the earlier one."""
        # One chained comparison accepts the common case (a finite float >= 0) and refuses NaN and inf.
        if not (type(delay) is float and 0.0 <= delay < math.inf) and (
                isinstance(delay, bool) or not isinstance(delay, (int, float)) or not 0 <= delay < math.inf):
            raise ValueError(f"a process must yield a finite delay >= 0, got {delay!r}")
        heapq.heappush(self._heap, (self.now + delay, priority, next(self._seq), proc))

    def run(self, until: float) -> None:
        """Resume processes in order until the heap is empty or the next time is past *until*."""
        until = check_number("until", until, lo=0)
        heap = self._heap
        while heap and heap[0][0] <= until:
            self.now, priority, _, proc = heapq.heappop(heap)
            self.events += 1
            if self.events > self.max_events:  # a model bug (zero delays in a loop) must not hang a kernel
                raise RuntimeError(f"more than {self.max_events:,} events before t={self.now:g}: "
                                   "does a process loop without waiting?")
            try:
                delay = next(proc)
            except StopIteration:
                continue
            if type(delay) is float and 0.0 <= delay < math.inf:  # process() inlined: one call per event saved
                heapq.heappush(heap, (self.now + delay, priority, next(self._seq), proc))
            else:
                self.process(proc, delay, priority)
