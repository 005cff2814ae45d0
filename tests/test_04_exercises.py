"""Chapter 4 exercises: stub -> not attempted, solution -> correct, typical mistakes -> named; widgets."""

from __future__ import annotations

import numpy as np
import pytest

from course_lib.checks.ch04 import q1, q2, q3, q4, q5
from course_lib.exercises import assert_check_failed, assert_check_passed
from course_lib.experiments.ch04 import (
    capacity_compute,
    capacity_experiment,
    leases_compute,
    leases_experiment,
    storm_compute,
    storm_experiment,
)


@pytest.mark.parametrize(("answer", "fragments"), [
    (300, ("advertised capacity", "stuck")),
    (280, ("too high", "goodput 0 QPS")),
    (150, ("hidden capacity", "must also drain")),
    (148, ("too high", "not stuck for good", "after the 300 s run")),
    (152, ("too high", "stuck")),
    (60, ("too low",)),
    (-5, ("positive load",)),
    (float("nan"), ("not a finite number",)),
    (1e6, ("far beyond",)),
    ("144", ("should be a number",)),
    (None, ("returned nothing",)),
    (True, ("True or False",)),
])
def test_q1_wrong_answers_are_named(answer, fragments):
    """Advertised and hidden capacity, the stuck example, the slow-drain edge, too low, and bad types."""
    assert_check_failed(q1, answer, *fragments)


@pytest.mark.parametrize("answer", [144, np.float64(142.0), 140.0, np.int64(141), 146.0])
def test_q1_right_answers_pass(answer):
    """Any load that recovers within 6 QPS of the edge, as an int, a float or a numpy scalar."""
    assert_check_passed(q1, answer)


def _reference_budget(wanted, successes, tokens):
    tokens = np.minimum(100.0, tokens + 0.1 * successes)
    allowed = np.minimum(wanted, np.floor(tokens)).astype(np.int64)
    return allowed, tokens - allowed


def _no_budget(wanted, successes, tokens):
    return wanted, tokens


def _earn_per_attempt(wanted, successes, tokens):
    tokens = np.minimum(100.0, tokens + 0.1 * wanted)  # pays for retries with retries: never runs dry
    allowed = np.minimum(wanted, np.floor(tokens)).astype(np.int64)
    return allowed, tokens - allowed


def _never_retry(wanted, successes, tokens):
    return np.zeros_like(wanted), tokens


def _half(wanted, successes, tokens):
    return wanted // 2, tokens


def _only_allowed(wanted, successes, tokens):
    return _reference_budget(wanted, successes, tokens)[0]


def _nan_tokens(wanted, successes, tokens):
    allowed, _ = _reference_budget(wanted, successes, tokens)
    return allowed, np.full(tokens.shape, np.nan)


def _never_refills(wanted, successes, tokens):
    allowed = np.minimum(wanted, np.floor(tokens)).astype(np.int64)
    return allowed, tokens - allowed


def _fractional(wanted, successes, tokens):
    tokens = np.minimum(100.0, tokens + 0.1 * successes)
    allowed = np.minimum(wanted, tokens)  # not rounded down
    return allowed, tokens - allowed


def _no_cap(wanted, successes, tokens):
    tokens = tokens + 0.1 * successes
    allowed = np.minimum(wanted, np.floor(tokens)).astype(np.int64)
    return allowed, tokens - allowed


def _overspend(wanted, successes, tokens):
    tokens = np.minimum(100.0, tokens + 0.1 * successes)
    allowed = np.minimum(wanted, np.ceil(tokens) + 1).astype(np.int64)
    return allowed, tokens - allowed


def _no_return(wanted, successes, tokens):
    _reference_budget(wanted, successes, tokens)


@pytest.mark.parametrize(("mutant", "fragments"), [
    (_no_budget, ("no successes",)),
    (_earn_per_attempt, ("paid for by successes",)),
    (_never_retry, ("never retries",)),
    (_half, ("only 2 of 5", "holds back")),
    (_only_allowed, ("pair (allowed, tokens)",)),
    (_nan_tokens, ("NaN",)),
    (_never_refills, ("never refills",)),
    (_fractional, ("whole number",)),
    (_no_cap, ("no cap",)),
    (_overspend, ("tokens went negative", "could not pay for")),
    (lambda w, s, t: (w + 1, t), ("0 <= allowed <= wanted",)),
    (_no_return, ("returned nothing",)),
])
def test_q2_mutants_are_named(mutant, fragments):
    """Twelve plausible wrong budgets, each with a named fault (issue 12: no crash, no false pass)."""
    assert_check_failed(q2, mutant, *fragments)


def _budget_loop(wanted, successes, tokens):
    allowed, left = [], []
    for w, s, t in zip(wanted.tolist(), successes.tolist(), tokens.tolist(), strict=True):
        t = min(100.0, t + s / 10)
        a = min(w, int(t))
        allowed.append(a)
        left.append(t - a)
    return np.array(allowed), np.array(left)


def _budget_clip(wanted, successes, tokens):
    tokens = np.clip(tokens + 0.05 * successes, 0, 50)  # another ratio and cap, same idea
    allowed = np.where(wanted < tokens, wanted, np.floor(tokens)).astype(int)
    return allowed, tokens - allowed


@pytest.mark.parametrize("right", [_reference_budget, _budget_loop, _budget_clip,
                                   lambda w, s, t: tuple(_reference_budget(w, s, t))])
def test_q2_right_answers_pass(right):
    """A plain-Python loop, np.clip/np.where with another ratio, and a list/tuple return are all accepted."""
    assert_check_passed(q2, right)


@pytest.mark.parametrize(("mutant", "fragments"), [
    (lambda queue, backlog: backlog, ("admits too much",)),
    (lambda queue, backlog: min(backlog, 5_000), ("admits too much",)),
    (lambda queue, backlog: max(0, min(backlog, 49_000 - queue)), ("admits too much", "timed out",
                                                                   "(the whole manager)", "the busiest host alone")),
    (lambda queue, backlog: max(0, min(backlog, 32_000 - queue)), ("admits too much", "state checks")),
    (lambda queue, backlog: max(0, min(backlog, 36_000 - queue)), ("admits too much", "lost again")),
    (lambda queue, backlog: min(backlog, 100), ("admits too little",)),
    (lambda queue, backlog: 0, ("admits too little",)),
    (lambda queue, backlog: min(backlog, 7_000 - queue), ("negative number",)),
    (lambda queue, backlog: max(0, 7_000 - queue), ("more than the backlog",)),
    (lambda queue, backlog: max(0.0, min(backlog, 7_000.0 - queue)), ("a float",)),
    (lambda queue, backlog: None, ("returned nothing",)),
    (lambda queue, backlog: backlog / 0, ("ZeroDivisionError",)),
])
def test_q3_mutants_are_named(mutant, fragments):
    """Too much, too little, negative, over the backlog, floats, None and crashes: each named (issue 12)."""
    assert_check_failed(q3, mutant, *fragments)


def _throttle_if(queue, backlog):
    room = 6_000 - queue
    if room <= 0:
        return 0
    return room if room < backlog else backlog


@pytest.mark.parametrize("right", [lambda queue, backlog: max(0, min(backlog, 7_000 - queue)),
                                   lambda queue, backlog: np.int64(np.clip(8_000 - queue, 0, backlog)),
                                   _throttle_if])
def test_q3_right_answers_pass(right):
    """The reference, numpy clip returning np.int64, and an if/else with another target are accepted."""
    assert_check_passed(q3, right)


def test_q4_largest_safe_cap_is_the_reference_and_the_question():
    """q4 asks for the largest safe cap to 0.01; the check computes it and the reference finds it (issue 12)."""
    from course_lib.checks.ch04 import largest_safe_cap

    best = largest_safe_cap()
    assert 0.05 < best < 1.0
    assert_check_passed(q4, best)
    assert_check_passed(q4, np.float64(best - 0.01))  # one grid step below still counts
    assert_check_failed(q4, round(best + 0.05, 2), "too large", "below the demand")


@pytest.mark.parametrize(("cap", "fragments"), [
    (1.0, ("too large", "below the demand")), (0.3, ("too large",)), (0, ("automation off",)),
    (1.5, ("between 0 and 1",)), (1e-9, ("not the largest",)), (0.1, ("not the largest",)),
    (-0.2, ("between 0 and 1",)), (float("nan"), ("not a finite number",)), (None, ("returned nothing",)),
    ("0.2", ("should be a number",))])
def test_q4_mutants_are_named(cap, fragments):
    """No cap or a loose cap lets capacity fall below demand; tiny caps are safe but not the largest."""
    assert_check_failed(q4, cap, *fragments)


RIGHT_Q5 = {"A": "stable", "B": "vulnerable", "C": "metastable", "D": "stable", "E": "vulnerable"}


@pytest.mark.parametrize(("answer", "fragment"), [
    ({k: "stable" for k in "ABCDE"}, "scenario B"),
    ({**RIGHT_Q5, "B": "metastable"}, "hidden capacity"),
    ({**RIGHT_Q5, "C": "vulnerable"}, "retries keep"),
    ({**RIGHT_Q5, "D": "metastable"}, "heals itself"),
    ({**RIGHT_Q5, "E": "metastable"}, "scenario E"),
    ({"A": "stable"}, "Missing: B"),
    ({**RIGHT_Q5, "C": "stuck"}, "Did you mean 'metastable'"),
    ({**RIGHT_Q5, "D": "recovering"}, "Did you mean 'stable' (below the hidden capacity"),
    ({**RIGHT_Q5, "A": "Stable"}, "lower case"),
    ({**RIGHT_Q5, "F": "stable"}, "Not a scenario"),
    ({**RIGHT_Q5, "A": None}, "is None"),
    (list(RIGHT_Q5.values()), "should be a dict"),
    (None, "returned nothing")])
def test_q5_mutants_are_named(answer, fragment):
    """Everything-stable, confusions both ways, missing or extra entries, wrong labels and types are named."""
    assert_check_failed(q5, answer, fragment)


@pytest.mark.parametrize("right", [RIGHT_Q5, dict(reversed(list(RIGHT_Q5.items()))),
                                   {k: np.str_(v) for k, v in RIGHT_Q5.items()}])
def test_q5_right_answers_pass(right):
    assert_check_passed(q5, right)


def test_storm_widget_compute_is_the_model_and_bad_input_is_shown():
    """The retry-storm widget runs the model and names the state; an outage over 100 % shows a message."""
    res = storm_compute(load=280.0)
    assert res.load[0] == 280.0
    exp = storm_experiment()
    assert exp.error is None and "METASTABLE" in exp.readout.value
    exp.set(size=1.5)
    assert exp.error is not None and "trigger magnitude" in exp.error
    exp.set(size=1.0, timeout=exp.controls["timeout"].min)  # the slider offers only timeouts the model takes
    assert exp.error is None
    exp.set(timeout=1.0, load=120.0)
    assert exp.error is None and "recovered" in exp.readout.value
    exp.set(load=exp.controls["load"].max, duration=0.0)
    assert "OVERLOADED" in exp.readout.value  # plain overload is not called metastable
    exp.set(load=200.0, duration=exp.controls["duration"].max)
    assert "OVERLOADED" in exp.readout.value  # nor is a trigger still on at the end of the run


def test_leases_widget_shows_the_published_time_and_bad_input():
    """The DWFM widget quotes 05:28 at the defaults; bad input reaching the model is named."""
    assert np.isfinite(leases_compute().all_held_at)
    exp = leases_experiment()
    assert "05:28" in exp.readout.value
    with pytest.raises(ValueError, match="fleet"):
        leases_compute(fleet=0)


def test_storm_size_error_is_plain_words():
    """An outage larger than the whole capacity is named with a plain number and correct grammar."""
    exp = storm_experiment()
    exp.set(size=3.0)
    assert exp.error.endswith("for an outage, got 3")


def _slider_ends(exp):
    for name, control in exp.controls.items():
        if hasattr(control, "min"):
            for value in (control.min, control.max):
                yield name, value


@pytest.mark.parametrize("build", [leases_experiment, capacity_experiment])
def test_every_slider_end_gives_a_plot_not_an_error(build):
    """Each DWFM and NLB slider at its minimum and maximum runs the model (no dead slider positions)."""
    exp = build()
    defaults = exp.values
    for name, value in _slider_ends(exp):
        exp.set(**{**defaults, name: value})
        assert exp.error is None, (name, value, exp.error)


def test_storm_duration_slider_stays_inside_the_run():
    """The storm's longest trigger still ends inside the 180 s run."""
    exp = storm_experiment()
    exp.set(duration=exp.controls["duration"].max)
    assert exp.error is None


def test_capacity_widget_switches_failover_and_a_fast_network_manager_helps():
    """The NLB widget: failover off keeps full capacity; a faster Network Manager leaves fewer error minutes."""
    assert capacity_compute(failover=False).in_service.min() == capacity_compute(failover=False).total
    exp = capacity_experiment()
    exp.set(failover=False)
    assert "lowest capacity 100%" in exp.readout.value
    slow, fast = (int((capacity_compute(propagation_rate=r).error_rate > 0.01).sum()) for r in (150.0, 400.0))
    assert fast < slow
    exp.set(failover=True, propagation_rate=400.0)
    assert exp.error is None


@pytest.mark.parametrize(("ex", "answer", "fragment"), [
    (q1, 10**30, "far beyond"), (q1, 10**400, "far too large"), (q4, 10**30, "between 0 and 1"),
    (q4, -(10**30), "between 0 and 1"), (q1, -(10**400), "far too large"), (q4, 10**400, "far too large")])
def test_huge_ints_get_a_named_verdict(ex, answer, fragment):
    """A huge Python int cannot go through np.isfinite: the checks name it instead of crashing."""
    assert_check_failed(ex, answer, fragment)


def test_q1_edge_agrees_with_the_solution_and_its_messages():
    """The check's edge is the reference's 146 QPS: 'too low' names it; 146 and 140 pass, 139 is too low."""
    assert_check_passed(q1, 146)
    assert_check_passed(q1, np.int64(140))
    assert_check_failed(q1, 139, "too low", "at 146 QPS it recovers too")


def test_q5_looks_60_s_after_the_outage_and_names_both_healthy_states():
    """The scenario text says 60 s after the outage ended, and the check looks exactly then."""
    from course_lib.checks import ch04

    assert ch04.Q5_AFTER == 60.0
    assert all("60 s after" in when for _, s, when in ch04.SCENARIOS.values() if s > 0)
    seen = []
    real = ch04._run
    ch04._run = lambda load, seconds=10.0, horizon=300.0, **kw: seen.append((seconds, horizon)) or real(
        load, seconds, horizon, **kw)
    try:
        ch04.expected_states()
    finally:
        ch04._run = real
    assert seen and all(horizon - (10.0 + seconds) == 60.0 for seconds, horizon in seen)
    assert_check_failed(q5, {**RIGHT_Q5, "A": "healthy"}, "Did you mean 'stable' or 'vulnerable' (two states")


def test_capacity_slider_positions_all_start_errors_after_dwfm_recovers():
    """Every position of the propagation-rate slider (declared once in network_manager.SPEC) gives no errors
    or errors that begin at or after the published 05:30, after DWFM held every lease (05:28)."""
    from course_lib import network_manager
    from course_lib.timeline import published

    p = network_manager.SPEC["propagation_rate"]
    lo, hi = p.view
    for rate in [*np.arange(lo, hi + 1e-9, p.step), p.default]:
        run = capacity_compute(propagation_rate=float(rate))
        bad = np.nonzero(run.error_rate > run.params["error_threshold"])[0]
        assert bad.size == 0 or run.t[bad[0]] >= published("nlb errors begin"), rate
