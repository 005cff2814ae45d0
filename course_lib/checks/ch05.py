"""Chapter 5 exercises: the red herring, a canary alarm, drill frequency, a rollback tree, and the drill."""

from __future__ import annotations

import numbers
from collections.abc import Mapping

import numpy as np

from ..console import Console, Tree, broken_zone, published_broken_zone, zone_endpoints, zone_trees
from ..dns import properties
from ..exercises import Exercise, Incorrect, LearnerError, expect_type, learner_call
from ..route53 import ChangeRejected, HostedZone
from ..signals import CAUSE_SIGNALS, SIGNAL_NAMES, canary_probes, clock, first_hour
from ..skills import STUDY_SEED, STUDY_YEARS, p95_for_drills, simulate_repairs

__all__ = ["CANARY_RUN", "DRILL_TARGET_MIN", "STEP_BUDGET", "drill_scenarios", "q1", "q2", "q3", "q4", "q5"]

DRILL_TARGET_MIN = 120.0  # q3: the p95 repair time to stay under (coverage 98%, half-life 60 days)
CANARY_RUN = 3  # q2: consecutive empty answers before the canary alarm fires
STEP_BUDGET = 25  # q5: operator actions allowed in the drill (a model choice: each costs time on a call)
NOTHING = "returned nothing (None) — did you forget `return`?"


# ---- q1: the red herring ---------------------------------------------------------------------------
def _check_red_herring(answer) -> None:
    expect_type(answer, (dict, Mapping), "`answer_q1`")
    for key in ("red_herring", "points_at_cause"):
        if key not in answer:
            raise Incorrect(f"`answer_q1` needs the key {key!r}.")
        if not isinstance(answer[key], str) or answer[key] not in SIGNAL_NAMES:
            raise Incorrect(f"{answer[key]!r:.40} is not a signal; choose from {', '.join(SIGNAL_NAMES)}.")
    extra = sorted(str(k) for k in answer if k not in ("red_herring", "points_at_cause"))
    if extra:
        raise Incorrect(f"`answer_q1` has unexpected key(s) {', '.join(extra)}: use only 'red_herring' and "
                        "'points_at_cause'.")
    herring, cause = answer["red_herring"], answer["points_at_cause"]
    if herring == "dynamodb_errors":
        raise Incorrect("dynamodb_errors is the symptom everyone was looking at, not a separate problem. "
                        "Which other series started at 23:48 but cannot explain an empty DNS answer?")
    if herring != "border_packet_loss":
        raise Incorrect(f"{herring} is not the red herring: it moved *because* of the real cause. The red "
                        "herring is the real problem that happened to start at the same time.")
    if cause == "dynamodb_errors":
        raise Incorrect("dynamodb_errors does not point at a cause: it is the symptom. Both stories — packet "
                        "loss and an empty DNS record — predict failing API calls, so it cannot tell them apart. "
                        "Pick a series that only the DNS cause can move.")
    if cause == "canary_success":
        raise Incorrect("canary_success does not point at the cause on its own: a probe that times out and a "
                        "probe answered with no addresses both count as 'not successful', so a drop in "
                        "successful probes cannot tell packet loss from an empty DNS record. The empty-answer "
                        "series can: only a DNS cause makes the server answer with nothing.")
    if cause == "border_packet_loss":
        raise Incorrect("border_packet_loss does not point at the cause: packet loss makes some probes time "
                        "out, but it cannot make a DNS server answer with zero addresses.")
    if cause not in CAUSE_SIGNALS:  # every signal is handled above; kept for a signal added later
        raise Incorrect(f"{cause} does not point at the cause.")


# ---- q2: the canary alarm --------------------------------------------------------------------------
_H = tuple(f"10.0.0.{i}" for i in range(1, 9))
_ANYWHERE = ("it counts empty answers anywhere in the window, but only the latest three probes, all "
             "empty and in a row, mean the endpoint is empty now")
_K_OF_N = ("it counts empty answers among the last few probes; the alarm is 'the last three', all empty — "
           "a healthy answer in between means the endpoint answered")
_CANARY_CASES = [  # (what, probes, expected, why a wrong verdict is wrong, if more than the default)
    ("a healthy endpoint", [_H] * 8, False, ""),
    ("a sustained empty answer", [_H] * 5 + [()] * 4, True, ""),
    ("exactly three empty answers in a row", [_H] * 3 + [()] * 3, True, ""),
    ("exactly three probes so far, all empty", [(), (), ()], True, ""),
    ("one empty answer (a blip), then healthy again", [_H] * 4 + [()] + [_H] * 3, False, ""),
    ("the latest probe empty after a healthy run", [_H] * 6 + [()], False, ""),
    ("the latest two probes empty", [_H] * 5 + [(), ()], False, ""),
    ("probes timing out from packet loss", [_H, None, _H, None, None, None], False, ""),
    ("fewer than three probes so far, all empty", [(), ()], False, ""),
    ("no probes yet", [], False, ""),
    ("three empty answers, then recovery", [(), (), (), _H, _H, _H], False, _ANYWHERE),
    ("empty answers not in a row", [(), _H, (), _H, ()], False, _ANYWHERE),
    ("three empty among the last four, the third-latest healthy", [_H] * 3 + [(), _H, (), ()], False, _K_OF_N),
    ("three empty among the last four, the second-latest healthy", [_H] * 3 + [(), (), _H, ()], False, _K_OF_N),
    ("two empty answers and a timeout", [_H] * 3 + [(), None, ()], False, ""),
]


def _describe(probes) -> str:
    def word(p) -> str:
        return "timeout" if p is None else ("EMPTY" if p == () else f"{len(p)} addr")

    return "[" + ", ".join(word(p) for p in probes) + "]"


def _expect_bool(value, what: str) -> bool:
    if value is None:
        raise Incorrect(f"{what} {NOTHING}")
    expect_type(value, (bool, np.bool_), what)
    return bool(value)


def _check_canary(fn) -> None:
    if not callable(fn):
        raise Incorrect(f"`canary_alarm` should be a function, but it is {type(fn).__name__}.")
    for what, probes, expected, extra in _CANARY_CASES:
        got = _expect_bool(learner_call(fn, list(probes)), f"canary_alarm(...) for {what}")
        if got != expected:
            why = {True: "it should fire: the resolver answers, but with no addresses",
                   False: "it should stay quiet"}[expected]
            if extra:
                why += f": {extra}"
            elif not expected and None in probes:
                why += " (timeouts are the packet-loss story; an alarm that fires on them points at the network)"
            raise Incorrect(f"for {what} your alarm returned {got}; {why}.", case=_describe(probes))
    signals = first_hour()
    probes = canary_probes(signals)
    for i in range(1, len(probes) + 1):
        if _expect_bool(learner_call(fn, probes[max(0, i - 8):i]), "canary_alarm(...) on the first hour"):
            t = signals.t[i - 1]
            if t < signals.onsets["dns_answer_size"]:
                raise Incorrect(f"on the synthetic first hour your alarm fired at {clock(t)}, before the "
                                "record went empty.")
            if t > signals.onsets["dns_answer_size"] + 120:
                raise Incorrect(f"on the synthetic first hour your alarm fired only at {clock(t)}; "
                                "it should fire within two minutes of 23:48.")
            return
    raise Incorrect("on the synthetic first hour your alarm never fired.")


# ---- q3: drill frequency ---------------------------------------------------------------------------
def _needed_drills() -> int:
    return next(d for d in range(0, 366) if p95_for_drills(d) <= DRILL_TARGET_MIN)


def _check_drills(answer) -> None:
    if isinstance(answer, (bool, np.bool_)):
        raise Incorrect(f"`answer_q3` should be a whole number of drills per year, got {answer!r} (True or False).")
    if isinstance(answer, numbers.Real) and not isinstance(answer, numbers.Integral):
        whole = float(answer).is_integer()
        raise Incorrect(f"`answer_q3` should be a whole number of drills per year (an int), got {answer!r}"
                        + (" — the right kind of value as a float: use int(...)." if whole else "."))
    if not isinstance(answer, numbers.Integral):
        raise Incorrect(f"`answer_q3` should be a whole number of drills per year, got "
                        f"{type(answer).__name__} {answer!r:.40}.")
    if answer < 0:
        raise Incorrect(f"{answer} drills per year is negative; a frequency must be >= 0.")
    if answer > 365:
        raise Incorrect(f"{answer} drills per year is more than one a day.")
    p95 = p95_for_drills(int(answer))
    need = _needed_drills()
    if p95 > DRILL_TARGET_MIN:
        close = " (just over: one more drill is enough)" if int(answer) == need - 1 else ": drill more often"
        lo, hi = simulate_repairs(0.98, int(answer), 60.0, years=STUDY_YEARS, seed=STUDY_SEED).percentile_interval(95)
        if lo <= DRILL_TARGET_MIN:
            close += (f". The target is inside this estimate's 95% interval ({lo:.1f}-{hi:.1f} min), so another "
                      "seed could land either side; the question is asked on the chapter's fixed study")
        raise Incorrect(f"with {answer} drills per year the p95 repair time is {p95:.1f} min, over the "
                        f"{DRILL_TARGET_MIN:.0f}-minute target{close}.",
                        case="coverage 98%, skill half-life 60 days")
    if answer > need:
        raise Incorrect(f"{answer} drills per year meets the target (p95 {p95:.0f} min), but fewer would "
                        "too, and every drill costs a team a day: find the smallest number that works.")


# ---- q4 and q5: scenarios over the console ----------------------------------------------------------
def drill_scenarios() -> list[tuple[str, HostedZone]]:
    """Return (name, broken zone): Chapter 2's published end state and a variant with other generations."""
    return [("Chapter 2's published end state", published_broken_zone()),
            ("a variant with other generations", broken_zone())]


# What a look may log (a preview is a dry run: it changes nothing); any other step changes something.
LOOK_STEPS = ("dig", "list records", "list trees", "describe alias", "preview")
_STEP_WORDS = {
    "stop automation": "stopped the automation (console.stop_automation())",
    "start automation": "started the automation (console.start_automation())",
    "apply": "applied a change batch (console.apply(...))",
    "REFUSED": "attempted a change batch (console.apply(...)), which the console refused",
}


def _check_pick_tree(fn) -> None:
    if not callable(fn):
        raise Incorrect(f"`pick_rollback_tree` should be a function, but it is {type(fn).__name__}.")
    for scenario, zone in drill_scenarios():
        console = Console(zone)
        before = _console_state(console)
        name = learner_call(fn, console)
        if name is None:
            raise Incorrect(f"pick_rollback_tree {NOTHING}", case=scenario)
        change = _what_changed(console, before)
        if change:
            raise Incorrect(f"pick_rollback_tree should only look, but it {change}. The exercise says: only "
                            "look — do not change the zone or the console (dig, records, trees, describe_alias "
                            "and preview change nothing).", case=scenario)
        if isinstance(name, Tree):
            raise Incorrect(f"you returned the Tree object ({name.name}); return its name, `tree.name`, the "
                            "string an alias points at.", case=scenario)
        expect_type(name, str, "the tree name you return")
        trees = {t.name: t for t in zone_trees(zone, console.endpoint)}
        if name == zone.get(console.endpoint, "ALIAS").values[0]:
            raise Incorrect(f"{name} is the tree the broken alias points at: it was deleted, which is why "
                            "the answer is empty.", case=scenario)
        if name not in trees:
            other = next((e for e in zone_endpoints(zone) if name in {t.name for t in zone_trees(zone, e)}), None)
            where = f"it is a tree of {other}, another endpoint" if other else "no such tree exists"
            raise Incorrect(f"{name!r} is not a tree of {console.endpoint}: {where}.", case=scenario)


def _console_state(console: Console) -> tuple:
    """Return what a look must leave as it is: the log, the automation, the zone, the audit and refusals."""
    return (list(console.steps), console.automation_running, console.automation_holds_stale_plan,
            console.snapshot().records(), len(console.audit), len(console.refusals))


def _what_changed(console: Console, before: tuple) -> str:
    """Return, in words, the first change the learner's code made to *console* since *before*, or ''."""
    steps, running, holds, records, audited, refused = before
    try:
        now = list(console.steps)
        if now[:len(steps)] != steps:
            return "rewrote the console's step log (console.steps)"
        for event in now[len(steps):]:
            if event.kind not in LOOK_STEPS:
                return _STEP_WORDS.get(event.kind, f"made the console log '{event.kind}'")
        if (len(console.audit), len(console.refusals)) != (audited, refused):
            return "changed the console's audit log (console.audit) or refusal list (console.refusals)"
        problems = console.integrity_problems()
        if problems:
            return f"changed the console behind its back: {problems[0]}"
        if (console.automation_running, console.automation_holds_stale_plan) != (running, holds):
            return "changed the automation's state"
        if console.snapshot().records() != records:
            return "changed the zone"
    except Exception as exc:  # the console's attributes were overwritten so badly that it cannot be read
        return f"overwrote the console's attributes, so it can no longer be read ({type(exc).__name__})"
    return ""


def _check_drill(fn) -> None:
    if not callable(fn):
        raise Incorrect(f"`repair` should be a function of the console, but it is {type(fn).__name__}.")
    for scenario, zone in drill_scenarios():
        _grade_one(fn, scenario, Console(zone))


def _grade_one(fn, scenario: str, console: Console) -> None:
    """Run the learner's repair on one broken zone and grade the console's integrity, the zone, the process."""
    try:
        learner_call(fn, console)
    except LearnerError as err:
        if not isinstance(err.exc, ChangeRejected):
            raise
        raise Incorrect(f"the console refused a change, so your repair stopped there: {err.exc.reason}"
                        f"{_typed_in(err.exc.change, console)}", case=scenario,
                        timeline=console.timeline(mark=[len(console.steps) - 1])) from None
    problems = console.integrity_problems()
    if problems:
        raise Incorrect(f"{problems[0]}. Use only the console's commands; its log must explain the final "
                        "state.", case=scenario)
    try:
        start, final = console.start_zone(), console.snapshot()
        _grade_answer(console, final, scenario)
        _grade_properties(console, start, scenario)
        _grade_untouched(console, start, final, scenario)
        _grade_scope(console, scenario)
        _grade_process(console, scenario)
    except Incorrect:
        raise
    except Exception as exc:  # a console whose attributes were overwritten cannot be graded: that is rule 1
        raise Incorrect(f"the console could not be read after your repair ({type(exc).__name__}): something "
                        "overwrote its attributes or logs. Use only the console's commands (rule 1); its log "
                        "must explain the final state.", case=scenario) from None


def _typed_in(change, console) -> str:
    """Return a note if a refused change names a record of another scenario's zone (a hard-coded name)."""
    if change is None:
        return ""
    def known(zone):  # every name a learner could have read off a zone: record names and alias targets
        return zone.names() | {r.values[0] for r in zone.records() if r.type == "ALIAS"}

    here = known(console.start_zone())
    names = {change.record.name, *change.record.values}
    typed = sorted(n for _, zone in drill_scenarios() for n in known(zone) if n in names and n not in here)
    if not typed:
        return ""
    return (f". It names {typed[0]}, which exists in another drill zone but not in this one: read names from "
            "the console (describe_alias(), trees()) instead of typing them (rule 6)")


def _grade_answer(console, final, scenario) -> None:
    endpoint = console.endpoint
    answer = final.resolve(endpoint)
    if not answer:
        rebroke = [i for i, e in enumerate(console.steps) if e.kind == "re-applied stale plan"]
        if rebroke:
            raise Incorrect("the automation re-broke it: it was still running, and as soon as your fix made "
                            "the zone consistent it re-applied the stale plan it held, pointing the alias at "
                            "the deleted tree again. Stop the automation before you change the zone.",
                            case=scenario, timeline=console.timeline(mark=rebroke))
        raise Incorrect(f"{endpoint} still gives an empty answer. {console.describe_alias(log=False)}",
                        case=scenario, timeline=console.timeline())
    alias = final.get(endpoint, "ALIAS")
    trees = {t.name for t in zone_trees(final, endpoint)}
    if alias is None or alias.values[0] not in trees:
        raise Incorrect(f"{endpoint} answers, but not through its top-level alias to one of its plan trees; "
                        "hand-written records are invisible to the automation. Point the alias at a tree.",
                        case=scenario)


def _grade_properties(console, start, scenario) -> None:
    """Fail a batch that broke one of the automation's change properties (dns.properties) on the way."""
    zone = start.copy()
    endpoints = zone_endpoints(start)
    for entry in console.audit:
        before = properties.Snapshot.of_zone(zone, endpoints)
        zone.change(list(entry.batch))
        if entry.actor != "operator":
            continue
        after = properties.Snapshot.of_zone(zone, endpoints)
        for name in properties.violations(before, after):
            if name in properties.CHANGE_PROPERTIES:
                raise Incorrect(f"your batch at step {entry.step} broke '{name}': it "
                                f"{properties.explain(name, before, after, endpoints)}.", case=scenario,
                                timeline=console.timeline(mark=[entry.step]))


def _grade_untouched(console, start, final, scenario) -> None:
    key = (console.endpoint, "ALIAS")
    before = {r.key: r for r in start.records() if r.key != key}
    after = {r.key: r for r in final.records() if r.key != key}
    changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    if changed:
        listed = ", ".join(f"{n} {t}" for n, t in changed[:4]) + (" …" if len(changed) > 4 else "")
        raise Incorrect(f"the endpoint answers again, but other records were touched too: {listed}. "
                        "The blast radius of a repair should be the one alias record.", case=scenario,
                        timeline=console.timeline())


def _grade_scope(console, scenario) -> None:
    """Fail an applied batch that names any record but the broken alias, even one rewritten to its own value."""
    key, zone = (console.endpoint, "ALIAS"), console.start_zone()
    for entry in console.audit:
        others = [c for c in entry.batch if c.record.key != key]
        if entry.actor == "operator" and others:
            c = others[0]
            same = c.action == "UPSERT" and zone.get(*c.record.key) == c.record
            what = " (an UPSERT to the value it already had — still a write to a live record)" if same else ""
            raise Incorrect(f"your batch at step {entry.step} also changes {c.record.name} {c.record.type}"
                            f"{what}. Rule 3: change only the broken alias of {console.endpoint}; a repair batch "
                            "names no other record.", case=scenario, timeline=console.timeline(mark=[entry.step]))
        zone.change(list(entry.batch))


def _grade_process(console, scenario) -> None:
    steps = console.steps
    actions = sum(e.actor == "operator" for e in steps)
    if actions > STEP_BUDGET:
        raise Incorrect(f"the endpoint answers, but it took {actions} console actions (budget {STEP_BUDGET}): "
                        "on a real call every command costs time. Look once, then act.", case=scenario)
    if console.automation_running and console.automation_holds_stale_plan:
        raise Incorrect("the automation is still running with its stale plan.", case=scenario)
    marks = [i for i, e in enumerate(steps) if e.kind == "REFUSED"]  # the log, not the (clearable) list
    if marks:
        raise Incorrect(f"the repair works, but it tripped a guardrail on the way ({steps[marks[0]].detail}). "
                        "A clean drill previews first and never leans on the console to catch a mistake.",
                        case=scenario, timeline=console.timeline(mark=marks))
    mine = [e for e in console.audit if e.actor == "operator"]
    for entry in mine:
        if entry.automation_running:
            raise Incorrect(_running_diagnosis(console, entry), case=scenario,
                            timeline=console.timeline(mark=[entry.step]))
        if not console.was_previewed(entry):
            raise Incorrect("a change batch was applied without a dry run: call console.preview(batch) and "
                            "read the diff and blast radius before console.apply(batch).", case=scenario,
                            timeline=console.timeline(mark=[entry.step]))
    if len(mine) > 1:
        gap = _alias_gap(console)
        where = (f" Between step {gap[0]} and step {gap[1]} the endpoint had no alias record at all."
                 if gap else "")
        raise Incorrect(f"the endpoint answers, but the repair took {len(mine)} separate batches.{where} The "
                        "swap is one all-or-nothing batch: DELETE the broken alias and CREATE the new one "
                        "together (or one UPSERT), so no one ever sees a half-done zone.", case=scenario,
                        timeline=console.timeline(mark=[e.step for e in mine]))


def _running_diagnosis(console, entry) -> str:
    """Say why a batch was applied under running automation: never stopped, or restarted too early."""
    earlier = [e.kind for e in console.steps[:entry.step]]
    rebroke = [i for i, e in enumerate(console.steps) if e.kind == "re-applied stale plan" and i > entry.step]
    if "stop automation" not in earlier:
        text = f"your first change (step {entry.step}) was applied before the automation was stopped"
        if rebroke:
            text += (f", and at step {rebroke[0]} it re-applied its stale plan and emptied the endpoint again; "
                     "you stopped it and redid the fix afterwards. The endpoint answers now, but on the night "
                     "that first attempt is lost time and a second outage")
        return text + ". Stop the automation before the first change."
    return (f"the endpoint answers, but you changed the zone (step {entry.step}) while the automation was "
            "running: it was restarted before the fix. Keep it stopped until the endpoint answers again.")


def _alias_gap(console) -> tuple[int, int] | None:
    """Return (step, step) between which the endpoint had no alias, replaying the audit log, or None."""
    zone, gone_at = console.start_zone(), None
    for entry in console.audit:
        zone.change(list(entry.batch))
        missing = zone.get(console.endpoint, "ALIAS") is None
        if missing and gone_at is None:
            gone_at = entry.step
        elif not missing and gone_at is not None:
            return gone_at, entry.step
    return None


q1 = Exercise("q1", "answer_q1", _check_red_herring, [
    "Which series started at 23:48 for a reason of its own, and which moved only because DynamoDB broke?",
    "Packet loss makes some requests time out; it does not make a name server answer with zero addresses.",
], chapter="05")
q2 = Exercise("q2", "canary_alarm", _check_canary, [
    "An empty answer is `()`; a timed-out probe is `None`. They are different failures.",
    f"Look only at the last {CANARY_RUN} probes — all of them, not most of them — and only if there are at "
    f"least {CANARY_RUN}.",
], chapter="05")
q3 = Exercise("q3", "answer_q3", _check_drills, [
    "Call `skills.p95_for_drills(d)` for d = 0, 1, 2, … and watch the p95 fall.",
    f"Stop at the first d whose p95 is at or under {DRILL_TARGET_MIN:.0f} minutes.",
], chapter="05")
q4 = Exercise("q4", "pick_rollback_tree", _check_pick_tree, [
    "`console.trees()` lists the endpoint's trees; the alias target is in `console.describe_alias()`.",
    "The tree the alias names was deleted; any other tree of this endpoint still has its addresses.",
], chapter="05")
q5 = Exercise("q5", "repair", _check_drill, [
    "AWS's order was: stop the automation, delete the broken alias, create an alias to a rollback tree (as "
    "reported [S2]).",
    "A DELETE must match the record exactly: read it with describe_alias() first. The DELETE and the CREATE "
    "belong in one batch; preview it before you apply it.",
], chapter="05")
