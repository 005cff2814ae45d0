"""Chapter 0 exercises: stub -> not attempted, solution -> correct, typical mistakes -> named."""

from __future__ import annotations

from datetime import datetime

from course_lib.checks.ch00 import q1, q2, q3, q4
from course_lib.exercises import assert_check_failed
from course_lib.timeline import CASCADE


def test_q1_same_day_subtraction_is_named():
    """Subtracting clock times on one day gives a negative/one-day-short answer, and the check says so."""
    def same_day(hhmm):
        t, s = datetime.strptime(hhmm, "%H:%M"), datetime.strptime("23:48", "%H:%M")
        return int((t - s).total_seconds() // 60)

    assert_check_failed(q1, same_day, "one day short", "20 October")


def test_q1_hours_only_and_wrong_type_are_named():
    """Rounding to hours is caught with the failing time; returning a string is a type error."""
    assert_check_failed(q1, lambda h: 60 * ((int(h[:2]) - 23) % 24), "minutes_after_start('23:52')")
    assert_check_failed(q1, lambda h: "157", "should be a number")


def test_q2_the_trigger_is_not_the_longest():
    """Picking the DynamoDB period (the trigger) is wrong and the message gives its length."""
    assert_check_failed(q2, "DynamoDB API errors", "2 h 52 min", "another period lasted longer")
    assert_check_failed(q2, "DNS", "not one of the period names")


def test_q3_reversed_or_swapped_orders_are_named():
    """A reversed chain and an NLB/Network Manager swap both point at the first wrong position."""
    assert_check_failed(q3, list(reversed(CASCADE)), "position 1")
    swapped = [CASCADE[0], CASCADE[1], CASCADE[3], CASCADE[2]]
    assert_check_failed(q3, swapped, "position 3", "Network Manager")
    assert_check_failed(q3, CASCADE[:3], "exactly once")
    assert_check_failed(q3, [1, 2, 3, "x"], "not one of the links")
    assert_check_failed(q3, None, "sort()")


def test_q4_complement_and_percentage_are_named():
    """The fraction before DNS and a percentage both get a specific message."""
    assert_check_failed(q4, 0.18, "BEFORE")
    assert_check_failed(q4, 82.0, "percentage")
    assert_check_failed(q4, 0.5, "off by more than 0.01")
    assert_check_failed(q4, 700 / 872, "from 02:40")
