"""How firmly does the record fix the held-out moment?  A sceptical rerun of Chapter 6's one prediction.

The replay's table (:func:`course_lib.cascade.compare`) holds one published time out: the first new instances
without network connectivity, 06:21.  The model gives 06:04 from its default values.  Those defaults include
four **model choices** about launches and terminations that the record does not give, plus the a priori
connectivity limit.  A single run cannot say how much the prediction leans on them.  This module reruns the
prediction the way a sceptical reviewer would:

* every unfitted value the prediction depends on (:data:`UNCERTAIN`) is moved within a factor
  :data:`FACTOR` of its default, either way (a declared **model choice** of how uncertain each one is, the same
  factor for all five; the record gives no number for any of them);
* for each such draw the fitted value downstream of them, ``network_manager.propagation_rate``, is **fitted
  again** to propagation normal at 10:36 (:func:`refit_propagation_rate`, the same rule the default was found
  by: the whole propagations a minute whose normal time is nearest 10:36), so every draw still agrees with the
  record where the default does;
* the first minute without connectivity is read off, exactly as the replay reads it.

:func:`one_at_a_time` moves one value to each end of its range; :func:`spread` draws all five at once
(log-uniform, seeded) and returns the predictions with their Monte Carlo error bars.  DWFM's own fitted rate
(to 05:28) does not depend on any of these values, so it is not refitted: launches and terminations do not
change when DWFM holds its leases in the model.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from . import cascade, dwfm, network_manager
from .validate import check_int, check_number, check_type

__all__ = ["FACTOR", "UNCERTAIN", "Refit", "Spread", "one_at_a_time", "refit_propagation_rate", "spread"]

# The unfitted values the held-out moment depends on: (stage, parameter) -> what it is.  Each is a model choice
# (or, for the limit, set a priori from another model choice), declared with its default in its stage's SPEC.
UNCERTAIN = {
    ("network_manager", "launch_rate"): "launch requests a minute",
    ("network_manager", "peak_launches"): "launches EC2 admits a minute at most",
    ("network_manager", "termination_rate"): "terminations a minute",
    ("dwfm", "throttled_launches"): "share of launches admitted while throttled",
    ("network_manager", "connectivity_limit"): "delay beyond which a new instance has no connectivity",
}
FACTOR = 1.5  # how far each value may plausibly be from its default, either way (a model choice)
THROTTLE_GRID = 7  # the throttled share is drawn from this many log-spaced values (each needs its own DWFM run)
_RATE_HI = 4096  # propagations a minute: the largest rate the refit searches (far above any draw's need)
_MOMENT = "connectivity problems"
_FIT_TO = network_manager.FITTED["propagation_rate"]


def _default(stage: str, name: str) -> float:
    if (stage, name) == ("network_manager", "connectivity_limit"):
        return float(dwfm.SPEC["lease_timeout"].default)  # the a priori rule: DWFM's lease timeout
    return float(cascade.STAGE_SPECS[stage][name].default)


def _bounds(stage: str, name: str) -> tuple[float, float]:
    value = _default(stage, name)
    lo, hi = value / FACTOR, value * FACTOR
    if (stage, name) == ("dwfm", "throttled_launches"):
        hi = min(hi, 1.0)  # a share
    return lo, hi


@dataclass(frozen=True)
class Refit:
    """One rerun: the values used, the refitted propagation rate, and the moments the replay would read."""

    values: dict  # 'stage.name' -> value
    propagation_rate: float
    normal_at: float  # minutes after 23:48 (within cascade.FIT_TOLERANCE of 10:36 when fitted is True)
    fitted: bool  # False: no whole rate gives a normal time within the fit tolerance of 10:36
    predicted: float  # the first minute new instances launch without connectivity (inf: never)
    waiting_at_relax: float  # refused launch requests still waiting when the throttles start to relax

    @property
    def error(self) -> float:
        """Minutes from the published 06:21 (inf: the model never has instances without connectivity)."""
        return self.predicted - cascade.published_minute(_MOMENT)


def refit_propagation_rate(leases: dwfm.LeaseRun, **nm_params) -> tuple[float, float]:
    """Return (rate, normal minute): the whole propagations a minute whose normal time is nearest 10:36.

    *leases* is DWFM's result; *nm_params* are Network Manager's other values.  The normal time falls as the
    rate rises (more capacity never leaves more work queued), so a bisection finds the first whole rate that
    is normal by 10:36, and that rate or the one below it is the nearest.
    """
    check_type("leases", leases, dwfm.LeaseRun, "a dwfm.LeaseRun (the result of dwfm.simulate)")
    if "propagation_rate" in nm_params:
        raise ValueError("propagation_rate is what refit_propagation_rate finds; do not give it")
    network_manager.SPEC.validate(nm_params, partial=True)
    target = cascade.published_minute(_FIT_TO)

    def normal(rate: int) -> float:
        return network_manager.simulate(leases, propagation_rate=float(rate), **nm_params).normal_at

    lo, hi = 1, _RATE_HI
    if normal(hi) > target:
        return float(hi), normal(hi)
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
    rate, at = refit_propagation_rate(leases, **nm)
    prop = network_manager.simulate(leases, propagation_rate=rate, **nm)
    fitted = math.isfinite(at) and abs(at - cascade.published_minute(_FIT_TO)) <= cascade.FIT_TOLERANCE
    relax = leases.actions.relax_at
    waiting = float(prop.pending[min(int(relax), prop.pending.size - 1)]) if relax is not None else 0.0
    return Refit({f"{s}.{n}": v for (s, n), v in values.items()}, rate, at, fitted, prop.no_connectivity_from,
                 waiting)


def _leases():
    """Return a function: throttled share -> DWFM's LeaseRun for the published night (memoised per share)."""
    night = cascade.run()
    acts, avail = night.leases.actions, night.availability
    dwfm_params = {k: v for k, v in night.leases.params.items() if k not in ("throttled_launches", "horizon")}
    memo: dict = {}

    def leases_for(share: float) -> dwfm.LeaseRun:
        if share not in memo:
            memo[share] = dwfm.simulate(avail, actions=acts, horizon=float(cascade.HORIZON),
                                        throttled_launches=share, **dwfm_params)
        return memo[share]

    return leases_for


def one_at_a_time() -> dict:
    """Move each uncertain value to the low and the high end of its range, the others at their defaults.

    Returns {'stage.name': (Refit at the low end, Refit at the high end)}; every rerun refits the propagation
    rate to 10:36.
    """
    leases_for = _leases()
    base = {key: _default(*key) for key in UNCERTAIN}
    out = {}
    for key in UNCERTAIN:
        ends = []
        for end in _bounds(*key):
            ends.append(_rerun({**base, key: end}, leases_for))
        out[f"{key[0]}.{key[1]}"] = tuple(ends)
    return out


@dataclass(frozen=True)
class Spread:
    """The held-out moment over many draws of the uncertain values, with Monte Carlo error bars."""

    reruns: tuple  # of Refit, in draw order
    seed: int
    published: float = field(default_factory=lambda: cascade.published_minute(_MOMENT))

    @property
    def draws(self) -> int:
        return len(self.reruns)

    @property
    def predicted(self) -> np.ndarray:
        """The predicted minute of every fitted draw (inf: never)."""
        return np.array([r.predicted for r in self.reruns if r.fitted])

    @property
    def unfitted(self) -> int:
        """Draws for which no whole propagation rate gives 10:36 within the fit tolerance (left out)."""
        return sum(not r.fitted for r in self.reruns)

    @property
    def unfitted_waiting(self) -> int:
        """Of the unfitted draws, those whose refused launches still wait when the throttles relax (11:23).

        The rest of the unfitted draws sit where one whole propagation a minute more or less moves the normal
        time by more than the fit tolerance: the whole-rate grid, not the record, leaves them out.
        """
        return sum(not r.fitted and r.waiting_at_relax > 0 for r in self.reruns)

    def _share(self, mask: np.ndarray) -> tuple[float, float, float]:
        """Return (share, low, high): the share of fitted draws where *mask* holds, with a 95 % Wilson interval."""
        n = mask.size
        if n == 0:
            raise ValueError("no fitted draws")
        k = int(mask.sum())
        z = 1.959963984540054
        p = k / n
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
        return p, max(0.0, centre - half), min(1.0, centre + half)

    @property
    def never(self) -> tuple[float, float, float]:
        """Share of draws in which no new instance ever launches without connectivity."""
        return self._share(np.isinf(self.predicted))

    def within(self, tolerance: float = cascade.TOLERANCE) -> tuple[float, float, float]:
        """Share of draws whose prediction is within *tolerance* minutes of the published 06:21."""
        tolerance = check_number("tolerance", tolerance, lo=0.0, hi=24 * 60.0)
        return self._share(np.abs(self.predicted - self.published) <= tolerance)

    def quantile(self, q: float) -> float:
        """Return the *q* quantile of the predicted minute (a draw's value; inf counts as latest)."""
        q = check_number("q", q, lo=0.0, hi=1.0)
        x = np.sort(self.predicted)
        if not x.size:
            raise ValueError("no fitted draws")
        return float(x[min(x.size - 1, math.floor(q * x.size))])

    def median_interval(self) -> tuple[float, float]:
        """Return a 95 % distribution-free interval for the median (order statistics of the draws)."""
        x = np.sort(self.predicted)
        n = x.size
        if n < 10:
            raise ValueError(f"need at least 10 fitted draws for an interval, got {n}")
        half = 1.959963984540054 * math.sqrt(n) / 2
        lo, hi = max(0, math.floor(n / 2 - half) - 1), min(n - 1, math.ceil(n / 2 + half))
        return float(x[lo]), float(x[hi])


def spread(draws: int = 200, seed: int = 0) -> Spread:
    """Draw every uncertain value at once, log-uniformly within :data:`FACTOR` of its default, *draws* times.

    Each draw refits the propagation rate to 10:36 and reads the first minute without connectivity.  The
    throttled share is drawn from :data:`THROTTLE_GRID` log-spaced values (each needs its own DWFM run).
    """
    draws = check_int("draws", draws, lo=1, hi=2000)
    seed = check_int("seed", seed, lo=0, hi=2**32 - 1)
    rng = np.random.default_rng(seed)
    leases_for = _leases()
    lo, hi = _bounds("dwfm", "throttled_launches")
    grid = np.exp(np.linspace(math.log(lo), math.log(hi), THROTTLE_GRID)).tolist()
    reruns = []
    for _ in range(draws):
        values = {}
        for key in UNCERTAIN:
            if key == ("dwfm", "throttled_launches"):
                values[key] = grid[int(rng.integers(THROTTLE_GRID))]
            else:
                a, b = _bounds(*key)
                values[key] = float(math.exp(rng.uniform(math.log(a), math.log(b))))
        reruns.append(_rerun(values, leases_for))
    return Spread(tuple(reruns), seed)
