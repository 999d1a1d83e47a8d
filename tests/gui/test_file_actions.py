"""The File menu end to end: the action asks for a path, adds the suffix, writes the file."""

import json

import pytest
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog


def _menu_action(window, text):
    for action in window.findChildren(QAction):
        if action.text() == text:
            return action
    raise AssertionError(f"no menu action {text!r}")


@pytest.mark.parametrize(
    ("text", "name", "suffix"),
    [
        ("&Save session…", "session", ".json"),
        ("Export dataset CSV…", "data", ".csv"),
        ("JSON (.json)…", "weights", ".json"),
        ("NumPy (.npz)…", "weights", ".npz"),
        ("Export loss history CSV…", "loss", ".csv"),
        ("Export loss plot PNG…", "loss", ".png"),
    ],
)
def test_a_saved_file_without_a_suffix_gets_the_dialogs_suffix(
    window, tmp_path, monkeypatch, text, name, suffix
):
    asked = []

    def pick(parent, title, folder, name_filter):
        asked.append((title, name_filter))
        return str(tmp_path / name), name_filter

    monkeypatch.setattr(QFileDialog, "getSaveFileName", pick)
    _menu_action(window, text).trigger()
    assert (tmp_path / f"{name}{suffix}").is_file(), asked
    assert asked and suffix[1:] in asked[0][1]


def test_a_cancelled_dialog_writes_nothing_and_says_nothing(window, tmp_path, monkeypatch):
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args: ("", ""))
    _menu_action(window, "&Save session…").trigger()
    assert list(tmp_path.iterdir()) == [] and window.last_error == ""


def test_open_session_from_the_menu_opens_the_picked_file(window, tmp_path, monkeypatch):
    path = tmp_path / "run.json"
    window.training_panel.steps_spin.setValue(37)
    window.training_panel.steps_spin.editingFinished.emit()
    assert window.save_session(path)
    saved_steps = json.loads(path.read_text())["training"]["steps"]
    assert saved_steps == 37
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *args: (str(path), ""))
    window.new_session()
    _menu_action(window, "&Open session…").trigger()
    assert window.current_session().training.steps == saved_steps
    assert window.last_error == ""
