"""Adam's ε in the Training panel: shown with Adam only, written 1e-8, typed, checked, and trained with."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from engine.data import make_preset
from engine.session import Session, save_session
from engine.settings import TrainSettings
from engine.spec import ModelSpec
from engine.weights import ModelWeights
from gui.panels.training_panel import TrainingPanel
from gui.processes.train_process import TrainJob

TIMEOUT_MS = 60_000


@pytest.fixture
def panel(qtbot):
    p = TrainingPanel()
    qtbot.addWidget(p)
    p.show()
    return p


def _pick(qtbot, panel: TrainingPanel, name: str) -> None:
    """Choose an optimizer with the keyboard, as a user does."""
    combo = panel.optimizer_fields.combo
    combo.setFocus()
    target = combo.findData(name)
    for _ in range(combo.count()):
        if combo.currentIndex() == target:
            break
        QTest.keyClick(combo, Qt.Key.Key_Down if combo.currentIndex() < target else Qt.Key.Key_Up)
    assert combo.currentData() == name


def _type(spin, text: str) -> None:
    spin.lineEdit().selectAll()
    QTest.keyClicks(spin.lineEdit(), text)


def test_eps_shows_with_adam_only_written_as_a_power_of_ten(panel, qtbot):
    eps = panel.optimizer_fields.eps_spin
    assert not eps.isVisible()  # SGD
    _pick(qtbot, panel, "adam")
    assert eps.isVisible() and eps.text() == "1e-8"
    assert panel.optimizer_fields.shown() == ["beta1", "beta2", "eps"]
    _pick(qtbot, panel, "momentum")
    assert not eps.isVisible()


def test_typed_eps_goes_into_the_settings(panel, qtbot):
    _pick(qtbot, panel, "adam")
    eps = panel.optimizer_fields.eps_spin
    _type(eps, "1e-4")
    with qtbot.waitSignal(panel.settings_changed, timeout=1000) as blocker:
        QTest.keyClick(eps.lineEdit(), Qt.Key.Key_Return)
    assert blocker.args[0].eps == 1e-4 and blocker.args[0].optimizer == "adam"
    eps.setFocus()
    QTest.keyClick(eps, Qt.Key.Key_Up)  # the arrows step ×10
    assert panel.settings().eps == pytest.approx(1e-3) and eps.text() == "0.001"


@pytest.mark.parametrize("typed", ["0", "-1e-8", "2", "1e-13", "tiny"])
def test_an_unusable_eps_blocks_train_naming_the_field(panel, qtbot, typed):
    _pick(qtbot, panel, "adam")
    eps = panel.optimizer_fields.eps_spin
    _type(eps, typed)
    assert "Adam ε must be a number from 1e-12 to 1" in panel.train_blocked_reason()
    assert not panel.train_button.isEnabled()
    assert not panel.field_messages[eps].isHidden()


@pytest.mark.parametrize("value", [3e-7, 1e-12, 1.0, 1.2345678901234567e-11])
def test_a_files_eps_shows_exactly(panel, value):
    settings = TrainSettings(optimizer="adam", eps=value)
    panel.set_settings(settings)
    assert panel.settings() == settings


def test_the_window_trains_with_the_sessions_eps(qtbot, window, tmp_path):
    dataset = make_preset("moons", 40, 0.1, 2)
    spec = ModelSpec(hidden_sizes=[8], hidden_activations=["tanh"])
    settings = TrainSettings(steps=30, loss="mse", optimizer="adam", learning_rate=0.02, eps=0.3)
    path = tmp_path / "eps.json"
    save_session(Session(dataset, spec, settings), path)
    assert window.open_session(path), window.last_error
    assert window.training_panel.optimizer_fields.eps_spin.text() == "0.3"
    window.training_panel.train_button.click()
    qtbot.waitUntil(lambda: window.state == "finished", timeout=TIMEOUT_MS)
    trainer = TrainJob(spec, make_preset("moons", 40, 0.1, 2), settings).build()
    trainer.run()
    assert (
        window.current_session().weights.to_dict()["layers"]
        == ModelWeights.from_model(trainer.model).to_dict()["layers"]
    )
