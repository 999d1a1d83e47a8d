"""Loss functions over model outputs (`scores`) and targets of +1 / -1.

Each is written with `Value` operations, so its graph can be drawn and its
gradients checked like any other expression.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import reduce
from operator import add

from engine.value import Value

LOSSES = {
    "sse": "squared error, summed (the lecture's)",
    "mse": "mean squared error",
    "hinge": "hinge / max-margin (micrograd's demo)",
    "bce": "binary cross-entropy on logits",
}


def _total(values: Sequence[Value]) -> Value:
    # sum() would start from a constant 0 node; this starts from the first term
    # (the same floats: x + 0.0 == x), so the drawn graph has no stray "+ 0".
    return reduce(add, values)


def _check(scores: Sequence[Value], targets: Sequence[float]) -> None:
    if not scores:
        raise ValueError("cannot compute a loss over zero samples")
    if len(scores) != len(targets):
        raise ValueError(f"{len(scores)} outputs but {len(targets)} targets")


def sse(scores: Sequence[Value], targets: Sequence[float]) -> Value:
    """Σ (score - target)², exactly the lecture's ``sum((yout - ygt)**2 ...)``."""
    _check(scores, targets)
    return _total([(s - y) ** 2 for y, s in zip(targets, scores)])


def mse(scores: Sequence[Value], targets: Sequence[float]) -> Value:
    """The mean of (score - target)²: like `sse`, but the same scale for any sample count."""
    return sse(scores, targets) * (1.0 / len(scores))


def hinge(scores: Sequence[Value], targets: Sequence[float]) -> Value:
    """The mean of max(0, 1 - target·score), as in micrograd's demo: zero once every
    sample is on the right side with a margin of 1."""
    _check(scores, targets)
    losses = [(1 + -y * s).relu() for y, s in zip(targets, scores)]
    return _total(losses) * (1.0 / len(losses))


def bce(scores: Sequence[Value], targets: Sequence[float]) -> Value:
    """Binary cross-entropy of sigmoid(score) against targets ±1, as log(1 + e^(-y·s)).

    Written as relu(z) + log(1 + e^-|z|) with z = -y·s, so e^ never sees a large
    positive number: finite for any finite score, where the naive form overflows
    at scores around 700.
    """
    _check(scores, targets)
    losses = []
    for y, s in zip(targets, scores):
        z = -y * s
        abs_z = z.relu() + (-z).relu()
        losses.append(z.relu() + (1 + (-abs_z).exp()).log())
    return _total(losses) * (1.0 / len(losses))


def l2(parameters: Sequence[Value], strength: float) -> Value:
    """strength · Σ p², the regularisation micrograd's demo adds (there with 1e-4)."""
    return strength * _total([p * p for p in parameters])


def loss_function(name: str):
    """The loss function called `name` (one of LOSSES)."""
    functions = {"sse": sse, "mse": mse, "hinge": hinge, "bce": bce}
    if name not in functions:
        raise ValueError(f"unknown loss {name!r}; choose one of {', '.join(LOSSES)}")
    return functions[name]


def accuracy(scores: Sequence[float], targets: Sequence[float], threshold: float = 0.0) -> float:
    """The fraction of samples whose score lies on the target's side of `threshold`."""
    if not scores:
        return 0.0
    hits = sum((s > threshold) == (y > threshold) for s, y in zip(scores, targets))
    return hits / len(scores)
