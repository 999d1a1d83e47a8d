"""The Expression tab's PyTorch column holds grads in every row, as its header says; the output's
value, PyTorch's beside ours, is the line under the table."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QColor

import gui.views.expression_view
from gui.views.expression_view import COLUMNS, ExpressionView
from gui.widgets.style import ERROR_COLOR

TIMEOUT_MS = 60_000
PARTIAL_COLOR = getattr(gui.views.expression_view, "PARTIAL_COLOR", "#868e96")  # grey: not an error
BACKWARD_AGAIN_GRADS = {"a": 12.0, "b": -8.0, "c": -4.0, "f": 8.0}  # L's grads, twice


@pytest.fixture
def compared(qtbot) -> ExpressionView:
    """The lecture's L = (a·b + c)·f with PyTorch's answer in."""
    pytest.importorskip("torch")
    view = ExpressionView()
    view.resize(1000, 700)
    qtbot.addWidget(view)
    with qtbot.waitSignal(view.torch_compared, timeout=TIMEOUT_MS):
        view.set_example(0)
    qtbot.waitUntil(lambda: not view.torch_pending, timeout=TIMEOUT_MS)
    return view


def column(view: ExpressionView, title: str) -> dict[str, str]:
    table, index = view.results_table, COLUMNS.index(title)
    return {table.item(r, 0).text(): table.item(r, index).text() for r in range(table.rowCount())}


def test_every_cell_of_the_pytorch_column_is_a_grad_or_a_dash(compared):
    theirs = column(compared, "grad (PyTorch)")
    assert theirs == {"out (output)": "—", "a": "6.0", "b": "-4.0", "c": "-2.0", "f": "4.0"}
    assert not any("value" in text for text in theirs.values())
    tip = compared.results_table.item(0, COLUMNS.index("grad (PyTorch)")).toolTip()
    assert "grad 1" in tip and "below the table" in tip


def test_the_difference_column_compares_grads_in_every_row(compared):
    assert column(compared, "|difference|") == {"out (output)": "—", "a": "0", "b": "0", "c": "0", "f": "0"}


def test_the_outputs_value_is_compared_under_the_table(compared):
    assert not compared.torch_note.isHidden()
    assert compared.torch_note.text() == "PyTorch (float64) computes out = -8.0: the same as ours."


def test_after_backward_again_the_differences_are_the_extra_grads(compared):
    compared.backward_again_button.click()
    ours = {name: float(text) for name, text in column(compared, "grad (ours)").items()}
    assert {name: ours[name] for name in BACKWARD_AGAIN_GRADS} == BACKWARD_AGAIN_GRADS
    differences = column(compared, "|difference|")
    assert [float(differences[name]) for name in "abcf"] == [6.0, 4.0, 2.0, 4.0]
    assert compared.torch_note.text().endswith("the same as ours.")  # the value did not change


def test_mid_step_through_our_unfinished_grads_are_not_marked_as_errors(compared, qtbot):
    table, index = compared.results_table, COLUMNS.index("|difference|")
    compared.step_next_button.click()  # the output's rule only: a, b and c have no grad yet
    qtbot.waitUntil(lambda: column(compared, "grad (ours)")["a"] == "0.0")
    colours = {
        table.item(r, 0).text(): table.item(r, index).foreground().color() for r in range(table.rowCount())
    }
    assert colours["a"] == QColor(PARTIAL_COLOR) != QColor(ERROR_COLOR)
    assert "not summed up yet" in table.item(1, index).toolTip()
    while compared.step_next_button.isEnabled():
        compared.step_next_button.click()
    assert column(compared, "|difference|") == {
        "out (output)": "—",
        "a": "0",
        "b": "0",
        "c": "0",
        "f": "0",
    }
    compared.backward_again_button.click()  # a real disagreement: red again
    assert table.item(1, index).foreground().color() == QColor(ERROR_COLOR)
