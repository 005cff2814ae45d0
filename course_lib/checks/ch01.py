"""Chapter 1 exercises: CAS increment, full jitter, the Route 53 lock batch, fencing, and three predictions."""

from __future__ import annotations

import inspect
import math
import numbers

import numpy as np

from ..contention import simulate
from ..exercises import Exercise, Incorrect, expect_type, learner_call
from ..lock_contention import LOCK_NAME, PLAN_NAME, wait_after_losses
from ..occ import Op, all_schedules, run_schedule
from ..r53lock import holder_of, lock_value, parse_lock
from ..route53 import Change, ChangeRejected, HostedZone, Record
from ..trace import Event, format_swimlanes

__all__ = ["q1", "q2", "q3", "q4", "q5", "q6", "q7"]


# --- q1: a CAS increment with retries, checked over every short schedule ------------------------------

def _guarded(make, key):
    """Wrap the learner's generator so a non-operation or a non-generator becomes a plain-words verdict."""
    gen = learner_call(make, key)
    if not inspect.isgenerator(gen):
        raise Incorrect("`safe_increment(key)` should be a generator function: use `yield read(key)` and "
                        f"`yield cas(...)`, but calling it returned {type(gen).__name__}.")

    def steps():
        try:
            op = gen.send(None)  # learner exceptions keep their frame, so the verdict names the line
            while True:
                if not isinstance(op, Op):
                    raise Incorrect(f"your generator yielded {op!r:.60}; yield only read(key), write(key, value) "
                                    "or cas(key, version, value).")
                answer = yield op
                op = gen.send(answer)
        except StopIteration:
            return
    return steps


def _schedules(names, longest):
    for length in range(longest + 1):
        yield from all_schedules(names, length)


def _stuck_row(run, client: str) -> int:
    """Return the trace index of *client*'s first cas that retried a failed one without reading again."""
    failed = False
    first = None
    for i, e in enumerate(run.trace):
        if e.actor != client:
            continue
        if e.kind == "cas fail":
            if failed:
                return i
            failed, first = True, i if first is None else first
        elif e.kind == "read":
            failed = False
    return first if first is not None else len(run.trace) - 1


def _window(run, mark: int | None, rows: int = 10) -> str:
    """Return the timeline rows around *mark* (about *rows* of them), saying how many were left out."""
    trace = run.trace
    centre = 0 if mark is None else mark
    start = max(0, min(centre - rows // 2, len(trace) - rows))
    end = min(len(trace), start + rows)
    text = format_swimlanes(trace[start:end], run.actors, mark=[] if mark is None else [mark - start])
    notes = []
    if start:
        notes.append(f"{start} earlier steps not shown")
    if end < len(trace):
        notes.append(f"{len(trace) - end} later steps not shown")
    return text + (f"\n({'; '.join(notes)})" if notes else "")


def _diagnose(run, names) -> tuple[str, int] | None:
    """Return (what went wrong, trace row to mark) for one replayed run, or None if it is right.

    The faults are looked for in the order a learner most needs them named: an increment that kept going
    after its success, a value not computed from the latest read, a version that was not the one read, a
    blind write, a loop that never finishes, a client that gave up.
    """
    wins: dict[str, int] = {}
    for i, e in enumerate(run.trace):
        if e.kind not in ("cas ok", "write", "cas fail"):
            continue
        read_value, value = e.data.get("read_value"), e.data.get("value")
        if e.kind != "cas fail":
            wins[e.actor] = wins.get(e.actor, 0) + 1
            if wins[e.actor] == 2:
                return (f"client {e.actor} committed a second increment (the >> row): after its cas answered "
                        "True it went on reading and writing. Return as soon as a cas succeeds.", i)
        if read_value is None:
            return (f"client {e.actor} wrote before reading (the >> row): read the value and version first.", i)
        if isinstance(value, numbers.Real) and isinstance(read_value, numbers.Real) and value != read_value + 1:
            earlier = [r.data["value"] for r in run.trace[:i] if r.actor == e.actor and r.kind == "read"]
            if e.kind != "cas fail" and value - 1 in earlier[:-1]:
                return (f"client {e.actor} wrote x:={value} although its latest read said x={read_value} (the >> "
                        f"row): it read the version again but kept the value from its first read, so the "
                        "retried cas writes a stale value. Take the value from the same read as the version.", i)
            if e.kind != "cas fail":
                return (f"client {e.actor} wrote x:={value} after reading x={read_value} (the >> row): an "
                        "increment writes the value it read plus one.", i)
        if e.kind == "cas fail" and e.data["op_version"] != e.data["read_version"] \
                and e.data["version"] == e.data["read_version"]:
            return (f"client {e.actor}'s cas failed although nobody wrote since its read (the >> row): it passed "
                    f"version {e.data['op_version']}, but read() answered version {e.data['read_version']}. "
                    "Pass the version exactly as read() returned it.", i)
    lost = run.lost_index()
    if lost is not None:
        return (f"lost update: a write based on an old read overwrote another client's increment, so x ended at "
                f"{run.final} instead of {len(names)} (the >> row). Use cas, and retry when it answers False.", lost)
    stuck = [n for n, ok in run.finished.items() if not ok]
    if stuck:
        row = _stuck_row(run, stuck[0])
        again = run.trace[row].kind == "cas fail" and any(
            e.kind == "cas fail" for e in run.trace[:row] if e.actor == stuck[0])
        why = ("it retries the cas with the version that already failed, without reading again (the >> row). "
               "After a failed cas, read again to learn the new version." if again else
               "it keeps going without ever committing its increment.")
        return f"client {stuck[0]} never finished: after {run.steps} steps it was still running; {why}", row
    if run.final < len(names):
        return (f"x ended at {run.final}, not {len(names)}: a client whose cas failed gave up without retrying, "
                "so its increment is missing.", len(run.trace) - 1)
    if run.final > len(names):
        return f"x ended at {run.final}, not {len(names)}: some client incremented more than once.", len(run.trace) - 1
    return None


def check_safe_increment(fn) -> None:
    """Run 2 clients under every schedule up to 8 steps and 3 up to 6; each client must add exactly one."""
    expect_type(fn, type(check_safe_increment), "`safe_increment`")
    for names, longest in ((("A", "B"), 8), (("A", "B", "C"), 6)):
        for schedule in _schedules(names, longest):
            clients = {n: _guarded(fn, "x") for n in names}
            run = run_schedule(clients, schedule, initial=0, max_steps=60)
            fault = _diagnose(run, names)
            if fault is not None:
                case = f"{len(names)} clients, schedule {''.join(schedule) or '(round robin)'}, x starts at 0"
                raise Incorrect(fault[0], case, _window(run, fault[1]))


q1 = Exercise("q1", "safe_increment", check_safe_increment, [
    "Loop: read the value and its version, then yield cas(key, version, value + 1).",
    "The answer to `yield cas(...)` is True or False. On True, return; on False, go round again and read afresh.",
], chapter="01")


# --- q2: full jitter ---------------------------------------------------------------------------------

PREVIOUS = 40.0  # ms: the `previous` sleep the check passes; not base, so a strategy that mixes them up shows it


def _sleeps(fn, attempt, base, cap, rng, n, previous=PREVIOUS) -> np.ndarray:
    draws = []
    for _ in range(n):
        value = learner_call(fn, attempt, previous, base, cap, rng)
        if value is None:
            raise Incorrect(f"for attempt {attempt} your function returned nothing — did you forget `return`?")
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real) or not math.isfinite(value):
            raise Incorrect(f"for attempt {attempt} your function returned {value!r:.40}; return a number of ms.")
        draws.append(float(value))
    return np.array(draws)


def check_full_jitter(fn) -> None:
    """Sample the learner's strategy: rng use, bounds, spread, mean, and the calls it saves at 50 clients."""
    expect_type(fn, type(check_full_jitter), "`my_full_jitter`")
    base, cap = 5.0, 1000.0
    first, again = (_sleeps(fn, 3, base, cap, np.random.default_rng(2015), 50) for _ in range(2))
    if not np.array_equal(first, again):
        raise Incorrect("two generators seeded alike gave different sleeps: your function does not draw from the "
                        "`rng` it is given (Python's `random` or the global `np.random` cannot be seeded by the "
                        "simulator, so runs stop being repeatable). Use rng.uniform(...) or rng.random().",
                        "attempt=3, called 50 times with np.random.default_rng(2015), twice")
    rng = np.random.default_rng(2015)
    for attempt in (0, 1, 3, 6, 8, 12, 30, 60, 1000):
        limit = min(cap, base * 2.0 ** attempt)
        draws = _sleeps(fn, attempt, base, cap, rng, 400)
        case = (f"attempt={attempt}, previous={PREVIOUS:g} ms, base={base:g} ms, cap={cap:g} ms, so "
                f"min(cap, base·2^attempt) = {limit:g} ms")
        if draws.max() > limit * (1 + 1e-9) or draws.min() < 0:
            if base * 2.0 ** attempt > cap:
                why = " Did you forget the cap?"
            elif draws.max() <= 2 * limit * (1 + 1e-9):
                why = (" That is the window of attempt + 1: for attempt 0 the window is base, "
                       "min(cap, base·2^attempt).")
            elif draws.max() <= min(cap, PREVIOUS * 2.0 ** attempt) * (1 + 1e-9) and draws.min() >= 0:
                why = (f" That is the window min(cap, previous·2^attempt) = {min(cap, PREVIOUS * 2.0 ** attempt):g} "
                       "ms: full jitter grows from `base`; `previous` (the last sleep) is only for decorrelated "
                       "jitter.")
            else:
                why = ""
            raise Incorrect(f"a sleep of {draws.max():.4g} ms is outside [0, {limit:g}) ms.{why}", case)
        if np.ptp(draws) < 1e-9:
            if abs(draws[0] - limit) < 1e-9:
                raise Incorrect(f"every call returned {draws[0]:.4g} ms: that is backoff without jitter, so "
                                "clients that failed together retry together and collide again.", case)
            raise Incorrect(f"every call returned the same {draws[0]:.4g} ms: the sleep must be a new random "
                            "draw from `rng` on every call (a generator made inside your function starts over "
                            "each time).", case)
        if abs(draws.mean() - limit / 2) > 0.12 * limit:
            raise Incorrect(f"the sleeps average {draws.mean():.4g} ms but full jitter averages half of "
                            f"{limit:g} ms; draw uniformly from the whole range [0, min(cap, base·2^attempt)).",
                            case)
        if draws.min() > 0.1 * limit:
            raise Incorrect(f"no sleep was shorter than {draws.min():.4g} ms; full jitter starts at 0.", case)
        if np.unique(draws).size < 0.5 * len(draws):
            raise Incorrect(f"only {np.unique(draws).size} different sleeps in {len(draws)} draws: draw a "
                            "continuous uniform time (rng.uniform), not whole numbers.", case)
    mine = learner_call(simulate, 50, fn, base, cap, 0).calls
    plain = simulate(50, "exponential", base, cap, 0).calls
    if mine > 0.7 * plain:
        raise Incorrect(f"with 50 clients your strategy made {mine} calls against {plain} for exponential backoff "
                        "without jitter; full jitter should save at least 30%.")


q2 = Exercise("q2", "my_full_jitter", check_full_jitter, [
    "The ceiling grows like base·2^attempt and stops at cap; the sleep is anywhere between 0 and the ceiling.",
    "`rng` is a numpy Generator: its `uniform(low, high)` draws one number from [low, high).",
], chapter="01")


# --- q3: take the Route 53 lock with one change batch -----------------------------------------------

def _lock(holder: str, until: float) -> Record:
    return Record(LOCK_NAME, "TXT", (lock_value(holder, until),))


def _as_batch(batch, what: str) -> list:
    """Return the learner's batch as a list (a tuple is as good), or raise Incorrect naming what it is."""
    if isinstance(batch, tuple):
        batch = list(batch)
    if not isinstance(batch, list) or not all(isinstance(c, Change) for c in batch):
        raise Incorrect(f"`{what}` should return a list of Change{' or None' if what == 'lock_batch' else ''}, "
                        f"but it returned {batch!r:.80}.")
    return batch


def _batch(fn, seen, holder, now, lease):
    batch = learner_call(fn, seen, holder, now, lease)
    return None if batch is None else _as_batch(batch, "lock_batch")


def _submit(zone, batch, what: str = "lock_batch") -> str:
    if batch is None:
        return "backs off"
    if not batch:
        raise Incorrect(f"`{what}` returned an empty list; " + ("return None to back off." if what == "lock_batch"
                        else "the batch must hold the plan change and the fence."))
    try:
        zone.change(batch)
    except ChangeRejected as why:
        return f"rejected: {why.reason}"
    except (TypeError, ValueError) as why:
        raise Incorrect(f"Route 53 refused the batch `{what}` returned as malformed: {why}") from None
    return "ok"


def _race(fn, start: Record | None, now: float, order: str) -> tuple[HostedZone, list[Event], dict]:
    zone = HostedZone([start] if start else [])
    events, outcome = [], {}
    seen = {who: zone.get(LOCK_NAME, "TXT") for who in "AB"}
    for who in "AB":
        events.append(Event(now, f"Enactor {who}", "read", "absent" if seen[who] is None else seen[who].values[0]))
    for step, who in enumerate(order):
        result = _submit(zone, _batch(fn, seen[who], f"Enactor {who}", now + step, 10.0))
        outcome[who] = result
        events.append(Event(now + step, f"Enactor {who}", "batch", result[:24]))
    return zone, events, outcome


def check_lock_batch(fn) -> None:
    """Check taking a free lock, backing off from a held one, taking over an expired one, and races."""
    expect_type(fn, type(check_lock_batch), "`lock_batch`")
    zone = HostedZone()
    result = _submit(zone, _batch(fn, None, "Enactor A", 100.0, 10.0))
    if result != "ok":
        raise Incorrect(f"taking a free lock failed ({result}).", "no lock record exists, A asks at t=100")
    if holder_of(zone, LOCK_NAME, 105.0) != "Enactor A":
        raise Incorrect("after your batch, the TXT record does not say Enactor A holds the lock until t=110. "
                        "Use lock_value(holder, now + lease).", "no lock record, A asks at t=100, lease 10")
    held = _lock("Enactor C", 120.0)
    zone = HostedZone([held])
    result = _submit(zone, _batch(fn, held, "Enactor A", 110.0, 10.0))
    if result == "ok":
        raise Incorrect("Enactor A took a lock that Enactor C still held until t=120: check the epoch before "
                        "writing and back off (return None).", "C holds until t=120, A asks at t=110")
    expired = _lock("Enactor C", 100.0)
    zone = HostedZone([expired])
    result = _submit(zone, _batch(fn, expired, "Enactor A", 110.0, 10.0))
    if result != "ok" or holder_of(zone, LOCK_NAME, 111.0) != "Enactor A":
        why = "you backed off" if result == "backs off" else f"Route 53 said: {result}"
        raise Incorrect(f"Enactor A did not take over a lock whose lease ran out ({why}). A crashed holder would "
                        "block every Enactor for ever.", "C's lease ended at t=100, A asks at t=110")
    at_expiry = _lock("Enactor C", 110.0)
    zone = HostedZone([at_expiry])
    result = _submit(zone, _batch(fn, at_expiry, "Enactor A", 110.0, 10.0))
    if result != "ok":
        raise Incorrect("at t=110 Enactor A backed off from a lock that C held until t=110: the lease holds while "
                        "its epoch is after now (epoch > now), so at the epoch itself it has expired. Compare with "
                        "`>`, not `>=`.", "C's lease ends at t=110, A asks at t=110")
    own = _lock("Enactor A", 115.0)
    zone = HostedZone([own])
    result = _submit(zone, _batch(fn, own, "Enactor A", 110.0, 10.0))
    if result != "ok" or parse_lock(zone.get(LOCK_NAME, "TXT")) != ("Enactor A", 120.0):
        why = "it backed off" if result == "backs off" else f"Route 53 said: {result}"
        raise Incorrect(f"Enactor A could not renew its own lock ({why}): a holder must be able to extend its "
                        "lease before it runs out, or it loses the lock in the middle of its work. Back off only "
                        "from another holder's live lock.", "A holds until t=115, asks again at t=110 for 10 s")
    for start in (None, expired):
        for order in ("AB", "BA"):
            zone, events, outcome = _race(fn, start, 110.0, order)
            if list(outcome.values()).count("ok") > 1:
                raise Incorrect("both Enactors' batches succeeded after reading the same lock record, so both "
                                "believe they hold the lock. DELETE the exact record you read and CREATE yours "
                                "in one batch, so the second batch fails.",
                                f"lock {'absent' if start is None else 'expired'}; both read, then {order[0]} "
                                f"writes first", format_swimlanes(events, ["Enactor A", "Enactor B"], mark=[3]))


q3 = Exercise("q3", "lock_batch", check_lock_batch, [
    "If `seen` says someone else holds the lock and its epoch is after `now`, return None.",
    "Otherwise one batch: remove exactly the record you read (if there was one) and create yours.",
], chapter="01")


# --- q4: fence the plan write with the lock --------------------------------------------------------

def _plan(generation: int) -> Record:
    return Record(PLAN_NAME, "TXT", (f"generation {generation}",))


def check_fenced_write(fn) -> None:
    """Replay a holder that keeps its lock, one paused past expiry, and one whose lock was released."""
    expect_type(fn, type(check_fenced_write), "`fenced_write`")
    mine = _lock("Enactor A", 10.0)
    write = Change("UPSERT", _plan(5))

    def batch_for():
        batch = learner_call(fn, mine, write)
        if batch is None:
            raise Incorrect("`fenced_write` returned nothing — did you forget `return`?")
        return _as_batch(batch, "fenced_write")

    zone = HostedZone([mine, _plan(4)])
    result = _submit(zone, batch_for(), "fenced_write")
    case = "A holds the lock until t=10 and writes generation 5 at t=3"
    if result != "ok":
        raise Incorrect(f"a holder that still holds the lock could not write ({result}).", case)
    if zone.get(PLAN_NAME, "TXT") != _plan(5):
        raise Incorrect("the batch succeeded but the plan record is not generation 5: include the plan change.", case)
    if zone.get(LOCK_NAME, "TXT") != mine:
        raise Incorrect("after the write the lock record is gone or changed: the fence must leave the lock as it "
                        "was (DELETE it and CREATE it again, unchanged).", case)
    theirs = _lock("Enactor B", 21.0)
    for state, records in (("B took over after A's lease expired", [theirs, _plan(7)]),
                           ("the lock record was deleted", [_plan(7)])):
        zone = HostedZone(records)
        result = _submit(zone, batch_for(), "fenced_write")
        if result == "ok" or zone.get(PLAN_NAME, "TXT") != _plan(7):
            events = [Event(0, "Enactor A", "lock", "until t=10"), Event(1, "Enactor A", "pause", "15 s"),
                      Event(11, "Enactor B", "lock", "A expired"), Event(11, "Enactor B", "write", "gen 7"),
                      Event(16, "Enactor A", "write", "gen 5 (stale)"), Event(16, "Route 53", "active", "gen 5")]
            raise Incorrect("the paused Enactor's stale write went through and replaced generation 7 with 5. "
                            "Put the exact lock record you hold into the batch (DELETE + CREATE) so Route 53 "
                            "rejects it once the lock has changed.", f"{state}; A wakes at t=16 and writes",
                            format_swimlanes(events, ["Enactor A", "Enactor B", "Route 53"], mark=[4]))


q4 = Exercise("q4", "fenced_write", check_fenced_write, [
    "A DELETE only succeeds if the record still has exactly the values you give.",
    "Put the lock record into the same batch twice over: taken out, and put back unchanged.",
], chapter="01")


# --- q5-q7: predict, then run -------------------------------------------------------------------------

def _number(value, what) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise Incorrect(f"{what} should be a number, but it is {type(value).__name__} ({value!r:.40}).")
    return float(value)


SMALL, LARGE = 60, 120  # q5's client counts: the chapter prints 25, 50, 100, 200 -- not these


Q5_TOLERANCE = 0.07  # accepted: within 7 % of the seed-0 ratio; other seeds move it by about 3 %


def check_work_ratio(value) -> None:
    """Compare with simulate(120, 'none').calls / simulate(60, 'none').calls, within 7 %."""
    value = _number(value, "`work_ratio`")
    calls = {(n, s): simulate(n, s, seed=0).calls for n in (SMALL, LARGE) for s in ("none", "full jitter")}
    ratio = calls[LARGE, "none"] / calls[SMALL, "none"]
    jittered = calls[LARGE, "full jitter"] / calls[SMALL, "full jitter"]
    if value <= 0:
        raise Incorrect(f"{value:g} cannot be a ratio of two call counts: both are positive.")
    if abs(value - 1 / ratio) < 0.05:
        raise Incorrect(f"{value:g} is the ratio upside down: calls at {SMALL} clients over calls at {LARGE}. "
                        f"Divide the {LARGE}-client count by the {SMALL}-client count.")
    if abs(value - 4) < 0.08:
        raise Incorrect(f"{value:g} is the textbook N² answer (doubling N quadruples the work). In this simulator "
                        f"rounds overlap, so calls/N² falls as N grows (the chapter's table): the simulator gives "
                        f"{ratio:.2f}.")
    if abs(value - 8) < 0.3:
        raise Incorrect(f"{value:g} would be work growing like N³; it grows a little slower than N². The simulator "
                        f"gives {ratio:.2f}.")
    if abs(value - jittered) < 0.05:
        raise Incorrect(f"{value:g} is the ratio with full jitter; the question is about clients that do not back "
                        "off at all (strategy 'none').")
    if abs(value - 2) < 0.3:
        raise Incorrect(f"{value:g} is about the ratio for completion time (roughly linear in N); work grows "
                        f"nearly like N², and the simulator gives {ratio:.2f}.")
    if abs(value - 1) < 0.2:
        raise Incorrect(f"{value:g} would mean the work does not grow with N at all; every extra client also "
                        f"makes every round longer. The simulator gives {ratio:.2f}.")
    if not (1 - Q5_TOLERANCE) * ratio <= value <= (1 + Q5_TOLERANCE) * ratio:
        raise Incorrect(f"{value:g} is too far from the simulator's {ratio:.2f}: more rounds, and more clients in "
                        "each round, but the rounds overlap.")


q5 = Exercise("q5", "work_ratio", check_work_ratio, [
    "Each round one client wins; every other client makes a call in that round.",
    "The chapter's table shows calls/N² falling as N grows: the rounds overlap, so expect less than the "
    "textbook answer.",
    "The simulator answers it: the `calls` of one run without backoff over the `calls` of the other.",
], chapter="01")


Q6_TOLERANCE = 5e-5  # three significant figures: 0.0778 passes, 0.078 and 0.08 are "close, not precise enough"
Q6_CLOSE = 5e-3  # within this of 0.6**5 (but not within the tolerance) a value is a rounding, not a mistake


def check_five_losses(value) -> None:
    """Compare with 0.6 ** 5 = 0.07776 to three significant figures (independent attempts, each lost w.p. 0.6)."""
    value = _number(value, "`p_five_losses`")
    if abs(value - 100 * 0.6 ** 5) < 0.01:
        raise Incorrect(f"{value:g} looks like a percentage; give the probability as a number between 0 and 1.")
    if value > 1 or value < 0:
        raise Incorrect(f"{value:g} is not a probability; multiply the chances of each loss.")
    if abs(value - 0.6) < 1e-4:
        raise Incorrect(f"{value:g} is the chance of one loss; five losses in a row need all five to happen.")
    if abs(value - 0.4 ** 5) < 1e-4:
        raise Incorrect(f"{value:g} = 0.4⁵ is the chance of winning five times in a row; each loss has chance 0.6.")
    if abs(value - 0.6 ** 5 * 0.4) < 1e-4:
        raise Incorrect(f"{value:g} = 0.6⁵ · 0.4 is the chance of exactly five losses and then a win. 'At least "
                        "five' only needs the first five attempts lost, whatever happens after: drop the · 0.4.")
    if abs(value - (1 - 0.6 ** 5)) < 1e-4:
        raise Incorrect(f"{value:g} = 1 − 0.6⁵ is the chance of winning at least once in the first five "
                        "attempts, the opposite event.")
    if abs(value - 0.6 ** 4) < 1e-4 or abs(value - 0.6 ** 6) < 1e-4:
        raise Incorrect(f"{value:g} multiplies the wrong number of losses: five losses, five factors of 0.6.")
    if abs(value - 0.6 ** 5) > Q6_CLOSE:
        raise Incorrect(f"{value:g} is not right: five independent losses, each with probability 0.6.")
    if abs(value - 0.6 ** 5) > Q6_TOLERANCE:
        raise Incorrect(f"{value:g} is close, but not precise enough: the question asks for three significant "
                        "figures (0.0xyz). Compute it in Python rather than rounding by hand.")


q6 = Exercise("q6", "p_five_losses", check_five_losses, [
    "Independent events: multiply.",
    "'At least five losses in a row' only needs the first five attempts to lose; what comes after does not matter.",
], chapter="01")


Q7_LOSSES, Q7_BASE, Q7_CAP, Q7_CALL = 7, 0.5, 10.0, 0.2  # q7's numbers; the chapter never prints this wait


def check_wait_seven(value) -> None:
    """Compare with wait_after_losses(7, 'exponential', 0.5, 10, 0.2): seven capped sleeps and eight calls."""
    value = _number(value, "`wait_seven_losses`")
    n, base, cap, call = Q7_LOSSES, Q7_BASE, Q7_CAP, Q7_CALL
    right = wait_after_losses(n, "exponential", base, cap, call)
    sleeps = right - (n + 1) * call
    uncapped = sum(base * 2 ** j for j in range(n))

    def near(x: float) -> bool:
        return abs(value - x) < 0.05

    if near(right):
        return
    if abs(value - 1000 * right) < 50:
        raise Incorrect(f"{value:g} looks like milliseconds; the question asks for seconds.")
    doubled_start = sum(min(cap, base * 2 ** (j + 1)) for j in range(n))
    if near(doubled_start + (n + 1) * call) or near(doubled_start):
        raise Incorrect(f"{value:g} s starts the doubling at {2 * base:g} s: the first sleep is base = {base:g} s "
                        f"(min(cap, base·2^j) for j = 0, 1, …).")
    eight = wait_after_losses(n + 1, "exponential", base, cap, call) - (n + 2) * call
    if near(eight + (n + 1) * call) or near(eight + (n + 2) * call):
        raise Incorrect(f"{value:g} s counts {n + 1} sleeps; an Enactor sleeps after each loss, so {n} times "
                        "(none after the winning call).")
    if near(sleeps):
        raise Incorrect(f"{value:g} s counts the sleeps but not the {n + 1} calls of {call:g} s "
                        f"({n} lost, 1 won).")
    if near(sleeps + n * call):
        raise Incorrect(f"{value:g} s counts {n} calls, but the Enactor makes {n + 1}: {n} that lose and the "
                        "one that wins.")
    if near(uncapped + (n + 1) * call) or near(uncapped) or near(uncapped + n * call):
        raise Incorrect(f"{value:g} s forgets the cap: no sleep is longer than {cap:g} s, so the last sleeps are "
                        f"{cap:g} s, not {base * 2 ** (n - 2):g} and {base * 2 ** (n - 1):g} s.")
    if any(near(base * 2 ** j) or near(min(cap, base * 2 ** j)) for j in range(n - 1, n + 1)):
        raise Incorrect(f"{value:g} s is a single sleep; an Enactor that loses {n} times sleeps {n} times "
                        f"({base:g}, {2 * base:g}, {4 * base:g}, … s) — add them all up, and the calls.")
    raise Incorrect(f"{value:g} s is not right: add {n} sleeps min({cap:g}, {base:g}·2^j) for j = 0..{n - 1} "
                    f"and {n + 1} calls of {call:g} s.")


q7 = Exercise("q7", "wait_seven_losses", check_wait_seven, [
    "The sleeps double from 0.5 s until the cap stops the doubling.",
    "Count the calls too: every lost attempt and the winning one each take a call.",
], chapter="01")
