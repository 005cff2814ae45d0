"""Chapter 2 speed: published replay, widget redraw (model + timeline + PNG), Monte Carlo Enactor runs."""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("MPLBACKEND", "Agg")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from course_lib.dns_race import experiment, pes_steps, run_published, run_random, summarize
from course_lib.dns_race_montecarlo import race_probability
from course_lib.plots.dns_race import draw_race, race_axes, step_labels
from course_lib.widgets import Experiment, float_slider, int_slider, toggle

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import png_baseline


def _stats(samples: list[float]) -> tuple[float, float]:
    ms = sorted(s * 1000 for s in samples)
    return statistics.median(ms), ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]


def _experiment() -> Experiment:
    def draw(fig, result):
        draw_race(race_axes(fig), result, highlight=step_labels(pes_steps(result)))

    return Experiment(
        controls=dict(slow_delay=float_slider("slow delay", 1.5, 0.0, 4.0, 0.25),
                      lock_losses=int_slider("lock losses", 2, 0, 6),
                      period=float_slider("period", 1.0, 0.0, 3.0, 0.25), K=int_slider("K", 5, 1, 12),
                      n_endpoints=int_slider("endpoints", 3, 1, 3),
                      endpoint_time=float_slider("per-endpoint time", 0.1, 0.05, 0.5, 0.05),
                      recheck_at_write=toggle("fix 1"), protect_active=toggle("fix 2"),
                      freeze_on_inconsistency=toggle("fix 3")),
        compute=experiment, draw=draw, summary=summarize, figsize=(8.5, 4.6), strict=True,
        run_button=True)


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
    samples = []
    for i in range(moves):
        t = time.perf_counter()
        exp.set(**values[i % len(values)])
        samples.append(time.perf_counter() - t)
    med, p95 = _stats(samples)
    ok = "ok" if med <= 60 and p95 <= 100 else "over the live-slider budget: the widget uses a Run button"
    return (f"ch02 widget replay + timeline redraw ({moves} moves): median {med:.1f} ms, p95 {p95:.1f} ms "
            f"(budget 60/100) {ok}")


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


def run() -> list[str]:
    """Return the chapter's benchmark lines."""
    return [bench_replay(), bench_redraw(), png_baseline(), bench_monte_carlo(), bench_event_simulation()]


if __name__ == "__main__":
    print("\n".join(run()))
