"""The plugin's HTTP routes behind TensorBoard's own WSGI app, over both data loaders.

Every test that reads data runs twice: through the Python loader
(`EventMultiplexer` + `MultiplexerDataProvider`) and through the fast loader
(the Rust data server behind `SubprocessServerDataIngester`), on event files
written by `CurveWriter` and by raw `tf.summary.write` calls.
"""

from __future__ import annotations

import base64
import gzip
import json
import logging
import os
import time
import urllib.parse

import numpy as np
import pytest
import tensorflow as tf
from conftest import require_component
from tensorboard import context as tb_context
from tensorboard.backend import application
from tensorboard.backend.event_processing import data_provider as multiplexer_provider
from tensorboard.backend.event_processing import plugin_event_multiplexer
from tensorboard.data import provider, server_ingester
from tensorboard.plugins import base_plugin
from tensorboard.util import grpc_util
from werkzeug.test import Client

from lrfinder_tb import analysis, metadata, plugin
from lrfinder_tb.plugin import LRFinderPlugin
from lrfinder_tb.summary_writer import CurveWriter

PREFIX = "/data/plugin/lr_finder"
LOAD_TIMEOUT_SECONDS = 30.0

MARKUP_RUN = "<img src=x onerror=alert(1)>"
UNICODE_RUN = "Läufe über 1e-3"
QUOTED_RUN = 'it\'s "quoted"'

ONE_POINT_RUN = "odd/one_point"
ALL_NAN_RUN = "odd/all_nan"
INFINITY_RUN = "odd/infinity"
INFINITY_INDEX = 70
BIG_RUN = "big/lr_finder"
BIG_POINTS = 10_000
DAMAGED_RUN = "damaged"
REUSED_RUN = "reused/lr_finder"
BAD_STATUS_RUN = "bad_status/lr_finder"
DAMAGED_SNAPSHOTS = (40, 80)

FOREIGN_REASONS = {
    "foreign/shape_n3": "shape [5, 3]",
    "foreign/one_d": "shape [5]",
    "foreign/string": "dtype",
    "foreign/newer_version": "format version",
    "foreign/other_tag": "no 'lr_finder/curve' tag",
}


def sweep_curve(points: int, seed: int, best_lr: float = 1e-2) -> tuple[np.ndarray, np.ndarray]:
    """Return a range-test curve: a plateau, a descent around `best_lr`, then divergence."""
    learning_rates = np.geomspace(1e-7, 10.0, points)
    clean = 2.0 / (1.0 + (learning_rates / best_lr) ** 2) + 0.3 + learning_rates**2
    noise = np.random.default_rng(seed).normal(0.0, 0.01, points)
    return learning_rates, clean + noise


def as_stored(values) -> np.ndarray:
    """Return `values` as the plugin reads them back: float32, widened to float64."""
    return np.asarray(values, dtype=np.float32).astype(np.float64)


def write_run(logdir, run, learning_rates, losses, stop_reason=None, snapshots=None):
    """Write a curve with `CurveWriter`, as the callback does, and return what was stored."""
    writer = CurveWriter(os.path.join(logdir, run), {"start_lr": 1e-7, "end_lr": 10.0})
    for size in snapshots or [len(losses)]:
        writer.write_curve(learning_rates[:size], losses[:size])
    if stop_reason is not None:
        writer.write_status(stop_reason, step=len(losses))
    writer.close()
    return as_stored(learning_rates), as_stored(losses)


def write_raw(logdir, run, tag, tensor, content: bytes | None = None, step: int = 5):
    """Write one tensor summary under the plugin name with `tf.summary.write`."""
    summary_metadata = metadata.create_summary_metadata(metadata.KIND_CURVE, {})
    if content is not None:
        summary_metadata.plugin_data.content = content
    writer = tf.summary.create_file_writer(os.path.join(logdir, run))
    with writer.as_default():
        tf.summary.write(tag, tf.constant(tensor), step=step, metadata=summary_metadata)
    writer.close()


def write_logdir(logdir) -> dict[str, tuple[np.ndarray, np.ndarray, str | None]]:
    """Write every run of the shared log directory; return the readable curves by run."""
    expected = {}

    for index, (run, points, stop_reason) in enumerate(
        [
            ("adam/lr_finder", 200, "sweep_complete"),
            ("sgd/lr_finder", 150, "diverged"),
            (MARKUP_RUN, 60, "sweep_complete"),
            (UNICODE_RUN, 60, "sweep_complete"),
            (QUOTED_RUN, 60, "sweep_complete"),
        ]
    ):
        learning_rates, losses = sweep_curve(points, seed=index)
        stored = write_run(logdir, run, learning_rates, losses, stop_reason, [points // 2, points])
        expected[run] = (*stored, stop_reason)

    stored = write_run(logdir, ONE_POINT_RUN, [1e-7], [2.3], "data_exhausted")
    expected[ONE_POINT_RUN] = (*stored, "data_exhausted")

    learning_rates, _ = sweep_curve(50, seed=10)
    stored = write_run(logdir, ALL_NAN_RUN, learning_rates, np.full(50, np.nan), "non_finite_loss")
    expected[ALL_NAN_RUN] = (*stored, "non_finite_loss")

    learning_rates, losses = sweep_curve(80, seed=11)
    losses[INFINITY_INDEX] = np.inf
    stored = write_run(logdir, INFINITY_RUN, learning_rates, losses, "non_finite_loss")
    expected[INFINITY_RUN] = (*stored, "non_finite_loss")

    learning_rates, losses = sweep_curve(BIG_POINTS, seed=12)
    stored = write_run(logdir, BIG_RUN, learning_rates, losses, "sweep_complete")
    expected[BIG_RUN] = (*stored, "sweep_complete")

    # Two snapshots, then the file is cut in the middle of the second one's record.
    learning_rates, losses = sweep_curve(DAMAGED_SNAPSHOTS[-1], seed=13)
    write_run(logdir, DAMAGED_RUN, learning_rates, losses, None, DAMAGED_SNAPSHOTS)
    run_dir = os.path.join(logdir, DAMAGED_RUN)
    (event_file,) = [os.path.join(run_dir, name) for name in os.listdir(run_dir)]
    os.truncate(event_file, os.path.getsize(event_file) - 100)
    first = DAMAGED_SNAPSHOTS[0]
    expected[DAMAGED_RUN] = (as_stored(learning_rates[:first]), as_stored(losses[:first]), None)

    # A second test in a run directory that holds a finished one: the old status
    # (step 50) is older than the new curve (step 100), so the new test is running.
    learning_rates, losses = sweep_curve(100, seed=14)
    writer = CurveWriter(os.path.join(logdir, REUSED_RUN), {"start_lr": 1e-7, "end_lr": 10.0})
    writer.write_curve(learning_rates[:50], losses[:50])
    writer.write_status("sweep_complete", step=50)
    writer.write_curve(learning_rates, losses)
    writer.close()
    expected[REUSED_RUN] = (as_stored(learning_rates), as_stored(losses), None)

    # A status tensor that is not a JSON string: the curve is served without it.
    learning_rates, losses = sweep_curve(60, seed=15)
    stored = write_run(logdir, BAD_STATUS_RUN, learning_rates, losses)
    expected[BAD_STATUS_RUN] = (*stored, None)
    status_metadata = metadata.create_summary_metadata(metadata.KIND_STATUS)
    writer = tf.summary.create_file_writer(os.path.join(logdir, BAD_STATUS_RUN))
    with writer.as_default():
        tf.summary.write(metadata.STATUS_TAG, tf.constant(1.0), step=60, metadata=status_metadata)
    writer.close()

    write_raw(logdir, "foreign/shape_n3", metadata.CURVE_TAG, np.ones((5, 3), np.float32))
    write_raw(logdir, "foreign/one_d", metadata.CURVE_TAG, np.ones(5, np.float32))
    write_raw(logdir, "foreign/string", metadata.CURVE_TAG, ["not", "a", "curve"])
    newer = json.dumps({"version": metadata.PROTO_VERSION + 1, "kind": "curve"}).encode()
    write_raw(logdir, "foreign/newer_version", metadata.CURVE_TAG, np.ones((5, 2)), newer)
    write_raw(logdir, "foreign/other_tag", "lr_finder/something_else", np.ones((5, 2)))
    return expected


def python_loader(logdir, size_guidance=None):
    """Load `logdir` with TensorBoard's Python loader and return its data provider."""
    multiplexer = plugin_event_multiplexer.EventMultiplexer(tensor_size_guidance=size_guidance)
    multiplexer.AddRunsFromDirectory(str(logdir))
    multiplexer.Reload()
    return multiplexer_provider.MultiplexerDataProvider(multiplexer, str(logdir)), multiplexer


def start_fast_loader(logdir, samples_per_plugin=None):
    """Start the Rust data server on `logdir` and return its ingester."""
    try:
        import tensorboard_data_server

        binary = tensorboard_data_server.server_binary()
    except ImportError:
        binary = None
    require_component(
        "the TensorBoard data server", binary is not None, "pip install tensorboard-data-server"
    )
    ingester = server_ingester.SubprocessServerDataIngester(
        server_binary=server_ingester.ServerBinary(binary, version=None),
        logdir=str(logdir),
        reload_interval=1,
        channel_creds_type=grpc_util.ChannelCredsType.LOCAL,
        samples_per_plugin=samples_per_plugin or {},
    )
    ingester.start()
    return ingester


def stop_fast_loader(ingester) -> None:
    # The data server runs with --die-after-stdin: closing its stdin ends it.
    ingester._stdin_handle.close()


def tensor_listing(data_provider) -> dict[str, dict[str, int]]:
    listing = data_provider.list_tensors(
        tb_context.RequestContext(), experiment_id="", plugin_name=metadata.PLUGIN_NAME
    )
    return {run: {tag: s.max_step for tag, s in tags.items()} for run, tags in listing.items()}


def wait_for_listing(data_provider, expected: dict[str, dict[str, int]]) -> None:
    """Poll `data_provider` until it lists exactly `expected` (the fast loader loads lazily)."""
    deadline = time.monotonic() + LOAD_TIMEOUT_SECONDS
    listing = None
    while time.monotonic() < deadline:
        listing = tensor_listing(data_provider)
        if listing == expected:
            return
        time.sleep(0.2)
    raise AssertionError(
        f"the data provider did not load the expected data within {LOAD_TIMEOUT_SECONDS} s: "
        f"expected {expected}, got {listing}"
    )


def make_client(data_provider, sampling_hints=None) -> Client:
    """Serve a fresh plugin through TensorBoard's WSGI app."""
    context = base_plugin.TBContext(data_provider=data_provider, sampling_hints=sampling_hints)
    plugin = LRFinderPlugin(context)
    return Client(application.TensorBoardWSGI([plugin], data_provider=data_provider))


def get(client: Client, route: str, params=()):
    """GET a plugin route; return (status code, parsed JSON or text, response)."""
    query = urllib.parse.urlencode(list(params))
    response = client.get(f"{PREFIX}/{route}" + (f"?{query}" if query else ""))
    text = response.get_data(as_text=True)
    body = json.loads(text) if response.mimetype == "application/json" else text
    return response.status_code, body, response


def curves(client: Client, runs, **params):
    return get(client, "curves", [("run", run) for run in runs] + list(params.items()))


def from_json(values) -> np.ndarray:
    """Turn a JSON series (with "NaN"/"Infinity" strings) back into float64.

    The series are sent with 9 significant digits: `as_stored` of the result
    equals the stored float32 values exactly.
    """
    return np.array([float(value) for value in values], dtype=np.float64)


def expected_analysis(learning_rates, losses, stop_reason, smoothing, method) -> dict:
    result = analysis.analyze(
        learning_rates, losses, smoothing=smoothing, method=method, stop_reason=stop_reason
    )
    return {
        "suggestion": result.suggestion,
        "region": None if result.region is None else list(result.region),
        "explanation": result.explanation,
        "min_loss": result.min_loss,
        "min_loss_lr": result.min_loss_lr,
        "usable_points": result.usable_points,
        "analyzed_points": result.analyzed_points,
    }


@pytest.fixture(scope="module")
def logdir(tmp_path_factory):
    path = tmp_path_factory.mktemp("plugin_logs")
    return path, write_logdir(str(path))


@pytest.fixture(scope="module")
def python_provider(logdir):
    data_provider, _ = python_loader(logdir[0])
    return data_provider


@pytest.fixture(scope="module")
def fast_provider(logdir, python_provider):
    ingester = start_fast_loader(logdir[0])
    try:
        wait_for_listing(ingester.data_provider, tensor_listing(python_provider))
        yield ingester.data_provider
    finally:
        stop_fast_loader(ingester)


@pytest.fixture(scope="module", params=["python", "fast"])
def data_provider(request):
    return request.getfixturevalue(f"{request.param}_provider")


@pytest.fixture
def client(data_provider):
    return make_client(data_provider)


@pytest.fixture
def expected(logdir):
    return logdir[1]


def test_runs_route_lists_runs(client, expected):
    status, body, response = get(client, "runs")

    assert status == 200
    assert response.mimetype == "application/json"
    assert [entry["run"] for entry in body["runs"]] == sorted(expected)
    by_run = {entry["run"]: entry for entry in body["runs"]}
    for run, (_, losses, stop_reason) in expected.items():
        assert by_run[run]["points"] == losses.size, run
        assert by_run[run]["stop_reason"] == stop_reason, run
    assert by_run["adam/lr_finder"]["settings"] == {"start_lr": 1e-7, "end_lr": 10.0}
    assert body["methods"] == sorted(analysis.SUGGESTION_METHODS)
    assert body["default_method"] == analysis.DEFAULT_METHOD
    assert body["default_smoothing"] == analysis.DEFAULT_SMOOTHING
    assert body["stop_reasons"] == analysis.STOP_REASONS


def test_runs_route_exact_odd_names(client):
    _, body, _ = get(client, "runs")

    names = [entry["run"] for entry in body["runs"]]
    assert MARKUP_RUN in names
    assert UNICODE_RUN in names
    assert QUOTED_RUN in names


@pytest.mark.parametrize("run", [MARKUP_RUN, UNICODE_RUN, QUOTED_RUN])
def test_curves_for_odd_run_names(client, expected, run):
    status, body, _ = curves(client, [run])

    assert status == 200
    (answer,) = body["runs"]
    assert answer["run"] == run
    assert answer["points"] == expected[run][1].size
    assert answer["analysis"]["suggestion"] is not None
    assert answer["note"] is None


def test_curves_odd_series_served_with_notes(client, expected):
    runs = ["adam/lr_finder", ONE_POINT_RUN, ALL_NAN_RUN, INFINITY_RUN]

    status, body, response = curves(client, runs)

    assert status == 200
    assert [answer["run"] for answer in body["runs"]] == runs
    by_run = {answer["run"]: answer for answer in body["runs"]}

    normal = by_run["adam/lr_finder"]
    assert normal["note"] is None
    assert normal["analysis"]["suggestion"] is not None

    one_point = by_run[ONE_POINT_RUN]
    assert one_point["points"] == 1
    assert "Only one point" in one_point["note"]
    assert one_point["analysis"]["suggestion"] is None
    assert one_point["analysis"]["region"] is None
    assert one_point["analysis"]["explanation"]
    assert one_point["series"]["losses"] == [pytest.approx(2.3)]

    all_nan = by_run[ALL_NAN_RUN]
    assert all_nan["points"] == 50
    assert "Every loss is NaN" in all_nan["note"]
    assert all_nan["analysis"]["suggestion"] is None
    assert all_nan["analysis"]["explanation"]
    assert all_nan["analysis"]["usable_points"] == 0
    assert all_nan["series"]["losses"] == ["NaN"] * 50
    assert all_nan["series"]["smoothed_losses"] == ["NaN"] * 50

    infinity = by_run[INFINITY_RUN]
    assert infinity["points"] == 80
    assert "1 loss of 80 is infinite" in infinity["note"]
    assert f"first {INFINITY_INDEX} of 80 points" in infinity["note"]
    assert infinity["series"]["losses"][INFINITY_INDEX] == "Infinity"
    assert infinity["analysis"]["usable_points"] == INFINITY_INDEX
    assert infinity["analysis"]["suggestion"] is not None
    assert '"Infinity"' in response.get_data(as_text=True)


@pytest.mark.parametrize("smoothing", [0.0, 0.98, 0.999])
@pytest.mark.parametrize("method", sorted(analysis.SUGGESTION_METHODS))
def test_curves_analysis_matches_analyze(client, expected, smoothing, method):
    runs = ["adam/lr_finder", "sgd/lr_finder", INFINITY_RUN, ONE_POINT_RUN]

    status, body, _ = curves(client, runs, smoothing=str(smoothing), method=method)

    assert status == 200
    assert body["smoothing"] == smoothing
    assert body["method"] == method
    for answer in body["runs"]:
        learning_rates, losses, stop_reason = expected[answer["run"]]
        want = expected_analysis(learning_rates, losses, stop_reason, smoothing, method)
        assert answer["analysis"] == want, answer["run"]


def test_curves_series_match_stored_curve(client, expected):
    _, body, _ = curves(client, ["sgd/lr_finder"], smoothing="0.9")

    learning_rates, losses, stop_reason = expected["sgd/lr_finder"]
    series = body["runs"][0]["series"]
    smoothed = analysis.analyze(learning_rates, losses, smoothing=0.9).smoothed_losses
    np.testing.assert_array_equal(as_stored(from_json(series["learning_rates"])), learning_rates)
    np.testing.assert_array_equal(as_stored(from_json(series["losses"])), losses)
    np.testing.assert_allclose(from_json(series["smoothed_losses"]), smoothed, rtol=1e-8)
    assert body["runs"][0]["stop_reason"] == stop_reason


def decode_base64_series(value) -> np.ndarray:
    dtype = {"float32": "<f4", "float64": "<f8"}[value["dtype"]]
    return np.frombuffer(base64.b64decode(value["base64"]), dtype=dtype).astype(np.float64)


def test_base64_series_equal_json_series(client):
    runs = ["sgd/lr_finder", INFINITY_RUN, ALL_NAN_RUN, BIG_RUN]

    _, as_lists, _ = curves(client, runs, width="300")
    _, as_base64, _ = curves(client, runs, width="300", encoding="base64")

    for listed, packed in zip(as_lists["runs"], as_base64["runs"], strict=True):
        assert packed["analysis"] == listed["analysis"]
        assert packed["series"]["learning_rates"]["dtype"] == "float32"
        # The lists carry 9 significant digits: exact for the stored float32
        # values, rounded for the float64 smoothed losses.
        for name in ("learning_rates", "losses"):
            np.testing.assert_array_equal(
                decode_base64_series(packed["series"][name]),
                as_stored(from_json(listed["series"][name])),
                err_msg=name,
            )
        np.testing.assert_allclose(
            decode_base64_series(packed["series"]["smoothed_losses"]),
            from_json(listed["series"]["smoothed_losses"]),
            rtol=1e-8,
        )
    # Smoothed losses need float64, except where every one is NaN.
    assert as_base64["runs"][0]["series"]["smoothed_losses"]["dtype"] == "float64"


def test_unknown_encoding_rejected(client):
    status, text, _ = curves(client, ["adam/lr_finder"], encoding="xml")

    assert status == 400
    assert "`encoding`" in text
    assert "'xml'" in text
    assert "'base64'" in text


def test_curves_downsample_big_run(client, expected):
    learning_rates, losses, stop_reason = expected[BIG_RUN]

    status, body, _ = curves(client, [BIG_RUN], width="500")

    assert status == 200
    (answer,) = body["runs"]
    assert answer["points"] == BIG_POINTS
    series = {name: as_stored(from_json(values)) for name, values in answer["series"].items()}
    drawn = series["learning_rates"].size
    assert 500 <= drawn <= 1004
    assert series["losses"].size == drawn
    assert series["smoothed_losses"].size == drawn
    assert series["learning_rates"][0] == learning_rates[0]
    assert series["learning_rates"][-1] == learning_rates[-1]
    assert series["losses"].min() == losses.min()
    assert series["losses"].max() == losses.max()
    assert np.all(np.diff(series["learning_rates"]) > 0)
    want = expected_analysis(learning_rates, losses, stop_reason, 0.98, analysis.DEFAULT_METHOD)
    assert answer["analysis"] == want


def test_curves_default_width_keeps_small_curves(client, expected):
    _, body, _ = curves(client, ["adam/lr_finder"])

    assert len(body["runs"][0]["series"]["losses"]) == expected["adam/lr_finder"][1].size


def test_truncated_event_file_serves_first_snapshot(client, expected):
    status, body, _ = curves(client, [DAMAGED_RUN, "adam/lr_finder"])

    assert status == 200
    damaged, normal = body["runs"]
    assert damaged["points"] == DAMAGED_SNAPSHOTS[0]
    assert damaged["stop_reason"] is None
    np.testing.assert_array_equal(
        as_stored(from_json(damaged["series"]["losses"])), expected[DAMAGED_RUN][1]
    )
    assert normal["points"] == expected["adam/lr_finder"][1].size


def test_old_status_of_reused_run_ignored(client, expected):
    _, runs_body, _ = get(client, "runs")
    status, body, _ = curves(client, [REUSED_RUN])

    entry = {entry["run"]: entry for entry in runs_body["runs"]}[REUSED_RUN]
    assert entry["stop_reason"] is None
    assert entry["points"] == 100
    assert status == 200
    assert body["runs"][0]["stop_reason"] is None
    assert body["runs"][0]["points"] == 100


def test_unreadable_status_keeps_curve(client, caplog):
    caplog.set_level(logging.WARNING, logger="lrfinder_tb.plugin")

    for _ in range(2):
        status, body, _ = curves(client, [BAD_STATUS_RUN])

    assert status == 200
    (answer,) = body["runs"]
    assert answer["points"] == 60
    assert answer["stop_reason"] is None
    assert "status record could not be read" in answer["note"]
    assert answer["analysis"]["suggestion"] is not None
    warnings = [record for record in caplog.records if record.args[0] == BAD_STATUS_RUN]
    assert len(warnings) == 1
    assert metadata.STATUS_TAG in warnings[0].getMessage()


def test_unchanged_runs_not_read_or_analyzed_again(data_provider, monkeypatch):
    client = make_client(data_provider)
    reads, analyses = [], []
    real_read, real_analyze = data_provider.read_tensors, analysis.analyze

    def counting_read(ctx, **kwargs):
        reads.append(kwargs["run_tag_filter"].runs)
        return real_read(ctx, **kwargs)

    def counting_analyze(*args, **kwargs):
        analyses.append(args)
        return real_analyze(*args, **kwargs)

    monkeypatch.setattr(data_provider, "read_tensors", counting_read)
    monkeypatch.setattr(analysis, "analyze", counting_analyze)
    requested = ["adam/lr_finder", "sgd/lr_finder"]

    _, first_runs, _ = get(client, "runs")
    _, first_curves, _ = curves(client, requested)
    assert reads[0] is None
    assert len(analyses) == 2
    read_count = len(reads)

    _, second_runs, _ = get(client, "runs")
    _, second_curves, _ = curves(client, requested)

    assert second_runs == first_runs
    assert second_curves == first_curves
    assert len(analyses) == 2
    # Only the foreign runs, which are never cached, are read again.
    for runs in reads[read_count:]:
        assert runs is not None
        assert not set(runs) & set(requested)

    _, other_smoothing, _ = curves(client, requested, smoothing="0.5")
    assert other_smoothing["smoothing"] == 0.5
    assert len(analyses) == 4


def test_curves_gzipped_for_clients_that_accept_it(client):
    url = f"{PREFIX}/curves?" + urllib.parse.urlencode([("run", "sgd/lr_finder")])

    plain = client.get(url)
    for _ in range(2):
        zipped = client.get(url, headers={"Accept-Encoding": "gzip"})
        assert zipped.headers["Content-Encoding"] == "gzip"
        assert gzip.decompress(zipped.get_data()) == plain.get_data()
    assert "Content-Encoding" not in plain.headers
    assert json.loads(plain.get_data())["runs"][0]["run"] == "sgd/lr_finder"


def test_data_older_than_listing_not_cached():
    listing = {
        metadata.CURVE_TAG: provider.TensorTimeSeries(
            max_step=60, max_wall_time=20.0, plugin_content=b"", description="", display_name=""
        )
    }
    older = {metadata.CURVE_TAG: [provider.TensorDatum(step=30, wall_time=10.0, numpy=None)]}
    latest = {metadata.CURVE_TAG: [provider.TensorDatum(step=60, wall_time=20.0, numpy=None)]}

    assert not plugin._data_matches_listing(older, listing)
    assert plugin._data_matches_listing(latest, listing)
    assert not plugin._data_matches_listing({}, listing)


def test_foreign_data_skipped(client):
    _, body, _ = get(client, "runs")

    reasons = {entry["run"]: entry["reason"] for entry in body["skipped"]}
    assert sorted(reasons) == sorted(FOREIGN_REASONS)
    for run, fragment in FOREIGN_REASONS.items():
        assert fragment in reasons[run], (run, reasons[run])
    listed = {entry["run"] for entry in body["runs"]}
    assert not listed & set(FOREIGN_REASONS)


def test_foreign_data_in_curves_request(client):
    status, body, _ = curves(client, ["foreign/shape_n3", "adam/lr_finder"])

    assert status == 200
    assert [answer["run"] for answer in body["runs"]] == ["adam/lr_finder"]
    assert body["skipped"] == [{"run": "foreign/shape_n3", "reason": body["skipped"][0]["reason"]}]
    assert "shape [5, 3]" in body["skipped"][0]["reason"]


def test_foreign_data_warns_once_per_run(client, caplog):
    caplog.set_level(logging.WARNING, logger="lrfinder_tb.plugin")

    for _ in range(3):
        assert get(client, "runs")[0] == 200
        assert curves(client, list(FOREIGN_REASONS))[0] == 200

    warnings = [
        record
        for record in caplog.records
        if record.name == "lrfinder_tb.plugin" and record.getMessage().startswith("skipped")
    ]
    warned_runs = sorted(record.args[0] for record in warnings)
    assert warned_runs == sorted(FOREIGN_REASONS)


def test_unknown_run_not_found(client):
    status, text, response = curves(client, ["adam/lr_finder", "no/such/run"])

    assert status == 404
    assert response.mimetype == "text/plain"
    assert "'no/such/run'" in text


def test_unknown_markup_run_not_found(client):
    status, text, response = curves(client, ["<b>missing</b>"])

    assert status == 404
    assert response.mimetype == "text/plain"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "'<b>missing</b>'" in text


@pytest.mark.parametrize("value", ["abc", "2", "-1", "1", "nan", "inf", ""])
def test_bad_smoothing_rejected(client, value):
    status, text, _ = curves(client, ["adam/lr_finder"], smoothing=value)

    assert status == 400
    assert "`smoothing`" in text
    assert "[0, 0.999]" in text
    assert repr(value) in text


def test_unknown_method_rejected(client):
    status, text, _ = curves(client, ["adam/lr_finder"], method="fastest")

    assert status == 400
    assert "`method`" in text
    assert "'fastest'" in text
    for method in analysis.SUGGESTION_METHODS:
        assert repr(method) in text


@pytest.mark.parametrize("value", ["15", "8193", "0", "-5", "12.5", "abc", "1e3", ""])
def test_bad_width_rejected(client, value):
    status, text, _ = curves(client, ["adam/lr_finder"], width=value)

    assert status == 400
    assert "`width`" in text
    assert "[16, 8192]" in text


@pytest.mark.parametrize("params", [{"width": "16"}, {"width": "8192"}, {"smoothing": "0"}])
def test_limit_values_accepted(client, params):
    status, body, _ = curves(client, ["adam/lr_finder"], **params)

    assert status == 200
    assert body["runs"][0]["run"] == "adam/lr_finder"


def test_missing_run_rejected(client):
    status, text, _ = get(client, "curves", [("smoothing", "0.5")])

    assert status == 400
    assert "`run`" in text


def test_too_many_runs_rejected(client):
    status, text, _ = curves(client, [f"run{index}" for index in range(501)])

    assert status == 400
    assert "`run`" in text
    assert "501" in text
    assert "500" in text


def test_duplicate_runs_answered_once(client):
    status, body, _ = curves(client, ["sgd/lr_finder", "adam/lr_finder", "sgd/lr_finder"])

    assert status == 200
    assert [answer["run"] for answer in body["runs"]] == ["sgd/lr_finder", "adam/lr_finder"]


def test_curves_post_form(client, expected):
    response = client.post(
        f"{PREFIX}/curves",
        data={"run": [UNICODE_RUN, MARKUP_RUN], "smoothing": "0.5", "width": "100"},
    )

    assert response.status_code == 200
    body = json.loads(response.get_data(as_text=True))
    assert [answer["run"] for answer in body["runs"]] == [UNICODE_RUN, MARKUP_RUN]
    assert body["smoothing"] == 0.5


def test_curves_other_method_not_allowed(client):
    response = client.put(f"{PREFIX}/curves?run=adam%2Flr_finder")

    assert response.status_code == 405


def test_plugin_listed_with_frontend_metadata(client):
    response = client.get("/data/plugins_listing")

    assert response.status_code == 200
    listing = json.loads(response.get_data(as_text=True))["lr_finder"]
    assert listing["enabled"] is True
    assert listing["tab_name"] == "LR Finder"
    assert listing["loading_mechanism"] == {"type": "IFRAME", "module_path": f"{PREFIX}/index.js"}


class CountingProvider:
    """Pass every call to a data provider, counting the calls by name."""

    def __init__(self, wrapped):
        self._wrapped = wrapped
        self.calls: dict[str, int] = {}

    def __getattr__(self, name):
        attribute = getattr(self._wrapped, name)

        def counted(*args, **kwargs):
            self.calls[name] = self.calls.get(name, 0) + 1
            return attribute(*args, **kwargs)

        return counted


def test_curves_one_read_for_all_runs(data_provider, expected):
    counting = CountingProvider(data_provider)
    client = make_client(counting)

    status, body, _ = curves(client, sorted(expected))

    assert status == 200
    assert len(body["runs"]) == len(expected)
    assert counting.calls == {"list_tensors": 1, "read_tensors": 1}


class ReadDropsRun(CountingProvider):
    """A provider whose read misses one listed run, as when a run appears between calls."""

    def __init__(self, wrapped, missing_run):
        super().__init__(wrapped)
        self._missing_run = missing_run

    def read_tensors(self, *args, **kwargs):
        data = self._wrapped.read_tensors(*args, **kwargs)
        data.pop(self._missing_run, None)
        return data


def test_run_listed_before_its_data_is_read(data_provider, caplog):
    caplog.set_level(logging.WARNING, logger="lrfinder_tb.plugin")
    client = make_client(ReadDropsRun(data_provider, "sgd/lr_finder"))

    _, runs_body, _ = get(client, "runs")
    status, body, _ = curves(client, ["sgd/lr_finder", "adam/lr_finder"])

    assert "sgd/lr_finder" not in [entry["run"] for entry in runs_body["runs"]]
    assert {"run": "sgd/lr_finder", "reason": plugin.NOT_LOADED_REASON} in runs_body["skipped"]
    assert status == 200
    assert [answer["run"] for answer in body["runs"]] == ["adam/lr_finder"]
    assert body["skipped"] == [{"run": "sgd/lr_finder", "reason": plugin.NOT_LOADED_REASON}]
    assert not [record for record in caplog.records if "sgd/lr_finder" in record.getMessage()]


def test_sampling_hint_zero_serves_all(logdir, expected):
    data_provider, _ = python_loader(logdir[0], size_guidance={metadata.PLUGIN_NAME: 0})
    client = make_client(data_provider, sampling_hints={metadata.PLUGIN_NAME: 0})

    _, runs_body, _ = get(client, "runs")
    status, body, _ = curves(client, ["adam/lr_finder"])

    assert status == 200
    assert [entry["run"] for entry in runs_body["runs"]] == sorted(expected)
    assert body["runs"][0]["points"] == expected["adam/lr_finder"][1].size


@pytest.mark.parametrize("loader", ["python", "fast"])
def test_live_run_reload_serves_more_points(tmp_path, loader):
    run = "live/lr_finder"
    learning_rates, losses = sweep_curve(90, seed=20)
    writer = CurveWriter(os.path.join(tmp_path, run), {"start_lr": 1e-7})
    writer.write_curve(learning_rates[:30], losses[:30])

    # A sampling hint of 0 ("keep every snapshot") must not change what is served.
    if loader == "python":
        data_provider, multiplexer = python_loader(tmp_path, {metadata.PLUGIN_NAME: 0})
        ingester = None

        def reload(_expected):
            multiplexer.Reload()

    else:
        ingester = start_fast_loader(tmp_path, {metadata.PLUGIN_NAME: 0})
        data_provider = ingester.data_provider

        def reload(expected_listing):
            wait_for_listing(data_provider, expected_listing)

    try:
        reload({run: {metadata.CURVE_TAG: 30}})
        client = make_client(data_provider, sampling_hints={metadata.PLUGIN_NAME: 0})

        _, body, _ = curves(client, [run])
        assert body["runs"][0]["points"] == 30
        assert body["runs"][0]["stop_reason"] is None
        assert get(client, "runs")[1]["runs"][0]["stop_reason"] is None

        writer.write_curve(learning_rates[:60], losses[:60])
        reload({run: {metadata.CURVE_TAG: 60}})
        _, body, _ = curves(client, [run])
        assert body["runs"][0]["points"] == 60
        assert body["runs"][0]["stop_reason"] is None

        writer.write_curve(learning_rates, losses)
        writer.write_status("sweep_complete", step=90)
        reload({run: {metadata.CURVE_TAG: 90, metadata.STATUS_TAG: 90}})
        _, body, _ = curves(client, [run])
        assert body["runs"][0]["points"] == 90
        assert body["runs"][0]["stop_reason"] == "sweep_complete"
        np.testing.assert_array_equal(
            as_stored(from_json(body["runs"][0]["series"]["losses"])), as_stored(losses)
        )
    finally:
        writer.close()
        if ingester is not None:
            stop_fast_loader(ingester)
