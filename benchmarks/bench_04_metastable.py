"""Chapter 4 speed: simulated requests per second of each model, the SimPy equivalent, and widget redraws.

    python benchmarks/bench_04_metastable.py            # everything
    python benchmarks/bench_04_metastable.py --storm    # only the retry-storm widget, overall and per policy

The SimPy model below is the event-per-request version of ``course_lib.metastable`` (same HotOS '21 set-up:
300 QPS FIFO server, 1 s client timeout, one retry, 10 s outage, queue limit 3,000): it is here only to
measure the speed ratio and to show that both give the same stuck state.  SimPy is a benchmark-only dependency.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from course_lib import dwfm, network_manager, nlb
from course_lib.experiments import ch04 as plots
from course_lib.metastable import simulate, simulate_batch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import png_baseline

LOAD, CAPACITY, TIMEOUT, HORIZON, OUTAGE = 280.0, 300.0, 1.0, 300.0, (10.0, 20.0)


def simpy_storm(load: float = LOAD, horizon: float = HORIZON, seed: int = 0) -> dict:
    """Run the retry storm with one SimPy process per request; return counts."""
    import simpy

    env = simpy.Environment()
    rng = np.random.default_rng(seed)
    queue: list = []
    counts = {"attempts": 0, "ok": 0, "timed_out": 0, "dropped": 0, "wasted": 0, "late_offered": 0}
    wake = [env.event()]

    def server():
        while True:
            while not queue:
                yield wake[0]
            if OUTAGE[0] <= env.now < OUTAGE[1]:
                yield env.timeout(OUTAGE[1] - env.now)
                continue
            reply = queue.pop(0)[0]
            yield env.timeout(1.0 / CAPACITY)
            if reply.triggered:  # the client already gave up: wasted work
                counts["wasted"] += 1
            else:
                reply.succeed()

    def attempt(tries_left: int):
        counts["attempts"] += 1
        if env.now >= horizon - 20:
            counts["late_offered"] += 1
        reply = env.event()
        if len(queue) >= CAPACITY * 10:
            counts["dropped"] += 1
            reply.succeed("dropped")
        else:
            queue.append((reply, env.now))
            if not wake[0].triggered:
                wake[0].succeed()
                wake[0] = env.event()
        result = yield reply | env.timeout(TIMEOUT)
        if reply in result and result[reply] != "dropped":
            counts["ok"] += 1
            return
        if reply not in result:
            counts["timed_out"] += 1
            reply.succeed("late")  # mark it so the server knows the client left
        if tries_left > 0:
            env.process(attempt(tries_left - 1))

    def clients():
        while True:
            yield env.timeout(rng.exponential(1.0 / load))
            env.process(attempt(1))

    env.process(server())
    env.process(clients())
    env.run(until=horizon)
    return counts


def _rate(fn, repeat: int = 3, warm: bool = True) -> tuple[float, int, float]:
    """Return (requests per second, requests, seconds) for the fastest of *repeat* runs after a warm-up."""
    if warm:
        fn()
    best, requests = float("inf"), 0
    for _ in range(repeat):
        start = time.perf_counter()
        requests = fn()
        best = min(best, time.perf_counter() - start)
    return requests / best, requests, best


def _redraw(exp, moves: list[dict]) -> str:
    """Return 'wall median X, p95 Y; CPU median X, p95 Y' over *moves* (CPU time is less disturbed by load)."""
    wall, cpu = [], []
    for values in moves:
        start, start_cpu = time.perf_counter(), time.process_time()
        exp.set(**values)
        wall.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
        assert exp.error is None, exp.error

    def med_p95(ms):
        ms = sorted(ms)
        return statistics.median(ms), ms[round(0.95 * (len(ms) - 1))]

    (w_med, w_p95), (c_med, c_p95) = med_p95(wall), med_p95(cpu)
    verdict = "OK" if c_med <= 45 and c_p95 <= 75 else "OVER the CPU target 45/75"
    return (f"wall median {w_med:.1f} ms, p95 {w_p95:.1f} ms (budget 60/100); CPU median {c_med:.1f} ms, "
            f"p95 {c_p95:.1f} ms (target 45/75) {verdict}; {len(moves)} moves")


def _empty_png_ms() -> float:
    """Return the median time to render an almost empty widget-sized figure (a machine-speed reference)."""
    from matplotlib.figure import Figure

    from course_lib.widgets import figure_png

    fig = Figure(figsize=(7.5, 2.6))
    fig.subplots().plot([0, 1], [0, 1])
    times = []
    for _ in range(15):
        start = time.perf_counter()
        figure_png(fig)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def storm_lines(moves_per_policy: int = 12) -> list[str]:
    """Return the retry-storm widget's run + redraw, the benchmark's mixed moves and then each policy alone."""
    from course_lib.mitigations import POLICIES

    rng = np.random.default_rng(1)
    storm = plots.storm_experiment()
    moves = [{"load": float(rng.choice([120, 200, 280])), "policy": str(rng.choice(["none", "LIFO", "retry budget"]))}
             for _ in range(30)]
    lines = [f"ch04 widget (retry storm, Run button) run + redraw: {_redraw(storm, moves)}"]
    loads = [120.0, 200.0, 280.0]
    for name in POLICIES:
        # every move is a fresh run: alternate the load so no two moves in a row ask for the same figure
        moves = [{"load": loads[k % 3], "policy": name} for k in range(moves_per_policy)]
        storm.set(load=280.0, policy="none" if name != "none" else "LIFO")
        lines.append(f"ch04 widget (retry storm) policy {name!r}: {_redraw(storm, moves)}")
    return lines


def run() -> list[str]:
    """Measure and return the result lines."""
    lines = [f"ch04 machine load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores "
             "(timings scale with it)"]
    single = _rate(lambda: int(simulate(LOAD).attempts.sum()))
    lines.append(f"ch04 retry storm, one run (280 QPS, 300 s): {single[0]:,.0f} simulated requests/s "
                 f"({single[1]:,} requests in {single[2]:.2f} s)")
    loads = np.linspace(40, 290, 400)
    batch = _rate(lambda: int(simulate_batch(loads).attempts.sum()))
    lines.append(f"ch04 retry storm, 400 scenarios vectorised: {batch[0]:,.0f} simulated requests/s "
                 f"({batch[1]:,} requests in {batch[2]:.2f} s)")
    counts = {}

    def simpy_run():
        counts.update(simpy_storm())
        return counts["attempts"]

    sp = _rate(simpy_run, repeat=1, warm=False)
    lines.append(f"ch04 SimPy equivalent (one process per request): {sp[0]:,.0f} requests/s "
                 f"({sp[1]:,} in {sp[2]:.2f} s); last 20 s offered {counts['late_offered'] / 20:.0f} QPS; "
                 f"speed ratio tick model / SimPy: {single[0] / sp[0]:.0f}x one run, {batch[0] / sp[0]:.0f}x batched")
    d = _rate(lambda: int(dwfm.simulate(actions=dwfm.mitigation_actions("none")).attempts.sum()))
    lines.append(f"ch04 DWFM, default night (no mitigation): {d[0]:,.0f} lease attempts/s ({d[2] * 1000:.0f} ms)")
    prop = network_manager.simulate(dwfm.simulate())
    n = _rate(lambda: int(nlb.simulate(prop, **plots.published_failover()).connections.sum()))
    lines.append(f"ch04 NLB, default morning: {n[0]:,.0f} connection attempts/s ({n[2] * 1000:.0f} ms)")
    lines.extend(storm_lines())
    rng = np.random.default_rng(1)
    for _ in range(30):  # replay the storm moves' draws (storm_lines has its own generator): later moves unchanged
        rng.choice([120, 200, 280]), rng.choice(["none", "LIFO", "retry budget"])
    lines.append(f"ch04 reference: an empty 7.5 x 2.6 in figure to PNG takes {_empty_png_ms():.0f} ms on this machine now "
                 "(redraws below include that cost)")
    lines.append(png_baseline())
    leases = plots.leases_experiment()
    moves = [{"throttle": int(rng.integers(10, 90)) * 200, "fleet": int(rng.integers(1, 21)) * 10_000,
              "lease_timeout": float(rng.integers(1, 31))} for _ in range(30)]
    lines.append(f"ch04 widget (DWFM leases) redraw: {_redraw(leases, moves)}")
    cap = plots.capacity_experiment()
    moves = [{"velocity_control": round(float(rng.uniform(0, 1)), 2),
              # positions the slider offers (its window is declared once, in network_manager.SPEC)
              "propagation_rate": float(rng.integers(150, 401))} for _ in range(30)]
    lines.append(f"ch04 widget (NLB capacity) redraw: {_redraw(cap, moves)}")
    return lines


if __name__ == "__main__":
    if "--storm" in sys.argv[1:]:
        print(f"ch04 machine load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        result = storm_lines()
    else:
        result = run()
    for line in result:
        print(line)
