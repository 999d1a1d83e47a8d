"""The graph of a broken step: the sample's graph as the graph view draws it, and the node where it broke."""

from __future__ import annotations

import math

import pytest

from engine.broken_graph import broken_sample_graph, unmade_text
from engine.data import lecture
from engine.diagnostics import find_breakdown
from engine.settings import TrainSettings
from engine.spec import ModelSpec
from engine.weights import ModelWeights

SPEC = ModelSpec([4], ["tanh"], "linear")


def weights_with_output_bias(bias: float) -> ModelWeights:
    weights = ModelWeights.from_model(SPEC.build(3))
    weights.layers[-1].bias[0] = bias
    return weights


@pytest.mark.parametrize("expanded", [True, False])
def test_an_op_that_raised_ends_the_graph_at_its_operand(expanded):
    data = lecture()
    broken = broken_sample_graph(
        weights_with_output_bias(1e200).to_model(), data.inputs[0], data.targets[0], "sse", expanded, False
    )
    graph, node = broken.graph, broken.node
    assert node.value is graph.root and node.value.data == pytest.approx(1e200, rel=1e-6)
    assert [o.name for o in graph.operands(node)][0] == "out"
    assert {n.kind for n in graph.nodes} >= {"input", "bias", "value"}  # inputs and parameters as usual
    assert [n.name for n in graph.nodes if n.kind == "input"] == ["x1", "x2", "x3"]
    assert "** 2 was never computed" in unmade_text(broken)


@pytest.mark.parametrize("expanded", [True, False])
def test_inf_data_is_found_first_in_topological_order(expanded):
    data = lecture()
    weights = weights_with_output_bias(1.5e308)
    weights.layers[-1].weight[0] = [1.5e308] * 4  # the output's sum passes the largest float: inf, no error
    broken = broken_sample_graph(weights.to_model(), data.inputs[0], data.targets[0], "sse", expanded, False)
    nodes = broken.graph.nodes
    at = nodes.index(broken.node)
    assert math.isinf(broken.node.value.data) and not broken.unmade
    assert all(math.isfinite(n.value.data) for n in nodes[:at])


def test_a_finite_graph_has_no_broken_node_and_a_parameter_is_found_by_name():
    data = lecture()
    weights = ModelWeights.from_model(SPEC.build(3))
    expanded = broken_sample_graph(
        weights.to_model(), data.inputs[0], data.targets[0], "sse", True, False, "w2.1.3"
    )
    assert expanded.node.name == "w2.1.3" and expanded.node.kind == "weight" and not expanded.unmade
    collapsed = broken_sample_graph(
        weights.to_model(), data.inputs[0], data.targets[0], "sse", False, False, "w2.1.3"
    )
    assert "w2.1.3" in {o.name for o in collapsed.graph.operands(collapsed.node)}  # the neuron holding it
    assert (
        broken_sample_graph(weights.to_model(), data.inputs[0], data.targets[0], "sse", True, False).node
        is None
    )


def test_find_breakdown_names_the_parameter_an_update_overflows():
    settings = TrainSettings(steps=5, loss="sse", learning_rate=100.0)
    weights = weights_with_output_bias(1e12)
    # one step from these weights runs; the next update throws a weight past the limit
    from engine.train import Trainer

    trainer = Trainer(weights.to_model(), lecture(), settings)
    assert trainer.step() is not None
    found = find_breakdown(trainer.model, lecture(), settings, 2)
    assert found.phase == "update" and found.parameter == found.node == "w2.1.1"
    assert find_breakdown(weights.to_model(), lecture(), settings, 1) is None
    overflow = find_breakdown(weights_with_output_bias(1e200).to_model(), lecture(), settings, 1)
    assert overflow.parameter is None and overflow.sample == 0
