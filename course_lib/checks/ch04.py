"""Chapter 4 exercises: metastable failure in the retry storm, the DWFM lease manager and the NLB."""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from functools import lru_cache

import numpy as np

from .. import dwfm, network_manager, nlb, timeline
from ..exercises import Exercise, Incorrect, expect_type, learner_call
from ..metastable import Trigger, hidden_capacity, outcome, simulate, time_to_recovery
from ..mitigations import BudgetPolicy
from ..phase import classify, largest_surviving_load

__all__ = ["SCENARIOS", "q1", "q2", "q3", "q4", "q5"]

Q1_BELOW = 6.0  # QPS: answers this far below the largest surviving load still count (the load grid is 2 QPS)
# All leases must be held 17 minutes after the published recovery (05:28 + 17 = 05:45; the margin is a model choice).
Q3_BOUND = timeline.published("all leases held") + 17.0
Q3_CLOCK = timeline.clock(Q3_BOUND)
_FIX = timeline.published("throttling and restarts")
Q4_SEEDS = (0, 1, 2)
Q4_STEP = 0.01  # q4 asks for the largest safe cap to two decimals; one step below it still counts
Q2_CAP = 100.0  # q2: the bucket holds at most this many tokens
Q5_AFTER = 60.0  # q5 looks this many seconds after the outage ended

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


def _real(value, what: str) -> float:
    """Return a finite real number (numpy scalars welcome) or raise Incorrect naming *what*."""
    value = expect_type(value, numbers.Real, what)
    try:
        number = float(value)  # a huge Python int (10**30) is fine here; np.isfinite cannot take it
    except OverflowError:
        raise Incorrect(f"{what} is a whole number with {len(str(abs(int(value))))} digits, far too large to be "
                        "an answer here.") from None
    if not math.isfinite(number):
        raise Incorrect(f"{what} is {number}, not a finite number.")
    return number


def _check_q1(answer) -> None:
    answer = _real(answer, "`answer_q1`")
    if answer <= 0:
        raise Incorrect(f"`answer_q1` should be a positive load in queries per second, got {answer:g}.")
    if answer >= 1000:
        raise Incorrect(f"`answer_q1` = {answer:g} QPS is far beyond the 300 QPS capacity; a surviving load is below it.")
    res = _run(answer)
    if not outcome(res)[0]:  # the answer itself must recover within the 300 s run
        extra = (" That is the advertised capacity: the load the system serves when nothing goes wrong, "
                 "not the load at which it heals itself." if abs(answer - 300) < 1 else
                 " That is the hidden capacity of the paper's rough argument; in the simulator the backlog "
                 "left by the outage must also drain, so the edge is a little lower." if abs(answer - 150) < 1
                 else "")
        slow = ""
        if answer < hidden_capacity():
            later = float(time_to_recovery(_run(answer, horizon=1500.0, dt=0.2))[0])
            if np.isfinite(later):
                slow = (f" It is not stuck for good: below the hidden capacity the backlog drains, but slowly, "
                        f"and goodput is back only {later:.0f} s after the outage, after the 300 s run ends.")
        state = "has not recovered by the end of the 300 s run" if slow else "leaves the system stuck"
        raise Incorrect(f"too high: at {answer:g} QPS the 10 s outage {state}.{slow}{extra}",
                        case=f"{answer:g} QPS, 30 s before the end: offered {_tail(res, 'offered'):.0f} QPS, "
                             f"goodput {_tail(res, 'goodput'):.0f} QPS")
    best = _largest_surviving()
    if answer < best - Q1_BELOW:
        raise Incorrect(f"too low: {answer:g} QPS survives, but so do higher loads (at {best:g} QPS it "
                        "recovers too). Search upwards.")


@lru_cache(maxsize=1)
def _largest_surviving() -> float:
    """The q1 edge: the largest load whose own 300 s run recovers (146 QPS; ``phase.largest_surviving_load``)."""
    return largest_surviving_load()


def _budget_call(fn, wanted, successes, tokens, case: str):
    """Call the learner's budget; return (allowed as int64 array, tokens as float array) or raise Incorrect."""
    got = learner_call(fn, np.array(wanted, dtype=np.int64), np.array(successes, dtype=np.int64),
                       np.array(tokens, dtype=float))
    if got is None:
        raise Incorrect("`retry_budget` returned nothing — did you forget `return`? It must return "
                        "(allowed, tokens).", case=case)
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        raise Incorrect("`retry_budget` must return a pair (allowed, tokens): the retries to send and the bucket "
                        f"after paying for them, but it returned {type(got).__name__} {got!r:.60}.", case=case)
    allowed, left = got
    try:
        allowed, left = np.asarray(allowed, dtype=float), np.asarray(left, dtype=float)
    except (TypeError, ValueError):
        raise Incorrect("`retry_budget` must return numbers (numpy arrays): allowed and tokens.", case=case) from None
    n = np.shape(wanted)
    if allowed.shape != n or left.shape != n:
        raise Incorrect(f"`retry_budget` must return one allowed and one token count per scenario (shape {n}), "
                        f"got shapes {allowed.shape} and {left.shape}.", case=case)
    if not (np.all(np.isfinite(allowed)) and np.all(np.isfinite(left))):
        raise Incorrect("`retry_budget` returned NaN or infinity; allowed and tokens must be finite numbers.",
                        case=case)
    if np.any(allowed != np.round(allowed)):
        raise Incorrect(f"allowed = {allowed.tolist()} is not a whole number of retries: round down "
                        "(np.floor) before you send them.", case=case)
    if np.any(allowed < 0) or np.any(allowed > np.asarray(wanted)):
        raise Incorrect("`retry_budget` must return 0 <= allowed <= wanted, "
                        f"got allowed={allowed.astype(np.int64).tolist()} for wanted={list(np.ravel(wanted))}.",
                        case=case)
    if np.any(left < -1e-9):
        raise Incorrect(f"tokens went negative ({left.tolist()}): the budget let through retries it could not pay "
                        "for.", case=case)
    return allowed.astype(np.int64), left


def _check_q2(fn) -> None:
    if not callable(fn):
        raise Incorrect(f"`retry_budget` should be a function, but it is {type(fn).__name__}.")
    case = "wanted=5, successes=100, tokens=50"
    allowed, _ = _budget_call(fn, [5], [100], [50.0], case)
    if int(allowed[0]) == 0:
        raise Incorrect("with a full bucket and plenty of successes the budget should let all 5 wanted retries "
                        "through, but it allowed none: a budget that never retries gives up on every transient "
                        "error.", case=case)
    if int(allowed[0]) != 5:
        raise Incorrect(f"with 50 tokens and plenty of successes the budget allowed only {int(allowed[0])} of 5 "
                        "wanted retries: it holds back retries it can pay for. Spend one token per retry, as many "
                        "as the bucket holds.", case=case)
    _budget_call(fn, [5], [0], [2.5], "wanted=5, successes=0, tokens=2.5")  # whole retries from part tokens
    tokens, spent = np.array([10.0]), 0
    for _ in range(100):
        allowed, tokens = _budget_call(fn, [30], [0], tokens, "start with 10 tokens; wanted=30, successes=0")
        spent += int(allowed[0])
    if spent > 12:
        raise Incorrect(f"with no successes at all, the budget still let {spent} retries through in 100 ticks. "
                        "Retries must be paid for by successes, so they stop when nothing succeeds.",
                        case="start with 10 tokens; wanted=30 and successes=0 every tick")
    tokens, spent = np.array([0.0]), 0
    for _ in range(50):
        allowed, tokens = _budget_call(fn, [5], [100], tokens, "start with 0 tokens; wanted=5, successes=100")
        spent += int(allowed[0])
    if spent == 0:
        raise Incorrect("starting from an empty bucket, 50 ticks of 100 successes each never paid for a retry: the "
                        "bucket never refills. Each success should earn a fraction of a token.",
                        case="start with 0 tokens; wanted=5 and successes=100 every tick")
    tokens = np.array([0.0])
    for _ in range(200):
        _, tokens = _budget_call(fn, [0], [1000], tokens, "start with 0 tokens; wanted=0, successes=1000")
    if float(tokens[0]) > Q2_CAP + 1e-9:
        raise Incorrect(f"after 200 healthy ticks the bucket holds {float(tokens[0]):,.0f} tokens: it has no cap, so "
                        "a long quiet spell banks enough retries to flood the server. Keep at most "
                        f"{Q2_CAP:g} tokens.", case="start with 0 tokens; wanted=0, successes=1000 every tick")
    res = _run(280.0, policy=BudgetPolicy(fn))
    if not outcome(res)[0] or _tail(res, "offered") > 1.15 * 280:
        raise Incorrect("the loop is not broken: at 280 QPS after a 10 s outage, clients still send "
                        f"{_tail(res, 'offered'):.0f} QPS with goodput {_tail(res, 'goodput'):.0f} QPS "
                        "in the last 30 s.")


# q3 probes: (queue, backlog) pairs where a throttle must admit a whole number between 0 and the backlog.
Q3_PROBES = ((0, 500), (0, 100_000), (9_000, 500), (20_000, 100_000), (7_000, 0), (100, 1))


def _check_q3(fn) -> None:
    if not callable(fn):
        raise Incorrect(f"`throttle` should be a function, but it is {type(fn).__name__}.")
    for queue, backlog in Q3_PROBES:
        got = learner_call(fn, queue, backlog)
        if isinstance(got, (float, np.floating)) and float(got).is_integer():
            raise Incorrect(f"throttle({queue}, {backlog}) returned {got!r}, a float: return a whole number of "
                            "attempts (an int).")
        got = expect_type(got, (numbers.Integral, np.integer), f"throttle({queue}, {backlog})")
        if got < 0:
            raise Incorrect(f"throttle(queue={queue:,}, backlog={backlog:,}) returned {got:,}: a negative number "
                            "of attempts. When the queue is already over your target, admit 0.")
        if got > backlog:
            raise Incorrect(f"throttle(queue={queue:,}, backlog={backlog:,}) returned {got:,}, more than the "
                            "backlog: it can only admit droplets that are waiting.")
    run = dwfm.simulate(actions=dwfm.mitigation_actions("throttle+restart"), throttle_fn=fn,
                        horizon=timeline.published("all leases held") + 62.0)
    done, bound = run.all_held_at, Q3_BOUND
    if done <= bound:
        return
    at, fix = int(bound), int(_FIX)
    queue, est, timed = int(run.queue[at]), int(run.established[fix:at + 1].sum()), int(run.timed_out[fix:at + 1].sum())
    p = run.params
    # The manager's hosts serve their own queues: the busiest host's queue is the wait a renewal there sees.
    per_host = run.host_queue[:, at].astype(float)
    host_rate, host_scale = p["rate"] / run.hosts, dwfm.QUEUE_SCALE / run.hosts
    wait = float(np.max(per_host / (host_rate / (1 + p["slowdown"] * per_host / host_scale))))
    slack = p["lease_timeout"] - p["check_interval"]
    # Judge by what happened: attempts expiring in the queue, or renewals stuck behind it, mean too much was
    # admitted; a short queue with nothing expiring means the throttle starves the manager.
    if timed > 0.05 * max(est, 1) or (est == 0 and queue > 0):
        why = (f"the throttle admits too much: {timed:,} attempts timed out in the queue between "
               f"{timeline.clock(_FIX)} and {Q3_CLOCK} and only {est:,} leases were established; the queue held "
               f"{queue:,} attempts at {Q3_CLOCK} (the whole manager), and the busiest host alone had about "
               f"{wait:.0f} minutes of work queued, more than it finishes within the {p['lease_timeout']:g}-minute "
               "lease timeout")
    elif wait > slack:
        why = (f"the throttle admits too much: {est:,} leases were established but with {queue:,} attempts queued "
               f"the busiest host has about {wait:.1f} minutes of work waiting, so the state checks of leases already held wait longer than "
               f"the {slack:g} minutes left on their lease, and those leases are lost again. Keep the queue shorter")
    else:
        why = (f"the throttle admits too little: the queue held only {queue:,} attempts at {Q3_CLOCK} and "
               f"{timed:,} timed out, but only {est:,} leases were established since {timeline.clock(_FIX)}, so "
               "re-establishment crawls")
    raise Incorrect(f"by {Q3_CLOCK} only {run.held[at] / run.fleet:.0%} of leases were held; {why}.",
                    case=f"restart at {timeline.clock(_FIX)}, your throttle from then on; all leases "
                         f"{'not all held by the end of the run' if not np.isfinite(done) else 'held at ' + timeline.clock(done)}")


def _safe(cap: float) -> tuple[bool, int, object]:
    """Return (capacity stayed >= demand on every q4 seed, the first failing seed, its run)."""
    for seed in Q4_SEEDS:
        run = nlb.simulate(_propagation(), velocity_control=float(cap), failover_disabled_at=None,
                           failover_enabled_at=None, seed=seed)
        if run.in_service.min() < run.demand:
            return False, seed, run
    return True, -1, None


@lru_cache(maxsize=1)
def largest_safe_cap() -> float:
    """Return the largest cap on the 0.01 grid that keeps capacity >= demand on every q4 seed (bisection)."""
    lo, hi = 1, 100  # in hundredths; the model is monotone in the cap (a larger cap removes no less)
    if not _safe(lo / 100)[0]:
        return 0.0
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if _safe(mid / 100)[0] else (lo, mid)
    return (hi if _safe(hi / 100)[0] else lo) / 100


def _check_q4(cap) -> None:
    cap = _real(cap, "`velocity_cap`")
    if not 0 <= cap <= 1:
        raise Incorrect(f"`velocity_cap` is a share of the NLB's capacity, between 0 and 1; got {cap:g}.")
    if cap == 0:
        raise Incorrect("a cap of 0 forbids AZ failover altogether (failing nodes are still removed one by one): "
                        "that switches the AZ-level automation off instead of limiting its velocity. "
                        "Pick a cap above 0.")
    ok, seed, run = _safe(cap)
    if not ok:
        low = int(np.argmin(run.in_service))
        raise Incorrect(f"too large: with a cap of {cap:g}, capacity fell to {run.in_service[low] / run.total:.0%} "
                        f"at {timeline.clock(run.t[low])}, below the demand of {run.demand / run.total:.0%}.",
                        case=f"failover left on all morning (no "
                             f"{timeline.PUBLISHED['failover disabled'].clock} switch-off), seed {seed}")
    best = largest_safe_cap()
    if cap < best - Q4_STEP - 1e-9:
        raise Incorrect(f"safe, but not the largest: a cap of {cap:g} keeps capacity above demand, and so do caps "
                        f"up to {best:.2f}. The question asks for the largest safe cap (to {Q4_STEP:g}): the "
                        "smaller the cap, the less failover can do when an AZ really is broken.")


def _propagation():
    """Network Manager on DWFM's published night: the input of every q4 run."""
    return _published_propagation()


@lru_cache(maxsize=1)
def _published_propagation():
    return network_manager.simulate(dwfm.simulate())


def expected_states() -> dict:
    """Return the state of each q5 scenario, as the model classifies it."""
    out = {}
    for name, (load, seconds, _) in SCENARIOS.items():
        # The outage runs from t = 10 s; the scenario looks 60 s after it ended (the last 10 s before then).
        stuck = seconds > 0 and not outcome(_run(load, seconds, horizon=10.0 + seconds + Q5_AFTER))[0]
        out[name] = classify(load, stuck)
    return out


def _check_q5(answer) -> None:
    answer = expect_type(answer, Mapping, "`answer_q5`")
    if set(answer) != set(SCENARIOS):
        missing, extra = sorted(set(SCENARIOS) - set(answer)), sorted(set(answer) - set(SCENARIOS), key=repr)
        detail = (f" Missing: {', '.join(map(str, missing))}." if missing else "") + (
            f" Not a scenario: {', '.join(map(repr, extra))}." if extra else "")
        raise Incorrect(f"`answer_q5` should have one entry per scenario: {', '.join(SCENARIOS)}.{detail}")
    for name, state in answer.items():
        if state is None:
            raise Incorrect(f"scenario {name} is None: give one of {', '.join(map(repr, STATES))}.")
        if not isinstance(state, str):
            raise Incorrect(f"scenario {name}: {state!r} should be a string, one of {', '.join(map(repr, STATES))}.")
        if state not in STATES:
            near = {"stuck": "'metastable'", "overloaded": "'metastable'",
                    "healthy": "'stable' or 'vulnerable' (two states: which one depends on the load)",
                    "recovering": "'stable' (below the hidden capacity a slow recovery still heals itself)"}
            if state.strip().lower() in STATES:
                raise Incorrect(f"scenario {name}: write {state.strip().lower()!r} exactly (lower case), not {state!r}.")
            hint = f" (Did you mean {near[state]}?)" if state in near else ""
            raise Incorrect(f"scenario {name}: {state!r} is not one of {', '.join(map(repr, STATES))}.{hint}")
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
    "Two things limit `allowed`: what the clients want, and how many whole tokens the bucket holds. Earn first "
    "(and cap the bucket), then spend; what is left goes back as `tokens`.",
], chapter="04")
q3 = Exercise("q3", "throttle", _check_q3, [
    "Admit only enough work to keep the queue short enough to finish within the lease timeout.",
    "With short queues the manager's ten hosts finish about 4,900 attempts a minute between them, fewer as the "
    "queues grow, and each host serves its own share of your target; the lease timeout is 10 minutes and the "
    "state checks of held leases wait in the same queues, so keep the target well under 30,000. Admit up to a "
    "target minus what is queued, never below 0 or above the backlog.",
], chapter="04")
q4 = Exercise("q4", "velocity_cap", _check_q4, [
    "Run `nlb.simulate(propagation, velocity_control=c, failover_disabled_at=None, failover_enabled_at=None)` "
    "for a few caps (with `propagation = network_manager.simulate(dwfm.simulate())`) and compare "
    "`in_service.min()` with `demand`.",
    "Node-level removals already take some capacity; the cap must leave room above demand for them. Step the cap "
    "up by 0.01 from a safe value until it stops being safe.",
], chapter="04")
q5 = Exercise("q5", "answer_q5", _check_q5, [
    "Stable / vulnerable is about the load compared with the hidden capacity; metastable is about what happens "
    "after the trigger is gone.",
    "Run each scenario with `simulate(...)` and look at goodput once the trigger has ended.",
], chapter="04")
