"""The plugin's result cache: `lrfinder_tb.route_cache.SizedLRUCache`."""

from __future__ import annotations

import threading

import pytest

from lrfinder_tb.route_cache import SizedLRUCache


def test_evicts_least_recently_used():
    cache = SizedLRUCache(max_size=10, size_of=len)
    cache.put("a", "1234")
    cache.put("b", "1234")
    assert cache.get("a") == "1234"

    cache.put("c", "1234")

    assert cache.get("b") is None
    assert cache.get("a") == "1234"
    assert cache.get("c") == "1234"
    assert cache.total_size == 8


def test_replacing_a_key_updates_the_size():
    cache = SizedLRUCache(max_size=10, size_of=len)
    cache.put("a", "12345678")
    cache.put("a", "12")

    assert cache.total_size == 2
    assert len(cache) == 1


def test_value_larger_than_bound_not_kept():
    cache = SizedLRUCache(max_size=4, size_of=len)
    cache.put("a", "12")
    cache.put("b", "12345")

    assert cache.get("b") is None
    assert cache.get("a") == "12"


@pytest.mark.parametrize("max_size", [0, -1, 1.5, True, None])
def test_bad_bound_rejected(max_size):
    with pytest.raises(ValueError, match=r"SizedLRUCache: `max_size`.*" + repr(max_size)):
        SizedLRUCache(max_size=max_size, size_of=len)


def test_concurrent_use_keeps_the_bound():
    cache = SizedLRUCache(max_size=100, size_of=len)

    def work(offset):
        for index in range(2000):
            cache.put((offset, index % 50), "x" * (index % 7 + 1))
            cache.get((offset, (index * 3) % 50))

    threads = [threading.Thread(target=work, args=(offset,)) for offset in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert cache.total_size <= 100
    assert cache.total_size == sum(len(cache.get(key) or "") for key in list(cache._values))
