"""Check one expression against PyTorch float64 and against finite differences.

An expression is written once, as a function of its leaves, with only what `Value`
and `torch.Tensor` share: ``+ - * /``, ``** number``, unary ``-``, ``.tanh() .exp()
.log() .relu() .sigmoid()``, and `neuron` below. A new op then costs one line of test:

    check_against_torch(lambda a, b: (a * b).tanh(), [0.5, -1.5])
    check_against_finite_differences(lambda a, b: (a * b).tanh(), [0.5, -1.5])

Nothing here imports torch at module level, so the finite-difference checks run
without it (tinygrad's habit: tests that need no backend stay apart from those that do).
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Sequence

import pytest

from engine.value import Value, topological_order

Expression = Callable[..., object]  # leaves (Values or tensors) -> root of the same kind

# Central differences have a truncation error ~ h^2 and a rounding error ~ eps / h;
# h = eps^(1/3) (times the input's scale) balances the two, leaving ~1e-10 relative.
FD_STEP = sys.float_info.epsilon ** (1 / 3)


def neuron(weights: Sequence, inputs: Sequence, bias: object, activation: str) -> object:
    """`Value.neuron` for Values; the lecture's expanded form for anything else (torch tensors)."""
    if isinstance(bias, Value):
        return Value.neuron(weights, inputs, bias, activation)
    total = bias
    for w, x in zip(weights, inputs):
        total = total + w * x
    return total if activation == "linear" else getattr(total, activation)()


def mismatch(actual: float, expected: float, tol: float) -> float:
    """How far `actual` is from `expected`, in units of the mixed tolerance tol * max(1, |expected|)."""
    if actual == expected:  # also equal infinities
        return 0.0
    return abs(actual - expected) / (tol * max(1.0, abs(expected))) if tol else math.inf


def assert_close(actual: float, expected: float, tol: float, what: str) -> None:
    """|actual - expected| <= tol * max(1, |expected|): absolute near zero, relative elsewhere."""
    assert not math.isnan(actual), f"{what}: ours is nan, reference {expected!r}"
    assert mismatch(actual, expected, tol) <= 1.0, f"{what}: ours {actual!r}, reference {expected!r}"


def ours(fn: Expression, inputs: Sequence[float]) -> tuple[float, list[float]]:
    """The expression's value and the gradient of every input, by our engine."""
    leaves = [Value(x) for x in inputs]
    out = fn(*leaves)
    out.backward()
    return out.data, [leaf.grad for leaf in leaves]


def torch_reference(fn: Expression, inputs: Sequence[float]) -> tuple[float, list[float]]:
    """The same, by PyTorch in float64 (the test is skipped if torch is missing)."""
    torch = pytest.importorskip("torch")
    leaves = [torch.tensor(float(x), dtype=torch.float64, requires_grad=True) for x in inputs]
    out = fn(*leaves)
    out.backward()
    return out.item(), [0.0 if leaf.grad is None else leaf.grad.item() for leaf in leaves]


def finite_differences(
    f: Callable[[list[float]], float], inputs: Sequence[float], step: float = FD_STEP
) -> list[float]:
    """d f / d input_i by central differences, one input at a time."""
    grads = []
    for i, x in enumerate(inputs):
        h = step * max(1.0, abs(x))
        up, down = list(inputs), list(inputs)
        up[i], down[i] = x + h, x - h
        # divide by the step actually taken: x + h and x - h are rounded
        grads.append((f(up) - f(down)) / (up[i] - down[i]))
    return grads


def check_against_torch(fn: Expression, inputs: Sequence[float], tol: float = 1e-12) -> None:
    """Our value and every input's gradient match PyTorch float64 within `tol` (0 = exactly)."""
    data, grads = ours(fn, inputs)
    want_data, want_grads = torch_reference(fn, inputs)
    assert_close(data, want_data, tol, "value")
    for i, (got, want) in enumerate(zip(grads, want_grads)):
        assert_close(got, want, tol, f"grad of input {i}")


def check_against_finite_differences(fn: Expression, inputs: Sequence[float], tol: float = 1e-6) -> None:
    """Every input's gradient from backward() matches central differences of our own forward pass."""
    _, grads = ours(fn, inputs)
    numeric = finite_differences(lambda xs: fn(*[Value(x) for x in xs]).data, inputs)
    for i, (got, want) in enumerate(zip(grads, numeric)):
        assert_close(got, want, tol, f"grad of input {i} vs finite differences")


def zero_all(root: Value) -> None:
    """Zero the grad of every node behind `root`, interior nodes too (backward() adds to them)."""
    for node in topological_order(root):
        node.grad = 0.0
