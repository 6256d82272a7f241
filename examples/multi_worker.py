"""A range test across two worker processes with MultiWorkerMirroredStrategy and tf_keras.

Run it as it is: it starts two local workers on 127.0.0.1 itself, each with its own
`TF_CONFIG`, and prints what each worker found:

    python examples/multi_worker.py --logdir logs/multi_worker

On real machines, start the same script on every machine with `--worker`, the same
`TF_CONFIG` cluster and each machine's own task index (see docs/distributed.md).

Keras 3 cannot run `fit` under MultiWorkerMirroredStrategy (TensorFlow 2.16 to 2.21
fail with "Attempt to convert a value (PerReplica ...)"), so the workers use tf_keras,
selected with `TF_USE_LEGACY_KERAS=1` before TensorFlow is imported.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time

# Collective operations give up after this many seconds, so a worker whose peer
# died fails instead of waiting forever.
COLLECTIVE_TIMEOUT_SECONDS = 60


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_worker(log_dir: str, result_path: str | None, num_steps: int, timeout: float) -> None:
    """Run the range test as one worker of the cluster named in TF_CONFIG."""
    os.environ["TF_USE_LEGACY_KERAS"] = "1"
    import logging

    import tensorflow as tf

    keras = tf.keras
    from sklearn.datasets import load_digits

    from lrfinder_tb import LRFinder

    options = tf.distribute.experimental.CommunicationOptions(timeout_seconds=timeout)
    strategy = tf.distribute.MultiWorkerMirroredStrategy(communication_options=options)

    digits = load_digits()
    x = (digits.images[..., None] / 16.0).astype("float32")
    y = digits.target.astype("int32")
    dataset = tf.data.Dataset.from_tensor_slices((x, y)).batch(64).repeat()

    with strategy.scope():
        tf.random.set_seed(0)
        model = keras.Sequential(
            [
                keras.Input((8, 8, 1)),
                keras.layers.Conv2D(16, 3, activation="relu"),
                keras.layers.Flatten(),
                keras.layers.Dense(10),
            ]
        )
        model.compile(
            keras.optimizers.Adam(1e-3),
            keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        )

    # Progress lines ("LRFinder: point N ...") go to stderr.
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    before = [variable.numpy().copy() for variable in model.weights]
    finder = LRFinder(log_dir=log_dir, num_steps=num_steps, verbose=True)
    try:
        model.fit(dataset, epochs=1, steps_per_epoch=num_steps, verbose=0, callbacks=[finder])
    finally:
        # After an error (a peer died), write the curve so far and restore the model.
        finder.finish()

    result = finder.result
    report = {
        "task": json.loads(os.environ["TF_CONFIG"])["task"],
        "stop_reason": result.stop_reason,
        "points": len(result.losses),
        "learning_rates": result.learning_rates.tolist(),
        "losses": result.losses.tolist(),
        "suggestion": result.suggestion,
        "run_dir": finder.run_dir,
        "weights_restored": all(
            (before_value == variable.numpy()).all()
            for before_value, variable in zip(before, model.weights, strict=True)
        ),
    }
    if result_path:
        with open(result_path, "w", encoding="utf-8") as handle:
            json.dump(report, handle)
    print(summary_line(report), flush=True)


def summary_line(report: dict) -> str:
    """Describe one worker's result in one line."""
    return (
        f"worker {report['task']['index']}: {report['points']} points, "
        f"stop reason {report['stop_reason']}, suggestion {report['suggestion']}, "
        f"curve written to {report['run_dir'] or 'nothing (not the chief)'}"
    )


def launch_local_cluster(arguments: argparse.Namespace) -> int:
    """Start two workers on 127.0.0.1 and print each one's result."""
    ports = [free_port(), free_port()]
    cluster = {"worker": [f"127.0.0.1:{port}" for port in ports]}
    # Results go outside the log directory: only the chief writes there.
    results_dir = arguments.results_dir or tempfile.mkdtemp(prefix="lrfinder-workers-")
    processes = []
    for index in range(2):
        environment = dict(
            os.environ,
            TF_CONFIG=json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}}),
            TF_USE_LEGACY_KERAS="1",
            CUDA_VISIBLE_DEVICES="",
            TF_CPP_MIN_LOG_LEVEL="3",
        )
        result_path = os.path.join(results_dir, f"worker_{index}.json")
        command = [
            sys.executable,
            os.path.abspath(__file__),
            "--worker",
            "--logdir",
            arguments.logdir,
            "--steps",
            str(arguments.steps),
            "--result",
            result_path,
        ]
        processes.append((subprocess.Popen(command, env=environment), result_path))

    started = time.monotonic()
    status = 0
    for index, (process, _result_path) in enumerate(processes):
        remaining = max(1.0, arguments.launch_timeout - (time.monotonic() - started))
        try:
            code = process.wait(timeout=remaining)
        except subprocess.TimeoutExpired:
            process.kill()
            code = -1
        status = status or code
        if code != 0:
            print(
                f"worker {index} failed with exit code {code}; its error is in the output "
                "above (a missing package such as scikit-learn shows as ModuleNotFoundError)",
                file=sys.stderr,
            )
    return status


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--logdir", default="logs/multi_worker", help="TensorBoard log directory")
    parser.add_argument("--steps", type=int, default=60, help="points in the sweep")
    parser.add_argument("--worker", action="store_true", help="run as one worker of TF_CONFIG")
    parser.add_argument("--result", help="worker only: write the result as JSON to this file")
    parser.add_argument(
        "--results-dir", help="launcher only: where the workers write their results as JSON"
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=COLLECTIVE_TIMEOUT_SECONDS,
        help="seconds a collective operation may wait for the other workers",
    )
    parser.add_argument(
        "--launch-timeout", type=float, default=600, help="seconds to wait for both workers"
    )
    arguments = parser.parse_args()
    if arguments.worker:
        run_worker(arguments.logdir, arguments.result, arguments.steps, arguments.timeout)
        return 0
    return launch_local_cluster(arguments)


if __name__ == "__main__":
    sys.exit(main())
