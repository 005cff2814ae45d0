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
from course_lib.contention import repeat_strategies, simulate
from course_lib.experiments.ch01 import contention_experiment, lock_experiment
from course_lib.lock_contention import POLICIES, simulate_lock

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import png_baseline

MOVES = 40


def _stats(samples: list[float]) -> tuple[float, float]:
    ms = np.array(samples) * 1000
    return float(np.median(ms)), float(np.percentile(ms, 95))


def _redraws(exp, moves: list[dict]) -> str:
    """Return 'wall median X, p95 Y; CPU median X, p95 Y' over *moves* (CPU time is less disturbed by load)."""
    wall, cpu = [], []
    for move in moves:
        start, start_cpu = time.perf_counter(), time.process_time()
        exp.set(**move)
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
        assert exp.error is None, exp.error
    (wall_med, wall_p95), (cpu_med, cpu_p95) = _stats(wall), _stats(cpu)
    verdict = "OK" if cpu_med <= 45 and cpu_p95 <= 75 else "OVER the CPU target 45/75"
    return (f"wall median {wall_med:.1f} ms, p95 {wall_p95:.1f} ms (budget 60/100); CPU median {cpu_med:.1f} ms, "
            f"p95 {cpu_p95:.1f} ms (target 45/75) {verdict}; {len(moves)} moves, load {os.getloadavg()[0]:.1f}")


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
    return f"ch01 widget (a) redraw at 100 clients: {_redraws(exp, moves)}"


def bench_widget_b() -> str:
    """Move Enactors, hold, lease and retry policy of widget (b)."""
    policies = list(POLICIES)
    moves = [{"enactors": 1 + i % 8} if i % 2 else {"policy": policies[i % len(policies)]} for i in range(MOVES)]
    exp = lock_experiment()
    return f"ch01 widget (b) lock redraw: {_redraws(exp, moves)}"


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
    start, cpu = time.perf_counter(), time.process_time()
    names = ("exponential", "full jitter", "equal jitter", "decorrelated jitter")
    for convention in ("course", "brooker"):
        repeat_strategies(100, seeds=range(100), names=names, convention=convention)
    lines.append(f"ch01 §4 100-seed comparison, both conventions: wall {time.perf_counter() - start:.1f} s, "
                 f"CPU {time.process_time() - cpu:.1f} s")
    return lines


def run() -> list[str]:
    """Return the chapter's benchmark lines."""
    return [png_baseline(), bench_widget_a(), bench_widget_b(), *bench_throughput()]


if __name__ == "__main__":
    print("\n".join(run()))
