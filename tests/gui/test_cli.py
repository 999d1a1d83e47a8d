"""The command line: `micrograd-studio --help` and headless `micrograd-studio train`."""

import json
import subprocess
import sys

import pytest

from engine.data import moons
from engine.weights import load_json, load_npz
from gui.app import main
from gui.cli_train import train_main


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


def test_train_writes_weights_that_predict_like_training_left_them(tmp_path, capsys):
    out = tmp_path / "moons.json"
    args = [
        "--preset",
        "moons",
        "--samples",
        "60",
        "--layers",
        "8",
        "--activation",
        "relu",
        "--output-activation",
        "linear",
        "--loss",
        "hinge",
        "--lr",
        "0.5",
        "--steps",
        "40",
        "--quiet",
    ]
    assert train_main([*args, "--out", str(out)]) == 0
    weights = load_json(out)
    assert weights.sizes == [8, 1] and weights.activations == ["relu", "linear"]
    assert weights.metadata["steps_trained"] == 40
    data = moons(60, 0.1, 0)
    correct = sum((weights.predict(x) > 0) == (y > 0) for x, y in zip(data.inputs, data.targets))
    assert correct / len(data) > 0.8
    assert "final loss" in capsys.readouterr().out
    # the same run again gives the same weights, bit for bit
    again = tmp_path / "again.npz"
    assert train_main([*args, "--out", str(again)]) == 0
    assert load_npz(again).to_dict()["layers"] == weights.to_dict()["layers"]


def test_train_refuses_bad_input_with_a_message(tmp_path, capsys):
    assert train_main(["--layers", "4,,x", "--out", str(tmp_path / "w.json")]) == 2
    assert "empty layer size" in capsys.readouterr().err
    assert train_main(["--out", str(tmp_path / "w.txt")]) == 2
    assert ".json, .npz or .pt" in capsys.readouterr().err
    bad_csv = tmp_path / "bad.csv"
    bad_csv.write_text("x1,x2,y\n1,2,1\n3,abc,-1\n")
    assert train_main(["--csv", str(bad_csv), "--out", str(tmp_path / "w.json")]) == 2
    assert "'abc' is not a number" in capsys.readouterr().err
    assert not (tmp_path / "w.json").exists()


def test_train_reports_divergence(tmp_path, capsys):
    code = train_main(
        [
            "--preset",
            "moons",
            "--layers",
            "16,16",
            "--activation",
            "relu",
            "--output-activation",
            "linear",
            "--loss",
            "mse",
            "--lr",
            "50",
            "--quiet",
            "--out",
            str(tmp_path / "w.json"),
        ]
    )
    assert code == 1
    assert "diverged at step" in capsys.readouterr().err
    assert not (tmp_path / "w.json").exists()


# Runs `python -m gui train ...` as the console script does, then lists the GUI libraries it loaded.
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


def test_train_compiled_gives_the_plain_result(tmp_path, capsys):
    args = [
        "--preset",
        "moons",
        "--samples",
        "50",
        "--layers",
        "8",
        "--activation",
        "relu",
        "--output-activation",
        "linear",
        "--loss",
        "hinge",
        "--lr",
        "0.5",
        "--steps",
        "25",
        "--quiet",
    ]
    assert train_main([*args, "--out", str(tmp_path / "plain.json")]) == 0
    assert train_main([*args, "--compiled", "--out", str(tmp_path / "compiled.json")]) == 0
    assert "array ops" in capsys.readouterr().err
    plain, compiled = load_json(tmp_path / "plain.json"), load_json(tmp_path / "compiled.json")
    assert plain.sizes == compiled.sizes == [8, 1]
    for a, b in zip(plain.layers, compiled.layers, strict=True):
        assert len(a.weight) == len(b.weight) and len(a.bias) == len(b.bias)
        for row_a, row_b in zip(a.weight, b.weight, strict=True):
            assert row_a == pytest.approx(row_b, rel=1e-12, abs=1e-12)
        assert a.bias == pytest.approx(b.bias, rel=1e-12, abs=1e-12)
    assert compiled.metadata["final_loss"] == pytest.approx(plain.metadata["final_loss"], rel=1e-12)


def _bad_session_files(tmp_path):
    from engine.data import lecture
    from engine.session import Session, save_session
    from engine.spec import ModelSpec
    from engine.train import TrainSettings

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


def test_a_good_session_on_the_command_line_opens_in_the_window(tmp_path, monkeypatch):
    from engine.data import moons as make_moons
    from engine.session import Session, save_session
    from engine.spec import ModelSpec
    from engine.train import TrainSettings

    path = tmp_path / "demo.json"
    save_session(Session(make_moons(20), ModelSpec([3], ["relu"]), TrainSettings(steps=7)), path)
    opened = []
    monkeypatch.setattr("gui.app.run_app", lambda session, name: opened.append((session, name)) or 0)
    assert main([str(path)]) == 0
    [(session, name)] = opened
    assert name == "demo.json" and session.training.steps == 7 and session.model.hidden_sizes == [3]


def test_train_refuses_hostile_inputs_with_plain_messages(tmp_path, capsys):
    bad_session = tmp_path / "bad.json"
    bad_session.write_text('{"format": "micrograd-studio/session", "version": 1, "version": 1}')
    cases = [
        (["--session", str(bad_session)], "bad.json is not usable: the key 'version' appears twice"),
        (["--session", str(tmp_path)], "it is a folder, not a file"),
        (["--csv", str(tmp_path / "missing.csv")], "cannot read missing.csv: there is no such file"),
        (["--lr", "1e6"], "the learning rate must be a number from 1e-05 to 100, not 1000000.0"),
        (["--steps", "200000"], "the number of steps must be a whole number from 1 to 100,000"),
        (["--layers", "4, ²"], "layer 2: '²' is not a whole number"),
        (["--preset", "moons", "--data-seed", "-5"], "the data seed must be a whole number from 0 to 99,999"),
    ]
    for args, message in cases:
        assert train_main([*args, "--quiet", "--out", str(tmp_path / "w.json")]) == 2, args
        err = capsys.readouterr().err
        assert message in err, (args, err)
        assert "Traceback" not in err and "Errno" not in err
    assert not (tmp_path / "w.json").exists()


def test_train_says_plainly_when_it_cannot_write_the_weights(tmp_path, capsys):
    out = tmp_path / "no-such-folder" / "w.json"
    assert train_main(["--steps", "2", "--quiet", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"cannot write {out}: its folder does not exist" in err and "Errno" not in err
