"""The one timing helper the small benchmarks share: the median of a few runs of an action."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def median_ms(action: Callable[[], object], repeats: int) -> float:
    """The median wall time of `repeats` calls of `action`, in milliseconds (the median shrugs off a noisy neighbour)."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3
