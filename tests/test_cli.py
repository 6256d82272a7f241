"""The `lrfinder-tb` command line tool and the log-directory reader behind `analyze`."""

from __future__ import annotations

import importlib.metadata
import json
import logging
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

import numpy as np
import pytest
from conftest import free_port

from lrfinder_tb import __version__, analysis, metadata
from lrfinder_tb.cli import main

SERVE_TIMEOUT_SECONDS = 180.0
# TensorBoard tears TensorFlow down when it exits, which alone takes seconds.
STOP_TIMEOUT_SECONDS = 20.0
DEMO_RUNS = ["adam/lr_finder", "sgd_momentum/lr_finder", "adam_batch128/lr_finder"]


def cli_command(*arguments: str) -> list[str]:
    return [sys.executable, "-m", "lrfinder_tb.cli", *arguments]


def cli_environment() -> dict[str, str]:
    return {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONUNBUFFERED": "1"}


def write_curve(run_dir, rates, losses, *, content=None, stop_reason=None, status_content=None):
    """Write one curve (and optionally a status) with hand-made plugin metadata."""
    import tensorflow as tf
    from tensorboard.compat.proto import summary_pb2

    def summary_metadata(payload: dict) -> summary_pb2.SummaryMetadata:
        result = summary_pb2.SummaryMetadata()
        result.plugin_data.plugin_name = metadata.PLUGIN_NAME
        result.plugin_data.content = json.dumps(payload).encode("utf-8")
        result.data_class = summary_pb2.DATA_CLASS_TENSOR
        return result

    points = np.stack([np.asarray(rates, np.float32), np.asarray(losses, np.float32)], axis=1)
    writer = tf.summary.create_file_writer(str(run_dir))
    with writer.as_default():
        tf.summary.write(
            metadata.CURVE_TAG,
            tf.constant(points),
            step=len(points),
            metadata=summary_metadata(content or {"version": 1, "kind": "curve"}),
        )
        if stop_reason is not None:
            tf.summary.write(
                metadata.STATUS_TAG,
                tf.constant(json.dumps({"stop_reason": stop_reason})),
                step=len(points),
                metadata=summary_metadata(status_content or {"version": 1, "kind": "status"}),
            )
    writer.close()


@pytest.fixture(scope="module")
def demo_command(tmp_path_factory):
    """Run `lrfinder-tb demo --no-serve` once; return (logdir, completed process)."""
    logdir = tmp_path_factory.mktemp("cli") / "logs"
    completed = subprocess.run(
        cli_command("demo", "--no-serve", "--steps", "20", "--logdir", str(logdir)),
        capture_output=True,
        text=True,
        timeout=300,
        env=cli_environment(),
    )
    return logdir, completed


@pytest.fixture(scope="module")
def demo_logdir(demo_command):
    """A log directory holding the demo's three range tests (20 points each)."""
    logdir, completed = demo_command
    assert completed.returncode == 0, completed.stderr
    return logdir


def test_console_script_points_to_main():
    scripts = importlib.metadata.entry_points(group="console_scripts")
    assert [entry.value for entry in scripts if entry.name == "lrfinder-tb"] == [
        "lrfinder_tb.cli:main"
    ]


def test_version_prints_package_version(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"lrfinder-tb {__version__}"


def test_demo_no_serve_prints_table(demo_command):
    _, completed = demo_command
    assert completed.returncode == 0, completed.stderr
    lines = completed.stdout.splitlines()
    header = next(line for line in lines if line.startswith("run "))
    for column in ("suggestion", "region", "stop reason", "points"):
        assert column in header
    for run in DEMO_RUNS:
        assert any(line.startswith(run + " ") for line in lines), run
    assert "tensorboard --logdir" in completed.stdout


def test_demo_rejects_port_in_use_before_running(tmp_path):
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        port = listener.getsockname()[1]
        completed = subprocess.run(
            cli_command("demo", "--port", str(port), "--logdir", str(tmp_path / "logs")),
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert completed.returncode == 1
    assert f"port {port} on 127.0.0.1 is already in use" in completed.stderr
    assert "--port" in completed.stderr
    assert not (tmp_path / "logs").exists()


def test_demo_serves_until_interrupted(tmp_path):
    port = free_port()
    output_path = tmp_path / "output.txt"
    with open(output_path, "w") as output:
        process = subprocess.Popen(
            cli_command("demo", "--steps", "20", "--port", str(port), "--logdir", str(tmp_path)),
            stdout=output,
            stderr=subprocess.STDOUT,
            env=cli_environment(),
        )
    listing_url = f"http://127.0.0.1:{port}/data/plugins_listing"
    try:
        deadline = time.monotonic() + SERVE_TIMEOUT_SECONDS
        listing = None
        while listing is None:
            assert process.poll() is None, output_path.read_text()
            assert time.monotonic() < deadline, "TensorBoard did not answer in time"
            try:
                with urllib.request.urlopen(listing_url, timeout=2) as response:
                    listing = json.loads(response.read())
            except (urllib.error.URLError, OSError):
                time.sleep(0.5)
        assert metadata.PLUGIN_NAME in listing

        # The URL is printed once TensorBoard responds, so give the print a moment.
        url = f"http://127.0.0.1:{port}/#lr_finder"
        deadline = time.monotonic() + 10
        while url not in output_path.read_text() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert url in output_path.read_text()

        process.send_signal(signal.SIGINT)
        returncode = process.wait(timeout=STOP_TIMEOUT_SECONDS)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()

    assert returncode == 0, output_path.read_text()
    with pytest.raises((urllib.error.URLError, OSError)):
        urllib.request.urlopen(listing_url, timeout=2)


def test_analyze_prints_table(demo_logdir, capsys):
    assert main(["analyze", str(demo_logdir)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["run", "suggestion", "region", "stop", "reason", "points"]
    for run in DEMO_RUNS:
        assert any(line.startswith(run + " ") for line in lines), run


def test_analyze_json_matches_analysis(demo_logdir, capsys):
    from lrfinder_tb.reader import read_range_tests

    assert main(["analyze", str(demo_logdir), "--json", "--method", "valley"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert [entry["run"] for entry in printed] == sorted(DEMO_RUNS)

    tests = read_range_tests(demo_logdir)
    for entry in printed:
        test = tests[entry["run"]]
        expected = analysis.analyze(
            test.learning_rates, test.losses, method="valley", stop_reason=test.stop_reason
        )
        assert entry["suggestion"] == expected.suggestion
        assert entry["region"] == (None if expected.region is None else list(expected.region))
        assert entry["stop_reason"] == test.stop_reason
        assert entry["explanation"] == expected.explanation
        assert entry["points"] == test.losses.size
        assert entry["method"] == "valley"
        assert entry["smoothing"] == analysis.DEFAULT_SMOOTHING


def test_analyze_passes_smoothing(demo_logdir, capsys):
    assert main(["analyze", str(demo_logdir), "--json", "--smoothing", "0.5"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert {entry["smoothing"] for entry in printed} == {0.5}


@pytest.mark.parametrize("value", ["2", "1", "-0.1", "abc"])
def test_analyze_rejects_bad_smoothing(value, tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["analyze", str(tmp_path), "--smoothing", value])
    assert exit_info.value.code == 2
    error = capsys.readouterr().err
    assert "argument --smoothing" in error
    assert repr(value) in error


def test_analyze_rejects_unknown_method(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["analyze", str(tmp_path), "--method", "fastest"])
    assert exit_info.value.code == 2
    assert "invalid choice: 'fastest'" in capsys.readouterr().err


def test_analyze_empty_directory_fails(tmp_path):
    completed = subprocess.run(
        cli_command("analyze", str(tmp_path)),
        capture_output=True,
        text=True,
        timeout=120,
        env=cli_environment(),
    )
    assert completed.returncode == 1
    assert completed.stdout == ""
    assert str(tmp_path) in completed.stderr
    assert "holds no range tests" in completed.stderr
    assert "LRFinder(log_dir=" in completed.stderr


def test_analyze_program_skips_tensorflow_import(demo_logdir):
    # As a program, `analyze` reads a local directory without importing
    # TensorFlow, which would take seconds.
    script = (
        "import sys\n"
        "from lrfinder_tb.cli import main\n"
        f"sys.argv = ['lrfinder-tb', 'analyze', {str(demo_logdir)!r}, '--json']\n"
        "code = main()\n"
        "print('tensorflow imported:', 'tensorflow' in sys.modules, file=sys.stderr)\n"
        "sys.exit(code)\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert completed.returncode == 0, completed.stderr
    assert [entry["run"] for entry in json.loads(completed.stdout)] == sorted(DEMO_RUNS)
    assert "tensorflow imported: False" in completed.stderr


def test_analyze_missing_directory_fails(tmp_path, capsys):
    missing = tmp_path / "missing"
    assert main(["analyze", str(missing)]) == 1
    error = capsys.readouterr().err
    assert str(missing) in error
    assert "does not exist" in error


def test_reader_skips_foreign_and_newer_runs(tmp_path, caplog):
    from lrfinder_tb.reader import read_range_tests

    rates = np.geomspace(1e-5, 1.0, 20)
    losses = np.linspace(2.0, 1.0, 20)
    write_curve(tmp_path / "good", rates, losses, stop_reason="sweep_complete")
    write_curve(tmp_path / "newer", rates, losses, content={"version": 99, "kind": "curve"})
    write_curve(tmp_path / "foreign", rates, losses, content={"format": "someone else's"})

    with caplog.at_level(logging.WARNING, logger="lrfinder_tb"):
        tests = read_range_tests(tmp_path)

    assert list(tests) == ["good"]
    assert tests["good"].stop_reason == "sweep_complete"
    warnings = [record.getMessage() for record in caplog.records]
    assert len([message for message in warnings if "'newer'" in message]) == 1
    assert len([message for message in warnings if "'foreign'" in message]) == 1
    assert any("upgrade lrfinder-tb" in message for message in warnings)


def test_reader_skips_curve_of_wrong_shape(tmp_path, caplog):
    import tensorflow as tf

    from lrfinder_tb.reader import read_range_tests

    writer = tf.summary.create_file_writer(str(tmp_path / "three_columns"))
    with writer.as_default():
        tf.summary.write(
            metadata.CURVE_TAG,
            tf.zeros([5, 3]),
            step=5,
            metadata=metadata.create_summary_metadata(metadata.KIND_CURVE),
        )
    writer.close()

    with caplog.at_level(logging.WARNING, logger="lrfinder_tb"):
        assert read_range_tests(tmp_path) == {}
    assert any("[5, 3]" in record.getMessage() for record in caplog.records)


def test_reader_keeps_curve_with_bad_status(tmp_path, caplog):
    from lrfinder_tb.reader import read_range_tests

    rates = np.geomspace(1e-5, 1.0, 10)
    write_curve(
        tmp_path / "run",
        rates,
        np.linspace(2.0, 1.0, 10),
        stop_reason="diverged",
        status_content={"version": 99, "kind": "status"},
    )
    with caplog.at_level(logging.WARNING, logger="lrfinder_tb"):
        tests = read_range_tests(tmp_path)
    assert tests["run"].stop_reason is None
    assert tests["run"].losses.size == 10
    assert len(caplog.records) == 1


def test_analyze_run_without_status_in_progress(tmp_path, capsys):
    rates = np.geomspace(1e-5, 1.0, 30)
    write_curve(tmp_path / "running", rates, 1.0 + 1.0 / (1.0 + (rates / 1e-2) ** 2))
    assert main(["analyze", str(tmp_path), "--json"]) == 0
    (entry,) = json.loads(capsys.readouterr().out)
    assert entry["run"] == "running"
    assert entry["stop_reason"] == analysis.STOP_IN_PROGRESS
    assert entry["points"] == 30
