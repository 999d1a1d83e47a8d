from PySide6.QtCore import QObject

from gui.window.redraw_pacer import RedrawPacer


def test_requests_before_the_redraw_is_due_make_one_redraw(qtbot):
    owner = QObject()
    pacer = RedrawPacer(owner)
    dues = []
    pacer.due.connect(lambda: dues.append(1))
    with qtbot.waitSignal(pacer.due, timeout=2000):
        for _ in range(5):
            pacer.request()
    qtbot.wait(50)
    assert dues == [1]


def test_an_expensive_redraw_waits_for_its_budget_and_a_cheap_one_for_the_rate_limit(qtbot):
    owner = QObject()
    pacer = RedrawPacer(owner, budget=0.1, max_rate=4.0)
    with qtbot.waitSignal(pacer.due, timeout=2000):
        pacer.request()
    assert 0.2 < pacer.wait_before_next() <= 0.25  # cheap: at most 4 per second
    pacer.cost = 1.0  # a redraw that took a second may only come every 10 s
    assert 9.5 < pacer.wait_before_next() <= 10.0


def test_the_cost_is_measured_from_the_request_to_the_canvas_draw(qtbot):
    from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
    from matplotlib.figure import Figure

    owner = QObject()
    pacer = RedrawPacer(owner)
    canvas = FigureCanvasQTAgg(Figure())
    pacer.watch(canvas)
    canvas.draw()  # not measured: no redraw of ours had started
    assert pacer.cost == 0.0
    pacer.measure()
    canvas.draw()
    assert pacer.cost > 0.0
