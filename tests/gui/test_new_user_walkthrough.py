"""What a new user following the lecture met at 1366x768, fixed: the lecture's learning rate on 100
moons with summed squared error saturates (50 % accuracy, loss 200) without a word; the Network
tab numbered samples from 0 where the table and the graph number them from 1; the test split's
count was cut ("none held ou")."""

from __future__ import annotations

from PySide6.QtCore import QRect

from gui.app import fit_to_screen
from gui.panels.training_tips import summed_loss_warning

LAPTOP = QRect(0, 27, 1366, 741)  # a 1366x768 screen with a desktop panel


def _preset(window, key: str) -> None:
    combo = window.data_panel.preset_combo
    combo.setCurrentIndex(combo.findData(key))


def _in_sight(widget, window) -> bool:
    top_left = widget.mapTo(window, widget.rect().topLeft())
    bottom_right = widget.mapTo(window, widget.rect().bottomRight())
    return widget.isVisible() and window.rect().contains(top_left) and window.rect().contains(bottom_right)


def test_the_lectures_rate_on_many_samples_of_summed_error_is_flagged(qtbot, window):
    panel = window.training_panel
    assert not panel.rate_warning.isVisible()  # the lecture's 4 samples at 0.05: its own setting
    _preset(window, "moons")
    assert panel.rate_warning.isVisible()
    text = panel.rate_warning.text()
    assert "100 samples" in text and "Mean squared error" in text and "0.002" in text
    panel.learning_rate_spin.setValue(0.005)  # 0.005 × 100 samples: a step the lecture would take
    assert not panel.rate_warning.isVisible()
    panel.learning_rate_spin.setValue(0.05)
    panel.loss_combo.setCurrentIndex(panel.loss_combo.findData("mse"))  # the mean does not grow
    assert not panel.rate_warning.isVisible()
    panel.loss_combo.setCurrentIndex(panel.loss_combo.findData("sse"))
    panel.batch_spin.setValue(4)  # four samples a step: the lecture's sum
    assert not panel.rate_warning.isVisible()
    panel.batch_spin.setValue(0)
    _preset(window, "lecture")
    assert not panel.rate_warning.isVisible()


def test_the_warning_leaves_the_controls_in_sight_on_a_laptop(qtbot, window):
    fit_to_screen(window, LAPTOP)
    _preset(window, "moons")
    window.training_panel.zero_grad_check.setChecked(False)  # both warnings at once
    panel = window.training_panel
    widgets = (panel.rate_warning, panel.zero_grad_warning, panel.train_button, panel.reset_button)
    qtbot.waitUntil(lambda: all(_in_sight(w, window) for w in widgets))


def test_summed_loss_warning_speaks_of_the_loss_the_user_chose():
    assert summed_loss_warning("sse", 4, 0.05) == ""
    assert summed_loss_warning("mse", 100, 0.05) == ""
    assert summed_loss_warning("hinge", 100, 1.0) == ""
    assert "above about 0.03" in summed_loss_warning("sse", 100, 0.05)
    assert summed_loss_warning("sse", 4, 0.5) == ""  # the lecture's data still learns at 0.5
    lecture_too_fast = summed_loss_warning("sse", 4, 1.0)
    assert "near 0.05." in lecture_too_fast and "Mean squared error" not in lecture_too_fast


def test_the_network_tab_numbers_samples_as_the_table_does(qtbot, window):
    window.tabs.setCurrentWidget(window.network_view)
    window.data_panel.table.selectRow(2)  # the table's row 3
    view = window.network_view
    assert view.sample_spin.value() == 3 and view.sample_spin.text() == "sample 3"
    qtbot.waitUntil(lambda: "sample 3: x = (0.5, 1, 1)" in view.details.text())
    view.sample_spin.setValue(1)
    qtbot.waitUntil(lambda: "sample 1: x = (2, 3, -1)" in view.details.text())
    assert view.sample_spin.maximum() == 4  # the lecture's 4 samples, 1 to 4


def test_the_test_splits_count_is_whole_on_a_laptop(qtbot, window):
    fit_to_screen(window, LAPTOP)
    field = window.data_panel.test_split_field
    label = field.count_label
    qtbot.waitUntil(lambda: label.width() > 0)
    for percent in (0, 30):
        field.percent_spin.setValue(percent)
        assert label.width() >= label.fontMetrics().horizontalAdvance(label.text()), label.text()


def test_the_optimizers_fields_line_up_with_the_other_training_options(qtbot, window):
    panel = window.training_panel
    panel.optimizer_fields.combo.setCurrentIndex(2)  # Adam: its three fields shown
    window.settings_column.scroll.ensureWidgetVisible(panel.optimizer_fields.eps_spin)
    left = {
        name: widget.mapTo(window, widget.rect().topLeft()).x()
        for name, widget in (
            ("Steps", panel.steps_spin),
            ("Loss", panel.loss_combo),
            ("Optimizer", panel.optimizer_fields.combo),
            ("Adam ε", panel.optimizer_fields.eps_spin),
        )
    }
    assert len(set(left.values())) == 1, left
