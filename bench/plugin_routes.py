"""Compare the LR Finder curves route with TensorBoard's own scalars route.

Both plugins serve the same number of series from one log directory:

- ours: `--runs` range tests of `--points` points each, written with
  `CurveWriter` (one `[N, 2]` tensor per run), requested in ONE call of
  `GET /data/plugin/lr_finder/curves?run=...&width=1000` for all runs. With
  `width=1000` and 1,000 points nothing is downsampled, so every point is sent
  (three series per run) together with the analysis of each curve.
- theirs: `--runs` runs with one scalar tag of `--points` steps, written with
  `tf.summary.scalar`, requested in ONE call of the scalars plugin's
  `POST /data/plugin/scalars/scalars_multirun` with the tag and every run. That
  is the scalars plugin's route that serves many runs in one request, so both
  sides pay for one request. TensorBoard's Python loader keeps 1,000 scalars per
  series by default, so all points are sent.

Both routes run behind `TensorBoardWSGI` with a werkzeug test `Client`, over
the Python loader (`EventMultiplexer` + `MultiplexerDataProvider`, with the
size guidance TensorBoard itself uses) and over the fast loader (the Rust data
server). Each route gets one warm-up request, then `--repeats` timed requests. The
requests alternate between the routes, so that all meet the same background load.

The plugin caches parsed curves and analyzed entries by each run's data
fingerprint, so a repeated request is served from memory. Ours is therefore
timed twice. Uncached, a new plugin instance serves each request, so it reads,
analyzes and encodes every run as a first request does. Cached, one plugin
instance that has served the same request before serves it again. The
script prints the medians and the ratios ours / theirs; the target is <= 1.0,
and `ratio` is the uncached one.

Usage:
    python bench/plugin_routes.py             # 100 runs x 1,000 points, 7 repeats
    python bench/plugin_routes.py --quick     # 5 runs x 100 points, a smoke test
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse

import numpy as np

TARGET_RATIO = 1.0
SCALAR_TAG = "loss"
LOAD_TIMEOUT_SECONDS = 120.0


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=100, help="runs per plugin (default 100)")
    parser.add_argument("--points", type=int, default=1000, help="points per run (default 1000)")
    parser.add_argument("--repeats", type=int, default=7, help="timed requests (default 7)")
    parser.add_argument(
        "--loaders",
        default="python,fast",
        help="comma-separated loaders to measure: python, fast (default both)",
    )
    parser.add_argument(
        "--quick", action="store_true", help="5 runs x 100 points, 2 repeats, for a smoke test"
    )
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument(
        "--logdir",
        help="write the data here and keep it; if the folder is not empty, reuse its data "
        "(it must have been written with the same --runs and --points)",
    )
    arguments = parser.parse_args(argv)
    if arguments.quick:
        arguments.runs, arguments.points, arguments.repeats = 5, 100, 2
    arguments.loaders = [name.strip() for name in arguments.loaders.split(",") if name.strip()]
    if arguments.runs < 1 or arguments.points < 2 or arguments.repeats < 1:
        parser.error("--runs must be >= 1, --points >= 2 and --repeats >= 1")
    if not set(arguments.loaders) <= {"python", "fast"} or not arguments.loaders:
        parser.error(f"--loaders must name python and/or fast, got {arguments.loaders}")
    return arguments


def write_logdir(logdir: str, runs: int, points: int) -> None:
    """Write `runs` range tests under lr/ and `runs` scalar series under scalars/."""
    import tensorflow as tf

    from lrfinder_tb.summary_writer import CurveWriter

    # One graph call per run writes every step; eager calls, one per step, took
    # minutes for 100,000 scalars on a loaded 2-core machine.
    def write_scalars(values):
        for step in tf.range(tf.shape(values, out_type=tf.int64)[0]):
            # Without this, the loop's name scope would turn the tag into "while/loss".
            with tf.compat.v1.name_scope(None):
                tf.summary.scalar(SCALAR_TAG, values[step], step=step)

    rng = np.random.default_rng(0)
    learning_rates = np.geomspace(1e-7, 10.0, points)
    clean = 2.0 / (1.0 + (learning_rates / 1e-2) ** 2) + 0.3 + learning_rates**2
    for index in range(runs):
        losses = clean + rng.normal(0.0, 0.01, points)

        writer = CurveWriter(os.path.join(logdir, "lr", f"run_{index:03d}"), {"start_lr": 1e-7})
        writer.write_curve(learning_rates, losses)
        writer.write_status("sweep_complete", step=points)
        writer.close()

        scalar_writer = tf.summary.create_file_writer(
            os.path.join(logdir, "scalars", f"run_{index:03d}")
        )
        with scalar_writer.as_default():
            # A traced function keeps the writer it was traced with, so each
            # run traces its own.
            tf.function(write_scalars)(tf.constant(losses, tf.float32))
        scalar_writer.close()


def python_provider(logdir: str):
    from tensorboard.backend.event_processing import data_ingester, plugin_event_multiplexer
    from tensorboard.backend.event_processing import data_provider as multiplexer_provider

    multiplexer = plugin_event_multiplexer.EventMultiplexer(
        size_guidance=data_ingester.DEFAULT_SIZE_GUIDANCE,
        tensor_size_guidance=dict(data_ingester.DEFAULT_TENSOR_SIZE_GUIDANCE),
    )
    multiplexer.AddRunsFromDirectory(logdir)
    multiplexer.Reload()
    return multiplexer_provider.MultiplexerDataProvider(multiplexer, logdir), None


def fast_provider(logdir: str, runs: int):
    import tensorboard_data_server
    from tensorboard import context
    from tensorboard.data import server_ingester
    from tensorboard.util import grpc_util

    ingester = server_ingester.SubprocessServerDataIngester(
        server_binary=server_ingester.ServerBinary(
            tensorboard_data_server.server_binary(), version=None
        ),
        logdir=logdir,
        reload_interval=0,
        channel_creds_type=grpc_util.ChannelCredsType.LOCAL,
        samples_per_plugin={},
    )
    ingester.start()
    provider = ingester.data_provider

    # The data server loads in the background: wait until every run is there.
    deadline = time.monotonic() + LOAD_TIMEOUT_SECONDS
    ctx = context.RequestContext()
    while time.monotonic() < deadline:
        curves = provider.list_tensors(ctx, experiment_id="", plugin_name="lr_finder")
        scalars = provider.list_scalars(ctx, experiment_id="", plugin_name="scalars")
        if len(curves) == runs and len(scalars) == runs:
            break
        time.sleep(0.2)
    else:
        raise RuntimeError(f"the data server did not load {runs} runs in {LOAD_TIMEOUT_SECONDS} s")
    return provider, ingester


def make_client(provider):
    from tensorboard.backend import application
    from tensorboard.plugins import base_plugin
    from tensorboard.plugins.scalar import scalars_plugin
    from werkzeug.test import Client

    from lrfinder_tb.plugin import LRFinderPlugin

    context = base_plugin.TBContext(data_provider=provider, sampling_hints={})
    plugins = [LRFinderPlugin(context), scalars_plugin.ScalarsPlugin(context)]
    return Client(application.TensorBoardWSGI(plugins, data_provider=provider))


def time_alternately(senders: list, repeats: int) -> tuple[list[list[float]], list[int]]:
    """Warm up every route, then time `repeats` requests of each, alternating.

    Alternating exposes the routes to the same background load of the machine.

    Returns:
        `(seconds of each sender, body size of each sender)`.
    """
    sizes = [send() for send in senders]
    seconds: list[list[float]] = [[] for _ in senders]
    for _ in range(repeats):
        for send, timings in zip(senders, seconds, strict=True):
            start = time.perf_counter()
            send()
            timings.append(time.perf_counter() - start)
    return seconds, sizes


def measure(provider, runs: int, points: int, repeats: int) -> dict:
    client = make_client(provider)
    curve_runs = [f"lr/run_{index:03d}" for index in range(runs)]
    scalar_runs = [f"scalars/run_{index:03d}" for index in range(runs)]
    curves_url = "/data/plugin/lr_finder/curves?" + urllib.parse.urlencode(
        [("run", run) for run in curve_runs] + [("width", "1000")]
    )

    def send_curves(target=client) -> int:
        response = target.get(curves_url)
        body = response.get_data()
        assert response.status_code == 200, body[:300]
        answer = json.loads(body)
        assert len(answer["runs"]) == runs
        assert all(len(run["series"]["losses"]) == points for run in answer["runs"])
        return len(body)

    def send_scalars() -> int:
        response = client.post(
            "/data/plugin/scalars/scalars_multirun",
            data={"tag": SCALAR_TAG, "runs": scalar_runs},
        )
        body = response.get_data()
        assert response.status_code == 200, body[:300]
        answer = json.loads(body)
        assert len(answer) == runs
        assert all(len(series) == points for series in answer.values())
        return len(body)

    def send_curves_uncached() -> int:
        return send_curves(make_client(provider))

    (ours, cached, theirs), (our_size, _, their_size) = time_alternately(
        [send_curves_uncached, send_curves, send_scalars], repeats
    )
    return {
        "ours_seconds": ours,
        "ours_cached_seconds": cached,
        "theirs_seconds": theirs,
        "ours_median": statistics.median(ours),
        "ours_cached_median": statistics.median(cached),
        "theirs_median": statistics.median(theirs),
        "ratio": statistics.median(ours) / statistics.median(theirs),
        "ratio_cached": statistics.median(cached) / statistics.median(theirs),
        "ours_bytes": our_size,
        "theirs_bytes": their_size,
    }


def machine() -> dict:
    cpu = platform.processor() or "unknown"
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            names = [line.split(":", 1)[1].strip() for line in cpuinfo if "model name" in line]
            cpu = names[0] if names else cpu
    except OSError:
        pass
    import tensorboard

    date = subprocess.run(["date"], capture_output=True, text=True).stdout.strip()
    return {
        "date": date,
        "load_average_1min": round(os.getloadavg()[0], 2),
        "cores": os.cpu_count(),
        "cpu": cpu,
        "python": platform.python_version(),
        "tensorboard": tensorboard.__version__,
        "numpy": np.__version__,
    }


def main(argv: list[str] | None = None) -> dict:
    arguments = parse_arguments(argv)
    result = {
        "command": " ".join(["python", "bench/plugin_routes.py", *(argv or sys.argv[1:])]),
        "machine": machine(),
        "runs": arguments.runs,
        "points": arguments.points,
        "repeats": arguments.repeats,
        "loaders": {},
    }
    with tempfile.TemporaryDirectory(prefix="lrfinder_bench_") as temporary:
        logdir = arguments.logdir or temporary
        if not (os.path.isdir(logdir) and os.listdir(logdir)):
            write_logdir(logdir, arguments.runs, arguments.points)
        for loader in arguments.loaders:
            if loader == "python":
                provider, ingester = python_provider(logdir)
            else:
                provider, ingester = fast_provider(logdir, arguments.runs)
            try:
                result["loaders"][loader] = measure(
                    provider, arguments.runs, arguments.points, arguments.repeats
                )
            finally:
                if ingester is not None:
                    # The data server runs with --die-after-stdin.
                    ingester._stdin_handle.close()

    if arguments.json:
        print(json.dumps(result, indent=2))
    else:
        print_report(result)
    return result


def print_report(result: dict) -> None:
    print(f"command: {result['command']}")
    for key, value in result["machine"].items():
        print(f"{key}: {value}")
    print(
        f"{result['runs']} runs x {result['points']} points, one request per route, "
        f"median of {result['repeats']} after one warm-up"
    )
    print(
        f"{'loader':<8} {'curves (ours)':>14} {'cached':>10} {'scalars_multirun':>17} "
        f"{'ratio':>7} {'cached':>7}  bytes"
    )
    for loader, numbers in result["loaders"].items():
        verdict = "ok" if numbers["ratio"] <= TARGET_RATIO else f"above {TARGET_RATIO}"
        print(
            f"{loader:<8} {numbers['ours_median'] * 1e3:>11.1f} ms "
            f"{numbers['ours_cached_median'] * 1e3:>7.1f} ms "
            f"{numbers['theirs_median'] * 1e3:>14.1f} ms {numbers['ratio']:>7.2f} "
            f"{numbers['ratio_cached']:>7.2f}  "
            f"{numbers['ours_bytes']} / {numbers['theirs_bytes']}  ({verdict})"
        )


if __name__ == "__main__":
    main()
