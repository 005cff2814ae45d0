"""Chapter 0 exercises: reading the published timeline as data."""

from __future__ import annotations

import math
import numbers

from .. import timeline
from ..exercises import Exercise, Incorrect, expect_type, learner_call
from ..timeline import CASCADE, EVENT_END, EVENT_START, PERIODS, at, duration, format_duration

__all__ = ["q1", "q2", "q3", "q4"]

_START = EVENT_START.strftime("%H:%M")
_DAY = 24 * 60


def _probe(hhmm: str) -> tuple[str, int]:
    """(clock time, minutes after the start), computed here from the timeline, never typed in."""
    t = at(hhmm)
    return hhmm, round((t - EVENT_START).total_seconds() / 60)


# Probes for q1.  Several cross midnight on purpose; 23:00-23:59 are on 19 October, the first ones before the
# start (negative answers); 22:59 is the last minute of 20 October the prompt covers.
_PROBES = [_probe(e.clock) for e in (timeline.EVENTS[0], timeline.EVENTS[2])] + [
    _probe(m.clock) for m in (timeline.PUBLISHED["identified"], timeline.PUBLISHED["dns restored"],
                              timeline.PUBLISHED["dynamodb recovered"], timeline.PUBLISHED["event end"])]
_PROBES += [_probe(h) for h in ("23:00", "23:47", "23:59", "00:00", "12:00", "22:59")]


def _uses_the_library_answer(fn) -> bool:
    """True if the learner's function calls timeline.minutes, which is this exercise's answer."""
    code, env = getattr(fn, "__code__", None), getattr(fn, "__globals__", {})
    if code is None:
        return False
    names = set(code.co_names)
    if any(env.get(n) is timeline.minutes for n in names):
        return True
    return "minutes" in names and any(env.get(n) is timeline for n in names)


def _check_minutes_after_start(fn) -> None:
    if not callable(fn):
        raise Incorrect(f"`minutes_after_start` should be a function, but it is {type(fn).__name__}.")
    if _uses_the_library_answer(fn):
        raise Incorrect("`timeline.minutes` already does exactly this: the exercise is to write it yourself, "
                        "with `timeline.at` and datetime arithmetic (or with plain arithmetic on the clock).")
    for hhmm, expected in _PROBES:
        got = expect_type(learner_call(fn, hhmm), numbers.Real, f"minutes_after_start({hhmm!r})")
        if isinstance(got, float) and not math.isfinite(got):
            raise Incorrect(f"minutes_after_start({hhmm!r}) returned {got}, not a number of minutes.")
        if got == expected:
            continue
        hint = ""
        if got == expected - _DAY:
            hint = " That is exactly one day short: the time is on 20 October, after midnight."
        elif got == expected + _DAY:
            hint = (f" That is exactly one day too many: times from 23:00 are on 19 October, so {hhmm} is "
                    f"{'before' if expected < 0 else 'after'} the {_START} start, not a day later.")
        elif expected < 0 and got == -expected:
            hint = f" The size is right but the sign is not: {hhmm} is before the {_START} start."
        elif expected < 0 and got == 0:
            hint = f" {hhmm} is before the {_START} start: the answer is negative, not clamped to 0."
        elif got == round(expected / 60) * 60 or (got % 60 == 0 and expected % 60):
            hint = " Only whole hours: the minutes of the clock time count too."
        elif abs(got - expected) == 1:
            hint = " Off by one minute."
        elif isinstance(got, float) and abs(got - expected) < 1:
            hint = " Give whole minutes."
        raise Incorrect(f"minutes_after_start({hhmm!r}) returned {got:g}, expected {expected}.{hint}",
                        case=f"{hhmm} PDT is {format_duration(abs(expected))} "
                             f"{'after' if expected >= 0 else 'before'} the {_START} start")


def _check_longest_period(name) -> None:
    longest = max(PERIODS, key=lambda p: p.minutes)
    if isinstance(name, timeline.Period):
        if name == longest:
            raise Incorrect("That is the right period, but `longest_period` should be its `.name` (a string), "
                            "not the Period object.")
        raise Incorrect(f"That is the {name.name!r} Period object; set `longest_period` to the `.name` of the "
                        "longest period.")
    if isinstance(name, (numbers.Real,)) and not isinstance(name, bool):
        raise Incorrect(f"{name!r} looks like a number of minutes; set `longest_period` to the period's name.")
    name = expect_type(name, str, "`longest_period`")
    names = {p.name: p for p in PERIODS}
    if name == longest.name:
        return
    if name not in names:
        folded = {n.lower().strip(): n for n in names}
        if name.lower().strip() in folded:
            raise Incorrect(f"{name!r} is nearly {folded[name.lower().strip()]!r}: copy the name exactly "
                            "(capitals and spaces count).")
        raise Incorrect(f"{name!r} is not one of the period names: {', '.join(repr(n) for n in names)}.")
    p = names[name]
    shortest = min(PERIODS, key=lambda q: q.minutes)
    why = " That is the shortest one: `min` instead of `max`?" if p == shortest else ""
    raise Incorrect(f"{p.name!r} lasted {format_duration(p.minutes)}, but another period lasted longer. "
                    f"Compare the `minutes` of all three in `timeline.PERIODS`.{why}")


def _check_cascade(order) -> None:
    if isinstance(order, str):
        raise Incorrect("`cascade_order` should be a list of the four links, not one string.")
    order = expect_type(order, list, "`cascade_order`", sequence=True)
    strangers = [x for x in order if x not in CASCADE]
    if strangers:
        raise Incorrect(f"{strangers[0]!r} is not one of the links: copy the four strings from "
                        "`timeline.CASCADE` and only change their order.")
    if len(set(order)) != len(order):
        raise Incorrect("`cascade_order` names a link twice: each of the four links appears exactly once.")
    if sorted(order) != sorted(CASCADE):
        raise Incorrect("`cascade_order` should contain each of the four links in `timeline.CASCADE` exactly once.")
    if order == list(reversed(CASCADE)):
        raise Incorrect("That is the chain backwards: put first the link whose failure started everything.",
                        case=" -> ".join(order))
    alphabetical = " (That is alphabetical order, not causal order.)" if order == sorted(CASCADE) else ""
    for i, (got, want) in enumerate(zip(order, CASCADE, strict=True)):
        if got != want:
            raise Incorrect(f"position {i + 1} should be {want!r}, not {got!r}: ask, for each link, "
                            f"which failure it was waiting on.{alphabetical}",
                            case=" -> ".join(order))


_DNS = timeline.PUBLISHED["dns restored"]
_RECOVERED = timeline.PUBLISHED["dynamodb recovered"]


def _check_fraction_after_dns(value) -> None:
    value = expect_type(value, numbers.Real, "`fraction_after_dns`")
    if not math.isfinite(value):
        raise Incorrect(f"`fraction_after_dns` is {value}, not a number between 0 and 1.")
    whole = duration(EVENT_START, EVENT_END)
    after = duration(_DNS.time, EVENT_END)
    expected = after / whole
    if abs(value - expected) <= 0.01:
        return
    from_recovery = duration(_RECOVERED.time, EVENT_END) / whole
    if abs(value - from_recovery) <= 0.002:
        raise Incorrect(f"{value:.3f} counts from {_RECOVERED.clock}, when DynamoDB recovered; DNS was restored "
                        f"at {_DNS.clock}.")
    if abs(value - (1 - expected)) <= 0.01:
        raise Incorrect(f"{value:.2f} is the fraction BEFORE DNS was restored; the question asks for the rest.")
    if value < 0:
        raise Incorrect(f"{value:g} is negative: a fraction of the event is between 0 and 1 (the subtraction "
                        "may be the wrong way round).")
    if abs(value - after) < 1 or abs(value - whole) < 1:
        raise Incorrect(f"{value:g} is a number of minutes; divide the minutes after the repair by the minutes of "
                        f"the whole event ({whole}).")
    if abs(value - 100 * expected) <= 1 or abs(value - 100 * (1 - expected)) <= 1:
        raise Incorrect(f"{value:g} is a percentage; give a fraction (e.g. 0.5), not a percentage.")
    if value > 1:
        raise Incorrect(f"{value:g} is more than 1: give a fraction (e.g. 0.5), not a percentage or minutes.")
    if abs(value - duration(_DNS.time, EVENT_END) / (whole + _DAY)) <= 0.01:
        raise Incorrect(f"{value:.3f} divides by a day too many: the event ran {whole} minutes.")
    raise Incorrect(f"{value:.3f} is off by more than 0.01. Divide the minutes from {_DNS.clock} to "
                    f"{EVENT_END:%H:%M} by the minutes of the whole event ({whole}).")


q1 = Exercise("q1", "minutes_after_start", _check_minutes_after_start, chapter="00", hints=[
    "Build a datetime for the clock time. Which day is 00:38 on? Which day is 23:30 on?",
    "`timeline.at(hhmm)` already picks the right day. Subtracting two datetimes gives a `timedelta`; how many "
    "minutes is it, and can it be negative?",
])
q2 = Exercise("q2", "longest_period", _check_longest_period, chapter="00", hints=[
    "Each item of `timeline.PERIODS` has `.name` and `.minutes`.",
    "`max` takes a `key=` function: which attribute should it compare?",
])
q3 = Exercise("q3", "cascade_order", _check_cascade, chapter="00", hints=[
    "Which link was the trigger? Which link could only fail because an earlier one had failed?",
    "DWFM needed DynamoDB for its state checks; NLB's health checks failed on instances whose network state "
    "Network Manager had not yet pushed.",
])
q4 = Exercise("q4", "fraction_after_dns", _check_fraction_after_dns, chapter="00", hints=[
    f"DNS was restored at {_DNS.clock}; the event ended at {EVENT_END:%H:%M}.",
    "`duration(start, end)` gives whole minutes: which two durations do you divide?",
])
