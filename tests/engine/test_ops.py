"""Each local derivative is written once (engine/value.py) and the op table computes with it.

Value's backward rules and the activations' slopes are the only place a derivative is
written; the op table (engine/ops.py) runs them, on floats for the teaching texts and on
NumPy arrays for compiled mode. These tests hold that single home to the truth (PyTorch
float64 and finite differences), and hold backward() to the chain rule it teaches: each
operand's grad grows by its local derivative times out.grad, bit for bit.
"""

from __future__ import annotations

import math
import struct

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.network_outputs import NETWORK_OUTPUT_OP, SHARED_PASS_OP
from engine.network_pass import NETWORK_OP
from engine.neuron import NEURON_OPS, neuron
from engine.ops import ACTIVATION, ACTIVATIONS, OPS, RULE_TEXTS, SLOPES, check_activation, local_derivatives
from engine.value import BACKWARD_RULES, Value

FLOATS = st.floats(allow_nan=True, allow_infinity=True)
FINITE = st.floats(min_value=-50, max_value=50, allow_nan=False)
GRADS = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)
EXPONENTS = st.sampled_from([0, 1, 2, 3, -1, -2, 0.5, 1.5, -0.5, 2.0])
UNARY = ["tanh", "exp", "log", "relu", "sigmoid"]


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


def in_domain(op: str, a: float, exponent: float) -> float:
    """`a` moved where `op` is real and differentiable: log of a positive, a real power of a non-zero."""
    if op == "log":
        return abs(a) + 1e-3
    if op == "**":
        a = math.copysign(max(abs(a), 1e-3), a)
        return abs(a) if exponent != int(exponent) else a
    return a


def test_every_derivative_has_one_home_and_the_table_reads_it():
    assert set(BACKWARD_RULES) == {*OPS, *NEURON_OPS, NETWORK_OP, NETWORK_OUTPUT_OP, SHARED_PASS_OP}
    assert ACTIVATIONS == ("tanh", "relu", "sigmoid", "linear")
    assert set(SLOPES) == set(ACTIVATIONS)
    for name in ACTIVATIONS:
        assert ACTIVATION[name].slope is SLOPES[name] and ACTIVATION[name].rule == RULE_TEXTS[name]
    for op in OPS:
        assert OPS[op].rule == RULE_TEXTS[op] and OPS[op].rule.startswith("∂")
    assert all(OPS[a].rule == ACTIVATION[a].rule for a in ("tanh", "relu", "sigmoid"))


def torch_local(op: str, a: float, b: float, exponent: float) -> list[float]:
    """∂out/∂operand by PyTorch's autograd, in float64."""
    x = torch.tensor(a, dtype=torch.float64, requires_grad=True)
    y = torch.tensor(b, dtype=torch.float64, requires_grad=True)
    operands = [x, y] if op in ("+", "*") else [x]
    out = {
        "+": lambda: x + y,
        "*": lambda: x * y,
        "**": lambda: x**exponent,
        "tanh": lambda: torch.tanh(x),
        "exp": lambda: torch.exp(x),
        "log": lambda: torch.log(x),
        "relu": lambda: torch.relu(x),
        "sigmoid": lambda: torch.sigmoid(x),
    }[op]()
    grads = torch.autograd.grad(out, operands, allow_unused=True)
    return [0.0 if g is None else g.item() for g in grads]


@pytest.mark.parametrize("op", sorted(OPS))
@settings(max_examples=150, deadline=None)
@given(a=FINITE, b=FINITE, exponent=EXPONENTS)
def test_each_local_derivative_is_pytorchs(op, a, b, exponent):
    a = in_domain(op, a, exponent)
    out, leaves = node_of(op, a, b, exponent)
    local = OPS[op].local(tuple(leaf.data for leaf in leaves), out.data, out.exponent)
    want = torch_local(op, a, b, exponent)
    assert len(local) == len(want)
    for got, expected in zip(local, want):
        # 1 - tanh² of a large |a| cancels: a last-bit difference in tanh is ~1e-16 absolute there
        assert math.isclose(got, expected, rel_tol=1e-12, abs_tol=1e-15), (op, a, b, exponent)


@pytest.mark.parametrize("op", sorted(OPS))
@pytest.mark.parametrize("a", [-1.7, -0.4, 0.3, 1.2, 2.5])
def test_each_local_derivative_is_the_slope_of_a_nudge(op, a):
    """The lecture's check: (f(a + h) - f(a - h)) / 2h, for each operand in turn."""
    b, exponent, h = 0.8, 3, 1e-6
    a = in_domain(op, a, exponent)
    out, leaves = node_of(op, a, b, exponent)
    local = OPS[op].local(tuple(leaf.data for leaf in leaves), out.data, out.exponent)
    for i in range(len(leaves)):
        nudged = [[a, b], [a, b]]
        nudged[0][i] += h
        nudged[1][i] -= h
        up, down = (node_of(op, x, y, exponent)[0].data for x, y in nudged)
        assert math.isclose(local[i], (up - down) / (2 * h), rel_tol=1e-6, abs_tol=1e-8), (op, a, i)


@pytest.mark.parametrize("op", sorted(OPS))
@settings(max_examples=150, deadline=None)
@given(a=FINITE, b=FINITE, exponent=EXPONENTS, g=GRADS)
def test_backward_adds_local_times_out_grad_to_each_operand_bit_for_bit(op, a, b, exponent, g):
    """The chain rule as the lecture writes it, operand.grad += local · out.grad, with any out.grad."""
    out, leaves = node_of(op, in_domain(op, a, exponent), b, exponent)
    local = OPS[op].local(tuple(leaf.data for leaf in leaves), out.data, out.exponent)
    out.grad = g
    BACKWARD_RULES[op](out)  # what backward() runs for this node
    for leaf, d in zip(leaves, local):
        want = 0.0 if op == "**" and exponent == 0 else 0.0 + d * g  # x**0 adds nothing at all
        assert bits(leaf.grad) == bits(want), (op, a, b, exponent, g)


@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid"])
@settings(max_examples=100, deadline=None)
@given(z=FINITE, g=GRADS)
def test_an_activation_nodes_rule_is_its_slope_times_out_grad(activation, z, g):
    x = Value(z)
    node = getattr(x, activation)()
    node.grad = g
    BACKWARD_RULES[activation](node)
    assert bits(x.grad) == bits(0.0 + SLOPES[activation](node.data) * g)


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


def test_x_to_the_0_passes_nothing_back_even_when_out_grad_is_infinite():
    """Its local derivative is 0, but 0 · inf would be NaN: the rule adds nothing, on floats and arrays."""
    power = OPS["**"]
    assert power.rule_on(1, 1.0, 0).locals(0.0) == (None, None)  # nothing, rather than a local of 0
    assert power.local((0.0,), 1.0, 0) == (0.0,)  # as the teaching texts show it
    assert power.rule_on(1, np.ones(3), 0).locals(np.zeros(3)) == (None, None)
    x = Value(0.0)
    loss = x**0 * Value(math.inf)
    loss.backward()
    assert bits(x.grad) == bits(0.0)


HARD_NUMBERS = np.array(
    [-1e308, -800.0, -40.0, -1.5, -1e-300, -0.0, 0.0, 1e-300, 0.3, 2.0, 40.0, 800.0, 1e308]
)


def array_case(op: str) -> tuple[np.ndarray, np.ndarray, float | None]:
    """Operands (a, b), hard numbers, and an exponent: what compiled mode meets in one array op."""
    a, b = HARD_NUMBERS, HARD_NUMBERS[::-1].copy()
    if op == "log":
        return np.abs(a) + 1e-3, b, None
    if op == "exp":
        return np.abs(a[2:-2]) + 1e-3, b[2:-2], None
    if op == "**":
        return np.abs(a[2:-2]) + 1e-3, b[2:-2], 1.5
    return a, b, None


@pytest.mark.parametrize("op", sorted(OPS))
def test_on_arrays_a_rule_gives_what_it_gives_on_each_float(op):
    """Compiled mode reads the locals from the same rules on arrays, then adds local · g: element by
    element, what the plain engine's rule adds."""
    from engine.compiled.array_ops import chain

    entry = OPS[op]
    a, b, exponent = array_case(op)
    data = (a, b) if op in ("+", "*") else (a,)
    g = np.linspace(-3.0, 3.0, len(a))
    with np.errstate(all="ignore"):
        out = entry.on_arrays()(*data, exponent) if op == "**" else entry.on_arrays()(*data)
        locals_ = entry.rule_on(len(data), out, exponent).locals(*data)
        passed = [chain(local, g) for local in locals_[: len(data)]]  # compiled mode's chain rule
    for i in range(len(a)):
        node, leaves = node_of(op, float(a[i]), float(b[i]), exponent)
        node.data = float(out[i])  # np.tanh may differ from math.tanh in the last bit: the same out for both
        node.grad = float(g[i])
        BACKWARD_RULES[op](node)
        for leaf, on_arrays in zip(leaves, passed):
            assert bits(0.0 + float(np.broadcast_to(on_arrays, a.shape)[i])) == bits(leaf.grad), (op, a[i])


@pytest.mark.parametrize("activation", ACTIVATIONS)
@settings(max_examples=200, deadline=None)
@given(z=FLOATS)
def test_an_activation_is_the_value_op_of_its_name_bit_for_bit(activation, z):
    forward = ACTIVATION[activation].forward
    want = z if activation == "linear" else getattr(Value(z), activation)().data
    assert bits(forward(z)) == bits(want)


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


@pytest.mark.parametrize("op", UNARY)
def test_a_unary_ops_array_form_is_its_float_form(op):
    entry = OPS[op]
    values = np.abs(HARD_NUMBERS[2:-2]) + 1e-3 if op in ("log", "exp") else HARD_NUMBERS
    got = entry.on_arrays()(values)
    np.testing.assert_allclose(got, [entry.forward(float(v)) for v in values], rtol=1e-15, atol=0)


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
            node.backward()
            got = [bits(0.0 + d) for d in local_derivatives(node)]  # grads start at 0.0: 0.0 + -0.0 is 0.0
            assert got == [bits(0.0 + o.grad) for o in node.operands], (node.op, a, b)
    assert local_derivatives(Value(1.0)) == ()


def test_compiled_mode_passes_nothing_back_through_x_to_the_0_as_backward_does():
    """It used to add 0 · inf = NaN where the plain engine's rule adds nothing: now both run that rule."""
    from engine.compiled import CompiledStep, compile_graph

    def build(a: Value, b: Value) -> Value:
        return a**0 * (b * 1e308 * 1e308)  # the grad reaching a**0 is inf

    plain = [Value(0.5), Value(2.0)]
    build(*plain).backward()
    traced = [Value(0.5), Value(2.0)]
    program = compile_graph(build(*traced), [], traced, [], [])
    assert isinstance(program, CompiledStep), program
    grads = np.zeros(2)
    with np.errstate(all="ignore"):
        program.run(np.array([0.5, 2.0]), grads, np.zeros((0, 0)), [])
    assert plain[0].grad == 0.0 and grads[0] == 0.0
