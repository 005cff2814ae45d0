"""Chapter 4 exercises: metastable failure in the retry storm, the DWFM lease manager and the NLB."""

from __future__ import annotations

import numbers

import numpy as np

from .. import dwfm, network_manager, nlb, timeline
from ..exercises import Exercise, Incorrect, expect_type, learner_call
from ..metastable import Trigger, hidden_capacity, outcome, simulate
from ..mitigations import BudgetPolicy
from ..phase import classify, largest_surviving_load

__all__ = ["SCENARIOS", "q1", "q2", "q3", "q4", "q5"]

Q1_BELOW = 6.0  # QPS: answers this far below the largest surviving load still count (the load grid is 2 QPS)
# All leases must be held 17 minutes after the published recovery (05:28 + 17 = 05:45; the margin is a model choice).
Q3_BOUND = timeline.published("all leases held") + 17.0
Q3_CLOCK = timeline.clock(Q3_BOUND)
_FIX = timeline.published("throttling and restarts")
Q4_SEEDS = (0, 1, 2)

# q5: (load QPS, outage seconds, when we look) -> the learner names the state.
SCENARIOS = {
    "A": (100.0, 0.0, "healthy, no trigger yet"),
    "B": (220.0, 0.0, "healthy, no trigger yet"),
    "C": (220.0, 10.0, "60 s after a 10 s outage ended"),
    "D": (120.0, 10.0, "60 s after a 10 s outage ended"),
    "E": (260.0, 0.5, "60 s after a 0.5 s outage ended"),
}
STATES = ("stable", "vulnerable", "metastable")


def _run(load: float, seconds: float = 10.0, horizon: float = 300.0, **kw):
    return simulate(load, trigger=Trigger("outage", 1.0, 10.0, seconds), horizon=horizon, **kw)


def _tail(result, name: str, seconds: float = 30.0) -> float:
    k = round(seconds / result.dt)
    return float(result.rate(name)[0, -k:].mean())


def _check_q1(answer) -> None:
    expect_type(answer, numbers.Real, "`answer_q1`")
    if not np.isfinite(answer) or answer <= 0:
        raise Incorrect(f"`answer_q1` should be a positive load in queries per second, got {answer!r}.")
    answer = float(answer)
    if answer >= 1000:
        raise Incorrect(f"`answer_q1` = {answer:g} QPS is far beyond the 300 QPS capacity; a surviving load is below it.")
    res = _run(answer)
    if not outcome(res)[0]:  # the answer itself must survive the trigger in the simulator
        extra = (" That is the advertised capacity: the load the system serves when nothing goes wrong, "
                 "not the load at which it heals itself." if abs(answer - 300) < 1 else
                 " That is the hidden capacity of the paper's rough argument; in the simulator the backlog "
                 "left by the outage must also drain, so the edge is a little lower." if abs(answer - 150) < 1
                 else "")
        raise Incorrect(f"too high: at {answer:g} QPS the 10 s outage leaves the system stuck.{extra}",
                        case=f"{answer:g} QPS, 30 s before the end: offered {_tail(res, 'offered'):.0f} QPS, "
                             f"goodput {_tail(res, 'goodput'):.0f} QPS")
    best = largest_surviving_load()
    if answer < best - Q1_BELOW:
        raise Incorrect(f"too low: {answer:g} QPS survives, but so do higher loads (at {best:g} QPS it "
                        "recovers too). Search upwards.")

def _check_q2(fn) -> None:
    if not callable(fn):
        raise Incorrect(f"`retry_budget` should be a function, but it is {type(fn).__name__}.")
    allowed, tokens = learner_call(fn, np.array([5]), np.array([100]), np.array([50.0]))
    allowed = np.asarray(allowed)
    if allowed.shape != (1,) or np.any(allowed < 0) or np.any(allowed > 5):
        raise Incorrect("`retry_budget` must return (allowed, tokens) with 0 <= allowed <= wanted, "
                        f"got allowed={allowed!r}.")
    if int(allowed[0]) != 5:
        raise Incorrect("with a full bucket and plenty of successes, the budget should let all 5 wanted "
                        f"retries through, but it allowed {int(allowed[0])}: a budget that never retries "
                        "gives up on every transient error.", case="wanted=5, successes=100, tokens=50")
    tokens, spent = np.array([10.0]), 0
    for _ in range(100):
        allowed, tokens = learner_call(fn, np.array([30]), np.array([0]), np.asarray(tokens, dtype=float))
        spent += int(np.asarray(allowed)[0])
    if spent > 12:
        raise Incorrect(f"with no successes at all, the budget still let {spent} retries through in 100 ticks. "
                        "Retries must be paid for by successes, so they stop when nothing succeeds.",
                        case="start with 10 tokens; wanted=30 and successes=0 every tick")
    res = _run(280.0, policy=BudgetPolicy(fn))
    if not outcome(res)[0] or _tail(res, "offered") > 1.15 * 280:
        raise Incorrect("the loop is not broken: at 280 QPS after a 10 s outage, clients still send "
                        f"{_tail(res, 'offered'):.0f} QPS with goodput {_tail(res, 'goodput'):.0f} QPS "
                        "in the last 30 s.")


def _check_q3(fn) -> None:
    if not callable(fn):
        raise Incorrect(f"`throttle` should be a function, but it is {type(fn).__name__}.")
    got = learner_call(fn, 0, 500)
    expect_type(got, (numbers.Integral, np.integer), "throttle(0, 500)")
    if not 0 <= got <= 500:
        raise Incorrect(f"throttle(queue=0, backlog=500) returned {got}; it must admit between 0 and the backlog.")
    run = dwfm.simulate(actions=dwfm.mitigation_actions("throttle+restart"), throttle_fn=fn,
                        horizon=timeline.published("all leases held") + 62.0)
    done, bound = run.all_held_at, Q3_BOUND
    if done <= bound:
        return
    at, fix = int(bound), int(_FIX)
    queue, est, timed = int(run.queue[at]), int(run.established[fix:at + 1].sum()), int(run.timed_out[fix:at + 1].sum())
    # Judge by what happened: attempts expiring in the queue mean too much was admitted; a short queue with
    # nothing expiring means the throttle starves the manager.
    if timed > 0.05 * max(est, 1) or (est == 0 and queue > 0):
        why = (f"the throttle admits too much: {timed:,} attempts timed out in the queue between {timeline.clock(_FIX)} and "
               f"{Q3_CLOCK} and only {est:,} leases were established; the queue held {queue:,} attempts at "
               f"{Q3_CLOCK}, more than the manager finishes within the lease timeout")
    else:
        why = (f"the throttle admits too little: the queue held only {queue:,} attempts at {Q3_CLOCK} and "
               f"{timed:,} timed out, but only {est:,} leases were established since {timeline.clock(_FIX)}, so re-establishment "
               "crawls")
    raise Incorrect(f"by {Q3_CLOCK} only {run.held[at] / run.fleet:.0%} of leases were held; {why}.",
                    case=f"restart at {timeline.clock(_FIX)}, your throttle from then on; all leases "
                         f"{'never held' if not np.isfinite(done) else 'held at ' + timeline.clock(done)}")


def _check_q4(cap) -> None:
    expect_type(cap, numbers.Real, "`velocity_cap`")
    if not 0 <= cap <= 1:
        raise Incorrect(f"`velocity_cap` is a share of the NLB's capacity, between 0 and 1; got {cap!r}.")
    if cap == 0:
        raise Incorrect("a cap of 0 forbids AZ failover altogether (failing nodes are still removed one by one): "
                        "that switches the AZ-level automation off instead of limiting its velocity. "
                        "Pick a cap above 0.")
    for seed in Q4_SEEDS:
        run = nlb.simulate(_propagation(), velocity_control=float(cap), failover_disabled_at=None,
                           failover_enabled_at=None, seed=seed)
        low = int(np.argmin(run.in_service))
        if run.in_service[low] < run.demand:
            raise Incorrect(f"with a cap of {cap:g}, capacity fell to {run.in_service[low] / run.total:.0%} "
                            f"at {timeline.clock(run.t[low])}, below the demand of {run.demand / run.total:.0%}.",
                            case=f"failover left on all morning (no "
                                 f"{timeline.PUBLISHED['failover disabled'].clock} switch-off), seed {seed}")


def _propagation():
    """Network Manager on DWFM's published night: the input of every q4 run."""
    return network_manager.simulate(dwfm.simulate())


def expected_states() -> dict:
    """Return the state of each q5 scenario, as the model classifies it."""
    out = {}
    for name, (load, seconds, _) in SCENARIOS.items():
        stuck = seconds > 0 and not outcome(_run(load, seconds, horizon=20.0 + seconds + 60.0))[0]
        out[name] = classify(load, stuck)
    return out


def _check_q5(answer) -> None:
    expect_type(answer, dict, "`answer_q5`")
    if set(answer) != set(SCENARIOS):
        raise Incorrect(f"`answer_q5` should have one entry per scenario: {', '.join(SCENARIOS)}.")
    for name, state in answer.items():
        if state not in STATES:
            raise Incorrect(f"scenario {name}: {state!r} is not one of {', '.join(map(repr, STATES))}.")
    hidden = hidden_capacity()
    for name, want in expected_states().items():
        got = answer[name]
        if got == want:
            continue
        load, _seconds, when = SCENARIOS[name]
        reason = {"stable": f"{load:g} QPS is below the hidden capacity ({hidden:g} QPS), so it heals itself",
                  "vulnerable": f"{load:g} QPS is healthy now but above the hidden capacity ({hidden:g} QPS): "
                                "a big enough trigger would tip it over",
                  "metastable": "the trigger is over, yet goodput is near zero and retries keep the load doubled"}
        raise Incorrect(f"scenario {name} ({load:g} QPS, {when}) is {want!r}, not {got!r}: {reason[want]}.")


q1 = Exercise("q1", "answer_q1", _check_q1, [
    "Sweep the load with `simulate(load, trigger=Trigger('outage', 1.0, 10.0, 10.0))` and `outcome(...)`.",
    "The answer sits a little below capacity / (1 + retries): the backlog must drain before the horizon. "
    "Check your candidate with `outcome(simulate(load))[0]`: it must recover.",
], chapter="04")
q2 = Exercise("q2", "retry_budget", _check_q2, [
    "Keep a bucket of tokens: add a fraction (say 0.1) of a token per success, cap the bucket, spend one per retry.",
    "allowed = np.minimum(wanted, np.floor(tokens)); return allowed and tokens - allowed.",
], chapter="04")
q3 = Exercise("q3", "throttle", _check_q3, [
    "Admit only enough work to keep the queue short enough to finish within the lease timeout.",
    "With a short queue the manager finishes about 1,440 attempts a minute, fewer as the queue grows; the lease "
    "timeout is 10 minutes: keep the queue well under 14,400, e.g. admit max(0, min(backlog, 7_000 - queue)).",
], chapter="04")
q4 = Exercise("q4", "velocity_cap", _check_q4, [
    "Run `nlb.simulate(propagation, velocity_control=c, failover_disabled_at=None, failover_enabled_at=None)` "
    "for a few caps (with `propagation = network_manager.simulate(dwfm.simulate())`) and compare "
    "`in_service.min()` with `demand`.",
    "Node-level removals already take some capacity; the cap must leave room above demand for them.",
], chapter="04")
q5 = Exercise("q5", "answer_q5", _check_q5, [
    "Stable / vulnerable is about the load compared with the hidden capacity; metastable is about what happens "
    "after the trigger is gone.",
    "Run each scenario with `simulate(...)` and look at goodput once the trigger has ended.",
], chapter="04")
