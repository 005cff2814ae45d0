"""NLB health checks: flapping on new instances, automatic AZ DNS failover, failing open, and velocity control.

What the post-event summary says ([S1e][S1h]): while Network Manager had a backlog, NLB's health checks brought
new EC2 instances into service before their network state had propagated.  Their checks failed although the
targets were healthy, then passed, then failed again (flapping); each flip removed nodes from DNS and put them
back, and the extra work degraded the health-check subsystem.  That triggered automatic AZ DNS failover, which
took capacity out of service, and clients saw connection errors wherever the remaining capacity could not
carry the load (from 05:30).  Monitoring detected the failures at 06:52; at 09:36 engineers disabled automatic
failover and every healthy node came back; it was re-enabled at 14:09.  AWS announced a velocity control that
limits how much capacity one NLB can remove during health-check-driven AZ failover ([S1g]).

The stage: ``simulate(propagation, failover_disabled_at=..., failover_enabled_at=...)`` reads Network
Manager's :class:`~course_lib.network_manager.PropagationRun`: each minute's launches bring new targets, and
a new target's network state arrives after that minute's propagation ``delay``.  No clock time is typed in.

The model, minute by minute, per AZ, with integer counts (every count, rate and threshold is a **model
choice**).  A share of the targets is replaced in proportion to EC2's launches (``churn`` per minute at the
steady launch rate).  A target whose state has not propagated passes its check with probability one half; a
failing target is taken out of service.  Flips load the checker; past ``checker_capacity`` flips a minute it
degrades and fails a share of checks on propagated targets too (the second loop).  An AZ whose failing share
passes ``az_threshold`` is failed over (removed from DNS), up to ``velocity_control`` of the whole NLB.  New
launches do not spread evenly over the AZs (``az_skew``), so one AZ fills with unpropagated targets before the
others.  ``churn``, ``az_skew`` and ``az_threshold`` were **tuned together** (a grid search, ``FITTED``) so that,
with the published switch-off, the first errors fall within 5 minutes of 05:30 for seed 0 (the seed every
chapter uses: 05:31), within 10 minutes for seeds 0-2 (05:31, 05:29, 05:31), and the errors last until the
09:36 switch-off (ending within 5 minutes of it): the error times are therefore fitted, not predicted (asserted
in tests/test_04_dwfm_nlb.py).

**Failing open.**  When every AZ looks unhealthy at once, the load balancer sends traffic to all targets
regardless of their checks.  That is the documented behaviour of NLB target groups (AWS Elastic Load Balancing
documentation, "Health checks for Network Load Balancer target groups" [S27]); the
post-event summary does not describe it, so here it is a **labelled model choice** resting on AWS's product
documentation.  Failover therefore never takes the NLB to 0 %: errors appear only where the remaining
capacity cannot carry the load.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from . import timeline
from .network_manager import PropagationRun
from .params import Param, Spec
from .validate import check_number, check_type

__all__ = ["FITTED", "SPEC", "VELOCITY", "CapacityRun", "simulate"]

MAX_LAG = 24 * 60  # minutes: the longest propagation delay a target waits in the model (an explicit bound)
_H = float(timeline.LAST_MINUTE)

SPEC = Spec((
    Param("azs", 3, "int", lo=1, hi=10, label="Availability Zones"),
    Param("targets", 200, "int", lo=1, hi=100_000, label="targets per AZ"),
    Param("demand", 0.45, lo=0.0, hi=1.0, lo_open=True, label="demand (share of full capacity)"),
    Param("churn", 0.06, lo=0.0, hi=0.5, label="share of targets replaced a minute at the steady launch rate"),
    Param("az_skew", 0.95, lo=0.0, hi=1.0, label="how unevenly new launches spread over the AZs",
          help="model choice: 0 spreads them evenly; s gives the AZs 1 + s down to 1 - s times the mean"),
    Param("az_threshold", 0.15, lo=0.0, hi=1.0, lo_open=True, label="failing share that fails an AZ over"),
    Param("checker_capacity", 60, "int", lo=1, hi=10_000_000, label="flips a minute the checker handles"),
    Param("error_threshold", 0.01, lo=0.0, hi=1.0, lo_open=True, label="error rate counted as errors"),
    Param("seed", 0, "int", lo=0, hi=2**32 - 1),
))


# The operators' side: the velocity control AWS announced [S1g], a share of the NLB's capacity (None: no control).
VELOCITY = Param("velocity_control", 1.0, lo=0.0, hi=1.0, label="velocity control", step=0.05,
                 help="largest share of the NLB's capacity AZ failover may remove (1: no limit)")
FITTED = {"churn": "nlb errors begin", "az_skew": "nlb errors begin", "az_threshold": "nlb errors begin"}


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
    failed_open: np.ndarray  # minutes in which every AZ looked unhealthy and the NLB failed open
    errors_begin_at: float  # first minute with an error rate above error_threshold (inf: none)
    errors_end_at: float  # minute after the last such minute (inf: none, or still erring at the end)
    velocity_control: float | None
    failover_disabled_at: float | None
    failover_enabled_at: float | None
    propagation: PropagationRun
    params: dict = field(repr=False)

    @property
    def error_rate(self) -> np.ndarray:
        """Return the share of connection attempts that failed, per minute."""
        return self.errors / np.maximum(self.connections, 1)


def _when(name: str, value):
    return None if value is None else check_number(name, value, lo=-_H, hi=_H)


def simulate(propagation: PropagationRun, *, failover_disabled_at: float | None,
             failover_enabled_at: float | None, velocity_control: float | None = None, **params) -> CapacityRun:
    """Run the NLB on Network Manager's *propagation* result; return capacity and connection errors a minute."""
    check_type("propagation", propagation, PropagationRun,
               "a network_manager.PropagationRun (the result of network_manager.simulate)")
    off, back = _when("failover_disabled_at", failover_disabled_at), _when("failover_enabled_at", failover_enabled_at)
    if off is not None and back is not None and back < off:
        raise ValueError(f"failover_enabled_at ({back:g}) must not be before failover_disabled_at ({off:g})")
    cap = None if velocity_control is None else VELOCITY.check(velocity_control)
    p = SPEC.validate(params)
    azs, targets, churn = p["azs"], p["targets"], p["churn"]
    rng = np.random.default_rng(p["seed"])
    t = propagation.t
    total, need = azs * targets, round(p["demand"] * azs * targets)
    conns = need * 10  # ten connections per unit of demand a minute (model choice)
    steady = propagation.params["launch_rate"]
    shares = (np.minimum(1.0, churn * propagation.launches / steady) if steady > 0
              else np.zeros_like(propagation.launches)).tolist()
    lags = np.minimum(np.ceil(propagation.delay), MAX_LAG).astype(int).tolist()
    # ring[k % slots][a]: new targets in AZ a whose network state propagates at minute k.  Plain Python
    # integers and a ring buffer: numpy calls on three-element arrays cost more than the arithmetic they do.
    slots = max(lags) + 2
    ring = [[0] * azs for _ in range(slots)]
    unprop = [0] * azs  # running total of the ring's rows
    zeros = [0] * azs
    names = ("in_service", "node_removed", "az_removed", "unpropagated", "flips", "connections", "served", "errors",
             "failed_open")
    rec = {k: [] for k in names}
    binomial = rng.binomial
    budget0 = total if cap is None else math.floor(cap * total + 1e-9)
    threshold = p["az_threshold"] * targets
    checker = p["checker_capacity"]
    skew = p["az_skew"]
    weights = [1.0 + skew * (1 - 2 * a / (azs - 1)) for a in range(azs)] if azs > 1 else [1.0]
    for i, now in enumerate(t.tolist()):
        share, lag = shares[i], lags[i]
        if share > 0:  # replace propagated targets, more of them in the AZs that take more new launches
            launches = [binomial(targets - u, min(1.0, share * w)) for u, w in zip(unprop, weights, strict=True)]
            if lag > 0:  # with no delay a new target's state is there before its first check
                row = ring[(i + lag) % slots]
                for a in range(azs):
                    row[a] += launches[a]
                    unprop[a] += launches[a]
        if any(unprop):
            # Not yet propagated: each check passes or fails with probability one half, so about half of these
            # targets fail now and about half change state since the last check (the flaps that load the checker).
            failing = [binomial(u, 0.5) for u in unprop]
            flips = sum([binomial(u, 0.5) for u in unprop])
            overload = flips / checker - 1.0
            if overload > 0:  # a degraded checker times out on healthy targets too (the second loop)
                q = min(0.5, 0.1 * overload)
                failing = [f + binomial(targets - u, q) for f, u in zip(failing, unprop, strict=True)]
        else:
            failing, flips = zeros, 0
        auto = not (off is not None and now >= off and (back is None or now < back))
        unhealthy = [f > threshold for f in failing]
        # Every AZ looks unhealthy: DNS keeps them all (fails open) instead of removing the whole NLB; and if
        # every target fails its check, traffic goes to all of them (both documented AWS behaviours).
        fail_open = all(unhealthy)
        node_out = failing if auto and sum(failing) < total else zeros
        up = [targets - x for x in node_out]
        az_out = [0] * azs
        if auto and not fail_open and any(unhealthy):
            budget = budget0
            for a in sorted(range(azs), key=lambda a: -failing[a]):  # worst AZ first, ties by index
                if unhealthy[a] and budget > 0:
                    az_out[a] = min(up[a], budget)  # the velocity control may stop a failover part-way
                    budget -= az_out[a]
        capacity = sum(up) - sum(az_out)
        served = min(conns, capacity * 10)
        for key, value in (("in_service", capacity), ("node_removed", sum(node_out)), ("az_removed", sum(az_out)),
                           ("unpropagated", sum(unprop)), ("flips", flips), ("connections", conns),
                           ("served", served), ("errors", conns - served), ("failed_open", int(fail_open and auto))):
            rec[key].append(value)
        row = ring[i % slots]  # this minute's row has propagated: drop it from the running total
        for a in range(azs):
            unprop[a] -= row[a]
            row[a] = 0
    arr = {k: np.array(v, dtype=np.int64) for k, v in rec.items()}
    bad = np.nonzero(arr["errors"] / np.maximum(arr["connections"], 1) > p["error_threshold"])[0]
    begin = float(t[bad[0]]) if bad.size else math.inf
    end = float(t[bad[-1] + 1]) if bad.size and bad[-1] + 1 < t.size else math.inf
    return CapacityRun(t=t, total=total, demand=need, errors_begin_at=begin, errors_end_at=end,
                       velocity_control=cap, failover_disabled_at=off, failover_enabled_at=back,
                       propagation=propagation, params=p, **arr)
