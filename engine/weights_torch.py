"""Weights as PyTorch: an ``nn.Sequential`` in float64, its state_dict file, and PyTorch's grads.

torch is imported only inside the functions: nothing else in the engine needs it.
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

from engine.files import atomic_write_bytes
from engine.ops import ACTIVATION
from engine.weights import ModelWeights, check_loadable

if TYPE_CHECKING:
    import torch


def to_torch_sequential(weights: ModelWeights) -> torch.nn.Sequential:
    """``nn.Sequential(Linear, act, Linear, act, ...)`` in float64, with exactly these weights.

    Layer i (from 0) is module 2*i, so its state_dict keys are f"{2*i}.weight" and
    f"{2*i}.bias"; its activation is module 2*i+1 (Tanh, ReLU, Sigmoid, or Identity
    for "linear", which keeps the numbering even). Activations have no parameters,
    so a hand-built Sequential that leaves out a final Identity loads the same state_dict.
    """
    import torch
    from torch import nn

    modules: list[nn.Module] = []
    for nin, layer in zip([weights.inputs, *weights.sizes], weights.layers):
        linear = nn.Linear(nin, len(layer.bias), dtype=torch.float64)
        with torch.no_grad():
            linear.weight.copy_(torch.tensor(layer.weight, dtype=torch.float64))
            linear.bias.copy_(torch.tensor(layer.bias, dtype=torch.float64))
        modules += [linear, getattr(nn, ACTIVATION[layer.activation].torch_module)()]
    return nn.Sequential(*modules)


def save_torch(weights: ModelWeights, path: str | os.PathLike) -> None:
    """torch.save the Sequential's state_dict, atomically; only the input names go along, in the
    state_dict's own metadata, so ``model.load_state_dict(torch.load(path))`` works on a matching Sequential."""
    import torch

    check_loadable(weights)
    buffer = io.BytesIO()
    state = to_torch_sequential(weights).state_dict()  # its _metadata is what load_state_dict ignores:
    state._metadata[""]["input_names"] = weights.metadata.get("input_names", [])  # the inputs it expects
    torch.save(state, buffer)
    atomic_write_bytes(path, buffer.getvalue())


def torch_parameter_grads(
    weights: ModelWeights, inputs: Sequence[Sequence[float]], targets: Sequence[float], loss: str
) -> tuple[float, list[float]]:
    """The loss over these samples and every parameter's grad, computed by PyTorch in float64.

    Grads come in micrograd's `parameters()` order (layer by layer, neuron by
    neuron, its weights then its bias), to set beside the engine's. For "ce" the
    network has one output per class and the targets are class labels 0 .. k-1.
    """
    import torch

    net = to_torch_sequential(weights)
    outputs = net(torch.tensor(inputs, dtype=torch.float64))
    if loss == "ce":  # one logit per class; the targets are class indices
        labels = torch.tensor([int(t) for t in targets], dtype=torch.long)
        total = torch.nn.functional.cross_entropy(outputs, labels)
        return _backward(net, total)
    scores = outputs.reshape(-1)
    y = torch.tensor(targets, dtype=torch.float64)
    total = {
        "sse": lambda: ((scores - y) ** 2).sum(),
        "mse": lambda: ((scores - y) ** 2).mean(),
        "hinge": lambda: torch.relu(1 - y * scores).mean(),
        "bce": lambda: torch.nn.functional.softplus(-y * scores).mean(),
    }[loss]()
    return _backward(net, total)


def _backward(net: torch.nn.Sequential, total: torch.Tensor) -> tuple[float, list[float]]:
    """Backpropagate `total`; its value and the grads in micrograd's parameter order."""
    total.backward()
    grads: list[float] = []
    for linear in net[::2]:
        for row, bias in zip(linear.weight.grad.tolist(), linear.bias.grad.tolist()):
            grads += [*row, bias]
    return total.item(), grads
