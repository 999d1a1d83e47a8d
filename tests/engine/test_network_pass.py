"""A network's pass as one node (engine/network_pass.py) gives the neuron nodes' numbers, bit for bit.

`MLP.__call__` (one node per sample) against `MLP.layered` (one node per neuron, as
the lecture's Layer calls make it): every output, loss, parameter grad and input grad
compared with ==, over activations, sizes, losses, several steps, backward() twice,
inputs that are Values (used twice, too), and numbers that overflow to inf and NaN.
"""

from __future__ import annotations

import math
import random

import pytest

from engine import MLP, Value
from engine.losses import loss_function
from engine.network_outputs import NETWORK_OUTPUT_OP
from engine.network_pass import NETWORK_OP, NetworkPass
from engine.ops import ACTIVATIONS, relu
from engine.value import topological_order


def same(a: float, b: float) -> bool:
    """Equal as floats, NaN equal to NaN (== alone would call two NaNs different)."""
    return a == b or (math.isnan(a) and math.isnan(b))


def train(
    fused: bool, nin: int, sizes: list[int], activations: list[str], loss: str, seed: int, steps: int = 4
):
    """Every number a few training steps make, with the model called one way or the other."""
    model = MLP(nin, sizes, activations=activations, seed=seed)
    call = model if fused else model.layered
    rng = random.Random(seed)
    xs = [[rng.uniform(-2, 2) for _ in range(nin)] for _ in range(12)]
    ys = [rng.choice([-1.0, 1.0]) if loss != "bce" else rng.choice([0.0, 1.0]) for _ in xs]
    numbers = []
    for _ in range(steps):
        scores = [call(x) for x in xs]
        total = loss_function(loss)(scores, ys) + 1e-3 * sum(p * p for p in model.parameters())
        model.zero_grad()
        total.backward()
        numbers.append([total.data, *(s.data for s in scores), *(p.grad for p in model.parameters())])
        for p in model.parameters():
            p.data -= 0.2 * p.grad
    return numbers


@pytest.mark.parametrize("loss", ["hinge", "sse", "mse"])
@pytest.mark.parametrize("seed", range(6))
def test_training_gives_the_neuron_nodes_numbers_bit_for_bit(loss, seed):
    rng = random.Random(seed)
    nin = rng.randint(1, 4)
    sizes = [rng.randint(1, 6) for _ in range(rng.randint(0, 3))] + [1]
    activations = [rng.choice(ACTIVATIONS) for _ in sizes]
    network = (nin, sizes, activations, loss, seed)
    assert train(True, *network) == train(False, *network)


def test_sigmoid_output_with_bce_gives_the_same_numbers():
    acts = ["tanh", "relu", "sigmoid"]
    assert train(True, 2, [5, 3, 1], acts, "bce", 7) == train(False, 2, [5, 3, 1], acts, "bce", 7)


def grads_through_inputs(fused: bool, twice: bool):
    """Inputs that are Values, one of them used twice and computed from another; backward() twice."""
    model = MLP(3, [4, 3, 1], activations=["tanh", "relu", "linear"], seed=3)
    a, b = Value(0.7), Value(-1.3)
    shared = a * b
    out = (model if fused else model.layered)([shared, a, shared])
    loss = (out - 0.25) ** 2
    loss.backward()
    if twice:
        loss.backward()  # without zero_grad: leaves add the same grads again
    return [out.data, loss.data, a.grad, b.grad, *(p.grad for p in model.parameters())]


@pytest.mark.parametrize("twice", [False, True])
def test_input_values_get_the_same_grads_used_twice_and_after_a_second_backward(twice):
    assert grads_through_inputs(True, twice) == grads_through_inputs(False, twice)


@pytest.mark.parametrize("big", [1e200, 1e308, math.inf, math.nan])
def test_inf_and_nan_flow_as_they_do_through_the_neuron_nodes(big):
    numbers = []
    for fused in (True, False):
        model = MLP(2, [3, 3, 1], activations=["relu", "tanh", "linear"], seed=1)
        model.layers[0].neurons[1].w[0].data = big
        out = (model if fused else model.layered)([1.5, -0.5])
        (out * out).backward()
        numbers.append([out.data, *(p.grad for p in model.parameters())])
    assert all(same(a, b) for a, b in zip(*numbers, strict=True))


def test_a_relu_layer_gives_what_relu_gives_on_every_kind_of_sum():
    # the pass writes relu's expression in, rather than calling relu() per neuron: the same floats,
    # the sign of zero included (max(z, 0.0) would keep -0.0 and nan)
    sums = [math.nan, -0.0, 0.0, math.inf, -math.inf, -1.5, 2.5, 5e-324, -5e-324]
    model = MLP(1, [len(sums), 1], activations=["relu", "linear"], seed=0)
    for neuron, z in zip(model.layers[0].neurons, sums, strict=True):
        neuron.w[0].data, neuron.b.data = -0.0, z  # the sum is the bias alone: z + -0.0 * 1.0 is z
    hidden = model([1.0]).layer_outputs[1]
    expected = [relu(z) for z in sums]
    assert [(h, math.copysign(1, h)) for h in hidden] == [(e, math.copysign(1, e)) for e in expected]
    assert hidden[0] == 0.0 and math.copysign(1, hidden[1]) == 1  # relu(nan) is 0, relu(-0.0) is +0.0


def test_one_output_is_one_node_whose_operands_are_the_inputs_and_parameters():
    model = MLP(2, [4, 1], seed=0)
    x = [Value(0.5), Value(-1.0)]
    out = model(x)
    assert isinstance(out, NetworkPass) and out.op == NETWORK_OP
    assert out.operands == (*x, *model.parameters())
    assert len(topological_order(out)) == 2 + len(model.parameters()) + 1
    assert out.layer_outputs[0] == [0.5, -1.0] and out.layer_outputs[-1] == [out.data]
    assert out.data == model.layered(x).data


def test_inputs_given_as_floats_are_constants_of_the_pass():
    """As a tensor without requires_grad: no leaf Value for them, the same numbers."""
    model = MLP(2, [4, 1], seed=0)
    out = model([0.5, -1.0])
    assert out.operands == tuple(model.parameters())
    assert out.layer_outputs[0] == [0.5, -1.0]
    out.backward()
    grads = [p.grad for p in model.parameters()]
    model.zero_grad()
    model.layered([0.5, -1.0]).backward()
    assert grads == [p.grad for p in model.parameters()]


def test_other_numbers_become_values_and_non_numbers_are_refused():
    model = MLP(2, [3, 1], seed=0)
    out = model([1, True])  # an int and a bool are real numbers, as in micrograd
    assert len(out.operands) == 2 + len(model.parameters())
    assert out.data == model.layered([1.0, 1.0]).data
    with pytest.raises(TypeError, match="real number"):
        model([1.0, "2"])


def test_several_outputs_are_a_node_each_over_one_pass():
    """tests/engine/test_network_pass_outputs.py checks their numbers against the layered form."""
    model = MLP(2, [4, 3], seed=0)
    outputs = model([0.5, -1.0])
    assert [o.op for o in outputs] == [NETWORK_OUTPUT_OP] * 3


def test_a_wrong_number_of_inputs_is_refused_with_the_counts():
    with pytest.raises(ValueError, match="takes 3 inputs, got 2"):
        MLP(3, [4, 1], seed=0)([1.0, 2.0])
