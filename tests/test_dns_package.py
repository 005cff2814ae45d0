"""The DNS automation package: one layout, one set of rules, one set of properties."""

import math

import pytest

from course_lib.dns import layout, properties, rules
from course_lib.dns.properties import Snapshot
from course_lib.route53 import HostedZone


def test_endpoint_table_is_the_one_source_of_names_and_labels():
    """Every endpoint has one short label, the regional endpoint is first, labels are unique."""
    assert layout.ENDPOINTS[0] == layout.REGIONAL_ENDPOINT == "dynamodb.us-east-1.amazonaws.com"
    assert [layout.label(e) for e in layout.ENDPOINTS] == ["regional", "ipv6", "fips", "account"]
    assert [layout.label(i) for i in range(4)] == ["regional", "ipv6", "fips", "account"]
    assert layout.endpoint_index(layout.ENDPOINTS[2]) == 2


def test_tree_names_round_trip_and_refuse_other_names():
    """tree_generation inverts tree_name; a name that is not a tree name is refused by name."""
    for g in (1, 9, 123):
        for ep in layout.ENDPOINTS:
            name = layout.tree_name(g, ep)
            assert layout.tree_generation(name) == g and layout.tree_endpoint(name) == ep
            assert layout.is_tree_name(name)
    for bad in ("dynamodb.us-east-1.amazonaws.com", "plan-0.x", "plan-x.y", "plan-3", ""):
        assert not layout.is_tree_name(bad)
        with pytest.raises(ValueError, match="name"):
            layout.tree_generation(bad)
    with pytest.raises(TypeError, match="name"):
        layout.tree_generation(3)
    for bad in (0, -1, True, 1.5, math.nan):
        with pytest.raises((TypeError, ValueError), match="generation"):
            layout.tree_name(bad, layout.REGIONAL_ENDPOINT)


def test_lock_name_matches_chapter_1s_lock_record():
    """The regional endpoint's lock is the TXT record Chapter 1 shows; every endpoint has its own."""
    assert layout.lock_name(layout.REGIONAL_ENDPOINT) == "_enactor-lock.dynamodb.us-east-1"
    assert len({layout.lock_name(e) for e in layout.ENDPOINTS}) == len(layout.ENDPOINTS)


def test_zone_helpers_read_aliases_trees_and_rollback_trees():
    """alias_generation, tree_generations and rollback_trees read a hosted zone laid out by the package."""
    ep, other = layout.ENDPOINTS[0], layout.ENDPOINTS[1]
    zone = HostedZone([layout.tree_record(g, ep, ("10.0.0.1",)) for g in (1, 2, 4)]
                      + [layout.tree_record(3, other, ("10.0.0.1",)), layout.alias_record(ep, 2)])
    assert layout.alias_generation(zone, ep) == 2 and layout.alias_generation(zone, other) is None
    assert layout.tree_generations(zone, ep) == (1, 2, 4)
    assert layout.rollback_trees(zone, ep) == (1, 4)
    snap = Snapshot.of_zone(zone, layout.ENDPOINTS[:2])
    assert snap == Snapshot((2, None), (frozenset({1, 2, 4}), frozenset({3})))


@pytest.mark.parametrize("fixes", [(), ("recheck_at_write",)])
def test_write_rule(fixes):
    """As published every write goes ahead; with recheck_at_write only a newer plan is written."""
    assert rules.write_rule(5, 3, fixes)
    assert rules.write_rule(5, None, fixes)
    assert rules.write_rule(2, 9, fixes) == (not fixes)
    assert rules.write_rule(9, 9, fixes) == (not fixes)


def test_cleanup_action_covers_every_fix():
    """Clean-up deletes old plans; protect_active keeps active ones; freeze alarms before deleting one."""
    assert rules.cleanup_action(4, 5, 2, False) == "young"
    assert rules.cleanup_action(3, 5, 2, False) == "delete"
    assert rules.cleanup_action(3, 5, 2, True) == "delete"
    assert rules.cleanup_action(3, 5, 2, True, ("protect_active",)) == "keep"
    assert rules.cleanup_action(3, 5, 2, True, ("freeze_on_inconsistency",)) == "freeze"
    assert rules.cleanup_action(3, 5, 2, True, rules.FIXES) == "keep"
    assert rules.cleanup_action(3, 5, 2, False, rules.FIXES) == "delete"
    assert rules.start_action(False) == "go"
    assert rules.start_action(True) == "blocked"
    assert rules.start_action(True, ("freeze_on_inconsistency",)) == "freeze"
    assert rules.take_rule(3, 2) and not rules.take_rule(2, 2) and rules.take_rule(1, None)


def test_rules_refuse_bad_values_by_name():
    """Rules validate their values: K, generations and fixes are named in the error."""
    with pytest.raises(ValueError, match="K"):
        rules.is_old(1, 5, 0)
    with pytest.raises(TypeError, match="plan"):
        rules.write_rule("5", 3)
    with pytest.raises(ValueError, match="fix"):
        rules.check_fixes(("recheck",))
    assert rules.check_fixes("protect_active") == ("protect_active",)
    assert rules.check_fixes(["freeze_on_inconsistency", "recheck_at_write"]) == (
        "recheck_at_write", "freeze_on_inconsistency")


def test_properties_on_snapshots():
    """The three properties judge snapshots; violations and explanations name the endpoint."""
    s0 = Snapshot.uniform((9, 9), {1, 2, 9})
    back = Snapshot.uniform((2, 9), {1, 2, 9})
    gone = Snapshot.uniform((2, 9), {1, 9})
    assert properties.violations(None, s0) == ()
    assert properties.violations(s0, back) == ("applied generation never decreases",)
    assert properties.violations(back, gone) == ("record never empty", "active plan never deleted")
    assert properties.first_violations([s0, back, gone]) == {
        "record never empty": 2, "applied generation never decreases": 1, "active plan never deleted": 2}
    names = layout.ENDPOINTS
    assert properties.explain("applied generation never decreases", s0, back, names) == \
        f"moved {names[0]} back from plan 9 to plan 2"
    assert properties.explain("record never empty", back, gone, names) == f"left {names[0]} with an empty answer"
    assert properties.explain("active plan never deleted", back, gone) == f"deleted the active plan of {names[0]}"
    assert properties.explain("record never empty", None, s0) == ""
    with pytest.raises(ValueError, match="name must be one of the properties"):
        properties.holds("record empty", None, s0)
    with pytest.raises(ValueError, match="Snapshot"):
        Snapshot((1,), ())
