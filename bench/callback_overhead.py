"""Measure how much the `LRFinder` callback slows down `model.fit`.

The benchmark times `fit` over the same batches twice in one process: once with
`LRFinder` (writing its summaries to a temporary directory) and once with a
no-op `keras.callbacks.Callback()`. Each timed fit starts from the same weights
and optimizer state. After one warm-up fit of each (which traces the train
function), the two kinds of fit alternate in order, and the medians are
compared. The target is LRFinder / no-op <= 1.05.

The finder runs with `divergence_threshold=None`, `num_steps` equal to the
number of batches and a sweep that ends at a rate the model survives, so both
fits run exactly the same number of batches.

Usage:
    python bench/callback_overhead.py             # 100 batches of 32, 7 runs each
    python bench/callback_overhead.py --quick     # a few seconds, for the smoke test
    python bench/callback_overhead.py --profile   # also profile one LRFinder fit
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import platform
import pstats
import statistics
import sys
import tempfile
import time

import numpy as np

TARGET_RATIO = 1.05

# The sweep ends well below the rate at which this model's loss turns NaN, so
# the finder never stops early and both fits run every batch.
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
        "--profile", action="store_true", help="profile one LRFinder fit with cProfile"
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


def profile_finder_fit(fit_with_finder) -> str:
    """Profile one fit with the finder; return the lrfinder_tb functions by cumulative time."""
    profiler = cProfile.Profile()
    profiler.enable()
    fit_with_finder()
    profiler.disable()
    output = io.StringIO()
    stats = pstats.Stats(profiler, stream=output).sort_stats("cumulative")
    stats.print_stats("lrfinder_tb", 25)
    return output.getvalue()


def run(arguments: argparse.Namespace) -> dict:
    """Run the benchmark and return its measurements."""
    import keras
    import tensorflow as tf

    from lrfinder_tb.callback import LRFinder
    from lrfinder_tb.demo import build_model

    x, y = training_data(arguments.batches, arguments.batch_size)
    model = build_model(keras.optimizers.Adam())
    # Build the optimizer's slots now, so the snapshot contains every variable.
    model.optimizer.build(model.trainable_variables)
    snapshot = Snapshot(model)
    log_root = tempfile.mkdtemp(prefix="lrfinder-bench-")
    finders: list = []

    def fit_with_finder() -> float:
        finder = LRFinder(
            log_dir=log_root,
            run_name=f"finder_{len(finders)}",
            start_lr=SWEEP_START_LR,
            end_lr=SWEEP_END_LR,
            num_steps=arguments.batches,
            divergence_threshold=None,
        )
        finders.append(finder)
        return timed_fit(model, snapshot, x, y, arguments.batch_size, finder)

    def fit_with_noop() -> float:
        return timed_fit(model, snapshot, x, y, arguments.batch_size, keras.callbacks.Callback())

    # Warm-up: the first fit traces the train function.
    fit_with_noop()
    fit_with_finder()

    finder_seconds: list[float] = []
    noop_seconds: list[float] = []
    for index in range(arguments.runs):
        if index % 2 == 0:
            noop_seconds.append(fit_with_noop())
            finder_seconds.append(fit_with_finder())
        else:
            finder_seconds.append(fit_with_finder())
            noop_seconds.append(fit_with_noop())

    # Every finder must have swept all batches, or the comparison is unfair.
    for finder in finders:
        points = finder.result.losses.size
        if points != arguments.batches:
            raise RuntimeError(
                f"a finder recorded {points} points instead of {arguments.batches} "
                f"(stop reason {finder.result.stop_reason!r}); lower SWEEP_END_LR"
            )

    finder_median = statistics.median(finder_seconds)
    noop_median = statistics.median(noop_seconds)
    measurement = {
        "batches": arguments.batches,
        "batch_size": arguments.batch_size,
        "runs": arguments.runs,
        "finder_seconds": finder_seconds,
        "noop_seconds": noop_seconds,
        "finder_median_seconds": finder_median,
        "noop_median_seconds": noop_median,
        "ratio": finder_median / noop_median,
        "overhead_microseconds_per_batch": (finder_median - noop_median) / arguments.batches * 1e6,
        "target_ratio": TARGET_RATIO,
        "machine": {
            "cpus": os.cpu_count(),
            "gpus": len(tf.config.list_physical_devices("GPU")),
            "python": platform.python_version(),
            "tensorflow": tf.__version__,
            "keras": keras.__version__,
        },
    }
    if arguments.profile:
        measurement["profile"] = profile_finder_fit(fit_with_finder)
    return measurement


def format_report(measurement: dict) -> str:
    machine = measurement["machine"]
    lines = [
        f"fit of {measurement['batches']} batches of {measurement['batch_size']}, "
        f"{measurement['runs']} timed runs each, alternating order",
        f"machine: {machine['cpus']} CPUs, {machine['gpus']} GPUs, Python {machine['python']}, "
        f"TensorFlow {machine['tensorflow']}, Keras {machine['keras']}",
        "no-op callback: median {:.4f} s  (runs: {})".format(
            measurement["noop_median_seconds"],
            ", ".join(f"{value:.4f}" for value in measurement["noop_seconds"]),
        ),
        "LRFinder:       median {:.4f} s  (runs: {})".format(
            measurement["finder_median_seconds"],
            ", ".join(f"{value:.4f}" for value in measurement["finder_seconds"]),
        ),
        f"ratio LRFinder / no-op: {measurement['ratio']:.3f} (target <= {TARGET_RATIO})",
        f"overhead per batch: {measurement['overhead_microseconds_per_batch']:.0f} us",
    ]
    if "profile" in measurement:
        lines += [
            "",
            "profile of one LRFinder fit (lrfinder_tb functions):",
            measurement["profile"],
        ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict:
    """Run the benchmark with command line `argv` and print its report; return the measurement."""
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
