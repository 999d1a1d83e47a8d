"""A network with several outputs (classes) on one sample: one pass, and a node per output.

As engine/network_pass.py does for one output, the layers' outputs stay lists of floats;
here the pass is a node shared by the network's k outputs (`SharedPass`), and each output
is a node of its own (`NetworkOutput`), the Values `model(x)` returns: 1 + k nodes per
sample where the neuron nodes of `MLP.layered` are one per neuron (35 for 2-16-16-3).

backward() reaches them as it reaches the neuron nodes of the last layer: an output's rule
only deposits its grad, d(root)/d(output j), with the shared pass; the pass, created just
before its outputs, comes after all of them, and walks the layers back once with the
deposited grads as upstream, in the neuron nodes' order (engine/network_pass.py's
`network_backward`). So data and every grad are bit for bit those of the layered form,
for any loss over the outputs (an output used twice, or not at all, a second backward()).

The pass runs when some output passed it a grad other than 0, as a node runs when its own
grad is not 0: its grad is the sum of the deposits' sizes |d(root)/d(output j)|, which two
grads of opposite signs cannot cancel to 0. backward() sets it to 0 as it collects the
pass (as every interior grad restarts at 0), so the first deposit of each call knows to
clear the last call's.

What views and tools read of an output: `op`, `index` (which output), `operands` (the
inputs, then every weight and bias: what it is computed from, as a one-output pass says),
`layers` and `layer_outputs`. The shared pass is reached only through backward()'s
`_prev`: it is not a number of the network, so no view meets it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from engine.network_pass import NetworkPass, network_backward, network_pass
from engine.value import BACKWARD_RULES, Number, Value

if TYPE_CHECKING:
    from engine.nn import Layer

SHARED_PASS_OP = "network pass"
NETWORK_OUTPUT_OP = "network output"


class SharedPass(NetworkPass):
    """A network's pass over one sample, shared by its outputs: their grads go back through it."""

    __slots__ = ("_deposits",)


class NetworkOutput(Value):
    """Output `index` of a network with several outputs, on one sample."""

    __slots__ = ("_index",)

    @property
    def index(self) -> int:
        return self._index

    @property
    def operands(self) -> tuple[Value, ...]:
        """The inputs, then every weight and bias (in `MLP.parameters()` order), as a one-output pass's."""
        return self._prev[0].operands

    @property
    def layers(self) -> tuple[Layer, ...]:
        return self._prev[0]._layers

    @property
    def layer_outputs(self) -> list[list[float]]:
        """Every layer's outputs on this sample, the inputs' data first (shared by the outputs)."""
        return self._prev[0]._activations


def network_outputs(layers: Sequence[Layer], x: Sequence[Value | Number]) -> list[NetworkOutput]:
    """The network's k outputs on `x`, one node each, over one shared pass; see the module's docstring.

    Inputs given as floats are constants of the pass (see `network_pass`).
    """
    # Its data is the first output's: no view reads it (it is in no node's `operands`).
    shared = network_pass(layers, x, SharedPass, SHARED_PASS_OP)
    shared._deposits = None
    below = (shared,)  # created before its outputs: backward() reaches it after all of them
    outputs = []
    for index, data in enumerate(shared._activations[-1]):
        output = NetworkOutput(data, below, NETWORK_OUTPUT_OP)
        output._index = index
        outputs.append(output)
    return outputs


def _output_backward(out: NetworkOutput) -> None:
    """Deposit d(root)/d(this output) with the shared pass (backward() runs this only if it is not 0)."""
    shared = out._prev[0]
    if shared.grad == 0.0:  # the first deposit of this backward() call: the last call's are stale
        shared._deposits = [0.0] * len(shared._activations[-1])
    shared._deposits[out._index] = out.grad  # backward() runs a node's rule once, with its whole grad
    shared.grad += abs(out.grad)


def _shared_backward(shared: SharedPass) -> None:
    """Walk the layers back once, with every output's deposited grad (0 where none came)."""
    upstream, shared._deposits = shared._deposits, None
    if upstream is not None:  # None: backward() called on the pass itself, which no output feeds
        network_backward(shared, upstream)


BACKWARD_RULES[NETWORK_OUTPUT_OP] = _output_backward
BACKWARD_RULES[SHARED_PASS_OP] = _shared_backward
