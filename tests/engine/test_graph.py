"""The graph model: what its nodes carry, the forms a neuron takes, and how large it is drawn."""

import math

import pytest

from engine import MLP, Value
from engine.data import lecture
from engine.graph import Graph, GraphError, drawn_edge_count, drawn_size, sample_graph
from engine.losses import sse
from engine.teaching import format_number
from engine.weights import LayerWeights, ModelWeights


def lecture_neuron():
    """The lecture's single neuron: o = tanh(x1*w1 + x2*w2 + b)."""
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    n = x1 * w1 + x2 * w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    o.backward()
    return o, {"x1": x1, "x2": x2, "w1": w1, "w2": w2, "b": b}


def independent_grads(model: MLP, x, y) -> list[float]:
    """Grads of one sample's squared error, computed the plain way on a copy of the weights."""
    twin = MLP(model.nin, model.sizes, activations=[layer.activation for layer in model.layers])
    for a, b in zip(twin.parameters(), model.parameters()):
        a.data = b.data
    loss = sse([twin(x)], [y])
    loss.backward()
    return [p.grad for p in twin.parameters()]


@pytest.mark.parametrize("expanded", [True, False])
def test_mlp_sample_graph_carries_exactly_the_engines_grads(expanded):
    model, data = MLP(3, [4, 4, 1], seed=0), lecture()
    graph = sample_graph(model, data.inputs[0], data.targets[0], expanded=expanded)
    expected = independent_grads(model, data.inputs[0], data.targets[0])
    assert [p.grad for p in model.parameters()] == expected
    kinds = {graph.of(p).kind for p in model.parameters()}
    assert kinds == {"weight", "bias"}
    assert graph.of(graph.root).value.label == "loss"
    inputs = [n for n in graph.nodes if n.kind == "input"]
    assert [n.name for n in inputs] == ["x1", "x2", "x3"]


def leaf_grads(model: MLP, **form) -> list[float]:
    data = lecture()
    sample_graph(model, data.inputs[2], data.targets[2], **form)
    return [p.grad for p in model.parameters()]


def test_expanded_and_collapsed_neurons_give_identical_grads():
    model = MLP(3, [4, 4, 1], seed=5)
    assert leaf_grads(model, expanded=True) == leaf_grads(model, expanded=False)
    relu = MLP(3, [4, 4, 1], activation="relu", output_activation="linear", seed=5)
    assert leaf_grads(relu, expanded=True) == leaf_grads(relu, expanded=False)


def test_tanh_as_one_node_or_as_exps_gives_the_same_grads():
    model = MLP(3, [4, 4, 1], seed=2)
    one = leaf_grads(model, expanded=True)
    exps = leaf_grads(model, expanded=True, tanh_as_exp=True)
    assert max(abs(a - b) for a, b in zip(one, exps)) <= 1e-12
    assert max(abs(g) for g in one) > 1e-3  # a real comparison, not of zeros
    graph = sample_graph(model, lecture().inputs[0], 1.0, tanh_as_exp=True)
    ops = {n.op for n in graph.nodes}
    assert "exp" in ops and "tanh" not in ops


def test_local_derivatives_match_finite_differences():
    a, b = Value(0.7, label="a"), Value(-1.3, label="b")
    root = ((a * b).tanh() + (a**3) / b.exp() + (a + 2).log() + b.sigmoid() + (a - b).relu()).tanh()
    graph = Graph(root)
    ops = {
        "+": lambda a, b: a + b,
        "*": lambda a, b: a * b,
        "tanh": math.tanh,
        "exp": math.exp,
        "log": math.log,
        "relu": lambda a: max(a, 0.0),
        "sigmoid": lambda a: 1 / (1 + math.exp(-a)),
    }
    checked = set()
    for node in graph.nodes:
        v = node.value
        f = (lambda a, n=v.exponent: a**n) if v.op == "**" else ops.get(v.op)
        if f is None:
            continue
        datas = [p.data for p in v.operands]
        for i, (_operand, local) in enumerate(graph.local_derivatives(node)):
            h = 1e-6 * max(1.0, abs(datas[i]))
            hi, lo = list(datas), list(datas)
            hi[i] += h
            lo[i] -= h
            assert local == pytest.approx((f(*hi) - f(*lo)) / (2 * h), rel=1e-5, abs=1e-8), v.op
            checked.add(v.op)
    assert checked == {"+", "*", "**", "tanh", "exp", "log", "relu", "sigmoid"}
    neuron = Value.neuron([Value(0.5), Value(-2.0)], [a, b], Value(0.1), "tanh")
    g = Graph(neuron)
    derivs = {op.value: d for op, d in g.local_derivatives(g.of(neuron))}
    h = 1e-7
    a.data += h
    up = Value.neuron(list(neuron.operands[3:]), [a, b], neuron.operands[2], "tanh").data
    a.data -= 2 * h
    down = Value.neuron(list(neuron.operands[3:]), [a, b], neuron.operands[2], "tanh").data
    a.data += h
    assert derivs[a] == pytest.approx((up - down) / (2 * h), rel=1e-6)


def test_a_graph_too_large_to_draw_gives_a_clear_error():
    x = Value(1.0)
    for _ in range(3001):
        x = x + 1
    with pytest.raises(GraphError, match="too many"):
        Graph(x)


def test_numbers_fit_their_reserved_width():
    for x in [0.0, 1.0, -3.8240, 123.45678, -9999.5, 1e-9, -2.5e-7, 1e12, 0.00012]:
        assert len(format_number(x)) <= 9, x


def test_the_drawn_size_is_about_the_number_of_nodes_drawn():
    data = lecture()
    for model in (
        MLP(3, [4, 4, 1], seed=0),
        MLP(3, [5, 2, 1], activation="relu", output_activation="linear", seed=1),
    ):
        weights = ModelWeights.from_model(model)
        for expanded in (True, False):
            graph = sample_graph(model, data.inputs[0], data.targets[0], "sse", expanded)
            drawn = sum(1 for n in graph.nodes if graph.is_drawn(n))
            assert drawn <= drawn_size(weights, 1, expanded) <= drawn + 1, expanded
            assert drawn_size(weights, 4, expanded) > 3 * drawn  # every sample draws its own pass
    tanh = ModelWeights.from_model(MLP(3, [4, 4, 1], seed=0))
    assert drawn_size(tanh, 1, True, tanh_as_exp=True) == drawn_size(tanh, 1, True) + 6 * 9


def test_the_drawn_edge_count_bounds_the_arrows():
    weights = ModelWeights(2, [LayerWeights("tanh", [[0.5, -1.0], [1.0, 2.0]], [0.25, 0.0])])
    assert drawn_edge_count(weights, 1, expanded=False) == 2 * 3 + 6
    assert drawn_edge_count(weights, 3, expanded=True) == 3 * (2 * (6 * 2 + 4) + 6)
