"""Chapter 6's play(policy) under the exercise runner's time limit: loops, bare excepts and sleeps get a verdict."""

from __future__ import annotations

import signal
import time

import pytest

from course_lib import cascade, gameday
from course_lib.checks.ch06 import q3
from course_lib.exercises import Exercise, assert_check_failed
from course_lib.gameday import play

LIMIT = 0.5  # s per turn in these tests (the default, gameday.TURN_LIMIT, is 3 s)
SLACK = 0.5  # s: how much later than the limit a stopped policy may hand back (measured: well under 0.1 s)


def _forever(view):
    while True:
        pass


def _bare_except(view):
    while True:
        try:
            while True:
                pass
        except:  # noqa: E722 - the point: a bare except must not defeat the time limit
            pass


def _sleeps(view):
    time.sleep(30)
    return "wait 1 h"


def _at(clock: str, then):
    """AWS's steps until *clock*, then *then*(view)."""
    at = cascade.minute_of(clock)

    def policy(view):
        return then(view) if view.now >= at else gameday.aws_policy(view)
    return policy


@pytest.mark.parametrize("policy", [_forever, _bare_except, _sleeps], ids=["loop", "bare except", "sleep"])
def test_a_policy_that_never_returns_is_stopped_at_the_turn_limit(policy):
    before = (signal.getsignal(signal.SIGALRM), signal.getitimer(signal.ITIMER_REAL))
    started = time.perf_counter()
    rec = play(policy, turn_limit=LIMIT)
    took = time.perf_counter() - started
    assert LIMIT <= took < LIMIT + SLACK, took
    assert rec.stopped_at == 0.0 and not rec.decisions
    assert rec.problem.startswith(f"your policy did not return within {LIMIT:g} s on this turn")
    assert rec.summary().startswith("stopped at 23:48: your policy did not return within 0.5 s")
    assert (signal.getsignal(signal.SIGALRM), signal.getitimer(signal.ITIMER_REAL)) == before  # nothing left armed
    assert not play(gameday.aws_policy).problem  # and the next game plays as usual


def test_a_policy_stopped_mid_game_leaves_the_game_as_it_was():
    gameday.aws_policy(gameday.Game().view())  # its first call fills caches: not the time this test is about
    rec = play(_at("02:10", _bare_except), turn_limit=LIMIT)
    aws = play(gameday.aws_policy)
    n = len(rec.decisions)
    assert n and [str(d) for d in rec.decisions] == [str(d) for d in aws.decisions[:n]]
    assert cascade.minute_of("02:10") <= rec.stopped_at == aws.decisions[n].at
    assert rec.summary().startswith(f"stopped at {cascade.clock(rec.stopped_at)}: your policy did not return")
    g = gameday.Game()
    for d in rec.decisions:
        g.act(d.action)
    assert g.night().total_impact == rec.impact and list(g.action_script().actions) == list(rec.script.actions)


def test_a_slow_policy_is_stopped_by_the_game_limit():
    def slow(view):
        time.sleep(0.1)
        return "wait 15 min"

    started = time.perf_counter()
    rec = play(slow, turn_limit=LIMIT, game_limit=0.45)
    took = time.perf_counter() - started
    assert took < 0.45 + SLACK, took
    assert rec.problem.startswith("your policy used up its 0.45 s for the whole game")
    assert 3 <= len(rec.decisions) <= 5 and rec.stopped_at == rec.decisions[-1].at + rec.decisions[-1].minutes


def test_the_default_turn_limit():
    started = time.perf_counter()
    rec = play(_forever)
    took = time.perf_counter() - started
    assert gameday.TURN_LIMIT <= took < gameday.TURN_LIMIT + SLACK, took
    assert f"within {gameday.TURN_LIMIT:g} s" in rec.problem


def test_ctrl_c_still_interrupts():
    def interrupted(view):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        play(interrupted)


def test_other_base_exceptions_become_the_record_s_problem():
    class Escape(BaseException):
        pass

    def escapes(view):
        raise Escape

    for policy, words in ((escapes, "your policy raised Escape"), (lambda v: exit(), "SystemExit"),
                          (lambda v: (x for x in ()), "returned a generator")):
        rec = play(policy, turn_limit=LIMIT)
        assert words in rec.problem and rec.stopped_at == 0.0, rec.problem


def test_a_returned_str_subclass_runs_none_of_its_own_code():
    class Sly(str):
        def __eq__(self, other):
            while True:
                pass

        __hash__ = str.__hash__

    rec = play(lambda view: Sly("wait 1 h"), turn_limit=LIMIT)
    assert not rec.problem and rec.decisions[0].action == "wait 1 h"


@pytest.mark.parametrize("name", ["turn_limit", "game_limit"])
def test_the_limits_are_validated(name):
    for bad, exc in ((0, ValueError), (-1, ValueError), (float("nan"), ValueError), (1e9, ValueError),
                     ("3", TypeError), (True, TypeError)):
        with pytest.raises(exc, match=name):
            play(gameday.aws_policy, **{name: bad})
    assert not play(gameday.aws_policy, **{name: None}).problem


def test_inside_the_q3_check_the_exercise_limit_applies():
    """The check runs the policy under the exercise's own limit; play adds none (nested limits would misname it)."""
    quick = Exercise("q3", "policy", q3._check, q3.hints, chapter="06", time_limit=LIMIT, check_limit=5.0)
    started = time.perf_counter()
    v = assert_check_failed(quick, _at("02:10", _bare_except), f"ran for more than {LIMIT:g} s")
    assert time.perf_counter() - started < LIMIT + 2.0 and "Well done" not in str(v)
