"""How firmly does the record fix the held-out moment?  A sceptical rerun of Chapter 6's one prediction.

The replay's table (:func:`course_lib.cascade.compare`) holds one published time out: the first new instances
without network connectivity, 06:21.  The model gives 06:04 from its default values.  Those defaults include
model choices about launches and terminations that the record does not give, plus the a priori connectivity
limit.  A single run cannot say how much the prediction leans on them.  This module reruns the prediction the
way a sceptical reviewer would:

* every unfitted value the prediction depends on (:data:`UNCERTAIN`) is moved within a factor (by default
  :data:`FACTOR`) of its default, either way.  How uncertain each value is, is itself a **model choice**: the
  record gives no number for any of them, so the chapter shows the result for several factors;
* for each such draw the fitted value downstream of them, ``network_manager.propagation_rate``, is **fitted
  again** to propagation normal at 10:36 (:func:`refit_propagation_rate`, the same rule the default was found
  by: the whole propagations a minute whose normal time is nearest 10:36);
* a draw **agrees with the record** where the default does when the refit reproduces 10:36 within
  ``cascade.FIT_TOLERANCE`` and Network Manager's backlog still begins within ``cascade.TOLERANCE`` of the
  05:28 the record gives (the default: 05:31).  Only those draws count: the record rules the others out, in
  this model.  The NLB's fitted values are not searched again (its errors' start may move);
* the first minute without connectivity is read off, exactly as the replay reads it.

``peak_launches`` (the most launches EC2 admits a minute) is not drawn: while DWFM is throttled it acts only
through its product with the throttled share, and drawing both would give that one quantity a range of the
factor squared.  DWFM's own fitted rate (to 05:28) does not depend on any drawn value (launches and terminations
do not change when DWFM holds its leases in the model), so it is not refitted.

:func:`one_at_a_time` moves one value to each end of its range; :func:`spread` draws them all at once
(log-uniform, seeded) and returns the predictions with their Monte Carlo error bars.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import cascade, dwfm, network_manager
from .validate import check_int, check_number, check_type

__all__ = ["FACTOR", "UNCERTAIN", "Refit", "Spread", "one_at_a_time", "refit_propagation_rate", "spread"]

# The unfitted values the held-out moment depends on: (stage, parameter) -> what it is.  Each is a model choice
# (or, for the limit, set a priori from another model choice), declared with its default in its stage's SPEC.
UNCERTAIN = {
    ("network_manager", "launch_rate"): "launch requests a minute",
    ("network_manager", "termination_rate"): "terminations a minute",
    ("dwfm", "throttled_launches"): "share of launches admitted while throttled",
    ("network_manager", "connectivity_limit"): "delay beyond which a new instance has no connectivity",
}
FACTOR = 1.5  # how far each value may plausibly be from its default, either way (a model choice)
THROTTLE_GRID = 25  # the throttled share is drawn from this many log-spaced values (each needs its own DWFM run)
_Z95 = 1.959963984540054
_MOMENT = "connectivity problems"
_FIT_TO = network_manager.FITTED["propagation_rate"]
_RATE_HI = int(network_manager.SPEC["propagation_rate"].hi)


def _default(stage: str, name: str) -> float:
    if (stage, name) == ("network_manager", "connectivity_limit"):
        return float(dwfm.SPEC["lease_timeout"].default)  # the a priori rule: DWFM's lease timeout
    return float(cascade.STAGE_SPECS[stage][name].default)


def _factor(factor) -> float:
    return check_number("factor", factor, lo=1.0, hi=10.0, lo_open=True)


def _bounds(stage: str, name: str, factor: float = FACTOR) -> tuple[float, float]:
    value = _default(stage, name)
    lo, hi = value / factor, value * factor
    if (stage, name) == ("dwfm", "throttled_launches"):
        hi = min(hi, 1.0)  # a share
    return lo, hi


@dataclass(frozen=True)
class Refit:
    """One rerun: the values used, the refitted propagation rate, and the moments the replay would read."""

    values: dict  # 'stage.name' -> value
    propagation_rate: float  # nan when no rate up to the declared bound is normal by 10:36
    normal_at: float  # minutes after 23:48: when propagation is normal with that rate
    backlog_begins: float  # minutes after 23:48: when Network Manager's backlog begins with that rate
    waiting_at_normal: float  # refused launch requests still waiting at the published 10:36
    predicted: float  # the first minute new instances launch without connectivity (inf: never)

    @property
    def fitted(self) -> bool:
        """True when the refit reproduces propagation normal at 10:36 within the fit tolerance."""
        return (math.isfinite(self.normal_at)
                and abs(self.normal_at - cascade.published_minute(_FIT_TO)) <= cascade.FIT_TOLERANCE)

    @property
    def agrees(self) -> bool:
        """True when the rerun agrees with the record where the default does: 10:36, and the backlog's 05:28."""
        backlog = cascade.published_minute(cascade.PUBLISHED_AS["nm backlog begins"])
        return self.fitted and abs(self.backlog_begins - backlog) <= cascade.TOLERANCE

    @property
    def error(self) -> float:
        """Minutes from the published 06:21 (inf: the model never has instances without connectivity)."""
        return self.predicted - cascade.published_minute(_MOMENT)


def refit_propagation_rate(leases: dwfm.LeaseRun, **nm_params) -> tuple[float, float]:
    """Return (rate, normal minute): the whole propagations a minute whose normal time is nearest 10:36.

    *leases* is DWFM's result; *nm_params* are Network Manager's other values.  The normal time falls as the
    rate rises (more capacity never leaves more work queued), so a search doubling the rate, then a bisection,
    finds the first whole rate normal by 10:36, and that rate or the one below it is the nearest.  Raises
    ValueError when no rate up to the declared bound (1e7 a minute) is normal by 10:36.
    """
    check_type("leases", leases, dwfm.LeaseRun, "a dwfm.LeaseRun (the result of dwfm.simulate)")
    if "propagation_rate" in nm_params:
        raise ValueError("propagation_rate is what refit_propagation_rate finds; do not give it")
    allowed = sorted(p.name for p in network_manager.SPEC if p.name != "propagation_rate")
    unknown = sorted(set(nm_params) - set(allowed))
    if unknown:
        raise ValueError(f"unknown Network Manager parameter {unknown[0]!r}; choose from {allowed}")
    network_manager.SPEC.validate(nm_params, partial=True)
    target = cascade.published_minute(_FIT_TO)

    def normal(rate: int) -> float:
        return network_manager.simulate(leases, propagation_rate=float(rate), **nm_params).normal_at

    hi = min(256, _RATE_HI)
    while normal(hi) > target:
        if hi >= _RATE_HI:
            raise ValueError(f"no propagation_rate up to {_RATE_HI:g} a minute is normal by 10:36 with these "
                             f"values ({nm_params})")
        hi = min(2 * hi, _RATE_HI)
    lo = 1
    while lo < hi:  # the first whole rate normal by the target
        mid = (lo + hi) // 2
        if normal(mid) <= target:
            hi = mid
        else:
            lo = mid + 1
    best, at = float(lo), normal(lo)
    if lo > 1:
        below = normal(lo - 1)
        if abs(below - target) < abs(at - target):
            best, at = float(lo - 1), below
    return best, at


def _rerun(values: dict, leases_for) -> Refit:
    nm = {name: v for (stage, name), v in values.items() if stage == "network_manager"}
    leases = leases_for(values[("dwfm", "throttled_launches")])
    named = {f"{s}.{n}": v for (s, n), v in values.items()}
    try:
        rate, at = refit_propagation_rate(leases, **nm)
    except ValueError:  # no rate is normal by 10:36 at all
        return Refit(named, math.nan, math.inf, math.inf, math.nan, math.inf)
    prop = network_manager.simulate(leases, propagation_rate=rate, **nm)
    ten36 = min(int(cascade.published_minute(_FIT_TO)), prop.pending.size - 1)
    return Refit(named, rate, at, prop.backlog_begins_at, float(prop.pending[ten36]), prop.no_connectivity_from)


def _leases():
    """Return a function: throttled share -> DWFM's LeaseRun for the published night (memoised per share).

    Each comes from :func:`course_lib.cascade.run` itself, so a rerun's DWFM stage is the replay's.
    """
    memo: dict = {}

    def leases_for(share: float) -> dwfm.LeaseRun:
        if share not in memo:
            memo[share] = cascade.run(throttled_launches=share).leases
        return memo[share]

    return leases_for


def one_at_a_time(factor: float = FACTOR) -> dict:
    """Move each uncertain value to the low and the high end of its range, the others at their defaults.

    Returns {'stage.name': (Refit at the low end, Refit at the high end)}; every rerun refits the propagation
    rate to 10:36.
    """
    factor = _factor(factor)
    leases_for = _leases()
    base = {key: _default(*key) for key in UNCERTAIN}
    return {f"{key[0]}.{key[1]}": tuple(_rerun({**base, key: end}, leases_for) for end in _bounds(*key, factor))
            for key in UNCERTAIN}


def _wilson(k: int, n: int) -> tuple[float, float, float]:
    """Return (k/n, low, high): the 95 % Wilson score interval of a share."""
    z2 = _Z95 * _Z95
    p = k / n
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = _Z95 * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    lo = 0.0 if k == 0 else max(0.0, centre - half)
    hi = 1.0 if k == n else min(1.0, centre + half)
    return p, lo, hi


@dataclass(frozen=True)
class Spread:
    """The held-out moment over many draws of the uncertain values, with Monte Carlo error bars."""

    reruns: tuple  # of Refit, in draw order
    seed: int
    factor: float = FACTOR

    def __post_init__(self):
        check_type("reruns", self.reruns, tuple)
        if not self.reruns or not all(isinstance(r, Refit) for r in self.reruns):
            raise TypeError("reruns must be a non-empty tuple of held_out.Refit (the result of spread)")
        check_int("seed", self.seed, lo=0, hi=2**32 - 1)
        _factor(self.factor)

    @property
    def draws(self) -> int:
        return len(self.reruns)

    @property
    def published(self) -> float:
        return cascade.published_minute(_MOMENT)

    @property
    def predicted(self) -> np.ndarray:
        """The predicted minute of every draw that agrees with the record (inf: never)."""
        return np.array([r.predicted for r in self.reruns if r.agrees])

    @property
    def unfitted(self) -> int:
        """Draws for which no whole propagation rate gives 10:36 within the fit tolerance (left out)."""
        return sum(not r.fitted for r in self.reruns)

    @property
    def unfitted_waiting(self) -> int:
        """Of the unfitted draws, those with refused launch requests still waiting at 10:36.

        While requests wait, the throttle keeps feeding Network Manager at its full admitted rate, so its
        backlog cannot be back to normal at 10:36 unless it never formed (and then it is normal from 02:25).
        """
        return sum(not r.fitted and r.waiting_at_normal > 0 for r in self.reruns)

    @property
    def off_backlog(self) -> int:
        """Draws that reproduce 10:36 but whose backlog begins more than cascade.TOLERANCE from 05:28 (left out)."""
        return sum(r.fitted and not r.agrees for r in self.reruns)

    def _share(self, mask: np.ndarray) -> tuple[float, float, float]:
        """Return (share, low, high): the share of agreeing draws where *mask* holds, with a 95 % Wilson interval."""
        if mask.size == 0:
            raise ValueError("no draw agrees with the record")
        return _wilson(int(mask.sum()), mask.size)

    @property
    def never(self) -> tuple[float, float, float]:
        """Share of agreeing draws in which no new instance ever launches without connectivity."""
        return self._share(np.isinf(self.predicted))

    def within(self, tolerance: float = cascade.TOLERANCE) -> tuple[float, float, float]:
        """Share of agreeing draws whose prediction is within *tolerance* minutes of the published 06:21."""
        tolerance = check_number("tolerance", tolerance, lo=0.0, hi=24 * 60.0)
        return self._share(np.abs(self.predicted - self.published) <= tolerance)

    def quantile(self, q: float) -> float:
        """Return the *q* quantile of the predicted minute (a draw's value; inf counts as latest)."""
        q = check_number("q", q, lo=0.0, hi=1.0)
        x = np.sort(self.predicted)
        if not x.size:
            raise ValueError("no draw agrees with the record")
        return float(x[min(x.size - 1, math.floor(q * x.size))])

    def quantile_interval(self, q: float) -> tuple[float, float]:
        """Return a 95 % distribution-free interval for the *q* quantile (order statistics of the draws)."""
        q = check_number("q", q, lo=0.0, hi=1.0, lo_open=True, hi_open=True)
        x = np.sort(self.predicted)
        n = x.size
        half = _Z95 * math.sqrt(n * q * (1 - q))
        if n < 10 or n * q - half < 1 or n * q + half > n - 1:
            raise ValueError(f"too few agreeing draws ({n}) for an interval of the {q:g} quantile")
        return float(x[math.floor(n * q - half) - 1]), float(x[min(n - 1, math.ceil(n * q + half))])

    def median_interval(self) -> tuple[float, float]:
        """Return a 95 % distribution-free interval for the median."""
        return self.quantile_interval(0.5)


def spread(draws: int = 200, seed: int = 0, factor: float = FACTOR) -> Spread:
    """Draw every uncertain value at once, log-uniformly within *factor* of its default, *draws* times.

    Each draw refits the propagation rate to 10:36 and reads the first minute without connectivity.  The
    throttled share is drawn from :data:`THROTTLE_GRID` log-spaced values (each needs its own DWFM run).
    """
    draws = check_int("draws", draws, lo=1, hi=2000)
    seed = check_int("seed", seed, lo=0, hi=2**32 - 1)
    factor = _factor(factor)
    rng = np.random.default_rng(seed)
    leases_for = _leases()
    lo, hi = _bounds("dwfm", "throttled_launches", factor)
    grid = np.exp(np.linspace(math.log(lo), math.log(hi), THROTTLE_GRID)).tolist()
    reruns = []
    for _ in range(draws):
        values = {}
        for key in UNCERTAIN:
            if key == ("dwfm", "throttled_launches"):
                values[key] = grid[int(rng.integers(THROTTLE_GRID))]
            else:
                a, b = _bounds(*key, factor)
                values[key] = float(math.exp(rng.uniform(math.log(a), math.log(b))))
        reruns.append(_rerun(values, leases_for))
    return Spread(tuple(reruns), seed, factor)
