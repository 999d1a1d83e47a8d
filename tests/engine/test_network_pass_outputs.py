"""A network with several outputs (engine/network_outputs.py) gives the neuron nodes' numbers, bit for bit.

`MLP.__call__` (one shared pass per sample and a node per output) against `MLP.layered`
(one node per neuron): every output, loss, output grad, parameter grad and input grad
compared with ==, over sizes, activations, 3-5 classes with softmax cross-entropy, steps
with and without zero_grad, mini-batches, the app's Trainer, odd losses (outputs used
twice, unused, with opposite signs, a second backward()), and inf / NaN.
"""

from __future__ import annotations

import math
import random

import pytest

from engine import MLP, Value
from engine.losses import ce
from engine.network_outputs import NETWORK_OUTPUT_OP, SHARED_PASS_OP, NetworkOutput
from engine.ops import ACTIVATIONS, NEURON_OPS
from engine.problem_presets import arms
from engine.settings import TrainSettings
from engine.train import Trainer
from engine.value import topological_order


def same(a: list[float], b: list[float]) -> bool:
    """Equal as floats, one by one, NaN equal to NaN (== alone would call two NaNs different)."""
    return len(a) == len(b) and all(x == y or (math.isnan(x) and math.isnan(y)) for x, y in zip(a, b))


def random_network(seed: int) -> tuple[int, list[int], list[str]]:
    rng = random.Random(seed)
    sizes = [rng.randint(1, 7) for _ in range(rng.randint(0, 3))] + [rng.randint(3, 5)]
    activations = [rng.choice(ACTIVATIONS) for _ in sizes[:-1]] + [rng.choice(["linear", *ACTIVATIONS])]
    return rng.randint(1, 4), sizes, activations


def train(fused: bool, seed: int, zero_grad: bool, batch: int | None, steps: int = 4) -> list[list[float]]:
    """Every number a few ce training steps make, the model called one way or the other."""
    nin, sizes, activations = random_network(seed)
    model = MLP(nin, sizes, activations=activations, seed=seed)
    call = model if fused else model.layered
    rng = random.Random(seed)
    xs = [[rng.uniform(-2, 2) for _ in range(nin)] for _ in range(15)]
    ys = [float(rng.randrange(sizes[-1])) for _ in xs]
    numbers = []
    for _ in range(steps):
        chosen = rng.sample(range(len(xs)), batch) if batch else range(len(xs))
        scores = [call(xs[i]) for i in chosen]
        total = ce(scores, [ys[i] for i in chosen]) + 1e-3 * sum(p * p for p in model.parameters())
        if zero_grad:
            model.zero_grad()
        total.backward()
        outputs = [o for row in scores for o in row]
        numbers.append(
            [
                total.data,
                *(o.data for o in outputs),
                *(o.grad for o in outputs),
                *(p.grad for p in model.parameters()),
            ]
        )
        for p in model.parameters():
            p.data -= 0.3 * p.grad
    return numbers


@pytest.mark.parametrize("batch", [None, 4])
@pytest.mark.parametrize("zero_grad", [True, False])
@pytest.mark.parametrize("seed", range(8))
def test_ce_training_gives_the_neuron_nodes_numbers_bit_for_bit(seed, zero_grad, batch):
    assert train(True, seed, zero_grad, batch) == train(False, seed, zero_grad, batch)


def test_the_sizes_tried_cover_every_activation_and_three_to_five_classes():
    networks = [random_network(seed) for seed in range(8)]
    assert {act for _, _, acts in networks for act in acts} == set(ACTIVATIONS)
    assert {sizes[-1] for _, sizes, _ in networks} == {3, 4, 5}


class LayeredMLP(MLP):
    """The same network, called node per neuron: what several outputs were before."""

    __call__ = MLP.layered


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_the_apps_trainer_on_a_spiral_gives_the_same_numbers(optimizer):
    runs = []
    for kind in (MLP, LayeredMLP):
        model = kind(2, [8, 6, 3], activations=["relu", "tanh", "linear"], seed=4)
        settings = TrainSettings(
            learning_rate=0.2, loss="ce", l2=1e-4, steps=8, batch_size=20, optimizer=optimizer
        )
        trainer = Trainer(model, arms(60, 0.05, 1, classes=3), settings)
        trainer.run()
        runs.append([*(p.data for p in model.parameters()), *(p.grad for p in model.parameters())])
        runs[-1] += [number for r in trainer.history for number in (r.loss, r.accuracy, r.grad_norm)]
    assert runs[0] == runs[1]


# ---------------------------------------------------------------- odd uses of the outputs


def odd_loss(outputs: list[Value], a: Value, b: Value) -> Value:
    """Outputs used twice, multiplied together, one unused (the last), with inputs mixed in."""
    o0, o1, o2 = outputs[:3]
    return o0 * o1 + o0 * 3.0 + (o1 - a) ** 2 + (o0 * b).tanh() + o2 * 0.0


def through_odd_uses(fused: bool, as_values: bool, twice: bool) -> list[float]:
    model = MLP(3, [5, 4, 4], activations=["tanh", "relu", "linear"], seed=9)
    call = model if fused else model.layered
    a, b = Value(0.7), Value(-1.3)
    shared = a * b
    x = [shared, a, shared] if as_values else [0.25, -0.5, 1.5]
    outputs = call(x)
    loss = odd_loss(outputs, a, b)
    loss.backward()
    if twice:
        loss.backward()  # without zero_grad: leaves add the same grads again, interior nodes restart
    return [
        loss.data,
        a.grad,
        b.grad,
        *(o.data for o in outputs),
        *(o.grad for o in outputs),
        *(p.grad for p in model.parameters()),
    ]


@pytest.mark.parametrize("twice", [False, True])
@pytest.mark.parametrize("as_values", [False, True])
def test_outputs_used_twice_multiplied_or_unused_give_the_same_grads(as_values, twice):
    assert through_odd_uses(True, as_values, twice) == through_odd_uses(False, as_values, twice)


def test_grads_of_opposite_signs_do_not_cancel_into_skipping_the_pass():
    """d loss / d o0 = +1, d loss / d o1 = -1: their sum is 0, yet every parameter has a grad."""
    numbers = []
    for fused in (True, False):
        model = MLP(2, [3, 2], activations=["tanh", "linear"], seed=0)
        o0, o1 = (model if fused else model.layered)([0.5, -1.0])
        (o0 - o1).backward()
        numbers.append([p.grad for p in model.parameters()])
    assert numbers[0] == numbers[1] and any(g != 0.0 for g in numbers[0])


def test_a_second_backward_through_other_outputs_starts_from_no_deposits():
    """The first backward() reaches o0 only, the second o1 only: o0's grad must not flow again."""
    numbers = []
    for fused in (True, False):
        model = MLP(2, [4, 3], activations=["relu", "linear"], seed=1)
        o0, o1, o2 = (model if fused else model.layered)([0.5, -1.0])
        (o0 * 2.0).backward()
        first = [p.grad for p in model.parameters()]
        model.zero_grad()
        (o1 * 3.0 + o2 * 0.0).backward()
        numbers.append([*first, *(p.grad for p in model.parameters())])
    assert numbers[0] == numbers[1]


def test_backward_from_one_output_itself():
    numbers = []
    for fused in (True, False):
        model = MLP(3, [4, 3], seed=2)
        x = [Value(0.1), Value(0.2), Value(-0.3)]
        outputs = (model if fused else model.layered)(x)
        outputs[1].backward()
        numbers.append([*(v.grad for v in x), *(p.grad for p in model.parameters())])
    assert numbers[0] == numbers[1]


def test_outputs_feeding_another_network_give_the_same_grads():
    numbers = []
    for fused in (True, False):
        first, second = MLP(2, [4, 3], seed=3), MLP(3, [3, 2], seed=4)
        x = [Value(0.5), Value(-0.25)]
        call = (lambda m, v: m(v)) if fused else (lambda m, v: m.layered(v))
        out = call(second, call(first, x))
        loss = ce([out], [1.0])
        loss.backward()
        numbers.append(
            [loss.data, *(v.grad for v in x), *(p.grad for m in (first, second) for p in m.parameters())]
        )
    assert numbers[0] == numbers[1]


@pytest.mark.parametrize("big", [1e200, 1e308, -1e308, math.inf, -math.inf, math.nan])
@pytest.mark.parametrize("where", [(0, 1, 0), (1, 2, 3)])
def test_inf_and_nan_flow_as_they_do_through_the_neuron_nodes(big, where):
    numbers = []
    for fused in (True, False):
        model = MLP(2, [3, 4, 3], activations=["relu", "tanh", "linear"], seed=1)
        layer, neuron, weight = where
        model.layers[layer].neurons[neuron].w[
            min(weight, len(model.layers[layer].neurons[neuron].w) - 1)
        ].data = big
        outputs = (model if fused else model.layered)([1.5, -0.5])
        loss = outputs[0] * outputs[1] + outputs[2] * outputs[2]
        loss.backward()
        numbers.append([loss.data, *(o.data for o in outputs), *(p.grad for p in model.parameters())])
    assert same(*numbers)


# ---------------------------------------------------------------- what the outputs are


def test_outputs_are_nodes_over_one_pass_and_say_what_they_are_computed_from():
    model = MLP(2, [4, 3], seed=0)
    x = [Value(0.5), Value(-1.0)]
    outputs = model(x)
    assert all(isinstance(o, NetworkOutput) and o.op == NETWORK_OUTPUT_OP for o in outputs)
    assert [o.index for o in outputs] == [0, 1, 2]
    assert [o.data for o in outputs] == [o.data for o in model.layered(x)]
    for o in outputs:
        assert o.operands == (*x, *model.parameters())
        assert o.layer_outputs[0] == [0.5, -1.0] and o.layer_outputs[-1] == [u.data for u in outputs]
        assert o.layers == tuple(model.layers)
        # what views walk: the output, its inputs and the parameters (the shared pass is backward()'s alone)
        assert len(topological_order(o)) == 2 + len(model.parameters()) + 1


def test_inputs_given_as_floats_are_constants_of_the_pass():
    model = MLP(2, [4, 3], seed=0)
    outputs = model([0.5, -1.0])
    assert outputs[0].operands == tuple(model.parameters())


def backward_walk(root: Value) -> list[Value]:
    """Every node backward() runs a rule for: those with an op, reached through `_prev`."""
    nodes, seen = [root], {root}
    for node in nodes:
        for child in node._prev:
            if child._op and child not in seen:
                seen.add(child)
                nodes.append(child)
    return nodes


def test_a_ce_step_over_several_outputs_makes_no_node_per_neuron():
    """Fails if several outputs fell back to the layered form: 100 samples of 2-16-16-3 made 3,500 nodes."""
    model = MLP(2, [16, 16, 3], activation="relu", output_activation="linear", seed=0)
    data = arms(100, 0.05, 0, classes=3)
    fused = backward_walk(ce([model(x) for x in data.inputs], data.targets))
    layered = backward_walk(ce([model.layered(x) for x in data.inputs], data.targets))
    ops = [node._op for node in fused]
    assert ops.count(SHARED_PASS_OP) == 100 and ops.count(NETWORK_OUTPUT_OP) == 300
    assert not any(op in NEURON_OPS for op in ops)
    assert len(layered) - len(fused) == 100 * (16 + 16 + 3) - 100 * 4
