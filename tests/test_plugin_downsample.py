"""Choosing the points of a curve to draw: `lrfinder_tb.downsample.select_points`."""

from __future__ import annotations

import numpy as np
import pytest

from lrfinder_tb import downsample
from lrfinder_tb.downsample import select_points


def test_short_curve_kept_whole():
    rates = np.geomspace(1e-7, 10.0, 200)

    indices = select_points(rates, np.linspace(2.0, 1.0, 200), width=100)

    np.testing.assert_array_equal(indices, np.arange(200))


def test_empty_curve():
    assert select_points([], [], width=16).tolist() == []


def test_long_curve_bounded_with_extremes():
    rates = np.geomspace(1e-7, 10.0, 10_000)
    losses = np.random.default_rng(0).normal(1.0, 0.1, 10_000)

    indices = select_points(rates, losses, width=500)

    assert len(indices) <= 2 * 500 + 4
    assert indices[0] == 0
    assert indices[-1] == 9_999
    assert np.argmin(losses) in indices
    assert np.argmax(losses) in indices
    assert np.all(np.diff(indices) > 0)


def test_each_column_keeps_its_min_and_max():
    # 10 points per column: the kept points of each column are its extremes.
    rates = np.geomspace(1e-6, 1.0, 1_000)
    losses = np.sin(np.arange(1_000) * 0.37)

    indices = select_points(rates, losses, width=100)

    columns = np.minimum((np.log10(rates) + 6.0) / 6.0 * 100, 99).astype(int)
    for column in range(100):
        members = np.flatnonzero(columns == column)
        kept = np.intersect1d(indices, members)
        assert members[np.argmin(losses[members])] in kept
        assert members[np.argmax(losses[members])] in kept


def test_nan_stretch_keeps_a_gap_point():
    rates = np.geomspace(1e-6, 1.0, 1_000)
    losses = np.linspace(2.0, 1.0, 1_000)
    losses[400:600] = np.nan

    indices = select_points(rates, losses, width=50)

    assert np.any(np.isnan(losses[indices]))
    assert np.nanmin(losses[indices]) == np.nanmin(losses)


def test_non_drawable_rates_dropped_except_ends():
    rates = np.geomspace(1e-6, 1.0, 1_000)
    rates[0] = 0.0
    rates[500:510] = -1.0
    losses = np.linspace(2.0, 1.0, 1_000)

    indices = select_points(rates, losses, width=50)

    assert indices[0] == 0
    assert not np.any(np.isin(np.arange(500, 510), indices))


def test_all_nan_and_constant_rates():
    indices = select_points(np.full(1_000, 1e-3), np.full(1_000, np.nan), width=20)

    assert indices.tolist() == [0, 999]


@pytest.mark.parametrize("width", [0, -1, 1.5, True, "10"])
def test_bad_width_rejected(width):
    with pytest.raises(ValueError, match="width"):
        select_points([1.0], [1.0], width=width)


def test_mismatched_lengths_rejected():
    with pytest.raises(ValueError, match="equal length"):
        select_points([1.0, 2.0], [1.0], width=16)


def test_increasing_and_shuffled_rates_agree():
    # Increasing rates take a path without sorting; shuffling the same points
    # takes the sorting path, which must keep the same points per column.
    rng = np.random.default_rng(2)
    for trial in range(40):
        count = int(rng.integers(300, 3000))
        rates = np.geomspace(1e-7, 10.0, count)
        losses = rng.normal(size=count)
        losses[rng.random(count) < 0.05] = np.nan
        width = int(rng.integers(10, 120))
        columns = downsample._pixel_columns(np.log10(rates), width)
        indices = np.arange(count)

        direct = downsample._column_extremes(indices, columns, losses)
        order = rng.permutation(count)
        shuffled = downsample._column_extremes(order, columns[order], losses[order])

        assert sorted(direct.tolist()) == sorted(shuffled.tolist()), trial


def test_ties_keep_first_minimum_and_last_maximum():
    losses = np.array([2.0, 1.0, 1.0, 2.0, 5.0, 3.0, 5.0, 3.0])
    columns = np.array([0, 0, 0, 0, 1, 1, 1, 1])

    extremes = downsample._column_extremes(np.arange(8), columns, losses)

    assert sorted(extremes.tolist()) == [1, 3, 5, 6]
