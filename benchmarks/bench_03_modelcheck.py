"""Chapter 3 benchmarks: checker speed, exhaustive time, symmetry reduction, random runs to hit the race.

    .venv/bin/python benchmarks/bench_03_modelcheck.py                 # every section
    .venv/bin/python benchmarks/bench_03_modelcheck.py --only speed widget   # only these sections

Run it at a quiet moment: the first line gives the load average, and CPU time is reported beside wall time.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import time
from collections import deque
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import matplotlib

matplotlib.use("Agg")

from course_lib.enactor_model import (
    FIXES,
    PROPERTIES,
    SPEC,
    chapter2_hypothesis_search,
    chapter2_random_search,
    clear_tables,
    enactor_model,
    state_explosion,
)
from course_lib.modelcheck import check, check_each, explore, hypothesis_search, random_walks


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


def minimal_bfs(model) -> int:
    """The plainest breadth-first search over the same successor function: a set, a queue, nothing else."""
    seen, queue, successors = {model.initial}, deque([model.initial]), model.successors
    while queue:
        for _, nxt in successors(queue.popleft()):
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return len(seen)


def _cpu_and_wall(fn, repeat: int = 5, cold: bool = False) -> tuple[float, float, object]:
    """Return the median CPU time, the median wall time of *fn* and its last result.

    With *cold*, the Enactor model's memoised tables (moves, snapshots, goals) are dropped before every call, so each one
    computes every move from the readable rules again (the first search of a session); otherwise the
    tables are already built (a widget's second Run, or any later search with the same rules).
    """
    cpu, wall, result = [], [], None
    for _ in range(repeat):
        if cold:
            clear_tables()
        c, w = time.process_time(), time.perf_counter()
        result = fn()
        cpu.append(time.process_time() - c)
        wall.append(time.perf_counter() - w)
    return statistics.median(cpu), statistics.median(wall), result


def _speed_lines() -> list[str]:
    """States/s of the course's checker and of a minimal BFS over the same successor function, same run."""
    out = []
    for label, cold in (("tables built", False), ("cold start, tables dropped before each run", True)):
        # warm first: one untimed search builds the tables the warm rows reuse
        check_each(enactor_model())
        cpu, wall, each = _cpu_and_wall(lambda: check_each(enactor_model()), repeat=7, cold=cold)
        n = each["record never empty"].states
        bare_cpu, bare_wall, _ = _cpu_and_wall(lambda: explore(enactor_model(properties={})), repeat=7, cold=cold)
        min_cpu, min_wall, m = _cpu_and_wall(lambda: minimal_bfs(enactor_model(properties={})), repeat=7,
                                             cold=cold)
        assert m == n
        out.append(f"ch03 checker speed ({label}), default buggy race model (3 Enactors, 4 generations, "
                   f"2 endpoints, K=2, {n:,} states): explore {n / bare_cpu:,.0f} states/s CPU "
                   f"({n / bare_wall:,.0f} wall); check_each (3 safety properties + recoverability, full space) "
                   f"{n / cpu:,.0f} states/s CPU ({n / wall:,.0f} wall); minimal BFS over the same successors "
                   f"{n / min_cpu:,.0f} states/s CPU ({n / min_wall:,.0f} wall); explore / minimal = "
                   f"{min_cpu / bare_cpu:.2f}, check_each / minimal = {min_cpu / cpu:.2f} (target >= 300,000 states/s)")
    big = replace(enactor_model(4, 4, 2, 2, properties={}), goal=None)  # the explosion widget's forward move
    check(big)
    cpu, wall, r = _cpu_and_wall(lambda: check(big), repeat=3)
    min_cpu, _, m = _cpu_and_wall(lambda: minimal_bfs(big), repeat=3)
    assert m == r.states
    out.append(f"ch03 checker speed, 4 Enactors / 4 generations / 2 endpoints / K=2 (buggy, {r.states:,} states, "
               f"tables built): check {r.states / cpu:,.0f} states/s CPU ({r.states / wall:,.0f} wall), "
               f"minimal BFS {r.states / min_cpu:,.0f} states/s CPU, ratio {min_cpu / cpu:.2f}")
    return out


def _widget_largest_line() -> str:
    """Time the widget's largest configuration, every row exhaustive (no budget hit)."""
    from course_lib.plots.modelcheck import BUDGET

    largest = {name: SPEC[name].window[1] for name in ("enactors", "generations", "endpoints")}
    args = (largest["enactors"], largest["generations"], largest["endpoints"], SPEC["K"].window[0])
    cpu, wall, rows = _cpu_and_wall(lambda: state_explosion(*args, max_states=BUDGET, fixes=()), repeat=3)
    assert not any(r["bounded"] for r in rows)
    return (f"ch03 widget's largest configuration (buggy, {args[0]} Enactors, {args[1]} generations, {args[2]} "
            f"endpoints, K={args[3]}; 1..{args[0]} Enactors with and without symmetry): exhaustive, "
            f"{rows[-1]['states']:,} states at the top size, median {cpu:.2f} s CPU, {wall:.2f} s wall (target 3 s)")


def _spin_lines() -> list[str]:
    """Spin on the same generated model, when installed: its states/s, and the cross-check's time."""
    from course_lib import promela

    missing = promela.spin_missing()
    if missing:
        return [f"ch03 Spin: not measured ({missing})"]
    r = promela.verify(3, 4, 2, 2, (), properties=())
    big = promela.verify(4, 4, 2, 1, (), properties=(), max_memory_mb=1024)
    pan = re.search(r"rate\s+([0-9.e+]+) states/second", big.output)
    pan_rate = f", pan alone {float(pan.group(1)):,.0f} states/s" if pan else ""
    t0 = time.perf_counter()
    promela.verify(3, 4, 2, 2, FIXES)
    cross = time.perf_counter() - t0
    return [f"ch03 Spin 6.5 (BFS, no partial-order reduction): default buggy model {r.states:,} states in "
            f"{r.seconds:.2f} s including spin -a and gcc; 4 Enactors/4 generations/2 endpoints/K=1 "
            f"{big.states:,} states in {big.seconds:.2f} s{pan_rate}",
            f"ch03 Spin cross-check of one configuration (generate, compile, verify 4 properties): {cross:.2f} s"]


def _exhaustive_lines() -> list[str]:
    """The default fixed model's exhaustive check, and what symmetry reduction saves."""
    lines = []
    secs, fixed = _timed(lambda: check(enactor_model(fixes=FIXES)))
    lines.append(f"ch03 exhaustive check, default fixed model (3 Enactors, 4 generations, 2 endpoints, K=2, "
                 f"3 safety properties + recoverability): {fixed.states:,} states, median {secs:.3f} s "
                 f"(budget 2 s) -> {fixed.states / secs:,.0f} states/s")
    for n, g, k in ((3, 4, 2), (4, 3, 1)):
        full = check(enactor_model(n, g, 2, k, FIXES))
        sym = check(enactor_model(n, g, 2, k, FIXES, symmetry=True))
        lines.append(f"ch03 symmetry reduction, {n} Enactors / {g} generations / K={k}: {full.states:,} -> "
                     f"{sym.states:,} states ({full.states / sym.states:.1f}x), {full.seconds:.3f} s -> "
                     f"{sym.seconds:.3f} s")
    return lines


SECTIONS = {
    "speed": _speed_lines,
    "exhaustive": _exhaustive_lines,
    "widget": lambda: [_widget_largest_line(), _widget_line()],
    "spin": lambda: _spin_lines(),
    "random": lambda: _random_lines(),
}


def run(only: tuple[str, ...] = ()) -> list[str]:
    """Measure and return one line per number (only the sections named in *only*, if given)."""
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    lines = [f"ch03 load average before measuring (1, 5, 15 min): {load} on {os.cpu_count()} cores"]
    for name, section in SECTIONS.items():
        if not only or name in only:
            lines.extend(section())
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
    """Time the state-explosion widget's Run (model + draw + PNG) at the default sizes, for both models."""
    from course_lib.experiments.ch03 import explosion_experiment

    exp = explosion_experiment()
    parts = []
    for label, fixes in (("buggy model (default)", ()), ("fixed model", FIXES)):
        exp.controls["model"].value = fixes
        times, cpu = [], []
        for _ in range(30):
            t0, c0 = time.perf_counter(), time.process_time()
            exp.update()
            times.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
        parts.append(f"{label} median {statistics.median(times) * 1000:.0f} ms, p95 {_p95(times) * 1000:.0f} ms "
                     f"wall (CPU median {statistics.median(cpu) * 1000:.0f} ms, p95 {_p95(cpu) * 1000:.0f} ms)")
    return (f"ch03 explosion widget Run at the default sizes (3 Enactors, 4 generations, 2 endpoints, K=2; "
            f"run_button=True): {'; '.join(parts)} (target median <= 150 ms, p95 <= 300 ms)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=sorted(SECTIONS), default=(),
                        help="measure only these sections (default: all)")
    for line in run(tuple(parser.parse_args().only)):
        print(line, flush=True)
