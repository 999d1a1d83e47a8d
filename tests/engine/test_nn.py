"""Tests for engine/nn.py: parameter order and initialisation, activations, errors, gradients
against PyTorch float64 and micrograd, the fused MLP against the lecture's expanded one,
and graphs that reference counting alone frees."""

from __future__ import annotations

import gc
import random

import pytest

from engine.data import moons
from engine.nn import MLP, Layer, Module, Neuron
from engine.value import Value, topological_order
from tests.engine.helpers import assert_close

LECTURE_XS = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
LECTURE_YS = [1.0, -1.0, -1.0, 1.0]


def lecture_loss(model) -> Value:
    """The lecture's loss: sum((yout - ygt)**2 ...) over its four samples."""
    ypred = [model(x) for x in LECTURE_XS]
    return sum((yout - ygt) ** 2 for ygt, yout in zip(LECTURE_YS, ypred))


def hinge_loss(model, inputs, targets, alpha: float = 1e-4) -> Value:
    """micrograd's demo loss: mean(relu(1 - y*score)) + alpha * sum(p*p)."""
    scores = [model(x) for x in inputs]
    losses = [(1 + -y * s).relu() for y, s in zip(targets, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = alpha * sum(p * p for p in model.parameters())
    return data_loss + reg_loss


def lecture_forward(model: MLP, x, activations):
    """The lecture's Neuron, Layer and MLP __call__ over the same parameters: a node per * and +."""
    for layer, activation in zip(model.layers, activations, strict=True):
        outs = []
        for n in layer.neurons:
            total = sum((wi * xi for wi, xi in zip(n.w, x)), n.b)
            outs.append(total if activation == "linear" else getattr(total, activation)())
        x = outs
    return x[0] if len(x) == 1 else x


# ---------------------------------------------------------------- parameters


@pytest.mark.parametrize(
    ("make", "count"),
    [
        (lambda: Neuron(3), 4),
        (lambda: Layer(3, 4), 16),
        (lambda: MLP(3, [4, 4, 1]), 41),  # (3+1)*4 + (4+1)*4 + (4+1)*1
        (lambda: MLP(2, [16, 16, 1]), 337),  # (2+1)*16 + (16+1)*16 + (16+1)*1
    ],
    ids=["Neuron(3)", "Layer(3, 4)", "MLP(3, [4, 4, 1])", "MLP(2, [16, 16, 1])"],
)
def test_parameter_count(make, count):
    params = make().parameters()
    assert len(params) == count
    assert len({id(p) for p in params}) == count
    assert all(isinstance(p, Value) and not p._prev for p in params)


def test_parameters_go_layer_by_layer_neuron_by_neuron_weights_then_bias():
    model = MLP(3, [4, 4, 1])
    expected = []
    for layer, (nin, nout) in enumerate([(3, 4), (4, 4), (4, 1)], 1):
        for neuron in range(1, nout + 1):
            expected += [f"w{layer}.{neuron}.{i}" for i in range(1, nin + 1)] + [f"b{layer}.{neuron}"]
    assert [p.label for p in model.parameters()] == expected
    first = model.layers[0].neurons[0]
    assert model.parameters()[:4] == [*first.w, first.b]


def test_parameters_are_drawn_uniformly_in_parameter_order_from_the_seed():
    rng = random.Random(7)
    assert [p.data for p in MLP(3, [4, 4, 1], seed=7).parameters()] == [rng.uniform(-1, 1) for _ in range(41)]


def test_parameter_order_is_micrographs():
    # Copy our parameters into micrograd's own MLP in parameters() order: if the orders
    # differed, the two networks would compute different things.
    micrograd_nn = pytest.importorskip("micrograd.nn")
    state = random.getstate()  # micrograd initialises from the global generator
    try:
        theirs = micrograd_nn.MLP(2, [16, 16, 1])
    finally:
        random.setstate(state)
    mine = MLP(2, [16, 16, 1], activation="relu", output_activation="linear", seed=3)
    for p, q in zip(mine.parameters(), theirs.parameters(), strict=True):
        q.data = p.data
    data = moons(20, 0.1, seed=1)

    their_loss = hinge_loss(theirs, data.inputs, data.targets)
    their_loss.backward()
    my_loss = hinge_loss(mine, data.inputs, data.targets)
    my_loss.backward()

    assert [mine(x).data for x in data.inputs] == [theirs(x).data for x in data.inputs]
    assert my_loss.data == their_loss.data
    # micrograd adds up a shared node's gradient in set order, so allow for rounding
    for p, q in zip(mine.parameters(), theirs.parameters()):
        assert_close(p.grad, q.grad, 1e-12, p.label)


def test_same_seed_same_network_different_seed_different_network():
    def weights(seed):
        return [p.data for p in MLP(3, [4, 4, 1], seed=seed).parameters()]

    assert weights(1) == weights(1)
    assert weights(1) != weights(2)
    assert all(-1.0 <= w <= 1.0 for w in weights(1))
    assert weights(None) != weights(None)  # unseeded: fresh randomness every time


def test_zero_grad_zeroes_every_parameter():
    model = MLP(3, [4, 4, 1], seed=0)
    lecture_loss(model).backward()
    assert sum(p.grad != 0.0 for p in model.parameters()) > 30
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())


def test_gradients_accumulate_over_fresh_graphs_until_zero_grad():
    model = MLP(3, [4, 4, 1], seed=0)

    def backward_once():
        ((model(LECTURE_XS[0]) - 1.0) ** 2).backward()  # one sample: one contribution per parameter

    backward_once()
    once = [p.grad for p in model.parameters()]
    backward_once()  # forgot zero_grad: the lecture's bug
    assert [p.grad for p in model.parameters()] == [2 * g for g in once]
    model.zero_grad()
    backward_once()
    assert [p.grad for p in model.parameters()] == once


def test_backward_twice_over_the_same_graph_adds_the_same_grads_again():
    model = MLP(3, [4, 4, 1], seed=0)
    loss = (model(LECTURE_XS[0]) - 1.0) ** 2  # one sample: one contribution per parameter
    loss.backward()
    once = [p.grad for p in model.parameters()]
    loss.backward()
    assert [p.grad for p in model.parameters()] == [2 * g for g in once]
    model.zero_grad()
    loss.backward()  # e.g. the graph view's "backward" pressed again after "zero grad"
    assert [p.grad for p in model.parameters()] == once


# ---------------------------------------------------------------- activations and errors


@pytest.mark.parametrize(
    ("kwargs", "activations"),
    [
        ({}, ["tanh", "tanh", "tanh"]),
        ({"activation": "relu", "output_activation": "linear"}, ["relu", "relu", "linear"]),
        ({"activation": "sigmoid"}, ["sigmoid", "sigmoid", "sigmoid"]),
        ({"activation": "linear", "output_activation": "tanh"}, ["linear", "linear", "tanh"]),
        ({"activations": ["relu", "sigmoid", "linear"]}, ["relu", "sigmoid", "linear"]),
    ],
)
def test_hidden_and_output_activations(kwargs, activations):
    model = MLP(2, [5, 4, 1], seed=4, **kwargs)
    assert [layer.activation for layer in model.layers] == activations
    for x in ([0.5, -1.5], [2.0, 1.0], [-3.0, 0.25]):
        assert model(x).data == lecture_forward(model, x, activations).data


@pytest.mark.parametrize(
    ("nin", "nouts"), [(0, [4, 1]), (-1, [4, 1]), (3, []), (3, [4, 0]), (3, [-2, 1]), (3, [0])]
)
def test_bad_sizes_raise_value_error(nin, nouts):
    with pytest.raises(ValueError, match="layer sizes must be positive integers"):
        MLP(nin, nouts)


@pytest.mark.parametrize(
    "make",
    [
        lambda: MLP(3, [4, 1], activation="swish"),
        lambda: MLP(3, [4, 1], output_activation="Tanh"),
        lambda: MLP(3, [4, 1], activations=["tanh", "softmax"]),
        lambda: Layer(3, 2, "gelu"),
        lambda: Neuron(3, "step"),
    ],
    ids=["hidden", "output", "per-layer", "Layer", "Neuron"],
)
def test_bad_activation_names_raise_value_error(make):
    with pytest.raises(
        ValueError, match=r"unknown activation '\w+'; choose one of tanh, relu, sigmoid, linear"
    ):
        make()


def test_one_activation_per_layer_or_value_error():
    with pytest.raises(ValueError, match="1 activations for 2 layers"):
        MLP(3, [4, 1], activations=["tanh"])


@pytest.mark.parametrize("x", [[1.0, 2.0], [1.0, 2.0, 3.0, 4.0], []])
def test_wrong_input_length_raises(x):
    with pytest.raises(ValueError, match=f"takes 3 inputs, got {len(x)}"):
        MLP(3, [4, 1], seed=0)(x)
    with pytest.raises(ValueError, match=f"takes 3 inputs, got {len(x)}"):
        Neuron(3)(x)


def test_outputs_are_a_value_or_a_list():
    assert isinstance(MLP(2, [3, 1], seed=0)([1.0, 2.0]), Value)
    out = MLP(2, [3, 2], seed=0)([1.0, 2.0])
    assert isinstance(out, list) and len(out) == 2 and all(isinstance(v, Value) for v in out)


# ---------------------------------------------------------------- gradients against PyTorch float64


def torch_layers(model: MLP):
    """torch.nn.Linear layers (float64) holding a copy of the model's weights."""
    torch = pytest.importorskip("torch")
    linears = []
    for layer in model.layers:
        linear = torch.nn.Linear(layer.nin, layer.nout, dtype=torch.float64)
        with torch.no_grad():
            # float64 from the start: a float32 tensor in between would round every weight
            weights = [[w.data for w in n.w] for n in layer.neurons]
            linear.weight.copy_(torch.tensor(weights, dtype=torch.float64))
            linear.bias.copy_(torch.tensor([n.b.data for n in layer.neurons], dtype=torch.float64))
        linears.append(linear)
    return linears


def torch_scores(linears, activations, inputs):
    torch = pytest.importorskip("torch")
    h = torch.tensor(inputs, dtype=torch.float64)
    for linear, activation in zip(linears, activations, strict=True):
        h = linear(h)
        h = h if activation == "linear" else getattr(h, activation)()
    return h[:, 0]


def assert_grads_match_torch(model: MLP, linears, tol: float) -> int:
    """Compare every parameter's grad with its torch counterpart; return how many were compared."""
    compared = 0
    for layer, linear in zip(model.layers, linears, strict=True):
        for j, n in enumerate(layer.neurons):
            for i, w in enumerate(n.w):
                assert_close(w.grad, linear.weight.grad[j, i].item(), tol, w.label)
            assert_close(n.b.grad, linear.bias.grad[j].item(), tol, n.b.label)
            compared += len(n.w) + 1
    return compared


def test_lecture_mlp_and_loss_match_torch_float64():
    torch = pytest.importorskip("torch")
    model = MLP(3, [4, 4, 1], seed=42)
    loss = lecture_loss(model)
    loss.backward()

    linears = torch_layers(model)
    ypred = torch_scores(linears, ["tanh"] * 3, LECTURE_XS)
    t_loss = ((ypred - torch.tensor(LECTURE_YS, dtype=torch.float64)) ** 2).sum()
    t_loss.backward()

    assert_close(loss.data, t_loss.item(), 1e-9, "loss")
    assert assert_grads_match_torch(model, linears, 1e-9) == 41
    assert sum(p.grad != 0.0 for p in model.parameters()) > 30


def test_moons_mlp_with_hinge_loss_matches_torch_float64():
    torch = pytest.importorskip("torch")
    data = moons(100, 0.1, seed=0)
    model = MLP(2, [16, 16, 1], activation="relu", output_activation="linear", seed=1)
    loss = hinge_loss(model, data.inputs, data.targets)
    loss.backward()

    linears = torch_layers(model)
    scores = torch_scores(linears, ["relu", "relu", "linear"], data.inputs)
    targets = torch.tensor(data.targets, dtype=torch.float64)
    reg = sum((p * p).sum() for linear in linears for p in linear.parameters())
    t_loss = (1 - targets * scores).relu().mean() + 1e-4 * reg
    t_loss.backward()

    assert_close(loss.data, t_loss.item(), 1e-9, "loss")
    assert assert_grads_match_torch(model, linears, 1e-9) == 337
    assert 0 < (1 - targets * scores > 0).sum().item() < 100  # some samples inside the margin, some not


# ---------------------------------------------------------------- fused MLP vs the lecture's expanded MLP


@pytest.mark.parametrize(
    ("make", "activations", "inputs", "targets"),
    [
        (lambda: MLP(3, [4, 4, 1], seed=5), ["tanh"] * 3, LECTURE_XS, LECTURE_YS),
        (
            lambda: MLP(2, [6, 5, 1], activations=["relu", "sigmoid", "linear"], seed=6),
            ["relu", "sigmoid", "linear"],
            moons(30, 0.1, seed=2).inputs,
            moons(30, 0.1, seed=2).targets,
        ),
    ],
    ids=["lecture", "relu-sigmoid-linear"],
)
def test_mlp_equals_the_lectures_expanded_mlp_bit_for_bit(make, activations, inputs, targets):
    model = make()
    results = []
    for forward in (model, lambda x: lecture_forward(model, x, activations)):
        model.zero_grad()
        scores = [forward(x) for x in inputs]
        loss = sum((s - y) ** 2 for y, s in zip(targets, scores))
        loss.backward()
        results.append(([s.data for s in scores], loss.data, [p.grad for p in model.parameters()]))
    assert results[0] == results[1]


def test_multi_output_mlp_equals_the_lectures_expanded_mlp():
    model = MLP(2, [3, 2], activation="sigmoid", output_activation="tanh", seed=8)
    x = [0.3, -1.2]
    assert [v.data for v in model(x)] == [v.data for v in lecture_forward(model, x, ["sigmoid", "tanh"])]


# ---------------------------------------------------------------- no reference cycles


def live(cls) -> int:
    """How many objects of type `cls` (or a subclass) the interpreter holds right now."""
    return sum(1 for o in gc.get_objects() if issubclass(type(o), cls))


def test_a_graph_is_freed_by_reference_counting_alone():
    gc.collect()
    gc.disable()  # nothing below may rely on the cycle collector
    try:
        before = live(Value)
        model = MLP(3, [4, 4, 1], seed=0)
        loss = lecture_loss(model)
        loss.backward()
        with_graph = live(Value)
        del loss
        with_model = live(Value)
        del model
        after = live(Value)
    finally:
        gc.enable()
    assert with_graph > with_model + 20  # the count does see the graph
    assert with_model == before + 41  # only the parameters are left
    assert after == before


def collectable(build, kinds) -> int:
    """Build and drop a graph with the collector off; how many `kinds` objects it then finds in cycles."""
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)  # keep what collect() finds in gc.garbage, so we can look
    try:
        build()
        gc.collect()
        return sum(1 for o in gc.garbage if isinstance(o, kinds))
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()


def test_the_cycle_collector_finds_nothing_of_ours():
    def build():
        model = MLP(3, [4, 4, 1], seed=0)
        lecture_loss(model).backward()

    assert collectable(build, (Value, Module)) == 0


def test_the_cycle_check_does_find_micrographs_closures():
    micrograd_engine = pytest.importorskip("micrograd.engine")

    def build():  # micrograd's _backward closures hold `out`, which holds them
        x = micrograd_engine.Value(2.0)
        ((x * 3 + 1).relu() * x).backward()

    assert collectable(build, micrograd_engine.Value) > 0


@pytest.mark.parametrize("nin, nouts", [(3, [4.5]), (2.0, [1]), (3, [True]), (3, [])])
def test_layer_sizes_must_be_positive_integers(nin, nouts):
    with pytest.raises(ValueError, match="positive integers"):
        MLP(nin, nouts)


@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid", "linear"])
@pytest.mark.parametrize("inputs", ["numbers", "values", "a reused leaf"])
def test_neuron_call_equals_the_lectures_reference_call_bit_for_bit(activation, inputs):
    """Neuron.__call__'s one node against the lecture's line, written out in `reference_call`."""
    results = []
    for call in ("__call__", "reference_call"):
        neuron = Neuron(4, activation, random.Random(7))
        xs = [Value(v) for v in (0.3, -1.7, 2.5, -0.4)]
        x = {
            "numbers": [0.3, -1.7, 2.5, -0.4],
            "values": xs,
            "a reused leaf": [xs[0], neuron.w[1], xs[0], 2.0],
        }[inputs]
        out = getattr(neuron, call)(x)
        (out * out + out).backward()
        leaves = [*neuron.parameters(), *(v for v in x if isinstance(v, Value))]
        results.append([out.data, *(leaf.grad for leaf in leaves)])
    fused, reference = results
    assert [v.hex() for v in fused] == [v.hex() for v in reference]


def test_reference_call_is_the_lectures_graph():
    neuron = Neuron(3, "tanh", random.Random(0))
    out = neuron.reference_call([1.0, 2.0, 3.0])
    assert out.op == "tanh"
    ops = [node.op for node in topological_order(out) if node.op]
    assert sorted(ops) == sorted(["*"] * 3 + ["+"] * 3 + ["tanh"])
    assert neuron([1.0, 2.0, 3.0]).op == "neuron:tanh"  # the fused call: one node
