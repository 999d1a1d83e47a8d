"""The Expression tab's left column at its narrowest (the graph's side takes the room, as with
Backprop by hand at 1366x768): its buttons, example and legend are drawn whole, none cut mid-word."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QSplitter

import gui.views.expression_view
from gui.views.expression_view import ExpressionView

LEFT_MIN_WIDTH = getattr(gui.views.expression_view, "LEFT_MIN_WIDTH", 240)  # the column's narrowest
NEURON = 1  # "A neuron: tanh(x1·w1 + x2·w2 + b)": the longest example title


@pytest.fixture
def narrow(qtbot) -> ExpressionView:
    view = ExpressionView()
    view.resize(1000, 650)
    qtbot.addWidget(view)
    view.show()
    view.set_example(NEURON)
    splitter = view.findChild(QSplitter)
    splitter.setSizes([0, 1000])  # as narrow as the column may be
    left = splitter.widget(0)
    qtbot.waitUntil(lambda: left.width() <= LEFT_MIN_WIDTH + 1)
    return view


def test_the_grad_buttons_show_their_whole_text(narrow):
    for button in (narrow.backward_again_button, narrow.zero_grad_button):
        assert button.isVisible()
        assert button.width() >= button.sizeHint().width(), button.text()


def test_the_legend_fits_the_column(narrow):
    left = narrow.findChild(QSplitter).widget(0)
    label = narrow.legend_label
    assert label.sizeHint().width() <= label.width() <= left.width()


def test_a_long_example_title_ends_with_an_ellipsis_not_mid_word(narrow):
    combo = narrow.examples_combo
    assert combo.currentText() == "A neuron: tanh(x1·w1 + x2·w2 + b)"
    shown = getattr(combo, "displayed_text", combo.currentText)()
    assert combo.fontMetrics().horizontalAdvance(shown) <= combo.width() - 24  # its arrow and frame
    assert shown.startswith("A neuron: tanh(") and (shown == combo.currentText() or shown.endswith("…"))
