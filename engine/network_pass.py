"""A whole pass of an MLP over one sample as one node: what training runs.

Training calls the network once per sample per step. Made of neuron nodes
(engine/neuron.py), that is a `Value` per neuron per sample: 3,300 objects per step
of the moons demo, each created, walked by backward() and freed, which took more time
than the arithmetic. Here the pass is one node: the layers' outputs stay lists of
floats, and its backward rule walks them back, layer by layer, as a hand-written
network would. It computes the same floats in the same order as the neuron nodes
(forward: each neuron adds b + w1*x1 + ... left to right; backward: a layer's neurons
last to first, each neuron's inputs last to first), so data and every gradient are
bit for bit theirs. With several outputs (classes), engine/network_outputs.py makes
one such pass per sample and a node per output beside it. `MLP.layered` still builds
the neuron nodes, for whoever reads the graph neuron by neuron (compiled mode, the
breakdown finder), and the graph view draws the lecture's nodes.

A pass node's operands are its input Values (none when the inputs were given as
floats: those are constants) and then every weight and bias; backward() walks only the
inputs (`_prev`): the parameters are leaves.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from engine.ops import ACTIVATION, relu
from engine.value import BACKWARD_RULES, Number, Value, as_values

if TYPE_CHECKING:
    from engine.nn import Layer

NETWORK_OP = "network"


class NetworkPass(Value):
    """The output of an MLP with one output, on one sample: one node for the whole network."""

    __slots__ = ("_layers", "_activations")

    @property
    def operands(self) -> tuple[Value, ...]:
        """The inputs, then every weight and bias (in `MLP.parameters()` order)."""
        return (*self._prev, *(p for layer in self._layers for p in layer.parameters()))

    @property
    def layers(self) -> tuple[Layer, ...]:
        return self._layers

    @property
    def layer_outputs(self) -> list[list[float]]:
        """Every layer's outputs on this sample, the inputs' data first."""
        return self._activations


def network_pass(
    layers: Sequence[Layer],
    x: Sequence[Value | Number],
    kind: type[NetworkPass] = NetworkPass,
    op: str = NETWORK_OP,
) -> NetworkPass:
    """The network's output on `x` (one output neuron) as one node; see the module's docstring.

    Inputs given as floats are constants of the pass, as a tensor without requires_grad is
    in PyTorch: no Value is made for them, and no grad computed (pass Values to get theirs).
    `kind` and `op` make another kind of pass node: engine/network_outputs.py's, shared by
    several outputs. (One function for both, inline: a call more per sample would cost the
    moons demo's step 0.3% of its instructions.)
    """
    inputs, below = (), list(x)
    for v in below:
        if v.__class__ is not float:  # Values, or other numbers: made Values, as micrograd makes them
            inputs = tuple(as_values(x))
            below = [v.data for v in inputs]
            break
    activations = [below]
    for layer in layers:
        activation, outputs = ACTIVATION[layer.activation].forward, []
        # relu's expression is written in here: a call to relu() per neuron was 3% of the moons step
        relu_inline = activation is relu
        for neuron in layer.neurons:
            # the same float additions, in the same order, as a neuron node (engine/neuron.py)
            total = neuron.b.data
            for w, xi in zip(neuron.w, below):
                total += w.data * xi
            outputs.append((total if total > 0.0 else 0.0) if relu_inline else activation(total))
        activations.append(outputs)
        below = outputs
    node = kind(below[0], inputs, op)
    node._layers = tuple(layers)
    node._activations = activations
    return node


def network_backward(out: NetworkPass, upstream: list[float] | None = None) -> None:
    """Each layer's neurons, last to first, as backward() meets the neuron nodes of a layered pass.

    `upstream` is d(root)/d(each output of the network); for a one-output pass (backward()
    calls this as its rule) its own grad. An output whose entry is exactly 0 passes nothing
    back, as backward() skips a neuron node whose grad is 0.
    """
    layers, activations, inputs = out._layers, out._activations, out._prev
    if upstream is None:
        upstream = [out.grad]
    for index in range(len(layers) - 1, 0, -1):
        upstream = _layer_backward(layers[index], activations[index], activations[index + 1], upstream)
    if not inputs:  # constant inputs take no grads: the first layer is as any other
        _layer_backward(layers[0], activations[0], activations[1], upstream)
        return
    # The first layer adds to the input Values themselves, one neuron at a time as the neuron
    # nodes do (an input may be used twice, or hold a grad already).
    below = activations[0]
    for neuron, g in _active_neurons(layers[0], activations[1], upstream):
        weights = neuron.w
        for i in range(len(below) - 1, 0, -1):
            weights[i].grad += below[i] * g
            inputs[i].grad += weights[i].data * g
        neuron.b.grad += g
        weights[0].grad += below[0] * g
        inputs[0].grad += weights[0].data * g


def _layer_backward(
    layer: Layer, below: list[float], outputs: list[float], upstream: list[float]
) -> list[float]:
    """A layer above the first: add its weights' and biases' grads; return d(root)/d(each of its inputs).

    Each sum gets one term per neuron, the neurons last to first as backward() meets their
    nodes, so it rounds as theirs do; a neuron's own terms each go to a sum of their own (a
    weight's grad, an input's), so their order within the neuron is free.
    """
    passed = [0.0] * len(below)
    slope, neurons = ACTIVATION[layer.activation].slope, layer.neurons
    for j in range(len(neurons) - 1, -1, -1):
        if upstream[j] == 0.0:  # backward() skips a node whose grad is exactly 0
            continue
        g = slope(outputs[j]) * upstream[j]  # d(root)/d(the neuron's sum)
        if g == 0.0:  # a ReLU that is off would add 0 to everything
            continue
        neuron = neurons[j]
        neuron.b.grad += g
        for i, w in enumerate(neuron.w):
            w.grad += below[i] * g
            passed[i] += w.data * g
    return passed


def _active_neurons(layer: Layer, outputs: list[float], upstream: list[float]) -> list[tuple]:
    """(neuron, g) for each neuron that passes something back, last to first; g = d(root)/d(its sum)."""
    slope, neurons, active = ACTIVATION[layer.activation].slope, layer.neurons, []
    for j in range(len(neurons) - 1, -1, -1):
        if upstream[j] == 0.0:  # backward() skips a node whose grad is exactly 0
            continue
        g = slope(outputs[j]) * upstream[j]
        if g != 0.0:  # a ReLU that is off would add 0 to everything
            active.append((neurons[j], g))
    return active


BACKWARD_RULES[NETWORK_OP] = network_backward
