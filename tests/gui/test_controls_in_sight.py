"""The controls that matter are in sight: at 1366x768 and at the default size, without scrolling.

Train / Pause / Step / Reset, the learning rate with its Find… button, the zero_grad switch
and its warning, and the progress bar must be whole on screen: inside the window, and not
cut off by the scrolling settings column. Every other field stays reachable by scrolling.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import QRect
from PySide6.QtWidgets import QAbstractScrollArea, QWidget

from gui.app import FRAME_ALLOWANCE, fit_to_screen, fitted_size

# A 1366x768 laptop screen, whole, and with a 27 px desktop panel (GNOME's top bar, a taskbar).
LAPTOP_SCREENS = [QRect(0, 0, 1366, 768), QRect(0, 27, 1366, 741)]


def key_controls(window) -> dict[str, QWidget]:
    panel = window.training_panel
    names = (
        "train_button",
        "pause_button",
        "step_button",
        "reset_button",
        "learning_rate_spin",
        "find_rate_button",
        "zero_grad_check",
        "zero_grad_warning",
        "progress_bar",
    )
    return {name: getattr(panel, name) for name in names}


def hidden_part(widget: QWidget, window: QWidget) -> str:
    """Why some of `widget` is out of sight ("" if all of it shows): each ancestor, the scroll
    area's viewport among them, must hold the widget's whole rectangle."""
    if not widget.isVisible():
        return "not shown"
    rect = widget.rect()
    ancestor = widget
    while ancestor is not window:
        parent = ancestor.parentWidget()
        rect = rect.translated(ancestor.pos())  # into the parent's coordinates
        if not parent.rect().contains(rect):
            where = (
                "the scroll area's viewport" if isinstance(parent.parentWidget(), QAbstractScrollArea) else ""
            )
            return f"{rect} is outside {where or type(parent).__name__} {parent.rect()}"
        ancestor = parent
    return ""


def show_zero_grad_warning(window) -> None:
    window.training_panel.zero_grad_check.setChecked(False)
    assert window.training_panel.zero_grad_warning.isVisible()


@pytest.mark.parametrize("screen", LAPTOP_SCREENS, ids=["1366x768", "1366x768-with-panel"])
def test_key_controls_are_in_sight_on_a_laptop_screen(window, qtbot, screen):
    fit_to_screen(window, screen)
    assert window.width() + FRAME_ALLOWANCE[0] <= screen.width()
    assert window.height() + FRAME_ALLOWANCE[1] <= screen.height()
    assert screen.contains(window.geometry())
    show_zero_grad_warning(window)
    qtbot.waitUntil(lambda: not any(hidden_part(w, window) for w in key_controls(window).values()))
    for name, widget in key_controls(window).items():
        assert hidden_part(widget, window) == "", name


def test_key_controls_are_in_sight_at_the_default_size(window, qtbot):
    assert window.height() >= 820  # the window as MainWindow makes it (its width may grow to its minimum)
    show_zero_grad_warning(window)
    qtbot.waitUntil(lambda: not any(hidden_part(w, window) for w in key_controls(window).values()))
    for name, widget in key_controls(window).items():
        assert hidden_part(widget, window) == "", name


def test_the_other_settings_stay_reachable_by_scrolling(window, qtbot):
    fit_to_screen(window, LAPTOP_SCREENS[1])
    panel = window.training_panel
    scroll = window.settings_column.scroll
    for field in (panel.steps_spin, panel.batch_spin, panel.loss_combo, panel.l2_spin, panel.compiled_check):
        scroll.ensureWidgetVisible(field)
        qtbot.waitUntil(lambda field=field: hidden_part(field, window) == "")


def test_a_field_message_under_the_learning_rate_stays_in_sight(window, qtbot):
    """Text that cannot be used explains itself under the field, still above the fold."""
    fit_to_screen(window, LAPTOP_SCREENS[1])
    spin = window.training_panel.learning_rate_spin
    spin.lineEdit().setText("fast")
    spin.commit()
    message = window.training_panel.field_messages[spin]
    qtbot.waitUntil(lambda: message.isVisible() and hidden_part(message, window) == "")
    assert hidden_part(window.training_panel.train_button, window) == ""


def test_fitted_size_keeps_a_window_that_fits_and_shrinks_one_that_does_not():
    assert fitted_size((1280, 820), (1920, 1050)) == (1280, 820)
    assert fitted_size((1280, 820), (1366, 741)) == (1280, 741 - FRAME_ALLOWANCE[1])
    assert fitted_size((1280, 820), (1024, 600)) == (1024 - FRAME_ALLOWANCE[0], 600 - FRAME_ALLOWANCE[1])


def test_a_window_that_fits_is_left_its_size_and_placed_on_the_screen(window):
    big_screen = QRect(1920, 0, 1920, 1080)  # a second monitor, right of the first
    size = window.size()
    fit_to_screen(window, big_screen)
    assert window.size() == size
    assert big_screen.contains(window.geometry())
