"""The graph's worker threads: only the newest request is answered, and shutting down leaves no thread."""

from __future__ import annotations

import threading

from PySide6.QtCore import QObject, QThread, Signal

from gui.graph.threads import Worker, WorkerThread


class Doubler(Worker):
    """Doubles a number; the first request waits until the test lets it go."""

    gate = threading.Event()
    calls: list[int] = []

    def work(self, generation: int, x: int) -> int:
        self.calls.append(x)
        if x == 1:
            self.gate.wait(10)
        return 2 * x


class Doubling(WorkerThread):
    finished = Signal(object)

    def __init__(self, parent: QObject):
        super().__init__(parent, "doubling", Doubler)

    def request(self, x: int) -> None:
        self._send(x)

    def _answered(self, answer: object) -> None:
        self.finished.emit(answer)


def test_only_the_newest_request_is_answered_and_queued_ones_are_skipped(qtbot):
    owner = QObject()
    runner = Doubling(owner)
    answers: list[int] = []
    runner.finished.connect(answers.append)
    Doubler.gate.clear()
    Doubler.calls.clear()
    runner.request(1)  # blocks the worker until the gate opens
    qtbot.waitUntil(lambda: Doubler.calls == [1])
    runner.request(2)  # queued behind 1, superseded by 3 before it runs: skipped
    runner.request(3)
    Doubler.gate.set()
    qtbot.waitUntil(lambda: answers == [6])
    assert Doubler.calls == [1, 3]  # 1's answer came and was dropped; 2 never ran
    runner.cancel()
    runner.request(4)
    runner.cancel()  # nobody waits for 4 now
    runner.request(5)
    qtbot.waitUntil(lambda: answers == [6, 10])
    thread = runner.findChild(QThread)
    assert thread is not None and thread.isRunning()
    runner.shutdown()
    runner.shutdown()  # twice is fine
    assert not thread.isRunning()
