"""Pick the points of a range-test curve worth drawing at a given pixel width.

The plugin draws loss against a log-scaled learning rate. A curve of 10,000
points on an 800-pixel chart puts about 12 points into each pixel column, and
only the lowest and the highest of them change the drawn line. This module
keeps those two per column (min/max decimation in log10(learning rate) space),
plus the first and last point and the global extremes, and returns the indices
of the kept points, so that every series of a curve can be cut the same way.

Plain NumPy: TensorBoard imports this module to load the plugin.
"""

from __future__ import annotations

import numpy as np


def select_points(learning_rates, losses, width: int) -> np.ndarray:
    """Choose the indices of the points to draw for a chart `width` pixels wide.

    Points are put into `width` columns of equal size in log10(learning rate),
    between the smallest and the largest drawable rate (finite and > 0). Each
    column keeps the point of its lowest and of its highest finite loss, or its
    first point when none of its losses is finite, so a NaN stretch still shows
    as a gap. The first point, the last point and the points of the lowest and
    highest finite loss of the whole curve are always kept. Points whose rate
    cannot be drawn on a log axis are dropped, except the first and last point.

    A curve of at most `2 * width` points is returned whole, because decimation
    would return about as many points.

    Args:
        learning_rates: 1-D sequence of learning rates.
        losses: 1-D sequence of losses, of the same length.
        width: the chart width in pixels, > 0.

    Returns:
        A sorted int64 array of unique indices into the curve; at most
        `2 * width + 4` of them.

    Raises:
        ValueError: if the sequences are not 1-D and of equal length, or `width`
            is not a positive int.

    Example:
        >>> rates = np.geomspace(1e-7, 10.0, 10_000)
        >>> indices = select_points(rates, np.cos(np.arange(10_000)), width=100)
        >>> int(indices[0]), int(indices[-1]), len(indices) <= 204
        (0, 9999, True)
    """
    if isinstance(width, bool) or not isinstance(width, (int, np.integer)) or width < 1:
        raise ValueError(f"select_points: `width` must be a positive int, got {width!r}")
    rates = np.asarray(learning_rates, dtype=np.float64)
    values = np.asarray(losses, dtype=np.float64)
    if rates.ndim != 1 or rates.shape != values.shape:
        raise ValueError(
            "select_points: `learning_rates` and `losses` must be 1-D and of equal length, "
            f"got shapes {list(rates.shape)} and {list(values.shape)}"
        )

    count = values.size
    if count <= 2 * width:
        return np.arange(count, dtype=np.int64)

    kept = [np.array([0, count - 1], dtype=np.int64)]
    finite = np.isfinite(values)
    if finite.any():
        finite_indices = np.flatnonzero(finite)
        kept.append(finite_indices[[np.argmin(values[finite]), np.argmax(values[finite])]])

    drawable = np.flatnonzero(np.isfinite(rates) & (rates > 0))
    if drawable.size:
        columns = _pixel_columns(np.log10(rates[drawable]), width)
        kept.append(_column_extremes(drawable, columns, values[drawable]))

    # A sort and a comparison with the neighbour: np.unique is several times slower here.
    indices = np.sort(np.concatenate(kept))
    return indices[np.r_[True, indices[1:] != indices[:-1]]]


def _pixel_columns(positions: np.ndarray, width: int) -> np.ndarray:
    """Map positions on the x axis to column numbers 0 .. width - 1."""
    low = float(positions.min())
    span = float(positions.max()) - low
    if span <= 0.0:
        return np.zeros(positions.size, dtype=np.int64)
    columns = np.floor((positions - low) / span * width).astype(np.int64)
    return np.minimum(columns, width - 1)


def _column_extremes(indices: np.ndarray, columns: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Return, per column, the indices of the lowest and highest finite value.

    A column without a finite value contributes its first index instead.
    """
    finite = np.isfinite(values)
    kept = []

    if finite.any():
        finite_columns = columns[finite]
        finite_values = values[finite]
        finite_indices = indices[finite]
        if np.all(finite_columns[1:] >= finite_columns[:-1]):
            # Increasing learning rates, the usual case: the columns are already
            # grouped, so each group's extremes need no sort.
            starts = np.flatnonzero(np.r_[True, finite_columns[1:] != finite_columns[:-1]])
            kept.append(finite_indices[_group_extreme(finite_values, starts, np.minimum)])
            kept.append(finite_indices[_group_extreme(finite_values, starts, np.maximum)])
            columns_with_finite = finite_columns[starts]
        else:
            # Sorted by column, then by value: each column's group starts with
            # its minimum and ends with its maximum.
            order = np.lexsort((finite_values, finite_columns))
            sorted_columns = finite_columns[order]
            starts = np.flatnonzero(np.r_[True, sorted_columns[1:] != sorted_columns[:-1]])
            ends = np.r_[starts[1:] - 1, sorted_columns.size - 1]
            kept.append(finite_indices[order[starts]])
            kept.append(finite_indices[order[ends]])
            columns_with_finite = sorted_columns[starts]
    else:
        columns_with_finite = np.empty(0, dtype=np.int64)

    if not finite.all():
        gap_columns, first_positions = np.unique(columns[~finite], return_index=True)
        gap_indices = indices[~finite][first_positions]
        kept.append(gap_indices[~np.isin(gap_columns, columns_with_finite)])

    if not kept:
        return np.empty(0, dtype=np.int64)
    return np.concatenate(kept)


def _group_extreme(values: np.ndarray, starts: np.ndarray, extreme: np.ufunc) -> np.ndarray:
    """Return the position of each group's extreme value, groups beginning at `starts`.

    `extreme` is `np.minimum` or `np.maximum`; of equal minima the first is
    returned and of equal maxima the last, as a stable sort by value would.
    """
    sizes = np.diff(np.r_[starts, values.size])
    group = np.repeat(np.arange(starts.size), sizes)
    hits = np.flatnonzero(values == extreme.reduceat(values, starts)[group])
    hit_groups = group[hits]
    if extreme is np.minimum:
        return hits[np.r_[True, hit_groups[1:] != hit_groups[:-1]]]
    return hits[np.r_[hit_groups[1:] != hit_groups[:-1], True]]
