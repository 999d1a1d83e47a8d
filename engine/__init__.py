"""The scalar autograd engine: `Value`, and a Neuron / Layer / MLP library on top.

Where the lecture's ideas live: value.py is micrograd's Value (each op with its local
derivative right under it, the only place it is written: a backward rule, or an
activation's slope); ops.py is the op table (every operation's forward, NumPy form and
rule text, its local derivative computed by running value.py's rule); neuron.py makes a
whole neuron one node, and network_pass.py a whole pass of an MLP over one sample (what
training runs; network_outputs.py its outputs when there are several); nn.py is Neuron, Layer and MLP; compiled/ replays a training step as
NumPy array operations.

Pure Python: nothing here imports Qt, matplotlib or graphviz, so everything the
app computes can be run and tested headless.
"""

from engine.nn import MLP, Layer, Module, Neuron
from engine.value import Value

__all__ = ["MLP", "Layer", "Module", "Neuron", "Value"]
