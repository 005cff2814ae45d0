"""NLB health checks: flapping on new instances, automatic AZ DNS failover, and the velocity cap.

What the post-event summary says ([S1e][S1h], fact sheet §5): from 05:28 Network Manager had a backlog of
network-state propagations, so new EC2 instances were brought into service before their network state had
propagated.  Their health checks failed although the targets were healthy, then passed, then failed again
(flapping); each flip removed nodes from DNS and put them back, and the extra work degraded the health-check
subsystem.  That triggered automatic AZ DNS failover, which took healthy capacity out of service, so clients saw
connection errors (05:30).  Monitoring detected the failures at 06:52; at 09:36 engineers switched automatic
failover off and every healthy node came back; it was re-enabled at 14:09.  AWS announced a velocity control
that caps how much capacity one NLB can remove during health-check-driven AZ failover ([S1g]).

The model, minute by minute, per AZ, with integer counts: instances are replaced at ``churn`` per minute; a new
one's network state takes ``propagation_delay`` minutes (0: at once), and a ``surge`` of pent-up launches lands
at 05:28, while the Network Manager backlog lasts (05:28-10:36, [S1e]), and one minute otherwise.  Every target can serve.  A target whose state has not propagated passes its
check with probability one half (flapping); a failing target is removed from DNS.  Flips load the checker; past
``checker_capacity`` flips a minute it degrades and fails a share of checks on propagated targets too (the
second loop).  An AZ whose failing share passes ``az_threshold`` is failed over, removing its capacity, up to
``velocity_cap`` of the whole NLB.  Connection errors are the demand that in-service capacity cannot carry.
Every count, rate and threshold here is a **model choice**; only the clock times come from the record.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .dwfm import _check_clock, clock, minutes
from .validate import check_int, check_number, check_type

__all__ = ["TIMES", "CapacityRun", "clock", "minutes", "simulate"]

TIMES = {"backlog begins": "05:28", "errors begin": "05:30", "detected": "06:52", "failover disabled": "09:36",
         "propagation normal": "10:36", "failover re-enabled": "14:09"}  # [S1e][S1f][S1h]


@dataclass(frozen=True)
class CapacityRun:
    """NLB capacity over time: targets in service, removed by node checks or by AZ failover, and errors."""

    t: np.ndarray
    total: int
    demand: int
    in_service: np.ndarray
    node_removed: np.ndarray
    az_removed: np.ndarray
    unpropagated: np.ndarray
    flips: np.ndarray
    connections: np.ndarray
    served: np.ndarray
    errors: np.ndarray
    velocity_cap: float
    failover: bool

    @property
    def error_rate(self) -> np.ndarray:
        """Return the share of connection attempts that failed, per minute."""
        return self.errors / np.maximum(self.connections, 1)


def simulate(azs: int = 3, targets: int = 200, demand: float = 0.45, churn: float = 0.01, surge: float = 0.3,
             propagation_delay: float = 45.0, failover: bool = True, velocity_cap: float = 1.0,
             switch_off: str | None = "09:36", re_enable: str = "14:09", az_threshold: float = 0.2,
             checker_capacity: int = 60, start: str = "05:00", horizon: str = "14:30", seed: int = 0) -> CapacityRun:
    """Run the NLB through the morning and return capacity and connection errors per minute."""
    azs = check_int("azs", azs, lo=1, hi=10)
    targets = check_int("targets", targets, lo=1, hi=100_000)
    demand = check_number("demand", demand, lo=0, hi=1, lo_open=True)
    churn = check_number("churn", churn, lo=0, hi=0.5)
    surge = check_number("surge", surge, lo=0, hi=1)
    delay = check_number("propagation_delay", propagation_delay, lo=0, hi=600)  # 0: state propagates at once
    check_type("failover", failover, (bool, np.bool_))
    velocity_cap = check_number("velocity_cap", velocity_cap, lo=0, hi=1)
    az_threshold = check_number("az_threshold", az_threshold, lo=0, hi=1, lo_open=True)
    checker_capacity = check_int("checker_capacity", checker_capacity, lo=1)
    t0, t1 = minutes(_check_clock("start", start)), minutes(_check_clock("horizon", horizon))
    if t1 <= t0:
        raise ValueError(f"horizon must be after start ({start}), got {horizon}")
    off = minutes(_check_clock("switch_off", switch_off)) if switch_off is not None else None
    back = minutes(_check_clock("re_enable", re_enable))
    backlog = (minutes(TIMES["backlog begins"]), minutes(TIMES["propagation normal"]))
    rng = np.random.default_rng(seed)
    conns = round(demand * azs * targets) * 10  # ten connections per unit of demand a minute (model choice)
    t = np.arange(t0, t1 + 1, dtype=float)
    total, need = azs * targets, round(demand * azs * targets)
    # ring[k % slots][a]: new targets in AZ a whose network state propagates at minute k.  Plain Python
    # integers and a ring buffer: numpy calls on three-element arrays cost more than the arithmetic they do.
    # One scalar draw per AZ gives the same stream as one array draw over the AZs (numpy draws an array
    # element by element), without the array call's checks.
    slots = int(delay) + 2
    ring = [[0] * azs for _ in range(slots)]
    unprop = [0] * azs  # running total of the ring's rows
    zeros = [0] * azs
    rec = {k: [] for k in ("in_service", "node_removed", "az_removed", "unpropagated", "flips", "connections",
                           "served", "errors")}
    binomial = rng.binomial
    budget0 = math.floor(velocity_cap * total + 1e-9)
    for i, now in enumerate(t.tolist()):
        # Launches pent up since 02:25 succeed together when DWFM recovers (05:28), then steady churn.
        share = surge if now == backlog[0] else churn
        launches = [binomial(targets - u, share) for u in unprop]  # replace propagated targets
        lag = int(delay) if backlog[0] <= now < backlog[1] else min(1, int(delay))
        if lag > 0:  # with no delay a new target's state is there before its first check
            row = ring[(i + lag) % slots]
            for a in range(azs):
                row[a] += launches[a]
                unprop[a] += launches[a]
        # Not yet propagated: each check passes or fails with probability one half, so about half of these
        # targets fail now and about half change state since the last check (the flaps that load the checker).
        failing = [binomial(u, 0.5) for u in unprop]
        flips = sum([binomial(u, 0.5) for u in unprop])
        overload = flips / checker_capacity - 1.0
        if overload > 0:  # a degraded checker times out on healthy targets too (the second loop)
            p = min(0.5, 0.1 * overload)
            failing = [f + binomial(targets - u, p) for f, u in zip(failing, unprop, strict=True)]
        auto = failover and not (off is not None and off <= now < back)
        node_out = failing if auto else zeros
        up = [targets - x for x in node_out]
        az_out = [0] * azs
        if auto and any(f > az_threshold * targets for f in failing):
            budget = budget0
            for a in sorted(range(azs), key=lambda a: -failing[a]):  # stable, like argsort(kind="stable")
                if failing[a] > az_threshold * targets and budget > 0:
                    az_out[a] = min(up[a], budget)  # the velocity cap may stop a failover part-way
                    budget -= az_out[a]
        capacity = sum(up) - sum(az_out)
        served = min(conns, capacity * 10)
        for key, value in (("in_service", capacity), ("node_removed", sum(node_out)), ("az_removed", sum(az_out)),
                           ("unpropagated", sum(unprop)), ("flips", flips), ("connections", conns),
                           ("served", served), ("errors", conns - served)):
            rec[key].append(value)
        row = ring[i % slots]  # this minute's row has propagated: drop it from the running total
        for a in range(azs):
            unprop[a] -= row[a]
            row[a] = 0
    rec = {k: np.array(v, dtype=np.int64) for k, v in rec.items()}
    return CapacityRun(t=t, total=total, demand=need, velocity_cap=velocity_cap, failover=bool(failover), **rec)
