"""Backprop by hand on the drawn graph, in the window: click a node, type its grad in the box at it.

Both graph tabs. Right answers (the test's own, from the engine) are accepted and drawn, wrong
ones refused with their operation's hint, the `a + a` node refuses one contribution alone.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, Qt

from engine import graph as graph_engine
from engine.expression import evaluate
from gui.graph import exercise_mode

TIMEOUT_MS = 60_000
EXPANDED = 1  # the Neurons combo's "Expanded (lecture)"


def show_expression(window, qtbot, index: int):
    view = window.expression_view
    window.tabs.setCurrentWidget(view)
    with qtbot.waitSignal(view.graph_shown, timeout=TIMEOUT_MS):
        view.set_example(index)
    return view


def show_graph_tab(window, qtbot):
    view = window.graph_view
    with qtbot.waitSignal(view.graph_shown, timeout=TIMEOUT_MS):
        window.tabs.setCurrentWidget(view)
    return view


def click_node(qtbot, view, node_id: str) -> None:
    """A real mouse click on the node's record, scrolled into view first."""
    canvas = view.pane.canvas
    center = canvas.node_rect(node_id).center()
    canvas.centerOn(center)
    qtbot.mouseClick(canvas.viewport(), Qt.MouseButton.LeftButton, pos=canvas.mapFromScene(center))


def type_answer(qtbot, view, text: str) -> None:
    edit = view.exercise.popup.answer_edit
    assert edit.isVisible(), view.exercise.popup.question_label.text()
    edit.clear()
    qtbot.keyClicks(edit, text)
    qtbot.keyClick(edit, Qt.Key.Key_Return)


def node_named(view, name: str):
    graph = view.current_graph()
    return next(n for n in graph.nodes if n.name == name)


def drawn_grad(view, node) -> str:
    """The record's grad text as drawn in the SVG on screen."""
    svg = view.pane.svg_graph
    values, template = svg._values, svg.template
    grad_at = next(g for node_id, _d, g in template.text_slots if node_id == node.id)
    return values[grad_at]


def test_on_the_expression_tab_answers_are_typed_at_their_node(window, qtbot):
    view = show_expression(window, qtbot, 0)  # L = (a·b + c)·f, a=2 b=-3 c=10 f=-2
    mode = view.exercise
    mode.toggle_button.click()
    graph = view.current_graph()
    root = graph.of(graph.root)
    assert all(drawn_grad(view, n) == "grad ?" for n in graph.nodes)
    assert not view.results_table.isVisible()  # it would give every grad away
    assert not view.step_next_button.isEnabled()  # the learner is the one stepping

    f = node_named(view, "f")
    click_node(qtbot, view, f.id)  # too early: the output's grad comes first
    assert (
        "not yet" in mode.popup.question_label.text()
        and "First the grad of out" in mode.popup.hint_label.text()
    )

    click_node(qtbot, view, root.id)
    popup = mode.popup
    # the box is at its node: its notch within the node's record, horizontally
    node_on_screen = view.pane.canvas.mapFromScene(view.pane.canvas.node_rect(root.id)).boundingRect()
    notch = popup.pos().x() + popup.notch_x
    assert node_on_screen.left() <= notch <= node_on_screen.right()
    type_answer(qtbot, view, "2")
    assert "∂out/∂out" in popup.hint_label.text()
    type_answer(qtbot, view, "1")
    assert not popup.isVisible() and drawn_grad(view, root) == "grad 1.0000"

    click_node(qtbot, view, f.id)
    type_answer(qtbot, view, "-2")  # f's own data, not the other factor
    assert "for *, the local derivative is the other factor" in popup.hint_label.text()
    assert drawn_grad(view, f) == "grad ?"
    type_answer(qtbot, view, "nonsense")
    assert "Type a number" in popup.hint_label.text()
    type_answer(qtbot, view, "-8")  # a second wrong answer: local × upstream, with the numbers
    assert "Local × upstream: 4 × 1 = 4" in popup.hint_label.text()
    type_answer(qtbot, view, "4")  # a·b + c, from the engine: -6 + 10
    assert drawn_grad(view, f) == "grad 4.0000"
    assert mode.progress() == (2, 7) and mode.score == 0  # neither was right at the first try
    assert "2 of 7 grads" in mode.status_label.text() and "score 0" in mode.status_label.text()

    # the rest, with the grads backward() gives in a graph the test builds itself
    root_value, leaves = evaluate("(a*b + c)*f", {"a": 2, "b": -3, "c": 10, "f": -2})
    root_value.backward()
    truth = dict(zip((n.id for n in graph.nodes), graph_engine.expression_graph(root_value, leaves).nodes))
    for node in reversed(graph.nodes):
        if node.value in mode.exercise.answered:
            continue
        click_node(qtbot, view, node.id)
        type_answer(qtbot, view, repr(truth[node.id].value.grad))
        assert mode.exercise.answered.get(node.value) is not None, popup.hint_label.text()
    assert mode.done and "Done!" in mode.status_label.text() and mode.score == 5

    mode.toggle_button.click()  # off: backward()'s grads and the table again
    assert view.results_table.isVisible() and drawn_grad(view, f) == "grad 4.0000"
    assert view.step_next_button.isEnabled()


def test_the_reused_node_refuses_one_contribution_on_the_graph(window, qtbot):
    view = show_expression(window, qtbot, 3)  # b = a + a, a = 3
    mode = view.exercise
    mode.toggle_button.click()
    graph = view.current_graph()
    click_node(qtbot, view, graph.of(graph.root).id)
    type_answer(qtbot, view, "1")
    a = node_named(view, "a")
    click_node(qtbot, view, a.id)
    type_answer(qtbot, view, "1")  # one contribution of the two
    hint = mode.popup.hint_label.text()
    assert "used 2 times" in hint and "a + a" in hint
    assert drawn_grad(view, a) == "grad ?"
    type_answer(qtbot, view, "2")
    assert drawn_grad(view, a) == "grad 2.0000" and mode.done


def test_a_new_expression_typed_is_a_new_exercise(window, qtbot):
    view = show_expression(window, qtbot, 0)
    view.exercise.toggle_button.click()
    with qtbot.waitSignal(view.graph_shown, timeout=TIMEOUT_MS):
        view.variables_edit.setPlainText("x = 3")
        view.expression_edit.setText("x*x + x")
        view.evaluate_now()
    qtbot.waitUntil(
        lambda: view.exercise.exercise is not None and view.exercise.graph is view.current_graph(),
        timeout=TIMEOUT_MS,
    )
    assert view.exercise.progress() == (0, 3)  # x, x·x and their sum
    graph = view.current_graph()
    click_node(qtbot, view, graph.of(graph.root).id)
    type_answer(qtbot, view, "1")
    x = node_named(view, "x")
    product = next(n for n in graph.nodes if n.op == "*")
    click_node(qtbot, view, product.id)
    type_answer(qtbot, view, "1")
    click_node(qtbot, view, x.id)
    type_answer(qtbot, view, "7")  # 2x + 1 at x = 3
    assert view.exercise.done


def test_on_the_computation_graph_tab_the_samples_graph_is_the_exercise(window, qtbot):
    view = show_graph_tab(window, qtbot)  # the lecture's model, one node per neuron (Auto)
    mode = view.exercise
    mode.toggle_button.click()
    graph = view.current_graph()
    assert mode.exercise is not None and "of 15 grads" in mode.status_label.text()
    assert not view.torch_button.isVisible()  # PyTorch's grads would be the answers
    assert "grad ?" in view.details.toPlainText() or "Backprop by hand" in view.details.toPlainText()
    # the right grads, from a graph the test builds from the same weights and sample
    weights, dataset = view._weights, view._dataset
    x, y = dataset.inputs[0], dataset.targets[0]
    theirs = graph_engine.sample_graph(weights.to_model(), x, y, view._loss, expanded=False)
    truth = {n.id: n.value.grad for n in theirs.nodes}
    root = graph.of(graph.root)
    click_node(qtbot, view, root.id)
    type_answer(qtbot, view, repr(truth[root.id]))
    out = node_named(view, "out")
    neuron = next(n for n in graph.nodes if n.name == "h2.1")  # feeds the output neuron
    order = [n for n in reversed(graph.nodes) if graph.is_drawn(n)]
    for node in order[1:]:
        if node is neuron:
            break
        click_node(qtbot, view, node.id)
        type_answer(qtbot, view, repr(truth[node.id]))
    assert drawn_grad(view, out).startswith("grad ") and drawn_grad(view, out) != "grad ?"
    click_node(qtbot, view, neuron.id)
    type_answer(qtbot, view, repr(truth[neuron.id] + 1.0))
    assert "for a neuron node" in mode.popup.hint_label.text()
    type_answer(qtbot, view, repr(truth[neuron.id] * 1.00001))  # within the 1e-4 tolerance
    assert mode.exercise.answered.get(neuron.value) == truth[neuron.id]
    assert drawn_grad(view, neuron) != "grad ?"


def test_a_graph_too_large_to_do_by_hand_is_answered_in_the_part_the_learner_clicks(
    window, qtbot, monkeypatch
):
    view = show_graph_tab(window, qtbot)
    with qtbot.waitSignal(view.graph_shown, timeout=TIMEOUT_MS):
        view.neurons_combo.setCurrentIndex(EXPANDED)  # the lecture's model expanded: 120 nodes
    monkeypatch.setattr(exercise_mode, "MAX_EXERCISE_NODES", 40)  # so that a click can pick too many, too
    mode = view.exercise
    mode.toggle_button.click()
    graph = view.current_graph()
    text = mode.status_label.text()
    assert f"{len(graph)} nodes" in text and "too many" in text and "Click a node" in text
    assert mode.progress() == (0, 0) and not view.step_next_button.isEnabled()

    def between(start):
        """`start` and all that use it, up to the output: the test's own walk of the engine's graph."""
        part, todo = {start.value}, [start.value]
        while todo:
            value = todo.pop()
            for user in graph.nodes:
                if value in user.value.operands and user.value not in part:
                    part.add(user.value)
                    todo.append(user.value)
        return part

    x1 = node_named(view, "x1")
    assert len(between(x1)) > 40  # it feeds every neuron of the first layer
    click_node(qtbot, view, x1.id)
    assert mode.part is None and "still too many" in mode.status_label.text()
    weight = node_named(view, "w3.1.2")  # a weight of the output neuron
    click_node(qtbot, view, weight.id)
    part = between(weight)
    assert {n.value for n in mode.part} == part and mode.progress() == (0, len(part))
    # the grads from a graph the test builds from the same weights and sample, expanded too
    x, y = view._dataset.inputs[0], view._dataset.targets[0]
    theirs = graph_engine.sample_graph(view._weights.to_model(), x, y, view._loss, expanded=True)
    truth = {n.id: n.value.grad for n in theirs.nodes}
    outside = node_named(view, "h1.1")
    click_node(qtbot, view, outside.id)
    assert "not in this exercise" in mode.popup.question_label.text()
    for node in reversed(graph.nodes):
        if node.value in part:
            click_node(qtbot, view, node.id)
            type_answer(qtbot, view, repr(truth[node.id]))
    assert mode.done and mode.score == len(part) and "Done!" in mode.status_label.text()


def test_without_a_graph_the_mode_says_so_and_checks_nothing(qtbot):
    from gui.views.graph_view import GraphView

    view = GraphView()
    qtbot.addWidget(view)
    view.exercise.toggle_button.click()
    assert view.exercise.exercise is None and "No graph" in view.exercise.status_label.text()
    assert not view.exercise.answer("1")
    view.exercise.toggle_button.click()
    assert view.pane.overlay is None


def test_a_node_not_yet_answerable_takes_no_answer(window, qtbot):
    view = show_expression(window, qtbot, 0)
    mode = view.exercise
    mode.toggle_button.click()
    f = node_named(view, "f")
    click_node(qtbot, view, f.id)
    assert not mode.popup.answer_edit.isVisible()
    assert not mode.answer("4")  # even the right number: the output's grad comes first
    assert mode.exercise.tries == {} and mode.progress() == (0, 7)


def test_clicks_on_the_box_stay_in_the_box_and_escape_closes_it(window, qtbot, monkeypatch):
    view = show_expression(window, qtbot, 0)
    mode = view.exercise
    mode.toggle_button.click()
    graph = view.current_graph()
    root = graph.of(graph.root)
    click_node(qtbot, view, root.id)
    popup = mode.popup
    # a node drawn under the box: a click on the box must not pick it
    canvas = view.pane.canvas
    canvas.centerOn(canvas.node_rect(root.id).center())
    f = node_named(view, "f")
    f_on_screen = canvas.mapFromScene(canvas.node_rect(f.id)).boundingRect()
    monkeypatch.setattr(mode, "_place_popup", lambda: None)  # held where the test puts it: over f
    popup.move(f_on_screen.center() - popup.question_label.geometry().center())
    assert popup.geometry().contains(f_on_screen.center())
    qtbot.mouseClick(popup, Qt.MouseButton.LeftButton, pos=popup.question_label.geometry().center())
    assert mode.asked is root and popup.isVisible()
    qtbot.keyClick(popup.answer_edit, Qt.Key.Key_Escape)
    assert not popup.isVisible() and mode.asked is None


def test_the_box_follows_its_node_and_hides_while_it_is_out_of_sight(window, qtbot):
    view = show_expression(window, qtbot, 1)  # the neuron: wider than the view once zoomed in
    mode = view.exercise
    mode.toggle_button.click()
    graph = view.current_graph()
    root = graph.of(graph.root)
    click_node(qtbot, view, root.id)
    canvas, popup = view.pane.canvas, mode.popup

    def notch_at_node() -> bool:
        node = canvas.mapFromScene(canvas.node_rect(root.id)).boundingRect()
        return popup.isVisible() and node.left() <= popup.x() + popup.notch_x <= node.right()

    assert notch_at_node()
    canvas.zoom_by(1.5)
    qtbot.waitUntil(notch_at_node, timeout=TIMEOUT_MS)
    far_left = canvas.node_rect(next(n.id for n in graph.nodes if n.name == "x1"))
    canvas.centerOn(far_left.center() - QPointF(2000, 0))
    qtbot.waitUntil(lambda: not popup.isVisible(), timeout=TIMEOUT_MS)
    assert mode.asked is root  # still asked: it comes back with its node
    canvas.centerOn(canvas.node_rect(root.id).center())
    qtbot.waitUntil(notch_at_node, timeout=TIMEOUT_MS)


def test_colour_by_grad_is_off_while_the_grads_are_hidden(window, qtbot):
    from gui.graph.render import KIND_COLORS

    view = show_graph_tab(window, qtbot)
    view.color_check.setChecked(True)
    svg = view.pane.svg_graph

    def fill(node) -> str:
        return svg._values[svg.template.fill_slots[node.id]]

    x1 = node_named(view, "x1")
    assert fill(x1) != KIND_COLORS["input"]  # by |grad|
    view.exercise.toggle_button.click()
    assert fill(x1) == KIND_COLORS["input"]  # by kind: the size of its grad is for the learner to find
    view.exercise.toggle_button.click()
    assert fill(x1) != KIND_COLORS["input"]


def test_without_graphviz_the_mode_says_why_there_is_nothing_to_answer_on(qtbot, monkeypatch):
    import gui.graph.render
    from gui.views.expression_view import ExpressionView

    monkeypatch.setattr(
        gui.graph.render, "dot_available", lambda: (False, "Install Graphviz: apt-get install graphviz")
    )
    view = ExpressionView()
    qtbot.addWidget(view)
    assert view.evaluate_now()
    view.exercise.toggle_button.click()
    assert "No graph to practise on: Install Graphviz" in view.exercise.status_label.text()
    assert view.exercise.exercise is None
