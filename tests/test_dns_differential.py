"""The model checker and the event simulator are one system: counterexamples replay, verdicts agree.

Both views build on ``course_lib.dns`` (layout, rules, properties).  Here they check each other:

1. every counterexample the checker finds over a sweep of sizes and fix sets replays in the event
   simulator (``dns_race.replay``: the simulator's own strategies on a Route 53 ``HostedZone``) to the same
   violated property, first violated at the same step, with the same zone after every step;
2. sampled simulator runs (``run_random`` seeds) map onto checker states on which the checker's property
   functions give the simulator's verdicts, event by event.
"""

import itertools

import pytest

from course_lib import enactor_model as em
from course_lib.dns.properties import Snapshot
from course_lib.dns.rules import FIXES
from course_lib.dns_race import ReplayMismatch, replay, run_random
from course_lib.modelcheck import check_each

SAFETY = ("record never empty", "applied generation never decreases", "active plan never deleted")
FIX_SETS = [(), *((f,) for f in FIXES)]
SIZES = list(itertools.product((2, 3), (3, 4, 5), (1, 2), (1, 2, 3)))  # enactors, generations, endpoints, K
CONFIGS = [(*size, fixes) for size in SIZES for fixes in FIX_SETS]


def checker_snapshot(z) -> Snapshot:
    """Return the checker state's zone as the properties see it (one set of stored trees for all endpoints)."""
    return Snapshot.uniform(z.alias, z.stored)


def replayed_snapshots(result, n_steps: int) -> list[Snapshot]:
    """Return the simulator's zone after each replayed step."""
    snaps, current, events = [], result.initial, 0
    for i in range(n_steps):
        while events < len(result.trace) and result.step_of_event[events] == i:
            current = result.trace[events].data.get("snapshot", current)
            events += 1
        snaps.append(current)
    return snaps


def first_violation_step(result, name: str) -> int | None:
    """Return the index of the replayed step at which the simulator's verdict on *name* first failed."""
    v = result.verdicts()[name]
    return None if v.holds else result.step_of_event[v.first_violation_index]


def counterexamples():
    """Yield (config, property, checker Result) for every safety violation the checker finds in the sweep."""
    for enactors, generations, endpoints, K, fixes in CONFIGS:
        model = em.enactor_model(enactors, generations, endpoints, K, fixes, symmetry=True)
        for name, res in check_each(model, max_states=200_000).items():
            if name in SAFETY and not res.holds:
                yield (enactors, generations, endpoints, K, fixes), name, res


@pytest.fixture(scope="module")
def found():
    return list(counterexamples())


def test_the_sweep_finds_counterexamples_for_every_property_and_fix(found):
    """The sweep is not vacuous: each property fails somewhere without fixes, and the race needs g >= K + 2."""
    assert {name for cfg, name, _ in found if cfg[4] == ()} == set(SAFETY)
    # Without fixes the record empties exactly where the race is possible: g >= K + 2 generations.
    empties = {cfg[:4] for cfg, name, _ in found if cfg[4] == () and name == "record never empty"}
    assert empties == {size for size in SIZES if size[1] >= size[3] + 2}
    # recheck_at_write alone removes every safety violation in every size of the sweep
    assert not [c for c in found if c[0][4] == ("recheck_at_write",)]


def test_every_counterexample_replays_to_the_same_violation(found):
    """Each counterexample runs in the simulator, step for step, to the same property at the same step."""
    assert found
    for (enactors, _generations, endpoints, K, fixes), name, res in found:
        where = f"{res.model}, '{name}'"
        try:
            result = replay(res.actions, enactors=enactors, endpoints=endpoints, K=K, fixes=fixes)
        except ReplayMismatch as exc:
            pytest.fail(f"{where}: the simulator would not take the checker's step: {exc}")
        assert first_violation_step(result, name) == len(res.actions) - 1, where
        # Before the last step every checked property held in both; after it, both agree on all three.
        for prop in SAFETY:
            checker_first = next((i for i, z in enumerate(res.trace[1:]) if not em.PROPERTIES[prop](z)), None)
            assert first_violation_step(result, prop) == checker_first, f"{where}: '{prop}' differs"


def test_replayed_zone_matches_the_checker_state_after_every_step(found):
    """After each step the simulator's Route 53 zone is the checker's state (aliases and stored trees)."""
    for (enactors, _generations, endpoints, K, fixes), name, res in found:
        result = replay(res.actions, enactors=enactors, endpoints=endpoints, K=K, fixes=fixes)
        sim = replayed_snapshots(result, len(res.actions))
        for i, z in enumerate(res.trace[1:]):
            assert sim[i] == checker_snapshot(z), f"{res.model} '{name}', after step {i}: {res.actions[i]}"
        assert result.frozen == res.trace[-1].frozen


def test_a_recoverability_counterexample_replays_to_a_stuck_zone():
    """The checker's stuck state is the simulator's stuck zone: an alias pointing at a deleted tree."""
    res = check_each(em.enactor_model(2, 4, 1, 2, ()))["recoverability"]
    result = replay(res.actions, enactors=2, endpoints=1, K=2)
    assert result.stuck and not result.verdicts()["record never empty"].holds


def checker_state(result, index: int):
    """Map the simulator's run after event *index* onto a checker state (the Route 53 part; Enactors idle).

    History flags come from the simulator's own event records (an apply to an older generation; a delete
    of a tree an alias pointed at), not from the shared properties, so the comparison is not circular.
    """
    snap, last_plan = result.initial, 1
    regressed = deleted_active = frozen = False
    for e in result.trace[: index + 1]:
        snap = e.data.get("snapshot", snap)
        last_plan = e.data.get("generation", last_plan) if e.kind == "plan" else last_plan
        regressed |= e.kind == "apply" and e.data["previous"] is not None and e.data["generation"] < e.data["previous"]
        deleted_active |= bool(e.data.get("deleted_active"))
        frozen |= e.kind == "freeze"
    union = frozenset().union(*snap.trees)
    # A generation counts as stored unless some endpoint's alias points at it while that endpoint's tree is gone.
    stored = frozenset(g for g in union | set(snap.aliases) - {None}
                       if all(g in t for a, t in zip(snap.aliases, snap.trees, strict=True) if a == g))
    return em.Zone(latest=last_plan, stored=stored, alias=snap.aliases, enactors=(),
                   frozen=frozen, regressed=regressed, deleted_active=deleted_active)


@pytest.mark.parametrize("fixes", FIX_SETS)
def test_sampled_simulator_runs_map_onto_checker_states_with_the_same_verdicts(fixes):
    """For 30 seeds (K 1-3, 1-3 endpoints), after every zone change, checker and simulator verdicts agree."""
    violated = set()
    for seed in range(30):
        result = run_random(seed, fixes, K=1 + seed % 3, n_endpoints=1 + (seed // 3) % 3)
        verdicts = result.verdicts()
        so_far = dict.fromkeys(SAFETY, True)  # the checker's verdict on every state up to this event
        for i, e in enumerate(result.trace):
            if "snapshot" not in e.data:
                continue
            z = checker_state(result, i)
            for name in SAFETY:
                so_far[name] &= em.PROPERTIES[name](z)
                v = verdicts[name]
                sim_holds = v.holds or v.first_violation_index > i
                assert so_far[name] == sim_holds, f"seed {seed}, event {i}: '{name}'"
                if not sim_holds:
                    violated.add(name)
    if not fixes:
        assert violated == set(SAFETY)  # the sample is not vacuous: the race happens in these seeds
    if fixes == ("recheck_at_write",):
        assert not violated


def test_chapter_2_states_the_sizes_this_test_covers():
    """Chapter 2's sentence on what is exhaustively cross-checked names exactly this test's sweep."""
    from pathlib import Path

    import nbformat

    def span(values):
        return f"{min(values)}–{max(values)}"

    e, g, m, k = (sorted({size[i] for size in SIZES}) for i in range(4))
    words = f"{span(e)} Enactors x {span(g)} generations x {span(m)} endpoints x K {span(k)}"
    nb = nbformat.read(Path(__file__).parent.parent / "notebooks" / "02_enactor_race.ipynb", 4)
    printed = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert words in printed, words
    assert any("at least K + 2 generations" in c.source for c in nb.cells)


def test_replay_refuses_steps_the_simulator_would_not_take():
    """A step the simulator's strategies refuse is a ReplayMismatch naming the step, not a silent divergence."""
    with pytest.raises(ReplayMismatch, match="holds no plan"):
        replay([("Enactor 1", "apply", "plan 2 to regional")], enactors=1, endpoints=1)
    publish_take = [("Planner", "publish", "plan 2"), ("Enactor 1", "take", "plan 2")]
    with pytest.raises(ReplayMismatch, match="skipped"):  # with the fence, plan 2 over plan 3 is a skip, not an apply
        replay([*publish_take, ("Planner", "publish", "plan 3"), ("Enactor 2", "take", "plan 3"),
                ("Enactor 2", "apply", "plan 3 to regional"), ("Enactor 1", "apply", "plan 2 to regional")],
               enactors=2, endpoints=1, fixes=("recheck_at_write",))
    with pytest.raises(ReplayMismatch, match="only a frozen zone"):
        replay([("Operator", "repair", "")], enactors=1, endpoints=1)
    with pytest.raises(ValueError, match="unknown step kind"):
        replay([("Planner", "explode", "")])
    with pytest.raises(ValueError, match="unknown actor"):
        replay([("Enactor 9", "take", "")], enactors=2)
    with pytest.raises(TypeError, match="steps"):
        replay("publish")
