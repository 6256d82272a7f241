"""lrfinder-tb: a learning-rate range test for Keras, shown in TensorBoard.

The callback and `find_lr` need TensorFlow and are imported lazily, so that
`import lrfinder_tb.analysis` (and TensorBoard loading the plugin) works in an
environment without TensorFlow.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lrfinder_tb.analysis import LRFinderResult, analyze

__version__ = "0.1.0"

__all__ = ["LRFinder", "LRFinderResult", "analyze", "find_lr", "plot", "__version__"]

if TYPE_CHECKING:
    from lrfinder_tb.callback import LRFinder
    from lrfinder_tb.find import find_lr
    from lrfinder_tb.plotting import plot

_LAZY = {
    "LRFinder": ("lrfinder_tb.callback", "LRFinder"),
    "find_lr": ("lrfinder_tb.find", "find_lr"),
    "plot": ("lrfinder_tb.plotting", "plot"),
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        module_name, attribute = _LAZY[name]
        return getattr(importlib.import_module(module_name), attribute)
    raise AttributeError(f"module 'lrfinder_tb' has no attribute {name!r}")
