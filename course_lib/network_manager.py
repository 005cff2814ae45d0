"""Network Manager: the backlog of network-state propagations after DWFM recovered (a cascade stage).

What the post-event summary says ([S1e][S1f]): Network Manager pushes network configuration to instances and
network appliances.  From 05:28, when DWFM held every lease and launches started to succeed, Network Manager
had a large backlog of delayed network-state propagations, for newly launched instances and for instances
terminated during the event.  From 06:21 propagation latency was so high that new instances launched without
network connectivity; propagation was back to normal by 10:36.

The stage: ``simulate(leases)`` reads DWFM's :class:`~course_lib.dwfm.LeaseRun` (its per-minute
``launch_capacity`` and leases held) and returns a :class:`PropagationRun`; nothing here types in a time.
The model, minute by minute (every rule is a **model choice**; AWS published no rates or counts):

- Launch requests arrive at ``launch_rate`` a minute.  EC2 admits at most ``peak_launches`` x
  ``launch_capacity`` a minute (no lease, no launch; the throttle admits a share); refused requests are
  retried later, so they pile up as pending launches and drain once leases are back.
- Instances are terminated at ``termination_rate`` a minute all night; each termination is propagation work.
- Network Manager propagates up to ``propagation_rate`` changes a minute, but only for droplets whose lease
  DWFM holds (a change needs the droplet): work queued on droplets without a lease is blocked until the lease
  comes back, so during the lease outage terminations queue up.
- The **delay** is the movable queue divided by the propagation rate (FIFO): how long a new instance, which
  always lands on a leased droplet, waits for its network state.  An instance that waits longer than ``connectivity_limit`` minutes is counted as launched
  without connectivity; propagation is **normal** once the delay stays below ``normal_delay``.

One value is **fitted** (``FITTED``): ``propagation_rate`` to propagation normal at 10:36 (173 a minute gives
10:38 on its grid of whole propagations).  ``connectivity_limit`` is **set a priori** (``A_PRIORI``), not
searched: a new instance waits for its network state no longer than DWFM waits for work on a droplet, its lease
timeout (10 minutes, a Chapter 4 model choice), and launches without connectivity after that.  The first such
instances, at 06:21 in the record, are therefore a **prediction**: the model gives 06:04, 17 minutes early
(:mod:`course_lib.held_out` reruns it over the values below that nobody fitted).
The others are plain model choices; the chapter shows how far each fitted value moves the result at ±10 %.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .dwfm import LeaseRun
from .params import Param, Spec
from .validate import check_type

__all__ = ["A_PRIORI", "FITTED", "SPEC", "PropagationRun", "simulate"]

SPEC = Spec((
    Param("launch_rate", 100.0, lo=0.0, hi=1e6, label="launch requests a minute", help="model choice"),
    Param("peak_launches", 400.0, lo=0.0, hi=1e7, lo_open=True, label="launches EC2 admits a minute at most",
          help="model choice"),
    Param("termination_rate", 20.0, lo=0.0, hi=1e6, label="terminations a minute", help="model choice"),
    Param("propagation_rate", 173.0, lo=0.0, hi=1e7, lo_open=True, label="propagations a minute",
          # The slider starts at 150 a minute: slower than that, the backlog makes the NLB's first errors come
          # before DWFM has all its leases (05:28), earlier than anything the record or the NLB fit covers.
          view=(150.0, 400.0), step=1.0, help="fitted to propagation normal at 10:36"),
    Param("connectivity_limit", 10.0, lo=0.0, hi=24 * 60.0, lo_open=True,
          label="delay beyond which a new instance has no connectivity", unit="min",
          help="set a priori, not fitted: DWFM's lease timeout (the launch waits for its network state no longer "
               "than DWFM waits for work on a droplet); follows the DWFM stage's lease_timeout unless given"),
    Param("normal_delay", 1.0, lo=0.0, hi=24 * 60.0, lo_open=True, label="delay counted as normal", unit="min",
          help="model choice"),
))
FITTED = {"propagation_rate": "propagation normal"}
# Set a priori from another stage's quantity (not searched): the held-out moment it predicts.
A_PRIORI = {"connectivity_limit": "connectivity problems"}
MAX_DELAY = 10_000.0  # minutes: the delay reported while nothing can be propagated at all (an explicit bound)


@dataclass(frozen=True)
class PropagationRun:
    """Network Manager per minute: launches, work queued and done, the delay, and when it crossed its limits."""

    t: np.ndarray
    launches: np.ndarray  # instances launched in that minute
    pending: np.ndarray  # launch requests refused so far and still to be retried
    backlog: np.ndarray  # propagations waiting
    propagated: np.ndarray
    delay: np.ndarray  # minutes a new instance waits for its network state
    no_connectivity_from: float  # first minute new instances launch without connectivity (inf: never)
    normal_at: float  # minute from which the delay stays normal (inf: not within the run)
    leases: LeaseRun
    params: dict = field(repr=False)

    @property
    def backlog_begins_at(self) -> float:
        """Return the start of the stretch above ``normal_delay`` that holds the longest delay (inf: no backlog).

        The model's reading of "the backlog began": brief blips above normal (a restart releasing launches) do
        not count; the stretch that builds up to the worst delay does.
        """
        k = int(np.argmax(self.delay))
        if self.delay[k] <= self.params["normal_delay"]:
            return math.inf
        below = np.flatnonzero(self.delay[:k] <= self.params["normal_delay"])
        return float(self.t[below[-1] + 1]) if below.size else float(self.t[0])

    @property
    def without_connectivity(self) -> np.ndarray:
        """True in the minutes in which new instances launch without connectivity."""
        return (self.delay > self.params["connectivity_limit"]) & (self.launches > 0)


def simulate(leases: LeaseRun, **params) -> PropagationRun:
    """Run Network Manager on DWFM's result *leases* and return its propagation delay per minute."""
    check_type("leases", leases, LeaseRun, "a dwfm.LeaseRun (the result of dwfm.simulate)")
    given = "connectivity_limit" in params
    p = SPEC.validate(params)
    if not given:  # a priori: the launch waits for its network state as long as DWFM waits for work on a droplet
        p["connectivity_limit"] = float(leases.params["lease_timeout"])
    demand, peak, ends = p["launch_rate"], p["peak_launches"], p["termination_rate"]
    rate, limit, normal = p["propagation_rate"], p["connectivity_limit"], p["normal_delay"]
    capacity = leases.launch_capacity.tolist()
    held = (leases.held / leases.fleet).tolist()
    n = len(capacity)
    out = {k: [0.0] * n for k in ("launches", "pending", "backlog", "propagated", "delay")}
    pending = movable = blocked = 0.0
    before = 1.0  # share of droplets leased in the minute before (every lease is held before the event)
    # Plain floats: a numpy call per minute would cost more than the arithmetic it does.
    for i in range(n):
        wanted = demand + pending
        launched = min(wanted, peak * capacity[i])
        pending = wanted - launched  # refused launch requests are retried later (model choice)
        # A change needs its droplet's lease (droplets gain and lose leases at random with respect to the
        # work queued on them): work on droplets that got their lease back becomes movable, work on droplets that
        # lost theirs is blocked.  New instances always land on leased droplets; terminations anywhere.
        h = held[i]
        if h > before:
            moved = blocked * (h - before) / (1.0 - before)
            blocked -= moved
            movable += moved
        elif h < before:
            moved = movable * (before - h) / before
            movable -= moved
            blocked += moved
        before = h
        movable += launched + ends * h
        blocked += ends * (1.0 - h)
        done = min(movable, rate)
        movable -= done
        out["launches"][i], out["pending"][i], out["backlog"][i], out["propagated"][i] = (
            launched, pending, movable + blocked, done)
        out["delay"][i] = min(movable / rate, MAX_DELAY)
    arr = {k: np.asarray(v) for k, v in out.items()}
    t = leases.t
    # Counted from the DNS repair: the record's connectivity problems are those of the recovery.
    after = t >= leases.dynamodb.dns_restored
    bad = np.nonzero(after & (arr["delay"] > limit) & (arr["launches"] > 0))[0]
    first = float(t[bad[0]]) if bad.size else math.inf
    slow = np.nonzero(after & (arr["delay"] > normal))[0]
    if not slow.size:  # never slow after the repair: normal from the repair on (not from 23:48)
        normal_at = float(t[np.argmax(after)]) if after.any() else float(t[0])
    elif slow[-1] + 1 < n:
        normal_at = float(t[slow[-1] + 1])
    else:
        normal_at = math.inf
    return PropagationRun(t=t, no_connectivity_from=first, normal_at=normal_at, leases=leases, params=p, **arr)
