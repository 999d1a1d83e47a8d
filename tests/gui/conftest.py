"""What the window tests share: a main window that answers "Yes" to "Reset training?"."""

import pytest

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
