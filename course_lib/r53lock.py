"""The Enactors' lock, kept in Route 53 itself: a TXT record whose value is "holder epoch".

As reported from Craig Howard's re:Invent talk (fact sheet §1, [S2]): the lock is a TXT record; its value
is the holder's hostname plus an epoch time in seconds that says until when the lock is valid; an Enactor
takes the lock with one all-or-nothing change batch that DELETEs the old lock record (with its exact old
value) and CREATEs the new one; an Enactor that fails backs off and tries again later.  The exact-match
DELETE makes the batch a compare-and-swap: two Enactors that read the same old value cannot both win.
That this is a lease (a lock with an expiry) is the course's reading [INTERPRETATION].
"""

from __future__ import annotations

from .route53 import Change, ChangeRejected, HostedZone, Record
from .validate import check_number, check_type

__all__ = ["LockState", "holder_of", "lock_value", "parse_lock", "release", "try_acquire"]

LockState = tuple[str, float]  # (holder, expires_at)


def lock_value(holder: str, expires_at: float) -> str:
    """Return the TXT value for *holder* holding the lock until *expires_at* (epoch seconds)."""
    return f"{holder} {expires_at:.0f}"


def parse_lock(record: Record | None) -> LockState | None:
    """Return (holder, expires_at) from a lock TXT record, or None if there is no record."""
    if record is None:
        return None
    holder, epoch = record.values[0].rsplit(" ", 1)
    return holder, float(epoch)


def holder_of(zone: HostedZone, name: str, now: float) -> str | None:
    """Return who holds the lock at time *now*, or None if it is free or expired."""
    state = parse_lock(zone.get(name, "TXT"))
    return state[0] if state and state[1] > now else None


def try_acquire(zone: HostedZone, name: str, holder: str, now: float, lease: float,
                seen: Record | bool | None = False) -> bool:
    """Try to take (or renew) the lock for *lease* seconds with one change batch; return True if it worked.

    *seen* is the lock record the caller read earlier (None: "it was absent"); by default the record is read
    now.  Passing an old read models the gap between read and write: the batch then fails if the lock
    changed in between, because the DELETE no longer matches exactly.
    """
    check_type("holder", holder, str)
    now = check_number("now", now, lo=0)
    lease = check_number("lease", lease, lo=0, lo_open=True)
    current = zone.get(name, "TXT") if seen is False else seen
    state = parse_lock(current)
    if state and state[0] != holder and state[1] > now:
        return False  # held by someone else and not expired: back off
    new = Record(name, "TXT", (lock_value(holder, now + lease),))
    batch = [Change("DELETE", current), Change("CREATE", new)] if current else [Change("CREATE", new)]
    try:
        zone.change(batch)
    except ChangeRejected:
        return False
    return True


def release(zone: HostedZone, name: str, holder: str) -> bool:
    """Delete the lock record if *holder* owns it; return True if it was released."""
    current = zone.get(name, "TXT")
    state = parse_lock(current)
    if not state or state[0] != holder:
        return False
    return zone.try_change([Change("DELETE", current)])
