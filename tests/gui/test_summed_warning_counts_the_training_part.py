"""The summed-loss warning counts the samples a step sums over: the training part, not those held out."""

from __future__ import annotations


def _moons(window) -> None:
    combo = window.data_panel.preset_combo
    combo.setCurrentIndex(combo.findData("moons"))


def test_a_test_split_lowers_the_count_the_warning_uses(qtbot, window):
    _moons(window)  # 100 samples
    panel = window.training_panel
    panel.loss_combo.setCurrentIndex(panel.loss_combo.findData("sse"))
    panel.learning_rate_spin.setValue(0.05)  # 0.05 x 100 = 5: too large a step
    assert panel.rate_warning.isVisible() and "100 samples" in panel.rate_warning.text()
    window.data_panel.test_split_field.percent_spin.setValue(50)  # 50 train: 0.05 x 50 = 2.5
    assert not panel.rate_warning.isVisible()
    panel.learning_rate_spin.setValue(0.1)  # 0.1 x 50 = 5
    assert panel.rate_warning.isVisible() and "50 samples" in panel.rate_warning.text()
    panel.batch_spin.setValue(20)  # a batch of the training part
    assert not panel.rate_warning.isVisible()
    panel.batch_spin.setValue(80)  # larger than the training part: the step sums all 50
    assert "50 samples" in panel.rate_warning.text()
    window.data_panel.test_split_field.percent_spin.setValue(0)
    assert "80 samples" in panel.rate_warning.text()
