"""What the Model panel describes, as a plain dataclass the worker can build from.

The GUI never hands the worker a live network: it hands over a `ModelSpec`
(and the data and `TrainSettings`), and the worker builds the MLP itself.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

from engine.data import Dataset
from engine.features import expand_dataset, extras_problem, input_names
from engine.files import describe_value
from engine.nn import MLP, initial_weights
from engine.ops import check_activation
from engine.weights import LayerWeights, ModelWeights

MAX_LAYER_SIZE = 256
MAX_HIDDEN_LAYERS = 8
MODEL_SEED_RANGE = (0, 2**31 - 1)  # the weight-init seed; the Model panel's seed field shows exactly these

_LAYER_SIZE = re.compile(r"[0-9]+")  # ASCII digits only: str.isdigit() also accepts "²", "①" and "٣"
_MAX_SIZE_DIGITS = len(str(MAX_LAYER_SIZE)) + 6  # longer than this is "too large" without converting it


class SpecError(ValueError):
    """A model description that cannot be built, with a message a user can act on."""


LAYERS_FIELD = "Hidden layers"  # the Model panel's label of the field these sizes are typed in


def parse_layer_sizes(text: str) -> list[int]:
    """Parse hidden layer sizes typed as "4, 4" (or "4 4", or "4; 4"); "" means no hidden layer.

    Sizes are written with the digits 0-9 only: no sign, no decimal point, no other
    script's digits, so that what is typed is what is built. Every problem raises
    SpecError with a message.

    >>> parse_layer_sizes("16, 16")
    [16, 16]
    """
    if not isinstance(text, str):
        raise SpecError(f"{LAYERS_FIELD} must be sizes typed like 4, 4")
    normalised = text.replace(";", ",")
    if normalised.strip() == "":
        return []
    parts = [p.strip() for chunk in normalised.split(",") for p in (chunk.split() or [""])]
    if any(p == "" for p in parts):
        raise SpecError(f"{LAYERS_FIELD}: {_shown(text)} has an empty size; write sizes like 4, 4")
    if len(parts) > MAX_HIDDEN_LAYERS:
        raise SpecError(f"{LAYERS_FIELD}: {len(parts)} layers; at most {MAX_HIDDEN_LAYERS}")
    return [_parse_layer_size(p, i) for i, p in enumerate(parts, 1)]


def _parse_layer_size(part: str, layer: int) -> int:
    if part.startswith("-") and _LAYER_SIZE.fullmatch(part[1:]):
        raise SpecError(f"{LAYERS_FIELD}, layer {layer}: a layer needs at least 1 neuron, not {_shown(part)}")
    if not _LAYER_SIZE.fullmatch(part):
        raise SpecError(
            f"{LAYERS_FIELD}, layer {layer}: {_shown(part)} is not a whole number; write digits 0-9, like 4"
        )
    if len(part) > _MAX_SIZE_DIGITS or int(part) > MAX_LAYER_SIZE:
        raise SpecError(
            f"{LAYERS_FIELD}, layer {layer}: {_shown(part)} neurons are more than this scalar engine "
            f"trains live (at most {MAX_LAYER_SIZE})"
        )
    n = int(part)
    if n < 1:
        raise SpecError(f"{LAYERS_FIELD}, layer {layer}: a layer needs at least 1 neuron, not {n}")
    return n


def _shown(text: str) -> str:
    """The user's text in quotes (“4,,x”, as the other fields' messages quote), cut short if long; what cannot be printed (a tab, a
    control character) shown as its escape, so that the message says what is there."""
    cut = text if len(text) <= 20 else text[:17] + "..."
    return "“" + "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in cut) + "”"


def _is_int(value: object) -> bool:
    # JSON's true is an int to Python; as a size or a seed it is a mistake, not a number
    return isinstance(value, int) and not isinstance(value, bool)


def forward_graph_nodes(
    n_inputs: int, layers: Sequence[tuple[int, str]], expanded: bool, tanh_as_exp: bool = False
) -> tuple[int, int]:
    """The graph one sample's forward pass makes: (its own nodes, the parameters' leaves).

    The one home of this count (the Model panel's estimate and the graph view's size
    check both come from it). `layers` is (neurons, activation) per layer. Its own
    nodes are the inputs and, per neuron, one node (fused) or, `expanded` as in the
    lecture, a "*" and a "+" per input and an activation node; `tanh_as_exp` writes
    tanh as (e^2n - 1)/(e^2n + 1): 6 nodes more. The parameters' leaves are shared by
    every sample.
    """
    own, parameters, nin = n_inputs, 0, n_inputs
    for nout, activation in layers:
        parameters += nout * (nin + 1)
        per_neuron = (2 * nin + (activation != "linear")) if expanded else 1
        own += nout * (per_neuron + (6 if tanh_as_exp and activation == "tanh" else 0))
        nin = nout
    return own, parameters


@dataclass
class ModelSpec:
    hidden_sizes: list[int] = field(default_factory=lambda: [4, 4])
    hidden_activations: list[str] = field(default_factory=lambda: ["tanh", "tanh"])
    output_activation: str = "tanh"
    seed: int = 0
    # engineered inputs (engine/features.py) the input layer adds to x1, x2: e.g. ["x1^2", "x2^2"]
    extra_inputs: list[str] = field(default_factory=list)

    def validate(self) -> None:
        """Raise SpecError, saying which part and what is allowed, unless this model can be built."""
        if not isinstance(self.hidden_sizes, list) or not isinstance(self.hidden_activations, list):
            raise SpecError("the hidden layer sizes and activations must be lists")
        if len(self.hidden_sizes) > MAX_HIDDEN_LAYERS:
            raise SpecError(f"{len(self.hidden_sizes)} hidden layers; at most {MAX_HIDDEN_LAYERS}")
        if len(self.hidden_activations) != len(self.hidden_sizes):
            raise SpecError(
                f"{len(self.hidden_sizes)} hidden layers but {len(self.hidden_activations)} activations"
            )
        for a in [*self.hidden_activations, self.output_activation]:
            check_activation(a, SpecError)
        for i, n in enumerate(self.hidden_sizes):
            if not _is_int(n) or not 1 <= n <= MAX_LAYER_SIZE:
                raise SpecError(
                    f"layer {i + 1}: size must be a whole number from 1 to {MAX_LAYER_SIZE}, not {describe_value(n)}"
                )
        low, high = MODEL_SEED_RANGE
        if not _is_int(self.seed) or not low <= self.seed <= high:
            raise SpecError(
                f"the model seed must be a whole number from {low} to {high:,}, not {describe_value(self.seed)}"
            )
        if problem := extras_problem(self.extra_inputs):
            raise SpecError(problem)

    # ---- the input layer: the data's columns, then any engineered inputs computed from them

    def network_inputs(self, n_inputs: int) -> int:
        """How many inputs the network takes for data with `n_inputs` columns."""
        return n_inputs + len(self.extra_inputs)

    def input_names(self, n_inputs: int) -> list[str]:
        """The network's inputs, named as the views show them (x1, x2, x1², ...)."""
        return input_names(n_inputs, self.extra_inputs)

    def network_data(self, dataset: Dataset) -> Dataset:
        """The dataset as the network sees it: its rows with the engineered inputs appended."""
        self._check_inputs(dataset.n_inputs)
        return expand_dataset(dataset, self.extra_inputs)

    def _check_inputs(self, n_inputs: int) -> None:
        if problem := extras_problem(self.extra_inputs, n_inputs):
            raise SpecError(problem)

    @property
    def activations(self) -> list[str]:
        return [*self.hidden_activations, self.output_activation]

    def layer_sizes(self, n_outputs: int = 1) -> list[int]:
        """Each layer's neuron count: the hidden layers', then the output layer's."""
        return [*self.hidden_sizes, n_outputs]

    def build(self, n_inputs: int, n_outputs: int = 1) -> MLP:
        """A fresh network for data with `n_inputs` columns (and any extra inputs) and `n_outputs` outputs (one per class)."""
        self.validate()
        self._check_inputs(n_inputs)
        nin = self.network_inputs(n_inputs)
        return MLP(nin, self.layer_sizes(n_outputs), activations=self.activations, seed=self.seed)

    def network_shape(self, n_inputs: int, n_outputs: int = 1) -> tuple[int, list[int], list[str]]:
        """(inputs, layer sizes, activations) of the network `build` would make, or its SpecError, without
        building it: what `ModelWeights.matches_shape` compares a weights file with."""
        self.validate()
        self._check_inputs(n_inputs)
        return self.network_inputs(n_inputs), self.layer_sizes(n_outputs), self.activations

    def weights_problem(self, weights: ModelWeights, n_inputs: int, n_outputs: int = 1) -> str:
        """What differs between `weights` and the network this spec builds, or "" (without building it)."""
        if weights.inputs != self.network_inputs(n_inputs):
            if self.extra_inputs:
                return (
                    f"its weights take {weights.inputs} inputs, its network "
                    f"{self.network_inputs(n_inputs)} ({', '.join(self.input_names(n_inputs))})"
                )
            return f"its weights take {weights.inputs} inputs, its data has {n_inputs}"
        if weights.sizes and weights.sizes[-1] != n_outputs:
            return f"its weights have {weights.sizes[-1]} outputs, its data needs {n_outputs}"
        sizes, activations = self.layer_sizes(n_outputs), self.activations
        if len(weights.layers) != len(sizes):
            return f"its weights have {len(weights.layers)} layers, its model {len(sizes)}"
        for i, (layer, size, activation) in enumerate(zip(weights.layers, sizes, activations), 1):
            if len(layer.bias) != size or layer.activation != activation:
                return f"layer {i} of its weights does not match its model"
        return ""

    def fresh_weights(self, n_inputs: int, n_outputs: int = 1) -> ModelWeights:
        """`ModelWeights.from_model(self.build(n_inputs))`, equal bit for bit, in milliseconds.

        The GUI shows fresh weights on every change of the model; building the
        network's `Value`s for that took over a second for the largest one.
        """
        self.validate()
        self._check_inputs(n_inputs)
        n_inputs = self.network_inputs(n_inputs)
        layers = initial_weights(n_inputs, self.layer_sizes(n_outputs), self.seed)
        return ModelWeights(
            n_inputs,
            [LayerWeights(act, rows, biases) for act, (rows, biases) in zip(self.activations, layers)],
        )

    def parameter_count(self, n_inputs: int, n_outputs: int = 1) -> int:
        sizes = [self.network_inputs(n_inputs), *self.layer_sizes(n_outputs)]
        return sum((sizes[i] + 1) * sizes[i + 1] for i in range(len(sizes) - 1))

    def graph_size(self, n_inputs: int, n_outputs: int = 1) -> tuple[int, int]:
        """Nodes one forward pass of one sample makes: (as drawn in the lecture, as the engine stores it).

        The lecture's form has, per neuron, a leaf per weight and bias, a "*" and
        a "+" per input, and an activation node; the engine stores each neuron as
        one node over the same leaves. Inputs count once.
        """
        layers = list(zip(self.layer_sizes(n_outputs), self.activations))
        n_inputs = self.network_inputs(n_inputs)
        expanded = sum(forward_graph_nodes(n_inputs, layers, expanded=True))
        fused = sum(forward_graph_nodes(n_inputs, layers, expanded=False))
        return expanded, fused

    def describe(self, n_inputs: int, n_outputs: int = 1) -> str:
        """E.g. "MLP 3-4-4-1 (tanh, tanh, tanh)"."""
        sizes = "-".join(str(n) for n in [self.network_inputs(n_inputs), *self.layer_sizes(n_outputs)])
        extras = f" on {', '.join(self.input_names(n_inputs))}" if self.extra_inputs else ""
        return f"MLP {sizes} ({', '.join(self.activations)}){extras}"

    def to_dict(self) -> dict:
        d = asdict(self)
        d["seed"] = d.pop("seed")  # last, as in files from before extra inputs
        return d

    @classmethod
    def from_dict(cls, d: object) -> ModelSpec:
        """A checked ModelSpec from a file's object; nothing is converted, so what is shown is what is used."""
        if not isinstance(d, dict):
            raise SpecError(f"the model description must be an object, not {describe_value(d)}")
        missing = [k for k in ("hidden_sizes", "hidden_activations", "output_activation") if k not in d]
        if missing:
            raise SpecError(f"the model description is missing {missing[0]!r}")
        spec = cls(
            hidden_sizes=d["hidden_sizes"],
            hidden_activations=d["hidden_activations"],
            output_activation=d["output_activation"],
            seed=d.get("seed", 0),
            extra_inputs=d.get("extra_inputs", []),  # files from before engineered inputs have none
        )
        spec.validate()
        spec.hidden_sizes, spec.hidden_activations = list(spec.hidden_sizes), list(spec.hidden_activations)
        spec.extra_inputs = list(spec.extra_inputs)
        return spec
