"""The Model panel: the user types a network and the spec follows; a spec set in code shows up."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication

from engine.spec import ModelSpec, SpecError, parse_layer_sizes
from gui.panels.model_panel import ModelPanel


@pytest.fixture
def panel(qtbot):
    p = ModelPanel()
    qtbot.addWidget(p)
    return p


def type_layers(qtbot, panel: ModelPanel, text: str) -> None:
    """Replace the layer sizes the way a user does: select all, then type (or delete)."""
    panel.layers_edit.selectAll()
    if text:
        qtbot.keyClicks(panel.layers_edit, text)
    else:
        qtbot.keyClick(panel.layers_edit, Qt.Key.Key_Backspace)


def test_defaults_are_the_lecture_mlp(panel):
    assert panel.spec() == ModelSpec(hidden_sizes=[4, 4], hidden_activations=["tanh", "tanh"])
    assert panel.spec().output_activation == "tanh" and panel.spec().seed == 0
    assert panel.is_valid()
    assert panel.layers_edit.text() == "4, 4"
    assert len(panel.activation_combos) == 2
    assert panel.summary_label.text().startswith("MLP 3-4-4-1 · 41 parameters")
    assert "117 graph nodes per sample (53 fused)" in panel.summary_label.text()


def test_typing_layers_updates_spec_combos_and_summary(qtbot, panel):
    emitted = []
    panel.spec_changed.connect(emitted.append)
    type_layers(qtbot, panel, "8, 8")
    assert panel.spec().hidden_sizes == [8, 8]
    assert emitted[-1].hidden_sizes == [8, 8]
    assert len(panel.activation_combos) == 2
    assert "MLP 3-8-8-1 · 113 parameters" in panel.summary_label.text()  # 4*8 + 9*8 + 9

    type_layers(qtbot, panel, "16 16 16")
    assert emitted[-1].hidden_sizes == [16, 16, 16]
    assert emitted[-1].hidden_activations == ["tanh"] * 3
    assert len(panel.activation_combos) == 3

    type_layers(qtbot, panel, "")
    assert emitted[-1].hidden_sizes == [] and emitted[-1].hidden_activations == []
    assert panel.activation_combos == []
    assert "MLP 3-1 · 4 parameters" in panel.summary_label.text()


def test_each_keystroke_of_a_valid_layer_list_emits_once_per_distinct_spec(qtbot, panel):
    emitted = []
    panel.spec_changed.connect(emitted.append)
    type_layers(qtbot, panel, "4 4")  # "4", "4 ", "4 4": the middle one is the same spec as the first
    assert [s.hidden_sizes for s in emitted] == [[4], [4, 4]]


def test_new_layers_take_the_last_layers_activation(qtbot, panel):
    panel.activation_combos[1].setCurrentIndex(panel.activation_combos[1].findData("relu"))
    type_layers(qtbot, panel, "4, 4, 2")
    assert [c.currentData() for c in panel.activation_combos] == ["tanh", "relu", "relu"]
    type_layers(qtbot, panel, "4")
    assert [c.currentData() for c in panel.activation_combos] == ["tanh"]
    assert panel.spec().hidden_activations == ["tanh"]


def test_a_layer_typed_away_and_back_keeps_its_activation(qtbot, panel):
    panel.activation_combos[1].setCurrentIndex(panel.activation_combos[1].findData("sigmoid"))
    type_layers(qtbot, panel, "8, 8")  # passes through "8" (one layer) on the way
    assert [c.currentData() for c in panel.activation_combos] == ["tanh", "sigmoid"]


@pytest.mark.parametrize("bad", ["4,,x", "0", "-2", "abc", "300", "1,1,1,1,1,1,1,1,1"])
def test_bad_layer_sizes_show_the_message_and_keep_the_last_valid_spec(qtbot, panel, bad):
    with pytest.raises(SpecError) as expected:
        parse_layer_sizes(bad)
    type_layers(qtbot, panel, "8, 8")
    emitted, validity = [], []
    panel.spec_changed.connect(emitted.append)
    panel.validity_changed.connect(validity.append)

    panel.layers_edit.setText(bad)
    panel.layers_edit.textEdited.emit(bad)

    assert panel.error_label.text() == str(expected.value)
    assert not panel.error_label.isHidden()
    assert panel.layers_edit.property("invalid") is True
    assert validity == [False]
    assert not panel.is_valid() and panel.spec() is None
    assert emitted == []  # so the last spec emitted is still the valid [8, 8]

    type_layers(qtbot, panel, "2")
    assert validity == [False, True]
    assert panel.error_label.isHidden() and panel.layers_edit.property("invalid") is False
    assert emitted[-1].hidden_sizes == [2]


def test_typing_through_invalid_text_emits_validity_only_on_switches(qtbot, panel):
    validity = []
    panel.validity_changed.connect(validity.append)
    type_layers(qtbot, panel, "4,,x")  # "4" valid, "4," and the rest invalid
    assert validity == [False]
    assert panel.error_label.text() == str(_spec_error("4,,x"))


def test_activation_and_seed_changes_emit(panel):
    emitted = []
    panel.spec_changed.connect(emitted.append)
    panel.output_combo.setCurrentIndex(panel.output_combo.findData("linear"))
    assert emitted[-1].output_activation == "linear"
    panel.activation_combos[0].setCurrentIndex(panel.activation_combos[0].findData("sigmoid"))
    assert emitted[-1].hidden_activations == ["sigmoid", "tanh"]
    panel.seed_spin.setValue(7)
    assert emitted[-1].seed == 7
    assert len(emitted) == 3


def test_activation_change_while_invalid_does_not_emit(panel):
    panel.layers_edit.setText("x")
    panel.layers_edit.textEdited.emit("x")
    emitted = []
    panel.spec_changed.connect(emitted.append)
    panel.output_combo.setCurrentIndex(panel.output_combo.findData("relu"))
    assert emitted == [] and panel.spec() is None


def test_set_spec_shows_it_without_emitting(qtbot, panel):
    spec = ModelSpec(
        hidden_sizes=[16, 8, 2],
        hidden_activations=["relu", "relu", "sigmoid"],
        output_activation="linear",
        seed=42,
    )
    with qtbot.assertNotEmitted(panel.spec_changed):
        panel.set_spec(spec)
    assert panel.spec() == spec
    assert panel.layers_edit.text() == "16, 8, 2"
    assert [c.currentData() for c in panel.activation_combos] == ["relu", "relu", "sigmoid"]
    assert panel.output_combo.currentData() == "linear" and panel.seed_spin.value() == 42
    assert "MLP 3-16-8-2-1" in panel.summary_label.text()


def test_set_spec_clears_an_invalid_state(qtbot, panel):
    panel.layers_edit.setText("0")
    panel.layers_edit.textEdited.emit("0")
    with qtbot.waitSignal(panel.validity_changed) as blocker:
        panel.set_spec(ModelSpec())
    assert blocker.args == [True]
    assert panel.is_valid() and panel.error_label.isHidden()
    assert panel.spec() == ModelSpec()


def test_set_n_inputs_updates_the_summary(panel):
    panel.set_n_inputs(2)
    assert panel.summary_label.text().startswith("MLP 2-4-4-1 · 37 parameters")  # 3*4 + 5*4 + 5
    assert panel.spec() == ModelSpec()


def _spec_error(text: str) -> SpecError:
    try:
        parse_layer_sizes(text)
    except SpecError as exc:
        return exc
    raise AssertionError(f"{text!r} parsed")


# ---- layer sizes however they arrive: typed, pasted, set from code


ODD_DIGITS = ["--4", "4, ²", "①", "4, ٣x", "+-3"]


def type_any(edit, text: str) -> None:
    """Type `text` key by key, non-ASCII characters too (as a keyboard layout or an input method does)."""
    edit.selectAll()
    for char in text:
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            QApplication.sendEvent(edit, QKeyEvent(kind, 0, Qt.KeyboardModifier.NoModifier, char))


def paste(qtbot, edit, text: str) -> None:
    QApplication.clipboard().setText(text)
    edit.selectAll()
    qtbot.keyClick(edit, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)


@pytest.mark.parametrize("bad", ODD_DIGITS)
@pytest.mark.parametrize("how", ["typed", "pasted", "set", "inserted"])
def test_odd_digits_in_layer_sizes_show_a_message_and_invalidate(qtbot, panel, bad, how):
    type_layers(qtbot, panel, "8")
    validity = []
    panel.validity_changed.connect(validity.append)
    edit = panel.layers_edit
    if how == "typed":
        type_any(edit, bad)
    elif how == "pasted":
        paste(qtbot, edit, bad)
    elif how == "set":
        edit.setText(bad)
    else:
        edit.selectAll()
        edit.insert(bad)
    assert edit.text() == bad
    assert validity[-1:] == [False] and not panel.is_valid() and panel.spec() is None
    message = panel.error_label.text()
    assert message and not panel.error_label.isHidden()
    assert "int()" not in message and "base 10" not in message  # about the field, not about Python
    if how == "typed":
        # the message is about the whole text, not a stale one from a keystroke before
        assert message == _message_for(bad)
    type_layers(qtbot, panel, "2")
    assert panel.is_valid() and panel.error_label.isHidden()


def _message_for(text: str) -> str:
    panel = ModelPanel()
    panel.layers_edit.setText(text)
    return panel.error_label.text()


def test_odd_digits_pasted_into_the_window_disable_train(qtbot):
    from gui.window.main_window import MainWindow

    window = MainWindow()
    qtbot.addWidget(window)
    try:
        paste(qtbot, window.model_panel.layers_edit, "4, ²")
        assert not window.training_panel.train_button.isEnabled()
        assert not window.training_panel.step_button.isEnabled()
        assert not window.model_panel.error_label.isHidden()
        window.model_panel.layers_edit.setText("4")
        assert window.training_panel.train_button.isEnabled()
    finally:
        window.controller.shutdown()


def test_set_spec_refuses_a_seed_the_field_cannot_show(qtbot, panel):
    for seed in (-5, 2**31, "1", [1, 2], True):
        with pytest.raises(SpecError):
            panel.set_spec(ModelSpec(seed=seed))
    assert panel.spec() == ModelSpec()
    with qtbot.waitSignal(panel.spec_changed, timeout=1000):
        panel.seed_spin.setValue(7)  # and its signals were not left blocked


@pytest.mark.parametrize("typed", ["-5", "2147483648", "1.5", "abc"])
def test_a_seed_that_cannot_be_used_is_marked_then_refused_visibly(qtbot, panel, typed):
    spin = panel.seed_spin
    with qtbot.assertNotEmitted(panel.spec_changed):
        spin.lineEdit().selectAll()
        qtbot.keyClicks(spin.lineEdit(), typed)
        assert spin.lineEdit().text() == typed  # the "-" of "-5" is not dropped
        assert "Seed must be a whole number from 0 to 2147483647" in panel.seed_message.text()
        qtbot.keyClick(spin.lineEdit(), Qt.Key.Key_Return)
    assert spin.text() == "0" and panel.spec().seed == 0
    assert panel.seed_message.text().startswith("Kept 0: ") and f"not “{typed}”" in panel.seed_message.text()
    panel.set_spec(ModelSpec(seed=3))
    assert panel.seed_message.isHidden()
