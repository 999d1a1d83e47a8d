"""Predict, then see: guesses settled by what the engine did, and the hit rate counted right."""

import math

import pytest

from engine.backprop import BackwardStepper
from engine.expression import evaluate
from engine.graph import expression_graph
from engine.predictions import loss_log, loss_outcome, sign_log, sign_of


def test_sign_and_loss_outcomes():
    assert [sign_of(x) for x in (2.5, -1e-300, 0.0, -0.0, math.nan)] == ["+", "-", "0", "0", "0"]
    assert loss_outcome(1.0, 0.5) == "down"
    assert loss_outcome(1.0, 1.0) == "not down"
    assert loss_outcome(1.0, 2.0) == "not down"
    assert loss_outcome(1.0, math.nan) == "not down"


def test_a_guess_waits_for_its_step_then_counts_as_hit_or_miss():
    log = sign_log()
    assert log.summary() == "" and log.hit_rate is None
    log.guess("a", "+")
    assert log.pending is not None and log.settled == []
    assert log.settle("+").hit
    log.guess("b", "-")
    log.guess("b", "0")  # a change of mind replaces the waiting guess
    assert len(log.predictions) == 2
    assert not log.settle("-").hit
    log.guess("c", "+")
    log.withdraw()  # its step will not run
    assert log.pending is None and len(log.predictions) == 2
    assert log.settle("+") is None  # nothing waited: nothing counted
    assert log.hits == 1 and log.hit_rate == 0.5
    assert log.summary() == "1 of 2 right (50%)"


def test_unknown_guesses_and_outcomes_are_refused():
    log = loss_log()
    with pytest.raises(ValueError):
        log.guess("step 1", "+")
    log.guess("step 1", "down")
    with pytest.raises(ValueError):
        log.settle("up")


def test_guessing_every_operand_before_each_step_of_a_neuron_matches_backward():
    """Guess "+" for every node a step reaches; the hits are the grads backward() made positive."""
    root, leaves = evaluate("(x1*w1 + x2*w2 + b).tanh()", {"x1": 2, "x2": 0, "w1": -3, "w2": 1, "b": 6.88})
    root.backward()
    graph = expression_graph(root, leaves)
    stepper = BackwardStepper(graph)
    log = sign_log()
    while not stepper.done:
        node = stepper.order[stepper.position]
        operands = graph.operands(node)
        if not operands:
            stepper.step()
            continue
        log.guess(operands[0].name or operands[0].id, "+")
        stepper.step()
        log.settle(sign_of(operands[0].value.grad))
    expected = sum(
        1
        for node in graph.nodes
        for first in graph.operands(node)[:1]
        if sign_of(_grad_after_rule(graph, node, first)) == "+"
    )
    assert log.hits == expected
    assert len(log.settled) == sum(1 for n in graph.nodes if n.value.operands)


def _grad_after_rule(graph, node, operand):
    """The operand's grad right after `node`'s rule ran, replayed by a fresh stepper."""
    stepper = BackwardStepper(graph)
    while stepper.order[stepper.position] is not node:
        stepper.step()
    stepper.step()
    grad = operand.value.grad
    stepper.seek(len(stepper.order))
    return grad
