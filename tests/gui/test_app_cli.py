"""The app's command line: `micrograd-studio --help`, opening a session, and `train` without Qt."""

import json
import subprocess
import sys

import pytest

from engine.weights import load_json
from gui.app import main


def test_help_documents_both_commands(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert "SESSION" in out and "train" in out
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    out = capsys.readouterr().out
    assert "--out" in out and "--no-zero-grad" in out and "--lr" in out


HEADLESS_RUN = """
import json, runpy, sys
sys.argv = ["micrograd-studio", *json.loads(sys.argv[1])]
try:
    runpy.run_module("gui", run_name="__main__", alter_sys=True)
except SystemExit as exit_:
    code = exit_.code
gui_modules = sorted(m for m in sys.modules if m.split(".")[0] in ("PySide6", "shiboken6", "matplotlib"))
print(json.dumps({"code": code, "gui_modules": gui_modules}))
"""


@pytest.mark.parametrize("extra", [[], ["--compiled"]], ids=["plain", "compiled"])
def test_console_entry_point_trains_without_loading_qt_or_matplotlib(tmp_path, extra):
    out = tmp_path / "lecture.json"
    args = ["train", "--steps", "20", *extra, "--out", str(out)]
    proc = subprocess.run(
        [sys.executable, "-c", HEADLESS_RUN, json.dumps(args)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report == {"code": 0, "gui_modules": []}
    assert json.loads(out.read_text())["format"] == "micrograd-studio/weights"
    assert load_json(out).metadata["steps_trained"] == 20


def test_a_good_session_on_the_command_line_opens_in_the_window(tmp_path, monkeypatch):
    from engine.data import moons as make_moons
    from engine.session import Session, save_session
    from engine.settings import TrainSettings
    from engine.spec import ModelSpec

    path = tmp_path / "demo.json"
    save_session(Session(make_moons(20), ModelSpec([3], ["relu"]), TrainSettings(steps=7)), path)
    opened = []
    monkeypatch.setattr("gui.app.run_app", lambda session, name: opened.append((session, name)) or 0)
    assert main([str(path)]) == 0
    [(session, name)] = opened
    assert name == "demo.json" and session.training.steps == 7 and session.model.hidden_sizes == [3]


def _bad_session_files(tmp_path):
    from engine.data import lecture
    from engine.session import Session, save_session
    from engine.settings import TrainSettings
    from engine.spec import ModelSpec

    good = tmp_path / "good.json"
    save_session(Session(lecture(), ModelSpec(), TrainSettings()), good)
    text = good.read_text()
    files = {
        "infinity-seed.json": text.replace('"seed": 0}', '"seed": Infinity}'),
        "huge-integer.json": text.replace('"steps": 100', '"steps": ' + "9" * 5000),
        "learning-rate.json": text.replace('"learning_rate": 0.05', '"learning_rate": 1e6'),
        "not-json.json": "{",
    }
    for name, content in files.items():
        assert content != text or name == "not-json.json"
        (tmp_path / name).write_text(content)
    (tmp_path / "folder.json").mkdir()
    return [*files, "folder.json", "missing.json"]


def test_a_bad_session_on_the_command_line_is_refused_with_a_message_not_a_crash(tmp_path):
    import os

    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    for name in _bad_session_files(tmp_path):
        proc = subprocess.run(
            [sys.executable, "-m", "gui", str(tmp_path / name)],
            capture_output=True,
            text=True,
            timeout=60,  # a window that opened instead would hang here
            env=env,
            cwd=root,
        )
        assert proc.returncode == 2, (name, proc.returncode, proc.stderr)
        assert f"could not open the session {tmp_path / name}: " in proc.stderr, proc.stderr
        assert "Traceback" not in proc.stderr
