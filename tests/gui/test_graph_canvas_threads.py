"""The graph's worker threads: only the newest request is answered, and shutting down leaves no thread."""

from __future__ import annotations

import threading

from PySide6.QtCore import QObject, Signal

from gui.graph.threads import NewestRequest


class Doubling(NewestRequest):
    """Doubles a number in its thread; a request for 1 waits until the test lets it go."""

    finished = Signal(object)

    def __init__(self, parent: QObject):
        super().__init__(parent, "doubling")
        self.gate = threading.Event()
        self.calls: list[int] = []

    def request(self, x: int) -> None:
        self._send(lambda: self._double(x))

    def _double(self, x: int) -> int:
        self.calls.append(x)
        if x == 1:
            self.gate.wait(10)
        return 2 * x

    def _answered(self, answer: object) -> None:
        self.finished.emit(answer)


def test_only_the_newest_request_is_answered_and_queued_ones_are_skipped(qtbot):
    owner = QObject()
    runner = Doubling(owner)
    answers: list[int] = []
    runner.finished.connect(answers.append)
    runner.request(1)  # blocks the worker until the gate opens
    qtbot.waitUntil(lambda: runner.calls == [1])
    runner.request(2)  # queued behind 1, superseded by 3 before it runs: skipped
    runner.request(3)
    runner.gate.set()
    qtbot.waitUntil(lambda: answers == [6])
    assert runner.calls == [1, 3]  # 1's answer came and was dropped; 2 never ran
    runner.cancel()
    runner.request(4)
    runner.cancel()  # nobody waits for 4 now
    runner.request(5)
    qtbot.waitUntil(lambda: answers == [6, 10])
    assert runner.thread_alive
    runner.shutdown()
    runner.shutdown()  # twice is fine
    assert not runner.thread_alive


def test_cancel_drops_a_request_still_waiting_and_the_answer_of_the_one_running(qtbot):
    owner = QObject()
    runner = Doubling(owner)
    answers: list[int] = []
    runner.finished.connect(answers.append)
    runner.request(1)
    qtbot.waitUntil(lambda: runner.calls == [1])
    runner.request(7)  # waiting behind 1
    runner.cancel()
    runner.gate.set()
    runner.request(8)
    qtbot.waitUntil(lambda: answers == [16])
    assert runner.calls == [1, 8]  # 7 never ran, 1's answer was dropped
    runner.shutdown()
