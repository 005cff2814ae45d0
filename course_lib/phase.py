"""Phase diagram of the retry storm: which (load, trigger) pairs recover and which stay stuck.

Every cell of the grid is one scenario of ``metastable.simulate_batch``; the whole grid runs in one vectorised
pass.  Reading it: below the hidden capacity (150 QPS for 300 QPS and one retry) every trigger clears; above
it, the trigger needed to tip the system shrinks as load nears the advertised capacity (HotOS '21 §4, [S8]),
and OSDI '22's point follows: vulnerability is a matter of degree, set by load, trigger size *and* trigger
duration ([S9]).  Each cell is labelled by ``metastable.classify_runs``: "recovered" when goodput came back
(at least 90 % of the new requests over 5 s, a model choice) after the trigger ended, "recovering" when goodput
has not come back within the run but the load is below the hidden capacity (the backlog drains, slowly:
``metastable.drain_time``), "metastable" when the trigger is over, the load is between the hidden capacity and
capacity and goodput has not come back, "overloaded" when the load is at or above capacity or the trigger is
still on.  Each cell also carries its **time to recovery**: near the edge recovery is slow rather than absent,
which is why a run that is too short must not call slow recoveries stuck.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .metastable import (
    HOTOS_TRIGGER,
    SPEC,
    Trigger,
    classify_runs,
    hidden_capacity,
    simulate,
    simulate_batch,
    time_to_recovery,
)
from .validate import check_choice, check_number, check_type

__all__ = ["Phase", "classify", "largest_surviving_load", "phase_diagram"]


@dataclass(frozen=True)
class Phase:
    """A grid of outcomes for loads[i] and trigger values[j] along *axis*: state, recovered, time to recovery."""

    loads: np.ndarray
    values: np.ndarray
    axis: str
    recovered: np.ndarray
    hidden: float
    capacity: float
    state: np.ndarray  # 'recovered', 'recovering', 'metastable' or 'overloaded'
    recovery: np.ndarray  # seconds from the trigger's end to recovery (inf: not within the run)

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
    check_type("axis", axis, str)
    check_choice("axis", axis, ("duration", "magnitude"))
    magnitude = check_number("magnitude", magnitude, lo=0.0, hi=1.0)
    duration = check_number("duration", duration, lo=0.0, hi=1e6)
    loads = np.linspace(40, 290, 26) if loads is None else _grid("loads", loads)
    if values is None:
        values = np.linspace(0, 40, 21) if axis == "duration" else np.linspace(0, 1, 21)
    values = _grid("values", values)
    grid_load, grid_value = np.meshgrid(loads, values, indexing="ij")
    if axis == "duration":
        trig = Trigger(kind, magnitude, 10.0, grid_value.ravel())
    else:
        trig = Trigger(kind, grid_value.ravel(), 10.0, duration)
    res = simulate_batch(grid_load.ravel(), capacity, timeout, retries, trig, policy, dt, horizon, seed=seed)
    state = classify_runs(res).reshape(grid_load.shape)
    return Phase(loads, values, axis, state == "recovered", hidden_capacity(capacity, retries), capacity,
                 state, time_to_recovery(res).reshape(grid_load.shape))


def _grid(name: str, values) -> np.ndarray:
    """Return *values* as a non-empty 1-D float array of finite numbers, or raise naming *name*."""
    if isinstance(values, (str, bytes)) or np.ndim(values) != 1:
        raise TypeError(f"{name} must be a 1-D sequence of numbers, got {type(values).__name__}")
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a 1-D sequence of numbers") from None
    if arr.size == 0 or arr.size > 10_000 or not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must hold 1 to 10,000 finite numbers, got {arr.size}")
    return arr


def largest_surviving_load(trigger: Trigger = HOTOS_TRIGGER, capacity: float = 300.0, timeout: float = 1.0,
                           retries: int = 1, horizon: float = 300.0, step: float = 2.0, seed: int = 0) -> float:
    """Return the largest load (on a grid of *step* QPS) whose own run recovers from *trigger* within *horizon*.

    "Its own run" is ``simulate(load, ..., seed=seed)``, one scenario, which is what exercise q1 checks.  A
    batched scan (one pass over the whole grid) finds where recovery within the run stops; single runs from
    two steps above that point downwards (at most eight) then settle the edge, so the answer does not depend on which other
    loads shared the batch's random draws.  Below the hidden capacity a run that misses the horizon is
    recovering slowly (``classify_runs`` says "recovering"), so with a longer *horizon* the edge moves up
    towards capacity / (1 + retries).
    """
    step = check_number("step", step, lo=0.5, hi=50)
    capacity = SPEC.check("capacity", capacity)
    loads = np.arange(step, capacity, step)
    ok = classify_runs(simulate_batch(loads, capacity, timeout, retries, trigger, "none", 0.1, horizon,
                                      seed=seed)) == "recovered"
    # The first failure marks the edge: a lucky Poisson draw above it does not count as surviving.
    first_bad = int(np.argmin(ok)) if not ok.all() else ok.size
    top = min(first_bad + 2, loads.size) - 1
    for i in range(top, max(-1, top - 8), -1):  # at most 8 single runs (about a second)
        run = simulate(float(loads[i]), capacity, timeout, retries, trigger, "none", 0.1, horizon, seed=seed)
        if classify_runs(run)[0] == "recovered":
            return float(loads[i])
    return float(loads[first_bad - 1]) if first_bad > 0 else 0.0  # single runs disagree: the batch's edge


def classify(load: float, stuck_after_trigger: bool, capacity: float = 300.0, retries: int = 1) -> str:
    """Name the state of a system at *load*: 'overloaded' at or above capacity (no loop needed); 'stable' below
    the hidden capacity (a run still stuck after the trigger is recovering slowly, not metastable: the backlog
    drains); otherwise 'metastable' if it stayed stuck after the trigger ended, else 'vulnerable'."""
    load = SPEC.check("load", load)
    if not isinstance(stuck_after_trigger, (bool, np.bool_)):
        raise TypeError(f"stuck_after_trigger must be True or False, got {type(stuck_after_trigger).__name__}")
    capacity = SPEC.check("capacity", capacity)
    if load >= capacity:
        return "overloaded"
    if load < hidden_capacity(capacity, retries):
        return "stable"
    return "metastable" if stuck_after_trigger else "vulnerable"
