"""BlitCanvas: a hidden view draws when it is shown, not while another tab is in front."""

from matplotlib.figure import Figure
from PySide6.QtWidgets import QApplication, QTabWidget, QWidget

from gui.blit_canvas import BlitCanvas


def test_a_hidden_canvas_draws_once_when_shown(qtbot):
    tabs = QTabWidget()
    qtbot.addWidget(tabs)
    front = QWidget()
    figure = Figure()
    figure.add_subplot().plot([0, 1], [0, 1])
    canvas = BlitCanvas(figure, list, tuple, lambda: figure.bbox)
    tabs.addTab(front, "front")
    tabs.addTab(canvas, "behind")
    tabs.show()
    qtbot.waitExposed(tabs)
    draws = canvas.full_draws
    for _ in range(3):
        canvas.draw_idle()  # new data for a view the user does not see
    QApplication.processEvents()  # a draw_idle, had one been queued, runs here
    assert canvas.full_draws == draws
    tabs.setCurrentWidget(canvas)
    qtbot.waitUntil(lambda: canvas.full_draws == draws + 1)
    QApplication.processEvents()
    assert canvas.full_draws == draws + 1  # once, however many changes it missed
