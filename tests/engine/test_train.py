"""Losses, the step-wise trainer, and what it does with bad settings and blow-ups."""

import math
import random

import pytest

from engine import MLP, Value
from engine.data import Dataset, lecture, moons
from engine.losses import accuracy, bce, hinge, l2, loss_function, mse, sse
from engine.settings import (
    BATCH_SIZE_RANGE,
    L2_RANGE,
    LEARNING_RATE_RANGE,
    STEPS_RANGE,
    TRAIN_SEED_RANGE,
    SettingsError,
    TrainSettings,
)
from engine.train import MAX_PARAMETER, Trainer


def _scores(values):
    return [Value(v) for v in values]


def test_losses_match_their_formulas():
    scores, targets = [0.5, -2.0, 1.5], [1.0, -1.0, -1.0]
    assert sse(_scores(scores), targets).data == pytest.approx(
        sum((s - y) ** 2 for s, y in zip(scores, targets))
    )
    assert mse(_scores(scores), targets).data == pytest.approx(
        sum((s - y) ** 2 for s, y in zip(scores, targets)) / 3
    )
    assert hinge(_scores(scores), targets).data == pytest.approx(
        sum(max(0.0, 1 - y * s) for s, y in zip(scores, targets)) / 3
    )
    assert bce(_scores(scores), targets).data == pytest.approx(
        sum(math.log1p(math.exp(-y * s)) for s, y in zip(scores, targets)) / 3
    )
    params = _scores([1.0, -2.0, 3.0])
    assert l2(params, 0.1).data == pytest.approx(1.4)


def test_loss_gradients_match_torch():
    torch = pytest.importorskip("torch")
    raw, targets = [0.3, -1.7, 2.2, -0.1], [1.0, -1.0, -1.0, 1.0]
    for name, ref in {
        "sse": lambda s, y: ((s - y) ** 2).sum(),
        "mse": lambda s, y: ((s - y) ** 2).mean(),
        "hinge": lambda s, y: torch.relu(1 - y * s).mean(),
        "bce": lambda s, y: torch.nn.functional.softplus(-y * s).mean(),
    }.items():
        ours = _scores(raw)
        loss = loss_function(name)(ours, targets)
        loss.backward()
        s = torch.tensor(raw, dtype=torch.float64, requires_grad=True)
        expected = ref(s, torch.tensor(targets, dtype=torch.float64))
        expected.backward()
        assert loss.data == pytest.approx(expected.item(), abs=1e-12), name
        assert [v.grad for v in ours] == pytest.approx(s.grad.tolist(), abs=1e-12), name


@pytest.mark.parametrize("score", [800.0, -800.0, 1e6, -1e6])
def test_bce_stays_finite_for_large_logits(score):
    for target in (1.0, -1.0):
        s = Value(score)
        loss = bce([s], [target])
        loss.backward()
        assert math.isfinite(loss.data) and math.isfinite(s.grad)
        expected = max(-target * score, 0.0)  # log(1 + e^z) -> z for large z, -> 0 for very negative z
        assert loss.data == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_accuracy_counts_the_right_side_of_the_threshold():
    assert accuracy([0.3, -0.2, 0.9, -5.0], [1.0, -1.0, -1.0, -1.0]) == 0.75
    assert accuracy([0.7, 0.2], [1.0, -1.0], threshold=0.5) == 1.0


def test_lecture_training_drives_the_loss_down():
    trainer = Trainer(MLP(3, [4, 4, 1], seed=0), lecture(), TrainSettings(steps=60))
    history = trainer.run()
    assert len(history) == 60 and trainer.done and trainer.diverged is None
    assert history[-1].loss < 0.05 * history[0].loss
    assert history[-1].accuracy == 1.0


def test_trainer_step_is_the_lecture_update():
    """One step equals the hand-written loop: forward, zero_grad, backward, p -= lr * grad."""
    a, b = MLP(3, [4, 4, 1], seed=3), MLP(3, [4, 4, 1], seed=3)
    data = lecture()
    Trainer(a, data, TrainSettings(learning_rate=0.1)).step()
    loss = sum((b(x) - y) ** 2 for x, y in zip(data.inputs, data.targets))
    b.zero_grad()
    loss.backward()
    for p in b.parameters():
        p.data -= 0.1 * p.grad
    assert [p.data for p in a.parameters()] == [p.data for p in b.parameters()]


def test_zero_grad_off_accumulates_gradients_across_steps():
    data = lecture()
    on = Trainer(MLP(3, [4, 4, 1], seed=1), data, TrainSettings(steps=3, learning_rate=1e-5))
    off = Trainer(
        MLP(3, [4, 4, 1], seed=1), data, TrainSettings(steps=3, learning_rate=1e-5, zero_grad=False)
    )
    on.run()
    off.run()
    # With a learning rate too small to move the weights, each step's gradient is
    # (almost) the same, so without zero_grad the third step sees about three of them.
    assert off.history[2].grad_norm == pytest.approx(3 * on.history[2].grad_norm, rel=1e-3)
    assert on.history[2].grad_norm == pytest.approx(on.history[0].grad_norm, rel=1e-3)


def test_zero_grad_off_changes_the_training_curve():
    data = moons(60, 0.1, 0)
    settings = dict(steps=30, learning_rate=0.05, loss="mse")
    on = Trainer(MLP(2, [8, 1], seed=0), data, TrainSettings(**settings)).run()
    off = Trainer(MLP(2, [8, 1], seed=0), data, TrainSettings(**settings, zero_grad=False)).run()
    assert on[0].loss == off[0].loss  # same start
    assert max(abs(a.loss - b.loss) for a, b in zip(on, off)) > 1e-3


def test_linear_decay_reaches_ten_percent():
    s = TrainSettings(learning_rate=1.0, decay=True, steps=100)
    assert [s.learning_rate_at(k) for k in (0, 50, 100)] == pytest.approx([1.0, 0.55, 0.1])
    assert TrainSettings(learning_rate=0.3).learning_rate_at(99) == 0.3


def test_mini_batches_are_seeded_and_sized():
    data = moons(50, 0.1, 0)

    def losses(seed):
        t = Trainer(MLP(2, [4, 1], seed=0), data, TrainSettings(steps=5, batch_size=8, seed=seed, loss="mse"))
        return [r.loss for r in t.run()]

    assert losses(1) == losses(1)
    assert losses(1) != losses(2)


def test_divergence_stops_training_with_step_and_advice():
    trainer = Trainer(
        MLP(2, [16, 16, 1], activation="relu", output_activation="linear", seed=0),
        moons(100, 0.1, 0),
        TrainSettings(learning_rate=50.0, loss="mse", steps=100),
    )
    trainer.run()
    assert trainer.diverged is not None
    assert f"step {trainer.step_count + 1}" in trainer.diverged
    assert "smaller learning rate" in trainer.diverged
    assert trainer.step() is None  # stays stopped
    assert all(math.isfinite(r.loss) for r in trainer.history)


def test_changing_the_learning_rate_applies_from_the_next_step():
    trainer = Trainer(MLP(3, [4, 4, 1], seed=0), lecture(), TrainSettings(steps=4))
    trainer.step()
    trainer.settings = TrainSettings(steps=4, learning_rate=0.2)
    assert trainer.step().learning_rate == 0.2
    assert trainer.history[0].learning_rate == 0.05


@pytest.mark.parametrize(
    "bad, message",
    [
        (dict(learning_rate=-0.1), "learning rate must be a number from 1e-05 to 100, not -0.1"),
        (dict(learning_rate=float("nan")), "learning rate must be a number from 1e-05 to 100, not nan"),
        (dict(learning_rate=float("inf")), "learning rate must be a number from 1e-05 to 100, not inf"),
        (dict(steps=0), "steps"),
        (dict(batch_size=-1), "batch size"),
        (dict(loss="cross"), "unknown loss"),
        (dict(l2=-1.0), "L2"),
    ],
)
def test_bad_settings_are_refused_with_a_message(bad, message):
    with pytest.raises(ValueError, match=message):
        Trainer(MLP(3, [4, 4, 1]), lecture(), TrainSettings(**bad))


def test_data_that_does_not_fit_the_model_is_refused():
    with pytest.raises(ValueError, match="takes 3 inputs but the data has 2"):
        Trainer(MLP(3, [4, 4, 1]), moons(10), TrainSettings())
    with pytest.raises(ValueError):
        Trainer(MLP(2, [4, 1]), Dataset([], [], "empty"), TrainSettings())


@pytest.mark.parametrize("compiled", [False, True])
def test_hinge_with_a_huge_learning_rate_is_divergence_not_a_finished_run(compiled):
    # Hinge and ReLU keep the loss finite while the weights explode: it "finished" with
    # loss 1e16 and weights near 1e10 before; the trainer must call that divergence.
    trainer = Trainer(
        MLP(2, [16, 16, 1], activation="relu", output_activation="linear", seed=0),
        moons(100, 0.1, 0),
        TrainSettings(learning_rate=100.0, loss="hinge", l2=1e-4, steps=100, compiled=compiled),
    )
    trainer.run()
    assert trainer.diverged is not None and trainer.step_count < 100
    assert f"Training diverged at step {trainer.step_count + 1}: the loss grew from" in trainer.diverged
    assert "try a smaller learning rate" in trainer.diverged
    assert max(abs(p.data) for p in trainer.model.parameters()) < MAX_PARAMETER


def test_weights_past_the_sane_limit_are_divergence_and_are_not_kept():
    model = MLP(1, [1], activation="linear", output_activation="linear", seed=0)
    trainer = Trainer(
        model, Dataset([[1.0]], [1e18], task="regression"), TrainSettings(learning_rate=1.0, loss="sse")
    )
    before = [p.data for p in model.parameters()]
    assert trainer.step() is None
    assert "a weight reached" in trainer.diverged and "past the sane limit of 1e+15" in trainer.diverged
    assert [p.data for p in model.parameters()] == before


@pytest.mark.parametrize(
    "lesson",
    [
        dict(learning_rate=0.1, steps=100, loss="hinge", l2=1e-4),
        dict(learning_rate=0.1, steps=100, loss="hinge", l2=1e-4, zero_grad=False),
        dict(learning_rate=1.0, decay=True, steps=100, loss="hinge", l2=1e-4),
    ],
)
def test_the_moons_demo_runs_of_the_lessons_never_count_as_diverged(lesson):
    trainer = Trainer(
        MLP(2, [16, 16, 1], activation="relu", output_activation="linear", seed=0),
        moons(100, 0.1, 0),
        TrainSettings(**lesson),
    )
    trainer.run()
    assert trainer.diverged is None and trainer.step_count == 100


@pytest.mark.parametrize("learning_rate", [0.05, 1.0])
def test_the_lecture_runs_of_the_lessons_never_count_as_diverged(learning_rate):
    trainer = Trainer(
        MLP(3, [4, 4, 1], seed=0), lecture(), TrainSettings(learning_rate=learning_rate, steps=100)
    )
    trainer.run()
    assert trainer.diverged is None and trainer.step_count == 100


def test_the_settings_ranges_are_the_training_panels():
    assert LEARNING_RATE_RANGE == (1e-5, 100.0)
    assert STEPS_RANGE == (1, 100_000) and BATCH_SIZE_RANGE == (0, 100_000)
    assert L2_RANGE == (0.0, 1.0) and TRAIN_SEED_RANGE == (0, 2**31 - 1)


@pytest.mark.parametrize(
    "bad, message",
    [
        (dict(learning_rate=1e6), "the learning rate must be a number from 1e-05 to 100, not 1000000.0"),
        (dict(learning_rate=1e-9), "the learning rate must be a number from 1e-05 to 100, not 1e-09"),
        (
            dict(learning_rate="0.1"),
            "the learning rate must be a number from 1e-05 to 100, not the text '0.1'",
        ),
        (dict(learning_rate=True), "the learning rate must be a number from 1e-05 to 100, not true"),
        (dict(steps=200_000), "the number of steps must be a whole number from 1 to 100,000, not 200000"),
        (dict(steps=2**31), "the number of steps must be a whole number from 1 to 100,000"),
        (dict(batch_size=100_001), "the batch size must be a whole number from 0 to 100,000"),
        (dict(seed=-5), "the mini-batch seed must be a whole number from 0 to 2,147,483,647, not -5"),
        (dict(seed=[1, 2]), "the mini-batch seed must be a whole number from 0 to 2,147,483,647, not a list"),
        (dict(l2=1.5), "the L2 strength must be a number from 0 to 1, not 1.5"),
        (dict(decay="no"), "'decay' must be true or false, not the text 'no'"),
    ],
)
def test_settings_outside_the_panels_ranges_are_refused_naming_the_range(bad, message):
    with pytest.raises(SettingsError, match=message):
        TrainSettings(**bad).validate()


# ---------------------------------------------------------------- many steps against PyTorch


def _torch_mlp(model: MLP, torch):
    """The model's layers as float64 tensors (weight rows = neurons), from its current weights."""
    layers = []
    for layer in model.layers:
        weight = [[w.data for w in n.w] for n in layer.neurons]
        bias = [n.b.data for n in layer.neurons]
        layers.append(
            (
                torch.tensor(weight, dtype=torch.float64, requires_grad=True),
                torch.tensor(bias, dtype=torch.float64, requires_grad=True),
                layer.activation,
            )
        )
    return layers


def _torch_forward(layers, xs, torch):
    out = torch.tensor(xs, dtype=torch.float64)
    for weight, bias, activation in layers:
        out = out @ weight.T + bias
        if activation != "linear":
            out = getattr(torch, activation)(out)
    return out.reshape(-1)


def _torch_loss(name: str, scores, ys, torch):
    """The four losses written from their formulas (not from engine.losses)."""
    y = torch.tensor(ys, dtype=torch.float64)
    n = len(ys)
    if name == "sse":
        return ((scores - y) ** 2).sum()
    if name == "mse":
        return ((scores - y) ** 2).sum() / n
    if name == "hinge":
        return torch.relu(1 - y * scores).sum() / n
    z = -y * scores  # bce: log(1 + e^z), exactly (softplus switches to z above 20)
    return torch.logaddexp(torch.zeros_like(z), z).sum() / n


def _torch_training(
    model: MLP, data: Dataset, settings: TrainSettings, torch
) -> tuple[list, list, list, list]:
    """Losses, accuracies (output above 0 for target +1) and gradient norms of every step,
    and the final weights, by PyTorch SGD.

    Batches as the Trainer draws them: one random.Random(seed), `sample(range(n), size)`
    per step unless the batch holds the whole dataset. Gradients are zeroed before
    each backward (or left to pile up), then every parameter moves by -lr * grad.
    """
    layers = _torch_mlp(model, torch)
    params = [t for weight, bias, _ in layers for t in (weight, bias)]
    rng = random.Random(settings.seed)
    n, size = len(data), settings.batch_size
    losses, accuracies, norms = [], [], []
    for k in range(settings.steps):
        chosen = rng.sample(range(n), size) if size and size < n else range(n)
        xs, ys = [data.inputs[i] for i in chosen], [data.targets[i] for i in chosen]
        scores = _torch_forward(layers, xs, torch)
        loss = _torch_loss(settings.loss, scores, ys, torch)
        accuracies.append(sum((s > 0) == (y > 0) for s, y in zip(scores.tolist(), ys)) / len(ys))
        if settings.l2:
            loss = loss + settings.l2 * sum((p * p).sum() for p in params)
        if settings.zero_grad:
            for p in params:
                p.grad = None
        loss.backward()
        lr = (
            settings.learning_rate * (1 - 0.9 * k / settings.steps)
            if settings.decay
            else settings.learning_rate
        )
        with torch.no_grad():
            norms.append(math.sqrt(sum(float((p.grad * p.grad).sum()) for p in params)))
            for p in params:
                p -= lr * p.grad
        losses.append(loss.item())
    # back to micrograd's parameter order: per neuron, its weights then its bias
    final = []
    for weight, bias, _ in layers:
        for row, b in zip(weight.tolist(), bias.tolist()):
            final += [*row, b]
    return losses, accuracies, norms, final


def _assert_close_lists(ours: list[float], theirs: list[float], what: str, rel: float = 1e-12) -> None:
    assert len(ours) == len(theirs), what
    for i, (a, b) in enumerate(zip(ours, theirs)):
        assert abs(a - b) <= rel * max(1.0, abs(b)), f"{what}[{i}]: ours {a!r}, PyTorch {b!r}"


SGD_CASES = {
    # loss: hidden and output activation, learning rate with zero_grad and without.
    # The rates keep training smooth: where it overshoots (sse at 0.2), rounding
    # differences of 1e-16 grow chaotically to 1e-10 and no two engines agree.
    "sse": ("tanh", "tanh", 0.05, 0.02),
    "mse": ("tanh", "linear", 0.2, 0.1),
    "hinge": ("relu", "linear", 0.2, 0.02),
    "bce": ("tanh", "linear", 0.2, 0.1),
}


@pytest.mark.parametrize("compiled", [False, True], ids=["plain", "compiled"])
@pytest.mark.parametrize("zero_grad", [True, False], ids=["zero_grad", "no_zero_grad"])
@pytest.mark.parametrize("loss", list(SGD_CASES))
def test_many_steps_match_pytorch_sgd_with_l2_decay_and_mini_batches(loss, zero_grad, compiled):
    torch = pytest.importorskip("torch")
    hidden, output, rate, rate_without_zero_grad = SGD_CASES[loss]
    rate = rate if zero_grad else rate_without_zero_grad
    data = moons(30, 0.1, 3)
    settings = TrainSettings(
        learning_rate=rate,
        decay=True,
        steps=25,
        batch_size=8,
        loss=loss,
        l2=1e-3,
        zero_grad=zero_grad,
        seed=7,
        compiled=compiled,
    )
    model = MLP(2, [6, 5, 1], activation=hidden, output_activation=output, seed=11)
    want_losses, want_accuracies, want_norms, want_weights = _torch_training(model, data, settings, torch)

    trainer = Trainer(model, data, settings)
    history = trainer.run()
    assert trainer.diverged is None and len(history) == settings.steps
    if compiled:
        assert trainer.compiled_reason is None  # the compiled program took the steps, not the plain engine
    _assert_close_lists([r.loss for r in history], want_losses, "loss")
    _assert_close_lists([r.grad_norm for r in history], want_norms, "gradient norm")
    assert [r.accuracy for r in history] == want_accuracies
    _assert_close_lists([p.data for p in model.parameters()], want_weights, "final weight")
    assert [r.learning_rate for r in history] == pytest.approx(
        [rate * (1 - 0.9 * k / 25) for k in range(25)], rel=1e-15
    )
    start = [p.data for p in MLP(2, [6, 5, 1], seed=11).parameters()]
    assert max(abs(a - b) for a, b in zip(want_weights, start)) > 1e-2  # training moved the weights


@pytest.mark.parametrize("compiled", [False, True], ids=["plain", "compiled"])
def test_each_step_records_the_mean_absolute_grad_of_every_layer(compiled):
    model = MLP(2, [8, 4, 1], activation="tanh", output_activation="linear", seed=1)
    trainer = Trainer(model, moons(30, 0.1, 0), TrainSettings(steps=3, compiled=compiled))
    for _ in range(3):
        result = trainer.step()
        # the update used p.grad, and left it on the Values: the means are over those
        expected = [
            sum(abs(p.grad) for p in layer.parameters()) / len(layer.parameters()) for layer in model.layers
        ]
        assert result.layer_grads == pytest.approx(expected, rel=1e-12)
        assert len(result.layer_grads) == 3 and all(g > 0 for g in result.layer_grads)
