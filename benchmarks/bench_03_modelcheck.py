"""Chapter 3 benchmarks: checker speed, exhaustive time, symmetry reduction, random runs to hit the race."""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import matplotlib

matplotlib.use("Agg")

from course_lib.enactor_model import (
    FIXES,
    PROPERTIES,
    chapter2_hypothesis_search,
    chapter2_random_search,
    enactor_model,
)
from course_lib.modelcheck import check, check_each, hypothesis_search, random_walks


def _timed(fn, repeat: int = 5) -> tuple[float, object]:
    """Return the median wall time of *fn* over *repeat* calls, and its last result."""
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def _p95(values: list[float]) -> float:
    return sorted(values)[max(0, round(0.95 * len(values)) - 1)]


def run() -> list[str]:
    """Measure and return one line per number."""
    lines = []
    secs, fixed = _timed(lambda: check(enactor_model(fixes=FIXES)))
    lines.append(f"ch03 exhaustive check, default fixed model (3 Enactors, 4 generations, 2 endpoints, K=2, "
                 f"3 safety properties + recoverability): {fixed.states:,} states, median {secs:.2f} s "
                 f"(budget 2 s) -> {fixed.states / secs:,.0f} states/s")
    secs, each = _timed(lambda: check_each(enactor_model()), repeat=3)
    states = each["record never empty"].states
    lines.append(f"ch03 exhaustive check_each, default buggy model: {states:,} states, median {secs:.2f} s "
                 f"-> {states / secs:,.0f} states/s")
    for n, g, k in ((3, 4, 2), (4, 3, 1)):
        full = check(enactor_model(n, g, 2, k, FIXES))
        sym = check(enactor_model(n, g, 2, k, FIXES, symmetry=True))
        lines.append(f"ch03 symmetry reduction, {n} Enactors / {g} generations / K={k}: {full.states:,} -> "
                     f"{sym.states:,} states ({full.states / sym.states:.1f}x), {full.seconds:.2f} s -> "
                     f"{sym.seconds:.2f} s")
    lines.extend(_random_lines())
    lines.append(_widget_line())
    return lines


def _random_lines() -> list[str]:
    """Runs each randomised method needs to hit 'record never empty', next to the exhaustive state count."""
    model = enactor_model(properties={"record never empty": PROPERTIES["record never empty"]})
    exhaustive = check(model)
    out = [f"ch03 exhaustive search to the empty record: {exhaustive.states:,} states, "
           f"{len(exhaustive.actions)}-step counterexample"]
    for label, switch in (("uniform random walks", 1.0), ("healthy random walks (switch 0.3)", 0.3),
                          ("healthy random walks (switch 0.1)", 0.1)):
        runs = [random_walks(model, seed=s, runs=200_000, switch=switch).runs for s in range(10)]
        out.append(f"ch03 {label}: runs to hit the race over 10 seeds: median {statistics.median(runs):,.0f}, "
                   f"max {max(runs):,}")
    out.append(f"ch03 {hypothesis_search(model, max_examples=2000, max_steps=20)}")
    out.append(f"ch03 {chapter2_random_search(runs=1000)} [Chapter 2 run_random]")
    out.append(f"ch03 {chapter2_hypothesis_search(max_examples=200)}")
    return out


def _widget_line() -> str:
    """Time the state-explosion widget's Run (model + draw + PNG) over 30 settings, for both models."""
    from course_lib.enactor_model import FIXES
    from course_lib.experiments.ch03 import explosion_experiment

    exp = explosion_experiment()
    parts = []
    for label, fixes in (("buggy model (default)", ()), ("fixed model", FIXES)):
        exp.controls["model"].value = fixes
        times = []
        for i in range(30):
            exp.controls["enactors"].value = 1 + i % 3
            exp.controls["generations"].value = 3 + i % 2
            t0 = time.perf_counter()
            exp.update()
            times.append(time.perf_counter() - t0)
        parts.append(f"{label} median {statistics.median(times) * 1000:.0f} ms, p95 {_p95(times) * 1000:.0f} ms")
    return (f"ch03 explosion widget Run (run_button=True, 1-3 Enactors): {'; '.join(parts)} "
            "(heavy experiment behind a Run button, not a slider)")


if __name__ == "__main__":
    for line in run():
        print(line, flush=True)
