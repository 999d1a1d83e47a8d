"""The Computation graph tab's sample picker at 1366x768: the chosen sample's text is drawn whole
when there is room (its x and, most of all, its target y), and loses its middle, never its y,
when there is not."""

from __future__ import annotations

from PySide6.QtCore import QRect
from PySide6.QtWidgets import QStyle, QStyleOptionComboBox

from engine.data import Dataset
from engine.lessons import moons_demo
from gui.app import fit_to_screen

LAPTOP = QRect(0, 27, 1366, 741)  # a 1366x768 screen below a 27 px panel


def drawn_text(combo) -> str:
    """What the combo shows of its current text (the text itself for a combo that draws it whole)."""
    return getattr(combo, "displayed_text", combo.currentText)()


def field_width(combo) -> int:
    option = QStyleOptionComboBox()
    combo.initStyleOption(option)
    field = combo.style().subControlRect(
        QStyle.ComplexControl.CC_ComboBox, option, QStyle.SubControl.SC_ComboBoxEditField, combo
    )
    return field.width()


def graph_tab_on_a_laptop(window, qtbot, dataset: Dataset | None = None):
    fit_to_screen(window, LAPTOP)
    window.show()
    session = moons_demo(steps=5)
    if dataset is not None:
        session.dataset = dataset
    window.apply_session(session)
    view = window.graph_view
    window.tabs.setCurrentWidget(view)
    qtbot.waitUntil(lambda: view.sample_combo.width() > 0 and view.sample_combo.count() > 0)
    return view.sample_combo


def fits(combo) -> bool:
    return combo.fontMetrics().horizontalAdvance(drawn_text(combo)) <= field_width(combo)


def test_the_moons_sample_is_drawn_in_the_combo_with_its_target(window, qtbot):
    combo = graph_tab_on_a_laptop(window, qtbot)
    assert combo.currentText() == "Sample 1 (x = 0.672, 0.83 → y = -1)"
    qtbot.waitUntil(lambda: fits(combo), timeout=2000)  # once the toolbar is laid out
    shown = drawn_text(combo)
    assert shown.startswith("Sample 1 (x =") and shown.endswith("→ y = -1)")


def test_a_sample_too_long_for_the_combo_keeps_its_start_and_its_target(window, qtbot):
    inputs = [[-0.123456, 0.987654, -0.555555, 0.444444, 1.5]] * 3
    combo = graph_tab_on_a_laptop(window, qtbot, Dataset(inputs, [1.0, -1.0, 1.0], "wide"))
    qtbot.waitUntil(lambda: fits(combo), timeout=2000)
    assert combo.fontMetrics().horizontalAdvance(combo.currentText()) > field_width(combo)  # too long
    shown = drawn_text(combo)
    assert shown.startswith("Sample 1 (x =") and shown.endswith("→ y = 1)") and "…" in shown
