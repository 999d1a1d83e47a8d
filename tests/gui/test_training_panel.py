"""The Training panel: settings in both directions, the learning-rate spin box, and the buttons per state."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QFocusEvent
from PySide6.QtWidgets import QApplication

from engine.settings import TrainSettings
from gui.panels.model_panel import FIX_LAYERS_FIRST
from gui.panels.training_panel import LogSpinBox, TrainingPanel


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
    panel.set_train_enabled(False, FIX_LAYERS_FIRST)
    assert enabled(panel) == {"reset"}
    assert panel.train_button.toolTip() == FIX_LAYERS_FIRST
    assert panel.step_button.toolTip() == FIX_LAYERS_FIRST
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


# ---- what a field shows is what training uses


def type_into(qtbot, spin, text: str) -> None:
    spin.setFocus()
    spin.lineEdit().selectAll()
    qtbot.keyClicks(spin.lineEdit(), text)


def leave(spin) -> None:
    """Move the focus away from `spin`, as a click elsewhere or Tab does."""
    QApplication.sendEvent(spin, QFocusEvent(QEvent.Type.FocusOut, Qt.FocusReason.TabFocusReason))


@pytest.mark.parametrize("typed", ["-0.5", "1e-9", "1000", "nan", "inf", "abc", "", "0"])
def test_learning_rate_that_cannot_be_used_is_marked_and_blocks_train(qtbot, panel, typed):
    with qtbot.assertNotEmitted(panel.settings_changed):
        type_into(qtbot, panel.learning_rate_spin, "x" if typed == "" else typed)
        if typed == "":
            qtbot.keyClick(panel.learning_rate_spin.lineEdit(), Qt.Key.Key_Backspace)
    assert panel.learning_rate_spin.lineEdit().text() == typed  # no keystroke dropped, nothing clamped
    message = panel.field_messages[panel.learning_rate_spin]
    assert not message.isHidden()
    assert "from 0.00001 to 100" in message.text()
    assert not panel.train_button.isEnabled() and not panel.step_button.isEnabled()
    assert "0.00001 to 100" in panel.train_button.toolTip()
    with qtbot.assertNotEmitted(panel.train_requested):
        panel.train_button.click()
    assert panel.settings().learning_rate == 0.05


@pytest.mark.parametrize("typed", ["-0.5", "1e-9"])
def test_learning_rate_refused_on_enter_goes_back_visibly(qtbot, panel, typed):
    spin = panel.learning_rate_spin
    with qtbot.assertNotEmitted(panel.settings_changed):
        type_into(qtbot, spin, typed)
        qtbot.keyClick(spin.lineEdit(), Qt.Key.Key_Return)
    assert spin.text() == "0.05" and panel.settings().learning_rate == 0.05
    message = panel.field_messages[spin].text()
    assert (
        f"not “{typed}”" in message
        and message.startswith("Kept 0.05")
        and not panel.field_messages[spin].isHidden()
    )
    assert panel.train_button.isEnabled()  # what it shows is what it uses
    type_into(qtbot, spin, "0.2")  # the next edit clears the old message
    assert panel.field_messages[spin].isHidden()


def test_learning_rate_keeps_every_digit_typed(qtbot, panel):
    spin = panel.learning_rate_spin
    for typed, used in [("0.000015", 1.5e-5), ("0.123456", 0.123456), ("1e-5", 1e-5), ("0,3", 0.3)]:
        with qtbot.waitSignal(panel.settings_changed, timeout=1000) as blocker:
            type_into(qtbot, spin, typed)
            qtbot.keyClick(spin.lineEdit(), Qt.Key.Key_Return)
        assert blocker.args[0].learning_rate == used
        assert spin.value() == used


@pytest.mark.parametrize(
    ("name", "typed"),
    [
        ("steps_spin", "0"),
        ("steps_spin", "-5"),
        ("steps_spin", "200000"),
        ("steps_spin", "1.5"),
        ("batch_spin", "-1"),
        ("batch_spin", "100001"),
        ("l2_spin", "-0.1"),
        ("l2_spin", "2"),
        ("l2_spin", "1e-12"),  # would round to 0 ("off")
    ],
)
def test_every_number_field_refuses_visibly_instead_of_clamping(qtbot, panel, name, typed):
    spin = getattr(panel, name)
    before = panel.settings()
    with qtbot.assertNotEmitted(panel.settings_changed):
        type_into(qtbot, spin, typed)
        assert spin.lineEdit().text() == typed
        assert not panel.train_button.isEnabled()
        assert spin.field_name in panel.field_messages[spin].text()
        leave(spin)  # leaving the field commits, as Enter does
    assert panel.settings() == before
    assert f"not “{typed}”" in panel.field_messages[spin].text()
    assert panel.train_button.isEnabled()


def test_a_click_on_train_uses_the_text_still_being_typed(qtbot, panel):
    spin = panel.steps_spin
    spin.lineEdit().setText("250")  # typed, not yet committed (a click need not take the focus)
    with qtbot.waitSignal(panel.train_requested, timeout=1000):
        panel.train_button.click()
    assert panel.settings().steps == 250


def test_set_settings_refuses_what_the_fields_cannot_show(qtbot, panel):
    shown = TrainSettings(learning_rate=0.3, steps=250)
    panel.set_settings(shown)
    for bad in [
        TrainSettings(learning_rate=1e6),
        TrainSettings(learning_rate=float("nan")),
        TrainSettings(steps=200_000),
        TrainSettings(steps=2**31),
        TrainSettings(batch_size=-1),
        TrainSettings(l2=1e-12),
        TrainSettings(loss="nope"),
        TrainSettings(decay="no"),
        TrainSettings(seed=[1, 2]),
        TrainSettings(seed=-5),
    ]:
        with pytest.raises(ValueError):
            panel.set_settings(bad)
        assert panel.settings() == shown  # nothing half-set
    # and no field was left with its signals blocked
    with qtbot.waitSignal(panel.settings_changed, timeout=1000) as blocker:
        type_into(qtbot, panel.learning_rate_spin, "0.7")
        qtbot.keyClick(panel.learning_rate_spin.lineEdit(), Qt.Key.Key_Return)
    assert blocker.args[0].learning_rate == 0.7 and panel.settings().learning_rate == 0.7


def test_field_problem_and_model_block_train_together(qtbot, panel):
    panel.set_train_enabled(False, FIX_LAYERS_FIRST)
    type_into(qtbot, panel.steps_spin, "0")
    assert "Steps must be a whole number from 1 to 100000" in panel.train_button.toolTip()
    leave(panel.steps_spin)
    assert panel.train_button.toolTip() == FIX_LAYERS_FIRST
    assert not panel.train_button.isEnabled()
    panel.set_train_enabled(True)
    assert panel.train_button.isEnabled()


def test_why_train_is_off_shows_under_the_buttons(qtbot, panel):
    type_into(qtbot, panel.learning_rate_spin, "-1")
    assert not panel.hint_label.isHidden()
    assert panel.hint_label.text() == "Learning rate must be a number from 0.00001 to 100"
    type_into(qtbot, panel.learning_rate_spin, "0.1")
    assert panel.hint_label.isHidden()


def test_controls_hold_the_key_fields_a_window_pins_and_the_panel_keeps_the_rest(panel):
    """What a learner reaches for during a run is in `controls`, so a window can keep it in sight."""
    pinned = (
        panel.learning_rate_spin,
        panel.find_rate_button,
        panel.zero_grad_check,
        panel.zero_grad_warning,
        panel.train_button,
        panel.pause_button,
        panel.step_button,
        panel.reset_button,
        panel.progress_bar,
        panel.hint_label,
    )
    for widget in pinned:
        assert panel.controls.isAncestorOf(widget), widget
    for widget in (panel.steps_spin, panel.batch_spin, panel.loss_combo, panel.l2_spin, panel.decay_check):
        assert not panel.controls.isAncestorOf(widget) and panel.isAncestorOf(widget), widget
    assert not panel.controls.isAncestorOf(panel.compiled_check)


def test_progress_is_painted_with_the_next_paint_not_inside_the_call(qtbot, panel):
    """QProgressBar.setValue repaints at once; set_progress (twice per Reset, Open, New session,
    and at every progress event) must leave the painting to the event loop."""
    from PySide6.QtCore import QObject

    class PaintCounter(QObject):
        def __init__(self) -> None:
            super().__init__()
            self.paints = 0

        def eventFilter(self, watched, event) -> bool:
            self.paints += event.type() == QEvent.Type.Paint
            return False

    panel.show()
    qtbot.waitExposed(panel)
    counter = PaintCounter()
    panel.progress_bar.installEventFilter(counter)
    qtbot.waitUntil(lambda: counter.paints > 0)  # the bar's first paint, as the window shows it
    counter.paints = 0
    for step in (40, 41, 90):
        panel.set_progress(step, 100)
    assert counter.paints == 0
    assert (panel.progress_bar.value(), panel.progress_bar.text()) == (90, "step 90 / 100")
    qtbot.waitUntil(lambda: counter.paints > 0)  # shown all the same, by the event loop
    panel.progress_bar.removeEventFilter(counter)
