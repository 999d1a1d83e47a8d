"""The Hidden layers field's messages name it as its label reads, and quote what was typed plainly."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QLabel

from engine.spec import LAYERS_FIELD


@pytest.mark.parametrize(
    "typed, expected",
    [
        ("4,,x", "Hidden layers: “4,,x” has an empty size; write sizes like 4, 4"),
        ("4, x", "Hidden layers, layer 2: “x” is not a whole number; write digits 0-9, like 4"),
        ("0", "Hidden layers, layer 1: a layer needs at least 1 neuron, not 0"),
        ("1 1 1 1 1 1 1 1 1", "Hidden layers: 9 layers; at most 8"),
        ("4\t,", "Hidden layers: “4\\t,” has an empty size; write sizes like 4, 4"),
    ],
)
def test_a_bad_size_is_a_message_about_the_hidden_layers_field(qtbot, window, typed, expected):
    panel = window.model_panel
    labels = {label.text() for label in panel.findChildren(QLabel)}
    assert LAYERS_FIELD in labels  # the field is labelled as its messages name it
    panel.layers_edit.setText(typed)
    assert panel.error_label.text() == expected
    assert "'" not in panel.error_label.text()  # no Python-style quotes


def test_train_says_which_field_to_fix(qtbot, window):
    window.model_panel.layers_edit.setText("4,,x")
    training = window.training_panel
    assert not training.train_button.isEnabled()
    assert training.train_button.toolTip() == "Fix Hidden layers in the Model panel first"
    assert training.hint_label.text() == "Fix Hidden layers in the Model panel first"
