"""The computation graph as the lecture draws it: a record per value, a small node per operation.

The model only; drawing it (DOT text, running `dot`, editing the SVG, colours and
fonts) is the view's business (`gui.graph.render`, `gui.graph.svg`).

* `Graph` names every node of a `Value` graph and knows each one's kind (input,
  weight, bias, constant, value, output) and local derivatives.
* `sample_graph` / `dataset_graph` build one forward and backward pass of an MLP
  in the lecture's expanded form (``w1*x1 + w2*x2 + b -> tanh``) or with each
  neuron as one node, with tanh as one node or as its exp form;
  `expression_graph` the graph of an expression the learner typed.
* `drawn_size` / `drawn_edge_count` say how large a model's graph would be before
  a single `Value` is built, so a graph too large to draw is refused at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from engine.data import Dataset
from engine.losses import loss_function
from engine.neuron import lecture_neuron
from engine.nn import MLP
from engine.ops import local_derivatives
from engine.spec import ModelSpec
from engine.value import Value, topological_order
from engine.weights import ModelWeights

KINDS = ("input", "weight", "bias", "constant", "value", "output")
MAX_NODES = 3000  # beyond this a layout takes too long to be useful in class
MAX_EDGES = 10000  # likewise for arrows: wide layers drawn one node per neuron connect every pair
LOSS_NODES = 4  # what a sample's loss adds to its forward pass: target, difference, power, sum


class GraphError(RuntimeError):
    """Graphviz missing, too slow, or a graph too large to draw; the message says what to do."""


@dataclass(eq=False)  # identity, so nodes can be dict keys
class GraphNode:
    id: str
    value: Value
    kind: str
    name: str  # the label the record shows

    @property
    def op(self) -> str:
        return self.value.op


class Graph:
    """Every node behind `root`, in topological order, with a stable id ("v0", "v1", ...)."""

    def __init__(self, root: Value, kinds: dict[Value, str] | None = None, fold_parameters: bool = False):
        """`fold_parameters`: draw weights and biases inside their neuron (its details list them)."""
        kinds = kinds or {}
        self.root = root
        self.fold_parameters = fold_parameters
        order = topological_order(root)
        drawn = sum(1 for v in order if not (fold_parameters and kinds.get(v) in ("weight", "bias")))
        if drawn > MAX_NODES:
            raise GraphError(f"{drawn:,} nodes is too many to draw (at most {MAX_NODES:,}); collapse neurons")
        self.nodes: list[GraphNode] = []
        self._by_value: dict[Value, GraphNode] = {}
        for i, v in enumerate(order):
            kind = kinds.get(v) or ("output" if v is root else "value" if v.operands else "constant")
            node = GraphNode(f"v{i}", v, kind, v.label)
            self.nodes.append(node)
            self._by_value[v] = node
        self._by_id = {n.id: n for n in self.nodes}

    def __len__(self) -> int:
        return len(self.nodes)

    @property
    def node_ids(self) -> dict[str, GraphNode]:
        """Node id -> node, for every node (a read-only view: do not change it)."""
        return self._by_id

    def is_drawn(self, node: GraphNode) -> bool:
        return not (self.fold_parameters and node.kind in ("weight", "bias"))

    def node(self, node_id: str) -> GraphNode:
        return self._by_id[node_id]

    def has(self, node_id: str | None) -> bool:
        return node_id in self._by_id

    def of(self, value: Value) -> GraphNode:
        return self._by_value[value]

    def operands(self, node: GraphNode) -> list[GraphNode]:
        return [self._by_value[v] for v in node.value.operands]

    def local_derivatives(self, node: GraphNode) -> list[tuple[GraphNode, float]]:
        """d(node)/d(operand) for each operand, with the data as it is now."""
        v = node.value
        return [(self._by_value[p], d) for p, d in zip(v.operands, local_derivatives(v))]


# ---- graphs of a model


def _drawn_neuron(
    weights: Sequence[Value],
    xs: Sequence[Value],
    bias: Value,
    activation: str,
    expanded: bool,
    tanh_as_exp: bool,
) -> tuple[Value, Value]:
    """(its weighted sum, its output) for a neuron the graph draws expanded, or with tanh as exps."""
    total = (
        lecture_neuron(weights, xs, bias, "linear") if expanded else Value.neuron(weights, xs, bias, "linear")
    )
    if activation == "tanh" and tanh_as_exp:
        # tanh(n) = (e^{2n} - 1) / (e^{2n} + 1), the form the lecture derives first
        e = (2 * total).exp()
        return total, (e - 1) / (e + 1)
    return total, total if activation == "linear" else getattr(total, activation)()


def parameter_kinds(model: MLP) -> dict[Value, str]:
    """Every weight and bias of the model, with its kind."""
    kinds: dict[Value, str] = {}
    for layer in model.layers:
        for neuron in layer.neurons:
            kinds.update({w: "weight" for w in neuron.w})
            kinds[neuron.b] = "bias"
    return kinds


def model_forward(
    model: MLP, x: Sequence[float], expanded: bool, tanh_as_exp: bool = False, prefix: str = ""
) -> tuple[Value, dict[Value, str], list[Value]]:
    """One forward pass over the model's own parameters, drawn expanded or with neuron nodes.

    Returns the output (a list of them for a network with several), the kinds of the nodes
    it made, and the input nodes.
    """
    kinds = parameter_kinds(model)
    inputs = [Value(v, label=f"{prefix}x{i + 1}") for i, v in enumerate(x)]
    kinds.update({v: "input" for v in inputs})
    acts: list[Value] = inputs
    for li, layer in enumerate(model.layers, 1):
        last = li == len(model.layers)
        out = []
        for ni, neuron in enumerate(layer.neurons, 1):
            if expanded or (tanh_as_exp and layer.activation == "tanh"):
                pre, o = _drawn_neuron(neuron.w, acts, neuron.b, layer.activation, expanded, tanh_as_exp)
                if pre is not o:
                    pre.label = f"{prefix}n{li}.{ni}"
            else:
                o = Value.neuron(neuron.w, acts, neuron.b, layer.activation)
            o.label = f"{prefix}out" if last and len(layer.neurons) == 1 else f"{prefix}h{li}.{ni}"
            out.append(o)
        acts = out
    # one output, or one per class (the logits softmax cross-entropy takes)
    return (acts[0] if len(acts) == 1 else acts), kinds, inputs


def sample_graph(
    model: MLP,
    x: Sequence[float],
    y: float | None,
    loss: str = "sse",
    expanded: bool = True,
    tanh_as_exp: bool = False,
) -> Graph:
    """The graph of one sample's forward pass (and its loss, if `y` is given), after backward()."""
    root, kinds = sample_forward(model, x, y, loss, expanded, tanh_as_exp)
    model.zero_grad()
    root.backward()
    return Graph(root, kinds, fold_parameters=not expanded)


def sample_forward(
    model: MLP, x: Sequence[float], y: float | None, loss: str, expanded: bool, tanh_as_exp: bool
) -> tuple[Value, dict[Value, str]]:
    """One sample's forward pass and loss (if `y` is given), as `sample_graph` draws it: the root, the kinds."""
    out, kinds, _ = model_forward(model, x, expanded, tanh_as_exp)
    root = out if isinstance(out, Value) else out[0]  # without a target, several outputs show the first
    if y is not None:
        root = loss_function(loss)([out], [y])
        root.label = "loss"
    kinds[root] = "output"
    return root, kinds


def dataset_graph(
    model: MLP, dataset: Dataset, loss: str = "sse", expanded: bool = True, tanh_as_exp: bool = False
) -> Graph:
    """The graph of the whole loss over a (small) dataset, as in the lecture's training loop."""
    outs, kinds = [], {}
    for s, x in enumerate(dataset.inputs, 1):
        out, k, _ = model_forward(model, x, expanded, tanh_as_exp, prefix=f"s{s}.")
        outs.append(out)
        kinds.update(k)
    root = loss_function(loss)(outs, dataset.targets)
    root.label = "loss"
    model.zero_grad()
    root.backward()
    kinds[root] = "output"
    return Graph(root, kinds, fold_parameters=not expanded)


def expression_graph(root: Value, leaves: dict[str, Value]) -> Graph:
    """The graph of an evaluated expression: its variables are its inputs, `root` its output."""
    return Graph(root, {**{leaf: "input" for leaf in leaves.values()}, root: "output"})


# ---- how large a model's graph is, before building it


def _spec_of(weights: ModelWeights) -> ModelSpec:
    """The spec of the network the graph draws (its output layer's size is `weights.sizes[-1]`)."""
    return ModelSpec(list(weights.sizes[:-1]), list(weights.activations[:-1]), weights.activations[-1])


def drawn_size(weights: ModelWeights, n_samples: int, expanded: bool, tanh_as_exp: bool = False) -> int:
    """About how many nodes a graph of `n_samples` samples draws, from the network's shape alone.

    Built on `ModelSpec.graph_size` (one sample's forward pass): expanded graphs draw every
    weight and bias once, collapsed ones fold them into their neuron; each sample adds its
    loss, and tanh written as exps adds 6 nodes per tanh neuron (2*n, exp, -1, +1, **-1, *).
    Lets the view refuse a graph too large to draw without building a single Value (the
    largest model has half a million parameters).
    """
    spec = _spec_of(weights)
    outputs = weights.sizes[-1]
    lecture_form, stored = spec.graph_size(weights.inputs, outputs)
    parameters = spec.parameter_count(weights.inputs, outputs)
    tanh_neurons = sum(n for n, act in zip(spec.layer_sizes(outputs), spec.activations) if act == "tanh")
    per_sample = (lecture_form if expanded else stored) - parameters + LOSS_NODES
    per_sample += 6 * tanh_neurons if tanh_as_exp else 0
    return (parameters if expanded else 0) + n_samples * per_sample


def drawn_edge_count(weights: ModelWeights, n_samples: int, expanded: bool, tanh_as_exp: bool = False) -> int:
    """About how many arrows such a graph draws (an upper bound), from the network's shape alone.

    Collapsed, each neuron node has an arrow from every input it reads: two wide layers
    make width² arrows, which `dot` cannot lay out in time even when the nodes are few.
    """
    per_sample, nin = 0, weights.inputs
    for nout, activation in zip(weights.sizes, weights.activations):
        exp_tanh = 16 if tanh_as_exp and activation == "tanh" else 0
        per_neuron = (6 * nin + 4) if expanded else (nin + 1)
        per_sample += nout * (per_neuron + exp_tanh)
        nin = nout
    return n_samples * (per_sample + 6)


def choose_form(
    weights: ModelWeights, n_samples: int, mode: str, tanh_as_exp: bool, auto_expanded_max: int
) -> bool:
    """Whether to draw neurons expanded (True) or one node each, for `mode` "auto", "expanded" or
    "collapsed"; GraphError if even the chosen form is too large to draw, saying what to do."""
    collapsed_size = drawn_size(weights, n_samples, expanded=False, tanh_as_exp=tanh_as_exp)
    expanded_size = drawn_size(weights, n_samples, expanded=True, tanh_as_exp=tanh_as_exp)
    if mode == "auto":
        expanded = expanded_size <= auto_expanded_max
        if collapsed_size > MAX_NODES:
            raise GraphError(
                f"This network makes about {collapsed_size:,} nodes even with one node per neuron; "
                f"at most {MAX_NODES:,} can be drawn. Pick a smaller model to see its graph."
            )
    else:
        expanded = mode == "expanded"
        size = expanded_size if expanded else collapsed_size
        if size > MAX_NODES:
            hint = "choose “Collapsed”" if expanded else "pick a smaller model"
            raise GraphError(f"About {size:,} nodes is too many to draw (at most {MAX_NODES:,}): {hint}.")
    edges = drawn_edge_count(weights, n_samples, expanded=expanded, tanh_as_exp=tanh_as_exp)
    if edges > MAX_EDGES:
        collapsed_edges = drawn_edge_count(weights, n_samples, False, tanh_as_exp)
        hint = "choose “Collapsed”" if expanded and collapsed_edges <= MAX_EDGES else "pick a smaller model"
        raise GraphError(
            f"This network is too large to draw: about {edges:,} arrows (at most {MAX_EDGES:,}), "
            f"as every neuron reads every neuron of the layer before. To see a graph, {hint}."
        )
    return expanded
