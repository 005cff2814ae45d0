"""End-to-end: every chapter notebook runs in JupyterLab in a real Chromium, and its experiments respond.

One JupyterLab server (random port, no token, private config dirs) serves all chapters; each chapter is opened
with ``?reset``, run with Run All, checked for error outputs, and then one control of every Experiment is moved
from the keyboard (slider handle, dropdown) or by a click (checkbox, Run button).  The plot must change, the
readout must equal what the chapter's model computes for the new control value (asked of the same kernel), and
moving back must restore both exactly.  Chapter 0 (the dashboard) and Chapter 6 (the game day) are also
opened in Voila.  Timings go to
``artifacts/browser_timings.json``; screenshots to ``artifacts/screenshots/``.

Without ``/usr/bin/chromium`` these tests skip with one line; with ``CI`` set they fail instead.
"""

from __future__ import annotations

import statistics

import browser_support as B
import pytest

NOTEBOOKS = sorted((B.ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
CHAPTER0 = B.ROOT / "notebooks" / "00_the_night.ipynb"
# Kernels started by these servers shrink production sizes where a chapter supports it (see its notebook).
SERVER_ENV = {"COURSE_FAST": "1"}


@pytest.fixture(scope="module")
def report(request):
    """Collect one timing line per notebook and print them when this module ends (even without -s)."""
    lines: list[str] = []
    yield lines
    capture = request.config.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled():
        for line in lines:
            print(line)


@pytest.fixture(scope="module")
def chromium():
    """Launch Debian's Chromium once for this module, or give None when it is missing.

    Each test then calls ``B.require_chromium()`` first, so every skip comes from one line and pytest folds them
    into one summary line (a skip raised in a fixture is reported per test instead).  Module scope: Playwright's
    driver stops before other tests (nbval's kernels) run in the same process.
    """
    if not B.chromium_available():
        yield None
        return
    yield B.shared_browser()
    B.close_shared_browser()


@pytest.fixture(scope="module")
def lab(chromium):
    """Start one JupyterLab for every notebook; stop exactly that server and check no kernel survives."""
    if chromium is None:
        yield None
        return
    server = B.start_lab(extra_env=SERVER_ENV)
    try:
        yield server
        server.shutdown_sessions()
        assert server.kernels() == [], "kernels still running after the notebooks were closed"
    finally:
        left = server.stop()
    assert not left, f"kernel processes survived the Lab server: {left}"


@pytest.fixture(scope="module")
def context(chromium):
    """Share one browser context, so Lab's scripts are fetched once and then come from the cache."""
    if chromium is None:
        yield None
        return
    ctx = chromium.new_context(viewport=B.VIEWPORT)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context):
    """Give each test a fresh page (tab) in the shared context."""
    if context is None:
        yield None
        return
    pg = context.new_page()
    yield pg
    pg.close()


def chapter0_expected(before_minutes: int | None = None) -> tuple[str, str]:
    """Compute, from course_lib, the readouts before and after one ArrowRight on Chapter 0's time slider."""
    from course_lib.experiments.ch00 import time_slider
    from course_lib.timeline import describe, snapshot

    exp = time_slider()
    control = exp.controls["minutes"]
    values = [v for _, v in control.options]
    i = values.index(control.value if before_minutes is None else before_minutes)
    j = i + 1 if i + 1 < len(values) else i - 1  # the test steps left at the right end
    return B.squash(describe(snapshot(values[i]))), B.squash(describe(snapshot(values[j])))


def check_run(run: B.NotebookRun, where: str) -> None:
    """Assert the outcome of driving one notebook: no errors, every widget rendered, every experiment moved."""
    assert not run.errors, f"{where}: {run.name} shows errors:\n" + "\n---\n".join(e[:1500] for e in run.errors)
    assert run.widget_views >= run.expected_views, (
        f"{where}: {run.name} rendered {run.widget_views} widgets, the executed notebook has {run.expected_views}")
    for check in run.experiments:
        assert check.after and check.after != "", f"{where}: experiment {check.index} has an empty readout"


def timing_line(where: str, run: B.NotebookRun) -> str:
    lat = [1000 * x for x in run.latencies]
    med = f"median {statistics.median(lat):.0f} ms over {len(lat)} moves" if lat else "no experiments"
    return (f"browser {where} {run.name}: open->idle {run.open_s:.1f} s, Run All->last widget "
            f"{run.render_s:.1f} s, {len(run.experiments)} experiments, control->new image {med}")


@pytest.mark.browser
@pytest.mark.parametrize("nb", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_chapter_runs_and_responds_in_lab(nb, lab, page, report):
    """A chapter runs in JupyterLab without error and each experiment's plot and readout follow its control."""
    B.require_chromium()
    try:
        run = B.drive_lab_notebook(page, lab, nb.relative_to(B.ROOT))
    except BaseException:
        B.screenshot(page, f"FAILED_lab_{nb.stem}")
        raise
    finally:
        lab.shutdown_sessions()  # close this notebook's kernel before the next chapter
    B.record_timings(f"lab/{nb.stem}", run.timings())
    report.append(timing_line("lab", run))
    check_run(run, "JupyterLab")
    if run.expected_views:
        assert run.experiments, f"{nb.stem} displays widgets but no Experiment was found on the page"
    assert run.writes == [], f"the browser session wrote through the contents API: {run.writes}"
    if nb == CHAPTER0:
        before, after = chapter0_expected()
        first = run.experiments[0]
        assert (first.control, first.before, first.after) == ("slider", before, after)


VOILA = [CHAPTER0, *sorted((B.ROOT / "notebooks").glob("06_*.ipynb"))]  # the dashboard and the game day


@pytest.mark.browser
@pytest.mark.parametrize("nb", VOILA, ids=[p.stem for p in VOILA])
def test_dashboard_in_voila(nb, chromium, page, report):
    """Chapter 0 (the dashboard) and Chapter 6 (the game day) work in Voila: widgets render and respond."""
    B.require_chromium()
    server = B.start_voila(nb, extra_env=SERVER_ENV)
    try:
        run = B.drive_voila(page, server, nb)
        if nb != CHAPTER0:
            play_two_turns(page)  # while the dashboard's kernel is still running
    except BaseException:
        B.screenshot(page, f"FAILED_voila_{nb.stem}")
        raise
    finally:
        left = server.stop()
    assert not left, f"kernel processes survived Voila: {left}"
    B.record_timings(f"voila/{nb.stem}", run.timings())
    report.append(timing_line("voila", run))
    check_run(run, "Voila")
    assert run.experiments, f"{nb.stem} shows no experiment in Voila"
    if nb == CHAPTER0:
        before, after = chapter0_expected()
        first = run.experiments[0]
        assert (first.control, first.before, first.after) == ("slider", before, after)


def play_two_turns(page) -> None:
    """Play the game day from the browser: each press of "Do it" advances the clock and redraws the board."""
    board = page.locator(".widget-vbox:has(> .widget-hbox button:has-text('Do it'))").first
    board.scroll_into_view_if_needed()
    status, image = board.locator(":scope > .widget-html").first, board.locator(":scope > .widget-output img")
    for _ in range(2):
        before_text, before_src = status.inner_text(), image.get_attribute("src")
        board.locator("button:has-text('Do it')").click()
        page.wait_for_function(
            "([el, t]) => el.innerText !== t", arg=[status.element_handle(), before_text], timeout=30000)
        assert "PDT" in status.inner_text(), status.inner_text()
        page.wait_for_function("([el, s]) => el.getAttribute('src') !== s",
                               arg=[image.element_handle(), before_src], timeout=30000)


def test_missing_browser_message_is_one_clear_line(monkeypatch):
    """Without Chromium the tests skip with the install hint, and with CI set they fail instead."""
    monkeypatch.setattr(B, "CHROMIUM", "/nonexistent/chromium")
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="install Chromium"):
        B.require_chromium()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI is set"):
        B.require_chromium()
    assert "\n" not in B.SKIP_LINE
