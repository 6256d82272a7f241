"""The plugin-routes benchmark still runs: its quick mode, in-process."""

from __future__ import annotations

import importlib.util
import pathlib

BENCH_PATH = pathlib.Path(__file__).resolve().parent.parent / "bench" / "plugin_routes.py"


def load_bench():
    spec = importlib.util.spec_from_file_location("plugin_routes_bench", BENCH_PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_plugin_routes_bench_quick(capsys):
    result = load_bench().main(["--quick"])

    assert sorted(result["loaders"]) == ["fast", "python"]
    for numbers in result["loaders"].values():
        assert len(numbers["ours_seconds"]) == 2
        assert len(numbers["theirs_seconds"]) == 2
        assert len(numbers["ours_cached_seconds"]) == 2
        assert numbers["ratio"] > 0
        assert numbers["ratio_cached"] > 0
        assert numbers["ours_bytes"] > 0
    report = capsys.readouterr().out
    assert "scalars_multirun" in report
    assert "ratio" in report
