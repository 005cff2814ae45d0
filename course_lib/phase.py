"""Phase diagram of the retry storm: which (load, trigger) pairs recover and which stay stuck.

Every cell of the grid is one scenario of ``metastable.simulate_batch``; the whole grid runs in one vectorised
pass.  Reading it: below the hidden capacity (150 QPS for 300 QPS and one retry) every trigger clears; above
it, the trigger needed to tip the system shrinks as load nears the advertised capacity (HotOS '21 §4, [S8]),
and OSDI '22's point follows: vulnerability is a matter of degree, set by load, trigger size *and* trigger
duration ([S9]).  "Recovered" means goodput over the last 10 s of the horizon is at least 90 % of the load
(a model choice, like the 300 s horizon).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .metastable import HOTOS_TRIGGER, Trigger, hidden_capacity, outcome, simulate_batch
from .validate import check_choice, check_int, check_number

__all__ = ["Phase", "classify", "largest_surviving_load", "phase_diagram"]


@dataclass(frozen=True)
class Phase:
    """A grid of outcomes: recovered[i, j] for loads[i] and trigger values[j] along *axis*."""

    loads: np.ndarray
    values: np.ndarray
    axis: str
    recovered: np.ndarray
    hidden: float
    capacity: float

    def boundary(self) -> np.ndarray:
        """Return, per trigger value, the largest load on the grid that still recovered (nan if none)."""
        ok = self.recovered
        out = np.full(self.values.size, np.nan)
        for j in range(self.values.size):
            rec = np.nonzero(ok[:, j])[0]
            out[j] = self.loads[rec.max()] if rec.size else np.nan
        return out


def phase_diagram(loads=None, values=None, axis: str = "duration", kind: str = "outage", magnitude: float = 1.0,
                  duration: float = 10.0, capacity: float = 300.0, timeout: float = 1.0, retries: int = 1,
                  policy: str = "none", horizon: float = 300.0, dt: float = 0.1, seed: int = 0) -> Phase:
    """Sweep load against trigger duration (or magnitude) and return which cells recovered."""
    check_choice("axis", axis, ("duration", "magnitude"))
    loads = np.linspace(40, 290, 26) if loads is None else np.asarray(loads, dtype=float)
    if values is None:
        values = np.linspace(0, 40, 21) if axis == "duration" else np.linspace(0, 1, 21)
    values = np.asarray(values, dtype=float)
    if loads.ndim != 1 or values.ndim != 1 or loads.size == 0 or values.size == 0:
        raise ValueError("loads and values must be non-empty 1-D sequences")
    grid_load, grid_value = np.meshgrid(loads, values, indexing="ij")
    if axis == "duration":
        trig = Trigger(kind, magnitude, 10.0, grid_value.ravel())
    else:
        trig = Trigger(kind, grid_value.ravel(), 10.0, duration)
    res = simulate_batch(grid_load.ravel(), capacity, timeout, retries, trig, policy, dt, horizon, seed=seed)
    return Phase(loads, values, axis, outcome(res).reshape(grid_load.shape),
                 hidden_capacity(capacity, retries), capacity)


def largest_surviving_load(trigger: Trigger = HOTOS_TRIGGER, capacity: float = 300.0, timeout: float = 1.0,
                           retries: int = 1, horizon: float = 300.0, step: float = 2.0, seed: int = 0) -> float:
    """Return the largest load (on a grid of *step* QPS) that recovers from *trigger* within *horizon*."""
    step = check_number("step", step, lo=0.5, hi=50)
    capacity = check_number("capacity", capacity, lo=0, lo_open=True)
    loads = np.arange(step, capacity, step)
    ok = outcome(simulate_batch(loads, capacity, timeout, retries, trigger, "none", 0.1, horizon, seed=seed))
    # The first failure marks the edge: a lucky Poisson draw above it does not count as surviving.
    first_bad = np.argmin(ok) if not ok.all() else ok.size
    return float(loads[first_bad - 1]) if first_bad > 0 else 0.0


def classify(load: float, stuck_after_trigger: bool, capacity: float = 300.0, retries: int = 1) -> str:
    """Name the state: 'metastable' if stuck after the trigger ended, else 'stable' or 'vulnerable' by load."""
    load = check_number("load", load, lo=0, lo_open=True)
    check_int("retries", retries, lo=0)
    if stuck_after_trigger:
        return "metastable"
    return "stable" if load < hidden_capacity(capacity, retries) else "vulnerable"
