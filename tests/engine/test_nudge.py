"""The derivative as a nudge, and the gradient check of a whole model."""

import math

import pytest

from engine.data import lecture
from engine.losses import sse
from engine.network_pass import NETWORK_OP
from engine.nn import MLP
from engine.nudge import STEPS_OF_H, breakdown_h, error_curve, gradient_check, nudge


def f(x: float) -> float:  # the lecture's first function
    return 3 * x**2 - 4 * x + 5


@pytest.mark.parametrize("h", STEPS_OF_H)
def test_the_estimate_is_the_difference_quotient_for_each_h(h):
    result = nudge("3*x**2 - 4*x + 5", {"x": 3.0}, "x", h)
    assert result.before == f(3.0) and result.after == f(3.0 + h)
    assert result.estimate == (f(3.0 + h) - f(3.0)) / h
    assert result.grad == 14.0  # 6x - 4 at x = 3


def test_the_error_falls_with_h_then_rounding_takes_over():
    curve = error_curve("3*x**2 - 4*x + 5", {"x": 3.0}, "x")
    errors = [n.error for n in curve]
    assert errors[0] > errors[3] > 0  # 1e-1 -> 1e-4: the estimate converges
    best = breakdown_h(curve)
    assert 1e-10 <= best <= 1e-6  # the best h is in the middle
    assert errors[-1] > 100 * min(errors)  # at 1e-12 rounding has taken over


def test_an_unknown_variable_is_refused():
    with pytest.raises(ValueError, match="not one of the variables"):
        nudge("x*y", {"x": 1.0, "y": 2.0}, "z", 1e-3)


def lecture_loss(model):
    data = lecture()
    return lambda: sse([model(x) for x in data.inputs], data.targets)


def test_the_gradient_check_agrees_with_backward_on_the_lecture_mlp():
    model = MLP(3, [4, 4, 1], seed=0)
    before = [p.data for p in model.parameters()]
    checks = gradient_check(lecture_loss(model), model.parameters(), h=1e-6)
    assert len(checks) == 41 and not any(c.flagged for c in checks)
    assert max(c.relative_error for c in checks) <= 1e-6
    assert [p.data for p in model.parameters()] == before  # restored exactly


def test_the_gradient_check_flags_a_corrupted_backward_rule(monkeypatch):
    from engine import value

    right = value.BACKWARD_RULES[NETWORK_OP]

    def doubled(out):  # a broken rule: the network's pass sends back twice its grad
        out.grad *= 2
        right(out)

    monkeypatch.setitem(value.BACKWARD_RULES, NETWORK_OP, doubled)
    model = MLP(3, [4, 4, 1], seed=0)
    checks = gradient_check(lecture_loss(model), model.parameters(), h=1e-6)
    assert sum(c.flagged for c in checks) >= 20
    assert all(
        math.isclose(c.analytic, 2 * c.numeric, rel_tol=1e-3) for c in checks if c.name.startswith("w3")
    )
