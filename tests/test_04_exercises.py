"""Chapter 4 exercises: stub -> not attempted, solution -> correct, typical mistakes -> named; widgets."""

from __future__ import annotations

import numpy as np
import pytest

from course_lib.checks.ch04 import q1, q2, q3, q4, q5
from course_lib.exercises import assert_check_failed
from course_lib.experiments.ch04 import (
    capacity_compute,
    capacity_experiment,
    leases_compute,
    leases_experiment,
    storm_compute,
    storm_experiment,
)


def test_q1_advertised_capacity_is_named():
    """Answering 300 QPS confuses advertised with hidden capacity, and the verdict says so."""
    assert_check_failed(q1, 300, "advertised capacity", "stuck")


def test_q1_the_papers_stuck_load_is_too_high():
    """Answering 280 QPS (the paper's stuck example) is too high, with the stuck numbers quoted."""
    assert_check_failed(q1, 280, "too high", "goodput 0 QPS")


@pytest.mark.parametrize("answer", [148, 150, 152])
def test_q1_answers_that_stay_stuck_are_too_high(answer):
    """Loads just above the edge (148-152 QPS, within the old tolerance) stay stuck in the simulator: rejected."""
    assert_check_failed(q1, answer, "too high", "stuck", "goodput")


def test_q1_the_rough_hidden_capacity_is_named():
    """Typing hidden_capacity() (150 QPS) is told that the backlog must also drain."""
    assert_check_failed(q1, 150, "hidden capacity", "must also drain")


def test_q1_too_cautious_is_named():
    """A far too low answer is told to search upwards."""
    assert_check_failed(q1, 60, "too low")


def _no_budget(wanted, successes, tokens):
    return wanted, tokens


def _earn_per_attempt(wanted, successes, tokens):
    tokens = np.minimum(100.0, tokens + 0.1 * wanted)  # pays for retries with retries: never runs dry
    allowed = np.minimum(wanted, np.floor(tokens)).astype(np.int64)
    return allowed, tokens - allowed


def _never_retry(wanted, successes, tokens):
    return np.zeros_like(wanted), tokens


@pytest.mark.parametrize(("mutant", "fragment"), [(_no_budget, "no successes"),
                                                  (_earn_per_attempt, "paid for by successes"),
                                                  (_never_retry, "never retries")])
def test_q2_mutants_are_named(mutant, fragment):
    """No budget, a budget earned per attempt, and a budget that never retries each get a named verdict."""
    assert_check_failed(q2, mutant, fragment)


@pytest.mark.parametrize(("mutant", "fragment"), [
    (lambda queue, backlog: backlog, "admits too much"),
    (lambda queue, backlog: min(backlog, 5_000), "admits too much"),
    (lambda queue, backlog: max(0, min(backlog, 14_400 - queue)), "admits too much"),
    (lambda queue, backlog: min(backlog, 100), "admits too little"),
    (lambda queue, backlog: 0, "admits too little")])
def test_q3_mutants_are_named(mutant, fragment):
    """Admit-everything, a fixed rate above capacity and a 14,400 queue target time out; tiny throttles crawl."""
    assert_check_failed(q3, mutant, fragment, "05:45")


def test_q3_crashing_throttle_gets_a_friendly_verdict():
    """A throttle that raises is reported with the exception, not a traceback wall."""
    assert_check_failed(q3, lambda queue, backlog: backlog / 0, "ZeroDivisionError")


@pytest.mark.parametrize(("cap", "fragment"), [(1.0, "below the demand"), (0.3, "below the demand"),
                                               (0, "automation off"), (1.5, "between 0 and 1")])
def test_q4_mutants_are_named(cap, fragment):
    """No cap or a loose cap lets capacity fall below demand; 0 is switching off; out of range is named."""
    assert_check_failed(q4, cap, fragment)


@pytest.mark.parametrize(("answer", "fragment"), [
    ({k: "stable" for k in "ABCDE"}, "scenario B"),
    ({"A": "stable", "B": "metastable", "C": "metastable", "D": "stable", "E": "vulnerable"}, "hidden capacity"),
    ({"A": "stable", "B": "vulnerable", "C": "vulnerable", "D": "stable", "E": "vulnerable"}, "retries keep"),
    ({"A": "stable"}, "one entry per scenario")])
def test_q5_mutants_are_named(answer, fragment):
    """Everything-stable, confusing vulnerable with metastable (both ways) and missing entries are named."""
    assert_check_failed(q5, answer, fragment)


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
