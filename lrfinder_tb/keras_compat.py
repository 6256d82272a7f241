"""Access to Keras internals the range test needs, kept in one place.

The callback reads and sets the learning rate, swaps a learning-rate schedule out
and back, reads the loss tracker's running sums, and saves and restores weights
and optimizer variables. How each is done differs between Keras 3 and tf_keras
(Keras 2, selected with `TF_USE_LEGACY_KERAS=1`), so every such access lives here:

- rate holder: `optimizer._learning_rate`, a `keras.Variable`, schedule or callable
  in Keras 3; a `tf.Variable` or schedule in tf_keras;
- swapping a schedule out: Keras 3's `learning_rate` setter takes a callable;
  tf_keras needs `_learning_rate` set to a variable;
- optimizer built: `optimizer.built` in Keras 3, `optimizer._built` in tf_keras;
- loss tracker: `model._loss_tracker` in Keras 3,
  `model.compiled_loss._total_loss_mean` in tf_keras;
- gradient accumulation: `optimizer.gradient_accumulation_steps`, Keras 3 only.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np
import tensorflow as tf
from tensorflow.python.ops import resource_variable_ops


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


def is_tf_keras(model_or_optimizer: Any) -> bool:
    """Tell whether an object comes from tf_keras (Keras 2) rather than Keras 3."""
    return any(cls.__module__.startswith("tf_keras") for cls in type(model_or_optimizer).__mro__)


def unsupported_strategy_message(model: Any) -> str | None:
    """Return why the model's distribution strategy cannot run a range test, or None."""
    strategy = getattr(model, "distribute_strategy", None) or tf.distribute.get_strategy()
    name = type(strategy).__name__
    if isinstance(strategy, tf.distribute.experimental.ParameterServerStrategy):
        return (
            f"{name} is not supported: its workers train asynchronously, so no single "
            "learning rate belongs to a batch. Run the range test on one machine, or with "
            "MirroredStrategy, then train with your strategy."
        )
    workers = int(getattr(strategy.extended, "_num_workers", 1) or 1)
    if (
        isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy)
        and workers > 1
        and not is_tf_keras(model)
    ):
        # With one worker Keras 3 trains fine, so only real clusters are rejected.
        return (
            f"Keras 3 cannot train under MultiWorkerMirroredStrategy with {workers} "
            "workers: in TensorFlow 2.16 to 2.21 its fit fails with 'Attempt to convert a "
            "value (PerReplica ...)', even without this callback. Use tf_keras for "
            "multi-worker training: `pip install tf_keras`, set the environment variable "
            "TF_USE_LEGACY_KERAS=1 before importing TensorFlow, and build the model with "
            "`tf.keras`."
        )
    return None


def _backing_variable(variable: Any) -> Any:
    """Return the `tf.Variable` behind a Keras 3 variable, or the variable itself."""
    inner = getattr(variable, "_value", None)
    return inner if isinstance(inner, tf.Variable) else variable


def _plain_handle(variable: Any, dtype: Any = tf.float32) -> Any:
    """Return the resource handle of a local `tf.Variable` of `dtype`, or None.

    The range test reads and writes a few variables every batch. The raw
    `ReadVariableOp` and `AssignVariableOp` on the handle cost about a third of
    `tf.Variable.read_value` and `assign`, because those add name scopes and
    bookkeeping. Keras 3's wrapper adds more again. Distributed
    variables (mirrored or sync-on-read) are not `ResourceVariable`s and take
    the slow path, which updates every replica. `dtype=None` accepts any dtype.
    """
    variable = _backing_variable(variable)
    if isinstance(variable, resource_variable_ops.ResourceVariable) and (
        dtype is None or variable.dtype == dtype
    ):
        return variable.handle
    return None


def scalar_reader(variable: Any) -> Callable[[], float]:
    """Return a function that reads a scalar variable as a Python float."""
    handle = _plain_handle(variable)
    if handle is None:
        backing = _backing_variable(variable)
        return lambda: read_scalar(backing)
    return lambda: float(tf.raw_ops.ReadVariableOp(resource=handle, dtype=tf.float32))


def scalar_writer(variable: Any) -> Callable[[float], None]:
    """Return a function that assigns a Python float to a scalar variable."""
    handle = _plain_handle(variable)
    if handle is None:
        backing = _backing_variable(variable)
        return lambda value: backing.assign(value, read_value=False)
    return lambda value: tf.raw_ops.AssignVariableOp(resource=handle, value=float(value))


def _is_schedule(value: Any) -> bool:
    # Variables of both Keras versions have `assign`; schedules and callables do not.
    return callable(value) and not hasattr(value, "assign")


class LearningRateController:
    """Set the learning rate batch by batch, and put the user's setting back.

    An optimizer compiled with a `LearningRateSchedule` (or a callable) rejects a
    float: Keras 3 raises TypeError. The controller then installs a callable that
    reads its own variable, and restores the schedule object in `release()`. The
    train function was traced with the schedule inside, so `needs_retrace` is
    True and the caller must rebuild it.
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
            if is_tf_keras(self.optimizer):
                self.optimizer._learning_rate = self._sweep_variable
            else:
                variable = self._sweep_variable
                self.optimizer.learning_rate = lambda: variable
            target = self._sweep_variable
        else:
            self._saved_value = read_scalar(self.optimizer.learning_rate)
            target = current
        self._write = scalar_writer(target)
        self._read = scalar_reader(target)

    @property
    def needs_retrace(self) -> bool:
        """True when a schedule was swapped out, so traced functions are stale."""
        return self._saved_schedule is not None

    def set(self, learning_rate: float) -> None:
        """Set the learning rate for the next batch."""
        self._write(learning_rate)

    def get(self) -> float:
        """Return the learning rate the next batch will use."""
        return self._read()

    def release(self) -> None:
        """Give the optimizer its own learning rate or schedule back."""
        if self._saved_value is not None:
            self.optimizer.learning_rate.assign(self._saved_value)
            self._saved_value = None
        if self._saved_schedule is not None:
            if is_tf_keras(self.optimizer):
                self.optimizer._learning_rate = self._saved_schedule
            else:
                self.optimizer.learning_rate = self._saved_schedule
            self._saved_schedule = None
            self._sweep_variable = None


class LossTrackerReader:
    """Read the running sums of the model's loss tracker.

    Keras's `fit` adds `loss * batch_size` to `total` and `batch_size` to `count`
    after every batch, and `logs["loss"]` is their ratio: a running mean since
    the epoch began. The difference of two readings gives the true loss of the
    batches in between. `available` is False when the model has no such tracker;
    a custom `train_step` that bypasses it leaves both sums unchanged, which the
    caller detects.
    """

    def __init__(self, model: Any):
        if is_tf_keras(model):
            tracker = getattr(getattr(model, "compiled_loss", None), "_total_loss_mean", None)
        else:
            tracker = getattr(model, "_loss_tracker", None)
        total = getattr(tracker, "total", None)
        count = getattr(tracker, "count", None)
        self.available = total is not None and count is not None
        if self.available:
            self._total = scalar_reader(total)
            self._count = scalar_reader(count)

    def read(self) -> tuple[float, float] | None:
        """Return `(total, count)` now, or None without a tracker."""
        if not self.available:
            return None
        return self._total(), self._count()

    def read_count(self) -> float:
        """Return `count` now; only valid when `available`."""
        return self._count()


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
    # tf_keras sets `_built` only once the optimizer is built; Keras 3 always has `built`.
    if is_tf_keras(optimizer):
        built = getattr(optimizer, "_built", False)
    else:
        built = getattr(optimizer, "built", True)
    if built:
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
        values = []
        for variable in variables:
            handle = _plain_handle(variable, dtype=None)
            if handle is None:
                value = variable.numpy()
            else:
                dtype = _backing_variable(variable).dtype
                value = tf.raw_ops.ReadVariableOp(resource=handle, dtype=dtype).numpy()
            values.append(np.array(value, copy=True))
        return cls(variables, values)

    def restore(self) -> None:
        """Assign the saved values back, on every replica for distributed variables."""
        for variable, value in zip(self.variables, self.values, strict=True):
            handle = _plain_handle(variable, dtype=None)
            if handle is None:
                variable.assign(value)
            else:
                tf.raw_ops.AssignVariableOp(resource=handle, value=value)
