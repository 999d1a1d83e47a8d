"""How often the views redraw while training: as often as the machine can afford.

A redraw is requested after every batch of results, but done no more often than
keeps its measured cost (from the request to matplotlib's finished draw) under
`budget` of the wall clock, and never more than `max_rate` times a second: fast
machines get smooth plots, slow ones keep time for the user's clicks.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QObject, QTimer, Signal


class RedrawPacer(QObject):
    due = Signal()  # time to redraw: the window brings the visible view up to date

    def __init__(self, parent: QObject, budget: float = 0.1, max_rate: float = 4.0) -> None:
        super().__init__(parent)
        self.budget = budget
        self.max_rate = max_rate
        self.cost = 0.0  # seconds the last measured redraw took
        self._last_due = 0.0
        self._measuring_since: float | None = None
        self._timer = QTimer(self, singleShot=True)
        self._timer.timeout.connect(self._on_timer_timeout)

    def request(self) -> None:
        """Ask for a redraw; several requests before it is due make one redraw."""
        if not self._timer.isActive():
            self._timer.start(int(self.wait_before_next() * 1000))

    def wait_before_next(self) -> float:
        """Seconds from now until a redraw may be due."""
        interval = max(1.0 / self.max_rate, self.cost / self.budget)
        return max(0.0, interval - (time.perf_counter() - self._last_due))

    def watch(self, canvas) -> None:
        """Count a matplotlib canvas's finished draws as the end of a measured redraw."""
        canvas.mpl_connect("draw_event", self._on_canvas_drawn)

    def measure(self) -> None:
        """A redraw that ends in a watched canvas's draw starts now."""
        self._measuring_since = time.perf_counter()

    def _on_timer_timeout(self) -> None:
        self._last_due = time.perf_counter()
        self.due.emit()

    def _on_canvas_drawn(self, _event: object) -> None:
        if self._measuring_since is not None:
            self.cost = time.perf_counter() - self._measuring_since
            self._measuring_since = None
