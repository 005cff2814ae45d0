"""Chapter 5: the synthetic first-hour signals and the bottom-up metric triage."""

from __future__ import annotations

import numpy as np
import pytest

from course_lib import signals as sg
from course_lib.plots.automation import draw_signals


def test_both_problems_start_together_at_2348():
    """Packet loss and DynamoDB errors both leave their baseline within a minute after 23:48."""
    s = sg.first_hour()
    for name in ("border_packet_loss", "dynamodb_errors", "dns_answer_size"):
        assert 0 <= sg.onset(s.t, s[name]) <= 60
    assert s.onsets["border_packet_loss"] < s.onsets["dynamodb_errors"]


def test_triage_points_at_networking_first():
    """Bottom-up triage blames the border packet loss: lowest layer, earliest onset, well correlated."""
    result = sg.triage(sg.first_hour())
    assert result.suspect == "border_packet_loss"
    assert "suspect: border_packet_loss" in str(result)


def test_correlation_alone_would_not_single_out_the_network():
    """The DNS answer size correlates with the errors at least as well as the packet loss does."""
    rows = {name: r for name, _, _, r in sg.triage(sg.first_hour()).rows}
    assert abs(rows["dns_answer_size"]) >= abs(rows["border_packet_loss"])


def test_canary_sees_empty_answers_only_after_the_record_empties():
    """Canary probes are full answers or timeouts before the onset, and never full answers after it."""
    s = sg.first_hour()
    probes = sg.canary_probes(s)
    assert len(probes) == s.t.size
    after = [p for p, t in zip(probes, s.t, strict=True) if t >= s.onsets["dns_answer_size"]]
    assert all(p is None or p == () for p in after) and any(p == () for p in after)


def test_series_are_seeded():
    """The same seed gives the same synthetic series."""
    a, b = sg.first_hour(seed=4), sg.first_hour(seed=4)
    assert all(np.array_equal(a[n], b[n]) for n in sg.SIGNAL_NAMES)


def test_clock_and_milestones():
    """Milestone minutes agree with their wall-clock labels."""
    for minute, text, _ in sg.MILESTONES:
        assert text.startswith(sg.clock(minute * 60)[:5])


def test_bad_signal_name():
    """Asking for an unknown signal names the choices."""
    with pytest.raises(ValueError, match="border_packet_loss"):
        sg.first_hour()["packet_loss"]


def test_signals_plot_draws():
    """The signals plot helper draws one panel per series."""
    from matplotlib.figure import Figure
    axes = draw_signals(Figure(), sg.first_hour())
    assert len(axes) == 3
