"""The `LRFinder` Keras callback: run a learning-rate range test inside `model.fit`."""

from __future__ import annotations

import logging
import math
import os
import time
import warnings
from typing import Any

import keras
import numpy as np

from lrfinder_tb import analysis, keras_compat

logger = logging.getLogger("lrfinder_tb")

MODES = ("exponential", "linear")


def sweep_learning_rates(start_lr: float, end_lr: float, num_steps: int, mode: str) -> np.ndarray:
    """Return the `num_steps` learning rates of a sweep from `start_lr` to `end_lr`.

    Args:
        start_lr: first learning rate.
        end_lr: last learning rate.
        num_steps: number of rates, >= 2.
        mode: `"exponential"` (equal ratios) or `"linear"` (equal differences).

    Returns:
        A float64 array whose first entry is `start_lr` and last is `end_lr`.

    Example:
        >>> sweep_learning_rates(1e-3, 1e-1, 3, "exponential").tolist()
        [0.001, 0.01, 0.1]
    """
    fractions = np.linspace(0.0, 1.0, num_steps)
    if mode == "exponential":
        rates = start_lr * (end_lr / start_lr) ** fractions
    else:
        rates = start_lr + (end_lr - start_lr) * fractions
    rates[0], rates[-1] = start_lr, end_lr
    return rates


class LRFinder(keras.callbacks.Callback):
    """Learning-rate range test, run by `model.fit`.

    Starting at `start_lr`, the callback raises the learning rate after every
    batch (after every weight update when the optimizer accumulates gradients)
    towards `end_lr` and records the true loss of each batch. It stops training
    when the loss diverges, turns NaN or infinite, or the sweep ends. Then it puts
    the model's weights and the optimizer's variables back as they were, and the
    user's learning rate or schedule too, so real training starts from where it was.

    The curve is written as TensorBoard summaries under the plugin name
    `lr_finder`, in its own run directory `log_dir/run_name` (a second `fit` with
    the same callback writes to `run_name_2`, and so on). The curve on disk is
    rewritten once `write_interval` seconds have passed since the last write (and
    every `write_every` points, if set), so a crash loses at most that much of the
    test. Open the "LR Finder" tab of `tensorboard --logdir LOG_DIR` to see it.

    Keras reports `logs["loss"]` as a running mean over the epoch; the callback
    recovers each batch's own loss from the running sums of the model's loss
    tracker, so the curve is not smeared to the right.

    Args:
        log_dir: String or None. Where to write the summaries; None writes nothing.
            Defaults to `"logs"`.
        start_lr: Float > 0. First learning rate. Defaults to `1e-7`.
        end_lr: Float > `start_lr`. Last learning rate. Defaults to `10.0`.
        num_steps: Int >= 2. Number of points (batches, or weight updates under
            gradient accumulation) in the sweep. Defaults to `100`.
        mode: `"exponential"` or `"linear"` spacing of the rates.
            Defaults to `"exponential"`.
        smoothing: Float in `[0, 1)`. EMA factor of the analysis smoother.
            Defaults to `0.98`.
        divergence_threshold: Float > 1 or None. Stop when the loss diverges by this
            factor (see `analysis.DivergenceMonitor`); None never stops on
            divergence. Defaults to `4.0`.
        restore: Bool. Restore weights and optimizer variables afterwards.
            Defaults to `True`.
        method: String or None. Suggestion method, a key of
            `analysis.SUGGESTION_METHODS`; None uses `analysis.DEFAULT_METHOD`.
        run_name: String. Name of the run directory under `log_dir`.
            Defaults to `"lr_finder"`.
        write_interval: Float > 0 or None. Rewrite the curve on disk after a
            point when at least this many seconds have passed since the last
            write. None leaves it to `write_every`. Defaults to `1.0`.
        write_every: Int >= 1 or None. Also rewrite the curve every this many
            points. Defaults to `None`.
        stop_training: Bool. End `fit` when the test ends. Defaults to `True`.
        verbose: Bool. Log each point and the result through the `lrfinder_tb`
            logger at INFO level. Defaults to `False`.

    Attributes:
        result: the `LRFinderResult` of the last test, or None before the first.

    Raises:
        ValueError: if an argument is out of range.

    Example:
        >>> finder = LRFinder(log_dir="logs/adam")
        >>> model.fit(x, y, epochs=5, callbacks=[finder])  # doctest: +SKIP
        >>> finder.result.suggestion  # doctest: +SKIP
        0.0012
    """

    def __init__(
        self,
        log_dir: str | os.PathLike | None = "logs",
        *,
        start_lr: float = 1e-7,
        end_lr: float = 10.0,
        num_steps: int = 100,
        mode: str = "exponential",
        smoothing: float = analysis.DEFAULT_SMOOTHING,
        divergence_threshold: float | None = analysis.DEFAULT_DIVERGENCE_THRESHOLD,
        restore: bool = True,
        method: str | None = None,
        run_name: str = "lr_finder",
        write_interval: float | None = 1.0,
        write_every: int | None = None,
        stop_training: bool = True,
        verbose: bool = False,
    ):
        super().__init__()
        _check(
            isinstance(start_lr, (int, float))
            and not isinstance(start_lr, bool)
            and math.isfinite(start_lr)
            and start_lr > 0,
            "start_lr",
            "a finite number > 0",
            start_lr,
        )
        _check(
            isinstance(end_lr, (int, float))
            and not isinstance(end_lr, bool)
            and math.isfinite(end_lr)
            and end_lr > start_lr,
            "end_lr",
            f"a finite number > start_lr ({start_lr!r})",
            end_lr,
        )
        _check(
            isinstance(num_steps, int) and not isinstance(num_steps, bool) and num_steps >= 2,
            "num_steps",
            "an int >= 2",
            num_steps,
        )
        _check(mode in MODES, "mode", f"one of {MODES}", mode)
        _check(
            isinstance(smoothing, (int, float))
            and not isinstance(smoothing, bool)
            and 0.0 <= smoothing < 1.0,
            "smoothing",
            "a float in [0, 1)",
            smoothing,
        )
        _check(
            divergence_threshold is None
            or (
                isinstance(divergence_threshold, (int, float))
                and not isinstance(divergence_threshold, bool)
                and divergence_threshold > 1.0
            ),
            "divergence_threshold",
            "a number > 1, or None to disable the check",
            divergence_threshold,
        )
        _check(
            method is None or method in analysis.SUGGESTION_METHODS,
            "method",
            f"None or one of {sorted(analysis.SUGGESTION_METHODS)}",
            method,
        )
        _check(
            isinstance(run_name, str)
            and run_name not in ("", ".", "..")
            and "/" not in run_name
            and os.sep not in run_name,
            "run_name",
            "a non-empty directory name without path separators",
            run_name,
        )
        _check(
            write_interval is None
            or (
                isinstance(write_interval, (int, float))
                and not isinstance(write_interval, bool)
                and math.isfinite(write_interval)
                and write_interval > 0
            ),
            "write_interval",
            "a finite number of seconds > 0, or None",
            write_interval,
        )
        _check(
            write_every is None
            or (
                isinstance(write_every, int)
                and not isinstance(write_every, bool)
                and write_every >= 1
            ),
            "write_every",
            "an int >= 1, or None",
            write_every,
        )

        self.log_dir = None if log_dir is None else os.fspath(log_dir)
        self.start_lr = float(start_lr)
        self.end_lr = float(end_lr)
        self.num_steps = num_steps
        self.mode = mode
        self.smoothing = float(smoothing)
        self.divergence_threshold = (
            None if divergence_threshold is None else float(divergence_threshold)
        )
        self.restore = bool(restore)
        self.method = method
        self.run_name = run_name
        self.write_interval = None if write_interval is None else float(write_interval)
        self.write_every = write_every
        self.stop_training = bool(stop_training)
        self.verbose = bool(verbose)

        self.result: analysis.LRFinderResult | None = None
        self.run_dir: str | None = None
        self._tests_run = 0
        self._active = False
        self._state: keras_compat.ModelState | None = None
        self._controller: keras_compat.LearningRateController | None = None
        self._writer = None

    # tf_keras's CallbackList calls these to find the hook groups a callback
    # implements. Keras 3 does not call them, so one class serves both.

    def _implements_train_batch_hooks(self) -> bool:
        return True

    def _implements_test_batch_hooks(self) -> bool:
        return False

    def _implements_predict_batch_hooks(self) -> bool:
        return False

    # Keras calls these hooks; the state they share is reset in on_train_begin.

    def on_train_begin(self, logs: dict | None = None) -> None:
        model = self.model
        if getattr(model, "optimizer", None) is None:
            raise ValueError(
                "LRFinder: the model has no optimizer; call `model.compile(optimizer=...)` "
                "before `fit`."
            )
        unsupported = keras_compat.unsupported_strategy_message(model)
        if unsupported is not None:
            raise RuntimeError(f"LRFinder: {unsupported}")
        self._warn_if_too_few_batches()
        self._tests_run += 1
        self._rates = sweep_learning_rates(self.start_lr, self.end_lr, self.num_steps, self.mode)
        self._learning_rates: list[float] = []
        self._losses: list[float] = []
        self._stop_reason: str | None = None
        self._monitor = (
            analysis.DivergenceMonitor(self.divergence_threshold)
            if self.divergence_threshold is not None
            else None
        )
        self._pending_total = 0.0
        self._pending_count = 0.0
        self._tracker_sums: tuple[float, float] | None = None
        self._logs_loss_is_tracker_mean: bool | None = None
        self._running_mean: float | None = None
        self._warned_tracker = False
        self._warned_other_callback = False
        self.result = None

        optimizer = model.optimizer
        self._tracker = keras_compat.LossTrackerReader(model)
        self._accumulation = keras_compat.gradient_accumulation_steps(optimizer)
        if self.restore:
            keras_compat.ensure_optimizer_built(model)
            self._state = keras_compat.ModelState.capture(model)
        self._controller = keras_compat.LearningRateController(optimizer)
        if self._controller.needs_retrace:
            # The compiled train step evaluates the schedule; rebuild it so it
            # reads the sweep's rate instead.
            model.make_train_function(force=True)
        self._updates_before = keras_compat.optimizer_updates(optimizer)
        self._controller.set(self._rates[0])
        self._last_set = float(self._rates[0])

        self.run_dir = None
        self._writer = None
        if self.log_dir is not None and _is_chief(model):
            name = self.run_name if self._tests_run == 1 else f"{self.run_name}_{self._tests_run}"
            self.run_dir = os.path.join(self.log_dir, name)
            from lrfinder_tb.summary_writer import CurveWriter

            self._writer = CurveWriter(self.run_dir, self._settings())
        self._last_write = time.monotonic()
        self._active = True

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        if not self._active:
            return
        # Keras resets the loss tracker just before this hook.
        self._tracker_sums = self._tracker.read()
        self._running_mean = None

    def on_train_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        # LearningRateScheduler sets the rate when an epoch begins and
        # ReduceLROnPlateau when one ends, so checking the first batch of each
        # epoch catches both without a variable read on every batch.
        # NOTE: a callback that changes the rate in the middle of an epoch is not
        # detected before the next epoch.
        if not self._active or batch != 0:
            return
        current = self._controller.get()
        if not math.isclose(current, self._last_set, rel_tol=1e-5, abs_tol=0.0):
            if not self._warned_other_callback:
                warnings.warn(
                    f"LRFinder: another callback changed the learning rate to {current:.3g} "
                    "during the range test (for example ReduceLROnPlateau or "
                    "LearningRateScheduler); the sweep overrides it. Leave such callbacks "
                    "out of the range test's fit.",
                    stacklevel=2,
                )
                self._warned_other_callback = True
            self._controller.set(self._last_set)

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        if not self._active:
            return
        loss_sum, sample_count = self._batch_loss_sum(batch, logs)
        self._pending_total += loss_sum
        self._pending_count += sample_count

        if self._accumulation > 1:
            # One point per weight update: the rate only matters when it is applied.
            updates = keras_compat.optimizer_updates(self.model.optimizer)
            if updates == self._updates_before:
                return
            self._updates_before = updates

        loss = self._pending_total / self._pending_count if self._pending_count else math.nan
        self._pending_total = 0.0
        self._pending_count = 0.0
        self._record(self._last_set, loss)

    def on_train_end(self, logs: dict | None = None) -> None:
        if not self._active:
            return
        if self._stop_reason is None:
            stopped_by_other = bool(getattr(self.model, "stop_training", False))
            self._stop_reason = (
                analysis.STOP_INTERRUPTED if stopped_by_other else analysis.STOP_DATA_EXHAUSTED
            )
        self._finish()

    # Public helpers.

    def finish(self, stop_reason: str = analysis.STOP_INTERRUPTED) -> None:
        """End a range test that `fit` left unfinished, for example after an exception.

        Writes the curve so far with `stop_reason`, computes `result`, and restores
        the model (when `restore` is set). Does nothing if no test is running.
        `find_lr` calls it in a `finally` block.

        Args:
            stop_reason: the reason to record, one of `analysis.STOP_REASONS`.
        """
        if not self._active:
            return
        if self._stop_reason is None:
            self._stop_reason = stop_reason
        self._finish()

    def plot(self, **kwargs: Any):
        """Plot the last result with matplotlib; see `lrfinder_tb.plotting.plot`.

        Raises:
            RuntimeError: if no range test has run yet.
            ImportError: if matplotlib is not installed.
        """
        if self.result is None:
            raise RuntimeError("LRFinder.plot: no range test has run yet; call `model.fit` first.")
        from lrfinder_tb.plotting import plot

        return plot(self.result, **kwargs)

    # Internals.

    def _settings(self) -> dict[str, Any]:
        return {
            "start_lr": self.start_lr,
            "end_lr": self.end_lr,
            "num_steps": self.num_steps,
            "mode": self.mode,
            "smoothing": self.smoothing,
            "divergence_threshold": self.divergence_threshold,
            "gradient_accumulation_steps": self._accumulation,
        }

    def _warn_if_too_few_batches(self) -> None:
        # Keras sets params["epochs"] and params["steps"] (None when unknown) before fit starts.
        params = getattr(self, "params", None) or {}
        epochs, steps = params.get("epochs"), params.get("steps")
        if not epochs or not steps:
            return
        accumulation = keras_compat.gradient_accumulation_steps(self.model.optimizer)
        available = epochs * steps // accumulation
        if available < self.num_steps:
            warnings.warn(
                f"LRFinder: this fit runs {epochs} epoch(s) of {steps} batches, which gives "
                f"{available} points, but the sweep needs num_steps={self.num_steps}; it will "
                "stop early at a small learning rate. Raise `epochs`, lower `num_steps`, or "
                "use `lrfinder_tb.find_lr`, which picks the epochs itself.",
                stacklevel=2,
            )

    def _batch_loss_sum(self, batch: int, logs: dict | None) -> tuple[float, float]:
        """Return (loss x samples, samples) of the batch that just ended."""
        sums = self._read_tracker(logs)
        if sums is not None and self._tracker_sums is not None and sums[1] > self._tracker_sums[1]:
            total = sums[0] - self._tracker_sums[0]
            count = sums[1] - self._tracker_sums[1]
            self._tracker_sums = sums
            return total, count

        # NOTE: without the loss tracker (a custom train_step), the batch loss is
        # recovered from logs["loss"] assuming equal batch sizes within an epoch.
        # A smaller last batch then gets a slightly wrong loss.
        if not self._warned_tracker:
            logger.warning(
                "LRFinder: the model's loss tracker did not change; recovering batch losses "
                "from logs['loss'] assuming equal batch sizes."
            )
            self._warned_tracker = True
        if not logs or "loss" not in logs:
            raise ValueError(
                "LRFinder: `logs` has no 'loss' entry, so the range test cannot record the "
                f"loss; the train step returned {sorted(logs or {})}. Return a 'loss' key."
            )
        mean = keras_compat.read_scalar(logs["loss"])
        seen = batch + 1
        previous = self._running_mean if self._running_mean is not None else 0.0
        self._running_mean = mean
        return mean * seen - previous * (seen - 1), 1.0

    def _read_tracker(self, logs: dict | None) -> tuple[float, float] | None:
        """Return the loss tracker's `(total, count)` after this batch, or None."""
        if not self._tracker.available:
            return None
        if self._logs_loss_is_tracker_mean:
            # Keras has already turned logs["loss"], the tracker's total / count,
            # into a float, so reading the count alone gives the total too and
            # saves an eager TensorFlow op on every batch.
            count = self._tracker.read_count()
            return keras_compat.read_scalar(logs["loss"]) * count, count

        sums = self._tracker.read()
        if self._logs_loss_is_tracker_mean is None and sums[1] > 0:
            # A custom train_step may put another value under "loss", so the
            # shortcut is taken only after the two agree once.
            try:
                mean = keras_compat.read_scalar(logs["loss"])
            except (KeyError, TypeError, ValueError):
                mean = math.nan
            self._logs_loss_is_tracker_mean = math.isclose(
                mean, sums[0] / sums[1], rel_tol=1e-6, abs_tol=1e-12
            )
        return sums

    def _record(self, learning_rate: float, loss: float) -> None:
        self._learning_rates.append(learning_rate)
        self._losses.append(loss)
        index = len(self._losses) - 1
        if self.verbose:
            logger.info(
                "LRFinder: point %d: learning rate %.4g, loss %.6g", index, learning_rate, loss
            )

        if not math.isfinite(loss):
            self._stop_reason = analysis.STOP_NON_FINITE
        elif self._monitor is not None and self._monitor.update(loss):
            self._stop_reason = analysis.STOP_DIVERGED
        elif len(self._losses) >= self.num_steps:
            self._stop_reason = analysis.STOP_SWEEP_COMPLETE

        if self._writer is not None and self._write_due():
            self._writer.write_curve(self._learning_rates, self._losses)
            self._last_write = time.monotonic()

        if self._stop_reason is not None:
            if self.stop_training:
                self.model.stop_training = True
            self._finish()
            return

        self._last_set = float(self._rates[len(self._losses)])
        self._controller.set(self._last_set)

    def _write_due(self) -> bool:
        # A snapshot costs about a millisecond, a large share of a fast model's
        # step. Writing by the clock bounds both that cost and what a crash loses.
        if self.write_every is not None and len(self._losses) % self.write_every == 0:
            return True
        return (
            self.write_interval is not None
            and time.monotonic() - self._last_write >= self.write_interval
        )

    def _finish(self) -> None:
        self._active = False
        try:
            if self._writer is not None:
                self._writer.write_curve(self._learning_rates, self._losses)
                self._writer.write_status(self._stop_reason, step=len(self._losses))
        finally:
            if self._writer is not None:
                self._writer.close()
            self._restore_model()

        self.result = analysis.analyze(
            self._learning_rates,
            self._losses,
            smoothing=self.smoothing,
            method=self.method,
            stop_reason=self._stop_reason,
            divergence_threshold=self.divergence_threshold,
        )
        if self.verbose:
            if self.result.suggestion is not None:
                logger.info(
                    "LRFinder: stopped (%s) after %d points; suggested learning rate %.3g",
                    self._stop_reason,
                    len(self._losses),
                    self.result.suggestion,
                )
            else:
                logger.info(
                    "LRFinder: stopped (%s) after %d points. %s",
                    self._stop_reason,
                    len(self._losses),
                    self.result.explanation,
                )

    def _restore_model(self) -> None:
        controller, self._controller = self._controller, None
        swapped_schedule = controller is not None and controller.needs_retrace
        if controller is not None:
            controller.release()
        if self._state is not None:
            self._state.restore()
            self._state = None
        if swapped_schedule:
            # The traced train step still reads the sweep's variable: rebuild it so
            # the next batch, in this fit or the next, uses the user's schedule.
            self.model.make_train_function(force=True)


def _check(condition: bool, name: str, rule: str, value: Any) -> None:
    if not condition:
        raise ValueError(f"LRFinder: `{name}` must be {rule}, got {value!r}.")


def _is_chief(model: Any) -> bool:
    """Tell whether this process writes summaries (the chief under multi-worker training)."""
    import tensorflow as tf

    strategy = getattr(model, "distribute_strategy", None) or tf.distribute.get_strategy()
    # Keras's own checkpoint callbacks use this flag to pick the one writer.
    return bool(getattr(strategy.extended, "should_checkpoint", True))
