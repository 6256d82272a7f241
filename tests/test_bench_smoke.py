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


def test_quick_mode_measures_both_fits(callback_overhead, capsys):
    measurement = callback_overhead.main(["--quick", "--json"])

    assert measurement["batches"] == 20
    assert len(measurement["finder_seconds"]) == measurement["runs"] == 2
    assert len(measurement["noop_seconds"]) == 2
    assert all(seconds > 0 for seconds in measurement["finder_seconds"])
    assert all(seconds > 0 for seconds in measurement["noop_seconds"])
    assert measurement["ratio"] == pytest.approx(
        measurement["finder_median_seconds"] / measurement["noop_median_seconds"]
    )
    assert '"ratio"' in capsys.readouterr().out


def test_report_names_target(callback_overhead):
    report = callback_overhead.format_report(
        {
            "batches": 100,
            "batch_size": 32,
            "runs": 5,
            "finder_seconds": [1.1] * 5,
            "noop_seconds": [1.0] * 5,
            "finder_median_seconds": 1.1,
            "noop_median_seconds": 1.0,
            "ratio": 1.1,
            "overhead_microseconds_per_batch": 1000.0,
            "target_ratio": 1.05,
            "machine": {
                "cpus": 2,
                "gpus": 0,
                "python": "3.11",
                "tensorflow": "2.21.0",
                "keras": "3.15.1",
            },
        }
    )
    assert "ratio LRFinder / no-op: 1.100 (target <= 1.05)" in report
    assert "overhead per batch: 1000 us" in report
