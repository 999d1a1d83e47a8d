"""A new graph opens legible: whole when it fits at a readable scale, else at that scale at its output."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from engine.data import lecture
from engine.nn import MLP
from engine.weights import ModelWeights
from gui.graph.canvas import SvgGraphCanvas
from gui.views.expression_view import ExpressionView
from gui.views.graph_view import GraphView

LAYOUT_TIMEOUT_MS = 30_000


def visible_rect(canvas: SvgGraphCanvas):
    return canvas.mapToScene(canvas.viewport().rect()).boundingRect()


@pytest.fixture
def laptop_graph(qtbot) -> GraphView:
    """The lecture's MLP graph in the size the tab has in a window fitted to 1366x768."""
    view = GraphView()
    view.resize(940, 600)
    qtbot.addWidget(view)
    view.show()
    qtbot.waitExposed(view)
    with qtbot.waitSignal(view.graph_shown, timeout=LAYOUT_TIMEOUT_MS):
        view.set_model(ModelWeights.from_model(MLP(3, [4, 4, 1], seed=0)), lecture(), "sse")
    return view


def output_rect(view: GraphView):
    graph = view.current_graph()
    return view.canvas.node_rect(graph.of(graph.root).id)


def test_a_graph_too_wide_to_read_whole_opens_readable_at_its_output(laptop_graph):
    canvas = laptop_graph.canvas
    assert canvas.zoom == pytest.approx(SvgGraphCanvas.OPEN_SCALE)
    assert not canvas.shows_whole_graph  # the rest is a scroll away
    assert visible_rect(canvas).contains(output_rect(laptop_graph))  # where backprop starts


def test_fit_still_shows_the_whole_graph_and_another_network_opens_readable_again(qtbot, laptop_graph):
    canvas = laptop_graph.canvas
    laptop_graph.fit_button.click()
    assert canvas.shows_whole_graph
    assert canvas.zoom < SvgGraphCanvas.WHOLE_MIN_SCALE
    qtbot.keyClick(canvas, Qt.Key.Key_Plus)
    with qtbot.waitSignal(laptop_graph.graph_shown, timeout=LAYOUT_TIMEOUT_MS):
        laptop_graph.set_model(ModelWeights.from_model(MLP(3, [5, 4, 1], seed=0)), lecture(), "sse")
    assert canvas.zoom == pytest.approx(SvgGraphCanvas.OPEN_SCALE)


def test_a_resize_keeps_the_opening_view_legible(qtbot, laptop_graph):
    canvas = laptop_graph.canvas
    before = canvas.viewport().size()
    laptop_graph.resize(laptop_graph.width() + 200, laptop_graph.height() - 100)
    qtbot.waitUntil(lambda: canvas.viewport().size() != before)
    assert canvas.zoom == pytest.approx(SvgGraphCanvas.OPEN_SCALE)
    assert visible_rect(canvas).contains(output_rect(laptop_graph))


def test_a_small_expression_still_opens_whole(qtbot):
    view = ExpressionView()
    view.resize(1000, 700)
    qtbot.addWidget(view)
    view.show()
    qtbot.waitExposed(view)
    with qtbot.waitSignal(view.graph_shown, timeout=LAYOUT_TIMEOUT_MS):
        view.set_example(0)  # the lecture's first: (a*b + c)*f
    canvas = view.pane.canvas
    assert canvas.shows_whole_graph
    assert canvas.zoom >= SvgGraphCanvas.WHOLE_MIN_SCALE


def test_a_hint_says_the_graph_goes_on_until_the_user_moves_the_view(qtbot, laptop_graph):
    canvas = laptop_graph.canvas
    assert canvas.part_hint.isVisible() and "Fit" in canvas.part_hint.text()
    canvas.zoom_by(0.9)  # the user takes over: the hint has said its piece
    assert not canvas.part_hint.isVisible()
    laptop_graph.fit_button.click()
    assert not canvas.part_hint.isVisible()


def test_a_backprop_step_that_scrolls_away_from_the_output_takes_the_hint_and_keeps_its_view(
    qtbot, laptop_graph
):
    canvas = laptop_graph.canvas
    for _ in range(4):  # past the output end, into the network
        laptop_graph.step_next_button.click()
    qtbot.waitUntil(lambda: not canvas.part_hint.isVisible())
    scroll, before = canvas.horizontalScrollBar().value(), canvas.viewport().size()
    laptop_graph.resize(laptop_graph.width(), laptop_graph.height() - 40)
    qtbot.waitUntil(lambda: canvas.viewport().size() != before)
    assert canvas.horizontalScrollBar().value() == scroll  # not back at the output
