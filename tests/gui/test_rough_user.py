"""A rough user: edge values typed into every field, buttons clicked fast and in odd orders.

Real clicks and keystrokes on the real MainWindow (pytest-qt). After every action the
window must be consistent: one training state, and the buttons saying what it is.
Any exception that reaches Qt's event loop fails the test (pytest-qt reports it).
At the end the window closes and its training process must be gone.
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractSpinBox, QApplication, QComboBox, QDialog, QMessageBox, QWidget

from engine.data import moons
from engine.session import Session, save_session
from engine.settings import TrainSettings
from engine.spec import ModelSpec
from gui.window.main_window import MainWindow

TIMEOUT_MS = 60_000
EDGE_TEXTS = [
    "0",
    "-1",
    "-0",
    "1e308",
    "1e-400",
    "99999999999999999999",
    "",
    " ",
    "abc",
    "nan",
    "inf",
    "-inf",
    "0,5",
    "1.5",
    "٣",
    "3 ",
    "1e",
    "--2",
    "0x10",
    "2" * 60,
]
LAYER_TEXTS = ["", "0", "-4", "4,,4", "a", "4 4", "3", "2, 2", "8;8", "1e3", "4, 4", "99999", "4,"]
TRAINING_STATES = ("idle", "training", "paused", "finished", "diverged")


@pytest.fixture
def window(qtbot):
    w = MainWindow()
    w.confirm = lambda title, question: True  # answer "Yes" to "Reset training?"
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    yield w
    w.close()
    w.controller.shutdown()
    w.rate_finder.cancel()


def close_dialogs() -> None:
    """Error dialogs are window-modal: a user reads and closes them (they must not pile up)."""
    # Dialogs are windows, so topLevelWidgets() lists them (with a parent too). Not allWidgets():
    # it also hands back the widgets of a window closed by an earlier test, which Qt may be
    # deleting, and touching one of those crashes the test process.
    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, (QMessageBox, QDialog)) and widget.isVisible():
            widget.close()


def assert_consistent(window: MainWindow) -> None:
    """One training state, and the buttons and the status say that state."""
    state = window.state
    assert state in TRAINING_STATES
    panel = window.training_panel
    assert panel._state == state, (panel._state, state)
    assert panel.pause_button.isEnabled() == (state == "training")
    # idle with an opened (or stopped) run's state to go on with: Reset starts over, Train resumes
    saved_run = window._run_state is not None and bool(window._history)
    assert panel.reset_button.isEnabled() == (state != "idle" or saved_run)
    assert (panel.train_button.text() == "Resume") == (state == "paused" or (state == "idle" and saved_run))
    if state in ("training", "finished", "diverged"):
        assert not panel.train_button.isEnabled()
        assert not panel.step_button.isEnabled()
    blocked = panel.train_blocked_reason()
    if state in ("idle", "paused"):
        assert panel.train_button.isEnabled() == (not blocked)
    assert window.controller.has_run or state == "idle"


def number_fields(window: MainWindow) -> list[QAbstractSpinBox]:
    """Every number field a user can type in: the data, model, training and test-set fields."""
    column = window.findChildren(QAbstractSpinBox)
    return [f for f in column if f.isVisibleTo(window) and f.isEnabled()]


class RoughUser:
    """Actions a careless user takes, each with real key presses or clicks."""

    def __init__(self, window: MainWindow, qtbot, rng: random.Random) -> None:
        self.window, self.qtbot, self.rng = window, qtbot, rng

    def type_into(self, widget: QWidget, text: str, finish: str) -> None:
        widget.setFocus()
        line = widget.lineEdit() if isinstance(widget, QAbstractSpinBox) else widget
        line.selectAll()
        self.qtbot.keyClick(line, Qt.Key.Key_Backspace)
        if text.isascii():
            self.qtbot.keyClicks(line, text)
        else:  # QTest types ASCII only; an input method hands over the text as a whole
            line.insert(text)
        if finish == "enter":
            self.qtbot.keyClick(line, Qt.Key.Key_Return)
        elif finish == "tab":
            self.qtbot.keyClick(line, Qt.Key.Key_Tab)
        # "none": left as typed, and the next click must cope with it

    def edit_number_field(self) -> None:
        fields = number_fields(self.window)
        field = self.rng.choice(fields)
        self.type_into(field, self.rng.choice(EDGE_TEXTS), self.rng.choice(["enter", "tab", "none"]))

    def edit_layers(self) -> None:
        edit = self.window.model_panel.layers_edit
        self.type_into(edit, self.rng.choice(LAYER_TEXTS), self.rng.choice(["enter", "tab", "none"]))

    def pick_in_combo(self) -> None:
        combos = [
            c for c in self.window.findChildren(QComboBox) if c.isVisibleTo(self.window) and c.isEnabled()
        ]
        combo = self.rng.choice(combos)
        if combo.count():
            combo.setCurrentIndex(self.rng.randrange(combo.count()))  # as a pick from its list does

    def click(self, name: str) -> None:
        button = getattr(self.window.training_panel, f"{name}_button")
        self.qtbot.mouseClick(button, Qt.MouseButton.LeftButton)

    def press_space(self) -> None:
        self.window.training_panel.train_button.setFocus()  # not a text field: Space is Train/Pause
        self.qtbot.keyClick(self.window, Qt.Key.Key_Space)

    def press_shortcut(self) -> None:
        """Ctrl+Right (Step) and Ctrl+R (Reset) work whatever the buttons say."""
        self.window.training_panel.train_button.setFocus()
        key = self.rng.choice([Qt.Key.Key_Right, Qt.Key.Key_R])
        self.qtbot.keyClick(self.window, key, Qt.KeyboardModifier.ControlModifier)

    def switch_tab(self) -> None:
        tabs = self.window.tabs
        tabs.setCurrentIndex(self.rng.randrange(tabs.count()))

    def regenerate_data(self) -> None:
        button = self.window.data_panel.regenerate_button
        if button.isEnabled() and button.isVisibleTo(self.window):
            self.qtbot.mouseClick(button, Qt.MouseButton.LeftButton)

    def actions(self) -> list[Callable[[], None]]:
        click = self.click
        return [
            self.edit_number_field,
            self.edit_number_field,
            self.edit_layers,
            self.pick_in_combo,
            lambda: click("train"),
            lambda: click("train"),
            lambda: click("pause"),
            lambda: click("step"),
            lambda: click("step"),
            lambda: click("reset"),
            self.press_space,
            self.press_shortcut,
            self.press_shortcut,
            self.switch_tab,
            self.regenerate_data,
        ]

    def act(self, count: int) -> list[str]:
        done = []
        actions = self.actions()
        for _ in range(count):
            action = self.rng.choice(actions)
            done.append(getattr(action, "__name__", "click"))
            action()
            QApplication.processEvents()
            close_dialogs()
            assert_consistent(self.window)
        return done


def small_fast_session() -> Session:
    """A small problem so that a careless sequence of runs stays quick on a slow machine."""
    return Session(
        moons(40, 0.1, 0), ModelSpec([4], ["tanh"], "linear"), TrainSettings(steps=2000, loss="mse")
    )


def settle(window: MainWindow, qtbot) -> None:
    """Stop whatever runs and wait until the window says it stopped."""
    close_dialogs()
    window.pause()
    qtbot.waitUntil(lambda: window.state != "training", timeout=TIMEOUT_MS)
    assert_consistent(window)


ROUGH_SEEDS = int(os.environ.get("ROUGH_USER_SEEDS", "4"))  # raise it to explore


@pytest.mark.parametrize("seed", range(ROUGH_SEEDS))
def test_a_rough_session_of_typing_and_clicking_keeps_one_training_state(window, qtbot, seed):
    window.apply_session(small_fast_session())
    user = RoughUser(window, qtbot, random.Random(seed))
    user.act(60)
    settle(window, qtbot)
    # after all that, a reset and a clean run still train
    window.reset_by_user()
    for field in number_fields(window):
        field.lineEdit().setText(field.textFromValue(field.value()))  # what a user fixes by hand
        getattr(field, "commit", field.interpretText)()
    window.model_panel.layers_edit.setText("4")
    window.model_panel.commit_pending()
    assert_consistent(window)
    assert not window.training_panel.train_blocked_reason()
    qtbot.mouseClick(window.training_panel.train_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(window._history) > 0, timeout=TIMEOUT_MS)
    assert window.state != "idle", window.state
    settle(window, qtbot)


def start_training(window: MainWindow, qtbot) -> None:
    qtbot.mouseClick(window.training_panel.train_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.state == "training" and len(window._history) > 0, timeout=TIMEOUT_MS)


def test_step_pause_reset_clicked_fast_while_training(window, qtbot):
    window.apply_session(small_fast_session())
    panel = window.training_panel
    start_training(window, qtbot)
    for button in [panel.step_button, panel.pause_button, panel.step_button, panel.train_button] * 5:
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
        assert_consistent(window)
    qtbot.mouseClick(panel.reset_button, Qt.MouseButton.LeftButton)
    assert window.state == "idle"
    assert_consistent(window)
    for button in [panel.train_button, panel.reset_button, panel.step_button, panel.reset_button] * 5:
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
        assert_consistent(window)
    settle(window, qtbot)


def test_opening_a_session_while_training_replaces_the_run(window, qtbot, tmp_path):
    window.apply_session(small_fast_session())
    start_training(window, qtbot)
    path = tmp_path / "other.json"
    save_session(
        Session(moons(30, 0.2, 1), ModelSpec([3], ["relu"], "linear"), TrainSettings(steps=50, loss="mse")),
        path,
    )
    assert window.open_session(path)
    assert window.state == "idle"
    assert_consistent(window)
    assert window.training_panel.settings().steps == 50
    qtbot.mouseClick(window.training_panel.train_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.state == "finished", timeout=TIMEOUT_MS)
    assert window._history[-1].step == 50
    assert_consistent(window)


def test_changing_the_data_while_training(window, qtbot):
    window.apply_session(small_fast_session())
    start_training(window, qtbot)
    panel = window.data_panel
    user = RoughUser(window, qtbot, random.Random(1))
    user.type_into(panel.samples_spin, "25", "enter")
    QApplication.processEvents()
    close_dialogs()
    assert_consistent(window)
    qtbot.waitUntil(lambda: len(window._dataset) == 25 or window.state == "training", timeout=TIMEOUT_MS)
    settle(window, qtbot)


def test_switching_tabs_while_training_draws_every_tab(window, qtbot):
    window.apply_session(small_fast_session())
    start_training(window, qtbot)
    for index in list(range(window.tabs.count())) * 2:
        window.tabs.setCurrentIndex(index)
        seen = len(window._history)
        qtbot.waitUntil(lambda seen=seen: len(window._history) > seen or window.state != "training")
        assert_consistent(window)
    settle(window, qtbot)


def test_closing_the_window_while_training_ends_the_training_process(qtbot):
    window = MainWindow()
    window.show()
    window.apply_session(small_fast_session())
    start_training(window, qtbot)
    pid = window.controller.process_id
    assert pid is not None
    qtbot.mouseClick(window.training_panel.find_rate_button, Qt.MouseButton.LeftButton)  # a second child
    assert window.rate_finder.running
    window.close()
    qtbot.waitUntil(lambda: window.controller.process_id is None, timeout=TIMEOUT_MS)
    assert window.state == "idle"
    assert not window.rate_finder.running
    assert_consistent(window)
    qtbot.waitUntil(lambda: process_gone(pid), timeout=TIMEOUT_MS)


def process_gone(pid: int) -> bool:
    """No such process, or only its exit status left (Linux: /proc; elsewhere, signal 0)."""
    if Path("/proc").is_dir():
        try:
            return "\nState:\tZ" in Path(f"/proc/{pid}/status").read_text()
        except OSError:  # gone, perhaps while it was read
            return True
    try:
        os.kill(pid, 0)
    except OSError:
        return True
    return False


def test_closing_the_window_during_a_lesson_starts_no_next_run(qtbot):
    """A lesson queues its next run after a pause: a window closed meanwhile starts none."""
    window = MainWindow()
    window.show()
    window.play_lesson(3)  # two runs of the lecture's network, one after the other
    qtbot.waitUntil(lambda: window.state == "finished", timeout=TIMEOUT_MS)
    window.close()
    with qtbot.assertNotEmitted(window.controller.state_changed, wait=600):
        pass
    assert window.state == "idle"
    assert window.controller.process_id is None


def test_another_lesson_picked_in_the_pause_between_runs_starts_at_its_first_run(window, qtbot):
    """The pause before a lesson's next run belongs to that lesson: a lesson picked meanwhile is not cut short."""
    window.play_lesson(3)  # two runs of the lecture's network, 60 steps each
    qtbot.waitUntil(lambda: window.state == "finished", timeout=TIMEOUT_MS)
    window.play_lesson(1)  # two runs of the moons demo, 300 steps each: with zero_grad, then without
    window.pause()  # the user looks at the first run
    qtbot.waitUntil(lambda: window.state == "paused", timeout=TIMEOUT_MS)
    with qtbot.assertNotEmitted(window.controller.state_changed, wait=600):
        pass  # longer than the pause before a lesson's next run
    assert window.state == "paused"
    assert window._settings.zero_grad  # still the first run
    assert len(window._lesson_queue) == 1


def test_no_to_a_change_during_a_lesson_keeps_the_lesson_going(window, qtbot):
    window.play_lesson(3)
    qtbot.waitUntil(lambda: window.controller.has_run, timeout=TIMEOUT_MS)
    window.confirm = lambda title, question: False
    assert not window.new_session()  # declined: nothing changes, the lesson included
    qtbot.waitUntil(lambda: window._settings.learning_rate == 1.0, timeout=TIMEOUT_MS)  # its second run came
    qtbot.waitUntil(lambda: window.state == "finished" and not window._lesson_queue, timeout=TIMEOUT_MS)


# ---------------------------------------------------------------- files opened at odd moments


def chaos_files(folder: Path) -> dict[str, list[Path]]:
    """Valid files that do not fit what the window holds, and broken ones, of each kind."""
    from engine import weights as weights_io
    from engine.data import Dataset, write_csv
    from engine.nn import MLP
    from engine.weights import ModelWeights

    def write(name: str, data: bytes | str) -> Path:
        path = folder / name
        path.write_bytes(data.encode() if isinstance(data, str) else data)
        return path

    csv_rows = {
        "five-inputs.csv": "a,b,c,d,e,y\n"
        + "".join(f"{i},{-i},{i / 2},1,0,{1 if i % 2 else -1}\n" for i in range(9)),
        "three-classes.csv": "x1,x2,y\n" + "".join(f"{i},{i % 3},{i % 3}\n" for i in range(12)),
        "regression.csv": "x1,x2,y\n" + "".join(f"{i},{i * 0.5},{i * 1.7}\n" for i in range(10)),
        "one-row.csv": "x1,x2,y\n1,2,1\n",
        "huge-values.csv": "x1,x2,y\n1e300,-1e300,1\n-1e300,1e300,-1\n",
        "nan.csv": "x1,x2,y\nnan,1,1\n",
        "empty.csv": "",
        "utf16.csv": "x1,x2,y\n1,2,1\n".encode("utf-16"),
        "binary.csv": bytes(range(256)),
    }
    csvs = [write(name, data) for name, data in csv_rows.items()]
    wide = Dataset([[float(i), 1.0] for i in range(6)], [1.0, -1.0] * 3, "wide")
    write_csv(wide, folder / "two-inputs.csv")
    csvs.append(folder / "two-inputs.csv")
    folder_csv = folder / "folder.csv"
    folder_csv.mkdir()
    csvs.append(folder_csv)

    weights = []
    for name, model in {"w-2-4-1": MLP(2, [4, 1], seed=1), "w-3-4-4-1": MLP(3, [4, 4, 1], seed=2)}.items():
        saved = ModelWeights.from_model(model)
        weights_io.save_json(saved, folder / f"{name}.json")
        weights_io.save_npz(saved, folder / f"{name}.npz")
        weights += [folder / f"{name}.json", folder / f"{name}.npz"]
    weights += [
        write("w-truncated.json", (folder / "w-2-4-1.json").read_bytes()[:50]),
        write("w-nan.json", "NaN"),
    ]

    sessions = []
    for name, session in {
        "s-regression": Session(
            moons(30, 0.1, 2), ModelSpec([3], ["tanh"], "linear"), TrainSettings(steps=40, loss="mse")
        ),
        "s-classes": Session(
            Dataset(
                [[float(i), float(i % 3)] for i in range(12)],
                [float(i % 3) for i in range(12)],
                "c",
                "classes",
            ),
            ModelSpec([5], ["relu"], "linear"),
            TrainSettings(steps=40, loss="ce"),
        ),
    }.items():
        save_session(session, folder / f"{name}.json")
        sessions.append(folder / f"{name}.json")
    sessions += [write("s-deep.json", "[" * 100_000), write("s-bom.json", b"\xef\xbb\xbf{}"), folder_csv]
    return {"csv": csvs, "weights": weights, "session": sessions}


class ChaoticUser(RoughUser):
    """A rough user who also opens files, examples and lessons whenever they like."""

    def __init__(self, window: MainWindow, qtbot, rng: random.Random, files: dict[str, list[Path]]) -> None:
        super().__init__(window, qtbot, rng)
        self.files = files

    def import_csv(self) -> None:
        self.window.import_csv(self.rng.choice(self.files["csv"]))

    def import_weights(self) -> None:
        self.window.import_weights(self.rng.choice(self.files["weights"]))

    def open_session(self) -> None:
        self.window.open_session(self.rng.choice(self.files["session"]))

    def open_example(self) -> None:
        examples = self.window.examples
        self.window.open_example(self.rng.choice(examples).file_name)

    def toggle_extra_input(self) -> None:
        boxes = [b for b in self.window.model_panel.extra_inputs_field.boxes.values() if b.isEnabled()]
        if boxes:
            self.qtbot.mouseClick(self.rng.choice(boxes), Qt.MouseButton.LeftButton)

    def edit_cell(self) -> None:
        dataset = self.window.data_panel.dataset()
        row = self.rng.randrange(len(dataset))
        column = self.rng.randrange(dataset.n_inputs + 1)
        self.window.data_panel.edit_cell(row, column, self.rng.choice(EDGE_TEXTS))

    def find_rate(self) -> None:
        button = self.window.training_panel.find_rate_button
        if button.isEnabled():
            self.qtbot.mouseClick(button, Qt.MouseButton.LeftButton)

    def actions(self) -> list[Callable[[], None]]:
        extra = [
            self.find_rate,
            self.import_csv,
            self.import_weights,
            self.open_session,
            self.open_example,
            self.toggle_extra_input,
        ]
        return [*super().actions(), *extra, self.edit_cell]


@pytest.mark.parametrize("seed", range(ROUGH_SEEDS))
def test_files_opened_at_odd_moments_keep_one_training_state(window, qtbot, tmp_path, seed):
    window.apply_session(small_fast_session())
    user = ChaoticUser(window, qtbot, random.Random(seed), chaos_files(tmp_path))
    user.act(60)
    settle(window, qtbot)


def test_a_csv_of_numbers_too_large_to_draw_is_refused_and_the_views_stay(window, qtbot, tmp_path):
    """±1.7e308: the span of the data, and the plane's grid over it, would be inf."""
    path = tmp_path / "huge.csv"
    path.write_text("x1,x2,y\n1.7e308,-1.7e308,1\n-1.7e308,1.7e308,-1\n1,2,1\n")
    before = window.boundary_view.limits
    assert not window.import_csv(path)
    assert "row 2, column 'x1'" in window.last_error and "too large" in window.last_error
    close_dialogs()
    for index in range(window.tabs.count()):
        window.tabs.setCurrentIndex(index)
        QApplication.processEvents()
    assert window.boundary_view.limits == before


def test_a_cell_typed_too_large_to_draw_is_refused(window):
    panel = window.data_panel
    kept = panel.dataset().inputs[0][0]
    assert not panel.edit_cell(0, 0, "1e300")
    assert "too large" in panel.error_label.text()
    assert panel.dataset().inputs[0][0] == kept


@pytest.mark.parametrize("value", [1e20, -3e50, 1e100])
def test_data_far_from_zero_in_one_place_gets_axes_of_some_length(window, qtbot, value):
    """All samples at 1e20: a margin of 0.25 is lost in rounding, and the axes had zero length."""
    import warnings

    from engine.data import Dataset

    session = Session(
        Dataset([[value, value]] * 3, [1.0, -1.0, 1.0]), ModelSpec([2], ["tanh"], "linear"), TrainSettings()
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib only warns, and widens the axis its own way
        assert window.apply_session(session)
        window.tabs.setCurrentWidget(window.boundary_view)
        QApplication.processEvents()
    x0, x1, y0, y1 = window.boundary_view.limits
    assert x0 < value < x1 and y0 < value < y1
