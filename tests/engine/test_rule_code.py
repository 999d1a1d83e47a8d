"""The code behind a node is the engine's current source, with the node's numbers put in."""

import inspect

import pytest

from engine import value
from engine.rule_code import rule_source, rule_with_numbers
from engine.value import Value


def test_the_source_shown_is_the_engines_current_rule():
    source = rule_source("*")
    assert source.strip().startswith("@backward_rule") or source.strip().startswith("def ")
    assert "a.grad += b.data * out.grad" in source
    assert (
        inspect.getsource(value.BACKWARD_RULES["*"]).strip().endswith(source.strip().splitlines()[-1].strip())
    )


def test_a_product_shows_its_own_numbers():
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    out = a * b
    out.backward()
    assert rule_with_numbers(out) == [
        ("a.grad += b.data * out.grad", "a.grad += -3 × 1"),
        ("b.grad += a.data * out.grad", "b.grad += 2 × 1"),
    ]


def test_a_power_puts_in_its_exponent():
    x = Value(3.0)
    out = x**2
    out.backward()
    ((code, numbers),) = rule_with_numbers(out)
    assert "n * a.data ** (n - 1)" in code and numbers == "a.grad += (2 × 3 ** (2 - 1)) × 1"


@pytest.mark.parametrize("op", ["+", "tanh", "exp", "log", "relu", "sigmoid", "neuron:tanh"])
def test_every_rule_has_lines_that_add_to_a_grad(op):
    x = Value(0.5)
    node = {"+": lambda: x + x, "tanh": x.tanh, "exp": x.exp, "log": x.log, "relu": x.relu,
            "sigmoid": x.sigmoid, "neuron:tanh": lambda: Value.neuron([Value(0.3)], [x], Value(0.1), "tanh")}[op]()  # fmt: skip
    node.backward()
    assert rule_with_numbers(node) and all("+=" in code for code, _ in rule_with_numbers(node))


def test_an_unknown_operation_is_refused():
    with pytest.raises(ValueError, match="no backward rule"):
        rule_source("%")


def test_an_activations_line_shows_its_slope_written_out():
    """Its rule is made from its slope (engine/value.py): the line reads as the lecture writes it."""
    out = Value(0.5).tanh()
    out.backward()
    ((code, numbers),) = rule_with_numbers(out)
    assert code == "out._prev[0].grad += (1 - out.data**2) * out.grad"
    assert numbers == f"out._prev[0].grad += (1 - {out.data:.6g}**2) × 1"
    assert "return 1 - out**2" in rule_source("tanh")
