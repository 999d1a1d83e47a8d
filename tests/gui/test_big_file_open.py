"""Opening a big session or weights file: read in a child process while the window runs on.

Files above `INLINE_MAX_BYTES` are read by the engine's loader in a child
(gui/processes/file_loading.py). The tests lower that size to 0 so that small files take
the child's path, and compare with the inline path: the same objects, the same messages.
"""

from __future__ import annotations

import json
import os
import random
import signal
import zipfile
from pathlib import Path

import pytest
from file_load_gate import on_dialog
from process_helpers import gone
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QMessageBox, QProgressDialog, QPushButton

from engine.data import moons
from engine.run_state import RunState
from engine.session import Session, load_session, save_session
from engine.settings import TrainSettings
from engine.spec import ModelSpec
from engine.train import StepResult
from engine.weights import load_json, save_json, save_npz
from gui.processes import file_loading

SPEC = ModelSpec([8, 8], ["tanh", "tanh"], "tanh", seed=1)
# on_dialog's action runs while the child still waits for its file (tests/gui/file_load_gate.py)
pytestmark = pytest.mark.usefixtures("held_file_loads")


@pytest.fixture
def in_child(monkeypatch):
    """Every file is "big": read in a child."""
    monkeypatch.setattr(file_loading, "INLINE_MAX_BYTES", 0)


def trained_session(steps: int = 300) -> Session:
    """A session as a run saved mid-way leaves it: weights, a history and Adam's state."""
    rng = random.Random(4)
    weights = SPEC.fresh_weights(2)
    n = SPEC.parameter_count(2)
    history = [
        StepResult(i, rng.random(), rng.random(), 0.05, rng.random() * 3, (rng.random(), rng.random(), 0.5))
        for i in range(1, steps + 1)
    ]
    state = {
        "t": steps,
        "m": [rng.gauss(0, 1e-3) for _ in range(n)],
        "v": [rng.random() * 1e-6 for _ in range(n)],
    }
    run_state = RunState(steps, "adam", state, tuple(random.Random(0).getstate()[1]))
    settings = TrainSettings(optimizer="adam", learning_rate=0.05, steps=1000)
    return Session(moons(200, 0.1, 0), SPEC, settings, weights, history, run_state=run_state)


def saved_session(tmp_path: Path, steps: int = 300) -> Path:
    path = tmp_path / "trained.json"
    save_session(trained_session(steps), path)
    return path


def click_cancel(dialog: QProgressDialog, _pid: int) -> None:
    next(b for b in dialog.findChildren(QPushButton) if b.text() == "Cancel").click()


def close_error_boxes(window) -> None:
    for box in window.findChildren(QMessageBox):
        box.close()


# ---------------------------------------------------------------- the same result


def test_a_big_session_opens_as_the_inline_path_opens_it(window, tmp_path, in_child, monkeypatch):
    path = saved_session(tmp_path)
    applied: list[Session] = []
    apply = window.apply_session
    monkeypatch.setattr(
        window, "apply_session", lambda s, label="saved run": applied.append(s) or apply(s, label)
    )
    assert window.open_session(path)
    expected = load_session(path)
    assert applied == [expected]  # weights, history, Adam's state, data: equal, field by field
    got = applied[0]
    assert got.weights.to_dict() == expected.weights.to_dict()
    assert got.history == expected.history and got.run_state == expected.run_state
    assert [type(r.layer_grads) for r in got.history] == [tuple] * len(got.history)
    assert window._history == expected.history
    assert window._weights.to_dict() == expected.weights.to_dict()
    assert file_loading.running_pids() == []


def test_big_weights_import_as_the_inline_path_imports_them(window, tmp_path, in_child):
    weights = SPEC.fresh_weights(2)
    weights.metadata = {"input_names": ["x1", "x2"], "note": {"runs": list(range(50))}}
    assert window.apply_session(Session(moons(50, 0.1, 0), SPEC, TrainSettings()))
    for name, save in (("w.json", save_json), ("w.npz", save_npz)):
        save(weights, tmp_path / name)
        window._start_weights = None
        assert window.import_weights(tmp_path / name), window.last_error
        assert window._start_weights == load_json(tmp_path / "w.json")
        assert window._start_weights.to_dict() == weights.to_dict()
        assert window._weights.to_dict() == weights.to_dict()


def test_a_small_file_is_still_read_in_the_window(window, tmp_path, monkeypatch):
    path = saved_session(tmp_path, steps=20)
    assert path.stat().st_size <= file_loading.INLINE_MAX_BYTES

    def no_child(*_args, **_kwargs):
        raise AssertionError("a small file must not start a child")

    monkeypatch.setattr(file_loading, "load_in_child", no_child)
    assert window.open_session(path)
    assert window._history == load_session(path).history


def test_files_above_the_size_are_big_and_devices_folders_and_missing_files_are_not(tmp_path):
    big = tmp_path / "big.json"
    big.write_bytes(b" " * (file_loading.INLINE_MAX_BYTES + 1))
    small = tmp_path / "small.json"
    small.write_bytes(b" " * file_loading.INLINE_MAX_BYTES)
    assert file_loading.is_big(big) and not file_loading.is_big(small)
    assert not file_loading.is_big(tmp_path) and not file_loading.is_big(tmp_path / "missing.json")
    assert not file_loading.is_big("/dev/zero")


# ---------------------------------------------------------------- the window runs on


def test_the_window_runs_its_event_loop_while_a_big_file_loads(window, tmp_path, in_child):
    path = saved_session(tmp_path)
    ticks: list[int] = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start(1)
    seen = on_dialog(window, lambda dialog, pid: None)
    assert window.open_session(path)
    timer.stop()
    assert ticks, "no timer fired while the file loaded: the window was frozen"
    assert seen and seen[0][0] == "Opening trained.json…"
    assert not [d for d in window.findChildren(QProgressDialog) if d.isVisible()]


def snapshot(window) -> dict:
    return {
        "data": window._dataset.inputs,
        "spec": window._spec,
        "weights": window._weights.to_dict(),
        "history": list(window._history),
        "start": window._start_weights,
    }


def test_cancel_changes_nothing_and_leaves_no_process(window, tmp_path, in_child):
    path = saved_session(tmp_path)
    assert window.apply_session(Session(moons(50, 0.1, 0), SPEC, TrainSettings()))  # its weights fit
    before = snapshot(window)
    seen = on_dialog(window, click_cancel)
    assert not window.open_session(path)
    assert seen
    assert gone(seen[0][1])
    assert snapshot(window) == before
    assert window.last_error == ""
    assert "Did not open trained.json" in window.statusBar().currentMessage()
    seen = on_dialog(window, click_cancel)
    weights = tmp_path / "w.json"
    save_json(SPEC.fresh_weights(2), weights)
    assert not window.import_weights(weights)
    assert gone(seen[0][1]) and snapshot(window) == before
    assert window.last_error == "" and "Did not import w.json" in window.statusBar().currentMessage()


def test_closing_the_window_while_a_file_loads_kills_its_process(window, tmp_path, in_child):
    path = saved_session(tmp_path)
    before = snapshot(window)
    seen = on_dialog(window, lambda dialog, pid: window.close())
    assert not window.open_session(path)
    assert seen and gone(seen[0][1])
    assert file_loading.running_pids() == []
    assert snapshot(window) == before


def test_a_loading_process_that_dies_gives_a_message_not_a_hang(window, tmp_path, in_child):
    path = saved_session(tmp_path)
    before = snapshot(window)
    seen = on_dialog(window, lambda dialog, pid: os.kill(pid, signal.SIGKILL))
    assert not window.open_session(path)
    assert seen
    assert window.last_error == (
        "Could not open trained.json: the process reading it ended before it was done (it was stopped by signal 9)"
    )
    assert snapshot(window) == before
    close_error_boxes(window)


def test_a_second_open_while_one_loads_is_refused(window, tmp_path, in_child):
    path = saved_session(tmp_path)
    second: list[bool] = []
    on_dialog(window, lambda dialog, pid: second.append(window.open_session(path)))
    assert window.open_session(path)
    assert second == [False]
    assert "another file is still being opened" in window.last_error
    close_error_boxes(window)


# ---------------------------------------------------------------- the same messages


def hostile_sessions(tmp_path: Path) -> list[Path]:
    good = trained_session(steps=5).to_dict()
    cases = {
        "not-json.json": '{"format": ',
        "empty.json": "",
        "deep.json": "[" * 100_000,
        "duplicate.json": '{"format": "micrograd-studio/session", "format": "x"}',
        "infinite-size.json": json.dumps({**good, "model": {**good["model"], "hidden_sizes": [1e999, 4]}}),
        "seed-list.json": json.dumps({**good, "model": {**good["model"], "seed": [1, 2]}}),
        "long-int.json": json.dumps(good).replace('"seed": 1', '"seed": ' + "9" * 5000, 1),
        "nan-loss.json": json.dumps(good).replace('"loss": ', '"loss": NaN, "x": ', 1),
        "bad-history.json": json.dumps({**good, "history": [{"step": "one"}]}),
        "too-many-samples.json": json.dumps(
            {**good, "dataset": {**good["dataset"], "inputs": [[0.0, 0.0]] * 2001, "targets": [1.0] * 2001}}
        ),
    }
    paths = []
    for name, text in cases.items():
        paths.append(tmp_path / name)
        paths[-1].write_text(text)
    (tmp_path / "latin1.json").write_bytes(b'{"name": "caf\xe9"}')
    return [*paths, tmp_path / "latin1.json"]


def hostile_weights(tmp_path: Path) -> list[Path]:
    good = SPEC.fresh_weights(2).to_dict()
    cases = {
        "wrong-format.json": json.dumps({**good, "format": "other"}),
        "duplicate.json": '{"format": "micrograd-studio/weights", "format": "micrograd-studio/weights"}',
        "nan.json": json.dumps(good).replace("[", "[NaN, ", 3),
        "ragged.json": json.dumps({**good, "layers": [{**good["layers"][0], "bias": [0.0]}]}),
        "other-net.json": json.dumps(
            {**good, "inputs": 3, "layers": [{**good["layers"][0], "weight": [[0.0] * 3] * 8}]}
        ),
        "not-npz.npz": "plain text",
    }
    paths = []
    for name, text in cases.items():
        paths.append(tmp_path / name)
        paths[-1].write_text(text)
    with zipfile.ZipFile(tmp_path / "no-entries.npz", "w") as archive:
        archive.writestr("inputs.npy", b"\x93NUMPY garbage")
    return [*paths, tmp_path / "no-entries.npz"]


def message_of(window, act, path: Path) -> str:
    window.last_error = ""
    assert not act(path)
    close_error_boxes(window)
    return window.last_error


def test_hostile_files_give_the_same_message_read_in_a_child_or_inline(window, tmp_path, monkeypatch):
    assert window.apply_session(Session(moons(50, 0.1, 0), SPEC, TrainSettings()))
    cases = [(window.open_session, p) for p in hostile_sessions(tmp_path)]
    cases += [(window.import_weights, p) for p in hostile_weights(tmp_path)]
    children: list[str] = []
    load_in_child = file_loading.load_in_child

    def counted(window, kind, path, *args):
        children.append(Path(path).name)
        return load_in_child(window, kind, path, *args)

    monkeypatch.setattr(file_loading, "load_in_child", counted)
    for act, path in cases:
        monkeypatch.setattr(file_loading, "INLINE_MAX_BYTES", 1 << 40)
        inline = message_of(window, act, path)
        monkeypatch.setattr(file_loading, "INLINE_MAX_BYTES", 0)
        in_child = message_of(window, act, path)
        assert inline and in_child == inline, path.name
    assert children == [p.name for _, p in cases if p.stat().st_size > 0]  # an empty file is never "big"


def test_an_exception_that_does_not_pickle_is_worded_as_inline():
    from gui.panels.input_checks import describe_file_error

    ours = file_loading._exception(None, "engine.session", "SessionError", "its model: layer 1 is wrong")
    assert describe_file_error(ours) == "its model: layer 1 is wrong"
    other = file_loading._exception(None, "somewhere", "Odd", "internal detail")
    assert describe_file_error(other) == "its contents are not what this app can read"


# ---------------------------------------------------------------- no network built to compare shapes


def test_import_weights_compares_shapes_without_building_the_network(window, tmp_path, monkeypatch):
    assert window.apply_session(Session(moons(50, 0.1, 0), SPEC, TrainSettings()))

    def no_build(*_args, **_kwargs):
        raise AssertionError("building the network (460,000 Values for 8 x 256) only to compare shapes")

    monkeypatch.setattr(ModelSpec, "build", no_build)
    other = ModelSpec([4, 8], ["tanh", "tanh"], "tanh").fresh_weights(2)
    save_json(other, tmp_path / "other.json")
    assert not window.import_weights(tmp_path / "other.json")
    assert window.last_error == (
        "other.json is for another network: layer 1 has 4 neurons in the weights, 8 in the network. "
        "Set the model to match it (or export weights from this one)."
    )
    close_error_boxes(window)
    save_json(SPEC.fresh_weights(2), tmp_path / "same.json")
    assert window.import_weights(tmp_path / "same.json")


def test_escape_cancels_a_big_import(window, tmp_path, in_child):
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    assert window.apply_session(Session(moons(50, 0.1, 0), SPEC, TrainSettings()))  # the weights fit
    save_json(SPEC.fresh_weights(2), tmp_path / "w.json")
    seen = on_dialog(window, lambda dialog, pid: QTest.keyClick(dialog, Qt.Key.Key_Escape))
    assert not window.import_weights(tmp_path / "w.json")
    assert seen and gone(seen[0][1])
    assert window._start_weights is None
    assert window.last_error == "" and "Did not import w.json" in window.statusBar().currentMessage()


# ---------------------------------------------------------------- showing a big saved run


@pytest.mark.parametrize("optimizer", ["adam", "momentum", "sgd"])
def test_a_saved_runs_optimizer_table_holds_its_first_parameters_only(optimizer):
    """Opening 8 x 256 made the names, data and state of all 461,569 parameters (0.2 s) for a table
    of the first 5,000: the table is the same as the one cut from all of them."""
    from engine.diagnostics import parameter_names
    from engine.optim import STATE_TABLE_MAX_PARAMETERS
    from gui.window.saved_run import saved_run_snapshot

    spec = ModelSpec([60, 100], ["tanh", "tanh"], "tanh")  # 6,381 parameters: more than the table
    weights = spec.fresh_weights(2)
    n = spec.parameter_count(2)
    rng = random.Random(3)
    state = {
        "adam": {"t": 7, "m": [rng.random() for _ in range(n)], "v": [rng.random() for _ in range(n)]},
        "momentum": {"buffers": [rng.random() for _ in range(n)]},
        "sgd": {},
    }[optimizer]
    run_state = RunState(7, optimizer, state, tuple(random.Random(0).getstate()[1]))
    settings = TrainSettings(optimizer=optimizer)
    table = saved_run_snapshot(run_state, weights, settings)
    rows = STATE_TABLE_MAX_PARAMETERS
    flat = [v for layer in weights.layers for row, b in zip(layer.weight, layer.bias) for v in (*row, b)]
    assert table.names == parameter_names(weights.inputs, weights.sizes)[:rows]
    assert table.total == n and table.data == flat[:rows]
    columns = run_state.make_optimizer(settings).columns(rows)
    assert table.momentum == columns.get("momentum") and table.second_moment == columns.get("second moment")
    assert n > rows and (optimizer == "sgd" or len(table.momentum) == rows)


# ---------------------------------------------------------------- a big CSV


def write_rows(path: Path, rows: list[str], header: str = "x1,x2,y") -> Path:
    path.write_text("\n".join([header, *rows]) + "\n")
    return path


def test_a_big_csv_imports_in_a_child_as_inline(window, tmp_path, in_child):
    from engine.data import read_csv, write_csv

    write_csv(moons(300, 0.1, 2), tmp_path / "moons300.csv")
    ticks: list[int] = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start(1)
    seen = on_dialog(window, lambda dialog, pid: None)
    assert window.import_csv(tmp_path / "moons300.csv"), window.last_error
    timer.stop()
    assert seen and seen[0][0] == "Opening moons300.csv…" and ticks
    expected = read_csv(tmp_path / "moons300.csv", max_rows=2000)
    assert window.data_panel.dataset().inputs == expected.inputs
    assert window._dataset.targets == expected.targets and window._dataset.task == expected.task


def test_cancelling_a_big_csv_says_nothing_and_changes_nothing(window, tmp_path, in_child):
    from engine.data import write_csv

    write_csv(moons(300, 0.1, 2), tmp_path / "moons300.csv")
    before = snapshot(window)
    seen = on_dialog(window, click_cancel)
    assert not window.import_csv(tmp_path / "moons300.csv")
    assert seen and gone(seen[0][1])
    assert snapshot(window) == before and window.last_error == ""
    assert not [box for box in window.findChildren(QMessageBox) if box.isVisible()]


def test_hostile_csvs_give_the_same_message_read_in_a_child_or_inline(window, tmp_path, monkeypatch):
    cases = [
        write_rows(tmp_path / "words.csv", ["1,2,1", "a,b,c"]),
        write_rows(tmp_path / "ragged.csv", ["1,2,1", "1,2"]),
        write_rows(tmp_path / "too-many.csv", ["0.5,0.5,1"] * 2001),
        write_rows(tmp_path / "nan.csv", ["1,nan,1"]),
        write_rows(tmp_path / "no-rows.csv", []),
    ]
    (tmp_path / "latin1.csv").write_bytes(b"x1,x2,y\n1,2,1\ncaf\xe9,1,1\n")
    cases.append(tmp_path / "latin1.csv")
    for path in cases:
        monkeypatch.setattr(file_loading, "INLINE_MAX_BYTES", 1 << 40)
        inline = message_of(window, window.import_csv, path)
        monkeypatch.setattr(file_loading, "INLINE_MAX_BYTES", 0)
        assert message_of(window, window.import_csv, path) == inline != "", path.name


QUIT_WHILE_LOADING = """
import sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

app = QApplication(sys.argv[:1])
from gui.processes import file_loading
from gui.window.main_window import MainWindow

file_loading.INLINE_MAX_BYTES = 0
window = MainWindow()
window.show()

def quit_when_loading():
    pids = file_loading.running_pids()
    if not pids:
        QTimer.singleShot(1, quit_when_loading)
        return
    print("child", pids[0], flush=True)
    app.quit()

QTimer.singleShot(0, lambda: print("opened", window.open_session(sys.argv[1]), flush=True))
QTimer.singleShot(0, quit_when_loading)
app.exec()
window.controller.shutdown()
print("left", len(file_loading.running_pids()), flush=True)
"""


def test_quitting_the_app_while_a_file_loads_ends_its_process(tmp_path):
    import subprocess
    import sys

    path = saved_session(tmp_path)
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(root)}
    done = subprocess.run(
        [sys.executable, "-c", QUIT_WHILE_LOADING, str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=root,
    )
    lines = dict(line.split(" ", 1) for line in done.stdout.splitlines() if " " in line)
    assert lines.get("opened") == "False" and lines.get("left") == "0", done.stdout + done.stderr
    assert gone(int(lines["child"]))
