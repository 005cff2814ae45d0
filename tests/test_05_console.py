"""Chapter 5: the manual operator console over the broken zone Chapter 2's race leaves."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from course_lib import dns_race
from course_lib.console import (
    Console,
    GuardrailRefused,
    alias_change,
    broken_zone,
    parse_batch,
    published_broken_zone,
)
from course_lib.route53 import Change, ChangeRejected, HostedZone, Record

REGIONAL = dns_race.REGIONAL_ENDPOINT


def reference_repair(console: Console) -> None:
    """Stop the automation, then swap the broken alias for one to an existing tree, previewed first."""
    console.stop_automation()
    info = console.describe_alias()
    tree = next(t for t in console.trees() if t.name != info.target)
    batch = [alias_change("DELETE", console.endpoint, info.target),
             alias_change("CREATE", console.endpoint, tree.name)]
    assert console.preview(batch).ok
    console.apply(batch)


def state(console: Console):
    """Return everything a refused change must leave alone."""
    return console.snapshot().records(), console.snapshot().version, len(console.audit)


def test_broken_start_is_chapter_2_published_end_state():
    """The console starts from exactly the zone run_published() leaves, and that zone is stuck and empty."""
    result = dns_race.run_published()
    assert result.stuck
    console = Console()
    assert console.endpoint == REGIONAL
    assert console.start_zone().records() == result.zone.records()
    assert console.snapshot().records() == result.zone.records()
    assert console.dig() == ()
    info = console.describe_alias()
    assert info.target is not None and not info.target_exists
    assert console.automation_running and console.automation_holds_stale_plan


def test_console_does_not_share_the_zone():
    """Changing the console's zone does not change the zone it was given."""
    zone = published_broken_zone()
    before = zone.records()
    reference_repair(Console(zone))
    assert zone.records() == before


def test_reference_repair_restores_service():
    """Stop, delete the broken alias, create one to a rollback tree: the endpoint answers again."""
    console = Console()
    reference_repair(console)
    answer = console.dig()
    assert answer and answer == console.snapshot().get(console.describe_alias().target, "A").values
    start, final = console.start_zone(), console.snapshot()
    others = [r for r in final.records() if r.key != (REGIONAL, "ALIAS")]
    assert others == [r for r in start.records() if r.key != (REGIONAL, "ALIAS")]


def test_repair_with_automation_running_is_rebroken():
    """If the automation still runs, it re-applies its stale plan the moment the fix lands (model choice)."""
    console = Console()
    stale = console.describe_alias().target
    info = console.describe_alias()
    tree = next(t for t in console.trees() if t.name != info.target)
    console.apply([alias_change("DELETE", REGIONAL, stale), alias_change("CREATE", REGIONAL, tree.name)])
    assert console.dig() == ()
    assert console.describe_alias().target == stale
    assert [e.actor for e in console.audit] == ["operator", "automation"]
    assert any(e.kind == "re-applied stale plan" for e in console.steps)


def test_inconsistent_intermediate_state_does_not_wake_the_automation():
    """Deleting the alias alone leaves the zone inconsistent, so the running automation stays blocked."""
    console = Console()
    console.apply([alias_change("DELETE", REGIONAL, console.describe_alias().target)])
    assert [e.actor for e in console.audit] == ["operator"]


def test_restart_after_the_fix_is_safe():
    """Stopping drops the stale plan, so starting the automation after the fix leaves the answer intact."""
    console = Console()
    reference_repair(console)
    console.start_automation()
    assert console.automation_running and not console.automation_holds_stale_plan
    assert console.dig()


def test_audit_log_records_every_applied_change():
    """Replaying the audit log on the start zone reproduces the final zone, including automation writes."""
    console = Console()
    info = console.describe_alias()
    tree = next(t for t in console.trees() if t.name != info.target)
    console.apply([alias_change("DELETE", REGIONAL, info.target), alias_change("CREATE", REGIONAL, tree.name)])
    reference_repair(console)
    replay = console.start_zone()
    for entry in console.audit:
        replay.change(list(entry.batch))
    assert replay.records() == console.snapshot().records()
    v0 = console.start_zone().version
    assert [e.version for e in console.audit] == list(range(v0 + 1, v0 + len(console.audit) + 1))


def test_preview_is_a_dry_run_with_blast_radius():
    """A preview changes nothing and names exactly the answers that would change."""
    console = Console()
    console.stop_automation()
    info = console.describe_alias()
    tree = next(t for t in console.trees() if t.name != info.target)
    before = state(console)
    p = console.preview([alias_change("UPSERT", REGIONAL, tree.name)])
    assert state(console) == before
    assert p.ok and [name for name, _, _ in p.blast_radius] == [REGIONAL]
    wide = console.preview([Change("DELETE", r) for r in console.snapshot().records()
                            if r.type == "A" and r.name != tree.name][:1])
    assert "blast radius" in str(wide)


def test_alias_to_nothing_is_refused_and_zone_untouched():
    """An alias to a tree that does not exist is refused by the guardrail, and nothing changes."""
    console = Console()
    before = state(console)
    with pytest.raises(GuardrailRefused, match="does not exist"):
        console.apply([alias_change("UPSERT", REGIONAL, "plan-999.nowhere")])
    assert state(console) == before and console.refusals
    assert not console.preview([alias_change("UPSERT", REGIONAL, "plan-999.nowhere")]).ok


@pytest.mark.parametrize(("batch", "error", "fragment"), [
    ("DELETE everything", TypeError, "list of changes"),
    ([], ValueError, "at least one change"),
    ([{"action": "UPSERT", "name": REGIONAL, "type": "ALIAS"}], ValueError, "missing field(s) values"),
    ([{"action": "UPSERT", "name": REGIONAL, "type": "CNAME", "values": ["x"]}], ValueError, "record type"),
    ([{"action": "UPSERT", "name": REGIONAL, "type": "A", "values": "10.0.0.1"}], TypeError, "tuple"),
    ([{"action": "RENAME", "name": REGIONAL, "type": "A", "values": ["10.0.0.1"]}], ValueError, "action"),
    ([{"action": "UPSERT", "name": REGIONAL, "type": "A", "values": ["1"], "colour": 1}], ValueError, "colour"),
    ([42], TypeError, "change 1"),
])
def test_malformed_batches_raise_clear_errors(batch, error, fragment):
    """Malformed change batches raise an error that says what is wrong, and the zone is untouched."""
    console = Console()
    before = state(console)
    with pytest.raises(error) as info:
        console.apply(batch)
    assert fragment in str(info.value)
    assert state(console) == before


def test_delete_of_unknown_record_is_rejected_all_or_nothing():
    """A batch with a good change and a DELETE of an unknown record applies neither."""
    console = Console()
    console.stop_automation()
    tree = console.trees()[0]
    before = state(console)
    batch = [alias_change("UPSERT", REGIONAL, tree.name),
             Change("DELETE", Record("plan-12345.unknown", "A", ("10.9.9.9",)))]
    with pytest.raises(ChangeRejected, match="does not exist"):
        console.apply(batch)
    assert state(console) == before


def _names(zone: HostedZone):
    return [*sorted(zone.names()), "plan-777.nowhere", REGIONAL]


@settings(max_examples=80, deadline=None)
@given(data=st.data())
def test_refused_change_never_corrupts_state(data):
    """Any batch either applies whole (and is audited) or is refused with zone, version and audit unchanged."""
    zone = broken_zone() if data.draw(st.booleans()) else published_broken_zone()
    console = Console(zone, automation_running=data.draw(st.booleans()))
    for _ in range(data.draw(st.integers(1, 4))):
        names = _names(console.snapshot())
        change = st.builds(lambda a, n, t, v: Change(a, Record(n, t, v)),
                           st.sampled_from(["CREATE", "DELETE", "UPSERT"]), st.sampled_from(names),
                           st.sampled_from(["A", "ALIAS"]),
                           st.sampled_from([("10.0.0.1",), *[(n,) for n in names[:4]]]))
        batch = data.draw(st.lists(change, min_size=1, max_size=3))
        before = state(console)
        try:
            console.apply(batch)
        except ChangeRejected:
            assert state(console) == before
        else:
            assert len(console.audit) > before[2]
            assert console.audit[before[2]].batch == tuple(batch)
    replay = console.start_zone()
    for entry in console.audit:
        replay.change(list(entry.batch))
    assert replay.records() == console.snapshot().records()


def test_parse_batch_accepts_dicts():
    """Dict changes are parsed into Change objects with tuple values."""
    (c,) = parse_batch([{"action": "UPSERT", "name": REGIONAL, "type": "ALIAS", "values": ["t"]}])
    assert c == alias_change("UPSERT", REGIONAL, "t")


def test_variant_builder_has_the_published_shape():
    """The variant zone is broken like Chapter 2's: empty regional answer, others fine."""
    zone = broken_zone()
    console = Console(zone)
    assert console.dig() == () and not console.describe_alias().target_exists
    assert console.trees() and all(console.dig(e) for e in dns_race.ENDPOINTS[1:])
