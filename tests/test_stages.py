"""The cascade's stages compose: timeline owns the times, each stage takes its upstream result (issue 11)."""

from __future__ import annotations

import ast
import math
import re
from pathlib import Path

import numpy as np
import pytest

from course_lib import dwfm, dynamodb, network_manager, nlb, timeline
from course_lib.timeline import published

MODULES = {"timeline", "dynamodb", "dwfm", "network_manager", "nlb", "metastable", "mitigations", "phase"}
ROOT = Path(__file__).resolve().parent.parent
CONTRACT = {"identified": "00:38", "rpz override": "01:15", "alias repaired": "02:15", "dns restored": "02:25",
            "dynamodb recovered": "02:40", "throttling and restarts": "04:14", "all leases held": "05:28",
            "nlb errors begin": "05:30", "connectivity problems": "06:21", "nlb failures detected": "06:52",
            "failover disabled": "09:36", "propagation normal": "10:36", "throttles relaxed": "11:23",
            "ec2 normal": "13:50", "failover re-enabled": "14:09", "event end": "14:20"}


def test_minutes_and_clock_round_trip_across_midnight():
    """minutes() and clock() agree, with 23:48 as minute 0, 23:00 on 19 Oct and 02:25 at 157."""
    assert timeline.minutes("23:48") == 0 and timeline.minutes("02:25") == 157
    assert timeline.minutes("23:00") == -48 and timeline.clock(-48) == "23:00"
    assert all(timeline.clock(timeline.minutes(h)) == h for h in CONTRACT.values())
    assert timeline.clock(157.4) == "02:25"


@pytest.mark.parametrize("bad", [math.nan, math.inf, True, "02:25", None, 1e12])
def test_clock_refuses_what_is_not_a_minute(bad):
    """clock() names its parameter for NaN, inf, bools, strings and absurd sizes."""
    with pytest.raises((ValueError, TypeError), match="minute"):
        timeline.clock(bad)


def test_published_moments_are_the_records_and_carry_sources():
    """Every moment the stages compare with is in PUBLISHED, at its published clock time, with sources."""
    for name, hhmm in CONTRACT.items():
        moment = timeline.PUBLISHED[name]
        assert moment.clock == hhmm and moment.minute == timeline.minutes(hhmm) and moment.sources
    assert timeline.PUBLISHED["alias repaired"].reported  # only the incident narrative gives 02:15
    with pytest.raises(ValueError, match="name"):
        published("dns fixed")


def test_no_module_but_timeline_types_a_published_time():
    """The stage modules, their checks and widgets write no 'HH:MM' literal: times come from timeline."""
    pattern = re.compile(r"[\"'][0-2]\d:[0-5]\d[\"']")
    for rel in ("course_lib/dwfm.py", "course_lib/nlb.py", "course_lib/network_manager.py", "course_lib/dynamodb.py",
                "course_lib/experiments/ch04.py", "course_lib/checks/ch04.py", "course_lib/plots/metastable.py",
                "course_lib/experiments/ch00.py"):
        assert not pattern.search((ROOT / rel).read_text()), rel


STAGE_FILES = ("timeline.py", "dynamodb.py", "dwfm.py", "network_manager.py", "nlb.py", "metastable.py",
               "mitigations.py", "phase.py", "experiments/ch00.py", "experiments/ch04.py", "checks/ch00.py",
               "checks/ch04.py", "plots/metastable.py", "plots/timeline.py")


def test_no_stage_imports_a_private_name():
    """No stage module imports another's private helpers (e.g. nlb importing dwfm._check_clock)."""
    for rel in STAGE_FILES:
        tree = ast.parse((ROOT / "course_lib" / rel).read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                assert not [a.name for a in node.names if a.name.startswith("_")], (rel, node.module)
            if isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__"):
                assert not (isinstance(node.value, ast.Name) and node.value.id in MODULES), (rel, node.attr)


def test_dynamodb_availability_is_published_and_fitted():
    """published() is 23:48 / 02:25 / 02:40; after_repair with the published repair gives the same night."""
    night = dynamodb.published()
    assert (night.unreachable_from, night.dns_restored, night.reachable_at) == (0.0, 157.0, 172.0)
    assert dynamodb.after_repair(published("dns restored")) == night
    assert dynamodb.after_repair(80.0, ttl=0.0).reachable_at == 80.0
    assert not night.reachable(100.0) and night.reachable(172.0)


@pytest.mark.parametrize(("args", "name"), [((0.0, 200.0, 100.0), "reachable_at"), ((math.nan, 1.0, 2.0),
                                            "unreachable_from"), ((0.0, True, 2.0), "dns_restored")])
def test_availability_refuses_nonsense(args, name):
    """An Availability is ordered and finite, and says which field is wrong."""
    with pytest.raises((ValueError, TypeError), match=name):
        dynamodb.Availability(*args)


@pytest.mark.parametrize(("kw", "name"), [({"repair_at": -5.0}, "repair_at"), ({"repair_at": math.inf}, "repair_at"),
                                          ({"repair_at": 100.0, "ttl": -1.0}, "ttl")])
def test_after_repair_refuses_nonsense(kw, name):
    with pytest.raises((ValueError, TypeError), match=name):
        dynamodb.after_repair(**kw)


def test_each_result_carries_its_upstream():
    """DynamoDB -> DWFM -> Network Manager -> NLB: each result holds the one it was computed from."""
    avail = dynamodb.published()
    leases = dwfm.simulate(avail)
    prop = network_manager.simulate(leases)
    cap = nlb.simulate(prop, failover_disabled_at=published("failover disabled"),
                       failover_enabled_at=published("failover re-enabled"))
    assert cap.propagation is prop and prop.leases is leases and leases.dynamodb is avail


def test_network_manager_tells_the_published_story():
    """Fitted: normal at 10:36 (10:38 on the rate's grid).  Predicted, not fitted: the connectivity limit is
    DWFM's lease timeout, and the first instances without connectivity come at 06:04, 17 min before 06:21."""
    leases = dwfm.simulate()
    prop = network_manager.simulate(leases)
    assert abs(prop.normal_at - published("propagation normal")) <= 2
    assert prop.params["connectivity_limit"] == leases.params["lease_timeout"] == 10.0
    assert "connectivity_limit" not in network_manager.FITTED
    assert prop.no_connectivity_from - published("connectivity problems") == -17
    longer = network_manager.simulate(dwfm.simulate(lease_timeout=12.0, check_interval=3))
    assert longer.params["connectivity_limit"] == 12.0  # the a priori value follows the stage it comes from
    assert prop.delay.max() > prop.params["connectivity_limit"]


def test_network_manager_backlog_follows_dwfm():
    """Without DWFM's recovery only the droplets of the hosts that never collapsed take launches: a trickle that
    Network Manager keeps up with, so nothing launches without its network state."""
    stuck = dwfm.simulate(actions=dwfm.mitigation_actions("none"))
    prop = network_manager.simulate(stuck)
    assert math.isinf(prop.no_connectivity_from)
    late = prop.launches[int(published("all leases held")):]
    held = stuck.held[int(published("all leases held")):] / stuck.fleet
    assert np.allclose(late, prop.params["peak_launches"] * held) and late.max() < prop.params["launch_rate"]


def test_network_manager_conserves_work():
    """Every propagation queued is done or still waiting."""
    prop = network_manager.simulate(dwfm.simulate())
    queued = prop.launches.sum() + prop.params["termination_rate"] * prop.t.size
    assert math.isclose(queued, prop.propagated.sum() + prop.backlog[-1], rel_tol=1e-9)


@pytest.mark.parametrize(("kw", "name"), [({"propagation_rate": 0.0}, "propagation_rate"),
                                          ({"launch_rate": math.nan}, "launch_rate"), ({"wat": 3}, "unknown")])
def test_network_manager_bad_input(kw, name):
    leases = dwfm.simulate()
    with pytest.raises((ValueError, TypeError), match=name):
        network_manager.simulate(leases, **kw)


def test_network_manager_refuses_other_results():
    for wrong in (None, 3, dynamodb.published()):
        with pytest.raises(TypeError, match="leases"):
            network_manager.simulate(wrong)


def test_propagation_never_slow_after_the_repair_is_normal_from_the_repair_not_from_2348():
    """A Network Manager fast enough never to fall behind is normal from DNS's repair on (02:25), not 'from 23:48'."""
    from course_lib import cascade, timeline

    n = cascade.run(propagation_rate=220.0)
    assert n.times["propagation normal"] == timeline.published("dns restored")
    assert cascade.run().times["propagation normal"] > timeline.published("all leases held")
