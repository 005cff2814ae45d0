"""Entry checks added for the public-API fuzz findings: each proven both ways (wrong refused by name, right accepted)."""

from __future__ import annotations

import itertools
import math
import re

import numpy as np
import pytest
from matplotlib.figure import Figure

from course_lib import dwfm
from course_lib import enactor_model as em
from course_lib.experiments import ch04
from course_lib.metastable import DeadlineQueue
from course_lib.plots.automation import draw_coverage_sweep
from course_lib.plots.backdrop import backdrop
from course_lib.plots.metastable import trailing_mean


def _refused(call, kind, words):
    with pytest.raises(kind, match=re.escape(words)):
        call()


def _compact(**changes):
    args = {"enactors": 2, "generations": 3, "endpoints": 1, "K": 1, "fixes": frozenset(), "protect": em.is_active,
            "operator": True, **changes}
    return em.Compact(**args)


def test_compact_bounds_its_sizes_before_sizing_tables_and_checks_its_rules():
    """10**18 and non-integers refused with the bound stated; lists for fixes/K refused before the cache."""
    wrong = [({"enactors": 10**18}, ValueError, f"enactors must be an integer in [1, {em.MAX_ENACTORS}]"),
             ({"generations": 10**18}, ValueError, f"generations must be an integer in [1, {em.MAX_GENERATIONS}]"),
             ({"endpoints": 10**18}, ValueError, "endpoints must be an integer in [1,"),
             ({"generations": None}, TypeError, "generations must be"),
             ({"enactors": math.nan}, TypeError, "enactors must be"),
             ({"K": []}, TypeError, "K must be"),
             ({"fixes": ["no such fix"]}, ValueError, "no such fix"),
             ({"protect": []}, TypeError, "protect must be a function"),
             ({"operator": np.array([1.0, 2.0])}, TypeError, "operator must be True or False"),
             ({"atomic": None}, TypeError, "atomic must be True or False")]
    for changes, kind, words in wrong:
        _refused(lambda changes=changes: _compact(**changes), kind, words)
    for code in (_compact(), _compact(fixes=[], K=np.int64(1), operator=np.True_)):
        s = code.encode(em.initial_state(2, 1))
        assert code.view(s) == em.initial_state(2, 1) and code.route53(s).enactors == ()


def test_compact_state_and_function_arguments_are_checked():
    code = _compact()
    s = code.encode(em.initial_state(2, 1))
    # A packed int this encoding has not met.  The tables are shared by every Compact of this configuration, so
    # what is unmet depends on what ran before in this process: find one rather than assume s + 2 is.
    unmet = next(x for x in itertools.count(s + 1) if x & code.zone_mask not in code.zones)
    for bad, kind, words in ((-1, ValueError, "s must be an integer in [0,"), (10**18, ValueError, "s must be"),
                             (True, TypeError, "s must be"), (None, TypeError, "s must be"),
                             (unmet, ValueError, "s must be a packed state of this encoding")):
        _refused(lambda bad=bad: code.view(bad), kind, words)
        _refused(lambda bad=bad: code.route53(bad), kind, words)
    _refused(lambda: code.encode(None), TypeError, "z must be a Zone")
    _refused(lambda: code.on_route53([]), TypeError, "fn must be a function")
    _refused(lambda: code.on_view("x"), TypeError, "fn must be a function")
    assert code.on_route53(em.inconsistent)(s) is False and code.on_view(em.describe)(np.int64(s)).startswith("newest")


def test_readable_move_functions_check_zone_job_and_sizes():
    z = em.initial_state(2, 1)
    e = z.enactors[0]
    refusals = [(lambda: list(em.enactor_moves(None, e, frozenset(), 1)), TypeError, "z must be a Zone"),
                (lambda: list(em.enactor_moves(z, None, frozenset(), 1)), TypeError, "e must be an Enactor"),
                (lambda: list(em.enactor_moves(z, e, frozenset(), 0)), ValueError, "K must be an integer"),
                (lambda: list(em.operator_moves(math.nan)), TypeError, "z must be a Zone"),
                (lambda: list(em.planner_moves(z, None)), TypeError, "generations must be"),
                (lambda: list(em.planner_moves(z, "x")), TypeError, "generations must be"),
                (lambda: list(em.successors(z, 0, 1, frozenset())), ValueError, "generations must be an integer"),
                (lambda: em.newest_plan_active([]), TypeError, "generations must be"),
                (lambda: list(em.encoding_states(2, None, 1, 1)), TypeError, "generations must be"),
                (lambda: em.race_events(None), TypeError, "result must be a modelcheck Result")]
    for call, kind, words in refusals:
        _refused(call, kind, words)
    assert [k for k, *_ in em.enactor_moves(z, e, (), np.int64(1))] == [] and list(em.planner_moves(z, 3))
    assert [str(step) for step, _ in em.successors(z, 3, 1, frozenset())] == ["Planner: publish plan 2"]
    assert em.newest_plan_active(3) is em.newest_plan_active(np.int64(3))


def test_deadline_queue_checks_shapes_and_dtypes_cheaply():
    q = DeadlineQueue(2, 3, 1)
    refusals = [(lambda: q.push(None), "counts must be an integer numpy array of shape (n, classes) = (2, 1)"),
                (lambda: q.push(np.ones((2, 1))), "counts must be an integer"),
                (lambda: q.push(np.ones((3, 1), dtype=np.int64)), "counts must be"),
                (lambda: q.serve(None), "capacity must be"),
                (lambda: q.serve(np.array([1.0, 2.0])), "capacity must be"),
                (lambda: q.serve(np.ones(2, dtype=np.int64), lifo=None), "lifo must be"),
                (lambda: q.serve(np.ones(2, dtype=np.int64), lifo=np.array([1.0, 2.0])), "lifo must be"),
                (lambda: q.clear_rows(0), "rows must be a bool numpy array of shape (2,)"),
                (lambda: q.clear_rows(np.array([True])), "rows must be")]
    for call, words in refusals:
        _refused(call, TypeError, words)
    q.push(np.array([[3], [1]]))
    q.push(np.array([[1], [0]], dtype=np.int32))
    served, stale = q.serve(np.array([2, 5]), lifo=np.array([False, True]))
    assert served[:, 0].tolist() == [2, 1] and stale.tolist() == [0, 0]
    assert q.serve(1)[0][:, 0].tolist() == [1, 0] and q.clear_rows(np.array([True, False]))[0][:, 0].tolist() == [1, 0]


def test_plot_and_widget_entries_name_their_parameters():
    ax = Figure().add_subplot()
    refusals = [(lambda: dwfm.host_shares(100, 10**18), ValueError, "hosts must be an integer in [1,"),
                (lambda: draw_coverage_sweep(ax, "x", {1: np.ones(1)}), TypeError, "coverages must be"),
                (lambda: draw_coverage_sweep(ax, object(), {1: np.ones(1)}), TypeError, "coverages must be"),
                (lambda: backdrop(None, [], 0), TypeError, "fig must be a matplotlib Figure"),
                (lambda: backdrop(Figure(), None, 0), TypeError, "moving must be a list"),
                (lambda: trailing_mean([], 1), ValueError, "values must hold at least one sample"),
                (lambda: trailing_mean(np.array([1.0, 2.0]), 3), ValueError, "k must be at most len(values) = 2"),
                (lambda: ch04.storm_summary(None), TypeError, "result must be a metastable StormResult"),
                (lambda: ch04.storm_compute(size=None), TypeError, "size must be"),
                (lambda: ch04.leases_compute(lease_timeout=math.inf), ValueError, "lease_timeout must be"),
                (lambda: ch04.leases_compute(restart_at=1e9), ValueError, "restart_at: at must be in"),
                (lambda: ch04.restart_share_table(np.array([1.0, 2.0])), ValueError, "shares (each share")]
    for call, kind, words in refusals:
        _refused(call, kind, words)
    assert dwfm.host_shares(10, 3).tolist() == [4, 3, 3] and dwfm.host_shares(10, np.int64(2)).sum() == 10
    assert trailing_mean([1.0, 3.0], 2).tolist() == [1.0, 2.0] and trailing_mean(np.arange(3.0), 1).tolist() == [0, 1, 2]
