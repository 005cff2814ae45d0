"""Chapter 5: random sequences of console commands keep the hosted zone's invariants and a complete audit log."""

from __future__ import annotations

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from course_lib.console import (
    Change,
    ChangeRejected,
    Console,
    Record,
    alias_change,
    broken_zone,
    published_broken_zone,
)
from course_lib.dns import layout, properties, rules

ACTIONS = ("CREATE", "DELETE", "UPSERT")


class ConsoleMachine(RuleBasedStateMachine):
    """Drive one console with looks, automation switches, previews and batches (good, bad and refused)."""

    @initialize(variant=st.booleans(), running=st.booleans(),
                fixes=st.lists(st.sampled_from(rules.FIXES), unique=True, max_size=3))
    def start(self, variant, running, fixes):
        zone = broken_zone() if variant else published_broken_zone()
        self.console = Console(zone, automation_running=running, fixes=tuple(fixes))
        self.refused = 0

    # ---- strategies over the current zone ---------------------------------------------------------------
    def _names(self):
        zone = self.console.snapshot()
        trees = [layout.tree_name(g, e) for e in self.console.endpoints for g in (1, 2, 9, 31, 41, 44)]
        return sorted(zone.names() | set(trees) | {"plan-7.nowhere", "example.com"})

    def _change(self, data) -> Change:
        zone = self.console.snapshot()
        existing = zone.records()
        kind = data.draw(st.sampled_from(["exact delete", "alias", "record", "wrong delete"]))
        if kind == "exact delete" and existing:
            return Change("DELETE", data.draw(st.sampled_from(existing)))
        if kind == "alias":
            return alias_change(data.draw(st.sampled_from(ACTIONS)), data.draw(st.sampled_from(
                [*self.console.endpoints, "example.com"])), data.draw(st.sampled_from(self._names())))
        values = data.draw(st.sampled_from([("10.0.0.1",), ("10.0.0.2", "10.0.0.4"), ()]))
        record = Record(data.draw(st.sampled_from(self._names())), data.draw(st.sampled_from(["A", "TXT"])), values)
        return Change("DELETE" if kind == "wrong delete" else data.draw(st.sampled_from(ACTIONS)), record)

    def _state(self):
        c = self.console
        return c.snapshot().records(), c.snapshot().version, len(c.audit), c.automation_running

    # ---- commands ---------------------------------------------------------------------------------------
    @rule(data=st.data())
    def look(self, data):
        c = self.console
        before = self._state()
        what = data.draw(st.sampled_from(["dig", "records", "trees", "alias"]))
        if what == "dig":
            answer = c.dig(data.draw(st.sampled_from(self._names())))
            assert isinstance(answer, tuple)
        elif what == "records":
            c.records()
        elif what == "trees":
            assert all(t.endpoint == e for e in c.endpoints for t in c.trees(e))
        else:
            c.describe_alias(data.draw(st.sampled_from(c.endpoints)))
        assert self._state() == before  # looking changes nothing

    @rule()
    def stop(self):
        self.console.stop_automation()
        assert not self.console.automation_running and not self.console.automation_holds_stale_plan

    @rule()
    def restart(self):
        self.console.start_automation()

    @rule(data=st.data())
    def preview(self, data):
        batch = [self._change(data) for _ in range(data.draw(st.integers(1, 3)))]
        before = self._state()
        p = self.console.preview(batch)
        assert self._state() == before  # a dry run
        assert p.ok == (p.refused is None)
        if p.ok:
            trial = self.console.snapshot()
            trial.change(batch)  # what the preview accepted, Route 53 accepts
            assert {n for n, _, _ in p.blast_radius} <= trial.names() | self.console.snapshot().names()
            assert "none" not in str(p).lower()

    @rule(data=st.data())
    def apply(self, data):
        batch = [self._change(data) for _ in range(data.draw(st.integers(1, 3)))]
        c = self.console
        before, audited = self._state(), len(c.audit)
        try:
            c.apply(batch)
        except ChangeRejected:
            assert self._state() == before  # all or nothing: a refused batch leaves everything
            self.refused += 1
            assert len(c.refusals) == self.refused
            return
        mine = c.audit[audited]
        assert mine.actor == "operator" and mine.batch == tuple(batch)
        for entry in c.audit[audited + 1:]:  # at most the automation's own retry
            assert entry.actor == "automation" and before[3]

    @precondition(lambda self: self.console.automation_running and self.console.automation_holds_stale_plan)
    @rule()
    def repair_under_running_automation(self):
        """The one fix that wakes the automation: a swap to a surviving tree while it still holds its plan."""
        c = self.console
        info = c.describe_alias()
        spare = [t for t in c.trees() if t.name != info.target]
        if not spare or info.target is None:
            return
        batch = [alias_change("DELETE", c.endpoint, info.target), alias_change("CREATE", c.endpoint, spare[0].name)]
        c.apply(batch)
        if "recheck_at_write" in c.fixes:
            assert c.dig()  # the shared write rule refuses the stale retry
        else:
            assert c.dig() == () and c.audit[-1].actor == "automation"

    # ---- invariants -------------------------------------------------------------------------------------
    @invariant()
    def audit_log_is_complete(self):
        """Replaying the audit log on the start zone gives exactly the zone now, one version per batch."""
        c = self.console
        replay = c.start_zone()
        for entry in c.audit:
            replay.change(list(entry.batch))
        assert replay.records() == c.snapshot().records()
        v0 = c.start_zone().version
        assert [e.version for e in c.audit] == list(range(v0 + 1, v0 + len(c.audit) + 1))
        assert c.integrity_problems() == ()
        for entry in c.audit:
            assert c.steps[entry.step].kind == "apply" and c.steps[entry.step].actor == entry.actor

    @invariant()
    def aliases_point_at_own_plan_trees(self):
        """Every endpoint alias names a plan tree of its own endpoint (operator aliases: an existing one)."""
        c = self.console
        zone = c.snapshot()
        for endpoint in c.endpoints:
            alias = zone.get(endpoint, "ALIAS")
            if alias is not None:
                target = alias.values[0]
                assert layout.is_tree_name(target) and layout.tree_endpoint(target) == endpoint
        for entry in c.audit:
            for change in entry.batch:
                if change.record.type == "ALIAS" and change.action != "DELETE" and entry.actor == "operator":
                    assert change.record.name in c.endpoints
        properties.Snapshot.of_zone(zone, c.endpoints)  # the shared properties can always read the zone

    @invariant()
    def automation_writes_only_when_allowed(self):
        """The automation writes only while running, only its stale plan, and never under Chapter 2's fixes."""
        c = self.console
        for entry in c.audit:
            if entry.actor == "automation":
                assert entry.automation_running and not {"recheck_at_write", "freeze_on_inconsistency"} & set(c.fixes)
                (change,) = entry.batch
                assert change.action == "UPSERT" and change.record.name == c.endpoint
        if not c.automation_running:
            assert not c.automation_holds_stale_plan

    @invariant()
    def steps_are_in_order(self):
        times = [e.time for e in self.console.steps]
        assert times == sorted(times) and len(set(times)) == len(times)


TestConsoleMachine = ConsoleMachine.TestCase
TestConsoleMachine.settings = settings(max_examples=60, stateful_step_count=25, deadline=None,
                                       suppress_health_check=[HealthCheck.too_slow])
