"""Chapter 6: the cascade replayed against the published timeline, what-ifs, and the action script."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest

from course_lib import cascade, dwfm, network_manager, timeline
from course_lib.cascade import Action, ActionScript, ScriptError


@pytest.fixture(scope="module")
def night():
    return cascade.run()


# ---- the table ---------------------------------------------------------------------------------------------

EXPECTED = {  # moment: (model clock, fitted?)
    "dynamodb recovered": ("02:40", True),
    "all leases held": ("05:28", True),
    "nm backlog begins": ("05:31", False),
    "nlb errors begin": ("05:31", True),
    "connectivity problems": ("06:04", False),
    "failover disabled": ("09:36", True),
    "propagation normal": ("10:38", True),
    "ec2 normal": ("13:50", True),
    "event end": ("14:20", True),
}


def test_published_vs_model_table(night):
    """The table the chapter shows: every row's model time; fitted rows within 5 min; the one predicted row."""
    rows = cascade.compare(night)
    assert [r.moment for r in rows] == list(EXPECTED)
    for r in rows:
        clock, _fitted = EXPECTED[r.moment]
        assert cascade.clock(r.model) == clock, r
        assert r.published == timeline.published(cascade.PUBLISHED_AS.get(r.moment, r.moment))
        if r.moment == "connectivity problems":
            continue
        assert r.kind.startswith(("fitted", "set equal", "operator input", "anchored")), r
        assert r.ok, r
    backlog = next(r for r in rows if r.moment == "nm backlog begins")
    assert backlog.error == 3 and backlog.kind == "anchored to a fitted time"  # 05:28 is dwfm.rate's target
    kinds = {r.moment: r.kind for r in rows}
    assert kinds["failover disabled"] == "operator input"  # nothing is removed after the switch-off
    assert kinds["all leases held"] == kinds["propagation normal"] == "fitted (searched)"
    assert kinds["dynamodb recovered"] == kinds["ec2 normal"] == kinds["event end"] == "set equal to the record"
    assert cascade.table_text(rows).count("predicted (±15 min)") == 1


def test_connectivity_problems_is_a_held_out_prediction(night):
    """06:21 is predicted, not fitted: no parameter is fitted to it, its criterion is DWFM's lease timeout (set
    a priori).  The honest result: 06:04, 17 min early, just outside the ±15 min the table allows; the ±10 %
    runs of the fitted parameters span 05:51-06:31, which holds 06:21."""
    row = next(r for r in cascade.compare(night) if r.moment == "connectivity problems")
    assert row.kind == "predicted" and row.fitted_by == "" and "predicted (±15 min)" in str(row)
    assert "connectivity problems" not in cascade.FITTED.values() and cascade.PREDICTED == ("connectivity problems",)
    assert "connectivity problems" not in cascade.ALSO_FITTED and "connectivity_limit" not in network_manager.FITTED
    assert cascade.A_PRIORI == {("network_manager", "connectivity_limit"): "connectivity problems"}
    assert night.propagation.params["connectivity_limit"] == dwfm.SPEC["lease_timeout"].default == 10.0
    assert row.error == -17 and abs(row.error) > cascade.TOLERANCE and not row.ok  # a miss, reported as one
    lo, hi = cascade.bands()["connectivity problems"]
    assert (cascade.clock(lo), cascade.clock(hi)) == ("05:51", "06:31") and lo <= row.published <= hi
    sens = cascade.sensitivity()
    moved = {k: v["connectivity problems"] for k, v in sens.items() if any(v["connectivity problems"])}
    assert moved == {"dwfm.rate": (8.0, -7.0), "network_manager.propagation_rate": (-13.0, 27.0)}


def test_backlog_band_is_reported_as_it_is():
    lo, hi = cascade.bands()["nm backlog begins"]
    assert (cascade.clock(lo), cascade.clock(hi)) == ("05:24", "05:39")  # the chapter quotes this band
    assert lo <= cascade.published_minute("all leases held") <= hi  # the record's 05:28 lies inside it


def test_fitted_parameters_are_named_with_their_moments():
    """Nine parameters are tied to published times: five searched (dwfm.rate to 05:28, the propagation rate to
    10:36, NLB's three together to 05:30) and four set equal to the record; one compared time is predicted."""
    fitted = cascade.fitted_parameters()
    assert len(fitted) == 9
    assert len({m for _, m in fitted.values()}) == 7
    searched = {k: m for k, (_, m) in fitted.items() if tuple(k.split(".")) not in cascade.SET_FROM_RECORD}
    assert searched == {"dwfm.rate": "all leases held", "network_manager.propagation_rate": "propagation normal",
                        "nlb.churn": "nlb errors begin", "nlb.az_skew": "nlb errors begin",
                        "nlb.az_threshold": "nlb errors begin"}
    assert cascade.PREDICTED == ("connectivity problems",)  # the backlog row is anchored; 09:36 is an input
    assert set(cascade.ANCHORED) == {"nm backlog begins"} and set(cascade.OPERATOR_INPUT) == {"failover disabled"}
    assert set(cascade.ALSO_FITTED) == {"failover disabled"}
    set_from_record = [k for k in fitted if tuple(k.split(".")) in cascade.SET_FROM_RECORD]
    assert sorted(set_from_record) == ["cascade.catch_up", "dwfm.lease_loss_minutes", "dwfm.relax_minutes",
                                       "dynamodb.ttl"]
    assert cascade.SPEC["catch_up"].default == timeline.published("event end") - timeline.published("ec2 normal")
    assert set(cascade.ANCHORED.values()) <= {m for _, m in fitted.values()}


def test_every_time_emerges_from_its_upstream(night):
    """Moving the DNS repair moves every downstream time; the chain carries its upstream results."""
    late = cascade.run(ActionScript.published().shifted(0, 60))
    assert late.times["dynamodb recovered"] == night.times["dynamodb recovered"] + 60
    assert late.times["all leases held"] > night.times["all leases held"]
    assert late.leases.dynamodb is late.availability
    assert late.propagation.leases is late.leases


def test_no_published_clock_time_is_typed_in():
    """cascade.py reads every published time from the timeline: no 'HH:MM' literal in its code."""
    src = Path(cascade.__file__).read_text(encoding="utf-8")
    code = "\n".join(line.split("#")[0] for line in src.splitlines())
    body = code[code.index("__all__"):]
    literals = re.findall(r"[\"'](\d\d:\d\d)[\"']", body)
    assert literals == []


def test_sensitivity_band_contains_the_model_and_moves_predicted_times(night):
    """±10 % on each fitted parameter: bands contain the model time; DWFM's rate moves the NLB onset."""
    sens = cascade.sensitivity()
    assert set(sens) == set(cascade.fitted_parameters())
    bands = cascade.bands(sens)
    for m, (lo, hi) in bands.items():
        assert lo <= night.times[m] <= hi
    minus, plus = sens["dwfm.rate"]["nm backlog begins"]
    assert minus > 0 > plus  # a slower DWFM recovers later, so the backlog builds later
    assert all(abs(d) <= 10 for per in sens.values() for d in per["nm backlog begins"])
    assert all(d == 0 for d in sens["dynamodb.ttl"]["all leases held"])  # DWFM reads the repair, not the TTL


def test_network_manager_rate_moves_the_backlog_by_hours():
    """The chapter says: ten percent slower Network Manager, and the backlog drains hours later; the NLB's
    errors can end hours early when an upstream value moves; the prediction moves by minutes."""
    sens = cascade.sensitivity()
    minus, plus = sens["network_manager.propagation_rate"]["propagation normal"]
    assert minus > 120 and plus < 0
    assert min(sens["network_manager.propagation_rate"]["failover disabled"]) < -120
    assert min(sens["dwfm.lease_loss_minutes"]["failover disabled"]) < -120
    assert max(abs(d) for per in sens.values() for d in per["nm backlog begins"]) < 10


def test_chapter_counterfactual_sentences(table):
    """DNS 77 min earlier alone saves 162 impact minutes (fewer leases to re-establish, so more DWFM hosts escape
    the collapse); throttling and restarting DWFM at the repair saves 101; with the later actions as much
    earlier each saves more (310 and 264)."""
    paced = [round(c.saved) for c in cascade.counterfactuals() if c.name.strip().startswith("... and every later")]
    assert paced == [310, 264]
    saved = {k: round(v.saved) for k, v in table.items()}
    assert saved["DNS repaired 30 min after it was identified (01:08)"] == 162
    assert saved["DWFM throttled and restarted at 02:25 instead of 04:14"] == 101


def test_bad_table_and_band_inputs():
    with pytest.raises(TypeError, match="rows"):
        cascade.table_text(float("nan"))
    with pytest.raises(TypeError, match="sens"):
        cascade.bands(float("nan"))
    with pytest.raises(ValueError, match="sens"):
        cascade.bands({"x": {}})
    with pytest.raises(TypeError, match="mitigations"):
        cascade.what_if({}, mitigations=None)
    with pytest.raises(ValueError, match="mitigations"):
        cascade.what_if({}, mitigations=["hope"])


def test_impact_minutes(night):
    """AWS's night: DynamoDB 172 min (23:48-02:40), internal services 87 min (to 01:15)."""
    assert night.impact["DynamoDB"] == 172
    assert night.impact["Internal services"] == 87
    assert night.impact["Containers"] == night.end
    assert night.total_impact == pytest.approx(sum(night.impact.values()))
    assert night.end == timeline.published("event end")


# ---- counterfactuals and monotonicity ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def table():
    return {c.name.strip(): c for c in cascade.counterfactuals()}


def test_restart_all_without_throttle_recollapses(table):
    cf = table["every DWFM host restarted at once, no throttle"]
    assert math.isinf(cf.night.times["all leases held"])
    assert math.isinf(cf.end)
    assert cf.saved < 0
    assert any("collapse" in n for n in cf.night.notes)


def test_counterfactuals_save_time(table):
    """Every counterfactual saves time for every NLB seed, except the retry budget, whose saving (1 minute on
    seed 0) runs from -1 to +4 over the seeds: it cannot be told from the NLB's noise, and the chapter says so."""
    for name in ("DNS repaired 30 min after it was identified (01:08)",
                 "DWFM throttled and restarted at 02:25 instead of 04:14", "velocity control on NLB failover",
                 "NLB failover disabled when detected (06:52)", "admission control in DWFM"):
        assert table[name].saved > 0 and table[name].saved_range[0] > 0 and table[name].distinguishable, name
    budget = table["retry budget in DWFM"]
    assert not budget.distinguishable and budget.saved_range[0] < 0 < budget.saved_range[1]
    assert [round(x) for x in budget.saved_range] == [-1, 4] and round(budget.saved) == 1
    for cf in table.values():
        lo, hi = cf.saved_range
        assert lo <= cf.saved <= hi  # seed 0 is one of the seeds
    assert table["velocity control on NLB failover"].night.capacity.errors_begin_at == math.inf
    assert cascade.clock(table["DWFM throttled and restarted at 02:25 instead of 04:14"].night.times[
        "all leases held"]) == "03:39"


def test_dns_earlier_alone_does_not_end_the_night_earlier(table):
    """The later actions were taken at clock times: an earlier DNS repair alone leaves 14:20."""
    assert table["DNS repaired 30 min after it was identified (01:08)"].end == timeline.published("event end")
    assert table["... and every later action as much earlier"].end < timeline.published("event end")


# Moving these earlier can make the night longer, and the model says why: relaxing throttles before every
# lease is held re-collapses DWFM; re-enabling failover early lets flapping checks remove capacity;
# restarting hosts before the throttle is on re-admits every queued attempt at once (it collapses again).
EXCEPTIONS = {"relax throttles", "enable nlb failover", "restart dwfm"}
# Throttling DWFM earlier while the restarts stay at 04:14 refuses the launches the hosts that never collapsed
# could take (a throttle alone does not end the collapse): more EC2 impact, the same end.  (Repairing DNS earlier
# is not an exception: fewer leases have timed out by then, and it saves impact; see the next test.)
IMPACT_EXCEPTIONS = {"throttle dwfm"}
NOISE = 1.0  # impact minutes: the NLB's seeded draws follow a different path when anything upstream moves


@pytest.mark.parametrize("kind", sorted(set(cascade.ACTION_KINDS) - EXCEPTIONS))
@pytest.mark.parametrize("earlier", [30, 90])
def test_acting_earlier_never_makes_the_night_longer(kind, earlier):
    base = cascade.run()
    script = ActionScript.published()
    at = script.at(kind)
    prev = max([a.at for a in script.actions if a.at < at] + [0.0])
    moved = script.moved(kind, max(prev, at - earlier))
    night = cascade.run(moved)
    assert night.end <= base.end
    if kind not in IMPACT_EXCEPTIONS:
        assert night.total_impact <= base.total_impact + NOISE


def test_dns_repair_alone_starts_the_collapse_earlier():
    base = cascade.run()
    early = cascade.run(ActionScript.published().moved("dns repair", "01:08"))
    assert early.impact["DynamoDB"] < base.impact["DynamoDB"]
    # fewer leases lost before the repair: more hosts escape the collapse, and they take launches from then on
    assert early.impact["EC2"] < base.impact["EC2"]
    at = int(timeline.published("throttling and restarts")) - 1
    assert early.leases.collapsed(at).sum() < base.leases.collapsed(at).sum()
    assert early.times["all leases held"] <= base.times["all leases held"]


@pytest.mark.parametrize("earlier", [30, 60, 109])
def test_throttle_and_restart_together_earlier_never_longer(earlier):
    base = cascade.run()
    s = ActionScript.published()
    at = s.at("throttle dwfm") - earlier
    night = cascade.run(s.moved("throttle dwfm", at).moved("restart dwfm", at))
    assert night.end <= base.end and night.total_impact <= base.total_impact + NOISE
    assert night.times["all leases held"] < base.times["all leases held"]


def test_the_exceptions_are_real():
    """Relaxing before every lease is held re-collapses DWFM; re-enabling failover at 09:40 brings errors back."""
    base = cascade.run()
    early_relax = cascade.run(ActionScript.published().moved("relax throttles", "05:00"))
    assert math.isinf(early_relax.times["all leases held"]) and math.isinf(early_relax.end)
    after_held = cascade.run(ActionScript.published().moved("relax throttles", "06:00"))
    assert after_held.end < base.end  # once every lease is held, relaxing sooner only helps in this model
    early_on = cascade.run(ActionScript.published().moved("enable nlb failover", "09:40"))
    assert early_on.impact["NLB"] > base.impact["NLB"]
    early_restart = cascade.run(ActionScript.published().moved("restart dwfm", "03:44"))
    assert math.isinf(early_restart.times["all leases held"])


def test_removing_an_action_never_helps():
    base = cascade.run()
    for kind in ("rpz override", "throttle dwfm", "restart dwfm", "disable nlb failover"):
        night = cascade.run(ActionScript.published().without(kind))
        assert night.total_impact >= base.total_impact - NOISE, kind


def test_chapter_2_fix_means_no_night():
    night = cascade.run(fixes=("protect_active",))
    assert not night.race_empty and night.total_impact == 0


def test_what_if_moves_and_removes():
    night = cascade.what_if({"dns repair": "01:08", "relax throttles": None}, mitigations=["velocity control"])
    assert night.script.at("dns repair") == timeline.minutes("01:08")
    assert night.script.at("relax throttles") is None
    assert math.isinf(night.times["ec2 normal"])  # never relaxed: launches stay throttled
    with pytest.raises(ScriptError, match="unknown action"):
        cascade.what_if({"reboot the region": "03:00"})


# ---- the action script ------------------------------------------------------------------------------------

def test_published_script_reads_the_timeline():
    s = ActionScript.published()
    assert [a.kind for a in s.actions] == ["rpz override", "dns repair", "throttle dwfm", "restart dwfm",
                                          "disable nlb failover", "relax throttles", "enable nlb failover"]
    assert s.at("dns repair") == timeline.published("dns restored")
    assert s.at("enable nlb failover") == timeline.published("failover re-enabled")


@pytest.mark.parametrize("steps, fragment", [
    ([("02:25", "fix everything")], "unknown action"),
    ([("23:30", "dns repair")], "event start"),
    ([("22:00", "dns repair")], "up to 1212"),
    ([(-5, "dns repair")], "must be"),
    ([(float("nan"), "dns repair")], "finite"),
    ([(1e9, "dns repair")], "must be"),
    ([(True, "dns repair")], "time must be"),
    ([("25:00", "dns repair")], "hhmm"),
    ([("02:25", "dns repair"), ("03:00", "dns repair")], "at most once"),
    ([("09:00", "enable nlb failover")], "needs an earlier"),
    ([("03:00", "relax throttles"), ("04:00", "throttle dwfm")], "nothing to relax"),
    (["dns repair"], "pair"),
    ("dns repair", "pair"),
])
def test_bad_scripts_are_refused_with_a_message(steps, fragment):
    with pytest.raises(ScriptError, match=fragment):
        ActionScript.of(steps)


def test_out_of_order_actions_are_refused():
    with pytest.raises(ScriptError, match="out of order"):
        ActionScript((Action(200, "throttle dwfm"), Action(100, "dns repair")))
    with pytest.raises(ScriptError, match="must be an Action"):
        ActionScript(("dns repair",))
    with pytest.raises(ScriptError, match="unknown mitigation"):
        ActionScript((), frozenset({"prayer"}))


def test_bad_run_parameters():
    with pytest.raises(ValueError, match="unknown parameter"):
        cascade.run(speed=3)
    with pytest.raises(ValueError, match="unknown parameter 'horizon'"):
        cascade.run(horizon=100)
    with pytest.raises(ValueError, match="catch_up"):
        cascade.run(catch_up=-1)
    with pytest.raises(TypeError, match="rate"):
        cascade.run(rate="fast")
    with pytest.raises(TypeError, match="ActionScript"):
        cascade.run(actions=[("02:25", "dns repair")])


def test_never_repaired_runs_to_the_horizon():
    night = cascade.run(ActionScript.published().without("dns repair"))
    assert math.isinf(night.end)
    assert night.impact["DynamoDB"] == cascade.HORIZON
    assert "never repaired" in night.notes[0]


def test_series_have_the_run_length(night):
    for arr in (night.launch_capacity, night.nm_delay, night.nlb_capacity, night.nlb_error_rate):
        assert arr.shape == night.t.shape
        assert np.isfinite(arr).all()


def test_impact_rate_sums_to_the_total(night):
    """The per-minute impact adds up to the per-service totals (minutes before the horizon)."""
    assert night.impact_until(cascade.HORIZON + 1) == pytest.approx(night.total_impact, abs=1e-6)
    assert night.impact_until(0) == 0
    assert night.impact_until(60) == pytest.approx(60 * 4)  # DynamoDB, internal, EC2 and containers all down
    with pytest.raises(ValueError, match="minute"):
        night.impact_until(-1)


def test_chapter_6_limits_paragraph_numbers(night, table):
    """Chapter 6's 'limits' paragraph: the NLB's brief errors (47 minutes, 05:31-09:35, at most 37 %, 16 impact
    minutes) against the record's 8 h 39 min; velocity control saves 16, the early switch-off 3; the DNS repair at
    00:10 gives 1411 impact minutes (1487 at 00:25), a 20-minute delay peak (45 on AWS's night), normal by 07:44,
    still ending at 14:20; relaxing at 05:30 ends the night at 11:08; the containers are 48 % of the score."""
    above = np.flatnonzero(night.nlb_error_rate > night.capacity.params["error_threshold"])
    assert above.size == 47 and (cascade.clock(above[0]), cascade.clock(above[-1])) == ("05:31", "09:35")
    assert round(night.nlb_error_rate.max(), 2) == 0.37 and round(night.impact["NLB"]) == 16
    assert round(table["velocity control on NLB failover"].saved) == 16
    assert [round(x) for x in table["velocity control on NLB failover"].saved_range] == [11, 17]
    assert round(table["NLB failover disabled when detected (06:52)"].saved) == 3
    assert [round(x) for x in table["NLB failover disabled when detected (06:52)"].saved_range] == [1, 3]
    early = {t: cascade.what_if({"dns repair": t}) for t in ("00:10", "00:25")}
    assert [round(n.total_impact) for n in early.values()] == [1411, 1487]
    assert all(cascade.clock(n.end) == "14:20" for n in early.values())
    assert round(early["00:10"].nm_delay.max()) == 20 and round(night.nm_delay.max()) == 45
    assert cascade.clock(early["00:10"].times["propagation normal"]) == "07:44"
    assert cascade.clock(cascade.what_if({"relax throttles": "05:30"}).end) == "11:08"
    assert round(night.impact["Containers"] / night.total_impact, 2) == 0.48
    paced = next(c for c in cascade.counterfactuals() if c.name == "  ... and every later action as much earlier")
    assert cascade.clock(paced.end) == "13:03"


def test_errors_resolve_row_says_it_is_constrained_by_the_nlb_fit(night):
    """09:36 is the operators' switch-off, but the NLB's search also asked for no errors after it: both are said."""
    row = next(r for r in cascade.compare(night) if r.moment == "failover disabled")
    assert row.kind == "operator input" and row.fitted_by.startswith("nlb.")
    assert "and the NLB fit (nlb.churn/az_skew/az_threshold" in str(row)


def test_a_night_without_nlb_errors_has_no_resolve_time():
    """Failover off at 05:30: the NLB never errs, so the row says so instead of 'resolved at 23:48, -588 min'."""
    n = cascade.run(ActionScript.published().moved("disable nlb failover", "05:30"))
    assert math.isinf(n.times["nlb errors begin"])
    row = next(r for r in cascade.compare(n) if r.moment == "failover disabled")
    assert row.absent and math.isnan(row.error) and not row.ok
    assert "none" in str(row) and "no NLB errors" in str(row) and "23:48" not in str(row)
    assert next(r for r in cascade.compare() if r.moment == "failover disabled").absent is False
