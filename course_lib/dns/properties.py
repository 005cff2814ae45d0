"""The safety properties of the DNS automation, defined once on zone snapshots.

A :class:`Snapshot` is what the properties need of a zone: per endpoint the generation its alias points at
(None: no alias) and the generations whose record trees exist.  The event simulator builds one from a
Route 53 ``HostedZone`` after every change (``Snapshot.of_zone``); the model checker builds one from its
tuple state (``Snapshot.uniform`` when one set of stored generations holds for every endpoint).

* ``record never empty`` (a state property): every endpoint's alias points at a tree that exists, so DNS
  answers with addresses;
* ``applied generation never decreases`` (a change property): no change moves an alias to an older plan;
* ``active plan never deleted`` (a change property): no change deletes the tree an alias points at.

Every property is called as ``holds(name, before, after)`` (``before`` is None for the initial state);
``violations(before, after)`` names every property a change breaks and ``explain`` says how in words.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from ..route53 import HostedZone
from ..validate import check_type
from .layout import ENDPOINTS, alias_generation, is_tree_name, tree_generation

__all__ = ["CHANGE_PROPERTIES", "PROPERTY_NAMES", "STATE_PROPERTIES", "Snapshot", "active_plan_never_deleted",
           "deleted_active", "empty_endpoints", "explain", "first_violations", "generation_never_decreases",
           "holds", "record_never_empty", "regressed", "violations"]


def _generations(name: str, values, allow_none: bool = False) -> tuple:
    """Return *values* as a tuple of int generations (numpy integers accepted), refusing anything else."""
    if isinstance(values, (str, bytes, dict)) or not isinstance(values, Iterable):
        raise TypeError(f"{name} must be a collection of generations, got {type(values).__name__} {values!r:.60}")
    out = []
    for g in values:
        if g is None and allow_none:
            out.append(None)
        elif isinstance(g, (int, np.integer)) and not isinstance(g, (bool, np.bool_)) and g >= 0:
            out.append(int(g))
        else:
            raise TypeError(f"{name} must hold generations (integers >= 0{', or None' if allow_none else ''}), "
                            f"got {type(g).__name__} {g!r:.40}")
    return tuple(out)


@dataclass(frozen=True)
class Snapshot:
    """A zone as the properties see it: per endpoint, the alias's generation and the stored tree generations."""

    aliases: tuple[int | None, ...]
    trees: tuple[frozenset[int], ...]

    def __post_init__(self):
        if not isinstance(self.aliases, tuple) or not isinstance(self.trees, tuple):
            raise TypeError("Snapshot needs aliases and trees as tuples (one entry per endpoint)")
        if not self.aliases or len(self.aliases) != len(self.trees):
            raise ValueError(f"Snapshot needs one alias and one tree set per endpoint, got {len(self.aliases)} "
                             f"aliases and {len(self.trees)} tree sets")
        if not all(isinstance(t, frozenset) for t in self.trees):
            raise TypeError("Snapshot.trees must hold one frozenset of generations per endpoint")
        for g in (*self.aliases, *(g for t in self.trees for g in t)):
            if g is not None and (type(g) is not int or g < 0):
                raise TypeError(f"Snapshot generations must be integers >= 0 (None: no alias), got {g!r}")

    @classmethod
    def uniform(cls, aliases: Sequence[int | None], stored: Iterable[int]) -> Snapshot:
        """Return the snapshot of a zone where every endpoint stores the same generations (the checker's view)."""
        aliases = _generations("aliases", aliases, allow_none=True)
        return cls(aliases, (frozenset(_generations("stored", stored)),) * len(aliases))

    @classmethod
    def of_zone(cls, zone: HostedZone, endpoints: Sequence[str] = ENDPOINTS[:3]) -> Snapshot:
        """Return the snapshot of a Route 53 hosted zone laid out as in ``course_lib.dns.layout``.

        A tree counts as existing only if it holds at least one address: an empty tree answers nothing.
        """
        check_type("zone", zone, HostedZone)
        if isinstance(endpoints, (str, bytes)) or not isinstance(endpoints, Iterable):
            raise TypeError(f"endpoints must be a sequence of endpoint names, got {endpoints!r:.60}")
        endpoints = tuple(endpoints)
        where = {ep: i for i, ep in enumerate(endpoints)}
        trees: list[set[int]] = [set() for _ in endpoints]
        for record in zone.records():  # one pass over the zone: the simulator takes a snapshot per change
            if record.type == "A" and record.values and is_tree_name(record.name):
                i = where.get(record.name.split(".", 1)[1])
                if i is not None:
                    trees[i].add(tree_generation(record.name))
        return cls(tuple(alias_generation(zone, ep) for ep in endpoints), tuple(frozenset(t) for t in trees))


def _snap(name: str, s) -> Snapshot:
    if type(s) is not Snapshot:
        check_type(name, s, Snapshot, "a Snapshot (per endpoint: alias generation and stored trees)")
    return s


def _pair(before, after) -> tuple[Snapshot, Snapshot]:
    before, after = _snap("before", before), _snap("after", after)
    if len(before.aliases) != len(after.aliases):
        raise ValueError(f"before and after must describe the same endpoints, got {len(before.aliases)} and "
                         f"{len(after.aliases)}")
    return before, after


def empty_endpoints(s: Snapshot) -> tuple[int, ...]:
    """Return the endpoints (by index) whose alias is missing or points at a tree that does not exist."""
    _snap("s", s)
    return tuple(i for i, (a, trees) in enumerate(zip(s.aliases, s.trees, strict=True))
                 if a is None or a not in trees)


def regressed(before: Snapshot, after: Snapshot) -> tuple[int, ...]:
    """Return the endpoints whose alias the change moved to an older generation."""
    before, after = _pair(before, after)
    return tuple(i for i, (a, b) in enumerate(zip(before.aliases, after.aliases, strict=True))
                 if a is not None and b is not None and b < a)


def deleted_active(before: Snapshot, after: Snapshot) -> tuple[int, ...]:
    """Return the endpoints whose active tree (the one its alias pointed at before) the change deleted."""
    before, after = _pair(before, after)
    return tuple(i for i, (a, t0, t1) in enumerate(zip(before.aliases, before.trees, after.trees, strict=True))
                 if a is not None and a in t0 and a not in t1)


def record_never_empty(s: Snapshot) -> bool:
    """Return True if every endpoint's alias points at a tree that exists."""
    return not empty_endpoints(s)


def generation_never_decreases(before: Snapshot | None, after: Snapshot) -> bool:
    """Return True if the change from *before* to *after* moved no alias to an older plan."""
    return (before is None and _snap("after", after) is not None) or not regressed(before, after)


def active_plan_never_deleted(before: Snapshot | None, after: Snapshot) -> bool:
    """Return True if the change from *before* to *after* deleted no tree an alias pointed at."""
    return (before is None and _snap("after", after) is not None) or not deleted_active(before, after)


STATE_PROPERTIES = {"record never empty": record_never_empty}
CHANGE_PROPERTIES = {"applied generation never decreases": generation_never_decreases,
                     "active plan never deleted": active_plan_never_deleted}
PROPERTY_NAMES = ("record never empty", "applied generation never decreases", "active plan never deleted")


def _name(name) -> str:
    if name not in PROPERTY_NAMES if isinstance(name, str) else True:
        raise (ValueError if isinstance(name, str) else TypeError)(
            f"name must be one of the properties {PROPERTY_NAMES}, got {type(name).__name__} {name!r:.60}")
    return name


def holds(name: str, before: Snapshot | None, after: Snapshot) -> bool:
    """Return True if property *name* holds for the change *before* -> *after* (state properties: on *after*)."""
    _name(name)
    _snap("after", after)
    if before is not None:
        _pair(before, after)
    if name in STATE_PROPERTIES:
        return STATE_PROPERTIES[name](after)
    return CHANGE_PROPERTIES[name](before, after)


def violations(before: Snapshot | None, after: Snapshot) -> tuple[str, ...]:
    """Return the names of the properties the change *before* -> *after* breaks, in PROPERTY_NAMES order."""
    return tuple(name for name in PROPERTY_NAMES if not holds(name, before, after))


def first_violations(snapshots: Sequence[Snapshot]) -> dict[str, int | None]:
    """Return, per property, the index of the first snapshot at which it broke (None: it always held)."""
    if isinstance(snapshots, (str, bytes, Snapshot)) or not isinstance(snapshots, Iterable):
        raise TypeError(f"snapshots must be a sequence of Snapshot, got {type(snapshots).__name__}")
    first: dict[str, int | None] = dict.fromkeys(PROPERTY_NAMES)
    before = None
    for i, after in enumerate(snapshots):
        for name in violations(before, after):
            if first[name] is None:
                first[name] = i
        before = after
    return first


def explain(name: str, before: Snapshot | None, after: Snapshot, endpoints: Sequence[str] = ENDPOINTS) -> str:
    """Return how the change broke property *name*, naming the first endpoint concerned ('' if it holds)."""
    _name(name)
    if isinstance(endpoints, (str, bytes)) or not isinstance(endpoints, Sequence) or len(endpoints) < len(
            _snap("after", after).aliases):
        raise TypeError(f"endpoints must name every endpoint of the snapshot ({len(after.aliases)}), got {endpoints!r:.60}")
    if holds(name, before, after):
        return ""
    if name == "record never empty":
        return f"left {endpoints[empty_endpoints(after)[0]]} with an empty answer"
    if name == "applied generation never decreases":
        i = regressed(before, after)[0]
        return f"moved {endpoints[i]} back from plan {before.aliases[i]} to plan {after.aliases[i]}"
    return f"deleted the active plan of {endpoints[deleted_active(before, after)[0]]}"
