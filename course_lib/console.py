"""A manual operator console over the broken zone that Chapter 2's race leaves behind.

The starting state is exactly ``dns_race.run_published().zone``: the regional endpoint's top-level alias
points at a plan tree that clean-up deleted, so the endpoint's answer is empty, while rollback trees are
still there (as reported [S2]).  The operator can look (``dig``, ``records``, ``trees``,
``describe_alias``), switch the automation off and on, preview a change batch as a diff with its blast
radius (a dry run), and apply it.  Every batch goes to :class:`course_lib.route53.HostedZone`, so it is all
or nothing, and every applied batch lands in the audit log; ``integrity_problems()`` says, in words, where
the console's state differs from what its public log explains (a zone written underneath it, a private
attribute such as ``_automation`` set by hand).

Nothing about the DNS automation is defined here: the zone layout (endpoints, labels, tree names, aliases)
comes from ``course_lib.dns.layout``, what the automation does from ``course_lib.dns.rules`` and what a
preview warns about from the safety properties in ``course_lib.dns.properties``, the same definitions the
event simulator and the model checker use.

Guardrails a good console has (course design, not a description of AWS tooling): refuse an alias to a tree
that does not exist or belongs to another endpoint, show the blast radius and the properties a batch would
break before a change, keep an audit log.

**Model choice: how running automation interferes.**  While the automation still holds the stale plan it
was blocked on, it retries that plan; the moment a manual fix makes the zone consistent again (the alias
target exists, so ``rules.start_action`` says "go"), the retry is written if ``rules.write_rule`` lets it --
as published it always does -- and the endpoint is empty again.  Stopping the automation drops its
in-flight work, so a restart after the fix is safe.  AWS's first repair step was to stop the automation
"so it could not interfere" (as reported [S2]); how it would have interfered is not published.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from . import dns_race
from .dns import layout, properties, rules
from .route53 import Change, ChangeRejected, HostedZone, Record
from .trace import Event, format_swimlanes
from .validate import check_choice, check_int, check_type

__all__ = [
    "ACTORS",
    "MAX_BATCH",
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
    "zone_endpoints",
    "zone_trees",
]

ACTORS = ("operator", "console", "automation")
CHANGE_FIELDS = ("action", "name", "type", "values")
MAX_BATCH = 1000  # changes per batch (a bound of the model, so a runaway loop cannot build a huge batch)
MAX_NAME = 253  # the longest DNS name
DIG_TYPES = ("A", "AAAA", "TXT")
# Step kinds after which the automation's state may differ from the step before (everything else leaves it).
AUTOMATION_STEPS = ("stop automation", "start automation", "frozen", "dropped stale plan")
SIGN = {"CREATE": "+", "DELETE": "-", "UPSERT": "~"}


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
    """A dry run: the diff, the blast radius, what the safety properties say, and the refusal reason if any.

    ``blast_radius`` lists (name, answer before, answer after) for every answer that changes;
    ``records_changed`` lists (name, type, 'added' | 'removed' | 'changed') for every record set the batch
    touches; ``empty_after`` the endpoints whose answer would be empty; ``warnings`` the safety properties
    (``course_lib.dns.properties``) the batch would break, in words.
    """

    changes: tuple[str, ...]
    diff: tuple[str, ...]
    blast_radius: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...]
    refused: str | None
    records_changed: tuple[tuple[str, str, str], ...] = ()
    empty_after: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.refused is None

    def __str__(self) -> str:
        lines = ["diff:", *(f"  {d}" for d in self.diff)]
        if self.refused:
            return "\n".join([*lines, f"REFUSED: {self.refused}"])
        lines.append("blast radius:")
        lines += [f"  record {n} {t}: {what}" for n, t, what in self.records_changed]
        lines += [f"  answer {n}: {len(b)} -> {len(a)} addresses{' (EMPTY)' if not a else ''}"
                  for n, b, a in self.blast_radius]
        if not self.blast_radius:
            lines.append("  no answer changes")
        lines += [f"  after it, {e} answers EMPTY" for e in self.empty_after]
        lines += [f"WARNING: {w}" for w in self.warnings]
        lines.append("would be accepted")
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
    _check_name("endpoint", endpoint)
    _check_name("target", target)
    return Change(action, Record(endpoint, "ALIAS", (target,), ttl))


def parse_batch(batch) -> list[Change]:
    """Return *batch* as a list of Change; dict items need action, name, type and values."""
    if isinstance(batch, (Change, Mapping, str, bytes)) or not isinstance(batch, Sequence):
        raise TypeError(f"a change batch must be a list of changes, got {type(batch).__name__}")
    if not batch:
        raise ValueError("a change batch must contain at least one change")
    if len(batch) > MAX_BATCH:
        raise ValueError(f"a change batch holds at most {MAX_BATCH} changes, got {len(batch)}")
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
    unknown = sorted(set(item) - {*CHANGE_FIELDS, "ttl"}, key=str)
    if unknown:
        raise ValueError(f"change {i} has unknown field(s) {', '.join(map(str, unknown))}")
    values = item["values"]
    values = tuple(values) if isinstance(values, list) else values
    try:
        record = Record(item["name"], item["type"], values, item.get("ttl", 60))
        return Change(item["action"], record)
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"change {i}: {exc}") from exc


def broken_zone(*, stale: int = 31, newest: int = 44, rollbacks=(41, 42, 43)) -> HostedZone:
    """Return a variant of Chapter 2's broken zone: the regional alias -> deleted tree *stale*.

    Same layout as ``dns_race`` (every endpoint has a top-level alias to a plan tree); the other endpoints
    point at *newest*; the regional endpoint's *newest* tree is gone too, so only its *rollbacks* remain.
    Used to check that a repair reads names from the console instead of typing them.
    """
    stale, newest = check_int("stale", stale, lo=1, hi=10**9), check_int("newest", newest, lo=1, hi=10**9)
    if isinstance(rollbacks, (str, bytes)) or not isinstance(rollbacks, (tuple, list)):
        raise TypeError(f"rollbacks must be a tuple of generations, got {type(rollbacks).__name__}")
    if not 1 <= len(rollbacks) <= 100:
        raise ValueError(f"rollbacks must list 1 to 100 generations, got {len(rollbacks)}")
    rollbacks = tuple(check_int("each rollback generation", g, lo=1, hi=10**9) for g in rollbacks)
    if stale in rollbacks or stale == newest or newest in rollbacks:
        raise ValueError("stale, newest and rollbacks must be different generations (stale's tree is deleted)")
    regional = layout.REGIONAL_ENDPOINT
    records = []
    for e, endpoint in enumerate(dns_race.ENDPOINTS):
        for g in (*rollbacks, newest):
            if not (endpoint == regional and g == newest):
                records.append(layout.tree_record(g, endpoint, tuple(f"10.{e}.{g % 250}.{i}" for i in range(1, 5))))
        records.append(layout.alias_record(endpoint, stale if endpoint == regional else newest))
    return HostedZone(records)


def published_broken_zone() -> HostedZone:
    """Return a copy of the zone Chapter 2's published race leaves (regional alias -> deleted tree)."""
    result = dns_race.run_published()
    if not result.stuck:
        raise RuntimeError("Chapter 2's published scenario did not end stuck; the console needs that state")
    return result.zone.copy()


def zone_endpoints(zone: HostedZone) -> tuple[str, ...]:
    """Return the layout's endpoints that have an alias or a plan tree in *zone*, regional first."""
    check_type("zone", zone, HostedZone, "a route53.HostedZone")
    return tuple(e for e in layout.ENDPOINTS if zone.get(e, "ALIAS") or layout.tree_generations(zone, e))


def zone_trees(zone: HostedZone, endpoint: str) -> list[Tree]:
    """Return the plan trees of *endpoint* in *zone*, newest first (names from ``dns.layout``)."""
    check_type("zone", zone, HostedZone, "a route53.HostedZone")
    _check_name("endpoint", endpoint)
    alias = zone.get(endpoint, "ALIAS")
    active = alias.values[0] if alias else None
    trees = []
    for g in sorted(layout.tree_generations(zone, endpoint), reverse=True):
        name = layout.tree_name(g, endpoint)
        trees.append(Tree(name, endpoint, g, zone.get(name, "A").values, name == active))
    return trees


def _check_layout(zone: HostedZone, endpoints: Sequence[str]) -> None:
    """Refuse a zone whose endpoint aliases do not name plan trees of their own endpoint (dns.layout)."""
    for ep in endpoints:
        alias = zone.get(ep, "ALIAS")
        target = alias.values[0] if alias else None
        if target is not None and not (layout.is_tree_name(target) and layout.tree_endpoint(target) == ep):
            raise ValueError(f"zone: the alias of {ep} points at {target!r}, which is not a plan tree of {ep} "
                             "(the layout of course_lib.dns.layout)")


class Console:
    """An operator console over a zone: look, stop the automation, preview and apply change batches."""

    def __init__(self, zone: HostedZone | None = None, *, endpoint: str | None = None,
                 automation_running: bool = True, fixes=()):
        zone = published_broken_zone() if zone is None else check_type("zone", zone, HostedZone,
                                                                       "a route53.HostedZone").copy()
        self._endpoints = zone_endpoints(zone)
        if not self._endpoints:
            raise ValueError("zone has no endpoint laid out as course_lib.dns.layout (no alias, no plan tree)")
        _check_layout(zone, self._endpoints)
        if type(automation_running).__name__ == "bool_":
            automation_running = bool(automation_running)
        check_type("automation_running", automation_running, bool, "True or False")
        self._fixes = rules.check_fixes(fixes)
        self._zone, self._start = zone, zone.copy()
        self._endpoint = self._check_endpoint(layout.REGIONAL_ENDPOINT if endpoint is None else endpoint)
        self._automation = automation_running
        # The stale plan the blocked automation keeps retrying: the deleted tree the alias points at.
        alias = zone.get(self._endpoint, "ALIAS")
        dangling = self._index in properties.empty_endpoints(self._snap())
        held = layout.tree_generation(alias.values[0]) if alias and dangling else None
        self._held: int | None = held if automation_running else None
        self.steps: list[Event] = []
        self.audit: list[AuditEntry] = []
        self.refusals: list[str] = []
        self._previewed: list[tuple[str, ...]] = []
        self._log("automation", "running" if self._automation else "stopped",
                  f"stale plan-{self._held}" if self._held is not None else "")
        self._automation_tick()

    def __repr__(self) -> str:
        if self._automation:
            auto = "running, holding a stale plan" if self._held is not None else "running"
        else:
            auto = "stopped"
        return (f"<Console over {self._endpoint}: automation {auto}; {len(self.audit)} applied batch(es); "
                "commands: dig, records, trees, describe_alias, stop_automation, start_automation, "
                "preview, apply, timeline>")

    # ---- looking -------------------------------------------------------------------------------
    @property
    def endpoint(self) -> str:
        return self._endpoint

    @property
    def endpoints(self) -> tuple[str, ...]:
        return self._endpoints

    @property
    def fixes(self) -> tuple[str, ...]:
        return self._fixes

    @property
    def automation_running(self) -> bool:
        return self._automation

    @property
    def automation_holds_stale_plan(self) -> bool:
        return self._held is not None

    def snapshot(self) -> HostedZone:
        """Return a copy of the zone as it is now (changing the copy changes nothing here)."""
        return self._zone.copy()

    def start_zone(self) -> HostedZone:
        """Return a copy of the zone as the console started."""
        return self._start.copy()

    def dig(self, name: str | None = None, type_: str = "A") -> tuple[str, ...]:
        """Resolve *name* (default: the endpoint) as a client would; an empty tuple is an empty answer."""
        name = self._endpoint if name is None else _check_name("name", name)
        check_choice("record type to dig", type_, DIG_TYPES)
        answer = self._zone.resolve(name, type_)
        self._log("operator", "dig", f"{_short(name)} -> {len(answer)} addr")
        return answer

    resolve = dig

    def records(self, name: str | None = None) -> list[Record]:
        """Return every record set (or those of *name*), sorted by name and type."""
        if name is not None:
            _check_name("name", name)
        self._log("operator", "list records", _short(name) if name else "all")
        return [r for r in self._zone.records() if name is None or r.name == name]

    def trees(self, endpoint: str | None = None) -> list[Tree]:
        """Return the plan trees of *endpoint* (default: the console's endpoint), newest first."""
        endpoint = self._endpoint if endpoint is None else self._check_endpoint(endpoint)
        self._log("operator", "list trees", _short(endpoint))
        return zone_trees(self._zone, endpoint)

    def describe_alias(self, endpoint: str | None = None, *, log: bool = True) -> AliasInfo:
        """Return what *endpoint*'s top-level alias points at and whether that tree exists."""
        endpoint = self._endpoint if endpoint is None else self._check_endpoint(endpoint)
        check_type("log", log, bool, "True or False")
        alias = self._zone.get(endpoint, "ALIAS")
        target = alias.values[0] if alias else None
        exists = target is not None and _has_records(self._zone.records(), target)
        if log:
            self._log("operator", "describe alias", f"-> {_short(target)}" if target else "none")
        return AliasInfo(endpoint, target, exists, self._zone.resolve(endpoint))

    # ---- the automation ------------------------------------------------------------------------
    def stop_automation(self) -> None:
        """Stop the Planner/Enactor automation; its in-flight (stale) work is dropped (model choice)."""
        self._automation, self._held = False, None
        self._log("operator", "stop automation")

    def start_automation(self) -> None:
        """Start the automation again; after a stop it holds no stale plan (model choice)."""
        self._automation = True
        self._log("operator", "start automation")
        self._automation_tick()

    # ---- changing --------------------------------------------------------------------------------
    def preview(self, batch) -> Preview:
        """Return the diff, blast radius and property warnings *batch* would have, changing nothing (dry run)."""
        changes = parse_batch(batch)
        text = tuple(str(c) for c in changes)
        try:
            after = self._validated(changes)
        except ChangeRejected as exc:
            self._log("operator", "preview", f"{len(changes)} change(s): refused")
            return Preview(text, _diff(changes), (), exc.reason)
        self._previewed.append(text)
        self._log("operator", "preview", f"{len(changes)} change(s)")
        trial = HostedZone(after.values())
        before_snap, after_snap = self._snap(), properties.Snapshot.of_zone(trial, self._endpoints)
        empty = tuple(self._endpoints[i] for i in properties.empty_endpoints(after_snap))
        warnings = tuple(f"would break '{name}': {properties.explain(name, before_snap, after_snap, self._endpoints)}"
                         for name in properties.violations(before_snap, after_snap)
                         if name in properties.CHANGE_PROPERTIES)
        return Preview(text, _diff(changes), _blast_radius(self._zone, trial), None,
                       _records_changed(self._zone, trial), empty, warnings)

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
        check_type("entry", entry, AuditEntry, "an AuditEntry from console.audit")
        return entry.changes in self._previewed

    def timeline(self, mark: Iterable[int] = ()) -> str:
        """Return the console's steps as a text swimlane (operator, console, automation)."""
        if isinstance(mark, (str, bytes)) or not isinstance(mark, Iterable):
            raise TypeError(f"mark must be a list of step numbers, got {type(mark).__name__}")
        mark = [check_int("each step in mark", m, lo=0, hi=max(len(self.steps) - 1, 0)) for m in mark]
        return format_swimlanes(self.steps, ACTORS, width=34, mark=mark)

    def integrity_problems(self) -> tuple[str, ...]:
        """Return, in words, every way the console's state differs from what its public log explains.

        Never raises, whatever was written into the console's attributes: a log that cannot be read is
        itself a problem, reported in words.
        """
        problems = []
        try:
            replay = self._start.copy()
            for entry in self.audit:
                replay.change(list(entry.batch))
            same = replay.records() == self._zone.records()
        except Exception:  # a tampered audit log or zone: any failure to replay is the finding itself
            same = False
        if not same:
            problems.append("the zone changed without a trace in the audit log: it was written underneath the "
                            "console (console._zone), not through console.apply(...)")
        try:
            steps = list(self.steps)
            states = [(e.data.get("automation"), e.data.get("held")) for e in steps]
            kinds = [e.kind for e in steps]
        except Exception:
            problems.append("the console's step log (console.steps) was rewritten by hand, so it no longer "
                            "explains the console's state")
            return tuple(problems)
        state = None
        for i, (now, kind) in enumerate(zip(states, kinds, strict=True)):
            if state is not None and not _same_state(now, state) and kind not in AUTOMATION_STEPS:
                problems.append(_tamper_text(state, now, f"before step {i}"))
                break
            state = now
        current = (self._automation, self._held)
        if state is not None and not _same_state(state, current) and len(problems) < 2:
            problems.append(_tamper_text(state, current, "after the last step"))
        return tuple(problems)

    # ---- internals ---------------------------------------------------------------------------------
    @property
    def _index(self) -> int:
        return self._endpoints.index(self._endpoint)

    def _snap(self) -> properties.Snapshot:
        return properties.Snapshot.of_zone(self._zone, self._endpoints)

    def _check_endpoint(self, endpoint) -> str:
        _check_name("endpoint", endpoint)
        if endpoint not in self._endpoints:
            raise ValueError(f"unknown endpoint {endpoint!r}; this zone has: {', '.join(self._endpoints)}")
        return endpoint

    def _validated(self, changes: list[Change]) -> dict:
        """Return the records *changes* would leave, or raise; Route 53's rules first, then guardrails."""
        after = self._zone.validate(changes)
        for change in changes:
            r = change.record
            if r.type != "ALIAS" or change.action == "DELETE":
                continue
            target = r.values[0]
            if r.name not in self._endpoints:
                raise GuardrailRefused(f"alias {r.name} refused: only the endpoints ({', '.join(self._endpoints)}) "
                                       "have top-level aliases", change)
            if not _has_records(after.values(), target):
                raise GuardrailRefused(f"alias {r.name} -> {target} refused: that tree does not exist "
                                       "(it would give an empty answer)", change)
            if not layout.is_tree_name(target):
                raise GuardrailRefused(f"alias {r.name} -> {target} refused: {target} is not a plan tree, and "
                                       "the automation reads the alias as a plan", change)
            owner = layout.tree_endpoint(target)
            if owner != r.name:
                raise GuardrailRefused(f"alias {r.name} -> {target} refused: that is a tree of {owner}, another "
                                       f"endpoint; its addresses are not {r.name}'s", change)
        return after

    def _commit(self, actor: str, changes: list[Change]) -> None:
        version = self._zone.change(changes)
        text = tuple(str(c) for c in changes)
        self.audit.append(AuditEntry(len(self.steps), actor, text, tuple(changes), version, self._automation))
        self._log(actor, "apply", f"v{version} " + " ".join(_short_change(c, self._endpoint) for c in changes))

    def _automation_tick(self) -> None:
        """Let running automation act on the zone as the shared rules say (model choice for the retry)."""
        if self._automation is not True:  # stopped, or set by hand to something else (integrity_problems says so)
            return
        dangling = self._index in properties.empty_endpoints(self._snap())
        action = rules.start_action(dangling, self._fixes)
        if action == "freeze":
            self._automation, self._held = False, None
            self._log("automation", "frozen", "alarm: alias points at a missing tree")
            return
        if action == "blocked" or not _is_generation(self._held):
            return  # still inconsistent (blocked), nothing in flight, or a plan set by hand (integrity_problems)
        current = self._snap().aliases[self._index]
        if not rules.write_rule(self._held, current, self._fixes):
            held, self._held = self._held, None
            self._log("automation", "dropped stale plan", f"(plan-{held} older than plan-{current})")
            return
        stale = alias_change("UPSERT", self._endpoint, layout.tree_name(self._held, self._endpoint))
        self._commit("automation", [stale])
        self._log("automation", "re-applied stale plan")

    def _log(self, actor: str, kind: str, detail: str = "") -> None:
        self.steps.append(Event(float(len(self.steps)), actor, kind, detail,
                                {"automation": self._automation, "held": self._held}))


def _same_state(a: tuple, b: tuple) -> bool:
    """Return True if two (automation, held) states are the same, whatever was written into them."""
    return all(_same(x, y) for x, y in zip(a, b, strict=True))


def _same(x, y) -> bool:
    """Equality that cannot raise and does not confuse 0 with False or 1 with True."""
    if x is y:
        return True
    try:
        return type(x) is type(y) and bool(x == y)
    except Exception:
        return False


def _run_word(value) -> str:
    """Return 'running' / 'stopped' for the automation flag, or the value itself if it was tampered with."""
    if value is True:
        return "running"
    if value is False:
        return "stopped"
    try:
        text = repr(value)
    except Exception:
        text = f"a {type(value).__name__} object"
    return f"{text[:40]} (neither True nor False)"


def _tamper_text(before, after, when: str) -> str:
    (run0, _), (run1, _) = before, after
    if not _same(run0, run1):
        return (f"the automation went from {_run_word(run0)} to {_run_word(run1)} {when} without "
                "stop_automation() or start_automation(): a private attribute (console._automation) was set "
                "directly")
    return (f"the automation's stale plan changed {when} without a console command: a private attribute "
            "(console._held) was set directly")


def _is_generation(value) -> bool:
    """Return True if *value* can be a plan generation the automation holds (a positive int, not a bool)."""
    return type(value) is int and 1 <= value <= 10**9


def _check_name(what: str, name) -> str:
    check_type(what, name, str, "a DNS name (a string)")
    if not 1 <= len(name) <= MAX_NAME:
        raise ValueError(f"{what} must be a DNS name of 1 to {MAX_NAME} characters, got {len(name)} characters")
    return name


def _has_records(records, name: str) -> bool:
    return any(r.name == name and r.type != "ALIAS" for r in records)


def _diff(changes: list[Change]) -> tuple[str, ...]:
    return tuple(f"{SIGN[c.action]} {c.record.name} {c.record.type} {','.join(c.record.values)}" for c in changes)


def _blast_radius(zone: HostedZone, trial: HostedZone) -> tuple:
    """Return (name, answer before, answer after) for every name whose answer the batch would change."""
    names = sorted(zone.names() | trial.names())
    return tuple((n, zone.resolve(n), trial.resolve(n)) for n in names if zone.resolve(n) != trial.resolve(n))


def _records_changed(zone: HostedZone, trial: HostedZone) -> tuple:
    """Return (name, type, 'added' | 'removed' | 'changed') for every record set the batch would touch."""
    before = {r.key: r for r in zone.records()}
    after = {r.key: r for r in trial.records()}
    out = []
    for key in sorted(before.keys() | after.keys()):
        if before.get(key) != after.get(key):
            what = "added" if key not in before else ("removed" if key not in after else "changed")
            out.append((*key, what))
    return tuple(out)


def _short(name: str | None) -> str:
    """Return *name* in the layout's short labels ('regional', 'plan-2.regional'), so timelines stay readable."""
    if name is None:
        return ""
    if name in layout.LABELS:
        return layout.label(name)
    if layout.is_tree_name(name) and layout.tree_endpoint(name) in layout.LABELS:
        return f"plan-{layout.tree_generation(name)}.{layout.label(layout.tree_endpoint(name))}"
    return name if len(name) <= 24 else "…" + name[-23:]


def _short_change(c: Change, home: str) -> str:
    """Return a change as in the diff, short: '-plan-2' (the *home* endpoint's alias), '~ipv6:plan-9' (another
    endpoint's alias), '+A:plan-9.ipv6' (other types)."""
    sign = SIGN[c.action]
    if c.record.type == "ALIAS":
        own = _short(c.record.values[0]).removesuffix("." + _short(c.record.name))
        return f"{sign}{own}" if c.record.name == home else f"{sign}{_short(c.record.name)}:{own}"
    return f"{sign}{c.record.type}:{_short(c.record.name)}"
