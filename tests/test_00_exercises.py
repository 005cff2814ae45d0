"""Chapter 0 exercises: wrong answers rejected with a named fault, right answers written differently accepted."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pytest

from course_lib import timeline
from course_lib.checks.ch00 import q1, q2, q3, q4
from course_lib.exercises import assert_check_failed, assert_check_passed
from course_lib.timeline import CASCADE, EVENT_END, EVENT_START, PERIODS, at, duration


def _reference(hhmm):
    return round((at(hhmm) - EVENT_START).total_seconds() / 60)


def _same_day(hhmm):
    t, s = datetime.strptime(hhmm, "%H:%M"), datetime.strptime("23:48", "%H:%M")
    return int((t - s).total_seconds() // 60)


def _all_on_20_october(hhmm):  # the old prompt's reading: 23:00-23:47 a day later
    t = datetime(2025, 10, 20, int(hhmm[:2]), int(hhmm[3:]))
    return int((t - EVENT_START).total_seconds() // 60)


def _absolute(hhmm):
    return abs(_reference(hhmm))


def _clamped(hhmm):
    return max(0, _reference(hhmm))


def _hours_only(hhmm):
    return 60 * ((int(hhmm[:2]) - 23) % 24)


def _off_by_one(hhmm):
    return _reference(hhmm) + 1


def _no_return(hhmm):
    _reference(hhmm)


def _library(hhmm):
    return timeline.minutes(hhmm)


def _crash_before_start(hhmm):  # the old reference: duration() refuses an end before the start
    return duration(EVENT_START, at(hhmm))


@pytest.mark.parametrize(("wrong", "fragments"), [
    (_same_day, ("one day short", "20 October")),
    (_all_on_20_october, ("one day too many", "19 October", "23:00")),
    (_absolute, ("sign", "before the 23:48 start")),
    (_clamped, ("negative, not clamped",)),
    (_hours_only, ("minutes_after_start('23:52')", "whole hours")),
    (_off_by_one, ("off by one",)),
    (lambda h: "157", ("should be a number",)),
    (_no_return, ("returned nothing",)),
    (_library, ("timeline.minutes", "yourself")),
    (_crash_before_start, ("ValueError", "must not be before start")),
    (lambda h: float("nan"), ("not a number of minutes",)),
    (3, ("should be a function",)),
])
def test_q1_wrong_answers_are_named(wrong, fragments):
    """Ten plausible wrong minutes_after_start, each rejected with its fault named."""
    assert_check_failed(q1, wrong, *fragments)


def _plain_arithmetic(hhmm):
    hours, mins = (int(x) for x in hhmm.split(":"))
    total = hours * 60 + mins - (23 * 60 + 48)
    return total if hours >= 23 else total + 24 * 60


def _timedelta_numpy(hhmm):
    return np.int64((at(hhmm) - EVENT_START) // timedelta(minutes=1))


def _float_minutes(hhmm):
    return (at(hhmm) - EVENT_START).total_seconds() / 60.0


@pytest.mark.parametrize("right", [_reference, _plain_arithmetic, _timedelta_numpy, _float_minutes])
def test_q1_right_answers_written_differently_pass(right):
    """Datetime arithmetic, plain clock arithmetic, a numpy integer and float minutes are all accepted."""
    assert_check_passed(q1, right)


def test_q1_the_check_tries_the_minutes_before_the_start():
    """Regression: 23:00-23:47 are on 19 October (negative); the check tries them and the reference works there."""
    assert _reference("23:00") == -48 and _reference("23:47") == -1 and _reference("23:59") == 11
    from course_lib.checks.ch00 import _PROBES

    assert {("23:00", -48), ("23:47", -1), ("23:59", 11), ("22:59", 1391)} <= set(_PROBES)
    assert "timeline.at(hhmm)" in q1.hints[1] and "negative" in q1.hints[1]
    assert "return" not in q1.hints[-1]  # the last hint nudges; the solution is what solution() is for


LONGEST = max(PERIODS, key=lambda p: p.minutes)


@pytest.mark.parametrize(("wrong", "fragments"), [
    ("DynamoDB API errors", ("2 h 52 min", "another period lasted longer", "min")),
    ("NLB connection errors", ("8 h 39 min", "another period lasted longer")),
    ("DNS", ("not one of the period names",)),
    (LONGEST.name.lower(), ("nearly", "capitals")),
    (LONGEST, ("right period", ".name")),
    (PERIODS[0], ("Period object",)),
    (LONGEST.minutes, ("number of minutes",)),
    (None, ("returned nothing",)),
    ([LONGEST.name], ("should be a string",)),
])
def test_q2_wrong_answers_are_named(wrong, fragments):
    assert_check_failed(q2, wrong, *fragments)


def _longest_by_loop():
    best = None
    for p in PERIODS:
        if best is None or p.minutes > best.minutes:
            best = p
    return best.name


@pytest.mark.parametrize("right", [LONGEST.name, sorted(PERIODS, key=lambda p: p.minutes)[-1].name,
                                   _longest_by_loop(), max(PERIODS, key=lambda p: p.end - p.start).name])
def test_q2_right_answers_pass(right):
    assert_check_passed(q2, right)


@pytest.mark.parametrize(("wrong", "fragments"), [
    (list(reversed(CASCADE)), ("backwards",)),
    ([CASCADE[0], CASCADE[1], CASCADE[3], CASCADE[2]], ("position 3", "Network Manager", "alphabetical")),
    ([CASCADE[0], CASCADE[2], CASCADE[1], CASCADE[3]], ("position 2", "DWFM")),
    ([CASCADE[1], CASCADE[0], CASCADE[2], CASCADE[3]], ("position 1", "DNS")),
    (list(CASCADE[:3]), ("exactly once",)),
    ([CASCADE[0], CASCADE[0], CASCADE[1], CASCADE[2]], ("twice",)),
    ([1, 2, 3, "x"], ("not one of the links",)),
    (" -> ".join(CASCADE), ("not one string",)),
    (None, ("sort()",)),
])
def test_q3_wrong_answers_are_named(wrong, fragments):
    assert_check_failed(q3, wrong, *fragments)


@pytest.mark.parametrize("right", [list(CASCADE), tuple(CASCADE), [c for c in CASCADE]])
def test_q3_right_answers_pass(right):
    """A list, a tuple (same meaning) and a comprehension are accepted."""
    assert_check_passed(q3, right)


WHOLE = duration(EVENT_START, EVENT_END)
AFTER = duration(timeline.PUBLISHED["dns restored"].time, EVENT_END)


@pytest.mark.parametrize(("wrong", "fragments"), [
    (1 - AFTER / WHOLE, ("BEFORE",)),
    (100 * AFTER / WHOLE, ("percentage",)),
    (0.5, ("off by more than 0.01",)),
    (duration(timeline.PUBLISHED["dynamodb recovered"].time, EVENT_END) / WHOLE, ("from 02:40",)),
    (float(AFTER), ("number of minutes",)),
    (-AFTER / WHOLE, ("negative",)),
    (AFTER / (WHOLE + 24 * 60), ("a day too many",)),
    (float("nan"), ("not a number",)),
    (None, ("returned nothing",)),
    ("0.82", ("should be a number",)),
])
def test_q4_wrong_answers_are_named(wrong, fragments):
    assert_check_failed(q4, wrong, *fragments)


@pytest.mark.parametrize("right", [AFTER / WHOLE, round(AFTER / WHOLE, 2), np.float64(AFTER) / np.float64(WHOLE),
                                   (EVENT_END - at("02:25")) / (EVENT_END - EVENT_START)])
def test_q4_right_answers_pass(right):
    assert_check_passed(q4, right)
