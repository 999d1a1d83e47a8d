"""Save session, quit, Open session, Train: the run goes on exactly where it stopped.

A run with Adam (or momentum, with minibatches) is paused, or saved while it trains,
opened in a fresh window and trained to the end there: its weights and loss history
are those of a run that never stopped (==), taken by the same child process code.
"""

from __future__ import annotations

import json

import pytest

from engine.data import make_preset
from engine.session import Session, save_session
from engine.settings import TrainSettings
from engine.spec import ModelSpec
from engine.weights import ModelWeights
from gui.processes.train_process import TrainJob
from gui.window.main_window import MainWindow

TIMEOUT_MS = 60_000
STEPS = 400
SPEC = ModelSpec(hidden_sizes=[8], hidden_activations=["tanh"])
ADAM = TrainSettings(steps=STEPS, loss="mse", decay=True, optimizer="adam", learning_rate=0.02, beta1=0.85)
MOMENTUM = TrainSettings(
    steps=STEPS, loss="mse", optimizer="momentum", learning_rate=0.03, momentum=0.8, batch_size=9, seed=4
)


@pytest.fixture
def fresh_window(second_window):
    """A second window, as after quitting the app and starting it again."""
    return second_window


def _start_file(tmp_path, settings: TrainSettings) -> str:
    path = tmp_path / "start.json"
    save_session(Session(make_preset("moons", 40, 0.1, 2), SPEC, settings), path)
    return str(path)


def _uninterrupted(settings: TrainSettings) -> tuple[ModelWeights, list]:
    trainer = TrainJob(SPEC, make_preset("moons", 40, 0.1, 2), settings).build()
    trainer.run()
    return ModelWeights.from_model(trainer.model), trainer.history


def _numbers(weights: ModelWeights) -> list[float]:
    return [v for layer in weights.layers for row in layer.weight for v in row] + [
        b for layer in weights.layers for b in layer.bias
    ]


def _train_to_the_end(qtbot, window: MainWindow, path: str) -> None:
    assert window.open_session(path), window.last_error
    window.training_panel.train_button.click()
    qtbot.waitUntil(lambda: window.state == "finished", timeout=TIMEOUT_MS)
    assert window.last_error == ""


def test_an_adam_run_paused_saved_and_opened_again_ends_as_one_that_never_stopped(
    qtbot, window, fresh_window, tmp_path
):
    assert window.open_session(_start_file(tmp_path, ADAM))
    window.training_panel.train_button.click()
    qtbot.waitUntil(lambda: len(window.current_session().history) > 0, timeout=TIMEOUT_MS)
    window.training_panel.pause_button.click()
    qtbot.waitUntil(lambda: window.state == "paused", timeout=TIMEOUT_MS)
    saved = tmp_path / "paused.json"
    assert window.save_session(saved), window.last_error
    state = json.loads(saved.read_text())["run_state"]
    paused_at = len(window.current_session().history)
    assert state["optimizer"] == "adam" and state["t"] == state["step"] == paused_at < STEPS

    window.close()  # quit
    _train_to_the_end(qtbot, fresh_window, str(saved))
    weights, history = _uninterrupted(ADAM)
    assert _numbers(fresh_window.current_session().weights) == _numbers(weights)
    assert fresh_window.current_session().history == history


def test_a_session_saved_while_training_goes_on_from_the_weights_it_saved(
    qtbot, window, fresh_window, tmp_path
):
    assert window.open_session(_start_file(tmp_path, MOMENTUM))
    saved = tmp_path / "running.json"
    saves: list[bool] = []

    def save_once(*_):
        if not saves and window.state == "training":
            saves.append(window.save_session(saved))

    window.controller.progressed.connect(save_once)  # after the window took the weights of this progress
    window.training_panel.train_button.click()
    qtbot.waitUntil(lambda: bool(saves), timeout=TIMEOUT_MS)
    assert saves == [True], window.last_error
    window.close()
    raw = json.loads(saved.read_text())
    assert raw["run_state"]["step"] == raw["history"][-1]["step"] == len(raw["history"])

    _train_to_the_end(qtbot, fresh_window, str(saved))
    weights, history = _uninterrupted(MOMENTUM)
    assert _numbers(fresh_window.current_session().weights) == _numbers(weights)
    assert fresh_window.current_session().history == history


def test_an_opened_run_shows_where_it_stopped_and_reset_starts_it_over(qtbot, window, fresh_window, tmp_path):
    assert window.open_session(_start_file(tmp_path, ADAM))
    for _ in range(3):
        window.training_panel.step_button.click()
        qtbot.waitUntil(lambda: window.state == "paused", timeout=TIMEOUT_MS)
    qtbot.waitUntil(lambda: len(window.current_session().history) == 3, timeout=TIMEOUT_MS)
    saved = tmp_path / "three.json"
    assert window.save_session(saved)

    assert fresh_window.open_session(str(saved))
    assert fresh_window.training_panel.progress_bar.value() == 3
    fresh_window.training_panel.step_button.click()  # goes on: the fourth step, Adam's t is 4
    qtbot.waitUntil(lambda: len(fresh_window.current_session().history) == 4, timeout=TIMEOUT_MS)
    assert fresh_window.current_session().run_state.optimizer_state["t"] == 4
    qtbot.waitUntil(lambda: fresh_window.state == "paused", timeout=TIMEOUT_MS)
    fresh_window.training_panel.reset_button.click()
    session = fresh_window.current_session()
    assert session.run_state is None and session.history == []  # a fresh run from the saved weights
    fresh_window.training_panel.step_button.click()
    qtbot.waitUntil(lambda: len(fresh_window.current_session().history) == 1, timeout=TIMEOUT_MS)
    assert fresh_window.current_session().run_state.optimizer_state["t"] == 1


def test_an_opened_run_can_be_reset_at_once_and_train_says_it_resumes(qtbot, window, fresh_window, tmp_path):
    assert window.open_session(_start_file(tmp_path, ADAM))
    window.training_panel.step_button.click()
    qtbot.waitUntil(lambda: len(window.current_session().history) == 1, timeout=TIMEOUT_MS)
    saved = tmp_path / "one.json"
    assert window.save_session(saved)

    assert fresh_window.open_session(str(saved))
    panel = fresh_window.training_panel
    assert fresh_window.state == "idle"
    assert panel.train_button.text() == "Resume" and panel.reset_button.isEnabled()
    panel.reset_button.click()  # start over without training first
    assert fresh_window.current_session().run_state is None and fresh_window.current_session().history == []
    assert panel.train_button.text() == "Train" and not panel.reset_button.isEnabled()
    assert panel.progress_bar.value() == 0


def test_a_hand_edited_run_state_is_refused_with_a_message(qtbot, window, tmp_path):
    window.training_panel.step_button.click()
    qtbot.waitUntil(lambda: len(window.current_session().history) == 1, timeout=TIMEOUT_MS)
    saved = tmp_path / "one.json"
    assert window.save_session(saved)
    raw = json.loads(saved.read_text())
    raw["run_state"]["batch_sampler"] = "random"
    saved.write_text(json.dumps(raw))
    before = window.current_session().to_dict()
    assert not window.open_session(saved)
    assert "one.json" in window.last_error and "'batch_sampler' must be a list of 625" in window.last_error
    assert window.current_session().to_dict() == before  # the window kept what it had
