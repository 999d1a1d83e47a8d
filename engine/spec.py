"""What the Model panel describes, as a plain dataclass the worker can build from.

The GUI never hands the worker a live network: it hands over a `ModelSpec`
(and the data and `TrainSettings`), and the worker builds the MLP itself.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from engine.nn import ACTIVATIONS, MLP, initial_weights
from engine.weights import LayerWeights, ModelWeights

MAX_LAYER_SIZE = 256
MAX_HIDDEN_LAYERS = 8


class SpecError(ValueError):
    """A model description that cannot be built, with a message a user can act on."""


def parse_layer_sizes(text: str) -> list[int]:
    """Parse hidden layer sizes typed as "4, 4" (or "4 4"); "" means no hidden layer.

    >>> parse_layer_sizes("16, 16")
    [16, 16]
    """
    parts = [p.strip() for p in text.replace(";", ",").replace(" ", ",").split(",")]
    if text.strip() == "":
        return []
    if any(p == "" for p in text.replace(" ", "").split(",")):
        raise SpecError(f"empty layer size in {text!r}: write sizes like 4, 4")
    sizes = []
    for i, p in enumerate(p for p in parts if p):
        if not p.lstrip("+-").isdigit():
            raise SpecError(f"layer {i + 1}: {p!r} is not a whole number")
        n = int(p)
        if n < 1:
            raise SpecError(f"layer {i + 1}: a layer needs at least 1 neuron, got {n}")
        if n > MAX_LAYER_SIZE:
            raise SpecError(
                f"layer {i + 1}: {n} neurons is more than this scalar engine can train live (max {MAX_LAYER_SIZE})"
            )
        sizes.append(n)
    if len(sizes) > MAX_HIDDEN_LAYERS:
        raise SpecError(f"{len(sizes)} hidden layers; at most {MAX_HIDDEN_LAYERS}")
    return sizes


@dataclass
class ModelSpec:
    hidden_sizes: list[int] = field(default_factory=lambda: [4, 4])
    hidden_activations: list[str] = field(default_factory=lambda: ["tanh", "tanh"])
    output_activation: str = "tanh"
    seed: int = 0

    def validate(self) -> None:
        if len(self.hidden_activations) != len(self.hidden_sizes):
            raise SpecError(
                f"{len(self.hidden_sizes)} hidden layers but {len(self.hidden_activations)} activations"
            )
        for a in [*self.hidden_activations, self.output_activation]:
            if a not in ACTIVATIONS:
                raise SpecError(f"unknown activation {a!r}; choose one of {', '.join(ACTIVATIONS)}")
        for i, n in enumerate(self.hidden_sizes):
            if not isinstance(n, int) or not 1 <= n <= MAX_LAYER_SIZE:
                raise SpecError(
                    f"layer {i + 1}: size must be a whole number from 1 to {MAX_LAYER_SIZE}, got {n!r}"
                )

    @property
    def activations(self) -> list[str]:
        return [*self.hidden_activations, self.output_activation]

    def build(self, n_inputs: int) -> MLP:
        """A fresh network for data with `n_inputs` columns and one output."""
        self.validate()
        return MLP(n_inputs, [*self.hidden_sizes, 1], activations=self.activations, seed=self.seed)

    def fresh_weights(self, n_inputs: int) -> ModelWeights:
        """`ModelWeights.from_model(self.build(n_inputs))`, equal bit for bit, in milliseconds.

        The GUI shows fresh weights on every change of the model; building the
        network's `Value`s for that took over a second for the largest one.
        """
        self.validate()
        layers = initial_weights(n_inputs, [*self.hidden_sizes, 1], self.seed)
        return ModelWeights(
            n_inputs,
            [LayerWeights(act, rows, biases) for act, (rows, biases) in zip(self.activations, layers)],
        )

    def parameter_count(self, n_inputs: int) -> int:
        sizes = [n_inputs, *self.hidden_sizes, 1]
        return sum((sizes[i] + 1) * sizes[i + 1] for i in range(len(sizes) - 1))

    def graph_size(self, n_inputs: int) -> tuple[int, int]:
        """Nodes one forward pass of one sample makes: (as drawn in the lecture, as the engine stores it).

        The lecture's form has, per neuron, a leaf per weight and bias, a "*" and
        a "+" per input, and an activation node; the engine stores each neuron as
        one node over the same leaves. Inputs count once.
        """
        sizes = [n_inputs, *self.hidden_sizes, 1]
        acts = self.activations
        expanded = fused = n_inputs
        for i in range(len(sizes) - 1):
            nin, nout = sizes[i], sizes[i + 1]
            leaves = nout * (nin + 1)
            expanded += leaves + nout * (2 * nin + (acts[i] != "linear"))
            fused += leaves + nout
        return expanded, fused

    def describe(self, n_inputs: int) -> str:
        """E.g. "MLP 3-4-4-1 (tanh, tanh, tanh)"."""
        sizes = "-".join(str(n) for n in [n_inputs, *self.hidden_sizes, 1])
        return f"MLP {sizes} ({', '.join(self.activations)})"

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> ModelSpec:
        try:
            spec = cls(
                hidden_sizes=[int(n) for n in d["hidden_sizes"]],
                hidden_activations=[str(a) for a in d["hidden_activations"]],
                output_activation=str(d["output_activation"]),
                seed=int(d.get("seed", 0)),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise SpecError(f"model description is incomplete or malformed ({exc})") from None
        spec.validate()
        return spec
