"""Chapter 1's experiments: (a) OCC contention by backoff strategy, (b) waiting for the Route 53 lock.

Thin builders: controls -> a pure model call (each ``*_compute``/``*_view`` is what a test calls) -> a
plot helper from ``course_lib.plots.occ`` -> a text readout.
"""

from __future__ import annotations

import numpy as np

from ..backoff import STRATEGIES
from ..contention import ContentionView, contention_view
from ..lock_contention import POLICIES, LockRun, simulate_lock
from ..plots.occ import (
    FIGSIZE,
    _count,
    draw_contention,
    draw_lock_waits,
    restyle_contention,
    restyle_lock_waits,
)
from ..widgets import Experiment, dropdown, float_slider, int_slider

__all__ = ["contention_experiment", "contention_summary", "lock_experiment", "lock_summary", "lock_view"]


def contention_summary(view: ContentionView) -> str:
    """Return widget (a)'s readout: the selected strategy's work and time against un-jittered backoff."""
    run, plain = view.runs[view.selected], view.runs["exponential"]
    change = (run.calls - plain.calls) / plain.calls
    return (f"{view.selected}, {_count(view.clients, 'client')}: {_count(run.calls, 'call')} ({change:+.0%} vs exponential without "
            f"jitter: {plain.calls}), all done after {run.completion_ms / 1000:.1f} s of virtual time")


def contention_experiment(clients: int = 100, strategy: str = "full jitter") -> Experiment:
    """Return widget (a): clients x strategy x base/cap -> calls and completion time."""
    controls = {"clients": int_slider("clients", clients, 1, 200),
                "strategy": dropdown("strategy", list(STRATEGIES), strategy),
                # sliders start at valid values; a cap below the base (e.g. base 80, cap 50) shows a message
                "base": float_slider("base (ms)", 5.0, 1.0, 100.0, 1.0),
                "cap": float_slider("cap (ms)", 1000.0, 50.0, 5000.0, 50.0)}
    return Experiment(controls, contention_view, draw_contention, contention_summary,
                      figsize=FIGSIZE, height="250px", restyle=restyle_contention)


def lock_view(enactors: int = 3, hold: float = 2.0, lease: float = 10.0, policy: str = "exponential",
              seed: int = 0) -> LockRun:
    """Run the lock model for widget (b) with simulate_lock's defaults, so it matches the chapter's table."""
    return simulate_lock(enactors, hold, lease, policy, seed=seed)


def lock_summary(run: LockRun) -> str:
    """Return widget (b)'s readout: median wait, the 10x tail, the worst run of losses, broken exclusion."""
    if len(run.waits) == 0:
        return "nobody got the lock"
    worst = int(np.argmax(run.waits))
    return (f"median wait {np.median(run.waits):.2g} s; {run.tail():.1%} waited > 10× the median; worst: "
            f"Enactor {run.winner[worst] + 1} lost {_count(int(run.losses[worst]), 'time')} in a row and waited "
            f"{run.waits[worst]:.0f} s; two holders at once: {_count(run.overlaps, 'time')}")


def lock_experiment() -> Experiment:
    """Return widget (b): contenders, hold time, lease and retry policy -> who waits how long."""
    controls = {"enactors": int_slider("Enactors", 3, 1, 8),
                "hold": float_slider("hold (s)", 2.0, 0.5, 20.0, 0.5),
                "lease": float_slider("lease (s)", 10.0, 1.0, 60.0, 1.0),
                "policy": dropdown("retry", list(POLICIES), "exponential")}
    return Experiment(controls, lock_view, draw_lock_waits, lock_summary, figsize=FIGSIZE, height="250px",
                      restyle=restyle_lock_waits)
