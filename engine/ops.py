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
NumPy is imported inside the array forms only: `import engine` must not need it.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Number = int | float
Array = Any  # a numpy.ndarray; NumPy is not imported here


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
# Each computes what the float form computes, element by element, including with nan.


def _array_add(a: Array, b: Array, out: Array | None = None) -> Array:
    import numpy as np

    return np.add(a, b, out=out)


def _array_multiply(a: Array, b: Array, out: Array | None = None) -> Array:
    import numpy as np

    return np.multiply(a, b, out=out)


def _array_tanh(a: Array) -> Array:
    import numpy as np

    return np.tanh(a)


def _array_exp(a: Array) -> Array:
    import numpy as np

    return np.exp(a)


def _array_log(a: Array) -> Array:
    import numpy as np

    return np.log(a)


def _array_relu(a: Array) -> Array:
    import numpy as np

    return np.where(a > 0, a, 0.0)


def _array_sigmoid(a: Array) -> Array:
    import numpy as np

    # 1 / (1 + e^-x) for x >= 0, e^x / (1 + e^x) below: e^-|x| never overflows
    e = np.exp(-np.abs(a))
    return np.where(a >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


# ---------------------------------------------------------------- the activations


@dataclass(frozen=True)
class Activation:
    """What a neuron applies to its weighted sum z = b + w·x."""

    name: str
    forward: Callable[[float], float]
    array_forward: Callable[[Array], Array]
    # d act(z) / dz written in terms of out = act(z), on floats or arrays alike
    slope: Callable[[Any], Any]
    rule: str
    torch_module: str  # the torch.nn module that computes it


ACTIVATION = {
    "tanh": Activation(
        "tanh", math.tanh, _array_tanh, lambda out: 1 - out**2, "∂tanh(z)/∂z = 1 − tanh(z)²", "Tanh"
    ),
    "relu": Activation(
        "relu", relu, _array_relu, lambda out: out > 0, "∂relu(z)/∂z = 1 if z > 0 else 0", "ReLU"
    ),
    "sigmoid": Activation(
        "sigmoid",
        sigmoid,
        _array_sigmoid,
        lambda out: out * (1 - out),
        "∂σ(z)/∂z = σ(z)·(1 − σ(z))",
        "Sigmoid",
    ),
    "linear": Activation("linear", identity, identity, lambda out: 1.0, "∂z/∂z = 1", "Identity"),
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
    array_forward: Callable[..., Array]
    # (the operands' data, out's data, the exponent or None) -> ∂out/∂operand for each operand
    local: Callable[[tuple, Any, Number | None], tuple]
    rule: str


def _power_local(data: tuple, out: Any, n: Number | None) -> tuple:
    # x**0 is the constant 1: its derivative is 0, also at x = 0 (where 0 * 0**-1 would divide by 0)
    return (0.0 if n == 0 else n * data[0] ** (n - 1),)


def _of_activation(activation: Activation) -> Operation:
    """An activation as a node of its own: ∂out/∂a is its slope at out."""
    slope = activation.slope
    return Operation(
        activation.name,
        activation.forward,
        activation.array_forward,
        lambda data, out, n: (slope(out),),
        activation.rule,
    )


OPS: dict[str, Operation] = {
    "+": Operation(
        "+", operator.add, _array_add, lambda data, out, n: (1.0, 1.0), "∂(a + b)/∂a = 1, ∂(a + b)/∂b = 1"
    ),
    "*": Operation(
        "*",
        operator.mul,
        _array_multiply,
        lambda data, out, n: (data[1], data[0]),
        "∂(a·b)/∂a = b, ∂(a·b)/∂b = a",
    ),
    "**": Operation("**", operator.pow, operator.pow, _power_local, "∂(aⁿ)/∂a = n·aⁿ⁻¹"),
    "tanh": _of_activation(ACTIVATION["tanh"]),
    "exp": Operation("exp", math.exp, _array_exp, lambda data, out, n: (out,), "∂eᵃ/∂a = eᵃ"),
    "log": Operation("log", math.log, _array_log, lambda data, out, n: (1 / data[0],), "∂ln(a)/∂a = 1/a"),
    "relu": _of_activation(ACTIVATION["relu"]),
    "sigmoid": _of_activation(ACTIVATION["sigmoid"]),
}
