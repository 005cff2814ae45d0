"""A manual operator console over the broken zone that Chapter 2's race leaves behind.

The starting state is exactly ``dns_race.run_published().zone``: the regional endpoint's top-level alias
points at a plan tree that clean-up deleted, so the endpoint's answer is empty, while rollback trees of
other plans are still there ([S2], fact sheet §2).  The operator can look (``dig``, ``records``,
``trees``, ``describe_alias``), switch the automation off and on, preview a change batch as a diff with
its blast radius (a dry run), and apply it.  Every batch goes to :class:`course_lib.route53.HostedZone`,
so it is all or nothing, and every applied batch lands in the audit log.

Guardrails a good console has (course design, not a description of AWS tooling): refuse an alias to a
tree that does not exist, show the blast radius before a change, keep an audit log.

**Model choice: how running automation interferes.**  While the automation still holds the stale plan
it was blocked on, it retries that plan; the moment a manual fix makes the zone consistent again (the
alias target exists), the retry goes through and writes the stale plan's alias back, so the endpoint is
empty again.  Stopping the automation drops its in-flight work, so a restart after the fix is safe.
AWS's first repair step was to stop the automation "so it could not interfere" ([S2]); how it would
have interfered is not published.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from . import dns_race
from .route53 import Change, ChangeRejected, HostedZone, Record
from .trace import Event, format_swimlanes
from .validate import check_type

__all__ = [
    "ACTORS",
    "AliasInfo",
    "AuditEntry",
    "Change",
    "ChangeRejected",
    "Console",
    "GuardrailRefused",
    "Preview",
    "Record",
    "Tree",
    "alias_change",
    "broken_zone",
    "parse_batch",
    "published_broken_zone",
    "zone_trees",
]

ACTORS = ("operator", "console", "automation")
CHANGE_FIELDS = ("action", "name", "type", "values")


class GuardrailRefused(ChangeRejected):
    """The console refused a batch before sending it to Route 53; nothing was applied."""


@dataclass(frozen=True)
class Tree:
    """A plan's record tree for one endpoint: its name, generation, addresses and whether it is live."""

    name: str
    endpoint: str
    generation: int
    addresses: tuple[str, ...]
    active: bool

    def __str__(self) -> str:
        role = "ACTIVE" if self.active else "rollback"
        return f"{self.name}  gen {self.generation}  {role:8s} {len(self.addresses)} addresses"


@dataclass(frozen=True)
class AliasInfo:
    """What the top-level alias of an endpoint says, and whether its target exists."""

    endpoint: str
    target: str | None
    target_exists: bool
    answer: tuple[str, ...]

    def __str__(self) -> str:
        if self.target is None:
            return f"{self.endpoint}: no ALIAS record; answer {self.answer or 'EMPTY'}"
        state = "exists" if self.target_exists else "DOES NOT EXIST"
        return f"{self.endpoint} ALIAS -> {self.target} ({state}); answer {self.answer or 'EMPTY'}"


@dataclass(frozen=True)
class Preview:
    """A dry run: the diff a batch would make, its blast radius, and the refusal reason if any."""

    changes: tuple[str, ...]
    diff: tuple[str, ...]
    blast_radius: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...]
    refused: str | None

    @property
    def ok(self) -> bool:
        return self.refused is None

    def __str__(self) -> str:
        lines = ["diff:", *(f"  {d}" for d in self.diff), "blast radius (answers that change):"]
        lines += [f"  {n}: {len(b)} -> {len(a)} addresses" for n, b, a in self.blast_radius] or ["  none"]
        lines.append(f"REFUSED: {self.refused}" if self.refused else "would be accepted")
        return "\n".join(lines)


@dataclass(frozen=True)
class AuditEntry:
    """One applied batch: step, who applied it, the changes, the zone version after it, automation on?"""

    step: int
    actor: str
    changes: tuple[str, ...]
    batch: tuple[Change, ...]
    version: int
    automation_running: bool = False


def alias_change(action: str, endpoint: str, target: str, ttl: int = 60) -> Change:
    """Return a Change for the ALIAS record of *endpoint* pointing at *target*."""
    return Change(action, Record(endpoint, "ALIAS", (target,), ttl))


def parse_batch(batch) -> list[Change]:
    """Return *batch* as a list of Change; dict items need action, name, type and values."""
    if isinstance(batch, (Change, Mapping, str)) or not isinstance(batch, Sequence):
        raise TypeError(f"a change batch must be a list of changes, got {type(batch).__name__}")
    if not batch:
        raise ValueError("a change batch must contain at least one change")
    return [_parse_change(i, item) for i, item in enumerate(batch, start=1)]


def _parse_change(i: int, item) -> Change:
    """Return item number *i* as a Change, with errors that say which change and which field."""
    if isinstance(item, Change):
        return item
    if not isinstance(item, Mapping):
        raise TypeError(f"change {i} must be a Change or a dict, got {type(item).__name__}")
    missing = [f for f in CHANGE_FIELDS if f not in item]
    if missing:
        raise ValueError(f"change {i} is missing field(s) {', '.join(missing)}")
    unknown = sorted(set(item) - {*CHANGE_FIELDS, "ttl"})
    if unknown:
        raise ValueError(f"change {i} has unknown field(s) {', '.join(unknown)}")
    values = item["values"]
    values = tuple(values) if isinstance(values, list) else values
    try:
        record = Record(item["name"], item["type"], values, item.get("ttl", 60))
        return Change(item["action"], record)
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"change {i}: {exc}") from exc


def broken_zone(*, stale: int = 31, newest: int = 44, rollbacks=(41, 42, 43)) -> HostedZone:
    """Return a variant of Chapter 2's broken zone: the regional alias -> deleted tree *stale*.

    Same layout and tree names as ``dns_race`` (every endpoint has a top-level alias to a plan tree); the
    other endpoints point at *newest*; the regional endpoint's *newest* tree is gone too, so only its
    *rollbacks* remain.  Used to check that a repair reads names from the console instead of typing them.
    """
    regional = dns_race.REGIONAL_ENDPOINT
    records = []
    for e, endpoint in enumerate(dns_race.ENDPOINTS):
        for g in (*rollbacks, newest):
            if not (endpoint == regional and g == newest):
                records.append(Record(dns_race.tree_name(g, endpoint), "A",
                                      tuple(f"10.{e}.{g % 250}.{i}" for i in range(1, 5))))
        target = dns_race.tree_name(stale if endpoint == regional else newest, endpoint)
        records.append(Record(endpoint, "ALIAS", (target,)))
    return HostedZone(records)


def published_broken_zone() -> HostedZone:
    """Return a copy of the zone Chapter 2's published race leaves (regional alias -> deleted tree)."""
    result = dns_race.run_published()
    if not result.stuck:
        raise RuntimeError("Chapter 2's published scenario did not end stuck; the console needs that state")
    return result.zone.copy()


class Console:
    """An operator console over a zone: look, stop the automation, preview and apply change batches."""

    def __init__(self, zone: HostedZone | None = None, *, endpoint: str | None = None,
                 automation_running: bool = True):
        zone = published_broken_zone() if zone is None else check_type("zone", zone, HostedZone).copy()
        self._zone, self._start = zone, zone.copy()
        self.endpoint = endpoint or dns_race.REGIONAL_ENDPOINT
        self._automation = bool(automation_running)
        alias = self.describe_alias(self.endpoint, log=False)
        # The stale plan the blocked automation keeps retrying: the deleted tree the alias points at.
        self._held_target = alias.target if (self._automation and not alias.target_exists) else None
        self.steps: list[Event] = []
        self.audit: list[AuditEntry] = []
        self.refusals: list[str] = []
        self._previewed: list[tuple[str, ...]] = []
        self._log("automation", "running" if self._automation else "stopped",
                  f"stale {self._held_target.split('.')[0]}" if self._held_target else "")

    def __repr__(self) -> str:
        if self._automation:
            auto = "running, holding a stale plan" if self._held_target else "running"
        else:
            auto = "stopped"
        return (f"<Console over {self.endpoint}: automation {auto}; {len(self.audit)} applied batch(es); "
                "commands: dig, records, trees, describe_alias, stop_automation, start_automation, "
                "preview, apply, timeline>")

    # ---- looking -------------------------------------------------------------------------------
    @property
    def automation_running(self) -> bool:
        return self._automation

    @property
    def automation_holds_stale_plan(self) -> bool:
        return self._held_target is not None

    def snapshot(self) -> HostedZone:
        """Return a copy of the zone as it is now (changing the copy changes nothing here)."""
        return self._zone.copy()

    def start_zone(self) -> HostedZone:
        """Return a copy of the zone as the console started."""
        return self._start.copy()

    def dig(self, name: str | None = None, type_: str = "A") -> tuple[str, ...]:
        """Resolve *name* (default: the endpoint) as a client would; an empty tuple is an empty answer."""
        name = self.endpoint if name is None else check_type("name", name, str)
        answer = self._zone.resolve(name, type_)
        self._log("operator", "dig", f"{_short(name)} -> {len(answer)} addr")
        return answer

    resolve = dig

    def records(self, name: str | None = None) -> list[Record]:
        """Return every record set (or those of *name*), sorted by name and type."""
        self._log("operator", "list records", _short(name) if name else "all")
        return [r for r in self._zone.records() if name is None or r.name == name]

    def trees(self, endpoint: str | None = None) -> list[Tree]:
        """Return the plan trees of *endpoint* (default: the console's endpoint), newest first."""
        endpoint = self.endpoint if endpoint is None else check_type("endpoint", endpoint, str)
        self._log("operator", "list trees", _short(endpoint))
        return zone_trees(self._zone, endpoint)

    def describe_alias(self, endpoint: str | None = None, *, log: bool = True) -> AliasInfo:
        """Return what *endpoint*'s top-level alias points at and whether that tree exists."""
        endpoint = self.endpoint if endpoint is None else check_type("endpoint", endpoint, str)
        alias = self._zone.get(endpoint, "ALIAS")
        target = alias.values[0] if alias else None
        exists = target is not None and _has_records(self._zone.records(), target)
        if log:
            self._log("operator", "describe alias", f"-> {_short(target)}" if target else "none")
        return AliasInfo(endpoint, target, exists, self._zone.resolve(endpoint))

    # ---- the automation ------------------------------------------------------------------------
    def stop_automation(self) -> None:
        """Stop the Planner/Enactor automation; its in-flight (stale) work is dropped (model choice)."""
        self._automation, self._held_target = False, None
        self._log("operator", "stop automation")

    def start_automation(self) -> None:
        """Start the automation again; after a stop it holds no stale plan (model choice)."""
        self._automation = True
        self._log("operator", "start automation")

    # ---- changing --------------------------------------------------------------------------------
    def preview(self, batch) -> Preview:
        """Return the diff and blast radius *batch* would have, without changing anything (dry run)."""
        changes = parse_batch(batch)
        text = tuple(str(c) for c in changes)
        try:
            after = self._validated(changes)
        except ChangeRejected as exc:
            self._log("operator", "preview", f"{len(changes)} change(s): refused")
            return Preview(text, _diff(changes), (), exc.reason)
        self._previewed.append(text)
        self._log("operator", "preview", f"{len(changes)} change(s)")
        return Preview(text, _diff(changes), _blast_radius(self._zone, after), None)

    def apply(self, batch) -> int:
        """Apply *batch* all or nothing and return the zone version; raise ChangeRejected if refused."""
        changes = parse_batch(batch)
        try:
            self._validated(changes)
        except ChangeRejected as exc:
            self.refusals.append(exc.reason)
            self._log("console", "REFUSED", exc.reason)
            raise
        self._commit("operator", changes)
        self._automation_tick()
        return self._zone.version

    def was_previewed(self, entry: AuditEntry) -> bool:
        """Return True if the batch of *entry* was previewed (dry run) before it was applied."""
        return entry.changes in self._previewed

    def timeline(self, mark=()) -> str:
        """Return the console's steps as a text swimlane (operator, console, automation)."""
        return format_swimlanes(self.steps, ACTORS, width=34, mark=mark)

    # ---- internals ---------------------------------------------------------------------------------
    def _validated(self, changes: list[Change]) -> dict:
        """Return the records *changes* would leave, or raise; Route 53's rules first, then guardrails."""
        after = self._zone.validate(changes)
        for change in changes:
            r = change.record
            if r.type == "ALIAS" and change.action != "DELETE" and not _has_records(after.values(), r.values[0]):
                raise GuardrailRefused(f"alias {r.name} -> {r.values[0]} refused: that tree does not exist "
                                       "(it would give an empty answer)", change)
        return after

    def _commit(self, actor: str, changes: list[Change]) -> None:
        version = self._zone.change(changes)
        text = tuple(str(c) for c in changes)
        self.audit.append(AuditEntry(len(self.steps), actor, text, tuple(changes), version, self._automation))
        self._log(actor, "apply", f"v{version} " + " ".join(_short_change(c) for c in changes))

    def _automation_tick(self) -> None:
        """Let running automation retry its stale plan once the zone is consistent again (model choice)."""
        if not (self._automation and self._held_target):
            return
        if not self.describe_alias(self.endpoint, log=False).target_exists:
            return  # still inconsistent: the automation stays blocked
        stale = alias_change("UPSERT", self.endpoint, self._held_target)
        self._commit("automation", [stale])
        self._log("automation", "re-applied stale plan")

    def _log(self, actor: str, kind: str, detail: str = "") -> None:
        self.steps.append(Event(float(len(self.steps)), actor, kind, detail))


def _has_records(records, name: str) -> bool:
    return any(r.name == name and r.type != "ALIAS" for r in records)


def zone_trees(zone: HostedZone, endpoint: str) -> list[Tree]:
    """Return the trees of *endpoint*: names Chapter 2's tree_name gives for it, with A records."""
    alias = zone.get(endpoint, "ALIAS")
    active = alias.values[0] if alias else None
    found = []
    for record in zone.records():
        if record.type not in ("A", "AAAA"):
            continue
        generation = _generation_of(record.name, endpoint)
        if generation is not None:
            found.append(Tree(record.name, endpoint, generation, record.values, record.name == active))
    return sorted(found, key=lambda t: -t.generation)


def _generation_of(name: str, endpoint: str) -> int | None:
    """Return g if Chapter 2's tree_name(g, endpoint) == name (g read from the digits in the name)."""
    digits = "".join(ch if ch.isdigit() else " " for ch in name).split()
    for d in digits:
        if dns_race.tree_name(int(d), endpoint) == name:
            return int(d)
    return None


def _diff(changes: list[Change]) -> tuple[str, ...]:
    sign = {"CREATE": "+", "DELETE": "-", "UPSERT": "~"}
    return tuple(f"{sign[c.action]} {c.record.name} {c.record.type} {','.join(c.record.values)}" for c in changes)


def _blast_radius(zone: HostedZone, after: dict) -> tuple:
    """Return (name, answer before, answer after) for every name whose answer the batch would change."""
    trial = HostedZone(after.values())
    names = sorted(zone.names() | trial.names())
    return tuple((n, zone.resolve(n), trial.resolve(n)) for n in names if zone.resolve(n) != trial.resolve(n))


def _short(name: str | None) -> str:
    """Return *name* without the Region and domain suffix, so timelines stay readable."""
    if name is None:
        return ""
    short = name.replace(".us-east-1", "").replace(".amazonaws.com", "")
    return short if len(short) <= 24 else "…" + short[-23:]


def _short_change(c: Change) -> str:
    """Return a change as in the diff, first label only: '-plan-2' (alias), '+A:plan-9' (other types)."""
    sign = {"CREATE": "+", "DELETE": "-", "UPSERT": "~"}[c.action]
    if c.record.type == "ALIAS":
        return f"{sign}{c.record.values[0].split('.')[0]}"
    return f"{sign}{c.record.type}:{c.record.name.split('.')[0]}"
