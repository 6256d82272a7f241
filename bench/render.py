"""Measure the LR Finder tab's first render in Chromium.

Writes `--runs` range tests of `--points` points each in `CurveWriter`'s
format, starts a real `tensorboard` subprocess on them, and loads `/#lr_finder` in
Debian's Chromium (headless, through Playwright) `--repeats` times, each in a
fresh page. The dashboard records `performance.now()` timestamps in
`window.__lrFinderTimings`:

- first render: from the start of `render()` to the chart and table being in
  the DOM (`chartDrawn - renderStart`). This includes fetching the runs route
  and the curves route, so it contains the backend's analysis of the runs
  drawn first;
- frontend part: from the parsed curves response to the chart in the DOM
  (`chartDrawn - curvesLoaded`): downsampling, SVG and table building;
- first paint: to the first frame painted after the chart was drawn;
- all runs drawn: to the chart showing every run. With more than 24 runs the
  dashboard fetches and draws them in batches of 10, 20, 40, ... runs, so the
  first render shows the first batch;
- redraw: a full redraw of every run from data already loaded (toggling the
  log y axis back to linear), until the DOM is updated and until the next paint.

The medians are printed; the target for the first render is <= 250 ms.

The plugin caches parsed curves, analyses and encoded entries by each run's
data fingerprint. The harness polls the runs route until every run is listed,
which parses every curve. The first page load then analyzes the curves it
shows, and later loads are served from the caches. So the first load is also
reported on its own (`first_load_*`), next to the median of the later loads
(`later_loads_median_first_render_ms`).

Usage:
    python bench/render.py                   # 200 runs x 10,000 points, 5 repeats
    python bench/render.py --quick           # 3 runs x 200 points, 2 repeats (smoke test)
    python bench/render.py --load-fast=true  # the fast (Rust) loader instead of Python's
    python bench/render.py --quick --url http://127.0.0.1:6006
                                             # measure a running TensorBoard and its runs
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

import numpy as np

TARGET_MS = 250.0
LOAD_TIMEOUT_SECONDS = 600.0
PAGE_TIMEOUT_MS = 120000
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=200, help="number of runs (default 200)")
    parser.add_argument("--points", type=int, default=10000, help="points per run (default 10,000)")
    parser.add_argument("--repeats", type=int, default=5, help="page loads to measure (default 5)")
    parser.add_argument(
        "--load-fast",
        choices=["true", "false"],
        default="false",
        help="TensorBoard's --load_fast value (default false: the Python loader)",
    )
    parser.add_argument(
        "--quick", action="store_true", help="3 runs x 200 points, 2 repeats: a smoke test"
    )
    parser.add_argument(
        "--chromium", default="/usr/bin/chromium", help="Chromium executable (default Debian's)"
    )
    parser.add_argument(
        "--url",
        help="measure the TensorBoard running at this URL (with whatever runs it has) "
        "instead of writing logs and starting one",
    )
    arguments = parser.parse_args(argv)
    if arguments.quick:
        arguments.runs, arguments.points, arguments.repeats = 3, 200, 2
    return arguments


def _record(data: bytes) -> bytes:
    """Frame one TFRecord: length, masked CRC-32C of the length, data, masked CRC of the data."""
    from tensorboard.compat.tensorflow_stub.pywrap_tensorflow import masked_crc32c

    length = struct.pack("<Q", len(data))
    return (
        length
        + struct.pack("<I", masked_crc32c(length))
        + data
        + struct.pack("<I", masked_crc32c(data))
    )


def write_curve_file(run_dir: str, learning_rates, losses, stop_reason: str) -> None:
    """Write one run's curve and status as `CurveWriter` does, without importing TensorFlow.

    The events carry the same tags, metadata (from `lrfinder_tb.metadata`) and
    tensors as `CurveWriter`'s. Only the file writer differs, because importing
    TensorFlow takes longer than the whole quick benchmark.
    """
    from tensorboard.compat.proto import event_pb2, summary_pb2
    from tensorboard.util import tensor_util

    from lrfinder_tb import metadata

    points = np.stack([learning_rates, losses], axis=1).astype(np.float32)
    step = int(points.shape[0])
    status = json.dumps({"stop_reason": stop_reason}).encode("utf-8")
    values = [
        (metadata.CURVE_TAG, metadata.KIND_CURVE, points),
        (metadata.STATUS_TAG, metadata.KIND_STATUS, np.array(status, dtype=object)),
    ]
    os.makedirs(run_dir, exist_ok=True)
    now = time.time()
    path = os.path.join(run_dir, f"events.out.tfevents.{int(now)}.bench.{os.getpid()}.v2")
    with open(path, "wb") as events:
        events.write(
            _record(
                event_pb2.Event(wall_time=now, file_version="brain.Event:2").SerializeToString()
            )
        )
        for tag, kind, array in values:
            summary = summary_pb2.Summary()
            summary.value.add(
                tag=tag,
                metadata=metadata.create_summary_metadata(kind, {"start_lr": 1e-7}),
                tensor=tensor_util.make_tensor_proto(array),
            )
            event = event_pb2.Event(wall_time=now, step=step, summary=summary)
            events.write(_record(event.SerializeToString()))


def write_logs(logdir: str, runs: int, points: int) -> None:
    """Write `runs` synthetic range tests of `points` points each."""
    rng = np.random.default_rng(0)
    learning_rates = np.geomspace(1e-7, 10.0, points)
    log_rate = np.log10(learning_rates)
    for index in range(runs):
        center = -4.0 + 3.0 * rng.random()
        losses = 2.3 - 1.8 / (1.0 + np.exp(-(log_rate - center) / 0.5))
        losses = losses + np.exp((log_rate - (center + 2.2)) * 3.0)
        losses = losses * (1.0 + 0.04 * rng.standard_normal(points))
        write_curve_file(
            os.path.join(logdir, f"run_{index:03d}"), learning_rates, losses, "sweep_complete"
        )


def free_port() -> int:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_runs(url: str, expected: int, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + LOAD_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"tensorboard exited with code {process.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/data/plugin/lr_finder/runs", timeout=30) as reply:
                if len(json.loads(reply.read())["runs"]) >= expected:
                    return
        except (urllib.error.URLError, ConnectionError, OSError, ValueError):
            pass
        time.sleep(1.0)
    raise RuntimeError(f"tensorboard did not list {expected} runs in {LOAD_TIMEOUT_SECONDS} s")


REDRAW_SCRIPT = """async () => {
    const box = document.querySelector('input.log-y');
    const frame = () => new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve)));
    box.click();
    await frame();
    const start = performance.now();
    box.click();
    const drawn = performance.now();
    await frame();
    return {drawn: drawn - start, painted: performance.now() - start};
}"""


def measure(url: str, chromium: str, repeats: int, profile: str) -> list[dict]:
    """Load the tab `repeats` times and return the timings of each load."""
    from playwright.sync_api import sync_playwright

    results = []
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=chromium,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1400, "height": 1000},
        )
        try:
            for _ in range(repeats):
                page = context.new_page()
                page.goto(f"{url}/#lr_finder")
                frame = None
                deadline = time.monotonic() + 60
                while frame is None and time.monotonic() < deadline:
                    frame = next((f for f in page.frames if "plugin_entry.html" in f.url), None)
                    if frame is None:
                        page.wait_for_timeout(50)
                if frame is None:
                    raise RuntimeError("the plugin frame did not appear")
                frame.wait_for_function(
                    "() => window.__lrFinderTimings && window.__lrFinderTimings.painted"
                    " && window.__lrFinderTimings.allDrawn",
                    timeout=PAGE_TIMEOUT_MS,
                )
                timings = frame.evaluate("() => ({...window.__lrFinderTimings})")
                # A full redraw of every run from loaded data. The log-y checkbox
                # redraws synchronously in its change handler, and the second
                # toggle (back to linear) reuses the prepared series.
                timings["redraw"] = frame.evaluate(REDRAW_SCRIPT)
                timings["paths"] = frame.evaluate("document.querySelectorAll('path').length")
                results.append(timings)
                page.close()
        finally:
            context.close()
    return results


def measure_new_server(arguments: argparse.Namespace, workdir: str, profile: str) -> list[dict]:
    """Write the logs, start TensorBoard on them, measure, and stop it."""
    logdir = os.path.join(workdir, "logs")
    started = time.perf_counter()
    write_logs(logdir, arguments.runs, arguments.points)
    print(
        f"wrote {arguments.runs} runs x {arguments.points} points in "
        f"{time.perf_counter() - started:.1f} s",
        file=sys.stderr,
    )

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with open(os.path.join(workdir, "tensorboard.log"), "wb") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tensorboard.main",
                "--logdir",
                logdir,
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                f"--load_fast={arguments.load_fast}",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_for_runs(url, arguments.runs, process)
            return measure(url, arguments.chromium, arguments.repeats, profile)
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=15)


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    if not shutil.which(arguments.chromium) and not os.path.exists(arguments.chromium):
        print(f"Chromium not found at {arguments.chromium}", file=sys.stderr)
        return 2

    with tempfile.TemporaryDirectory(prefix="lrfinder_render_") as workdir:
        profile = os.path.join(workdir, "profile")
        if arguments.url:
            url = arguments.url.rstrip("/")
            with urllib.request.urlopen(f"{url}/data/plugin/lr_finder/runs", timeout=30) as reply:
                arguments.runs = len(json.loads(reply.read())["runs"])
            arguments.points = None
            arguments.load_fast = None
            results = measure(url, arguments.chromium, arguments.repeats, profile)
        else:
            results = measure_new_server(arguments, workdir, profile)

    first = results[0]

    def median(key_from, key_to):
        return statistics.median(result[key_to] - result[key_from] for result in results)

    summary = {
        "runs": arguments.runs,
        "points": arguments.points,
        "repeats": arguments.repeats,
        "load_fast": arguments.load_fast,
        "median_first_render_ms": round(median("renderStart", "chartDrawn"), 1),
        "median_start_to_runs_ms": round(median("renderStart", "runsLoaded"), 1),
        "median_curves_route_ms": round(median("runsLoaded", "curvesLoaded"), 1),
        "median_frontend_draw_ms": round(median("curvesLoaded", "chartDrawn"), 1),
        "median_first_paint_ms": round(median("renderStart", "painted"), 1),
        "median_all_runs_drawn_ms": round(median("renderStart", "allDrawn"), 1),
        "median_redraw_all_ms": round(statistics.median(r["redraw"]["drawn"] for r in results), 1),
        "median_redraw_all_painted_ms": round(
            statistics.median(r["redraw"]["painted"] for r in results), 1
        ),
        "first_render_ms": [round(r["chartDrawn"] - r["renderStart"], 1) for r in results],
        "first_load_first_render_ms": round(first["chartDrawn"] - first["renderStart"], 1),
        "first_load_start_to_runs_ms": round(first["runsLoaded"] - first["renderStart"], 1),
        "first_load_curves_route_ms": round(first["curvesLoaded"] - first["runsLoaded"], 1),
        "first_load_frontend_draw_ms": round(first["chartDrawn"] - first["curvesLoaded"], 1),
        "first_load_all_runs_drawn_ms": round(first["allDrawn"] - first["renderStart"], 1),
        "later_loads_median_first_render_ms": (
            round(statistics.median(r["chartDrawn"] - r["renderStart"] for r in results[1:]), 1)
            if len(results) > 1
            else None
        ),
        "svg_paths": results[-1]["paths"],
        "target_ms": TARGET_MS,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.python_version()}",
    }
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
