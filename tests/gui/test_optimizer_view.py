"""The optimizer in the window: chosen in the Training panel, its state in the Optimizer tab."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from engine.data import lecture
from engine.optim import StateSnapshot
from engine.session import Session
from engine.settings import TrainSettings
from engine.spec import ModelSpec
from engine.train import Trainer
from gui.panels.training_panel import TrainingPanel
from gui.views.optimizer_view import COLUMNS, OptimizerView

TIMEOUT_MS = 60_000


def _table(view: OptimizerView) -> list[list]:
    model = view.model
    return [[model.value(r, c) for c in range(model.columnCount())] for r in range(model.rowCount())]


def _headless_snapshot(settings: TrainSettings) -> StateSnapshot:
    dataset = lecture()
    trainer = Trainer(ModelSpec().build(dataset.n_inputs), dataset, settings)
    trainer.run()
    return trainer.optimizer_snapshot()


def test_adam_picked_in_the_panel_trains_to_the_end_and_fills_the_table_with_the_engines_numbers(
    window, qtbot
):
    panel = window.training_panel
    combo = panel.optimizer_fields.combo
    assert panel.optimizer_fields.shown() == []  # SGD has no hyper-parameters to show
    combo.setFocus()
    QTest.keyClick(combo, Qt.Key.Key_Down)  # SGD with momentum
    QTest.keyClick(combo, Qt.Key.Key_Down)  # Adam
    assert window._settings.optimizer == "adam"
    assert panel.optimizer_fields.shown() == ["beta1", "beta2", "eps"]
    panel.steps_spin.setValue(30)
    window.tabs.setCurrentWidget(window.optimizer_view)
    with qtbot.waitSignal(window.controller.halted, timeout=TIMEOUT_MS) as blocker:
        panel.train_button.click()
    assert blocker.args[0] == "finished"
    assert " · adam · " in window.loss_plot.runs[-1].label  # its curve says which optimizer drew it
    view = window.optimizer_view
    qtbot.waitUntil(lambda: view.model.snapshot is not None and view.model.snapshot.step == 30)

    expected = _headless_snapshot(window._settings)
    rows = _table(view)
    assert len(rows) == len(window._weights.to_model().parameters()) == 41
    assert [row[0] for row in rows] == expected.names
    for column, (_title, field, _tip) in list(enumerate(COLUMNS))[1:]:
        assert [row[column] for row in rows] == getattr(expected, field), field
    assert view.model.headerData(3, Qt.Orientation.Horizontal) == "m (mean grad)"
    assert not view.table.isColumnHidden(3) and not view.table.isColumnHidden(4)
    assert view.title_label.text().startswith("Step 30 · Adam")
    assert view.values_label.text().startswith("In use at this step:  lr = 0.05")
    index = view.model.index(0, 2)
    assert view.model.data(index) == f"{expected.grad[0]:.6g}"
    # data + update is the weight the run ended with
    final = window._weights.to_model().parameters()
    assert [d + u for d, u in zip(expected.data, expected.update)] == [p.data for p in final]


def test_sgd_shows_no_state_columns_and_a_hidden_tab_catches_up_when_shown(window, qtbot):
    window.apply_session(Session(lecture(), ModelSpec(), TrainSettings(steps=5)))
    window.tabs.setCurrentWidget(window.loss_plot)
    with qtbot.waitSignal(window.controller.halted, timeout=TIMEOUT_MS):
        window.train()
    view = window.optimizer_view
    qtbot.waitUntil(lambda: view.snapshot is not None and view.snapshot.step == 5)
    assert view.model.snapshot is None  # hidden: not drawn yet
    window.tabs.setCurrentWidget(view)
    assert view.model.snapshot.step == 5 and view.model.rowCount() == 41
    assert view.table.isColumnHidden(3) and view.table.isColumnHidden(4)
    assert view.model.snapshot.update == [-0.05 * g for g in view.model.snapshot.grad]
    window.reset()
    assert view.model.rowCount() == 0 and view.snapshot is None
    assert "Train or Step" in view.title_label.text()


def test_momentum_in_compiled_mode_trains_on_the_compiled_program_and_shows_its_state(window, qtbot):
    pytest.importorskip("numpy")
    settings = TrainSettings(steps=10, optimizer="momentum", momentum=0.8, compiled=True)
    window.apply_session(Session(lecture(), ModelSpec(), settings))
    window.tabs.setCurrentWidget(window.optimizer_view)
    with qtbot.waitSignal(window.controller.halted, timeout=TIMEOUT_MS):
        window.train()
    shown = window.optimizer_view.model
    qtbot.waitUntil(lambda: shown.snapshot is not None and shown.snapshot.step == 10)  # the last one lands
    assert window.engine_label.text().startswith("compiled")
    snapshot = window.optimizer_view.model.snapshot
    assert snapshot.optimizer == "momentum" and snapshot.step == 10 and snapshot.second_moment is None
    expected = _headless_snapshot(TrainSettings(steps=10, optimizer="momentum", momentum=0.8))
    assert snapshot.momentum == pytest.approx(expected.momentum, rel=1e-12, abs=1e-12)


def test_a_big_network_sends_only_the_first_parameters():
    view = OptimizerView()
    names = [f"w{i}" for i in range(3)]
    view.set_snapshot(StateSnapshot(4, "sgd", 0.1, names, 9000, [1.0] * 3, [2.0] * 3, [-0.2] * 3))
    view.show()
    assert view.model.rowCount() == 3
    assert view.note_label.text() == "Showing the first 3 of 9,000 parameters."
    view.close()


@pytest.fixture
def panel(qtbot):
    p = TrainingPanel()
    qtbot.addWidget(p)
    p.show()
    return p


def test_panel_shows_and_returns_the_optimizer_settings(panel, qtbot):
    fields = panel.optimizer_fields
    settings = TrainSettings(optimizer="momentum", momentum=0.5, beta1=0.8, beta2=0.99)
    panel.set_settings(settings)
    assert panel.settings() == settings
    assert fields.combo.currentText() == "SGD with momentum"
    assert fields.shown() == ["momentum"] and fields.momentum_spin.isVisible()
    assert not fields.beta2_spin.isVisible()
    with qtbot.waitSignal(panel.settings_changed) as blocker:
        fields.combo.setCurrentIndex(fields.combo.findData("adam"))
    assert blocker.args[0].optimizer == "adam" and blocker.args[0].beta2 == 0.99
    assert fields.shown() == ["beta1", "beta2", "eps"] and fields.beta2_spin.isVisible()
    assert not fields.momentum_spin.isVisible()


@pytest.mark.parametrize(
    "bad, message",
    [
        (dict(optimizer="rmsprop"), "Optimizer must be one of sgd, momentum, adam"),
        (dict(momentum=2.0), "Momentum μ"),
        (dict(beta2=0.99999), "Adam β2"),
    ],
)
def test_panel_refuses_settings_its_fields_cannot_show(panel, bad, message):
    with pytest.raises(ValueError, match=message):
        panel.set_settings(TrainSettings(**bad))
    assert panel.settings() == TrainSettings()


def test_typed_momentum_outside_its_range_blocks_train(panel, qtbot):
    fields = panel.optimizer_fields
    fields.combo.setCurrentIndex(fields.combo.findData("momentum"))
    spin = fields.momentum_spin
    spin.lineEdit().selectAll()
    QTest.keyClicks(spin.lineEdit(), "1.5")
    assert "Momentum μ" in panel.train_blocked_reason()
    assert not panel.train_button.isEnabled()
    assert not panel.field_messages[spin].isHidden()


def test_snapshots_faster_than_the_table_repaints_show_the_first_at_once_and_the_last_soon(qtbot):
    view = OptimizerView()
    qtbot.addWidget(view)
    view.show()
    names = ["w1.1.1", "b1.1"]
    for step in (1, 2, 3):
        view.set_snapshot(StateSnapshot(step, "sgd", 0.1, names, 2, [1.0, 2.0], [0.5, 0.5], [-0.05, -0.05]))
    assert view.model.snapshot.step == 1  # the others wait for the next repaint
    qtbot.waitUntil(lambda: view.model.snapshot.step == 3)  # the latest, never one in between


def test_panel_shows_hand_written_hyperparameters_exactly(panel):
    settings = TrainSettings(optimizer="adam", beta1=0.87654, beta2=0.99912, momentum=0.123456)
    panel.set_settings(settings)
    assert panel.settings() == settings
    assert panel.optimizer_fields.beta2_spin.text() == "0.99912"
