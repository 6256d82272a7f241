"""Tests of the pure analysis: smoothing, divergence, region and suggestion methods."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lrfinder_tb import analysis
from lrfinder_tb.analysis import DivergenceMonitor, analyze, ema, find_divergence, smooth


def sigmoid_curve(rates: np.ndarray, center: float, low: float = 0.2, high: float = 2.3):
    """A loss that falls from `high` to `low`, steepest at `center` in log space."""
    return low + (high - low) / (1.0 + (rates / center) ** 2)


def test_ema_matches_reference_loop():
    values = np.random.default_rng(0).normal(size=500)
    for smoothing in (0.0, 0.3, 0.9, 0.98, 0.999):
        average, expected = 0.0, []
        for step, value in enumerate(values, start=1):
            average = smoothing * average + (1 - smoothing) * value
            expected.append(average / (1 - smoothing**step) if smoothing else value)
        assert ema(values, smoothing) == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_smooth_matches_normalised_kernel():
    values = np.random.default_rng(6).normal(size=40)
    for smoothing in (0.0, 0.5, 0.95):
        distances = np.abs(np.arange(40)[:, None] - np.arange(40)[None, :])
        weights = smoothing**distances
        expected = weights @ values / weights.sum(axis=1)
        assert smooth(values, smoothing) == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_smoothed_noise_sd_matches_simulation():
    noise = np.random.default_rng(7).normal(size=(4000, 30))
    simulated = np.array([smooth(row, 0.9) for row in noise]).std(axis=0)
    predicted = analysis._smoothed_noise_sd(30, 0.9)
    assert simulated == pytest.approx(predicted, rel=0.06)


def test_smooth_has_no_lag_on_symmetric_bump():
    values = np.exp(-0.5 * ((np.arange(201) - 100) / 10.0) ** 2)
    smoothed = smooth(values, 0.9)
    causal = ema(values, 0.9)
    assert int(np.argmax(smoothed)) == 100
    assert int(np.argmax(causal)) > 105


def test_smoothing_out_of_range_rejected():
    with pytest.raises(ValueError, match=r"smoothing.*\[0, 1\).*1\.0"):
        ema(np.ones(3), 1.0)
    with pytest.raises(ValueError, match="smoothing"):
        analyze([1e-3, 1e-2], [1.0, 0.5], smoothing=-0.1)


def test_steepest_suggestion_on_clean_curve():
    rates = np.geomspace(1e-6, 1.0, 121)
    result = analyze(rates, sigmoid_curve(rates, 1e-3), smoothing=0.0)
    # The slope against log(lr) of 1 / (1 + r**2) is steepest at r = 1.
    assert result.suggestion == pytest.approx(1e-3, rel=0.1)
    assert result.region[0] < 1e-3 < result.region[1]
    assert result.explanation is None
    assert result.min_loss == pytest.approx(0.2, abs=0.01)


def test_region_is_contiguous_and_left_of_minimum():
    rates = np.geomspace(1e-6, 1.0, 121)
    losses = sigmoid_curve(rates, 1e-3)
    losses[rates > 0.05] += 40 * (rates[rates > 0.05] - 0.05)
    result = analyze(rates, losses, smoothing=0.5)
    low, high = result.region
    assert low < result.suggestion < high
    assert high <= result.min_loss_lr
    slopes = np.gradient(
        result.smoothed_losses[: result.analyzed_points], np.log10(rates[: result.analyzed_points])
    )
    inside = (rates >= low) & (rates <= high)
    assert np.all(slopes[inside[: result.analyzed_points]] <= 0.5 * slopes.min() + 1e-12)


def test_methods_differ_as_documented():
    rates = np.geomspace(1e-6, 1.0, 121)
    losses = sigmoid_curve(rates, 1e-3)
    steepest = analyze(rates, losses, smoothing=0.0, method="steepest")
    minimum = analyze(rates, losses, smoothing=0.0, method="minimum")
    valley = analyze(rates, losses, smoothing=0.0, method="valley")
    assert minimum.suggestion == pytest.approx(minimum.min_loss_lr / 10)
    assert minimum.suggestion_index is None
    # fastai's valley is halfway down the longest decreasing stretch: past the
    # steepest point of this symmetric descent, before the minimum.
    assert steepest.suggestion < valley.suggestion < valley.min_loss_lr


def test_steepest_index_shifts_on_linear_sweep():
    # For 1 / (1 + (r / c)**2) the slope against r is steepest at c / sqrt(3),
    # the slope against log(r) at c.
    rates = np.linspace(1e-4, 1.0, 400)
    losses = sigmoid_curve(rates, 0.3)
    by_log = analyze(rates, losses, smoothing=0.0, method="steepest")
    by_index = analyze(rates, losses, smoothing=0.0, method="steepest_index")
    assert by_log.suggestion == pytest.approx(0.3, rel=0.05)
    assert by_index.suggestion == pytest.approx(0.3 / math.sqrt(3), rel=0.05)


def test_unknown_method_names_choices():
    with pytest.raises(ValueError, match=r"unknown `method` 'best'.*steepest"):
        analyze([1e-3, 1e-2], [1.0, 0.5], method="best")


def test_mismatched_lengths_rejected():
    with pytest.raises(ValueError, match=r"equal length.*\[3\].*\[2\]"):
        analyze([1e-3, 1e-2, 1e-1], [1.0, 0.5])


@pytest.mark.parametrize("points", [0, 1, 2, 3])
def test_short_series_return_result(points):
    rates = np.geomspace(1e-3, 1.0, points)
    result = analyze(rates, np.linspace(2.0, 1.0, points))
    assert result.learning_rates.shape == (points,)
    if points < 2:
        assert result.suggestion is None
        assert result.explanation.startswith("No suggestion")
    else:
        assert result.suggestion is not None
        assert rates[0] <= result.suggestion <= rates[-1]


def test_steepest_at_first_index_is_returned():
    rates = np.geomspace(1e-3, 1.0, 6)
    losses = np.array([1.0, 0.5, 0.4, 0.35, 0.33, 0.32])
    result = analyze(rates, losses, smoothing=0.0)
    assert result.suggestion_index == 0
    assert result.suggestion == pytest.approx(1e-3)


def test_steepest_at_first_index_with_explicit_zero_warmup():
    rates = np.geomspace(1e-4, 1.0, 60)
    losses = 0.2 + 2.0 * np.exp(-np.arange(60) / 8.0)
    assert analyze(rates, losses, smoothing=0.0, warmup=0).suggestion_index == 0
    skipped = analyze(rates, losses, smoothing=0.0)
    assert skipped.suggestion_index == 3


def test_warmup_longer_than_series_is_clamped():
    rates = np.geomspace(1e-3, 1.0, 5)
    result = analyze(rates, np.array([2.0, 1.9, 1.8, 1.0, 0.2]), smoothing=0.0, warmup=50)
    assert result.suggestion is not None
    assert result.suggestion_index == 3


def test_nan_after_threshold_uses_finite_points_only():
    rates = np.geomspace(1e-7, 10.0, 100)
    losses = sigmoid_curve(rates, 1e-4)
    losses[rates > 1e-2] = np.nan
    result = analyze(rates, losses, smoothing=0.5, stop_reason=analysis.STOP_NON_FINITE)
    usable = int(np.sum(rates <= 1e-2))
    assert result.usable_points == usable
    assert result.suggestion == pytest.approx(1e-4, rel=0.2)
    assert result.stop_reason == "non_finite_loss"
    assert np.all(np.isnan(result.smoothed_losses[usable:]))
    assert np.all(np.isfinite(result.smoothed_losses[:usable]))


def test_nan_at_first_point_gives_no_suggestion():
    rates = np.geomspace(1e-7, 10.0, 5)
    result = analyze(rates, [math.nan, 1.0, 0.5, 0.4, 0.3])
    assert result.suggestion is None
    assert result.region is None
    assert "first point is not usable" in result.explanation


@pytest.mark.parametrize("bad", [math.inf, -math.inf, math.nan])
def test_non_finite_values_never_crash(bad):
    rates = np.geomspace(1e-5, 1.0, 40)
    losses = sigmoid_curve(rates, 1e-3)
    losses[30] = bad
    result = analyze(rates, losses)
    assert result.usable_points == 30
    assert result.suggestion is not None


def test_all_nan_losses():
    result = analyze(np.geomspace(1e-5, 1.0, 10), np.full(10, np.nan))
    assert result.suggestion is None
    assert result.usable_points == 0


def test_constant_curve_has_no_suggestion():
    result = analyze(np.geomspace(1e-7, 10.0, 100), np.full(100, 2.3))
    assert result.suggestion is None
    assert result.region is None
    assert "never fell by more than its batch-to-batch noise" in result.explanation


def test_noisy_flat_curve_has_no_suggestion():
    rng = np.random.default_rng(1)
    rates = np.geomspace(1e-7, 10.0, 100)
    suggested = sum(
        analyze(rates, 2.3 + 0.2 * rng.normal(size=100), smoothing=smoothing).suggestion is not None
        for smoothing in (0.0, 0.98)
        for _ in range(50)
    )
    assert suggested == 0


def test_noisy_descent_still_suggested():
    rng = np.random.default_rng(2)
    rates = np.geomspace(1e-7, 10.0, 100)
    for _ in range(50):
        losses = sigmoid_curve(rates, 1e-3) + 0.3 * rng.normal(size=100)
        result = analyze(rates, losses)
        assert result.suggestion is not None
        assert 1e-5 < result.suggestion < 1e-1


def test_rising_curve_has_no_suggestion():
    rates = np.geomspace(1e-7, 10.0, 100)
    result = analyze(rates, np.linspace(1.0, 5.0, 100))
    assert result.suggestion is None
    assert result.explanation.startswith("No suggestion")


def test_negative_losses_are_analyzed():
    rates = np.geomspace(1e-6, 1.0, 100)
    losses = sigmoid_curve(rates, 1e-3, low=-2.0, high=1.0)
    result = analyze(rates, losses, smoothing=0.0)
    assert result.suggestion == pytest.approx(1e-3, rel=0.15)
    assert result.min_loss < -1.9


def test_diverged_tail_does_not_move_suggestion():
    rates = np.geomspace(1e-7, 10.0, 100)
    losses = sigmoid_curve(rates, 1e-4)
    tail = rates > 1e-1
    clean = analyze(rates[~tail], losses[~tail], smoothing=0.9)
    losses[tail] = np.geomspace(1.0, 1e6, int(tail.sum()))
    exploded = analyze(rates, losses, smoothing=0.9)
    assert exploded.analyzed_points < 100
    assert exploded.suggestion == pytest.approx(clean.suggestion, rel=0.1)


def test_monitor_stops_diverging_negative_loss():
    rng = np.random.default_rng(3)
    descent = np.linspace(1.0, -2.0, 60)
    plateau = -2.0 + 0.05 * rng.normal(size=60)
    rise = np.geomspace(0.1, 50.0, 20) - 2.0
    losses = np.concatenate([descent + 0.05 * rng.normal(size=60), plateau, rise])
    index = find_divergence(losses)
    assert index is not None
    assert 120 <= index < 135


def test_monitor_lets_healthy_negative_loss_run():
    rng = np.random.default_rng(4)
    for _ in range(20):
        descent = np.linspace(1.0, -2.0, 80)
        plateau = np.full(120, -2.0)
        losses = np.concatenate([descent, plateau]) + 0.2 * rng.normal(size=200)
        assert find_divergence(losses) is None


def test_monitor_lets_healthy_near_zero_loss_run():
    rng = np.random.default_rng(5)
    losses = np.concatenate([np.geomspace(1.0, 1e-4, 50), np.full(100, 1e-4)])
    losses = losses * np.exp(0.3 * rng.normal(size=150))
    assert find_divergence(losses) is None


def test_monitor_matches_fastai_rule_for_positive_loss():
    # Above the noise, the first rule is fastai's "smoothed loss > 4 x best".
    losses = [10.0, 6.0, 3.0, 1.0, 0.6] + [0.5] * 40 + [3.0] * 10
    monitor = DivergenceMonitor(4.0)
    flags = [monitor.update(loss) for loss in losses]
    first = flags.index(True)
    smoothed = ema(np.array(losses[: first + 1]), analysis.DIVERGENCE_SMOOTHING)
    assert smoothed[-1] > 4.0 * smoothed.min()
    assert smoothed[-2] <= 4.0 * smoothed[:-1].min()


def online_divergence(curve) -> int | None:
    """Return the index where a DivergenceMonitor fed point by point first fires."""
    monitor = DivergenceMonitor(4.0)
    return next((index for index, loss in enumerate(curve) if monitor.update(loss)), None)


def test_find_divergence_matches_online_monitor():
    rng = np.random.default_rng(8)
    rates = np.geomspace(1e-7, 10.0, 300)
    for trial in range(200):
        center = 10.0 ** rng.uniform(-5, -1)
        low = rng.uniform(-3.0, 1.0)
        curve = sigmoid_curve(rates, center, low=low, high=low + rng.uniform(0.1, 3.0))
        curve = curve + rng.uniform(0, 0.3) * rng.normal(size=rates.size)
        curve = curve + rng.uniform(0, 50) * (rates / 10.0) ** rng.uniform(0.5, 2.0)
        assert find_divergence(curve) == online_divergence(curve), trial


def test_find_divergence_matches_monitor_long_noisy():
    # Thousands of points and heavy noise give thousands of candidate points,
    # which find_divergence screens by counting before it takes medians.
    rng = np.random.default_rng(9)
    rates = np.geomspace(1e-7, 10.0, 3000)
    for trial in range(12):
        curve = sigmoid_curve(rates, 10.0 ** rng.uniform(-5, -2), low=0.3, high=2.3)
        curve = curve * (1.0 + rng.uniform(0.0, 0.6) * rng.normal(size=rates.size))
        curve = curve + rng.uniform(0, 5) * (rates / 10.0) ** rng.uniform(0.3, 1.0)
        assert find_divergence(curve) == online_divergence(curve), trial


def test_prefix_counter_matches_brute_force():
    rng = np.random.default_rng(10)
    # Rounded values give ties between values and limits.
    values = np.round(rng.random(1000), 2)
    counter = analysis._PrefixCounter(values)
    ends = np.sort(rng.choice(np.arange(1, 1001), 300, replace=False))
    limits = np.round(rng.random(300), 2)
    pairs = zip(ends, limits, strict=True)
    expected = [np.count_nonzero(values[:end] < limit) for end, limit in pairs]
    assert counter.count_below(ends, limits).tolist() == expected


def test_decreasing_run_lengths_match_pairwise_rule():
    rng = np.random.default_rng(11)
    for trial in range(100):
        # Rounding gives equal values, which do not extend a strictly decreasing run.
        values = np.round(rng.normal(size=int(rng.integers(1, 200))), int(rng.integers(0, 3)))
        expected = []
        for index, value in enumerate(values):
            before = [expected[j] for j in range(index) if values[j] > value]
            expected.append(1 + max(before, default=0))

        assert analysis._decreasing_run_lengths(values).tolist() == expected, trial


def test_flat_float32_curve_does_not_diverge():
    rates = np.geomspace(1e-7, 10.0, 100)
    losses = (2.0 / (1.0 + (rates / 1e-2) ** 2) + 0.3 + rates**2).astype(np.float32)
    losses = losses.astype(np.float64)
    assert find_divergence(losses) > 80
    assert find_divergence(np.full(100, 2.3)) is None
    low, high = analyze(rates, losses).region
    assert low < 1e-2 < high


def test_monitor_ignores_non_finite():
    monitor = DivergenceMonitor(4.0)
    assert monitor.update(math.nan) is False
    assert monitor.update(1.0) is False


def test_monitor_threshold_validated():
    with pytest.raises(ValueError, match=r"threshold.*> 1.*1\.0"):
        DivergenceMonitor(1.0)


def test_result_to_dict_is_json_ready():
    import json

    rates = np.geomspace(1e-6, 1.0, 50)
    payload = analyze(rates, sigmoid_curve(rates, 1e-3)).to_dict()
    text = json.dumps(payload)
    assert '"suggestion"' in text
    assert isinstance(payload["region"], list)


def test_docstring_examples_run():
    import doctest

    failures, attempted = doctest.testmod(analysis)
    assert attempted >= 3
    assert failures == 0


def step_curve(points: int, drops: dict[int, float], start: float = 2.0) -> np.ndarray:
    """A slowly falling loss with sudden drops: `drops[k]` is subtracted from index k on."""
    losses = start - 1e-3 * np.arange(points)
    for index, drop in drops.items():
        losses[index:] -= drop
    return losses


def test_fastai_steep_picks_point_before_drop():
    # fastai takes forward differences, so a step at index 50 shows as the slope
    # from 49 to 50, reported at 49, whatever the lag of its causal smoothing.
    rates = np.geomspace(1e-7, 10.0, 100)
    result = analyze(rates, step_curve(100, {50: 1.0}), method="fastai_steep")
    assert result.suggestion_index == 49
    assert result.suggestion == pytest.approx(rates[49])


def test_index_gradient_rules_pick_the_drop():
    # np.gradient is a central difference, most negative at the first point after the step.
    rates = np.geomspace(1e-7, 10.0, 100)
    for method in ("lightning", "torch_lr_finder"):
        result = analyze(rates, step_curve(100, {50: 1.0}), method=method)
        assert result.suggestion_index == 50, method


@pytest.mark.parametrize("method", ["fastai_steep", "lightning", "torch_lr_finder"])
def test_foreign_rules_skip_first_ten_points(method):
    # The steepest drop is at index 4, but all three finders drop their first 10
    # points (fastai: num_it // 10 of 100), so none of them can pick it.
    rates = np.geomspace(1e-7, 10.0, 100)
    losses = step_curve(100, {4: 1.0, 60: 0.8})
    result = analyze(rates, losses, method=method, warmup=0)
    assert result.suggestion_index >= 10
    steepest = analyze(rates, losses, smoothing=0.0, warmup=0)
    assert steepest.suggestion_index in (3, 4)


def test_foreign_rules_lag_behind_zero_lag_steepest():
    # The causal EMA (0.98) moves the steepest point to larger rates; the zero-lag
    # smoother of "steepest" does not.
    rates = np.geomspace(1e-7, 10.0, 100)
    losses = sigmoid_curve(rates, 1e-3)
    steepest = analyze(rates, losses).suggestion
    assert steepest == pytest.approx(1e-3, rel=0.2)
    for method in ("fastai_steep", "lightning", "torch_lr_finder"):
        assert analyze(rates, losses, method=method).suggestion > 1.5 * steepest, method


def test_fastai_steep_matches_reference_formula():
    rng = np.random.default_rng(8)
    rates = np.geomspace(1e-7, 10.0, 100)
    losses = sigmoid_curve(rates, 1e-3) + 0.05 * rng.normal(size=100)
    result = analyze(rates, losses, method="fastai_steep", divergence_threshold=None)

    average, smoothed = 0.0, []
    for step, loss in enumerate(losses, start=1):
        average = 0.98 * average + 0.02 * loss
        smoothed.append(average / (1 - 0.98**step))
    kept = slice(10, 95)
    kept_losses, kept_rates = np.array(smoothed)[kept], rates[kept]
    gradients = np.diff(kept_losses) / np.diff(np.log(kept_rates))
    assert result.suggestion == pytest.approx(kept_rates[int(np.argmin(gradients))])


def test_torch_lr_finder_matches_reference_formula():
    rng = np.random.default_rng(9)
    rates = np.geomspace(1e-7, 10.0, 100)
    losses = sigmoid_curve(rates, 1e-3) + 0.05 * rng.normal(size=100)
    result = analyze(rates, losses, method="torch_lr_finder", divergence_threshold=None)

    smoothed = [losses[0]]
    for loss in losses[1:]:
        smoothed.append(0.05 * loss + 0.95 * smoothed[-1])
    kept = np.array(smoothed)[10:95]
    assert result.suggestion == pytest.approx(rates[10 + int(np.argmin(np.gradient(kept)))])


@pytest.mark.parametrize(
    "method", ["fastai_steep", "fastai_valley", "lightning", "torch_lr_finder"]
)
def test_foreign_rules_on_short_curve_use_every_point(method):
    rates = np.geomspace(1e-3, 1.0, 8)
    losses = np.array([2.0, 1.9, 1.8, 1.0, 0.6, 0.5, 0.45, 0.44])
    result = analyze(rates, losses, smoothing=0.0, method=method)
    assert result.suggestion is not None
    assert 0 <= result.suggestion_index < 8


def test_fastai_valley_on_straight_descent():
    # fastai keeps points 10..94 of 100. On a straight descent the whole window is one
    # decreasing run of L = 85 points ending at window index 84, taken to start at
    # 84 - 85 = -1; the pick is -1 + int(85 / 3) + int(85 / 6) = 41, curve index 51.
    rates = np.geomspace(1e-7, 10.0, 100)
    result = analyze(rates, np.linspace(2.3, 0.3, 100), method="fastai_valley")
    assert result.suggestion_index == 51
    assert result.suggestion == pytest.approx(rates[51])


def test_fastai_valley_matches_reference_loop():
    rng = np.random.default_rng(10)
    rates = np.geomspace(1e-7, 10.0, 100)
    losses = sigmoid_curve(rates, 1e-3) + 0.1 * rng.normal(size=100)
    result = analyze(rates, losses, method="fastai_valley", divergence_threshold=None)

    kept = ema(losses, 0.98)[10:95]
    lengths = [1] * kept.size
    longest_end = 0
    for i in range(1, kept.size):
        for j in range(i):
            if kept[i] < kept[j] and lengths[i] < lengths[j] + 1:
                lengths[i] = lengths[j] + 1
        if lengths[longest_end] < lengths[i]:
            longest_end = i
    longest_start = longest_end - lengths[longest_end]
    sections = (longest_end - longest_start) / 3
    expected = 10 + longest_start + int(sections) + int(sections / 2)
    assert result.suggestion_index == expected


def test_fastai_valley_agrees_on_clean_descent():
    # The zero-lag "valley" and fastai's agree on where a clean descent is.
    rates = np.geomspace(1e-7, 10.0, 100)
    losses = sigmoid_curve(rates, 1e-3)
    ours = analyze(rates, losses, method="valley").suggestion
    fastai = analyze(rates, losses, method="fastai_valley").suggestion
    assert fastai == pytest.approx(ours, rel=0.5)


def test_early_end_explanation_names_its_remedy():
    rates = np.geomspace(1e-7, 1e-6, 4)
    losses = np.array([2.0, 2.0, 2.0, 2.0])

    exhausted = analyze(rates, losses, stop_reason=analysis.STOP_DATA_EXHAUSTED)
    interrupted = analyze(rates, losses, stop_reason=analysis.STOP_INTERRUPTED)

    assert exhausted.explanation.startswith("The range test ended early, after 4 points")
    assert "give fit more batches" in exhausted.explanation
    assert "give fit more batches" not in interrupted.explanation
    assert "without the exception" in interrupted.explanation
