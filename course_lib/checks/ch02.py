"""Chapter 2 exercises: find the stale check, write a safe apply and a safe clean-up, scale a per-run
probability to a year, and match each fix to the properties it guarantees."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from hypothesis import HealthCheck, Verbosity, given, settings
from hypothesis import strategies as st

from ..dns import FIXES, REGIONAL_ENDPOINT, alias_generation, alias_record, layout, tree_record
from ..dns_race import ACTORS, PROPERTIES, pes_steps, run_published, run_random, run_scenario
from ..dns_race_properties import became_stale_index
from ..exercises import Exercise, Incorrect, LearnerError, expect_type, learner_call
from ..route53 import Change, HostedZone
from ..trace import Event, format_swimlanes
from ..validate import check_int

__all__ = ["Q1_SCENARIO", "SCHEDULES", "SCHEDULE_K", "SCHEDULE_PERIODS", "TRUTH_Q5", "q1", "q1_run", "q2", "q3", "q4", "q5", "timeline_around"]

EP = REGIONAL_ENDPOINT
IPS = ("10.0.0.1", "10.0.0.2")


def timeline_around(result, index: int, before: int = 9, after: int = 2) -> str:
    """Return the trace around event *index* as a text timeline, Planner ticks left out, the event marked."""
    trace = getattr(result, "trace", None)
    if not isinstance(trace, (list, tuple)):
        raise TypeError(f"result must be a simulator result with a trace (dns_race.RaceResult), got {type(result).__name__}")
    index = check_int("index", index, lo=0, hi=max(len(trace) - 1, 0))
    before = check_int("before", before, lo=0, hi=10_000)
    after = check_int("after", after, lo=0, hi=10_000)
    if not trace:
        raise ValueError("result has an empty trace: there is no event to show")
    keep = [i for i in range(len(result.trace)) if result.trace[i].actor != "Planner" or i == index]
    pos = keep.index(index)
    window = keep[max(0, pos - before): pos + after + 1]
    events = [result.trace[i] for i in window]
    return format_swimlanes(events, ACTORS[1:], width=24, mark=[window.index(index)])


def _zone(live: int, extra: tuple[int, ...] = ()) -> HostedZone:
    """Return a one-endpoint zone whose alias points at plan *live*, with rollback trees *extra*."""
    records = [tree_record(g, EP, IPS) for g in {live, *extra}]
    return HostedZone([*records, alias_record(EP, live)])


# --- q1: where did the check go stale? ----------------------------------------------------------------

# The exercise's scenario differs from the chapter's (Enactor 3 is the fast one), so the chapter's worked
# example does not print this answer.
Q1_SCENARIO = dict(slow_delay=2.0, lock_losses=1, starts=(1.05, 11.5, 8.0))


def q1_run():
    """Return the run exercise 1 asks about: the published race with other start times and delays."""
    return run_scenario(**Q1_SCENARIO)


def _check_q1(answer) -> None:
    if isinstance(answer, (float, np.floating)):
        # 17.0 names event 17 as surely as 17 does; only a fraction or a non-number is no index at all.
        if not math.isfinite(answer) or not float(answer).is_integer():
            raise Incorrect(f"answer_q1 is an index into q1_run().trace, a whole number such as 17; "
                            f"{float(answer)!r} is not one.")
        answer = int(answer)
    answer = expect_type(answer, int, "answer_q1 (an index into q1_run().trace)")
    r = q1_run()
    check = pes_steps(r)[1]
    right = became_stale_index(r, check)
    if not 0 <= answer < len(r.trace):
        raise Incorrect(f"the trace has events 0 to {len(r.trace) - 1}; {answer} is not one of them.")
    e = r.trace[answer]
    if answer == right:
        return
    if answer == check:
        raise Incorrect("that is the check itself: at that moment plan 2 really was newer than the applied "
                        "plan 1. Look for the later event after which it no longer was.")
    if e.actor == "Planner":
        raise Incorrect("a newer plan existing does not make the check false: the check compares with the "
                        "plan *applied* to the regional endpoint. Which event changed that?")
    if answer == pes_steps(r)[5]:
        raise Incorrect("that is where the stale check was *used* (the overwrite). It had gone stale earlier.")
    if answer > right:
        raise Incorrect(f"too late: at event {answer} the check was already stale. Look earlier.",
                        timeline=timeline_around(r, answer))
    endpoint = e.data.get("endpoint")
    if e.kind == "apply" and endpoint != EP:
        raise Incorrect(f"event {answer} moved the {layout.label(endpoint)} alias ({endpoint}), not the regional "
                        "one: the check compared "
                        "with the plan applied to the regional endpoint. Look later.",
                        timeline=timeline_around(r, answer))
    live = [x.data["aliases"][EP] for x in r.trace[: answer + 1] if "aliases" in x.data] or [1]
    raise Incorrect(f"after event {answer} the regional alias still pointed at plan {live[-1]}, older than "
                    "plan 2: the check still held. Look later.")


q1 = Exercise("q1", "answer_q1", _check_q1, [
    "The check said: 'plan 2 is newer than the plan applied to the regional endpoint (plan 1)'.",
    "Find the first event after the check that changed the regional alias to a plan at least as new as 2.",
], chapter="02")


# --- shared: test a strategy on the published scenario and on Hypothesis schedules --------------------

# What a pass establishes (Chapter 2 states it): no counterexample among these schedules -- testing, not proof.
SCHEDULES = 40  # generated schedules per check (Hypothesis, derandomized: the same ones every time)
SCHEDULE_K = (1, 5)  # the clean-up threshold K drawn from this range
SCHEDULE_PERIODS = (0.5, 1.0, 2.0)  # planner periods (s)

def _test_on_schedules(run: Callable, props: tuple[str, ...], what: str, advice: str = "") -> None:
    """Raise Incorrect with a timeline if *run* violates any of *props* on the published or generated runs (a test)."""
    _verify(run_published(**run()), props, what, "the published scenario", advice)
    found: dict = {}

    @settings(max_examples=SCHEDULES, deadline=None, database=None, derandomize=True, verbosity=Verbosity.quiet,
              suppress_health_check=list(HealthCheck))
    @given(seed=st.integers(0, 100_000), K=st.integers(*SCHEDULE_K), period=st.sampled_from(SCHEDULE_PERIODS),
           n_endpoints=st.integers(1, 3))
    def schedules(seed, K, period, n_endpoints):
        r = run_random(seed, K=K, period=period, n_endpoints=n_endpoints, horizon=25.0, **run())
        for name in props:
            verdict = PROPERTIES[name](r)
            if not verdict.holds:
                found.update(result=r, verdict=verdict,
                             case=f"run_random(seed={seed}, K={K}, period={period}, n_endpoints={n_endpoints})")
                raise AssertionError(name)

    try:
        schedules()
    except AssertionError:
        _fail(found["result"], found["verdict"], what, found["case"], advice)


def _verify(result, props, what: str, case: str, advice: str = "") -> None:
    for name in props:
        verdict = PROPERTIES[name](result)
        if not verdict.holds:
            _fail(result, verdict, what, case, advice)


def _fail(result, verdict, what: str, case: str, advice: str = ""):
    raise Incorrect(f"with your {what}, the property '{verdict.name}' fails: {verdict.explanation}. {advice}".rstrip(),
                    case=case, timeline=timeline_around(result, verdict.first_violation_index))


# --- q2: a safe apply ---------------------------------------------------------------------------------

def _check_q2(safe_apply) -> None:
    if not callable(safe_apply):
        raise Incorrect("safe_apply should be a function safe_apply(zone, endpoint, generation, ips) -> bool.")
    zone = _zone(3)
    wrote = expect_type(learner_call(safe_apply, zone, EP, 5, IPS), bool, "safe_apply's return value")
    if not wrote or alias_generation(zone, EP) != 5 or zone.resolve(EP) != IPS:
        raise Incorrect("applying plan 5 over a live plan 3 must point the alias at plan 5's tree (and return "
                        "True); your function did not.", case="alias at plan 3, apply plan 5")
    _test_on_schedules(lambda: {"apply": safe_apply},
           ("applied generation never decreases", "record never empty", "active plan never deleted"),
           "safe_apply", "A freshness check made only at the start of the run is stale by the time of the "
           "write: compare with the alias's generation inside the write itself.")
    for live, old, words in ((5, 5, "the same plan"), (7, 4, "an older plan")):
        zone = _zone(live)
        before = zone.records()
        wrote = expect_type(learner_call(safe_apply, zone, EP, old, IPS), bool, "safe_apply's return value")
        if wrote or zone.records() != before:
            hint = (" Write only a plan strictly newer than the live one (generation > live, i.e. skip when "
                    "generation <= live): re-applying the same plan is not 'newer than'." if live == old
                    else " This is the overwrite of the published race.")
            raise Incorrect(f"applying {words} (plan {old}) over live plan {live} must change nothing and return "
                            f"False.{hint}", case=f"alias at plan {live}, apply plan {old}")
    _check_q2_race(safe_apply)


class _RacingZone(HostedZone):
    """A zone in which another Enactor applies a newer plan just before the learner's first write lands."""

    def __init__(self, records, endpoint: str, newer: int):
        super().__init__(records)
        self.endpoint, self.newer, self.moved = endpoint, newer, False

    def change(self, batch):
        if not self.moved:
            # Whatever the learner read, it read before this instant: the other Enactor's write slips in now.
            self.moved = True
            current = self.get(self.endpoint, "ALIAS")
            super().change([Change("CREATE", tree_record(self.newer, self.endpoint, IPS)),
                            Change("DELETE", current), Change("CREATE", alias_record(self.endpoint, self.newer))])
        return super().change(batch)


def _check_q2_race(safe_apply) -> None:
    """Raise Incorrect unless a write made after a now-stale read is rejected as a whole."""
    live, mine, newer = 3, 5, 9
    zone = _RacingZone(_zone(live).records(), EP, newer)
    wrote = expect_type(learner_call(safe_apply, zone, EP, mine, IPS), bool, "safe_apply's return value")
    if not zone.moved:
        return  # the function never wrote: the checks above judge that
    now = alias_generation(zone, EP)
    timeline = format_swimlanes([
        Event(0.0, "your safe_apply", "check", f"alias at {live} < {mine}: ok"),
        Event(0.1, "Enactor 2", "apply", f"alias -> plan {newer}"),
        Event(0.2, "your safe_apply", "write", f"alias -> plan {now if now != newer else mine}"
              + (" (rejected)" if now == newer else "")),
    ], ["your safe_apply", "Enactor 2"], width=30, mark=[2] if now != newer else [])
    case = f"alias at plan {live}; you apply plan {mine}; Enactor 2 applies plan {newer} in between"
    if now != newer:
        raise Incorrect(f"checked, then wrote in a separate step: another Enactor moved the alias in between, and "
                        f"your write moved it back from plan {newer} to plan {now}. Make the comparison part "
                        "of the write: DELETE the exact alias you read in the same batch as the CREATE, so "
                        "Route 53 rejects the whole batch if the alias moved.", case=case, timeline=timeline)
    if wrote:
        raise Incorrect(f"your batch was rejected (the alias stayed at plan {newer}), but safe_apply returned "
                        "True: return what zone.try_change returned.", case=case, timeline=timeline)


q2 = Exercise("q2", "safe_apply", _check_q2, [
    "Read the alias now (zone.get(endpoint, 'ALIAS')), not at the start of the run.",
    "Write only if generation > alias_generation(zone, endpoint). A DELETE must match the record exactly: "
    "what happens to a batch that DELETEs the alias you read, if another Enactor has moved it since?",
], chapter="02", time_limit=30.0)


# --- q3: a safe clean-up ------------------------------------------------------------------------------

def _check_q3(safe_cleanup) -> None:
    if not callable(safe_cleanup):
        raise Incorrect("safe_cleanup should be a function safe_cleanup(zone, endpoint, generation, applied, K) -> bool.")
    K, applied = 3, 10
    zone = _zone(10, extra=(7, 8, 4))
    cases = [(7, True, "plan 7 is exactly K=3 generations older than plan 10 and nothing points at it: delete it"),
             (8, False, "plan 8 is only 2 generations older than plan 10 (K=3): keep it as a rollback tree")]
    for gen, want, why in cases:
        got = expect_type(learner_call(safe_cleanup, zone, EP, gen, applied, K), bool,
                          "safe_cleanup's return value")
        if got != want:
            raise Incorrect(f"wrong decision: {why}.", case=f"applied plan {applied}, K={K}, tree of plan {gen}")
    _test_on_schedules(lambda: {"cleanup": safe_cleanup}, ("active plan never deleted", "record never empty"), "safe_cleanup",
           "Deleting by age alone removes a tree that an alias points at when an old plan is live.")
    zone = _zone(4, extra=(10,))
    if expect_type(learner_call(safe_cleanup, zone, EP, 4, applied, K), bool, "safe_cleanup's return value"):
        raise Incorrect("you delete plan 4 because it is old, but the alias points at it: it is the ACTIVE plan. "
                        "Deleting by age alone is exactly the published race.",
                        case=f"applied plan {applied}, K={K}, alias at plan 4")


q3 = Exercise("q3", "safe_cleanup", _check_q3, [
    "Two conditions: old enough (applied - generation >= K) AND not active.",
    "Active means some alias points at this tree: an ALIAS record's one value is the name of the tree it "
    "targets (tree_name(generation, endpoint)).",
], chapter="02", time_limit=30.0)


# --- q4: from one run to a year -----------------------------------------------------------------------

def _check_q4(yearly_probability) -> None:
    if not callable(yearly_probability):
        raise Incorrect("yearly_probability should be a function yearly_probability(p_run, runs) -> float.")
    # runs is a whole number, as the prompt says, so a loop over range(runs) is a fair answer.
    for p, n in ((0.0, 10**6), (1.0, 10), (0.5, 0), (1e-6, 10**6), (1e-3, 10**5), (1e-6, 10**7), (1e-12, 10**6)):
        case = f"p_run={p:g}, runs={n:_}"
        try:
            got = learner_call(yearly_probability, p, n)
        except (LearnerError, ArithmeticError, ValueError) as err:  # raised inside the learner's function
            words = err.words() if isinstance(err, LearnerError) else f"your code raised {type(err).__name__}: {err}."
            certain = (" With p_run = 1 a race is certain in every run: log1p(-1) is -infinity (math raises "
                       "'math domain error'), so handle p_run >= 1 before taking the logarithm." if p >= 1 else "")
            raise Incorrect(f"for p_run={p:g} and runs={n:_} {words}{certain}", case=case) from None
        got = expect_type(got, (float, int), "yearly_probability's return value")
        want = -math.expm1(n * math.log1p(-p)) if p < 1 else 1.0
        if not math.isfinite(got):
            raise Incorrect(f"yearly_probability returned {got} for p_run={p:g}, runs={n:_}: a probability is a "
                            "finite number between 0 and 1." + (" Handle p_run = 1 separately." if p >= 1 else ""),
                            case=case)
        if not 0 <= got <= 1:
            fault = _q4_fault(got, want, p, n)
            if "off by one" in fault or "percentage" in fault:
                raise Incorrect(f"{got:g} is not a probability{fault}", case=case)
            raise Incorrect(f"{got:g} is not a probability: adding per-run probabilities (p × runs) only works "
                            "while the total is tiny; use the complement, 1 − (1 − p)^runs.", case=case)
        if not math.isclose(got, want, rel_tol=1e-6, abs_tol=1e-300):
            no_race = (1 - p) ** n
            if math.isclose(got, no_race, rel_tol=1e-6):
                raise Incorrect(f"{got:.6g} is (1 − p)^runs: that is the probability of NO race in {n:_} runs. "
                                "The question asks for at least one: take the complement.", case=case)
            raise Incorrect(f"expected {want:.6g}, got {got:.6g}{_q4_fault(got, want, p, n)}", case=case)


def _q4_fault(got: float, want: float, p: float, n: int) -> str:
    """Name the likely fault behind a wrong yearly probability."""
    def near(x: float) -> bool:
        return math.isclose(got, x, rel_tol=1e-6, abs_tol=1e-300)

    if 0 < p < 1e-9 and near(1 - (1 - p) ** n):
        return (": the formula is right but 1 − (1 − p)^n loses precision for tiny p: use "
                "-math.expm1(runs * math.log1p(-p_run)).")
    if near(p) and n != 1:
        return ": that is p_run itself, the chance for ONE run; the question asks about all the runs."
    if near(100 * want):
        return ": that is a percentage; return a probability between 0 and 1."
    if p < 1 and any(near(-math.expm1(k * math.log1p(-p))) for k in (n - 1, n + 1)):
        return ": off by one run: use exactly `runs` runs in the exponent."
    if near(p * n):
        return (": adding per-run probabilities (p × runs) counts the years with two races twice; use the "
                "complement, 1 − (1 − p)^runs.")
    if near(1 / n if n else math.inf) or near(n * p / (1 + n * p)):
        return ": that is not the chance of at least one race; use the complement, 1 − (1 − p)^runs."
    return "."


q4 = Exercise("q4", "yearly_probability", _check_q4, [
    "P(at least one race) = 1 − P(no race in any run) = 1 − (1 − p)^runs.",
    "For tiny p, compute (1 − p)^runs as exp(runs · log1p(−p)) and 1 − exp(x) as −expm1(x).",
], chapter="02")


# --- q5: which single fix guarantees which property ----------------------------------------------------

TRUTH_Q5 = {
    "record never empty": {"recheck_at_write", "protect_active", "freeze_on_inconsistency"},
    "applied generation never decreases": {"recheck_at_write"},
    "active plan never deleted": {"recheck_at_write", "protect_active", "freeze_on_inconsistency"},
}
WHY = {
    "recheck_at_write": "with the write-time fence no alias ever moves back, so when a clean-up runs every alias "
                        "is at least as new as the plan it applied and nothing it deletes is live",
    "protect_active": "clean-up skips any tree an alias points at, so the live tree is never deleted",
    "freeze_on_inconsistency": "clean-up freezes the automation instead of deleting a live tree",
}


def _check_q5(answer) -> None:
    expect_type(answer, dict, "answer_q5")
    missing = set(TRUTH_Q5) - set(answer)
    if missing:
        raise Incorrect(f"answer_q5 needs an entry for each property; missing: {sorted(missing)}.")
    for prop, truth in TRUTH_Q5.items():
        given_ = answer[prop]
        expect_type(given_, (set, frozenset, list, tuple), f"answer_q5[{prop!r}]")
        unknown = set(given_) - set(FIXES)
        if unknown:
            raise Incorrect(f"{sorted(unknown)} are not fix names; use names from FIXES: {FIXES}.")
        for fix in sorted(set(given_) - truth):
            r = run_published(fixes=(fix,))
            verdict = PROPERTIES[prop](r)
            raise Incorrect(f"{fix} alone does not guarantee '{prop}': {verdict.explanation}.",
                            case=f"run_published(fixes=({fix!r},))",
                            timeline=timeline_around(r, verdict.first_violation_index))
        for fix in sorted(truth - set(given_)):
            raise Incorrect(f"{fix} alone does guarantee '{prop}': {WHY[fix]}.")


q5 = Exercise("q5", "answer_q5", _check_q5, [
    "Run run_published(fixes=(name,)) for each fix and read the three verdicts.",
    "Only one fix stops an old plan from overwriting a newer one; all three keep the live tree alive.",
], chapter="02")
