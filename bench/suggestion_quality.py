"""Measure how good each suggestion rule's learning rate is, against a grid search.

For every task (a small model on data that needs no download), the harness

1. trains the model for the task's budget at every rate of a log-spaced grid, with
   3 seeds, and takes the best mean validation loss as the reference;
2. runs the range test (`find_lr` on the training split, 1e-7..10 in 100 steps)
   with 3 seeds and keeps the curves;
3. asks every suggestion rule for a rate on each of those same curves (`analyze`),
   trains a fresh model at that rate with the curve's seed, and records the
   validation loss.

Regret of a rule on a task = mean over seeds of the validation loss at the rate the
rule suggested from that seed's curve (trained with that seed) / the lowest mean
over seeds of the grid's validation losses. 1.0 is as good as the best grid point.
A diverged training (NaN or infinite validation loss) scores +inf, and so does a
curve on which the rule gives no suggestion: one failed seed makes the task's
regret +inf, because a user who gets no rate has to run the grid anyway.

Every training and every curve is cached as JSON under `--cache-dir`, keyed by task
(with its version), seed and rate, so re-running after a change of the analysis
constants retrains only rates that no run has trained before.

Usage:
    nice -n 10 python bench/suggestion_quality.py > /tmp/sq.log 2>&1   # full run
    python bench/suggestion_quality.py --quick      # one task, 3 rates, 1 seed
    python bench/suggestion_quality.py --candidates # also score variants of the default

The published table and figure come from
    python bench/suggestion_quality.py --candidates --threads 1 --figure docs/suggestion_rules.png
after the cache was filled by processes that each ran a part of the tasks (`--tasks`,
`--doc` pointing to a scratch file); with a full cache that command takes under a minute.

The full run rewrites the part of docs/benchmarks.md between the markers
`<!-- suggestion-quality:begin -->` and `<!-- suggestion-quality:end -->`.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import hashlib
import json
import math
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

REPOSITORY = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPOSITORY))

from lrfinder_tb import analysis  # noqa: E402

BEGIN_MARKER = "<!-- suggestion-quality:begin -->"
END_MARKER = "<!-- suggestion-quality:end -->"
SECTION_TITLE = "## Suggestion quality"

TARGET_MEDIAN = 1.05
TARGET_WORST = 1.25

SWEEP = {"start_lr": 1e-7, "end_lr": 10.0, "num_steps": 100}
GRID_POINTS_PER_DECADE = 3
SEEDS = (0, 1, 2)
VALIDATION_FRACTION = 0.2
DATA_SEED = 12345


# Tasks.


@dataclasses.dataclass(frozen=True)
class Task:
    """One model, optimizer, batch size and training budget on a fixed data split.

    Attributes:
        name: short identifier, used in the cache keys and the table.
        description: what the model is, for the table.
        load: returns `(x_train, y_train, x_val, y_val)`, the same on every call.
        build: returns a fresh, uncompiled Keras model (weights drawn from the
            global seed).
        optimizer: `"adam"` or `"sgd"` (SGD with momentum 0.9, no Nesterov).
        loss: a Keras loss.
        batch_size: batch size of both the range test and the training.
        epochs: the training budget.
        version: bumped whenever the task changes, so cached results are not reused.
    """

    name: str
    description: str
    load: Callable[[], tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]
    build: Callable[[], Any]
    optimizer: str
    loss: Callable[[], Any]
    batch_size: int
    epochs: int
    version: int = 1

    def key(self) -> str:
        """Return a cache key that changes with anything that changes the results."""
        text = f"{self.name}|{self.optimizer}|{self.batch_size}|{self.epochs}|{self.version}"
        return f"{self.name}-{hashlib.sha1(text.encode()).hexdigest()[:8]}"


def _split(x: np.ndarray, y: np.ndarray, stratify: bool):
    from sklearn.model_selection import train_test_split

    return train_test_split(
        x,
        y,
        test_size=VALIDATION_FRACTION,
        random_state=DATA_SEED,
        stratify=y if stratify else None,
    )


def _standardize(x_train: np.ndarray, x_val: np.ndarray):
    mean = x_train.mean(axis=0)
    scale = x_train.std(axis=0) + 1e-8
    return ((x_train - mean) / scale).astype("float32"), ((x_val - mean) / scale).astype("float32")


def _load_digits():
    from sklearn.datasets import load_digits

    data = load_digits()
    x = (data.images / 16.0).astype("float32")[..., None]
    x_train, x_val, y_train, y_val = _split(x, data.target.astype("int32"), stratify=True)
    return x_train, y_train, x_val, y_val


def _load_digits_flat():
    x_train, y_train, x_val, y_val = _load_digits()
    return x_train.reshape(len(x_train), -1), y_train, x_val.reshape(len(x_val), -1), y_val


def _load_table(loader: Callable[..., Any], classification: bool):
    data = loader()
    x_train, x_val, y_train, y_val = _split(data.data, data.target, stratify=classification)
    x_train, x_val = _standardize(x_train, x_val)
    if classification:
        return x_train, y_train.astype("int32"), x_val, y_val.astype("int32")
    mean, scale = y_train.mean(), y_train.std()
    y_train = ((y_train - mean) / scale).astype("float32")[:, None]
    y_val = ((y_val - mean) / scale).astype("float32")[:, None]
    return x_train, y_train, x_val, y_val


def _load_breast_cancer():
    from sklearn.datasets import load_breast_cancer

    x_train, y_train, x_val, y_val = _load_table(load_breast_cancer, classification=True)
    return x_train, y_train.astype("float32")[:, None], x_val, y_val.astype("float32")[:, None]


def _load_diabetes():
    from sklearn.datasets import load_diabetes

    return _load_table(load_diabetes, classification=False)


def _load_wine():
    from sklearn.datasets import load_wine

    # Four of the 13 features (alcohol, malic acid, ash, alcalinity of ash): with all
    # of them the classes separate perfectly, the validation loss goes to ~0.002 and
    # any ratio of two such losses is noise.
    def four_features():
        data = load_wine()
        return _Bunch(data.data[:, :4], data.target)

    return _load_table(four_features, classification=True)


@dataclasses.dataclass
class _Bunch:
    data: np.ndarray
    target: np.ndarray


def _load_waves():
    # Noisy sine waves of 4 frequencies with random phase and amplitude; the class
    # is the frequency. 1-D convolutions have to find it under noise of the same size.
    rng = np.random.default_rng(DATA_SEED)
    count, length = 2000, 64
    labels = rng.integers(0, 4, size=count)
    frequencies = np.array([1.5, 2.5, 3.5, 4.5])[labels] / length
    phases = rng.uniform(0, 2 * np.pi, size=count)
    amplitudes = rng.uniform(0.5, 1.5, size=count)
    steps = np.arange(length)
    waves = amplitudes[:, None] * np.sin(2 * np.pi * frequencies[:, None] * steps + phases[:, None])
    x = (waves + rng.normal(scale=1.0, size=(count, length))).astype("float32")[..., None]
    x_train, x_val, y_train, y_val = _split(x, labels.astype("int32"), stratify=True)
    return x_train, y_train, x_val, y_val


def _sequential(*layers):
    import keras

    return keras.Sequential(list(layers))


def _digits_cnn():
    from keras import layers

    return _sequential(
        layers.Input((8, 8, 1)),
        layers.Conv2D(16, 3, activation="relu"),
        layers.MaxPooling2D(2),
        layers.Conv2D(32, 3, activation="relu"),
        layers.Flatten(),
        layers.Dense(10),
    )


def _mlp(inputs: int, hidden: tuple[int, ...], outputs: int):
    from keras import layers

    stack = [layers.Input((inputs,))]
    stack += [layers.Dense(units, activation="relu") for units in hidden]
    stack.append(layers.Dense(outputs))
    return _sequential(*stack)


def _waves_cnn():
    from keras import layers

    return _sequential(
        layers.Input((64, 1)),
        layers.Conv1D(16, 5, activation="relu"),
        layers.MaxPooling1D(2),
        layers.Conv1D(16, 5, activation="relu"),
        layers.GlobalAveragePooling1D(),
        layers.Dense(4),
    )


def _sparse_crossentropy():
    import keras

    return keras.losses.SparseCategoricalCrossentropy(from_logits=True)


def _binary_crossentropy():
    import keras

    return keras.losses.BinaryCrossentropy(from_logits=True)


def _mean_squared_error():
    import keras

    return keras.losses.MeanSquaredError()


TASKS = {
    task.name: task
    for task in (
        Task(
            "digits_cnn",
            "digits 8x8, 2-layer CNN, 10 classes",
            _load_digits,
            _digits_cnn,
            "adam",
            _sparse_crossentropy,
            batch_size=32,
            epochs=6,
        ),
        Task(
            "breast_cancer_mlp",
            "breast cancer, MLP 30-32-1, binary",
            _load_breast_cancer,
            lambda: _mlp(30, (32,), 1),
            "sgd",
            _binary_crossentropy,
            batch_size=32,
            epochs=20,
        ),
        Task(
            "diabetes_mlp",
            "diabetes, MLP 10-64-64-1, regression (MSE, standardized target)",
            _load_diabetes,
            lambda: _mlp(10, (64, 64), 1),
            "adam",
            _mean_squared_error,
            batch_size=32,
            epochs=20,
        ),
        Task(
            "wine_mlp",
            "wine (4 of 13 features), MLP 4-32-3",
            _load_wine,
            lambda: _mlp(4, (32,), 3),
            "sgd",
            _sparse_crossentropy,
            batch_size=16,
            epochs=20,
        ),
        Task(
            "waves_conv1d",
            "generated noisy sine waves, 1-D CNN, 4 frequency classes",
            _load_waves,
            _waves_cnn,
            "adam",
            _sparse_crossentropy,
            batch_size=32,
            epochs=8,
        ),
        Task(
            "digits_mlp_sgd",
            "digits flattened, MLP 64-64-10",
            _load_digits_flat,
            lambda: _mlp(64, (64,), 10),
            "sgd",
            _sparse_crossentropy,
            batch_size=32,
            epochs=10,
        ),
    )
}
# Keras pays a fixed cost per epoch, so the quick mode takes the task with the most
# batches per epoch: its range test needs 3 epochs, and its trainings run 1.
QUICK_TASK = "digits_mlp_sgd"


# Rules: a name in the table and the `analyze` arguments that give its suggestion.

RULES: dict[str, dict[str, Any]] = {
    "default": {},
    "steepest (log lr)": {"method": "steepest"},
    "valley (fastai)": {"method": "fastai_valley"},
    "valley (zero-lag smoothing)": {"method": "valley"},
    "steep (fastai)": {"method": "fastai_steep"},
    "minimum / 10": {"method": "minimum"},
    "steepest (index)": {"method": "steepest_index"},
    "torch-lr-finder": {"method": "torch_lr_finder"},
    "Lightning": {"method": "lightning"},
}

# Variants of the default's constants, scored with `--candidates`. They reuse the
# same curves, so each one costs only the trainings at rates not yet cached.
CANDIDATES: dict[str, dict[str, Any]] = {
    "steepest, smoothing 0.9": {"method": "steepest", "smoothing": 0.9},
    "steepest, smoothing 0.95": {"method": "steepest", "smoothing": 0.95},
    "steepest, warm-up 10 points": {"method": "steepest", "warmup": 10},
    "minimum / 10, smoothing 0.9": {"method": "minimum", "smoothing": 0.9},
}


# Cache.


class Cache:
    """JSON files under one directory, one per training or curve."""

    def __init__(self, directory: Path):
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)

    def _path(self, kind: str, key: str) -> Path:
        return self.directory / f"{kind}-{key}.json"

    def get(self, kind: str, key: str) -> dict | None:
        path = self._path(kind, key)
        if not path.exists():
            return None
        return json.loads(path.read_text())

    def put(self, kind: str, key: str, value: dict) -> None:
        path = self._path(kind, key)
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps(value))
        temporary.replace(path)


# Training and range tests.


def _compiled_model(task: Task, learning_rate: float, seed: int):
    import keras

    keras.utils.set_random_seed(seed)
    model = task.build()
    if task.optimizer == "adam":
        optimizer = keras.optimizers.Adam(learning_rate=learning_rate)
    else:
        optimizer = keras.optimizers.SGD(learning_rate=learning_rate, momentum=0.9)
    model.compile(optimizer=optimizer, loss=task.loss())
    return model


def _finite_or_inf(value: float) -> float:
    return float(value) if math.isfinite(value) else math.inf


class Runner:
    """Train and run range tests for the tasks, through the cache."""

    def __init__(self, cache: Cache, epochs_override: int | None = None):
        self.cache = cache
        self.epochs_override = epochs_override
        self._data: dict[str, tuple] = {}
        self.trained = 0
        self.cached = 0

    def data(self, task: Task):
        if task.name not in self._data:
            self._data[task.name] = task.load()
        return self._data[task.name]

    def epochs(self, task: Task) -> int:
        return self.epochs_override or task.epochs

    def _task_key(self, task: Task) -> str:
        return f"{task.key()}-e{self.epochs(task)}"

    def validation_loss(self, task: Task, learning_rate: float, seed: int) -> float:
        """Train a fresh model at `learning_rate` with `seed`; return its validation loss."""
        import keras

        key = f"{self._task_key(task)}-s{seed}-lr{learning_rate!r}"
        found = self.cache.get("train", key)
        if found is not None:
            self.cached += 1
            return math.inf if found["val_loss"] is None else found["val_loss"]

        x_train, y_train, x_val, y_val = self.data(task)
        model = _compiled_model(task, learning_rate, seed)
        model.fit(
            x_train,
            y_train,
            batch_size=task.batch_size,
            epochs=self.epochs(task),
            shuffle=True,
            verbose=0,
            callbacks=[keras.callbacks.TerminateOnNaN()],
        )
        value = _finite_or_inf(model.evaluate(x_val, y_val, batch_size=512, verbose=0))
        self.cache.put(
            "train",
            key,
            {"val_loss": None if math.isinf(value) else value, "lr": learning_rate, "seed": seed},
        )
        self.trained += 1
        keras.backend.clear_session()
        return value

    def curve(self, task: Task, seed: int) -> dict:
        """Run (or load) the range test of `task` with `seed`; return its rates and losses."""
        import keras

        from lrfinder_tb.find import find_lr

        sweep = "-".join(f"{name}{value!r}" for name, value in SWEEP.items())
        key = f"{task.key()}-s{seed}-{sweep}"
        found = self.cache.get("curve", key)
        if found is not None:
            return found

        x_train, y_train, _, _ = self.data(task)
        model = _compiled_model(task, 1e-3, seed)
        result = find_lr(model, x_train, y_train, batch_size=task.batch_size, log_dir=None, **SWEEP)
        curve = {
            "learning_rates": result.learning_rates.tolist(),
            "losses": [loss if math.isfinite(loss) else None for loss in result.losses.tolist()],
            "stop_reason": result.stop_reason,
        }
        self.cache.put("curve", key, curve)
        keras.backend.clear_session()
        return curve


def grid_rates(low: float = 1e-5, high: float = 1.0) -> list[float]:
    """Return the log-spaced reference grid, `GRID_POINTS_PER_DECADE` rates per decade."""
    decades = round(math.log10(high / low))
    return np.geomspace(low, high, decades * GRID_POINTS_PER_DECADE + 1).tolist()


def suggest(curve: dict, arguments: dict[str, Any]) -> float | None:
    """Return the rule's suggestion on one cached curve, or None."""
    losses = np.array([math.nan if loss is None else loss for loss in curve["losses"]])
    result = analysis.analyze(
        curve["learning_rates"], losses, stop_reason=curve["stop_reason"], **arguments
    )
    return result.suggestion


# The measurement.


def measure(runner: Runner, tasks: list[Task], grid: list[float], seeds, rules, log) -> dict:
    """Run the grids, the range tests and every rule's trainings; return all numbers."""
    report: dict[str, Any] = {"tasks": {}, "grid": grid, "seeds": list(seeds)}
    for task in tasks:
        started = time.monotonic()
        x_train = runner.data(task)[0]
        batches_per_epoch = math.ceil(len(x_train) / task.batch_size)

        grid_losses = {}
        for rate in grid:
            losses = [runner.validation_loss(task, rate, seed) for seed in seeds]
            grid_losses[rate] = losses
            log(f"{task.name} grid lr={rate:.3g} val={_format_losses(losses)}")
        means = {rate: _mean(losses) for rate, losses in grid_losses.items()}
        best_rate = min(means, key=means.get)
        best = means[best_rate]

        curves = [runner.curve(task, seed) for seed in seeds]
        rule_results = {}
        for name, arguments in rules.items():
            picks, losses = [], []
            for seed, curve in zip(seeds, curves, strict=True):
                rate = suggest(curve, arguments)
                picks.append(rate)
                losses.append(
                    math.inf if rate is None else runner.validation_loss(task, rate, seed)
                )
            suggested = [loss for rate, loss in zip(picks, losses, strict=True) if rate is not None]
            rule_results[name] = {
                "suggestions": picks,
                "val_losses": losses,
                "regret": _regret(_mean(losses), best),
                # The same, over the curves on which the rule suggested a rate.
                "regret_suggested": _regret(_mean(suggested), best) if suggested else math.inf,
                "failures": len(picks) - len(suggested),
            }
            log(
                f"{task.name} {name}: lr={_format_rates(picks)} val={_format_losses(losses)} "
                f"regret={rule_results[name]['regret']:.3f}"
            )

        report["tasks"][task.name] = {
            "description": task.description,
            "optimizer": task.optimizer,
            "batch_size": task.batch_size,
            "epochs": runner.epochs(task),
            "grid_mean_val_loss": {repr(rate): mean for rate, mean in means.items()},
            "best_rate": best_rate,
            "best_val_loss": best,
            "curves": curves,
            "curve_points": [len(curve["losses"]) for curve in curves],
            "stop_reasons": [curve["stop_reason"] for curve in curves],
            "grid_batches": len(grid) * len(seeds) * runner.epochs(task) * batches_per_epoch,
            "rules": rule_results,
            "seconds": time.monotonic() - started,
        }
    report["summary"] = summarize(report, rules)
    return report


def _regret(loss: float, best: float) -> float:
    return loss / best if math.isfinite(best) and best > 0 else math.nan


def _mean(values: list[float]) -> float:
    return math.inf if any(math.isinf(value) for value in values) else float(np.mean(values))


def _format_losses(values: list[float]) -> str:
    return "[" + ", ".join(f"{value:.4g}" for value in values) + "]"


def _format_rates(values: list[float | None]) -> str:
    return "[" + ", ".join("none" if value is None else f"{value:.3g}" for value in values) + "]"


def summarize(report: dict, rules) -> dict[str, dict[str, float]]:
    """Return the median and worst regret over tasks of each rule."""
    summary = {}
    for name in rules:
        regrets = [task["rules"][name]["regret"] for task in report["tasks"].values()]
        suggested = [task["rules"][name]["regret_suggested"] for task in report["tasks"].values()]
        summary[name] = {
            "median": float(statistics.median(regrets)),
            "worst": float(max(regrets)),
            "median_suggested": float(statistics.median(suggested)),
            "worst_suggested": float(max(suggested)),
            "failures": sum(task["rules"][name]["failures"] for task in report["tasks"].values()),
        }
    return summary


# The table.


def _regret_cell(value: float) -> str:
    return "fail" if math.isinf(value) else f"{value:.3f}"


def render_markdown(report: dict, command: str, seconds: float) -> str:
    """Return the markdown that goes between the markers of docs/benchmarks.md."""
    import tensorflow as tf

    tasks = report["tasks"]
    names = list(tasks)
    lines = [
        f"Measured on {datetime.date.today().isoformat()} with `{command}`, on "
        f"{os.cpu_count()} CPU cores, no GPU, TensorFlow {tf.__version__}, Python "
        f"{platform.python_version()} ({seconds / 60:.1f} minutes, cached trainings reused).",
        "",
        f"Grid: {len(report['grid'])} rates from {report['grid'][0]:g} to {report['grid'][-1]:g} "
        f"({GRID_POINTS_PER_DECADE} per decade), seeds {report['seeds']}. Range test: "
        f"`find_lr` on the training split, {SWEEP['start_lr']:g} to {SWEEP['end_lr']:g} in "
        f"{SWEEP['num_steps']} steps, one curve per seed. Regret = mean over seeds of the "
        "validation loss at the rate the rule picked from that seed's curve (trained with "
        "that seed) / the best mean validation loss of the grid. `fail` means a diverged "
        "training or no suggestion on some seed's curve, scored as +inf. The last column "
        "leaves out the curves without a suggestion and averages over the other seeds.",
        "",
        "| task | optimizer | batch | epochs | best grid lr | best val loss | "
        "range test batches (per curve) | grid batches |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name in names:
        task = tasks[name]
        lines.append(
            f"| {name}: {task['description']} | {task['optimizer']} | {task['batch_size']} | "
            f"{task['epochs']} | {task['best_rate']:.3g} | {task['best_val_loss']:.4g} | "
            f"{statistics.mean(task['curve_points']):.0f} | {task['grid_batches']} |"
        )
    lines += [
        "",
        "| rule | "
        + " | ".join(names)
        + " | median | worst | curves without suggestion | median, worst without them |",
        "| --- | " + " | ".join("---" for _ in names) + " | --- | --- | --- | --- |",
    ]
    for rule, summary in report["summary"].items():
        cells = [_regret_cell(tasks[name]["rules"][rule]["regret"]) for name in names]
        lines.append(
            f"| {rule} | "
            + " | ".join(cells)
            + f" | {_regret_cell(summary['median'])} | {_regret_cell(summary['worst'])} "
            f"| {summary['failures']} | {_regret_cell(summary['median_suggested'])}, "
            f"{_regret_cell(summary['worst_suggested'])} |"
        )
    lines += [
        "",
        f"Target for the default: median regret <= {TARGET_MEDIAN}, worst <= {TARGET_WORST}.",
    ]
    return "\n".join(lines) + "\n"


FIGURE_RULES = (
    "default",
    "valley (fastai)",
    "steep (fastai)",
    "minimum / 10",
    "Lightning",
    "torch-lr-finder",
)


def draw_figure(report: dict, path: Path, task_names: list[str]) -> None:
    """Draw seed 0's range-test curve of each task with every rule's pick and the grid.

    The left axis has the batch losses and the zero-lag smoothed curve of `analyze`.
    The right axis (log scale) has the grid's mean validation loss, so a reader can
    see how far from the best grid rate (the star) each pick landed. Each legend entry
    gives seed 0's validation loss at the pick divided by the best grid loss.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, len(task_names), figsize=(5.6 * len(task_names), 5.6))
    axes = np.atleast_1d(axes)
    colors = plt.get_cmap("tab10").colors
    for axis, name in zip(axes, task_names, strict=True):
        task = report["tasks"][name]
        curve = task["curves"][0]
        rates = np.array(curve["learning_rates"])
        losses = np.array([math.nan if loss is None else loss for loss in curve["losses"]])
        result = analysis.analyze(rates, losses, **RULES["default"])

        axis.plot(rates, losses, color="0.75", linewidth=0.8, label="batch loss")
        axis.plot(rates, result.smoothed_losses, color="black", linewidth=1.5, label="smoothed")
        for color, rule in zip(colors, FIGURE_RULES, strict=False):
            pick = task["rules"][rule]["suggestions"][0]
            if pick is None:
                continue
            ratio = task["rules"][rule]["val_losses"][0] / task["best_val_loss"]
            label = f"{rule}: {pick:.2g} (val / best {_regret_cell(ratio)})"
            axis.axvline(pick, color=color, linestyle="--", linewidth=1.3, label=label)
        finite = losses[np.isfinite(losses)]
        axis.set_ylim(finite.min() - 0.05 * np.ptp(finite), np.percentile(finite, 95) * 1.1)
        axis.set_xscale("log")
        axis.set_xlabel("learning rate")
        axis.set_ylabel("batch loss of the range test (seed 0)")
        axis.set_title(f"{name} ({task['optimizer']})")

        grid_axis = axis.twinx()
        grid = {float(rate): value for rate, value in task["grid_mean_val_loss"].items()}
        grid_rates_sorted = sorted(grid)
        grid_values = np.array([grid[rate] for rate in grid_rates_sorted])
        # Diverged grid points reach 1e11; cap them so the useful range stays readable.
        cap = 20.0 * task["best_val_loss"]
        grid_axis.plot(
            grid_rates_sorted,
            np.minimum(np.where(np.isfinite(grid_values), grid_values, cap), cap),
            color="tab:red",
            marker="o",
            markersize=3,
            linewidth=1,
            alpha=0.6,
        )
        grid_axis.plot(task["best_rate"], task["best_val_loss"], "r*", markersize=12)
        grid_axis.set_yscale("log")
        grid_axis.set_ylabel("grid: mean validation loss (red, log, capped)", color="tab:red")
        axis.legend(fontsize=7.5, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def write_section(path: Path, body: str) -> None:
    """Replace the text between the markers in `path`, or append the section if absent.

    Only the marked part changes, so other sections of the file stay as they are.
    """
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    block = f"{BEGIN_MARKER}\n{body}{END_MARKER}"
    begin, end = text.find(BEGIN_MARKER), text.find(END_MARKER)
    if begin != -1 and end > begin:
        text = text[:begin] + block + text[end + len(END_MARKER) :]
    else:
        text = text.rstrip("\n") + f"\n\n{SECTION_TITLE}\n\n{block}\n"
    path.write_text(text)


# Command line.


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--cache-dir",
        default="/tmp/lrfinder_suggestion_quality",
        help="directory of the cached trainings and curves (default %(default)s)",
    )
    parser.add_argument(
        "--tasks", nargs="+", choices=sorted(TASKS), help="tasks to run (default: all)"
    )
    parser.add_argument(
        "--quick", action="store_true", help=f"only {QUICK_TASK}, 3 grid rates, 1 seed, 1 epoch"
    )
    parser.add_argument(
        "--candidates", action="store_true", help="also score variants of the default"
    )
    parser.add_argument(
        "--doc",
        help="markdown file whose suggestion-quality section to rewrite "
        "(default: docs/benchmarks.md on a full run, nothing with --quick)",
    )
    parser.add_argument("--json", help="write every number to this JSON file")
    parser.add_argument(
        "--figure",
        help="draw seed 0's curves of --figure-tasks with each rule's pick into this PNG",
    )
    parser.add_argument(
        "--figure-tasks",
        nargs="+",
        default=["digits_cnn", "breast_cancer_mlp", "waves_conv1d"],
        help="tasks to draw with --figure (default %(default)s)",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=0,
        help="TensorFlow intra-op threads (default 0: TensorFlow's choice)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    started = time.monotonic()

    def log(message: str) -> None:
        print(f"[{time.monotonic() - started:7.1f}s] {message}", file=sys.stderr, flush=True)

    import tensorflow as tf

    tf.get_logger().setLevel("ERROR")
    if arguments.threads:
        tf.config.threading.set_intra_op_parallelism_threads(arguments.threads)
        tf.config.threading.set_inter_op_parallelism_threads(arguments.threads)

    if arguments.quick:
        tasks = [TASKS[QUICK_TASK]]
        grid, seeds, epochs = [1e-3, 1e-2, 1e-1], (0,), 1
    else:
        tasks = [TASKS[name] for name in (arguments.tasks or TASKS)]
        grid, seeds, epochs = grid_rates(), SEEDS, None
    rules = dict(RULES)
    if arguments.candidates:
        rules.update(CANDIDATES)

    runner = Runner(Cache(Path(arguments.cache_dir)), epochs_override=epochs)
    report = measure(runner, tasks, grid, seeds, rules, log)
    seconds = time.monotonic() - started
    report["trainings_run"], report["trainings_cached"] = runner.trained, runner.cached
    log(f"done: {runner.trained} trainings run, {runner.cached} taken from the cache")

    command = (
        "python bench/suggestion_quality.py"
        + (" " + " ".join(argv if argv is not None else sys.argv[1:])).rstrip()
    )
    markdown = render_markdown(report, command.strip(), seconds)
    print(markdown)
    if arguments.json:
        Path(arguments.json).write_text(json.dumps(report, indent=1, default=str))
    if arguments.figure:
        drawn = [name for name in arguments.figure_tasks if name in report["tasks"]]
        draw_figure(report, Path(arguments.figure), drawn or list(report["tasks"])[:3])
        log(f"wrote {arguments.figure}")
    doc = arguments.doc or (None if arguments.quick else str(REPOSITORY / "docs" / "benchmarks.md"))
    if doc:
        write_section(Path(doc), markdown)
        log(f"wrote {doc}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
