"""A session saved mid-run keeps the optimizer's state: opened and trained on, it gives the very
numbers of a run that never stopped (momentum's b, Adam's m, v and t, the minibatch sampler)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from engine.cli import train_main
from engine.data import make_preset
from engine.run_setup import build_trainer
from engine.session import Session, SessionError, load_session, save_session
from engine.settings import TrainSettings
from engine.spec import ModelSpec
from engine.train import Trainer
from engine.weights import ModelWeights, load_json

STEPS, SAVED_AT = 24, 9
SPEC = ModelSpec(hidden_sizes=[6], hidden_activations=["tanh"])
OPTIMIZERS = {
    "sgd": dict(optimizer="sgd", learning_rate=0.3),
    "momentum": dict(optimizer="momentum", learning_rate=0.05, momentum=0.8),
    "adam": dict(optimizer="adam", learning_rate=0.02, beta1=0.85, beta2=0.99),
}


def _settings(optimizer: str, **more) -> TrainSettings:
    return TrainSettings(steps=STEPS, loss="mse", decay=True, **OPTIMIZERS[optimizer], **more)


def _dataset():
    return make_preset("moons", 30, 0.1, 3)


def _trainer(settings: TrainSettings) -> Trainer:
    return build_trainer(SPEC, _dataset(), settings)


def _weights(trainer: Trainer) -> list[float]:
    return [p.data for p in trainer.model.parameters()]


def _saved_mid_run(tmp_path, settings: TrainSettings, steps: int = SAVED_AT) -> str:
    trainer = _trainer(settings)
    for _ in range(steps):
        trainer.step()
    session = Session(
        _dataset(),
        SPEC,
        settings,
        ModelWeights.from_model(trainer.model),
        list(trainer.history),
        run_state=trainer.run_state(),
    )
    path = tmp_path / "mid_run.json"
    save_session(session, path)
    return str(path)


def _continued(path: str) -> Trainer:
    session = load_session(path)
    trainer = build_trainer(session.model, session.dataset, session.training, session.split, session.weights)
    trainer.continue_run(session.history, session.run_state)
    return trainer


@pytest.mark.parametrize("optimizer", list(OPTIMIZERS))
@pytest.mark.parametrize("batch_size", [0, 7])
def test_a_run_saved_and_opened_again_ends_exactly_as_one_that_never_stopped(tmp_path, optimizer, batch_size):
    settings = _settings(optimizer, batch_size=batch_size)
    whole = _trainer(settings)
    whole.run()
    continued = _continued(_saved_mid_run(tmp_path, settings))
    assert continued.step_count == SAVED_AT
    continued.run()
    assert _weights(continued) == _weights(whole)
    assert continued.history == whole.history
    assert continued.step_count == STEPS


def test_adam_goes_on_counting_its_steps_for_the_bias_correction(tmp_path):
    continued = _continued(_saved_mid_run(tmp_path, _settings("adam")))
    assert continued.optimizer.t == SAVED_AT
    continued.step()
    assert continued.optimizer.t == SAVED_AT + 1


def test_the_saved_state_is_the_one_after_the_saved_weights_step(tmp_path):
    path = _saved_mid_run(tmp_path, _settings("momentum"))
    raw = json.loads(Path(path).read_text())
    state = raw["run_state"]
    assert state["step"] == SAVED_AT == raw["history"][-1]["step"]
    twin = _trainer(_settings("momentum"))
    for _ in range(SAVED_AT):
        twin.step()
    assert state["buffers"] == twin.optimizer.buffers
    assert [w for layer in raw["weights"]["layers"] for w in _flat(layer)] != []  # weights are saved too


def _flat(layer: dict) -> list[float]:
    return [v for row in layer.get("weight", []) for v in row]


def test_a_session_without_run_state_opens_as_before(tmp_path):
    path = _saved_mid_run(tmp_path, _settings("adam"))
    raw = json.loads(Path(path).read_text())
    del raw["run_state"]
    with open(path, "w") as f:
        json.dump(raw, f)
    session = load_session(path)
    assert session.run_state is None and len(session.history) == SAVED_AT


def test_an_untrained_session_has_no_run_state_in_its_file(tmp_path):
    path = tmp_path / "fresh.json"
    save_session(Session(_dataset(), SPEC, _settings("adam")), path)
    assert "run_state" not in json.loads(path.read_text())
    assert load_session(path).run_state is None


def _hostile(tmp_path, edit) -> str:
    path = _saved_mid_run(tmp_path, _settings("adam", batch_size=7))
    raw = json.loads(Path(path).read_text())
    edit(raw)
    with open(path, "w") as f:
        f.write(json.dumps(raw, allow_nan=True))
    return path


def _set(key, value):
    def edit(raw):
        raw["run_state"][key] = value

    return edit


N_PARAMETERS = 6 * 3 + 1 * 7  # moons: 2 inputs, 6 hidden, 1 output


@pytest.mark.parametrize(
    "edit, message",
    [
        (
            _set("m", [0.1] * 3),
            "its run state: 'm' must be a list of 25 numbers, one per parameter, not a list of 3",
        ),
        (
            _set("m", [0.1] * 10**5),
            "'m' must be a list of 25 numbers, one per parameter, not a list of 100,000",
        ),
        (_set("m", "0.1"), "'m' must be a list of 25 numbers, one per parameter, not the text '0.1'"),
        (_set("m", [math.nan] * N_PARAMETERS), "'m' number 1 must be a finite number, not nan"),
        (_set("v", [-1.0] * N_PARAMETERS), "'v' number 1 must be a finite number of 0 or more, not -1.0"),
        (_set("v", [math.inf] * N_PARAMETERS), "'v' number 1 must be a finite number of 0 or more, not inf"),
        (_set("v", [True] * N_PARAMETERS), "'v' number 1 must be a finite number of 0 or more, not true"),
        (_set("t", 1.5), "'t' must be a whole number from 0 to 'step'"),
        (_set("t", 10**9), "'t' must be a whole number from 0 to 'step'"),
        (_set("t", None), "'t' must be a whole number"),
        (_set("step", 12), "its run state: it is for step 12, but the history holds 9 steps"),
        (_set("step", "9"), "'step' must be a whole number from 1"),
        (
            _set("optimizer", "rmsprop"),
            "'optimizer' must be one of sgd, momentum, adam, not the text 'rmsprop'",
        ),
        (_set("batch_sampler", [1, 2, 3]), "'batch_sampler' must be a list of 625 whole numbers"),
        (_set("batch_sampler", [-1] * 625), "'batch_sampler' must hold whole numbers from 0 to 4294967295"),
        (_set("batch_sampler", [1] * 624 + [999]), "'batch_sampler' must end with a position from 0 to 624"),
        (lambda raw: raw.update(run_state=[1, 2]), "its run state: it must be an object, not a list"),
        (lambda raw: raw.update(weights=None), "its run state: the file has no weights for it to go with"),
        (lambda raw: raw["history"].pop(), "its run state: it is for step 9, but the history holds 8 steps"),
    ],
)
def test_a_hostile_run_state_is_refused_naming_the_field(tmp_path, edit, message):
    with pytest.raises(SessionError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_session(_hostile(tmp_path, edit))


def test_a_run_state_for_another_network_is_refused_before_training(tmp_path):
    settings = _settings("momentum")
    session = load_session(_saved_mid_run(tmp_path, settings))
    other = build_trainer(ModelSpec(hidden_sizes=[3], hidden_activations=["tanh"]), _dataset(), settings)
    with pytest.raises(ValueError, match="the optimizer's 'buffers' has 25 numbers but the network has 13"):
        other.continue_run(session.history, session.run_state)


def test_the_train_command_goes_on_with_a_saved_run(tmp_path, capsys):
    settings = _settings("adam", batch_size=7)
    whole = _trainer(settings)
    whole.run()
    out = tmp_path / "w.json"
    assert train_main(["--session", _saved_mid_run(tmp_path, settings), "--quiet", "--out", str(out)]) == 0
    assert "continuing the saved run after step 9" in capsys.readouterr().err
    loaded = load_json(out)
    assert [v for layer in loaded.layers for row in layer.weight for v in row] == [
        v for layer in ModelWeights.from_model(whole.model).layers for row in layer.weight for v in row
    ]
    assert loaded.metadata["steps_trained"] == STEPS


def test_the_train_command_starts_over_on_other_data(tmp_path, capsys):
    path = _saved_mid_run(tmp_path, _settings("adam"))
    out = tmp_path / "w.json"
    assert (
        train_main(["--session", path, "--preset", "moons", "--samples", "20", "--quiet", "--out", str(out)])
        == 0
    )
    assert "continuing" not in capsys.readouterr().err
    assert load_json(out).metadata["steps_trained"] == STEPS


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_compiled_mode_goes_on_exactly_too(tmp_path, optimizer):
    settings = _settings(optimizer, batch_size=7, compiled=True)
    whole = _trainer(settings)
    whole.run()
    assert whole.compiled_reason is None  # the compiled program took the steps
    continued = _continued(_saved_mid_run(tmp_path, settings))
    continued.run()
    assert _weights(continued) == _weights(whole) and continued.history == whole.history


def test_a_run_that_switched_optimizer_goes_on_with_the_one_it_last_stepped_with(tmp_path):
    momentum, adam = _settings("momentum"), _settings("adam")
    whole = _trainer(momentum)
    for _ in range(4):
        whole.step()
    whole.settings = adam  # as the window sends new settings mid-run: Adam starts afresh at step 5
    whole.run()
    interrupted = _trainer(momentum)
    for _ in range(4):
        interrupted.step()
    interrupted.settings = adam
    for _ in range(SAVED_AT - 4):
        interrupted.step()
    path = tmp_path / "switched.json"
    weights = ModelWeights.from_model(interrupted.model)
    save_session(
        Session(_dataset(), SPEC, adam, weights, interrupted.history, run_state=interrupted.run_state()), path
    )
    continued = _continued(str(path))
    assert continued.optimizer.t == SAVED_AT - 4  # Adam's own count, not the run's
    continued.run()
    assert _weights(continued) == _weights(whole) and continued.history == whole.history


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=30) | st.dictionaries(st.text(max_size=5), inner, max_size=5),
    max_leaves=40,
)


@hypothesis_settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    key=st.sampled_from(["step", "optimizer", "t", "m", "v", "buffers", "batch_sampler", None]),
    value=JSON_VALUES,
    optimizer=st.sampled_from(list(OPTIMIZERS)),
)
def test_any_json_in_the_run_state_is_refused_plainly_or_trains(tmp_path, key, value, optimizer):
    path = _saved_mid_run(tmp_path, _settings(optimizer, batch_size=7), steps=2)
    raw = json.loads(Path(path).read_text())
    if key is None:
        raw["run_state"] = value
    else:
        raw["run_state"][key] = value
    Path(path).write_text(json.dumps(raw, allow_nan=True))
    try:
        session = load_session(path)
    except SessionError as exc:
        assert "run state" in str(exc)
        return
    trainer = build_trainer(session.model, session.dataset, session.training, session.split, session.weights)
    if session.run_state is not None:
        trainer.continue_run(session.history, session.run_state)
    trainer.step()
    assert all(math.isfinite(w) for w in _weights(trainer))
