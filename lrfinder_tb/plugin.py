"""TensorBoard plugin backend of the "LR Finder" dashboard.

TensorBoard loads this module through the `tensorboard_plugins` entry point,
without a try/except: an import error here stops TensorBoard itself. It must
therefore import neither TensorFlow nor Keras, directly or through another
module, because users often run TensorBoard where TensorFlow is not installed.

Routes, served under `/data/plugin/lr_finder/` and documented in
`docs/http_api.md`:

- `runs`: the runs with range-test data, and the runs that were skipped.
- `curves`: the curves of the requested runs, downsampled for drawing, with the
  analysis of every point.
- `index.js` and any other path: the frontend's static files.

Each route parses its parameters, calls a `*_impl` method that takes plain
values, and returns the response built by `http_util.Respond`. Bad input raises
`errors.InvalidArgumentError` (HTTP 400) or `errors.NotFoundError` (HTTP 404).
"""

from __future__ import annotations

import base64
import concurrent.futures
import dataclasses
import gzip
import hashlib
import importlib.resources
import json
import logging
import math
import os
import pathlib
import re
import threading
from typing import Any

import numpy as np
import werkzeug.exceptions
from tensorboard import errors, plugin_util
from tensorboard.backend import http_util, json_util
from tensorboard.data import provider
from tensorboard.plugins import base_plugin
from werkzeug import wrappers

from lrfinder_tb import analysis, metadata
from lrfinder_tb.downsample import select_points
from lrfinder_tb.route_cache import SizedLRUCache

logger = logging.getLogger(__name__)

MAX_RUNS_PER_REQUEST = 500
MIN_SMOOTHING = 0.0
MAX_SMOOTHING = 0.999
MIN_WIDTH = 16
MAX_WIDTH = 8192
DEFAULT_WIDTH = 1000
ENCODINGS = ("json", "base64")

FRONTEND_PACKAGE = "lrfinder_tb.frontend"

# Only these kinds of file are served from the frontend package. Any other
# suffix, Python sources included, gets a 404 response.
STATIC_CONTENT_TYPES = {
    ".js": "application/javascript",
    ".css": "text/css",
    ".html": "text/html",
    ".svg": "image/svg+xml",
}

_ROUTE_PREFIX = f"/data/plugin/{metadata.PLUGIN_NAME}/"
_STATIC_SUBPATH = "static/"
_WIDTH_PATTERN = re.compile(r"[0-9]{1,6}")
NOT_LOADED_REASON = "its data is still being loaded; reload to see it"
_TAGS = (metadata.CURVE_TAG, metadata.STATUS_TAG)

# Bounds of the result caches, in characters of JSON and in array bytes. An
# entry of a 10,000-point curve drawn 1,000 pixels wide is about 70 KB of JSON
# and 80 KB of smoothed losses, so each bound keeps several hundred runs.
ENTRY_CACHE_CHARACTERS = 64 * 1024 * 1024
ANALYSIS_CACHE_BYTES = 64 * 1024 * 1024
COMPRESSED_CACHE_BYTES = 16 * 1024 * 1024


class RawJSON(str):
    """JSON text that `encode_json` writes as it is."""


@dataclasses.dataclass(frozen=True)
class RunCurve:
    """The latest curve snapshot of one run, as read from the data provider.

    Attributes:
        run: the run name.
        learning_rates: float64 array, the first column of the curve tensor.
        losses: float64 array, the second column.
        stop_reason: the stop reason of the status record, or None while no
            status belonging to this curve was written (the test is running, or
            it ended without writing one).
        settings: the static sweep settings stored in the curve's metadata.
        status_problem: why the status record could not be used, or None.
    """

    run: str
    learning_rates: np.ndarray
    losses: np.ndarray
    stop_reason: str | None
    settings: dict[str, Any]
    status_problem: str | None = None


class LRFinderPlugin(base_plugin.TBPlugin):
    """Serve range-test curves and their analysis to the LR Finder dashboard.

    Args:
        context: the `base_plugin.TBContext` given by TensorBoard. Only its
            `data_provider` is used: `context.multiplexer` is None under the
            fast (Rust) loader.

    Example:
        >>> from tensorboard.backend import application
        >>> context = base_plugin.TBContext(data_provider=data_provider)
        >>> app = application.TensorBoardWSGI([LRFinderPlugin(context)],
        ...                                   data_provider=data_provider)
    """

    plugin_name = metadata.PLUGIN_NAME

    def __init__(self, context: base_plugin.TBContext):
        # `context.sampling_hints` (`--samples_per_plugin=lr_finder=N`) is not used:
        # it sets how many snapshots the loaders keep, but each snapshot is a whole
        # curve and the routes read only the latest one (downsample=1), whatever
        # the hint is. Passing a hint of 0 on as downsample=0 would return nothing.
        self._data_provider = context.data_provider
        self._executor = concurrent.futures.ThreadPoolExecutor(
            max_workers=4, thread_name_prefix="lr_finder_read"
        )
        self._warned: set[tuple[str, str]] = set()
        self._warned_lock = threading.Lock()
        # Parsed curves by run, each with the fingerprint of the data it came from.
        self._parsed: dict[str, tuple[tuple, RunCurve]] = {}
        self._parsed_lock = threading.Lock()
        self._entries = SizedLRUCache(ENTRY_CACHE_CHARACTERS, len)
        # Gzipped curves bodies by the SHA-256 of their text. TensorBoard's
        # `http_util.Respond` spends about 20 ms compressing the 0.5 MB response
        # for 10 runs of 10,000 points, on every reload of unchanged runs.
        self._compressed = SizedLRUCache(COMPRESSED_CACHE_BYTES, len)
        self._analyses = SizedLRUCache(
            ANALYSIS_CACHE_BYTES, lambda result: result.smoothed_losses.nbytes + 1024
        )

    def get_plugin_apps(self):
        return {
            "/runs": self._serve_runs,
            "/curves": self._serve_curves,
            "/index.js": self._serve_static,
            "/static/*": self._serve_static,
            "/*": self._serve_static,
        }

    def is_active(self) -> bool:
        # TensorBoard first queries the data provider for the plugins that have
        # data and calls this only for the others, so False is correct and free.
        return False

    def frontend_metadata(self) -> base_plugin.FrontendMetadata:
        return base_plugin.FrontendMetadata(es_module_path="/index.js", tab_name="LR Finder")

    # Routes: parse the request, call an `*_impl` method, respond.

    @wrappers.Request.application
    def _serve_runs(self, request):
        ctx = plugin_util.context(request.environ)
        experiment = plugin_util.experiment_id(request.environ)
        body = self.runs_impl(ctx, experiment)
        return http_util.Respond(request, body, "application/json")

    @wrappers.Request.application
    def _serve_curves(self, request):
        # POST with a form body takes the same parameters, for run lists longer
        # than a URL may be (Python's http.server rejects lines over 64 KiB).
        if request.method == "POST":
            params = request.form
        elif request.method in ("GET", "HEAD"):
            params = request.args
        else:
            raise werkzeug.exceptions.MethodNotAllowed(["GET", "POST"])
        runs = parse_runs(params.getlist("run"))
        smoothing = parse_smoothing(params.get("smoothing"))
        method = parse_method(params.get("method"))
        width = parse_width(params.get("width"))
        encoding = parse_encoding(params.get("encoding"))

        ctx = plugin_util.context(request.environ)
        experiment = plugin_util.experiment_id(request.environ)
        body = self.curves_impl(
            ctx,
            experiment,
            runs=runs,
            smoothing=smoothing,
            method=method,
            width=width,
            encoding=encoding,
        )
        content = encode_json(body).encode("utf-8")
        if "gzip" not in request.accept_encodings:
            return http_util.Respond(request, content, "application/json")
        key = hashlib.sha256(content).digest()
        compressed = self._compressed.get(key)
        if compressed is None:
            # The level `http_util.Respond` uses for text it compresses itself.
            compressed = gzip.compress(content, compresslevel=3, mtime=0)
            self._compressed.put(key, compressed)
        return http_util.Respond(request, compressed, "application/json", content_encoding="gzip")

    @wrappers.Request.application
    def _serve_static(self, request):
        path = request.path
        if not path.startswith(_ROUTE_PREFIX):
            raise errors.NotFoundError(f"no static file at {path!r}")
        relative = path[len(_ROUTE_PREFIX) :]
        if relative.startswith(_STATIC_SUBPATH):
            relative = relative[len(_STATIC_SUBPATH) :]
        content, content_type = read_static_file(relative)
        return http_util.Respond(request, content, content_type)

    # Implementations: plain values in, dicts for `encode_json` out.

    def runs_impl(self, ctx, experiment: str) -> dict[str, Any]:
        """List the runs with range-test data.

        Args:
            ctx: the TensorBoard `RequestContext`.
            experiment: the experiment id (empty for a local logdir).

        Returns:
            A dict with `runs` (sorted by name), `skipped`, `methods`,
            `default_method`, `default_smoothing` and `stop_reasons`.
        """
        curves, skipped, _ = self._read_curves(ctx, experiment, runs=None)
        runs = [
            {
                "run": run,
                "points": int(curve.losses.size),
                "stop_reason": curve.stop_reason,
                "settings": curve.settings,
            }
            for run, curve in sorted(curves.items())
        ]
        return {
            "runs": runs,
            "methods": sorted(analysis.SUGGESTION_METHODS),
            "default_method": analysis.DEFAULT_METHOD,
            "default_smoothing": analysis.DEFAULT_SMOOTHING,
            "stop_reasons": dict(analysis.STOP_REASONS),
            "skipped": _skipped_list(skipped),
        }

    def curves_impl(
        self,
        ctx,
        experiment: str,
        *,
        runs: list[str],
        smoothing: float,
        method: str,
        width: int,
        encoding: str = "json",
    ) -> dict[str, Any]:
        """Analyze the curves of `runs` and downsample them for drawing.

        Args:
            ctx: the TensorBoard `RequestContext`.
            experiment: the experiment id (empty for a local logdir).
            runs: run names, without duplicates, at most `MAX_RUNS_PER_REQUEST`.
            smoothing: the smoothing factor, in `[MIN_SMOOTHING, MAX_SMOOTHING]`.
            method: a key of `analysis.SUGGESTION_METHODS`.
            width: the chart width in pixels; each series is cut to about
                `2 * width` points, while the analysis uses every point.
            encoding: how the series are written, one of `ENCODINGS` (see
                `encode_series`).

        Returns:
            A dict with `smoothing`, `method`, `runs` (in the requested order)
            and `skipped`, for `encode_json`. Each entry of `runs` is `RawJSON`
            text, cached by the run's data fingerprint and the parameters.

        Raises:
            errors.NotFoundError: if a run has no data under the plugin name.
        """
        curves, skipped, fingerprints = self._read_curves(ctx, experiment, runs=runs)
        unknown = [run for run in runs if run not in curves and run not in skipped]
        if unknown:
            shown = ", ".join(repr(run) for run in unknown[:5])
            more = f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
            raise errors.NotFoundError(
                f"no {metadata.PLUGIN_NAME} data for run {shown}{more}; "
                "the runs route lists the runs that have data"
            )

        entries = [
            self._entry_json(curves[run], fingerprints.get(run), smoothing, method, width, encoding)
            for run in runs
            if run in curves
        ]
        return {
            "smoothing": smoothing,
            "method": method,
            "runs": entries,
            "skipped": _skipped_list({run: skipped[run] for run in runs if run in skipped}),
        }

    # Reading data.

    def _read_curves(
        self, ctx, experiment: str, runs: list[str] | None
    ) -> tuple[dict[str, RunCurve], dict[str, str], dict[str, tuple]]:
        """Read the latest curve and status of `runs` (all runs when None).

        Curves parsed before are reused while the run's fingerprint in the
        listing is unchanged, so only new and changed runs are read.

        Returns:
            `(curves, skipped, fingerprints)`: the readable curves by run; for
            each run whose data does not follow this format, the reason; and
            the fingerprint of each curve that is safe to cache by.
        """
        # The listing (for the metadata and fingerprints) and the read of the
        # runs never parsed before run concurrently: under the fast loader each
        # data-provider call is a gRPC round trip with a fixed cost of tens of
        # milliseconds.
        with self._parsed_lock:
            parsed = dict(self._parsed)
        if runs is None:
            early: list[str] | None = None if not parsed else []
        else:
            early = [run for run in runs if run not in parsed]
        reading = None
        if early is None or early:
            reading = self._executor.submit(self._read_data, ctx, experiment, early)
        listing = self._data_provider.list_tensors(
            ctx,
            experiment_id=experiment,
            plugin_name=metadata.PLUGIN_NAME,
            run_tag_filter=provider.RunTagFilter(runs=runs),
        )
        data = reading.result() if reading is not None else {}

        skipped: dict[str, str] = {}
        settings_by_run: dict[str, dict[str, Any]] = {}
        status_problems: dict[str, str] = {}
        for run, series_by_tag in listing.items():
            try:
                settings_by_run[run] = metadata.curve_settings(series_by_tag)
            except metadata.FormatError as error:
                skipped[run] = str(error)
                continue
            status_series = series_by_tag.get(metadata.STATUS_TAG)
            if status_series is not None:
                problem = metadata.status_metadata_problem(status_series)
                if problem:
                    status_problems[run] = problem

        fingerprints = {run: _fingerprint(listing[run]) for run in settings_by_run}
        changed = [
            run
            for run in settings_by_run
            if run not in data and parsed.get(run, (None,))[0] != fingerprints[run]
        ]
        if changed:
            data.update(self._read_data(ctx, experiment, changed))

        curves: dict[str, RunCurve] = {}
        cacheable: dict[str, tuple] = {}
        for run, settings in settings_by_run.items():
            if run not in data:
                cached = parsed.get(run)
                if cached is not None and cached[0] == fingerprints[run]:
                    curves[run] = cached[1]
                    cacheable[run] = fingerprints[run]
                continue
            data_by_tag = data[run]
            try:
                curve = _curve_from_data(run, data_by_tag, settings, status_problems.get(run))
            except metadata.FormatError as error:
                skipped[run] = str(error)
                continue
            if curve is None:
                continue
            curves[run] = curve
            # Data read while the loader was adding to the run may be older than
            # the listing. Cached under the listing's fingerprint, it would stay
            # until the run changes again.
            if _data_matches_listing(data_by_tag, listing[run]):
                cacheable[run] = fingerprints[run]

        with self._parsed_lock:
            for run, fingerprint in cacheable.items():
                self._parsed[run] = (fingerprint, curves[run])
            if runs is None:
                for run in self._parsed.keys() - curves.keys():
                    del self._parsed[run]

        for run, reason in skipped.items():
            self._warn_once(run, f"skipped {metadata.PLUGIN_NAME} data of run %r: %s", reason)

        # A run that the loader added between the read and the listing is
        # listed without data. It is complete at the next request, so it is
        # reported but not logged.
        for run in settings_by_run.keys() - curves.keys() - skipped.keys():
            skipped[run] = NOT_LOADED_REASON
        for run, curve in curves.items():
            if curve.status_problem:
                self._warn_once(
                    run,
                    f"ignored the {metadata.STATUS_TAG} data of run %r: %s",
                    curve.status_problem,
                )
        return curves, skipped, cacheable

    def _read_data(self, ctx, experiment: str, runs: list[str] | None) -> dict:
        """Read the latest curve and status data of `runs` (all runs when None)."""
        return self._data_provider.read_tensors(
            ctx,
            experiment_id=experiment,
            plugin_name=metadata.PLUGIN_NAME,
            downsample=1,
            run_tag_filter=provider.RunTagFilter(runs=runs, tags=list(_TAGS)),
        )

    def _entry_json(
        self,
        curve: RunCurve,
        fingerprint: tuple | None,
        smoothing: float,
        method: str,
        width: int,
        encoding: str,
    ) -> RawJSON:
        """Return the curves route's entry for one run as JSON, from the caches if possible."""
        if fingerprint is None:
            result = _analyze(curve, smoothing=smoothing, method=method)
            return RawJSON(encode_json(_curve_entry(curve, result, width, encoding)))

        key = (curve.run, fingerprint, smoothing, method, width, encoding)
        text = self._entries.get(key)
        if text is not None:
            return text

        analysis_key = key[:4]
        result = self._analyses.get(analysis_key)
        if result is None:
            result = _analyze(curve, smoothing=smoothing, method=method)
            self._analyses.put(analysis_key, result)
        text = RawJSON(encode_json(_curve_entry(curve, result, width, encoding)))
        self._entries.put(key, text)
        return text

    def _warn_once(self, run: str, template: str, reason: str) -> None:
        """Log `template % (run, reason)` at most once per run and reason."""
        key = (run, reason)
        with self._warned_lock:
            if key in self._warned:
                return
            self._warned.add(key)
        logger.warning(template, run, reason)


def _curve_from_data(
    run: str, data_by_tag: dict, settings: dict[str, Any], status_problem: str | None
) -> RunCurve | None:
    """Build a `RunCurve` from the latest curve and status data of one run.

    Returns:
        The `RunCurve`, or None when no curve datum was read.

    Raises:
        metadata.FormatError: if the curve datum is not a numeric `[N, 2]` tensor.
    """
    curve_data = data_by_tag.get(metadata.CURVE_TAG) or []
    if not curve_data:
        return None
    latest = curve_data[-1]
    try:
        learning_rates, losses = metadata.curve_from_array(latest.numpy)
    except metadata.FormatError as error:
        raise metadata.FormatError(f"{metadata.CURVE_TAG}: {error}") from error

    stop_reason = None
    status_data = data_by_tag.get(metadata.STATUS_TAG) or []
    if status_data and status_problem is None:
        status = status_data[-1]
        # A status written before the latest curve snapshot belongs to an earlier
        # test in the same run directory: this one is still running. The writer
        # writes the status at a step no lower than the curve's last step,
        # because both loaders drop data above a step that goes backwards.
        if status.step >= latest.step:
            try:
                stop_reason = metadata.status_from_array(status.numpy)["stop_reason"]
            except metadata.FormatError as error:
                status_problem = str(error)

    return RunCurve(
        run=run,
        learning_rates=learning_rates,
        losses=losses,
        stop_reason=stop_reason,
        settings=settings,
        status_problem=status_problem,
    )


# Responses.


def _fingerprint(series_by_tag: dict) -> tuple:
    """Identify the latest data of a run's tags by their listing."""
    return tuple(
        (tag, series.max_step, series.max_wall_time, series.plugin_content)
        for tag, series in sorted(series_by_tag.items())
        if tag in _TAGS
    )


def _data_matches_listing(data_by_tag: dict, series_by_tag: dict) -> bool:
    """Tell whether the data read is the latest datum the listing describes, tag by tag."""
    for tag, series in series_by_tag.items():
        if tag not in _TAGS:
            continue
        data = data_by_tag.get(tag) or []
        if not data:
            return False
        latest = data[-1]
        if latest.step != series.max_step or latest.wall_time != series.max_wall_time:
            return False
    return True


def _analyze(curve: RunCurve, *, smoothing: float, method: str) -> analysis.LRFinderResult:
    return analysis.analyze(
        curve.learning_rates,
        curve.losses,
        smoothing=smoothing,
        method=method,
        stop_reason=curve.stop_reason,
    )


def _curve_entry(
    curve: RunCurve, result: analysis.LRFinderResult, width: int, encoding: str
) -> dict:
    """Build the curves route's entry for one run from its analysis `result`."""
    indices = select_points(curve.learning_rates, curve.losses, width)
    region = None if result.region is None else [float(result.region[0]), float(result.region[1])]
    return {
        "run": curve.run,
        "points": int(curve.losses.size),
        "stop_reason": curve.stop_reason,
        "analysis": {
            "suggestion": result.suggestion,
            "region": region,
            "explanation": result.explanation,
            "min_loss": result.min_loss,
            "min_loss_lr": result.min_loss_lr,
            "usable_points": int(result.usable_points),
            "analyzed_points": int(result.analyzed_points),
        },
        "series": {
            "learning_rates": encode_series(curve.learning_rates[indices], encoding),
            "losses": encode_series(curve.losses[indices], encoding),
            "smoothed_losses": encode_series(result.smoothed_losses[indices], encoding),
        },
        "note": describe_series(
            curve.learning_rates, curve.losses, int(result.usable_points), curve.status_problem
        ),
    }


def _skipped_list(skipped: dict[str, str]) -> list[dict[str, str]]:
    return [{"run": run, "reason": reason} for run, reason in sorted(skipped.items())]


def _count(number: int, singular: str, plural: str) -> str:
    return f"{number} {singular if number == 1 else plural}"


def describe_series(
    learning_rates: np.ndarray,
    losses: np.ndarray,
    usable_points: int,
    status_problem: str | None = None,
) -> str | None:
    """Explain in plain words what is odd about a curve, for the dashboard's note.

    Args:
        learning_rates: the learning rates of the curve.
        losses: the losses of the curve.
        usable_points: the length of the usable prefix found by the analysis.
        status_problem: why the status record could not be read, if it could not.

    Returns:
        One or more sentences, or None when nothing is odd.

    Example:
        >>> describe_series(np.array([1e-3]), np.array([2.0]), 1)
        'Only one point was recorded, so there is no curve to analyze yet.'
    """
    count = int(losses.size)
    if count == 0:
        return "The curve has no points yet."

    sentences = []
    if count == 1:
        sentences.append("Only one point was recorded, so there is no curve to analyze yet.")

    nan_count = int(np.count_nonzero(np.isnan(losses)))
    infinite_count = int(np.count_nonzero(np.isinf(losses)))
    if nan_count == count:
        sentences.append("Every loss is NaN, so there is nothing to draw or analyze.")
    elif nan_count:
        sentences.append(
            f"{_count(nan_count, 'loss', 'losses')} of {count} "
            f"{'is' if nan_count == 1 else 'are'} NaN and not drawn."
        )
    if infinite_count:
        sentences.append(
            f"{_count(infinite_count, 'loss', 'losses')} of {count} "
            f"{'is' if infinite_count == 1 else 'are'} infinite and not drawn."
        )

    bad_rates = int(np.count_nonzero(~(np.isfinite(learning_rates) & (learning_rates > 0))))
    if bad_rates:
        sentences.append(
            f"{_count(bad_rates, 'learning rate', 'learning rates')} of {count} "
            f"{'is' if bad_rates == 1 else 'are'} not a finite positive number, so "
            f"{'its point is' if bad_rates == 1 else 'their points are'} not drawn on the "
            "log axis."
        )

    if count > 1 and 0 < usable_points < count:
        sentences.append(
            f"The analysis uses the first {usable_points} of {count} points: the curve is cut "
            "at the first point with a non-finite value or a learning rate that does not "
            "increase."
        )
    if status_problem:
        sentences.append(
            f"The status record could not be read ({status_problem}), so the stop reason "
            "is unknown."
        )
    return " ".join(sentences) if sentences else None


# JSON encoding.

# Nine significant digits restore every float32 exactly, and the curves are
# stored as float32; smoothed losses (computed in float64) keep 9 digits.
_ARRAY_ITEM_FORMAT = "%.9g"
_NON_FINITE_JSON = {"nan": '"NaN"', "inf": '"Infinity"', "-inf": '"-Infinity"'}


def encode_json(value: Any) -> str:
    """Encode a route's answer as JSON text, writing NumPy arrays quickly.

    Values other than arrays are written as `http_util.Respond` writes them
    (`json_util.Cleanse`, then `json.dumps` with ASCII output): NaN and the
    infinities become the strings "NaN", "Infinity" and "-Infinity". Float
    arrays are written with `%.9g` in one formatting call, which takes a
    fraction of the time of `Cleanse` plus `json.dumps` on a list of floats.

    Args:
        value: dicts, lists, tuples, strings, numbers, None, 1-D NumPy arrays
            and `RawJSON` text.

    Returns:
        The JSON text.

    Example:
        >>> encode_json({"x": np.array([1.5, np.nan]), "n": None})
        '{"x":[1.5,"NaN"],"n":null}'
    """
    if isinstance(value, RawJSON):
        return str(value)
    if isinstance(value, np.ndarray):
        return _encode_array(value)
    if isinstance(value, dict):
        items = (f"{json.dumps(str(key))}:{encode_json(item)}" for key, item in value.items())
        return "{" + ",".join(items) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(encode_json(item) for item in value) + "]"
    return json.dumps(json_util.Cleanse(value), allow_nan=False)


def _encode_array(array: np.ndarray) -> str:
    if array.ndim != 1:
        raise ValueError(f"encode_json: arrays must be 1-D, got shape {list(array.shape)}")
    values = array.astype(np.float64, copy=False)
    if values.size == 0:
        return "[]"
    finite = np.isfinite(values)
    if finite.all():
        formats = [_ARRAY_ITEM_FORMAT] * values.size
    else:
        formats = np.full(values.size, _ARRAY_ITEM_FORMAT, dtype=object)
        formats[np.isnan(values)] = _NON_FINITE_JSON["nan"]
        formats[values == np.inf] = _NON_FINITE_JSON["inf"]
        formats[values == -np.inf] = _NON_FINITE_JSON["-inf"]
        formats = formats.tolist()
    # The non-finite items are literal strings, so the finite values fill the
    # remaining placeholders in order.
    return "[" + ",".join(formats) % tuple(values[finite].tolist()) + "]"


def encode_series(values: np.ndarray, encoding: str) -> Any:
    """Prepare one drawn series for `encode_json` in the requested encoding.

    `"json"` keeps the array, which `encode_json` writes as a list of numbers.
    `"base64"` gives `{"dtype": ..., "base64": ...}`: the little-endian bytes of
    the values, as float32 when that represents them exactly (the stored curves are
    float32) and as float64 otherwise. It is exact, keeps NaN and the
    infinities, and takes a fraction of the time and size of the list.

    Args:
        values: a 1-D float array.
        encoding: one of `ENCODINGS`.

    Returns:
        The array, or the dict for base64.

    Example:
        >>> encode_series(np.array([0.5, 2.0]), "base64")
        {'dtype': 'float32', 'base64': 'AAAAPwAAAEA='}
    """
    if encoding == "json":
        return values
    values = np.asarray(values, dtype=np.float64)
    narrow = values.astype("<f4")
    if np.array_equal(narrow.astype(np.float64), values, equal_nan=True):
        return {"dtype": "float32", "base64": base64.b64encode(narrow.tobytes()).decode("ascii")}
    wide = values.astype("<f8")
    return {"dtype": "float64", "base64": base64.b64encode(wide.tobytes()).decode("ascii")}


# Parameters.


def parse_runs(values: list[str]) -> list[str]:
    """Check the `run` parameters: at least one, at most `MAX_RUNS_PER_REQUEST` distinct.

    Args:
        values: every value of the repeated `run` parameter.

    Returns:
        The run names in request order, without duplicates.

    Raises:
        errors.InvalidArgumentError: if no run or too many runs are given.

    Example:
        >>> parse_runs(["a", "b", "a"])
        ['a', 'b']
    """
    runs = list(dict.fromkeys(values))
    if not runs:
        raise errors.InvalidArgumentError(
            "the `run` parameter is missing; give one or more run names, as in ?run=A&run=B"
        )
    if len(runs) > MAX_RUNS_PER_REQUEST:
        raise errors.InvalidArgumentError(
            f"too many runs: `run` was given {len(runs)} distinct values, at most "
            f"{MAX_RUNS_PER_REQUEST} are accepted per request; split the request"
        )
    return runs


def parse_smoothing(value: str | None) -> float:
    """Parse the `smoothing` parameter: a number in `[MIN_SMOOTHING, MAX_SMOOTHING]`.

    Args:
        value: the raw parameter, or None when absent.

    Returns:
        The smoothing factor; `analysis.DEFAULT_SMOOTHING` when absent.

    Raises:
        errors.InvalidArgumentError: if the value is not a number in range.

    Example:
        >>> parse_smoothing("0.9")
        0.9
    """
    if value is None:
        return analysis.DEFAULT_SMOOTHING
    accepted = f"a number in [{MIN_SMOOTHING:g}, {MAX_SMOOTHING:g}]"
    try:
        smoothing = float(value)
    except ValueError:
        raise errors.InvalidArgumentError(
            f"`smoothing` must be {accepted}, got {value!r}"
        ) from None
    if not (math.isfinite(smoothing) and MIN_SMOOTHING <= smoothing <= MAX_SMOOTHING):
        raise errors.InvalidArgumentError(f"`smoothing` must be {accepted}, got {value!r}")
    return smoothing


def parse_method(value: str | None) -> str:
    """Parse the `method` parameter: a key of `analysis.SUGGESTION_METHODS`.

    Args:
        value: the raw parameter, or None when absent.

    Returns:
        The method name; `analysis.DEFAULT_METHOD` when absent.

    Raises:
        errors.InvalidArgumentError: if the method is unknown.

    Example:
        >>> parse_method("valley")
        'valley'
    """
    return _parse_choice(
        "method", value, sorted(analysis.SUGGESTION_METHODS), analysis.DEFAULT_METHOD
    )


def parse_encoding(value: str | None) -> str:
    """Parse the `encoding` parameter: one of `ENCODINGS`.

    Args:
        value: the raw parameter, or None when absent.

    Returns:
        The encoding; `"json"` when absent.

    Raises:
        errors.InvalidArgumentError: if the encoding is unknown.

    Example:
        >>> parse_encoding("base64")
        'base64'
    """
    return _parse_choice("encoding", value, list(ENCODINGS), "json")


def _parse_choice(name: str, value: str | None, choices: list[str], default: str) -> str:
    """Return `value`, or `default` when it is None; raise unless it is one of `choices`."""
    if value is None:
        return default
    if value not in choices:
        raise errors.InvalidArgumentError(f"`{name}` must be one of {choices}, got {value!r}")
    return value


def parse_width(value: str | None) -> int:
    """Parse the `width` parameter: an integer number of pixels in `[MIN_WIDTH, MAX_WIDTH]`.

    Args:
        value: the raw parameter, or None when absent.

    Returns:
        The width; `DEFAULT_WIDTH` when absent.

    Raises:
        errors.InvalidArgumentError: if the value is not an integer in range.

    Example:
        >>> parse_width("800")
        800
    """
    if value is None:
        return DEFAULT_WIDTH
    if not _WIDTH_PATTERN.fullmatch(value) or not MIN_WIDTH <= int(value) <= MAX_WIDTH:
        raise errors.InvalidArgumentError(
            f"`width` must be an integer in [{MIN_WIDTH}, {MAX_WIDTH}], got {value!r}"
        )
    return int(value)


# Static files.


def read_static_file(relative_path: str) -> tuple[bytes, str]:
    """Read a file of the frontend package, guarding against path traversal.

    Only regular files inside the `lrfinder_tb.frontend` package (or its
    subfolders) with a suffix in `STATIC_CONTENT_TYPES` are served.

    Args:
        relative_path: the URL-decoded path below the plugin's route prefix,
            such as `"index.js"` or `"views/chart.js"`.

    Returns:
        `(content, content_type)`.

    Raises:
        errors.InvalidArgumentError: if the path is absolute, contains a
            backslash, a NUL, a colon, an empty, `.` or `..` part, or a part
            starting with a dot.
        errors.NotFoundError: if no such frontend file exists or its suffix is
            not served.

    Example:
        >>> content, content_type = read_static_file("index.js")
        >>> content_type
        'application/javascript'
    """
    if relative_path.startswith("/") or any(char in relative_path for char in "\\\x00:"):
        raise errors.InvalidArgumentError(
            f"invalid static file path {relative_path!r}: it must be a relative path with "
            "'/' separators and no backslash, colon or NUL"
        )
    parts = relative_path.split("/")
    if any(part in ("", ".", "..") or part.startswith(".") for part in parts):
        raise errors.InvalidArgumentError(
            f"invalid static file path {relative_path!r}: empty, '.', '..' and hidden "
            "path parts are not allowed"
        )
    content_type = STATIC_CONTENT_TYPES.get(pathlib.PurePosixPath(parts[-1]).suffix.lower())
    if content_type is None:
        raise errors.NotFoundError(
            f"no static file {relative_path!r}: only {sorted(STATIC_CONTENT_TYPES)} files "
            "are served"
        )

    root = frontend_root()
    resource = root.joinpath(*parts)
    if not resource.is_file() or not _inside(root, resource):
        raise errors.NotFoundError(f"no static file {relative_path!r} in the frontend")
    return resource.read_bytes(), content_type


def frontend_root():
    """Return the directory of the frontend's files, as an `importlib.resources` Traversable.

    Raises:
        errors.NotFoundError: if the `lrfinder_tb.frontend` package is missing
            (a broken install).
    """
    try:
        return importlib.resources.files(FRONTEND_PACKAGE)
    except ModuleNotFoundError as error:
        raise errors.NotFoundError(
            f"the frontend package {FRONTEND_PACKAGE!r} is not installed ({error}); "
            "reinstall lrfinder-tb"
        ) from error


def _inside(root, resource) -> bool:
    """Tell whether `resource` resolves to a path inside `root`, following symlinks."""
    if not isinstance(root, pathlib.Path) or not isinstance(resource, pathlib.Path):
        # A zip archive contains no symlinks, and the parts were checked above.
        return True
    real_root = os.path.realpath(root)
    real_resource = os.path.realpath(resource)
    return os.path.commonpath([real_root, real_resource]) == real_root
