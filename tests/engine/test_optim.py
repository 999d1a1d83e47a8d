"""The optimizers (engine/optim.py) against torch.optim in float64, step for step, on a real MLP."""

from __future__ import annotations

import pickle

import pytest

from engine.data import make_preset
from engine.optim import SGD, Adam, Momentum, make_optimizer
from engine.settings import SettingsError, TrainSettings
from engine.spec import ModelSpec
from engine.train import Trainer
from engine.value import Value
from engine.weights import ModelWeights, to_torch_sequential

torch = pytest.importorskip("torch")

STEPS = 50
TOLERANCE = 1e-12


def _setup(hidden=(8, 8), activation="tanh", samples=30):
    dataset = make_preset("moons", samples, 0.1, 3)
    spec = ModelSpec(hidden_sizes=list(hidden), hidden_activations=[activation] * len(hidden), seed=7)
    return dataset, spec


def _torch_run(weights: ModelWeights, dataset, settings: TrainSettings) -> tuple[list[float], list[float]]:
    """Losses of every step and the final parameters (micrograd's order), by torch.optim."""
    net = to_torch_sequential(weights)
    params = list(net.parameters())
    if settings.optimizer == "adam":
        optimizer = torch.optim.Adam(
            params, lr=settings.learning_rate, betas=(settings.beta1, settings.beta2), eps=settings.eps
        )
    else:
        momentum = settings.momentum if settings.optimizer == "momentum" else 0.0
        optimizer = torch.optim.SGD(params, lr=settings.learning_rate, momentum=momentum)
    xs = torch.tensor(dataset.inputs, dtype=torch.float64)
    ys = torch.tensor(dataset.targets, dtype=torch.float64)
    losses = []
    for k in range(settings.steps):
        for group in optimizer.param_groups:
            group["lr"] = settings.learning_rate_at(k)
        if settings.zero_grad:
            optimizer.zero_grad()
        scores = net(xs).reshape(-1)
        loss = ((scores - ys) ** 2).sum()  # sse, the lecture's loss
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    final = []
    linears = [m for m in net if isinstance(m, torch.nn.Linear)]
    for linear in linears:
        for row, b in zip(linear.weight.tolist(), linear.bias.tolist()):
            final += [*row, b]
    return losses, final


def _engine_run(settings: TrainSettings, hidden=(8, 8), activation="tanh"):
    dataset, spec = _setup(hidden, activation)
    model = spec.build(dataset.n_inputs)
    start = ModelWeights.from_model(model)
    trainer = Trainer(model, dataset, settings)
    trainer.run()
    assert trainer.diverged is None and trainer.step_count == settings.steps
    return trainer, start, dataset


def _assert_close(ours: list[float], theirs: list[float], what: str) -> None:
    assert len(ours) == len(theirs), what
    worst = max(abs(a - b) / max(1.0, abs(b)) for a, b in zip(ours, theirs))
    assert worst <= TOLERANCE, f"{what}: differs from torch.optim by {worst:.3g}"


OPTIMIZER_SETTINGS = [
    dict(optimizer="sgd", learning_rate=0.01),
    dict(optimizer="momentum", learning_rate=0.01, momentum=0.9),
    dict(optimizer="momentum", learning_rate=0.005, momentum=0.5),
    dict(optimizer="adam", learning_rate=0.01),
    dict(optimizer="adam", learning_rate=0.02, beta1=0.8, beta2=0.99),
]


@pytest.mark.parametrize("decay", [False, True], ids=["constant-rate", "decayed-rate"])
@pytest.mark.parametrize("chosen", OPTIMIZER_SETTINGS, ids=lambda d: "-".join(str(v) for v in d.values()))
def test_fifty_steps_match_torch_optim_in_float64(chosen, decay):
    settings = TrainSettings(steps=STEPS, decay=decay, **chosen)
    trainer, start, dataset = _engine_run(settings)
    torch_losses, torch_final = _torch_run(start, dataset, settings)
    _assert_close([r.loss for r in trainer.history], torch_losses, "losses")
    _assert_close([p.data for p in trainer.model.parameters()], torch_final, "final weights")


@pytest.mark.parametrize("name", ["sgd", "momentum", "adam"])
def test_without_zero_grad_the_grads_pile_up_as_in_torch(name):
    # Without zero_grad both engines add each backward to the grads: the optimizers see the running sums
    settings = TrainSettings(steps=STEPS, optimizer=name, learning_rate=0.001, zero_grad=False)
    trainer, start, dataset = _engine_run(settings, hidden=(4,))
    torch_losses, torch_final = _torch_run(start, dataset, settings)
    _assert_close([r.loss for r in trainer.history], torch_losses, "losses")
    _assert_close([p.data for p in trainer.model.parameters()], torch_final, "final weights")


def test_relu_network_with_dead_units_matches_adam():
    # Zero grads (dead ReLUs) make m and v zero: the update must be 0, not 0/0
    settings = TrainSettings(steps=STEPS, optimizer="adam", learning_rate=0.05)
    trainer, start, dataset = _engine_run(settings, hidden=(16,), activation="relu")
    _torch_losses, torch_final = _torch_run(start, dataset, settings)
    _assert_close([p.data for p in trainer.model.parameters()], torch_final, "final weights")


@pytest.mark.parametrize("name", ["momentum", "adam"])
def test_compiled_mode_applies_the_optimizer_to_the_compiled_grads(name):
    pytest.importorskip("numpy")
    plain, _start, _data = _engine_run(TrainSettings(steps=20, optimizer=name, learning_rate=0.01))
    compiled, _start, _data = _engine_run(
        TrainSettings(steps=20, optimizer=name, learning_rate=0.01, compiled=True)
    )
    assert compiled.compiled_reason is None  # the compiled program ran every step
    _assert_close(
        [p.data for p in compiled.model.parameters()], [p.data for p in plain.model.parameters()], name
    )


# ---------------------------------------------------------------- the classes themselves


def test_each_update_reads_like_its_formula():
    p = Value(1.0)
    p.grad = 2.0
    SGD().step([p], 0.1)
    assert p.data == 1.0 - 0.1 * 2.0

    p, momentum = Value(1.0), Momentum(0.9)
    p.grad = 2.0
    momentum.step([p], 0.1)  # b = 2
    momentum.step([p], 0.1)  # b = 0.9·2 + 2 = 3.8
    assert momentum.buffers == [0.9 * 2.0 + 2.0]
    assert p.data == pytest.approx(1.0 - 0.1 * 2.0 - 0.1 * 3.8)

    p, adam = Value(1.0), Adam()
    p.grad = 2.0
    adam.step([p], 0.1)  # bias correction makes the first step lr·sign(g), whatever |g|
    assert p.data == pytest.approx(1.0 - 0.1, abs=1e-8)
    assert adam.t == 1 and adam.m == [pytest.approx(0.2)] and adam.v == [pytest.approx(0.004)]


def test_a_planned_step_changes_nothing_until_accepted():
    adam = Adam()
    plan = adam.plan([1.0, -1.0], 0.1)
    assert adam.t == 0 and adam.m == [] and adam.v == []
    adam.accept(plan)
    assert adam.t == 1 and len(adam.m) == 2


def test_optimizers_and_snapshots_pickle():
    settings = TrainSettings(steps=3, optimizer="adam")
    trainer, _start, _data = _engine_run(settings, hidden=(3,))
    copy = pickle.loads(pickle.dumps(trainer.optimizer))
    assert (copy.t, copy.m, copy.v) == (trainer.optimizer.t, trainer.optimizer.m, trainer.optimizer.v)
    snapshot = pickle.loads(pickle.dumps(trainer.optimizer_snapshot()))
    assert snapshot.step == 3 and snapshot.optimizer == "adam"
    assert snapshot.names[:3] == ["w1.1.1", "w1.1.2", "b1.1"]
    assert snapshot.momentum == trainer.optimizer.m and snapshot.second_moment == trainer.optimizer.v


def test_the_snapshot_is_the_last_step_between_backward_and_update():
    settings = TrainSettings(steps=4, optimizer="momentum", learning_rate=0.05)
    trainer, _start, _data = _engine_run(settings, hidden=(3,))
    snapshot = trainer.optimizer_snapshot()
    params = trainer.model.parameters()
    assert snapshot.total == len(params) == len(snapshot.names)
    assert snapshot.grad == [p.grad for p in params]
    assert [d + u for d, u in zip(snapshot.data, snapshot.update)] == [p.data for p in params]
    assert snapshot.update == [-0.05 * b for b in snapshot.momentum]
    assert snapshot.second_moment is None
    limited = trainer.optimizer_snapshot(limit=5)
    assert len(limited.names) == len(limited.data) == len(limited.momentum) == 5 and limited.total == len(
        params
    )


def test_changing_the_optimizer_mid_run_starts_its_state_afresh_and_keeps_it_on_new_hyperparameters():
    trainer, _start, _data = _engine_run(TrainSettings(steps=3, optimizer="adam"), hidden=(3,))
    trainer.settings = TrainSettings(steps=6, optimizer="adam", beta1=0.5)
    trainer.step()
    assert trainer.optimizer.t == 4 and trainer.optimizer.beta1 == 0.5
    trainer.settings = TrainSettings(steps=6, optimizer="momentum")
    trainer.step()
    assert isinstance(trainer.optimizer, Momentum)
    assert trainer.optimizer.buffers == [p.grad for p in trainer.model.parameters()]  # one step: b = g


def test_a_blown_up_update_leaves_the_optimizer_state_as_it_was():
    settings = TrainSettings(steps=50, optimizer="momentum", momentum=0.9, learning_rate=100.0)
    dataset, spec = _setup(hidden=(3,), activation="linear")
    spec.output_activation = "linear"
    trainer = Trainer(spec.build(dataset.n_inputs), dataset, settings)
    kept: list[float] = []
    while trainer.step() is not None:
        kept = list(trainer.optimizer.buffers)
    assert trainer.diverged
    assert trainer.optimizer.buffers == kept  # the refused step's buffers were not kept
    assert all(abs(p.data) <= 1e15 for p in trainer.model.parameters())


def test_make_optimizer_refuses_an_unknown_name():
    with pytest.raises(ValueError, match="unknown optimizer 'rmsprop'"):
        make_optimizer("rmsprop", {})


@pytest.mark.parametrize(
    "bad, message",
    [
        (
            dict(optimizer="rmsprop"),
            "unknown optimizer the text 'rmsprop'; choose one of sgd, momentum, adam",
        ),
        (dict(optimizer=None), "unknown optimizer null"),
        (dict(momentum=1.0), "the momentum must be a number from 0 to 0.999, not 1.0"),
        (dict(momentum=-0.1), "the momentum must be a number from 0 to 0.999"),
        (dict(momentum=True), "the momentum must be a number .* not true"),
        (dict(beta1=float("nan")), "the Adam beta1 must be a number from 0 to 0.9999, not nan"),
        (dict(beta2=1.0), "the Adam beta2 must be a number from 0 to 0.9999, not 1.0"),
        (dict(beta2="0.9"), "the Adam beta2 must be a number .* not the text '0.9'"),
    ],
)
def test_unusable_optimizer_settings_are_refused_naming_the_setting(bad, message):
    with pytest.raises(SettingsError, match=message):
        TrainSettings(**bad).validate()


def test_a_compiled_step_that_blows_up_is_not_retaken_by_the_plain_engine():
    # Retaken, its backward would add the grads a second time without zero_grad
    pytest.importorskip("numpy")
    runs = []
    for compiled in (False, True):
        settings = TrainSettings(
            steps=50, optimizer="momentum", learning_rate=100.0, zero_grad=False, compiled=compiled
        )
        dataset, spec = _setup(hidden=(3,), activation="linear")
        spec.output_activation = "linear"
        trainer = Trainer(spec.build(dataset.n_inputs), dataset, settings)
        trainer.run()
        runs.append(trainer)
    plain, compiled = runs
    assert plain.diverged and compiled.diverged
    assert compiled.step_count == plain.step_count
    _assert_close(
        [p.grad for p in compiled.model.parameters()], [p.grad for p in plain.model.parameters()], "grads"
    )
