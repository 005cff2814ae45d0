"""DynamoDB's reachability through the night: the first stage of the cascade, as a plain result.

What the record says ([S1e][S1f], the course's timeline): from 23:48 the regional endpoint's DNS record was
empty, so nothing could reach DynamoDB; at 02:25 all DNS information was restored; at 02:40 cached DNS
records had expired and connections succeeded again.  Downstream stages read an :class:`Availability`
instead of typing those times in.

The 15 minutes between the DNS repair and reachability are resolvers still answering from their cache: an
empty answer cached before the repair is served until it expires.  AWS published no TTL; ``DEFAULT_TTL`` is a
**model choice set equal to the record** by subtraction: the published recovery (02:40) minus the published
repair (02:25).
Times are model minutes (minutes after 23:48 PDT, see ``course_lib.timeline``).
"""

from __future__ import annotations

from dataclasses import dataclass

from . import timeline
from .params import Param, Spec
from .validate import check_number

__all__ = ["DEFAULT_TTL", "SPEC", "Availability", "after_repair", "published"]

# Set equal to the record: 02:40 (DynamoDB recovered) minus 02:25 (DNS restored), both published [S1e][S1f].
DEFAULT_TTL = timeline.published("dynamodb recovered") - timeline.published("dns restored")
_LO, _HI = -float(timeline.LAST_MINUTE), float(timeline.LAST_MINUTE)

SPEC = Spec((
    Param("repair_at", timeline.published("dns restored"), lo=0.0, hi=_HI, label="DNS repaired at",
          unit="min after 23:48", view=(60.0, 600.0), step=1.0),
    Param("ttl", DEFAULT_TTL, lo=0.0, hi=24 * 60.0, label="cached empty answers expire after", unit="min",
          view=(0.0, 60.0), step=1.0,
          help="model choice set equal to the record: 02:40 (recovered) minus 02:25 (DNS repaired)"),
))


@dataclass(frozen=True)
class Availability:
    """When DynamoDB became unreachable, when its DNS was restored, and when clients reached it again."""

    unreachable_from: float
    dns_restored: float
    reachable_at: float

    def __post_init__(self):
        for name in ("unreachable_from", "dns_restored", "reachable_at"):
            object.__setattr__(self, name, check_number(name, getattr(self, name), lo=_LO, hi=_HI))
        if not self.unreachable_from <= self.dns_restored <= self.reachable_at:
            raise ValueError("an Availability needs unreachable_from <= dns_restored <= reachable_at (minutes), got "
                             f"{self.unreachable_from:g}, {self.dns_restored:g}, {self.reachable_at:g}")

    @property
    def outage_minutes(self) -> float:
        """Minutes in which clients could not reach DynamoDB."""
        return self.reachable_at - self.unreachable_from

    def reachable(self, minute: float) -> bool:
        """Return True if clients could reach DynamoDB at *minute*."""
        minute = check_number("minute", minute, lo=_LO, hi=_HI)
        return not self.unreachable_from <= minute < self.reachable_at


def published() -> Availability:
    """Return the night as published: unreachable from 23:48, DNS restored 02:25, reachable from 02:40."""
    return Availability(timeline.published("event start"), timeline.published("dns restored"),
                        timeline.published("dynamodb recovered"))


def after_repair(repair_at: float, ttl: float = DEFAULT_TTL) -> Availability:
    """Return the night if DNS had been repaired at *repair_at*: reachable once cached empty answers expire."""
    repair_at = SPEC.check("repair_at", repair_at)
    ttl = SPEC.check("ttl", ttl)
    start = timeline.published("event start")
    if repair_at + ttl > _HI:
        raise ValueError(f"repair_at + ttl must be at most {_HI:g} minutes, got {repair_at + ttl:g}")
    return Availability(start, repair_at, repair_at + ttl)
