"""The Enactor race's safety properties judged on a trace, and the PES steps located in a trace.

The properties themselves are defined once, on zone snapshots, in ``course_lib.dns.properties``; here each
is evaluated over a result's ``.trace`` (zone-changing events carry a ``snapshot``; ``.initial`` is the zone
before the first change) and returns a :class:`PropertyVerdict` naming the first event that broke it.  They
read only the trace, so they work on any run: published, random, replayed, with fixes or with a learner's
strategy.  ``summarize`` and ``slow_run_finished`` put a run's verdicts in one line.
"""

from __future__ import annotations

from dataclasses import dataclass

from .dns import properties as dns_properties
from .validate import check_int

__all__ = ["PROPERTIES", "PropertyVerdict", "active_plan_never_deleted", "became_stale_index", "check_all",
           "generation_never_decreases", "pes_steps", "record_never_empty", "slow_run_finished", "summarize"]


@dataclass(frozen=True)
class PropertyVerdict:
    """Whether a property held on a trace, and if not, the first event that broke it."""

    name: str
    holds: bool
    first_violation_index: int | None
    explanation: str

    def __str__(self) -> str:
        return f"{'holds' if self.holds else 'VIOLATED'}: {self.name} — {self.explanation}"


def _check_result(result):
    """Refuse anything but a run's result (a RaceResult: it has a trace, endpoints and the initial zone)."""
    if not (isinstance(getattr(result, "trace", None), list) and isinstance(getattr(result, "endpoints", None), tuple)):
        raise TypeError(f"result must be a RaceResult (from run_published, run_scenario, run_random or replay), "
                        f"got {type(result).__name__}")
    return result


def _where(result, i: int) -> str:
    e = result.trace[i]
    return f"event {i} (t={e.time:g}, {e.actor}: {e.kind} {e.detail})"


def _snapshots(result):
    """Yield (index, before, after) for every zone-changing event of the trace."""
    before = getattr(result, "initial", None)
    for i, e in enumerate(result.trace):
        after = e.data.get("snapshot")
        if after is not None:
            yield i, before, after
            before = after


def _verdict(result, name: str, held: str) -> PropertyVerdict:
    """Judge property *name* (from ``course_lib.dns.properties``) on every change the trace records."""
    _check_result(result)
    for i, before, after in _snapshots(result):
        if not dns_properties.holds(name, before, after):
            why = dns_properties.explain(name, before, after, result.endpoints)
            return PropertyVerdict(name, False, i, f"{_where(result, i)} {why}")
    return PropertyVerdict(name, True, None, held)


def record_never_empty(result) -> PropertyVerdict:
    """Judge whether every endpoint's alias pointed at an existing tree after every zone change."""
    return _verdict(result, "record never empty", "every endpoint always resolved to at least one IP")


def generation_never_decreases(result) -> PropertyVerdict:
    """Judge whether no zone change ever moved an endpoint's alias to an older plan generation."""
    return _verdict(result, "applied generation never decreases", "every alias only ever moved to newer plans")


def active_plan_never_deleted(result) -> PropertyVerdict:
    """Judge whether no zone change deleted a tree that an alias pointed at."""
    return _verdict(result, "active plan never deleted", "clean-up only deleted trees no alias pointed at")


PROPERTIES = {
    "record never empty": record_never_empty,
    "applied generation never decreases": generation_never_decreases,
    "active plan never deleted": active_plan_never_deleted,
}


def check_all(result) -> dict[str, PropertyVerdict]:
    """Return every property's verdict, by name."""
    _check_result(result)
    return {name: fn(result) for name, fn in PROPERTIES.items()}


def _first(trace, start: int, test) -> int | None:
    return next((i for i in range(start, len(trace)) if test(trace[i])), None)


def pes_steps(result) -> dict[int, int | None]:
    """Return the trace index of each PES step 1–7 ([S1c][S1d][S1e]), or None where it did not happen."""
    t = _check_result(result).trace
    steps: dict[int, int | None] = dict.fromkeys(range(1, 8))
    regional = result.endpoints[0]
    # Step 5 is the overwrite of the *regional* endpoint: an old plan on a variant is not the PES's step.
    over = _first(t, 0, lambda e: e.kind == "apply" and e.data["endpoint"] == regional
                  and e.data["previous"] is not None and e.data["generation"] < e.data["previous"])
    if over is None:
        return steps
    slow, old = t[over].actor, t[over].data["generation"]
    steps[1] = max(i for i in range(over) if t[i].actor == slow and t[i].kind == "check")
    steps[2] = _first(t, steps[1], lambda e: e.actor == "Planner")
    steps[3] = _first(t, steps[1], lambda e: e.kind == "done" and e.actor != slow and e.data["generation"] > old)
    if steps[3] is not None:
        fast = t[steps[3]].actor
        steps[4] = _first(t, steps[3], lambda e: e.kind == "clean-up start" and e.data["by"] == fast)
    steps[5] = over
    steps[6] = _first(t, over, lambda e: bool(e.data.get("deleted_active")))
    if steps[6] is not None:
        steps[7] = _first(t, steps[6], lambda e: e.kind == "blocked")
    return steps


def became_stale_index(result, check_index: int) -> int | None:
    """Return the first event after a check at which its plan was no longer newer than the regional alias."""
    t = _check_result(result).trace
    check_index = check_int("check_index", check_index, lo=0, hi=max(len(t) - 1, 0))
    e = t[check_index] if t else None
    if e is None or e.kind != "check":
        raise ValueError(f"check_index must be the index of a 'check' event, got {check_index}")
    regional = result.endpoints[0]
    return _first(t, check_index + 1, lambda x: x.actor != e.actor
                  and (x.data.get("aliases") or {}).get(regional, 0) is not None
                  and (x.data.get("aliases") or {}).get(regional, 0) >= e.data["generation"])


def slow_run_finished(result) -> bool:
    """Return True if Enactor 1 (the slow one) finished its first run before the horizon."""
    _check_result(result)
    ends = ("done", "blocked", "frozen", "freeze")
    return any(e.actor == "Enactor 1" and (e.kind in ends or (e.kind == "check" and not e.data["fresh"]))
               for e in result.trace)


def summarize(result) -> str:
    """Return one line: a verdict per property and the end state of the regional record."""
    marks = "; ".join(f"{'✔' if v.holds else '✘'} {name}" for name, v in check_all(result).items())
    end = result.answers[-1][1]
    state = ("STUCK: record empty, later runs blocked" if result.stuck else
             "FROZEN: alarm raised" if result.frozen else f"answer: {len(end)} IP{'' if len(end) == 1 else 's'}")
    if not slow_run_finished(result):
        # The verdicts only cover what happened so far: the slow write may still be to come.
        state += f" | Enactor 1 still mid-run at t={result.params['horizon']:g} s: verdicts so far"
    return f"{marks} | {state}"
