"""Chapter 1 speed: widget redraws (model + plot + PNG) and simulator throughput.

    .venv/bin/python benchmarks/bench_01_occ.py
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("MPLBACKEND", "Agg")

from course_lib.backoff import STRATEGIES
from course_lib.contention import simulate
from course_lib.lock_contention import POLICIES, simulate_lock
from course_lib.plots.occ import contention_experiment, lock_experiment

MOVES = 40


def _stats(samples: list[float]) -> tuple[float, float]:
    ms = np.array(samples) * 1000
    return float(np.median(ms)), float(np.percentile(ms, 95))


def _redraws(exp, moves: list[dict]) -> tuple[float, float, float]:
    """Return wall median, wall p95 and CPU median (CPU time is less disturbed by other processes)."""
    wall, cpu = [], []
    for move in moves:
        start, start_cpu = time.perf_counter(), time.process_time()
        exp.set(**move)
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
        assert exp.error is None, exp.error
    return (*_stats(wall), _stats(cpu)[0])


def bench_widget_a() -> str:
    """Move strategy, base and cap of widget (a) at 100 clients, one control per move."""
    rng = np.random.default_rng(1)
    names = list(STRATEGIES)
    moves = []
    for i in range(MOVES):
        kind = i % 3
        if kind == 0:
            moves.append({"strategy": names[i % len(names)]})
        elif kind == 1:
            moves.append({"base": float(rng.integers(1, 20))})
        else:
            moves.append({"cap": float(rng.integers(4, 100) * 50)})
    exp = contention_experiment(clients=100)
    med, p95, cpu = _redraws(exp, moves)
    return (f"ch01 widget (a) redraw at 100 clients: median {med:.1f} ms, p95 {p95:.1f} ms (budget 60/100); "
            f"CPU median {cpu:.1f} ms; load average {os.getloadavg()[0]:.1f}")


def bench_widget_b() -> str:
    """Move Enactors, hold, lease and retry policy of widget (b)."""
    policies = list(POLICIES)
    moves = [{"enactors": 1 + i % 8} if i % 2 else {"policy": policies[i % len(policies)]} for i in range(MOVES)]
    exp = lock_experiment()
    med, p95, cpu = _redraws(exp, moves)
    return (f"ch01 widget (b) lock redraw: median {med:.1f} ms, p95 {p95:.1f} ms (budget 60/100); "
            f"CPU median {cpu:.1f} ms; load average {os.getloadavg()[0]:.1f}")


def bench_throughput() -> list[str]:
    """Measure simulated attempts per second of the OCC and lock simulators."""
    lines = []
    for strategy in ("none", "full jitter"):
        start, calls = time.perf_counter(), 0
        for seed in range(5):
            calls += simulate(200, strategy, seed=seed).calls
        rate = calls / (time.perf_counter() - start)
        lines.append(f"ch01 OCC simulator, 200 clients, {strategy}: {rate:,.0f} attempts/s")
    start, attempts = time.perf_counter(), 0
    for seed in range(5):
        attempts += simulate_lock(5, policy="fixed", seed=seed).attempts
    rate = attempts / (time.perf_counter() - start)
    lines.append(f"ch01 Route 53 lock simulator (r53lock on HostedZone), 5 Enactors: {rate:,.0f} attempts/s")
    return lines


def run() -> list[str]:
    """Return the chapter's benchmark lines."""
    return [bench_widget_a(), bench_widget_b(), *bench_throughput()]


if __name__ == "__main__":
    print("\n".join(run()))
