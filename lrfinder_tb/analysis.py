"""Analysis of a learning-rate range test: smoothing, divergence, region and suggestion.

This is the one implementation that the callback, the TensorBoard plugin, the
command line tool and `plot()` share, so the number a user reads is the same
everywhere. It is plain NumPy and imports neither TensorFlow nor Keras.

The steps of `analyze`, in order:

1. Usable points: the curve is cut at the first point whose loss or learning rate
   is not finite, whose learning rate is not positive, or whose learning rate does
   not increase.
2. Diverged tail: the causal divergence rule of `DivergenceMonitor` (the same rule
   that stops the callback) marks where the loss diverged; points from there on
   are left out of the search.
3. Smoothing: a zero-lag exponential moving average (`smooth`), a symmetric
   kernel `smoothing**|t - j|` built from a forward and a backward EMA. It does
   not shift the curve to the right as the causal EMA of other finders does. Losses in the
   diverged tail are capped at the highest loss before it, so an explosion does
   not bleed backwards into the descent.
4. Warm-up: the first `warmup` points (by default 5% of the points before the
   tail) are skipped, because at tiny learning rates the slope is noise.
5. Descent: the lowest smoothed loss after the warm-up is found. If the smoothed
   loss fell by no more than the noise of the curve, there is no region and no
   suggestion, and `explanation` says why.
6. Region: the slope of the smoothed loss against log10(learning rate) is computed;
   the steepest point is the most negative slope between the warm-up and the
   lowest loss. The region is the largest contiguous run of points around it,
   left of the lowest loss, where the slope is at least `region_fraction` times
   the steepest slope.
7. Suggestion: the chosen method from `SUGGESTION_METHODS` picks a rate.
"""

from __future__ import annotations

import bisect
import dataclasses
import math
from collections.abc import Callable
from typing import Any

import numpy as np

STOP_DIVERGED = "diverged"
STOP_NON_FINITE = "non_finite_loss"
STOP_SWEEP_COMPLETE = "sweep_complete"
STOP_DATA_EXHAUSTED = "data_exhausted"
STOP_INTERRUPTED = "interrupted"
STOP_IN_PROGRESS = "in_progress"

STOP_REASONS = {
    STOP_DIVERGED: "the smoothed loss diverged",
    STOP_NON_FINITE: "the loss became NaN or infinite",
    STOP_SWEEP_COMPLETE: "the sweep reached its last learning rate",
    STOP_DATA_EXHAUSTED: "the data ran out before the sweep ended",
    STOP_INTERRUPTED: "training stopped early (an exception or another callback)",
    STOP_IN_PROGRESS: "the range test is still running",
}

DEFAULT_SMOOTHING = 0.98
DEFAULT_DIVERGENCE_THRESHOLD = 4.0
DEFAULT_REGION_FRACTION = 0.5
DEFAULT_WARMUP_FRACTION = 0.05

# The divergence rule runs online, so it needs a causal smoother; a short one
# (time constant of about 10 batches) reacts before the loss is far gone.
DIVERGENCE_SMOOTHING = 0.9

# The batch-to-batch noise floor in the divergence rule, in units of the median
# absolute difference of consecutive losses.
DIVERGENCE_NOISE_MULTIPLIER = 2.0

# A change smaller than this fraction of the loss's magnitude never counts as divergence.
DIVERGENCE_RELATIVE_TOLERANCE = 1e-3

# The descent test smooths with this factor (less for curves under 100 points), and
# a drop smaller than DESCENT_NOISE_MULTIPLIER standard deviations of the smoothed
# noise is no descent.
DESCENT_TEST_SMOOTHING = 0.9
DESCENT_NOISE_MULTIPLIER = 5.0


@dataclasses.dataclass(frozen=True)
class LRFinderResult:
    """The curve of a range test and what the analysis found in it.

    Attributes:
        learning_rates: float64 array, the learning rate of each recorded batch.
        losses: float64 array, the true loss of each batch (not Keras's running mean).
        smoothed_losses: float64 array of the same length; NaN where the curve was
            not usable (from the first non-finite point on).
        suggestion: the suggested learning rate, or None.
        region: `(low, high)` learning rates where the loss falls fastest, or None.
        stop_reason: why the test ended, one of `STOP_REASONS`, or None if unknown.
        explanation: why there is no suggestion; None when there is one.
        method: the suggestion method used.
        smoothing: the smoothing factor used.
        suggestion_index: index of the suggested point on the curve, or None
            (for example for "minimum", whose rate is not a curve point).
        steepest_index: index of the steepest descent, or None.
        min_loss: the lowest smoothed loss considered, or None.
        min_loss_lr: the learning rate of `min_loss`, or None.
        usable_points: how many leading points were usable (finite, increasing rate).
        analyzed_points: how many points before the diverged tail were searched.
    """

    learning_rates: np.ndarray
    losses: np.ndarray
    smoothed_losses: np.ndarray
    suggestion: float | None
    region: tuple[float, float] | None
    stop_reason: str | None
    explanation: str | None
    method: str
    smoothing: float
    suggestion_index: int | None = None
    steepest_index: int | None = None
    min_loss: float | None = None
    min_loss_lr: float | None = None
    usable_points: int = 0
    analyzed_points: int = 0

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-friendly dict of the result (lists instead of arrays)."""
        values = dataclasses.asdict(self)
        for key in ("learning_rates", "losses", "smoothed_losses"):
            values[key] = np.asarray(values[key], dtype=np.float64).tolist()
        if self.region is not None:
            values["region"] = [float(self.region[0]), float(self.region[1])]
        return values


@dataclasses.dataclass(frozen=True)
class PreparedCurve:
    """The usable part of a curve, as suggestion methods receive it.

    Attributes:
        learning_rates: learning rates of the analyzed points (before the diverged tail).
        losses: raw losses of those points.
        smoothed: smoothed losses of those points.
        slopes: slope of `smoothed` against log10(learning rate).
        start: first index after the warm-up.
        min_index: index of the lowest smoothed loss at or after `start`.
        steepest_index: index of the most negative slope in `[start, min_index]`.
    """

    learning_rates: np.ndarray
    losses: np.ndarray
    smoothed: np.ndarray
    slopes: np.ndarray
    start: int
    min_index: int
    steepest_index: int


def ema(values: np.ndarray, smoothing: float) -> np.ndarray:
    """Compute the bias-corrected causal exponential moving average of `values`.

    `v[t] = b * v[t-1] + (1 - b) * x[t]`, shown as `v[t] / (1 - b**(t+1))`, the form
    TensorBoard's scalar smoothing and fastai use.

    Args:
        values: 1-D array of finite floats.
        smoothing: the factor `b`, `0 <= b < 1`; 0 returns a copy of `values`.

    Returns:
        A float64 array of the same length.

    Raises:
        ValueError: if `smoothing` is outside `[0, 1)`.
    """
    _check_smoothing(smoothing, "ema")
    values = np.asarray(values, dtype=np.float64)
    if smoothing == 0.0 or values.size == 0:
        return values.copy()

    # Vectorised in blocks: within a block, v is a cumulative sum of x scaled by
    # b**-j, and the block length keeps b**-j below e**50 so nothing overflows.
    # Each block is first averaged as if it started from zero. The value carried
    # in from the block before then adds b**(j+1) times that value at offset j.
    log_decay = -math.log(smoothing)
    block = min(values.size, max(1, int(50.0 / log_decay)))
    blocks = -(-values.size // block)
    padded = np.zeros(blocks * block)
    padded[: values.size] = values
    offsets = np.arange(block, dtype=np.float64) * log_decay
    growth, decay = np.exp(offsets), np.exp(-offsets)
    local = (1.0 - smoothing) * np.cumsum(padded.reshape(blocks, block) * growth, axis=1) * decay

    carry_weights = smoothing * decay
    block_decay = smoothing * decay[-1]
    carries = np.empty(blocks)
    carry = 0.0
    for index, end in enumerate(local[:, -1].tolist()):
        carries[index] = carry
        carry = block_decay * carry + end
    averaged = (local + carries[:, None] * carry_weights[None, :]).ravel()[: values.size]
    steps = np.arange(1, values.size + 1, dtype=np.float64)
    return averaged / -np.expm1(steps * -log_decay)


def _kernel_mass(steps: np.ndarray, smoothing: float) -> np.ndarray:
    # sum(smoothing**k for k in range(steps + 1)), the weight an EMA has seen.
    if smoothing == 0.0:
        return np.ones_like(steps, dtype=np.float64)
    return -np.expm1((steps + 1) * math.log(smoothing)) / (1.0 - smoothing)


def smooth(values: np.ndarray, smoothing: float) -> np.ndarray:
    """Smooth `values` without lag, with a symmetric exponential kernel.

    Point t becomes `sum_j b**|t - j| * x[j] / sum_j b**|t - j|` over the points that
    exist, computed from a forward and a backward `ema`. Unlike a causal EMA it does
    not shift the curve to the right; at both ends the kernel is one-sided.

    Args:
        values: 1-D array of finite floats.
        smoothing: the factor `b`, `0 <= b < 1`; 0 returns a copy of `values`.

    Returns:
        A float64 array of the same length.

    Raises:
        ValueError: if `smoothing` is outside `[0, 1)`.

    Example:
        >>> smooth(np.array([1.0, 1.0, 1.0]), 0.9).tolist()
        [1.0, 1.0, 1.0]
    """
    values = np.asarray(values, dtype=np.float64)
    positions = np.arange(values.size, dtype=np.float64)
    forward_mass = _kernel_mass(positions, smoothing)
    # The backward kernel at t has the forward mass of point size - 1 - t.
    backward_mass = forward_mass[::-1]

    # ema() is the kernel sum divided by its mass; undo that to add both sides,
    # then count the centre point once.
    forward = ema(values, smoothing) * forward_mass
    backward = ema(values[::-1], smoothing)[::-1] * backward_mass
    return (forward + backward - values) / (forward_mass + backward_mass - 1.0)


def _diverged(smoothed: float, best: float, initial: float, noise: float, threshold: float) -> bool:
    """Apply the divergence rule of `DivergenceMonitor` to one batch's numbers."""
    # Changes below this are rounding or noise, not a trend; the relative floor
    # keeps a perfectly flat float32 curve from diverging on a 1-ulp wobble.
    tolerance = max(noise, DIVERGENCE_RELATIVE_TOLERANCE * max(abs(initial), abs(best)))
    scale = max(best, tolerance)
    if scale <= 0.0:
        return False
    if smoothed - best > (threshold - 1.0) * scale:
        return True
    fell_clearly = initial - best > tolerance
    return fell_clearly and smoothed > initial + tolerance


class DivergenceMonitor:
    """Decide online, batch by batch, whether the loss has diverged.

    With `s` a causal EMA (factor `DIVERGENCE_SMOOTHING`) of the losses, `best` the
    lowest `s` so far, and `tolerance` the larger of `DIVERGENCE_NOISE_MULTIPLIER`
    times the median absolute difference of consecutive losses so far and
    `DIVERGENCE_RELATIVE_TOLERANCE` times the magnitude of the loss, the loss has
    diverged at batch t when either

    - `s[t] - best > (threshold - 1) * max(best, tolerance)`: for positive losses
      well above their noise this is fastai's "smoothed loss > threshold x best";
      the noise term keeps the rule meaningful for negative and near-zero losses,
      where a multiple of `best` is not; or
    - the loss first fell by more than `tolerance` below its first value `s[0]`,
      and `s[t]` has climbed back above `s[0] + tolerance`: the test is past any
      useful learning rate.

    Args:
        threshold: the factor, > 1.

    Example:
        >>> monitor = DivergenceMonitor(4.0)
        >>> losses = [1.0, 0.9, 0.7, 0.5, 0.4, 0.4, 0.5, 3.0, 30.0]
        >>> [monitor.update(loss) for loss in losses][-3:]
        [False, False, True]
    """

    def __init__(self, threshold: float = DEFAULT_DIVERGENCE_THRESHOLD):
        if not isinstance(threshold, (int, float)) or not threshold > 1.0:
            raise ValueError(
                f"DivergenceMonitor: `threshold` must be a number > 1, got {threshold!r}"
            )
        self.threshold = float(threshold)
        self._average = 0.0
        self._count = 0
        self._initial: float | None = None
        self._best = math.inf
        self._previous: float | None = None
        self._differences: list[float] = []

    def update(self, loss: float) -> bool:
        """Add the next batch loss; return True once the loss has diverged.

        Non-finite losses are not averaged in; the caller stops on them itself.
        """
        loss = float(loss)
        if not math.isfinite(loss):
            return False

        if self._previous is not None:
            bisect.insort(self._differences, abs(loss - self._previous))
        self._previous = loss
        self._count += 1
        self._average = DIVERGENCE_SMOOTHING * self._average + (1.0 - DIVERGENCE_SMOOTHING) * loss
        smoothed = self._average / (1.0 - DIVERGENCE_SMOOTHING**self._count)
        if self._initial is None:
            self._initial = smoothed
        self._best = min(self._best, smoothed)

        if not self._differences:
            return False
        noise = DIVERGENCE_NOISE_MULTIPLIER * self._differences[len(self._differences) // 2]
        return _diverged(smoothed, self._best, self._initial, noise, self.threshold)


def find_divergence(
    losses: np.ndarray, threshold: float = DEFAULT_DIVERGENCE_THRESHOLD
) -> int | None:
    """Return the index where `DivergenceMonitor` first reports divergence, or None.

    Gives the same index as feeding `losses` to a `DivergenceMonitor` one by one,
    without a Python step per point: the rule only gets stricter as the noise
    grows, so the points where it is true with zero noise are the only candidates,
    and the running median is computed for those alone.
    """
    values = np.asarray(losses, dtype=np.float64)
    if values.size < 2:
        return None
    if not np.all(np.isfinite(values)):
        monitor = DivergenceMonitor(threshold)
        for index, loss in enumerate(values):
            if monitor.update(loss):
                return index
        return None

    smoothed = ema(values, DIVERGENCE_SMOOTHING)
    best = np.minimum.accumulate(smoothed)
    initial = smoothed[0]
    floor = DIVERGENCE_RELATIVE_TOLERANCE * np.maximum(abs(initial), np.abs(best))
    scale = np.maximum(best, floor)
    candidates = (scale > 0) & (
        (smoothed - best > (threshold - 1.0) * scale)
        | ((initial - best > floor) & (smoothed > initial + floor))
    )
    candidates[0] = False

    differences = np.abs(np.diff(values))
    indices = np.flatnonzero(candidates)
    limits = _noise_limits(smoothed[indices], best[indices], initial, floor[indices], threshold)
    # A noisy curve can have thousands of candidates. The median of the
    # differences before a candidate is below its limit only when more than half
    # of them are, and counting is cheap, so most candidates are ruled out
    # without computing their median. Counting goes a chunk at a time because
    # the first diverged point is usually among the first candidates.
    counter = _PrefixCounter(differences)
    chunk = 256
    for begin in range(0, indices.size, chunk):
        ends, chunk_limits = indices[begin : begin + chunk], limits[begin : begin + chunk]
        possible = counter.count_below(ends, chunk_limits) > ends // 2
        for index in ends[possible]:
            prefix = differences[:index]
            middle = prefix.size // 2
            noise = DIVERGENCE_NOISE_MULTIPLIER * float(np.partition(prefix, middle)[middle])
            if _diverged(smoothed[index], best[index], initial, noise, threshold):
                return int(index)
    return None


class _PrefixCounter:
    """Count the values below a limit in prefixes of a fixed array.

    The values are cut into sorted blocks. A prefix counts its whole blocks with
    one binary search per block for all limits at once, and compares the values
    of its last, partial block directly.
    """

    BLOCK = 128

    def __init__(self, values: np.ndarray):
        self.values = values
        self.blocks = values.size // self.BLOCK
        whole = values[: self.blocks * self.BLOCK].reshape(self.blocks, self.BLOCK)
        self.sorted_blocks = np.sort(whole, axis=1)

    def count_below(self, ends: np.ndarray, limits: np.ndarray) -> np.ndarray:
        """Return, for each j, how many of `values[:ends[j]]` are below `limits[j]`."""
        block = self.BLOCK
        whole = np.minimum(ends // block, self.blocks)
        counts = np.zeros(ends.size, dtype=np.int64)
        needed = int(whole.max(initial=0))
        if needed:
            # np.searchsorted is several times faster with sorted needles.
            order = np.argsort(limits)
            sorted_limits = limits[order]
            per_block = np.empty((needed, limits.size), dtype=np.int64)
            for row, values in enumerate(self.sorted_blocks[:needed]):
                per_block[row, order] = np.searchsorted(values, sorted_limits, side="left")
            running = np.cumsum(per_block, axis=0)
            has_whole = np.flatnonzero(whole > 0)
            counts[has_whole] = running[whole[has_whole] - 1, has_whole]

        positions = (whole * block)[:, None] + np.arange(block)[None, :]
        inside = positions < ends[:, None]
        tail = self.values[np.minimum(positions, self.values.size - 1)]
        counts += np.count_nonzero(inside & (tail < limits[:, None]), axis=1)
        return counts


def _noise_limits(
    smoothed: np.ndarray,
    best: np.ndarray,
    initial: float,
    floor: np.ndarray,
    threshold: float,
) -> np.ndarray:
    """Return, per point, a median difference at or above which `_diverged` is False.

    `_diverged` is True for a noise below a limit and False above it: the limit is
    `(smoothed - best) / (threshold - 1)` for the first rule and
    `min(initial - best, smoothed - initial)` for the second, each where that
    rule can hold at all. The result is that limit over the noise multiplier,
    raised by a relative margin of 1e-9 so rounding never excludes a point that
    the exact test would accept. Points that no noise lets diverge get 0.
    """
    first = (smoothed - best) / (threshold - 1.0)
    first = np.where(first > np.maximum(best, floor), first, 0.0)
    fell, climbed = initial - best, smoothed - initial
    second = np.where((fell > floor) & (climbed > floor), np.minimum(fell, climbed), 0.0)
    limit = np.maximum(first, second) / DIVERGENCE_NOISE_MULTIPLIER
    return limit * (1.0 + 1e-9)


def _check_smoothing(smoothing: float, where: str) -> None:
    if isinstance(smoothing, bool) or not isinstance(smoothing, (int, float, np.floating)):
        raise ValueError(f"{where}: `smoothing` must be a float in [0, 1), got {smoothing!r}")
    if not 0.0 <= float(smoothing) < 1.0:
        raise ValueError(f"{where}: `smoothing` must be in [0, 1), got {smoothing!r}")


def _suggest_steepest(curve: PreparedCurve) -> tuple[float, int | None]:
    index = curve.steepest_index
    return float(curve.learning_rates[index]), index


def _suggest_steepest_index(curve: PreparedCurve) -> tuple[float, int | None]:
    # The slope against the point index, as torch-lr-finder and Lightning take it.
    # For an exponential sweep this equals the log-rate slope; for a linear sweep
    # it is the slope against the rate itself, which peaks at smaller rates.
    window = curve.smoothed[: curve.min_index + 1]
    if window.size < 2:
        return float(curve.learning_rates[curve.start]), curve.start
    gradient = np.gradient(window)
    index = curve.start + int(np.argmin(gradient[curve.start :]))
    return float(curve.learning_rates[index]), index


def _suggest_minimum(curve: PreparedCurve) -> tuple[float, int | None]:
    return float(curve.learning_rates[curve.min_index]) / 10.0, None


def _longest_decreasing_run(values: np.ndarray) -> tuple[int, int]:
    """Return the first and last index of a longest strictly decreasing subsequence."""
    # Patience sorting on negated values: tails[k] is the index ending the best
    # increasing subsequence of length k + 1, parents link back through it.
    negated = -values
    tails: list[int] = []
    tail_values: list[float] = []
    parents = [-1] * values.size
    for index, value in enumerate(negated):
        position = bisect.bisect_left(tail_values, value)
        if position > 0:
            parents[index] = tails[position - 1]
        if position == len(tails):
            tails.append(index)
            tail_values.append(value)
        else:
            tails[position] = index
            tail_values[position] = value
    last = tails[-1]
    first = last
    while parents[first] != -1:
        first = parents[first]
    return first, last


def _suggest_valley(curve: PreparedCurve) -> tuple[float, int | None]:
    # fastai's "valley": the longest decreasing stretch of the smoothed loss, and
    # the point halfway down it. Searched over the whole usable curve, as fastai does.
    window = curve.smoothed[curve.start :]
    first, last = _longest_decreasing_run(window)
    index = curve.start + first + (last - first) // 2
    return float(curve.learning_rates[index]), index


# The other finders smooth causally with a fixed factor, whatever the user's display
# smoothing is: fastai's Recorder and Lightning with a bias-corrected EMA of 0.98,
# torch-lr-finder with `smooth_f=0.05`, an EMA of 0.95 seeded with the first loss.
FOREIGN_SMOOTHING = 0.98
TORCH_LR_FINDER_SMOOTHING = 0.95


def _trimmed_range(size: int, skip_begin: int, skip_end: int) -> tuple[int, int]:
    """Return `[begin, end)` after skipping points at both ends, or the whole curve if too short."""
    begin, end = skip_begin, size - skip_end
    if end - begin < 2:
        return 0, size
    return begin, end


def _suggest_fastai_steep(curve: PreparedCurve) -> tuple[float, int | None]:
    # fastai's `steep` (fastai.callback.schedule): the most negative forward difference of
    # its causally smoothed loss against log(lr), after `lr_find` drops the first
    # num_it // 10 points and the last 5.
    smoothed = ema(curve.losses, FOREIGN_SMOOTHING)
    begin, end = _trimmed_range(smoothed.size, smoothed.size // 10, 5)
    window = smoothed[begin:end]
    log_rates = np.log(curve.learning_rates[begin:end])
    slopes = np.diff(window) / np.diff(log_rates)
    index = begin + int(np.argmin(slopes))
    return float(curve.learning_rates[index]), index


def _suggest_lightning(curve: PreparedCurve) -> tuple[float, int | None]:
    # PyTorch Lightning's `_LRFinder.suggestion(skip_begin=10, skip_end=1)`: the most
    # negative `np.gradient` (against the index) of its bias-corrected causal EMA (0.98).
    smoothed = ema(curve.losses, FOREIGN_SMOOTHING)
    begin, end = _trimmed_range(smoothed.size, 10, 1)
    index = begin + int(np.argmin(np.gradient(smoothed[begin:end])))
    return float(curve.learning_rates[index]), index


def _causal_ema_seeded(values: np.ndarray, smoothing: float) -> np.ndarray:
    # torch-lr-finder's running average: v[0] = x[0], v[t] = b * v[t-1] + (1 - b) * x[t].
    averaged = np.empty_like(values)
    averaged[0] = values[0]
    for step in range(1, values.size):
        averaged[step] = smoothing * averaged[step - 1] + (1.0 - smoothing) * values[step]
    return averaged


def _suggest_torch_lr_finder(curve: PreparedCurve) -> tuple[float, int | None]:
    # torch-lr-finder's `LRFinder.plot(suggest_lr=True)` with its defaults: the most
    # negative `np.gradient` (against the index) of its smoothed losses, after dropping
    # the first 10 points and the last 5.
    smoothed = _causal_ema_seeded(curve.losses, TORCH_LR_FINDER_SMOOTHING)
    begin, end = _trimmed_range(smoothed.size, 10, 5)
    index = begin + int(np.argmin(np.gradient(smoothed[begin:end])))
    return float(curve.learning_rates[index]), index


def _suggest_fastai_valley(curve: PreparedCurve) -> tuple[float, int | None]:
    # fastai's `valley` (fastai.callback.schedule) as `lr_find` runs it: on its causally
    # smoothed loss without the first num_it // 10 points and the last 5, the longest
    # decreasing subsequence of length L ending at e (the first such e) is taken to
    # start at e - L, and the pick is L // 3 + L // 6 points (about halfway) after that.
    smoothed = ema(curve.losses, FOREIGN_SMOOTHING)
    begin, end = _trimmed_range(smoothed.size, smoothed.size // 10, 5)
    window = smoothed[begin:end]
    lengths = _decreasing_run_lengths(window)
    valley_end = int(np.argmax(lengths))
    valley_start = valley_end - int(lengths[valley_end])
    third = (valley_end - valley_start) / 3
    index = begin + max(0, valley_start + int(third) + int(third / 2))
    return float(curve.learning_rates[index]), index


def _decreasing_run_lengths(values: np.ndarray) -> np.ndarray:
    """Return, per point, the length of the longest strictly decreasing subsequence ending there.

    Comparing every pair of points, as fastai does, took 0.14 s on a 10,000-point
    curve. Patience sorting gives the same lengths in O(n log n): `tails[k]` is
    the largest last value of a decreasing subsequence of length k + 1 seen so
    far, stored negated so that the list is increasing for `bisect`.
    """
    tails: list[float] = []
    lengths = np.empty(values.size, dtype=np.int64)
    for index, value in enumerate(values.tolist()):
        position = bisect.bisect_left(tails, -value)
        if position == len(tails):
            tails.append(-value)
        else:
            tails[position] = -value
        lengths[index] = position + 1
    return lengths


# Each method maps a PreparedCurve to (learning rate, index of that point or None).
SUGGESTION_METHODS: dict[str, Callable[[PreparedCurve], tuple[float, int | None]]] = {
    "steepest": _suggest_steepest,
    "steepest_index": _suggest_steepest_index,
    "valley": _suggest_valley,
    "minimum": _suggest_minimum,
    "fastai_steep": _suggest_fastai_steep,
    "fastai_valley": _suggest_fastai_valley,
    "lightning": _suggest_lightning,
    "torch_lr_finder": _suggest_torch_lr_finder,
}

DEFAULT_METHOD = "steepest"


def _usable_length(learning_rates: np.ndarray, losses: np.ndarray) -> int:
    bad = ~np.isfinite(losses) | ~np.isfinite(learning_rates) | (learning_rates <= 0)
    if learning_rates.size > 1:
        # A rate that does not increase breaks the log-rate slope.
        bad[1:] |= ~(np.diff(learning_rates) > 0)
    bad_indices = np.flatnonzero(bad)
    return int(bad_indices[0]) if bad_indices.size else int(losses.size)


def _noise_sigma(losses: np.ndarray) -> float:
    # Robust standard deviation of batch-to-batch noise. Second differences cancel
    # a linear trend, so a clean descent is not mistaken for noise; for white noise
    # they have variance 6 * sigma**2.
    if losses.size < 3:
        return 0.0
    second_differences = np.diff(losses, n=2)
    return float(np.median(np.abs(second_differences))) / (0.6745 * math.sqrt(6.0))


def _smoothed_noise_sd(size: int, smoothing: float) -> np.ndarray:
    """Return the standard deviation of `smooth` at each point for unit white noise."""
    positions = np.arange(size, dtype=np.float64)
    forward_mass = _kernel_mass(positions, smoothing)
    backward_mass = forward_mass[::-1]
    forward_squares = _kernel_mass(positions, smoothing**2)
    backward_squares = forward_squares[::-1]
    mass = forward_mass + backward_mass - 1.0
    return np.sqrt(forward_squares + backward_squares - 1.0) / mass


def _has_descent(losses: np.ndarray, start: int) -> bool:
    """Tell whether the loss falls by more than its noise between `start` and its minimum."""
    # Short curves get less smoothing: a 6-point curve smoothed with 0.9 is flat.
    smoothing = min(DESCENT_TEST_SMOOTHING, max(0.0, 1.0 - 10.0 / losses.size))
    smoothed = smooth(losses, smoothing)
    min_index = start + int(np.argmin(smoothed[start:]))
    peak_index = start + int(np.argmax(smoothed[start : min_index + 1]))
    drop = float(smoothed[peak_index] - smoothed[min_index])

    noise_sd = _noise_sigma(losses) * _smoothed_noise_sd(losses.size, smoothing)
    uncertainty = math.hypot(noise_sd[peak_index], noise_sd[min_index])
    tolerance = 1e-9 * float(np.max(np.abs(smoothed)))
    return drop > max(DESCENT_NOISE_MULTIPLIER * uncertainty, tolerance)


def analyze(
    learning_rates,
    losses,
    *,
    smoothing: float = DEFAULT_SMOOTHING,
    method: str | None = None,
    stop_reason: str | None = None,
    divergence_threshold: float | None = DEFAULT_DIVERGENCE_THRESHOLD,
    region_fraction: float = DEFAULT_REGION_FRACTION,
    warmup: int | None = None,
) -> LRFinderResult:
    """Analyze a range-test curve: smooth it, find the region and suggest a learning rate.

    Args:
        learning_rates: 1-D sequence of learning rates, one per batch.
        losses: 1-D sequence of the same length, the loss of each batch.
        smoothing: Float in `[0, 1)`. EMA factor of the zero-lag smoother.
            Defaults to `0.98`.
        method: name of a suggestion method in `SUGGESTION_METHODS`: `"steepest"`
            (most negative slope against log learning rate), `"steepest_index"`
            (slope against the point index), `"valley"` (fastai's valley),
            `"minimum"` (a tenth of the rate at the lowest smoothed loss), or one of
            the rules of other finders, each with its own causal smoothing and
            skipped ends: `"fastai_steep"`, `"fastai_valley"`, `"lightning"`,
            `"torch_lr_finder"`.
            Defaults to `DEFAULT_METHOD`.
        stop_reason: why the test ended, stored in the result unchanged.
        divergence_threshold: threshold of the divergence rule that cuts the diverged
            tail, or None to keep every usable point. Defaults to `4.0`.
        region_fraction: Float in `(0, 1]`. The region holds the points whose slope
            is at least this fraction of the steepest slope. Defaults to `0.5`.
        warmup: number of leading points to skip; None skips 5% of the analyzed
            points (rounded down).

    Returns:
        An `LRFinderResult`. When the curve shows no descent, `suggestion` and
        `region` are None and `explanation` says why.

    Raises:
        ValueError: if the inputs are not 1-D sequences of equal length, or an
            argument is out of range or an unknown method.

    Example:
        >>> rates = np.geomspace(1e-4, 1.0, 50)
        >>> result = analyze(rates, 1.0 / (1.0 + (rates / 1e-2) ** 2))
        >>> round(result.suggestion, 4)
        0.0091
    """
    method = DEFAULT_METHOD if method is None else method
    if method not in SUGGESTION_METHODS:
        raise ValueError(
            f"analyze: unknown `method` {method!r}; expected one of {sorted(SUGGESTION_METHODS)}"
        )
    _check_smoothing(smoothing, "analyze")
    if not 0.0 < region_fraction <= 1.0:
        raise ValueError(f"analyze: `region_fraction` must be in (0, 1], got {region_fraction!r}")
    if warmup is not None and (not isinstance(warmup, (int, np.integer)) or warmup < 0):
        raise ValueError(f"analyze: `warmup` must be a non-negative int or None, got {warmup!r}")
    if divergence_threshold is not None and not divergence_threshold > 1.0:
        raise ValueError(
            f"analyze: `divergence_threshold` must be > 1 or None, got {divergence_threshold!r}"
        )

    rates = np.asarray(learning_rates, dtype=np.float64)
    values = np.asarray(losses, dtype=np.float64)
    if rates.ndim != 1 or values.ndim != 1 or rates.shape != values.shape:
        raise ValueError(
            "analyze: `learning_rates` and `losses` must be 1-D and of equal length, got "
            f"shapes {list(rates.shape)} and {list(values.shape)}"
        )

    def no_suggestion(explanation: str, smoothed: np.ndarray, usable: int, analyzed: int):
        # A test cut short never reached the rates where the loss would fall, so the
        # explanation starts with that. Read from the curve alone, it blames the model.
        if stop_reason in (STOP_DATA_EXHAUSTED, STOP_INTERRUPTED) and rates.size:
            remedy = (
                "give fit more batches (epochs x steps per epoch >= num_steps) or use find_lr"
                if stop_reason == STOP_DATA_EXHAUSTED
                else "run it again without the exception or the callback that stopped it"
            )
            explanation = (
                f"The range test ended early, after {rates.size} points at learning rate "
                f"{rates[-1]:.3g}, because {STOP_REASONS[stop_reason]}; {remedy}. " + explanation
            )
        return LRFinderResult(
            learning_rates=rates,
            losses=values,
            smoothed_losses=smoothed,
            suggestion=None,
            region=None,
            stop_reason=stop_reason,
            explanation=explanation,
            method=method,
            smoothing=float(smoothing),
            usable_points=usable,
            analyzed_points=analyzed,
        )

    # Step 1: the usable prefix.
    usable = _usable_length(rates, values)
    smoothed_full = np.full(values.shape, np.nan)
    if usable == 0:
        if values.size == 0:
            reason = "the curve has no points"
        else:
            reason = "the first point is not usable (non-finite loss or non-positive learning rate)"
        return no_suggestion(f"No suggestion: {reason}.", smoothed_full, 0, 0)

    # Step 2: the diverged tail.
    usable_losses = values[:usable]
    analyzed = usable
    if divergence_threshold is not None:
        diverged_at = find_divergence(usable_losses, divergence_threshold)
        if diverged_at is not None:
            analyzed = max(diverged_at, 1)

    # Step 3: smoothing, with the tail capped so it does not leak into the descent.
    capped = np.minimum(usable_losses, np.max(usable_losses[:analyzed]))
    smoothed_full[:usable] = smooth(capped, smoothing)
    if analyzed < 2:
        return no_suggestion(
            f"No suggestion: {analyzed} usable point(s) cannot show a descent.",
            smoothed_full,
            usable,
            analyzed,
        )

    smoothed = smoothed_full[:analyzed]
    curve_rates = rates[:analyzed]

    # Step 4: warm-up.
    start = int(DEFAULT_WARMUP_FRACTION * analyzed) if warmup is None else int(warmup)
    start = min(start, analyzed - 2)

    # Step 5: is there a descent at all? The test uses its own fixed smoothing, so
    # that it means the same whatever `smoothing` the user picked for display.
    min_index = start + int(np.argmin(smoothed[start:]))
    if not _has_descent(usable_losses[:analyzed], start):
        return no_suggestion(
            "No suggestion: the loss never fell by more than its batch-to-batch noise; "
            "the model did not learn over this range of learning rates.",
            smoothed_full,
            usable,
            analyzed,
        )
    if min_index == start:
        return no_suggestion(
            "No suggestion: the smoothed loss is lowest at the start of the sweep, so it "
            "never decreased; try a smaller `start_lr`.",
            smoothed_full,
            usable,
            analyzed,
        )

    # Step 6: slopes, steepest point and region.
    slopes = np.gradient(smoothed, np.log10(curve_rates))
    steepest_index = start + int(np.argmin(slopes[start : min_index + 1]))
    steepest_slope = slopes[steepest_index]
    region = None
    if steepest_slope < 0:
        cutoff = region_fraction * steepest_slope
        low = steepest_index
        while low > start and slopes[low - 1] <= cutoff:
            low -= 1
        high = steepest_index
        while high < min_index and slopes[high + 1] <= cutoff:
            high += 1
        region = (float(curve_rates[low]), float(curve_rates[high]))

    # Step 7: the suggestion.
    prepared = PreparedCurve(
        learning_rates=curve_rates,
        losses=usable_losses[:analyzed],
        smoothed=smoothed,
        slopes=slopes,
        start=start,
        min_index=min_index,
        steepest_index=steepest_index,
    )
    suggestion, suggestion_index = SUGGESTION_METHODS[method](prepared)
    return LRFinderResult(
        learning_rates=rates,
        losses=values,
        smoothed_losses=smoothed_full,
        suggestion=suggestion,
        region=region,
        stop_reason=stop_reason,
        explanation=None,
        method=method,
        smoothing=float(smoothing),
        suggestion_index=suggestion_index,
        steepest_index=steepest_index,
        min_loss=float(smoothed[min_index]),
        min_loss_lr=float(curve_rates[min_index]),
        usable_points=usable,
        analyzed_points=analyzed,
    )
