"""Sessions and the `train` command with several classes and regression (issue 13, items 1-2)."""

import json

import pytest

from engine.cli import train_main
from engine.data import make_preset, write_csv
from engine.session import Session, SessionError, load_session, save_session
from engine.settings import TrainSettings
from engine.spec import ModelSpec
from engine.train import Trainer
from engine.weights import ModelWeights, load_json


def _trained_session(preset: str, loss: str, outputs_spec: ModelSpec) -> Session:
    ds = make_preset(preset, 30, 0.05, 1)
    settings = TrainSettings(learning_rate=0.2, steps=5, loss=loss)
    model = outputs_spec.build(ds.n_inputs, ds.n_outputs)
    trainer = Trainer(model, ds, settings)
    trainer.run()
    return Session(ds, outputs_spec, settings, ModelWeights.from_model(model), trainer.history)


@pytest.mark.parametrize(("preset", "loss"), [("arms", "ce"), ("sine", "mse"), ("bump", "sse")])
def test_a_session_of_classes_or_regression_round_trips(preset, loss, tmp_path):
    session = _trained_session(preset, loss, ModelSpec([6], ["tanh"], "linear", seed=2))
    save_session(session, tmp_path / "s.json")
    loaded = load_session(tmp_path / "s.json")
    assert loaded.dataset.task == session.dataset.task
    assert (loaded.dataset.inputs, loaded.dataset.targets) == (
        session.dataset.inputs,
        session.dataset.targets,
    )
    assert loaded.weights.to_dict() == session.weights.to_dict()
    assert loaded.history == session.history
    if preset == "arms":
        assert loaded.weights.sizes[-1] == 3 and loaded.history[-1].accuracy is not None
    else:
        assert loaded.history[-1].r2 is not None and loaded.history[-1].accuracy is None
    # and it trains on from where it was
    model = loaded.model.build(loaded.dataset.n_inputs, loaded.dataset.n_outputs)
    loaded.weights.apply_to(model)
    assert Trainer(model, loaded.dataset, loaded.training).step() is not None


def test_an_old_session_without_a_task_is_read_by_its_targets(tmp_path):
    session = _trained_session("sine", "mse", ModelSpec([4], ["tanh"], "linear"))
    d = session.to_dict()
    del d["dataset"]["task"]
    (tmp_path / "old.json").write_text(json.dumps(d))
    assert load_session(tmp_path / "old.json").dataset.task == "regression"
    moons = Session(make_preset("moons", 20), ModelSpec(), TrainSettings()).to_dict()
    assert "task" not in moons["dataset"]  # two classes: written as before the task existed
    (tmp_path / "moons.json").write_text(json.dumps(moons))
    assert load_session(tmp_path / "moons.json").dataset.task == "binary"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["training"].update(loss="hinge"), "the loss 'hinge' does not fit several classes"),
        (lambda d: d["dataset"].update(task="binary"), "target 2 is not \\+1 or -1"),
        (
            lambda d: d["dataset"]["targets"].__setitem__(0, 2.5),
            "sample 1: class label 2.5 is not a whole number",
        ),
        (lambda d: d["dataset"].update(task="regression"), "the loss 'ce' does not fit regression"),
        (lambda d: d["dataset"].update(task=3), "'task' must be one of binary, classes, regression"),
        (lambda d: d["history"][0].update(r2=1.5), "'r2' must be null or a number of at most 1"),
    ],
)
def test_a_session_whose_parts_do_not_fit_its_task_is_refused(change, message, tmp_path):
    d = _trained_session("arms", "ce", ModelSpec([4], ["tanh"], "linear")).to_dict()
    change(d)
    (tmp_path / "bad.json").write_text(json.dumps(d))
    with pytest.raises(SessionError, match=message):
        load_session(tmp_path / "bad.json")


def test_saved_weights_with_the_wrong_number_of_outputs_are_refused(tmp_path):
    d = _trained_session("arms", "ce", ModelSpec([4], ["tanh"], "linear")).to_dict()
    d["weights"]["layers"][-1]["weight"].pop()
    d["weights"]["layers"][-1]["bias"].pop()
    (tmp_path / "bad.json").write_text(json.dumps(d))
    with pytest.raises(SessionError, match="its weights have 2 outputs, its data needs 3"):
        load_session(tmp_path / "bad.json")


QUIET = ["--quiet", "--steps", "30", "--layers", "8", "--output-activation", "linear"]


def test_the_train_command_trains_a_three_arm_spiral_with_cross_entropy(tmp_path, capsys):
    out = tmp_path / "arms.json"
    assert train_main(["--preset", "arms", "--classes", "3", "--lr", "0.5", *QUIET, "--out", str(out)]) == 0
    weights = load_json(out)
    assert (
        weights.sizes == [8, 3] and weights.metadata["loss"] == "ce" and weights.metadata["task"] == "classes"
    )
    assert "accuracy" in capsys.readouterr().out


def test_the_train_command_fits_a_sine_and_reports_r_squared(tmp_path, capsys):
    out = tmp_path / "sine.npz"
    assert train_main(["--preset", "sine", "--lr", "0.2", *QUIET, "--out", str(out)]) == 0
    assert "R^2" in capsys.readouterr().out


def test_the_train_command_reads_a_csv_of_class_labels_and_a_session_of_classes(tmp_path, capsys):
    write_csv(make_preset("kblobs", 30, 0.1, 0, classes=4), tmp_path / "four.csv")
    out = tmp_path / "four.json"
    assert train_main(["--csv", str(tmp_path / "four.csv"), *QUIET, "--out", str(out)]) == 0
    assert load_json(out).sizes == [8, 4]
    session = _trained_session("arms", "ce", ModelSpec([4], ["tanh"], "linear"))
    save_session(session, tmp_path / "s.json")
    assert train_main(["--session", str(tmp_path / "s.json"), "--quiet", "--out", str(out)]) == 0
    assert load_json(out).sizes == [4, 3]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--preset", "arms", "--loss", "sse"], "the loss 'sse' does not fit several classes"),
        (["--preset", "sine", "--loss", "bce"], "the loss 'bce' does not fit regression"),
        (["--preset", "arms", "--classes", "12"], "number of classes must be a whole number from 3 to 8"),
        (["--preset", "sine", "--task", "classes"], "--task says what a CSV's targets are"),
    ],
)
def test_the_train_command_refuses_what_does_not_fit_with_a_message(args, message, tmp_path, capsys):
    assert train_main([*args, "--quiet", "--out", str(tmp_path / "w.json")]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_the_train_command_refuses_a_csv_whose_labels_do_not_fit_the_task_asked_for(tmp_path, capsys):
    (tmp_path / "bad.csv").write_text("x,y\n0,0\n1,1.5\n2,2\n")
    assert (
        train_main(
            [
                "--csv",
                str(tmp_path / "bad.csv"),
                "--task",
                "classes",
                "--quiet",
                "--out",
                str(tmp_path / "w.json"),
            ]
        )
        == 2
    )
    assert "row 3, column 'y': class label 1.5 is not a whole number" in capsys.readouterr().err
