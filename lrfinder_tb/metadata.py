"""On-disk format of range-test summaries: plugin name, tags, metadata and parsing.

A range test writes two tensor summaries into its run directory, both under the
plugin name `lr_finder`:

- `lr_finder/curve`: float32, shape `[N, 2]`, columns (learning rate, loss). The
  whole curve is rewritten at increasing steps while the test runs, so the latest
  snapshot is always the curve so far.
- `lr_finder/status`: a string scalar holding JSON, written when the test ends
  (`{"stop_reason": ...}`). Its absence means the test is still running or was
  killed before it could write it.

`SummaryMetadata.plugin_data.content` carries JSON with `version` (the format
version, `PROTO_VERSION`), `kind` (`"curve"` or `"status"`) and, for curves, the
static sweep settings. TensorBoard keeps the metadata of the first event of a tag,
so only values known before the first write belong there.

This module imports neither TensorFlow nor Keras: TensorBoard imports it to load
the plugin, often in an environment without TensorFlow.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
from tensorboard.compat.proto import summary_pb2

PLUGIN_NAME = "lr_finder"

# Increase when a reader of the previous version would misread new data.
PROTO_VERSION = 1

CURVE_TAG = "lr_finder/curve"
STATUS_TAG = "lr_finder/status"

KIND_CURVE = "curve"
KIND_STATUS = "status"


class FormatError(ValueError):
    """Raised when data under the plugin name does not follow this format."""


class NewerFormatError(FormatError):
    """Raised for data written by a newer, unknown format version."""


def create_summary_metadata(kind: str, settings: dict[str, Any] | None = None):
    """Build the `SummaryMetadata` proto for one of the plugin's tags.

    Args:
        kind: `"curve"` or `"status"`.
        settings: JSON-serialisable static settings of the sweep (range, mode,
            smoothing). Stored in the plugin content next to the version.

    Returns:
        A `tensorboard.compat.proto.summary_pb2.SummaryMetadata` with
        `data_class = DATA_CLASS_TENSOR`, without which TensorBoard's data
        providers drop third-party data.

    Raises:
        ValueError: if `kind` is not a known kind.
    """
    if kind not in (KIND_CURVE, KIND_STATUS):
        raise ValueError(
            f"Unknown summary kind {kind!r}; expected {KIND_CURVE!r} or {KIND_STATUS!r}."
        )
    content = {"version": PROTO_VERSION, "kind": kind}
    if settings:
        content["settings"] = settings
    metadata = summary_pb2.SummaryMetadata()
    metadata.plugin_data.plugin_name = PLUGIN_NAME
    metadata.plugin_data.content = json.dumps(content, sort_keys=True).encode("utf-8")
    metadata.data_class = summary_pb2.DATA_CLASS_TENSOR
    return metadata


def parse_plugin_content(content: bytes) -> dict[str, Any]:
    """Parse and check the plugin content of a tag written by `create_summary_metadata`.

    Args:
        content: the raw `plugin_data.content` bytes.

    Returns:
        A dict with `version` (int), `kind` (str) and `settings` (dict, maybe empty).

    Raises:
        NewerFormatError: if the data was written by a newer format version.
        FormatError: if the content is not this plugin's JSON payload.
    """
    try:
        parsed = json.loads(bytes(content).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise FormatError(f"plugin content is not JSON: {error}") from error
    if not isinstance(parsed, dict):
        raise FormatError(f"plugin content must be a JSON object, got {type(parsed).__name__}")

    version = parsed.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise FormatError(f"plugin content has an invalid format version {version!r}")
    if version > PROTO_VERSION:
        raise NewerFormatError(
            f"data was written with format version {version}, but this lrfinder-tb reads "
            f"versions up to {PROTO_VERSION}; upgrade lrfinder-tb to read it"
        )

    kind = parsed.get("kind")
    if kind not in (KIND_CURVE, KIND_STATUS):
        raise FormatError(f"plugin content has an unknown kind {kind!r}")
    settings = parsed.get("settings") or {}
    if not isinstance(settings, dict):
        raise FormatError(f"plugin content settings must be an object, got {settings!r}")
    return {"version": version, "kind": kind, "settings": settings}


def curve_from_array(array: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Split a stored curve tensor into learning rates and losses.

    Args:
        array: the tensor read back from `lr_finder/curve`.

    Returns:
        `(learning_rates, losses)`, two float64 arrays of equal length.

    Raises:
        FormatError: if the tensor is not a numeric `[N, 2]` array.
    """
    array = np.asarray(array)
    if array.dtype.kind not in "fiu":
        raise FormatError(f"curve tensor has dtype {array.dtype}, expected a float tensor")
    if array.ndim != 2 or array.shape[1] != 2:
        raise FormatError(f"curve tensor has shape {list(array.shape)}, expected [N, 2]")
    array = array.astype(np.float64)
    return array[:, 0], array[:, 1]


def status_from_array(array: np.ndarray) -> dict[str, Any]:
    """Parse the JSON status scalar written when a range test ends.

    Args:
        array: the tensor read back from `lr_finder/status`.

    Returns:
        The status dict, with at least `stop_reason` (str).

    Raises:
        FormatError: if the tensor is not a string scalar holding a JSON object.
    """
    array = np.asarray(array)
    if array.shape != () or array.dtype.kind not in "SOU":
        raise FormatError(
            f"status tensor has shape {list(array.shape)} and dtype {array.dtype}, "
            "expected a string scalar"
        )
    value = array.item()
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    try:
        status = json.loads(value)
    except json.JSONDecodeError as error:
        raise FormatError(f"status tensor is not JSON: {error}") from error
    if not isinstance(status, dict) or not isinstance(status.get("stop_reason"), str):
        raise FormatError(f"status tensor lacks a stop_reason string: {value!r}")
    return status


def curve_settings(series_by_tag: dict) -> dict[str, Any]:
    """Check the curve metadata of one run and return its settings.

    Args:
        series_by_tag: one run's entry of a data provider's `list_tensors`.

    Returns:
        The static sweep settings stored with the curve.

    Raises:
        FormatError: if the run has no curve tag or its metadata is
            foreign or of a newer format version.
    """
    curve_series = series_by_tag.get(CURVE_TAG)
    if curve_series is None:
        raise FormatError(
            f"no {CURVE_TAG!r} tag under the plugin name {PLUGIN_NAME!r} "
            f"(tags found: {sorted(series_by_tag)})"
        )
    try:
        content = parse_plugin_content(curve_series.plugin_content)
    except FormatError as error:
        raise type(error)(f"{CURVE_TAG}: {error}") from error
    if content["kind"] != KIND_CURVE:
        raise FormatError(
            f"{CURVE_TAG}: metadata kind is {content['kind']!r}, expected {KIND_CURVE!r}"
        )
    return content["settings"]


def status_metadata_problem(status_series: Any) -> str | None:
    """Return why the status metadata cannot be used, or None when it can."""
    try:
        content = parse_plugin_content(status_series.plugin_content)
    except FormatError as error:
        return str(error)
    if content["kind"] != KIND_STATUS:
        return f"metadata kind is {content['kind']!r}, expected {KIND_STATUS!r}"
    return None
