"""The scalar autograd engine: `Value`, and a Neuron / Layer / MLP library on top.

Pure Python: nothing here imports Qt, matplotlib or graphviz, so everything the
app computes can be run and tested headless.
"""

from engine.nn import MLP, Layer, Module, Neuron
from engine.value import Value

__all__ = ["MLP", "Layer", "Module", "Neuron", "Value"]
