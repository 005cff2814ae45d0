"""Chapter 5 speed: the repair-time widget's redraw (model + plot + PNG), Monte Carlo failures per second, the console.

    python benchmarks/bench_05_automation.py
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("MPLBACKEND", "Agg")

from common import png_baseline, redraw_line, time_calls

from course_lib import skills
from course_lib.console import Console, alias_change
from course_lib.experiments.ch05 import repair_time_experiment
from course_lib.widgets import Experiment


def make_experiment() -> Experiment:
    """Build the notebook's widget: coverage x drills x half-life x automation age -> repair-time distribution."""
    return repair_time_experiment()


def years_per_second(years: int = 1_000_000, reps: int = 5) -> float:
    """Return the best simulated-years-per-second rate of simulate_repairs over *reps* runs."""
    best = float("inf")
    for seed in range(reps):
        t = time.perf_counter()
        skills.simulate_repairs(0.9, 4, 60, years=years, seed=seed)
        best = min(best, time.perf_counter() - t)
    return years / best


def cpu_line(exp, moves) -> str:
    """Return the CPU time per move (median, p95): less disturbed than wall time when the machine is loaded."""
    cpu = []
    for name, value in moves:
        start = time.process_time()
        exp.controls[name].value = value
        cpu.append((time.process_time() - start) * 1000)
        assert exp.error is None, exp.error
    cpu.sort()
    med, p95 = statistics.median(cpu), cpu[round(0.95 * (len(cpu) - 1))]
    verdict = "OK" if med <= 45 and p95 <= 75 else "OVER the CPU target 45/75"
    return f"ch05 repair-time widget redraw, CPU: median {med:.1f} ms, p95 {p95:.1f} ms (target 45/75) {verdict}"


def run() -> list[str]:
    """Move each slider of the widget (47 moves); time the Monte Carlo and a console repair."""
    exp = make_experiment()
    moves = [("coverage", c / 20) for c in range(0, 21, 2)] + [("drills_per_year", d) for d in range(0, 24, 2)]
    moves += [("half_life_days", float(h)) for h in range(20, 365, 28)]
    moves += [("automation_age_years", a / 2) for a in range(0, 21, 2)]

    def move(m):
        exp.controls[m[0]].value = m[1]

    lines = [f"ch05 machine load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores",
             redraw_line("ch05 repair-time widget redraw", time_calls(move, moves)), cpu_line(exp, moves[::-1]),
             png_baseline()]
    lines.append(f"ch05 skill-decay Monte Carlo: {years_per_second() / 1e6:.1f} million simulated failures/s "
                 "(1e6 failures per run, best of 5)")

    def repair(_):
        console = Console()
        console.stop_automation()
        alias = console.describe_alias()
        tree = next(t for t in console.trees() if t.name != alias.target)
        batch = [alias_change("DELETE", console.endpoint, alias.target),
                 alias_change("CREATE", console.endpoint, tree.name)]
        console.preview(batch)
        console.apply(batch)

    samples = sorted(time_calls(repair, range(30)))
    lines.append(f"ch05 console: full reference repair (incl. Chapter 2 published run) median "
                 f"{samples[len(samples) // 2]:.1f} ms")
    return lines


if __name__ == "__main__":
    print("\n".join(run()))
