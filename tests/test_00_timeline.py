"""Chapter 0's timeline data: facts as published, durations computed, validation at entry."""

from __future__ import annotations

import itertools
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
    """The headline durations match the published record: 14 h 32, 2 h 52, 8 h 39, 50 min to diagnosis."""
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


def test_the_readout_never_names_a_later_time():
    """At every minute, no clock time in the readout lies after the slider's time (no leaking the future)."""
    import re

    for minutes in range(-48, tl.duration(tl.EVENT_START, tl.at("15:00")) + 1):
        snap = tl.snapshot(minutes)
        for hhmm in re.findall(r"\b([0-2]\d:[0-5]\d)\b", tl.describe(snap).split("|", 1)[1]):
            assert tl.at(hhmm) <= snap.time, (minutes, hhmm)


def test_the_event_is_still_open_between_the_last_recovery_and_its_end():
    """From 14:09 (NLB failover re-enabled) to 14:20 nothing listed is impaired, but the event is not over."""
    for hhmm in ("14:09", "14:19"):
        text = tl.describe(tl.snapshot(tl.minutes(hhmm)))
        assert "still open" in text and "all services working" not in text
    assert "the event is over" in tl.describe(tl.snapshot(tl.minutes("14:20")))
    assert "before the event" in tl.describe(tl.snapshot(-30))


def test_10_36_says_only_what_the_record_says():
    """10:36: network propagation times back to normal, EC2 not yet fully recovered (13:50), throttles on."""
    text = tl.describe(tl.snapshot(tl.minutes("10:36")))
    assert "propagation times back to normal since 10:36" in text and "not yet fully recovered" in text
    assert "11:23" not in text and "13:50" not in text


def test_every_ec2_segment_is_labelled():
    """The EC2 bar's segments carry labels, in time order, covering 23:48-13:50 without gaps."""
    ec2 = [imp for imp in tl.IMPAIRMENTS if imp.service == "EC2 launches"]
    assert all(imp.label for imp in ec2)
    assert all(a.end == b.start for a, b in itertools.pairwise(ec2))
    assert ec2[0].start == tl.EVENT_START and ec2[-1].end == tl.at("13:50")


def test_the_slider_opens_before_the_event_and_draws_only_the_past():
    """The widget does not open on the answer to the predict question (03:00, 08:00): it starts at 23:40,
    and the bars drawn stop at the slider's time."""
    from course_lib.plots.timeline import _minutes

    exp = time_slider()
    assert exp.controls["minutes"].value < 0 and "before the event" in exp.readout.value
    ax = exp.figure.axes[0]
    bars = [p for p in ax.patches if (p.get_gid() or "").startswith("imp")]
    assert all(p.get_width() == 0 for p in bars)
    exp.controls["minutes"].value = tl.minutes("05:28")
    now = _minutes(tl.at("05:28"))
    assert all(p.get_x() + p.get_width() <= now + 1e-9 for p in bars if p.get_width() > 0)
    assert any(p.get_width() > 0 for p in bars)


def test_status_restyle_matches_a_full_draw():
    """Moving the slider updates bars, labels and the grey future in place, as a full draw shows them."""
    from conftest import fresh_draw, png_rgba

    from course_lib.widgets import figure_png

    exp = time_slider()
    for hhmm in ("03:00", "10:40", "14:09", "23:50"):
        exp.controls["minutes"].value = tl.minutes(hhmm)
        moved = png_rgba(figure_png(exp.figure))
        full = png_rgba(figure_png(fresh_draw(exp)))
        assert moved.shape == full.shape and (abs(moved.astype(int) - full.astype(int)) <= 6).all(), hhmm


@pytest.mark.parametrize("bad", [None, 3, "03:00"])
def test_plot_helpers_refuse_what_is_not_an_axes_or_time(bad):
    from course_lib.plots.timeline import draw_status

    with pytest.raises(TypeError):
        draw_status(bad, tl.at("03:00"))
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    with pytest.raises(TypeError, match="t must be"):
        draw_status(ax, bad)
    plt.close(fig)


def test_moment_labels_use_proper_names():
    """Plots label moments from one place: NLB, DNS, EC2 and DynamoDB, never lower case."""
    assert tl.PUBLISHED["nlb errors begin"].label == "NLB errors begin"
    assert tl.PUBLISHED["dns restored"].label == "DNS restored"
    assert tl.PUBLISHED["ec2 normal"].label == "EC2 normal"
    assert tl.PUBLISHED["dynamodb recovered"].label == "DynamoDB recovered"
    assert tl.PUBLISHED["all leases held"].label == "all leases held"


def test_capacity_plot_labels_are_proper_and_do_not_overlap():
    """The NLB plot's 05:30 and 06:52 labels sit on different rows; no label is lower-case 'nlb' or 'dns'."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from course_lib.experiments.ch04 import capacity_compute, leases_compute
    from course_lib.plots.metastable import draw_capacity, draw_leases

    fig, (a, b) = plt.subplots(2, 1, figsize=(7.5, 5.2))
    draw_capacity(a, capacity_compute())
    draw_leases(b, leases_compute())
    fig.canvas.draw()
    for ax in (a, b):
        texts = [t for t in ax.texts if ":" in t.get_text()]
        assert not any(w in t.get_text().split() for t in texts for w in ("nlb", "dns"))
        boxes = [t.get_window_extent() for t in texts]
        assert not any(p.overlaps(q) for i, p in enumerate(boxes) for q in boxes[i + 1:])
    assert any("NLB errors begin" in t.get_text() for t in a.texts)
    assert any("DNS restored" in t.get_text() for t in b.texts)
    plt.close(fig)
