"""Chapter 1 models: the versioned store and its scheduler, the Route 53 zone semantics and the lock."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from course_lib import r53lock
from course_lib.lock_contention import LOCK_NAME, PLAN_NAME, fenced_batch, paused_holder
from course_lib.occ import (
    Op,
    VersionedStore,
    all_interleavings,
    all_schedules,
    blind_increment,
    cas,
    cas_increment,
    read,
    run_schedule,
    write,
)
from course_lib.route53 import Change, ChangeRejected, HostedZone, Record

NAMES = ("A", "B", "C")
schedules = st.lists(st.sampled_from(NAMES), max_size=30)


def test_store_cas_checks_version():
    """A CAS with the current version writes and bumps the version; a stale one changes nothing."""
    store = VersionedStore({"x": 0})
    assert store.cas("x", 0, 5) and store.read("x") == (5, 1)
    assert not store.cas("x", 0, 9) and store.read("x") == (5, 1)
    assert store.write("x", 7) == 2


def test_store_rejects_non_operations():
    """Applying something that is not an Op raises a TypeError naming it."""
    with pytest.raises(TypeError, match="operation"):
        VersionedStore().apply(("read", "x"))


def test_lost_update_on_interleaved_schedule():
    """Two blind increments interleaved read-read-write-write lose one update, and the trace marks it."""
    run = run_schedule({"A": blind_increment, "B": blind_increment}, "ABAB")
    assert run.final == 1 and run.lost_updates == 1 and run.lost_index() == 3


def test_no_lost_update_when_serial():
    """Blind increments run one after the other are correct: the bug needs an interleaving."""
    run = run_schedule({"A": blind_increment, "B": blind_increment}, "AABB")
    assert run.final == 2 and run.lost_updates == 0 and run.lost_index() is None


@settings(max_examples=150, deadline=None)
@given(schedules, st.integers(2, 3), st.integers(-5, 5))
def test_cas_never_loses_an_update(schedule, n, initial):
    """Under any schedule, n CAS increments all finish and add exactly n."""
    names = NAMES[:n]
    run = run_schedule({c: cas_increment for c in names}, [c for c in schedule if c in names], initial=initial)
    assert all(run.finished.values())
    assert run.final == initial + n and run.lost_updates == 0 and run.lost_index() is None


def test_some_schedule_loses_without_cas():
    """Among all 4-step schedules, at least one loses an update without CAS."""
    lost = [s for s in all_schedules("AB", 4)
            if run_schedule({"A": blind_increment, "B": blind_increment}, s).lost_updates]
    assert lost and ("A", "B", "A", "B") in lost


def test_interleavings_of_two_blind_increments():
    """Two clients of two steps have C(4,2) = 6 distinct interleavings, of which 4 lose an update (ABAB among them)."""
    found = list(all_interleavings({"A": 2, "B": 2}))
    assert len(found) == len(set(found)) == 6
    lost = [s for s in found if run_schedule({"A": blind_increment, "B": blind_increment}, s).lost_updates]
    assert len(lost) == 4 and ("A", "B", "A", "B") in lost
    assert ("A", "A", "B", "B") not in lost and ("B", "B", "A", "A") not in lost


@settings(max_examples=50, deadline=None)
@given(st.dictionaries(st.sampled_from("ABCD"), st.integers(0, 3), min_size=1))
def test_interleavings_are_distinct_and_complete(steps):
    """Each interleaving names every client exactly its number of steps, and there are multinomial-many of them."""
    from math import factorial, prod
    found = list(all_interleavings(steps))
    assert len(found) == len(set(found))
    assert len(found) == factorial(sum(steps.values())) // prod(factorial(n) for n in steps.values())
    assert all(s.count(name) == n for s in found for name, n in steps.items())


def test_interleavings_validate():
    """A negative step count or too long an interleaving raises ValueError naming it."""
    with pytest.raises(ValueError, match="steps"):
        list(all_interleavings({"A": -1}))
    with pytest.raises(ValueError, match="at most 12"):
        list(all_interleavings({"A": 7, "B": 7}))


def test_scheduler_is_deterministic_and_stops_runaways():
    """The same schedule gives the same trace; a client that never succeeds is reported unfinished."""
    def stuck(key="x"):
        value, version = yield read(key)
        while not (yield cas(key, version + 1, value)):
            pass
    a = run_schedule({"A": cas_increment, "B": cas_increment}, "ABBA")
    b = run_schedule({"A": cas_increment, "B": cas_increment}, "ABBA")
    assert a.trace == b.trace
    run = run_schedule({"A": stuck}, "", max_steps=20)
    assert run.steps == 20 and not run.finished["A"]


def test_scheduler_validates():
    """Unknown client names and empty client sets raise ValueError."""
    with pytest.raises(ValueError, match="unknown client"):
        run_schedule({"A": cas_increment}, "AZ")
    with pytest.raises(ValueError, match="at least one"):
        run_schedule({}, "")
    assert isinstance(write("x", 1), Op)


# --- Route 53 zone semantics -------------------------------------------------------------------------

def rec(name, value, type_="TXT"):
    return Record(name, type_, (value,))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["CREATE", "DELETE", "UPSERT"]), st.sampled_from("abc"),
                          st.sampled_from("12")), min_size=1, max_size=5))
def test_batches_are_all_or_nothing(changes):
    """A batch either applies completely or leaves the zone exactly as it was."""
    zone = HostedZone([rec("a", "1"), rec("b", "2")])
    before = zone.records()
    expected, ok = {r.name: r for r in before}, True  # oracle: apply the changes one by one to a dict
    for action, name, value in changes:
        r = rec(name, value)
        if (action == "CREATE" and name in expected) or (action == "DELETE" and expected.get(name) != r):
            ok = False
            break
        if action == "DELETE":
            del expected[name]
        else:
            expected[name] = r
    applied = zone.try_change([Change(action, rec(name, value)) for action, name, value in changes])
    assert applied == ok
    assert zone.records() == (sorted(expected.values(), key=lambda r: r.name) if ok else before)


def test_delete_must_match_exactly():
    """DELETE with a different value is rejected; with the exact value it works."""
    zone = HostedZone([rec("a", "1")])
    with pytest.raises(ChangeRejected, match="exactly"):
        zone.change([Change("DELETE", rec("a", "2"))])
    zone.change([Change("DELETE", rec("a", "1"))])
    assert zone.get("a", "TXT") is None


def test_create_existing_is_rejected():
    """CREATE of an existing record set is rejected and nothing in its batch is applied."""
    zone = HostedZone([rec("a", "1")])
    with pytest.raises(ChangeRejected, match="already exists"):
        zone.change([Change("UPSERT", rec("b", "9")), Change("CREATE", rec("a", "3"))])
    assert zone.get("b", "TXT") is None


# --- the lock ----------------------------------------------------------------------------------------

steps = st.lists(st.tuples(st.sampled_from("ABC"), st.sampled_from(["read", "write", "release"]),
                           st.floats(0, 3)), max_size=40)


@settings(max_examples=150, deadline=None)
@given(steps, st.floats(1, 20))
def test_lock_mutual_exclusion_with_stale_reads(ops, lease):
    """Over random schedules of reads and (possibly stale) acquires, at most one Enactor holds a live lease."""
    zone, now, seen = HostedZone(), 0.0, {}
    holds: dict[str, float] = {}  # who believes they hold the lock, and until when
    for who, kind, dt in ops:
        now += dt
        if kind == "read":
            seen[who] = zone.get(LOCK_NAME, "TXT")
        elif kind == "write" and r53lock.try_acquire(zone, LOCK_NAME, who, now, lease, seen=seen.get(who, False)):
            others = [w for w, until in holds.items() if w != who and until > now]
            assert not others, f"{who} took the lock at t={now:g} while {others} still held a live lease"
            holds[who] = float(zone.get(LOCK_NAME, "TXT").values[0].split()[1])
        elif kind == "release" and r53lock.release(zone, LOCK_NAME, who):
            holds.pop(who, None)


def test_two_enactors_same_read_only_one_wins():
    """Two Enactors that read the same (absent or expired) lock cannot both take it."""
    for start in ([], [rec(LOCK_NAME, r53lock.lock_value("C", 5))]):
        zone = HostedZone(start)
        seen = zone.get(LOCK_NAME, "TXT")
        wins = [r53lock.try_acquire(zone, LOCK_NAME, w, 10.0, 10.0, seen=seen) for w in "AB"]
        assert wins == [True, False]


def test_paused_holder_writes_stale_plan_without_fencing():
    """A holder paused past its lease wakes and overwrites the newer plan when nothing fences it."""
    result = paused_holder(pause=15, lease=10, fencing="none")
    assert result.takeover and result.stale_write_applied and result.active_generation == 5


@pytest.mark.parametrize("fencing", ["lock", "generation"])
def test_fencing_stops_the_stale_writer(fencing):
    """A lock-record or generation check inside the write batch rejects the stale write."""
    result = paused_holder(pause=15, lease=10, fencing=fencing)
    assert result.takeover and not result.stale_write_applied and result.active_generation == 7
    assert result.trace[-2].kind == "rejected"


def test_short_pause_needs_no_fence():
    """A pause shorter than the lease keeps the lock, so the write is not stale."""
    result = paused_holder(pause=5, lease=10, fencing="none")
    assert not result.takeover and not result.stale_write_applied


def test_fenced_batch_keeps_lock_and_writes():
    """A fenced batch by the current holder writes the plan and leaves the lock unchanged."""
    lock = rec(LOCK_NAME, r53lock.lock_value("A", 10))
    zone = HostedZone([lock])
    zone.change(fenced_batch(lock, [Change("UPSERT", rec(PLAN_NAME, "generation 3"))]))
    assert zone.get(LOCK_NAME, "TXT") == lock and zone.get(PLAN_NAME, "TXT").values == ("generation 3",)


def test_paused_holder_validates():
    """Unknown fencing modes and negative pauses raise ValueError naming the parameter."""
    with pytest.raises(ValueError, match="fencing"):
        paused_holder(fencing="magic")
    with pytest.raises(ValueError, match="pause"):
        paused_holder(pause=-1)


@settings(max_examples=100, deadline=None)
@given(st.floats(0, 40), st.floats(1, 30), st.sampled_from(["none", "lock", "generation"]))
def test_paused_holder_any_pause(pause, lease, fencing):
    """For any pause and lease: B takes over only after A's lease ends; a lock fence never lets the stale write land,
    and a generation fence lets it land only before B's newer plan (which then replaces it)."""
    result = paused_holder(pause=pause, lease=lease, fencing=fencing)
    takeover_at = [e.time for e in result.trace if e.actor == "Enactor B" and e.kind == "lock"]
    assert all(t >= round(lease) for t in takeover_at)
    if fencing == "none":
        assert result.stale_write_applied == result.takeover
    elif fencing == "lock":
        assert not result.stale_write_applied
    assert fencing == "none" or result.active_generation == (7 if result.takeover else 5)


def test_the_lock_has_one_record_name():
    """The lock simulator, the paused-holder replay and the exercises use the DNS layout's lock record name."""
    from course_lib.dns.layout import REGIONAL_ENDPOINT, lock_name
    assert lock_name(REGIONAL_ENDPOINT) == LOCK_NAME
    result = paused_holder(pause=15, lease=10)
    assert result.takeover
    from course_lib.checks import ch01
    assert ch01.LOCK_NAME == LOCK_NAME
