"""Chapter 6 speed: the whole-night replay, the what-if explorer's redraw, and one game-day turn.

    python benchmarks/bench_06_cascade.py

Targets: a cold replay (no cached stage) <= 50 ms; a widget redraw or a game-day turn including its redraw:
median <= 60 ms, p95 <= 100 ms.
"""

from __future__ import annotations

import itertools
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from course_lib import cascade

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import percentile, png_baseline, redraw_line, time_calls


def _cold(_):
    cascade.cache_clear()
    cascade.run()


def replay_line() -> str:
    cold = time_calls(_cold, range(15))
    warm = time_calls(lambda _: cascade.run(), range(15))
    verdict = "OK" if statistics.median(cold) <= 50 else "OVER TARGET"
    return (f"whole-night replay: cold median {statistics.median(cold):.1f} ms, p95 {percentile(cold, 95):.1f} ms "
            f"(target 50) {verdict}; with cached stages median {statistics.median(warm):.1f} ms")


def whatif_line() -> str:
    from course_lib.experiments.ch06 import whatif_experiment

    exp = whatif_experiment()
    keys = ["throttle_dwfm", "disable_nlb_failover", "dns_repair", "rpz_override", "relax_throttles"]
    moves = [{k: v} for k, v in itertools.product(keys, (-30, 30, 0))]
    moves += [{"velocity_control": True}, {"velocity_control": False}]
    return redraw_line("what-if explorer redraw", time_calls(lambda kw: exp.set(**kw), moves))


def gameday_line() -> str:
    try:
        from course_lib.experiments.ch06 import gameday_experiment
    except ImportError:
        return "game-day turn: not built"
    game = gameday_experiment(seed=0)
    samples = []
    for _ in range(3):
        game.reset()
        samples += time_calls(lambda _: game.turn(("wait",)), range(20), warmup=0)
    return redraw_line("game-day turn (model + redraw)", samples)


def run() -> list[str]:
    return [replay_line(), whatif_line(), gameday_line(), png_baseline()]


if __name__ == "__main__":
    print("\n".join(run()))
