"""Compiled mode (engine/compiled/): the replayed array program trains exactly like the plain engine.

"Exactly" is within 1e-12 · max(1, |plain|) per number after 50 steps: the program
adds some sums in another order (a matrix product, NumPy's tanh), which moves the
last bit. Every setting below trains stably; a chaotic run (say sse at a large
learning rate) amplifies a last-bit difference as much as it amplifies a 1-ulp nudge
to one weight on the plain engine itself.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.compiled import CompiledStep, compile_graph, compile_step, trace_step
from engine.data import Dataset, lecture, moons
from engine.losses import LOSSES
from engine.nn import ACTIVATIONS, MLP
from engine.settings import TrainSettings
from engine.train import Trainer
from engine.value import Value
from tests.engine.helpers import assert_close

TOL = 1e-12
REPO = Path(__file__).resolve().parents[2]


def lecture_mlp() -> MLP:
    return MLP(3, [4, 4, 1], seed=0)


def moons_mlp() -> MLP:
    return MLP(2, [16, 16, 1], activation="relu", output_activation="linear", seed=0)


def train_both(make_model, data: Dataset, **options) -> tuple[Trainer, Trainer]:
    """The same training run twice from the same weights: on the plain engine, then compiled."""
    plain = Trainer(make_model(), data.copy(), TrainSettings(**options))
    compiled = Trainer(make_model(), data.copy(), TrainSettings(**options, compiled=True))
    plain.run()
    compiled.run()
    return plain, compiled


def assert_same_training(plain: Trainer, compiled: Trainer) -> None:
    assert len(compiled.history) == len(plain.history)
    assert compiled.diverged == plain.diverged
    for ours, theirs in zip(compiled.history, plain.history):
        assert_close(ours.loss, theirs.loss, TOL, f"loss of step {theirs.step}")
        assert ours.accuracy == theirs.accuracy
        assert ours.grad_norm == pytest.approx(theirs.grad_norm, rel=1e-9)
        assert ours.learning_rate == theirs.learning_rate
    pairs = zip(compiled.model.parameters(), plain.model.parameters(), strict=True)
    for i, (ours, theirs) in enumerate(pairs):
        assert_close(ours.data, theirs.data, TOL, f"parameter {i}")
        assert_close(ours.grad, theirs.grad, TOL, f"grad of parameter {i}")


# ---------------------------------------------------------------- training: compiled == plain

RUNS = {
    "lecture": (lecture_mlp, lecture(), {}),
    "lecture, zero_grad off": (lecture_mlp, lecture(), {"zero_grad": False}),
    "lecture, L2 and decay": (lecture_mlp, lecture(), {"l2": 1e-3, "decay": True, "learning_rate": 0.1}),
    "moons demo": (
        moons_mlp,
        moons(100, 0.1, 0),
        {"loss": "hinge", "l2": 1e-4, "learning_rate": 1.0, "decay": True},
    ),
    "moons, zero_grad off": (moons_mlp, moons(100, 0.1, 0), {"loss": "mse", "zero_grad": False}),
    "moons, mini-batches": (
        moons_mlp,
        moons(100, 0.1, 0),
        {"loss": "hinge", "l2": 1e-4, "learning_rate": 1.0, "decay": True, "batch_size": 16, "seed": 3},
    ),
    "moons, mini-batches, zero_grad off": (
        moons_mlp,
        moons(100, 0.1, 0),
        {"loss": "bce", "batch_size": 10, "seed": 1, "zero_grad": False, "learning_rate": 0.01},
    ),
}


@pytest.mark.parametrize("name", RUNS)
def test_compiled_training_equals_plain_training(name):
    make_model, data, options = RUNS[name]
    plain, compiled = train_both(make_model, data, steps=50, **options)
    assert compiled.compiled_reason is None  # compiled mode really ran
    assert compiled.compile_summary is not None
    assert len(plain.history) == 50
    assert_same_training(plain, compiled)


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_every_loss_and_activation_compiles_and_trains_alike(loss, activation):
    data = moons(30, 0.1, 0)
    # sse sums over the 30 samples: the same step size as the means needs a 30 times smaller rate
    rate = 0.1 / len(data) if loss == "sse" else 0.1
    plain, compiled = train_both(
        lambda: MLP(2, [6, 6, 1], activation=activation, seed=1),
        data,
        steps=50,
        loss=loss,
        l2=1e-3,
        learning_rate=rate,
    )
    assert compiled.compiled_reason is None
    assert len(plain.history) == 50 and plain.diverged is None
    assert_same_training(plain, compiled)


def test_changing_settings_mid_run_recompiles_and_still_matches():
    data = moons(40, 0.1, 2)
    runs = [
        Trainer(moons_mlp(), data.copy(), TrainSettings(steps=30, learning_rate=0.005, compiled=c))
        for c in (False, True)
    ]
    changes = {
        5: dict(l2=1e-3),
        10: dict(loss="hinge"),
        15: dict(batch_size=8, zero_grad=False),
        20: dict(compiled=False),  # the compiled trainer goes plain for a while...
        25: dict(loss="bce"),  # ...and back to compiled, on another loss
    }
    for k in range(30):
        for trainer, compiled in zip(runs, (False, True)):
            if k in changes:
                options = {**trainer.settings.to_dict(), **changes[k]}
                options["compiled"] = compiled and k != 20
                trainer.settings = TrainSettings(**options)
            trainer.step()
        if k == 20:
            assert runs[1].compiled_reason == "compiled mode is off"
    assert runs[1].compiled_reason is None
    assert_same_training(*runs)


def test_compiled_steps_read_the_values_so_edits_between_steps_count():
    runs = [Trainer(lecture_mlp(), lecture(), TrainSettings(steps=6, compiled=c)) for c in (False, True)]
    for k in range(6):
        for trainer in runs:
            if k == 3:  # as loading weights into the live model would
                trainer.model.layers[0].neurons[0].w[0].data = 0.25
                trainer.model.parameters()[-1].grad = 7.0  # zero_grad clears this before it counts
            trainer.step()
    assert runs[1].compiled_reason is None
    assert_same_training(*runs)


def test_divergence_is_reported_as_the_plain_engine_reports_it():
    # test_train's blow-up: the compiled step sees inf, and the plain engine retakes that step
    plain, compiled = train_both(moons_mlp, moons(100, 0.1, 0), learning_rate=50.0, loss="mse", steps=100)
    assert plain.diverged is not None
    assert compiled.diverged == plain.diverged
    assert_same_training(plain, compiled)


# ---------------------------------------------------------------- fallback


class BranchingMLP(MLP):
    """A model whose graph depends on its inputs: doubled output for samples with x > 0."""

    def __call__(self, x):
        out = super().__call__(x)
        first = x[0].data if isinstance(x[0], Value) else x[0]
        return out * 2.0 if first > 0 else out


def test_a_model_that_may_branch_falls_back_with_a_reason_and_trains_as_before():
    data = moons(40, 0.1, 0)
    make = lambda: BranchingMLP(2, [8, 1], activation="tanh", seed=0)  # noqa: E731
    # mini-batches: each step's batch takes other branches than the batch a trace would see
    plain, compiled = train_both(make, data, steps=20, loss="mse", batch_size=8)
    assert "engine.nn.MLP" in compiled.compiled_reason
    assert compiled.compile_summary is None
    assert_same_training(plain, compiled)
    for ours, theirs in zip(compiled.history, plain.history):  # the plain engine: bit for bit
        assert ours.loss == theirs.loss


def test_an_operation_without_a_compiled_form_gives_a_reason():
    a = Value(0.5)
    odd = Value(abs(a.data), (a,), "abs")  # an op the compiler does not know
    reason = compile_graph(odd * a, [], [a], [], [])
    assert reason == "the operation 'abs' has no compiled form"


def test_a_step_that_cannot_be_traced_gives_a_reason():
    wide = MLP(2, [3, 2], seed=0)  # two outputs per sample: the losses take one
    reason = compile_step(wide, "mse", 0.0, [[0.1, 0.2]], [1.0])
    assert isinstance(reason, str) and "could not be traced" in reason


def test_trainer_states_whether_compiled_mode_is_in_use():
    off = Trainer(lecture_mlp(), lecture(), TrainSettings())
    on = Trainer(lecture_mlp(), lecture(), TrainSettings(compiled=True))
    assert off.compiled_reason == "compiled mode is off"
    assert "first step" in on.compiled_reason
    off.step()
    on.step()
    assert off.compiled_reason == "compiled mode is off" and off.compile_summary is None
    assert on.compiled_reason is None
    assert "matrix product (4×3) @ (3×4)" in on.compile_summary.describe()


# ---------------------------------------------------------------- the program itself


def test_the_summary_counts_scalar_and_array_operations_level_by_level():
    data = moons(100, 0.1, 0)
    program = compile_step(moons_mlp(), "hinge", 1e-4, data.inputs, data.targets)
    summary = program.summary
    neurons = [g for g in summary.groups if g.operation.startswith("neuron:")]
    # each layer over all 100 samples: one matrix product
    assert [(g.level, g.scalar_ops) for g in neurons] == [(1, 1600), (2, 1600), (3, 100)]
    assert all(g.array_op.startswith("matrix product") for g in neurons)
    # the chains of "+" (100 losses, 337 squared parameters) became two n-ary sums
    sums = [g for g in summary.groups if g.operation == "+ (chains)"]
    assert sorted(g.scalar_ops for g in sums) == [99, 336]
    assert summary.scalar_levels > 336 and summary.levels <= 10  # the L2 chain alone was 336 deep
    assert summary.scalar_ops == sum(g.scalar_ops for g in summary.groups) + summary.folded
    assert summary.array_ops == len(summary.groups) < 20
    text = summary.describe()
    assert f"{summary.scalar_ops:,} scalar operations" in text and "1 n-ary sum of 337 terms" in text


def _plain_grads(model: MLP, loss_name: str, l2: float, xs, ys) -> tuple[float, list[float], np.ndarray]:
    loss, scores, _, _ = trace_step(model, loss_name, l2, xs, ys)
    model.zero_grad()
    loss.backward()
    grads = np.array([p.grad for p in model.parameters()])
    model.zero_grad()
    return loss.data, [s.data for s in scores], grads


def test_a_program_takes_any_batch_of_its_size_and_accumulates_grads():
    data = moons(60, 0.2, 5)
    model = moons_mlp()
    program = compile_step(model, "bce", 1e-3, data.inputs[:20], data.targets[:20])
    assert isinstance(program, CompiledStep)
    params = np.array([p.data for p in model.parameters()])
    xs, ys = data.inputs[40:], data.targets[40:]  # another batch of 20
    want_loss, want_scores, want_grads = _plain_grads(model, "bce", 1e-3, xs, ys)
    grads = np.zeros(len(params))
    loss, scores = program.run(params, grads, np.array(xs), np.array(ys))
    assert_close(loss, want_loss, TOL, "loss")
    np.testing.assert_allclose(scores, want_scores, rtol=0, atol=TOL)
    np.testing.assert_allclose(grads, want_grads, rtol=0, atol=TOL)
    program.run(params, grads, xs, ys)  # a second run adds the same grads again
    np.testing.assert_allclose(grads, 2 * want_grads, rtol=0, atol=2 * TOL)
    with pytest.raises(ValueError, match="compiled for 20 samples"):
        program.run(params, grads, xs[:5], ys[:5])


@settings(max_examples=30, deadline=None)
@given(
    sizes=st.lists(st.integers(1, 5), min_size=1, max_size=3),
    activations=st.data(),
    loss=st.sampled_from(list(LOSSES)),
    l2=st.sampled_from([0.0, 1e-2]),
    batch=st.integers(1, 6),
    seed=st.integers(0, 1000),
)
def test_one_step_matches_the_plain_engine_on_random_models(sizes, activations, loss, l2, batch, seed):
    acts = activations.draw(st.lists(st.sampled_from(ACTIVATIONS), min_size=len(sizes), max_size=len(sizes)))
    sizes[-1] = 1
    model = MLP(3, sizes, activations=acts, seed=seed)
    data = moons(batch + 3, 0.3, seed)
    xs = [[x, y, x * y] for x, y in data.inputs]
    program = compile_step(model, loss, l2, xs[:batch], data.targets[:batch])
    assert isinstance(program, CompiledStep), program
    want_loss, want_scores, want_grads = _plain_grads(model, loss, l2, xs[3:], data.targets[3:])
    grads = np.zeros(len(want_grads))
    params = np.array([p.data for p in model.parameters()])
    loss_value, scores = program.run(params, grads, xs[3:], data.targets[3:])
    assert_close(loss_value, want_loss, 1e-12, "loss")
    for got, want in zip([*scores, *grads], [*want_scores, *want_grads]):
        assert_close(float(got), want, 1e-12, "score or grad")


def _check_graph(build, leaves: list[float]) -> None:
    """compile_graph on an arbitrary expression of parameter leaves: value and grads as the plain engine's."""
    plain_leaves = [Value(x) for x in leaves]
    root = build(*plain_leaves)
    root.backward()
    traced = [Value(x) for x in leaves]
    program = compile_graph(build(*traced), [], traced, [], [])
    assert isinstance(program, CompiledStep), program
    grads = np.zeros(len(leaves))
    loss, _ = program.run(np.array(leaves), grads, np.zeros((0, 0)), [])
    assert_close(loss, root.data, TOL, "value")
    for i, (got, leaf) in enumerate(zip(grads, plain_leaves)):
        assert_close(float(got), leaf.grad, TOL, f"grad of leaf {i}")


EXPRESSIONS = {
    "every scalar op": lambda a, b, c: (
        ((a * b).tanh() + (b**3).exp() * c.sigmoid() + (a * a).log()).relu() / c
    ),
    "a node used twice, and a + a": lambda a, b, c: (a * b) * (a * b) + (c + c) + c * 2 - a,
    "shared operands scatter-add": lambda a, b, c: sum((a * x).tanh() for x in (b, c, b, c, a)),
    "two n-ary sums in one array op": lambda a, b, c: (a + b + c) * (c + a + b + c) + (b + a + a) * c,
    "right-leaning sums stay binary": lambda a, b, c: a + (b + (c + (a * b + (b * c)))),
    "constants fold": lambda a, b, c: a * (Value(2.0) * Value(3.0)).exp() + (Value(1.5) ** 2) * b - c,
    "neurons that are no grid": lambda a, b, c: (
        Value.neuron([a, b], [c, b], a, "tanh") * Value.neuron([b, c], [a, a], c, "relu")
        + Value.neuron([c, a], [b, 1.5], b, "sigmoid")
        + Value.neuron([a], [c], c, "linear")
    ),
    "a neuron without inputs": lambda a, b, c: Value.neuron([], [], a, "tanh") * b + c,
}


@pytest.mark.parametrize("name", EXPRESSIONS)
def test_any_graph_of_supported_ops_compiles_to_the_same_numbers(name):
    _check_graph(EXPRESSIONS[name], [0.7, -1.3, 2.1])


def test_importing_engine_train_does_not_import_numpy():
    probe = """
import json, sys
from engine import MLP
from engine.data import lecture
from engine.train import Trainer
from engine.settings import TrainSettings
Trainer(MLP(3, [4, 4, 1], seed=0), lecture(), TrainSettings()).step()
plain = "numpy" in sys.modules
Trainer(MLP(3, [4, 4, 1], seed=0), lecture(), TrainSettings(compiled=True)).step()
print(json.dumps([plain, "numpy" in sys.modules]))
"""
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [False, True]
