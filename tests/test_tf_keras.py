"""The callback with tf_keras (Keras 2): the callback tests again, and multi-worker training."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import threading
import time

import numpy as np
import pytest
from conftest import free_port

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLE = os.path.join(ROOT, "examples", "multi_worker.py")


def legacy_environment(**extra: str) -> dict[str, str]:
    return dict(
        os.environ,
        TF_USE_LEGACY_KERAS="1",
        TF_CPP_MIN_LOG_LEVEL="3",
        CUDA_VISIBLE_DEVICES="",
        **extra,
    )


@pytest.mark.slow
def test_callback_suite_passes_with_tf_keras():
    # TF_USE_LEGACY_KERAS must be set before TensorFlow is imported, so the
    # callback tests run again in a fresh interpreter.
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            os.path.join(ROOT, "tests", "test_callback.py"),
        ],
        capture_output=True,
        text=True,
        timeout=900,
        env=legacy_environment(),
        cwd=ROOT,
    )
    summary = completed.stdout.strip().splitlines()[-1] if completed.stdout.strip() else ""
    assert completed.returncode == 0, completed.stdout[-4000:] + completed.stderr[-2000:]
    assert " passed" in summary
    assert "failed" not in summary


def test_compat_detects_tf_keras_objects():
    script = textwrap.dedent(
        """
        import json
        import tensorflow as tf
        from lrfinder_tb import keras_compat
        layer = tf.keras.layers.Dense(1)
        optimizer = tf.keras.optimizers.Adam(1e-3)
        print(json.dumps([keras_compat.is_tf_keras(layer), keras_compat.is_tf_keras(optimizer)]))
        """
    )
    completed = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=300,
        env=legacy_environment(),
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    assert json.loads(completed.stdout.strip().splitlines()[-1]) == [True, True]

    import keras

    from lrfinder_tb import keras_compat

    assert keras_compat.is_tf_keras(keras.layers.Dense(1)) is False


KERAS3_WORKER = textwrap.dedent(
    """
    import numpy as np, keras, tensorflow as tf
    from lrfinder_tb import LRFinder, find_lr
    strategy = tf.distribute.MultiWorkerMirroredStrategy()
    with strategy.scope():
        model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
        model.compile(keras.optimizers.Adam(1e-3), "mse")
    x = np.zeros((64, 3), "float32"); y = np.zeros((64,), "float32")
    try:
        result = find_lr(model, x, y, batch_size=16, log_dir=None, num_steps=5)
        print("RAN", len(result.losses))
    except RuntimeError as error:
        print("RAISED", error)
    """
)


def keras3_environment(**extra: str) -> dict[str, str]:
    environment = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="", **extra)
    environment.pop("TF_USE_LEGACY_KERAS", None)
    return environment


@pytest.mark.slow
def test_keras3_two_workers_rejected_with_explanation():
    ports = [free_port(), free_port()]
    cluster = {"worker": [f"127.0.0.1:{port}" for port in ports]}
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", KERAS3_WORKER],
            env=keras3_environment(
                TF_CONFIG=json.dumps({"cluster": cluster, "task": {"type": "worker", "index": i}})
            ),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(2)
    ]
    outputs = []
    try:
        for process in processes:
            stdout, stderr = process.communicate(timeout=300)
            outputs.append((process.returncode, stdout, stderr))
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
    for returncode, stdout, stderr in outputs:
        assert returncode == 0, stderr[-2000:]
        assert "RAISED find_lr: Keras 3 cannot train under MultiWorkerMirroredStrategy" in stdout
        assert "with 2 workers" in stdout
        assert "TF_USE_LEGACY_KERAS=1" in stdout
        assert "PerReplica" in stdout


def test_keras3_single_worker_runs():
    # One worker is no cluster: Keras 3 trains there, so nothing is rejected.
    completed = subprocess.run(
        [sys.executable, "-c", KERAS3_WORKER],
        capture_output=True,
        text=True,
        timeout=300,
        env=keras3_environment(),
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    assert "RAN 5" in completed.stdout


def read_lr_finder_runs(log_dir: str) -> dict[str, np.ndarray]:
    """Read every run with lr_finder data through TensorBoard's data provider."""
    from tensorboard import context
    from tensorboard.backend.event_processing import data_provider, plugin_event_multiplexer

    multiplexer = plugin_event_multiplexer.EventMultiplexer()
    multiplexer.AddRunsFromDirectory(log_dir)
    multiplexer.Reload()
    provider = data_provider.MultiplexerDataProvider(multiplexer, log_dir)
    tensors = provider.read_tensors(
        context.RequestContext(), experiment_id="", plugin_name="lr_finder", downsample=1
    )
    return {run: tags["lr_finder/curve"][-1].numpy for run, tags in tensors.items()}


@pytest.mark.slow
def test_two_workers_agree_and_only_chief_writes(tmp_path):
    log_dir = tmp_path / "logs"
    results = tmp_path / "results"
    results.mkdir()
    completed = subprocess.run(
        [
            sys.executable,
            EXAMPLE,
            "--logdir",
            str(log_dir),
            "--steps",
            "30",
            "--results-dir",
            str(results),
            "--launch-timeout",
            "400",
        ],
        capture_output=True,
        text=True,
        timeout=450,
        env=legacy_environment(),
    )
    assert completed.returncode == 0, completed.stdout[-2000:] + completed.stderr[-3000:]
    reports = [json.loads((results / f"worker_{index}.json").read_text()) for index in range(2)]
    chief, other = reports
    assert chief["stop_reason"] == other["stop_reason"]
    assert chief["points"] == other["points"] >= 10
    assert chief["learning_rates"] == other["learning_rates"]
    assert chief["losses"] == other["losses"]
    assert chief["weights_restored"] and other["weights_restored"]
    assert chief["run_dir"] == str(log_dir / "lr_finder")
    assert other["run_dir"] is None

    # Exactly one run contains the curve, and it is the chief's.
    written = [
        os.path.join(directory, name) for directory, _, names in os.walk(log_dir) for name in names
    ]
    assert len(written) == 1
    runs = read_lr_finder_runs(str(log_dir))
    assert list(runs) == ["lr_finder"]
    assert runs["lr_finder"][:, 1] == pytest.approx(np.float32(chief["losses"]))

    # The dashboard's route reads it.
    from tensorboard.backend import application
    from tensorboard.backend.event_processing import data_provider, plugin_event_multiplexer
    from tensorboard.plugins import base_plugin
    from werkzeug import test as werkzeug_test

    from lrfinder_tb.plugin import LRFinderPlugin

    multiplexer = plugin_event_multiplexer.EventMultiplexer()
    multiplexer.AddRunsFromDirectory(str(log_dir))
    multiplexer.Reload()
    provider = data_provider.MultiplexerDataProvider(multiplexer, str(log_dir))
    plugin = LRFinderPlugin(base_plugin.TBContext(logdir=str(log_dir), data_provider=provider))
    client = werkzeug_test.Client(application.TensorBoardWSGI([plugin], data_provider=provider))
    response = client.get("/data/plugin/lr_finder/curves?run=lr_finder")
    assert response.status_code == 200
    curve = json.loads(response.get_data())["runs"][0]
    assert curve["points"] == chief["points"]


@pytest.mark.slow
def test_dead_worker_makes_other_fail_in_time(tmp_path):
    ports = [free_port(), free_port()]
    cluster = {"worker": [f"127.0.0.1:{port}" for port in ports]}
    timeout_seconds = 20
    processes = []
    for index in range(2):
        config = json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}})
        processes.append(
            subprocess.Popen(
                [
                    sys.executable,
                    EXAMPLE,
                    "--worker",
                    "--logdir",
                    str(tmp_path / "logs"),
                    "--steps",
                    "400",
                    "--timeout",
                    str(timeout_seconds),
                ],
                env=legacy_environment(TF_CONFIG=config),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    chief, victim = processes
    chief_output: list[str] = []
    progress = threading.Event()

    def read_chief() -> None:
        for line in chief.stderr:
            chief_output.append(line)
            if "LRFinder: point 5:" in line:
                progress.set()

    reader = threading.Thread(target=read_chief, daemon=True)
    reader.start()
    victim_reader = threading.Thread(target=victim.stderr.read, daemon=True)
    victim_reader.start()
    try:
        assert progress.wait(timeout=300), "".join(chief_output)[-3000:]
        victim.kill()
        killed_at = time.monotonic()
        try:
            code = chief.wait(timeout=timeout_seconds + 60)
        except subprocess.TimeoutExpired:
            pytest.fail("the surviving worker hung after its peer died")
        elapsed = time.monotonic() - killed_at
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
    reader.join(timeout=5)
    assert code != 0
    assert elapsed < timeout_seconds + 60
    text = "".join(chief_output)
    assert "Error" in text
