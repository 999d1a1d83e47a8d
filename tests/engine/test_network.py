"""engine/network.py: every neuron's picture, one sample's pass and NumPy backprop, against the engine."""

from __future__ import annotations

import numpy as np
import pytest

from engine.data import moons
from engine.losses import l2 as l2_term
from engine.losses import loss_function
from engine.network import (
    loss_gradients,
    neuron_outputs,
    parameter_at,
    parameter_index,
    plane_points,
    sample_pass,
    with_parameter,
)
from engine.nn import MLP
from engine.weights import ModelWeights


def _weights(
    inputs: int = 2, sizes=(16, 16, 1), activations=("tanh", "relu", "tanh"), seed=3
) -> ModelWeights:
    return ModelWeights.from_model(MLP(inputs, list(sizes), activations=list(activations), seed=seed))


def _one_neuron_by_hand(weights: ModelWeights, points: np.ndarray, layer: int, neuron: int) -> np.ndarray:
    """That neuron's output at each point, by a plain NumPy forward pass written out here, point by point."""
    values = []
    for point in points:
        h = np.asarray(point, dtype=np.float64)
        for index, lw in enumerate(weights.layers[: layer + 1]):
            w, b = np.asarray(lw.weight), np.asarray(lw.bias)
            z = np.array([np.dot(row, h) + bias for row, bias in zip(w, b)])
            h = {"tanh": np.tanh, "relu": lambda a: np.maximum(a, 0.0), "linear": lambda a: a}.get(
                lw.activation, lambda a: 1.0 / (1.0 + np.exp(-a))
            )(z)
            if index == layer:
                values.append(h[neuron])
    return np.asarray(values)


@pytest.mark.parametrize("activations", [("tanh", "relu", "tanh"), ("sigmoid", "linear", "sigmoid")])
def test_each_neurons_picture_equals_a_forward_pass_of_that_neuron(activations):
    weights = _weights(activations=activations)
    points, xs, ys = plane_points((-1.5, 2.5, -1.0, 1.5), 12, 2)
    outputs = neuron_outputs(weights, points)
    assert [o.shape for o in outputs] == [(144, 16), (144, 16), (144, 1)]
    for layer, size in enumerate(weights.sizes):
        for neuron in range(size):
            by_hand = _one_neuron_by_hand(weights, points, layer, neuron)
            np.testing.assert_allclose(outputs[layer][:, neuron], by_hand, rtol=0, atol=1e-12)
    # the picture's rows run along x2, its columns along x1
    assert points[13].tolist() == [xs[1], ys[1]]


def test_more_inputs_are_held_at_the_given_values_and_one_input_varies_along_x1():
    points, _, _ = plane_points((0, 1, 0, 1), 4, 4, axes=(2, 0), held=[9.0, 8.0, 7.0, 6.0])
    assert np.all(points[:, 1] == 8.0) and np.all(points[:, 3] == 6.0)
    assert len(set(points[:, 2])) == 4 and len(set(points[:, 0])) == 4
    line, xs, _ = plane_points((0, 1, 0, 1), 4, 1)
    assert line[:, 0].tolist() == np.tile(xs, 4).tolist()


def test_the_samples_pass_equals_the_engines_values_exactly():
    model = MLP(2, [5, 3, 1], activations=["relu", "tanh", "sigmoid"], seed=7)
    weights = ModelWeights.from_model(model)
    x = [0.37, -1.25]
    layers = sample_pass(weights, x)
    h = x
    for layer, numbers in zip(model.layers, layers):
        values = [n(h) for n in layer.neurons]
        assert numbers == [v.data for v in values]  # bit for bit
        h = values


@pytest.mark.parametrize("loss", ["sse", "mse", "hinge", "bce"])
@pytest.mark.parametrize("l2", [0.0, 1e-3])
def test_numpy_backprop_equals_the_engines_grads(loss, l2):
    data = moons(30, seed=1)
    model = MLP(2, [6, 4, 1], activations=["tanh", "relu", "tanh"], seed=2)
    weights = ModelWeights.from_model(model)
    hidden_values = []

    def forward(x):
        h = x
        for layer in model.layers:
            h = [n(h) for n in layer.neurons]
            hidden_values.append(h)
        return h[0]

    scores = [forward(x) for x in data.inputs]
    total = loss_function(loss)(scores, data.targets)
    if l2:
        total = total + l2_term(model.parameters(), l2)
    model.zero_grad()
    total.backward()
    found = loss_gradients(weights, data.inputs, data.targets, loss, l2)
    assert found.loss == pytest.approx(total.data, abs=1e-12)
    engine_grads = [p.grad for p in model.parameters()]
    for index, grad in enumerate(engine_grads):
        layer, neuron, input_index = parameter_at(weights, index)
        ours = found.bias[layer][neuron] if input_index is None else found.weight[layer][neuron, input_index]
        assert ours == pytest.approx(grad, abs=1e-12)
    depth = len(model.layers)
    for sample in range(len(data.inputs)):
        for layer in range(depth):
            values = hidden_values[sample * depth + layer]
            ours = found.neuron[layer][sample]
            np.testing.assert_allclose(ours, [v.grad for v in values], rtol=0, atol=1e-12)


def test_parameter_positions_follow_the_models_parameters_order():
    model = MLP(3, [4, 2, 1], seed=0)
    weights = ModelWeights.from_model(model)
    params = model.parameters()
    for index, p in enumerate(params):
        layer, neuron, input_index = parameter_at(weights, index)
        assert parameter_index(weights, layer, neuron, input_index) == index
        lw = weights.layers[layer]
        assert p.data == (lw.bias[neuron] if input_index is None else lw.weight[neuron][input_index])
    with pytest.raises(IndexError):
        parameter_at(weights, len(params))


def test_with_parameter_changes_exactly_one_number_and_leaves_the_original_alone():
    weights = _weights(sizes=(3, 1), activations=("tanh", "tanh"))
    before = weights.to_dict()
    index = parameter_index(weights, 0, 2, 1)
    changed = with_parameter(weights, index, 0.123456789)
    assert weights.to_dict() == before
    assert changed.layers[0].weight[2][1] == 0.123456789
    flat_before = [p.data for p in weights.to_model().parameters()]
    flat_after = [p.data for p in changed.to_model().parameters()]
    assert [i for i, (a, b) in enumerate(zip(flat_before, flat_after)) if a != b] == [index]
