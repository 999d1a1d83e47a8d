"""Every file action with a bad file: the whole message in a dialog, nothing escapes, nothing changes.

The status bar cuts long messages off, so each error must reach `show_error` (a window-modal
dialog with the whole text). A hostile file may make a reader raise anything; the window
catches it at the file action, says so, and keeps what it had.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QFocusEvent
from PySide6.QtWidgets import QApplication, QLabel, QMessageBox

from engine.data import lecture
from engine.nn import MLP
from engine.session import Session
from engine.settings import TrainSettings
from engine.spec import ModelSpec
from engine.weights import ModelWeights, save_json
from gui.window.main_window import MainWindow


def snapshot(window: MainWindow) -> dict:
    """What the window holds and shows: none of it may change when a file is refused."""
    return {
        "dataset": (window._dataset.inputs, window._dataset.targets),
        "spec": window._spec,
        "settings": window._settings,
        "weights": window._weights.to_dict(),
        "start_weights": window._start_weights,
        "panel data": window.data_panel.dataset().inputs,
        "panel spec": window.model_panel.spec(),
        "panel settings": window.training_panel.settings(),
        "state": window.state,
    }


def error_boxes(window: MainWindow) -> list[QMessageBox]:
    return [box for box in window.findChildren(QMessageBox) if box.isVisible()]


def shown_text(box: QMessageBox) -> str:
    """What the dialog says, without the zero-width spaces that let a long file name wrap."""
    return box.text().replace("\u200b", "")


def assert_shown_whole(window: MainWindow, start: str) -> str:
    """The last error starts with `start` and a visible dialog holds all of it."""
    message = window.last_error
    assert message.startswith(start), message
    texts = [shown_text(box) for box in error_boxes(window)]
    assert message in texts, texts
    box = next(b for b in error_boxes(window) if shown_text(b) == message)
    assert box.windowModality() == Qt.WindowModality.WindowModal
    for box in error_boxes(window):
        box.close()
    return message


def raising(error: BaseException):
    def reader(*_args, **_kwargs):
        raise error

    return reader


HOSTILE_ERRORS = [
    RecursionError("maximum recursion depth exceeded"),
    MemoryError(),
    UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte"),
    ValueError("Exceeds the limit (4300 digits) for integer string conversion"),
    OverflowError("cannot convert float infinity to integer"),
    KeyError("layers"),
    TypeError("'int' object is not iterable"),
]


# ---------------------------------------------------------------- sessions


def test_a_broken_session_is_shown_whole_and_changes_nothing(window, tmp_path):
    before = snapshot(window)
    broken = tmp_path / "broken.json"
    broken.write_text('{"format": "micrograd-studio-session", "version": 1, "dataset": ')
    assert not window.open_session(broken)
    assert_shown_whole(window, "Could not open broken.json: ")
    assert snapshot(window) == before


@pytest.mark.parametrize("error", HOSTILE_ERRORS, ids=lambda e: type(e).__name__)
def test_anything_a_session_loader_raises_is_caught_and_said_in_words(window, tmp_path, monkeypatch, error):
    monkeypatch.setattr("gui.window.file_actions.load_session", raising(error))
    before = snapshot(window)
    path = tmp_path / "hostile.json"
    path.write_text("{}")
    assert not window.open_session(path)
    message = assert_shown_whole(window, "Could not open hostile.json: ")
    for internal in ("recursion", "codec", "4300", "Error", "iterable", "'layers'"):
        assert internal not in message  # about the file, not about Python
    assert snapshot(window) == before


def write_session(path: Path, **training) -> Path:
    session = Session(lecture(), ModelSpec(), TrainSettings())
    data = session.to_dict()
    data["training"].update(training)
    path.write_text(json.dumps(data))
    return path


@pytest.mark.parametrize(
    "training",
    [
        {"learning_rate": 1e6},
        {"steps": 200_000},
        {"steps": 2**31},
        {"batch_size": 2**31},
        {"decay": "no"},
        {"seed": [1, 2]},
        {"l2": 5.0},
    ],
    ids=str,
)
def test_a_session_the_fields_cannot_show_is_refused_whole(window, qtbot, tmp_path, training):
    before = snapshot(window)
    path = write_session(tmp_path / "odd.json", **training)
    assert not window.open_session(path)
    assert_shown_whole(window, "Could not open odd.json: ")
    assert snapshot(window) == before
    assert_typed_learning_rate_is_used(window, qtbot)


def assert_typed_learning_rate_is_used(window: MainWindow, qtbot) -> None:
    """No panel was left with its signals blocked: a typed learning rate reaches the window."""
    spin = window.training_panel.learning_rate_spin
    with qtbot.waitSignal(window.training_panel.settings_changed, timeout=1000) as blocker:
        spin.lineEdit().selectAll()
        qtbot.keyClicks(spin.lineEdit(), "0.3")
        QApplication.sendEvent(spin, QFocusEvent(QEvent.Type.FocusOut, Qt.FocusReason.TabFocusReason))
    assert blocker.args[0].learning_rate == 0.3
    assert window.training_panel.settings().learning_rate == 0.3
    assert window._settings.learning_rate == 0.3


@pytest.mark.parametrize(
    "session",
    [
        Session(lecture(), ModelSpec(), TrainSettings(learning_rate=1e6)),
        Session(lecture(), ModelSpec(), TrainSettings(decay="no")),
        Session(lecture(), ModelSpec(), TrainSettings(steps=2**31)),
        Session(lecture(), ModelSpec(seed=-5), TrainSettings()),
        Session(lecture(), ModelSpec(hidden_sizes=[4], hidden_activations=["tanh"]), TrainSettings(l2=-1.0)),
        Session(lecture(), ModelSpec(), TrainSettings(), ModelWeights.from_model(MLP(2, [3, 1]))),
    ],
    ids=["lr 1e6", "decay no", "steps 2^31", "model seed -5", "l2 -1", "weights of another net"],
)
def test_apply_session_refuses_before_changing_anything(window, qtbot, session):
    """A Session built in code skips the loader's checks: the window still shows only what it uses."""
    before = snapshot(window)
    assert window.apply_session(session) is False
    assert_shown_whole(window, "Could not use this session: ")
    assert snapshot(window) == before
    assert_typed_learning_rate_is_used(window, qtbot)


def test_save_session_failure_is_shown_whole(window, tmp_path, monkeypatch):
    assert not window.save_session(tmp_path / "no such folder" / "s.json")
    assert_shown_whole(window, "Could not save s.json: ")
    monkeypatch.setattr("gui.window.file_actions.save_session", raising(RecursionError()))
    assert not window.save_session(tmp_path / "deep.json")
    assert_shown_whole(window, "Could not save deep.json: ")


# ---------------------------------------------------------------- weights


def test_weights_for_another_network_are_explained_whole(window, tmp_path):
    """The message that the status bar cut off ("…Set the model to match it (or export weights from th")."""
    other = tmp_path / "other.json"
    save_json(ModelWeights.from_model(MLP(2, [16, 16, 1], seed=0)), other)
    before = snapshot(window)
    assert not window.import_weights(other)
    message = assert_shown_whole(window, "other.json is for another network: ")
    assert message.endswith("Set the model to match it (or export weights from this one).")
    assert snapshot(window) == before


@pytest.mark.parametrize("suffix", [".json", ".npz"])
@pytest.mark.parametrize("content", [b"", b"\xff\xfe garbage \x00", b"[" * 100_000, b"PK\x03\x04broken zip"])
def test_a_garbage_weights_file_is_refused_whole(window, tmp_path, suffix, content):
    path = tmp_path / f"garbage{suffix}"
    path.write_bytes(content)
    before = snapshot(window)
    assert not window.import_weights(path)
    assert_shown_whole(window, f"Could not import garbage{suffix}: ")
    assert snapshot(window) == before


@pytest.mark.parametrize("error", HOSTILE_ERRORS, ids=lambda e: type(e).__name__)
def test_anything_a_weights_loader_raises_is_caught(window, tmp_path, monkeypatch, error):
    monkeypatch.setattr("engine.weights.load_json", raising(error))
    path = tmp_path / "hostile.json"
    path.write_text("{}")
    before = snapshot(window)
    assert not window.import_weights(path)
    assert_shown_whole(window, "Could not import hostile.json: ")
    assert snapshot(window) == before


@pytest.mark.parametrize("fmt", ["json", "npz", "torch"])
def test_a_weights_export_that_fails_is_shown_whole(window, tmp_path, fmt):
    target = tmp_path / "missing folder" / f"w.{fmt}"
    assert not window.export_weights(target, fmt)
    assert_shown_whole(window, f"Could not export to w.{fmt}: ")


# ---------------------------------------------------------------- data, loss, graph


def test_a_bad_csv_reaches_a_dialog_whole_through_the_window(window, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("x1,x2,y\n1,2,1\n3,4\n")
    before = snapshot(window)
    assert not window.import_csv(bad)
    message = assert_shown_whole(window, "Could not import bad.csv: ")
    assert "row 3 has 2 values, expected 3" in message
    assert snapshot(window) == before


def test_a_binary_csv_is_refused_in_words(window, tmp_path):
    bad = tmp_path / "binary.csv"
    bad.write_bytes(b"\xff\xfe\x00\x81" * 100)
    before = snapshot(window)
    assert not window.import_csv(bad)
    assert_shown_whole(window, "Could not import binary.csv: ")
    assert snapshot(window) == before


def test_a_csv_export_that_fails_is_shown_whole(window, tmp_path):
    assert not window.export_csv(tmp_path / "missing folder" / "data.csv")
    assert_shown_whole(window, "Could not export to data.csv: ")


@pytest.mark.parametrize("export", ["export_loss_csv", "export_loss_png"])
def test_a_loss_export_that_fails_is_shown_whole(window, tmp_path, monkeypatch, export):
    suffix = ".csv" if export.endswith("csv") else ".png"
    assert not getattr(window, export)(tmp_path / "missing folder" / f"loss{suffix}")
    assert_shown_whole(window, f"Could not export to loss{suffix}: ")
    monkeypatch.setattr(window.loss_plot, export.replace("_loss", ""), raising(MemoryError()))
    assert not getattr(window, export)(tmp_path / f"big{suffix}")
    assert_shown_whole(window, f"Could not export to big{suffix}: ")


def test_a_graph_export_that_fails_is_shown_whole(window, tmp_path, monkeypatch):
    assert not window.export_graph(tmp_path / "graph.txt")  # a suffix no exporter knows
    assert_shown_whole(window, "Could not export to graph.txt: ")
    monkeypatch.setattr(window.graph_view, "export", raising(RecursionError()))
    assert not window.export_graph(tmp_path / "graph.svg")
    assert_shown_whole(window, "Could not export to graph.svg: ")


def test_a_long_error_dialog_wraps_and_fits_the_screen(window):
    name = "a_file_with_a_rather_long_name_" * 8 + ".json"  # wider than the dialog, without a space
    message = f"Could not open {name}: " + "the reason, told at length. " * 40
    window.show_error("Open session", message)
    box = next(b for b in error_boxes(window) if shown_text(b) == message)
    assert window.last_error == message
    screen = window.screen().availableGeometry()
    assert box.width() <= screen.width() and box.height() <= screen.height()
    # the label wraps: it is narrower than the message on one line, and the name can break too
    label = box.findChild(QLabel, "qt_msgbox_label")
    assert label.wordWrap()
    wrapped = label.fontMetrics().boundingRect(
        0, 0, label.width(), 10_000, Qt.TextFlag.TextWordWrap, label.text()
    )
    assert wrapped.width() <= label.width()  # no line sticks out of the label, cut off
