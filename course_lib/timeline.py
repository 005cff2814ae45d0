"""The published timeline of 19–20 October 2025 in us-east-1, as data (Chapter 0).

All times are PDT, as AWS published them; the event began late on Sunday 19 October.  Each entry names
its source keys (the course's bibliography resolves them).  Rows that only one compilation carries are left
out; the Pragmatic Engineer's incident narrative [S2] is labelled "as reported".  Durations are computed from
these times, never typed in.

This module is the only place in ``course_lib`` where a published clock time is written down.  Models work in
**minutes after the event start** (19 Oct 23:48 PDT, minute 0) as floats: :func:`minutes` turns a clock time
into a model minute, :func:`clock` turns a minute back into 'HH:MM', and :data:`PUBLISHED` names the moments
the models are compared with (``PUBLISHED["dns restored"].minute == 157``).
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from datetime import datetime, timedelta

from .validate import check_choice, check_int, check_type

__all__ = [
    "CASCADE",
    "EVENTS",
    "EVENT_END",
    "EVENT_START",
    "IMPAIRMENTS",
    "PERIODS",
    "PROPER_NAMES",
    "PUBLISHED",
    "SERVICES",
    "STILL_OPEN",
    "Impairment",
    "Moment",
    "Period",
    "Snapshot",
    "TimelineEvent",
    "at",
    "clock",
    "describe",
    "duration",
    "event",
    "format_duration",
    "format_time",
    "minutes",
    "published",
    "slider_options",
    "snapshot",
    "status_at",
]


def at(hhmm: str, day: int | None = None) -> datetime:
    """Return the PDT datetime for "HH:MM"; without *day*, times from 23:00 are 19 Oct and earlier ones 20 Oct."""
    check_type("hhmm", hhmm, str)
    try:
        clock = datetime.strptime(hhmm, "%H:%M")
    except ValueError:
        raise ValueError(f"hhmm must be a time like '02:25', got {hhmm!r}") from None
    if day is None:
        day = 19 if clock.hour >= 23 else 20
    check_choice("day", day, (19, 20, 21))
    return datetime(2025, 10, day, clock.hour, clock.minute)


@dataclass(frozen=True)
class TimelineEvent:
    """One published moment: when (PDT), what happened, which service, and its source keys (docs/sources.md)."""

    time: datetime
    what: str
    service: str
    sources: tuple[str, ...]
    reported: bool = False  # True: from the incident narrative [S2], "as reported"

    @property
    def clock(self) -> str:
        return self.time.strftime("%H:%M")


def _e(hhmm, what, service, *sources, reported=False) -> TimelineEvent:
    return TimelineEvent(at(hhmm), what, service, tuple(sources), reported)


EVENTS: tuple[TimelineEvent, ...] = (
    _e("23:48", "Event starts: DynamoDB API errors; the race leaves the regional endpoint's DNS record empty; "
       "EC2 DWFM state checks start failing", "DynamoDB", "S1b", "S1e", "S1f"),
    _e("23:48", "A separate packet-loss event begins in the border network of use1-az1", "Network", "S2",
       reported=True),
    _e("23:52", "AWS Incident Response detects the impact and pages responders", "Response", "S2", reported=True),
    _e("23:54", "Automated metric triage points to networking", "Response", "S2", reported=True),
    _e("00:26", "Someone asks why DynamoDB is not resolving in DNS", "Response", "S2", reported=True),
    _e("00:27", "The call splits into a DynamoDB call and a networking call", "Response", "S2", reported=True),
    _e("00:31", "`dig` shows DynamoDB's DNS records are wrong", "Response", "S2", reported=True),
    _e("00:38", "Engineers identify DynamoDB's DNS state as the source", "DynamoDB", "S1e", "S1f", "S1h"),
    _e("01:03", "An RPZ override for internal resolvers is prepared", "Response", "S2", reported=True),
    _e("01:15", "Temporary mitigation: some internal services reconnect; key internal tooling repaired",
       "Internal services", "S1e", "S1f"),
    _e("01:15", "RPZ override applied on internal resolvers; IAM, STS and SQS in us-east-1 recover",
       "Internal services", "S2", reported=True),
    _e("02:15", "Public DNS fix: the top-level alias is replaced, pointing at a rollback tree", "DynamoDB", "S2",
       reported=True),
    _e("02:25", "All DynamoDB DNS information restored; DWFM starts re-establishing droplet leases",
       "DynamoDB", "S1e", "S1f", "S2"),
    _e("02:40", "DynamoDB recovered: cached DNS records expire and connections succeed", "DynamoDB",
       "S1b", "S1e", "S1f", "S1h"),
    _e("04:14", "EC2: throttling of incoming work and selective restarts of DWFM hosts", "EC2", "S1e", "S1f"),
    _e("05:28", "DWFM holds leases with all droplets; launches start to succeed; Network Manager backlog begins",
       "EC2", "S1e", "S1f"),
    _e("05:30", "NLB connection errors begin", "NLB", "S1e", "S1f", "S1h"),
    _e("06:21", "Network Manager propagation slows: new instances launch without network connectivity", "EC2",
       "S1e", "S1f"),
    _e("06:52", "Monitoring detects the NLB health-check failures", "NLB", "S1e", "S1f"),
    _e("09:36", "Automatic health-check failover for NLB disabled; NLB connection errors resolve", "NLB",
       "S1e", "S1f"),
    _e("10:36", "Network propagation times back to normal; launches normal", "EC2", "S1e", "S1f"),
    _e("11:23", "Engineers start relaxing EC2 throttles", "EC2", "S1e", "S1f"),
    _e("13:50", "All EC2 APIs and launches fully normal", "EC2", "S1e", "S1f", "S1h"),
    _e("14:09", "NLB automatic health-check failover re-enabled", "NLB", "S1e", "S1f", "S1h"),
    _e("14:20", "Event ends", "All", "S1b", "S1e", "S1f", "S1h"),
)

EVENT_START, EVENT_END = EVENTS[0].time, EVENTS[-1].time
LAST_MINUTE = 24 * 60 * 2  # model minutes are accepted up to two days after the start (an explicit bound)


def minutes(hhmm: str) -> int:
    """Return the model minute of a clock time that night: minutes after 19 Oct 23:48 PDT.

    Times from 23:00 are 19 October (so 23:00 is minute -48), earlier ones 20 October (02:25 is 157).
    """
    return duration(EVENT_START, at(hhmm)) if at(hhmm) >= EVENT_START else -duration(at(hhmm), EVENT_START)


def clock(minute: float) -> str:
    """Return the PDT clock time 'HH:MM' of a model minute (rounded to the nearest minute)."""
    if type(minute) not in (float, int) and (isinstance(minute, bool) or not isinstance(minute, numbers.Real)):
        raise TypeError(f"minute must be a number of minutes after 23:48 PDT, got {type(minute).__name__} "
                        f"{minute!r}")
    if not math.isfinite(minute) or not -LAST_MINUTE <= minute <= LAST_MINUTE:
        raise ValueError(f"minute must be a finite number of minutes in [-{LAST_MINUTE}, {LAST_MINUTE}], "
                         f"got {minute}")
    return (EVENT_START + timedelta(minutes=round(float(minute)))).strftime("%H:%M")


@dataclass(frozen=True)
class Moment:
    """A named published moment: its model minute, clock time, what happened and its source keys."""

    name: str
    minute: float
    what: str
    sources: tuple[str, ...]
    reported: bool = False  # True: only in the incident narrative [S2], "as reported"

    @property
    def clock(self) -> str:
        return clock(self.minute)

    @property
    def time(self) -> datetime:
        return EVENT_START + timedelta(minutes=self.minute)

    @property
    def label(self) -> str:
        """The moment's name as a picture shows it, with proper names capitalised (NLB, DNS, EC2, ...)."""
        return " ".join(PROPER_NAMES.get(word, word) for word in self.name.split())

    def __float__(self) -> float:
        return float(self.minute)


# How the lower-case words of the moments' names are written when shown (one place for every plot).
PROPER_NAMES = {"nlb": "NLB", "dns": "DNS", "ec2": "EC2", "dynamodb": "DynamoDB", "rpz": "RPZ", "az": "AZ"}


def _m(name: str, hhmm: str, service: str | None = None) -> Moment:
    e = event(hhmm, service)
    return Moment(name, float(minutes(hhmm)), e.what, e.sources, e.reported)




def event(hhmm: str, service: str | None = None) -> TimelineEvent:
    """Return the first event at *hhmm* (optionally for *service*)."""
    check_type("hhmm", hhmm, str)
    if service is not None:
        check_type("service", service, str)
    for e in EVENTS:
        if e.clock == hhmm and (service is None or e.service == service):
            return e
    raise ValueError(f"no event at hhmm {hhmm!r}" + (f" for service {service!r}" if service else ""))


@dataclass(frozen=True)
class Period:
    """One of the post-event summary's three periods of impact."""

    name: str
    start: datetime
    end: datetime
    sources: tuple[str, ...]

    @property
    def minutes(self) -> int:
        return duration(self.start, self.end)


PERIODS: tuple[Period, ...] = (
    Period("DynamoDB API errors", at("23:48"), at("02:40"), ("S1b", "S1h")),
    Period("EC2 launch and connectivity problems", at("02:25"), at("13:50"), ("S1e",)),
    Period("NLB connection errors", at("05:30"), at("14:09"), ("S1b", "S1h")),
)


@dataclass(frozen=True)
class Impairment:
    """A stretch of time in which a service was impaired (or mitigated), the mechanism, and its chapter."""

    service: str
    start: datetime
    end: datetime
    status: str  # "impaired" or "mitigated"
    mechanism: str  # what was known while it lasted: never names a later time
    chapter: int
    sources: tuple[str, ...]
    label: str = ""  # a short name for the bar segment in the status plot


SERVICES = ("DynamoDB", "Internal services", "EC2 launches", "NLB")

IMPAIRMENTS: tuple[Impairment, ...] = (
    Impairment("DynamoDB", at("23:48"), at("02:25"), "impaired",
               "the regional endpoint's DNS record is empty (Enactor race; clean-up deleted the active plan)",
               2, ("S1c", "S1d", "S1e"), "empty DNS record"),
    Impairment("DynamoDB", at("02:25"), at("02:40"), "mitigated",
               "DNS restored; cached empty answers still expiring", 5, ("S1e", "S1f"), "caches expiring"),
    Impairment("Internal services", at("23:48"), at("01:15"), "impaired",
               "cannot resolve DynamoDB's endpoint", 2, ("S1e",), "cannot resolve"),
    Impairment("Internal services", at("01:15"), at("02:40"), "mitigated",
               "temporary mitigation lets some internal services connect", 5, ("S1e", "S1f"), "mitigation"),
    Impairment("EC2 launches", at("23:48"), at("02:25"), "impaired",
               "DWFM state checks need DynamoDB; droplet leases time out, so launches find no capacity",
               4, ("S1e",), "leases time out"),
    Impairment("EC2 launches", at("02:25"), at("05:28"), "impaired",
               "DWFM in congestive collapse re-establishing leases", 4, ("S1e", "S1f"), "DWFM collapse"),
    Impairment("EC2 launches", at("05:28"), at("06:21"), "impaired",
               "launches succeed again, many refused by the throttles; Network Manager has a backlog of network "
               "state to propagate", 4, ("S1e", "S1f"), "NM backlog"),
    Impairment("EC2 launches", at("06:21"), at("10:36"), "impaired",
               "Network Manager backlog: new instances launch without network connectivity", 4, ("S1e", "S1f"),
               "no connectivity"),
    Impairment("EC2 launches", at("10:36"), at("11:23"), "mitigated",
               "network propagation times back to normal since 10:36; EC2 not yet fully recovered, throttles "
               "still on", 4, ("S1e", "S1f"), "throttled"),
    Impairment("EC2 launches", at("11:23"), at("13:50"), "mitigated",
               "network propagation normal; EC2 not yet fully recovered, engineers relaxing the throttles since "
               "11:23", 4, ("S1e", "S1f"), "relaxing"),
    Impairment("NLB", at("05:30"), at("09:36"), "impaired",
               "health checks fail on instances without network state; AZ failover removes healthy capacity",
               4, ("S1e", "S1h"), "failover removes capacity"),
    Impairment("NLB", at("09:36"), at("14:09"), "mitigated",
               "automatic health-check failover switched off by hand", 5, ("S1e", "S1f"), "failover off"),
)
# From 14:09 every service above works, yet the event is not over: it ended at 14:20, when the last services
# (ECS, EKS, Fargate) had recovered [S1b][S1e].  The readout says so without naming the end time in advance.
STILL_OPEN = "event still open: other AWS services (such as ECS, EKS and Fargate) still recovering"

# The cascade as the chapters tell it: each link's failure fed the next.
CASCADE = ("DNS (DynamoDB endpoint)", "DWFM (droplet leases)", "Network Manager (network state)",
           "NLB (health checks)")


def duration(start: datetime, end: datetime) -> int:
    """Return the whole minutes from *start* to *end* (end must not precede start)."""
    check_type("start", start, datetime)
    check_type("end", end, datetime)
    if end < start:
        raise ValueError(f"end ({end:%d %b %H:%M}) must not be before start ({start:%d %b %H:%M})")
    return int((end - start) / timedelta(minutes=1))


def format_duration(minutes: int) -> str:
    """Return minutes as '14 h 32 min'."""
    minutes = check_int("minutes", minutes)
    hours, rest = divmod(int(minutes), 60)
    return f"{hours} h {rest:02d} min" if hours else f"{rest} min"


def format_time(t: datetime) -> str:
    """Return '20 Oct 02:25'."""
    check_type("t", t, datetime)
    return t.strftime("%d %b %H:%M")


def status_at(t: datetime) -> dict[str, Impairment | None]:
    """Return, for every service, the impairment in force at time *t* (None when it was working)."""
    check_type("t", t, datetime)
    if not (at("23:00") <= t <= at("15:00")):
        raise ValueError(f"t must be between 19 Oct 23:00 and 20 Oct 15:00 PDT, got {format_time(t)}")
    state: dict[str, Impairment | None] = dict.fromkeys(SERVICES)
    for imp in IMPAIRMENTS:
        if imp.start <= t < imp.end:
            state[imp.service] = imp
    return state


@dataclass(frozen=True)
class Snapshot:
    """What was broken at one moment: the time and each service's impairment (or None)."""

    time: datetime
    status: dict

    @property
    def impaired(self) -> list[str]:
        return [s for s, imp in self.status.items() if imp and imp.status == "impaired"]


def snapshot(minutes: int) -> Snapshot:
    """Return the state of every service *minutes* after the event started (23:48 PDT); may be negative."""
    minutes = check_int("minutes", minutes, lo=-48, hi=duration(EVENT_START, at("15:00")))
    t = EVENT_START + timedelta(minutes=minutes)
    return Snapshot(t, status_at(t))


def describe(snap: Snapshot) -> str:
    """Return one line naming, at the snapshot's time, each impaired or mitigated service and why.

    Only what was known at that moment: no mechanism names a later time, and between the last service's
    recovery and the end of the event the line says the event is still open.
    """
    check_type("snap", snap, Snapshot, "a Snapshot (from timeline.snapshot)")
    parts = [f"{s}: {imp.status}, {imp.mechanism} (Ch. {imp.chapter})"
             for s, imp in snap.status.items() if imp]
    if parts:
        text = "; ".join(parts)
    elif snap.time < EVENT_START:
        text = "all services working (before the event)"
    elif snap.time < EVENT_END:
        text = f"the services above all working; {STILL_OPEN}"
    else:
        text = "all services working: the event is over"
    return f"{format_time(snap.time)} PDT | {text}"


def slider_options(step: int = 10) -> list[tuple[str, int]]:
    """Return (label, minutes-after-start) pairs from 23:40 to 14:30 every *step* minutes, plus key moments."""
    step = check_int("step", step, lo=1, hi=120)
    minutes = set(range(-8, duration(EVENT_START, at("14:30")) + 1, step))
    minutes |= {duration(EVENT_START, e.time) for e in EVENTS}
    return [(format_time(EVENT_START + timedelta(minutes=m)), m) for m in sorted(minutes)]


# The moments the cascade's stages are compared with, by name (the stage models read their times here).
PUBLISHED: dict[str, Moment] = {m.name: m for m in (
    _m("event start", "23:48", "DynamoDB"),
    _m("identified", "00:38"),
    Moment("rpz override", float(minutes("01:15")), "Temporary mitigation for internal services (PES); as "
           "reported, an RPZ override on the internal resolvers", ("S1e", "S1f", "S2")),
    _m("alias repaired", "02:15"),
    Moment("leases stop timing out", float(minutes("02:24")), "End of the window in which droplet leases "
           "timed out", ("S1e",)),
    _m("dns restored", "02:25"),
    _m("dynamodb recovered", "02:40"),
    _m("throttling and restarts", "04:14"),
    _m("all leases held", "05:28"),
    _m("nlb errors begin", "05:30"),
    _m("connectivity problems", "06:21"),
    _m("nlb failures detected", "06:52"),
    _m("failover disabled", "09:36"),
    _m("propagation normal", "10:36"),
    _m("throttles relaxed", "11:23"),
    _m("ec2 normal", "13:50"),
    _m("failover re-enabled", "14:09"),
    _m("event end", "14:20"),
)}
def published(name: str) -> float:
    """Return the model minute of a named published moment (one of PUBLISHED)."""
    check_type("name", name, str)
    return PUBLISHED[check_choice("name", name, PUBLISHED)].minute
