"""The Expression tab in the window: its results table whole at common sizes, and the Example
combo telling the lecture's examples from what the user typed."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QTextCursor

from gui.views.expression_view import CUSTOM_TEXT, EXAMPLES

LAYOUT_TIMEOUT_MS = 30_000
NEURON = 1  # its table holds the longest numbers: 0.49999999999999994 and the like


def assert_every_column_in_sight(table) -> None:
    header = table.horizontalHeader()
    assert table.horizontalScrollBar().maximum() == 0 or not table.horizontalScrollBar().isVisible()
    right = header.sectionViewportPosition(table.columnCount() - 1) + header.sectionSize(
        table.columnCount() - 1
    )
    assert right <= table.viewport().width()
    difference = table.columnCount() - 1
    assert header.sectionSize(difference) >= table.sizeHintForColumn(difference)  # its numbers whole
    rows = table.rowCount()
    assert table.rowViewportPosition(rows - 1) + table.rowHeight(rows - 1) <= table.viewport().height()


@pytest.mark.parametrize("size", [(1280, 820), (1366, 768), (1024, 700)])
def test_the_results_table_and_its_difference_column_fit(window, qtbot, size):
    window.resize(*size)
    view = window.expression_view
    with qtbot.waitSignal(view.graph_shown, timeout=LAYOUT_TIMEOUT_MS):
        window.tabs.setCurrentWidget(view)
    with qtbot.waitSignal(view.graph_shown, timeout=LAYOUT_TIMEOUT_MS):
        view.set_example(NEURON)
    qtbot.waitUntil(lambda: not view.torch_pending, timeout=LAYOUT_TIMEOUT_MS)
    assert_every_column_in_sight(view.results_table)
    # a number squeezed into a narrow column keeps its exponent: the middle goes, and the tooltip has it all
    table = view.results_table
    assert table.textElideMode() == Qt.TextElideMode.ElideMiddle
    assert all(table.item(r, 2).toolTip() == table.item(r, 2).text() for r in range(1, table.rowCount()))


def test_the_example_combo_says_custom_once_the_user_types(window, qtbot):
    view = window.expression_view
    window.tabs.setCurrentWidget(view)
    combo = view.examples_combo
    assert combo.currentText() == EXAMPLES[0][0]
    view.expression_edit.selectAll()
    qtbot.keyClicks(view.expression_edit, "a*b + c")
    assert combo.currentIndex() == -1 and combo.currentText() == ""
    assert combo.placeholderText() == CUSTOM_TEXT
    # typing the example back names it again; choosing an example names it
    view.expression_edit.selectAll()
    qtbot.keyClicks(view.expression_edit, EXAMPLES[0][2])
    assert combo.currentText() == EXAMPLES[0][0]
    view.variables_edit.moveCursor(QTextCursor.MoveOperation.End)
    qtbot.keyClick(view.variables_edit, Qt.Key.Key_Return)
    qtbot.keyClicks(view.variables_edit, "z = 1")
    assert combo.currentIndex() == -1
    view.set_example(NEURON)
    assert combo.currentText() == EXAMPLES[NEURON][0]
