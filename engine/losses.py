"""Loss functions over model outputs (`scores`) and targets.

sse, mse, hinge and bce take one score per sample and targets of +1 / -1 (sse and
mse any numbers too: regression); ce takes one list of scores (logits) per sample,
one per class, and class labels 0 .. k-1. Each is written with `Value` operations,
so its graph can be drawn and its gradients checked like any other expression.
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
# The loss over several outputs per sample (several classes): apart, as every loss above takes one
CLASS_LOSSES = {"ce": "softmax cross-entropy (several classes)"}
ALL_LOSSES = {**LOSSES, **CLASS_LOSSES}


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


def softmax_cross_entropy(logits: Sequence[Value], label: int) -> Value:
    """-log softmax(logits)[label] = log Σ_j e^(z_j - m) - (z_label - m), with m = max_j z_j.

    Subtracting the largest logit m keeps every exponent at 0 or below, so e^ never
    overflows (logits of 1000 are fine) and the sum is at least 1 (its log is finite).
    m enters the graph as a constant leaf, "max (constant)": no gradient flows into it,
    and none needs to. The loss does not change when every logit moves by the same
    amount, so its derivative along m is exactly zero: ∂loss/∂m = Σ_j softmax_j - 1 = 0.
    Treating m as a constant therefore leaves every logit's gradient softmax_j - [j = label]
    as it is, although m was picked from the logits.
    """
    m = Value(max(z.data for z in logits), label="max (constant)")
    minus_m = -m  # z - m is z + (-m): one negation for all the logits, not one each
    shifted = [z + minus_m for z in logits]
    log_sum = _total([s.exp() for s in shifted]).log()
    return log_sum - shifted[label]


def ce(scores: Sequence[Sequence[Value]], targets: Sequence[float]) -> Value:
    """The mean softmax cross-entropy: each sample's scores are its logits, one per class."""
    _check(scores, targets)
    losses = []
    for logits, y in zip(scores, targets):
        if isinstance(logits, Value):
            raise ValueError("softmax cross-entropy needs one output per class, not a single output")
        if not (float(y).is_integer() and 0 <= y < len(logits)):
            raise ValueError(f"class label {y!r} is not one of 0 to {len(logits) - 1}")
        losses.append(softmax_cross_entropy(logits, int(y)))
    return _total(losses) * (1.0 / len(losses))


def l2(parameters: Sequence[Value], strength: float) -> Value:
    """strength · Σ p², the regularisation micrograd's demo adds (there with 1e-4)."""
    return strength * _total([p * p for p in parameters])


def loss_function(name: str):
    """The loss function called `name` (one of LOSSES)."""
    functions = {"sse": sse, "mse": mse, "hinge": hinge, "bce": bce, "ce": ce}
    if name not in functions:
        raise ValueError(f"unknown loss {name!r}; choose one of {', '.join(ALL_LOSSES)}")
    return functions[name]


def accuracy(scores: Sequence[float], targets: Sequence[float], threshold: float = 0.0) -> float:
    """The fraction of samples whose score lies on the target's side of `threshold`."""
    if not scores:
        return 0.0
    hits = sum((s > threshold) == (y > threshold) for s, y in zip(scores, targets))
    return hits / len(scores)
