"""Smoke test of the callback-overhead benchmark in its quick mode."""

from __future__ import annotations

import importlib.util
import pathlib

import pytest

BENCH_PATH = pathlib.Path(__file__).resolve().parents[1] / "bench" / "callback_overhead.py"


@pytest.fixture(scope="module")
def callback_overhead():
    spec = importlib.util.spec_from_file_location("callback_overhead", BENCH_PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def quick_measurement(callback_overhead):
    return callback_overhead.main(["--quick", "--json"])


def test_quick_mode_times_every_callback(callback_overhead, quick_measurement):
    assert quick_measurement["batches"] == 20
    assert quick_measurement["runs"] == 2
    for kind in callback_overhead.KINDS:
        assert len(quick_measurement["seconds"][kind]) == 2, kind
        assert all(seconds > 0 for seconds in quick_measurement["seconds"][kind]), kind


def test_quick_mode_ratio_uses_medians(quick_measurement):
    medians = quick_measurement["median_seconds"]
    assert quick_measurement["ratio"] == pytest.approx(medians["finder"] / medians["noop"])
    assert quick_measurement["ratio_to_empty_batch_end"] == pytest.approx(
        medians["finder"] / medians["empty_batch_end"]
    )
    seconds = quick_measurement["seconds"]
    pairs = sorted(f / n for f, n in zip(seconds["finder"], seconds["noop"], strict=True))
    assert quick_measurement["median_paired_ratio"] == pytest.approx(sum(pairs) / 2)


def test_report_states_ratio_and_target(callback_overhead, quick_measurement):
    report = callback_overhead.format_report(quick_measurement)
    assert f"ratio finder / noop: {quick_measurement['ratio']:.3f} (target <= 1.05)" in report
    for kind in callback_overhead.KINDS:
        assert kind in report
    assert "load average" in report
