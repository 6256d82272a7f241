"""The LR Finder tab in a real Chromium, against real `tensorboard` subprocesses.

Each loader (`--load_fast=true` and `--load_fast=false`) gets one TensorBoard
server per module, reading event files written by `CurveWriter`. Playwright
drives Debian's Chromium, loads `/#lr_finder`, finds the plugin's frame and
checks what the page shows. Screenshots go to `$LRFINDER_SCREENSHOT_DIR`, or to a
temporary directory printed in the test output.
"""

from __future__ import annotations

import importlib.util
import json
import os
import pathlib
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

import numpy as np
import pytest
from conftest import chromium_path, free_port, require_component

from lrfinder_tb import analysis

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = pathlib.Path(__file__).resolve().parent.parent

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

XSS_RUN = "<img src=x onerror=alert(1)>"
UNICODE_RUN = "Größe über Läufe 東京"
QUOTES_RUN = 'it\'s "quoted"'
LIVE_RUN = "live/lr_finder"
NORMAL_RUNS = ["adam/lr_finder", "rmsprop/lr_finder", "sgd/lr_finder"]
ODD_RUNS = ["odd/all_nan", "odd/infinite", "odd/one_point"]
ALL_RUNS = NORMAL_RUNS + [XSS_RUN, UNICODE_RUN, QUOTES_RUN, LIVE_RUN] + ODD_RUNS

LIVE_FIRST_POINTS = 60
LIVE_MORE_POINTS = 140

SERVER_START_TIMEOUT = 120.0


def synthetic_curve(points: int, center: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Return a range-test curve: flat, a descent around 10**center, then divergence."""
    rng = np.random.default_rng(seed)
    learning_rates = np.geomspace(1e-7, 10.0, points)
    log_rate = np.log10(learning_rates)
    losses = 2.3 - 1.8 / (1.0 + np.exp(-(log_rate - center) / 0.5))
    losses = losses + np.exp((log_rate - (center + 2.2)) * 3.0)
    losses = losses * (1.0 + 0.04 * rng.standard_normal(points))
    # The callback's divergence check looks at a smoothed loss, so it stops a few
    # batches after the raw loss passed 4 times its best. This curve does the same.
    running_min = np.minimum.accumulate(losses)
    diverged = np.nonzero((losses > 4.0 * running_min) & (np.arange(points) > 10))[0]
    stop = min(points, int(diverged[0]) + 12) if diverged.size else points
    return learning_rates[:stop], losses[:stop]


class LogDir:
    """A log directory with the test runs; keeps the live run's writer open."""

    def __init__(self, path: pathlib.Path):
        from lrfinder_tb.summary_writer import CurveWriter

        self.path = path
        self.curves: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        named = [
            ("adam/lr_finder", -3.0),
            ("rmsprop/lr_finder", -3.5),
            ("sgd/lr_finder", -1.5),
            (XSS_RUN, -2.5),
            (UNICODE_RUN, -2.0),
            (QUOTES_RUN, -4.0),
        ]
        for seed, (run, center) in enumerate(named):
            rates, losses = synthetic_curve(200, center, seed)
            self._write(CurveWriter, run, rates, losses, "diverged")

        rates = np.geomspace(1e-6, 1.0, 50)
        self._write(CurveWriter, "odd/all_nan", rates, np.full(50, np.nan), "non_finite_loss")
        losses = np.linspace(2.0, 1.0, 50)
        losses[30] = np.inf
        self._write(CurveWriter, "odd/infinite", rates, losses, "non_finite_loss")
        self._write(CurveWriter, "odd/one_point", [1e-5], [2.0], "data_exhausted")

        self.live_rates, self.live_losses = synthetic_curve(200, -3.0, 42)
        self.live_writer = CurveWriter(str(path / LIVE_RUN), {"start_lr": 1e-7, "end_lr": 10.0})
        self.grow_live(LIVE_FIRST_POINTS)

    def _write(self, writer_class, run, rates, losses, stop_reason):
        writer = writer_class(str(self.path / run), {"start_lr": 1e-7, "end_lr": 10.0})
        writer.write_curve(rates, losses)
        writer.write_status(stop_reason, step=len(losses))
        writer.close()
        self.curves[run] = (np.asarray(rates, np.float32), np.asarray(losses, np.float32))

    def grow_live(self, points: int) -> None:
        """Write the first `points` points of the live run, as a running test does."""
        rates = self.live_rates[:points]
        losses = self.live_losses[:points]
        self.live_writer.write_curve(rates, losses)
        self.curves[LIVE_RUN] = (np.asarray(rates, np.float32), np.asarray(losses, np.float32))

    def close(self) -> None:
        self.live_writer.close()


class TensorBoardServer:
    """A `tensorboard` subprocess on 127.0.0.1 and a free port."""

    def __init__(self, logdir: pathlib.Path, load_fast: str, log_path: pathlib.Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.load_fast = load_fast
        self.log_path = log_path
        self.log_file = open(log_path, "wb")  # noqa: SIM115 (closed in stop())
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tensorboard.main",
                "--logdir",
                str(logdir),
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                f"--load_fast={load_fast}",
                "--reload_interval=1",
            ],
            stdout=self.log_file,
            stderr=subprocess.STDOUT,
        )

    def get_json(self, route: str):
        with urllib.request.urlopen(f"{self.url}/data/plugin/lr_finder/{route}", timeout=10) as r:
            return json.loads(r.read().decode("utf-8"))

    def wait_for_runs(self, expected: dict[str, tuple[int, bool]]) -> None:
        """Wait until the runs route lists exactly `expected`: run -> (points, has a stop reason).

        Data loads after the server starts, and a run's status arrives after its curve.
        """
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        last = None
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                listed = self.get_json("runs")["runs"]
                last = {e["run"]: (e["points"], e["stop_reason"] is not None) for e in listed}
                if last == expected:
                    return
            except (urllib.error.URLError, ConnectionError, OSError, ValueError) as error:
                last = error
            time.sleep(0.5)
        log = self.log_path.read_text(errors="replace")[-3000:]
        raise AssertionError(
            f"TensorBoard (--load_fast={self.load_fast}) did not list {expected} within "
            f"{SERVER_START_TIMEOUT} s (exit code {self.process.poll()}, last answer "
            f"{last!r}); its log ends with:\n{log}"
        )

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=15)
        self.log_file.close()


@pytest.fixture(scope="module")
def screenshot_dir(tmp_path_factory):
    configured = os.environ.get("LRFINDER_SCREENSHOT_DIR")
    path = pathlib.Path(configured) if configured else tmp_path_factory.mktemp("screenshots")
    path.mkdir(parents=True, exist_ok=True)
    print(f"screenshots in {path}")
    return path


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    """Start one TensorBoard per loader, and one on an empty log directory.

    The servers start on empty directories and the runs are written while they
    start up (both loaders pick up new runs on reload), so that importing
    TensorFlow for `CurveWriter` overlaps with TensorBoard's own start.
    """
    require_component("Chromium", chromium_path() is not None, "apt-get install -y chromium")

    started = {}
    logdirs = {}
    try:
        for name, load_fast in (("true", "true"), ("false", "false"), ("empty", "false")):
            path = tmp_path_factory.mktemp(f"logs_{name}")
            started[name] = TensorBoardServer(path, load_fast, path.parent / f"tb_{name}.log")
            started[name].logdir_path = path
        for name in ("true", "false"):
            logdirs[name] = LogDir(started[name].logdir_path)
            started[name].logdir = logdirs[name]

        expected = {
            run: (len(losses), run != LIVE_RUN)
            for run, (_, losses) in logdirs["true"].curves.items()
        }
        for name in ("true", "false"):
            started[name].wait_for_runs(expected)
        started["empty"].wait_for_runs({})
        yield started
    finally:
        for server in started.values():
            server.stop()
        for logdir in logdirs.values():
            logdir.close()


@pytest.fixture(scope="module", params=["true", "false"], ids=["load_fast", "load_slow"])
def server(request, servers):
    return servers[request.param]


@pytest.fixture(scope="module")
def browser_context(tmp_path_factory):
    require_component("Chromium", chromium_path() is not None, "apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium_profile")),
            executable_path=chromium_path(),
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1400, "height": 1000},
            accept_downloads=True,
        )
        try:
            yield context
        finally:
            context.close()


class Dashboard:
    """One browser page with TensorBoard open, and the plugin's frame."""

    def __init__(self, page, server):
        self.page = page
        self.server = server
        self.frame = None
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.allowed_errors: list[str] = []
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.errors.append(f"pageerror: {error}"))
        page.on("dialog", self._on_dialog)

    def _on_console(self, message):
        if message.type == "error":
            self.errors.append(f"console error: {message.text} at {message.location}")

    def _on_dialog(self, dialog):
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def open(self, hash_suffix: str = "", state: str = "ready"):
        """Load TensorBoard on the LR Finder tab (a full navigation) and wait for `state`."""
        # Going to the same URL again would only be a fragment navigation, not a reload.
        self.page.goto("about:blank")
        self.page.goto(f"{self.server.url}/#lr_finder{hash_suffix}")
        deadline = time.monotonic() + 30
        self.frame = None
        while self.frame is None and time.monotonic() < deadline:
            for frame in self.page.frames:
                if "plugin_entry.html" in frame.url:
                    self.frame = frame
            if self.frame is None:
                self.page.wait_for_timeout(100)
        assert self.frame is not None, f"no plugin_entry.html frame in {self.page.frames}"
        self.wait_for_state(state)
        return self.frame

    def wait_for_state(self, state: str):
        self.frame.wait_for_selector(f".lr-finder[data-state={state}]", timeout=30000)

    def draw_count(self) -> int:
        return int(self.frame.locator(".lr-finder").get_attribute("data-draw-count") or 0)

    def wait_for_suggestion(self, run: str, expected: float):
        """Wait until the table shows `expected` as the run's suggestion (relative 1e-9)."""
        self.frame.wait_for_function(
            """([run, expected]) => {
                const row = [...document.querySelectorAll('.results tbody tr')]
                    .find(tr => tr.dataset.run === run);
                const value = row && row.querySelector('.suggestion .value');
                return value && Math.abs(Number(value.dataset.value) - expected)
                    <= 1e-9 * Math.abs(expected);
            }""",
            arg=[run, expected],
            timeout=30000,
        )

    def table_row(self, run: str) -> dict:
        """Return the text of each cell of a run's table row, and the suggestion's full value."""
        return self.frame.evaluate(
            """run => {
                const row = [...document.querySelectorAll('.results tbody tr')]
                    .find(tr => tr.dataset.run === run);
                if (!row) return null;
                const value = row.querySelector('.suggestion .value');
                return {
                    cells: [...row.cells].map(cell => cell.textContent),
                    suggestion: value ? Number(value.dataset.value) : null,
                    copy: Boolean(row.querySelector('button.copy')),
                };
            }""",
            run,
        )

    def checkbox(self, run: str):
        return (
            self.frame.locator(".run-list label")
            .filter(has=self.frame.get_by_text(run, exact=True))
            .locator("input[type=checkbox]")
        )

    def path_d(self, kind: str, run: str) -> str | None:
        return self.frame.evaluate(
            """([kind, run]) => {
                const path = [...document.querySelectorAll(`path.${kind}`)]
                    .find(p => p.dataset.run === run);
                return path ? path.getAttribute('d') : null;
            }""",
            [kind, run],
        )

    def screenshot(self, directory: pathlib.Path, name: str) -> pathlib.Path:
        path = directory / f"{name}_{self.server.load_fast}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def dashboard(browser_context, server):
    page = browser_context.new_page()
    board = Dashboard(page, server)
    try:
        yield board
        unexpected = [
            error
            for error in board.errors
            if not any(allowed in error for allowed in board.allowed_errors)
        ]
        assert unexpected == [], "errors in the browser console"
        assert board.dialogs == [], "a dialog opened"
    finally:
        # Settings are stored per origin (one per server); start every test fresh.
        if board.frame is not None:
            try:
                board.frame.evaluate("localStorage.clear()")
            except Exception:  # noqa: BLE001 (the page may be gone; nothing to clear then)
                pass
        page.close()


@pytest.fixture(scope="module")
def loaded_page(browser_context, server):
    """One page per server, opened once, for the tests that only look."""
    page = browser_context.new_page()
    board = Dashboard(page, server)
    try:
        board.open()
        yield board
    finally:
        page.close()


@pytest.fixture
def shared(loaded_page):
    yield loaded_page
    assert loaded_page.errors == [], "errors in the browser console"
    assert loaded_page.dialogs == [], "a dialog opened"


def expected_analysis(logdir: LogDir, run: str, smoothing: float, method: str):
    rates, losses = logdir.curves[run]
    return analysis.analyze(
        rates.astype(np.float64), losses.astype(np.float64), smoothing=smoothing, method=method
    )


def test_tab_draws_one_line_per_run(shared, screenshot_dir):
    dashboard = shared
    frame = dashboard.frame
    page = dashboard.page

    assert page.get_by_text("LR Finder", exact=True).first.is_visible()
    for kind in ("smoothed", "raw"):
        assert frame.locator(f"path.{kind}").count() == len(ALL_RUNS)
    for run in NORMAL_RUNS:
        assert dashboard.path_d("smoothed", run).startswith("M")
        assert dashboard.path_d("raw", run).startswith("M")
    # Many runs: each region is a band along its curve, not a full-height shade.
    assert frame.locator("path.region-band").count() >= len(NORMAL_RUNS)
    assert frame.locator("rect.region").count() == 0
    assert dashboard.path_d("region-band", "adam/lr_finder").startswith("M")
    assert frame.locator("g.suggestion line").count() >= len(NORMAL_RUNS)
    labels = frame.locator(".x-tick").all_text_contents()
    assert "1e-6" in labels
    assert "1e-3" in labels
    assert "1" in labels
    assert frame.locator(".axis-label").first.text_content() == "learning rate (log scale)"
    assert "clipped above y=" in frame.locator(".chart-notes").text_content()
    dashboard.screenshot(screenshot_dir, "overview")


def test_table_matches_backend_analysis(shared):
    dashboard = shared
    logdir = dashboard.server.logdir
    route = dashboard.server.get_json(
        "curves?" + urllib.parse.urlencode({"run": NORMAL_RUNS, "width": 100}, doseq=True)
    )
    by_run = {entry["run"]: entry for entry in route["runs"]}

    headers = dashboard.frame.locator(".results th").all_text_contents()
    assert [header.rstrip(" ▲▼") for header in headers] == [
        "Run",
        "Suggested learning rate",
        "Region",
        "Lowest smoothed loss",
        "Points",
        "Stop reason",
    ]
    for run in NORMAL_RUNS:
        row = dashboard.table_row(run)
        expected = expected_analysis(logdir, run, analysis.DEFAULT_SMOOTHING, "steepest")
        assert row is not None, f"no table row for {run}"
        assert row["cells"][0] == run
        assert expected.suggestion is not None
        assert row["suggestion"] == pytest.approx(expected.suggestion, rel=1e-9)
        assert row["suggestion"] == pytest.approx(by_run[run]["analysis"]["suggestion"], rel=1e-12)
        assert row["copy"]
        assert " – " in row["cells"][2]
        assert " at " in row["cells"][3]
        assert row["cells"][4] == str(len(logdir.curves[run][1]))
        assert row["cells"][5].startswith("diverged")


def test_table_explains_missing_suggestion_and_odd_series(shared):
    dashboard = shared
    live = dashboard.table_row(LIVE_RUN)
    assert "so far" in live["cells"][4]
    assert live["cells"][5].startswith("in progress")

    all_nan = dashboard.table_row("odd/all_nan")
    assert all_nan["suggestion"] is None
    assert all_nan["cells"][1] == "none"
    assert "NaN" in all_nan["cells"][5]
    one_point = dashboard.table_row("odd/one_point")
    assert "one point" in one_point["cells"][5]
    assert "infinite" in dashboard.table_row("odd/infinite")["cells"][5]
    notes = dashboard.frame.locator(".chart-notes").text_content()
    assert "Not drawn:" in notes


def test_table_sorts_by_clicked_header(shared):
    frame = shared.frame
    points_header = frame.locator(".results th button[data-key=points]")
    points_header.click()
    points_header.click()
    assert frame.locator(".results th").nth(4).get_attribute("aria-sort") == "descending"
    first_run = frame.locator(".results tbody tr").first.get_attribute("data-run")
    most_points = max(
        shared.server.logdir.curves, key=lambda run: len(shared.server.logdir.curves[run][1])
    )
    assert first_run == most_points

    frame.locator(".results th button[data-key=run]").click()
    runs = [row.get_attribute("data-run") for row in frame.locator(".results tbody tr").all()]
    assert runs == sorted(ALL_RUNS)


def test_hover_shows_tooltip(shared, screenshot_dir):
    dashboard = shared
    frame = dashboard.frame
    box = frame.locator("svg.chart rect.overlay").bounding_box()
    dashboard.page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5)
    tooltip = frame.locator(".tooltip")
    tooltip.wait_for(state="visible", timeout=5000)

    headers = tooltip.locator("th").all_text_contents()
    assert headers[1:] == ["run", "learning rate", "loss", "smoothed"]
    # Every run is listed (10 runs, the most the tooltip lists).
    rows = tooltip.locator("tr").count() - 1
    assert rows == len(ALL_RUNS)
    assert "more run" not in tooltip.text_content()
    first = tooltip.locator("tr").nth(1).locator("td").all_text_contents()
    assert float(first[2]) > 0
    assert frame.locator("line.crosshair").count() == 1
    dashboard.screenshot(screenshot_dir, "hover")

    dashboard.page.mouse.move(5, 5)
    tooltip.wait_for(state="hidden", timeout=5000)


def test_run_names_are_shown_as_text(shared, screenshot_dir):
    dashboard = shared
    frame = dashboard.frame
    names = frame.locator(".run-list .run-name").all_text_contents()
    for run in (XSS_RUN, UNICODE_RUN, QUOTES_RUN):
        assert run in names
        row = dashboard.table_row(run)
        assert row is not None and row["cells"][0] == run
        assert dashboard.path_d("smoothed", run) is not None
    assert frame.locator("img").count() == 0
    box = frame.locator("svg.chart rect.overlay").bounding_box()
    dashboard.page.mouse.move(box["x"] + box["width"] * 0.45, box["y"] + box["height"] * 0.4)
    frame.locator(".tooltip").wait_for(state="visible", timeout=5000)
    assert frame.locator("img").count() == 0
    assert dashboard.dialogs == []
    dashboard.screenshot(screenshot_dir, "run_names")
    dashboard.page.mouse.move(5, 5)


def test_unticking_hides_line_and_survives_reload(dashboard):
    frame = dashboard.open()
    dashboard.checkbox("sgd/lr_finder").uncheck()
    frame.wait_for_function(
        "() => ![...document.querySelectorAll('path.smoothed')]"
        ".some(p => p.dataset.run === 'sgd/lr_finder')"
    )
    assert frame.locator("path.smoothed").count() == len(ALL_RUNS) - 1
    assert dashboard.table_row("sgd/lr_finder") is None

    frame = dashboard.open()
    assert not dashboard.checkbox("sgd/lr_finder").is_checked()
    assert dashboard.path_d("smoothed", "sgd/lr_finder") is None
    assert dashboard.path_d("smoothed", "adam/lr_finder") is not None

    frame.locator("button.select-none").click()
    frame.wait_for_function("() => document.querySelectorAll('path.smoothed').length === 0")
    assert "No run selected" in frame.locator(".chart-message").text_content()
    frame.locator("button.select-all").click()
    frame.wait_for_function(
        f"() => document.querySelectorAll('path.smoothed').length === {len(ALL_RUNS)}"
    )


def test_smoothing_slider_recomputes_on_backend(dashboard):
    frame = dashboard.open()
    logdir = dashboard.server.logdir
    before = dashboard.path_d("smoothed", "adam/lr_finder")

    with dashboard.page.expect_request(lambda request: "smoothing=0.5" in request.url):
        frame.locator("input.smoothing").fill("0.5")
    adam = expected_analysis(logdir, "adam/lr_finder", 0.5, "steepest")
    dashboard.wait_for_suggestion("adam/lr_finder", adam.suggestion)
    dashboard.wait_for_state("ready")

    assert dashboard.path_d("smoothed", "adam/lr_finder") != before
    assert frame.locator("input.smoothing-value").input_value() == "0.5"
    for run in NORMAL_RUNS:
        expected = expected_analysis(logdir, run, 0.5, "steepest")
        assert dashboard.table_row(run)["suggestion"] == pytest.approx(expected.suggestion)


def test_method_select_lists_backend_methods(dashboard):
    frame = dashboard.open()
    logdir = dashboard.server.logdir
    methods = dashboard.server.get_json("runs")["methods"]
    options = frame.locator("select.method option").all_text_contents()
    assert options == methods
    assert frame.locator("select.method").input_value() == "steepest"

    frame.locator("select.method").select_option("minimum")
    adam = expected_analysis(logdir, "adam/lr_finder", analysis.DEFAULT_SMOOTHING, "minimum")
    dashboard.wait_for_suggestion("adam/lr_finder", adam.suggestion)
    dashboard.wait_for_state("ready")
    for run in NORMAL_RUNS:
        expected = expected_analysis(logdir, run, analysis.DEFAULT_SMOOTHING, "minimum")
        assert dashboard.table_row(run)["suggestion"] == pytest.approx(expected.suggestion)


def test_drag_zooms_and_double_click_resets(dashboard):
    frame = dashboard.open()
    labels_before = frame.locator(".x-tick").all_text_contents()
    box = frame.locator("svg.chart rect.overlay").bounding_box()
    y = box["y"] + box["height"] / 2
    mouse = dashboard.page.mouse
    mouse.move(box["x"] + box["width"] * 0.4, y)
    mouse.down()
    mouse.move(box["x"] + box["width"] * 0.55, y, steps=5)
    mouse.up()

    reset = frame.locator("button.reset-zoom")
    reset.wait_for(state="visible", timeout=10000)
    frame.wait_for_function(
        "before => JSON.stringify([...document.querySelectorAll('.x-tick')]"
        ".map(t => t.textContent)) !== before",
        arg=json.dumps(labels_before),
    )
    labels_zoomed = frame.locator(".x-tick").all_text_contents()
    assert len(labels_zoomed) >= 2
    assert "1e-6" not in labels_zoomed

    frame.locator("svg.chart rect.overlay").dblclick()
    reset.wait_for(state="hidden", timeout=10000)
    assert frame.locator(".x-tick").all_text_contents() == labels_before


def test_log_y_axis_and_run_filter(dashboard):
    frame = dashboard.open()
    frame.locator("input.log-y").check()
    frame.wait_for_function(
        "() => [...document.querySelectorAll('.axis-label')]"
        ".some(label => label.textContent === 'loss (log scale)')"
    )

    frame.locator("input.filter").fill("(")
    assert "Invalid filter" in frame.locator(".filter-error").text_content()
    assert frame.locator("path.smoothed").count() == len(ALL_RUNS)

    frame.locator("input.filter").fill("^adam")
    frame.wait_for_function("() => document.querySelectorAll('path.smoothed').length === 1")
    assert frame.locator(".filter-error").text_content() == ""
    assert frame.locator(".run-list .run-name").all_text_contents() == ["adam/lr_finder"]
    # A single run's region is shaded over the full height too.
    assert frame.locator("rect.region").count() == 1


def test_deep_link_selects_runs_and_scale(dashboard):
    runs = json.dumps(["adam/lr_finder", QUOTES_RUN])
    suffix = "&" + urllib.parse.urlencode(
        {"p.lr_finder.runs": runs, "p.lr_finder.yscale": "log", "p.lr_finder.smoothing": "0.9"},
        quote_via=urllib.parse.quote,
    )
    frame = dashboard.open(suffix)
    assert frame.locator("path.smoothed").count() == 2
    assert dashboard.path_d("smoothed", QUOTES_RUN) is not None
    assert frame.locator("input.log-y").is_checked()
    assert frame.locator("input.smoothing").input_value() == "0.9"


def test_download_csv_and_json(dashboard, tmp_path):
    frame = dashboard.open()
    frame.locator("input.filter").fill("^(adam|sgd)/")
    frame.wait_for_function("() => document.querySelectorAll('path.smoothed').length === 2")

    with dashboard.page.expect_download() as info:
        frame.locator("button.download-csv").click()
    csv_path = tmp_path / "curves.csv"
    info.value.save_as(csv_path)
    lines = csv_path.read_text().splitlines()
    assert lines[0] == "run,learning_rate,loss,smoothed_loss"
    logdir = dashboard.server.logdir
    expected_rows = sum(len(logdir.curves[run][1]) for run in ("adam/lr_finder", "sgd/lr_finder"))
    assert len(lines) - 1 == expected_rows

    with dashboard.page.expect_download() as info:
        frame.locator("button.download-json").click()
    json_path = tmp_path / "curves.json"
    info.value.save_as(json_path)
    document = json.loads(json_path.read_text())
    assert [entry["run"] for entry in document["runs"]] == ["adam/lr_finder", "sgd/lr_finder"]
    rates, losses = logdir.curves["adam/lr_finder"]
    assert document["runs"][0]["series"]["losses"] == pytest.approx(losses.tolist())


def test_dark_mode_follows_tensorboard(dashboard, screenshot_dir):
    dashboard.page.emulate_media(color_scheme="dark")
    frame = dashboard.open()
    frame.wait_for_function("() => document.documentElement.dataset.theme === 'dark'")
    assert dashboard.page.evaluate("document.body.classList.contains('dark-mode')")
    background = frame.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(48, 48, 48)"
    dashboard.screenshot(screenshot_dir, "dark")

    # TensorBoard's dark-mode toggle switches the class on its body; the page follows it.
    dashboard.page.evaluate("document.body.classList.remove('dark-mode')")
    frame.wait_for_function("() => document.documentElement.dataset.theme === 'light'")


def test_error_state_shows_status_and_retries(dashboard, screenshot_dir):
    # The real backend responds to a request made invalid on the way (an unknown method).
    def corrupt(route):
        route.continue_(url=route.request.url.replace("method=steepest", "method=bogus"))

    dashboard.allowed_errors.append("status of 400")
    dashboard.page.route("**/data/plugin/lr_finder/curves?*", corrupt)
    frame = dashboard.open(state="error")

    title = frame.locator(".error-title").text_content()
    assert "HTTP 400" in title
    assert "curves" in title
    assert "method" in frame.locator(".error-detail").text_content()
    assert frame.locator(".empty-state").count() == 0
    assert not frame.locator(".data").is_visible()
    dashboard.screenshot(screenshot_dir, "error")

    dashboard.page.unroute("**/data/plugin/lr_finder/curves?*")
    frame.locator("button.retry").click()
    dashboard.wait_for_state("ready")
    assert frame.locator("path.smoothed").count() == len(ALL_RUNS)
    assert frame.locator(".error-state").count() == 0


def test_reload_button_grows_live_run(dashboard):
    frame = dashboard.open()
    logdir = dashboard.server.logdir
    live_before = dashboard.table_row(LIVE_RUN)
    assert live_before["cells"][4].startswith(f"{LIVE_FIRST_POINTS} points")
    path_before = dashboard.path_d("raw", LIVE_RUN)

    # Settings and selection that the reload must keep.
    dashboard.checkbox("sgd/lr_finder").uncheck()
    frame.locator("input.smoothing").fill("0.9")
    adam = expected_analysis(logdir, "adam/lr_finder", 0.9, "steepest")
    dashboard.wait_for_suggestion("adam/lr_finder", adam.suggestion)

    logdir.grow_live(LIVE_MORE_POINTS)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        points = {e["run"]: e["points"] for e in dashboard.server.get_json("runs")["runs"]}
        if points[LIVE_RUN] == LIVE_MORE_POINTS:
            break
        time.sleep(0.5)
    assert points[LIVE_RUN] == LIVE_MORE_POINTS, "TensorBoard did not load the new points"

    count = dashboard.draw_count()
    dashboard.page.locator("button.reload-button").click()
    frame.wait_for_function(
        "expected => [...document.querySelectorAll('.results tbody tr')]"
        ".some(tr => tr.dataset.run === 'live/lr_finder'"
        " && tr.cells[4].textContent.startsWith(expected))",
        arg=f"{LIVE_MORE_POINTS} points",
        timeout=30000,
    )
    assert dashboard.draw_count() > count
    assert dashboard.path_d("raw", LIVE_RUN) != path_before
    assert not dashboard.checkbox("sgd/lr_finder").is_checked()
    assert dashboard.path_d("smoothed", "sgd/lr_finder") is None
    assert frame.locator("input.smoothing").input_value() == "0.9"
    live = expected_analysis(logdir, LIVE_RUN, 0.9, "steepest")
    assert dashboard.table_row(LIVE_RUN)["suggestion"] == pytest.approx(live.suggestion)


def wait_for_plugin_frame(page):
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        for frame in page.frames:
            if "plugin_entry.html" in frame.url:
                return frame
        page.wait_for_timeout(100)
    raise AssertionError(f"no plugin_entry.html frame in {page.frames}")


def test_page_works_without_tensorboard_host(dashboard, servers):
    page = dashboard.page
    # Chromium asks for /favicon.ico when a page is opened on its own.
    dashboard.allowed_errors.append("favicon.ico")
    entry = f"{dashboard.server.url}/data/plugin_entry.html?name=lr_finder"

    # Opened directly: window.parent is the window itself.
    page.goto(entry)
    dashboard.frame = page.main_frame
    dashboard.wait_for_state("ready")
    assert page.locator("path.smoothed").count() == len(ALL_RUNS)

    # Framed by a page of the same origin that is not TensorBoard: the host
    # never replies, and the page starts after the request times out.
    page.goto(f"{dashboard.server.url}/data/plugin/lr_finder/index.js")
    page.set_content(f'<iframe src="{entry}" width="1200" height="900"></iframe>')
    dashboard.frame = wait_for_plugin_frame(page)
    dashboard.wait_for_state("ready")
    assert dashboard.frame.locator("path.smoothed").count() == len(ALL_RUNS)

    # TensorBoard inside a page of another origin, as Jupyter's %tensorboard
    # embeds it: the top window is foreign, the plugin's parent is TensorBoard.
    # The other origin is the empty log directory's server: same host, another
    # port, like a notebook server and the TensorBoard it starts.
    page.goto(f"{servers['empty'].url}/data/plugin/lr_finder/index.js")
    tensorboard = f"{dashboard.server.url}/#lr_finder"
    page.set_content(f'<iframe src="{tensorboard}" width="1300" height="900"></iframe>')
    dashboard.frame = wait_for_plugin_frame(page)
    dashboard.wait_for_state("ready")
    assert dashboard.frame.locator("path.smoothed").count() == len(ALL_RUNS)


@pytest.fixture
def empty_dashboard(browser_context, servers):
    page = browser_context.new_page()
    board = Dashboard(page, servers["empty"])
    try:
        yield board
        assert board.errors == [], "errors in the browser console"
    finally:
        page.close()


def test_empty_logdir_shows_how_to_write_data(empty_dashboard, screenshot_dir):
    frame = empty_dashboard.open(state="empty")
    paragraphs = frame.locator(".empty-state p").all_text_contents()
    assert len(paragraphs) == 2
    assert "No learning-rate range test" in paragraphs[0]
    code = frame.locator(".empty-state pre code").text_content()
    assert 'LRFinder(log_dir="logs")' in code
    assert "model.fit(" in code
    assert frame.locator(".error-state").count() == 0
    empty_dashboard.screenshot(screenshot_dir, "empty")


def load_bench_module():
    spec = importlib.util.spec_from_file_location("bench_render", ROOT / "bench" / "render.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_render_benchmark_writes_readable_curves(tmp_path):
    from tensorboard.backend.event_processing import event_file_loader
    from tensorboard.util import tensor_util

    from lrfinder_tb import metadata

    load_bench_module().write_logs(str(tmp_path), runs=2, points=50)

    for run in ("run_000", "run_001"):
        (path,) = (tmp_path / run).iterdir()
        values = {}
        for event in event_file_loader.EventFileLoader(str(path)).Load():
            for value in event.summary.value:
                values[value.tag] = (event.step, value)
        step, curve = values[metadata.CURVE_TAG]
        assert step == 50
        assert metadata.parse_plugin_content(curve.metadata.plugin_data.content)["kind"] == "curve"
        rates, losses = metadata.curve_from_array(tensor_util.make_ndarray(curve.tensor))
        assert rates.shape == losses.shape == (50,)
        status = tensor_util.make_ndarray(values[metadata.STATUS_TAG][1].tensor)
        assert metadata.status_from_array(status)["stop_reason"] == "sweep_complete"


def test_render_benchmark_quick_mode(servers):
    # The quick mode measures the module's running TensorBoard: starting another
    # one would cost more than the rest of this file.
    completed = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "render.py"),
            "--quick",
            "--url",
            servers["false"].url,
        ],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=ROOT,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    assert result["runs"] == len(ALL_RUNS)
    assert result["repeats"] == 2
    assert len(result["first_render_ms"]) == 2
    assert result["median_first_render_ms"] > 0
    assert result["first_load_first_render_ms"] == result["first_render_ms"][0]
    assert result["later_loads_median_first_render_ms"] == result["first_render_ms"][1]
    assert result["svg_paths"] >= 2 * len(ALL_RUNS)
