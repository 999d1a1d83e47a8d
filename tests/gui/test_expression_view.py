"""The Expression tab: the lecture's first hour, its numbers checked against the engine and PyTorch."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage

import gui.graph.pane
import gui.graph.render
import gui.views.expression_view
from engine.expression import evaluate, parse_variables
from gui.views.expression_view import EXAMPLES, ExpressionView

LAYOUT_TIMEOUT_MS = 30_000
L, NEURON, NEURON_EXP, A_PLUS_A = 0, 1, 2, 3


@pytest.fixture(scope="module", autouse=True)
def pytorch_child(qapp):
    """One PyTorch child for the whole module: every view compares, and each would start its own."""
    from gui.processes.torch_process import TorchComparer, torch_installed

    keeper = TorchComparer()
    if torch_installed():
        keeper.start()
    yield
    keeper.close()


@pytest.fixture
def view(qtbot) -> ExpressionView:
    widget = ExpressionView()
    widget.resize(1100, 700)
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


def show_example(qtbot, view: ExpressionView, index: int) -> None:
    with qtbot.waitSignal(view.graph_shown, timeout=LAYOUT_TIMEOUT_MS):
        view.set_example(index)


def compare_example(qtbot, view: ExpressionView, index: int) -> None:
    """set_example, and wait for the graph and for PyTorch's column (computed in its own process)."""
    with qtbot.waitSignals([view.graph_shown, view.torch_compared], timeout=LAYOUT_TIMEOUT_MS):
        view.set_example(index)


def table(view: ExpressionView) -> dict[str, list[str]]:
    """The results table: row name -> its cells after the name."""
    t = view.results_table
    return {
        t.item(r, 0).text(): [t.item(r, c).text() for c in range(1, t.columnCount())]
        for r in range(t.rowCount())
    }


def our_grads(view: ExpressionView) -> dict[str, float]:
    return {name: float(cells[1]) for name, cells in table(view).items() if "(" not in name}


def engine_result(index: int):
    """The engine on its own, for example `index`: (output, {name: leaf}) after backward()."""
    _title, variables, expression = EXAMPLES[index]
    root, leaves = evaluate(expression, parse_variables(variables))
    root.backward()
    return root, leaves


def test_the_lecture_example_shows_the_engines_numbers(qtbot, view):
    show_example(qtbot, view, L)
    root, leaves = engine_result(L)
    rows = table(view)
    assert float(rows["out (output)"][0]) == root.data == -8.0
    assert our_grads(view) == {name: leaf.grad for name, leaf in leaves.items()}
    assert our_grads(view) == {"a": 6.0, "b": -4.0, "c": -2.0, "f": 4.0}
    assert {name: float(cells[0]) for name, cells in rows.items() if "(" not in name} == {
        "a": 2.0,
        "b": -3.0,
        "c": 10.0,
        "f": -2.0,
    }
    svg = view.shown_svg.decode()
    assert "grad 6.0000" in svg and "data -8.0000" in svg
    assert view.canvas.has_svg and view.current_graph().root.data == -8.0
    kinds = {n.name: n.kind for n in view.current_graph().nodes}
    assert kinds["a"] == "input" and kinds["out"] == "output" and kinds["a·b"] == "value"


def test_the_neuron_and_its_exp_form_give_the_same_grads(qtbot, view):
    show_example(qtbot, view, NEURON)
    grads = our_grads(view)
    assert grads["x1"] == pytest.approx(-1.5, abs=1e-12)
    assert grads["w1"] == pytest.approx(1.0, abs=1e-12)
    assert grads["x2"] == pytest.approx(0.5, abs=1e-12)
    assert grads["w2"] == 0.0
    assert float(table(view)["out (output)"][0]) == pytest.approx(2**-0.5, abs=1e-12)
    show_example(qtbot, view, NEURON_EXP)
    exp_grads = our_grads(view)
    assert exp_grads.keys() == grads.keys()
    for name in grads:
        assert exp_grads[name] == pytest.approx(grads[name], abs=1e-12)
    assert len(view.current_graph()) > 20  # really the exp form, not tanh


def test_a_variable_used_twice_gets_both_contributions(qtbot, view):
    show_example(qtbot, view, A_PLUS_A)
    assert our_grads(view) == {"a": 2.0}
    assert float(table(view)["out (output)"][0]) == 6.0


def test_backward_again_doubles_leaf_grads_without_a_new_layout(qtbot, view, layout_calls):
    show_example(qtbot, view, NEURON)
    once = our_grads(view)
    assert len(layout_calls) == 1
    view.backward_again_button.click()
    assert our_grads(view) == {name: 2 * g for name, g in once.items()}
    view.backward_again_button.click()
    assert our_grads(view) == {name: 3 * g for name, g in once.items()}
    assert "3×" in view.step_label.text()
    svg = view.shown_svg.decode()
    assert "grad 1.5000" in svg and "grad -4.5000" in svg  # b and x1: 3 × 0.5 and 3 × -1.5
    view.zero_grad_button.click()
    assert our_grads(view) == once
    assert len(layout_calls) == 1  # numbers rewritten in the same layout


def test_backward_again_drifts_from_pytorchs_single_backward(qtbot, view):
    pytest.importorskip("torch")  # `./dev.sh test` installs it; under CI=true a skip fails
    compare_example(qtbot, view, NEURON)
    view.backward_again_button.click()
    view.backward_again_button.click()
    _data, ours, theirs, difference = table(view)["x1"]
    assert float(ours) == pytest.approx(3 * -1.5) and float(theirs) == pytest.approx(-1.5)
    assert float(difference) == pytest.approx(3.0)  # |ours - PyTorch's|
    view.zero_grad_button.click()
    assert float(table(view)["x1"][3]) == pytest.approx(0.0, abs=1e-12)


def test_new_variable_values_reuse_the_layout(qtbot, view, layout_calls):
    show_example(qtbot, view, L)
    with qtbot.waitSignal(view.graph_shown, timeout=1000):
        view.variables_edit.setPlainText("a = 3.0\nb = -3.0\nc = 10.0\nf = -2.0")
        view.evaluate_now()
    assert our_grads(view)["a"] == 6.0 and float(table(view)["out (output)"][0]) == -2.0
    assert "data -2.0000" in view.shown_svg.decode()
    assert len(layout_calls) == 1


def test_typing_re_evaluates_after_a_pause(qtbot, view):
    show_example(qtbot, view, L)
    view.expression_edit.setText("a*b")  # no explicit evaluate: the debounce timer does it
    assert float(table(view)["out (output)"][0]) == -8.0  # not yet: it waits for the typing to stop
    qtbot.waitUntil(lambda: float(table(view)["out (output)"][0]) == -6.0, timeout=3000)
    assert our_grads(view) == {"a": -3.0, "b": 2.0}
    assert table(view)["c (not used)"][1] == "0.0"


@pytest.mark.parametrize(
    "expression, message",
    [
        ("__import__('os')", "can be called"),
        ("().__class__", "not allowed"),
        ("a**10**10", "exponents must be numbers"),
        ("(" * 10_000 + "a" + ")" * 10_000, "too long"),
        ("a + " * 250_000 + "a", "too long"),  # 1 MB
        ("a*b + d", "column 7"),
        ("a*b +", "incomplete"),
    ],
)
def test_bad_expressions_show_a_message_and_keep_the_last_result(qtbot, view, expression, message):
    show_example(qtbot, view, L)
    graph, svg, rows = view.current_graph(), view.shown_svg, table(view)
    view.expression_edit.setText(expression)
    assert view.evaluate_now() is False  # how fast: benchmarks/bench_inputs.py
    assert message in view.error_label.text()
    assert not view.error_label.isHidden()
    assert view.current_graph() is graph and view.shown_svg == svg and table(view) == rows
    assert view.canvas.has_svg
    view.expression_edit.setText("(a*b + c)*f")
    assert view.evaluate_now() and view.error_label.isHidden()


def test_a_huge_variables_text_and_bad_variables_show_a_message(qtbot, view):
    show_example(qtbot, view, L)
    rows = table(view)
    view.variables_edit.setPlainText("a = 1\n" * 200_000)  # 1.2 MB
    assert view.evaluate_now() is False  # how fast: benchmarks/bench_inputs.py
    assert "too long" in view.error_label.text()
    view.variables_edit.setPlainText("a = 2.0\nb = x")
    assert view.evaluate_now() is False
    assert "line 2" in view.error_label.text() and "'x' is not a number" in view.error_label.text()
    assert table(view) == rows


def test_an_undefined_derivative_in_backward_is_a_message(qtbot, view):
    show_example(qtbot, view, L)
    graph = view.current_graph()
    view.variables_edit.setPlainText("a = 0.0")
    view.expression_edit.setText("a**0.5")
    assert view.evaluate_now() is False
    assert "backward() failed" in view.error_label.text()
    assert view.current_graph() is graph


@pytest.mark.parametrize("index", range(len(EXAMPLES)))
def test_pytorch_agrees_with_our_grads(qtbot, view, index):
    pytest.importorskip("torch")
    compare_example(qtbot, view, index)
    assert "PyTorch (float64) computes" in view.torch_note.text()  # the output's value, below the table
    rows = table(view)
    assert len(rows) == len(parse_variables(EXAMPLES[index][1])) + 1
    for name, (_data, ours, theirs, _difference) in rows.items():
        if not name.endswith("(output)"):
            assert abs(float(ours) - float(theirs)) <= 1e-12, name


def test_without_pytorch_a_note_and_the_rest_works(qtbot, view, monkeypatch):
    monkeypatch.setattr(gui.views.expression_view, "torch_installed", lambda: False)
    show_example(qtbot, view, L)
    assert not view.torch_note.isHidden() and "PyTorch not installed" in view.torch_note.text()
    assert "download.pytorch.org/whl/cpu" in view.torch_note.text()  # the CPU build, not gigabytes of CUDA
    assert not view.torch_pending
    assert our_grads(view) == {"a": 6.0, "b": -4.0, "c": -2.0, "f": 4.0}
    assert all(cells[2] == "—" for cells in table(view).values())


def test_without_graphviz_the_hint_and_the_table(qtbot, monkeypatch):
    monkeypatch.setattr(
        gui.graph.render, "dot_available", lambda: (False, "Install Graphviz: apt-get install graphviz")
    )
    view = ExpressionView()
    qtbot.addWidget(view)
    assert view.evaluate_now()
    assert "Install Graphviz" in view.graph_message and not view.canvas.has_svg
    assert our_grads(view) == {"a": 6.0, "b": -4.0, "c": -2.0, "f": 4.0}
    view.backward_again_button.click()  # still works on the numbers
    assert our_grads(view)["a"] == 12.0


def test_exports_write_valid_files(qtbot, view, tmp_path):
    show_example(qtbot, view, L)
    view.export(str(tmp_path / "g.svg"))
    root = ET.parse(tmp_path / "g.svg").getroot()
    assert root.tag.endswith("svg") and "grad 6.0000" in (tmp_path / "g.svg").read_text()
    view.export(str(tmp_path / "g.png"))
    image = QImage(str(tmp_path / "g.png"))
    assert not image.isNull() and image.width() > 100
    view.export(str(tmp_path / "g.dot"))
    dot = (tmp_path / "g.dot").read_text()
    assert dot.startswith("digraph") and "grad 6.0000" in dot and "data -8.0000" in dot
    with pytest.raises(ValueError):
        view.export(str(tmp_path / "g.txt"))
    assert not (tmp_path / "g.txt").exists()


def test_step_through_ends_at_backwards_grads(qtbot, view):
    show_example(qtbot, view, NEURON)
    once = our_grads(view)
    graph = view.current_graph()
    view.step_next_button.click()
    assert "step 1 /" in view.step_label.text()
    assert our_grads(view) == {name: 0.0 for name in once}  # only the output's grad is set so far
    explained = set()
    while view.step_next_button.isEnabled():
        view.step_next_button.click()
        explained.add(view.step_label.text())
    assert f"step {len(graph)} / {len(graph)}" in view.step_label.text()
    assert any("local derivative" in t and "upstream grad" in t for t in explained)
    assert our_grads(view) == once
    view.step_prev_button.click()
    assert f"step {len(graph) - 1} / {len(graph)}" in view.step_label.text()
    view.step_reset_button.click()
    assert "step" not in view.step_label.text() and our_grads(view) == once
    assert not view.step_reset_button.isEnabled()


def test_play_runs_backprop_to_the_end_and_stops(qtbot, monkeypatch):
    monkeypatch.setattr(gui.graph.pane, "PLAY_INTERVAL_MS", 10)
    view = ExpressionView()
    qtbot.addWidget(view)
    show_example(qtbot, view, L)
    once = our_grads(view)
    view.step_play_button.click()
    assert view.step_play_button.isChecked() and view.step_play_button.text() == "Pause"
    qtbot.waitUntil(lambda: not view.step_play_button.isChecked(), timeout=5000)
    n = len(view.current_graph())
    assert f"step {n} / {n}" in view.step_label.text() and our_grads(view) == once
    assert not view.step_next_button.isEnabled() and view.step_prev_button.isEnabled()


def test_the_run_button_and_return_evaluate(qtbot, view):
    show_example(qtbot, view, L)
    view.expression_edit.setText("a*b*c")
    view.run_button.click()
    assert float(table(view)["out (output)"][0]) == -60.0
    view.expression_edit.setText("a - b")
    qtbot.keyClick(view.expression_edit, Qt.Key.Key_Return)
    assert our_grads(view) == {"a": 1.0, "b": -1.0}


def test_clicking_a_node_shows_its_local_derivatives(qtbot, view):
    show_example(qtbot, view, L)
    graph = view.current_graph()
    node = next(n for n in graph.nodes if n.name == "a·b")
    rect = view.canvas.node_rect(node.id)
    assert view.canvas.click_at(rect.center()) == node.id
    text = view.details.toPlainText()
    assert "a·b" in text and "local" in text and "-6.0" in text
    assert "-2.0" in text  # its grad: ∂L/∂(a·b) = f


def test_switching_record_style_lays_out_again(qtbot, view, layout_calls):
    show_example(qtbot, view, L)
    with qtbot.waitSignal(view.graph_shown, timeout=LAYOUT_TIMEOUT_MS):
        view.style_combo.setCurrentIndex(1)
    assert len(layout_calls) == 2 and 'label="{ ' in layout_calls[1] and 'label="{ ' not in layout_calls[0]
    assert "grad 6.0000" in view.shown_svg.decode()


def test_shutdown_stops_the_layout_thread(qtbot, view):
    show_example(qtbot, view, L)
    runner = view.pane.layout_runner
    assert runner.thread_alive
    view.close()
    assert not runner.thread_alive and not view.pane.canvas.painter_alive
    view.shutdown()  # twice is fine
