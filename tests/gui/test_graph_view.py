"""The Computation graph tab: the engine's numbers on screen, layout off the GUI thread, step-through."""

from __future__ import annotations

import re
import threading
import time
import xml.etree.ElementTree as ET

import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QImage

import engine.graph
import gui.graph.pane
import gui.graph.render
import gui.views.graph_view
from engine.data import lecture, moons
from engine.graph import GraphError, drawn_size
from engine.losses import loss_function
from engine.nn import MLP
from engine.teaching import format_number
from engine.weights import LayerWeights, ModelWeights
from gui.graph.render import KIND_COLORS, grad_fills
from gui.views.graph_view import GraphView

LAYOUT_TIMEOUT_MS = 30_000


@pytest.fixture
def view(qtbot, monkeypatch) -> GraphView:
    # Most tests look at the lecture's MLP expanded (every weight a record); by default
    # Auto expands only graphs small enough to read whole (see the test of Auto below).
    monkeypatch.setattr(gui.views.graph_view, "AUTO_EXPANDED_MAX", 400)
    widget = GraphView()
    widget.resize(1100, 750)
    qtbot.addWidget(widget)
    return widget


@pytest.fixture
def layout_calls(monkeypatch) -> list[str]:
    """Every DOT text the view hands to Graphviz (the real layout still runs)."""
    calls: list[str] = []
    real = gui.graph.render.layout_svg

    def counting(dot: str, timeout: float = 10.0) -> bytes:
        calls.append(dot)
        return real(dot, timeout)

    monkeypatch.setattr(gui.graph.render, "layout_svg", counting)
    return calls


def lecture_weights(seed: int = 0) -> ModelWeights:
    return ModelWeights.from_model(MLP(3, [4, 4, 1], seed=seed))


def moons_weights() -> ModelWeights:
    return ModelWeights.from_model(MLP(2, [16, 16, 1], activation="relu", output_activation="linear", seed=0))


def show(qtbot, view: GraphView, weights: ModelWeights, dataset, loss: str = "sse") -> float:
    """set_model and wait for the graph; the seconds that took."""
    started = time.perf_counter()
    with qtbot.waitSignal(view.graph_shown, timeout=LAYOUT_TIMEOUT_MS):
        view.set_model(weights, dataset, loss)
    return time.perf_counter() - started


def relayout(qtbot, view: GraphView, change) -> None:
    with qtbot.waitSignal(view.graph_shown, timeout=LAYOUT_TIMEOUT_MS):
        change()


def parameter_grads(view: GraphView) -> dict[str, float]:
    graph = view.current_graph()
    return {n.name: n.value.grad for n in graph.nodes if n.kind in ("weight", "bias")}


def independent_backward(weights: ModelWeights, x: list[float], y: float, loss: str = "sse"):
    """The engine on its own: a fresh model from the same weights, one sample, backward()."""
    model = weights.to_model()
    out = loss_function(loss)([model(x)], [y])
    out.backward()
    return model, out


def test_lecture_graph_carries_the_engines_data_and_grads(qtbot, view):
    weights, ds = lecture_weights(), lecture()
    view.neurons_combo.setCurrentIndex(1)  # expanded, as the lecture draws it: every weight a record
    show(qtbot, view, weights, ds)
    graph = view.current_graph()
    model, loss = independent_backward(weights, ds.inputs[0], ds.targets[0])
    assert graph.root.data == loss.data and graph.root.grad == 1.0
    drawn = {n.name: n.value for n in graph.nodes if n.kind in ("weight", "bias")}
    params = model.parameters()
    assert len(drawn) == len(params) == 41
    for p in params:
        assert drawn[p.label].data == p.data
        assert drawn[p.label].grad == p.grad, p.label
    assert [n.value.data for n in graph.nodes if n.kind == "input"] == ds.inputs[0]
    svg = view.shown_svg.decode("utf-8")
    for p in params[:5] + params[-5:]:
        assert f"grad {format_number(p.grad)}" in svg
    assert f"data {format_number(loss.data)}" in svg
    assert view.message_label.isHidden()
    assert view.sample_combo.currentText() == "Sample 1 (x = 2, 3, -1 → y = 1)"
    assert view.step_next_button.isEnabled() and view.export_button.isEnabled()


def test_other_samples_and_losses_match_the_engine(qtbot, view, layout_calls):
    weights, ds = lecture_weights(3), lecture()
    show(qtbot, view, weights, ds, loss="hinge")
    with qtbot.waitSignal(view.graph_shown, timeout=LAYOUT_TIMEOUT_MS):
        view.sample_combo.setCurrentIndex(2)
    model, loss = independent_backward(weights, ds.inputs[2], ds.targets[2], loss="hinge")
    graph = view.current_graph()
    assert graph.root.data == loss.data
    assert parameter_grads(view) == {p.label: p.grad for p in model.parameters()}
    assert [n.value.data for n in graph.nodes if n.kind == "input"] == ds.inputs[2]
    # one sample's graph has the same DOT whichever the sample: the layout is reused
    assert len(layout_calls) == 1


def test_whole_loss_is_offered_for_small_datasets_only(qtbot, view):
    weights, ds = lecture_weights(), lecture()
    show(qtbot, view, weights, ds)
    assert view.sample_combo.itemText(view.sample_combo.count() - 1) == "All samples (whole loss)"
    with qtbot.waitSignal(view.graph_shown, timeout=LAYOUT_TIMEOUT_MS):
        view.set_sample(None)
    graph = view.current_graph()
    model = weights.to_model()
    total = loss_function("sse")([model(x) for x in ds.inputs], ds.targets)
    total.backward()
    assert graph.root.data == total.data
    assert parameter_grads(view) == {p.label: p.grad for p in model.parameters()}
    assert sum(n.kind == "input" for n in graph.nodes) == 12
    view.set_model(moons_weights(), moons(20), "mse")
    assert "All samples (whole loss)" not in [
        view.sample_combo.itemText(i) for i in range(view.sample_combo.count())
    ]
    assert view.sample_combo.count() == 20
    with pytest.raises(ValueError):
        view.set_sample(None)
    with pytest.raises(ValueError):
        view.set_sample(20)


def test_expanded_collapsed_and_tanh_forms_give_the_same_parameter_grads(qtbot, view):
    show(qtbot, view, lecture_weights(), lecture())
    assert view.neurons_combo.currentText() == "Auto"
    expanded = parameter_grads(view)
    ops = {n.op for n in view.current_graph().nodes}
    assert "tanh" in ops and "*" in ops and not any(op.startswith("neuron:") for op in ops)
    relayout(qtbot, view, lambda: view.neurons_combo.setCurrentIndex(2))
    collapsed_graph = view.current_graph()
    assert {n.op for n in collapsed_graph.nodes} >= {"neuron:tanh"}
    assert len(collapsed_graph) < 80
    assert parameter_grads(view) == expanded
    relayout(qtbot, view, lambda: view.neurons_combo.setCurrentIndex(1))
    relayout(qtbot, view, lambda: view.tanh_combo.setCurrentIndex(1))
    ops = {n.op for n in view.current_graph().nodes}
    assert "exp" in ops and "tanh" not in ops
    as_exp = parameter_grads(view)
    assert as_exp.keys() == expanded.keys()
    assert max(abs(as_exp[k] - expanded[k]) for k in expanded) <= 1e-12


def test_step_through_visits_every_node_once_and_ends_at_backwards_grads(qtbot, view):
    show(qtbot, view, lecture_weights(), lecture())
    graph = view.current_graph()
    backward_grads = {n.id: n.value.grad for n in graph.nodes}
    assert not view.stepping and not view.step_prev_button.isEnabled()
    visited = []
    while view.step_next_button.isEnabled():
        view.step_next_button.click()
        current = [node_id for node_id, what in view.highlights.items() if what == "current"]
        assert len(current) == 1
        node = graph.node(current[0])
        operands = {node_id for node_id, what in view.highlights.items() if what == "operand"}
        assert operands == {o.id for o in graph.operands(node)}
        assert view.step_label.text().startswith(f"step {len(visited) + 1} / {len(graph)}")
        visited.append(current[0])
        if len(visited) == 1:  # the first step: the root passes its grad to its operands only
            assert node is graph.of(graph.root)
            assert sum(n.value.grad != 0 for n in graph.nodes) <= 1 + len(operands)
    assert len(visited) == len(graph) == len(set(visited))
    assert {n.id: n.value.grad for n in graph.nodes} == backward_grads
    assert f"grad {format_number(graph.nodes[0].value.grad)}" in view.shown_svg.decode()
    assert not view.step_end_button.isEnabled()
    # back one step, then reset: step-through ends and backward()'s grads are shown again
    view.step_prev_button.click()
    assert view.step_position == len(graph) - 1
    assert [k for k, what in view.highlights.items() if what == "current"] == [visited[-2]]
    view.step_reset_button.click()
    assert not view.stepping and view.highlights == {}
    assert {n.id: n.value.grad for n in graph.nodes} == backward_grads


def test_steps_show_partial_grads_and_prev_goes_back(qtbot, view):
    show(qtbot, view, lecture_weights(), lecture())
    graph = view.current_graph()
    weight = next(n for n in graph.nodes if n.name == "w1.1.1")
    full = weight.value.grad
    assert full != 0
    for _ in range(5):
        view.step_next_button.click()
    assert view.step_position == 5
    assert weight.value.grad == 0.0  # not reached yet: its grad is the partial one, zero so far
    assert "grad 0.0000" in view.shown_svg.decode()
    fifth = next(k for k, what in view.highlights.items() if what == "current")
    view.step_next_button.click()
    view.step_prev_button.click()
    assert view.step_position == 5
    assert next(k for k, what in view.highlights.items() if what == "current") == fifth
    view.step_end_button.click()
    assert view.step_position == len(graph) and weight.value.grad == full


def test_play_runs_to_the_end_and_stops(qtbot, monkeypatch):
    monkeypatch.setattr(gui.graph.pane, "PLAY_INTERVAL_MS", 1)
    view = GraphView()
    qtbot.addWidget(view)
    show(qtbot, view, lecture_weights(), lecture())
    graph = view.current_graph()
    backward_grads = [n.value.grad for n in graph.nodes]
    view.step_play_button.click()
    assert view.step_play_button.isChecked() and view.stepping
    qtbot.waitUntil(lambda: not view.step_play_button.isChecked(), timeout=10_000)
    assert view.step_position == len(graph)
    assert [n.value.grad for n in graph.nodes] == backward_grads


def test_backward_again_doubles_the_leaf_grads(qtbot, view):
    show(qtbot, view, lecture_weights(), lecture())
    graph = view.current_graph()
    before = {n.id: n.value.grad for n in graph.nodes}
    leaves = [n for n in graph.nodes if not n.value.operands]
    view.backward_again_button.click()
    for n in graph.nodes:
        if n.kind in ("weight", "bias"):  # used once each: the same float added again is exactly 2×
            assert n.value.grad == 2 * before[n.id], n.name
        elif not n.value.operands:  # an input feeds 4 neurons: (a+b+c+d)+a+b+c+d rounds its own way
            assert n.value.grad == pytest.approx(2 * before[n.id], rel=1e-14, abs=1e-300), n.name
        else:  # backward() recomputes the nodes in between from zero
            assert n.value.grad == before[n.id], n.name
    w = next(n for n in leaves if n.name == "w1.1.1")
    assert f"grad {format_number(2 * before[w.id])}" in view.shown_svg.decode()
    assert "2×" in view.step_label.text() and view.step_reset_button.isEnabled()
    view.backward_again_button.click()
    assert all(n.value.grad == pytest.approx(3 * before[n.id], rel=1e-14) for n in leaves)
    assert all(n.value.grad == 3 * before[n.id] for n in leaves if n.kind == "weight")
    view.step_reset_button.click()
    assert {n.id: n.value.grad for n in graph.nodes} == before


def test_new_numbers_of_the_same_network_do_not_lay_out_again(qtbot, view, layout_calls):
    ds = lecture()
    show(qtbot, view, lecture_weights(0), ds)
    assert len(layout_calls) == 1
    first_svg = view.shown_svg
    for _ in range(3):
        view.step_next_button.click()
    newer = lecture_weights(7)  # same sizes and activations, other numbers
    view.set_model(newer, ds, "sse")
    assert len(layout_calls) == 1
    model, loss = independent_backward(newer, ds.inputs[0], ds.targets[0])
    graph = view.current_graph()
    assert graph.root.data == loss.data
    assert view.stepping and view.step_position == 3  # step-through goes on with the new numbers
    view.step_end_button.click()
    assert parameter_grads(view) == {p.label: p.grad for p in model.parameters()}
    assert view.shown_svg != first_svg and f"data {format_number(loss.data)}" in view.shown_svg.decode()
    # a structural change lays out again; so does another loss
    relayout(qtbot, view, lambda: view.neurons_combo.setCurrentIndex(2))
    assert len(layout_calls) == 2 and not view.stepping
    relayout(qtbot, view, lambda: view.set_model(newer, ds, "mse"))
    assert len(layout_calls) == 3
    bigger = ModelWeights.from_model(MLP(3, [5, 4, 1], seed=0))
    relayout(qtbot, view, lambda: view.set_model(bigger, ds, "mse"))
    assert len(layout_calls) == 4


def test_a_newer_layout_supersedes_an_older_one(qtbot, view, monkeypatch):
    release = threading.Event()
    calls: list[str] = []
    real = gui.graph.render.layout_svg

    def slow_first(dot: str, timeout: float = 10.0) -> bytes:
        calls.append(dot)
        if len(calls) == 1:
            release.wait(20)
        return real(dot, timeout)

    monkeypatch.setattr(gui.graph.render, "layout_svg", slow_first)
    shown: list[int] = []
    view.graph_shown.connect(lambda: shown.append(len(view.current_graph())))
    view.set_model(lecture_weights(), lecture(), "sse")  # expanded: blocked in the worker
    assert view.message_label.text() == f"Laying out {len(view.current_graph())} nodes…"
    assert not view.step_next_button.isEnabled()
    qtbot.waitUntil(lambda: len(calls) == 1)  # the GUI thread runs on meanwhile
    view.neurons_combo.setCurrentIndex(2)  # collapsed: a newer request
    collapsed = view.current_graph()
    collapsed_ids = {n.id for n in collapsed.nodes if collapsed.is_drawn(n)}
    release.set()

    def svg_ids() -> set[str]:
        return set(re.findall(r'<g id="(v\d+)" class="node"', (view.shown_svg or b"").decode()))

    # the worker answers in order: once the collapsed layout is on screen, the stale one came and went
    qtbot.waitUntil(lambda: svg_ids() == collapsed_ids, timeout=LAYOUT_TIMEOUT_MS)
    assert len(calls) == 2 and shown == [len(collapsed)] and len(collapsed_ids) < 80
    assert view.message_label.isHidden()


def test_clicking_a_node_shows_its_details(qtbot, view):
    show(qtbot, view, lecture_weights(), lecture())
    graph = view.current_graph()
    node = next(n for n in graph.nodes if n.name == "h1.2")
    rect = view.canvas.node_rect(node.id)
    assert rect is not None and rect.width() > 20
    # the record's texts, placed by dot inside graph0's translate(), lie inside that rectangle
    svg = ET.fromstring(view.shown_svg)
    ns = "{http://www.w3.org/2000/svg}"
    graph0 = svg.find(f"{ns}g")
    tx, ty = map(float, re.search(r"translate\(([-\d.]+) ([-\d.]+)\)", graph0.get("transform")).groups())
    group = next(g for g in svg.iter(f"{ns}g") if g.get("id") == node.id)
    texts = list(group.iter(f"{ns}text"))
    assert len(texts) == 3
    for t in texts:
        assert rect.contains(QPointF(float(t.get("x")) + tx, float(t.get("y")) + ty - 3)), t.text
    with qtbot.waitSignal(view.node_selected) as blocker:
        view.canvas.click_at(rect.center())
    assert blocker.args == [node.id]
    text = view.details.toPlainText()
    assert (
        "h1.2" in text and format_number(node.value.data) in text and format_number(node.value.grad) in text
    )
    operand = graph.operands(node)[0]  # n1.2, and tanh's local derivative 1 - tanh²
    assert operand.name in text and format_number(1 - node.value.data**2) in text
    assert format_number((1 - node.value.data**2) * node.value.grad) in text
    assert view.highlights == {node.id: "selected"}
    assert 'stroke="#1f5fbf"' in view.shown_svg.decode()
    # a click on the operation node picks its value; a click on empty space picks nothing
    op_rect = view.canvas.element_rect(f"{operand.id}_op")
    with qtbot.waitSignal(view.node_selected) as blocker:
        view.canvas.click_at(op_rect.center())
    assert blocker.args == [operand.id]
    assert view.canvas.click_at(QPointF(-50, -50)) is None


def test_a_mouse_click_selects_and_a_drag_does_not(qtbot, view):
    view.show()
    qtbot.waitExposed(view)
    show(qtbot, view, lecture_weights(), lecture())
    graph = view.current_graph()
    node = graph.of(graph.root)
    center = view.canvas.node_rect(node.id).center()
    view.canvas.centerOn(center)
    pos = view.canvas.mapFromScene(center)
    with qtbot.waitSignal(view.node_selected) as blocker:
        qtbot.mouseClick(view.canvas.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    assert blocker.args == [node.id]
    selected = []
    view.node_selected.connect(selected.append)
    viewport = view.canvas.viewport()
    qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, pos=pos)
    qtbot.mouseMove(viewport, pos + type(pos)(80, 0))
    qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=pos + type(pos)(80, 0))
    assert selected == []


def test_zoom_and_fit(qtbot, view):
    view.show()
    qtbot.waitExposed(view)
    show(qtbot, view, lecture_weights(), lecture())
    canvas = view.canvas
    canvas.fit()
    fitted = canvas.zoom
    whole = canvas.mapToScene(canvas.viewport().rect()).boundingRect()
    assert whole.contains(canvas.scene().sceneRect().adjusted(1, 1, -1, -1))
    canvas.zoom_by(2)
    assert canvas.zoom == pytest.approx(2 * fitted)
    qtbot.keyClick(canvas, Qt.Key.Key_0)
    assert canvas.zoom == pytest.approx(fitted)
    # number updates keep the view
    canvas.zoom_by(3)
    zoom, scroll = canvas.zoom, canvas.horizontalScrollBar().value()
    view.set_model(lecture_weights(5), lecture(), "sse")
    assert (canvas.zoom, canvas.horizontalScrollBar().value()) == (zoom, scroll)


def test_arrow_keys_step_when_the_canvas_has_focus(qtbot, view):
    show(qtbot, view, lecture_weights(), lecture())
    qtbot.keyClick(view.canvas, Qt.Key.Key_Right)
    qtbot.keyClick(view.canvas, Qt.Key.Key_Right)
    assert view.step_position == 2
    qtbot.keyClick(view.canvas, Qt.Key.Key_Left)
    assert view.step_position == 1


def test_colour_by_grad_fills_and_back(qtbot, view):
    show(qtbot, view, lecture_weights(), lecture())
    graph = view.current_graph()
    fills = grad_fills(graph)
    weight = next(n for n in graph.nodes if n.kind == "weight" and fills[n.id] != "#ffffff")

    def fill_of(node_id: str) -> str:
        root = ET.fromstring(view.shown_svg)
        group = next(g for g in root.iter("{http://www.w3.org/2000/svg}g") if g.get("id") == node_id)
        return next(e for e in group if e.tag.endswith(("path", "polygon"))).get("fill")

    assert fill_of(weight.id) == KIND_COLORS["weight"]
    view.color_check.setChecked(True)
    assert fill_of(weight.id) == fills[weight.id]
    view.color_check.setChecked(False)
    assert fill_of(weight.id) == KIND_COLORS["weight"]


def test_missing_graphviz_gives_a_message_not_a_crash(qtbot, view, monkeypatch):
    monkeypatch.setattr(gui.graph.render.shutil, "which", lambda name, *args, **kwargs: None)
    shown = []
    view.graph_shown.connect(lambda: shown.append(True))
    view.set_model(lecture_weights(), lecture(), "sse")
    text = view.message_label.text()
    assert "Graphviz" in text and "install" in text.lower() and view.message_label.isVisibleTo(view)
    assert view.current_graph() is not None  # the engine's graph is there, only the picture is not
    for widget in (
        view.step_next_button,
        view.step_play_button,
        view.step_end_button,
        view.backward_again_button,
        view.export_button,
    ):
        assert not widget.isEnabled()
    view.step_next_button.click()  # disabled: nothing happens
    assert not view.stepping and shown == [] and view.shown_svg is None
    with pytest.raises(GraphError):
        view.export("graph.svg")


def test_graphviz_errors_and_too_large_networks_give_messages(qtbot, view, monkeypatch, layout_calls):
    # Even with one node per neuron (parameters folded in) 8 x 256 tanh neurons written as exps are too many
    huge = ModelWeights.from_model(MLP(2, [256] * 8 + [1], seed=0))
    view.tanh_combo.setCurrentIndex(1)
    assert drawn_size(huge, 1, expanded=False, tanh_as_exp=True) > engine.graph.MAX_NODES
    view.set_model(huge, moons(10), "mse")
    assert "at most" in view.message_label.text() and layout_calls == []
    assert view.current_graph() is None and not view.step_next_button.isEnabled()
    view.tanh_combo.setCurrentIndex(0)
    view.set_model(lecture_weights(), moons(10), "mse")
    assert "2 inputs" in view.message_label.text() and "takes 3" in view.message_label.text()

    def timing_out(dot: str, timeout: float = 10.0) -> bytes:
        raise GraphError("Graphviz needed more than 10 s to lay out this graph")

    monkeypatch.setattr(gui.graph.render, "layout_svg", timing_out)
    view.set_model(lecture_weights(), lecture(), "sse")
    qtbot.waitUntil(lambda: "more than 10 s" in view.message_label.text(), timeout=LAYOUT_TIMEOUT_MS)
    assert not view.step_next_button.isEnabled()


def test_exports_write_valid_files(qtbot, view, tmp_path):
    show(qtbot, view, lecture_weights(), lecture())
    graph = view.current_graph()
    view.export(str(tmp_path / "g.svg"))
    view.export(str(tmp_path / "g.png"))
    view.export(str(tmp_path / "g.dot"))
    svg = (tmp_path / "g.svg").read_bytes()
    assert svg.lstrip().startswith((b"<?xml", b"<svg"))
    ET.fromstring(svg)
    assert f"grad {format_number(graph.nodes[0].value.grad)}".encode() in svg
    png = (tmp_path / "g.png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    image = QImage(str(tmp_path / "g.png"))
    size = view.canvas.renderer.defaultSize()
    assert (image.width(), image.height()) == (2 * size.width(), 2 * size.height())
    dot = (tmp_path / "g.dot").read_text()
    assert dot.startswith("digraph")
    assert (
        gui.graph.render.NUMBER_PLACEHOLDER not in dot
    )  # the exported DOT holds the numbers, not placeholders
    assert f"data {format_number(graph.root.data)}" in dot
    assert len(gui.graph.render.layout_svg(dot)) > 1000  # and Graphviz reads it
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "g.dot",
        "g.png",
        "g.svg",
    ]  # no temporary files left
    with pytest.raises(ValueError):
        view.export(str(tmp_path / "g.jpg"))


def test_moons_mlp_auto_collapses_and_timings(qtbot, view, capsys):
    lecture_seconds = show(qtbot, view, lecture_weights(), lecture())
    lecture_nodes = len(view.current_graph())
    weights, ds = moons_weights(), moons(100)
    assert drawn_size(weights, 1, expanded=True) > gui.views.graph_view.AUTO_EXPANDED_MAX
    moons_seconds = show(qtbot, view, weights, ds, loss="mse")
    graph = view.current_graph()
    assert view.neurons_combo.currentText() == "Auto"
    ops = {n.op for n in graph.nodes}
    assert ops >= {"neuron:relu", "neuron:linear"} and "relu" not in ops
    assert len(graph) <= gui.views.graph_view.AUTO_EXPANDED_MAX
    independent, loss = independent_backward(weights, ds.inputs[0], ds.targets[0], "mse")
    assert graph.root.data == loss.data
    assert parameter_grads(view) == {p.label: p.grad for p in independent.parameters()}
    assert "one node per neuron" in view.info_label.text()
    started = time.perf_counter()
    view.set_model(
        ModelWeights.from_model(MLP(2, [16, 16, 1], activation="relu", output_activation="linear", seed=4)),
        ds,
        "mse",
    )
    numbers_only = time.perf_counter() - started
    with capsys.disabled():
        print(
            f"\n[graph view] set_model → graph_shown: lecture expanded ({lecture_nodes} nodes) "
            f"{lecture_seconds * 1000:.0f} ms, moons default ({len(graph)} nodes, collapsed) "
            f"{moons_seconds * 1000:.0f} ms; moons numbers-only update {numbers_only * 1000:.0f} ms"
        )


def test_closing_while_a_layout_runs_leaves_no_thread(qtbot, qtlog):
    view = GraphView()
    qtbot.addWidget(view)
    view.set_model(moons_weights(), moons(100), "mse")
    runner = view.pane.layout_runner
    assert runner.thread_alive
    view.close()
    assert not runner.thread_alive and not view.pane.canvas.painter_alive
    assert not [r.message for r in qtlog.records if "QThread" in r.message]


def test_set_sample_and_the_combo_agree(qtbot, view):
    show(qtbot, view, lecture_weights(), lecture())
    with qtbot.waitSignal(view.graph_shown, timeout=LAYOUT_TIMEOUT_MS):
        view.set_sample(3)
    assert view.sample_combo.currentText() == "Sample 4 (x = 1, 1, -1 → y = 1)"
    graph = view.current_graph()
    assert [n.value.data for n in graph.nodes if n.kind == "input"] == lecture().inputs[3]
    # a smaller dataset keeps a sample that still exists and moves off one that does not
    two = lecture()
    two.inputs, two.targets = two.inputs[:2], two.targets[:2]
    view.set_model(lecture_weights(), two, "sse")
    assert view.sample_combo.currentText().startswith("Sample 2 ")
    assert [n.value.data for n in view.current_graph().nodes if n.kind == "input"] == two.inputs[1]


def test_layer_weights_from_hand_work_too(qtbot, view):
    weights = ModelWeights(2, [LayerWeights("tanh", [[0.5, -1.0]], [0.25])])
    show(qtbot, view, weights, moons(4), "sse")
    graph = view.current_graph()
    assert {n.name for n in graph.nodes if n.kind == "weight"} == {"w1.1.1", "w1.1.2"}


def test_auto_expands_only_graphs_small_enough_to_read_whole(qtbot, monkeypatch):
    monkeypatch.undo()  # the real default
    view = GraphView()
    qtbot.addWidget(view)
    neuron = ModelWeights.from_model(MLP(2, [1], seed=0))  # the lecture's single neuron
    show(qtbot, view, neuron, moons(10))
    assert all(view.current_graph().is_drawn(n) for n in view.current_graph().nodes)  # expanded
    show(qtbot, view, lecture_weights(), lecture())
    graph = view.current_graph()
    drawn = [n for n in graph.nodes if graph.is_drawn(n)]
    assert graph.fold_parameters and len(drawn) < 25  # one node per neuron, weights folded in


def compare(qtbot, view: GraphView) -> float:
    """Click vs PyTorch and wait for PyTorch's answer (from its own process); the largest difference."""
    with qtbot.waitSignal(view.torch_compared, timeout=60_000) as blocker:
        view.torch_button.click()
    return blocker.args[0]


def listed_grads(view: GraphView) -> dict[str, tuple[float, float]]:
    """The comparison's table: param -> (ours, PyTorch's), as listed."""
    lines = [line for line in view.details.toPlainText().splitlines() if line.strip()]
    cells = lines[lines.index("|Δ|") + 1 :]  # one cell per line after the header: param, ours, PyTorch, |Δ|
    return {cells[i]: (float(cells[i + 1]), float(cells[i + 2])) for i in range(0, len(cells), 4)}


def test_compare_with_pytorch_lists_every_parameter(qtbot, view):
    pytest.importorskip("torch")
    from engine.weights import torch_parameter_grads

    weights = lecture_weights()
    show(qtbot, view, weights, lecture())
    assert compare(qtbot, view) <= 1e-12
    text = view.details.toPlainText()
    assert "41 parameters" in text and "w1.1.1" in text and "b3.1" in text
    listed = listed_grads(view)
    x, y = lecture().inputs[0], lecture().targets[0]
    _loss, theirs = torch_parameter_grads(weights, [x], [y], "sse")  # PyTorch here, in the test
    assert [pair[1] for pair in listed.values()] == pytest.approx(theirs, rel=1e-11, abs=1e-15)
    model, _out = independent_backward(weights, x, y)
    assert [pair[0] for pair in listed.values()] == pytest.approx(
        [p.grad for p in model.parameters()], rel=1e-11, abs=1e-15
    )
    view.set_sample(None)  # the whole loss over the four samples
    assert compare(qtbot, view) <= 1e-12


def test_new_weights_reuse_the_dot_text_and_every_other_change_rebuilds_it(qtbot, view, monkeypatch):
    """Training sends new weights ten times a second: the DOT text (numbers are placeholders) is
    not built again for them, and what is kept always equals a fresh build."""
    calls: list[int] = []
    real = gui.graph.render.to_dot
    monkeypatch.setattr(
        gui.graph.render, "to_dot", lambda graph, *a, **k: calls.append(1) or real(graph, *a, **k)
    )
    ds = lecture()
    show(qtbot, view, lecture_weights(0), ds)

    def kept_is_fresh() -> bool:
        return view._dot_text == real(view.current_graph())

    built = len(calls)
    for seed in (1, 2, 3):
        view.set_model(lecture_weights(seed), ds, "sse")
    assert len(calls) == built and kept_is_fresh()
    changed = lecture()
    changed.targets[0] = -changed.targets[0]  # the drawn sample's target: a constant in the graph
    for change in (
        lambda: view.set_sample(1),
        lambda: view.set_sample(None),
        lambda: view.set_model(lecture_weights(1), changed, "sse"),
        lambda: view.set_sample(0),
        lambda: view.set_model(lecture_weights(1), changed, "mse"),
        lambda: view.tanh_combo.setCurrentIndex(1),
    ):
        built = len(calls)
        change()
        qtbot.waitUntil(lambda: not view.pane.layout_pending, timeout=LAYOUT_TIMEOUT_MS)  # laid out
        assert len(calls) > built and kept_is_fresh()
