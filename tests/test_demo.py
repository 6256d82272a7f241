"""The digits demo, read back through both of TensorBoard's loaders.

The demo runs in this process once per module, so its results can be compared
point by point with what TensorBoard reads from the event files it wrote.
"""

from __future__ import annotations

import time

import numpy as np
import pytest
from conftest import require_component

from lrfinder_tb import analysis, metadata

DEMO_STEPS = 30
EXPECTED_RUNS = ["adam/lr_finder", "sgd_momentum/lr_finder", "adam_batch128/lr_finder"]
FAST_LOADER_TIMEOUT_SECONDS = 60.0


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    """Run the demo once into a temporary log directory; return (logdir, results)."""
    from lrfinder_tb.demo import run_demo

    logdir = tmp_path_factory.mktemp("demo") / "logs"
    results = run_demo(logdir, steps=DEMO_STEPS)
    return logdir, results


def assert_curve_matches(run: str, array: np.ndarray, result: analysis.LRFinderResult) -> None:
    assert array.dtype == np.float32, run
    assert array.shape == (result.losses.size, 2), run
    np.testing.assert_array_equal(
        array[:, 0], result.learning_rates.astype(np.float32), err_msg=f"{run}: learning rates"
    )
    np.testing.assert_array_equal(
        array[:, 1], result.losses.astype(np.float32), err_msg=f"{run}: losses"
    )


def test_demo_returns_three_runs(demo_run):
    _, results = demo_run
    assert list(results) == EXPECTED_RUNS
    for run, result in results.items():
        assert 2 <= result.losses.size <= DEMO_STEPS, run
        assert result.stop_reason in analysis.STOP_REASONS, run


def test_demo_writes_keras_scalars_beside_finder(demo_run):
    logdir, _ = demo_run
    for name in ("adam", "sgd_momentum", "adam_batch128"):
        assert list((logdir / name / "train").glob("events.out.tfevents.*")), name
        assert list((logdir / name / "lr_finder").glob("events.out.tfevents.*")), name


def test_demo_rejects_too_few_steps(tmp_path):
    from lrfinder_tb.demo import run_demo

    with pytest.raises(ValueError, match="steps"):
        run_demo(tmp_path, steps=1)


def test_python_loader_reads_demo_curves(demo_run):
    from tensorboard import context
    from tensorboard.backend.event_processing import data_provider as event_data_provider
    from tensorboard.backend.event_processing import plugin_event_multiplexer

    logdir, results = demo_run
    multiplexer = plugin_event_multiplexer.EventMultiplexer()
    multiplexer.AddRunsFromDirectory(str(logdir))
    multiplexer.Reload()
    provider = event_data_provider.MultiplexerDataProvider(multiplexer, str(logdir))
    request_context = context.RequestContext()

    listing = provider.list_tensors(
        request_context, experiment_id="", plugin_name=metadata.PLUGIN_NAME
    )
    assert sorted(listing) == sorted(EXPECTED_RUNS)
    data = provider.read_tensors(
        request_context, experiment_id="", plugin_name=metadata.PLUGIN_NAME, downsample=1
    )
    for run, result in results.items():
        assert metadata.CURVE_TAG in listing[run], run
        latest = data[run][metadata.CURVE_TAG][-1]
        assert latest.step == result.losses.size, run
        assert_curve_matches(run, latest.numpy, result)
        status = metadata.status_from_array(data[run][metadata.STATUS_TAG][-1].numpy)
        assert status["stop_reason"] == result.stop_reason, run


def test_fast_loader_reads_demo_curves(demo_run):
    from tensorboard import context
    from tensorboard.data import server_ingester
    from tensorboard.util import grpc_util

    try:
        import tensorboard_data_server
    except ImportError:
        tensorboard_data_server = None
    binary_path = tensorboard_data_server.server_binary() if tensorboard_data_server else None
    require_component(
        "TensorBoard's data server", binary_path is not None, "pip install tensorboard-data-server"
    )

    logdir, results = demo_run
    ingester = server_ingester.SubprocessServerDataIngester(
        server_binary=server_ingester.ServerBinary(binary_path, version=None),
        logdir=str(logdir),
        reload_interval=1,
        channel_creds_type=grpc_util.ChannelCredsType.LOCAL,
        samples_per_plugin={},
    )
    ingester.start()
    try:
        provider = ingester.data_provider
        request_context = context.RequestContext()
        expected_steps = {run: result.losses.size for run, result in results.items()}

        # The data server loads the logdir in the background: poll until every
        # run's final snapshot and status are there.
        deadline = time.monotonic() + FAST_LOADER_TIMEOUT_SECONDS
        while True:
            data = provider.read_tensors(
                request_context, experiment_id="", plugin_name=metadata.PLUGIN_NAME, downsample=1
            )
            loaded = {
                run: series
                for run, series in data.items()
                if series.get(metadata.CURVE_TAG)
                and series.get(metadata.STATUS_TAG)
                and series[metadata.CURVE_TAG][-1].step == expected_steps.get(run)
            }
            if set(loaded) >= set(EXPECTED_RUNS):
                break
            assert time.monotonic() < deadline, (
                f"the data server did not load all runs within {FAST_LOADER_TIMEOUT_SECONDS} s; "
                f"loaded: {sorted(loaded)}"
            )
            time.sleep(0.5)

        listing = provider.list_tensors(
            request_context, experiment_id="", plugin_name=metadata.PLUGIN_NAME
        )
        assert sorted(listing) == sorted(EXPECTED_RUNS)
        for run, result in results.items():
            assert metadata.CURVE_TAG in listing[run], run
            assert_curve_matches(run, data[run][metadata.CURVE_TAG][-1].numpy, result)
            status = metadata.status_from_array(data[run][metadata.STATUS_TAG][-1].numpy)
            assert status["stop_reason"] == result.stop_reason, run
    finally:
        # The data server runs with --die-after-stdin: closing its stdin stops it.
        stdin = getattr(ingester, "_stdin_handle", None)
        if stdin is not None:
            stdin.close()


def test_reader_matches_demo_results(demo_run):
    from lrfinder_tb.reader import read_range_tests

    logdir, results = demo_run
    tests = read_range_tests(logdir)
    assert sorted(tests) == sorted(EXPECTED_RUNS)
    for run, result in results.items():
        test = tests[run]
        assert test.stop_reason == result.stop_reason, run
        assert test.step == result.losses.size, run
        assert test.settings["num_steps"] == DEMO_STEPS, run
        np.testing.assert_array_equal(
            test.learning_rates, result.learning_rates.astype(np.float32).astype(np.float64)
        )
        np.testing.assert_array_equal(
            test.losses, result.losses.astype(np.float32).astype(np.float64)
        )
