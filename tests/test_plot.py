"""`lrfinder_tb.plot()`: what it draws, and the package without matplotlib."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

import matplotlib.figure  # noqa: E402
import matplotlib.lines  # noqa: E402
import matplotlib.patches  # noqa: E402

from lrfinder_tb import analyze  # noqa: E402
from lrfinder_tb.plotting import plot  # noqa: E402


def descent_then_divergence() -> tuple[np.ndarray, np.ndarray]:
    """A noisy loss that falls around 1e-2 and explodes past 1."""
    rates = np.geomspace(1e-6, 10.0, 100)
    noise = np.random.default_rng(0).normal(0.0, 0.02, rates.size)
    losses = 0.3 + 2.0 / (1.0 + (rates / 1e-2) ** 2) + noise
    losses = np.where(rates > 1.0, losses + rates**3 - 1.0, losses)
    return rates, losses


@pytest.fixture
def result():
    rates, losses = descent_then_divergence()
    found = analyze(rates, losses, stop_reason="diverged")
    assert found.suggestion is not None
    assert found.region is not None
    return found


def new_axes():
    return matplotlib.figure.Figure(figsize=(8, 5)).add_subplot()


def legend_texts(ax) -> list[str]:
    return [text.get_text() for text in ax.get_legend().get_texts()]


def test_plot_draws_curves_on_log_axis(result):
    ax = plot(result, new_axes())
    assert ax.get_xscale() == "log"
    lines = [line for line in ax.get_lines() if len(line.get_xdata()) > 2]
    labels = sorted(line.get_label() for line in lines)
    assert labels == ["loss per batch", "smoothed (smoothing 0.98)"]

    raw = next(line for line in lines if line.get_label() == "loss per batch")
    smoothed = next(line for line in lines if line.get_label().startswith("smoothed"))
    assert raw.get_alpha() < 1.0
    assert smoothed.get_linewidth() > raw.get_linewidth()
    np.testing.assert_array_equal(raw.get_xdata(), result.learning_rates)
    np.testing.assert_array_equal(raw.get_ydata(), result.losses)


def test_plot_shades_region(result):
    ax = plot(result, new_axes())
    patches = [patch for patch in ax.patches if "steepest descent" in patch.get_label()]
    assert len(patches) == 1
    # axvspan returns a Rectangle in data coordinates along x.
    region = patches[0]
    assert isinstance(region, matplotlib.patches.Rectangle)
    assert region.get_x() == pytest.approx(result.region[0])
    assert region.get_x() + region.get_width() == pytest.approx(result.region[1])


def test_plot_marks_suggestion(result):
    ax = plot(result, new_axes())
    marks = [line for line in ax.get_lines() if line.get_label().startswith("suggestion")]
    assert len(marks) == 1
    assert list(marks[0].get_xdata()) == [result.suggestion, result.suggestion]
    assert f"{result.suggestion:.3g}" in marks[0].get_label()
    assert any(text.get_text() == f"{result.suggestion:.3g}" for text in ax.texts)


def test_plot_cuts_diverged_tail(result):
    ax = plot(result, new_axes())
    bottom, top = ax.get_ylim()
    assert top < np.max(result.losses)
    assert top > np.max(result.losses[:10])
    assert bottom < np.min(result.losses[: result.analyzed_points])
    assert any(text.startswith("y axis cut at") for text in legend_texts(ax))


def test_plot_shows_stop_reason(result):
    ax = plot(result, new_axes())
    assert ax.get_legend().get_title().get_text() == "Stopped: the smoothed loss diverged."


def test_plot_without_suggestion_shows_explanation():
    rates = np.geomspace(1e-5, 1.0, 60)
    losses = 2.0 + np.random.default_rng(1).normal(0.0, 0.01, rates.size)
    flat = analyze(rates, losses)
    assert flat.suggestion is None
    assert flat.explanation

    ax = plot(flat, new_axes())
    shown = [" ".join(text.get_text().split()) for text in ax.texts]
    assert flat.explanation in shown
    assert not [line for line in ax.get_lines() if line.get_label().startswith("suggestion")]
    assert not [patch for patch in ax.patches if "steepest descent" in patch.get_label()]


def test_plot_counts_points_it_cannot_draw():
    rates, losses = descent_then_divergence()
    losses = losses.copy()
    losses[90:] = np.nan
    ax = plot(analyze(rates, losses), new_axes())
    assert any(text.startswith("10 point(s)") for text in legend_texts(ax))


def test_plot_title_and_raw_toggle(result):
    ax = plot(result, new_axes(), show_raw=False, title="adam, batch 32")
    assert ax.get_title() == "adam, batch 32"
    assert not [line for line in ax.get_lines() if line.get_label() == "loss per batch"]


def test_plot_rejects_other_types():
    with pytest.raises(TypeError, match="LRFinderResult"):
        plot({"suggestion": 0.01}, new_axes())


def test_plot_writes_png(result, tmp_path):
    import matplotlib.pyplot as plt

    ax = plot(result)
    path = tmp_path / "lr_finder.png"
    ax.figure.savefig(path, dpi=80)
    plt.close(ax.figure)
    data = path.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(data) > 10_000


def test_plot_of_empty_result():
    ax = plot(analyze([], []), new_axes())
    assert ax.get_xscale() == "log"
    assert any("no points" in text.get_text() for text in ax.texts)


def test_package_works_without_matplotlib():
    script = textwrap.dedent(
        """
        import sys

        class BlockMatplotlib:
            def find_spec(self, name, path=None, target=None):
                if name == "matplotlib" or name.startswith("matplotlib."):
                    raise ImportError(f"No module named {name!r} (blocked by the test)")
                return None

        sys.meta_path.insert(0, BlockMatplotlib())

        import numpy as np
        import lrfinder_tb

        rates = np.geomspace(1e-6, 1.0, 80)
        result = lrfinder_tb.analyze(rates, 0.3 + 2.0 / (1.0 + (rates / 1e-2) ** 2))
        print("suggestion", result.suggestion)
        try:
            lrfinder_tb.plot(result)
        except ImportError as error:
            print("ImportError", error)
        else:
            print("no error")
        """
    )
    completed = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert completed.returncode == 0, completed.stderr
    lines = completed.stdout.splitlines()
    suggestion = float(lines[0].split()[1])
    assert 1e-3 < suggestion < 1e-1
    assert lines[1].startswith("ImportError")
    assert "matplotlib" in lines[1]
    assert "pip install matplotlib" in lines[1]
    assert 'pip install "lrfinder-tb[plot]"' in lines[1]


def test_package_plot_stays_callable(result):
    # The function lives in lrfinder_tb.plotting, so importing that module does
    # not rebind the package attribute `plot` to a module.
    import lrfinder_tb
    import lrfinder_tb.plotting  # noqa: F401

    assert callable(lrfinder_tb.plot)
    assert lrfinder_tb.plot is lrfinder_tb.plotting.plot
