"""Step-through backprop: backward() one node at a time, and the session both graph tabs show."""

import math

import pytest

from engine import MLP
from engine.backprop import BackpropSession, BackwardStepper
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
            if step.node.value in user.value.operands:
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


# ---- the session both graph tabs show


def lecture_session(seed: int = 0) -> tuple[BackpropSession, dict[str, float]]:
    """A session on one lecture sample's graph, and backward()'s grads by node id."""
    data = lecture()
    session = BackpropSession()
    session.show(sample_graph(MLP(3, [4, 4, 1], seed=seed), data.inputs[0], data.targets[0]))
    return session, {n.id: n.value.grad for n in session.graph.nodes}


def grads(session: BackpropSession) -> dict[str, float]:
    return {n.id: n.value.grad for n in session.graph.nodes}


def test_a_session_steps_through_every_node_and_ends_at_backwards_grads():
    session, backward = lecture_session()
    graph = session.graph
    assert not session.stepping and session.position == 0 and session.highlights == {}
    visited = []
    while session.step():
        current = [node_id for node_id, what in session.highlights.items() if what == "current"]
        assert len(current) == 1 and session.details_id == current[0]
        operands = {node_id for node_id, what in session.highlights.items() if what == "operand"}
        assert operands == {o.id for o in graph.operands(graph.node(current[0]))}
        visited.append(current[0])
    assert len(visited) == session.position == session.total == len(graph) and session.done
    assert visited[0] == graph.of(graph.root).id
    assert grads(session) == backward
    assert session.step_back() and session.position == len(graph) - 1
    assert session.highlights == {visited[-2]: "current"} | {
        o.id: "operand" for o in graph.operands(graph.node(visited[-2]))
    }
    session.restore_backward()
    assert not session.stepping and session.highlights == {} and grads(session) == backward


def test_partial_grads_while_stepping_and_reached_nodes():
    session, backward = lecture_session()
    weight = next(n for n in session.graph.nodes if n.name == "w1.1.1")
    assert backward[weight.id] != 0 and session.reached(weight)
    for _ in range(5):
        session.step()
    assert weight.value.grad == 0.0 and not session.reached(weight)
    assert session.reached(session.graph.of(session.graph.root))
    session.step_to_end()
    assert session.done and weight.value.grad == backward[weight.id] and session.reached(weight)
    assert not session.step()  # nothing left to run
    session.rewind_for_play()  # Play at the end starts over
    assert session.position == 0 and session.last_step is None and session.stepping
    assert not session.step_back()


def test_backward_again_adds_the_leaf_grads_and_zero_grad_restores_them():
    session, backward = lecture_session()
    graph = session.graph
    session.step()
    session.step()
    session.backward_again()  # ends step-through first: from one backward()'s grads
    assert not session.stepping and session.backward_calls == 2
    for n in graph.nodes:
        if n.kind in ("weight", "bias"):  # used once each: the same float added again is exactly 2×
            assert n.value.grad == 2 * backward[n.id], n.name
        elif n.value.operands:  # backward() recomputes the nodes in between from zero
            assert n.value.grad == backward[n.id], n.name
    session.backward_again()
    assert session.backward_calls == 3
    assert all(n.value.grad == 3 * backward[n.id] for n in graph.nodes if n.kind == "weight")
    session.start_stepping()  # step-through starts from one backward()
    assert session.backward_calls == 1
    session.restore_backward()
    assert grads(session) == backward


def test_new_numbers_keep_the_step_or_the_backward_count():
    session, _ = lecture_session(0)
    data = lecture()
    for _ in range(3):
        session.step()
    shown = session.last_step.node.id
    newer = sample_graph(MLP(3, [4, 4, 1], seed=7), data.inputs[0], data.targets[0])
    session.renew(newer)
    assert session.graph is newer and session.position == 3 and session.last_step.node.id == shown
    assert session.last_step.node.value is newer.node(shown).value  # the new graph's nodes
    session.step_to_end()
    fresh = sample_graph(MLP(3, [4, 4, 1], seed=7), data.inputs[0], data.targets[0])
    assert [n.value.grad for n in newer.nodes] == [n.value.grad for n in fresh.nodes]
    session.restore_backward()
    session.backward_again()
    renewed = sample_graph(MLP(3, [4, 4, 1], seed=8), data.inputs[0], data.targets[0])
    session.renew(renewed)
    reference = sample_graph(MLP(3, [4, 4, 1], seed=8), data.inputs[0], data.targets[0])
    reference.root.backward()
    assert session.backward_calls == 2
    assert [n.value.grad for n in renewed.nodes] == [n.value.grad for n in reference.nodes]


def test_selection_users_and_another_graph():
    session, _ = lecture_session()
    graph = session.graph
    hidden = next(n for n in graph.nodes if n.name == "h1.2")
    assert session.select(hidden.id) and session.highlights == {hidden.id: "selected"}
    assert session.details_node is hidden
    assert not session.select("v99999") and session.selected == hidden.id
    users = session.users_of(hidden)
    assert users and all(hidden in graph.operands(u) for u in users)
    assert len(users) == len({u.id for u in users})
    assert session.users_of(graph.of(graph.root)) == []
    session.step()
    assert session.details_id != hidden.id and session.highlights[hidden.id] in ("selected", "operand")
    session.show(sample_graph(MLP(3, [4, 4, 1], seed=1), [1.0, 2.0, 3.0], 1.0))
    assert session.selected is None and session.details_node is None and not session.stepping
    empty = BackpropSession()
    assert not empty.select("v0") and empty.highlights == {} and empty.total == 0
    empty.backward_again()
    empty.restore_backward()
    with pytest.raises(ValueError):
        empty.step()
