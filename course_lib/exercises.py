"""Exercises in the learntools style: ``q1.check()``, ``q1.hint()``, ``q1.hint(2)``, ``q1.solution()``.

A check function receives the learner's answer and either returns normally (correct) or raises
:class:`Incorrect` with a plain-words message, the failing case and, for concurrency exercises, the
interleaving drawn as a timeline.  The :class:`Exercise` wrapper turns everything else into a verdict
too: an untouched stub is "not attempted", an exception in learner code names the exception and the
line, an exception the answer provokes inside the check names the answer, and a runaway loop is stopped
by a time limit.  Nothing here shows a traceback wall.

The time limit
--------------
Only the learner's own calls count: a check calls learner code through :func:`learner_call` (or passes
``learner_function(fn)`` to library code that calls it), and the time spent inside those calls is summed
against ``Exercise.time_limit``.  The check's own work (Hypothesis searches, model checking) is not counted;
a second, generous limit (``check_limit``) bounds the whole check so that learner code the check forgot to
wrap cannot hang the kernel either.

When the limit is reached a SIGALRM handler (main thread, POSIX) raises the time-limit exception and keeps
the signal *pending*, so the exception is raised again at every point where Python checks for signals (each
loop iteration, each call) until the learner call returns to :func:`learner_call`.  A bare ``except:`` or
``except BaseException:`` therefore cannot swallow it: the handler's ``pass`` ends in the loop's jump back,
where it is raised again, outside the ``try``.  The ``signal`` functions that could disarm the limit
(``signal.signal`` for SIGALRM/SIGINT, ``setitimer``/``alarm`` for ITIMER_REAL, ``pthread_sigmask``) are
guarded while the check runs: learner code that calls them changes nothing.  The handler and timer that were
in place before (a timer the learner set in an earlier cell, say) are restored afterwards, the timer with its
remaining time.  Ctrl-C during learner code is raised the same way, so it interrupts even a bare-except loop,
and reaches the caller as KeyboardInterrupt.  Before the deadline there is no tracing and no per-line cost:
a learner call costs two clock reads.  Code that never returns to the interpreter (a single enormous C-level
operation such as ``10 ** 10 ** 9``) cannot be interrupted by any signal and is not covered.
"""

from __future__ import annotations

import _signal
import _thread
import html
import json
import math
import numbers
import os
import signal
import sys
import sysconfig
import threading
import time
import traceback
import types
from collections.abc import Callable
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

__all__ = [
    "Exercise",
    "Incorrect",
    "LearnerError",
    "NotAttempted",
    "Verdict",
    "assert_check_failed",
    "assert_check_passed",
    "assert_check_unattempted",
    "expect_type",
    "learner_call",
    "learner_function",
]

CORRECT, INCORRECT, NOT_ATTEMPTED = "correct", "incorrect", "not attempted"
STATUSES = (CORRECT, INCORRECT, NOT_ATTEMPTED)
_COLOURS = {CORRECT: "#007a4d", INCORRECT: "#b3261e", NOT_ATTEMPTED: "#6b5b00"}
_ICONS = {CORRECT: "✔", INCORRECT: "✘", NOT_ATTEMPTED: "…"}
SOLUTIONS_DIR = Path(__file__).resolve().parent.parent / "solutions"
NOTHING_RETURNED = "returned nothing — did you forget `return`?"


class Incorrect(Exception):
    """Raised by a check: the answer is wrong, for the reason in *message*."""

    def __init__(self, message: str, case: str = "", timeline: str = ""):
        super().__init__(message)
        self.message, self.case, self.timeline = message, case, timeline


class NotAttempted(Exception):
    """Raised by a check when the answer is still the starter stub."""


class _TimeLimit(BaseException):
    """Raised inside learner code when it runs past the exercise's time limit."""


class _Interrupted(BaseException):
    """Ctrl-C arrived during learner code; re-raised as KeyboardInterrupt at the learner-call boundary."""


@dataclass(frozen=True)
class Verdict:
    """The outcome of one check: status, a message in plain words, and optional case and timeline.

    ``check_error`` is set when the answer made the check itself fail (an exception outside learner code):
    the learner sees a verdict, tests and authors can still find the exception.
    """

    exercise: str
    status: str
    message: str
    case: str = ""
    timeline: str = ""
    check_error: BaseException | None = field(default=None, compare=False, repr=False)

    @property
    def passed(self) -> bool:
        return self.status == CORRECT

    def __str__(self) -> str:
        parts = [f"{_ICONS[self.status]} {self.exercise}: {self.status}. {self.message}".rstrip()]
        if self.case:
            parts.append(f"Failing case: {self.case}")
        if self.timeline:
            parts.append(self.timeline)
        return "\n".join(parts)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        colour = _COLOURS[self.status]
        body = f"<b>{_ICONS[self.status]} {html.escape(self.exercise)}: {self.status}.</b> {html.escape(self.message)}"
        if self.case:
            body += f"<br><b>Failing case:</b> {html.escape(self.case)}"
        if self.timeline:
            body += f"<pre style='margin:4px 0 0 0'>{html.escape(self.timeline)}</pre>"
        return f"<div style='border-left:4px solid {colour};padding:4px 8px;color:{colour}'>{body}</div>"


# --- verdict typing ------------------------------------------------------------------------------------

_PLAIN_TYPE_NAMES = {"Real": "a number", "Integral": "a whole number", "bool_": "True or False",
                     "bool": "True or False", "str": "a string", "list": "a list", "tuple": "a tuple",
                     "dict": "a dict", "set": "a set", "frozenset": "a set", "int": "a whole number",
                     "float": "a number", "integer": "a whole number", "floating": "a number",
                     "Mapping": "a dict", "function": "a function", "Complex": "a number",
                     "Number": "a number", "ndarray": "a numpy array"}


def _type_names(types) -> str:
    types = types if isinstance(types, tuple) else (types,)
    names = [_PLAIN_TYPE_NAMES.get(t.__name__, t.__name__) for t in types]
    return " or ".join(dict.fromkeys(names))


def _short(value, width: int = 60) -> str:
    """repr(value) cut to *width* characters; never raises (a hostile __repr__ gets its type name)."""
    try:
        text = repr(value)
    except Exception:
        text = f"<{type(value).__name__} object>"
    return text if len(text) <= width else text[: width - 1] + "…"


def _describe(value) -> str:
    """Say what *value* is in plain words, e.g. 'a string ('abc')' or 'a generator'."""
    if value is None:
        return "None"
    if isinstance(value, (bool, np.bool_)):
        return f"{bool(value)} (True or False)"
    kind = type(value)
    if kind.__name__ == "generator":
        return "a generator (use a list, or list(...) around it)"
    name = _PLAIN_TYPE_NAMES.get(kind.__name__, kind.__name__)
    return f"{name} ({_short(value)})"


def expect_type(value, types, what: str, *, sequence: bool = False, allow_bool: bool | None = None):
    """Raise Incorrect unless *value* has one of *types*; *what* names the value for the learner.

    Numpy scalars count as the Python type they stand for (``np.int64(17)`` is an int, ``np.float64`` a
    float, ``np.True_`` a bool), an int counts as a float, and bools are refused where only numbers are
    wanted (pass ``allow_bool=True`` to accept them).  With ``sequence=True`` a tuple is accepted where a list
    is asked for and a list where a tuple is, as long as the meaning is the same.  ``None`` is always named as
    "returned nothing — did you forget `return`?".  Returns the value normalised to the Python type
    (numpy scalar -> int/float/bool, the sequence as a list when ``list`` is among *types*).
    """
    wanted = types if isinstance(types, tuple) else (types,)
    if value is None and type(None) not in wanted:
        raise Incorrect(f"{what} is None: your code {NOTHING_RETURNED}")
    wants_bool = any(t in (bool, np.bool_) for t in wanted)
    wants_int = any(isinstance(t, type) and t is not bool and issubclass(t, (int, np.integer))
                    for t in wanted) or numbers.Integral in wanted
    wants_real = any(t in (float, numbers.Real, numbers.Number, numbers.Complex, np.floating) for t in wanted)
    if isinstance(value, (bool, np.bool_)):
        if wants_bool:
            return bool(value)
        if allow_bool and (wants_int or wants_real):
            return int(value)
        if wants_int or wants_real:
            raise Incorrect(f"{what} should be {_type_names(types)}, but it is {bool(value)} (True or False).")
    elif isinstance(value, (numbers.Integral, np.integer)) and (wants_int or wants_real):
        return int(value)
    elif isinstance(value, (numbers.Real, np.floating)) and wants_real and not isinstance(value, complex):
        return float(value)
    if sequence and isinstance(value, (list, tuple)) and (list in wanted or tuple in wanted):
        return list(value) if list in wanted else tuple(value)
    if not isinstance(value, wanted):
        raise Incorrect(f"{what} should be {_type_names(types)}, but it is {_describe(value)}.")
    return value


# --- which code is the learner's -------------------------------------------------------------------------

def _library_roots() -> tuple[str, ...]:
    roots = {str(Path(__file__).resolve().parent)}
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        with suppress(KeyError, OSError):
            roots.add(str(Path(sysconfig.get_paths()[key]).resolve()))
    for base in {sys.prefix, sys.base_prefix, sys.exec_prefix}:
        roots.add(str(Path(base).resolve() / "lib"))
    return tuple(sorted(roots))


_LIBRARY_ROOTS = _library_roots()
_FILE_KIND: dict[str, bool] = {}


def _is_learner_file(filename: str) -> bool:
    """True for code the learner wrote: a notebook cell (ipykernel), or any file outside the library.

    Library code is course_lib, the standard library, installed packages (numpy, Hypothesis), frozen modules
    and generated code such as dataclass methods (filename ``<string>``).
    """
    known = _FILE_KIND.get(filename)
    if known is not None:
        return known
    if filename.startswith("<ipython-input") or "ipykernel_" in filename:
        verdict = True
    elif filename.startswith("<") or not filename:
        verdict = False
    else:
        try:
            resolved = str(Path(filename).resolve())
        except (OSError, RuntimeError):
            resolved = filename
        verdict = not any(resolved == root or resolved.startswith(root + os.sep) for root in _LIBRARY_ROOTS)
    _FILE_KIND[filename] = verdict
    return verdict


def _frames(tb) -> list:
    try:
        return list(traceback.extract_tb(tb))
    except Exception:
        return []


def _where(frame) -> str:
    return f"line {frame.lineno}: {frame.line}" if frame.line else f"line {frame.lineno}"


def _origin(filename: str) -> str:
    """Name the library a frame belongs to, in a word: course_lib, numpy, hypothesis, Python."""
    if filename.startswith("<"):
        return "code generated by Python (a dataclass or namedtuple method)"
    parts = Path(filename).parts
    if "course_lib" in parts:
        return "course_lib"
    for marker in ("site-packages", "dist-packages"):
        if marker in parts:
            i = parts.index(marker)
            if i + 1 < len(parts):
                return parts[i + 1].removesuffix(".py")
    return "Python's standard library"


class LearnerError(Exception):
    """Learner code raised: carries the exception and the line of learner code where it happened.

    ``inside`` names the library the exception was raised in, when the learner's line called library code
    (course_lib, numpy, ...) with something it refused; it is empty when the learner's own line raised.
    """

    def __init__(self, exc: BaseException, where: str, inside: str = ""):
        super().__init__(f"{type(exc).__name__}: {exc}")
        self.exc, self.where, self.inside = exc, where, inside

    def words(self) -> str:
        """The exception in plain words, with the learner's line."""
        text = _exc_text(self.exc)
        if self.inside == "call":
            return (f"your function could not be called the way the exercise calls it ({text}): check its "
                    "parameters against the question.")
        if self.inside:
            return f"{self.inside} refused what your code passed it at {self.where} — {text}."
        where = f" at {self.where}" if self.where else ""
        return f"your code raised {text}{where}."


def _exc_text(exc: BaseException) -> str:
    try:
        message = str(exc)
    except Exception:
        message = ""
    if len(message) > 300:
        message = message[:299] + "…"
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


def _learner_error(exc: BaseException) -> LearnerError | None:
    """A LearnerError for *exc* if a learner frame is on its traceback, else None (the check's own failure)."""
    frames = _frames(exc.__traceback__)
    mine = [f for f in frames if _is_learner_file(f.filename)]
    if not mine:
        return None
    last = mine[-1]
    if frames and frames[-1] is last:
        return LearnerError(exc, _where(last))
    return LearnerError(exc, _where(last), inside=_origin(frames[-1].filename))


def _learner_frame(tb) -> str | None:
    """Return 'line N: source' for the innermost frame of learner code, or None if there is none."""
    mine = [f for f in _frames(tb) if _is_learner_file(f.filename)]
    return _where(mine[-1]) if mine else None


# --- the time limit ------------------------------------------------------------------------------------

_USABLE = hasattr(signal, "setitimer") and hasattr(signal, "SIGALRM") and hasattr(_thread, "interrupt_main")
# The C functions themselves (signal.signal is a Python wrapper that looks up _signal.signal when called).
_ORIGINAL = {name: getattr(_signal, name) for name in ("signal", "setitimer", "alarm", "pthread_sigmask",
                                                         "siginterrupt") if hasattr(_signal, name)}
_PENDING = (getattr(signal, "SIGALRM", 14), None)  # the None makes interrupt_main raise TypeError: see _on_alarm
_FLOOD_RETRY = 0.005  # s: while stopping, the kernel re-sends SIGALRM this often as a backstop


class _Budget:
    """The learner's time for one verdict: seconds used, the current learner call, the stop state."""

    __slots__ = ("check_limit", "depth", "entered", "exc", "generators", "last", "limit", "reason", "started",
                 "state", "used")

    def __init__(self, limit: float, check_limit: float):
        self.limit, self.check_limit = limit, check_limit
        self.used, self.entered, self.depth = 0.0, 0.0, 0
        self.started = time.perf_counter()
        self.state = "armed"  # "armed" -> "stopping" (the exception is kept pending) -> "off"
        self.reason = ""  # "learner", "check" or "interrupt"
        self.exc: BaseException = _TimeLimit()
        self.last = _NO_RETURN  # what the learner's last call returned, to name it if the check then fails
        self.generators: list = []  # the learner's generators, closed before the guard ends (see _close_generators)

    def learner_seconds(self) -> float:
        return self.used + (time.perf_counter() - self.entered if self.depth else 0.0)


_BUDGET: _Budget | None = None
_NO_RETURN = object()


def _on_alarm(signum, frame):
    """SIGALRM: at the deadline start stopping; while stopping, raise again and keep the signal pending."""
    b = _BUDGET
    if b is None or b.state == "off":
        return
    if b.state == "armed":
        now = time.perf_counter()
        used = b.used + (now - b.entered if b.depth else 0.0)
        if b.depth and used >= b.limit:
            b.reason, b.exc = "learner", _TimeLimit()
        elif now - b.started >= b.check_limit:
            b.reason, b.exc = "check", _TimeLimit()
        else:
            left = b.check_limit - (now - b.started)
            if b.depth or used < b.limit:  # the learner's deadline can come first only if time is left
                left = min(left, b.limit - used)
            _ORIGINAL["setitimer"](signal.ITIMER_REAL, max(left, 1e-4), _FLOOD_RETRY)
            return
        b.state = "stopping"
    exc = b.exc
    try:
        # interrupt_main(SIGALRM) marks the signal pending again; the second call (None) raises TypeError, so
        # the interpreter goes straight to the except clause without first checking for signals, which would
        # run this handler again inside itself.
        list(map(_thread.interrupt_main, _PENDING))
    except TypeError:
        exc.__traceback__ = None
        raise exc from None


def _on_sigint(signum, frame):
    """Ctrl-C: inside learner code stop it like a time limit (nothing can swallow it); elsewhere as usual."""
    b = _BUDGET
    if b is not None and b.depth and b.state == "armed":
        b.state, b.reason, b.exc = "stopping", "interrupt", _Interrupted()
        _on_alarm(signal.SIGALRM, frame)
    raise KeyboardInterrupt


def _guarded_signal(signalnum, handler):
    if signalnum in (signal.SIGALRM, signal.SIGINT):
        return _GUARD.get(signalnum, signal.SIG_DFL)
    return _ORIGINAL["signal"](int(signalnum), _raw(handler))


def _guarded_setitimer(which, seconds, interval=0.0):
    if which == signal.ITIMER_REAL:
        return (0.0, 0.0)
    return _ORIGINAL["setitimer"](which, seconds, interval)


def _guarded_alarm(seconds):
    return 0


def _guarded_sigmask(how, mask):
    mask = {s for s in mask if s not in (signal.SIGALRM, signal.SIGINT)}
    return _ORIGINAL["pthread_sigmask"](how, mask)


def _guarded_siginterrupt(signalnum, flag):
    if signalnum in (signal.SIGALRM, signal.SIGINT):
        return None
    return _ORIGINAL["siginterrupt"](signalnum, flag)


_GUARDS = {"signal": _guarded_signal, "setitimer": _guarded_setitimer, "alarm": _guarded_alarm,
           "pthread_sigmask": _guarded_sigmask, "siginterrupt": _guarded_siginterrupt}
_GUARD: dict = {}  # what learner code sees as "the current handler" while the guard is on


@contextmanager
def _learner_time(limit: float, check_limit: float):
    """Arm the learner's time budget for one verdict (main thread on POSIX only; elsewhere no limit)."""
    global _BUDGET
    usable = _USABLE and threading.current_thread() is threading.main_thread() and _BUDGET is None
    if not usable or not limit > 0:
        yield None
        return
    started = time.perf_counter()
    old_alarm = signal.getsignal(signal.SIGALRM)
    old_int = signal.getsignal(signal.SIGINT)
    old_timer = signal.getitimer(signal.ITIMER_REAL)
    budget = _Budget(limit, max(check_limit, limit))
    _BUDGET = budget
    _GUARD.clear()
    _GUARD.update({signal.SIGALRM: old_alarm, signal.SIGINT: old_int})
    _ORIGINAL["signal"](int(signal.SIGALRM), _on_alarm)
    if old_int is signal.default_int_handler:  # Ctrl-C means KeyboardInterrupt here: make it unswallowable
        _ORIGINAL["signal"](int(signal.SIGINT), _on_sigint)
    patched = []
    for module in (signal, _signal):
        for name, guard in _GUARDS.items():
            if name in _ORIGINAL and hasattr(module, name):
                patched.append((module, name, getattr(module, name)))
                setattr(module, name, guard)
    _ORIGINAL["setitimer"](signal.ITIMER_REAL, min(limit, budget.check_limit), _FLOOD_RETRY)
    try:
        yield budget
    finally:
        budget.state = "off"
        _close_generators(budget)
        _ORIGINAL["setitimer"](signal.ITIMER_REAL, 0)
        for module, name, fn in patched:
            setattr(module, name, fn)
        _BUDGET = None
        _ORIGINAL["signal"](signal.SIGALRM, _raw(old_alarm))
        if signal.getsignal(signal.SIGINT) is _on_sigint:
            _ORIGINAL["signal"](signal.SIGINT, _raw(old_int))
        value, interval = old_timer
        if value > 0:  # a timer that was running before (the learner's own, say) goes on where it was
            _ORIGINAL["setitimer"](signal.ITIMER_REAL, max(value - (time.perf_counter() - started), 1e-6),
                                   interval)


_CLOSE_GRACE = 0.5  # s: the time an abandoned learner generator gets to run its cleanup when it is closed


def _close_generators(budget: _Budget) -> None:
    """Close the learner generators a check left unfinished, still under a (fresh, short) time limit.

    Otherwise the garbage collector closes them later, outside any guard: one whose bare ``except:`` swallows
    GeneratorExit and yields again then prints "Exception ignored in: ... generator ignored GeneratorExit" to
    stderr in the middle of the next cell, and one that loops on GeneratorExit would hang the kernel.
    What the check already decided (the reason for a stop, the last value returned) is kept.
    """
    gens = [gen for gen in budget.generators if gen.gi_frame is not None]
    budget.generators = []
    if not gens:
        return
    saved = (budget.reason, budget.exc, budget.last)
    budget.limit = budget.check_limit = _CLOSE_GRACE
    budget.used, budget.depth, budget.started, budget.reason = 0.0, 0, time.perf_counter(), ""
    budget.state = "armed"
    _ORIGINAL["setitimer"](signal.ITIMER_REAL, _CLOSE_GRACE, _FLOOD_RETRY)
    try:
        for gen in gens:
            with suppress(BaseException):
                _call(gen.close, (), {}, (BaseException,))
            if gen.gi_frame is not None:  # it swallowed GeneratorExit and yielded again
                _mark_stubborn(gen)
    finally:
        budget.state = "off"
        _ORIGINAL["setitimer"](signal.ITIMER_REAL, 0)
        budget.reason, budget.exc, budget.last = saved


_STUBBORN: set[int] = set()  # ids of learner generators that ignored GeneratorExit when closed


def _quiet_stubborn(unraisable) -> None:
    """sys.unraisablehook: drop the collector's "generator ignored GeneratorExit" for a generator already judged.

    Such a generator (a bare ``except:`` around its ``yield``) cannot be closed: it catches GeneratorExit and
    yields again.  Its check is over; the warning the garbage collector would print later, in the middle of
    another cell, says nothing the learner can act on.  Anything else goes to the hook that was there before.
    """
    obj = unraisable.object
    if (isinstance(obj, types.GeneratorType) and id(obj) in _STUBBORN and unraisable.exc_type is RuntimeError
            and "ignored GeneratorExit" in str(unraisable.exc_value)):
        _STUBBORN.discard(id(obj))
        return
    _PREVIOUS_HOOK[0](unraisable)


_PREVIOUS_HOOK: list = []


def _mark_stubborn(gen) -> None:
    _STUBBORN.add(id(gen))
    if sys.unraisablehook is not _quiet_stubborn:
        _PREVIOUS_HOOK[:] = [sys.unraisablehook]
        sys.unraisablehook = _quiet_stubborn


def _raw(handler):
    """A handler as the C function _signal.signal takes it (plain ints, not the Handlers enum)."""
    if handler is None:  # installed from C code: the best we can do is the default
        return int(signal.SIG_DFL)
    return int(handler) if isinstance(handler, int) else handler


# Kept for code that used the old name: a block under one overall limit, all of it counted.
@contextmanager
def _time_limit(seconds: float):
    with _learner_time(seconds, seconds) as budget:
        if budget is not None:
            budget.depth, budget.entered = 1, time.perf_counter()
        yield


def _timed_generator(gen, passthrough):
    """Drive a learner's generator so that each step of its code counts as learner time."""
    sent, thrown = None, None
    while True:
        try:
            if thrown is not None:
                op = _call(gen.throw, (thrown,), {}, (StopIteration,))
            else:
                op = _call(gen.send, (sent,), {}, (StopIteration,))
        except StopIteration as stop:
            return stop.value
        thrown = None
        try:
            sent = yield op
        except GeneratorExit:
            with suppress(RuntimeError):  # a learner generator that ignores GeneratorExit: not worth a warning
                gen.close()
            raise
        except BaseException as exc:
            thrown = exc


def _call(fn, args, kwargs, passthrough=()):
    """Call learner code under the budget; map its exceptions to NotAttempted, LearnerError or the limits."""
    b = _BUDGET
    if b is not None:
        if b.state != "armed":
            raise _TimeLimit() if b.reason != "interrupt" else KeyboardInterrupt
        if b.depth == 0:
            if b.used >= b.limit:
                raise _TimeLimit()
            b.entered = time.perf_counter()
        b.depth += 1
    try:
        result = fn(*args, **kwargs)
    except BaseException as exc:
        # No call may come before the stop below: a call is a place where the pending exception is raised.
        if b is not None:
            b.depth -= 1
            if b.depth == 0:
                if b.state == "stopping" and b.reason != "check":
                    b.state = "off"
                b.used += time.perf_counter() - b.entered
        if b is not None and b.state == "off" and b.reason:
            if b.reason == "interrupt":
                raise KeyboardInterrupt from None
            raise _TimeLimit() from None
        if isinstance(exc, (passthrough, Incorrect, NotAttempted, LearnerError, _TimeLimit)):
            raise
        if isinstance(exc, NotImplementedError):
            raise NotAttempted() from exc
        if isinstance(exc, (KeyboardInterrupt, _Interrupted)):
            raise KeyboardInterrupt from None
        if isinstance(exc, SystemExit):
            raise LearnerError(exc, _learner_frame(exc.__traceback__) or "") from None
        if not isinstance(exc, Exception):  # GeneratorExit and other control flow: not the learner's fault
            raise
        if isinstance(exc, TypeError) and exc.__traceback__ is not None and exc.__traceback__.tb_next is None:
            raise LearnerError(exc, "", inside="call") from None  # the call itself failed: wrong parameters
        err = _learner_error(exc)
        if err is None:  # every frame is library code: the check's own failure, judged by Exercise.verdict
            raise
        raise err from exc
    if b is not None:
        b.depth -= 1
        if b.depth == 0:
            b.used += time.perf_counter() - b.entered
            if not passthrough:
                b.last = result
    if not passthrough and isinstance(result, types.GeneratorType):
        if b is not None:
            b.generators.append(result)
        return _timed_generator(result, ())
    return result


def learner_call(fn: Callable, *args, **kwargs):
    """Call learner code; its time counts against the exercise's limit.

    NotImplementedError becomes NotAttempted, other exceptions LearnerError (with the learner's line), and a
    generator it returns is driven step by step under the same limit.
    """
    return _call(fn, args, kwargs)


def learner_function(fn: Callable) -> Callable:
    """Wrap a learner's function so that library code (a model checker, say) calls it under the time limit."""
    if not callable(fn):
        return fn

    def timed(*args, **kwargs):
        return _call(fn, args, kwargs)

    timed.__wrapped__ = fn
    timed.__name__ = getattr(fn, "__name__", "learner_function")
    return timed


# --- exercises -----------------------------------------------------------------------------------------

class Exercise:
    """One exercise: which learner variable it reads, how to check it, hints, and where its solution is.

    *time_limit* bounds the learner's own code (seconds, summed over its calls); *check_limit* bounds the
    whole check, the check's own work included (default: the larger of 60 s and 6 × time_limit).
    """

    def __init__(self, name: str, var: str, check: Callable, hints: list[str], chapter: str,
                 time_limit: float = 10.0, check_limit: float | None = None):
        self.name, self.var, self._check, self.hints = name, var, check, list(hints)
        self.chapter, self.time_limit = chapter, time_limit
        self.check_limit = check_limit if check_limit is not None else max(60.0, 6 * time_limit)

    def __repr__(self) -> str:
        return f"<Exercise {self.name}: define `{self.var}`, then run {self.name}.check()>"

    def verdict(self, answer=Ellipsis) -> Verdict:
        """Check *answer* and return the verdict without displaying it (never raises, but for Ctrl-C)."""
        if answer is Ellipsis:
            return Verdict(self.name, NOT_ATTEMPTED,
                           f"`{self.var}` still holds the starter value: write your answer, then check again.")
        if answer is None:
            return Verdict(self.name, INCORRECT,
                           f"`{self.var}` is None: your code {NOTHING_RETURNED} (Or did you assign the result "
                           "of a method that returns None, such as `list.sort()`?)")
        outcome: BaseException | None = None
        with _learner_time(self.time_limit, self.check_limit) as budget:
            try:
                self._check(answer)
            except BaseException as exc:
                if budget is not None:
                    budget.state = "off"  # first, before any call: stop a pending time-limit exception
                outcome = exc
        return self._judge(outcome, answer, budget)

    def _judge(self, exc: BaseException | None, answer, budget) -> Verdict:
        if exc is None:
            return Verdict(self.name, CORRECT, "Well done.")
        if isinstance(exc, (KeyboardInterrupt, _Interrupted)):
            raise KeyboardInterrupt from None
        if isinstance(exc, NotAttempted):
            return Verdict(self.name, NOT_ATTEMPTED,
                           "your code still raises NotImplementedError: replace the stub with your answer.")
        if isinstance(exc, Incorrect):
            return Verdict(self.name, INCORRECT, exc.message, exc.case, exc.timeline)
        if isinstance(exc, _TimeLimit):
            if budget is not None and budget.reason == "check":
                return Verdict(self.name, INCORRECT,
                               f"the check did not finish within {self.check_limit:g} s with your answer and was "
                               "stopped. Is there a loop in your code that never ends, or does your answer make "
                               "the problem very large?")
            return Verdict(self.name, INCORRECT,
                           f"your code ran for more than {self.time_limit:g} s and was stopped. Is there a loop "
                           "that never ends (a retry loop without a limit, a `while` that never exits)?")
        if isinstance(exc, LearnerError):
            if isinstance(exc.exc, SystemExit):
                return Verdict(self.name, INCORRECT,
                               "your code called sys.exit() (or raised SystemExit), which would stop the whole "
                               f"program; return a value instead{_at(exc.where)}.")
            return Verdict(self.name, INCORRECT, exc.words())
        if isinstance(exc, SystemExit):
            return Verdict(self.name, INCORRECT, "your answer called sys.exit() (or raised SystemExit), which would "
                           "stop the whole program; return a value instead.")
        if isinstance(exc, NotImplementedError) and _learner_error(exc) is not None:
            return Verdict(self.name, NOT_ATTEMPTED,
                           "your code still raises NotImplementedError: replace the stub with your answer.")
        if isinstance(exc, RecursionError):
            return Verdict(self.name, INCORRECT, "your answer made the check recurse too deeply (RecursionError): "
                           "is there a function that calls itself without end, or a structure that contains "
                           "itself?", check_error=exc)
        if isinstance(exc, MemoryError):
            return Verdict(self.name, INCORRECT, "your answer made the check run out of memory: is something "
                           "far larger than the question asks for?", check_error=exc)
        err = _learner_error(exc) if isinstance(exc, Exception) else None
        if err is not None:  # learner code called by library code (not through learner_call) raised
            return Verdict(self.name, INCORRECT, err.words())
        last = budget.last if budget is not None else _NO_RETURN
        if callable(answer) and last is not _NO_RETURN:
            if last is None:
                return Verdict(self.name, INCORRECT, f"your function {NOTHING_RETURNED} The check could not "
                               f"use None ({_exc_text(exc)}).", check_error=exc)
            return Verdict(self.name, INCORRECT,
                           f"your function returned {_describe(last)}, which made the check fail: {_exc_text(exc)}. "
                           "Is it the kind of value the question asks for?", check_error=exc)
        if callable(answer) and not isinstance(answer, type):
            return Verdict(self.name, INCORRECT,
                           f"your function made the check fail: {_exc_text(exc)}. Does it take and return what "
                           "the question describes?", check_error=exc)
        return Verdict(self.name, INCORRECT,
                       f"your answer made the check fail: {_exc_text(exc)}. Your answer was "
                       f"{_describe(answer)}: is it the kind of value the question asks for?", check_error=exc)

    def check(self, answer=Ellipsis) -> Verdict:
        """Check the learner's answer (by default, the notebook variable named ``var``) and show the verdict."""
        if answer is Ellipsis:
            answer = _caller_globals().get(self.var, Ellipsis)
        result = self.verdict(answer)
        _show(result)
        return None if _in_ipython() else result

    def hint(self, n=1) -> None:
        """Show hint number *n* (1-based); any other n gets a sensible answer rather than an error."""
        _show_text(self._hint_text(n))

    def _hint_text(self, n) -> str:
        count = len(self.hints)
        if not count:
            return f"{self.name}: no hints for this one."
        numbered = f"hints are numbered 1 to {count}" if count > 1 else "there is one hint: hint(1)"
        if isinstance(n, (bool, np.bool_)) or not isinstance(n, (numbers.Real, np.number)):
            try:
                n = float(str(n).strip())
            except (ValueError, TypeError, OverflowError):
                return f"{self.name}: hint() takes a hint number; {numbered}. Try {self.name}.hint(1)."
        if isinstance(n, (numbers.Integral, np.integer)):  # ints of any size, without float overflow
            n = int(n)
            value = float(min(max(n, -(10**18)), 10**18))
        else:
            try:
                value = float(n)
            except (ValueError, TypeError, OverflowError):
                return f"{self.name}: hint() takes a hint number; {numbered}."
        if math.isnan(value):
            return f"{self.name}: hint() takes a hint number; {numbered}."
        if value < 1:
            note = f"There is no hint {_num(value)}: {numbered}. "
            k = 1
        elif value > count:
            note = f"There is no hint {_num(value)}: {numbered}; here is the last. "
            k = count
        elif value != int(value):
            note = f"Hints are whole numbers; here is hint {int(value)}. "
            k = int(value)
        else:
            note, k = "", int(value)
        more = f" (there is also hint({k + 1}))" if k < count else ""
        return f"{note}Hint {k} for {self.name}{more}: {self.hints[k - 1]}"

    def solution(self) -> None:
        """Show the reference solution, read from the chapter's solutions notebook."""
        code = solution_source(self.chapter, self.var)
        _show_text(f"Solution for {self.name}:\n{code}" if code
                   else f"{self.name}: see the solutions/ folder of the course repository.")


def _at(where: str) -> str:
    return f" (at {where})" if where else ""


def _num(value: float) -> str:
    if math.isinf(value):
        return "∞" if value > 0 else "-∞"
    return f"{int(value)}" if value == int(value) and abs(value) < 1e15 else f"{value:g}"


def solution_source(chapter: str, var: str) -> str:
    """Return the solution cell that defines *var* in ``solutions/<chapter>_*.ipynb``, without markers or checks."""
    for path in sorted(SOLUTIONS_DIR.glob(f"{chapter}_*.ipynb")):
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            src = "".join(cell["source"])
            if cell["cell_type"] == "code" and "### BEGIN SOLUTION" in src and _defines(src, var):
                keep = [ln for ln in src.splitlines()
                        if ln.strip() not in ("### BEGIN SOLUTION", "### END SOLUTION") and ".check()" not in ln]
                return "\n".join(keep).strip("\n")
    return ""


def _defines(src: str, var: str) -> bool:
    return any(line.lstrip().startswith((f"def {var}(", f"{var} =", f"class {var}")) for line in src.splitlines())


def _caller_globals() -> dict:
    frame = sys._getframe(2)
    return frame.f_globals


def _in_ipython() -> bool:
    return "IPython" in sys.modules and getattr(sys.modules["IPython"], "get_ipython", lambda: None)() is not None


def _show(obj) -> None:
    if _in_ipython():
        from IPython.display import display
        display(obj)
    else:
        print(obj)


def _show_text(text: str) -> None:
    print(text)


def assert_check_passed(exercise: Exercise, answer) -> Verdict:
    """Assert that *answer* passes (for tests); return the verdict."""
    v = exercise.verdict(answer)
    assert v.status == CORRECT, f"expected correct, got:\n{v}"
    return v


def assert_check_failed(exercise: Exercise, answer, *fragments: str) -> Verdict:
    """Assert that *answer* is judged incorrect and that the message mentions every fragment."""
    v = exercise.verdict(answer)
    assert v.status == INCORRECT, f"expected incorrect, got:\n{v}"
    text = str(v).lower()
    for fragment in fragments:
        assert fragment.lower() in text, f"verdict does not mention {fragment!r}:\n{v}"
    return v


def assert_check_unattempted(exercise: Exercise, answer=Ellipsis) -> Verdict:
    """Assert that *answer* (the stub) is judged not attempted."""
    v = exercise.verdict(answer)
    assert v.status == NOT_ATTEMPTED, f"expected not attempted, got:\n{v}"
    return v
