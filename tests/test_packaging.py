"""The wheel ships the plugin, its frontend files and the TensorBoard entry point."""

from __future__ import annotations

import configparser
import json
import os
import pathlib
import shutil
import subprocess
import sys
import zipfile

import pytest

REPO_ROOT = pathlib.Path(__file__).resolve().parent.parent
SERVED_SUFFIXES = (".js", ".css", ".html", ".svg")

# Local build products and tool folders. The wheel is built from a copy of the
# checkout without them, so the build neither reads nor writes those of the checkout.
COPY_IGNORE = shutil.ignore_patterns(
    ".git", ".venv", "node_modules", "build", "dist", "*.egg-info", "__pycache__",
    ".pytest_cache", ".ruff_cache", "test-results", "logs",
)  # fmt: skip


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> pathlib.Path:
    source = tmp_path_factory.mktemp("source") / "lrfinder-tb"
    shutil.copytree(REPO_ROOT, source, ignore=COPY_IGNORE)
    outdir = tmp_path_factory.mktemp("wheel")
    completed = subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(outdir), str(source)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, f"{completed.stdout}\n{completed.stderr}"
    (built,) = outdir.glob("lrfinder_tb-*.whl")
    return built


def wheel_names(wheel: pathlib.Path) -> set[str]:
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


@pytest.mark.slow
def test_wheel_contains_plugin_modules(wheel):
    names = wheel_names(wheel)

    for module in ("plugin.py", "downsample.py", "metadata.py", "analysis.py", "__init__.py"):
        assert f"lrfinder_tb/{module}" in names, module
    assert "lrfinder_tb/frontend/__init__.py" in names


@pytest.mark.slow
def test_wheel_contains_frontend_files(wheel):
    names = wheel_names(wheel)
    sources = sorted(
        path.name
        for path in (REPO_ROOT / "frontend").iterdir()
        if path.is_file() and path.suffix in SERVED_SUFFIXES
    )

    assert "index.js" in sources, "frontend/index.js is missing from the checkout"
    missing = [name for name in sources if f"lrfinder_tb/frontend/{name}" not in names]
    assert missing == []


@pytest.mark.slow
def test_wheel_declares_entry_point(wheel):
    with zipfile.ZipFile(wheel) as archive:
        (entry_points_name,) = [
            name for name in archive.namelist() if name.endswith(".dist-info/entry_points.txt")
        ]
        text = archive.read(entry_points_name).decode("utf-8")
    parser = configparser.ConfigParser()
    parser.read_string(text)

    assert parser["tensorboard_plugins"]["lr_finder"] == "lrfinder_tb.plugin:LRFinderPlugin"


@pytest.mark.slow
def test_frontend_served_from_zipped_wheel(wheel, tmp_path):
    # A pure-Python wheel is importable as a zip archive: importing from it
    # checks that the static route finds its files through importlib.resources
    # when they are not plain files on disk.
    script = (
        "import json, lrfinder_tb, lrfinder_tb.plugin as plugin\n"
        "content, content_type = plugin.read_static_file('index.js')\n"
        "print(json.dumps([lrfinder_tb.__file__, content_type, len(content)]))\n"
    )
    environment = dict(os.environ, PYTHONPATH=str(wheel))

    completed = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert completed.returncode == 0, completed.stderr
    module_file, content_type, size = json.loads(completed.stdout.strip().splitlines()[-1])
    assert module_file.startswith(str(wheel))
    assert content_type == "application/javascript"
    assert size == (REPO_ROOT / "frontend" / "index.js").stat().st_size
