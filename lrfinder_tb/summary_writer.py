"""Write range-test curves as TensorBoard summaries (imports TensorFlow)."""

from __future__ import annotations

import json
import os
from typing import Any

import numpy as np
import tensorflow as tf

from lrfinder_tb import metadata


class CurveWriter:
    """Write one range test into one TensorBoard run directory.

    The curve is written as a single float32 `[N, 2]` tensor at step N, so each
    snapshot replaces the previous one in both TensorBoard loaders. Every write is
    flushed, so a crash loses only the points since the last write. The file writer
    is created on the first write: a test that records nothing leaves no file.

    Args:
        run_dir: the run directory, for example `logs/adam/lr_finder`.
        settings: static sweep settings stored in the summary metadata.

    Example:
        >>> writer = CurveWriter("logs/lr_finder", {"start_lr": 1e-7})
        >>> writer.write_curve([1e-7, 1e-6], [2.3, 2.29])
        >>> writer.write_status("sweep_complete", step=2)
        >>> writer.close()
    """

    def __init__(self, run_dir: str, settings: dict[str, Any] | None = None):
        self.run_dir = os.fspath(run_dir)
        self._curve_metadata = metadata.create_summary_metadata(metadata.KIND_CURVE, settings)
        self._status_metadata = metadata.create_summary_metadata(metadata.KIND_STATUS)
        self._writer = None
        self.last_step: int | None = None

    def _file_writer(self):
        if self._writer is None:
            self._writer = tf.summary.create_file_writer(self.run_dir)
        return self._writer

    def write_curve(self, learning_rates, losses) -> None:
        """Write the whole curve so far, at step `len(losses)`.

        Args:
            learning_rates: sequence of learning rates.
            losses: sequence of losses of the same length.
        """
        points = np.stack(
            [np.asarray(learning_rates, np.float32), np.asarray(losses, np.float32)], axis=1
        ).reshape(-1, 2)
        step = int(points.shape[0])
        if step == self.last_step:
            return
        with self._file_writer().as_default():
            tf.summary.write(
                metadata.CURVE_TAG, tf.constant(points), step=step, metadata=self._curve_metadata
            )
        self._writer.flush()
        self.last_step = step

    def write_status(self, stop_reason: str, step: int, **details: Any) -> None:
        """Write the final status (stop reason and details) as a JSON string scalar."""
        payload = json.dumps({"stop_reason": stop_reason, **details}, sort_keys=True)
        with self._file_writer().as_default():
            tf.summary.write(
                metadata.STATUS_TAG,
                tf.constant(payload),
                step=int(step),
                metadata=self._status_metadata,
            )
        self._writer.flush()

    def close(self) -> None:
        """Flush and close the file writer, if one was created."""
        if self._writer is not None:
            self._writer.close()
            self._writer = None
