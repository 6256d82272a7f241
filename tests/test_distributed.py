"""The range test under tf.distribute.MirroredStrategy over two logical CPU devices."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

# Logical devices must be configured before TensorFlow initialises, so the
# strategy runs in a fresh process.
SCRIPT = textwrap.dedent(
    """
    import json, os, sys
    import tensorflow as tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration()] * 2
    )
    import keras
    import numpy as np
    from sklearn.datasets import load_diabetes
    from lrfinder_tb import LRFinder

    data = load_diabetes()
    x = ((data.data - data.data.mean(0)) / data.data.std(0)).astype("float32")
    y = ((data.target - data.target.mean()) / data.target.std()).astype("float32")

    def build():
        keras.utils.set_random_seed(0)
        model = keras.Sequential(
            [keras.Input((10,)), keras.layers.Dense(16, activation="relu"), keras.layers.Dense(1)]
        )
        model.compile(keras.optimizers.Adam(1e-3), "mse")
        return model

    def run(model, log_dir):
        model.fit(x, y, batch_size=32, epochs=1, shuffle=False, verbose=0)
        before = [np.array(v.numpy()) for v in model.weights + model.optimizer.variables]
        finder = LRFinder(log_dir=log_dir, start_lr=1e-5, end_lr=1.0, num_steps=30)
        model.fit(x, y, batch_size=32, epochs=3, shuffle=False, verbose=0, callbacks=[finder])
        return finder.result, before

    log_root = sys.argv[1]
    single, _ = run(build(), os.path.join(log_root, "single"))

    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    with strategy.scope():
        model = build()
    mirrored, before = run(model, os.path.join(log_root, "mirrored"))

    variables = model.weights + model.optimizer.variables
    replicas_restored = all(
        np.array_equal(np.asarray(component.numpy()), saved)
        for variable, saved in zip(variables, before)
        for component in getattr(variable.value, "values", [variable.value])
    )
    print(json.dumps({
        "replicas": strategy.num_replicas_in_sync,
        "single": [single.learning_rates.tolist(), single.losses.tolist(), single.stop_reason],
        "mirrored": [mirrored.learning_rates.tolist(), mirrored.losses.tolist(),
                     mirrored.stop_reason],
        "replicas_restored": replicas_restored,
        "mirrored_type": type(model.weights[0].value).__name__,
    }))
    """
)


@pytest.mark.slow
def test_mirrored_strategy_matches_single_device(tmp_path):
    environment = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
    completed = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        env=environment,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    report = json.loads(completed.stdout.strip().splitlines()[-1])

    assert report["replicas"] == 2
    assert "Mirrored" in report["mirrored_type"]
    single_rates, single_losses, single_reason = report["single"]
    mirrored_rates, mirrored_losses, mirrored_reason = report["mirrored"]
    assert mirrored_reason == single_reason
    assert mirrored_rates == pytest.approx(single_rates, rel=1e-12)
    # Same global batch, same data order: the same curve up to float32 summation order.
    assert np.asarray(mirrored_losses) == pytest.approx(np.asarray(single_losses), rel=1e-3)
    assert report["replicas_restored"] is True

    event_files = os.listdir(tmp_path / "mirrored" / "lr_finder")
    assert len(event_files) == 1
    assert event_files[0].startswith("events.out.tfevents")
