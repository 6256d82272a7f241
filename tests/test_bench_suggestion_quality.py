"""Tests of the suggestion-quality benchmark: its quick mode, cache, scoring and report."""

from __future__ import annotations

import importlib.util
import json
import math
import pathlib
import sys

import pytest

BENCH_PATH = pathlib.Path(__file__).resolve().parents[1] / "bench" / "suggestion_quality.py"

OTHER_SECTION = "## Callback overhead\n\nSomeone else's numbers.\n"


@pytest.fixture(scope="module")
def suggestion_quality():
    spec = importlib.util.spec_from_file_location("suggestion_quality", BENCH_PATH)
    module = importlib.util.module_from_spec(spec)
    # dataclasses resolve the module's string annotations through sys.modules.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def quick_run(suggestion_quality, tmp_path_factory):
    """Run the quick mode twice on one cache; return the two reports and the document."""
    directory = tmp_path_factory.mktemp("suggestion_quality")
    doc = directory / "benchmarks.md"
    doc.write_text(f"# Benchmarks\n\n{OTHER_SECTION}")
    arguments = ["--quick", "--cache-dir", str(directory / "cache"), "--doc", str(doc)]

    first_json, second_json = directory / "first.json", directory / "second.json"
    assert suggestion_quality.main([*arguments, "--json", str(first_json)]) == 0
    assert suggestion_quality.main([*arguments, "--json", str(second_json)]) == 0
    return json.loads(first_json.read_text()), json.loads(second_json.read_text()), doc


def test_quick_mode_scores_every_rule(suggestion_quality, quick_run):
    report, _, _ = quick_run
    task = report["tasks"][suggestion_quality.QUICK_TASK]

    assert set(task["rules"]) == set(suggestion_quality.RULES)
    assert len(task["grid_mean_val_loss"]) == 3
    assert math.isfinite(task["best_val_loss"])
    assert task["curve_points"][0] >= 10
    for name, rule in task["rules"].items():
        assert len(rule["suggestions"]) == 1, name
        assert rule["regret"] > 0, name
    assert report["trainings_run"] > 0


def test_second_run_trains_nothing(quick_run):
    first, second, _ = quick_run
    assert second["trainings_run"] == 0
    assert second["trainings_cached"] == first["trainings_run"] + first["trainings_cached"]
    assert second["summary"] == first["summary"]


def test_quick_mode_rewrites_only_its_section(suggestion_quality, quick_run):
    _, _, doc = quick_run
    text = doc.read_text()

    assert OTHER_SECTION in text
    assert text.count(suggestion_quality.BEGIN_MARKER) == 1
    assert text.count(suggestion_quality.END_MARKER) == 1
    section = text.split(suggestion_quality.BEGIN_MARKER)[1].split(suggestion_quality.END_MARKER)[0]
    for rule in suggestion_quality.RULES:
        assert f"| {rule} |" in section
    assert "--quick" in section
    assert "TensorFlow 2." in section


def test_write_section_replaces_between_markers(suggestion_quality, tmp_path):
    doc = tmp_path / "benchmarks.md"
    doc.write_text(
        "# Benchmarks\n\n## Suggestion quality\n\n"
        f"{suggestion_quality.BEGIN_MARKER}\nold table\n{suggestion_quality.END_MARKER}\n\n"
        f"{OTHER_SECTION}"
    )
    suggestion_quality.write_section(doc, "new table\n")
    text = doc.read_text()

    assert "old table" not in text
    assert "new table" in text
    assert text.endswith(OTHER_SECTION)
    assert text.count("## Suggestion quality") == 1


def test_write_section_appends_when_missing(suggestion_quality, tmp_path):
    doc = tmp_path / "benchmarks.md"
    doc.write_text(f"# Benchmarks\n\n{OTHER_SECTION}")
    suggestion_quality.write_section(doc, "table\n")
    text = doc.read_text()

    assert text.startswith(f"# Benchmarks\n\n{OTHER_SECTION}")
    assert "## Suggestion quality" in text
    assert text.rstrip().endswith(suggestion_quality.END_MARKER)


def test_failed_seed_makes_mean_infinite(suggestion_quality):
    assert suggestion_quality._mean([0.5, math.inf, 0.4]) == math.inf
    assert suggestion_quality._mean([0.5, 0.3]) == pytest.approx(0.4)


def test_grid_has_three_rates_per_decade(suggestion_quality):
    rates = suggestion_quality.grid_rates()
    assert rates[0] == pytest.approx(1e-5)
    assert rates[-1] == pytest.approx(1.0)
    assert len(rates) == 16
    assert rates[3] == pytest.approx(1e-4)
