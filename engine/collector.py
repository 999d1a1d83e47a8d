"""Python's cycle collector paused while many short-lived objects are made that form no cycles.

Tracing a step into a compiled program makes tens of thousands of Values, and parsing a
large SVG tens of thousands of elements; neither makes reference cycles, yet the collector
would walk them all, again and again, while they are made: a fifth of a large compile's
time, and in the window a full collection that holds the interpreter for ~70 ms (a freeze,
whichever thread runs it). Usable as `with collector_paused():` or as a decorator.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """The cycle collector off meanwhile, then back as it was (on or off), errors included."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
