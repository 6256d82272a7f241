"""Encoding the curves route's response body: `lrfinder_tb.plugin.encode_json`."""

from __future__ import annotations

import json

import numpy as np
import pytest
from tensorboard.backend import json_util

from lrfinder_tb.plugin import encode_json


def respond_encoding(value) -> str:
    """Encode `value` the way `http_util.Respond` does for a dict."""
    return json.dumps(json_util.Cleanse(value))


def test_plain_values_as_respond_writes_them():
    value = {
        "run": '<img src=x onerror=alert(1)> Läufe über it\'s "quoted"',
        "points": 3,
        "stop_reason": None,
        "analysis": {"suggestion": 1e-3, "region": [1e-4, 1e-2], "min_loss": float("nan")},
        "flags": [True, False],
        "infinities": [float("inf"), float("-inf")],
    }

    assert json.loads(encode_json(value)) == json.loads(respond_encoding(value))
    assert encode_json(value).isascii()


def test_array_non_finite_as_strings():
    text = encode_json({"losses": np.array([1.5, np.nan, np.inf, -np.inf, 2.0])})

    assert json.loads(text) == {"losses": [1.5, "NaN", "Infinity", "-Infinity", 2.0]}


def test_array_restores_float32_exactly():
    rng = np.random.default_rng(0)
    stored = np.concatenate([np.geomspace(1e-7, 10.0, 500), rng.normal(0.0, 100.0, 500)]).astype(
        np.float32
    )

    decoded = np.array(json.loads(encode_json(stored.astype(np.float64))), dtype=np.float64)

    np.testing.assert_array_equal(decoded.astype(np.float32), stored)


def test_array_float64_nine_digits():
    values = np.array([np.pi, -1.0 / 3.0, 6.02214076e23, 1.602176634e-19])

    decoded = np.array(json.loads(encode_json(values)))

    np.testing.assert_allclose(decoded, values, rtol=1e-8)


def test_empty_array():
    assert encode_json({"x": np.array([])}) == '{"x":[]}'


def test_all_non_finite_array():
    assert json.loads(encode_json(np.full(3, np.nan))) == ["NaN", "NaN", "NaN"]


def test_two_dimensional_array_rejected():
    with pytest.raises(ValueError, match="1-D"):
        encode_json(np.ones((2, 2)))
