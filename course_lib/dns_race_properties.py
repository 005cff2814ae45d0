"""Safety properties of the Enactor race, judged on a trace, and the PES steps located in a trace.

Each property takes a result with a ``.trace`` (events whose zone-changing steps carry ``answers`` and
``aliases`` snapshots) and returns a :class:`PropertyVerdict`.  They read only the trace, so they work
on any run: published, random, with fixes, or with a learner's strategy.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["PROPERTIES", "PropertyVerdict", "active_plan_never_deleted", "became_stale_index", "check_all",
           "generation_never_decreases", "pes_steps", "record_never_empty"]


@dataclass(frozen=True)
class PropertyVerdict:
    """Whether a property held on a trace, and if not, the first event that broke it."""

    name: str
    holds: bool
    first_violation_index: int | None
    explanation: str

    def __str__(self) -> str:
        return f"{'holds' if self.holds else 'VIOLATED'}: {self.name} — {self.explanation}"


def _where(result, i: int) -> str:
    e = result.trace[i]
    return f"event {i} (t={e.time:g}, {e.actor}: {e.kind} {e.detail})"


def record_never_empty(result) -> PropertyVerdict:
    """Judge whether every endpoint's DNS answer stayed non-empty after every zone change."""
    name = "record never empty"
    for i, e in enumerate(result.trace):
        for endpoint, answer in e.data.get("answers", {}).items():
            if not answer:
                return PropertyVerdict(name, False, i, f"{_where(result, i)} left {endpoint} with an empty answer")
    return PropertyVerdict(name, True, None, "every endpoint always resolved to at least one IP")


def generation_never_decreases(result) -> PropertyVerdict:
    """Judge whether no endpoint's alias ever moved to an older plan generation."""
    name = "applied generation never decreases"
    last: dict[str, int] = {}
    for i, e in enumerate(result.trace):
        for endpoint, gen in e.data.get("aliases", {}).items():
            if gen is not None and last.get(endpoint, gen) > gen:
                return PropertyVerdict(name, False, i, f"{_where(result, i)} moved {endpoint} back from "
                                       f"plan {last[endpoint]} to plan {gen}")
            if gen is not None:
                last[endpoint] = gen
    return PropertyVerdict(name, True, None, "every alias only ever moved to newer plans")


def active_plan_never_deleted(result) -> PropertyVerdict:
    """Judge whether clean-up never deleted a tree that an alias pointed at."""
    name = "active plan never deleted"
    for i, e in enumerate(result.trace):
        if e.data.get("deleted_active"):
            return PropertyVerdict(name, False, i, f"{_where(result, i)} deleted the active plan of "
                                   f"{e.data['deleted_active'][0]}")
    return PropertyVerdict(name, True, None, "clean-up only deleted trees no alias pointed at")


PROPERTIES = {
    "record never empty": record_never_empty,
    "applied generation never decreases": generation_never_decreases,
    "active plan never deleted": active_plan_never_deleted,
}


def check_all(result) -> dict[str, PropertyVerdict]:
    """Return every property's verdict, by name."""
    return {name: fn(result) for name, fn in PROPERTIES.items()}


def _first(trace, start: int, test) -> int | None:
    return next((i for i in range(start, len(trace)) if test(trace[i])), None)


def pes_steps(result) -> dict[int, int | None]:
    """Return the trace index of each PES step 1–7 (fact sheet §2), or None where it did not happen."""
    t = result.trace
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
    t = result.trace
    e = t[check_index]
    regional = result.endpoints[0]
    return _first(t, check_index + 1, lambda x: x.actor != e.actor
                  and (x.data.get("aliases") or {}).get(regional, 0) is not None
                  and (x.data.get("aliases") or {}).get(regional, 0) >= e.data["generation"])
