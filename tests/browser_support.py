"""Drive the course in a real browser: a private JupyterLab / Voila server, Chromium via Playwright, helpers.

Used by ``tests/test_browser.py``, ``tests/test_site.py`` and ``benchmarks/bench_08_browser.py``.  The browser is
Debian's Chromium (``/usr/bin/chromium``); Playwright never downloads one here.  Servers run with temporary
``JUPYTER_CONFIG_DIR`` / ``JUPYTER_DATA_DIR`` / ``JUPYTER_RUNTIME_DIR`` (so nothing leaks into ``~/.jupyter`` and no
earlier workspace is restored) and are stopped by the PID recorded at start, never by name.
"""

from __future__ import annotations

import ast
import atexit
import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("COURSE_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = ROOT / "artifacts"
SKIP_LINE = "browser tests skipped: install Chromium with `sudo apt-get install chromium` to run them"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]
VIEWPORT = {"width": 1280, "height": 900}

# Selectors (JupyterLab 4.6, ipywidgets 8.1).  An Experiment is a VBox holding an HBox of controls, an HTML
# readout whose span has class course-readout / course-error, and an Output whose single output is a PNG.
EXPERIMENT = ".widget-vbox:has(> .widget-html .course-readout, > .widget-html .course-error)"
READOUT = ":scope > .widget-html"
IMAGE = ":scope > .widget-output img"
SLIDER_HANDLE = ".widget-slider .noUi-handle"
CHECKBOX = ".widget-checkbox input[type=checkbox]"
SELECT = ".widget-dropdown select"
WIDGET_VIEW = ".jp-OutputArea-output:has(> .jupyter-widgets)"
RUN_BUTTON = "button.jupyter-button:has-text('Run')"
ERROR_OUTPUT = ('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"], '
                ".jp-OutputArea-output .jp-RenderedText[data-mime-type='application/vnd.jupyter.error']")

# Lab settings written into the private config dir: render every cell (no virtual scrolling, so selectors see
# the whole notebook), never autosave (Run All must not rewrite the committed notebooks) and never show the "news" / update toasts that cover screenshots.
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false",
                                                                         "checkForUpdates": False},
}


def chromium_available() -> bool:
    """Say whether the Debian Chromium binary is there."""
    return Path(CHROMIUM).is_file() and os.access(CHROMIUM, os.X_OK)


def require_chromium() -> None:
    """Skip (on a learner's machine) or fail (in CI) when Chromium is missing."""
    import pytest

    if chromium_available():
        return
    if os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no"):
        pytest.fail(f"CI is set but {CHROMIUM} is missing: the browser tests must run in CI "
                    "(install it with `apt-get install -y chromium`)", pytrace=False)
    pytest.skip(SKIP_LINE)


def free_port() -> int:
    """Return a TCP port that is free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get_json(url: str, timeout: float = 5.0):
    """GET *url* and decode its JSON body."""
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return json.load(r)


def private_jupyter_env(tmp: Path) -> dict:
    """Return an environment whose Jupyter/IPython state lives under *tmp* (the venv's share/jupyter stays)."""
    env = dict(os.environ)
    for name in ("config", "data", "runtime", "ipython"):
        (tmp / name).mkdir(parents=True, exist_ok=True)
    env.update(JUPYTER_CONFIG_DIR=str(tmp / "config"), JUPYTER_DATA_DIR=str(tmp / "data"),
               JUPYTER_RUNTIME_DIR=str(tmp / "runtime"), IPYTHONDIR=str(tmp / "ipython"),
               JUPYTER_PLATFORM_DIRS="1", MPLBACKEND="module://matplotlib_inline.backend_inline",
               PYTHONPATH=os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p))
    env.pop("PYTEST_CURRENT_TEST", None)  # kernels should behave as they do for a learner
    env.pop("JUPYTER_PATH", None)
    for rel, settings in LAB_SETTINGS.items():
        path = tmp / "config" / "lab" / "user-settings" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(settings), encoding="utf-8")
    return env


@dataclass
class Server:
    """A Jupyter server (Lab or Voila) started by us; ``stop()`` ends exactly this PID and its kernels."""

    kind: str
    port: int
    proc: subprocess.Popen
    tmp: Path
    log_path: Path
    kernel_pids: set = field(default_factory=set)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        return self.proc.pid

    def log_tail(self, n: int = 40) -> str:
        """Return the last *n* lines of the server log."""
        lines = self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()
        return "\n".join(lines[-n:])

    def children(self) -> set[int]:
        """Return the PIDs of this server's child processes (its kernels)."""
        import psutil

        with contextlib.suppress(psutil.Error):
            return {c.pid for c in psutil.Process(self.pid).children(recursive=True)}
        return set()

    def kernel_rss_mb(self) -> float:
        """Return the largest resident memory of this server's child processes, in MB."""
        import psutil

        sizes = [0]
        for pid in self.children():
            with contextlib.suppress(psutil.Error):
                sizes.append(psutil.Process(pid).memory_info().rss)
        return max(sizes) / 2**20

    def sessions(self) -> list[dict]:
        return get_json(f"{self.url}/api/sessions")

    def kernels(self) -> list[dict]:
        return get_json(f"{self.url}/api/kernels")

    def shutdown_sessions(self) -> None:
        """Delete every session (which shuts its kernel down) through the REST API."""
        for s in self.sessions():
            req = urllib.request.Request(f"{self.url}/api/sessions/{s['id']}", method="DELETE")
            with contextlib.suppress(OSError):
                urllib.request.urlopen(req, timeout=10).close()
        deadline = time.monotonic() + 20
        while self.kernels() and time.monotonic() < deadline:
            time.sleep(0.2)

    def stop(self) -> list[int]:
        """Stop the server by its PID; return the PIDs of kernels still alive afterwards (should be empty)."""
        import psutil

        self.kernel_pids |= self.children()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        deadline = time.monotonic() + 10
        alive = [p for p in self.kernel_pids if psutil.pid_exists(p)]
        while alive and time.monotonic() < deadline:
            time.sleep(0.2)
            alive = [p for p in alive if psutil.pid_exists(p) and psutil.Process(p).status() != "zombie"]
        shutil.rmtree(self.tmp, ignore_errors=True)
        return alive


def _wait_ready(server: Server, path: str, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            raise RuntimeError(f"{server.kind} exited with {server.proc.returncode}:\n{server.log_tail()}")
        try:
            urllib.request.urlopen(server.url + path, timeout=2).close()
            return
        except urllib.error.HTTPError:
            return  # it answers (Voila refuses API paths, which is fine)
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"{server.kind} did not answer on {server.url}{path}:\n{server.log_tail()}")


def _spawn(kind: str, args: list[str], env: dict, tmp: Path, port: int, ready_path: str) -> Server:
    log_path = tmp / f"{kind}.log"
    log = open(log_path, "w", encoding="utf-8")  # noqa: SIM115 - the child keeps writing to it
    proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL)
    log.close()
    server = Server(kind, port, proc, tmp, log_path)
    try:
        _wait_ready(server, ready_path)
    except BaseException:
        server.stop()
        raise
    return server


def start_lab(root: Path = ROOT, extra_env: dict | None = None) -> Server:
    """Start JupyterLab on 127.0.0.1 with a random port, no token and private config; return it."""
    tmp = Path(tempfile.mkdtemp(prefix="course-lab-"))
    env = private_jupyter_env(tmp) | (extra_env or {})
    port = free_port()
    args = [sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}", "--port-retries=0",
            "--ServerApp.ip=127.0.0.1", "--IdentityProvider.token=", "--ServerApp.password=",
            "--ServerApp.disable_check_xsrf=True", f"--ServerApp.root_dir={root}", "--allow-root",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            "--MappingKernelManager.cull_idle_timeout=0",
            # Lab makes a first checkpoint of every notebook it opens: keep those out of the repository
            f"--FileCheckpoints.root_dir={tmp / 'checkpoints'}"]
    return _spawn("lab", args, env, tmp, port, "/api/status")


def start_voila(notebook: Path, extra_env: dict | None = None) -> Server:
    """Start Voila serving *notebook* on 127.0.0.1 with a random port; return it."""
    tmp = Path(tempfile.mkdtemp(prefix="course-voila-"))
    env = private_jupyter_env(tmp) | (extra_env or {})
    port = free_port()
    args = [sys.executable, "-m", "voila", str(notebook), "--no-browser", f"--port={port}",
            "--Voila.ip=127.0.0.1", f"--Voila.connection_dir_root={tmp / 'runtime'}", "--Voila.tornado_settings={'xsrf_cookies': False}"]
    return _spawn("voila", args, env, tmp, port, "/static/")


# ---------------------------------------------------------------- the browser side


def launch_browser(playwright):
    """Launch Debian's Chromium headless through Playwright."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)


_SHARED: dict = {}


def shared_browser():
    """Return one Chromium for the whole process (Playwright's sync API allows only one driver per thread)."""
    if "browser" not in _SHARED:
        from playwright.sync_api import sync_playwright

        _SHARED["playwright"] = sync_playwright().start()
        _SHARED["browser"] = launch_browser(_SHARED["playwright"])
        atexit.register(close_shared_browser)
    return _SHARED["browser"]


def close_shared_browser() -> None:
    """Close the shared Chromium and stop Playwright's driver (registered with atexit)."""
    if "browser" in _SHARED:
        with contextlib.suppress(Exception):
            _SHARED.pop("browser").close()
        with contextlib.suppress(Exception):
            _SHARED.pop("playwright").stop()


def expected_widget_outputs(nb_path: Path) -> int:
    """Count the widget views a stored (executed) notebook displays: what Run All must render again."""
    nb = json.loads(nb_path.read_text(encoding="utf-8"))
    return sum("application/vnd.jupyter.widget-view+json" in out.get("data", {})
               for cell in nb["cells"] if cell["cell_type"] == "code" for out in cell.get("outputs", []))


def wait_kernel_ready(page, server: Server, rel_path: str, timeout: float = 90.0) -> None:
    """Wait until this notebook's kernel is idle and connected (REST), then until Lab's status bar agrees."""
    deadline = time.monotonic() + timeout
    while True:
        kernels = [s["kernel"] for s in server.sessions() if s.get("path") == rel_path and s.get("kernel")]
        if any(k["execution_state"] == "idle" and k.get("connections", 0) > 0 for k in kernels):
            break
        if time.monotonic() > deadline:
            raise TimeoutError(f"kernel for {rel_path} never became idle+connected: {kernels}")
        time.sleep(0.25)
    page.wait_for_selector(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook-ExecutionIndicator"
                           "[data-status='idle']", timeout=timeout * 1000)
    page.wait_for_selector(".jp-StatusBar-Widget >> text=/\\| Idle/", timeout=timeout * 1000)


def dismiss_toasts(page) -> None:
    """Answer the 'notified about news?' toast if it shows (settings should already prevent it)."""
    with contextlib.suppress(Exception):
        page.get_by_role("button", name="No", exact=True).click(timeout=1000)


WATCH_PROMPTS = """() => {
    window.__courseRunStarted = false;
    const starred = () => [...document.querySelectorAll('.jp-InputPrompt')].some(p => p.textContent.includes('*'));
    new MutationObserver(() => { if (starred()) { window.__courseRunStarted = true; } })
        .observe(document.body, {childList: true, subtree: true, characterData: true});
}"""


def run_all(page, attempts: int = 3) -> int:
    """Click Run > Run All Cells until a cell prompt shows [*]; return the attempt that worked.

    The stored notebook already shows [1], [2], ... so only a [*] (seen by a MutationObserver, since a quick cell
    may finish within a frame) proves the click reached a connected kernel (Lab pitfall 2).
    """
    page.evaluate(WATCH_PROMPTS)
    for attempt in range(1, attempts + 1):
        page.click(".lm-MenuBar-itemLabel:text-is('Run')")
        page.click(".lm-Menu-itemLabel:text-is('Run All Cells')")
        try:
            page.wait_for_function("() => window.__courseRunStarted", timeout=15000, polling=50)
            return attempt
        except Exception:
            page.keyboard.press("Escape")
    raise TimeoutError("Run All Cells never started a cell")


def wait_run_finished(page, timeout: float = 120.0) -> None:
    """Wait until no cell prompt shows [*] and every code cell has an execution count."""
    page.wait_for_function(
        """() => {
            const prompts = [...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) '
                                                          + '.jp-CodeCell .jp-InputArea-prompt')];
            return prompts.length > 0 && prompts.every(p => /\\[\\d+\\]/.test(p.textContent));
        }""", timeout=timeout * 1000, polling=200)


def wait_experiments(page, count: int, timeout: float = 120.0) -> None:
    """Wait until *count* Experiments show a readout and their plot image (or an error) in the page."""
    page.wait_for_function(
        """([sel, n]) => {
            const boxes = [...document.querySelectorAll(sel)];
            const done = boxes.filter(b => b.querySelector(':scope > .widget-output img')
                                           || b.querySelector('.course-error'));
            return done.length >= n;
        }""", arg=[EXPERIMENT, count], timeout=timeout * 1000, polling=100)


EXCEPTION_LINE = re.compile(r"^\w+(Error|Exception)\b", re.M)
TRACEBACK = "Traceback (most recent call last)"


def error_texts(page) -> list[str]:
    """Return every cell output that shows an exception.

    Error outputs render with the stderr MIME type; such an output counts when it holds a traceback or a line
    starting ``SomethingError`` (a plain warning does not).  A stdout text counts only with a full traceback,
    because chapters print handled errors on purpose (``print("ValueError:", err)``).
    """
    found = [t for t in page.locator(ERROR_OUTPUT).all_inner_texts()
             if TRACEBACK in t or EXCEPTION_LINE.search(t)]
    found += [t for t in page.locator(".jp-OutputArea-output .jp-RenderedText").all_inner_texts() if TRACEBACK in t]
    return list(dict.fromkeys(found))


def squash(text: str) -> str:
    """Collapse whitespace the way HTML rendering does, so kernel and browser texts compare equal."""
    return " ".join(text.split())


MEASURED_TIME = re.compile(r"\d[\d,]*(\.\d+)?\s*(ms|s)\b")


def mask_times(text: str) -> str:
    """Replace measured durations ("0.42 s", "12 ms") by a marker: readouts that time the model vary by run."""
    return MEASURED_TIME.sub("<time>", text)


def readout_text(box) -> str:
    """Return the readout text a learner sees beside the plot."""
    return squash(box.locator(READOUT).inner_text())


def image_src(box) -> str | None:
    img = box.locator(IMAGE)
    return img.first.get_attribute("src") if img.count() else None


@dataclass
class Move:
    """How one control of an Experiment was moved in the browser, and how to move it back."""

    kind: str  # "slider", "checkbox", "dropdown"
    forward: str  # key or action
    back: str


def plan_move(box) -> tuple[Move, object]:
    """Pick the control to move in an Experiment box: a slider handle, else a checkbox, else a dropdown."""
    handle = box.locator(SLIDER_HANDLE)
    if handle.count():
        h = handle.first
        now, hi = (float(h.get_attribute(a) or "nan") for a in ("aria-valuenow", "aria-valuemax"))
        return (Move("slider", "ArrowLeft", "ArrowRight") if now >= hi else
                Move("slider", "ArrowRight", "ArrowLeft")), h
    check = box.locator(CHECKBOX)
    if check.count():
        return Move("checkbox", "click", "click"), check.first
    select = box.locator(SELECT)
    if select.count():
        s = select.first
        last = s.evaluate("e => e.selectedIndex >= e.options.length - 1")
        return (Move("dropdown", "ArrowUp", "ArrowDown") if last else Move("dropdown", "ArrowDown", "ArrowUp")), s
    raise AssertionError("experiment has no slider, checkbox or dropdown to move")


def act(page, control, move: Move, key: str) -> None:
    """Operate *control* from the keyboard (sliders, dropdowns) or by a click (checkboxes)."""
    if move.kind == "checkbox":
        control.click()
        return
    control.focus()
    before = control.evaluate("e => e.value") if move.kind == "dropdown" else None
    page.keyboard.press(key)
    if move.kind == "dropdown" and control.evaluate("e => e.value") == before:
        # Headless Chromium may open the popup instead of stepping; pick the neighbouring option directly.
        page.keyboard.press("Escape")
        index = control.evaluate("e => e.selectedIndex") + (1 if key == "ArrowDown" else -1)
        control.select_option(index=index)


def press_run(box) -> bool:
    """Click the Experiment's Run button if it has one; say whether it did."""
    button = box.locator(RUN_BUTTON)
    if button.count():
        button.first.click()
        return True
    return False


def screenshot(page, name: str, full_page: bool = True) -> Path:
    """Save a screenshot under artifacts/screenshots/ and return its path."""
    out = ARTIFACTS / "screenshots" / f"{name}.png"
    out.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(out), full_page=full_page)
    return out


def record_timings(key: str, values: dict) -> Path:
    """Merge *values* under *key* into artifacts/browser_timings.json."""
    path = ARTIFACTS / "browser_timings.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {}
    with contextlib.suppress(OSError, ValueError):
        data = json.loads(path.read_text(encoding="utf-8"))
    data[key] = values
    path.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return path


def lab_url(server: Server, rel_path: str) -> str:
    """Return the Lab URL that opens *rel_path* alone (``?reset`` drops any restored workspace)."""
    return f"{server.url}/lab/tree/{urllib.parse.quote(rel_path)}?reset"


# ---------------------------------------------------------------- asking the kernel what it computed

KERNEL_PROBE = r"""
def _course_probe():
    import html, json
    import ipywidgets
    from course_lib.widgets import Experiment
    import gc
    order = {id(w): i for i, w in enumerate(ipywidgets.Widget._active_widgets.values())}
    exps = [o for o in gc.get_objects() if isinstance(o, Experiment)]
    exps = [e for e in exps if id(e.widget) in order and getattr(e.widget, 'comm', None) is not None]
    exps.sort(key=lambda e: order[id(e.widget)])
    rows = []
    for e in exps:
        try:
            r = e.compute(**e.values)
            expected = e.summary(r) if e.summary else ''
        except (ValueError, TypeError) as exc:
            expected = 'ERROR: ' + str(exc)
        shown = ' '.join(html.unescape(__import__('re').sub('<[^>]+>', '', e.readout.value)).split())
        expected = ' '.join(expected.split())
        rows.append({'values': {k: repr(v) for k, v in e.values.items()}, 'shown': shown,
                     'expected': expected, 'error': e.error})
    return json.dumps(rows)
"""


def kernel_connection_file(server: Server, rel_path: str | None) -> Path:
    """Return the connection file of the kernel behind *rel_path* (Lab) or the only kernel (Voila)."""
    runtime = server.tmp / "runtime"
    if rel_path is None:
        (path,) = sorted(runtime.rglob("kernel-*.json"))
        return path
    (kernel,) = [s["kernel"] for s in server.sessions() if s.get("path") == rel_path]
    return runtime / f"kernel-{kernel['id']}.json"


def kernel_experiments(server: Server, rel_path: str | None, timeout: float = 30.0) -> list[dict]:
    """Ask the notebook's own kernel, silently, for each Experiment's values, readout and fresh summary.

    The probe recomputes ``summary(compute(**values))`` for the values the browser set, so a test can
    assert that what the browser shows is what the model gives.  Rows come in widget-creation order.
    """
    from jupyter_client import BlockingKernelClient

    client = BlockingKernelClient(connection_file=str(kernel_connection_file(server, rel_path)))
    client.load_connection_file()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=timeout)
        msg_id = client.execute(KERNEL_PROBE, silent=True, store_history=False,
                                user_expressions={"rows": "_course_probe()"})
        reply = client.get_shell_msg(timeout=timeout)
        while reply["parent_header"].get("msg_id") != msg_id:
            reply = client.get_shell_msg(timeout=timeout)
        expr = reply["content"]["user_expressions"]["rows"]
        if expr["status"] != "ok":
            raise RuntimeError(f"kernel probe failed: {expr.get('ename')}: {expr.get('evalue')}")
        text = expr["data"]["text/plain"]
        return json.loads(ast.literal_eval(text))  # the repr of a str
    finally:
        client.stop_channels()


# ---------------------------------------------------------------- one notebook, end to end

WATCH_IMAGES = """() => {
    window.__courseLastImg = null;
    window.__courseStart = performance.now();
    new MutationObserver(muts => {
        for (const m of muts) {
            const hit = m.type === 'attributes' ? m.target.closest('.widget-output')
                : [...m.addedNodes].some(n => n.nodeType === 1 && n.closest('.widget-output')
                                               && (n.tagName === 'IMG' || n.querySelector('img')));
            if (hit) { window.__courseLastImg = performance.now(); }
        }
    }).observe(document.body, {childList: true, subtree: true, attributes: true, attributeFilter: ['src']});
}"""


@dataclass
class ExperimentCheck:
    """What happened when one Experiment's control was moved in the browser."""

    index: int
    control: str
    before: str
    after: str
    latencies: list = field(default_factory=list)
    kernel_expected: str | None = None
    run_button: bool = False  # the model runs only on "Run" (heavy by design), so latency includes the model


@dataclass
class NotebookRun:
    """The outcome of driving one notebook: timings, experiments checked and errors seen."""

    name: str
    run_all_attempts: int = 0
    open_s: float = 0.0
    render_s: float = 0.0
    experiments: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    widget_views: int = 0
    expected_views: int = 0
    screenshot: str = ""
    kernel_rss_mb: float = 0.0
    writes: list = field(default_factory=list)  # contents-API writes the page made (saves): must stay empty

    @property
    def latencies(self) -> list[float]:
        return [x for e in self.experiments for x in e.latencies]

    def timings(self) -> dict:
        lat = sorted(self.latencies)
        return {"open_to_idle_s": round(self.open_s, 2), "run_all_to_last_widget_s": round(self.render_s, 2),
                "experiments": len(self.experiments), "kernel_rss_mb": round(self.kernel_rss_mb),
                "slider_to_image_ms": [round(x * 1000, 1) for x in lat],
                "median_ms": round(1000 * lat[len(lat) // 2], 1) if lat else None}


def experiment_boxes(page) -> list:
    """Return the Experiment boxes on the page, in document order."""
    return page.locator(EXPERIMENT).all()


def move_and_check(page, box, index: int, pairs: int = 1, probe=None) -> ExperimentCheck:
    """Move one control of *box* forward and back *pairs* times; check image, readout and consistency.

    Forward: the image must change and the readout must be non-empty and not an error (and, when *probe* is
    given, equal to what the kernel's model computes for the new control values).  Back: the image and the
    readout must return exactly to where they started (the models are seeded, so a redraw is reproducible).
    """
    box.scroll_into_view_if_needed()
    move, control = plan_move(box)
    src0, text0 = image_src(box), readout_text(box)
    assert src0 and text0, f"experiment {index}: no plot or empty readout before moving ({text0!r})"
    check = ExperimentCheck(index, move.kind, text0, "")
    for _ in range(pairs):
        for key, want_src, want_text in ((move.forward, None, None), (move.back, src0, text0)):
            old = image_src(box)
            start = time.perf_counter()
            act(page, control, move, key)
            check.run_button = press_run(box)
            try:
                page.wait_for_function(
                    "([b, o]) => { const i = b.querySelector(':scope > .widget-output img');"
                    " return (!!i && i.getAttribute('src') !== o) || !!b.querySelector('.course-error'); }",
                    arg=[box.element_handle(), old], timeout=20000, polling="raf")
            except Exception as exc:
                raise AssertionError(f"experiment {index}: moving its {move.kind} ({key}) did not change "
                                     f"the plot within 20 s (readout {readout_text(box)!r})") from exc
            check.latencies.append(time.perf_counter() - start)
            text = readout_text(box)
            assert not box.locator(".course-error").count(), f"experiment {index}: error shown: {text}"
            assert text, f"experiment {index}: empty readout after moving its {move.kind}"
            if want_src is None:
                check.after = text
                if probe is not None:
                    check.kernel_expected = probe(index, text)
            elif mask_times(want_text) == want_text:  # a deterministic readout: the redraw must be identical
                assert text == want_text, f"experiment {index}: readout {text!r} != {want_text!r} after moving back"
                difference = image_difference(image_src(box), want_src)
                assert difference is None, f"experiment {index}: plot differs after moving back ({difference})"
            else:  # the readout reports measured time, so only its other words and numbers must come back
                assert mask_times(text) == mask_times(want_text), (
                    f"experiment {index}: readout {text!r} != {want_text!r} after moving back")
    return check


def kernel_prober(server: Server, rel_path: str | None):
    """Return probe(index, shown) asserting the kernel's Experiment *index* shows *shown* = its model's summary."""

    def probe(index: int, shown: str) -> str:
        rows = kernel_experiments(server, rel_path)
        matches = [r for r in rows if r["shown"] == shown]
        row = rows[index] if index < len(rows) and rows[index]["shown"] == shown else (matches or [None])[0]
        assert row is not None, f"experiment {index}: browser shows {shown!r}, the kernel has none such: {rows}"
        assert mask_times(row["expected"]) == mask_times(shown), (
            f"experiment {index}: browser shows {shown!r} but the model gives {row['expected']!r} "
            f"for {row['values']}")
        return row["expected"]

    return probe


def image_difference(src: str, want: str) -> str | None:
    """Return None if two data-URL PNGs show the same picture, else what differs.

    A widget redrawn in place (its restyle hook, with a pre-rendered backdrop) may differ from its first,
    full draw in a few anti-aliased edge pixels; more than 0.2 % of the pixels, or any pixel off by more
    than 16/255, is a different picture.
    """
    if src == want:
        return None
    import base64
    import io

    import numpy as np
    from PIL import Image

    a, b = (np.asarray(Image.open(io.BytesIO(base64.b64decode(x.split(",", 1)[1]))).convert("RGBA"), dtype=int)
            for x in (src, want))
    if a.shape != b.shape:
        return f"size {a.shape[:2]} vs {b.shape[:2]}"
    delta = np.abs(a - b).max(axis=2)
    changed, worst = int((delta > 0).sum()), int(delta.max())
    if changed <= 0.002 * delta.size and worst <= 16:
        return None
    return f"{changed} pixels differ, by up to {worst}/255"


def drive_lab_notebook(page, server: Server, nb_path: Path, pairs_first: int = 3, pairs_rest: int = 1,
                       probe: bool = True, shot: bool = True) -> NotebookRun:
    """Open *nb_path* in Lab, Run All, check for errors, and move one control of every Experiment."""
    rel = nb_path.resolve().relative_to(ROOT).as_posix() if nb_path.is_absolute() else nb_path.as_posix()
    run = NotebookRun(nb_path.stem, expected_views=expected_widget_outputs(ROOT / rel))
    # A save is a write to the notebook itself; the first checkpoint Lab makes on opening is not one.
    page.on("request", lambda r: run.writes.append(f"{r.method} {r.url}")
            if "/api/contents/" in r.url and "/checkpoints" not in r.url
            and r.method in ("PUT", "PATCH", "POST", "DELETE") else None)
    start = time.perf_counter()
    page.goto(lab_url(server, rel))
    page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=60000)
    wait_kernel_ready(page, server, rel)
    dismiss_toasts(page)
    run.open_s = time.perf_counter() - start
    page.evaluate(WATCH_IMAGES)
    run.run_all_attempts = run_all(page)
    wait_run_finished(page)
    count = page.locator(WIDGET_VIEW)
    deadline = time.monotonic() + 60
    while count.count() < run.expected_views and time.monotonic() < deadline:
        time.sleep(0.1)
    run.widget_views = count.count()
    boxes = experiment_boxes(page)
    if boxes:
        wait_experiments(page, len(boxes))
        page.wait_for_timeout(300)  # let any late image land before reading the clock
        run.render_s = page.evaluate("() => (window.__courseLastImg ?? window.__courseStart)"
                                     " - window.__courseStart") / 1000
    run.errors = error_texts(page)
    prober = kernel_prober(server, rel) if probe else None
    for i, box in enumerate(experiment_boxes(page)):
        run.experiments.append(move_and_check(page, box, i, pairs_first if i == 0 else pairs_rest, prober))
    run.kernel_rss_mb = server.kernel_rss_mb()
    if shot:
        first = page.locator(EXPERIMENT).first
        if first.count():
            first.scroll_into_view_if_needed()
        run.screenshot = str(screenshot(page, f"lab_{nb_path.stem}", full_page=False))
    return run


def drive_voila(page, server: Server, nb_path: Path, pairs_first: int = 3, probe: bool = True) -> NotebookRun:
    """Open the Voila dashboard, wait for every widget, check errors and move each Experiment's control."""
    run = NotebookRun(nb_path.stem, expected_views=expected_widget_outputs(nb_path))
    start = time.perf_counter()
    page.goto(server.url + "/", timeout=120000)
    # Every widget view the notebook displays must render; then every Experiment among them must draw.  (Not
    # every widget is an Experiment: Chapter 6's game day is a board of its own.)
    views = page.locator(WIDGET_VIEW)
    deadline = time.monotonic() + 120
    while (views.count() < run.expected_views or not experiment_boxes(page)) and time.monotonic() < deadline:
        time.sleep(0.1)
    wait_experiments(page, max(1, len(experiment_boxes(page))))
    run.render_s = page.evaluate("() => performance.now()") / 1000  # since navigation started (100 ms polls)
    run.open_s = time.perf_counter() - start
    run.widget_views = views.count()
    run.errors = error_texts(page)
    prober = kernel_prober(server, None) if probe else None
    for i, box in enumerate(experiment_boxes(page)):
        run.experiments.append(move_and_check(page, box, i, pairs_first if i == 0 else 1, prober))
    page.locator(EXPERIMENT).first.scroll_into_view_if_needed()
    run.screenshot = str(screenshot(page, f"voila_{nb_path.stem}", full_page=False))
    return run
