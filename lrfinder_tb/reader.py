"""Read range tests back from a TensorBoard log directory, without TensorFlow.

The reader loads the event files with TensorBoard's own Python loader
(`EventMultiplexer`) and reads them through its `MultiplexerDataProvider`, the
same interface the TensorBoard plugin uses, so the command line tool reads the
same data as the "LR Finder" tab. This module does not import TensorFlow; TensorBoard's
loader imports it for file access when it is installed, and uses its own
replacement when it is not.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from typing import Any

import numpy as np
from tensorboard import context
from tensorboard.backend.event_processing import data_provider as event_data_provider
from tensorboard.backend.event_processing import plugin_event_multiplexer

from lrfinder_tb import metadata

logger = logging.getLogger(__name__)

# A local log directory has no experiment id, and the data provider expects the empty string.
LOCAL_EXPERIMENT_ID = ""


@dataclasses.dataclass(frozen=True)
class RangeTest:
    """The latest curve of one range test, as read from disk.

    Attributes:
        run: the TensorBoard run name, the run directory relative to the log
            directory with "/" separators (for example `"adam/lr_finder"`).
        learning_rates: float64 array, the learning rate of each point.
        losses: float64 array, the loss of each point.
        stop_reason: why the test ended, a key of `analysis.STOP_REASONS`, or
            None while no final status was written (the test is still running
            or was killed).
        settings: the sweep settings stored with the curve (range, mode,
            smoothing, ...); empty when none were stored.
        step: the step of the curve snapshot, which is its number of points.
    """

    run: str
    learning_rates: np.ndarray
    losses: np.ndarray
    stop_reason: str | None
    settings: dict[str, Any]
    step: int


def read_range_tests(logdir: str | os.PathLike) -> dict[str, RangeTest]:
    """Read the latest curve and status of every range test under `logdir`.

    Every run directory below `logdir` that contains data under the plugin name
    `lr_finder` is read. A run whose curve was written in a newer format
    version, or whose data under the plugin name is not a range-test curve, is
    skipped with one logged warning. A run whose status cannot be parsed keeps
    its curve, with `stop_reason` None and one logged warning.

    Args:
        logdir: a TensorBoard log directory.

    Returns:
        A dict from run name to `RangeTest`, sorted by run name; empty when
        `logdir` holds no range tests or does not exist.

    Example:
        >>> tests = read_range_tests("logs/lrfinder-demo")  # doctest: +SKIP
        >>> sorted(tests)  # doctest: +SKIP
        ['adam/lr_finder', 'adam_batch128/lr_finder', 'sgd_momentum/lr_finder']
    """
    logdir = os.fspath(logdir)
    multiplexer = plugin_event_multiplexer.EventMultiplexer()
    multiplexer.AddRunsFromDirectory(logdir)
    multiplexer.Reload()
    provider = event_data_provider.MultiplexerDataProvider(multiplexer, logdir)
    request_context = context.RequestContext()

    listing = provider.list_tensors(
        request_context, experiment_id=LOCAL_EXPERIMENT_ID, plugin_name=metadata.PLUGIN_NAME
    )
    if not listing:
        return {}

    # downsample=1 keeps only the latest datum of each series: the curve so far.
    data = provider.read_tensors(
        request_context,
        experiment_id=LOCAL_EXPERIMENT_ID,
        plugin_name=metadata.PLUGIN_NAME,
        downsample=1,
    )

    tests: dict[str, RangeTest] = {}
    for run in sorted(listing):
        try:
            tests[run] = _range_test(run, listing[run], data.get(run, {}))
        except metadata.FormatError as error:
            logger.warning(
                "Skipping run %r: its %r data is unreadable: %s", run, metadata.PLUGIN_NAME, error
            )
    return tests


def _range_test(run: str, series_by_tag: dict, data_by_tag: dict) -> RangeTest:
    """Build the `RangeTest` of one run from its listed time series and latest data.

    Raises:
        metadata.FormatError: if the run has no curve or its curve is foreign or
            of a newer format version.
    """
    settings = metadata.curve_settings(series_by_tag)
    curve_data = data_by_tag.get(metadata.CURVE_TAG) or []
    if not curve_data:
        raise metadata.FormatError(f"{metadata.CURVE_TAG!r} contains no data")
    latest = curve_data[-1]
    learning_rates, losses = metadata.curve_from_array(latest.numpy)

    return RangeTest(
        run=run,
        learning_rates=learning_rates,
        losses=losses,
        stop_reason=_stop_reason(run, series_by_tag, data_by_tag, latest.step),
        settings=settings,
        step=int(latest.step),
    )


def _stop_reason(run: str, series_by_tag: dict, data_by_tag: dict, curve_step: int) -> str | None:
    """Return the stop reason of a run's status, or None when it has no usable status."""
    status_series = series_by_tag.get(metadata.STATUS_TAG)
    status_data = data_by_tag.get(metadata.STATUS_TAG) or []
    if status_series is None or not status_data:
        return None

    status = status_data[-1]
    # The writer writes the status at the curve's last step. A status at a lower
    # step belongs to an earlier test in the same run directory, so this one is
    # still running.
    if status.step < curve_step:
        return None

    problem = metadata.status_metadata_problem(status_series)
    if problem is None:
        try:
            return metadata.status_from_array(status.numpy)["stop_reason"]
        except metadata.FormatError as error:
            problem = str(error)
    logger.warning(
        "Run %r: ignoring its unreadable %r tag, so its stop reason is unknown: %s",
        run,
        metadata.STATUS_TAG,
        problem,
    )
    return None
