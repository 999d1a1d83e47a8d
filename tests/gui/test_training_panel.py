"""The Training panel: settings in both directions, the learning-rate spin box, and the buttons per state."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from engine.train import TrainSettings
from gui.training_panel import LogSpinBox, TrainingPanel


@pytest.fixture
def panel(qtbot):
    p = TrainingPanel()
    qtbot.addWidget(p)
    return p


def test_defaults_are_train_settings_defaults(panel):
    assert panel.settings() == TrainSettings()
    assert panel.learning_rate_spin.text() == "0.05"
    assert panel.batch_spin.text() == "full batch"
    assert panel.loss_combo.currentText() == "Squared error (lecture)"
    assert panel.zero_grad_check.isChecked() and panel.zero_grad_warning.isHidden()
    assert panel.progress_bar.text() == "step 0 / 100"


def test_loss_combo_offers_every_loss_by_key(panel):
    keys = [panel.loss_combo.itemData(i) for i in range(panel.loss_combo.count())]
    assert keys == ["sse", "mse", "hinge", "bce"]
    names = [panel.loss_combo.itemText(i) for i in range(panel.loss_combo.count())]
    assert names == [
        "Squared error (lecture)",
        "Mean squared error",
        "Hinge (micrograd demo)",
        "Binary cross-entropy",
    ]


def test_log_spin_box_steps_multiplicatively(qtbot):
    spin = LogSpinBox()
    qtbot.addWidget(spin)
    spin.setValue(0.05)
    spin.stepUp()
    assert spin.value() == pytest.approx(0.063)
    assert spin.text() == "0.063"
    spin.stepUp()
    spin.stepUp()
    assert spin.value() == pytest.approx(0.1)
    spin.setValue(0.05)
    spin.stepDown()
    assert spin.value() == pytest.approx(0.04)
    spin.setValue(0.05)
    spin.stepBy(10)  # Page Up: a decade
    assert spin.value() == pytest.approx(0.5)


def test_log_spin_box_snaps_off_grid_values_and_stays_in_range(qtbot):
    spin = LogSpinBox()
    qtbot.addWidget(spin)
    spin.setValue(0.03)
    spin.stepUp()
    assert spin.value() == pytest.approx(0.032)
    spin.setValue(0.03)
    spin.stepDown()
    assert spin.value() == pytest.approx(0.025)
    spin.setValue(100)
    spin.stepUp()
    assert spin.value() == 100
    spin.setValue(1e-5)
    spin.stepDown()
    assert spin.value() == pytest.approx(1e-5)
    spin.stepUp()  # 1.25e-5 shows as 0.00001 with 5 decimals: the step must still move
    assert spin.value() > 1e-5


def test_log_spin_box_accepts_typed_values(qtbot):
    spin = LogSpinBox()
    qtbot.addWidget(spin)
    spin.lineEdit().selectAll()
    qtbot.keyClicks(spin, "1e-3")
    qtbot.keyClick(spin, Qt.Key.Key_Return)
    assert spin.value() == pytest.approx(0.001)
    spin.lineEdit().selectAll()
    qtbot.keyClicks(spin, "0.7")
    qtbot.keyClick(spin, Qt.Key.Key_Return)
    assert spin.value() == pytest.approx(0.7)
    spin.lineEdit().selectAll()
    qtbot.keyClicks(spin, "-x")  # rejected keystrokes: the value stays
    qtbot.keyClick(spin, Qt.Key.Key_Return)
    assert spin.value() == pytest.approx(0.7)


def test_learning_rate_change_emits_settings(qtbot, panel):
    with qtbot.waitSignal(panel.settings_changed, timeout=1000) as blocker:
        panel.learning_rate_spin.setValue(0.2)
    assert blocker.args[0].learning_rate == pytest.approx(0.2)
    assert blocker.args[0].steps == 100


@pytest.mark.parametrize(
    ("change", "field", "value"),
    [
        (lambda p: p.decay_check.setChecked(True), "decay", True),
        (lambda p: p.steps_spin.setValue(500), "steps", 500),
        (lambda p: p.batch_spin.setValue(8), "batch_size", 8),
        (lambda p: p.loss_combo.setCurrentIndex(p.loss_combo.findData("hinge")), "loss", "hinge"),
        (lambda p: p.l2_spin.setValue(1e-4), "l2", 1e-4),
    ],
)
def test_every_field_emits_settings(qtbot, panel, change, field, value):
    with qtbot.waitSignal(panel.settings_changed, timeout=1000) as blocker:
        change(panel)
    assert getattr(blocker.args[0], field) == pytest.approx(value)
    assert getattr(panel.settings(), field) == pytest.approx(value)


def test_zero_grad_off_warns(qtbot, panel):
    with qtbot.waitSignal(panel.settings_changed, timeout=1000) as blocker:
        panel.zero_grad_check.setChecked(False)
    assert blocker.args[0].zero_grad is False
    assert panel.settings().zero_grad is False
    assert not panel.zero_grad_warning.isHidden()
    assert "accumulate" in panel.zero_grad_warning.text()
    tip = panel.zero_grad_check.toolTip()
    assert "+=" in tip and "2018" in tip and "loss curves" in tip
    panel.zero_grad_check.setChecked(True)
    assert panel.zero_grad_warning.isHidden()


def test_set_settings_round_trip_without_emitting(qtbot, panel):
    s = TrainSettings(
        learning_rate=0.3,
        decay=True,
        steps=250,
        batch_size=16,
        loss="bce",
        l2=2.5e-5,
        zero_grad=False,
        seed=9,
    )
    with qtbot.assertNotEmitted(panel.settings_changed):
        panel.set_settings(s)
    assert panel.settings() == s
    assert not panel.zero_grad_warning.isHidden()
    panel.set_settings(TrainSettings())
    assert panel.settings() == TrainSettings() and panel.zero_grad_warning.isHidden()


def enabled(panel: TrainingPanel) -> set[str]:
    buttons = {
        "train": panel.train_button,
        "pause": panel.pause_button,
        "step": panel.step_button,
        "reset": panel.reset_button,
    }
    return {name for name, button in buttons.items() if button.isEnabled()}


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ("idle", {"train", "step"}),
        ("training", {"pause", "reset"}),
        ("paused", {"train", "step", "reset"}),
        ("finished", {"reset"}),
        ("diverged", {"reset"}),
    ],
)
def test_set_state_enables_the_right_buttons(panel, state, expected):
    panel.set_state(state)
    assert enabled(panel) == expected
    assert panel.train_button.text() == ("Resume" if state == "paused" else "Train")


def test_finished_and_diverged_say_what_to_do(panel):
    panel.set_state("finished")
    assert "Raise Steps" in panel.hint_label.text() and not panel.hint_label.isHidden()
    panel.set_state("diverged")
    assert "smaller learning rate" in panel.hint_label.text()
    panel.set_state("idle")
    assert panel.hint_label.isHidden()


def test_set_train_enabled_overrides_state_and_explains(panel):
    panel.set_state("paused")
    panel.set_train_enabled(False, "Fix the model's layer sizes first")
    assert enabled(panel) == {"reset"}
    assert panel.train_button.toolTip() == "Fix the model's layer sizes first"
    assert panel.step_button.toolTip() == "Fix the model's layer sizes first"
    panel.set_train_enabled(True)
    assert enabled(panel) == {"train", "step", "reset"}
    assert "Space" in panel.train_button.toolTip() and "Ctrl+Right" in panel.step_button.toolTip()


def test_buttons_emit_requests(qtbot, panel):
    panel.set_state("idle")
    with qtbot.waitSignal(panel.train_requested, timeout=1000):
        panel.train_button.click()
    with qtbot.waitSignal(panel.step_requested, timeout=1000):
        panel.step_button.click()
    panel.set_state("training")
    with qtbot.waitSignal(panel.pause_requested, timeout=1000):
        panel.pause_button.click()
    with qtbot.waitSignal(panel.reset_requested, timeout=1000):
        panel.reset_button.click()
    with qtbot.assertNotEmitted(panel.train_requested):
        panel.train_button.click()  # disabled while training


def test_tooltips_name_shortcuts_and_the_lecture(panel):
    assert "Ctrl+R" in panel.reset_button.toolTip()
    assert "Space" in panel.pause_button.toolTip()
    tip = panel.learning_rate_spin.toolTip()
    assert "step size" in tip and "overshoot" in tip and "blow up" in tip


def test_set_progress(panel):
    panel.set_progress(37, 100)
    assert panel.progress_bar.text() == "step 37 / 100"
    assert panel.progress_bar.value() == 37
