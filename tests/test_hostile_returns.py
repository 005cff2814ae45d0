"""Checks never raise: every exercise gets a verdict for whatever the learner's answer returns or is.

The test discovers every :class:`Exercise` in ``course_lib.checks.ch*`` (a new chapter is covered without
editing this file) and feeds each a battery of hostile answers: for an exercise whose answer is a function,
functions returning None, NaN, inf, -1, 10**30, a tuple of the wrong length, a string, a generator, a plain
object, an object whose every operator raises, a numpy array, plus functions that mutate their arguments,
raise, loop forever behind a bare ``except:``, or take no arguments; for an exercise whose answer is a value,
those values themselves, the reference answer mutated, and functions where a value is expected.  Each must
come back as a verdict (correct, incorrect or not attempted), within a time bound, never as an exception.

Where the answer made a check itself fail, ``Exercise.verdict`` turns the exception into an "incorrect: your
answer made the check fail: ..." verdict and keeps the exception in ``Verdict.check_error``.  Those verdicts
pass here (the learner got words, not a traceback), and are listed for the check's owner when the test runs
with ``HOSTILE_REPORT=<file>``; ``HOSTILE_STRICT=1`` makes them failures.
"""

from __future__ import annotations

import copy
import importlib
import json
import math
import os
import pkgutil
import time

import numpy as np
import pytest

import course_lib.checks
from course_lib.exercises import STATUSES, Exercise, solution_source

LEARNER_LIMIT = 0.2  # s of learner time per verdict (the endless loop uses all of it)
CHECK_LIMIT = 2.0  # s for a whole check
VERDICT_BOUND = CHECK_LIMIT + 1.0  # s: no verdict may take longer than this


def _discover() -> list[tuple[str, Exercise]]:
    found = []
    for info in sorted(pkgutil.iter_modules(course_lib.checks.__path__), key=lambda m: m.name):
        if not info.name.startswith("ch"):
            continue
        module = importlib.import_module(f"course_lib.checks.{info.name}")
        for value in vars(module).values():
            if isinstance(value, Exercise):
                found.append((f"{info.name}.{value.name}", value))
    return sorted(found, key=lambda item: item[0])


EXERCISES = _discover()


class Hostile:
    """An object every operation on which raises: comparisons, hashing, truth, length, iteration, repr."""

    def _refuse(self, *args, **kwargs):
        raise RuntimeError("a hostile object refuses this operation")

    __eq__ = __ne__ = __lt__ = __le__ = __gt__ = __ge__ = _refuse
    __hash__ = __bool__ = __len__ = __iter__ = __repr__ = __str__ = _refuse
    __float__ = __int__ = __index__ = __abs__ = __neg__ = __add__ = __radd__ = __sub__ = __rsub__ = _refuse
    __mul__ = __rmul__ = __truediv__ = __rtruediv__ = __getitem__ = __contains__ = _refuse


def _mutate_arguments(*args, **kwargs):
    """What a careless learner does: change the inputs in place (pop, append junk, overwrite arrays)."""
    for arg in (*args, *kwargs.values()):
        if isinstance(arg, list):
            if arg:
                arg.pop()
            arg.append("junk")
        elif isinstance(arg, dict):
            if arg:
                arg.popitem()
        elif isinstance(arg, set):
            if arg:
                arg.pop()
        elif isinstance(arg, np.ndarray) and arg.flags.writeable and arg.size and arg.dtype.kind in "iuf":
            arg[...] = -1
    return args[0] if args else None


def _endless(*args, **kwargs):
    while True:
        try:
            while True:
                pass
        except:  # noqa: E722 - the point: a bare except must not defeat the time limit
            pass


def _raises(*args, **kwargs):
    raise ValueError("a bug in the learner's code")


def _returning(value):
    def answer(*args, **kwargs):
        return value() if callable(value) else value

    return answer


def _values() -> dict[str, object]:
    """Hostile values, made fresh for each use (a generator is used up once read)."""
    return {
        "None": None,
        "NaN": math.nan,
        "inf": math.inf,
        "-1": -1,
        "10**30": 10**30,
        "a wrong-length tuple": (1, 2, 3),
        "a string": "not the answer",
        "a generator": (x for x in range(3)),
        "an object": object(),
        "a hostile object": Hostile(),
        "a numpy array": np.array([1.0, np.nan]),
        "True": True,
    }


def _function_battery() -> dict[str, object]:
    battery = {f"returns {name}": _returning(value) for name, value in _values().items()}
    battery["returns a generator"] = _returning(lambda: (x for x in range(3)))
    battery.update({"mutates its arguments": _mutate_arguments, "raises ValueError": _raises,
                    "loops forever behind a bare except": _endless, "takes no arguments": lambda: 0})
    return battery


def _mutated(reference):
    """The reference answer, changed as a learner's typo would change it."""
    if isinstance(reference, dict):
        changed = dict(reference)
        if changed:
            changed.pop(next(iter(changed)))
        changed["unexpected"] = 1
        return changed
    if isinstance(reference, (list, tuple)):
        return type(reference)([*reversed(reference), "extra"])
    if isinstance(reference, str):
        return reference.upper() + "x"
    if isinstance(reference, bool):
        return not reference
    if isinstance(reference, (int, float)):
        return -reference - 1
    return reference


def _value_battery(reference) -> dict[str, object]:
    battery = dict(_values())
    battery.update({"a function where a value is expected": _raises,
                    "an endless function where a value is expected": _endless,
                    "an empty dict": {}, "a float where a whole number may be asked": 17.5})
    if reference is not None:
        battery["the reference answer mutated"] = _mutated(reference)
    return battery


_NAMESPACES: dict[str, dict | None] = {}


def _reference(exercise: Exercise):
    """The reference answer from the solutions notebook, or None if that notebook cannot be run right now."""
    if exercise.chapter not in _NAMESPACES:
        try:
            from conftest import exercise_namespace

            _NAMESPACES[exercise.chapter] = exercise_namespace(exercise.chapter)
        except Exception:  # another chapter's notebook is being edited: the rest of the battery still runs
            _NAMESPACES[exercise.chapter] = None
    namespace = _NAMESPACES[exercise.chapter]
    return None if namespace is None else namespace.get(exercise.var)


def _answers_with_a_function(exercise: Exercise) -> bool:
    source = solution_source(exercise.chapter, exercise.var)
    if source:
        return any(line.lstrip().startswith(f"def {exercise.var}(") for line in source.splitlines())
    return callable(_reference(exercise))


CRASHES: dict[str, list[str]] = {}


@pytest.mark.parametrize(("label", "exercise"), EXERCISES, ids=[label for label, _ in EXERCISES])
def test_every_hostile_answer_gets_a_verdict(label, exercise):
    """Each hostile answer gets a verdict in plain words, in time; none raises."""
    quick = copy.copy(exercise)
    quick.time_limit, quick.check_limit = LEARNER_LIMIT, CHECK_LIMIT
    battery = (_function_battery() if _answers_with_a_function(exercise)
               else _value_battery(_reference(exercise)))
    assert len(battery) >= 10
    problems, crashed = [], []
    for name, answer in battery.items():
        started = time.perf_counter()
        try:
            verdict = quick.verdict(answer)
        except Exception as exc:  # the test's subject: this must never happen
            problems.append(f"{name}: raised {type(exc).__name__}: {exc}")
            continue
        seconds = time.perf_counter() - started
        if verdict.status not in STATUSES or not verdict.message:
            problems.append(f"{name}: no verdict ({verdict!r})")
        if "Traceback" in str(verdict):
            problems.append(f"{name}: the verdict shows a traceback")
        if seconds > VERDICT_BOUND:
            problems.append(f"{name}: took {seconds:.1f} s")
        if verdict.check_error is not None:
            crashed.append(f"{name}: {type(verdict.check_error).__name__}: {str(verdict.check_error)[:120]}")
    CRASHES[label] = crashed
    assert not problems, f"{label}:\n" + "\n".join(problems)
    if os.environ.get("HOSTILE_STRICT"):
        assert not crashed, f"{label}: the check itself failed on\n" + "\n".join(crashed)


def test_discovery_finds_every_chapter():
    """Every chapter with checks contributes exercises (so a new chapter is covered unchanged)."""
    chapters = {label.split(".")[0] for label, _ in EXERCISES}
    modules = {m.name for m in pkgutil.iter_modules(course_lib.checks.__path__) if m.name.startswith("ch")}
    assert chapters == modules and len(EXERCISES) >= 5 * len(modules) - 5


def test_zz_report_of_checks_that_failed_on_hostile_answers():
    """With HOSTILE_REPORT=<file>, write which hostile answers made which checks fail (for their owners)."""
    target = os.environ.get("HOSTILE_REPORT")
    if target:
        with open(target, "w", encoding="utf-8") as out:
            json.dump(CRASHES, out, indent=1, ensure_ascii=False)
