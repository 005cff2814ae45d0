"""Exercises in the learntools style: ``q1.check()``, ``q1.hint()``, ``q1.hint(2)``, ``q1.solution()``.

A check function receives the learner's answer and either returns normally (correct) or raises
:class:`Incorrect` with a plain-words message, the failing case and, for concurrency exercises, the
interleaving drawn as a timeline.  The :class:`Exercise` wrapper turns everything else into a verdict
too: an untouched stub is "not attempted", an exception in learner code names the exception and the
line, and a runaway loop is stopped by a time limit.  Nothing here shows a traceback wall.
"""

from __future__ import annotations

import html
import json
import signal
import sys
import threading
import traceback
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "Exercise",
    "Incorrect",
    "NotAttempted",
    "Verdict",
    "assert_check_failed",
    "assert_check_passed",
    "assert_check_unattempted",
    "expect_type",
    "learner_call",
]

CORRECT, INCORRECT, NOT_ATTEMPTED = "correct", "incorrect", "not attempted"
_COLOURS = {CORRECT: "#007a4d", INCORRECT: "#b3261e", NOT_ATTEMPTED: "#6b5b00"}
_ICONS = {CORRECT: "✔", INCORRECT: "✘", NOT_ATTEMPTED: "…"}
SOLUTIONS_DIR = Path(__file__).resolve().parent.parent / "solutions"


class Incorrect(Exception):
    """Raised by a check: the answer is wrong, for the reason in *message*."""

    def __init__(self, message: str, case: str = "", timeline: str = ""):
        super().__init__(message)
        self.message, self.case, self.timeline = message, case, timeline


class NotAttempted(Exception):
    """Raised by a check when the answer is still the starter stub."""


class _TimeLimit(BaseException):
    """Raised inside learner code when it runs past the exercise's time limit."""


@dataclass(frozen=True)
class Verdict:
    """The outcome of one check: status, a message in plain words, and optional case and timeline."""

    exercise: str
    status: str
    message: str
    case: str = ""
    timeline: str = ""

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


def expect_type(value, types, what: str) -> None:
    """Raise Incorrect unless *value* has one of *types*; *what* names the value for the learner."""
    if not isinstance(value, types):
        raise Incorrect(f"{what} should be {_type_names(types)}, but it is {type(value).__name__} ({value!r:.60}).")


_PLAIN_TYPE_NAMES = {"Real": "a number", "Integral": "a whole number", "bool_": "True or False",
                     "bool": "True or False", "str": "a string", "list": "a list", "tuple": "a tuple",
                     "dict": "a dict", "set": "a set", "int": "a whole number", "float": "a number"}


def _type_names(types) -> str:
    types = types if isinstance(types, tuple) else (types,)
    names = [_PLAIN_TYPE_NAMES.get(t.__name__, t.__name__) for t in types]
    return " or ".join(dict.fromkeys(names))


@contextmanager
def _time_limit(seconds: float):
    """Interrupt the block after *seconds* (main thread on POSIX only; elsewhere no limit)."""
    usable = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if not usable or seconds <= 0:
        yield
        return

    def _alarm(signum, frame):
        raise _TimeLimit()

    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


class LearnerError(Exception):
    """Learner code raised: carries the exception and the line of learner code where it happened."""

    def __init__(self, exc: BaseException, where: str):
        super().__init__(f"{type(exc).__name__}: {exc}")
        self.exc, self.where = exc, where


def _learner_frame(tb) -> str | None:
    """Return 'line N: source' for the innermost frame outside course_lib, or None if there is none."""
    library = str(Path(__file__).resolve().parent)
    where = None
    for frame in traceback.extract_tb(tb):
        if not frame.filename.startswith(library):
            where = f"line {frame.lineno}: {frame.line}" if frame.line else f"line {frame.lineno}"
    return where


def learner_call(fn: Callable, *args, **kwargs):
    """Call learner code; re-raise NotImplementedError as NotAttempted and other errors as LearnerError."""
    try:
        return fn(*args, **kwargs)
    except NotImplementedError as exc:
        raise NotAttempted() from exc
    except (Incorrect, NotAttempted, _TimeLimit, LearnerError):
        raise
    except Exception as exc:
        where = _learner_frame(exc.__traceback__)
        if where is None:  # every frame is library code: a bug in the check, not in the answer
            raise
        raise LearnerError(exc, where) from exc


class Exercise:
    """One exercise: which learner variable it reads, how to check it, hints, and where its solution is."""

    def __init__(self, name: str, var: str, check: Callable, hints: list[str], chapter: str,
                 time_limit: float = 10.0):
        self.name, self.var, self._check, self.hints = name, var, check, list(hints)
        self.chapter, self.time_limit = chapter, time_limit

    def __repr__(self) -> str:
        return f"<Exercise {self.name}: define `{self.var}`, then run {self.name}.check()>"

    def verdict(self, answer=Ellipsis) -> Verdict:
        """Check *answer* and return the verdict without displaying it."""
        if answer is Ellipsis:
            return Verdict(self.name, NOT_ATTEMPTED,
                           f"`{self.var}` still holds the starter value: write your answer, then check again.")
        if answer is None:
            return Verdict(self.name, INCORRECT,
                           f"`{self.var}` is None. Did you assign the result of a method that returns None "
                           "(such as `list.sort()`), or forget a `return`?")
        try:
            with _time_limit(self.time_limit):
                learner_call(self._check, answer)
        except NotAttempted:
            return Verdict(self.name, NOT_ATTEMPTED,
                           "your code still raises NotImplementedError: replace the stub with your answer.")
        except Incorrect as wrong:
            return Verdict(self.name, INCORRECT, wrong.message, wrong.case, wrong.timeline)
        except _TimeLimit:
            return Verdict(self.name, INCORRECT,
                           f"your code ran for more than {self.time_limit:g} s and was stopped. "
                           "Is there a loop that never ends (a retry loop without a limit, a `while` that never exits)?")
        except LearnerError as err:
            where = f" at {err.where}" if err.where else ""
            return Verdict(self.name, INCORRECT, f"your code raised {type(err.exc).__name__}: {err.exc}{where}.")
        return Verdict(self.name, CORRECT, "Well done.")

    def check(self, answer=Ellipsis) -> Verdict:
        """Check the learner's answer (by default, the notebook variable named ``var``) and show the verdict."""
        if answer is Ellipsis:
            answer = _caller_globals().get(self.var, Ellipsis)
        result = self.verdict(answer)
        _show(result)
        return None if _in_ipython() else result

    def hint(self, n: int = 1) -> None:
        """Show hint number *n* (1-based)."""
        if not self.hints:
            _show_text(f"{self.name}: no hints for this one.")
            return
        n = max(1, min(int(n), len(self.hints)))
        more = f" (there is also hint({n + 1}))" if n < len(self.hints) else ""
        _show_text(f"Hint {n} for {self.name}{more}: {self.hints[n - 1]}")

    def solution(self) -> None:
        """Show the reference solution, read from the chapter's solutions notebook."""
        code = solution_source(self.chapter, self.var)
        _show_text(f"Solution for {self.name}:\n{code}" if code
                   else f"{self.name}: see the solutions/ folder of the course repository.")


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
