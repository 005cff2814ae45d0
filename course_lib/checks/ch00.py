"""Chapter 0 exercises: reading the published timeline as data."""

from __future__ import annotations

import numbers

from ..exercises import Exercise, Incorrect, expect_type, learner_call
from ..timeline import CASCADE, EVENT_END, PERIODS, at, duration, format_duration

__all__ = ["q1", "q2", "q3", "q4"]

# Probes for q1: (clock time, minutes after 23:48 on 19 Oct).  Several cross midnight on purpose.
_PROBES = [("23:48", 0), ("23:52", 4), ("00:38", 50), ("02:25", 157), ("02:40", 172), ("14:20", 872)]


def _check_minutes_after_start(fn) -> None:
    if not callable(fn):
        raise Incorrect(f"`minutes_after_start` should be a function, but it is {type(fn).__name__}.")
    for hhmm, expected in _PROBES:
        got = learner_call(fn, hhmm)
        expect_type(got, numbers.Real, f"minutes_after_start({hhmm!r})")
        if got != expected:
            hint = ""
            if got == expected - 24 * 60:
                hint = " That is exactly one day short: the time is on 20 October, after midnight."
            elif got < 0:
                hint = " A negative answer means the time was taken as earlier than 23:48 on the same day."
            raise Incorrect(f"minutes_after_start({hhmm!r}) returned {got}, expected {expected}.{hint}",
                            case=f"{hhmm} PDT is {format_duration(expected)} after the 23:48 start")


def _check_longest_period(name) -> None:
    expect_type(name, str, "`longest_period`")
    longest = max(PERIODS, key=lambda p: p.minutes)
    names = {p.name: p for p in PERIODS}
    if name == longest.name:
        return
    if name not in names:
        raise Incorrect(f"{name!r} is not one of the period names: {', '.join(repr(n) for n in names)}.")
    p = names[name]
    raise Incorrect(f"{p.name!r} lasted {format_duration(p.minutes)}, but another period lasted longer. "
                    "Compare the `minutes` of all three in `timeline.PERIODS`.")


def _check_cascade(order) -> None:
    expect_type(order, (list, tuple), "`cascade_order`")
    strangers = [x for x in order if x not in CASCADE]
    if strangers:
        raise Incorrect(f"{strangers[0]!r} is not one of the links: copy the four strings from "
                        "`timeline.CASCADE` and only change their order.")
    if sorted(order) != sorted(CASCADE):
        raise Incorrect("`cascade_order` should contain each of the four links in `timeline.CASCADE` exactly once.")
    for i, (got, want) in enumerate(zip(order, CASCADE, strict=True)):
        if got != want:
            raise Incorrect(f"position {i + 1} should be {want!r}, not {got!r}: ask, for each link, "
                            "which failure it was waiting on.",
                            case=" -> ".join(order))


def _check_fraction_after_dns(value) -> None:
    expect_type(value, numbers.Real, "`fraction_after_dns`")
    whole = duration(at("23:48"), EVENT_END)
    expected = duration(at("02:25"), EVENT_END) / whole
    if abs(value - expected) <= 0.01:
        return
    from_recovery = duration(at("02:40"), EVENT_END) / whole
    if abs(value - from_recovery) <= 0.002:
        raise Incorrect(f"{value:.3f} counts from 02:40, when DynamoDB recovered; DNS was restored at 02:25.")
    if abs(value - (1 - expected)) <= 0.01:
        raise Incorrect(f"{value:.2f} is the fraction BEFORE DNS was restored; the question asks for the rest.")
    if value > 1:
        raise Incorrect(f"{value:g} is more than 1: give a fraction (e.g. 0.5), not a percentage or minutes.")
    raise Incorrect(f"{value:.3f} is off by more than 0.01. Divide the minutes from 02:25 to 14:20 by the "
                    f"minutes of the whole event ({whole}).")


q1 = Exercise("q1", "minutes_after_start", _check_minutes_after_start, chapter="00", hints=[
    "Build a datetime for the clock time. Which day is 00:38 on?",
    "`timeline.at('00:38')` already picks the right day; `timeline.duration(start, end)` gives whole minutes.",
])
q2 = Exercise("q2", "longest_period", _check_longest_period, chapter="00", hints=[
    "Each item of `timeline.PERIODS` has `.name` and `.minutes`.",
    "`max(PERIODS, key=lambda p: p.minutes).name`",
])
q3 = Exercise("q3", "cascade_order", _check_cascade, chapter="00", hints=[
    "Which link was the trigger? Which link could only fail because an earlier one had failed?",
    "DWFM needed DynamoDB for its state checks; NLB's health checks failed on instances whose network state "
    "Network Manager had not yet pushed.",
])
q4 = Exercise("q4", "fraction_after_dns", _check_fraction_after_dns, chapter="00", hints=[
    "DNS was restored at 02:25; the event ended at 14:20.",
    "`duration(at('02:25'), EVENT_END) / duration(EVENT_START, EVENT_END)`",
])
