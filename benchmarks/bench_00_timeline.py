"""Chapter 0: time-slider redraw (model + plot + PNG) measured headlessly."""

from __future__ import annotations

import os
import sys

import matplotlib

sys.path.insert(0, os.path.dirname(__file__))
matplotlib.use("Agg")

from common import redraw_line, time_calls

from course_lib.experiments.ch00 import time_slider


def run() -> list[str]:
    """Move the Chapter 0 time slider across its range and report redraw median/p95."""
    exp = time_slider()
    options = [m for _, m in exp.controls["minutes"].options]
    moves = options[::2] + options[1::2]

    def move(m):
        exp.controls["minutes"].value = m

    return [redraw_line("ch00 time slider redraw", time_calls(move, moves))]


if __name__ == "__main__":
    print("\n".join(run()))
