"""micrograd's Value: a scalar that remembers how it was computed, and backpropagation over it.

Each operation has its local derivative right under it, written there and nowhere else: its backward
rule, or an activation's slope (its rule: the slope at out, times out.grad), filed by op in the op
table (engine/ops.py), which everything else reads. No closure per node (one would capture `out`
while `out` holds it: a cycle only the cycle collector frees): a rule is one function per op.
"""

from __future__ import annotations

import itertools
import math
import numbers
from collections.abc import Callable, Sequence
from operator import attrgetter

from engine.ops import BACKWARD_RULES, NEURON_OPS, RULE_TEXTS, SLOPES, Number, relu, sigmoid


def backward_rule(op: str, text: str) -> Callable[[Callable[[Value], None]], staticmethod]:
    """File the decorated function as the backward rule of the nodes whose op is `op`."""

    def register(rule: Callable[[Value], None]) -> staticmethod:
        BACKWARD_RULES[op], RULE_TEXTS[op] = rule, text
        return staticmethod(rule)

    return register


def activation_slope(op: str, text: str) -> Callable[[Callable], staticmethod]:
    """File the decorated function as activation `op`'s slope, and the rule made from it as its nodes'."""

    def register(slope: Callable) -> staticmethod:
        SLOPES[op] = slope

        def backward(out: Value) -> None:  # one function per activation: the slope at out, times out.grad
            out._prev[0].grad += slope(out.data) * out.grad

        backward_rule(op, text)(backward)
        return staticmethod(slope)

    return register


class Value:
    """A scalar with its gradient and the operation that produced it."""

    # Set on a neuron node only (engine/neuron.py): `n_inputs`, how many inputs it has, and
    # `_params`, its (bias, w1..wn); its `_prev` holds the inputs alone (the nodes backward walks).
    __slots__ = ("data", "grad", "label", "_prev", "_op", "_exponent", "n_inputs", "_params", "_seq")

    def __init__(self, data: Number, _children: tuple = (), _op: str = "", label: str = "", _exponent=None):
        # The check costs nothing for a float; anything else must be a real number, so that
        # Value(1) + "2" raises TypeError (as in micrograd and PyTorch) instead of giving 3.
        self.data = data if data.__class__ is float else _real(data)
        self.grad = 0.0
        self.label = label
        self._prev = _children
        self._op = _op
        self._exponent = _exponent  # the n of a "**" node
        self._seq = next(_creation_counter)  # operands are always created before their results

    def __repr__(self) -> str:
        return f"Value(data={self.data}, grad={self.grad})"

    # ---- what the node is, read-only, for views and tools outside the engine

    @property
    def operands(self) -> tuple[Value, ...]:
        """The Values this one was computed from; () for a leaf. A neuron's: (x1..xn, b, w1..wn)."""
        return self._prev if self._op not in _NEURON_OP_SET else (*self._prev, *self._params)

    @property
    def op(self) -> str:
        """The operation that made this Value ("+", "*", "tanh", "neuron:relu", ...); "" for a leaf."""
        return self._op

    @property
    def exponent(self) -> Number | None:
        """The exponent of a ``**`` node; None for every other node."""
        return self._exponent

    # ---- the basic operations: forward, then backward (out.grad times the local derivative)

    def __add__(self, other: Value | Number) -> Value:
        other = other if isinstance(other, Value) else Value(other)
        return Value(self.data + other.data, (self, other), "+")

    @backward_rule("+", "∂(a + b)/∂a = 1, ∂(a + b)/∂b = 1")
    def _add_backward(out: Value) -> None:
        a, b = out._prev
        a.grad += out.grad
        b.grad += out.grad

    def __mul__(self, other: Value | Number) -> Value:
        other = other if isinstance(other, Value) else Value(other)
        return Value(self.data * other.data, (self, other), "*")

    @backward_rule("*", "∂(a·b)/∂a = b, ∂(a·b)/∂b = a")
    def _mul_backward(out: Value) -> None:
        a, b = out._prev
        a.grad += b.data * out.grad
        b.grad += a.data * out.grad

    def __pow__(self, exponent: Number) -> Value:
        if not isinstance(exponent, (int, float)) or isinstance(exponent, bool):
            raise TypeError("only int/float exponents are supported: Value ** number")
        data = self.data**exponent
        if isinstance(data, complex):
            raise ValueError(f"{self.data} ** {exponent} is not a real number")
        return Value(data, (self,), "**", "", exponent)

    @backward_rule("**", "∂(aⁿ)/∂a = n·aⁿ⁻¹")
    def _pow_backward(out: Value) -> None:
        (a,) = out._prev
        n = out._exponent
        if n == 0:  # x**0 is the constant 1: it passes nothing back, also at x = 0 (where 0**-1 raises)
            return
        a.grad += (n * a.data ** (n - 1)) * out.grad

    def exp(self) -> Value:
        return Value(math.exp(self.data), (self,), "exp")

    @backward_rule("exp", "∂eᵃ/∂a = eᵃ")
    def _exp_backward(out: Value) -> None:
        out._prev[0].grad += out.data * out.grad

    def log(self) -> Value:
        return Value(math.log(self.data), (self,), "log")

    @backward_rule("log", "∂ln(a)/∂a = 1/a")
    def _log_backward(out: Value) -> None:
        a = out._prev[0]
        a.grad += (1 / a.data) * out.grad

    # ---- the activations: forward, then the slope, written with the output out (what a node keeps)

    def tanh(self) -> Value:
        return Value(math.tanh(self.data), (self,), "tanh")

    @activation_slope("tanh", "∂tanh(z)/∂z = 1 − tanh(z)²")
    def _tanh_slope(out: float) -> float:
        return 1 - out**2

    def relu(self) -> Value:
        return Value(relu(self.data), (self,), "relu")

    @activation_slope("relu", "∂relu(z)/∂z = 1 if z > 0 else 0")
    def _relu_slope(out: float) -> bool:
        return out > 0.0

    def sigmoid(self) -> Value:
        return Value(sigmoid(self.data), (self,), "sigmoid")

    @activation_slope("sigmoid", "∂σ(z)/∂z = σ(z)·(1 − σ(z))")
    def _sigmoid_slope(out: float) -> float:
        return out * (1 - out)

    @staticmethod
    def neuron(
        weights: Sequence[Value], inputs: Sequence[Value | Number], bias: Value, activation: str = "linear"
    ) -> Value:
        """One node for ``activation(b + w1*x1 + ... + wn*xn)``, with leaf weights and bias (engine/neuron.py)."""
        from engine.neuron import neuron  # engine.neuron builds on Value: imported when first used

        return neuron(weights, inputs, bias, activation)

    # ---- derived operations, written with the basic ones (as micrograd does)

    def __neg__(self) -> Value:  # -a = a * -1
        return self * -1

    def __sub__(self, other: Value | Number) -> Value:  # a - b = a + (-b)
        return self + (-other)

    def __truediv__(self, other: Value | Number) -> Value:  # a / b = a * b^-1
        return self * other**-1

    __radd__ = __add__  # 1 + a is a + 1: the same node, (a, Value(1))
    __rmul__ = __mul__  # 2 * a is a * 2

    def __rsub__(self, other: Number) -> Value:  # 1 - a = 1 + (-a)
        return other + (-self)

    def __rtruediv__(self, other: Number) -> Value:  # 1 / a = 1 * a^-1
        return other * self**-1

    # ---- backpropagation

    def backward(self) -> None:
        """Set this node's grad to 1 and apply the chain rule to every node behind it.

        Leaves' grads accumulate (call `zero_grad()` first: the bug the lecture warns about);
        nodes in between restart from 0 on every call, as in PyTorch (micrograd compounds them).
        """
        # The nodes with a rule to run: no leaves (most nodes), and of a neuron only its inputs.
        # No recursion. A layer's neurons share one tuple of inputs: `walked` goes through it once.
        # A node is collected once: collecting sets its grad to `zero`, this walk's own 0.0 (CPython
        # makes a new float object each time, held by no node yet), so its grad restarts at 0 and
        # marks it as collected, with no set of seen nodes to fill (an eighth of the walk's work).
        zero = float(0)
        self.grad = zero
        order, walked = ([self] if self._op else []), set()
        for node in order:
            children = node._prev
            if len(children) > 2:  # shared tuples are long; a "+" or "*" node's pair is its own
                if id(children) in walked:
                    continue
                walked.add(id(children))
            for child in children:
                if child._op and child.grad is not zero:
                    child.grad = zero  # an interior node's grad restarts at 0
                    order.append(child)
        order.sort(key=_seq)  # creation order is a topological order: operands are made first
        self.grad = 1.0
        rules = BACKWARD_RULES
        for node in reversed(order):
            # A node whose grad is exactly 0 would pass back 0 × local: nothing, skipped (a met hinge
            # margin, a ReLU off). Where a local is inf or NaN, PyTorch would make 0 × inf NaN.
            if node.grad != 0.0:
                rules[node._op](node)


def _real(data: object) -> float:  # bool is a number, as in Python, micrograd and PyTorch
    if isinstance(data, (int, float, numbers.Real)):  # int and float first: the ABC check is slow
        return float(data)
    raise TypeError(f"a Value holds a real number (int or float), not {type(data).__name__}")


_creation_counter = itertools.count()
_seq = attrgetter("_seq")
_NEURON_OP_SET = frozenset(NEURON_OPS)


def as_values(xs: Sequence[Value | Number]) -> list[Value]:
    """The inputs as Values: numbers become new leaf nodes, Values stay themselves."""
    return [x if isinstance(x, Value) else Value(x) for x in xs]


def topological_order(root: Value) -> list[Value]:
    """Every node behind `root` (leaves too), each after all of its operands, `root` last."""
    nodes, seen = [root], {root}
    for node in nodes:  # breadth-first, without recursion; `nodes` grows as we go
        for child in node.operands:
            if child not in seen:
                seen.add(child)
                nodes.append(child)
    nodes.sort(key=_seq)  # creation order is a topological order: a node's operands exist before it
    return nodes
