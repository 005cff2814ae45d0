"""Chapter 5 exercises: each check fails on the stub, passes on the solution, and names typical faults."""

from __future__ import annotations

import contextlib

import numpy as np
import pytest
from conftest import exercise_namespace

from course_lib.checks.ch05 import q1, q2, q3, q4, q5
from course_lib.console import Change, alias_change
from course_lib.exercises import assert_check_failed, assert_check_passed
from course_lib.skills import p95_for_drills


@pytest.fixture(scope="module")
def solution():
    return exercise_namespace("05", "solution")


# ---- q1 mutants
def test_q1_symptom_is_not_the_red_herring():
    """Naming the DynamoDB errors as the red herring is called out as the symptom."""
    assert_check_failed(q1, {"red_herring": "dynamodb_errors", "points_at_cause": "dns_answer_size"}, "symptom")


def test_q1_swapped():
    """Swapping the two answers is explained."""
    assert_check_failed(q1, {"red_herring": "dns_answer_size", "points_at_cause": "border_packet_loss"},
                        "not the red herring")


def test_q1_packet_loss_does_not_point_at_cause():
    """Claiming packet loss points at the cause is refuted: it cannot empty a DNS answer."""
    assert_check_failed(q1, {"red_herring": "border_packet_loss", "points_at_cause": "border_packet_loss"},
                        "zero addresses")


def test_q1_unknown_name():
    """A name that is not a signal lists the choices."""
    assert_check_failed(q1, {"red_herring": "network", "points_at_cause": "dns"}, "choose from")


# ---- q2 mutants
def test_q2_fires_on_timeouts():
    """An alarm treating timeouts as empty answers fires on packet loss, and the verdict says so."""
    def alarm(probes):
        return len(probes) >= 3 and not any(probes[-3:])
    assert_check_failed(q2, alarm, "timeouts", "network")


def test_q2_fires_on_a_blip():
    """An alarm on the latest probe alone fires on a single empty blip."""
    assert_check_failed(q2, lambda probes: probes[-1] == (), "stay quiet")


def test_q2_misses_empty_answers():
    """An alarm that only watches timeouts misses the empty answer."""
    def alarm(probes):
        return len(probes) >= 3 and all(p is None for p in probes[-3:])
    assert_check_failed(q2, alarm, "should fire", "no addresses")


def test_q2_wrong_return_type():
    """Returning a string instead of a bool is named in plain words, not as "bool or bool"."""
    assert_check_failed(q2, lambda probes: "yes", "should be True or False")


def test_q2_counts_empty_answers_anywhere():
    """An alarm counting three empty answers anywhere fires after recovery, and the verdict says why."""
    def alarm(probes):
        return sum(p == () for p in probes) >= 3
    assert_check_failed(q2, alarm, "counts empty answers anywhere", "latest three", "in a row")


def test_q2_counts_empty_answers_anywhere_numpy_bool():
    """The same mutant returning numpy booleans is judged on its verdict, not its type."""
    def alarm(probes):
        return np.sum(np.array([p == () for p in probes])) >= 3
    assert_check_failed(q2, alarm, "counts empty answers anywhere")


# ---- q3 mutants
def test_q3_too_few_drills():
    """Too few drills: the verdict gives the p95 and says it is over the target."""
    assert_check_failed(q3, 4, "over the", "drill more often")


def test_q3_wasteful():
    """More drills than needed is called out: fewer would do."""
    assert_check_failed(q3, 52, "smallest")


def test_q3_bad_values():
    """Negative and fractional frequencies are refused in plain words."""
    assert_check_failed(q3, -1, "negative")
    assert_check_failed(q3, 2.5, "whole number")


def test_q3_solution_is_the_threshold(solution):
    """The solution is the first drill count at or under the target, and one fewer is over it."""
    d = solution["answer_q3"]
    assert p95_for_drills(d) <= 120 < p95_for_drills(d - 1)


# ---- q4 mutants
def test_q4_the_deleted_tree():
    """Returning the alias target names it as the deleted tree."""
    assert_check_failed(q4, lambda console: console.describe_alias().target, "deleted")


def test_q4_another_endpoints_tree():
    """Returning a tree of another endpoint is named as such."""
    assert_check_failed(q4, lambda console: console.trees("dynamodb.us-east-1.api.aws")[0].name,
                        "another endpoint")


def test_q4_hard_coded_name(solution):
    """A name typed in from the published zone fails on the variant."""
    from course_lib.console import Console
    name = solution["pick_rollback_tree"](Console())
    assert_check_failed(q4, lambda console: name, "variant")


# ---- q5 mutants: the drill
def _swap(console):
    alias = console.describe_alias()
    tree = next(t for t in console.trees() if t.name != alias.target)
    return [alias_change("DELETE", console.endpoint, alias.target),
            alias_change("CREATE", console.endpoint, tree.name)]


def test_q5_automation_left_running():
    """A correct swap with the automation still running is re-broken, and the verdict shows the timeline."""
    def repair(console):
        batch = _swap(console)
        console.preview(batch)
        console.apply(batch)
    v = assert_check_failed(q5, repair, "automation re-broke it", "re-applied stale plan")
    assert ">>" in v.timeline


def test_q5_alias_to_nothing():
    """An alias to the (deleted) tree it already names, or to nothing, is refused by the guardrail."""
    def repair(console):
        console.stop_automation()
        console.apply([alias_change("UPSERT", console.endpoint, "plan-12345." + console.endpoint)])
    assert_check_failed(q5, repair, "refused", "does not exist")


def test_q5_other_records_touched():
    """Cleaning up other records on the way is caught: the blast radius should be one alias."""
    def repair(console):
        console.stop_automation()
        batch = _swap(console)
        other = next(r for r in console.records() if r.type == "A" and "api.aws" in r.name)
        batch.append(Change("DELETE", other))
        console.preview(batch)
        console.apply(batch)
    assert_check_failed(q5, repair, "other records were touched")


def test_q5_no_dry_run():
    """Applying without a preview breaks rule 2 and is named."""
    def repair(console):
        console.stop_automation()
        console.apply(_swap(console))
    assert_check_failed(q5, repair, "without a dry run")


def test_q5_tripped_guardrail_then_recovered():
    """A run that leans on the guardrail (refused change caught, then fixed) fails the process grade."""
    def repair(console):
        console.stop_automation()
        with contextlib.suppress(Exception):
            console.apply([alias_change("UPSERT", console.endpoint, "nowhere")])
        batch = _swap(console)
        console.preview(batch)
        console.apply(batch)
    assert_check_failed(q5, repair, "tripped a guardrail")


def test_q5_another_endpoints_tree():
    """Pointing the regional alias at the IPv6 endpoint's tree is named as the wrong endpoint's tree."""
    def repair(console):
        console.stop_automation()
        alias = console.describe_alias()
        other = console.trees("dynamodb.us-east-1.api.aws")[0]
        batch = [alias_change("DELETE", console.endpoint, alias.target),
                 alias_change("CREATE", console.endpoint, other.name)]
        console.preview(batch)
        console.apply(batch)
    assert_check_failed(q5, repair, "another endpoint")


def test_q5_bypass_that_breaks_the_replay():
    """A direct zone change that makes the audit log unreplayable is still a plain verdict, not a crash."""
    def repair(console):
        console.stop_automation()
        batch = _swap(console)
        console._zone.change(batch)
        target = batch[1].record.values[0]
        console.apply([alias_change("DELETE", console.endpoint, target),
                       alias_change("CREATE", console.endpoint, target)])
    assert_check_failed(q5, repair, "audit log")


def test_q5_too_many_steps(solution):
    """A repair that digs in a loop goes over the step budget, and the verdict says how many actions it took."""
    def repair(console):
        for _ in range(40):
            console.dig()
        solution["repair"](console)
    assert_check_failed(q5, repair, "console actions", "budget")


def test_q5_bypassing_the_console():
    """Changing the zone underneath the console is detected through the audit log."""
    def repair(console):
        console.stop_automation()
        console._zone.change(_swap(console))
    assert_check_failed(q5, repair, "audit log")


def test_q5_safe_restart_passes(solution):
    """Restarting the automation after the fix is allowed."""
    def repair(console):
        solution["repair"](console)
        console.start_automation()
    assert_check_passed(q5, repair)


def test_q5_restart_before_fix_breaks_rule_5():
    """Restarting before the fix: the answer holds in the model, but changing a zone under running automation is flagged."""
    def repair(console):
        console.stop_automation()
        console.start_automation()
        batch = _swap(console)
        console.preview(batch)
        console.apply(batch)
    assert_check_failed(q5, repair, "while the automation was running")
