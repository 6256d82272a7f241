"""Measure how much the `LRFinder` callback slows down `model.fit`.

The benchmark times one epoch of `fit` over the same batches in one process
with different callbacks:

- `noop`: a plain `keras.callbacks.Callback()`, the baseline;
- `finder`: `LRFinder`, writing its summaries to a temporary directory;
- `empty_batch_end`: a callback whose `on_train_batch_end` does nothing. Keras 3
  runs batch-end hooks in a background thread unless a callback overrides
  `on_train_batch_end`; then it calls them in the training loop and converts
  the logs to Python floats first, after every batch. Every callback that
  reads the loss of each batch pays this, so it is the floor under `finder`.

Each timed fit starts from the same weights and optimizer state. After one
warm-up fit of each kind (which traces the train function), the kinds run in
rotating order, and the medians are compared. The target is finder / noop <= 1.05.

The finder runs with `divergence_threshold=None`, `num_steps` equal to the
number of batches and a sweep that ends at a rate the model survives, so every
fit runs exactly the same batches.

Usage:
    python bench/callback_overhead.py             # 100 batches of 32, 7 runs each
    python bench/callback_overhead.py --quick     # a few seconds, for the smoke test
    python bench/callback_overhead.py --profile   # also profile the finder's calls
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import platform
import pstats
import statistics
import sys
import tempfile
import time
import timeit

import numpy as np

TARGET_RATIO = 1.05
KINDS = ("noop", "empty_batch_end", "finder")

# The sweep ends well below the rate at which this model's loss turns NaN, so
# the finder never stops early and every fit runs every batch.
SWEEP_START_LR = 1e-6
SWEEP_END_LR = 1e-2


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batches", type=int, default=100, help="batches per fit (default 100)")
    parser.add_argument("--batch-size", type=int, default=32, help="batch size (default 32)")
    parser.add_argument("--runs", type=int, default=7, help="timed fits of each kind (default 7)")
    parser.add_argument(
        "--quick", action="store_true", help="20 batches and 2 runs each, for a smoke test"
    )
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="profile a finder fit with cProfile, time its batch hooks and single variable reads",
    )
    arguments = parser.parse_args(argv)
    if arguments.quick:
        arguments.batches, arguments.runs = 20, 2
    if arguments.batches < 2 or arguments.runs < 1 or arguments.batch_size < 1:
        parser.error("--batches must be >= 2, --runs >= 1 and --batch-size >= 1")
    return arguments


def training_data(batches: int, batch_size: int) -> tuple[np.ndarray, np.ndarray]:
    """Return exactly `batches * batch_size` digits, repeating the set as needed."""
    from lrfinder_tb.demo import load_digits_split

    images, labels, _, _ = load_digits_split()
    needed = batches * batch_size
    repeats = -(-needed // len(labels))
    return np.concatenate([images] * repeats)[:needed], np.concatenate([labels] * repeats)[:needed]


class Snapshot:
    """The model's weights and optimizer variables, to start every fit from the same state."""

    def __init__(self, model):
        self.variables = list(model.weights) + list(model.optimizer.variables)
        self.values = [np.array(variable.numpy(), copy=True) for variable in self.variables]

    def restore(self) -> None:
        for variable, value in zip(self.variables, self.values, strict=True):
            variable.assign(value)


def timed_fit(model, snapshot: Snapshot, x, y, batch_size: int, callback) -> float:
    """Restore the snapshot, then return the wall time of one epoch of `fit`, in seconds."""
    snapshot.restore()
    start = time.perf_counter()
    model.fit(x, y, batch_size=batch_size, epochs=1, shuffle=False, callbacks=[callback], verbose=0)
    return time.perf_counter() - start


def profile_finder(fit_with_finder, batches: int) -> list[dict]:
    """Profile one fit with the finder; return its lrfinder_tb calls by cumulative time.

    cProfile adds its own cost to every Python call, so the absolute numbers are
    higher than without it; the shares between calls are what it shows.
    """
    profiler = cProfile.Profile()
    profiler.enable()
    fit_with_finder()
    profiler.disable()

    rows = []
    for (path, line, function), (_, calls, _, cumulative, _) in pstats.Stats(
        profiler
    ).stats.items():
        if "lrfinder_tb" not in path:
            continue
        rows.append(
            {
                "function": f"{os.path.basename(path)}:{line}({function})",
                "calls": calls,
                "microseconds_per_call": cumulative / calls * 1e6,
                "microseconds_per_batch": cumulative / batches * 1e6,
            }
        )
    rows.sort(key=lambda row: row["microseconds_per_batch"], reverse=True)
    return rows[:15]


def time_variable_access(model) -> dict[str, float]:
    """Time single reads and writes of TensorFlow variables, in microseconds each."""
    from lrfinder_tb import keras_compat

    learning_rate = model.optimizer.learning_rate
    number = 500
    timings = {
        "learning_rate.numpy()": lambda: learning_rate.numpy(),
        "learning_rate.assign(float)": lambda: learning_rate.assign(1e-4),
        "keras_compat.LossTrackerReader(model).read()": keras_compat.LossTrackerReader(model).read,
    }
    return {
        name: timeit.timeit(function, number=number) / number * 1e6
        for name, function in timings.items()
    }


def time_finder_hooks(make_timed_finder, fit, batches: int, runs: int) -> dict[str, float]:
    """Return the median wall time spent inside the finder's batch hooks, per batch in us."""
    begin, end = [], []
    for _ in range(runs):
        finder = make_timed_finder()
        fit(finder)
        begin.append(finder.hook_seconds["on_train_batch_begin"] / batches * 1e6)
        end.append(finder.hook_seconds["on_train_batch_end"] / batches * 1e6)
    return {
        "on_train_batch_begin": statistics.median(begin),
        "on_train_batch_end": statistics.median(end),
    }


def run(arguments: argparse.Namespace) -> dict:
    """Run the benchmark and return its measurements."""
    import keras
    import tensorflow as tf

    from lrfinder_tb.callback import LRFinder
    from lrfinder_tb.demo import build_model

    class EmptyBatchEnd(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            pass

    class TimedFinder(LRFinder):
        """An LRFinder that adds up the wall time spent in its batch hooks."""

        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.hook_seconds = {"on_train_batch_begin": 0.0, "on_train_batch_end": 0.0}

        def on_train_batch_begin(self, batch, logs=None):
            start = time.perf_counter()
            super().on_train_batch_begin(batch, logs)
            self.hook_seconds["on_train_batch_begin"] += time.perf_counter() - start

        def on_train_batch_end(self, batch, logs=None):
            start = time.perf_counter()
            super().on_train_batch_end(batch, logs)
            self.hook_seconds["on_train_batch_end"] += time.perf_counter() - start

    x, y = training_data(arguments.batches, arguments.batch_size)
    model = build_model(keras.optimizers.Adam())
    # Build the optimizer's slots now, so the snapshot contains every variable.
    model.optimizer.build(model.trainable_variables)
    snapshot = Snapshot(model)
    log_root = tempfile.mkdtemp(prefix="lrfinder-bench-")
    finders: list = []

    def make_finder(finder_class=LRFinder):
        finder = finder_class(
            log_dir=log_root,
            run_name=f"finder_{len(finders)}",
            start_lr=SWEEP_START_LR,
            end_lr=SWEEP_END_LR,
            num_steps=arguments.batches,
            divergence_threshold=None,
        )
        finders.append(finder)
        return finder

    make_callback = {
        "noop": keras.callbacks.Callback,
        "empty_batch_end": EmptyBatchEnd,
        "finder": make_finder,
    }

    def fit_with(kind: str) -> float:
        return timed_fit(model, snapshot, x, y, arguments.batch_size, make_callback[kind]())

    # Warm-up: the first fit traces the train function.
    for kind in KINDS:
        fit_with(kind)

    seconds: dict[str, list[float]] = {kind: [] for kind in KINDS}
    for index in range(arguments.runs):
        # Rotate the order, so no kind always runs first or right after another.
        shift = index % len(KINDS)
        for kind in KINDS[shift:] + KINDS[:shift]:
            seconds[kind].append(fit_with(kind))

    # Every finder must have swept all batches, or the comparison is unfair.
    for finder in finders:
        points = finder.result.losses.size
        if points != arguments.batches:
            raise RuntimeError(
                f"a finder recorded {points} points instead of {arguments.batches} "
                f"(stop reason {finder.result.stop_reason!r}); lower SWEEP_END_LR"
            )

    medians = {kind: statistics.median(values) for kind, values in seconds.items()}
    # The fastest run is the one least disturbed by other processes.
    minimums = {kind: min(values) for kind, values in seconds.items()}
    measurement = {
        "batches": arguments.batches,
        "batch_size": arguments.batch_size,
        "runs": arguments.runs,
        "seconds": seconds,
        "median_seconds": medians,
        "ratio": medians["finder"] / medians["noop"],
        "ratio_to_empty_batch_end": medians["finder"] / medians["empty_batch_end"],
        "minimum_seconds": minimums,
        "ratio_of_minimums": minimums["finder"] / minimums["noop"],
        # Each round times every kind back to back, so a slow spell on the shared
        # machine slows both fits of a pair. Their ratios then vary less than the
        # fits do.
        "median_paired_ratio": statistics.median(
            finder / noop for finder, noop in zip(seconds["finder"], seconds["noop"], strict=True)
        ),
        "overhead_microseconds_per_batch": {
            kind: (medians[kind] - medians["noop"]) / arguments.batches * 1e6
            for kind in KINDS
            if kind != "noop"
        },
        "target_ratio": TARGET_RATIO,
        "machine": {
            "cpus": os.cpu_count(),
            "gpus": len(tf.config.list_physical_devices("GPU")),
            "load_average_1min": os.getloadavg()[0],
            "python": platform.python_version(),
            "tensorflow": tf.__version__,
            "keras": keras.__version__,
        },
    }
    if arguments.profile:
        measurement["profile"] = profile_finder(lambda: fit_with("finder"), arguments.batches)
        measurement["hook_microseconds_per_batch"] = time_finder_hooks(
            lambda: make_finder(TimedFinder),
            lambda finder: timed_fit(model, snapshot, x, y, arguments.batch_size, finder),
            arguments.batches,
            arguments.runs,
        )
        measurement["variable_access_microseconds"] = time_variable_access(model)
    return measurement


def format_report(measurement: dict) -> str:
    """Format a measurement of `run` as readable text."""
    machine = measurement["machine"]
    batches = measurement["batches"]
    lines = [
        f"fit of {batches} batches of {measurement['batch_size']}, "
        f"{measurement['runs']} timed runs of each callback, rotating order",
        f"machine: {machine['cpus']} CPUs, {machine['gpus']} GPUs, "
        f"load average {machine['load_average_1min']:.2f}, Python {machine['python']}, "
        f"TensorFlow {machine['tensorflow']}, Keras {machine['keras']}",
    ]
    for kind in KINDS:
        median = measurement["median_seconds"][kind]
        runs = ", ".join(f"{value:.3f}" for value in measurement["seconds"][kind])
        overhead = measurement["overhead_microseconds_per_batch"].get(kind)
        extra = "" if overhead is None else f", {overhead:+.0f} us per batch"
        lines.append(
            f"{kind:16s} median {median:.3f} s ({median / batches * 1e3:.2f} ms per batch"
            f"{extra}); runs: {runs}"
        )
    lines.append(
        f"ratio finder / noop: {measurement['ratio']:.3f} (target <= {TARGET_RATIO}); "
        f"finder / empty_batch_end: {measurement['ratio_to_empty_batch_end']:.3f}; "
        f"fastest finder / fastest noop: {measurement['ratio_of_minimums']:.3f}; "
        f"median of each round's finder / noop: {measurement['median_paired_ratio']:.3f}"
    )

    if "profile" in measurement:
        lines += ["", "cProfile of one finder fit (lrfinder_tb calls, cumulative):"]
        lines.append(f"  {'function':58s} {'calls':>6s} {'us/call':>9s} {'us/batch':>9s}")
        for row in measurement["profile"]:
            lines.append(
                f"  {row['function']:58s} {row['calls']:6d} "
                f"{row['microseconds_per_call']:9.1f} {row['microseconds_per_batch']:9.1f}"
            )
        lines += ["", "wall time inside the finder's hooks, median per batch:"]
        for hook, microseconds in measurement["hook_microseconds_per_batch"].items():
            lines.append(f"  {hook:40s} {microseconds:8.1f} us")
        lines += ["", "single calls, outside fit (microseconds each):"]
        for name, microseconds in measurement["variable_access_microseconds"].items():
            lines.append(f"  {name:40s} {microseconds:8.1f}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict:
    """Run the benchmark with command line `argv`, print its report and return the measurement."""
    arguments = parse_arguments(argv)
    measurement = run(arguments)
    if arguments.json:
        print(json.dumps(measurement, indent=2))
    else:
        print(format_report(measurement))
    return measurement


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    main(sys.argv[1:])
