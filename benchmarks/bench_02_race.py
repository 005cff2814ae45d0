"""Chapter 2 speed: published replay, widget redraw (model + timeline + PNG), Monte Carlo Enactor runs."""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("MPLBACKEND", "Agg")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from course_lib.dns_race import replay, run_published, run_random
from course_lib.dns_race_montecarlo import race_probability
from course_lib.experiments.ch02 import experiment, race_experiment
from course_lib.widgets import Experiment

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import png_baseline


def _stats(samples: list[float]) -> tuple[float, float]:
    ms = sorted(s * 1000 for s in samples)
    return statistics.median(ms), ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]


def _experiment() -> Experiment:
    """Build the notebook's widget (course_lib.experiments.ch02.race_experiment)."""
    return race_experiment()


def bench_replay(n: int = 50) -> str:
    """Time the published replay with its property verdicts."""
    samples = []
    for _ in range(n):
        t = time.perf_counter()
        run_published().verdicts()
        samples.append(time.perf_counter() - t)
    med, p95 = _stats(samples)
    return f"ch02 published replay + verdicts: median {med:.1f} ms, p95 {p95:.1f} ms"


def bench_redraw(moves: int = 40) -> str:
    """Time widget moves: model + timeline redraw + PNG, cycling through several controls."""
    exp = _experiment()
    values = [dict(slow_delay=v) for v in (0.5, 1.0, 1.5, 2.0, 2.5)] + [dict(K=k) for k in (3, 5, 8)] + \
             [dict(recheck_at_write=True), dict(recheck_at_write=False), dict(protect_active=True),
              dict(protect_active=False), dict(lock_losses=4), dict(lock_losses=2)]
    wall, cpu = [], []
    for i in range(moves):
        t, c = time.perf_counter(), time.process_time()
        exp.set(**values[i % len(values)])
        wall.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
        assert exp.error is None, exp.error
    (med, p95), (cpu_med, cpu_p95) = _stats(wall), _stats(cpu)
    ok = "within the CPU target 45/75" if cpu_med <= 45 and cpu_p95 <= 75 else \
        "OVER the CPU target 45/75 for live sliders"
    return (f"ch02 widget replay + timeline redraw ({moves} moves): wall median {med:.1f} ms, p95 {p95:.1f} ms "
            f"(budget 60/100); CPU median {cpu_med:.1f} ms, p95 {cpu_p95:.1f} ms; {ok}")


def bench_monte_carlo(n_runs: int = 10_000, repeats: int = 20) -> str:
    """Time the Monte Carlo estimate of 10^4 Enactor runs."""
    samples = []
    for seed in range(repeats):
        t = time.perf_counter()
        race_probability(1.2, n_runs=n_runs, seed=seed)
        samples.append(time.perf_counter() - t)
    med, p95 = _stats(samples)
    rate = n_runs / (med / 1000)
    ok = "ok" if p95 <= 1000 else "OVER BUDGET"
    return (f"ch02 Monte Carlo {n_runs:,} Enactor runs: median {med:.1f} ms, p95 {p95:.1f} ms "
            f"({rate:,.0f} runs/s; budget 1000 ms) {ok}")


def bench_event_simulation(n: int = 30) -> str:
    """Time the full event simulation of random scenarios (for comparison with the vectorised model)."""
    t = time.perf_counter()
    runs = sum(run_random(seed).runs["started"] for seed in range(n))
    elapsed = time.perf_counter() - t
    return f"ch02 event simulation: {runs / elapsed:,.0f} Enactor runs/s ({n} random scenarios in {elapsed:.2f} s)"


def bench_model_compute(n: int = 60) -> str:
    """Time the widget's model call alone (no drawing): what the shared rules and snapshots cost per move."""
    samples = []
    for i in range(n):
        c = time.process_time()
        experiment(slow_delay=0.25 * (i % 16), K=1 + i % 12)
        samples.append(time.process_time() - c)
    med, p95 = _stats(samples)
    return f"ch02 widget model call alone: CPU median {med:.2f} ms, p95 {p95:.2f} ms"


def bench_checker_replay() -> str:
    """Time replaying model-checker counterexamples in the simulator (the differential test's inner loop)."""
    from course_lib.enactor_model import enactor_model
    from course_lib.modelcheck import check_each

    found = [r for r in check_each(enactor_model(3, 5, 2, 2, (), symmetry=True)).values() if r.actions]
    t = time.perf_counter()
    for r in found:
        replay(r.actions, enactors=3, endpoints=2, K=2)
    elapsed = (time.perf_counter() - t) / max(len(found), 1)
    return f"ch02 replay of a checker counterexample: {elapsed * 1000:.2f} ms each ({len(found)} replayed)"


def run() -> list[str]:
    """Return the chapter's benchmark lines."""
    return [bench_replay(), png_baseline(), bench_redraw(), bench_model_compute(), bench_monte_carlo(),
            bench_event_simulation(), bench_checker_replay()]


if __name__ == "__main__":
    print("\n".join(run()))
