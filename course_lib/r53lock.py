"""The Enactors' lock, kept in Route 53 itself: a TXT record whose value is "holder epoch".

As reported from Craig Howard's re:Invent talk ([S2]): the lock is a TXT record; its value
is the holder's hostname plus an epoch time in seconds that says until when the lock is valid; an Enactor
takes the lock with one all-or-nothing change batch that DELETEs the old lock record (with its exact old
value) and CREATEs the new one; an Enactor that fails backs off and tries again later.  The exact-match
DELETE makes the batch a compare-and-swap: two Enactors that read the same old value cannot both win.
That this is a lease (a lock with an expiry) is the course's reading [INTERPRETATION].
"""

from __future__ import annotations

import math

from .route53 import Change, ChangeRejected, HostedZone, Record
from .validate import check_number, check_type

__all__ = ["LockState", "holder_of", "lock_value", "parse_lock", "release", "try_acquire"]

LockState = tuple[str, float]  # (holder, expires_at)


def _holder(holder) -> str:
    check_type("holder", holder, str, "a holder name (a string)")
    if not holder.strip():
        raise ValueError("holder must be a non-empty name, got an empty string")
    return holder


def _name(name) -> str:
    check_type("name", name, str, "the lock record's name (a string)")
    if not name:
        raise ValueError("name must be the lock record's non-empty name")
    return name


def lock_value(holder: str, expires_at: float) -> str:
    """Return the TXT value for *holder* holding the lock until *expires_at* (epoch seconds)."""
    expires_at = check_number("expires_at", expires_at, lo=0, hi=1e15)
    return f"{_holder(holder)} {expires_at:.0f}"


def parse_lock(record: Record | None) -> LockState | None:
    """Return (holder, expires_at) from a lock TXT record, or None if there is no record."""
    if record is None:
        return None
    check_type("record", record, Record, "a lock Record (or None)")
    value = record.values[0] if len(record.values) == 1 else None
    holder, _, epoch = (value or "").rpartition(" ")
    try:
        expires = float(epoch)
    except ValueError:
        expires = float("nan")
    if record.type != "TXT" or not holder or not math.isfinite(expires):
        raise ValueError(f"record must be a lock: one TXT value 'holder epoch', got {record.type} {record.values!r}")
    return holder, expires


def holder_of(zone: HostedZone, name: str, now: float) -> str | None:
    """Return who holds the lock at time *now*, or None if it is free or expired."""
    check_type("zone", zone, HostedZone)
    now = check_number("now", now)
    state = parse_lock(zone.get(_name(name), "TXT"))
    return state[0] if state and state[1] > now else None


def try_acquire(zone: HostedZone, name: str, holder: str, now: float, lease: float,
                seen: Record | bool | None = False) -> bool:
    """Try to take (or renew) the lock for *lease* seconds with one change batch; return True if it worked.

    *seen* is the lock record the caller read earlier (None: "it was absent"); by default the record is read
    now.  Passing an old read models the gap between read and write: the batch then fails if the lock
    changed in between, because the DELETE no longer matches exactly.
    """
    check_type("zone", zone, HostedZone)
    name, holder = _name(name), _holder(holder)
    now = check_number("now", now, lo=0, hi=1e15)
    lease = check_number("lease", lease, lo=0, lo_open=True, hi=1e15)
    if seen is not False and seen is not None:
        check_type("seen", seen, Record, "the lock Record read earlier, None (it was absent) or False (read now)")
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
    check_type("zone", zone, HostedZone)
    holder = _holder(holder)
    current = zone.get(_name(name), "TXT")
    state = parse_lock(current)
    if not state or state[0] != holder:
        return False
    return zone.try_change([Change("DELETE", current)])
