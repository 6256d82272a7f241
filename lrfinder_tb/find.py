"""`find_lr`: run a range test without choosing epochs and steps."""

from __future__ import annotations

import math
from typing import Any

from lrfinder_tb import analysis
from lrfinder_tb.callback import LRFinder

# Keras's own default when `batch_size` is not given for array inputs.
KERAS_DEFAULT_BATCH_SIZE = 32


def _first_array(data: Any) -> Any:
    if isinstance(data, dict):
        return next(iter(data.values()), None)
    if isinstance(data, (list, tuple)):
        return data[0] if data else None
    return data


def _batches_per_epoch(x: Any, batch_size: int | None) -> int | None:
    """Return how many batches one pass over `x` yields, or None if unknown or infinite."""
    import tensorflow as tf

    if isinstance(x, tf.data.Dataset):
        cardinality = int(x.cardinality().numpy())
        return cardinality if cardinality > 0 else None
    if (
        hasattr(x, "__len__")
        and hasattr(x, "__getitem__")
        and not hasattr(x, "shape")
        and not (isinstance(x, (dict, list, tuple)))
    ):
        # keras.utils.PyDataset and other sequences of batches.
        return len(x) or None

    first = _first_array(x)
    if first is not None and hasattr(first, "shape") and len(first.shape) > 0:
        size = int(first.shape[0])
        return max(1, math.ceil(size / (batch_size or KERAS_DEFAULT_BATCH_SIZE)))
    return None


def find_lr(
    model: Any,
    x: Any,
    y: Any = None,
    *,
    batch_size: int | None = None,
    sample_weight: Any = None,
    **finder_arguments: Any,
) -> analysis.LRFinderResult:
    """Run a learning-rate range test on `model` and restore it afterwards.

    Runs exactly the batches the test needs, across several epochs when the data is
    shorter than `num_steps` batches. The model's weights, its optimizer's variables
    and its learning rate (or schedule) are restored in a `finally` block, also when
    `fit` raises or is interrupted with Ctrl-C.

    Args:
        model: a compiled Keras model.
        x: input data, as `model.fit` takes it: arrays, a dict of arrays, a
            `tf.data.Dataset`, a `keras.utils.PyDataset` or a generator.
        y: targets, when `x` holds only inputs.
        batch_size: batch size for array inputs; Keras's default (32) if None.
        sample_weight: optional sample weights, as `model.fit` takes them.
        **finder_arguments: arguments of `LRFinder` (`log_dir`, `start_lr`,
            `end_lr`, `num_steps`, ...).

    Returns:
        The `LRFinderResult`, also available as `finder.result`.

    Raises:
        ValueError: if `batch_size` or a finder argument is invalid, or the model
            is not compiled.
        TypeError: if `finder_arguments` contains an argument `LRFinder` does not take.
        RuntimeError: if the model's distribution strategy cannot run a range test
            (Keras 3 with several workers, or ParameterServerStrategy).

    Example:
        >>> result = find_lr(model, x, y, batch_size=64, log_dir="logs/adam")  # doctest: +SKIP
        >>> result.suggestion  # doctest: +SKIP
        0.0021
    """
    if batch_size is not None and (
        isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1
    ):
        raise ValueError(f"find_lr: `batch_size` must be an int >= 1 or None, got {batch_size!r}.")
    if "callbacks" in finder_arguments:
        raise TypeError(
            "find_lr: `callbacks` is not supported; find_lr runs fit with its own "
            "LRFinder only. To run other callbacks during the test, add "
            "`LRFinder(...)` to `model.fit(..., callbacks=[...])` yourself."
        )
    finder = LRFinder(**finder_arguments)

    # Keras 3 fails inside fit under a multi-worker strategy before any callback
    # runs, so the explanation has to come first.
    from lrfinder_tb import keras_compat

    unsupported = keras_compat.unsupported_strategy_message(model)
    if unsupported is not None:
        raise RuntimeError(f"find_lr: {unsupported}")

    batches = _batches_per_epoch(x, batch_size)
    fit_arguments: dict[str, Any] = {"callbacks": [finder], "verbose": 0}
    if batch_size is not None:
        fit_arguments["batch_size"] = batch_size
    if sample_weight is not None:
        fit_arguments["sample_weight"] = sample_weight
    if batches is None:
        # Unknown or infinite length: one epoch of exactly the batches needed. A
        # finite source that runs out first ends the test as "data_exhausted".
        fit_arguments.update(epochs=1, steps_per_epoch=finder.num_steps * _accumulation(model))
    else:
        needed = finder.num_steps * _accumulation(model)
        fit_arguments["epochs"] = max(1, math.ceil(needed / batches))

    try:
        model.fit(x, y, **fit_arguments)
    finally:
        finder.finish(analysis.STOP_INTERRUPTED)
    return finder.result


def _accumulation(model: Any) -> int:
    from lrfinder_tb import keras_compat

    optimizer = getattr(model, "optimizer", None)
    return keras_compat.gradient_accumulation_steps(optimizer) if optimizer is not None else 1
