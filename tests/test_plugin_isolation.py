"""TensorBoard loads the plugin without TensorFlow or Keras.

TensorBoard imports the module named by the `tensorboard_plugins` entry point
without a try/except, and users often run TensorBoard where TensorFlow is not
installed, so the plugin module must not import either, directly or indirectly.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import pathlib
import subprocess
import sys
import time
import urllib.parse
import urllib.request

import numpy as np
import pytest
from conftest import free_port

REPO_ROOT = pathlib.Path(__file__).resolve().parent.parent
SERVER_START_TIMEOUT_SECONDS = 40.0

CHECK_IMPORTS = """
import json, sys
{body}
heavy = sorted(
    name for name in sys.modules if name.split(".")[0] in ("tensorflow", "keras", "tf_keras")
)
print(json.dumps(heavy))
"""

IMPORT_MODULE = "import lrfinder_tb.plugin"

LOAD_ENTRY_POINT = """
from importlib.metadata import entry_points
from tensorboard.plugins import base_plugin
(entry_point,) = [e for e in entry_points(group="tensorboard_plugins") if e.name == "lr_finder"]
plugin_class = entry_point.load()
plugin = plugin_class(base_plugin.TBContext())
assert plugin.plugin_name == "lr_finder"
assert "/index.js" in plugin.get_plugin_apps()
assert plugin.frontend_metadata().es_module_path == "/index.js"
"""


def heavy_modules_after(body: str, cwd) -> list[str]:
    """Run `body` in a fresh interpreter; return the TensorFlow/Keras modules it imported."""
    completed = subprocess.run(
        [sys.executable, "-c", CHECK_IMPORTS.format(body=body)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout.strip().splitlines()[-1])


def test_plugin_import_without_tensorflow(tmp_path):
    assert heavy_modules_after(IMPORT_MODULE, cwd=tmp_path) == []


def test_entry_point_load_without_tensorflow(tmp_path):
    assert heavy_modules_after(LOAD_ENTRY_POINT, cwd=tmp_path) == []


def run_checked(command: list[str], timeout: float) -> None:
    completed = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    assert completed.returncode == 0, f"{command} failed:\n{completed.stdout}\n{completed.stderr}"


def fetch_json(url: str):
    # The proxy handler is emptied so that a proxy set in the environment never
    # receives a request meant for 127.0.0.1.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(url, timeout=10) as response:
        return json.loads(response.read().decode("utf-8"))


def wait_for_runs(base_url: str, run: str, process: subprocess.Popen, log_path) -> dict:
    """Poll the runs route until it lists `run`; fail if TensorBoard exits or times out."""
    deadline = time.monotonic() + SERVER_START_TIMEOUT_SECONDS
    last_error = None
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"tensorboard exited with {process.returncode}:\n{log_path.read_text()}")
        try:
            body = fetch_json(f"{base_url}/data/plugin/lr_finder/runs")
            if any(entry["run"] == run for entry in body["runs"]):
                return body
        except OSError as error:
            last_error = error
        time.sleep(0.3)
    pytest.fail(
        f"the runs route did not list {run!r} within {SERVER_START_TIMEOUT_SECONDS} s "
        f"(last error: {last_error}):\n{log_path.read_text()}"
    )


@pytest.fixture(scope="module")
def venv_without_tensorflow(tmp_path_factory):
    """Build a venv with tensorboard, numpy, werkzeug and this package, but no TensorFlow."""
    venv = tmp_path_factory.mktemp("venv_without_tf")
    python = str(venv / "bin" / "python")
    run_checked([sys.executable, "-m", "venv", str(venv)], timeout=120)
    # The versions of the running interpreter, so that pip reuses its cache.
    pinned = [
        f"{name}=={importlib.metadata.version(name)}"
        for name in ("tensorboard", "numpy", "werkzeug")
    ]
    run_checked([python, "-m", "pip", "install", "-q", *pinned], timeout=300)
    run_checked(
        [python, "-m", "pip", "install", "-q", "--no-deps", "-e", str(REPO_ROOT)], timeout=300
    )
    return venv


@pytest.mark.slow
@pytest.mark.parametrize("load_fast", ["false", "true"])
def test_tensorboard_without_tensorflow_serves_curves(venv_without_tensorflow, tmp_path, load_fast):
    from lrfinder_tb.summary_writer import CurveWriter

    venv = venv_without_tensorflow
    probe = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import tensorflow"], capture_output=True
    )
    assert probe.returncode != 0, "the venv must not contain TensorFlow"

    run = "adam/lr_finder"
    learning_rates = np.geomspace(1e-7, 10.0, 100)
    noise = np.random.default_rng(0).normal(0.0, 0.01, 100)
    losses = 2.0 / (1.0 + (learning_rates / 1e-2) ** 2) + 0.3 + learning_rates**2 + noise
    writer = CurveWriter(os.path.join(tmp_path, "logs", run), {"start_lr": 1e-7})
    writer.write_curve(learning_rates, losses)
    writer.write_status("sweep_complete", step=100)
    writer.close()

    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    log_path = tmp_path / "tensorboard.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [
                str(venv / "bin" / "tensorboard"),
                "--logdir",
                str(tmp_path / "logs"),
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                f"--load_fast={load_fast}",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        runs_body = wait_for_runs(base_url, run, process, log_path)
        query = urllib.parse.urlencode({"run": run, "width": "100"})
        curves_body = fetch_json(f"{base_url}/data/plugin/lr_finder/curves?{query}")
        listing = fetch_json(f"{base_url}/data/plugins_listing")
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(f"{base_url}/data/plugin/lr_finder/index.js", timeout=10) as response:
            index_type = response.headers.get_content_type()
            index_body = response.read()
    finally:
        process.terminate()
        process.wait(timeout=30)

    (entry,) = runs_body["runs"]
    assert entry == {
        "run": run,
        "points": 100,
        "stop_reason": "sweep_complete",
        "settings": {"start_lr": 1e-7},
    }
    (answer,) = curves_body["runs"]
    assert answer["points"] == 100
    assert answer["analysis"]["suggestion"] is not None
    assert len(answer["series"]["losses"]) == 100
    assert listing["lr_finder"]["enabled"] is True
    assert index_type == "application/javascript"
    assert index_body == (REPO_ROOT / "frontend" / "index.js").read_bytes()
    assert "TensorFlow installation not found" in log_path.read_text()
