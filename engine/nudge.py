"""The derivative as a nudge, the lecture's first section: nudge an input by h and watch the output.

`nudge` gives ``(f(x + h) - f(x)) / h`` for one input of an expression, beside the exact
grad that backward() computes; `error_curve` does it for h from 1e-1 down to 1e-12,
where the estimate first converges and then breaks down as floating-point rounding
takes over (below about 1e-8). `gradient_check` is the lecture's way of verifying
backprop: every parameter of a model nudged both ways, ``(f(p + h) - f(p - h)) / 2h``,
against the grads backward() leaves, with any that disagree flagged.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from engine.expression import evaluate
from engine.value import Value

STEPS_OF_H = tuple(10.0**-k for k in range(1, 13))  # 1e-1 .. 1e-12


@dataclass(frozen=True)
class Nudge:
    h: float
    before: float  # f(x)
    after: float  # f(x + h)
    grad: float  # what backward() gives

    @property
    def estimate(self) -> float:
        return (self.after - self.before) / self.h

    @property
    def error(self) -> float:
        return abs(self.estimate - self.grad)


def nudge(expression: str, variables: dict[str, float], name: str, h: float) -> Nudge:
    """Nudge the variable `name` of `expression` by `h`: f before, f after, and the exact grad."""
    if name not in variables:
        raise ValueError(f"{name!r} is not one of the variables ({', '.join(variables)})")
    root, leaves = evaluate(expression, variables)
    root.backward()
    after, _ = evaluate(expression, {**variables, name: variables[name] + h})
    return Nudge(h, root.data, after.data, leaves[name].grad)


def error_curve(
    expression: str, variables: dict[str, float], name: str, steps: Sequence[float] = STEPS_OF_H
) -> list[Nudge]:
    """`nudge` for each h in `steps`: the estimate's error against h, to plot on log axes."""
    return [nudge(expression, variables, name, h) for h in steps]


@dataclass(frozen=True)
class ParameterCheck:
    name: str
    analytic: float  # backward()'s grad
    numeric: float  # (f(p + h) - f(p - h)) / 2h
    relative_error: float
    flagged: bool  # disagrees by more than the tolerance


def gradient_check(
    loss_of: Callable[[], Value], parameters: Sequence[Value], h: float = 1e-6, tolerance: float = 1e-6
) -> list[ParameterCheck]:
    """Compare every parameter's grad from backward() with the central difference of the loss.

    `loss_of()` builds the loss from the parameters as they are now. The parameters' data is
    restored exactly; their grads are left as one backward() from zero makes them. A grad is
    flagged when it differs by more than `tolerance` relative, plus what rounding alone can
    make of the difference quotient (about 10·ε·|loss| / h: a true grad of 0 may come out 1e-11).
    """
    for p in parameters:
        p.grad = 0.0
    loss = loss_of()
    loss.backward()
    rounding = 10 * 2.2e-16 * max(abs(loss.data), 1.0) / h
    checks = []
    for index, p in enumerate(parameters):
        original = p.data
        p.data = original + h
        up = loss_of().data
        p.data = original - h
        down = loss_of().data
        p.data = original
        numeric = (up - down) / (2 * h)
        difference = abs(p.grad - numeric)
        error = difference / max(abs(p.grad), abs(numeric), 1e-8)
        flagged = not difference <= tolerance * max(abs(p.grad), abs(numeric)) + rounding  # NaN: flagged
        checks.append(ParameterCheck(p.label or f"parameter {index + 1}", p.grad, numeric, error, flagged))
    return checks


def worst(checks: Sequence[ParameterCheck]) -> float:
    """The largest relative error of a gradient check (0 for none)."""
    return max((c.relative_error for c in checks), default=0.0) if checks else 0.0


def breakdown_h(curve: Sequence[Nudge]) -> float | None:
    """The h with the smallest error: below it rounding wins, above it the curve's bend does."""
    finite = [n for n in curve if math.isfinite(n.error)]
    return min(finite, key=lambda n: n.error).h if finite else None


MAX_CHECKED = 60  # a check nudges each parameter twice: more would take seconds on a large model


def check_model_gradients(weights, dataset, loss: str, h: float = 1e-6) -> tuple[list[ParameterCheck], int]:
    """`gradient_check` of a copy of the model `weights` describes, on `dataset` with `loss` (no L2).

    At most MAX_CHECKED parameters, evenly spread over the network; returns (checks, parameter count).
    """
    from engine.losses import loss_function

    model = weights.to_model()
    params = model.parameters()
    stride = max(1, math.ceil(len(params) / MAX_CHECKED))
    chosen = params[::stride]
    loss_of = loss_function(loss)
    checks = gradient_check(
        lambda: loss_of([_output(model(x)) for x in dataset.inputs], dataset.targets), chosen, h
    )
    return checks, len(params)


def _output(out):
    # several outputs are one per class: the loss (softmax cross-entropy) takes them all
    return out
