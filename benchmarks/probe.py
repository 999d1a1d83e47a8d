"""What the benchmarks of the window measure with: a timer in the GUI thread that records how late it fires.

A 10 ms QTimer that fires late by d ms means the GUI thread was busy for d ms: a freeze the
user sees. `Probe.measure` runs an action under it and returns the delays (wall clock) and
the GUI thread's own CPU time per tick (what other processes take is not counted).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QElapsedTimer, QEventLoop, Qt, QTimer

PROBE_MS = 10
SETTLE_MS = 500  # after an action's work is done: anything it left queued shows up here


class Delays(list):
    """How late each tick came (ms), and in `cpu` the GUI thread's CPU time (ms) before each."""

    def __init__(self, delays: list[float], cpu: list[float]) -> None:
        super().__init__(delays)
        self.cpu = cpu


@dataclass
class Row:
    action: str
    delays: list[float]
    seconds: float  # from the action to its work being done
    note: str = ""

    @property
    def worst(self) -> float:
        return max(self.delays, default=0.0)

    @property
    def cpu_worst(self) -> float:
        return max(getattr(self.delays, "cpu", []), default=0.0)

    @property
    def p99(self) -> float:
        ordered = sorted(self.delays)
        return ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))] if ordered else 0.0


class Probe:
    """A timer every PROBE_MS in the GUI thread; each tick records how late it came."""

    def __init__(self) -> None:
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(PROBE_MS)
        self.timer.timeout.connect(self._tick)
        self.clock = QElapsedTimer()
        self.delays: list[float] = []
        self.cpu: list[float] = []
        self.last_cpu = 0.0

    def _tick(self) -> None:
        self.delays.append(max(0.0, self.clock.restart() - PROBE_MS))
        now = time.thread_time()
        self.cpu.append((now - self.last_cpu) * 1000)
        self.last_cpu = now

    def measure(
        self,
        action: Callable[[], object],
        done: Callable[[], bool] = lambda: True,
        settle_ms: int = SETTLE_MS,
        timeout_s: float = 120.0,
    ) -> tuple[Delays, float]:
        """Run `action` inside the event loop; probe until `done()` and SETTLE_MS more. (delays, seconds)"""
        loop = QEventLoop()
        start = time.perf_counter()
        finished_at: list[float] = []

        def check() -> None:
            if finished_at:
                return
            if done() or time.perf_counter() - start > timeout_s:
                finished_at.append(time.perf_counter())
                checker.stop()
                QTimer.singleShot(settle_ms, loop.quit)

        checker = QTimer()
        checker.setInterval(5)
        checker.timeout.connect(check)
        self.delays, self.cpu = [], []
        self.last_cpu = time.thread_time()
        self.clock.start()
        self.timer.start()
        QTimer.singleShot(0, action)
        checker.start()
        loop.exec()
        self.timer.stop()
        return Delays(self.delays, self.cpu), finished_at[0] - start


def wait(ms: int) -> None:
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def wait_until(condition: Callable[[], bool], timeout_s: float = 120.0) -> None:
    start = time.perf_counter()
    while not condition() and time.perf_counter() - start < timeout_s:
        wait(10)


FLOAT_LOOP = "x = 0.0\nfor i in range(10_000_000):\n    x += 1.0\n"  # at module level, as `python -c` runs it


def float_loop_seconds() -> float:
    """CPU seconds of FLOAT_LOOP, best of three (CPU time: what other processes take is not counted)."""
    code = compile(FLOAT_LOOP, "<float loop>", "exec")
    times = []
    for _ in range(3):
        start = time.thread_time()
        exec(code, {})
        times.append(time.thread_time() - start)
    return min(times)
