"""A demonstration on real data: three range tests on scikit-learn's handwritten digits.

`run_demo` runs one learning-rate range test per configuration (Adam, SGD with
momentum, and Adam with a 4x larger batch) on a small convolutional network.
Each test writes into its own run directory under one log directory, with
Keras's own `TensorBoard` callback beside the finder. Open the
"LR Finder" tab of `tensorboard --logdir LOGDIR` to compare the curves, and the
"Scalars" tab to see the usual training logs next to them.

The digits (1,797 8x8 grey images, 10 classes) ship with scikit-learn, so the
demo needs no download.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import os
from collections.abc import Callable

import numpy as np

from lrfinder_tb.analysis import LRFinderResult

logger = logging.getLogger("lrfinder_tb")

SEED = 0
TRAINING_FRACTION = 0.8


@dataclasses.dataclass(frozen=True)
class DemoConfiguration:
    """One range test of the demo.

    Attributes:
        name: the directory name of the configuration under the log directory.
        description: what a user reads in the table, for example "Adam, batch 32".
        make_optimizer: builds a fresh Keras optimizer.
        batch_size: the batch size of the range test.
    """

    name: str
    description: str
    make_optimizer: Callable[[], object]
    batch_size: int


def demo_configurations() -> list[DemoConfiguration]:
    """Return the configurations the demo compares, in the order it runs them."""
    import keras

    return [
        DemoConfiguration("adam", "Adam, batch 32", lambda: keras.optimizers.Adam(), 32),
        DemoConfiguration(
            "sgd_momentum",
            "SGD with momentum 0.9, batch 32",
            lambda: keras.optimizers.SGD(momentum=0.9),
            32,
        ),
        DemoConfiguration("adam_batch128", "Adam, batch 128", lambda: keras.optimizers.Adam(), 128),
    ]


def load_digits_split() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Load the digits as float32 images in [0, 1], split into training and validation sets.

    Returns:
        `(x_train, y_train, x_validation, y_validation)`; images have shape
        `[N, 8, 8, 1]`, labels are int32 class indices. The split is a fixed
        shuffle with 80% of the images for training.
    """
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = (digits.images / 16.0).astype(np.float32)[..., np.newaxis]
    labels = digits.target.astype(np.int32)

    order = np.random.default_rng(SEED).permutation(len(labels))
    split = int(TRAINING_FRACTION * len(labels))
    train, validation = order[:split], order[split:]
    return images[train], labels[train], images[validation], labels[validation]


def build_model(optimizer: object):
    """Build and compile the demo's small CNN, from the same initial weights every time.

    Args:
        optimizer: a Keras optimizer instance.

    Returns:
        A compiled `keras.Model` whose outputs are logits over 10 classes.
    """
    import keras

    keras.utils.set_random_seed(SEED)
    model = keras.Sequential(
        [
            keras.Input(shape=(8, 8, 1)),
            keras.layers.Conv2D(16, 3, padding="same", activation="relu"),
            keras.layers.MaxPooling2D(2),
            keras.layers.Flatten(),
            keras.layers.Dense(10),
        ]
    )
    model.compile(
        optimizer=optimizer,
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    return model


def run_demo(
    logdir: str | os.PathLike, *, steps: int = 100, verbose: bool = False
) -> dict[str, LRFinderResult]:
    """Run the demo's range tests on the digits and write them to `logdir`.

    Each configuration of `demo_configurations()` gets a fresh model with the
    same initial weights and one `model.fit` with an `LRFinder` (run directory
    `logdir/<name>/lr_finder`) and Keras's `TensorBoard` callback (run
    directory `logdir/<name>/train`). Running the demo again into the same
    directory replaces the range-test curves, because both TensorBoard loaders
    drop data when a run's step goes back.

    Args:
        logdir: the TensorBoard log directory; created if missing.
        steps: Int >= 2. Points (batches) per range test. Defaults to `100`.
        verbose: Bool. Log the start and result of each test through the
            `lrfinder_tb` logger at INFO level. Defaults to `False`.

    Returns:
        The result of each range test, keyed by its TensorBoard run name (for
        example `"adam/lr_finder"`), in the order the tests ran.

    Raises:
        ValueError: if `steps` is not an int >= 2.

    Example:
        >>> results = run_demo("logs/lrfinder-demo", steps=100)  # doctest: +SKIP
        >>> results["adam/lr_finder"].suggestion  # doctest: +SKIP
        0.0031
    """
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 2:
        raise ValueError(f"run_demo: `steps` must be an int >= 2, got {steps!r}")

    import keras

    from lrfinder_tb.callback import LRFinder

    logdir = os.fspath(logdir)
    x_train, y_train, _, _ = load_digits_split()

    results: dict[str, LRFinderResult] = {}
    for configuration in demo_configurations():
        if verbose:
            logger.info("demo: range test %r (%s)", configuration.name, configuration.description)
        model = build_model(configuration.make_optimizer())
        configuration_dir = os.path.join(logdir, configuration.name)
        finder = LRFinder(log_dir=configuration_dir, num_steps=steps)

        # Enough epochs for the whole sweep; the finder ends `fit` when it is done.
        batches_per_epoch = math.ceil(len(x_train) / configuration.batch_size)
        model.fit(
            x_train,
            y_train,
            batch_size=configuration.batch_size,
            epochs=math.ceil(steps / batches_per_epoch),
            callbacks=[finder, keras.callbacks.TensorBoard(configuration_dir)],
            verbose=0,
        )

        run = os.path.relpath(finder.run_dir, logdir).replace(os.sep, "/")
        results[run] = finder.result
        if verbose:
            logger.info(
                "demo: %s: %d points, stop reason %s, suggestion %s",
                run,
                finder.result.losses.size,
                finder.result.stop_reason,
                "none" if finder.result.suggestion is None else f"{finder.result.suggestion:.3g}",
            )
    return results
