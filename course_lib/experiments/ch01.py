"""Chapter 1's experiments: (a) OCC contention by backoff strategy, (b) waiting for the Route 53 lock.

Thin builders: controls (built from each model's ``SPEC``) -> a compute function (``contention_view``,
``lock_view``: what a test calls) -> a plot helper from ``course_lib.plots.occ`` -> a text readout.  The
caches that make a slider move cheap live here, not in the models.
"""

from __future__ import annotations

import dataclasses
import functools

import numpy as np

from .. import contention, lock_contention
from ..backoff import STRATEGIES, check_backoff, strategy_named
from ..contention import ContentionResult, ContentionView, simulate, sweep_clients
from ..lock_contention import LockRun, simulate_lock
from ..plots.occ import (
    FIGSIZE,
    count_of,
    draw_contention,
    draw_lock_waits,
    restyle_contention,
    restyle_lock_waits,
)
from ..validate import check_type
from ..widgets import Experiment, control

__all__ = ["REF_COUNTS", "contention_experiment", "contention_summary", "contention_view", "lock_experiment",
           "lock_summary", "lock_view"]

REF_COUNTS = (5, 10, 25, 50, 75, 100, 150, 200)  # client counts of the no-backoff reference curve


@functools.lru_cache(maxsize=320)
def _run(clients: int, strategy: str, base: float, cap: float, seed: int) -> ContentionResult:
    return simulate(clients, strategy, base, cap, seed)


def _all_strategies(clients: int, base: float, cap: float, seed: int) -> dict:
    """Run every strategy; clients that never back off do not depend on base and cap, so that run is shared."""
    runs = {}
    for name in STRATEGIES:
        if name == "none":
            runs[name] = dataclasses.replace(_run(clients, name, 5.0, 1000.0, seed), base=base, cap=cap)
        else:
            runs[name] = _run(clients, name, base, cap, seed)
    return runs


@functools.lru_cache(maxsize=4)
def _reference(seed: int) -> tuple[np.ndarray, np.ndarray]:
    counts, calls, _ = sweep_clients(REF_COUNTS, "none", seed=seed)
    return counts, calls


def contention_view(clients: int = 100, strategy: str = "full jitter", base: float = 5.0, cap: float = 1000.0,
                    seed: int = 0) -> ContentionView:
    """Run all five strategies at *clients* clients; the no-backoff curve comes from a cached sweep.

    Runs are cached by (clients, base, cap, seed): choosing another strategy only moves the highlight.
    """
    strategy_named(strategy)
    spec = contention.SPEC
    values = spec.validate({"clients": clients, "base": base, "cap": cap, "seed": seed}, partial=True)
    check_backoff(values["base"], values["cap"])
    runs = _all_strategies(values["clients"], values["base"], values["cap"], values["seed"])
    counts, calls = _reference(values["seed"])
    return ContentionView(values["clients"], strategy, runs, counts, calls)


def contention_summary(view: ContentionView) -> str:
    """Return widget (a)'s readout: the selected strategy's work and time against un-jittered backoff."""
    check_type("view", view, ContentionView, "a ContentionView from contention_view")
    run, plain = view.runs[view.selected], view.runs["exponential"]
    change = (run.calls - plain.calls) / plain.calls
    return (f"{view.selected}, {count_of(view.clients, 'client')}: {count_of(run.calls, 'call')} ({change:+.0%} vs "
            f"exponential without jitter: {plain.calls}), all done after {run.completion_ms / 1000:.1f} s of "
            "virtual time")


def contention_experiment(clients: int = 100, strategy: str = "full jitter") -> Experiment:
    """Return widget (a): clients x strategy x base/cap -> calls and completion time."""
    strategy_named(strategy)
    spec = contention.SPEC
    # sliders start at valid values; a cap below the base (e.g. base 80, cap 50) shows a message
    controls = {"clients": control(spec["clients"], clients), "strategy": control(spec["strategy"], strategy),
                "base": control(spec["base"]), "cap": control(spec["cap"])}
    return Experiment(controls, contention_view, draw_contention, contention_summary,
                      figsize=FIGSIZE, height="250px", restyle=restyle_contention)


def lock_view(enactors: int = 3, hold: float = 2.0, lease: float = 10.0, policy: str = "exponential",
              seed: int = 0) -> LockRun:
    """Run the lock model for widget (b) with simulate_lock's defaults, so it matches the chapter's table.

    Runs are cached by their (validated) settings: moving a slider back redraws without re-simulating.
    """
    values = lock_contention.SPEC.validate({"enactors": enactors, "hold": hold, "lease": lease, "policy": policy,
                                            "seed": seed}, partial=True)
    return _lock_run(values["enactors"], values["hold"], values["lease"], values["policy"], values["seed"])


@functools.lru_cache(maxsize=64)
def _lock_run(enactors: int, hold: float, lease: float, policy: str, seed: int) -> LockRun:
    return simulate_lock(enactors, hold, lease, policy, seed=seed)


def lock_summary(run: LockRun) -> str:
    """Return widget (b)'s readout: median wait, the 10x tail, the worst run of losses, broken exclusion."""
    check_type("run", run, LockRun, "a LockRun from simulate_lock")
    if len(run.waits) == 0:
        return "nobody got the lock"
    worst = int(np.argmax(run.waits))
    return (f"median wait {np.median(run.waits):.2g} s; {run.tail():.1%} waited > 10× the median; worst: "
            f"Enactor {run.winner[worst] + 1} lost {count_of(int(run.losses[worst]), 'time')} in a row and waited "
            f"{run.waits[worst]:.0f} s; two holders at once: {count_of(run.overlaps, 'time')}, after "
            f"{count_of(run.overruns, 'hold')} that outlasted the lease")


def lock_experiment() -> Experiment:
    """Return widget (b): contenders, hold time, lease and retry policy -> who waits how long."""
    spec = lock_contention.SPEC
    controls = {name: control(spec[name]) for name in ("enactors", "hold", "lease", "policy")}
    return Experiment(controls, lock_view, draw_lock_waits, lock_summary, figsize=FIGSIZE, height="250px",
                      restyle=restyle_lock_waits)
