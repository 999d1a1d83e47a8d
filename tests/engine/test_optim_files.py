"""The optimizer settings in session files and on the headless `train` command line."""

from __future__ import annotations

import json

import pytest

from engine.cli import train_main
from engine.data import make_preset
from engine.session import Session, SessionError, load_session, save_session
from engine.settings import TrainSettings
from engine.spec import ModelSpec
from engine.train import Trainer
from engine.weights import ModelWeights, load_json


def _session(**settings) -> Session:
    return Session(make_preset("lecture"), ModelSpec(), TrainSettings(**settings))


def test_optimizer_settings_survive_a_save(tmp_path):
    path = tmp_path / "adam.json"
    save_session(_session(optimizer="adam", beta1=0.8, beta2=0.99, momentum=0.5), path)
    loaded = load_session(path).training
    assert (loaded.optimizer, loaded.beta1, loaded.beta2, loaded.momentum) == ("adam", 0.8, 0.99, 0.5)


def test_an_old_session_without_optimizer_settings_opens_as_sgd(tmp_path):
    d = _session().to_dict()
    for key in ("optimizer", "momentum", "beta1", "beta2"):
        del d["training"][key]
    path = tmp_path / "old.json"
    path.write_text(json.dumps(d))
    training = load_session(path).training
    assert training.optimizer == "sgd" and training == TrainSettings()


@pytest.mark.parametrize(
    "key, value, message",
    [
        ("optimizer", "rmsprop", "its training settings: unknown optimizer the text 'rmsprop'"),
        ("optimizer", ["adam"], "unknown optimizer a list; choose one of sgd, momentum, adam"),
        ("momentum", 1, "its training settings: the momentum must be a number from 0 to 0.999, not 1"),
        ("momentum", "0.9", "the momentum must be a number from 0 to 0.999, not the text '0.9'"),
        ("beta1", -0.5, "the Adam beta1 must be a number from 0 to 0.9999, not -0.5"),
        ("beta2", None, "the Adam beta2 must be a number from 0 to 0.9999, not null"),
        ("beta2", True, "the Adam beta2 must be a number from 0 to 0.9999, not true"),
    ],
)
def test_hostile_optimizer_settings_in_a_session_are_refused_naming_them(tmp_path, key, value, message):
    d = _session().to_dict()
    d["training"][key] = value
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(d))
    with pytest.raises(SessionError, match=message):
        load_session(path)


@pytest.mark.parametrize("text", ["NaN", "Infinity", "1e999"])
def test_non_finite_hyperparameters_in_a_session_are_refused(tmp_path, text):
    raw = json.dumps(_session().to_dict()).replace('"beta2": 0.999', f'"beta2": {text}')
    path = tmp_path / "bad.json"
    path.write_text(raw)
    with pytest.raises(SessionError, match="the Adam beta2 must be a number from 0 to 0.9999"):
        load_session(path)


def _moons_args(*extra: str) -> list[str]:
    return ["--preset", "moons", "--samples", "40", "--layers", "8", "--steps", "30", "--quiet", *extra]


def test_train_command_trains_with_adam_as_the_engine_does(tmp_path, capsys):
    out = tmp_path / "adam.json"
    args = _moons_args("--optimizer", "adam", "--lr", "0.02", "--beta1", "0.85", "--beta2", "0.99")
    assert train_main([*args, "--out", str(out)]) == 0
    settings = TrainSettings(steps=30, learning_rate=0.02, optimizer="adam", beta1=0.85, beta2=0.99)
    spec = ModelSpec(hidden_sizes=[8], hidden_activations=["tanh"])
    dataset = make_preset("moons", 40, 0.1, 0)
    trainer = Trainer(spec.build(dataset.n_inputs), dataset, settings)
    trainer.run()
    assert load_json(out).to_dict()["layers"] == ModelWeights.from_model(trainer.model).to_dict()["layers"]
    sgd_out = tmp_path / "sgd.json"
    assert train_main([*_moons_args("--lr", "0.02"), "--out", str(sgd_out)]) == 0
    assert load_json(sgd_out).to_dict()["layers"] != load_json(out).to_dict()["layers"]


def test_train_command_takes_the_optimizer_from_a_session_and_flags_override_it(tmp_path, capsys):
    session = tmp_path / "momentum.json"
    save_session(_session(optimizer="momentum", momentum=0.5, steps=10), session)
    one, two = tmp_path / "one.json", tmp_path / "two.json"
    assert train_main(["--session", str(session), "--quiet", "--out", str(one)]) == 0
    assert train_main(["--session", str(session), "--momentum", "0.5", "--quiet", "--out", str(two)]) == 0
    assert load_json(one).to_dict()["layers"] == load_json(two).to_dict()["layers"]
    three = tmp_path / "three.json"
    assert train_main(["--session", str(session), "--momentum", "0.9", "--quiet", "--out", str(three)]) == 0
    assert load_json(three).to_dict()["layers"] != load_json(one).to_dict()["layers"]


@pytest.mark.parametrize(
    "args, message",
    [
        (["--momentum", "1.5"], "the momentum must be a number from 0 to 0.999, not 1.5"),
        (["--momentum", "nan"], "the momentum must be a number from 0 to 0.999, not nan"),
        (["--beta1", "1"], "the Adam beta1 must be a number from 0 to 0.9999, not 1.0"),
        (["--beta2=-inf"], "the Adam beta2 must be a number from 0 to 0.9999, not -inf"),
    ],
)
def test_train_command_refuses_hostile_hyperparameters_plainly(tmp_path, capsys, args, message):
    assert train_main([*args, "--quiet", "--out", str(tmp_path / "w.json")]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "w.json").exists()


def test_train_command_refuses_an_unknown_optimizer(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        train_main(["--optimizer", "rmsprop", "--out", str(tmp_path / "w.json")])
    assert exit_info.value.code == 2
    assert "invalid choice: 'rmsprop'" in capsys.readouterr().err
