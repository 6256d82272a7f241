"""Shared fixtures and helpers for the test suite."""

from __future__ import annotations

import os
import shutil
import socket

import pytest

# Tests that need a component (Chromium, node, the TensorBoard data server) may
# be skipped on a developer machine without it, never in CI.
IN_CI = os.environ.get("CI", "").lower() == "true"


def require_component(name: str, available: bool, how_to_install: str) -> None:
    """Skip the calling test when `name` is missing, or fail when running in CI."""
    if available:
        return
    message = f"{name} is not available; install it with: {how_to_install}"
    if IN_CI:
        pytest.fail(f"{message} (CI=true, so this test may not be skipped)")
    pytest.skip(message)


def chromium_path() -> str | None:
    """Return the path of Debian's Chromium, or None."""
    for candidate in ("/usr/bin/chromium", shutil.which("chromium") or ""):
        if candidate and os.path.exists(candidate):
            return candidate
    return None


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
