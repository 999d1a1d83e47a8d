"""Step-through backprop: backward() one node at a time, and the session both graph tabs show."""

import math

import pytest

from engine import MLP
from engine.backprop import BackwardStepper
from engine.data import lecture
from engine.graph import dataset_graph, sample_graph


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
