"""Chapter 6's game record in words: stopped games, the sign of the score, refusals of names that are no action."""

from __future__ import annotations

import pytest

from course_lib import cascade, gameday
from course_lib.gameday import play


def _good(view):
    """Fast DNS work, the DWFM throttle and restart at once, then relax once Network Manager has recovered."""
    done = {d.action for d in view.decisions}
    for a in ("split the call", "dig the record", "page the DynamoDB team", "stop automation", "repair the alias",
              "throttle dwfm", "restart dwfm hosts"):
        if a not in done and a in view.available:
            return a
    held = [i for i, x in enumerate(view.history["leases_held"]) if x >= 100]
    since = list(view.history["nm_delay"][held[0]:]) if held else []
    if "relax throttles" in view.available and since and max(since) > 1 and since[-1] < 1:
        return "relax throttles"
    return "wait 15 min"


def _raises_at(clock: str):
    at = cascade.minute_of(clock)

    def policy(view):
        if view.now >= at:
            raise RuntimeError("the on-call laptop ran out of battery")
        return gameday.aws_policy(view)
    return policy


def test_a_game_stopped_at_the_start_says_so_first_and_is_not_compared():
    rec = play(lambda view: 1 / 0)
    text = rec.summary()
    assert rec.stopped_at == 0.0
    assert text.startswith("stopped at 23:48: your code raised ZeroDivisionError: division by zero")
    assert "Scored as the night was left, with nothing done after 23:48" in text
    assert f"impact {rec.impact:.0f} min (AWS's night: {rec.aws_impact:.0f})" in text
    assert "end never" in text
    for word in ("saved", "worse", "(-", "(+"):  # no score against AWS's night, as if the game had been played
        assert word not in text
    assert not rec.beats_aws


def test_a_game_stopped_later_is_scored_as_left():
    rec = play(_raises_at("02:10"), team="night shift")
    assert rec.stopped_at is not None and cascade.minute_of("02:10") <= rec.stopped_at < cascade.minute_of("02:25")
    at = cascade.clock(rec.stopped_at)
    assert rec.summary().startswith(f"night shift: stopped at {at}: your code raised RuntimeError: the on-call laptop")
    assert f"nothing done after {at}" in rec.summary()
    # the record is the night the decisions made, up to the stop: the same as replaying them in a fresh game
    g = gameday.Game()
    for d in rec.decisions:
        assert g.act(d.action).ok
    assert g.night().total_impact == rec.impact and g.now == rec.stopped_at
    assert rec.timeline().splitlines()[-1] == f"STOPPED: {rec.stopped}"


def test_a_finished_game_has_no_stop():
    rec = play(gameday.aws_policy)
    assert rec.stopped_at is None and rec.stopped == "" and "stopped" not in rec.summary()


def test_summary_and_compare_teams_say_the_same_in_words():
    worse, better = play(gameday.aws_policy), play(_good)
    assert worse.saved < -0.5 and better.saved > 0.5  # AWS's steps in the game cost a little more; _good saves
    n_worse, n_saved = round(-worse.saved), round(better.saved)
    assert f"({n_worse} min worse than AWS's {worse.aws_impact:.0f})" in worse.summary()
    assert f"({n_saved} min saved against AWS's {better.aws_impact:.0f})" in better.summary()
    table = gameday.compare_teams({"steps": worse, "good": better}).split("\n\n")[0].splitlines()
    row = {line.split()[0]: line for line in table[2:]}
    assert f"{n_worse} min worse" in row["steps"] and f"{n_saved} min saved" in row["good"]
    for line in table:
        assert "+" not in line and " -3" not in line  # no signed numbers left to misread
    assert gameday._versus(0.3) == "the same" and "(the same as AWS's" in gameday.GameRecord(
        **{**better.__dict__, "night": better.night, "aws_impact": better.impact}).summary()


def test_compare_teams_marks_a_stopped_game():
    stopped = play(_raises_at("02:10"))
    table = gameday.compare_teams({"stopped": stopped, "aws": play(gameday.aws_policy)})
    row = next(line for line in table.splitlines() if line.startswith("stopped "))
    assert "stopped early" in row and f"(stopped at {cascade.clock(stopped.stopped_at)}:" in row
    assert "worse" not in row and "saved" not in row


def test_guardrail_notes_say_what_to_wait_for():
    def trap(view):
        """Relaxes when every lease is held and the delay is low: before Network Manager's backlog has begun."""
        done = {d.action for d in view.decisions}
        for a in ("split the call", "dig the record", "page the DynamoDB team", "stop automation",
                  "repair the alias", "throttle dwfm", "restart dwfm hosts", "prepare rpz override",
                  "apply rpz override"):
            if a not in done and a in view.available:
                return a
        if "relax throttles" in view.available and view.latest["leases_held"] >= 100 and view.latest["nm_delay"] < 1:
            return "relax throttles"
        return "wait 5 min"

    rec = play(trap)
    assert [what for _, what in rec.violations] == [
        "throttles relaxed before Network Manager's propagation was normal"]
    note = rec.violation_notes[0]
    relax = next(d for d in rec.decisions if d.action == "relax throttles")
    g = gameday.Game()  # the night the guardrail judged: every decision before the relax
    for d in rec.decisions[:rec.decisions.index(relax)]:
        g.act(d.action)
    t = g.night().times
    shown = g.view().latest["nm_delay"]
    assert shown < 1 and g.now < t["nm backlog begins"]
    assert note == (f"the delay read {shown:.2f} min at {relax.clock} because the backlog had not begun: it began "
                    f"at {cascade.clock(t['nm backlog begins'])}, after the last lease was held "
                    f"({cascade.clock(t['all leases held'])}), and propagation was normal again only at "
                    f"{cascade.clock(t['propagation normal'])}; wait for the delay to rise above 1 min and come "
                    "back below it")
    assert f"({note})" in rec.timeline()


@pytest.mark.parametrize("action", ["reboot the internet", "Wait 5 min", 42, None])
def test_the_widget_says_not_now_only_for_real_actions(action):
    from course_lib.experiments.ch06 import gameday_experiment

    w = gameday_experiment()
    w.turn("wait 5 min")
    answer = w.turn(action)
    assert not answer.startswith("not now"), answer
    assert "unknown action" in answer or "must be one of the names" in answer
    assert w.turn("apply rpz override").startswith("not now: prepare the override first")
    assert w.turn("relax throttles") == "not now: nothing to relax: DWFM is not throttled"
