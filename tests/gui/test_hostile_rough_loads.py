"""A rough user (tests/gui/test_rough_user.py) who also opens big files, and keeps clicking and
typing while they load: the clicks reach the window although the progress dialog is up (a test's
clicks, a script, a timer). After every action, and inside every load, one training state."""

from __future__ import annotations

import os
import random

import pytest
from process_helpers import child_pids
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox, QProgressDialog
from test_rough_user import RoughUser, assert_consistent, settle, small_fast_session

from engine.data import moons, write_csv
from engine.session import Session, save_session
from engine.settings import TrainSettings
from engine.spec import ModelSpec
from engine.weights import save_json
from gui.processes import file_loading

BIG = file_loading.INLINE_MAX_BYTES + 1


def big_files(tmp_path) -> list:
    """(action name, path) of big files: good ones, and one refused of each kind."""
    save_session(
        Session(moons(30, 0.2, 1), ModelSpec([3], ["relu"], "linear"), TrainSettings(steps=400, loss="mse")),
        tmp_path / "s.json",
    )
    save_json(ModelSpec([3], ["relu"], "linear").fresh_weights(2), tmp_path / "w.json")
    write_csv(moons(50, 0.1, 2), tmp_path / "d.csv")
    files = []
    for name, action, pad in (
        ("s.json", "open_session", b" "),
        ("w.json", "import_weights", b" "),
        ("d.csv", "import_csv", b"\n"),
    ):
        data = (tmp_path / name).read_bytes()
        (tmp_path / f"big-{name}").write_bytes(data + pad * (BIG - len(data)))
        (tmp_path / f"bad-{name}").write_bytes(data[: len(data) // 2] + pad * BIG)
        files += [(action, tmp_path / f"big-{name}"), (action, tmp_path / f"bad-{name}")]
    return files


def close_message_boxes() -> None:
    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, QMessageBox) and widget.isVisible():
            widget.close()


ROUGH_SEEDS = int(os.environ.get("ROUGH_USER_SEEDS", "3"))  # raise it to explore


@pytest.mark.parametrize("seed", range(ROUGH_SEEDS))
def test_a_rough_user_opening_big_files_keeps_one_training_state(window, qtbot, tmp_path, seed):
    before = child_pids()
    window.apply_session(small_fast_session())
    rng = random.Random(seed)
    user = RoughUser(window, qtbot, rng)
    actions = user.actions()
    files = big_files(tmp_path)
    inside: list[int] = []

    turn = [0]

    def act_inside(count: int, at_turn: int) -> None:
        if turn[0] != at_turn:
            return  # that load ended before its dialog showed
        if not [d for d in window.findChildren(QProgressDialog) if d.isVisible()]:
            QTimer.singleShot(1, lambda: act_inside(count, at_turn))
            return
        for _ in range(count):
            rng.choice(actions)()
            close_message_boxes()
            assert_consistent(window)
            inside.append(1)

    for _ in range(30):
        turn[0] += 1
        if rng.random() < 0.3:
            action, path = rng.choice(files)
            count, at_turn = rng.randint(1, 3), turn[0]
            QTimer.singleShot(0, lambda count=count, at_turn=at_turn: act_inside(count, at_turn))
            getattr(window, action)(path)
        else:
            rng.choice(actions)()
        QApplication.processEvents()
        close_message_boxes()
        assert_consistent(window)
        assert file_loading.running_pids() == []
    assert inside, "no action ran while a file loaded"
    settle(window, qtbot)
    window.close()
    qtbot.waitUntil(lambda: child_pids() <= before, timeout=10_000)
