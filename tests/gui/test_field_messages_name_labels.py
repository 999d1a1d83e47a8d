"""Each number field's message names the field as its label shows it ("Adam ε must be…", not
"adam ε must be…"), in the live problem and in the notice after text it could not use."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from gui.panels.input_checks import _Checked


def _panel_of(window, field):
    for panel in (window.data_panel, window.model_panel, window.training_panel, window.settings_column):
        if panel.isAncestorOf(field):
            return panel
    raise AssertionError(f"{field.field_name} is in no panel")


def test_every_fields_message_starts_with_its_label(qtbot, window):
    window.training_panel.optimizer_fields.combo.setCurrentIndex(2)  # Adam: β1, β2 and ε shown
    fields = window.findChildren(_Checked)
    assert len(fields) >= 13
    for field in fields:
        labels = {label.text() for label in _panel_of(window, field).findChildren(QLabel)}
        assert field.field_name in labels, f"no label reads {field.field_name!r}"
        field.setEnabled(True)
        field.setFocus()
        field.lineEdit().selectAll()
        qtbot.keyClicks(field.lineEdit(), "-7x")
        assert field.problem.startswith(f"{field.field_name} must be"), field.problem
        qtbot.keyClick(field, Qt.Key.Key_Return)
        assert field.notice.startswith(f"Kept {field.text()}: {field.field_name} must be"), field.notice


def test_adams_fields_are_labelled_as_their_messages_name_them(qtbot, window):
    fields = window.training_panel.optimizer_fields
    form = fields.form
    for key, spin in fields.spins.items():
        assert form.labelForField(fields._rows[key]).text() == spin.field_name
    assert [spin.field_name for spin in fields.spins.values()] == [
        "Momentum μ",
        "Adam β1",
        "Adam β2",
        "Adam ε",
    ]
