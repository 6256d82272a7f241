"""Run the frontend's JavaScript unit tests (`node --test frontend/test/`)."""

from __future__ import annotations

import pathlib
import shutil
import subprocess

from conftest import require_component

ROOT = pathlib.Path(__file__).resolve().parent.parent


def test_frontend_node_tests_pass():
    node = shutil.which("node")
    require_component("node", node is not None, "apt-get install -y nodejs")

    completed = subprocess.run(
        [node, "--test", "frontend/test/"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )

    output = f"stdout:\n{completed.stdout}\nstderr:\n{completed.stderr}"
    assert completed.returncode == 0, f"node --test failed:\n{output}"
    assert "# fail 0" in completed.stdout, output
