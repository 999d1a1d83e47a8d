"""A session saved mid-run, opened again: the window shows the run it is, and every view its whole history.

Right after opening, the status bar and the Training panel say "Saved run: step N of M" (not
"Idle"); the loss plot, the Diagnostics tab's gradient flow and the Optimizer tab show the saved
steps; after Resume they show what a run that never stopped shows at the same step.
"""

from __future__ import annotations

import pytest

from engine.data import make_preset
from engine.session import Session, save_session
from engine.settings import TrainSettings
from engine.spec import ModelSpec
from engine.split import TestSplit
from engine.weights import ModelWeights
from gui.processes.train_process import TrainJob
from gui.window.main_window import MainWindow

TIMEOUT_MS = 60_000
STEPS, SAVED_AT = 60, 20
SPEC = ModelSpec(hidden_sizes=[8], hidden_activations=["tanh"])
ADAM = TrainSettings(steps=STEPS, loss="mse", optimizer="adam", learning_rate=0.02, decay=True, eps=1e-6)
MOMENTUM = TrainSettings(
    steps=STEPS, loss="mse", optimizer="momentum", learning_rate=0.03, momentum=0.8, batch_size=9, seed=4
)


def _data():
    return make_preset("moons", 40, 0.1, 2)


def _trainer(settings: TrainSettings, steps: int):
    """A run of `settings` stopped after `steps` steps, by the engine the window's child runs."""
    trainer = TrainJob(SPEC, _data(), settings).build()
    for _ in range(steps):
        trainer.step()
    return trainer


def _saved_mid_run(tmp_path, settings: TrainSettings, at: int = SAVED_AT) -> str:
    """A session saved after `at` steps, with its run state, as the window saves one."""
    trainer = _trainer(settings, at)
    weights = ModelWeights.from_model(trainer.model)
    session = Session(_data(), SPEC, settings, weights, trainer.history, TestSplit(), trainer.run_state())
    path = tmp_path / f"saved-at-{at}.json"
    save_session(session, path)
    return str(path)


def _start_file(tmp_path, settings: TrainSettings) -> str:
    path = tmp_path / "start.json"
    save_session(Session(_data(), SPEC, settings), path)
    return str(path)


@pytest.fixture
def other_window(second_window):
    """A second window: the same run trained without a stop, to compare with."""
    return second_window


def _train_to_the_end(qtbot, window: MainWindow) -> None:
    window.training_panel.train_button.click()
    qtbot.waitUntil(lambda: window.state == "finished", timeout=TIMEOUT_MS)
    assert window.last_error == ""


def _state_texts(window: MainWindow) -> tuple[str, str, str]:
    panel = window.training_panel
    hint = panel.hint_label.text() if panel.hint_label.isVisibleTo(window) else ""
    return window.state_label.text(), window.step_label.text(), hint


def _flow(window: MainWindow) -> tuple[list[int], list[tuple[float, ...]]]:
    """The gradient-flow plot's numbers: its steps and each step's per-layer mean |grad|."""
    view = window.diagnostics_view
    return list(view._steps), list(view._layer_grads)


def _loss_runs(window: MainWindow) -> list[tuple]:
    return [
        (run.label, run.total_steps, run.steps, run.losses, run.is_current) for run in window.loss_plot.runs
    ]


# ---- 1. the state it is in, said the same everywhere


def test_an_opened_mid_run_session_says_saved_run_step_n_of_m_everywhere(qtbot, window, tmp_path):
    assert window.open_session(_saved_mid_run(tmp_path, ADAM)), window.last_error
    panel = window.training_panel
    state, step, hint = _state_texts(window)
    assert "Saved run" in state and "Idle" not in state
    assert step == f"step {SAVED_AT} / {STEPS}"
    assert hint == f"Saved run: step {SAVED_AT} of {STEPS} — Resume to go on"
    assert panel.train_button.text() == "Resume" and panel.reset_button.isEnabled()
    assert (
        panel.progress_bar.value() == SAVED_AT and panel.progress_bar.text() == f"step {SAVED_AT} / {STEPS}"
    )

    panel.train_button.click()
    qtbot.waitUntil(lambda: window.state == "finished", timeout=TIMEOUT_MS)
    state, step, hint = _state_texts(window)
    assert "Finished" in state and "Saved run" not in state and "Saved run" not in hint
    assert step == f"step {STEPS} / {STEPS}"


def test_raising_steps_on_an_opened_run_says_the_new_total(qtbot, window, tmp_path):
    assert window.open_session(_saved_mid_run(tmp_path, ADAM))
    spin = window.training_panel.steps_spin
    spin.lineEdit().selectAll()
    qtbot.keyClicks(spin.lineEdit(), "500")
    qtbot.keyClick(spin.lineEdit(), "\r")
    assert _state_texts(window)[1:] == (
        f"step {SAVED_AT} / 500",
        f"Saved run: step {SAVED_AT} of 500 — Resume to go on",
    )


def test_reset_on_an_opened_run_says_idle_again(qtbot, window, tmp_path):
    assert window.open_session(_saved_mid_run(tmp_path, ADAM))
    window.training_panel.reset_button.click()
    state, step, hint = _state_texts(window)
    assert "Idle" in state and "Saved run" not in state and hint == ""
    assert step == f"step 0 / {STEPS}"
    assert window.training_panel.train_button.text() == "Train"


def test_a_saved_run_that_had_finished_says_so_and_how_to_go_on(qtbot, window, tmp_path):
    assert window.open_session(_saved_mid_run(tmp_path, ADAM, at=STEPS))
    state, step, hint = _state_texts(window)
    assert "Saved run" in state and step == f"step {STEPS} / {STEPS}"
    assert hint == f"Saved run: step {STEPS} of {STEPS}, all its steps — raise Steps to go on, or Reset"


def test_a_run_paused_saved_and_opened_in_a_new_window_says_where_it_stopped(
    qtbot, window, other_window, tmp_path
):
    assert window.open_session(_start_file(tmp_path, MOMENTUM))
    for taken in (1, 2, 3):
        window.training_panel.step_button.click()
        qtbot.waitUntil(
            lambda taken=taken: len(window.current_session().history) == taken, timeout=TIMEOUT_MS
        )
        qtbot.waitUntil(lambda: window.state == "paused", timeout=TIMEOUT_MS)
    assert "Paused" in window.state_label.text()
    saved = tmp_path / "paused.json"
    assert window.save_session(saved), window.last_error
    window.close()  # quit

    assert other_window.open_session(saved), other_window.last_error
    state, step, hint = _state_texts(other_window)
    assert "Saved run" in state and step == f"step 3 / {STEPS}"
    assert hint == f"Saved run: step 3 of {STEPS} — Resume to go on"


def test_an_old_session_with_history_but_no_run_state_is_idle_with_a_fresh_run(qtbot, window, tmp_path):
    trainer = _trainer(ADAM, SAVED_AT)
    session = Session(_data(), SPEC, ADAM, ModelWeights.from_model(trainer.model), trainer.history)
    path = tmp_path / "old.json"
    save_session(session, path)  # no run state: Train starts a fresh run from these weights
    assert window.open_session(path)
    state, step, hint = _state_texts(window)
    assert "Idle" in state and step == f"step 0 / {STEPS}" and hint == ""
    assert window.training_panel.train_button.text() == "Train"


# ---- 2. every view fed with the saved steps, as a run that never stopped


@pytest.mark.parametrize("settings", [ADAM, MOMENTUM], ids=["adam", "momentum-minibatch"])
def test_the_views_show_the_saved_steps_on_opening_and_the_whole_run_after_resume(
    qtbot, window, other_window, tmp_path, settings
):
    uninterrupted = _trainer(settings, STEPS).history
    assert window.open_session(_saved_mid_run(tmp_path, settings)), window.last_error

    # right after opening: the saved steps
    window.tabs.setCurrentWidget(window.diagnostics_view)
    assert _flow(window) == (
        [r.step for r in uninterrupted[:SAVED_AT]],
        [r.layer_grads for r in uninterrupted[:SAVED_AT]],
    )
    (run,) = window.loss_plot.runs
    assert run.steps == list(range(1, SAVED_AT + 1)) and run.total_steps == STEPS

    # after Resume: the whole run, as in a window that trained it without a stop
    _train_to_the_end(qtbot, window)
    assert _flow(window) == ([r.step for r in uninterrupted], [r.layer_grads for r in uninterrupted])
    assert other_window.open_session(_start_file(tmp_path, settings))
    _train_to_the_end(qtbot, other_window)
    assert _flow(window) == _flow(other_window)
    assert _loss_runs(window) == _loss_runs(other_window)  # one curve, not the saved steps twice
    # each parameter's own history was not saved: it starts after the saved steps, and says so
    view = window.diagnostics_view
    qtbot.waitUntil(lambda: view.history() is not None and view.history().steps[-1] == STEPS)
    assert view.history().steps == list(range(SAVED_AT + 1, STEPS + 1))

    def titled() -> bool:  # a redraw asked for while the render thread draws waits for it
        view.refresh()
        return f"from step {SAVED_AT + 1}" in view.data_axes.get_title()

    qtbot.waitUntil(titled, timeout=TIMEOUT_MS)
    assert "from step" not in other_window.diagnostics_view.data_axes.get_title()


def test_resume_goes_on_in_the_opened_curve_without_adding_its_saved_steps_again(
    qtbot, window, tmp_path, monkeypatch
):
    assert window.open_session(_saved_mid_run(tmp_path, ADAM)), window.last_error
    (opened,) = window.loss_plot.runs
    history = window.loss_plot.history
    added = []
    add_results = history.add_results
    monkeypatch.setattr(
        history, "add_results", lambda results: added.append(len(results)) or add_results(results)
    )

    _train_to_the_end(qtbot, window)

    (run,) = window.loss_plot.runs
    assert run is opened and run.steps == list(range(1, STEPS + 1)) and run.total_steps == STEPS
    assert sum(added) == STEPS - SAVED_AT  # only the new steps: the saved ones were kept, not re-added


def test_the_optimizer_tab_shows_the_saved_state_on_opening(qtbot, window, tmp_path):
    path = _saved_mid_run(tmp_path, ADAM)
    trainer = _trainer(ADAM, SAVED_AT)
    assert window.open_session(path)
    window.tabs.setCurrentWidget(window.optimizer_view)
    view = window.optimizer_view
    qtbot.waitUntil(lambda: view.model.snapshot is not None)
    shown = view.model.snapshot
    state = trainer.run_state().optimizer_state
    n = len(shown.names)
    assert shown.step == SAVED_AT and shown.optimizer == "adam" and n == len(state["m"])
    assert shown.momentum == state["m"] and shown.second_moment == state["v"]
    assert shown.data == [p.data for p in trainer.model.parameters()]
    assert f"Step {SAVED_AT}" in view.title_label.text() and "saved" in view.title_label.text()
    assert view.model.data(view.model.index(0, 2)) == "—"  # this step's grad comes with the next step
    assert not view.table.isColumnHidden(3) and not view.table.isColumnHidden(4)

    window.training_panel.step_button.click()  # the next step: a snapshot like any run's
    qtbot.waitUntil(
        lambda: view.snapshot is not None and view.snapshot.step == SAVED_AT + 1, timeout=TIMEOUT_MS
    )
    trainer.step()
    assert view.snapshot == trainer.optimizer_snapshot()


def test_the_optimizer_tab_of_a_reset_opened_run_is_empty(qtbot, window, tmp_path):
    assert window.open_session(_saved_mid_run(tmp_path, MOMENTUM))
    window.training_panel.reset_button.click()
    window.tabs.setCurrentWidget(window.optimizer_view)
    assert window.optimizer_view.snapshot is None
    assert _flow(window) == ([], [])
