"""Neuron, Layer and MLP on top of `Value`, as built in the lecture.

`parameters()` lists weights in micrograd's order: layer by layer, neuron by
neuron, each neuron's weights then its bias. Weights are drawn uniformly from
[-1, 1] (the lecture's initialisation) by a `random.Random(seed)`, so the same
seed always gives the same network.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from engine.network_outputs import network_outputs
from engine.network_pass import network_pass
from engine.neuron import lecture_neuron, neuron_node
from engine.ops import ACTIVATIONS as ACTIVATIONS  # re-exported: the GUI's choices
from engine.ops import check_activation
from engine.value import Value, as_values


class Module:
    def parameters(self) -> list[Value]:
        return []

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.grad = 0.0


class Neuron(Module):
    """act(w · x + b), as one `Value.neuron` node (the graph view can expand it)."""

    def __init__(self, nin: int, activation: str = "tanh", rng: random.Random | None = None):
        check_activation(activation)
        rng = rng or random.Random()
        self.w = [Value(rng.uniform(-1, 1), label="w") for _ in range(nin)]
        self.b = Value(rng.uniform(-1, 1), label="b")
        self.activation = activation
        self._op = f"neuron:{activation}"

    def __call__(self, x: Sequence[Value | float]) -> Value:
        # The lecture's line, `reference_call`, makes 2n + 1 nodes:
        #     sum((wi*xi for wi, xi in zip(self.w, x)), self.b).tanh()
        # This makes one node with the same data and, after backward(), the same grads, bit for bit.
        if len(x) != len(self.w):
            raise ValueError(f"this neuron takes {len(self.w)} inputs, got {len(x)}")
        xs = as_values(x)
        return neuron_node(self.w, xs, self.b, self._op, [v.data for v in xs])

    def reference_call(self, x: Sequence[Value | float]) -> Value:
        """The lecture's Neuron.__call__, node by node, with this neuron's activation."""
        if len(x) != len(self.w):
            raise ValueError(f"this neuron takes {len(self.w)} inputs, got {len(x)}")
        return lecture_neuron(self.w, x, self.b, self.activation)

    def parameters(self) -> list[Value]:
        return [*self.w, self.b]

    def __repr__(self) -> str:
        return f"Neuron({len(self.w)}, {self.activation})"


class Layer(Module):
    """`nout` neurons that all read the same inputs."""

    def __init__(self, nin: int, nout: int, activation: str = "tanh", rng: random.Random | None = None):
        rng = rng or random.Random()
        check_activation(activation)
        self.neurons = [Neuron(nin, activation, rng) for _ in range(nout)]
        self.nin, self.nout, self.activation = nin, nout, activation

    def __call__(self, x: Sequence[Value | float]) -> Value | list[Value]:
        if len(x) != self.nin:
            raise ValueError(f"this layer takes {self.nin} inputs, got {len(x)}")
        # Once per layer, not per neuron: every neuron shares the same input nodes
        # and reads their data from one list (the hot loop of training).
        x = tuple(as_values(x))  # one tuple: every neuron node of this layer shares it as its inputs
        xd = [v.data for v in x]
        out = [neuron_node(n.w, x, n.b, n._op, xd) for n in self.neurons]
        return out[0] if len(out) == 1 else out

    def parameters(self) -> list[Value]:
        params = []
        for n in self.neurons:
            params += n.parameters()  # extends in C: training lists the parameters three times a step
        return params

    def __repr__(self) -> str:
        return f"Layer({self.nin} -> {self.nout}, {self.activation})"


class MLP(Module):
    """A multi-layer perceptron: `MLP(3, [4, 4, 1])` is the lecture's network.

    `activation` is used by the hidden layers and `output_activation` (default:
    the same) by the last one; `activations` instead names one per layer.
    """

    def __init__(
        self,
        nin: int,
        nouts: Sequence[int],
        activation: str = "tanh",
        output_activation: str | None = None,
        seed: int | None = None,
        activations: Sequence[str] | None = None,
    ):
        sizes_ok = all(isinstance(n, int) and not isinstance(n, bool) and n >= 1 for n in [nin, *nouts])
        if not nouts or not sizes_ok:
            raise ValueError(f"layer sizes must be positive integers, got inputs={nin}, layers={list(nouts)}")
        rng = random.Random(seed)
        sizes = [nin, *nouts]
        acts = [activation] * (len(nouts) - 1) + [output_activation or activation]
        if activations is not None:  # one per layer, overriding the two above
            if len(activations) != len(nouts):
                raise ValueError(f"{len(activations)} activations for {len(nouts)} layers")
            acts = list(activations)
        self.layers = [Layer(sizes[i], sizes[i + 1], acts[i], rng) for i in range(len(nouts))]
        self.nin = nin
        self._label_parameters()

    def __call__(self, x: Sequence[Value | float]) -> Value | list[Value]:
        # The whole pass is one node (engine/network_pass.py), and with several outputs one node
        # per output beside it (engine/network_outputs.py): the same data and grads, bit for bit,
        # as `layered`, without a Value per neuron per sample.
        if len(x) != self.nin:
            raise ValueError(f"this network takes {self.nin} inputs, got {len(x)}")
        if self.layers[-1].nout == 1:
            return network_pass(self.layers, x)
        return network_outputs(self.layers, x)

    def layered(self, x: Sequence[Value | float]) -> Value | list[Value]:
        """The pass as each Layer makes it, one node per neuron: the graph that tools read node by node."""
        for layer in self.layers:
            x = layer(x)
            if isinstance(x, Value):
                x = [x]
        return x[0] if len(x) == 1 else x

    def parameters(self) -> list[Value]:
        params = []
        for layer in self.layers:
            params += layer.parameters()
        return params

    @property
    def sizes(self) -> list[int]:
        """Output size of each layer, e.g. [4, 4, 1]."""
        return [layer.nout for layer in self.layers]

    def _label_parameters(self) -> None:
        # Names the graph view shows: w[layer][neuron][input], b[layer][neuron], 1-based
        for li, layer in enumerate(self.layers, 1):
            for ni, neuron in enumerate(layer.neurons, 1):
                for wi, w in enumerate(neuron.w, 1):
                    w.label = f"w{li}.{ni}.{wi}"
                neuron.b.label = f"b{li}.{ni}"

    def __repr__(self) -> str:
        acts = [layer.activation for layer in self.layers]
        return f"MLP({self.nin}, {self.sizes}, activations={acts})"


def initial_weights(
    nin: int, nouts: Sequence[int], seed: int | None
) -> list[tuple[list[list[float]], list[float]]]:
    """The weights `MLP(nin, nouts, seed=seed)` starts with, per layer (rows, biases), without building it.

    An MLP of 8 layers of 256 makes half a million `Value`s (a second or more); the
    numbers alone take milliseconds. They are the same numbers, bit for bit: the
    generator is `random.Random(seed)` in the same state, continued in NumPy (the
    same Mersenne Twister and the same 53-bit doubles as `random.random`), and
    each is `-1 + 2 * u`, which is `uniform(-1, 1)`; drawn in the same order as the
    Neurons draw them: layer by layer, neuron by neuron, its weights then its bias.
    """
    import numpy as np  # only here: importing the engine must not import NumPy (training does not need it)

    sizes = [nin, *nouts]
    count = sum((sizes[i] + 1) * sizes[i + 1] for i in range(len(nouts)))
    _, mt_state, _ = random.Random(seed).getstate()
    generator = np.random.RandomState()
    generator.set_state(("MT19937", np.array(mt_state[:-1], dtype=np.uint32), mt_state[-1]))
    draws = -1.0 + 2.0 * generator.random_sample(count)
    layers, at = [], 0
    for layer_in, layer_out in zip(sizes, nouts):
        block = draws[at : at + layer_out * (layer_in + 1)].reshape(layer_out, layer_in + 1)
        layers.append((block[:, :layer_in].tolist(), block[:, layer_in].tolist()))
        at += block.size
    return layers
