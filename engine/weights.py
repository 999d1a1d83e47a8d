"""Weights as plain floats, and the files they are exported to: JSON, NumPy .npz, PyTorch.

The JSON file is the canonical export (see README):

    {"format": "micrograd-studio/weights", "version": 1, "inputs": 3,
     "layers": [{"activation": "tanh", "weight": [[w11, w12, w13], ...], "bias": [b1, ...]}, ...],
     "metadata": {"input_names": ["x1", "x2", "x3"]}}

`weight` rows are output neurons and columns are inputs, the `torch.nn.Linear` layout:
``weight[j][i]`` is ``layer.neurons[j].w[i]`` and ``bias[j]`` is ``layer.neurons[j].b``. Every
loader checks everything, so a bad or hostile file gives a `WeightsError` saying why, never a
crash. NumPy and torch are imported only inside the functions that need them.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import reduce
from operator import add, mul
from typing import TYPE_CHECKING, Any

from engine.files import FileProblem, JsonLimits, atomic_write_bytes, read_json_limited
from engine.nn import MLP
from engine.ops import ACTIVATION, check_activation

if TYPE_CHECKING:
    import numpy
    import torch

FORMAT = "micrograd-studio/weights"
VERSION = 1
MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_NEURONS = 4096  # per layer, and for the inputs: a hostile file cannot ask for more
MAX_LAYERS = 64
# Weights and biases in one file: more than the largest network the app builds (4,096 inputs,
# 8 hidden layers of 256: about 1.5 million), and few enough that checking them stays quick;
# a file of 20 million zeros fits in the byte limit and took gigabytes to check
MAX_PARAMETERS = 2_000_000
# Lists and objects inside lists and objects in 'metadata' (the app's own go 2 deep): far deeper
# ones load, but copying them to the training process overflows Python's stack
MAX_METADATA_DEPTH = 16
# a weights file's values: its parameters, and room for its shapes, names and metadata
MAX_JSON_VALUES = MAX_PARAMETERS + 100_000
# its lists and objects: a list per neuron (its weights) and a few per layer, and room for metadata
MAX_JSON_CONTAINERS = MAX_LAYERS * (MAX_NEURONS + 4) + 100_000
MAX_NPZ_ENTRIES = 2 * MAX_LAYERS + 3  # a weight and a bias per layer, inputs, activations, metadata


class WeightsError(ValueError):
    """A weights file that cannot be used, with a message saying why."""


@dataclass
class LayerWeights:
    activation: str
    weight: list[list[float]]  # one row per output neuron, one column per input
    bias: list[float]


@dataclass
class ModelWeights:
    """A plain-float snapshot of an MLP's weights: what views and files use, never the live model."""

    inputs: int
    layers: list[LayerWeights]
    metadata: dict = field(default_factory=dict)

    @classmethod
    def from_model(cls, model: MLP, metadata: dict | None = None) -> ModelWeights:
        layers = [
            LayerWeights(
                layer.activation,
                [[w.data for w in n.w] for n in layer.neurons],
                [n.b.data for n in layer.neurons],
            )
            for layer in model.layers
        ]
        return cls(model.nin, layers, dict(metadata or {}))

    def to_model(self) -> MLP:
        """A new MLP with exactly these weights (bit for bit) and these per-layer activations."""
        model = MLP(self.inputs, self.sizes, activations=self.activations, seed=0)
        self.apply_to(model)
        return model

    def apply_to(self, model: MLP) -> None:
        """Copy these weights into `model` (data only; grads stay as they are).

        Raises WeightsError, with the model untouched, if the architecture differs.
        """
        checked = ModelWeights.from_dict(self.to_dict())  # a hand-made snapshot could be ragged
        problem = checked.matches(model)
        if problem:
            raise WeightsError(f"these weights do not fit this network: {problem}")
        for layer, saved in zip(model.layers, checked.layers):
            for neuron, row, b in zip(layer.neurons, saved.weight, saved.bias):
                for w, value in zip(neuron.w, row):
                    w.data = value
                neuron.b.data = b

    @property
    def sizes(self) -> list[int]:
        """Output size of each layer, e.g. [4, 4, 1]."""
        return [len(layer.bias) for layer in self.layers]

    @property
    def activations(self) -> list[str]:
        return [layer.activation for layer in self.layers]

    def matches(self, model: MLP) -> str | None:
        """None if `model` has this architecture, else what differs (layers counted from 1)."""
        return self.matches_shape(
            model.nin, [layer.nout for layer in model.layers], [layer.activation for layer in model.layers]
        )

    def matches_shape(self, inputs: int, sizes: Sequence[int], activations: Sequence[str]) -> str | None:
        """`matches` for the network of `inputs` inputs, layers of `sizes` neurons and these
        `activations`, without building it (the largest network is 460,000 `Value`s: a second)."""
        if inputs != self.inputs:
            return f"the weights take {self.inputs} inputs, the network takes {inputs}"
        if len(sizes) != len(self.layers):
            return f"the weights have {len(self.layers)} layers, the network has {len(sizes)}"
        for i, (size, activation, saved) in enumerate(zip(sizes, activations, self.layers), 1):
            if size != len(saved.bias):
                return f"layer {i} has {len(saved.bias)} neurons in the weights, {size} in the network"
            if activation != saved.activation:
                return f"layer {i} uses {saved.activation} in the weights, {activation} in the network"
        return None

    def predict(self, x: Sequence[float]) -> float | list[float]:
        """The network's output for one sample, equal bit for bit to the engine's ``model(x).data``."""
        if len(x) != self.inputs:
            raise ValueError(f"these weights take {self.inputs} inputs, got {len(x)}")
        h = [float(v) for v in x]
        for layer in self.layers:
            # the engine's activation of bias + w1*x1 + ... + wn*xn added left to right: its floats exactly
            act = ACTIVATION[layer.activation].forward
            h = [act(reduce(add, map(mul, row, h), b)) for row, b in zip(layer.weight, layer.bias)]
        return h[0] if len(h) == 1 else h

    def predict_numpy(self, X: Any) -> numpy.ndarray:
        """Outputs for an (n, inputs) array: shape (n,) for one output, else (n, outputs).

        Vectorised for decision-boundary grids; matrix products add in another order,
        so results are within about 1e-12 of `predict`, not bit for bit.
        """
        import numpy as np

        h = np.asarray(X, dtype=np.float64)
        if h.ndim != 2 or h.shape[1] != self.inputs:
            raise ValueError(f"expected an array of shape (n, {self.inputs}), got {h.shape}")
        for layer in self.layers:
            z = h @ np.asarray(layer.weight, dtype=np.float64).T + np.asarray(layer.bias, dtype=np.float64)
            h = ACTIVATION[layer.activation].on_arrays()(z)
        return h[:, 0] if h.shape[1] == 1 else h

    def to_dict(self) -> dict:
        layers = [
            {"activation": ly.activation, "weight": [list(r) for r in ly.weight], "bias": list(ly.bias)}
            for ly in self.layers
        ]
        return {
            "format": FORMAT,
            "version": VERSION,
            "inputs": self.inputs,
            "layers": layers,
            "metadata": dict(self.metadata),
        }

    @classmethod
    def from_dict(cls, d: object) -> ModelWeights:
        """Check everything about a parsed weights file; unknown extra keys are ignored."""
        if not isinstance(d, dict):
            raise WeightsError(f"the file holds {_describe(d)}, not a JSON object: not a weights file")
        fmt = _require(d, "format", "")
        if fmt != FORMAT:
            raise WeightsError(f"the format is {_describe(fmt)}, not {FORMAT!r}: not a weights file")
        version = _require(d, "version", "")
        if not _is_int(version) or version < 1:
            raise WeightsError(f"the version is {_describe(version)}; this app reads version {VERSION}")
        if version > VERSION:
            newer = f"made by a newer micrograd-studio (version {version})"
            raise WeightsError(f"{newer}; this one reads version {VERSION}")
        inputs = _require(d, "inputs", "")
        if not _is_int(inputs) or not 1 <= inputs <= MAX_NEURONS:
            raise WeightsError(
                f"'inputs' must be a whole number, 1 to {MAX_NEURONS}, not {_describe(inputs)}"
            )
        raw_layers = _require(d, "layers", "")
        if not isinstance(raw_layers, list) or not raw_layers:
            raise WeightsError(f"'layers' must be a non-empty list, not {_describe(raw_layers)}")
        if len(raw_layers) > MAX_LAYERS:
            raise WeightsError(f"the file has {len(raw_layers)} layers, more than the limit of {MAX_LAYERS}")
        layers, width, room = [], inputs, MAX_PARAMETERS
        for i, raw in enumerate(raw_layers, 1):
            column = "one per input" if i == 1 else f"one per neuron of layer {i - 1}"
            layers.append(_parse_layer(raw, f"layer {i}", width, column, room))
            width = len(layers[-1].bias)
            room -= width * (len(layers[-1].weight[0]) + 1)
        return cls(inputs, layers, _metadata(d))


def _parse_layer(raw: object, where: str, width: int, column: str, room: int) -> LayerWeights:
    """Layer `where`, taking `width` inputs; refused before its numbers are read if it has more
    than `room` weights and biases (what MAX_PARAMETERS leaves after the layers before it)."""
    if not isinstance(raw, dict):
        raise WeightsError(f"{where} is {_describe(raw)}, not an object")
    activation = check_activation(_require(raw, "activation", where), WeightsError, f"{where}: ")
    weight, bias = _require(raw, "weight", where), _require(raw, "bias", where)
    if not isinstance(weight, list) or not weight:
        raise WeightsError(f"{where}: 'weight' must be a non-empty list of rows, not {_describe(weight)}")
    if len(weight) > MAX_NEURONS:
        raise WeightsError(f"{where} has {len(weight)} neurons, more than the limit of {MAX_NEURONS}")
    if len(weight) * (width + 1) > room:
        raise WeightsError(
            f"{where} takes the file past {MAX_PARAMETERS:,} weights and biases, "
            "more than any network of this app has"
        )
    rows = []
    for j, row in enumerate(weight, 1):
        if not isinstance(row, list):
            raise WeightsError(f"{where}, weight row {j} is {_describe(row)}, not a list of numbers")
        if len(row) != width:
            raise WeightsError(f"{where}, weight row {j} has {len(row)} columns, expected {width}, {column}")
        rows.append([_finite(v, f"{where}, weight row {j}, column {k}") for k, v in enumerate(row, 1)])
    if not isinstance(bias, list) or len(bias) != len(rows):
        count = f"{len(bias)} numbers" if isinstance(bias, list) else _describe(bias)
        raise WeightsError(f"{where}: 'bias' has {count}, expected {len(rows)} (one per weight row)")
    return LayerWeights(activation, rows, [_finite(v, f"{where}, bias {j}") for j, v in enumerate(bias, 1)])


def _metadata(d: dict) -> dict:
    """The file's free-form 'metadata' object (none: {}), if it can go wherever the weights go."""
    metadata = d.get("metadata", {})
    if not isinstance(metadata, dict):
        raise WeightsError(f"'metadata' must be an object, not {_describe(metadata)}")
    if _nested_deeper_than(metadata, MAX_METADATA_DEPTH):
        raise WeightsError(f"'metadata' is nested more than {MAX_METADATA_DEPTH} levels deep")
    return dict(metadata)


def _nested_deeper_than(value: object, limit: int) -> bool:
    """Whether lists and objects nest in `value` more than `limit` levels (without recursion)."""
    level: list[object] = [value]
    for _ in range(limit + 1):
        level = [
            child
            for node in level
            if isinstance(node, (list, dict))
            for child in (node.values() if isinstance(node, dict) else node)
        ]
        if not level:
            return False
    return True


def _require(d: dict, key: str, where: str) -> Any:
    if key not in d:
        raise WeightsError(f"{where + ': ' if where else ''}missing {key!r}: not a complete weights file")
    return d[key]


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _finite(value: object, where: str) -> float:
    # bool is an int subclass, but true as a weight is a mistake, not a number
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        raise WeightsError(f"{where}: {_describe(value)} is not a number")
    try:
        number = float(value)
    except OverflowError:  # an integer with hundreds of digits
        number = math.inf
    if not math.isfinite(number):
        raise WeightsError(f"{where}: {_describe(value)} is not a finite number (training probably diverged)")
    return number


def _describe(value: object) -> str:
    """A short JSON-speak name for a value, never its (possibly huge) full text."""
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    if isinstance(value, (list, dict)):
        return "a list" if isinstance(value, list) else "an object"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


# ---------------------------------------------------------------- JSON


def to_json_text(weights: ModelWeights) -> str:
    """The file's text: one line per weight row, floats at repr precision (exact round trip)."""
    for i, layer in enumerate(weights.layers, 1):
        if not all(math.isfinite(v) for v in [*layer.bias, *(v for row in layer.weight for v in row)]):
            raise WeightsError(
                f"the weights contain NaN/inf (in layer {i}), which JSON cannot hold portably; "
                "training probably diverged"
            )
    d = weights.to_dict()
    try:
        dump = json.dumps
        layers = ",\n  ".join(
            f'{{"activation": {dump(ly["activation"])},\n   "weight": [\n    '
            + ",\n    ".join(dump(row, allow_nan=False) for row in ly["weight"])
            + f'],\n   "bias": {dump(ly["bias"], allow_nan=False)}}}'
            for ly in d["layers"]
        )
        head = f'{{"format": {dump(FORMAT)}, "version": {VERSION}, "inputs": {dump(d["inputs"])},\n'
        return f'{head} "layers": [\n  {layers}],\n "metadata": {dump(d["metadata"], allow_nan=False)}}}\n'
    except (TypeError, ValueError, RecursionError):
        raise WeightsError("the weights' metadata holds values JSON cannot store: not saved") from None


def save_json(weights: ModelWeights, path: str | os.PathLike) -> None:
    """Write the weights file atomically (on a failure the old file stays); refuse what load_json would."""
    check_loadable(weights)
    data = to_json_text(weights).encode("utf-8")
    check_file_size(len(data))
    atomic_write_bytes(path, data)


def check_loadable(weights: ModelWeights) -> None:
    """Raise WeightsError if a file of these weights could not be loaded back (the readers' checks)."""
    try:
        ModelWeights.from_dict(weights.to_dict())
    except WeightsError as exc:
        raise WeightsError(f"these weights could not be loaded back, so they are not saved: {exc}") from None
    # every number takes at least two characters in the file: refuse before building a huge text
    check_file_size(2 * sum(len(ly.bias) * (len(ly.weight[0]) + 1) for ly in weights.layers))


def check_file_size(size: int) -> None:
    if size > MAX_FILE_BYTES:
        raise WeightsError(
            f"these weights would make a file of more than {MAX_FILE_BYTES:,} bytes, "
            "more than a weights file may hold, so they are not saved"
        )


def load_json(path: str | os.PathLike) -> ModelWeights:
    """Read and check a weights file; every problem, reading included, is a WeightsError."""
    try:
        # the limits as they are now (tests lower them)
        limits = JsonLimits(MAX_FILE_BYTES, MAX_JSON_VALUES, MAX_JSON_CONTAINERS)
        # NaN and Infinity are parsed so that the check of each number can say where they are
        d = read_json_limited(path, limits, "weights file", allow_nan=True)
    except FileProblem as exc:
        raise WeightsError(str(exc)) from None
    return ModelWeights.from_dict(d)


# ---------------------------------------------------------------- NumPy and PyTorch
# In their own modules (engine/weights_npz.py, engine/weights_torch.py); these import
# them only when called, as they import NumPy and torch only when called.


def save_npz(weights: ModelWeights, path: str | os.PathLike) -> None:
    """See engine.weights_npz.save_npz."""
    from engine import weights_npz

    weights_npz.save_npz(weights, path)


def load_npz(path: str | os.PathLike) -> ModelWeights:
    """See engine.weights_npz.load_npz."""
    from engine import weights_npz

    return weights_npz.load_npz(path)


def torch_available() -> tuple[bool, str]:
    """(True, "") if PyTorch is installed, else (False, why); cheap: it does not import torch."""
    import importlib.util

    if importlib.util.find_spec("torch") is None:
        return False, "PyTorch is not installed (pip install torch)"
    return True, ""


def to_torch_sequential(weights: ModelWeights) -> torch.nn.Sequential:
    """See engine.weights_torch.to_torch_sequential."""
    from engine import weights_torch

    return weights_torch.to_torch_sequential(weights)


def save_torch(weights: ModelWeights, path: str | os.PathLike) -> None:
    """See engine.weights_torch.save_torch."""
    from engine import weights_torch

    weights_torch.save_torch(weights, path)


def torch_parameter_grads(
    weights: ModelWeights, inputs: Sequence[Sequence[float]], targets: Sequence[float], loss: str
) -> tuple[float, list[float]]:
    """See engine.weights_torch.torch_parameter_grads."""
    from engine import weights_torch

    return weights_torch.torch_parameter_grads(weights, inputs, targets, loss)
