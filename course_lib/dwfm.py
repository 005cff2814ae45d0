"""DropletWorkflow Manager (DWFM): droplet leases, their loss during the outage, and congestive collapse.

What the post-event summary says ([S1e][S1f], fact sheet §4): DWFM holds a lease on every droplet and renews
it with a state check every few minutes; the checks depend on DynamoDB.  Between 23:48 and 02:24 the checks
failed and leases slowly timed out.  At 02:25 DynamoDB's DNS was restored and DWFM tried to re-establish every
lease at once; establishing a lease then took longer than the lease timeout, each failed attempt queued more
work, and DWFM "had entered a state of congestive collapse".  At 04:14 engineers throttled incoming work and
selectively restarted DWFM hosts, which cleared the queues; at 05:28 DWFM held leases with all droplets.

The model, minute by minute with integer counts (the same ``DeadlineQueue`` as the retry storm):
an attempt to establish a lease waits in a FIFO queue and must finish within ``lease_timeout`` minutes of
being queued; if it does not, it fails, the droplet goes back to the backlog and new work is queued for it
(the sustaining effect).  The server still spends time on attempts whose deadline has passed (wasted work),
and the time per attempt grows with the length of the queue (``slowdown`` per ``QUEUE_SCALE`` queued attempts,
the same for any fleet), which restarts undo.  Held leases are renewed
every ``check_interval`` minutes; a renewal stuck behind more than the remaining lease time fails and the
lease is lost.  AWS published no fleet size, host count, timeout or rate ([S1e]); every such number here is a
**model choice**, and ``rate`` is calibrated so that the default run tells the published story:
collapse from 02:25, throttling plus restarts at 04:14, all leases held at about 05:28.
Mitigations: ``throttle`` (admit work only up to a queue target), ``restart`` (drop the queue once), both,
``LIFO`` (serve the newest attempt first) and ``admission control`` (the throttle, in place from 02:25).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import numpy as np

from . import timeline
from .metastable import DeadlineQueue
from .validate import check_choice, check_int, check_number

__all__ = ["DEFAULT_FLEET", "DEFAULT_RATE", "DEFAULT_TIMEOUT", "MITIGATIONS",
           "QUEUE_SCALE", "TIMES", "LeaseRun", "clock", "minutes", "simulate", "throttle_by_queue"]

TIMES = {"event start": "23:48", "leases stop timing out": "02:24", "DNS restored": "02:25",
         "throttling and restarts": "04:14", "all leases held": "05:28"}  # [S1e][S1f]
DEFAULT_RATE = 1440.0  # attempts a minute: calibrated so throttling + restarts at 04:14 give all leases at 05:28
DEFAULT_TIMEOUT = 10.0  # lease timeout in minutes (model choice; AWS published none)
DEFAULT_FLEET = 100_000  # droplets (model choice; AWS published no count)
# Queued attempts at which one attempt takes (1 + slowdown) times as long (model choice).  A fixed number of
# attempts, not a share of the fleet: a queue of 7,200 attempts costs the same whatever the fleet, so a smaller
# fleet (less to re-establish) never recovers later than a larger one under the same throttle.
QUEUE_SCALE = 100_000
MITIGATIONS = ("none", "throttle", "restart", "throttle+restart", "LIFO", "admission control")


def minutes(hhmm: str) -> int:
    """Return the model minute (minutes after the 23:48 PDT start) of a clock time 'HH:MM' that night."""
    return timeline.duration(timeline.EVENT_START, timeline.at(hhmm))


def clock(minute: float) -> str:
    """Return the PDT clock time 'HH:MM' of a model minute."""
    return (timeline.EVENT_START + timedelta(minutes=round(minute))).strftime("%H:%M")


def throttle_by_queue(queue: int, backlog: int, target: int) -> int:
    """Admit only enough new work to bring the queue up to *target* (rate-limited by queue size)."""
    return max(0, min(backlog, target - queue))


@dataclass(frozen=True)
class LeaseRun:
    """Leases over time, per minute: held, backlog, queue, and what happened to each attempt."""

    t: np.ndarray
    held: np.ndarray
    backlog: np.ndarray
    queue: np.ndarray
    established: np.ndarray
    timed_out: np.ndarray
    wasted: np.ndarray
    dropped: np.ndarray
    attempts: np.ndarray
    pending: int
    fleet: int
    mitigation: str
    mitigation_at: float

    def all_held_at(self) -> float:
        """Return the first minute after DNS was restored with every lease held (inf if never)."""
        after = self.t >= minutes(TIMES["DNS restored"])
        full = np.nonzero(after & (self.held == self.fleet))[0]
        return float(self.t[full[0]]) if full.size else float("inf")


def simulate(fleet: int = DEFAULT_FLEET, lease_timeout: float = DEFAULT_TIMEOUT, check_interval: int = 3,
             rate: float = DEFAULT_RATE,
             slowdown: float = 1.0, mitigation: str = "throttle+restart", mitigation_at: str = "04:14",
             throttle: int | None = None, throttle_fn: Callable | None = None, horizon: str = "06:30",
             outage_end: str = "02:25") -> LeaseRun:
    """Run DWFM through the night and return leases held per minute."""
    fleet = check_int("fleet", fleet, lo=1, hi=10_000_000)
    lease_timeout = check_number("lease_timeout", lease_timeout, lo=1, hi=240)
    check_interval = check_int("check_interval", check_interval, lo=1, hi=int(lease_timeout))
    rate = check_number("rate", rate, lo=0, lo_open=True)
    slowdown = check_number("slowdown", slowdown, lo=0, hi=100)
    check_choice("mitigation", mitigation, MITIGATIONS)
    end, fix, stop = (minutes(_check_clock(n, v)) for n, v in
                      (("outage_end", outage_end), ("mitigation_at", mitigation_at), ("horizon", horizon)))
    if not end < stop:
        raise ValueError(f"horizon must be after outage_end ({outage_end}), got {horizon}")
    if not end <= fix <= stop:
        raise ValueError(f"mitigation_at must be between outage_end ({outage_end}) and the horizon ({horizon}), "
                         f"got {mitigation_at}")
    target = int(rate * lease_timeout / 2) if throttle is None else check_int("throttle", throttle, lo=0)
    window = round(lease_timeout)
    queue = DeadlineQueue(1, window, 1)
    held = np.zeros(check_interval, dtype=np.int64)  # held leases by minutes since their last state check
    held[:] = fleet // check_interval
    held[0] += fleet - held.sum()
    backlog = 0
    # Leases time out evenly over the outage (model choice; the PES says they "slowly timed out").
    expiring = np.diff(np.floor(np.linspace(0, fleet, end + 1)).astype(np.int64))
    rec = {k: np.zeros(stop + 1, dtype=np.int64) for k in ("held", "backlog", "queue", "established", "timed_out",
                                                            "wasted", "dropped", "attempts")}
    carry = 0.0
    # Admission control is a standing mechanism (the queue-size throttle AWS announced [S1g], applied here to
    # DWFM as a model choice): it is in place before the trigger, so it acts as soon as work returns at 02:25.
    fix = end if mitigation == "admission control" else fix
    for t in range(stop + 1):
        mitigated = mitigation != "none" and t >= fix
        if t < end:
            backlog += _take_oldest(held, expiring[t])
        else:
            if mitigated and t == fix and "restart" in mitigation:
                fresh, stale = queue.clear()
                backlog += int(fresh.sum())
                rec["dropped"][t] = int(fresh.sum())
            size = int(queue.size()[0])
            admit = backlog
            if mitigated and throttle_fn is not None:
                admit = int(throttle_fn(size, backlog))
            elif mitigated and ("throttle" in mitigation or mitigation == "admission control"):
                admit = throttle_by_queue(size, backlog, target)
            admit = min(max(admit, 0), backlog)
            backlog -= admit
            queue.push(np.array([[admit]]))
            rec["attempts"][t] = admit
            lifo = mitigated and mitigation == "LIFO"
            # Work per attempt grows with the queue (model choice); renewals take a small share of the rate.
            speed = rate / (1.0 + slowdown * (size + admit) / QUEUE_SCALE)
            carry += speed
            cap = int(carry)
            carry -= cap
            ok, stale = queue.serve(np.array([cap]), lifo)
            expired = int(queue.expire()[0, 0])
            backlog += expired
            wait = 0.0 if lifo else float(queue.size()[0]) / max(speed, 1e-9)
            due = int(held[-1])
            held[1:] = held[:-1]
            held[0] = int(ok[0, 0])
            if wait <= lease_timeout - check_interval:
                held[0] += due  # the state check got through in time: the lease is renewed
            else:
                backlog += due
            rec["established"][t], rec["timed_out"][t], rec["wasted"][t] = int(ok[0, 0]), expired, int(stale[0])
        rec["held"][t], rec["backlog"][t], rec["queue"][t] = int(held.sum()), backlog, int(queue.size()[0])
    pending = int(queue.fresh.sum())
    return LeaseRun(t=np.arange(stop + 1, dtype=float), pending=pending, fleet=fleet, mitigation=mitigation,
                    mitigation_at=float(fix), **rec)


def _take_oldest(held: np.ndarray, k: int) -> int:
    """Remove up to *k* leases from the cohorts checked longest ago; return how many were removed."""
    taken = 0
    for i in range(held.size - 1, -1, -1):
        step = min(int(held[i]), k - taken)
        held[i] -= step
        taken += step
    return taken


def _check_clock(name: str, value) -> str:
    """Return *value* if it is a clock time 'HH:MM', else raise ValueError naming *name*."""
    if not isinstance(value, str) or len(value) != 5 or value[2] != ":" or not (value[:2] + value[3:]).isdigit() \
            or int(value[:2]) > 23 or int(value[3:]) > 59:
        raise ValueError(f"{name} must be a clock time 'HH:MM' (PDT), got {value!r}")
    return value
