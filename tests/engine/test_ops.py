"""The op table (engine/ops.py) agrees with the engine it describes, bit for bit.

Value writes its backward rules by hand under each forward op (engine/value.py); the
table's local derivatives are what the fused neuron, compiled mode and the graph view
use. These tests hold the two to the same numbers.
"""

from __future__ import annotations

import math
import struct

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.network_pass import NETWORK_OP
from engine.neuron import NEURON_OPS, neuron
from engine.ops import ACTIVATION, ACTIVATIONS, OPS, check_activation
from engine.value import BACKWARD_RULES, Value

FLOATS = st.floats(allow_nan=True, allow_infinity=True)
FINITE = st.floats(min_value=-50, max_value=50, allow_nan=False)
GRADS = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)
EXPONENTS = st.sampled_from([0, 1, 2, 3, -1, -2, 0.5, 1.5, -0.5, 2.0])


def bits(x: float) -> bytes:
    """The float's bytes, so that nan == nan and 0.0 != -0.0 (== on floats says neither)."""
    return struct.pack("<d", x) if not math.isnan(x) else b"nan"


def node_of(op: str, a: float, b: float, exponent: float) -> tuple[Value, list[Value]]:
    """A node made by Value's own forward op, and its leaf operands."""
    x, y = Value(a), Value(b)
    if op == "+":
        return x + y, [x, y]
    if op == "*":
        return x * y, [x, y]
    if op == "**":
        return x**exponent, [x]
    return getattr(x, op)(), [x]


def test_every_backward_rule_has_an_entry_in_the_op_table():
    assert set(BACKWARD_RULES) == {*OPS, *NEURON_OPS, NETWORK_OP}
    assert ACTIVATIONS == ("tanh", "relu", "sigmoid", "linear")
    assert all(OPS[op].rule for op in OPS) and all(ACTIVATION[a].rule for a in ACTIVATIONS)


@pytest.mark.parametrize("op", sorted(OPS))
@settings(max_examples=150, deadline=None)
@given(a=FINITE, b=FINITE, exponent=EXPONENTS, g=GRADS)
def test_the_tables_local_derivative_is_the_backward_rule_bit_for_bit(op, a, b, exponent, g):
    if op == "log":
        a = abs(a) + 1e-3
    if op == "**":  # a real power, inside the range of floats
        a = math.copysign(max(abs(a), 1e-3), a)
        a = abs(a) if exponent != int(exponent) else a
    out, leaves = node_of(op, a, b, exponent)
    entry = OPS[op]
    data = tuple(leaf.data for leaf in leaves)
    assert bits(entry.forward(*data) if op != "**" else entry.forward(a, exponent)) == bits(out.data)
    out.grad = g
    BACKWARD_RULES[op](out)
    local = entry.local(data, out.data, out.exponent)
    assert len(local) == len(leaves)
    for leaf, d in zip(leaves, local):
        # the rule adds to a grad of 0.0; x**0 adds nothing at all (its derivative is 0)
        want = 0.0 if op == "**" and exponent == 0 else 0.0 + d * g
        assert bits(leaf.grad) == bits(want), (op, a, b, exponent, g)


@pytest.mark.parametrize("activation", ACTIVATIONS)
@settings(max_examples=200, deadline=None)
@given(z=FLOATS)
def test_an_activation_is_the_value_op_of_its_name_bit_for_bit(activation, z):
    forward = ACTIVATION[activation].forward
    want = z if activation == "linear" else getattr(Value(z), activation)().data
    assert bits(forward(z)) == bits(want)


@pytest.mark.parametrize("activation", ACTIVATIONS)
@settings(max_examples=100, deadline=None)
@given(z=FINITE, g=GRADS)
def test_a_neuron_nodes_rule_uses_the_activations_slope(activation, z, g):
    """A neuron with one input x = 1 and weight w = 0: its bias's grad is slope(out) · g."""
    b = Value(z)
    node = neuron([Value(0.0)], [Value(1.0)], b, activation)
    node.grad = g
    BACKWARD_RULES[node.op](node)
    assert bits(b.grad) == bits(0.0 + ACTIVATION[activation].slope(node.data) * g)


HARD_NUMBERS = np.array(
    [-1e308, -800.0, -40.0, -1.5, -1e-300, -0.0, 0.0, 1e-300, 0.3, 2.0, 40.0, 800.0, 1e308]
)


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_an_activations_array_form_is_its_float_form(activation):
    entry = ACTIVATION[activation]
    values = np.append(HARD_NUMBERS, [np.inf, -np.inf, np.nan])
    with np.errstate(all="ignore"):
        got = entry.on_arrays()(values)
    want = np.array([entry.forward(float(z)) for z in values])
    np.testing.assert_allclose(got, want, rtol=1e-15, atol=0)
    slopes = entry.slope(want)  # the same function on an array of outputs and on each of them
    want_slopes = np.broadcast_to(np.array([entry.slope(float(v)) for v in want], dtype=float), values.shape)
    np.testing.assert_array_equal(np.broadcast_to(slopes, values.shape), want_slopes)


@pytest.mark.parametrize("op", ["tanh", "exp", "log", "relu", "sigmoid"])
def test_a_unary_ops_array_form_is_its_float_form(op):
    entry = OPS[op]
    values = np.abs(HARD_NUMBERS[2:-2]) + 1e-3 if op in ("log", "exp") else HARD_NUMBERS
    got = entry.on_arrays()(values)
    np.testing.assert_allclose(got, [entry.forward(float(v)) for v in values], rtol=1e-15, atol=0)
    (local,) = entry.local((values,), got, None)
    want = [entry.local((float(v),), float(o), None)[0] for v, o in zip(values, got)]
    np.testing.assert_array_equal(np.broadcast_to(local, values.shape), want)


@pytest.mark.parametrize("op", ["+", "*"])
def test_a_binary_ops_array_form_is_its_float_form_and_can_write_in_place(op):
    entry = OPS[op]
    a, b = HARD_NUMBERS[2:-2], HARD_NUMBERS[::-1][2:-2]
    out = np.empty_like(a)
    entry.on_arrays()(a, b, out=out)
    np.testing.assert_array_equal(out, [entry.forward(float(x), float(y)) for x, y in zip(a, b)])


def test_check_activation_names_the_choices_in_the_callers_words():
    assert check_activation("relu") == "relu"
    with pytest.raises(
        ValueError, match=r"^unknown activation 'gelu'; choose one of tanh, relu, sigmoid, linear$"
    ):
        check_activation("gelu")

    class FileError(ValueError):
        pass

    with pytest.raises(FileError, match=r"^layer 2: unknown activation a list; choose one of tanh"):
        check_activation(["tanh"], FileError, "layer 2: ")
    with pytest.raises(ValueError, match=r"unknown activation null;"):
        check_activation(None)
    with pytest.raises(ValueError, match=r"unknown activation 'xxxxxxxxxx"):
        check_activation("x" * 10_000)  # a hostile file's name is cut short, not echoed whole


def test_local_derivatives_of_a_node_are_what_its_rule_passes_to_each_operand():
    """With out.grad = 1 and every operand a leaf of its own, each operand's grad is its local derivative."""
    from engine.ops import local_derivatives

    makers = [
        lambda a, b: Value(a) + Value(b),
        lambda a, b: Value(a) * Value(b),
        lambda a, b: Value(a) ** 3,
        lambda a, b: Value(a) ** 0,
        lambda a, b: Value(a).tanh(),
        lambda a, b: Value(a).exp(),
        lambda a, b: Value(a).relu(),
        lambda a, b: Value(a).sigmoid(),
        lambda a, b: Value(abs(a) + 0.5).log(),
        *(
            lambda a, b, act=act: neuron([Value(0.3), Value(-0.8)], [Value(a), Value(b)], Value(0.1), act)
            for act in ACTIVATIONS
        ),
    ]
    for a, b in [(0.7, -1.3), (-2.0, 0.5), (0.0, 3.0)]:
        for make in makers:
            node = make(a, b)  # every operand a leaf of its own
            node.grad = 1.0
            BACKWARD_RULES[node.op](node)
            got = [bits(0.0 + d) for d in local_derivatives(node)]  # grads start at 0.0: 0.0 + -0.0 is 0.0
            assert got == [bits(0.0 + o.grad) for o in node.operands], (node.op, a, b)
    assert local_derivatives(Value(1.0)) == ()
