"""Chapter 6 speed: the whole-night replay, the what-if explorer's redraw, and one game-day turn.

    python benchmarks/bench_06_cascade.py

Targets: a cold replay (no cached stage) <= 50 ms; a widget redraw or a game-day turn including its redraw:
median <= 60 ms, p95 <= 100 ms.
"""

from __future__ import annotations

import itertools
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from course_lib import cascade

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import percentile, png_baseline, redraw_line, time_calls


def _cold(_):
    cascade.cache_clear()
    cascade.run()


def cpu_ms(fn, args) -> list[float]:
    """CPU time (this process) of each call in ms: less sensitive than wall time to other work on the machine."""
    out = []
    for a in args:
        t = time.process_time()
        fn(a)
        out.append((time.process_time() - t) * 1000)
    return out


def replay_line() -> str:
    cpu = cpu_ms(_cold, range(15))
    cold = time_calls(_cold, range(15))
    warm = time_calls(lambda _: cascade.run(), range(15))
    verdict = "OK" if statistics.median(cold) <= 50 else "OVER TARGET"
    return (f"whole-night replay: cold median {statistics.median(cold):.1f} ms, p95 {percentile(cold, 95):.1f} ms "
            f"(target 50) {verdict}; CPU median {statistics.median(cpu):.1f} ms; with cached stages median "
            f"{statistics.median(warm):.1f} ms")


def whatif_line() -> str:
    from course_lib.experiments.ch06 import whatif_experiment

    exp = whatif_experiment()
    keys = ["throttle_dwfm", "disable_nlb_failover", "dns_repair", "rpz_override", "relax_throttles"]
    moves = [{k: v} for k, v in itertools.product(keys, (-30, 30, 0))]
    moves += [{"velocity_control": True}, {"velocity_control": False}, {"chapter_2_fix": True},
              {"chapter_2_fix": False}]
    wall = time_calls(lambda kw: exp.set(**kw), moves)
    exp.set(**dict.fromkeys(keys, 0), velocity_control=False)
    cascade.cache_clear()
    cpu = cpu_ms(lambda kw: exp.set(**kw), moves)
    return (redraw_line("what-if explorer redraw", wall) +
            f"; CPU median {statistics.median(cpu):.1f} ms, p95 {percentile(cpu, 95):.1f} ms")


def gameday_line() -> str:
    try:
        from course_lib.experiments.ch06 import gameday_experiment
    except ImportError:
        return "game-day turn: not built"
    game = gameday_experiment(seed=0)
    # a night's first 20 turns: the wait for the page (23:52), the DNS work, the DWFM throttle and restarts
    # (each a new model run), then waits
    turns = ["wait 5 min", "split the call", "dig the record", "page the DynamoDB team", "stop automation", "repair the alias",
             "prepare rpz override", "apply rpz override", "throttle dwfm", "restart dwfm hosts"]
    turns += ["wait 15 min"] * (20 - len(turns))
    samples = []
    for _ in range(3):
        game.reset()
        samples += time_calls(game.turn, turns, warmup=0)
    game.reset()
    cascade.cache_clear()
    cpu = cpu_ms(game.turn, turns)
    return (redraw_line("game-day turn (model + redraw)", samples) +
            f"; CPU median {statistics.median(cpu):.1f} ms, p95 {percentile(cpu, 95):.1f} ms")


def run() -> list[str]:
    return [replay_line(), whatif_line(), gameday_line(), png_baseline()]


if __name__ == "__main__":
    print("\n".join(run()))
