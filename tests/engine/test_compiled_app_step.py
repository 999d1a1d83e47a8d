"""The compiled app step's figures come from the program's arrays: they must say what the Values say."""

import math
import random

import numpy as np
import pytest

from engine import MLP
from engine.compiled import compile_step
from engine.compiled.program import hit_rate, largest_magnitude, mean_magnitudes
from engine.data import moons
from engine.losses import accuracy
from engine.settings import TrainSettings
from engine.train import Trainer


def test_largest_magnitude_passes_nan_on_and_is_zero_for_no_parameters():
    assert largest_magnitude(np.array([1.0, -3.0, 2.0])) == 3.0
    assert math.isnan(largest_magnitude(np.array([1.0, math.nan, -3.0])))
    assert largest_magnitude(np.array([-math.inf, 1.0])) == math.inf
    assert largest_magnitude(np.array([])) == 0.0


def test_mean_magnitudes_are_each_blocks_mean_absolute_value():
    grads = np.array([random.Random(3).uniform(-2, 2) for _ in range(12)])
    sizes = [3, 8, 1]
    want, at = [], 0
    for size in sizes:
        want.append(math.fsum(abs(g) for g in grads[at : at + size]) / size)
        at += size
    assert mean_magnitudes(grads, sizes) == pytest.approx(want, rel=1e-15)
    assert mean_magnitudes(grads, []) == ()


def test_hit_rate_counts_as_accuracy_does_nan_scores_included():
    rng = random.Random(5)
    scores = [rng.uniform(-1, 1) for _ in range(50)] + [math.nan, 0.0, -0.0]
    targets = [rng.choice([1.0, -1.0]) for _ in scores]
    for threshold in (0.0, 0.5):
        assert hit_rate(np.array(scores), np.array(targets), threshold) == accuracy(
            scores, targets, threshold
        )
    assert hit_rate(np.array([]), np.array([]), 0.0) == accuracy([], [], 0.0)


@pytest.mark.parametrize("zero_grad", [True, False])
def test_the_compiled_trainer_step_leaves_the_programs_data_and_grads_on_the_values(zero_grad):
    data = moons(40, 0.1, 2)
    settings = TrainSettings(
        learning_rate=0.3, loss="hinge", l2=1e-3, steps=4, zero_grad=zero_grad, compiled=True
    )
    ours = MLP(2, [6, 1], activation="relu", output_activation="linear", seed=4)
    theirs = MLP(2, [6, 1], activation="relu", output_activation="linear", seed=4)
    trainer = Trainer(ours, data, settings)
    program = compile_step(theirs, "hinge", 1e-3, data.inputs, data.targets)
    for _ in range(4):
        result = trainer.step()
        loss, scores, grad_norm = program.train_step(
            theirs.parameters(), data.inputs, data.targets, 0.3, zero_grad
        )
        assert trainer.compiled_reason is None
        assert (result.loss, result.grad_norm) == (loss, grad_norm)
        assert result.accuracy == accuracy(scores, data.targets)
        assert [(p.data, p.grad) for p in ours.parameters()] == [
            (p.data, p.grad) for p in theirs.parameters()
        ]


@pytest.mark.parametrize("enabled", [True, False])
def test_compiling_leaves_the_cycle_collector_as_it_found_it(enabled, monkeypatch):
    import gc

    import engine.compiled.step

    data = moons(10, 0.1, 0)
    model = MLP(2, [3, 1], activation="relu", output_activation="linear", seed=0)
    was = gc.isenabled()
    try:
        (gc.enable if enabled else gc.disable)()
        assert not isinstance(compile_step(model, "hinge", 1e-4, data.inputs, data.targets), str)
        assert gc.isenabled() is enabled
        for w in model.parameters():  # a step that overflows: compiling says why it cannot
            w.data = 1e200
        assert isinstance(compile_step(model, "hinge", 1e-4, data.inputs, data.targets), str)
        assert gc.isenabled() is enabled
        monkeypatch.setattr(engine.compiled.step, "compile_graph", _raise)
        fresh = MLP(2, [3, 1], activation="relu", output_activation="linear", seed=0)
        with pytest.raises(RuntimeError):  # and one that raises
            compile_step(fresh, "hinge", 1e-4, data.inputs, data.targets)
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()


def _raise(*_args):
    raise RuntimeError("a bug in a pass")
