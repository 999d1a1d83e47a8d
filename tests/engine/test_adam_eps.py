"""Adam's ε as a setting: the engine against torch.optim.Adam with the same ε, and ε in files and flags."""

from __future__ import annotations

import json

import pytest

from engine.cli import train_main
from engine.data import make_preset
from engine.optim import Adam, make_optimizer
from engine.run_state import RunState
from engine.session import Session, SessionError, load_session, save_session
from engine.settings import SettingsError, TrainSettings
from engine.spec import ModelSpec
from engine.train import Trainer
from engine.weights import ModelWeights, load_json, to_torch_sequential

torch = pytest.importorskip("torch")

STEPS = 50
TOLERANCE = 1e-12


def _engine_and_torch(settings: TrainSettings, activation: str = "tanh"):
    """Every step's loss and the final weights, by the engine and by torch.optim.Adam (float64)."""
    dataset = make_preset("moons", 30, 0.1, 3)
    spec = ModelSpec(hidden_sizes=[8, 8], hidden_activations=[activation] * 2, seed=7)
    model = spec.build(dataset.n_inputs)
    start = ModelWeights.from_model(model)
    trainer = Trainer(model, dataset, settings)
    trainer.run()
    assert trainer.diverged is None and trainer.step_count == settings.steps

    net = to_torch_sequential(start)
    optimizer = torch.optim.Adam(
        net.parameters(), lr=settings.learning_rate, betas=(settings.beta1, settings.beta2), eps=settings.eps
    )
    xs = torch.tensor(dataset.inputs, dtype=torch.float64)
    ys = torch.tensor(dataset.targets, dtype=torch.float64)
    torch_losses = []
    for k in range(settings.steps):
        for group in optimizer.param_groups:
            group["lr"] = settings.learning_rate_at(k)
        optimizer.zero_grad()
        loss = ((net(xs).reshape(-1) - ys) ** 2).sum()  # sse, the lecture's loss
        loss.backward()
        optimizer.step()
        torch_losses.append(loss.item())
    torch_final = []
    for linear in (m for m in net if isinstance(m, torch.nn.Linear)):
        for row, b in zip(linear.weight.tolist(), linear.bias.tolist()):
            torch_final += [*row, b]
    ours = ([r.loss for r in trainer.history], [p.data for p in trainer.model.parameters()])
    return ours, (torch_losses, torch_final)


def _worst(ours: list[float], theirs: list[float]) -> float:
    assert len(ours) == len(theirs)
    return max(abs(a - b) / max(1.0, abs(b)) for a, b in zip(ours, theirs))


@pytest.mark.parametrize("eps", [1e-12, 1e-8, 1e-4, 0.1, 1.0])
@pytest.mark.parametrize("decay", [False, True], ids=["constant-rate", "decayed-rate"])
def test_fifty_adam_steps_with_eps_match_torch_optim_adam_in_float64(eps, decay):
    settings = TrainSettings(steps=STEPS, optimizer="adam", learning_rate=0.02, decay=decay, eps=eps)
    (losses, final), (torch_losses, torch_final) = _engine_and_torch(settings)
    assert _worst(losses, torch_losses) <= TOLERANCE
    assert _worst(final, torch_final) <= TOLERANCE


def test_dead_relus_with_a_large_eps_match_torch():
    settings = TrainSettings(steps=STEPS, optimizer="adam", learning_rate=0.05, eps=0.01)
    (_losses, final), (_torch_losses, torch_final) = _engine_and_torch(settings, activation="relu")
    assert _worst(final, torch_final) <= TOLERANCE


def test_eps_changes_the_run():
    def final(eps: float) -> list[float]:
        dataset = make_preset("moons", 30, 0.1, 3)
        trainer = Trainer(
            ModelSpec(seed=7).build(2), dataset, TrainSettings(steps=20, optimizer="adam", eps=eps)
        )
        trainer.run()
        return [p.data for p in trainer.model.parameters()]

    assert final(1e-8) == final(TrainSettings().eps)
    assert final(0.5) != final(1e-8)


def test_the_optimizer_takes_eps_from_its_hyperparameters():
    adam = make_optimizer("adam", {"beta1": 0.9, "beta2": 0.999, "eps": 0.25})
    assert isinstance(adam, Adam) and adam.eps == 0.25
    # one step from zero state: m̂ = g and v̂ = g², so the update is −lr·g / (|g| + ε)
    assert adam.plan([0.5], 1.0).updates == [pytest.approx(-0.5 / (0.5 + 0.25), rel=1e-15)]
    adam.settings_changed({"beta1": 0.9, "beta2": 0.999, "eps": 0.5})
    assert adam.eps == 0.5


def test_compiled_adam_uses_eps():
    pytest.importorskip("numpy")

    def run(compiled: bool) -> Trainer:
        dataset = make_preset("moons", 30, 0.1, 3)
        settings = TrainSettings(steps=20, optimizer="adam", learning_rate=0.01, eps=0.05, compiled=compiled)
        trainer = Trainer(ModelSpec(seed=7).build(2), dataset, settings)
        trainer.run()
        return trainer

    compiled, plain = run(True), run(False)
    assert compiled.compiled_reason is None  # the compiled program ran every step
    assert (
        _worst([p.data for p in compiled.model.parameters()], [p.data for p in plain.model.parameters()])
        <= 1e-12
    )


def test_a_continued_run_keeps_its_eps():
    """Stopped at step 12 and continued from its saved state, the run ends as one that never stopped."""
    dataset = make_preset("moons", 30, 0.1, 3)
    settings = TrainSettings(steps=30, optimizer="adam", learning_rate=0.02, eps=0.1)
    whole = Trainer(ModelSpec(seed=7).build(2), dataset, settings)
    whole.run()
    first = Trainer(ModelSpec(seed=7).build(2), dataset, TrainSettings(**{**settings.to_dict(), "steps": 12}))
    first.run()
    saved = RunState.of_run(12, first.optimizer, first._rng).to_dict()
    assert "eps" not in saved  # a setting, kept with the settings: not part of the optimizer's state
    second = Trainer(first.model, dataset, settings)
    second.continue_run(first.history, RunState.from_dict(saved, len(first.model.parameters())))
    assert second.optimizer.eps == 0.1
    second.run()
    assert [p.data for p in second.model.parameters()] == [p.data for p in whole.model.parameters()]


# ---------------------------------------------------------------- the setting, checked


@pytest.mark.parametrize(
    "value, shown",
    [
        (0.0, "0.0"),
        (-1e-8, "-1e-08"),
        (1e-13, "1e-13"),
        (2.0, "2.0"),
        (float("nan"), "nan"),
        (True, "true"),
        ("1e-8", "the text '1e-8'"),
        (None, "null"),
    ],
)
def test_an_unusable_eps_is_refused_naming_it(value, shown):
    with pytest.raises(
        SettingsError, match=r"the Adam epsilon must be a number from 1e-12 to 1, not "
    ) as info:
        TrainSettings(optimizer="adam", eps=value).validate()
    assert str(info.value).endswith(shown)


def _session(**settings) -> Session:
    return Session(make_preset("lecture"), ModelSpec(), TrainSettings(**settings))


def test_eps_survives_a_save(tmp_path):
    path = tmp_path / "adam.json"
    save_session(_session(optimizer="adam", eps=3e-7), path)
    assert json.loads(path.read_text())["training"]["eps"] == 3e-7
    assert load_session(path).training.eps == 3e-7


def test_an_old_session_without_eps_opens_with_torchs_default(tmp_path):
    d = _session(optimizer="adam", beta1=0.8).to_dict()
    del d["training"]["eps"]
    path = tmp_path / "old.json"
    path.write_text(json.dumps(d))
    training = load_session(path).training
    assert training.eps == 1e-8 and training.beta1 == 0.8


@pytest.mark.parametrize(
    "text", ["0", "-1e-3", '"tiny"', "null", "true", "NaN", "Infinity", "1e999", "[1e-8]"]
)
def test_a_bad_eps_in_a_session_is_refused_naming_the_field(tmp_path, text):
    raw = json.dumps(_session().to_dict()).replace('"eps": 1e-08', f'"eps": {text}')
    assert f'"eps": {text}' in raw
    path = tmp_path / "bad.json"
    path.write_text(raw)
    with pytest.raises(
        SessionError, match="its training settings: the Adam epsilon must be a number from 1e-12 to 1"
    ):
        load_session(path)


# ---------------------------------------------------------------- the train command's --eps


def _moons_args(*extra: str) -> list[str]:
    return ["--preset", "moons", "--samples", "40", "--layers", "8", "--steps", "30", "--quiet", *extra]


def test_train_command_takes_eps(tmp_path, capsys):
    out = tmp_path / "adam.json"
    assert (
        train_main([*_moons_args("--optimizer", "adam", "--lr", "0.02", "--eps", "0.01"), "--out", str(out)])
        == 0
    )
    settings = TrainSettings(steps=30, learning_rate=0.02, optimizer="adam", eps=0.01)
    spec = ModelSpec(hidden_sizes=[8], hidden_activations=["tanh"])
    dataset = make_preset("moons", 40, 0.1, 0)
    trainer = Trainer(spec.build(dataset.n_inputs), dataset, settings)
    trainer.run()
    assert load_json(out).to_dict()["layers"] == ModelWeights.from_model(trainer.model).to_dict()["layers"]
    default = tmp_path / "default.json"
    assert train_main([*_moons_args("--optimizer", "adam", "--lr", "0.02"), "--out", str(default)]) == 0
    assert load_json(default).to_dict()["layers"] != load_json(out).to_dict()["layers"]


def test_train_command_takes_eps_from_a_session_and_the_flag_overrides_it(tmp_path, capsys):
    session = tmp_path / "adam.json"
    save_session(_session(optimizer="adam", eps=0.3, steps=10), session)
    one, two = tmp_path / "one.json", tmp_path / "two.json"
    assert train_main(["--session", str(session), "--quiet", "--out", str(one)]) == 0
    assert train_main(["--session", str(session), "--eps", "1e-8", "--quiet", "--out", str(two)]) == 0
    assert load_json(one).to_dict()["layers"] != load_json(two).to_dict()["layers"]


@pytest.mark.parametrize("value, shown", [("0", "0.0"), ("-1", "-1.0"), ("5", "5.0"), ("nan", "nan")])
def test_train_command_refuses_a_bad_eps_plainly(tmp_path, capsys, value, shown):
    assert train_main([f"--eps={value}", "--quiet", "--out", str(tmp_path / "w.json")]) == 2
    err = capsys.readouterr().err
    assert f"the Adam epsilon must be a number from 1e-12 to 1, not {shown}" in err and "Traceback" not in err
    assert not (tmp_path / "w.json").exists()
