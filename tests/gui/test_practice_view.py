"""The Practice tab driven as a learner would: type grads, get hints, nudge an input."""

import pytest
from PySide6.QtCore import Qt

from engine.nudge import STEPS_OF_H
from engine.rule_code import rule_source
from gui.views.practice_view import PracticeView


@pytest.fixture
def view(qtbot):
    v = PracticeView()
    qtbot.addWidget(v)
    v.show()
    return v


def type_answer(view, qtbot, text):
    view.answer_edit.clear()
    qtbot.keyClicks(view.answer_edit, text)
    qtbot.keyClick(view.answer_edit, Qt.Key.Key_Return)


def row_of(view, label):
    return next(i for i, n in enumerate(view._rows) if n.label == label)


def test_right_answers_are_accepted_in_chain_rule_order_and_wrong_ones_get_the_hint(view, qtbot):
    view.exercise_combo.setCurrentIndex(0)  # L = (a·b + c)·f
    view.table.selectRow(0)
    type_answer(view, qtbot, "1")
    assert "Right" in view.feedback_label.text()
    view.table.selectRow(row_of(view, "f"))
    type_answer(view, qtbot, "1")
    assert "for *, the local derivative is the other factor" in view.feedback_label.text()
    type_answer(view, qtbot, "4")
    assert "Right" in view.feedback_label.text()
    assert view.table.item(row_of(view, "f"), 3).text() == "4"
    assert "2 of 7 grads" in view.progress_label.text()


def test_the_reused_node_refuses_a_single_contribution(view, qtbot):
    view.exercise_combo.setCurrentIndex(3)  # a + a
    view.table.selectRow(0)
    type_answer(view, qtbot, "1")
    view.table.selectRow(row_of(view, "a"))
    type_answer(view, qtbot, "1")
    assert "used 2 times" in view.feedback_label.text()
    type_answer(view, qtbot, "2")
    assert view.exercise.done


def test_the_code_shown_is_the_engines_rule_with_the_nodes_numbers(view, qtbot):
    view.exercise_combo.setCurrentIndex(0)
    view.table.selectRow(0)  # the output: (a·b + c)·f, a product
    text = view.code_label.text()
    assert "a.grad += b.data * out.grad" in text and "a.grad += -2 × 1" in text
    assert "a.grad += b.data * out.grad" in rule_source("*")


def loss_of_a(a: float) -> float:
    """The first exercise's L = (a·b + c)·f as a function of a, with b = -3, c = 10, f = -2."""
    return (a * -3.0 + 10.0) * -2.0


def test_the_nudge_shows_the_difference_quotient_for_each_h(view, qtbot):
    view.exercise_combo.setCurrentIndex(0)
    view.nudge_variable.setCurrentText("a")
    for position, h in enumerate(STEPS_OF_H, 1):
        view.h_slider.setValue(position)
        expected = (loss_of_a(2.0 + h) - loss_of_a(2.0)) / h
        assert f"(f(x + h) − f(x)) / h = {expected:.12g}" in view.nudge_label.text()
    assert len(view.error_axes.get_lines()[0].get_xdata()) == len(STEPS_OF_H)


def test_a_window_has_the_practice_tab(window):
    assert window.tabs.indexOf(window.practice_view) >= 0


def test_the_gradient_check_of_the_windows_model_agrees_with_backward(window, qtbot):
    view = window.practice_view
    window.tabs.setCurrentWidget(view)
    qtbot.mouseClick(view.check_model_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.check_model_button.isEnabled(), timeout=30_000)
    assert "All 41 gradients agree" in view.check_result_label.text()


def test_a_large_model_is_checked_on_an_even_sample_of_its_parameters():
    from engine.data import moons
    from engine.nudge import MAX_CHECKED, check_model_gradients
    from engine.spec import ModelSpec

    spec = ModelSpec([16, 16], ["relu", "relu"], "linear")
    checks, total = check_model_gradients(spec.fresh_weights(2), moons(30, 0.1, 0), "hinge")
    assert total == 337 and len(checks) <= MAX_CHECKED and not any(c.flagged for c in checks)
