"""The learner-code runner's limits: nothing learner code does can outlast the time limit or break the kernel.

Every case runs in its own Python process with a hard timeout, so a case that fails cannot hang pytest.  The
learner code is written to a file in a temporary folder, as a notebook cell would be: it is learner code.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HARD_TIMEOUT = 30  # s for one case's process; a passing case takes about a second

PRELUDE = """
import json, os, signal, sys, threading, time
sys.path.insert(0, {root!r})
from course_lib.exercises import Exercise, Incorrect, learner_call, learner_function
out = {{}}

def calls_it(fn):
    learner_call(fn, 1)

def ex(check=calls_it, limit=0.5, **kw):
    return Exercise("qt", "answer", check, ["first hint", "second hint"], chapter="00", time_limit=limit, **kw)

def timed_verdict(exercise, answer):
    t0 = time.perf_counter()
    v = exercise.verdict(answer)
    return v, time.perf_counter() - t0

def still_usable():
    # no exception is left pending, the timer is off, plain code and sleeps run normally
    total = 0
    for i in range(200_000):
        total += i
    time.sleep(0.05)
    assert signal.getitimer(signal.ITIMER_REAL)[0] == 0 or out.get("own_timer")
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    v = ex().verdict(lambda x: x)
    return v.status == "correct" and total == 199_999 * 100_000
"""


def run_case(tmp_path: Path, body: str) -> dict:
    """Run *body* (learner code and checks) in a fresh process; return its ``out`` dict."""
    script = tmp_path / "learner_cell.py"
    script.write_text(PRELUDE.format(root=str(ROOT)) + textwrap.dedent(body)
                      + "\nprint('RESULT ' + json.dumps(out))\n", encoding="utf-8")
    try:
        proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                              timeout=HARD_TIMEOUT, cwd=tmp_path)
    except subprocess.TimeoutExpired:
        pytest.fail(f"the case did not finish within {HARD_TIMEOUT} s: learner code outlasted the limit")
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    assert lines, f"no result (exit {proc.returncode}):\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}"
    return json.loads(lines[-1][len("RESULT "):])


STOPPED = "ran for more than 0.5 s"

_SWALLOWERS = {
    "bare except around an endless loop": """
        def answer(x):
            while True:
                try:
                    while True:
                        pass
                except:
                    pass
    """,
    "except BaseException, nested twice": """
        def answer(x):
            while True:
                try:
                    try:
                        while True:
                            x += 1
                    except BaseException:
                        pass
                except BaseException:
                    continue
    """,
    "a swallowing loop calling a swallowing loop": """
        def inner():
            while True:
                try:
                    while True:
                        pass
                except:
                    pass

        def answer(x):
            while True:
                try:
                    inner()
                except:
                    pass
    """,
    "finally that loops again": """
        def answer(x):
            while True:
                try:
                    while True:
                        pass
                finally:
                    while True:
                        try:
                            time.sleep(0.001)
                        except:
                            pass
    """,
    "deep recursion that catches everything": """
        def answer(x, depth=0):
            try:
                return answer(x, depth + 1)
            except BaseException:
                return answer(x, depth + 1)
    """,
    "its own SIGALRM handler and timers": """
        def answer(x):
            signal.signal(signal.SIGALRM, signal.SIG_IGN)
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.alarm(0)
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
            import _signal
            _signal.signal(signal.SIGALRM, lambda s, f: None)
            while True:
                try:
                    signal.setitimer(signal.ITIMER_REAL, 100)
                    while True:
                        pass
                except:
                    pass
    """,
    "a context manager that suppresses everything": """
        import contextlib

        def answer(x):
            while True:
                with contextlib.suppress(BaseException):
                    while True:
                        pass
    """,
    "sleeping in a swallowing loop": """
        def answer(x):
            while True:
                try:
                    time.sleep(10)
                except:
                    pass
    """,
}
SWALLOWERS = {name: textwrap.dedent(code) for name, code in _SWALLOWERS.items()}


@pytest.mark.parametrize("name", sorted(SWALLOWERS))
def test_the_time_limit_stops_code_that_swallows_exceptions(tmp_path, name):
    """Whatever learner code catches, it is stopped soon after the limit, gets the verdict, and the kernel works."""
    out = run_case(tmp_path, SWALLOWERS[name] + """
v, seconds = timed_verdict(ex(), answer)
out.update(text=str(v), seconds=seconds, usable=still_usable())
""")
    assert STOPPED in out["text"], out["text"]
    assert out["seconds"] < 0.5 + 0.5, f"stopped only after {out['seconds']:.2f} s"
    assert out["usable"]


def test_bare_except_loop_stops_within_milliseconds_of_the_limit(tmp_path):
    """The bare-except loop is stopped within a few milliseconds of the deadline (measured, best of 5)."""
    out = run_case(tmp_path, SWALLOWERS["bare except around an endless loop"] + """
lags = []
for _ in range(5):
    v, seconds = timed_verdict(ex(limit=0.2), answer)
    lags.append(seconds - 0.2)
out.update(lags=lags)
""")
    assert min(out["lags"]) < 0.02 and max(out["lags"]) < 0.25, out["lags"]


def test_ctrl_c_interrupts_a_bare_except_loop_and_reaches_the_caller(tmp_path):
    """Ctrl-C during learner code that swallows everything still arrives, as KeyboardInterrupt, promptly."""
    out = run_case(tmp_path, SWALLOWERS["bare except around an endless loop"] + """
threading.Timer(0.3, lambda: os.kill(os.getpid(), signal.SIGINT)).start()
t0 = time.perf_counter()
try:
    ex(limit=20).verdict(answer)
    out["raised"] = None
except KeyboardInterrupt:
    out["raised"] = "KeyboardInterrupt"
out.update(seconds=time.perf_counter() - t0, usable=still_usable())
try:  # and Ctrl-C outside a check is the ordinary KeyboardInterrupt
    os.kill(os.getpid(), signal.SIGINT)
    time.sleep(1)
    out["after"] = None
except KeyboardInterrupt:
    out["after"] = "KeyboardInterrupt"
""")
    assert out["raised"] == "KeyboardInterrupt" and out["seconds"] < 2, out
    assert out["usable"] and out["after"] == "KeyboardInterrupt"


def test_sys_exit_gets_a_verdict(tmp_path):
    """sys.exit() in learner code is a verdict, not the end of the process."""
    out = run_case(tmp_path, """
def answer(x):
    sys.exit(3)
out.update(text=str(ex().verdict(answer)), usable=still_usable())
""")
    assert "sys.exit()" in out["text"] and "incorrect" in out["text"], out
    assert out["usable"]


def test_a_timer_the_learner_set_is_restored(tmp_path):
    """A learner's own ITIMER_REAL timer and SIGALRM handler survive a check, with the time they had left."""
    out = run_case(tmp_path, """
fired = []
signal.signal(signal.SIGALRM, lambda s, f: fired.append(time.perf_counter()))
signal.setitimer(signal.ITIMER_REAL, 3.0)
out["own_timer"] = True
t0 = time.perf_counter()
def answer(x):
    while True:
        try:
            pass
        except:
            pass
v = ex().verdict(answer)
left = signal.getitimer(signal.ITIMER_REAL)[0]
out.update(text=str(v), left=left, elapsed=time.perf_counter() - t0)
while not fired and time.perf_counter() - t0 < 6:
    time.sleep(0.01)
out["fired_after"] = fired[0] - t0 if fired else None
""")
    assert STOPPED in out["text"]
    assert abs(out["left"] - (3.0 - out["elapsed"])) < 0.1, out
    assert out["fired_after"] is not None and abs(out["fired_after"] - 3.0) < 0.2, out


def test_only_the_learners_calls_count(tmp_path):
    """A check whose own work is slow is not 'your loop never ends'; the learner's calls are summed."""
    out = run_case(tmp_path, """
def slow_check(fn):
    for _ in range(4):
        learner_call(fn, 1)
        time.sleep(0.3)  # the check's own work: 1.2 s in all, more than the 0.5 s limit

def quick(x):
    return x

def slowish(x):  # 0.15 s a call, 10 calls: 1.5 s of learner time
    time.sleep(0.15)

def ten_calls(fn):
    for _ in range(10):
        learner_call(fn, 1)

out.update(slow_check=str(ex(slow_check).verdict(quick)), summed=str(ex(ten_calls).verdict(slowish)))
""")
    assert "correct. Well done" in out["slow_check"], out
    assert STOPPED in out["summed"], out


def test_unwrapped_learner_code_is_bounded_by_the_check_limit(tmp_path):
    """Learner code a check calls directly (not through learner_call) is still stopped, by the check limit."""
    out = run_case(tmp_path, """
def direct(fn):
    fn(1)  # a check that forgot learner_call

def answer(x):
    while True:
        try:
            pass
        except:
            pass

def through_library(fn):
    sorted([3, 1, 2], key=learner_function(fn))

out.update(direct=str(ex(direct, check_limit=1.0).verdict(answer)),
           wrapped=str(ex(through_library).verdict(answer)), usable=still_usable())
""")
    assert "the check did not finish within 1 s" in out["direct"], out
    assert STOPPED in out["wrapped"], out
    assert out["usable"]


def test_a_generators_steps_count_as_learner_time(tmp_path):
    """A learner's generator returned through learner_call is driven under the limit, step by step."""
    out = run_case(tmp_path, """
def drive(make):
    gen = learner_call(make, 1)
    assert hasattr(gen, "send")
    answer = None
    for _ in range(3):
        answer = gen.send(answer)

def answer(x):
    yield 1
    yield 2
    while True:
        try:
            pass
        except:
            pass

def fine(x):
    while True:
        yield x

out.update(text=str(ex(drive).verdict(answer)), fine=str(ex(drive).verdict(fine)))
""")
    assert STOPPED in out["text"] and "Well done" in out["fine"], out


def test_errors_are_blamed_on_the_right_code(tmp_path):
    """The learner's own line; library code refusing what the learner passed; the check failing on the answer."""
    out = run_case(tmp_path, """
import numpy as np

def own(x):
    return x / 0

def passes_bad(x):
    return np.linspace(0, 1, num=-1)

import statistics  # a check that assumes numbers, failing inside library code

out.update(own=str(ex().verdict(own)), lib=str(ex().verdict(passes_bad)),
           check=str(ex(statistics.fmean).verdict("three")))
""")
    assert "your code raised ZeroDivisionError" in out["own"] and "return x / 0" in out["own"], out
    assert "numpy refused what your code passed it at line" in out["lib"] and "np.linspace(0, 1, num=-1)" in out["lib"], out
    assert "your answer made the check fail" in out["check"] and "'three'" in out["check"], out
