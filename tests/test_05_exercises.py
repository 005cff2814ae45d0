"""Chapter 5 exercises: every check rejects plausible wrong answers by name and accepts other right answers."""

from __future__ import annotations

import contextlib
from collections import OrderedDict

import numpy as np
import pytest
from conftest import exercise_namespace

from course_lib import skills
from course_lib.checks.ch05 import DRILL_TARGET_MIN, q1, q2, q3, q4, q5
from course_lib.console import Change, Console, Record, alias_change
from course_lib.exercises import assert_check_failed, assert_check_passed
from course_lib.skills import p95_for_drills


@pytest.fixture(scope="module")
def solution():
    return exercise_namespace("05", "solution")


# ---- q1: the red herring ----------------------------------------------------------------------------
@pytest.mark.parametrize(("answer", "fragments"), [
    ({"red_herring": "dynamodb_errors", "points_at_cause": "dns_answer_size"}, ("symptom",)),
    ({"red_herring": "dns_answer_size", "points_at_cause": "border_packet_loss"}, ("not the red herring",)),
    ({"red_herring": "canary_empty", "points_at_cause": "dns_answer_size"}, ("not the red herring",)),
    ({"red_herring": "border_packet_loss", "points_at_cause": "border_packet_loss"}, ("zero addresses",)),
    ({"red_herring": "network", "points_at_cause": "dns"}, ("choose from",)),
    ({"red_herring": "border_packet_loss"}, ("needs the key", "points_at_cause")),
    (["border_packet_loss", "dns_answer_size"], ("should be a dict",)),
    ({"red_herring": "border_packet_loss", "points_at_cause": "dns_answer_size", "why": "dns"}, ("unexpected key",)),
    ({"red_herring": "border_packet_loss", "points_at_cause": 3}, ("not a signal",)),
])
def test_q1_wrong_answers_are_named(answer, fragments):
    """Each plausible wrong answer to q1 is rejected with a message naming its fault."""
    assert_check_failed(q1, answer, *fragments)


def test_q1_errors_as_the_pointer_get_the_symptom_explanation():
    """Regression: naming dynamodb_errors as the pointer is called the symptom, not given a packet-loss story."""
    v = assert_check_failed(q1, {"red_herring": "border_packet_loss", "points_at_cause": "dynamodb_errors"},
                            "symptom", "cannot tell them apart")
    assert "time out" not in v.message


def test_q1_successful_probes_cannot_tell_timeouts_from_empty_answers():
    """Regression: canary_success as the pointer is rejected; a timeout and an empty answer both lower it."""
    assert_check_failed(q1, {"red_herring": "border_packet_loss", "points_at_cause": "canary_success"},
                        "canary_success", "times out", "cannot tell packet loss from an empty DNS record",
                        "empty-answer")


@pytest.mark.parametrize("answer", [
    {"red_herring": "border_packet_loss", "points_at_cause": "dns_answer_size"},
    {"points_at_cause": "canary_empty", "red_herring": "border_packet_loss"},
    dict(red_herring="border_packet_loss", points_at_cause="canary_empty"),
    OrderedDict([("red_herring", np.str_("border_packet_loss")), ("points_at_cause", np.str_("dns_answer_size"))]),
])
def test_q1_right_answers_written_differently(answer):
    """Any series that only the DNS cause moves is accepted, in any dict form, numpy strings included."""
    assert_check_passed(q1, answer)


# ---- q2: the canary alarm ---------------------------------------------------------------------------
def _timeouts_alarm(probes):
    return len(probes) >= 3 and not any(probes[-3:])


def _three_of_four(probes):
    return len(probes) >= 3 and sum(p == () for p in probes[-4:]) >= 3


@pytest.mark.parametrize(("alarm", "fragments"), [
    (_timeouts_alarm, ("timeouts", "network")),
    (lambda probes: bool(probes) and probes[-1] == (), ("stay quiet",)),
    (lambda probes: len(probes) >= 3 and all(p is None for p in probes[-3:]), ("should fire", "no addresses")),
    (lambda probes: "yes", ("should be True or False",)),
    (lambda probes: sum(p == () for p in probes) >= 3, ("counts empty answers anywhere", "latest three", "in a row")),
    (lambda probes: np.sum(np.array([p == () for p in probes])) >= 3, ("counts empty answers anywhere",)),
    (lambda probes: len(probes) >= 2 and all(p == () for p in probes[-2:]), ("latest two", "stay quiet")),
    (lambda probes: len(probes) >= 4 and all(p == () for p in probes[-4:]), ("exactly three", "should fire")),
    (lambda probes: all(p == () for p in probes[-3:]), ("stay quiet",)),
    (lambda probes: None, ("returned nothing", "return")),
    (lambda probes: len(probes) >= 3 and all(len(p) == 0 for p in probes[-3:]), ("raised TypeError",)),
])
def test_q2_wrong_alarms_are_named(alarm, fragments):
    """Each plausible wrong canary alarm is rejected with a message naming its fault."""
    assert_check_failed(q2, alarm, *fragments)


def test_q2_three_empty_among_the_last_four_fails():
    """Regression: "3 empty among the last 4" is not "the last 3", and the verdict says so."""
    assert_check_failed(q2, _three_of_four, "the last three", "among the last few")


def _alarm_loop(probes):
    run = 0
    for p in reversed(probes):
        if p != ():
            break
        run += 1
    return run >= 3


@pytest.mark.parametrize("alarm", [
    lambda probes: len(probes) >= 3 and probes[-3:] == [(), (), ()],
    _alarm_loop,
    lambda probes: len(probes) >= 3 and bool(np.all([len(p) == 0 if p is not None else False for p in probes[-3:]])),
    lambda probes: np.bool_(tuple(probes[-3:]) == ((),) * 3),
])
def test_q2_right_alarms_written_differently(alarm):
    """A slice comparison, a loop from the end, numpy and numpy booleans are all accepted."""
    assert_check_passed(q2, alarm)


# ---- q3: drill frequency ----------------------------------------------------------------------------
def test_q3_answer_is_the_threshold(solution):
    """The solution is the first drill count at or under the target, and one fewer is over it."""
    d = solution["answer_q3"]
    assert p95_for_drills(d) <= DRILL_TARGET_MIN < p95_for_drills(d - 1)
    assert d == 9  # asserted: the chapter's study (20,000 failures, seed 0) needs 9 drills a year


@pytest.mark.parametrize(("answer", "fragments"), [
    (8, ("over the", "one more drill", "95% interval", "fixed study")),
    (4, ("over the", "drill more often")),
    (10, ("smallest",)),
    (52, ("smallest",)),
    (-1, ("negative",)),
    (2.5, ("whole number",)),
    (9.0, ("whole number", "as a float")),
    ("9", ("whole number",)),
    (True, ("True or False",)),
    (400, ("more than one a day",)),
])
def test_q3_wrong_answers_are_named(answer, fragments):
    """Too few, too many, negative, fractional, float, string and bool answers are each named."""
    assert_check_failed(q3, answer, *fragments)


def test_q3_right_answers_written_differently():
    """A numpy integer, a loop and a numpy search over the p95 curve give the same accepted answer."""
    assert_check_passed(q3, np.int64(9))
    d = 0
    while skills.p95_for_drills(d) > DRILL_TARGET_MIN:
        d += 1
    assert_check_passed(q3, d)
    curve = np.array([skills.p95_for_drills(k) for k in range(15)])
    assert_check_passed(q3, np.argmax(curve <= DRILL_TARGET_MIN))


def test_q3_same_p95_as_the_chapter():
    """Regression: the exercise's p95 without drills is the chapter's number (same study size and seed)."""
    chapter = skills.simulate_repairs(0.98, 0, 60, years=skills.STUDY_YEARS, seed=skills.STUDY_SEED).p95
    assert p95_for_drills(0) == chapter
    assert round(chapter) == 276


# ---- q4: which tree ---------------------------------------------------------------------------------
def _wrong_picker_changes_zone(console):
    name = next(t.name for t in console.trees() if not t.active)
    console.stop_automation()
    console.apply([alias_change("UPSERT", console.endpoint, name)])
    return name


def _picker_attempts_a_batch(console):
    with contextlib.suppress(Exception):
        console.apply([alias_change("UPSERT", console.endpoint, "nowhere")])
    return next(t.name for t in console.trees() if not t.active)


def _picker_applies_the_same_alias(console):
    other = next(e for e in console.endpoints if e != console.endpoint)
    console.apply([alias_change("UPSERT", other, console.describe_alias(other).target)])
    return next(t.name for t in console.trees() if not t.active)


def _picker_sets_the_flag(console):
    console._automation = None
    return next(t.name for t in console.trees() if not t.active)


@pytest.mark.parametrize(("picker", "fragments"), [
    (lambda console: console.describe_alias().target, ("deleted",)),
    (lambda console: console.trees("dynamodb.us-east-1.api.aws")[0].name, ("another endpoint",)),
    (lambda console: "plan-9.dynamodb.us-east-1.amazonaws.com", ("variant", "no such tree")),
    (lambda console: "plan-1000." + console.endpoint, ("no such tree",)),
    (lambda console: console.trees()[0], ("Tree object", "tree.name")),
    (lambda console: None, ("returned nothing",)),
    (lambda console: [t.name for t in console.trees()], ("should be a string",)),
    (_wrong_picker_changes_zone, ("only look", "stopped the automation")),
    (lambda console: (console.stop_automation(), console.trees()[0].name)[1],
     ("only look", "stopped the automation", "stop_automation()")),
    (lambda console: (console.start_automation(), console.trees()[0].name)[1],
     ("only look", "started the automation", "start_automation()")),
    (_picker_attempts_a_batch, ("only look", "attempted a change batch", "refused")),
    (_picker_applies_the_same_alias, ("only look", "applied a change batch")),
    (_picker_sets_the_flag, ("only look", "private attribute", "console._automation")),
    (lambda console: (console.steps.clear(), console.trees()[0].name)[1], ("only look", "console.steps")),
])
def test_q4_wrong_pickers_are_named(picker, fragments):
    """Each plausible wrong tree choice is rejected with a message naming its fault."""
    assert_check_failed(q4, picker, *fragments)


def _newest_by_loop(console):
    broken, best = console.describe_alias().target, None
    for tree in console.trees():
        if tree.name != broken and (best is None or tree.generation > best.generation):
            best = tree
    return best.name


@pytest.mark.parametrize("picker", [
    _newest_by_loop,
    lambda console: min((t for t in console.trees() if not t.active), key=lambda t: t.generation).name,
    lambda console: next(r.name for r in console.records()
                         if r.type == "A" and r.name.endswith("." + console.endpoint)),
])
def test_q4_right_pickers_written_differently(picker):
    """A loop for the newest, the oldest rollback tree, and a search of the records are all accepted."""
    assert_check_passed(q4, picker)


def test_q4_a_dry_run_is_still_only_looking():
    """A picker that previews the swap (a dry run, which changes nothing) is accepted."""
    def picker(console):
        name = next(t.name for t in console.trees() if not t.active)
        assert console.preview([alias_change("UPSERT", console.endpoint, name)]).ok
        return name
    assert_check_passed(q4, picker)


# ---- q5: the drill ----------------------------------------------------------------------------------
def _swap(console):
    alias = console.describe_alias()
    tree = next(t for t in console.trees() if t.name != alias.target)
    return [alias_change("DELETE", console.endpoint, alias.target),
            alias_change("CREATE", console.endpoint, tree.name)]


def _previewed_apply(console, batch):
    console.preview(batch)
    console.apply(batch)


def automation_left_running(console):
    _previewed_apply(console, _swap(console))


def alias_to_nothing(console):
    console.stop_automation()
    console.apply([alias_change("UPSERT", console.endpoint, "plan-12345." + console.endpoint)])


def other_records_touched(console):
    console.stop_automation()
    batch = _swap(console)
    other = next(r for r in console.records() if r.type == "A" and "api.aws" in r.name)
    _previewed_apply(console, [*batch, Change("DELETE", other)])


def no_dry_run(console):
    console.stop_automation()
    console.apply(_swap(console))


def tripped_guardrail(console):
    console.stop_automation()
    with contextlib.suppress(Exception):
        console.apply([alias_change("UPSERT", console.endpoint, "nowhere")])
    _previewed_apply(console, _swap(console))


def tripped_guardrail_and_hid_it(console):
    tripped_guardrail(console)
    console.refusals.clear()


def extra_unchanged_record(console):
    console.stop_automation()
    other = next(e for e in console.endpoints if e != console.endpoint)
    _previewed_apply(console, [*_swap(console), alias_change("UPSERT", other, console.describe_alias(other).target)])


def extra_delete_and_recreate(console):
    console.stop_automation()
    other = next(r for r in console.records() if r.type == "A" and "api.aws" in r.name)
    _previewed_apply(console, [*_swap(console), Change("DELETE", other), Change("CREATE", other)])


def another_endpoints_tree(console):
    console.stop_automation()
    alias = console.describe_alias()
    other = console.trees("dynamodb.us-east-1.api.aws")[0]
    _previewed_apply(console, [alias_change("DELETE", console.endpoint, alias.target),
                               alias_change("CREATE", console.endpoint, other.name)])


def bypass_breaking_replay(console):
    console.stop_automation()
    batch = _swap(console)
    console._zone.change(batch)
    target = batch[1].record.values[0]
    console.apply([alias_change("DELETE", console.endpoint, target), alias_change("CREATE", console.endpoint, target)])


def bypassing_the_console(console):
    console.stop_automation()
    console._zone.change(_swap(console))


def private_automation_flag(console):
    console._automation = False
    _previewed_apply(console, _swap(console))


def private_stale_plan(console):
    console._held = None
    _previewed_apply(console, _swap(console))


def two_batches(console):
    console.stop_automation()
    delete, create = _swap(console)
    _previewed_apply(console, [delete])
    _previewed_apply(console, [create])


def forgot_then_redid(console):
    _previewed_apply(console, _swap(console))
    console.stop_automation()
    _previewed_apply(console, _swap(console))


def restart_before_fix(console):
    console.stop_automation()
    console.start_automation()
    _previewed_apply(console, _swap(console))


def hand_written_a_record(console):
    console.stop_automation()
    tree = next(t for t in console.trees() if not t.active)
    alias = console.describe_alias()
    _previewed_apply(console, [alias_change("DELETE", console.endpoint, alias.target),
                               Change("CREATE", Record(console.endpoint, "A", tree.addresses))])


def never_repairs(console):
    console.stop_automation()
    console.dig()


def endless_retry(console):
    while True:
        try:
            console.apply([alias_change("UPSERT", console.endpoint, "plan-1.nowhere")])
        except Exception:
            continue


@pytest.mark.parametrize(("repair", "fragments"), [
    (automation_left_running, ("automation re-broke it", "re-applied stale plan")),
    (alias_to_nothing, ("refused", "does not exist")),
    (other_records_touched, ("active plan never deleted", "api.aws")),
    (no_dry_run, ("without a dry run",)),
    (tripped_guardrail, ("tripped a guardrail",)),
    (tripped_guardrail_and_hid_it, ("tripped a guardrail",)),
    (another_endpoints_tree, ("refused", "another endpoint")),
    (bypass_breaking_replay, ("audit log",)),
    (bypassing_the_console, ("audit log", "console._zone")),
    (private_automation_flag, ("private attribute", "console._automation", "stop_automation()")),
    (private_stale_plan, ("private attribute",)),
    (two_batches, ("2 separate batches", "no alias record", "one all-or-nothing batch")),
    (forgot_then_redid, ("before the automation was stopped", "re-applied its stale plan", "redid")),
    (restart_before_fix, ("while the automation was running", "restarted")),
    (hand_written_a_record, ("not through its top-level alias",)),
    (never_repairs, ("still gives an empty answer",)),
    (extra_unchanged_record, ("also changes", "api.aws ALIAS", "value it already had", "Rule 3")),
    (extra_delete_and_recreate, ("also changes", "api.aws A", "Rule 3")),
])
def test_q5_wrong_repairs_are_named(repair, fragments):
    """Each plausible wrong drill is rejected with a message naming its fault."""
    assert_check_failed(q5, repair, *fragments)


def test_q5_hard_coded_names_are_named(solution):
    """A repair typing Chapter 2's tree names is refused on the variant, and the verdict says they were typed in."""
    def repair(console):
        console.stop_automation()
        batch = [alias_change("DELETE", console.endpoint, "plan-2." + console.endpoint),
                 alias_change("CREATE", console.endpoint, "plan-9." + console.endpoint)]
        _previewed_apply(console, batch)
    assert_check_failed(q5, repair, "variant", "typing them", "rule 6")


def test_q5_endless_retry_gets_a_verdict(monkeypatch):
    """A retry loop without a stop is stopped by the time limit (shortened here) and gets a verdict."""
    monkeypatch.setattr(q5, "time_limit", 1.0)
    assert_check_failed(q5, endless_retry, "ran for more than 1 s")


def test_q5_automation_left_running_shows_the_timeline():
    """The re-broken run's verdict carries the console timeline with the re-application marked."""
    v = assert_check_failed(q5, automation_left_running, "automation re-broke it")
    assert ">>" in v.timeline


def test_q5_two_batches_names_the_gap():
    """Regression: two separate batches fail, and the verdict names the steps between which no alias existed."""
    v = assert_check_failed(q5, two_batches, "between step")
    assert "restarted" not in v.message


def test_q5_forgot_to_stop_is_not_called_a_restart():
    """Regression: forgetting to stop, noticing and redoing is diagnosed as that, not as "restarted too early"."""
    v = assert_check_failed(q5, forgot_then_redid, "stop the automation before the first change")
    assert "restarted" not in v.message


def test_q5_too_many_steps(solution):
    """A repair that digs in a loop goes over the step budget, and the verdict says how many actions it took."""
    def repair(console):
        for _ in range(40):
            console.dig()
        solution["repair"](console)
    assert_check_failed(q5, repair, "console actions", "budget")


def test_q5_safe_restart_passes(solution):
    """Restarting the automation after the fix is allowed."""
    def repair(console):
        solution["repair"](console)
        console.start_automation()
    assert_check_passed(q5, repair)


def upsert_repair(console):
    console.stop_automation()
    tree = next(t for t in console.trees() if not t.active and t.name != console.describe_alias().target)
    _previewed_apply(console, [alias_change("UPSERT", console.endpoint, tree.name)])


def dict_tuple_repair(console):
    console.stop_automation()
    info = console.describe_alias()
    tree = max(console.trees(), key=lambda t: t.generation)
    batch = ({"action": "DELETE", "name": info.endpoint, "type": "ALIAS", "values": [info.target]},
             {"action": "CREATE", "name": info.endpoint, "type": "ALIAS", "values": (tree.name,)})
    assert "would be accepted" in str(console.preview(batch))
    console.apply(batch)


def records_based_repair(console):
    console.stop_automation()
    broken = console.records(console.endpoint)[0]
    target = next(r.name for r in console.records() if r.type == "A" and r.name.endswith("." + console.endpoint))
    batch = [Change("DELETE", broken), alias_change("CREATE", console.endpoint, target)]
    preview = console.preview(batch)
    if preview.ok and preview.blast_radius:
        console.apply(batch)


@pytest.mark.parametrize("repair", [upsert_repair, dict_tuple_repair, records_based_repair])
def test_q5_right_repairs_written_differently(repair):
    """One UPSERT, a tuple of dicts, and a batch built from records() are all accepted."""
    assert_check_passed(q5, repair)


def test_q5_delete_only_preview_does_not_say_none():
    """Regression: a DELETE-only preview names the removed alias and the empty answer, never "none"."""
    console = Console()
    console.stop_automation()
    text = str(console.preview([_swap(console)[0]]))
    assert "none" not in text.lower()
    assert "ALIAS: removed" in text and "answers EMPTY" in text


class _Opaque:
    """A value a learner might write into a private attribute: no useful bool, eq or repr."""

    def __bool__(self):
        raise RuntimeError("no truth value")

    def __eq__(self, other):
        raise RuntimeError("no comparison")

    __hash__ = object.__hash__


@pytest.mark.parametrize("value", [None, "stopped", 0, 1, np.False_, object(), _Opaque(), False])
def test_q5_any_value_written_into_the_flag_is_named(value):
    """Regression: console._automation set to any value gets the rule-1 verdict, not "returned nothing"."""
    def repair(console):
        console._automation = value
        _previewed_apply(console, _swap(console))
    v = assert_check_failed(q5, repair, "private attribute", "console._automation", "was set directly")
    assert "returned nothing" not in v.message and v.check_error is None


@pytest.mark.parametrize("value", [None, "plan-1", 0, 2.5, object()])
def test_q5_any_value_written_into_the_stale_plan_is_named(value):
    """console._held set to any value gets the rule-1 verdict."""
    def repair(console):
        console._held = value
        _previewed_apply(console, _swap(console))
    v = assert_check_failed(q5, repair, "private attribute", "console._held")
    assert v.check_error is None


@pytest.mark.parametrize(("attribute", "value", "fragment"), [
    ("steps", None, "console.steps"),
    ("audit", None, "audit log"),
    ("_zone", None, "console._zone"),
    ("audit", "x", "audit log"),
])
def test_q5_overwritten_logs_get_a_verdict(attribute, value, fragment):
    """A repair that overwrites the console's logs or zone after the fix gets a rule-1 verdict, never a crash."""
    def repair(console):
        console.stop_automation()
        _previewed_apply(console, _swap(console))
        setattr(console, attribute, value)
    v = assert_check_failed(q5, repair, fragment)
    assert "returned nothing" not in v.message and v.check_error is None
