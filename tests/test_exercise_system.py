"""The exercise system: verdicts, friendly failures, hints and solutions."""

from __future__ import annotations

import pytest

from course_lib.exercises import (
    Exercise,
    Incorrect,
    Verdict,
    assert_check_failed,
    assert_check_passed,
    assert_check_unattempted,
    learner_call,
    solution_source,
)


def _check_square(fn):
    for x in (0, 2, -3):
        got = learner_call(fn, x)
        if got != x * x:
            raise Incorrect(f"square({x}) returned {got!r}, expected {x * x}", case=f"x = {x}",
                            timeline="t=0 A: read\nt=1 B: write")


@pytest.fixture
def ex():
    return Exercise("qx", "square", _check_square, ["multiply x by itself", "x * x"], chapter="00",
                    time_limit=0.5)


def test_correct_answer_passes(ex):
    """A right answer is judged correct."""
    assert assert_check_passed(ex, lambda x: x * x).passed


def test_none_is_named_not_taken_for_the_starter(ex):
    """None is judged incorrect with a hint about methods that return None, not 'not attempted'."""
    assert_check_failed(ex, None, "is None", "sort()")


def test_starter_value_is_not_attempted(ex):
    """The `...` starter value and a function raising NotImplementedError are both 'not attempted'."""
    assert_check_unattempted(ex, ...)

    def stub(x):
        raise NotImplementedError

    assert_check_unattempted(ex, stub)


def test_wrong_answer_names_the_failing_case(ex):
    """A wrong answer gets the message, the failing case and the timeline."""
    v = assert_check_failed(ex, lambda x: x + x, "square(-3)", "failing case: x = -3")
    assert "t=1 B: write" in str(v)


def test_exception_in_learner_code_is_a_friendly_verdict(ex):
    """An exception in learner code names the exception and the line, not a traceback."""
    def broken(x):
        return x / 0

    v = assert_check_failed(ex, broken, "ZeroDivisionError", "return x / 0")
    assert "Traceback" not in str(v)


def test_runaway_loop_is_stopped(ex):
    """A loop that never ends is interrupted by the time limit and named."""
    def forever(x):
        while True:
            x += 1

    assert_check_failed(ex, forever, "more than 0.5 s", "loop")


def test_bug_in_a_check_is_not_blamed_on_the_learner():
    """An exception raised entirely inside library code propagates, so tests see check bugs."""
    from course_lib.timeline import at

    with pytest.raises(TypeError):  # at(5) fails inside course_lib: no learner frame to blame
        Exercise("qb", "x", at, [], chapter="00").verdict(5)


def test_verdict_renders_as_html_and_text():
    """Verdicts have a coloured HTML form and a plain text form with the same words."""
    v = Verdict("q1", "incorrect", "off by one", case="n = 3")
    assert "off by one" in str(v) and "n = 3" in str(v)
    assert "<div" in v._repr_html_() and "off by one" in v._repr_html_()


def test_check_reads_the_callers_variable(ex, capsys):
    """check() with no argument reads the learner's variable from the calling namespace."""
    namespace = {"ex": ex, "square": lambda x: x * x}
    exec("ex.check()", namespace)
    assert "correct" in capsys.readouterr().out


def test_hints_are_numbered_and_clamped(ex, capsys):
    """hint() gives hint 1 and says there is another; hint(9) gives the last."""
    ex.hint()
    ex.hint(9)
    out = capsys.readouterr().out
    assert "Hint 1" in out and "hint(2)" in out and "Hint 2 for qx: x * x" in out


def test_solution_comes_from_the_solutions_notebook():
    """solution() text is the solution cell that defines the exercise's variable."""
    src = solution_source("00", "minutes_after_start")
    assert "def minutes_after_start" in src and "return duration" in src
    assert "### BEGIN SOLUTION" not in src and ".check()" not in src
    assert solution_source("00", "no_such_answer") == ""
