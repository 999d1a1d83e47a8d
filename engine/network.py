"""What every neuron computes, from a weights snapshot: the numbers behind the Network view.

One NumPy pass over a grid of points gives every neuron's output at every point
(`neuron_outputs`): the small pictures of the Network view and the large one of a
hovered neuron on the decision-boundary plot. `sample_pass` is one sample's forward
pass in the engine's own float order (bit for bit the numbers of `MLP(x)`), and
`loss_gradients` is backprop in NumPy: the loss over the data, the gradient of every
weight and bias, and of every neuron's output on every sample (what the next
full-batch update uses, and the grads the scalar engine's `backward()` gives to 1e-12).

NumPy is imported inside the functions, as in engine/weights.py: the scalar engine
does not need it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import reduce
from operator import add, mul
from typing import TYPE_CHECKING, Any

from engine.ops import ACTIVATION
from engine.weights import LayerWeights, ModelWeights

if TYPE_CHECKING:
    import numpy


def _layer_arrays(layer: LayerWeights) -> tuple[numpy.ndarray, numpy.ndarray]:
    import numpy as np

    return np.asarray(layer.weight, dtype=np.float64), np.asarray(layer.bias, dtype=np.float64)


def neuron_outputs(weights: ModelWeights, points: Any, up_to: int | None = None) -> list[numpy.ndarray]:
    """Every neuron's output at every point: one (points, neurons) array per layer, first layer first.

    `up_to` stops after that many layers (a hovered neuron needs no layer past its own)."""
    import numpy as np

    h = np.asarray(points, dtype=np.float64)
    if h.ndim != 2 or h.shape[1] != weights.inputs:
        raise ValueError(f"expected points of shape (n, {weights.inputs}), got {h.shape}")
    outputs = []
    with np.errstate(over="ignore", invalid="ignore"):  # a diverging model: non-finite pixels, drawn blank
        for layer in weights.layers[:up_to]:
            w, b = _layer_arrays(layer)
            h = ACTIVATION[layer.activation].on_arrays()(h @ w.T + b)
            outputs.append(h)
    return outputs


def plane_points(
    limits: tuple[float, float, float, float],
    size: int,
    inputs: int,
    axes: tuple[int, int] = (0, 1),
    held: Sequence[float] | None = None,
) -> tuple[numpy.ndarray, numpy.ndarray, numpy.ndarray]:
    """The centres of a size x size grid over `limits` on inputs `axes` (rows = second axis),
    every other input held at `held` (0 if not given); and the cells' values on both axes.

    With one input the rows repeat: the picture varies along x1 only."""
    import numpy as np

    x0, x1, y0, y1 = limits
    xs = x0 + (np.arange(size) + 0.5) * (x1 - x0) / size
    ys = y0 + (np.arange(size) + 0.5) * (y1 - y0) / size
    gx, gy = np.meshgrid(xs, ys)
    points = np.zeros((size * size, inputs))
    if held is not None:
        points[:] = np.asarray(held, dtype=np.float64)
    points[:, axes[0]] = gx.ravel()
    if inputs > 1:
        points[:, axes[1]] = gy.ravel()
    return points, xs, ys


def sample_pass(weights: ModelWeights, x: Sequence[float]) -> list[list[float]]:
    """Each layer's outputs on one sample, in the engine's float order: equal to the Values of `MLP(x)`."""
    if len(x) != weights.inputs:
        raise ValueError(f"these weights take {weights.inputs} inputs, got {len(x)}")
    h = [float(v) for v in x]
    layers = []
    for layer in weights.layers:
        act = ACTIVATION[layer.activation].forward
        h = [act(reduce(add, map(mul, row, h), b)) for row, b in zip(layer.weight, layer.bias)]
        layers.append(h)
    return layers


@dataclass
class Gradients:
    """The loss over the data and its gradients, at one weights snapshot."""

    loss: float
    weight: list[numpy.ndarray]  # per layer, shaped as the layer's weight (neurons, inputs)
    bias: list[numpy.ndarray]  # per layer, one per neuron
    neuron: list[numpy.ndarray]  # per layer, (samples, neurons): ∂loss/∂(the neuron's output on the sample)


def _loss_and_slope(name: str, scores: Any, targets: Any) -> tuple[float, Any]:
    """The loss of engine/losses.py on the scores, and ∂loss/∂score of each sample."""
    import numpy as np

    n = len(scores)
    if name in ("sse", "mse"):
        scale = 1.0 if name == "sse" else 1.0 / n
        return float(np.sum((scores - targets) ** 2) * scale), 2.0 * (scores - targets) * scale
    if name == "hinge":
        margin = 1.0 - targets * scores
        return float(np.sum(np.maximum(margin, 0.0)) / n), np.where(margin > 0, -targets, 0.0) / n
    if name == "bce":
        z = -targets * scores
        e = np.exp(-np.abs(z))
        loss = np.maximum(z, 0.0) + np.log1p(e)
        slope_z = (z > 0) - e / (1.0 + e) * ((z > 0).astype(float) - (z < 0))
        return float(np.sum(loss) / n), slope_z * -targets / n
    raise ValueError(f"unknown loss {name!r}")


def _cross_entropy_and_slope(logits: Any, labels: Any) -> tuple[float, Any]:
    """Mean softmax cross-entropy of (samples, classes) logits, and ∂loss/∂logit: (softmax - one-hot) / n.

    The largest logit of each sample is subtracted first, as engine/losses.py does."""
    import numpy as np

    n = len(logits)
    shifted = logits - logits.max(axis=1, keepdims=True)
    exps = np.exp(shifted)
    sums = exps.sum(axis=1)
    picked = shifted[np.arange(n), labels.astype(int)]
    one_hot = np.zeros_like(logits)
    one_hot[np.arange(n), labels.astype(int)] = 1.0
    return float(np.sum(np.log(sums) - picked) / n), (exps / sums[:, None] - one_hot) / n


def loss_gradients(
    weights: ModelWeights, inputs: Any, targets: Any, loss: str = "mse", l2: float = 0.0
) -> Gradients:
    """Backprop in NumPy over all samples: the loss (with L2) and the gradient of every parameter
    and neuron output, as the engine's `loss.backward()` after `zero_grad` gives them."""
    import numpy as np

    x = np.asarray(inputs, dtype=np.float64).reshape(len(inputs), weights.inputs)
    outputs = neuron_outputs(weights, x)
    if loss == "ce":  # one output per class: the slope reaches every output
        value, grad_out = _cross_entropy_and_slope(outputs[-1], np.asarray(targets, dtype=np.float64))
    else:
        value, slope = _loss_and_slope(loss, outputs[-1][:, 0], np.asarray(targets, dtype=np.float64))
        grad_out = np.zeros_like(outputs[-1])
        grad_out[:, 0] = slope
    weight_grads, bias_grads, neuron_grads = [], [], []
    for index in range(len(weights.layers) - 1, -1, -1):
        layer = weights.layers[index]
        w, b = _layer_arrays(layer)
        neuron_grads.append(grad_out)
        grad_z = grad_out * ACTIVATION[layer.activation].slope(outputs[index])
        below = outputs[index - 1] if index else x
        weight_grads.append(grad_z.T @ below + 2.0 * l2 * w)
        bias_grads.append(grad_z.sum(axis=0) + 2.0 * l2 * b)
        grad_out = grad_z @ w
    if l2:
        value += l2 * sum(float(np.sum(w * w) + np.sum(b * b)) for w, b in map(_layer_arrays, weights.layers))
    return Gradients(value, weight_grads[::-1], bias_grads[::-1], neuron_grads[::-1])


# ---- parameters by position, in `MLP.parameters()` order


def parameter_index(weights: ModelWeights, layer: int, neuron: int, input_index: int | None) -> int:
    """The position in `MLP.parameters()` of a weight (0-based layer, neuron, input) or, with
    `input_index` None, of that neuron's bias: each neuron's weights, then its bias, layer by layer."""
    at = 0
    for below in weights.layers[:layer]:
        at += len(below.bias) * (len(below.weight[0]) + 1)
    fan_in = len(weights.layers[layer].weight[0])
    return at + neuron * (fan_in + 1) + (fan_in if input_index is None else input_index)


def parameter_at(weights: ModelWeights, index: int) -> tuple[int, int, int | None]:
    """(layer, neuron, input or None for the bias) of the parameter at `index` (inverse of parameter_index)."""
    if index < 0:
        raise IndexError(f"no parameter {index}")
    for layer_index, layer in enumerate(weights.layers):
        fan_in = len(layer.weight[0])
        size = len(layer.bias) * (fan_in + 1)
        if index < size:
            neuron, position = divmod(index, fan_in + 1)
            return layer_index, neuron, None if position == fan_in else position
        index -= size
    raise IndexError("the network has fewer parameters")


def with_parameter(weights: ModelWeights, index: int, value: float) -> ModelWeights:
    """A copy of `weights` with the parameter at `index` set to `value` (the rest shared, unchanged)."""
    layer_index, neuron, input_index = parameter_at(weights, index)
    layer = weights.layers[layer_index]
    if input_index is None:
        bias = list(layer.bias)
        bias[neuron] = float(value)
        changed = replace(layer, bias=bias)
    else:
        weight = list(layer.weight)
        weight[neuron] = list(weight[neuron])
        weight[neuron][input_index] = float(value)
        changed = replace(layer, weight=weight)
    layers = list(weights.layers)
    layers[layer_index] = changed
    return replace(weights, layers=layers)
