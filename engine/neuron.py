"""A whole neuron as one node: ``act(b + w1*x1 + ... + wn*xn)``.

The lecture builds a neuron from 2n + 1 nodes ("*" and "+" for each input, then
the activation). Training makes that graph for every sample and step, so the engine
can make one node instead: it computes the same floats in the same order, so data and
every gradient are bit for bit the lecture's, and `expand_neuron` rebuilds the
lecture's form of any neuron node for the graph view.

A neuron node keeps its input count n in `n_inputs` (no other node has one). Its
operands are (x1..xn, b, w1..wn), the inputs first: the inputs in `_prev`, the only
nodes backward() walks on from it, and (b, w1..wn) in `_params`, leaves (parameters).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from operator import attrgetter

from engine.ops import ACTIVATION, NEURON_OPS, check_activation
from engine.value import BACKWARD_RULES, Number, Value, as_values

__all__ = [
    "NEURON_OPS",
    "expand_neuron",
    "lecture_neuron",
    "neuron",
    "neuron_inputs",
    "neuron_node",
    "neuron_parameters",
    "neuron_parts",
    "topological_order_by_parts",
]


_ACTIVATION_OF_OP = {op: ACTIVATION[op.split(":")[1]] for op in NEURON_OPS}
_FORWARD_OF_OP = {op: act.forward for op, act in _ACTIVATION_OF_OP.items()}


def neuron(
    weights: Sequence[Value], inputs: Sequence[Value | Number], bias: Value, activation: str = "linear"
) -> Value:
    """One node for ``activation(b + w1*x1 + ... + wn*xn)``, with every argument checked.

    Equal, bit for bit, in data and in every gradient, to the lecture's
    ``sum((w*x for w, x in zip(weights, inputs)), bias)`` followed by the activation
    ("tanh", "relu", "sigmoid" or "linear"), with one node instead of 2n + 1.
    """
    if len(inputs) != len(weights):
        raise ValueError(f"{len(weights)} weights but {len(inputs)} inputs")
    if bias.operands or any(w.operands for w in weights):
        raise ValueError("a neuron's weights and bias must be leaf Values (parameters)")
    check_activation(activation)
    xs = as_values(inputs)
    return neuron_node(weights, xs, bias, f"neuron:{activation}", [x.data for x in xs])


def neuron_node(
    weights: Sequence[Value], inputs: Sequence[Value], bias: Value, op: str, input_data: Sequence[float]
) -> Value:
    """`neuron` without the checks, for engine.nn's hot loop: `op` is one of NEURON_OPS.

    `input_data` is the inputs' data, so that a layer reads it once for all of its neurons.
    """
    # It adds left to right: the same float additions, in the same order, as the expanded
    # chain of "+" nodes (sum() and math.fsum may round differently); a plain loop is the
    # fastest form on CPython 3.11+.
    total = bias.data
    for w, x in zip(weights, input_data):
        total += w.data * x
    node = Value(_FORWARD_OF_OP[op](total), inputs if inputs.__class__ is tuple else tuple(inputs), op)
    node._params = (bias, *weights)
    node.n_inputs = len(inputs)
    return node


# A neuron node's inputs (one tuple, shared by its layer's neurons) and its (bias, w1..wn), read
# without building `operands` (the compiler's passes meet tens of thousands of neuron nodes).
neuron_inputs: Callable[[Value], tuple[Value, ...]] = attrgetter("_prev")
neuron_parameters: Callable[[Value], tuple[Value, ...]] = attrgetter("_params")


def topological_order_by_parts(root: Value) -> list[Value]:
    """Every node behind `root` (leaves too), each after its operands, `root` last.

    As engine.value.topological_order, but a neuron's inputs and parameters are read
    apart (no `operands` tuple built per neuron) and a layer's shared tuple of inputs
    is walked once: the compiler's walk over tens of thousands of neuron nodes.
    """
    nodes, seen, walked = [root], {root}, set()
    for node in nodes:
        parts = (node._params, node._prev) if node._op in NEURON_OPS else (node._prev,)
        for operands in parts:
            if id(operands) in walked:
                continue
            walked.add(id(operands))
            for child in operands:
                if child not in seen:
                    seen.add(child)
                    nodes.append(child)
    nodes.sort(key=_creation_order)  # creation order is a topological order: operands are made first
    return nodes


_creation_order = attrgetter("_seq")


def neuron_parts(node: Value) -> tuple[tuple[Value, ...], Value, tuple[Value, ...]]:
    """A neuron node's (inputs, bias, weights)."""
    if node.op not in NEURON_OPS:
        raise ValueError(f"not a neuron node: {node.op or 'leaf'}")
    operands, n = node.operands, node.n_inputs
    return operands[:n], operands[n], operands[n + 1 :]


def lecture_neuron(
    weights: Sequence[Value], inputs: Sequence[Value | Number], bias: Value, activation: str
) -> Value:
    """The lecture's neuron, 2n + 1 nodes: ``sum((wi*xi for wi, xi in zip(w, x)), b).tanh()``.

    The sum adds left to right, ((b + w1*x1) + w2*x2) + ..., as a neuron node does.
    """
    total = sum((wi * xi for wi, xi in zip(weights, inputs)), bias)
    return total if activation == "linear" else getattr(total, activation)()


def expand_neuron(node: Value) -> Value:
    """The lecture's form of a neuron node, built with fresh "*", "+" and activation nodes.

    Over the same weights, inputs and bias: the expanded graph has the same leaves, the
    same data, and (after backward) the same gradients as the neuron node.
    """
    inputs, bias, weights = neuron_parts(node)
    return lecture_neuron(weights, inputs, bias, node.op.split(":")[1])


def _neuron_backward(slope: Callable[[float], float]) -> Callable[[Value], None]:
    """The backward rule of the neuron nodes with this activation's slope (one function per activation)."""

    def backward(out: Value) -> None:
        # g, the grad of the sum b + w1*x1 + ..., reaches the bias and every product unchanged
        # through the chain of additions. The expanded graph's backward meets the products last
        # to first, then b, then w1*x1; adding in that same order keeps a leaf used twice bit
        # for bit equal to it.
        g = slope(out.data) * out.grad
        if g == 0.0:  # a ReLU that is off: every product would add 0 (see Value.backward on inf)
            return
        inputs, params = out._prev, out._params  # the slots: `operands` would cost 6% of backward()
        for i in range(len(inputs) - 1, 0, -1):
            x, w = inputs[i], params[1 + i]
            w.grad += x.data * g
            x.grad += w.data * g
        params[0].grad += g
        if inputs:  # a neuron without inputs is its bias alone
            x, w = inputs[0], params[1]
            w.grad += x.data * g
            x.grad += w.data * g

    return backward


BACKWARD_RULES.update({op: _neuron_backward(act.slope) for op, act in _ACTIVATION_OF_OP.items()})
