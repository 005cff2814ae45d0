"""The exercise system: verdicts, friendly failures, hints and solutions."""

from __future__ import annotations

import math
import numbers
import re

import numpy as np
import pytest

from course_lib.exercises import (
    Exercise,
    Incorrect,
    Verdict,
    assert_check_failed,
    assert_check_passed,
    assert_check_unattempted,
    expect_type,
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
    assert_check_failed(ex, None, "is None", "sort()", "returned nothing")


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


def test_a_check_that_fails_on_the_answer_gives_a_verdict_naming_it():
    """An exception raised entirely inside library code is a verdict naming the answer; tests still see it."""
    from course_lib.timeline import at

    v = Exercise("qb", "x", at, [], chapter="00").verdict(5)  # at(5) fails inside course_lib
    assert v.status == "incorrect" and "your answer made the check fail" in v.message and "(5)" in v.message
    assert isinstance(v.check_error, TypeError)


def test_none_is_named_as_a_missing_return(ex):
    """None, as the answer or as what the learner's function returns, is 'returned nothing'."""
    assert_check_failed(ex, None, "returned nothing — did you forget `return`?")

    def checks_type(fn):
        expect_type(learner_call(fn, 2), int, "square(2)")

    typed = Exercise("qn", "square", checks_type, [], chapter="00")
    assert_check_failed(typed, lambda x: None, "square(2) is none", "did you forget `return`")


def test_expect_type_accepts_numpy_scalars_and_refuses_bools_for_numbers():
    """np.int64/np.float64/np.True_ count as int/float/bool; an int is a float; True is not a number."""
    assert expect_type(np.int64(17), int, "n") == 17 and type(expect_type(np.int64(17), int, "n")) is int
    assert expect_type(np.float32(0.5), float, "x") == 0.5
    assert expect_type(3, float, "x") == 3
    assert expect_type(np.True_, bool, "b") is True
    assert expect_type(np.int8(2), numbers.Real, "x") == 2
    for wrong, types, words in ((True, int, "True (True or False)"), (np.False_, float, "False"),
                                (1, bool, "a whole number (1)"), (17.0, int, "a number (17.0)"),
                                ("3", float, "a string ('3')"), ((x for x in []), list, "a generator")):
        with pytest.raises(Incorrect, match=re.escape(words)):
            expect_type(wrong, types, "the answer")
    assert expect_type(True, int, "n", allow_bool=True) == 1


def test_expect_type_sequence_option_takes_a_tuple_for_a_list():
    """With sequence=True a tuple is accepted where a list is asked for (and returned as a list)."""
    assert expect_type((1, 2), list, "batch", sequence=True) == [1, 2]
    assert expect_type([1, 2], tuple, "pair", sequence=True) == (1, 2)
    with pytest.raises(Incorrect, match="should be a list"):
        expect_type((1, 2), list, "batch")


def test_hint_answers_any_n(ex, capsys):
    """hint(n) for 0, negatives, huge numbers, inf, NaN, fractions, strings and None: a sensible answer."""
    expected = [(0, "no hint 0"), (-3, "no hint -3"), (10**400, "here is the last"), (math.inf, "no hint ∞"),
                (-math.inf, "no hint -∞"), (math.nan, "takes a hint number"), (1.5, "here is hint 1"),
                ("2", "Hint 2 for qx"), ("two", "takes a hint number"), (None, "takes a hint number"),
                (True, "takes a hint number"), (np.int64(2), "Hint 2 for qx"), ([1], "takes a hint number")]
    for n, words in expected:
        ex.hint(n)
        out = capsys.readouterr().out
        assert words in out, (n, out)
        assert "Traceback" not in out
    Exercise("qe", "x", _check_square, [], chapter="00").hint(5)
    assert "no hints" in capsys.readouterr().out


def test_learner_code_calling_library_code_badly_names_its_line():
    """An error raised inside library code called by the learner's line names the library and the line."""
    from course_lib.route53 import Record

    def builds(x):
        return Record("", (), 0)

    v = Exercise("ql", "square", _check_square, [], chapter="00").verdict(builds)
    assert "refused what your code passed it" in v.message and "return Record(" in v.message, v


def test_system_exit_is_a_verdict(ex):
    """sys.exit() in learner code gets a verdict."""
    import sys

    assert_check_failed(ex, lambda x: sys.exit(0), "sys.exit()")


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
    assert "def minutes_after_start" in src and "return " in src
    assert "### BEGIN SOLUTION" not in src and ".check()" not in src
    assert solution_source("00", "no_such_answer") == ""
