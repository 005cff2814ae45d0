"""Timing helpers for the benchmarks: median and p95 of repeated calls, and one-line reports."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterable


def time_calls(fn: Callable[[object], object], args: Iterable, warmup: int = 2) -> list[float]:
    """Call fn(arg) for each arg (after *warmup* untimed calls) and return the durations in ms."""
    args = list(args)
    for a in args[:warmup]:
        fn(a)
    out = []
    for a in args:
        t = time.perf_counter()
        fn(a)
        out.append((time.perf_counter() - t) * 1000)
    return out


def percentile(values: list[float], q: float) -> float:
    """Return the q-th percentile (0–100) by nearest rank."""
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1))))
    return ordered[k]


def redraw_line(label: str, samples_ms: list[float], median_budget: float = 60, p95_budget: float = 100) -> str:
    """Return 'label: median X ms, p95 Y ms (budget ...) OK/OVER' for slider redraw samples."""
    med, p95 = statistics.median(samples_ms), percentile(samples_ms, 95)
    verdict = "OK" if med <= median_budget and p95 <= p95_budget else "OVER BUDGET"
    return (f"{label}: median {med:.1f} ms, p95 {p95:.1f} ms over {len(samples_ms)} moves "
            f"(budget {median_budget:g}/{p95_budget:g}) {verdict}")


def png_baseline(reps: int = 30) -> str:
    """Return a line with the cost of exporting a trivial 8x3 inch figure as PNG in this run (the noise floor)."""
    import statistics

    from matplotlib.figure import Figure

    from course_lib.widgets import figure_png

    fig = Figure(figsize=(8, 3))
    fig.add_subplot().plot([0, 1, 2], [1, 0, 1])
    samples = time_calls(lambda _: figure_png(fig), range(reps))
    return (f"reference: bare PNG export of a one-line plot, median {statistics.median(samples):.1f} ms, "
            f"p95 {percentile(samples, 95):.1f} ms (the floor every redraw pays on this machine now)")
