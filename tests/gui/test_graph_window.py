"""The Computation graph tab in the window: a parameter's history from a click, a broken run shown
on its graph, and the tab opening with the whole graph in view."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QMessageBox, QPushButton

from engine.data import lecture
from engine.diagnostics import find_breakdown
from engine.session import Session
from engine.settings import TrainSettings
from engine.spec import ModelSpec
from engine.weights import ModelWeights

TIMEOUT_MS = 60_000
EXPANDED = 1  # the Neurons combo's "Expanded (lecture)"


def show_graph_tab(window, qtbot) -> None:
    with qtbot.waitSignal(window.graph_view.graph_shown, timeout=TIMEOUT_MS):
        window.tabs.setCurrentWidget(window.graph_view)


def click_node(qtbot, view, node_id: str) -> None:
    """A real mouse click on the node, scrolled into view first."""
    center = view.canvas.node_rect(node_id).center()
    view.canvas.centerOn(center)
    with qtbot.waitSignal(view.node_selected, timeout=TIMEOUT_MS):
        qtbot.mouseClick(
            view.canvas.viewport(), Qt.MouseButton.LeftButton, pos=view.canvas.mapFromScene(center)
        )


def click_link(qtbot, browser, text: str) -> None:
    """A real mouse click on the link whose text is `text` in a QTextBrowser."""
    found = browser.document().find(text)
    assert not found.isNull(), browser.toPlainText()
    cursor = QTextCursor(found)
    cursor.setPosition(found.selectionStart() + 1)
    pos = browser.cursorRect(cursor).center() + QPoint(2, 0)
    qtbot.mouseClick(browser.viewport(), Qt.MouseButton.LeftButton, pos=pos)


def test_clicking_a_weight_follows_it_in_diagnostics_and_history_opens_it(window, qtbot):
    show_graph_tab(window, qtbot)
    view = window.graph_view
    with qtbot.waitSignal(view.graph_shown, timeout=TIMEOUT_MS):
        view.neurons_combo.setCurrentIndex(EXPANDED)  # every weight a record of its own
    graph = view.current_graph()
    weight = next(n for n in graph.nodes if n.name == "w1.2.1")
    with qtbot.waitSignal(view.parameter_selected) as picked:
        click_node(qtbot, view, weight.id)
    assert picked.args == ["w1.2.1"]
    assert window.diagnostics_view.parameter_combo.currentText() == "w1.2.1"
    assert window.tabs.currentWidget() is view  # a click only selects; the link switches
    bias = next(n for n in graph.nodes if n.name == "b2.3")
    click_node(qtbot, view, bias.id)
    assert window.diagnostics_view.parameter_combo.currentText() == "b2.3"
    assert "History ▸" in view.details.toPlainText()
    with qtbot.waitSignal(view.history_requested) as asked:
        click_link(qtbot, view.details, "History ▸")
    assert asked.args == ["b2.3"]
    assert window.tabs.currentWidget() is window.diagnostics_view
    assert window.diagnostics_view.parameter_combo.currentText() == "b2.3"


def test_a_value_that_is_no_parameter_changes_no_history(window, qtbot):
    show_graph_tab(window, qtbot)
    view = window.graph_view
    before = window.diagnostics_view.parameter_combo.currentText()
    picked = []
    view.parameter_selected.connect(picked.append)
    graph = view.current_graph()
    click_node(qtbot, view, graph.of(graph.root).id)
    assert picked == [] and window.diagnostics_view.parameter_combo.currentText() == before
    assert "History ▸" not in view.details.toPlainText()


def diverge(window, qtbot, weights: ModelWeights, settings: TrainSettings, spec: ModelSpec) -> QMessageBox:
    """Train until the run diverges; the "Training diverged" dialog."""
    assert window.apply_session(Session(lecture(), spec, settings, weights))
    window.train()
    qtbot.waitUntil(lambda: window.state == "diverged", timeout=TIMEOUT_MS)
    qtbot.waitUntil(lambda: window.findChild(QMessageBox) is not None, timeout=TIMEOUT_MS)
    return window.findChild(QMessageBox)


def show_in_graph(window, qtbot, box: QMessageBox) -> None:
    button = next(b for b in box.findChildren(QPushButton) if b.text() == "Show in graph")
    with qtbot.waitSignal(window.graph_view.graph_shown, timeout=TIMEOUT_MS):
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert window.tabs.currentWidget() is window.graph_view


def test_an_overflowing_run_opens_its_graph_on_the_sample_with_the_operand_selected(window, qtbot):
    spec = ModelSpec([4], ["tanh"], "linear")
    weights = ModelWeights.from_model(spec.build(3))
    weights.layers[-1].bias[0] = 1e200  # (out - y) ** 2 overflows on sample 1: ** makes no node
    box = diverge(window, qtbot, weights, TrainSettings(steps=5, loss="sse"), spec)
    assert "Step 1 on sample 1, forward pass" in box.text() and "overflowed" in box.text()
    show_in_graph(window, qtbot, box)
    view = window.graph_view
    assert view.sample_combo.currentData() == 0
    graph = view.current_graph()
    selected = graph.node(view.session.selected)
    assert view.highlights == {selected.id: "selected"}
    # the graph ends at the operand of the ** that could not run: out - y, that is out + -1
    assert selected.value is graph.root and selected.value.data == pytest.approx(1e200, rel=1e-6)
    assert selected.value.op == "+" and {o.name for o in graph.operands(selected)} >= {"out"}
    text = view.details.toPlainText()
    assert "Training broke here" in text and "never computed" in text and "** 2" in text
    assert 'stroke="#1f5fbf"' in view.shown_svg.decode()
    # another sample: the graph of the model as usual (this one overflows too: it cannot be drawn)
    view.set_sample(1)
    assert "cannot be computed" in view.message_label.text()


def test_a_rate_that_overflows_the_weights_selects_the_weight_in_the_graph(window, qtbot):
    spec = ModelSpec([4], ["tanh"], "linear")
    weights = ModelWeights.from_model(spec.build(3))
    weights.layers[-1].bias[0] = 1e12  # step 1 runs; step 2's update throws w2.1.1 past 1e15
    settings = TrainSettings(steps=50, loss="sse", learning_rate=100.0)
    box = diverge(window, qtbot, weights, settings, spec)
    step, found, at = window.breakdown
    assert step == 2 and found.phase == "update" and found.parameter == "w2.1.1"
    # the window's weights are those step 2 started from: replayed, they break the same way
    assert at is window._weights and at != weights
    assert find_breakdown(at.to_model(), lecture(), settings, step).reason == found.reason
    assert find_breakdown(weights.to_model(), lecture(), settings, step) is None
    show_in_graph(window, qtbot, box)
    view = window.graph_view
    selected = view.current_graph().node(view.session.selected)
    if selected.kind == "weight":
        assert selected.name == "w2.1.1"
    else:  # drawn one node per neuron: the neuron that holds it
        assert "w2.1.1" in {o.name for o in view.current_graph().operands(selected)}
    assert "update pass: w2.1.1" in view.details.toPlainText()


def test_the_graph_tab_opens_readable_at_the_output_and_fit_shows_it_whole_and_its_info_line_whole(
    window, qtbot
):
    window.resize(1366, 768)
    show_graph_tab(window, qtbot)
    canvas = window.graph_view.canvas
    graph = window.graph_view.current_graph()
    seen = canvas.mapToScene(canvas.viewport().rect()).boundingRect()
    assert canvas.zoom >= canvas.WHOLE_MIN_SCALE  # the numbers legible without zooming
    assert seen.contains(canvas.node_rect(graph.of(graph.root).id))  # where backprop starts
    window.graph_view.fit_button.click()
    seen = canvas.mapToScene(canvas.viewport().rect()).boundingRect()
    assert seen.contains(canvas.scene().sceneRect().adjusted(1, 1, -1, -1))
    first_input = next(n for n in graph.nodes if n.kind == "input")
    assert seen.contains(canvas.node_rect(first_input.id))
    label = window.graph_view.info_label
    assert label.text()
    assert label.height() >= label.sizeHint().height()
    assert label.width() >= label.fontMetrics().horizontalAdvance(max(label.text().split("\n"), key=len))
