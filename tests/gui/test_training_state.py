"""One training state: what the window shows is what the trainer does, whatever the user clicks, and when."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from engine.data import moons
from engine.session import Session, save_session
from engine.settings import TrainSettings
from engine.spec import ModelSpec
from gui.window.main_window import MainWindow

TIMEOUT_MS = 60_000
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def window(qtbot):
    w = MainWindow()
    qtbot.addWidget(w)
    w.show()
    # A long run on the moons demo: it is still training whenever a test looks.
    w.apply_session(
        Session(
            moons(100, 0.1, 0),
            ModelSpec([16, 16], ["relu", "relu"], "linear"),
            TrainSettings(learning_rate=0.1, steps=100_000, loss="hinge", l2=1e-4),
        )
    )
    yield w
    w.close()


def start_training(window, qtbot) -> None:
    window.train()
    qtbot.waitUntil(lambda: window.state == "training" and len(window._history) > 0, timeout=TIMEOUT_MS)


def assert_training_goes_on(window, qtbot) -> None:
    """Training, shown as training, with Pause enabled, and new steps arriving, once the trainer
    has answered every command sent so far.

    A "No" answered at once sends the trainer a pause and a run back to back. Read together
    between two steps, the run takes the pause back; read apart, the trainer stops, says "paused",
    takes the run and says "running", and the window shows Paused for that moment, after the
    No. A look taken before that moment would see "training" and miss it. So the test first
    sends a new learning rate, a command that comes after both: the first step taken with it
    arrives after anything the pause and the run made the trainer say.
    """
    before = window._settings.learning_rate
    window.training_panel.learning_rate_spin.setValue(before / 2)
    rate = window._settings.learning_rate  # as the field holds it
    assert rate != before, "the mark must differ from the steps before it"
    qtbot.waitUntil(lambda: window._history[-1].learning_rate == rate, timeout=TIMEOUT_MS)
    seen = len(window._history)
    qtbot.waitUntil(lambda: len(window._history) > seen + 2, timeout=TIMEOUT_MS)
    assert window.state == "training"
    assert window.training_panel.pause_button.isEnabled()
    assert "Training" in window.state_label.text()


def test_no_answered_after_the_trainer_paused_keeps_training(window, qtbot):
    """The user reads the dialog: training pauses meanwhile, and "No" resumes it."""
    start_training(window, qtbot)
    asked = []

    def read_then_decline(title, question):
        asked.append(question)
        qtbot.waitUntil(lambda: window.state == "paused", timeout=TIMEOUT_MS)  # a person reading
        assert not window.training_panel.pause_button.isEnabled()
        return False

    window.confirm = read_then_decline
    window.model_panel.layers_edit.setText("8")
    window.model_panel.layers_edit.textEdited.emit("8")  # as typing or pasting does
    qtbot.waitUntil(lambda: bool(asked), timeout=TIMEOUT_MS)
    assert window.model_panel.spec().hidden_sizes == [16, 16]  # declined: the model is unchanged
    assert_training_goes_on(window, qtbot)


def test_no_answered_at_once_keeps_training(window, qtbot):
    start_training(window, qtbot)
    window.confirm = lambda title, question: False
    window._on_model_panel_spec_changed(ModelSpec([8], ["tanh"], "linear"))
    assert_training_goes_on(window, qtbot)
    window.pause()
    qtbot.waitUntil(lambda: window.state == "paused", timeout=TIMEOUT_MS)
    steps = len(window._history)
    window.confirm = lambda title, question: False
    window._on_model_panel_spec_changed(ModelSpec([8], ["tanh"], "linear"))
    assert window.state == "paused" and len(window._history) == steps  # was paused: stays paused


def test_yes_resets_to_idle_and_nothing_more_arrives(window, qtbot):
    start_training(window, qtbot)
    window.confirm = lambda title, question: True
    window._on_model_panel_spec_changed(ModelSpec([8], ["tanh"], "linear"))
    assert window.state == "idle"
    assert window._history == []
    qtbot.wait(300)  # late messages of the old run would arrive now
    assert window.state == "idle" and window._history == []
    assert window.training_panel.train_button.isEnabled()


def test_no_answered_as_the_trainer_stops_for_the_pause_keeps_training(window, qtbot):
    """The race of a quick "No": the trainer has stopped for the pause and said so, but the window
    has not heard it yet when the No sends the run. The window then hears "paused" after the No,
    and "running" after that: it ends up training."""
    start_training(window, qtbot)
    child = window.controller._process._child
    deliver = child._on_event  # called in the reader thread with each event, in order
    stopped = threading.Event()

    def noted(event: tuple) -> None:
        deliver(event)
        if event[0] == "state" and event[2] == "paused":
            stopped.set()

    child._on_event = noted

    def decline_once_the_trainer_stopped(title, question):
        assert stopped.wait(TIMEOUT_MS / 1000)  # queued for the window, not handled yet
        return False

    window.confirm = decline_once_the_trainer_stopped
    window._on_model_panel_spec_changed(ModelSpec([8], ["tanh"], "linear"))
    assert stopped.is_set() and window.state == "training"  # the window has not heard the pause
    assert_training_goes_on(window, qtbot)


@pytest.mark.parametrize("answer", [False, True])
def test_new_session_while_training_asks_first(window, qtbot, answer):
    start_training(window, qtbot)
    asked = []
    window.confirm = lambda title, question: asked.append(question) or answer
    assert window.new_session() is answer
    assert asked
    if answer:
        assert window.state == "idle" and window._dataset.name == "lecture"
    else:
        assert window._dataset.n_inputs == 2
        assert_training_goes_on(window, qtbot)


@pytest.mark.parametrize("answer", [False, True])
def test_open_session_while_training_asks_first(window, qtbot, tmp_path, answer):
    path = tmp_path / "other.json"
    save_session(Session(moons(20, 0.1, 1), ModelSpec([3], ["tanh"], "tanh"), TrainSettings(steps=7)), path)
    start_training(window, qtbot)
    asked = []
    window.confirm = lambda title, question: asked.append(question) or answer
    assert window.open_session(path) is answer
    assert asked and "other.json" in asked[0]
    if answer:
        assert window.state == "idle" and window._settings.steps == 7
    else:
        assert window._settings.steps == 100_000
        assert_training_goes_on(window, qtbot)


def test_pause_shown_only_once_the_trainer_paused_and_resume_goes_on(window, qtbot):
    start_training(window, qtbot)
    window.pause()
    qtbot.waitUntil(lambda: window.state == "paused", timeout=TIMEOUT_MS)
    steps = len(window._history)
    qtbot.wait(200)
    assert len(window._history) == steps  # paused means no more steps
    assert window.training_panel.train_button.isEnabled()
    window.train()
    assert_training_goes_on(window, qtbot)


def test_double_click_on_train_starts_one_run(window, qtbot):
    runs_before = len(window.loss_plot.runs)
    window.train()
    assert window.state == "training"  # at once, before the process has said anything
    window.train()
    window.toggle_training()  # Space while it starts: pauses that run, never starts a second one
    qtbot.waitUntil(lambda: window.state == "paused", timeout=TIMEOUT_MS)
    steps = [r.step for r in window._history]
    assert steps == list(range(1, len(steps) + 1))
    assert len(window.loss_plot.runs) == runs_before + 1


def test_reset_while_a_huge_step_runs_returns_at_once(qtbot):
    """A step of the largest network takes seconds: Reset must not wait for it (bench_freeze times it)."""
    w = MainWindow()
    qtbot.addWidget(w)
    w.apply_session(
        Session(moons(200, 0.1, 0), ModelSpec([256] * 8, ["tanh"] * 8, "tanh"), TrainSettings(steps=5))
    )
    w.train()
    qtbot.waitUntil(lambda: w.state == "training", timeout=TIMEOUT_MS)
    pid = w.controller.process_id
    assert not w._history  # the first step is still running
    w.reset()
    assert w.state == "idle"
    assert_process_gone(pid)  # ended, not waited for: its first step had not even finished
    w.close()


def assert_process_gone(pid: int | None) -> None:
    assert pid is not None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return
    # it may still be a zombie for a moment: its parent reaps it in kill()
    status = Path(f"/proc/{pid}/status")
    assert not status.exists() or "zombie" in status.read_text(), f"process {pid} still runs"


def test_closing_mid_training_ends_the_training_process(window, qtbot, qtlog):
    start_training(window, qtbot)
    pid = window.controller.process_id
    window.close()
    assert_process_gone(pid)
    assert not [m for m in qtlog.records if "QThread" in m.message]


def run_python(code: str, timeout: float = 120) -> subprocess.CompletedProcess:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT))
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_a_window_dropped_without_closing_takes_its_training_with_it():
    result = run_python(
        """
        import gc, os, time
        from PySide6.QtWidgets import QApplication
        app = QApplication([])
        from gui.window.main_window import MainWindow
        w = MainWindow()
        w.training_panel.steps_spin.setValue(100000)
        w.train()
        deadline = time.monotonic() + 60
        while w.state != "training" and time.monotonic() < deadline:
            app.processEvents()
        assert w.state == "training", w.state
        pid = w.controller.process_id
        del w
        gc.collect()
        app.processEvents()
        def gone():
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return True
            return "zombie" in open(f"/proc/{pid}/status").read()
        deadline = time.monotonic() + 10
        while not gone() and time.monotonic() < deadline:
            app.processEvents()
        print("child", pid, "gone while the app runs:", gone(), flush=True)
        """
    )
    assert result.returncode == 0, result.stderr
    assert "QThread" not in result.stderr and "Traceback" not in result.stderr
    assert "gone while the app runs: True" in result.stdout  # freed with its window, not at exit


def test_ctrl_c_in_the_terminal_quits_cleanly():
    result = run_python(
        """
        import os, signal, sys
        from PySide6.QtCore import QTimer
        from PySide6.QtWidgets import QApplication
        app = QApplication([])
        from gui import app as studio

        def start():
            window = next(w for w in app.topLevelWidgets() if type(w).__name__ == "MainWindow")
            window.training_panel.steps_spin.setValue(100000)
            window.train()
            def interrupt():
                import gc
                print("frozen", gc.get_freeze_count(), flush=True)  # the start-up objects, out of the collector
                print("child", window.controller.process_id, flush=True)
                os.kill(os.getpid(), signal.SIGINT)
            window.controller.progressed.connect(lambda *a: QTimer.singleShot(0, interrupt))

        QTimer.singleShot(0, start)
        sys.exit(studio.run_app())
        """
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr and "KeyboardInterrupt" not in result.stderr
    assert int(result.stdout.split("frozen")[1].split()[0]) > 50_000
    pid = int(result.stdout.split("child")[1].split()[0])
    assert_process_gone(pid)


def test_warm_up_starts_the_process_that_the_first_run_uses(qtbot):
    w = MainWindow()
    qtbot.addWidget(w)
    assert w.controller.process_id is None  # windows in tests start none until they train
    w.controller.warm_up()
    pid = w.controller.process_id
    assert pid is not None
    w.train()
    qtbot.waitUntil(lambda: w.state in ("training", "finished"), timeout=TIMEOUT_MS)
    assert w.controller.process_id == pid
    w.close()
    assert_process_gone(pid)


def test_an_opened_session_shows_its_own_step_count(qtbot):
    w = MainWindow()
    qtbot.addWidget(w)
    w.apply_session(Session(moons(20, 0.1, 0), ModelSpec(), TrainSettings(steps=77)))
    assert w.training_panel.progress_bar.maximum() == 77
    assert "/ 77" in w.step_label.text()


def test_a_step_taken_while_the_last_steps_pause_is_on_its_way_ends_paused_after_both(window, qtbot):
    """Step, and Step again before the window has heard the first one's "paused": that report
    arrives after the second Step was sent, then "running", the step and "paused" again."""
    stopped = threading.Event()

    def hear_stops(controller) -> None:
        child = controller._process._child
        deliver = child._on_event  # called in the reader thread with each event, in order

        def noted(event: tuple) -> None:
            deliver(event)
            if event[0] == "state" and event[2] == "paused":
                stopped.set()

        child._on_event = noted

    window.controller.warm_up()
    hear_stops(window.controller)
    window.step()
    assert stopped.wait(TIMEOUT_MS / 1000)  # queued for the window, not handled yet
    assert window.state == "training"
    window.step()
    window.pause()
    trainer_caught_up(window, qtbot)
    qtbot.waitUntil(lambda: window.state == "paused", timeout=TIMEOUT_MS)
    qtbot.waitUntil(lambda: len(window._history) == 2, timeout=TIMEOUT_MS)
    assert [r.step for r in window._history] == [1, 2]
    assert window.state == "paused"


def trainer_caught_up(window, qtbot) -> None:
    """Wait until every state the trainer reports for the commands sent so far has arrived, but
    the one its last stop may still report (it comes next).

    A "paused" on its way may answer an earlier Pause (or Step) that a later Train or Step has
    already taken back: "running" follows it, and steps. A parameter set now is answered
    ("edited") after the trainer took every earlier command, so after any such report."""
    if not window.controller.has_run:
        return  # idle: reset forgot the run, and drops what it still sends
    answered: list[int] = []
    window.controller.edited.connect(lambda *args: answered.append(1))
    weights = window._weights  # its first weight, as last heard: the run's changes little, if at all
    window.controller.set_parameter(0, float(weights.layers[0].weight[0][0]))
    qtbot.waitUntil(lambda: bool(answered) or not window.controller.has_run, timeout=TIMEOUT_MS)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_clicks_never_split_the_state(qtbot, seed):
    """A user clicking anything in any order, fast: the window always shows what the trainer does."""
    import random

    rng = random.Random(seed)
    w = MainWindow()
    qtbot.addWidget(w)
    w.show()
    w.apply_session(
        Session(
            moons(60, 0.1, 0),
            ModelSpec([8], ["relu"], "linear"),
            TrainSettings(learning_rate=0.1, steps=400, loss="hinge"),
        )
    )
    actions = [
        w.train,
        w.pause,
        w.step,
        w.toggle_training,
        w.reset,
        lambda: w.training_panel.steps_spin.setValue(rng.choice([50, 400, 2000])),
        lambda: (
            setattr(w, "confirm", lambda *a: rng.random() < 0.5)
            or w._on_model_panel_spec_changed(ModelSpec([rng.choice([4, 8])], ["relu"], "linear"))
        ),
    ]
    for _ in range(60):
        rng.choice(actions)()
        qtbot.wait(rng.choice([0, 0, 5, 20]))
        steps = [r.step for r in w._history]
        assert steps == list(range(1, len(steps) + 1)), steps[:20]  # one run's steps, in order
    w.pause()
    trainer_caught_up(w, qtbot)
    qtbot.waitUntil(lambda: w.state in ("idle", "paused", "finished", "diverged"), timeout=TIMEOUT_MS)
    settled = len(w._history)
    qtbot.wait(300)
    assert len(w._history) == settled  # nothing trains behind a non-training state
    panel = w.training_panel
    assert panel.pause_button.isEnabled() is False
    assert w.state.capitalize() in w.state_label.text()
    w.close()
