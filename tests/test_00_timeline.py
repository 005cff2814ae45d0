"""Chapter 0's timeline data: facts as published, durations computed, validation at entry."""

from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from course_lib import timeline as tl
from course_lib.experiments.ch00 import time_slider


def test_events_are_in_time_order_and_sourced():
    """Every event has at least one source key and the list is sorted by time."""
    times = [e.time for e in tl.EVENTS]
    assert times == sorted(times)
    assert all(e.sources and all(s.startswith("S") for s in e.sources) for e in tl.EVENTS)


def test_published_durations():
    """The headline durations match the fact sheet: 14 h 32, 2 h 52, 8 h 39, 50 min to diagnosis."""
    assert tl.format_duration(tl.duration(tl.EVENT_START, tl.EVENT_END)) == "14 h 32 min"
    minutes = {p.name: p.minutes for p in tl.PERIODS}
    assert minutes["DynamoDB API errors"] == 2 * 60 + 52
    assert minutes["NLB connection errors"] == 8 * 60 + 39
    assert tl.duration(tl.EVENT_START, tl.at("00:38")) == 50
    assert tl.duration(tl.at("02:25"), tl.at("05:28")) == 3 * 60 + 3


def test_key_moments_are_present():
    """The key moments the chapter names are all in the data."""
    for hhmm in ("23:48", "00:38", "01:15", "02:25", "04:14", "05:28", "09:36", "14:20"):
        assert tl.event(hhmm)


def test_status_at_known_moments():
    """At 03:00 only EC2 launches are impaired (DWFM); at 08:00 EC2 and NLB are."""
    assert tl.snapshot(tl.duration(tl.EVENT_START, tl.at("03:00"))).impaired == ["EC2 launches"]
    assert tl.snapshot(tl.duration(tl.EVENT_START, tl.at("08:00"))).impaired == ["EC2 launches", "NLB"]
    assert tl.snapshot(-30).impaired == []


def test_bad_input_names_the_parameter():
    """Wrong types and out-of-range values raise errors that name the parameter."""
    with pytest.raises(ValueError, match="hhmm"):
        tl.at("25:99")
    with pytest.raises(TypeError, match="hhmm"):
        tl.at(225)
    with pytest.raises(ValueError, match="minutes"):
        tl.snapshot(5000)
    with pytest.raises(TypeError, match="minutes"):
        tl.snapshot(2.5)
    with pytest.raises(ValueError, match="end"):
        tl.duration(tl.at("02:25"), tl.at("23:48"))
    with pytest.raises(TypeError, match="t must be"):
        tl.status_at("03:00")
    with pytest.raises(ValueError, match="step"):
        tl.slider_options(0)


@given(st.integers(min_value=-48, max_value=912))
def test_describe_mentions_every_impaired_service(minutes):
    """The readout names exactly the services the status marks impaired or mitigated."""
    snap = tl.snapshot(minutes)
    text = tl.describe(snap)
    for service, imp in snap.status.items():
        assert (f"{service}: " in text) == (imp is not None)


def test_time_slider_readout_follows_the_slider():
    """Moving the slider redraws and the readout is describe(snapshot(minutes))."""
    exp = time_slider()
    options = [m for _, m in exp.controls["minutes"].options]
    for m in options[::25]:
        exp.controls["minutes"].value = m
        assert tl.describe(tl.snapshot(m)) in exp.readout.value.replace("&#x27;", "'")
        assert exp.error is None
    assert isinstance(exp.result.time, datetime)
