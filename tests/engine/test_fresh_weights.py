"""`ModelSpec.fresh_weights` draws exactly the numbers `spec.build` starts with, without building Values."""

from __future__ import annotations

import pytest

from engine import nn
from engine.nn import MLP, initial_weights
from engine.spec import ModelSpec
from engine.weights import ModelWeights

SPECS = [
    (ModelSpec(), 3),
    (ModelSpec([], [], "linear", 7), 1),
    (ModelSpec([16, 16], ["relu", "relu"], "linear", 0), 2),
    (ModelSpec([1, 5, 2], ["sigmoid", "tanh", "linear"], "sigmoid", 12345), 4),
    (ModelSpec([256, 3], ["tanh", "relu"], "tanh", 2**31 - 1), 2),
]


@pytest.mark.parametrize(("spec", "n_inputs"), SPECS)
def test_fresh_weights_equal_the_built_networks_exactly(spec: ModelSpec, n_inputs: int) -> None:
    assert spec.fresh_weights(n_inputs) == ModelWeights.from_model(spec.build(n_inputs))


@pytest.mark.parametrize("seed", [0, 1, 2, 99, 2**40])
def test_initial_weights_follow_the_neurons_draws_bit_for_bit(seed: int) -> None:
    model = MLP(3, [4, 2, 1], seed=seed)
    expected = [
        ([[w.data for w in n.w] for n in layer.neurons], [n.b.data for n in layer.neurons])
        for layer in model.layers
    ]
    got = initial_weights(3, [4, 2, 1], seed)
    assert got == expected
    assert all(type(x) is float for rows, biases in got for row in rows for x in [*row, *biases])


def test_fresh_weights_of_the_largest_model_build_no_values(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_values(*_args, **_kwargs):
        raise AssertionError("fresh weights must not build a network of Values")

    monkeypatch.setattr(nn, "Value", no_values)
    monkeypatch.setattr(ModelSpec, "build", no_values)
    weights = ModelSpec([256] * 8, ["tanh"] * 8, "tanh", 3).fresh_weights(2)
    assert weights.sizes == [256] * 8 + [1]
    assert len(weights.layers[1].weight[255]) == 256
