"""The drawn graph: what its nodes carry, the forms a neuron takes, and step-through backprop."""

import math
import os
import re
import xml.etree.ElementTree as ET

import pytest

from engine import MLP, Value
from engine.data import lecture
from engine.graph import (
    BackwardStepper,
    Graph,
    GraphError,
    SvgGraph,
    dataset_graph,
    format_number,
    layout_svg,
    sample_graph,
)
from engine.losses import sse

needs_dot = pytest.mark.skipif(
    not __import__("shutil").which("dot"), reason="Graphviz's dot is not installed"
)


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


def svg_numbers(svg: bytes) -> dict[str, tuple[str, str]]:
    """node id -> (data text, grad text), read back from the SVG."""
    ns = "{http://www.w3.org/2000/svg}"
    out = {}
    for g in ET.fromstring(svg).iter(f"{ns}g"):
        texts = [t.text for t in g.iter(f"{ns}text") if t.text and t.text.startswith(("data", "grad"))]
        if len(texts) >= 2 and re.fullmatch(r"v\d+", g.get("id", "")):
            out[g.get("id")] = (texts[-2], texts[-1])
    return out


@needs_dot
def test_lecture_neuron_graph_shows_the_engines_numbers():
    o, leaves = lecture_neuron()
    graph = Graph(o)
    assert len(graph) == 10  # 5 leaves, 2 products, 2 sums, tanh
    assert graph.of(o).kind == "output"
    assert leaves["x1"].grad == pytest.approx(-1.5) and leaves["w2"].grad == 0.0
    svg = SvgGraph(layout_svg(graph.to_dot()), graph)
    shown = svg_numbers(svg.to_bytes())
    assert set(shown) == {n.id for n in graph.nodes}
    for node in graph.nodes:
        assert shown[node.id] == (
            f"data {format_number(node.value.data)}",
            f"grad {format_number(node.value.grad)}",
        )
    assert shown[graph.of(leaves["w1"]).id][1] == "grad 1.0000"


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


def test_step_through_visits_every_node_once_users_first_and_ends_at_backwards_grads():
    model, data = MLP(3, [4, 4, 1], seed=0), lecture()
    graph = dataset_graph(model, data)  # the whole lecture loss: nodes reused across samples
    expected = {n.id: n.value.grad for n in graph.nodes}
    stepper = BackwardStepper(graph)
    assert all(n.value.grad == (1.0 if n.value is graph.root else 0.0) for n in graph.nodes)
    visited = []
    while (step := stepper.step()) is not None:
        visited.append(step.node.id)
        # every user of this node was visited before it
        for user in graph.nodes:
            if step.node.value in user.value._prev:
                assert user.id in visited[:-1]
        for operand, local, added in step.contributions:
            if sum(1 for o, _, _ in step.contributions if o is operand) == 1 and math.isfinite(added):
                assert added == pytest.approx(local * step.upstream, rel=1e-9, abs=1e-15)
    assert sorted(visited) == sorted(n.id for n in graph.nodes) and len(visited) == len(set(visited))
    assert {n.id: n.value.grad for n in graph.nodes} == expected  # exactly backward()'s


def test_step_through_seek_replays_to_any_point():
    graph = sample_graph(MLP(3, [4, 4, 1], seed=1), [1.0, -2.0, 0.5], 1.0)
    stepper = BackwardStepper(graph)
    for _ in range(7):
        stepper.step()
    after_seven = [n.value.grad for n in graph.nodes]
    stepper.seek(20)
    stepper.seek(7)
    assert [n.value.grad for n in graph.nodes] == after_seven
    assert stepper.position == 7


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
        f = (lambda a, n=v._arg: a**n) if v._op == "**" else ops.get(v._op)
        if f is None:
            continue
        datas = [p.data for p in v._prev]
        for i, (_operand, local) in enumerate(graph.local_derivatives(node)):
            h = 1e-6 * max(1.0, abs(datas[i]))
            hi, lo = list(datas), list(datas)
            hi[i] += h
            lo[i] -= h
            assert local == pytest.approx((f(*hi) - f(*lo)) / (2 * h), rel=1e-5, abs=1e-8), v._op
            checked.add(v._op)
    assert checked == {"+", "*", "**", "tanh", "exp", "log", "relu", "sigmoid"}
    neuron = Value.neuron([Value(0.5), Value(-2.0)], [a, b], Value(0.1), "tanh")
    g = Graph(neuron)
    derivs = {op.value: d for op, d in g.local_derivatives(g.of(neuron))}
    h = 1e-7
    a.data += h
    up = Value.neuron(list(neuron._prev[3:]), [a, b], neuron._prev[2], "tanh").data
    a.data -= 2 * h
    down = Value.neuron(list(neuron._prev[3:]), [a, b], neuron._prev[2], "tanh").data
    a.data += h
    assert derivs[a] == pytest.approx((up - down) / (2 * h), rel=1e-6)


@needs_dot
def test_svg_numbers_and_highlights_change_without_a_new_layout():
    o, leaves = lecture_neuron()
    graph = Graph(o)
    svg = SvgGraph(layout_svg(graph.to_dot()), graph)
    before = svg.to_bytes()
    o.backward()  # a second backward without zero_grad: leaf grads double
    svg.update()
    shown = svg_numbers(svg.to_bytes())
    assert shown[graph.of(leaves["x1"]).id][1] == f"grad {format_number(2 * -1.5)}"
    node_id = graph.of(leaves["w1"]).id
    svg.highlight({node_id: ("#d62728", 3.0)})
    assert b'stroke="#d62728"' in svg.to_bytes() and b'stroke="#d62728"' not in before


def test_graph_too_large_and_dot_missing_or_slow_give_clear_errors(monkeypatch):
    x = Value(1.0)
    for _ in range(3001):
        x = x + 1
    with pytest.raises(GraphError, match="too many"):
        Graph(x)
    monkeypatch.setattr("shutil.which", lambda name: None)
    with pytest.raises(GraphError, match="apt-get install graphviz"):
        layout_svg("digraph { a -> b }")


def test_layout_time_limit_kills_dot(monkeypatch, tmp_path):
    pid_file = tmp_path / "dot.pid"
    fake = tmp_path / "dot"
    fake.write_text(f"#!/bin/sh\necho $$ > {pid_file}\nexec sleep 60\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    with pytest.raises(GraphError, match="more than 0.5 s"):
        layout_svg("digraph { a -> b }", timeout=0.5)
    pid = int(pid_file.read_text())
    with pytest.raises(ProcessLookupError):  # killed and reaped, not left sleeping
        os.kill(pid, 0)


def test_numbers_fit_their_reserved_width():
    for x in [0.0, 1.0, -3.8240, 123.45678, -9999.5, 1e-9, -2.5e-7, 1e12, 0.00012]:
        assert len(format_number(x)) <= 9, x


def test_collapsed_graphs_fold_parameters_into_their_neurons():
    model, data = MLP(2, [16, 16, 1], activation="relu", output_activation="linear", seed=0), lecture()
    graph = sample_graph(model, [0.5, -0.2], 1.0, loss="hinge", expanded=False)
    drawn = [n for n in graph.nodes if graph.is_drawn(n)]
    assert len(drawn) < 50 < len(graph)  # 337 parameters live in the graph but are not drawn
    dot = graph.to_dot()
    for p in model.parameters():
        assert f"  {graph.of(p).id} [" not in dot and f"{graph.of(p).id} ->" not in dot
    assert all(f"  {n.id} [" in dot for n in drawn)
    expanded = sample_graph(model, [0.5, -0.2], 1.0, loss="hinge", expanded=True)
    assert all(expanded.is_drawn(n) for n in expanded.nodes)
    assert data.n_inputs == 3


def test_exported_dot_carries_the_numbers():
    o, leaves = lecture_neuron()
    dot = Graph(o).to_dot(numbers=True)
    assert "grad 1.0000" in dot and "data 0.7071" in dot and "---------" not in dot
