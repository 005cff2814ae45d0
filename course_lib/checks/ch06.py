"""Chapter 6 exercises: the critical path, the costliest delay, a better night, triage, and why DNS was not the end."""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from .. import cascade, gameday
from ..exercises import Exercise, Incorrect, LearnerError, NotAttempted, expect_type, learner_call

__all__ = ["DELAY", "MECHANISMS", "Q3_SEEDS", "TRIAGE_CASES", "delay_costs", "q1", "q2", "q3", "q4", "q5"]


@lru_cache(maxsize=1)
def _night():
    return cascade.run()


def _clock(m: float) -> str:
    return cascade.clock(m)


# ---- q1: the critical path -----------------------------------------------------------------------------------

def _norm_stage(x) -> str:
    return " ".join(str(x).split()).lower()


_STAGE_BY_KEY = {_norm_stage(s): s for s in cascade.STAGES}


def _check_q1(answer) -> None:
    answer = expect_type(answer, (list, tuple), "`answer_q1`", sequence=True)
    names = []
    for item in answer:
        if not isinstance(item, str) or _norm_stage(item) not in _STAGE_BY_KEY:
            raise Incorrect(f"{item!r} is not a stage; choose from {', '.join(cascade.STAGES)}.")
        names.append(_STAGE_BY_KEY[_norm_stage(item)])
    if len(set(names)) != len(names):
        raise Incorrect("a stage appears twice: the path visits each stage once.")
    night = _night()
    t = night.times
    want = list(cascade.critical_path(night))
    if names == want:
        return
    if names == want[::-1]:
        raise Incorrect("that is the path backwards: list it from the trigger (the DNS record) to the end.")
    if "NLB failover" in names:
        raise Incorrect(f"the NLB's connection errors were over at {_clock(t['failover disabled'])}, hours before "
                        f"the end at {_clock(t['event end'])}: nothing that finished later waited on them.")
    if "Network Manager" in names:
        nm, thr = t["propagation normal"], t["launches unthrottled"]
        raise Incorrect(f"EC2 was normal only after both, so its recovery waited on the LATER of the two: Network "
                        f"Manager's propagation was normal at {_clock(nm)} in the model (published: "
                        f"{_clock(cascade.published_minute('propagation normal'))}), "
                        f"{thr - nm:.0f} min before the launches "
                        f"were fully unthrottled at {_clock(thr)}. Moving Network Manager's finish would not move "
                        "the end; the backlog is off the critical path.")
    for stage, why in (("DNS record", "where did the night start? The empty record is the trigger"),
                       ("DynamoDB", f"DWFM's state checks need DynamoDB, reachable again only at "
                                    f"{_clock(t['dynamodb recovered'])}"),
                       ("DWFM leases", f"the throttles were on because DWFM collapsed; every lease was held only "
                                       f"at {_clock(t['all leases held'])}"),
                       ("launch throttles", f"EC2 was normal only once the throttles were fully relaxed, at "
                                            f"{_clock(t['launches unthrottled'])}"),
                       ("containers", f"the event ended when ECS, EKS and Fargate recovered "
                                      f"({_clock(t['event end'])}), after EC2")):
        if stage in want and stage not in names:
            raise Incorrect(f"the path misses {stage!r}: {why}.")
    raise Incorrect("the stages are right but not in the order the night went through them: from the trigger "
                    "to the end, each stage waiting on the one before.")


# ---- q2: the costliest delay ---------------------------------------------------------------------------------

DELAY = 60.0  # minutes each action is delayed by in q2
_SYNONYMS = {"restart dwfm hosts": "restart dwfm", "throttle and restart dwfm": "throttle dwfm",
             "throttle and restart": "throttle dwfm", "dwfm": "throttle dwfm"}
_DWFM_STEP = ("throttle dwfm", "restart dwfm")  # AWS took them together at 04:14: delayed together


@lru_cache(maxsize=1)
def delay_costs() -> dict:
    """Return, for each of AWS's actions, the extra customer-impact minutes if it came DELAY minutes later."""
    base = _night().total_impact
    script = cascade.ActionScript.published()
    out = {}
    for kind in cascade.ACTION_KINDS:
        moved = script
        for k in (_DWFM_STEP if kind in _DWFM_STEP else (kind,)):
            moved = moved.moved(k, script.at(k) + DELAY)
        out[kind] = cascade.run(moved).total_impact - base
    return out


def _check_q2(answer) -> None:
    answer = expect_type(answer, str, "`answer_q2`")
    key = " ".join(answer.split()).lower()
    key = _SYNONYMS.get(key, key)
    if key not in cascade.ACTION_KINDS:
        raise Incorrect(f"{answer!r} is not one of AWS's actions; choose from {', '.join(cascade.ACTION_KINDS)}.")
    costs = delay_costs()
    best = max(costs, key=costs.get)
    if key == best or (key in _DWFM_STEP and best in _DWFM_STEP):
        return
    got = costs[key]
    why = {
        "dns repair": "a close second: an hour more of DynamoDB errors, and more leases lost before the repair",
        "rpz override": "an hour more for the internal services, and nothing downstream waits on them",
        "relax throttles": "",
        "disable nlb failover": "the NLB's errors come and go in this model; an hour more of them costs little",
        "enable nlb failover": "switching failover back on later harms nobody: the backlog was long gone",
        "throttle dwfm": "every lease comes back an hour later, but the two DWFM hosts that never collapsed keep "
                         "taking launches meanwhile",
        "restart dwfm": "every lease comes back an hour later, but the two DWFM hosts that never collapsed keep "
                        "taking launches meanwhile",
    }[key]
    raise Incorrect(f"delaying {key!r} by {DELAY:.0f} min costs {got:.0f} impact minutes ({why}); another "
                    f"action costs {costs[best]:.0f}. Try each one with cascade.what_if.")


# ---- q3: a better night ----------------------------------------------------------------------------------------

Q3_SEEDS = (0, 1)


def _check_q3(policy) -> None:
    if not callable(policy):
        raise Incorrect(f"`policy` should be a function view -> action name, but it is {type(policy).__name__}.")
    for seed in Q3_SEEDS:
        caught: list = []
        asked: list = []  # (minute, action) for every action name the policy returned

        def wrapped(view, _caught=caught, _asked=asked):
            try:
                action = learner_call(policy, view)
            except (NotAttempted, LearnerError) as exc:
                _caught.append(exc)
                raise
            if issubclass(type(action), str):
                plain = str.__str__(action)  # a plain str: a subclass's own methods do not run in the check
                _asked.append((view.now, plain, plain in view.available))
            return action

        # The exercise's own time limit covers the policy here (20 s in all): play adds none of its own.
        rec = gameday.play(wrapped, seed=seed, turn_limit=None, game_limit=None)
        if caught:
            raise caught[0]
        case = f"seed {seed}; your decisions:\n{rec.timeline()}"
        if rec.problem:
            raise Incorrect(f"the game {rec.stopped}", case=case)
        if rec.violations:
            (at, what), note = rec.violations[0], (rec.violation_notes or ("",))[0]
            raise Incorrect(f"you broke a guardrail at {_clock(at)}: {what} — {gameday.GUARDRAILS[what]}."
                            + (f" Why: {note}." if note else ""), case=case)
        if rec.night.script.at("dns repair") is None:
            repairs = [a for a in asked if a[1] == "repair the alias"]
            if not repairs:
                why = ("your policy never returned 'repair the alias' (is a `return` missing in front of it, or "
                       "is the condition that leads to it never true?)")
            elif not any(ok for _, _, ok in repairs):
                why = (f"your policy returned 'repair the alias' {len(repairs)} time(s), but never when it was in "
                       "view.available (dig the record first)")
            else:
                why = "stop the automation, then repair the alias"
            raise Incorrect(f"the DNS record was never repaired: {why}.", case=case)
        if math.isinf(rec.night.end):
            raise Incorrect("the night never ended: something is still broken at 20:00 (never relaxed the "
                            "throttles? DWFM still collapsed?).", case=case)
        if not rec.beats_aws:
            raise Incorrect(f"your night costs {rec.impact:.0f} customer-impact minutes, AWS's "
                            f"{rec.aws_impact:.0f}: not better yet. Where did AWS lose time?", case=case)


# ---- q4: red herring or cause ------------------------------------------------------------------------------------

def _latest(loss, errors, size, **rest):
    base = {"border_packet_loss": loss, "dynamodb_errors": errors, "dns_answer_size": size, "leases_held": 100.0,
            "launches_admitted": 100.0, "nm_delay": 0.0, "nlb_errors": 0.0}
    base.update(rest)
    return base


TRIAGE_CASES = (  # (what, latest dashboard values, the layer to work on, why)
    ("00:10 in the game: packet loss and DynamoDB errors together, the DNS answer empty",
     _latest(3.1, 96.8, 0.0), "dns",
     "the answer is EMPTY: packet loss can time out a query, it cannot make a resolver answer with no addresses"),
    ("the first minute: the record is empty but cached answers still work",
     _latest(2.9, 0.4, 0.0), "dns", "the empty answer is the cause even before the errors rise (the TTL)"),
    ("after the repair, pointed at a rollback tree (2 addresses)",
     _latest(3.0, 0.1, 2.0), "network", "a rollback tree answers fewer addresses, but it answers"),
    ("DNS answers, DynamoDB is fine, the border still loses packets",
     _latest(3.2, 0.2, 8.0), "network", "the packet loss is real: it is the networking call's problem"),
    ("DNS answers, but DynamoDB fails across a lossy border",
     _latest(3.0, 60.0, 8.0), "network", "with a full answer, the failures must come from elsewhere"),
    ("all quiet", _latest(0.02, 0.05, 8.0), "none", "nothing is wrong here"),
    ("empty answer, no packet loss", _latest(0.02, 97.0, 0.0), "dns", "the DNS answer is empty"),
    ("numbers as numpy scalars", {k: np.float64(v) for k, v in _latest(3.0, 97.0, 0.0).items()}, "dns",
     "the DNS answer is empty"),
)
LAYERS = ("dns", "network", "none")


def _check_q4(fn) -> None:
    if not callable(fn):
        raise Incorrect(f"`triage` should be a function, but it is {type(fn).__name__}.")
    for what, latest, want, why in TRIAGE_CASES:
        got = learner_call(fn, dict(latest))
        got = expect_type(got, str, f"triage(...) for {what}")
        if got not in LAYERS:
            raise Incorrect(f"triage returned {got!r}; return one of {', '.join(map(repr, LAYERS))}.", case=what)
        if got != want:
            if want == "dns" and got == "network":
                hint = " (bottom-up triage blames the lowest layer that moved: that is how the red herring won)"
            elif want == "network" and got == "dns" and latest["dns_answer_size"] > 0:
                hint = " (an answer with addresses is not an empty record)"
            elif want == "network" and got == "none":
                hint = " (the packet loss is real, only not the DNS problem: it is the networking call's to fix)"
            elif want == "dns" and got == "none":
                hint = " (watch the DNS answer, not only the error rate: it moves first)"
            else:
                hint = ""
            raise Incorrect(f"for {what}, your triage says {got!r}, but it is {want!r}: {why}{hint}.",
                            case=", ".join(f"{k}={float(v):g}" for k, v in latest.items()
                                           if k in ("border_packet_loss", "dynamodb_errors", "dns_answer_size")))


# ---- q5: why fixing DNS did not end the event ----------------------------------------------------------------------

MECHANISMS = ("packet loss in use1-az1", "DWFM congestive collapse", "the Enactor race", "launch throttles",
              "cached empty answers", "DNS automation still running", "NLB health-check failover",
              "Network Manager backlog")
_ORDER = ("cached empty answers", "DWFM congestive collapse", "Network Manager backlog",
          "NLB health-check failover", "launch throttles")  # the night's order after 02:25
_AFTER = {"cached empty answers", "DWFM congestive collapse", "Network Manager backlog",
          "NLB health-check failover", "launch throttles"}


def _check_q5(answer) -> None:
    if isinstance(answer, (list, tuple, set, frozenset)):
        items = list(answer)
    else:
        raise Incorrect(f"`answer_q5` should be a set (or list) of mechanism names, but it is "
                        f"{type(answer).__name__} {answer!r}.")
    names = set()
    for item in items:
        if not isinstance(item, str) or item not in MECHANISMS:
            raise Incorrect(f"{item!r} is not one of the mechanisms; choose from: {'; '.join(MECHANISMS)}.")
        names.add(item)
    t = _night().times
    wrong = {
        "packet loss in use1-az1": "the packet loss was the red herring: it never explained DynamoDB's failure",
        "the Enactor race": "the race was the trigger; it was over once the record was empty, before 02:25",
        "DNS automation still running": "as reported [S2], the automation had been stopped before the repair, "
                                        "so it could not interfere afterwards",
    }
    for name in sorted(names - _AFTER):
        raise Incorrect(f"{name!r} did not keep the night going after DNS was restored: {wrong[name]}.")
    missing = {
        "cached empty answers": f"clients kept cached empty answers until {_clock(t['dynamodb recovered'])}",
        "DWFM congestive collapse": f"DWFM re-establishing every lease at once collapsed; all were held only at "
                                    f"{_clock(t['all leases held'])}",
        "Network Manager backlog": f"new instances waited for network state until {_clock(t['propagation normal'])}",
        "NLB health-check failover": f"flapping health checks removed capacity until "
                                     f"{_clock(t['failover disabled'])}",
        "launch throttles": f"launches stayed throttled until {_clock(t['launches unthrottled'])}",
    }
    for name in (m for m in _ORDER if m not in names):
        raise Incorrect(f"you left out {name!r}: {missing[name]}.")


q1 = Exercise("q1", "answer_q1", _check_q1, [
    "Start from the end (14:20: the container services) and ask of each stage: what was it waiting for?",
    "Compare, in `cascade.run().times`, when Network Manager was normal and when launches were unthrottled: "
    "EC2 was normal only after both, so only the later of the two is on the path.",
], chapter="06")
q2 = Exercise("q2", "answer_q2", _check_q2, [
    "Delay each action by an hour with `cascade.what_if({kind: night.script.at(kind) + 60})` and compare "
    "`total_impact`.",
    "AWS took the DWFM throttle and the restarts together at 04:14: delay them together.",
], chapter="06")
q3 = Exercise("q3", "policy", _check_q3, [
    "Look at the decisions AWS took and when: where was time lost? (The first half hour; the DWFM collapse.)",
    "The game's dashboards show when the leases are all held and when Network Manager is normal again; act on "
    "them, and keep every guardrail in gameday.GUARDRAILS.",
    "Network Manager's backlog starts only after the last lease is held: a low delay before then does not mean "
    "it has recovered. `view.history['nm_delay']` has every minute so far: relax once the delay has risen "
    "above 1 min after the last lease and come back below it.",
], chapter="06", time_limit=20.0, check_limit=120.0)
q4 = Exercise("q4", "triage", _check_q4, [
    "Which signal can packet loss NOT explain?",
    "Decide on the DNS answer first (empty or not); only then look at the packet loss.",
], chapter="06")
q5 = Exercise("q5", "answer_q5", _check_q5, [
    "Go through the night after 02:25 in the replay: what was still broken, and why?",
    "Five of the eight mechanisms kept the night going after 02:25; the other three were over, or never the cause.",
], chapter="06")

