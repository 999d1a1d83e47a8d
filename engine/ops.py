"""The op table: every operation the engine knows, with its four beats in one place.

For each operation: its forward on floats, its local derivative ∂out/∂operand, its
NumPy form, and the rule as the lecture teaches it. For each activation a neuron can
end in ("tanh", "relu", "sigmoid", "linear"): the same, with the derivative (its slope)
written in terms of the activation's output (a fused neuron keeps only its output).

The derivatives are written once, in engine/value.py, right under each forward op, as
micrograd does: `Value`'s backward rules, and the activations' slopes (an activation
node's rule is made from its slope). value.py files them here, in `BACKWARD_RULES`,
`SLOPES` and `RULE_TEXTS`; this table reads them from there. An operation's local
derivative is read from its own backward rule, run on stand-in nodes (`RuleOnStandIns`):
the rule's arithmetic on floats or on NumPy arrays, so the fused neuron (engine/neuron.py),
compiled mode (engine/compiled/) and the graph view's explanations compute what backward()
computes.
NumPy is imported only by `on_arrays()`: `import engine` must not need it.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Number = int | float
Array = Any  # a numpy.ndarray

# Filled where each is written: engine/value.py, which `import engine` always loads (engine/neuron.py
# adds the neuron nodes' rules); the tables below read them when asked, not when built.
# "linear" is an activation with no node of its own: its slope and text are written here.
BACKWARD_RULES: dict[str, Callable[[Any], None]] = {}  # op -> how out.grad flows to its node's operands
SLOPES: dict[str, Callable[[Any], Any]] = {"linear": lambda out: 1.0}  # activation -> ∂act(z)/∂z, from out
RULE_TEXTS: dict[str, str] = {"linear": "∂z/∂z = 1"}  # op or activation -> its derivative, as taught


# ---------------------------------------------------------------- the forwards on floats


def relu(x: float) -> float:
    """max(0, x); relu(nan) is 0, as ``x if x > 0 else 0.0`` makes it."""
    return x if x > 0.0 else 0.0  # 0.0, not 0: a float against a float is the compare CPython speeds up


def sigmoid(x: float) -> float:
    """1 / (1 + e^-x), written so that neither branch overflows for large |x|."""
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def identity(x: Any) -> Any:
    return x


# ---------------------------------------------------------------- the forwards on NumPy arrays
# Each entry's `numpy_form` takes the numpy module and gives its function on arrays, which
# computes what the float form computes, element by element, including with nan. The module
# is passed in because importing the engine must not import NumPy; `on_arrays()` imports it.


def _relu_on_arrays(np: Any) -> Callable[[Array], Array]:
    return lambda a: np.where(a > 0, a, 0.0)


def _sigmoid_on_arrays(np: Any) -> Callable[[Array], Array]:
    def sigmoid(a: Array) -> Array:
        # 1 / (1 + e^-x) for x >= 0, e^x / (1 + e^x) below: e^-|x| never overflows
        e = np.exp(-np.abs(a))
        return np.where(a >= 0, 1.0 / (1.0 + e), e / (1.0 + e))

    return sigmoid


def _numpy_function(numpy_form: Callable[[Any], Callable[..., Array]]) -> Callable[..., Array]:
    import numpy

    return numpy_form(numpy)


# ---------------------------------------------------------------- the activations


@dataclass(frozen=True)
class Activation:
    """What a neuron applies to its weighted sum z = b + w·x."""

    name: str
    forward: Callable[[float], float]
    numpy_form: Callable[[Any], Callable[[Array], Array]]
    torch_module: str  # the torch.nn module that computes it

    @property
    def slope(self) -> Callable[[Any], Any]:
        """d act(z) / dz written in terms of out = act(z), on floats or arrays alike (engine/value.py)."""
        return SLOPES[self.name]

    @property
    def rule(self) -> str:
        return RULE_TEXTS[self.name]

    def on_arrays(self) -> Callable[[Array], Array]:
        """The NumPy form: the activation of every element of an array (imports NumPy)."""
        return _numpy_function(self.numpy_form)


ACTIVATION = {
    "tanh": Activation("tanh", forward=math.tanh, numpy_form=lambda np: np.tanh, torch_module="Tanh"),
    "relu": Activation("relu", forward=relu, numpy_form=_relu_on_arrays, torch_module="ReLU"),
    "sigmoid": Activation("sigmoid", forward=sigmoid, numpy_form=_sigmoid_on_arrays, torch_module="Sigmoid"),
    "linear": Activation("linear", forward=identity, numpy_form=lambda np: identity, torch_module="Identity"),
}
ACTIVATIONS = tuple(ACTIVATION)  # the names, in the order the app offers them
NEURON_OPS = tuple(f"neuron:{name}" for name in ACTIVATIONS)  # the op of a fused neuron node


def check_activation(name: object, error: type[ValueError] = ValueError, where: str = "") -> str:
    """`name` if it names an activation; else raise `error` saying which names do.

    `where` starts the message (e.g. "layer 2: "), for a file's reader.
    """
    if isinstance(name, str) and name in ACTIVATION:
        return name
    if isinstance(name, str):
        shown = repr(name) if len(name) <= 40 else repr(name[:37] + "...")
    else:
        from engine.files import describe_value  # only on this error path

        shown = describe_value(name)
    raise error(f"{where}unknown activation {shown}; choose one of {', '.join(ACTIVATIONS)}")


# ---------------------------------------------------------------- the operations of a Value


@dataclass(frozen=True)
class Operation:
    """One kind of node: ``out = forward(a)``, ``forward(a, b)``, or ``forward(a, exponent)`` for "**"."""

    op: str
    forward: Callable[..., float]
    numpy_form: Callable[[Any], Callable[..., Array]]

    @property
    def rule(self) -> str:
        return RULE_TEXTS[self.op]

    def on_arrays(self) -> Callable[..., Array]:
        """The NumPy form: the operation element by element on arrays (imports NumPy)."""
        return _numpy_function(self.numpy_form)

    def local(self, data: tuple, out: Any, exponent: Number | None) -> tuple:
        """∂out/∂operand for each operand, given the operands' `data` and the node's `out` (floats or arrays).

        0.0 for an operand the rule passes nothing to (x**0's, a constant).
        """
        locals_ = self.rule_on(len(data), out, exponent).locals(*data)[: len(data)]
        return tuple(0.0 if d is None else d for d in locals_)

    def rule_on(self, n_operands: int, out: Any, exponent: Number | None = None) -> RuleOnStandIns:
        """The op's backward rule, ready to run on stand-ins of a node holding `out` and of its operands.

        Compiled mode keeps one per array operation (its `out` is the same buffer at every step).
        """
        return RuleOnStandIns(self.op, n_operands, out, exponent)


# ---------------------------------------------------------------- local derivatives, read from the rules
# A backward rule adds `local * out.grad` (or `out.grad`: a local of 1) to each operand's grad.
# Run on a stand-in node whose grad is `_UNIT`, an exact 1 (x * _UNIT is x itself, no rounding,
# no array operation), it adds the local derivatives themselves, as its own arithmetic computes
# them, on floats or NumPy arrays alike.


class _NothingYet:
    """A stand-in operand's grad before the rule adds to it: ``grad += x`` leaves x itself."""

    __slots__ = ()

    def __add__(self, other: Any) -> Any:
        return other


class _Unit:
    """out.grad, as a rule sees it on a stand-in node: an exact 1 for multiplication."""

    __slots__ = ()
    __array_ufunc__ = None  # `array * out.grad`: NumPy hands the product to __rmul__

    def __mul__(self, other: Any) -> Any:
        return other

    __rmul__ = __mul__


_NOTHING_YET, _UNIT = _NothingYet(), _Unit()


class _StandIn:
    """What a backward rule reads and writes of a node: data, grad, operands, exponent."""

    __slots__ = ("data", "grad", "_prev", "_exponent")

    def __init__(self, data: Any, grad: Any = _NOTHING_YET, operands: tuple = (), exponent: Any = None):
        self.data, self.grad, self._prev, self._exponent = data, grad, operands, exponent


class RuleOnStandIns:
    """An op's backward rule, run on stand-ins of one node and its one or two operands, as often as needed."""

    def __init__(self, op: str, n_operands: int, out: Any, exponent: Number | None):
        self.rule = BACKWARD_RULES[op]
        self.a, self.b = _StandIn(None), _StandIn(None)
        self.node = _StandIn(out, _UNIT, (self.a, self.b)[:n_operands], exponent)

    def locals(self, a: Any, b: Any = None) -> tuple[Any, Any]:
        """(∂out/∂a, ∂out/∂b) for operands holding a and b; None where the rule passes nothing (no b)."""
        stand_a, stand_b = self.a, self.b
        stand_a.data, stand_a.grad, stand_b.data, stand_b.grad = a, _NOTHING_YET, b, _NOTHING_YET
        self.rule(self.node)  # unrolled, no loop: compiled mode runs this for each array op at every step
        local_a, local_b = stand_a.grad, stand_b.grad
        return (
            1.0 if local_a is _UNIT else None if local_a is _NOTHING_YET else local_a,
            1.0 if local_b is _UNIT else None if local_b is _NOTHING_YET else local_b,
        )


def _of_activation(activation: Activation) -> Operation:
    """An activation as a node of its own."""
    return Operation(activation.name, activation.forward, activation.numpy_form)


OPS: dict[str, Operation] = {
    "+": Operation("+", forward=operator.add, numpy_form=lambda np: np.add),
    "*": Operation("*", forward=operator.mul, numpy_form=lambda np: np.multiply),
    # a ** n, as the compiled program always computed it
    "**": Operation("**", forward=operator.pow, numpy_form=lambda np: operator.pow),
    "tanh": _of_activation(ACTIVATION["tanh"]),
    "exp": Operation("exp", forward=math.exp, numpy_form=lambda np: np.exp),
    "log": Operation("log", forward=math.log, numpy_form=lambda np: np.log),
    "relu": _of_activation(ACTIVATION["relu"]),
    "sigmoid": _of_activation(ACTIVATION["sigmoid"]),
}


def local_derivatives(node: Any) -> tuple[float, ...]:
    """∂node/∂operand for each of a Value's operands, at the numbers it holds now; () for a leaf.

    For a fused neuron node, whose operands are (x1..xn, b, w1..wn): the slope of its
    activation times the weight, 1 or input each operand multiplies.
    """
    op, operands = node.op, node.operands
    if op in OPS:
        local = OPS[op].local(tuple(o.data for o in operands), node.data, node.exponent)
        return tuple(float(d) for d in local)
    if op in NEURON_OPS:
        slope = float(ACTIVATION[op.split(":")[1]].slope(node.data))
        n = node.n_inputs
        weights, inputs = operands[n + 1 :], operands[:n]
        return (*(slope * w.data for w in weights), slope, *(slope * x.data for x in inputs))
    return ()
