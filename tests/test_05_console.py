"""Chapter 5: the manual operator console over the broken zone Chapter 2's race leaves."""

from __future__ import annotations

import numpy as np
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
from course_lib.dns import layout
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


# ---- built on course_lib.dns: layout, rules, properties -------------------------------------------------
def test_layout_comes_from_the_dns_package():
    """Trees, endpoints and timeline labels are the dns.layout ones, not parsed or defined here."""
    from course_lib.console import zone_endpoints, zone_trees
    from course_lib.dns import layout
    zone = broken_zone()
    assert zone_endpoints(zone) == layout.ENDPOINTS[:3]
    for endpoint in zone_endpoints(zone):
        trees = zone_trees(zone, endpoint)
        assert [t.generation for t in trees] == sorted(layout.tree_generations(zone, endpoint), reverse=True)
        assert all(t.name == layout.tree_name(t.generation, endpoint) for t in trees)
    console = Console(zone)
    console.trees()
    assert "list trees regional" in console.timeline()


def test_recheck_at_write_stops_the_stale_retry():
    """With Chapter 2's recheck_at_write fix, the automation's stale retry is refused by dns.rules.write_rule."""
    console = Console(fixes=("recheck_at_write",))
    console.apply(_swap_batch(console))
    assert console.dig()
    assert any(e.kind == "dropped stale plan" for e in console.steps)
    assert [e.actor for e in console.audit] == ["operator"]


def test_freeze_on_inconsistency_freezes_at_once():
    """With freeze_on_inconsistency the automation, finding the dangling alias, freezes and raises an alarm."""
    console = Console(fixes=("freeze_on_inconsistency",))
    assert not console.automation_running and not console.automation_holds_stale_plan
    assert any(e.kind == "frozen" for e in console.steps)
    assert console.integrity_problems() == ()


def _swap_batch(console):
    info = console.describe_alias()
    tree = next(t for t in console.trees() if t.name != info.target)
    return [alias_change("DELETE", console.endpoint, info.target), alias_change("CREATE", console.endpoint, tree.name)]


def test_preview_warns_with_the_shared_properties():
    """Deleting another endpoint's active tree is previewed with the 'active plan never deleted' warning."""
    console = Console()
    console.stop_automation()
    other = console.snapshot().get("plan-9.dynamodb.us-east-1.api.aws", "A")
    p = console.preview([Change("DELETE", other)])
    assert p.ok and any("active plan never deleted" in w for w in p.warnings)
    assert "dynamodb.us-east-1.api.aws" in p.empty_after
    assert "WARNING" in str(p)


def test_delete_only_preview_names_what_it_removes():
    """A DELETE-only preview lists the removed alias and the empty answer; it never says 'none'."""
    console = Console()
    console.stop_automation()
    p = console.preview(_swap_batch(console)[:1])
    assert p.records_changed == ((REGIONAL, "ALIAS", "removed"),)
    assert REGIONAL in p.empty_after and "none" not in str(p).lower()


def test_alias_to_another_endpoints_tree_is_refused():
    """The guardrail refuses an alias to a tree that belongs to another endpoint."""
    console = Console()
    console.stop_automation()
    p = console.preview([alias_change("UPSERT", REGIONAL, "plan-9.dynamodb.us-east-1.api.aws")])
    assert not p.ok and "another endpoint" in p.refused


def test_private_attribute_changes_are_detected():
    """Setting console._automation or console._held directly is reported by integrity_problems()."""
    console = Console()
    console._automation = False
    console.dig()
    assert any("console._automation" in p for p in console.integrity_problems())
    quiet = Console()
    quiet._held = None
    assert any("private attribute" in p for p in quiet.integrity_problems())
    clean = Console()
    reference_repair(clean)
    clean.start_automation()
    assert clean.integrity_problems() == ()


HOSTILE = [None, 42, 1.5, True, "", "x" * 300, b"dns", [], np.nan]


def _console_calls():
    """Return (name, call, values it may accept) for every public callable of the console module."""
    from course_lib.console import zone_endpoints, zone_trees
    console = Console()
    default = (None,)  # None means "the default" for these
    return console, [
        ("dig", console.dig, default), ("records", console.records, default), ("trees", console.trees, default),
        ("describe_alias", console.describe_alias, default), ("preview", console.preview, ()),
        ("apply", console.apply, ()), ("was_previewed", console.was_previewed, ()),
        ("timeline", console.timeline, ([],)), ("dig type", lambda b: console.dig(REGIONAL, b), ()),
        ("describe_alias log", lambda b: console.describe_alias(log=b), (True,)),
        ("Console zone", Console, default), ("Console endpoint", lambda b: Console(endpoint=b), default),
        ("Console automation_running", lambda b: Console(automation_running=b), (True,)),
        ("Console fixes", lambda b: Console(fixes=b), ([],)), ("parse_batch", parse_batch, ()),
        ("alias_change", lambda b: alias_change("UPSERT", REGIONAL, b), ()),
        ("broken_zone stale", lambda b: broken_zone(stale=b), ()),
        ("broken_zone rollbacks", lambda b: broken_zone(rollbacks=b), ()),
        ("zone_trees zone", lambda b: zone_trees(b, REGIONAL), ()),
        ("zone_trees endpoint", lambda b: zone_trees(console.snapshot(), b), ()),
        ("zone_endpoints", zone_endpoints, ()),
    ]


@pytest.mark.parametrize("bad", HOSTILE, ids=repr)
def test_console_entry_points_refuse_hostile_values(bad):
    """Every public console callable refuses wrong types, empty and absurd values with TypeError/ValueError."""
    console, calls = _console_calls()
    before = state(console)
    accepted = []
    for name, call, allowed in calls:
        if any(bad is a or (type(bad) is type(a) and bad == a) for a in allowed):
            continue
        try:
            call(bad)
        except (TypeError, ValueError):
            continue
        accepted.append(name)
    assert accepted == []
    assert state(console) == before


def test_absurd_batch_sizes_are_refused():
    """A batch of more than MAX_BATCH changes is refused before anything is validated."""
    from course_lib.console import MAX_BATCH
    console = Console()
    with pytest.raises(ValueError, match="at most"):
        console.preview([alias_change("UPSERT", REGIONAL, "t")] * (MAX_BATCH + 1))


def test_unknown_endpoint_and_dig_type():
    """An endpoint the zone does not have, and a record type dig cannot ask for, are named."""
    console = Console()
    with pytest.raises(ValueError, match="unknown endpoint"):
        console.trees("example.com")
    with pytest.raises(ValueError, match="record type"):
        console.dig(REGIONAL, "CNAME")
    with pytest.raises(ValueError, match="no endpoint"):
        Console(HostedZone([Record("example.com", "A", ("10.0.0.1",))]))
    with pytest.raises(ValueError, match="step"):
        console.timeline(mark=[999])


def test_zone_not_laid_out_as_the_package_is_refused():
    """A zone whose endpoint alias names something other than one of its own plan trees is refused by name."""
    records = [r for r in broken_zone().records() if r.key != (REGIONAL, "ALIAS")]
    for target in ("plan-41.dynamodb.us-east-1.api.aws", "example.com"):
        with pytest.raises(ValueError, match="not a plan tree"):
            Console(HostedZone([*records, Record(REGIONAL, "ALIAS", (target,))]))


def test_partial_signals_name_the_missing_series():
    """Signals built without a series say which ones they hold instead of raising KeyError."""
    from course_lib import signals as sg
    s = sg.Signals(np.arange(3.0), {"dns_answer_size": np.zeros(3)}, {})
    with pytest.raises(ValueError, match="they hold dns_answer_size"):
        s["canary_empty"]


@pytest.mark.parametrize("value", [None, "stopped", 0, 1, np.True_, object()])
def test_any_value_written_into_the_automation_flag_is_reported(value):
    """Regression: integrity_problems() names console._automation whatever was written there; it never raises."""
    console = Console()
    console._automation = value
    console.stop_automation()  # the log explains the last step, not the tampered one before it
    console._automation = value
    problems = console.integrity_problems()
    assert problems and all("private attribute" in p for p in problems)
    assert "console._automation" in problems[0]


def test_tampered_values_do_not_make_the_automation_act():
    """A flag or stale plan set by hand to a non-bool / non-generation is not acted on, and is reported."""
    for attribute, value in (("_automation", "stopped"), ("_held", "plan-2"), ("_held", 0)):
        console = Console()
        setattr(console, attribute, value)
        info = console.describe_alias()
        tree = next(t for t in console.trees() if t.name != info.target)
        console.apply([alias_change("UPSERT", console.endpoint, tree.name)])
        assert console.dig() and console.integrity_problems()


def test_unreadable_logs_are_reported_not_raised():
    """integrity_problems() answers in words when steps or audit were overwritten with junk."""
    for attribute, value in (("steps", None), ("steps", [1, 2]), ("audit", None), ("_zone", None)):
        console = Console()
        setattr(console, attribute, value)
        assert console.integrity_problems()


def test_timeline_names_another_endpoints_alias():
    """A change to another endpoint's alias is shown with that endpoint's label, not as the home alias."""
    console = Console()
    console.stop_automation()
    other = next(e for e in console.endpoints if e != console.endpoint)
    target = console.describe_alias(other).target
    console.apply([alias_change("UPSERT", other, target)])
    apply = console.steps[-1]
    assert apply.kind == "apply" and f"~{layout.label(other)}:plan-" in apply.detail
