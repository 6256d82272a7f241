"""Tests of the LRFinder callback and find_lr on real Keras models.

The models are built with `tf.keras`: Keras 3 normally, tf_keras (Keras 2) when
the environment sets TF_USE_LEGACY_KERAS=1. tests/test_tf_keras.py runs this file
a second time that way.
"""

from __future__ import annotations

import logging
import math
import os
import time
import warnings

import numpy as np
import pytest
import tensorflow as tf
from sklearn.datasets import load_diabetes, load_digits

from lrfinder_tb import LRFinder, analysis, find_lr, keras_compat, metadata
from lrfinder_tb.callback import sweep_learning_rates

keras = tf.keras
LEGACY_KERAS = keras_compat.is_tf_keras(keras.layers.Dense(1))
keras3_only = pytest.mark.skipif(
    LEGACY_KERAS, reason="tf_keras optimizers have no gradient accumulation"
)

# A sweep this low leaves float32 weights bit-identical: w + 1e-30 * g == w.
FROZEN_SWEEP = {"start_lr": 1e-30, "end_lr": 1e-29}

# A short sweep that stays below divergence on the small models here.
QUICK_SWEEP = {"start_lr": 1e-5, "end_lr": 1e-2, "num_steps": 20}


@pytest.fixture(scope="module")
def regression_data():
    data = load_diabetes()
    x = ((data.data - data.data.mean(0)) / data.data.std(0)).astype("float32")
    y = ((data.target - data.target.mean()) / data.target.std()).astype("float32")
    return x, y


@pytest.fixture(scope="module")
def digits_data():
    data = load_digits()
    return (data.images[..., None] / 16.0).astype("float32"), data.target.astype("int32")


def dense_regressor(optimizer=None, seed=0):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input((10,)), keras.layers.Dense(1)])
    model.compile(optimizer or keras.optimizers.SGD(0.0), "mse")
    return model


def mlp_regressor(optimizer=None, seed=0):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential(
        [keras.Input((10,)), keras.layers.Dense(16, activation="relu"), keras.layers.Dense(1)]
    )
    model.compile(optimizer or keras.optimizers.Adam(1e-3), "mse")
    return model


def snapshot(model):
    variables = list(model.weights) + list(model.optimizer.variables)
    return [np.array(variable.numpy(), copy=True) for variable in variables]


def assert_bitwise_equal(before, after):
    assert len(before) == len(after)
    for index, (old, new) in enumerate(zip(before, after, strict=True)):
        assert old.dtype == new.dtype, index
        assert np.array_equal(old, new), f"variable {index} changed"


def batch_losses(model, x, y, batch_size):
    """The model's own mean squared error on each batch, computed by hand."""
    predictions = model.predict(x, batch_size=256, verbose=0)[:, 0]
    squared = (predictions.astype(np.float64) - y) ** 2
    return [squared[i : i + batch_size].mean() for i in range(0, len(y), batch_size)]


def read_run(run_dir):
    """Read the latest curve and status of one run with TensorBoard's Python loader."""
    from tensorboard.backend.event_processing import event_accumulator

    accumulator = event_accumulator.EventAccumulator(
        run_dir, size_guidance={event_accumulator.TENSORS: 0}
    )
    accumulator.Reload()
    tags = accumulator.Tags()["tensors"]
    curve = status = None
    if metadata.CURVE_TAG in tags:
        events = accumulator.Tensors(metadata.CURVE_TAG)
        curve = (
            [event.step for event in events],
            tf.make_ndarray(events[-1].tensor_proto),
        )
    if metadata.STATUS_TAG in tags:
        events = accumulator.Tensors(metadata.STATUS_TAG)
        status = metadata.status_from_array(tf.make_ndarray(events[-1].tensor_proto))
    return curve, status


# Construction.


@pytest.mark.parametrize(
    "arguments, name",
    [
        ({"start_lr": 0.0}, "start_lr"),
        ({"start_lr": -1e-3}, "start_lr"),
        ({"start_lr": math.nan}, "start_lr"),
        ({"start_lr": 1.0, "end_lr": 0.5}, "end_lr"),
        ({"num_steps": 1}, "num_steps"),
        ({"num_steps": 10.5}, "num_steps"),
        ({"mode": "cosine"}, "mode"),
        ({"smoothing": 1.0}, "smoothing"),
        ({"smoothing": -0.5}, "smoothing"),
        ({"divergence_threshold": 1.0}, "divergence_threshold"),
        ({"method": "fastest"}, "method"),
        ({"run_name": "a/b"}, "run_name"),
        ({"write_every": 0}, "write_every"),
        ({"write_interval": 0}, "write_interval"),
        ({"write_interval": math.inf}, "write_interval"),
    ],
)
def test_invalid_argument_names_argument_and_value(arguments, name):
    value = next(iter(arguments.values())) if len(arguments) == 1 else arguments[name]
    with pytest.raises(ValueError) as raised:
        LRFinder(**arguments)
    message = str(raised.value)
    assert message.startswith("LRFinder:")
    assert f"`{name}`" in message
    assert repr(value) in message


def test_sweep_rates_exponential_and_linear():
    assert sweep_learning_rates(1e-7, 10.0, 9, "exponential") == pytest.approx(
        [1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0], rel=1e-12
    )
    assert sweep_learning_rates(0.1, 0.5, 5, "linear") == pytest.approx(
        [0.1, 0.2, 0.3, 0.4, 0.5], rel=1e-12
    )


def test_uncompiled_model_rejected():
    model = keras.Sequential([keras.Input((10,)), keras.layers.Dense(1)])
    finder = LRFinder(log_dir=None)
    finder.set_model(model)
    with pytest.raises(ValueError, match=r"no optimizer.*model\.compile"):
        finder.on_train_begin()


# The loss of each batch, not Keras's running mean.


def test_records_true_batch_loss(regression_data):
    x, y = regression_data[0][:100], regression_data[1][:100]
    model = dense_regressor()
    running_means = []
    recorder = keras.callbacks.LambdaCallback(
        on_train_batch_end=lambda batch, logs: running_means.append(float(logs["loss"]))
    )
    finder = LRFinder(log_dir=None, num_steps=10, **FROZEN_SWEEP)
    model.fit(x, y, batch_size=10, epochs=1, shuffle=False, verbose=0, callbacks=[finder, recorder])

    expected = batch_losses(model, x, y, 10)
    assert finder.result.losses == pytest.approx(expected, rel=1e-4)
    assert finder.result.stop_reason == analysis.STOP_SWEEP_COMPLETE
    # Keras's logs hold the running mean, which differs after the first batch.
    assert running_means == pytest.approx(np.cumsum(expected) / np.arange(1, 11), rel=1e-4)
    assert not np.allclose(running_means[1:], expected[1:], rtol=1e-3)


def test_true_loss_with_custom_logs_loss(regression_data):
    # The callback may take the batch loss from logs["loss"] when that is the
    # tracker's mean; a train_step that reports something else must not fool it.
    class OtherLoss(keras.Sequential):
        def train_step(self, data):
            logs = super().train_step(data)
            return {**logs, "loss": tf.constant(123.0)}

    x, y = regression_data[0][:100], regression_data[1][:100]
    keras.utils.set_random_seed(0)
    model = OtherLoss([keras.Input((10,)), keras.layers.Dense(1)])
    model.compile(keras.optimizers.SGD(0.0), "mse")
    finder = LRFinder(log_dir=None, num_steps=10, **FROZEN_SWEEP)
    model.fit(x, y, batch_size=10, epochs=1, shuffle=False, verbose=0, callbacks=[finder])

    assert finder.result.losses == pytest.approx(batch_losses(model, x, y, 10), rel=1e-4)


def test_true_loss_with_short_last_batch_and_epoch_boundary(regression_data):
    x, y = regression_data[0][:105], regression_data[1][:105]
    model = dense_regressor()
    finder = LRFinder(log_dir=None, num_steps=25, **FROZEN_SWEEP)
    model.fit(x, y, batch_size=10, epochs=3, shuffle=False, verbose=0, callbacks=[finder])

    per_epoch = batch_losses(model, x, y, 10)
    assert len(per_epoch) == 11
    expected = (per_epoch * 3)[:25]
    assert finder.result.losses == pytest.approx(expected, rel=1e-4)
    assert len(finder.result.losses) == 25


# Learning-rate schedules, mixed precision, gradient accumulation.


def test_schedule_swapped_out_and_back(regression_data):
    x, y = regression_data
    schedule = keras.optimizers.schedules.ExponentialDecay(1e-3, decay_steps=10, decay_rate=0.5)
    model = mlp_regressor(keras.optimizers.Adam(learning_rate=schedule))
    model.fit(x, y, batch_size=32, epochs=1, verbose=0)
    before = snapshot(model)

    finder = LRFinder(log_dir=None, start_lr=1e-4, end_lr=10.0, num_steps=40)
    model.fit(x, y, batch_size=32, epochs=5, verbose=0, callbacks=[finder])

    result = finder.result
    assert result.learning_rates == pytest.approx(
        sweep_learning_rates(1e-4, 10.0, 40, "exponential")[: len(result.losses)]
    )
    # The schedule would have kept the rate below 1e-3; the sweep made the loss explode.
    assert result.stop_reason == analysis.STOP_DIVERGED
    assert np.nanmax(result.losses) > 10 * result.losses[0]
    assert model.optimizer._learning_rate is schedule
    assert_bitwise_equal(before, snapshot(model))

    # Training goes on with the schedule. Keras 3 evaluates it at the current
    # iteration count; tf_keras reports the rate of the last step taken.
    history = model.fit(x, y, batch_size=32, epochs=2, verbose=0)
    iterations = int(model.optimizer.iterations.numpy())
    evaluated_at = iterations - 1 if LEGACY_KERAS else iterations
    assert float(model.optimizer.learning_rate.numpy()) == pytest.approx(
        float(schedule(evaluated_at).numpy())
    )
    assert np.all(np.isfinite(history.history["loss"]))
    assert history.history["loss"][-1] < 1.5


@pytest.fixture
def mixed_precision():
    previous = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        yield
    finally:
        keras.mixed_precision.set_global_policy(previous)


def test_mixed_precision_sweeps_inner_rate(regression_data, mixed_precision):
    x, y = regression_data
    model = mlp_regressor(keras.optimizers.Adam(1e-3))
    assert isinstance(model.optimizer, keras.mixed_precision.LossScaleOptimizer)
    model.fit(x, y, batch_size=32, epochs=1, verbose=0)
    before = snapshot(model)
    seen_rates = []
    recorder = keras.callbacks.LambdaCallback(
        on_train_batch_begin=lambda batch, logs: seen_rates.append(
            float(model.optimizer.inner_optimizer.learning_rate.numpy())
        )
    )
    finder = LRFinder(log_dir=None, start_lr=1e-5, end_lr=1.0, num_steps=30)
    model.fit(x, y, batch_size=32, epochs=3, verbose=0, callbacks=[finder, recorder])

    result = finder.result
    count = len(result.losses)
    assert count >= 10
    assert np.all(np.isfinite(result.losses[: result.usable_points]))
    assert seen_rates[:count] == pytest.approx(result.learning_rates.tolist(), rel=1e-3)
    assert float(model.optimizer.inner_optimizer.learning_rate.numpy()) == pytest.approx(1e-3)
    assert_bitwise_equal(before, snapshot(model))


@keras3_only
def test_gradient_accumulation_one_point_per_update(regression_data):
    x, y = regression_data[0][:320], regression_data[1][:320]
    model = dense_regressor(keras.optimizers.SGD(0.0, gradient_accumulation_steps=4))
    rates_per_batch = []
    recorder = keras.callbacks.LambdaCallback(
        on_train_batch_begin=lambda batch, logs: rates_per_batch.append(
            float(model.optimizer.learning_rate.numpy())
        )
    )
    finder = LRFinder(log_dir=None, start_lr=1e-4, end_lr=1e-1, num_steps=8)
    model.fit(x, y, batch_size=10, epochs=1, shuffle=False, verbose=0, callbacks=[recorder, finder])

    sweep = sweep_learning_rates(1e-4, 1e-1, 8, "exponential")
    assert len(finder.result.losses) == 8
    assert len(rates_per_batch) == 32
    # The recorder runs before the finder sets the rate of the first batch of a group.
    grouped = np.array(rates_per_batch[1:]).reshape(-1)
    for point in range(8):
        group = grouped[point * 4 : point * 4 + 3] if point < 7 else grouped[28:]
        assert group == pytest.approx(sweep[point], rel=1e-5)


@keras3_only
def test_gradient_accumulation_point_is_mean_of_its_batches(regression_data):
    x, y = regression_data[0][:160], regression_data[1][:160]
    model = dense_regressor(keras.optimizers.SGD(0.0, gradient_accumulation_steps=4))
    finder = LRFinder(log_dir=None, num_steps=4, **FROZEN_SWEEP)
    model.fit(x, y, batch_size=10, epochs=1, shuffle=False, verbose=0, callbacks=[finder])
    per_batch = np.array(batch_losses(model, x, y, 10))
    assert finder.result.losses == pytest.approx(per_batch.reshape(4, 4).mean(axis=1), rel=1e-4)


# Stop reasons.


def test_nan_loss_stops_at_first_non_finite(regression_data):
    x, y = regression_data
    model = keras.Sequential([keras.Input((10,)), keras.layers.Dense(1)])
    optimizer = keras.optimizers.SGD(0.0)

    def loss_nan_above_threshold(y_true, y_pred):
        # NaN once the optimizer's rate passes 1e-2, as a real blow-up would be.
        squared = tf.reduce_mean(tf.square(y_true - tf.squeeze(y_pred, -1)))
        nan_if_large = tf.where(optimizer.learning_rate > 1e-2, math.nan, 0.0)
        return squared + nan_if_large

    model.compile(optimizer, loss_nan_above_threshold)
    finder = LRFinder(
        log_dir=None, start_lr=1e-6, end_lr=1.0, num_steps=61, divergence_threshold=None
    )
    model.fit(x, y, batch_size=16, epochs=5, verbose=0, callbacks=[finder])

    result = finder.result
    sweep = sweep_learning_rates(1e-6, 1.0, 61, "exponential")
    first_large = int(np.argmax(sweep > 1e-2))
    assert result.stop_reason == analysis.STOP_NON_FINITE
    assert len(result.losses) == first_large + 1
    assert math.isnan(result.losses[-1])
    assert result.usable_points == first_large
    assert result.suggestion is None or result.suggestion <= 1e-2


def test_nan_loss_at_first_batch(regression_data):
    x, y = regression_data
    model = keras.Sequential([keras.Input((10,)), keras.layers.Dense(1)])
    model.compile(
        keras.optimizers.SGD(0.0), lambda y_true, y_pred: tf.reduce_mean(y_pred) * math.nan
    )
    finder = LRFinder(log_dir=None, num_steps=20)
    model.fit(x, y, batch_size=16, epochs=1, verbose=0, callbacks=[finder])
    result = finder.result
    assert result.stop_reason == analysis.STOP_NON_FINITE
    assert len(result.losses) == 1
    assert result.suggestion is None
    assert result.explanation.startswith("No suggestion")


def test_divergence_stops_and_disabled_runs_whole_range(regression_data):
    x, y = regression_data
    stopped = LRFinder(log_dir=None, start_lr=1e-4, end_lr=10.0, num_steps=60)
    mlp_regressor().fit(x, y, batch_size=16, epochs=10, verbose=0, callbacks=[stopped])
    assert stopped.result.stop_reason == analysis.STOP_DIVERGED
    assert len(stopped.result.losses) < 60

    unchecked = LRFinder(
        log_dir=None, start_lr=1e-4, end_lr=10.0, num_steps=60, divergence_threshold=None
    )
    mlp_regressor().fit(x, y, batch_size=16, epochs=10, verbose=0, callbacks=[unchecked])
    result = unchecked.result
    assert result.stop_reason in (analysis.STOP_SWEEP_COMPLETE, analysis.STOP_NON_FINITE)
    if result.stop_reason == analysis.STOP_SWEEP_COMPLETE:
        assert len(result.losses) == 60
        assert result.learning_rates[-1] == pytest.approx(10.0)
    assert len(result.losses) > len(stopped.result.losses)


def test_gaussian_nll_negative_loss_stops_only_when_diverging():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2048, 4)).astype("float32")
    y = (0.5 * x[:, 0] + 0.05 * rng.normal(size=2048)).astype("float32")

    def gaussian_nll(y_true, y_pred):
        mean, log_variance = y_pred[:, 0], y_pred[:, 1]
        return tf.reduce_mean(
            0.5 * (log_variance + tf.square(y_true - mean) / tf.exp(log_variance))
        )

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    model.compile(keras.optimizers.Adam(1e-3), gaussian_nll)
    finder = LRFinder(log_dir=None, start_lr=1e-4, end_lr=10.0, num_steps=150)
    model.fit(x, y, batch_size=32, epochs=3, verbose=0, callbacks=[finder])

    result = finder.result
    lowest = int(np.argmin(result.losses))
    assert result.losses[lowest] < -0.25
    assert result.stop_reason == analysis.STOP_DIVERGED
    # The test ran through the whole healthy descent and stopped on the blow-up.
    assert len(result.losses) > lowest + 1
    assert result.losses[-1] > result.losses[lowest] + 3.0
    assert result.suggestion is not None
    assert result.suggestion < result.learning_rates[lowest]


def test_data_exhausted_with_three_batches(regression_data):
    x, y = regression_data[0][:30], regression_data[1][:30]
    finder = LRFinder(log_dir=None, num_steps=100)
    with pytest.warns(UserWarning, match=r"gives 3 points, but the sweep needs num_steps=100"):
        mlp_regressor().fit(x, y, batch_size=10, epochs=1, verbose=0, callbacks=[finder])
    result = finder.result
    assert result.stop_reason == analysis.STOP_DATA_EXHAUSTED
    assert len(result.losses) == 3
    assert result.suggestion is None
    assert result.explanation.startswith("The range test ended early, after 3 points")
    assert "the data ran out" in result.explanation
    assert result.learning_rates == pytest.approx(
        sweep_learning_rates(1e-7, 10.0, 100, "exponential")[:3]
    )


def test_stopped_by_other_callback_is_interrupted(regression_data):
    x, y = regression_data
    stopper = keras.callbacks.LambdaCallback(
        on_train_batch_end=lambda batch, logs: setattr(stopper.model, "stop_training", batch >= 4)
    )
    finder = LRFinder(log_dir=None, num_steps=100)
    mlp_regressor().fit(x, y, batch_size=10, epochs=1, verbose=0, callbacks=[finder, stopper])
    assert finder.result.stop_reason == analysis.STOP_INTERRUPTED
    assert len(finder.result.losses) == 5


# Data sources.


def test_infinite_dataset_stops_after_num_steps(regression_data):
    x, y = regression_data
    dataset = tf.data.Dataset.from_tensor_slices((x, y)).batch(16).repeat()
    model = mlp_regressor()
    finder = LRFinder(log_dir=None, start_lr=1e-5, end_lr=1e-2, num_steps=30)
    # tf_keras rejects an infinite dataset without steps_per_epoch; Keras 3 runs it
    # until a callback stops training.
    steps = 1000 if LEGACY_KERAS else None
    model.fit(dataset, epochs=1, steps_per_epoch=steps, verbose=0, callbacks=[finder])
    assert finder.result.stop_reason == analysis.STOP_SWEEP_COMPLETE
    assert len(finder.result.losses) == 30


def test_generator_stops_after_num_steps(regression_data):
    x, y = regression_data

    def batches():
        while True:
            for start in range(0, len(x), 16):
                yield x[start : start + 16], y[start : start + 16]

    result = find_lr(
        mlp_regressor(), batches(), log_dir=None, start_lr=1e-5, end_lr=1e-2, num_steps=25
    )
    assert result.stop_reason == analysis.STOP_SWEEP_COMPLETE
    assert len(result.losses) == 25


@pytest.mark.parametrize("batch_size", [0, -5, 2.5, True])
def test_find_lr_rejects_bad_batch_size(regression_data, batch_size):
    x, y = regression_data
    with pytest.raises(ValueError, match=r"find_lr: `batch_size` must be .*" + repr(batch_size)):
        find_lr(mlp_regressor(), x, y, batch_size=batch_size, log_dir=None)


def test_find_lr_rejects_callbacks(regression_data):
    x, y = regression_data
    with pytest.raises(TypeError, match=r"find_lr: `callbacks` is not supported"):
        find_lr(mlp_regressor(), x, y, log_dir=None, callbacks=[keras.callbacks.Callback()])


def test_find_lr_runs_across_epochs(regression_data):
    x, y = regression_data[0][:64], regression_data[1][:64]
    result = find_lr(
        mlp_regressor(), x, y, batch_size=16, log_dir=None, num_steps=30, divergence_threshold=None
    )
    assert result.stop_reason == analysis.STOP_SWEEP_COMPLETE
    assert len(result.losses) == 30


def test_dict_inputs_and_two_outputs_use_total_loss():
    rng = np.random.default_rng(0)
    features = {
        "a": rng.normal(size=(80, 3)).astype("float32"),
        "b": rng.normal(size=(80, 2)).astype("float32"),
    }
    targets = {
        "first": rng.normal(size=(80, 1)).astype("float32"),
        "second": rng.normal(size=(80, 1)).astype("float32"),
    }
    keras.utils.set_random_seed(0)
    input_a = keras.Input((3,), name="a")
    input_b = keras.Input((2,), name="b")
    merged = keras.layers.Concatenate()([input_a, input_b])
    model = keras.Model(
        {"a": input_a, "b": input_b},
        {
            "first": keras.layers.Dense(1, name="first")(merged),
            "second": keras.layers.Dense(1, name="second")(merged),
        },
    )
    model.compile(
        keras.optimizers.SGD(0.0),
        loss={"first": "mse", "second": "mae"},
        loss_weights={"first": 0.3, "second": 2.0},
    )
    finder = LRFinder(log_dir=None, num_steps=8, **FROZEN_SWEEP)
    model.fit(
        features, targets, batch_size=10, epochs=1, shuffle=False, verbose=0, callbacks=[finder]
    )

    predictions = model.predict(features, verbose=0)
    expected = []
    for start in range(0, 80, 10):
        rows = slice(start, start + 10)
        mse = np.mean((predictions["first"][rows] - targets["first"][rows]) ** 2)
        mae = np.mean(np.abs(predictions["second"][rows] - targets["second"][rows]))
        expected.append(0.3 * mse + 2.0 * mae)
    assert finder.result.losses == pytest.approx(expected, rel=1e-4)


# Restoring the model.


def test_exact_restore_after_training(regression_data):
    x, y = regression_data
    model = mlp_regressor(keras.optimizers.Adam(1e-3))
    model.fit(x, y, batch_size=32, epochs=2, verbose=0)
    assert int(model.optimizer.iterations.numpy()) > 0
    before = snapshot(model)

    finder = LRFinder(log_dir=None, num_steps=50)
    model.fit(x, y, batch_size=32, initial_epoch=2, epochs=10, verbose=0, callbacks=[finder])

    result = finder.result
    # Iteration counters that did not start at 0 must not look like divergence.
    assert len(result.losses) > 20
    assert result.losses[0] < 2.0
    assert_bitwise_equal(before, snapshot(model))
    assert float(model.optimizer.learning_rate.numpy()) == pytest.approx(1e-3)


def test_restore_of_fresh_optimizer_resets_slots(regression_data):
    x, y = regression_data
    model = mlp_regressor(keras.optimizers.Adam(1e-3))
    weights = [np.array(w.numpy(), copy=True) for w in model.weights]
    result = find_lr(model, x, y, batch_size=32, log_dir=None, **QUICK_SWEEP)
    assert len(result.losses) == 20
    assert_bitwise_equal(weights, [w.numpy() for w in model.weights])
    assert int(model.optimizer.iterations.numpy()) == 0
    # Adam keeps two slots per weight; a fresh optimizer's slots are zeros again.
    slots = [
        variable.numpy()
        for variable in model.optimizer.variables
        if "iteration" not in variable.name and "learning_rate" not in variable.name
    ]
    assert len(slots) == 2 * len(model.trainable_weights)
    assert all(not np.any(slot) for slot in slots)


def test_restore_false_keeps_weights_but_resets_rate(regression_data):
    x, y = regression_data
    model = mlp_regressor(keras.optimizers.Adam(1e-3))
    weights = [np.array(w.numpy(), copy=True) for w in model.weights]
    find_lr(model, x, y, batch_size=32, log_dir=None, restore=False, **QUICK_SWEEP)
    assert not all(
        np.array_equal(a, b.numpy()) for a, b in zip(weights, model.weights, strict=True)
    )
    assert float(model.optimizer.learning_rate.numpy()) == pytest.approx(1e-3)


def test_exception_mid_test_restores_and_keeps_curve(regression_data, tmp_path):
    x, y = regression_data
    model = mlp_regressor(keras.optimizers.Adam(1e-3))
    model.fit(x, y, batch_size=32, epochs=1, verbose=0)
    before = snapshot(model)

    class Crash(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 24:
                raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        _fit_with_crash(model, x, y, tmp_path, Crash())
    assert_bitwise_equal(before, snapshot(model))
    curve, status = read_run(str(tmp_path / "lr_finder"))
    assert status == {"stop_reason": analysis.STOP_INTERRUPTED}
    assert curve[1].shape == (25, 2)


def _fit_with_crash(model, x, y, log_dir, crash):
    finder = LRFinder(
        log_dir=str(log_dir),
        num_steps=100,
        write_every=10,
        write_interval=None,
        divergence_threshold=None,
    )
    try:
        model.fit(x, y, batch_size=16, epochs=1, verbose=0, callbacks=[finder, crash])
    finally:
        finder.finish()


def test_crash_without_finish_leaves_curve_so_far(regression_data, tmp_path):
    x, y = regression_data
    model = mlp_regressor()

    class Crash(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 24:
                raise RuntimeError("simulated crash")

    finder = LRFinder(
        log_dir=str(tmp_path),
        num_steps=100,
        write_every=10,
        write_interval=None,
        divergence_threshold=None,
    )
    with pytest.raises(RuntimeError, match="simulated crash"):
        model.fit(x, y, batch_size=16, epochs=1, verbose=0, callbacks=[finder, Crash()])
    curve, status = read_run(str(tmp_path / "lr_finder"))
    # Written every 10 points: the crash after point 25 lost at most 10 points.
    assert curve[1].shape == (20, 2)
    assert status is None

    before_restore = snapshot(model)
    finder.finish()
    assert not all(
        np.array_equal(a, b) for a, b in zip(before_restore, snapshot(model), strict=True)
    )
    assert finder.result.stop_reason == analysis.STOP_INTERRUPTED
    assert len(finder.result.losses) == 25


def test_write_interval_bounds_crash_loss(regression_data, tmp_path):
    x, y = regression_data

    class PauseThenCrash(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 4:
                time.sleep(0.3)
            if batch == 7:
                raise RuntimeError("simulated crash")

    finder = LRFinder(
        log_dir=str(tmp_path), num_steps=100, write_interval=0.2, divergence_threshold=None
    )
    with pytest.raises(RuntimeError, match="simulated crash"):
        mlp_regressor().fit(
            x, y, batch_size=16, epochs=1, verbose=0, callbacks=[finder, PauseThenCrash()]
        )
    curve, _ = read_run(str(tmp_path / "lr_finder"))
    # The pause after point 5 made point 6 due; a slow machine may write 7 or 8 too.
    assert 6 <= curve[1].shape[0] <= 8
    finder.finish()


def test_no_periodic_writes_when_disabled(regression_data, tmp_path):
    x, y = regression_data

    class Crash(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 7:
                raise RuntimeError("simulated crash")

    finder = LRFinder(
        log_dir=str(tmp_path), num_steps=100, write_interval=None, divergence_threshold=None
    )
    with pytest.raises(RuntimeError, match="simulated crash"):
        mlp_regressor().fit(x, y, batch_size=16, epochs=1, verbose=0, callbacks=[finder, Crash()])
    assert not (tmp_path / "lr_finder").exists()

    finder.finish()
    curve, status = read_run(str(tmp_path / "lr_finder"))
    assert curve[0] == [8]
    assert status == {"stop_reason": analysis.STOP_INTERRUPTED}


# Working together with Keras.


def test_reuse_writes_second_run_not_dropped(regression_data, tmp_path):
    x, y = regression_data
    finder = LRFinder(log_dir=str(tmp_path), start_lr=1e-5, end_lr=1.0, num_steps=30)
    model = mlp_regressor()
    model.fit(x, y, batch_size=16, epochs=2, verbose=0, callbacks=[finder])
    first = finder.result
    model.compile(keras.optimizers.SGD(1e-2, momentum=0.9), "mse")
    model.fit(x, y, batch_size=16, epochs=2, verbose=0, callbacks=[finder])
    second = finder.result

    assert first is not second
    assert sorted(os.listdir(tmp_path)) == ["lr_finder", "lr_finder_2"]
    for name, result in (("lr_finder", first), ("lr_finder_2", second)):
        curve, status = read_run(str(tmp_path / name))
        steps, points = curve
        assert steps == sorted(steps)
        assert points[:, 0] == pytest.approx(result.learning_rates.astype(np.float32))
        assert points[:, 1] == pytest.approx(result.losses.astype(np.float32), nan_ok=True)
        assert status["stop_reason"] == result.stop_reason


def test_curve_rewritten_at_increasing_steps(regression_data, tmp_path):
    x, y = regression_data
    finder = LRFinder(
        log_dir=str(tmp_path),
        num_steps=35,
        write_every=10,
        write_interval=None,
        divergence_threshold=None,
        start_lr=1e-5,
        end_lr=1e-2,
    )
    mlp_regressor().fit(x, y, batch_size=16, epochs=3, verbose=0, callbacks=[finder])
    (steps, points), status = read_run(str(tmp_path / "lr_finder"))
    assert steps == [10, 20, 30, 35]
    assert points.dtype == np.float32
    assert points.shape == (35, 2)
    assert status == {"stop_reason": analysis.STOP_SWEEP_COMPLETE}


def test_log_dir_none_writes_nothing(regression_data, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    x, y = regression_data
    result = find_lr(mlp_regressor(), x, y, batch_size=32, log_dir=None, **QUICK_SWEEP)
    assert len(result.losses) == 20
    assert os.listdir(tmp_path) == []


def test_no_files_in_working_directory(regression_data, tmp_path, monkeypatch):
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    x, y = regression_data
    find_lr(mlp_regressor(), x, y, batch_size=32, log_dir=str(tmp_path / "logs"), **QUICK_SWEEP)
    assert os.listdir(work) == []
    assert os.listdir(tmp_path / "logs") == ["lr_finder"]


@pytest.mark.parametrize("kind", ["scheduler", "plateau"])
def test_other_rate_callback_warned_and_sweep_recorded(regression_data, kind):
    x, y = regression_data[0][:80], regression_data[1][:80]
    if kind == "scheduler":
        other = keras.callbacks.LearningRateScheduler(lambda epoch, rate: 0.5)
    else:
        other = keras.callbacks.ReduceLROnPlateau(
            monitor="loss", factor=0.5, patience=0, min_delta=1e9
        )
    finder = LRFinder(
        log_dir=None, start_lr=1e-5, end_lr=1e-2, num_steps=20, divergence_threshold=None
    )
    with pytest.warns(UserWarning, match="another callback changed the learning rate"):
        mlp_regressor().fit(x, y, batch_size=16, epochs=10, verbose=0, callbacks=[finder, other])
    assert finder.result.learning_rates == pytest.approx(
        sweep_learning_rates(1e-5, 1e-2, 20, "exponential")
    )


def test_early_stopping_and_checkpoint_undisturbed(regression_data, tmp_path):
    x, y = regression_data
    model = mlp_regressor()
    checkpoint_path = str(tmp_path / "model.keras")
    callbacks = [
        LRFinder(log_dir=None, num_steps=30),
        keras.callbacks.EarlyStopping(monitor="loss", patience=1),
        keras.callbacks.ModelCheckpoint(checkpoint_path),
    ]
    model.fit(x, y, batch_size=16, epochs=5, verbose=0, callbacks=callbacks)
    assert os.path.exists(checkpoint_path)
    before = snapshot(model)

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        history = model.fit(
            x,
            y,
            batch_size=16,
            epochs=3,
            verbose=0,
            callbacks=[keras.callbacks.EarlyStopping(monitor="loss", patience=5)],
        )
    assert history.epoch == [0, 1, 2]
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert not all(np.array_equal(a, b) for a, b in zip(before, snapshot(model), strict=True))


def test_frozen_model_has_no_suggestion(digits_data):
    x, y = digits_data
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [keras.Input((8, 8, 1)), keras.layers.Flatten(), keras.layers.Dense(10, trainable=False)]
    )
    model.compile(
        keras.optimizers.Adam(1e-3), keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = find_lr(model, x, y, batch_size=32, log_dir=None)
    assert len(result.losses) == 100
    assert np.std(result.losses) > 0
    assert result.suggestion is None
    assert result.region is None
    assert "did not learn" in result.explanation


def test_digits_cnn_suggestion_in_sane_range(digits_data):
    x, y = digits_data
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((8, 8, 1)),
            keras.layers.Conv2D(16, 3, activation="relu"),
            keras.layers.Flatten(),
            keras.layers.Dense(10),
        ]
    )
    model.compile(
        keras.optimizers.Adam(1e-3), keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    )
    result = find_lr(model, x, y, batch_size=32, log_dir=None)
    assert result.suggestion is not None
    assert 1e-4 < result.suggestion < 1e-1
    assert result.region[0] <= result.suggestion <= result.region[1]


def test_verbose_logs_progress(regression_data, caplog):
    x, y = regression_data
    with caplog.at_level(logging.INFO, logger="lrfinder_tb"):
        find_lr(
            mlp_regressor(),
            x,
            y,
            batch_size=32,
            log_dir=None,
            num_steps=12,
            verbose=True,
            divergence_threshold=None,
            start_lr=1e-5,
            end_lr=1e-2,
        )
    messages = [record.getMessage() for record in caplog.records]
    assert sum(message.startswith("LRFinder: point") for message in messages) == 12
    assert "stopped (sweep_complete) after 12 points" in messages[-1]


def test_quiet_by_default(regression_data, caplog, capsys):
    x, y = regression_data
    with caplog.at_level(logging.INFO, logger="lrfinder_tb"):
        find_lr(mlp_regressor(), x, y, batch_size=32, log_dir=None, num_steps=12)
    assert caplog.records == []
    assert capsys.readouterr().out == ""
