"""BlitCanvas: a hidden view draws when it is shown, not while another tab is in front; full draws in a thread."""

import threading

import numpy as np
from matplotlib.figure import Figure
from PySide6.QtWidgets import QApplication, QTabWidget, QWidget

from gui.widgets.blit_canvas import BlitCanvas


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


def shown_canvas(qtbot, render_in_thread: bool) -> BlitCanvas:
    figure = Figure()
    axes = figure.add_subplot()
    axes.plot([0, 1, 2], [0, 1, 0.5])
    axes.set_title("a title: text to draw")
    canvas = BlitCanvas(figure, list, tuple, lambda: figure.bbox, render_in_thread=render_in_thread)
    canvas.resize(400, 300)
    qtbot.addWidget(canvas)
    canvas.show()
    qtbot.waitExposed(canvas)
    return canvas


def test_a_full_draw_asked_for_is_made_outside_the_gui_thread_and_listeners_hear_it_here(qtbot, monkeypatch):
    """The figure's full draw (40-100+ ms of text and ticks) never holds the window's thread."""
    canvas = shown_canvas(qtbot, render_in_thread=True)
    qtbot.waitUntil(lambda: canvas.full_draws >= 1 and not canvas.rendering)
    figure_draw = canvas.figure.draw
    drawn_in, heard_in = [], []
    monkeypatch.setattr(
        canvas.figure,
        "draw",
        lambda renderer: drawn_in.append(threading.get_ident()) or figure_draw(renderer),
    )
    canvas.mpl_connect("draw_event", lambda _event: heard_in.append(threading.get_ident()))
    draws = canvas.full_draws
    with qtbot.waitSignal(canvas.rendered, timeout=5000):
        canvas.draw_idle()
    assert canvas.full_draws == draws + 1
    assert drawn_in and threading.get_ident() not in drawn_in
    assert heard_in == [threading.get_ident()]


def test_a_picture_made_in_the_thread_is_the_picture_drawn_here(qtbot):
    threaded = shown_canvas(qtbot, render_in_thread=True)
    qtbot.waitUntil(lambda: threaded.full_draws >= 1 and not threaded.rendering)
    here = shown_canvas(qtbot, render_in_thread=False)
    here.draw()
    assert threaded.get_width_height(physical=True) == here.get_width_height(physical=True)
    assert np.array_equal(np.asarray(threaded.buffer_rgba()), np.asarray(here.buffer_rgba()))


def test_a_resize_while_the_thread_draws_waits_for_it_then_draws_at_the_new_size(qtbot):
    canvas = shown_canvas(qtbot, render_in_thread=True)
    qtbot.waitUntil(lambda: canvas.full_draws >= 1 and not canvas.rendering)
    canvas.draw_idle()
    qtbot.waitUntil(lambda: canvas.rendering)
    size = canvas.figure.get_size_inches().copy()
    canvas.resize(300, 200)
    if canvas.rendering:  # the figure keeps its size under the thread
        assert (canvas.figure.get_size_inches() == size).all()
    qtbot.waitUntil(lambda: not canvas.rendering and canvas.get_width_height()[0] == 300)
    qtbot.waitUntil(lambda: not canvas.rendering and canvas.renderer.width == 300 * canvas.device_pixel_ratio)


def test_a_draw_asked_for_just_before_the_canvas_is_deleted_is_dropped(qtbot):
    """Closing a window while it trains deletes its canvases with a draw still queued (seen in CI)."""
    import shiboken6

    figure = Figure()
    figure.add_subplot().plot([0, 1], [1, 0])
    canvas = BlitCanvas(figure, list, tuple, lambda: figure.bbox, render_in_thread=True)
    canvas.resize(300, 200)
    canvas.show()
    qtbot.waitExposed(canvas)
    qtbot.waitUntil(lambda: canvas.full_draws >= 1 and not canvas.rendering)
    canvas.draw_idle()  # queued for the next pass of the event loop
    shiboken6.delete(canvas)
    for _ in range(5):
        QApplication.processEvents()  # an exception here fails the test (pytest-qt catches it)
