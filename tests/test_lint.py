"""The code stays clean under ruff, with the settings in pyproject.toml."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.mark.parametrize("arguments", [["check"], ["format", "--check"]])
def test_ruff_clean(arguments):
    completed = subprocess.run(
        [sys.executable, "-m", "ruff", *arguments, "--exclude", ".venv", "."],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stdout[-4000:] + completed.stderr[-2000:]
