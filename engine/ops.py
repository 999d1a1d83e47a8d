"""The op table: every operation the engine knows, with its four beats in one place.

For each operation: its forward on floats, its local derivative ∂out/∂operand, its
NumPy form, and the rule as the lecture teaches it. For each activation a neuron can
end in ("tanh", "relu", "sigmoid", "linear"): the same, with the derivative written
in terms of the activation's output (a fused neuron keeps only its output).

`Value` (engine/value.py) writes its backward rules out by hand, right under each
forward operation, as micrograd does; tests/engine/test_ops.py checks, bit for bit,
that they agree with this table. Everything else that needs a derivative takes it
from here: the fused neuron (engine/neuron.py), compiled mode's array program
(engine/compiled/), and the graph view's step-by-step explanations.

The local derivatives use arithmetic operators only, so the same function works on
floats and on NumPy arrays, and computes the same numbers as the backward rules.
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


# ---------------------------------------------------------------- the forwards on floats


def relu(x: float) -> float:
    """max(0, x); relu(nan) is 0, as ``x if x > 0 else 0.0`` makes it."""
    return x if x > 0 else 0.0


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
    # d act(z) / dz written in terms of out = act(z), on floats or arrays alike
    slope: Callable[[Any], Any]
    rule: str
    torch_module: str  # the torch.nn module that computes it

    def on_arrays(self) -> Callable[[Array], Array]:
        """The NumPy form: the activation of every element of an array (imports NumPy)."""
        return _numpy_function(self.numpy_form)


ACTIVATION = {
    "tanh": Activation(
        "tanh",
        forward=math.tanh,
        numpy_form=lambda np: np.tanh,
        slope=lambda out: 1 - out**2,
        rule="∂tanh(z)/∂z = 1 − tanh(z)²",
        torch_module="Tanh",
    ),
    "relu": Activation(
        "relu",
        forward=relu,
        numpy_form=_relu_on_arrays,
        slope=lambda out: out > 0,
        rule="∂relu(z)/∂z = 1 if z > 0 else 0",
        torch_module="ReLU",
    ),
    "sigmoid": Activation(
        "sigmoid",
        forward=sigmoid,
        numpy_form=_sigmoid_on_arrays,
        slope=lambda out: out * (1 - out),
        rule="∂σ(z)/∂z = σ(z)·(1 − σ(z))",
        torch_module="Sigmoid",
    ),
    "linear": Activation(
        "linear",
        forward=identity,
        numpy_form=lambda np: identity,
        slope=lambda out: 1.0,
        rule="∂z/∂z = 1",
        torch_module="Identity",
    ),
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
    # (the operands' data, out's data, the exponent or None) -> ∂out/∂operand for each operand
    local: Callable[[tuple, Any, Number | None], tuple]
    rule: str

    def on_arrays(self) -> Callable[..., Array]:
        """The NumPy form: the operation element by element on arrays (imports NumPy)."""
        return _numpy_function(self.numpy_form)


def _power_local(data: tuple, out: Any, n: Number | None) -> tuple:
    # x**0 is the constant 1: its derivative is 0, also at x = 0 (where 0 * 0**-1 would divide by 0)
    return (0.0 if n == 0 else n * data[0] ** (n - 1),)


def _of_activation(activation: Activation) -> Operation:
    """An activation as a node of its own: ∂out/∂a is its slope at out."""
    slope = activation.slope
    return Operation(
        activation.name,
        activation.forward,
        activation.numpy_form,
        lambda data, out, n: (slope(out),),
        activation.rule,
    )


OPS: dict[str, Operation] = {
    "+": Operation(
        "+",
        forward=operator.add,
        numpy_form=lambda np: np.add,
        local=lambda data, out, n: (1.0, 1.0),
        rule="∂(a + b)/∂a = 1, ∂(a + b)/∂b = 1",
    ),
    "*": Operation(
        "*",
        forward=operator.mul,
        numpy_form=lambda np: np.multiply,
        local=lambda data, out, n: (data[1], data[0]),
        rule="∂(a·b)/∂a = b, ∂(a·b)/∂b = a",
    ),
    "**": Operation(
        "**",
        forward=operator.pow,
        numpy_form=lambda np: operator.pow,  # a ** n, as the compiled program always computed it
        local=_power_local,
        rule="∂(aⁿ)/∂a = n·aⁿ⁻¹",
    ),
    "tanh": _of_activation(ACTIVATION["tanh"]),
    "exp": Operation(
        "exp",
        forward=math.exp,
        numpy_form=lambda np: np.exp,
        local=lambda data, out, n: (out,),
        rule="∂eᵃ/∂a = eᵃ",
    ),
    "log": Operation(
        "log",
        forward=math.log,
        numpy_form=lambda np: np.log,
        local=lambda data, out, n: (1 / data[0],),
        rule="∂ln(a)/∂a = 1/a",
    ),
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
