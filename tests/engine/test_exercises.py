"""Backprop by hand: answers checked against backward(), hints by operation, the a + a bug named."""

import math

import pytest

from engine.exercises import LECTURE_EXERCISES, Exercise, lecture_exercise


def node(exercise, label):
    return next(n for n in exercise.nodes if n.label == label)


def by_op(exercise, op):
    return next(n for n in exercise.nodes if n.op == op)


def test_the_lecture_exercise_in_chain_rule_order_scores_every_node():
    ex = lecture_exercise(0)  # L = (a·b + c)·f with a=2, b=-3, c=10, f=-2
    out, plus, times = ex.root, by_op(ex, "+"), node(ex, "a").operands or by_op(ex, "*")
    assert ex.ready(out) and not ex.ready(node(ex, "a"))
    assert ex.answer(out, 1.0).accepted
    assert ex.answer(node(ex, "f"), 4.0).accepted  # the other factor: a·b + c = 4
    assert ex.answer(plus, -2.0).accepted
    assert ex.answer(node(ex, "c"), -2.0).accepted
    product = next(n for n in ex.nodes if n.op == "*" and n is not ex.root)
    assert ex.answer(product, -2.0).accepted
    assert ex.answer(node(ex, "a"), 6.0).accepted and ex.answer(node(ex, "b"), -4.0).accepted
    assert ex.done and ex.score == len(ex.nodes) and times is not None


def test_a_node_cannot_be_answered_before_the_nodes_it_feeds():
    ex = lecture_exercise(0)
    verdict = ex.answer(node(ex, "a"), 6.0)
    assert not verdict.accepted and "first the grad of" in verdict.message


def test_a_wrong_answer_gets_the_hint_of_its_operation_then_the_numbers():
    ex = lecture_exercise(0)
    ex.answer(ex.root, 1.0)
    first = ex.answer(node(ex, "f"), 1.0)
    assert not first.accepted and "for *, the local derivative is the other factor" in first.message
    second = ex.answer(node(ex, "f"), 1.0)
    assert not second.accepted and "4 × 1 = 4" in second.message
    assert ex.answer(node(ex, "f"), 4.0).accepted
    assert ex.score == 1  # the output at the first try; f only at the third


def test_the_reused_node_refuses_a_single_contribution_and_names_the_bug():
    ex = lecture_exercise(3)  # a + a
    ex.answer(ex.root, 1.0)
    verdict = ex.answer(node(ex, "a"), 1.0)
    assert not verdict.accepted and "used 2 times" in verdict.message and "a + a" in verdict.message
    assert ex.answer(node(ex, "a"), 2.0).accepted


def test_x_times_x_is_the_sum_of_both_factors():
    ex = lecture_exercise(4)
    ex.answer(ex.root, 1.0)
    assert not ex.answer(node(ex, "x"), -4.0).accepted
    assert ex.answer(node(ex, "x"), -8.0).accepted


@pytest.mark.parametrize("index", range(len(LECTURE_EXERCISES)))
def test_every_lecture_exercise_accepts_the_engines_grads_in_chain_rule_order(index):
    ex = lecture_exercise(index)
    while not ex.done:
        ready = [n for n in ex.nodes if ex.ready(n)]
        assert ready, "the chain rule order must never get stuck"
        for n in ready:
            assert ex.answer(n, ex.truth[n] * (1 + 5e-5)).accepted  # within the 1e-4 tolerance
    assert ex.score == len(ex.nodes)


def test_the_neuron_exercise_has_the_lectures_numbers():
    ex = lecture_exercise(1)
    assert math.isclose(ex.root.data, 0.7071, abs_tol=1e-4)
    assert math.isclose(ex.truth[node(ex, "x1")], -1.5, rel_tol=1e-6)
    assert math.isclose(ex.truth[node(ex, "w1")], 1.0, rel_tol=1e-6)


def test_reveal_answers_without_scoring():
    ex = lecture_exercise(0)
    assert ex.reveal(ex.root) == 1.0 and ex.score == 0 and ex.root in ex.revealed
    assert Exercise.from_expression("own", "x*y + x", {"x": 1.5, "y": 2.0}).progress() == (
        0,
        4,
    )  # x, y, x·y, +
