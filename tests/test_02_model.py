"""Chapter 2 model: the published race, properties, fixes, determinism, validation and accounting."""

from __future__ import annotations

import dataclasses
import math

import matplotlib.pyplot as plt
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from course_lib.dns import FIXES, REGIONAL_ENDPOINT, alias_record, tree_generation, tree_name, tree_record
from course_lib.dns_race import (
    ENDPOINTS,
    PROPERTIES,
    PUBLISHED,
    RaceResult,
    fenced_delete,
    pes_steps,
    run_published,
    run_random,
    run_scenario,
    slow_run_finished,
    summarize,
)
from course_lib.dns_race_montecarlo import p_at_least_one, race_curve, race_probability, runs_per_year
from course_lib.dns_race_properties import became_stale_index
from course_lib.events import Scheduler
from course_lib.experiments.ch02 import experiment
from course_lib.plots.dns_race import RACE_GRID, draw_architecture, draw_race, draw_race_curve, step_labels
from course_lib.route53 import Change, HostedZone

ALL = tuple(PROPERTIES)
# Which properties each single fix guarantees (the chapter's claim, also the answer to exercise 5).
CLAIMS = {
    "recheck_at_write": ALL,
    "protect_active": ("record never empty", "active plan never deleted"),
    "freeze_on_inconsistency": ("record never empty", "active plan never deleted"),
}
SCHEDULES = dict(seed=st.integers(0, 10**6), K=st.integers(1, 6), period=st.sampled_from([0.25, 0.5, 1.0, 2.0]),
                 n_endpoints=st.integers(1, 3), sigma=st.floats(0.0, 2.5), loss_prob=st.floats(0.0, 0.8))


def holds(result) -> dict[str, bool]:
    return {name: v.holds for name, v in result.verdicts().items()}


def test_contract_names():
    """The names other chapters rely on have their agreed values."""
    assert REGIONAL_ENDPOINT == "dynamodb.us-east-1.amazonaws.com" and ENDPOINTS[0] == REGIONAL_ENDPOINT
    assert FIXES == ("recheck_at_write", "protect_active", "freeze_on_inconsistency")
    assert list(PROPERTIES) == ["record never empty", "applied generation never decreases", "active plan never deleted"]
    assert tree_generation(tree_name(12, ENDPOINTS[1])) == 12


def test_published_trace_contains_pes_steps_in_order():
    """The published trace holds PES steps 1-7 in order, each of the right kind."""
    r = run_published()
    s = pes_steps(r)
    assert all(s[k] is not None for k in range(1, 8)), s
    assert [s[k] for k in range(1, 8)] == sorted(s[k] for k in range(1, 8))
    t = r.trace
    assert t[s[1]].actor == "Enactor 1" and t[s[1]].kind == "check" and t[s[1]].data["fresh"]
    lost = {e.data["endpoint"] for e in t[s[1]:s[5]] if e.actor == "Enactor 1" and e.kind == "lock lost"}
    assert len(lost) >= 2  # retried on several endpoints
    assert t[s[2]].actor == "Planner"
    assert t[s[3]].actor == "Enactor 2" and t[s[3]].kind == "done"
    assert t[s[4]].kind == "clean-up start" and t[s[4]].data["by"] == "Enactor 2"
    assert t[s[5]].actor == "Enactor 1" and t[s[5]].data["generation"] < t[s[5]].data["previous"]
    assert t[s[6]].data["deleted_active"] == [REGIONAL_ENDPOINT]
    assert t[s[6]].data["answers"][REGIONAL_ENDPOINT] == ()
    assert t[s[7]].kind == "blocked"
    assert s[1] < became_stale_index(r, s[1]) < s[5]


def test_published_end_state_is_the_chapter5_zone():
    """After the race the regional alias points at a deleted tree while newer rollback trees remain."""
    r = run_published()
    alias = r.zone.get(REGIONAL_ENDPOINT, "ALIAS")
    assert alias is not None and r.zone.get(alias.values[0]) is None
    assert r.zone.resolve(REGIONAL_ENDPOINT) == ()
    newer = [rec for rec in r.zone.records() if rec.type == "A" and tree_generation(rec.name) > tree_generation(alias.values[0])]
    assert any(rec.name == tree_name(9, REGIONAL_ENDPOINT) for rec in newer)
    assert r.stuck and not r.frozen and r.answers[-1][1] == ()


def test_published_violates_every_property():
    """Without fixes, all three properties fail on the published scenario."""
    assert holds(run_published()) == dict.fromkeys(ALL, False)


@pytest.mark.parametrize("fix", FIXES)
def test_each_fix_claims_hold_on_published(fix):
    """Each single fix guarantees exactly its claimed properties on the published scenario."""
    r = run_published((fix,))
    assert holds(r) == {name: name in CLAIMS[fix] for name in ALL}
    assert not r.stuck


def test_fix2_alone_gives_stale_but_non_empty_answer():
    """With protect_active only, the old plan still overwrites the newer one but the record stays non-empty."""
    r = run_published(("protect_active",))
    assert all(answer for _, answer in r.answers)
    assert (8.85, 2) in r.active  # plan 2 went live over plan 9


def test_fix3_freezes_and_alarms():
    """With freeze_on_inconsistency only, clean-up freezes the automation and raises one alarm."""
    r = run_published(("freeze_on_inconsistency",))
    assert r.frozen and len(r.alarms) == 1 and "active" in r.alarms[0]
    assert any(e.kind == "frozen" for e in r.trace)


@pytest.mark.parametrize("fix", FIXES)
@settings(max_examples=40, deadline=None)
@given(**SCHEDULES)
def test_each_fix_claims_hold_on_generated_schedules(fix, seed, K, period, n_endpoints, sigma, loss_prob):
    """Each fix's claimed properties hold on Hypothesis-generated schedules."""
    r = run_random(seed, (fix,), K=K, period=period, n_endpoints=n_endpoints, sigma=sigma, loss_prob=loss_prob,
                   horizon=25.0)
    verdicts = r.verdicts()
    for name in CLAIMS[fix]:
        assert verdicts[name].holds, verdicts[name]


def test_random_schedules_do_break_without_fixes():
    """Random schedules without fixes break each property on some seed (the generated tests have teeth)."""
    broken = set()
    for seed in range(15):
        broken |= {name for name, ok in holds(run_random(seed)).items() if not ok}
    assert broken == set(ALL)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10**6))
def test_runs_and_lock_attempts_are_conserved(seed):
    """Every Enactor run is done, blocked, frozen or pending; every lock attempt is won or lost."""
    for r in (run_random(seed), run_published()):
        runs, locks = r.runs, r.locks
        assert runs["started"] == runs["done"] + runs["blocked"] + runs["frozen"] + runs["pending"]
        assert locks["attempts"] == locks["won"] + locks["lost"]
        assert runs["pending"] in (0, 1, 2, 3)


def test_determinism_per_seed():
    """The same seed gives the same trace; different seeds give different traces."""
    a, b, c = run_random(7), run_random(7), run_random(8)
    assert [str(e) for e in a.trace] == [str(e) for e in b.trace]
    assert [e.data for e in a.trace] == [e.data for e in b.trace]
    assert [str(e) for e in a.trace] != [str(e) for e in c.trace]
    assert [str(e) for e in run_published().trace] == [str(e) for e in run_published().trace]


@settings(max_examples=50, deadline=None)
@given(seed=st.integers(0, 10**6), name=st.text(max_size=30))
def test_resolve_never_raises(seed, name):
    """resolve() on any name of any final zone returns a tuple and never raises."""
    r = run_random(seed)
    for n in (name, *r.endpoints, tree_name(1, REGIONAL_ENDPOINT)):
        assert isinstance(r.zone.resolve(n), tuple)


def test_scheduler_orders_ties_by_priority_then_arrival():
    """Processes due at the same time resume by priority, then in the order they were scheduled."""
    sim, seen = Scheduler(), []

    def proc(name):
        yield 1.0
        seen.append((sim.now, name))

    sim.process(proc("b"), priority=1)
    sim.process(proc("c"), priority=1)
    sim.process(proc("a"), priority=0)
    sim.run(until=5)
    assert seen == [(1.0, "a"), (1.0, "b"), (1.0, "c")]


@pytest.mark.parametrize(("kwargs", "fragment"), [
    (dict(period=0), "period"), (dict(K=0), "K"), (dict(n_endpoints=0), "n_endpoints"),
    (dict(slow_delay=-1.0), "slow_delay"), (dict(endpoint_time=-0.1), "endpoint_time"),
    (dict(fixes=("make_it_work",)), "fix"), (dict(colour=1), "unknown parameter"),
    (dict(retry_after=0.0), "retry_after"), (dict(run_interval=0.0), "run_interval"),
])
def test_bad_input_names_the_parameter(kwargs, fragment):
    """Bad parameters raise ValueError naming the parameter."""
    with pytest.raises(ValueError, match=fragment):
        run_scenario(**kwargs)


def test_bad_input_random_and_helpers():
    """run_random, tree_name and the Monte Carlo validate their inputs."""
    with pytest.raises(ValueError, match="sigma"):
        run_random(1, sigma=-1.0)
    with pytest.raises(ValueError, match="seed"):
        run_random(-1)
    with pytest.raises(ValueError, match="generation"):
        tree_name(0, REGIONAL_ENDPOINT)
    with pytest.raises(TypeError, match="fixes"):
        run_published("protect_active")
    with pytest.raises(ValueError, match="K"):
        race_probability(1.0, K=0)
    with pytest.raises(ValueError, match="p_run"):
        p_at_least_one(1.5, 10)


def test_experiment_and_summary():
    """The widget's compute reproduces the published race and the summary names each property."""
    r = experiment()
    assert isinstance(r, RaceResult) and r.stuck
    text = summarize(r)
    assert all(name in text for name in ALL) and "STUCK" in text
    assert "FROZEN" in summarize(experiment(freeze_on_inconsistency=True))
    assert holds(experiment(slow_delay=0.5)) == {ALL[0]: True, ALL[1]: False, ALL[2]: True}


def test_monte_carlo_probability_grows_with_tail_and_is_deterministic():
    """P(race) per run rises with the delay tail and is the same for the same seed."""
    curve = race_curve([0.8, 1.0, 1.2, 1.5], n_runs=5_000, seed=3)
    p = [e.p_run for e in curve]
    assert p == sorted(p) and p[0] > 0
    assert race_probability(1.2, seed=3).p_run == race_probability(1.2, seed=3).p_run


def test_conditional_monte_carlo_agrees_with_plain_sampling():
    """The conditional estimator agrees with plain sampling where plain sampling can see the event."""
    est = race_probability(1.5, n_runs=20_000, seed=1)
    rng = np.random.default_rng(9)
    walk = rng.lognormal(math.log(0.05), 1.5, (200_000, 3)).sum(axis=1)
    plain = float((walk >= 5.0).mean())
    assert abs(est.p_stale - plain) < 4 * math.sqrt(plain / 200_000) + 4 * est.stderr / est.p_overlap


def test_p_at_least_one_is_accurate_for_tiny_p():
    """p_at_least_one matches 1 - (1 - p)^n and stays accurate for tiny p."""
    assert p_at_least_one(0.0, 1e9) == 0.0 and p_at_least_one(1.0, 3) == 1.0
    assert math.isclose(p_at_least_one(1e-12, 1e6), 1e-6, rel_tol=1e-6)
    assert math.isclose(p_at_least_one(0.1, 3), 1 - 0.9**3)
    assert math.isclose(runs_per_year(60.0, 3), 3 * 525_600)


def test_plots_draw_without_error():
    """The chapter's plot helpers draw the published race, the architecture and the curve."""
    r = run_published()
    _, axes = plt.subplots(2, 1, sharex=True, gridspec_kw=RACE_GRID)
    draw_race(axes, r, highlight=step_labels(pes_steps(r)))
    assert axes[0].get_yticklabels()[-1].get_text().startswith("DNS answer")
    _, ax = plt.subplots()
    draw_architecture(ax)
    _, (a, b) = plt.subplots(1, 2)
    curve = race_curve([1.0, 1.2], n_runs=500)
    draw_race_curve(a, b, curve, 1e6, [p_at_least_one(e.p_run, 1e6) for e in curve])
    plt.close("all")


# --- review fixes: injected losses labelled, step 6 attributed, step 5 regional, fenced clean-up ------------

def test_injected_lock_losses_are_labelled_a_model_choice():
    """Lost lock attempts with no other Enactor running say they were injected, not 'held by another writer'."""
    r = run_published()
    lost = [e for e in r.trace if e.kind == "lock lost"]
    assert lost and all("contention injected: model choice" in e.detail for e in lost)
    assert not any("another writer" in e.detail for e in r.trace)


def test_step_6_names_whose_clean_up_deleted_the_active_plan():
    """The deletion of the active plan 2 says it was Enactor 2's clean-up."""
    r = run_published()
    e = r.trace[pes_steps(r)[6]]
    assert e.detail.startswith("plan 2") and "Enactor 2's clean-up" in e.detail and e.data["by"] == "Enactor 2"


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_step_5_is_always_the_regional_overwrite(seed):
    """pes_steps labels step 5 only on an overwrite of the regional endpoint, never on a variant."""
    r = run_random(seed)
    step5 = pes_steps(r)[5]
    if step5 is not None:
        e = r.trace[step5]
        assert e.data["endpoint"] == REGIONAL_ENDPOINT and e.data["generation"] < e.data["previous"]


def test_fenced_delete_is_rejected_if_the_alias_moved_after_the_check():
    """Clean-up's batch fences each alias: if another Enactor points it at the doomed tree in between, nothing is deleted."""
    ep = REGIONAL_ENDPOINT
    zone = HostedZone([tree_record(2, ep, ("10.0.0.1",)), tree_record(9, ep, ("10.0.0.2",)), alias_record(ep, 9)])
    batch = fenced_delete(zone, 2, [ep])  # built when the alias points at plan 9: plan 2 looks inactive
    zone.change([Change("DELETE", alias_record(ep, 9)), Change("CREATE", alias_record(ep, 2))])  # the slow write
    before = zone.records()
    assert not zone.try_change(batch) and zone.records() == before and zone.resolve(ep) == ("10.0.0.1",)
    assert zone.try_change(fenced_delete(zone, 9, [ep]))  # unmoved alias: the fenced delete goes through


def test_summary_says_when_the_slow_enactor_is_still_mid_run():
    """A horizon that ends before Enactor 1's first run says so instead of a bare ✔ verdict."""
    r = run_scenario(horizon=5.0)
    assert not slow_run_finished(r) and "Enactor 1 still mid-run" in summarize(r)
    assert "mid-run" not in summarize(run_published())


def test_summary_pluralises_the_answer():
    """One IP reads '1 IP', not '1 IPs'."""
    r = dataclasses.replace(run_published(fixes=("recheck_at_write",)), answers=[(0.0, ("10.0.0.1",))])
    assert "answer: 1 IP" in summarize(r) and "1 IPs" not in summarize(r)


@pytest.mark.parametrize("slow_delay, lock_losses", [(3.75, 2), (4.0, 6), (0.0, 0)])
def test_widget_horizon_lets_the_slow_enactor_finish(slow_delay, lock_losses):
    """The widget's run lasts until Enactor 1's first run has ended, and never less than the published 15 s."""
    r = experiment(slow_delay=slow_delay, lock_losses=lock_losses)
    assert slow_run_finished(r) and r.params["horizon"] >= PUBLISHED["horizon"]


def test_instructor_note_slow_delay_half_a_second():
    """The instructor notes' live demo: at slow_delay 0.5 s the record never empties, yet Enactor 1's next run
    puts plan 10 over plan 12, too few generations stale (2 < K = 5) for clean-up to delete it."""
    r = experiment(slow_delay=0.5)
    v = r.verdicts()
    assert v["record never empty"].holds and v["active plan never deleted"].holds
    back = r.trace[v["applied generation never decreases"].first_violation_index]
    assert back.actor == "Enactor 1" and (back.data["generation"], back.data["previous"]) == (10, 12)
    assert back.data["previous"] - back.data["generation"] < r.params["K"]


def test_clean_up_counts_its_trees_in_good_english():
    """'delete plan 2 (1 tree)', not '(1 trees)', in every trace of a few random nights."""
    from course_lib.dns_race import run_random

    details = [e.detail for seed in range(40) for e in run_random(seed=seed).trace if e.kind == "delete"]
    assert details and not any("(1 trees)" in d for d in details)
    assert any(" tree)" in d or " trees)" in d for d in details)
