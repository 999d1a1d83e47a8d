"""What the window tests share: a main window that answers "Yes" to "Reset training?", a
record of the threads that make fresh weights (`made_in`), and big file loads held until a
test has acted inside them (`held_file_loads`)."""

import threading

import file_load_gate
import pytest

from engine.spec import ModelSpec
from gui.panels import fresh_weights as fresh_module
from gui.window.main_window import MainWindow


def _window(qtbot):
    w = MainWindow()
    w.confirm = lambda title, question: True  # answer "Yes" to "Reset training?"
    qtbot.addWidget(w)
    w.show()
    yield w
    w.controller.shutdown()  # no thread or child may outlive the test
    w.rate_finder.cancel()


@pytest.fixture
def window(qtbot):
    yield from _window(qtbot)


@pytest.fixture
def second_window(qtbot):
    """Another window beside `window`: the same app started again, or a run to compare with."""
    yield from _window(qtbot)


@pytest.fixture
def made_in(monkeypatch) -> list[str]:
    """The names of the threads that made fresh weights."""
    threads: list[str] = []
    make = ModelSpec.fresh_weights

    def recorded(self, *args):
        threads.append(threading.current_thread().name)
        return make(self, *args)

    monkeypatch.setattr(ModelSpec, "fresh_weights", recorded)
    sliced = fresh_module._made_in_slices  # the thread's way: the same numbers, a row at a time

    def recorded_slices(*args):
        threads.append(threading.current_thread().name)
        return sliced(*args)

    monkeypatch.setattr(fresh_module, "_made_in_slices", recorded_slices)
    return threads


@pytest.fixture
def held_file_loads(monkeypatch):
    """A big file's child waits for its command until the test's action ran (tests/gui/file_load_gate.py)."""
    yield from file_load_gate.installed(monkeypatch)
