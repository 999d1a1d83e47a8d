"""A scalar value that remembers how it was computed, and backpropagation over it.

The idea is micrograd's: every operation makes a new `Value` whose `_prev` are its
operands, and `backward()` applies the chain rule from the output back to every
input. Two design choices make it fast without hiding the graph:

* No closure per node. Each node names its operation in `_op`, and the backward
  rule for that operation is one plain function in `_BACKWARD`. A closure would
  capture `out`, and `out` would hold the closure: a reference cycle per node that
  only Python's cycle collector can free, which is where micrograd spends most of
  its time. Without cycles a graph is freed by reference counting the moment the
  loss goes out of scope.
* A whole neuron, ``act(b + w1*x1 + ... + wn*xn)``, can be one node
  (`Value.neuron`). It computes the same floats in the same order as the
  lecture's expanded form, so data and gradients are bit for bit the same, and
  the graph view can still draw it expanded (`expand_neuron`).

Gradients accumulate (`+=`) so that a node used twice gets both contributions,
and they keep accumulating across `backward()` calls until `zero_grad()`.
"""

from __future__ import annotations

import itertools
import math
import numbers
from collections.abc import Sequence
from operator import attrgetter

Number = int | float
NEURON_OPS = ("neuron:tanh", "neuron:relu", "neuron:sigmoid", "neuron:linear")


class Value:
    """A scalar with its gradient and the operation that produced it."""

    __slots__ = ("data", "grad", "label", "_prev", "_op", "_arg", "_seq")

    def __init__(
        self,
        data: Number,
        _children: tuple[Value, ...] = (),
        _op: str = "",
        label: str = "",
        _arg: Number = 0,
    ):
        # The check costs nothing for a float; anything else must be a real number, so that
        # Value(1) + "2" raises TypeError (as in micrograd and PyTorch) instead of giving 3.
        self.data = data if data.__class__ is float else _real(data)
        self.grad = 0.0
        self.label = label
        self._prev = _children
        self._op = _op
        self._arg = _arg  # the exponent of a "**" node; the input count of a neuron node
        self._seq = next(_creation_counter)  # operands are always created before their results

    def __repr__(self) -> str:
        return f"Value(data={self.data}, grad={self.grad})"

    # ---- what the node is, read-only, for views and tools outside the engine

    @property
    def operands(self) -> tuple[Value, ...]:
        """The Values this one was computed from; () for a leaf."""
        return self._prev

    @property
    def op(self) -> str:
        """The operation that made this Value ("+", "*", "tanh", "neuron:relu", ...); "" for a leaf."""
        return self._op

    @property
    def exponent(self) -> Number | None:
        """The exponent of a ``**`` node; None for every other node."""
        return self._arg if self._op == "**" else None

    # ---- the basic operations, each: coerce, build out (its backward rule is below)

    def __add__(self, other: Value | Number) -> Value:
        other = other if isinstance(other, Value) else Value(other)
        return Value(self.data + other.data, (self, other), "+")

    def __mul__(self, other: Value | Number) -> Value:
        other = other if isinstance(other, Value) else Value(other)
        return Value(self.data * other.data, (self, other), "*")

    def __pow__(self, exponent: Number) -> Value:
        if not isinstance(exponent, (int, float)) or isinstance(exponent, bool):
            raise TypeError("only int/float exponents are supported: Value ** number")
        data = self.data**exponent
        if isinstance(data, complex):
            raise ValueError(f"{self.data} ** {exponent} is not a real number")
        return Value(data, (self,), "**", "", exponent)

    def tanh(self) -> Value:
        return Value(math.tanh(self.data), (self,), "tanh")

    def exp(self) -> Value:
        return Value(math.exp(self.data), (self,), "exp")

    def log(self) -> Value:
        return Value(math.log(self.data), (self,), "log")

    def relu(self) -> Value:
        return Value(_relu(self.data), (self,), "relu")

    def sigmoid(self) -> Value:
        return Value(_sigmoid(self.data), (self,), "sigmoid")

    @staticmethod
    def neuron(
        weights: Sequence[Value], inputs: Sequence[Value | Number], bias: Value, activation: str = "linear"
    ) -> Value:
        """One node for a whole neuron: ``act(b + w1*x1 + ... + wn*xn)``.

        Equal, bit for bit, in data and in every gradient, to the lecture's
        ``sum((w*x for w, x in zip(weights, inputs)), bias)`` followed by the
        activation ("tanh", "relu", "sigmoid" or "linear"), with one node instead
        of 2n + 1. The weights and the bias must be leaves (parameters), which lets
        backward() skip them when it walks the graph; the inputs may be anything.
        """
        if len(inputs) != len(weights):
            raise ValueError(f"{len(weights)} weights but {len(inputs)} inputs")
        if bias._prev or any(w._prev for w in weights):
            raise ValueError("a neuron's weights and bias must be leaf Values (parameters)")
        if f"neuron:{activation}" not in NEURON_OPS:
            raise ValueError(f"unknown activation {activation!r}")
        xs = as_values(inputs)
        return _neuron(weights, xs, bias, f"neuron:{activation}", [x.data for x in xs])

    # ---- derived operations, written with the basic ones (as micrograd does)

    def __neg__(self) -> Value:  # -a = a * -1
        return self * -1

    def __sub__(self, other: Value | Number) -> Value:  # a - b = a + (-b)
        return self + (-other)

    def __truediv__(self, other: Value | Number) -> Value:  # a / b = a * b^-1
        return self * other**-1

    def __radd__(self, other: Number) -> Value:  # 1 + a
        return self + other

    def __rmul__(self, other: Number) -> Value:  # 2 * a
        return self * other

    def __rsub__(self, other: Number) -> Value:  # 1 - a = 1 + (-a)
        return other + (-self)

    def __rtruediv__(self, other: Number) -> Value:  # 1 / a = 1 * a^-1
        return other * self**-1

    # ---- backpropagation

    def backward(self) -> None:
        """Set this node's grad to 1 and apply the chain rule to every node behind it.

        Adds to the leaves' existing grads (it never zeroes them): call `zero_grad()`
        first, or watch gradients accumulate, the bug the lecture warns about. The
        nodes in between start from zero on every call, as in PyTorch, so a second
        backward() over the same graph adds exactly the same grads again
        (micrograd keeps their old grads and compounds them).
        """
        order = _interior_nodes_in_creation_order(self)
        for node in order:
            node.grad = 0.0
        self.grad = 1.0
        rules = _BACKWARD
        for node in reversed(order):
            rules[node._op](node)


def _real(data: object) -> float:
    # bool is a number here, as in Python, micrograd and PyTorch (True * x == x)
    if isinstance(data, (int, float, numbers.Real)):  # int and float first: the ABC check is slow
        return float(data)
    raise TypeError(f"a Value holds a real number (int or float), not {type(data).__name__}")


_creation_counter = itertools.count()
_seq = attrgetter("_seq")


def _relu(x: float) -> float:
    return x if x > 0 else 0.0


def _sigmoid(x: float) -> float:
    # 1 / (1 + e^-x), written so that neither branch overflows for large |x|
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


_NEURON_OP_SET = frozenset(NEURON_OPS)
_ACTIVATION_OF_OP = {"neuron:tanh": math.tanh, "neuron:relu": _relu, "neuron:sigmoid": _sigmoid}


def as_values(xs: Sequence[Value | Number]) -> list[Value]:
    """The inputs as Values: numbers become new leaf nodes, Values stay themselves."""
    return [x if isinstance(x, Value) else Value(x) for x in xs]


def _neuron(
    weights: Sequence[Value], inputs: Sequence[Value], bias: Value, op: str, input_data: Sequence[float]
) -> Value:
    # The hot loop of training. It adds left to right: the same float additions, in
    # the same order, as the expanded chain of "+" nodes (sum() and math.fsum may
    # round differently); a plain loop is the fastest form on CPython 3.11+.
    # `input_data` lets a layer read its inputs' data once for all of its neurons.
    total = bias.data
    for w, x in zip(weights, input_data):
        total += w.data * x
    act = _ACTIVATION_OF_OP.get(op)
    # Operands laid out as (x1..xn, bias, w1..wn): only the first n can have operands of their own.
    return Value(total if act is None else act(total), (*inputs, bias, *weights), op, "", len(inputs))


def topological_order(root: Value) -> list[Value]:
    """Every node behind `root` (leaves too), each after all of its operands, `root` last."""
    nodes = [root]
    seen = {root}
    for node in nodes:  # breadth-first, without recursion; `nodes` grows as we go
        for child in node._prev:
            if child not in seen:
                seen.add(child)
                nodes.append(child)
    # Creation order is a topological order: a node's operands exist before it does.
    nodes.sort(key=_seq)
    return nodes


def _interior_nodes_in_creation_order(root: Value) -> list[Value]:
    """Like `topological_order`, but only the nodes that have a backward rule to run.

    Skipping leaves (weights, inputs, constants: most of a network's nodes) makes
    this walk several times faster. No recursion: a chain of 100,000 nodes is fine.
    """
    if not root._prev:
        return []
    nodes = [root]
    seen = {root}
    for node in nodes:
        # A neuron's weights and bias are leaves: walk only its n inputs.
        children = node._prev[: node._arg] if node._op in _NEURON_OP_SET else node._prev
        for child in children:
            if child._prev and child not in seen:
                seen.add(child)
                nodes.append(child)
    nodes.sort(key=_seq)
    return nodes


# ---- backward rules: how out.grad flows to the operands of each kind of node


def _add_backward(out: Value) -> None:
    a, b = out._prev
    a.grad += out.grad
    b.grad += out.grad


def _mul_backward(out: Value) -> None:
    a, b = out._prev
    a.grad += b.data * out.grad
    b.grad += a.data * out.grad


def _pow_backward(out: Value) -> None:
    (a,) = out._prev
    n = out._arg
    if n == 0:  # x**0 is the constant 1: its derivative is 0, also at x = 0 (where 0 * 0**-1 would raise)
        return
    a.grad += (n * a.data ** (n - 1)) * out.grad


def _tanh_backward(out: Value) -> None:  # d tanh(x)/dx = 1 - tanh(x)^2
    out._prev[0].grad += (1 - out.data**2) * out.grad


def _exp_backward(out: Value) -> None:  # d e^x/dx = e^x
    out._prev[0].grad += out.data * out.grad


def _log_backward(out: Value) -> None:  # d ln(x)/dx = 1/x
    a = out._prev[0]
    a.grad += (1 / a.data) * out.grad


def _relu_backward(out: Value) -> None:
    out._prev[0].grad += (out.data > 0) * out.grad


def _sigmoid_backward(out: Value) -> None:  # d s(x)/dx = s(x) (1 - s(x))
    out._prev[0].grad += (out.data * (1 - out.data)) * out.grad


def _weighted_sum_backward(out: Value, g: float) -> None:
    # `g` is the grad of the sum b + w1*x1 + ...: it reaches the bias and every
    # product unchanged through the chain of additions. The expanded graph's
    # backward meets the products last to first, then b, then w1*x1; adding in
    # that same order keeps a leaf used twice bit-for-bit equal to it.
    prev = out._prev
    n = out._arg
    for i in range(n - 1, 0, -1):
        x, w = prev[i], prev[n + 1 + i]
        w.grad += x.data * g
        x.grad += w.data * g
    prev[n].grad += g
    if n:  # a neuron without inputs is its bias alone
        x, w = prev[0], prev[n + 1]
        w.grad += x.data * g
        x.grad += w.data * g


# The activation's local derivative is written exactly as the rules above write it,
# so a neuron node's grads equal the expanded form's bit for bit.
def _neuron_tanh_backward(out: Value) -> None:
    _weighted_sum_backward(out, (1 - out.data**2) * out.grad)


def _neuron_relu_backward(out: Value) -> None:
    _weighted_sum_backward(out, (out.data > 0) * out.grad)


def _neuron_sigmoid_backward(out: Value) -> None:
    _weighted_sum_backward(out, (out.data * (1 - out.data)) * out.grad)


def _neuron_linear_backward(out: Value) -> None:
    _weighted_sum_backward(out, out.grad)


_BACKWARD = {
    "+": _add_backward,
    "*": _mul_backward,
    "**": _pow_backward,
    "tanh": _tanh_backward,
    "exp": _exp_backward,
    "log": _log_backward,
    "relu": _relu_backward,
    "sigmoid": _sigmoid_backward,
    "neuron:tanh": _neuron_tanh_backward,
    "neuron:relu": _neuron_relu_backward,
    "neuron:sigmoid": _neuron_sigmoid_backward,
    "neuron:linear": _neuron_linear_backward,
}


def expand_neuron(node: Value) -> Value:
    """The lecture's form of a neuron node: ``((b + w1*x1) + w2*x2) + ...``, then the activation.

    Builds fresh "*", "+" and activation nodes over the same weights, inputs and
    bias, so the expanded graph has the same leaves, the same data, and (after
    backward) the same gradients as the neuron node.
    """
    if node._op not in NEURON_OPS:
        raise ValueError(f"not a neuron node: {node._op or 'leaf'}")
    n = node._arg
    inputs, bias, weights = node._prev[:n], node._prev[n], node._prev[n + 1 :]
    total = bias
    for w, x in zip(weights, inputs):
        total = total + w * x
    activation = node._op.split(":")[1]
    return total if activation == "linear" else getattr(total, activation)()
