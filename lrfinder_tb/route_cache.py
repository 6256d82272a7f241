"""A size-bounded, thread-safe LRU cache for the plugin's routes.

TensorBoard's reload button and its auto-reload (every 30 seconds by default)
ask for every shown curve again. Analyzing a 10,000-point curve and encoding it
takes milliseconds, so 200 such runs cost seconds per reload although most of
them did not change. The plugin keys cached results by each run's data
fingerprint (the latest step and wall time of its tags, from the data
provider's listing), so a run that grows gets new keys and old ones age out.

Plain Python: TensorBoard imports this module to load the plugin.
"""

from __future__ import annotations

import collections
import threading
from collections.abc import Callable, Hashable
from typing import Any


class SizedLRUCache:
    """Keep recently used values up to a total size, evicting the least recently used.

    Args:
        max_size: the largest total size kept, in the unit `size_of` returns.
        size_of: returns the size of one value.

    Raises:
        ValueError: if `max_size` is not a positive int.

    Example:
        >>> cache = SizedLRUCache(max_size=10, size_of=len)
        >>> cache.put("a", "12345678")
        >>> cache.put("b", "1234")
        >>> cache.get("a") is None, cache.get("b")
        (True, '1234')
    """

    def __init__(self, max_size: int, size_of: Callable[[Any], int]):
        if isinstance(max_size, bool) or not isinstance(max_size, int) or max_size < 1:
            raise ValueError(f"SizedLRUCache: `max_size` must be an int >= 1, got {max_size!r}")
        self.max_size = max_size
        self._size_of = size_of
        self._values: collections.OrderedDict[Hashable, tuple[Any, int]] = collections.OrderedDict()
        self._total = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Any:
        """Return the value stored under `key` and mark it as used, or None."""
        with self._lock:
            entry = self._values.get(key)
            if entry is None:
                return None
            self._values.move_to_end(key)
            return entry[0]

    def put(self, key: Hashable, value: Any) -> None:
        """Store `value` under `key`; a value larger than `max_size` is not kept."""
        size = self._size_of(value)
        with self._lock:
            old = self._values.pop(key, None)
            if old is not None:
                self._total -= old[1]
            if size > self.max_size:
                return
            self._values[key] = (value, size)
            self._total += size
            while self._total > self.max_size:
                _, (_, evicted) = self._values.popitem(last=False)
                self._total -= evicted

    def __len__(self) -> int:
        with self._lock:
            return len(self._values)

    @property
    def total_size(self) -> int:
        """The sum of the sizes of the values kept."""
        with self._lock:
            return self._total
