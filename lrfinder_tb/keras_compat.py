"""Access to Keras internals the range test needs, kept in one place.

The callback reads and sets the learning rate, swaps a learning-rate schedule out
and back, reads the loss tracker's running sums, and saves and restores weights
and optimizer variables. How each is done depends on the Keras version, so every
such access lives here.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import tensorflow as tf


def unwrap_optimizer(optimizer: Any) -> Any:
    """Return the optimizer that owns the learning rate.

    Keras 3's `LossScaleOptimizer` forwards `learning_rate` and `iterations` to
    its `inner_optimizer`, which is the one whose variable must change.
    """
    inner = getattr(optimizer, "inner_optimizer", None)
    return inner if inner is not None else optimizer


def read_scalar(value: Any) -> float:
    """Convert a tensor, variable or number to a Python float.

    Under `MirroredStrategy` the learning rate is a mirrored variable, and
    `float(variable)` raises TypeError there while `.numpy()` works.
    """
    if hasattr(value, "numpy"):
        return float(np.asarray(value.numpy()))
    return float(value)


def _is_schedule(value: Any) -> bool:
    import keras

    return isinstance(value, keras.optimizers.schedules.LearningRateSchedule) or (
        callable(value) and not isinstance(value, (tf.Variable, keras.Variable))
    )


class LearningRateController:
    """Set the learning rate batch by batch, and put the user's setting back.

    An optimizer compiled with a `LearningRateSchedule` (or a callable) rejects a
    float: Keras 3 raises TypeError. The controller then installs a callable that
    reads its own variable, and restores the schedule object in `release()`. The
    train function was traced with the schedule inside, so `needs_retrace` tells
    the caller to rebuild it.
    """

    def __init__(self, optimizer: Any):
        self.optimizer = unwrap_optimizer(optimizer)
        self._saved_schedule = None
        self._sweep_variable = None
        self._saved_value: float | None = None

        current = self.optimizer._learning_rate
        if _is_schedule(current):
            self._saved_schedule = current
            self._sweep_variable = tf.Variable(
                read_scalar(self.optimizer.learning_rate),
                dtype=tf.float32,
                trainable=False,
                name="lr_finder_learning_rate",
            )
            variable = self._sweep_variable
            self.optimizer.learning_rate = lambda: variable
        else:
            self._saved_value = read_scalar(self.optimizer.learning_rate)

    @property
    def needs_retrace(self) -> bool:
        """True when a schedule was swapped out, so traced functions are stale."""
        return self._saved_schedule is not None

    def set(self, learning_rate: float) -> None:
        """Set the learning rate for the next batch."""
        if self._sweep_variable is not None:
            self._sweep_variable.assign(learning_rate)
        else:
            self.optimizer.learning_rate.assign(learning_rate)

    def get(self) -> float:
        """Return the learning rate the next batch will use."""
        if self._sweep_variable is not None:
            return read_scalar(self._sweep_variable)
        return read_scalar(self.optimizer.learning_rate)

    def release(self) -> None:
        """Give the optimizer its own learning rate or schedule back."""
        if self._saved_value is not None:
            self.optimizer.learning_rate.assign(self._saved_value)
            self._saved_value = None
        if self._saved_schedule is not None:
            self.optimizer.learning_rate = self._saved_schedule
            self._saved_schedule = None
            self._sweep_variable = None


def loss_tracker_sums(model: Any) -> tuple[float, float] | None:
    """Return the (total, count) sums of the model's loss tracker, or None.

    Keras 3's `fit` adds `loss * batch_size` to `total` and `batch_size` to
    `count` after every batch, and `logs["loss"]` is their ratio: a running mean
    since the epoch began. The difference of two readings gives the true loss of
    the batches in between. A custom `train_step` that bypasses the tracker leaves
    both sums unchanged, which the caller detects.
    """
    tracker = getattr(model, "_loss_tracker", None)
    if tracker is None:
        return None
    total = getattr(tracker, "total", None)
    count = getattr(tracker, "count", None)
    if total is None or count is None:
        return None
    return read_scalar(total), read_scalar(count)


def gradient_accumulation_steps(optimizer: Any) -> int:
    """Return how many batches the optimizer accumulates per weight update (1 if none)."""
    steps = getattr(unwrap_optimizer(optimizer), "gradient_accumulation_steps", None)
    return int(steps) if steps else 1


def optimizer_updates(optimizer: Any) -> int:
    """Return how many weight updates the optimizer has applied."""
    return int(read_scalar(unwrap_optimizer(optimizer).iterations))


def ensure_optimizer_built(model: Any) -> None:
    """Create the optimizer's slot variables now, so they can be saved before the test.

    A fresh optimizer creates its slots on the first batch; building it first lets
    `restore` put them back to their initial zeros afterwards.
    """
    optimizer = model.optimizer
    if getattr(optimizer, "built", True):
        return
    strategy = getattr(model, "distribute_strategy", None) or tf.distribute.get_strategy()
    with strategy.scope():
        optimizer.build(model.trainable_variables)


@dataclasses.dataclass
class ModelState:
    """Copies of every model weight and optimizer variable, kept in memory."""

    variables: list[Any]
    values: list[np.ndarray]

    @classmethod
    def capture(cls, model: Any) -> ModelState:
        """Copy the model's weights and its optimizer's variables."""
        variables = list(model.weights)
        optimizer = getattr(model, "optimizer", None)
        if optimizer is not None:
            seen = {id(variable) for variable in variables}
            for variable in optimizer.variables:
                if id(variable) not in seen:
                    variables.append(variable)
                    seen.add(id(variable))
        values = [np.array(variable.numpy(), copy=True) for variable in variables]
        return cls(variables, values)

    def restore(self) -> None:
        """Assign the saved values back, on every replica for distributed variables."""
        for variable, value in zip(self.variables, self.values, strict=True):
            variable.assign(value)
