"""Draw a range-test result with matplotlib, for notebooks and scripts.

`plot` only draws what an `LRFinderResult` contains; the suggestion and the
region come from `lrfinder_tb.analysis`, as everywhere else. matplotlib is
imported when `plot` is called, so the rest of the package works without it.
"""

from __future__ import annotations

import textwrap
from typing import Any

import numpy as np

from lrfinder_tb.analysis import STOP_REASONS, LRFinderResult

INSTALL_HINT = 'pip install matplotlib  (or: pip install "lrfinder-tb[plot]")'

# Room below and above the visible losses, as a fraction of their range, so the
# curve does not touch the frame.
Y_MARGIN = 0.08

# Room above the losses for the explanation of a missing suggestion, as a
# fraction of their range, so the text does not cover the curve.
EXPLANATION_HEADROOM = 0.5

RAW_COLOR = "tab:blue"
SMOOTHED_COLOR = "tab:blue"
REGION_COLOR = "tab:green"
SUGGESTION_COLOR = "tab:red"


def _import_matplotlib() -> Any:
    try:
        import matplotlib
    except ImportError as error:
        raise ImportError(
            "lrfinder_tb.plot() needs matplotlib, which is not installed; install it with: "
            f"{INSTALL_HINT}. The result's numbers (result.suggestion, result.region) "
            "do not need it."
        ) from error
    return matplotlib


def _y_limits(result: LRFinderResult, headroom: float) -> tuple[float, float] | None:
    """Choose y limits that show the descent, not the diverged tail.

    The bottom is the lowest raw or smoothed loss before the diverged tail that
    the analysis found (all points when it found none). The top is the highest
    smoothed loss there, or raw loss up to the lowest smoothed loss: the
    divergence rule reacts a few batches late, so raw losses between the
    minimum and the tail may already be exploding. `headroom` times the range
    is added above. Returns None when no loss is finite.
    """
    rates = np.asarray(result.learning_rates, dtype=np.float64)
    losses = np.asarray(result.losses, dtype=np.float64)
    smoothed = np.asarray(result.smoothed_losses, dtype=np.float64)
    end = result.analyzed_points if result.analyzed_points >= 2 else losses.size
    rising_from = end
    if result.min_loss_lr is not None:
        rising_from = int(np.count_nonzero(rates[:end] <= result.min_loss_lr))

    low_candidates = np.concatenate([losses[:end], smoothed[:end]])
    high_candidates = np.concatenate([losses[:rising_from], smoothed[:end]])
    low_candidates = low_candidates[np.isfinite(low_candidates)]
    high_candidates = high_candidates[np.isfinite(high_candidates)]
    if low_candidates.size == 0 or high_candidates.size == 0:
        return None

    bottom, top = float(np.min(low_candidates)), float(np.max(high_candidates))
    span = top - bottom
    if span <= 0:
        span = max(abs(top), 1.0) * 0.1
    return bottom - Y_MARGIN * span, top + max(Y_MARGIN, headroom) * span


def plot(
    result: LRFinderResult,
    ax: Any = None,
    *,
    show_raw: bool = True,
    title: str | None = None,
) -> Any:
    """Plot loss against learning rate, with the region and the suggestion of `result`.

    The x axis is logarithmic. The raw loss of each batch is drawn faint and the
    smoothed loss bold. The region where the loss falls fastest is shaded, and
    the suggested learning rate is marked with a vertical line and its value.
    The y axis is cut above the loss before the diverged tail, so the descent
    is not flattened by the explosion at the end; the legend says so when this
    hides points. Points whose learning rate or loss cannot be drawn (NaN,
    infinite, or a rate <= 0) are left out and counted in the legend. A result
    without a suggestion shows its explanation inside the axes.

    Args:
        result: an `LRFinderResult`, from `LRFinder.result`, `find_lr` or
            `lrfinder_tb.analyze`.
        ax: a matplotlib `Axes` to draw into; None creates a new figure.
        show_raw: Bool. Draw the raw losses behind the smoothed curve.
            Defaults to `True`.
        title: the axes title; None uses "Learning-rate range test".

    Returns:
        The matplotlib `Axes` drawn into.

    Raises:
        ImportError: if matplotlib is not installed; the message names the
            package to install.
        TypeError: if `result` is not an `LRFinderResult`.

    Example:
        >>> ax = plot(finder.result)  # doctest: +SKIP
        >>> ax.figure.savefig("lr_finder.png")  # doctest: +SKIP
    """
    _import_matplotlib()
    if not isinstance(result, LRFinderResult):
        raise TypeError(
            f"plot: `result` must be an LRFinderResult (for example `finder.result`), "
            f"got {type(result).__name__}"
        )
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(8, 5))

    rates = np.asarray(result.learning_rates, dtype=np.float64)
    losses = np.asarray(result.losses, dtype=np.float64)
    smoothed = np.asarray(result.smoothed_losses, dtype=np.float64)

    # A log axis can only show finite rates > 0; the rest are counted, not drawn.
    drawable_rate = np.isfinite(rates) & (rates > 0)
    raw_drawable = drawable_rate & np.isfinite(losses)
    smoothed_drawable = drawable_rate & np.isfinite(smoothed)
    hidden_points = int(losses.size - np.count_nonzero(raw_drawable))

    if show_raw and np.any(raw_drawable):
        ax.plot(
            rates[raw_drawable],
            losses[raw_drawable],
            color=RAW_COLOR,
            alpha=0.3,
            linewidth=1.0,
            label="loss per batch",
        )
    if np.any(smoothed_drawable):
        ax.plot(
            rates[smoothed_drawable],
            smoothed[smoothed_drawable],
            color=SMOOTHED_COLOR,
            linewidth=2.2,
            label=f"smoothed (smoothing {result.smoothing:g})",
        )
    if result.region is not None:
        low, high = result.region
        ax.axvspan(
            low,
            high,
            color=REGION_COLOR,
            alpha=0.15,
            label=f"steepest descent: {low:.2g} to {high:.2g}",
        )
    if result.suggestion is not None:
        ax.axvline(
            result.suggestion,
            color=SUGGESTION_COLOR,
            linestyle="--",
            linewidth=1.5,
            label=f"suggestion: {result.suggestion:.3g} ({result.method})",
        )
        ax.annotate(
            f"{result.suggestion:.3g}",
            xy=(result.suggestion, 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(4, -4),
            textcoords="offset points",
            ha="left",
            va="top",
            color=SUGGESTION_COLOR,
            fontweight="bold",
        )

    ax.set_xscale("log")
    ax.set_xlabel("learning rate (log scale)")
    ax.set_ylabel("loss")
    ax.set_title(title if title is not None else "Learning-rate range test")
    ax.grid(True, which="major", alpha=0.3)

    explanation = result.explanation if result.suggestion is None else None
    limits = _y_limits(result, headroom=EXPLANATION_HEADROOM if explanation else Y_MARGIN)
    if limits is not None:
        ax.set_ylim(*limits)
        clipped = int(np.count_nonzero(raw_drawable & (losses > limits[1])))
        if clipped:
            # An invisible handle puts the note into the legend.
            ax.plot(
                [],
                [],
                linestyle="none",
                label=f"y axis cut at {limits[1]:.3g}: {clipped} point(s) above",
            )
    if hidden_points:
        ax.plot(
            [],
            [],
            linestyle="none",
            label=f"{hidden_points} point(s) not drawable (NaN, inf or rate <= 0)",
        )

    if explanation:
        ax.text(
            0.5,
            0.96,
            textwrap.fill(explanation, width=80),
            transform=ax.transAxes,
            ha="center",
            va="top",
            fontsize="small",
            bbox={"boxstyle": "round", "facecolor": "white", "alpha": 0.9, "edgecolor": "0.7"},
        )

    legend_title = None
    if result.stop_reason is not None:
        legend_title = f"Stopped: {STOP_REASONS.get(result.stop_reason, result.stop_reason)}."
    if ax.get_legend_handles_labels()[0]:
        # The explanation box fills the top of the axes, and "best" may still
        # choose the top when the curve runs low, so the legend goes below it.
        location = "lower left" if explanation else "best"
        ax.legend(loc=location, fontsize="small", title=legend_title, title_fontsize="small")
    return ax
