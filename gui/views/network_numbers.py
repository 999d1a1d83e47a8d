"""The Network view's numbers for one weights snapshot, computed off the GUI thread.

One job (`compute_numbers`) makes everything the diagram shows: every shown neuron's
picture over the input plane (one NumPy pass over a small grid, engine/network.py),
the selected sample's forward pass, the loss and its gradients (NumPy backprop), and
which neurons are dead or saturated (engine/diagnostics.py). The pictures come back as
RGBA arrays; the GUI thread only wraps them in QImages and paints.

With more than two inputs a picture is drawn over the two inputs the user picks, the
others held at their mean over the data (the view says so); with one input it varies
along x1 only. Large networks get fewer pixels per picture, so a job stays well under
a second even for the largest model the app allows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from matplotlib.colors import LinearSegmentedColormap

from engine.diagnostics import LayerActivity, neuron_activity
from engine.features import expand_array
from engine.network import Gradients, loss_gradients, neuron_outputs, plane_points, sample_pass
from engine.weights import ModelWeights

HEATMAP_PIXELS = 24  # cells per side of a neuron's picture: 576 points, one pass for every neuron
SMALL_HEATMAP_PIXELS = 10  # for networks past LARGE_NETWORK parameters: still a shape, 6x fewer points
LARGE_NETWORK = 50_000  # parameters; also where the sample's pass switches to NumPy (1e-12, not bit for bit)
# strong ends (pictures are small), white in the middle: orange for negative, blue for positive
PICTURE_CMAP = LinearSegmentedColormap.from_list(
    "neuron", ["#d9480f", "#f4b08c", "#ffffff", "#a9c4ec", "#1f5fbf"]
)
PICTURE_COLORS = np.round(PICTURE_CMAP(np.linspace(0.0, 1.0, 256)) * 255).astype(np.uint8)


@dataclass(frozen=True)
class NumbersRequest:
    """What a job needs: plain data, safe to hand to a thread."""

    weights: ModelWeights
    inputs: list[list[float]]
    targets: list[float]
    loss: str
    l2: float
    sample: int | None  # index of the selected sample, None if the data is empty
    axes: tuple[int, int]  # the inputs the pictures are drawn over
    shown: tuple[int, ...]  # how many neurons of each column (inputs first) the diagram draws
    extras: tuple[
        str, ...
    ] = ()  # engineered inputs (engine/features.py): recomputed from x1, x2 on the plane
    input_names: tuple[str, ...] = ()  # the inputs' names (x1, x2, x1², ...); x1 ... xn if empty

    def input_name(self, index: int) -> str:
        return self.input_names[index] if index < len(self.input_names) else f"x{index + 1}"


@dataclass
class NetworkNumbers:
    """A job's result: per column (inputs first), the shown neurons' numbers."""

    request: NumbersRequest
    limits: tuple[float, float, float, float]
    grids: list[np.ndarray] = field(default_factory=list)  # per column: (pixels², shown) values
    pictures: list[list[np.ndarray]] = field(
        default_factory=list
    )  # per column: RGBA (side, side, 4), top row first
    side: int = HEATMAP_PIXELS
    sample_values: list[list[float]] | None = None  # per column: every neuron's value on the sample
    gradients: Gradients | None = None
    activity: list[LayerActivity] | None = None

    def marks(self, layer: int) -> dict[int, str]:
        """0-based neuron -> "dead" or "saturated", for a hidden layer (1-based: column).

        The output is not marked: a classifier's tanh output near ±1 is its aim, not a fault."""
        if not self.activity or not 1 <= layer < len(self.activity):
            return {}
        found = self.activity[layer - 1]
        return {**{n - 1: "dead" for n in found.dead}, **{n - 1: "saturated" for n in found.saturated}}


def value_range(activation: str | None, limits: tuple[float, float, float, float]) -> tuple[float, float]:
    """The values a picture's colours span: the activation's range, or the plane's for an input."""
    if activation is None:
        extent = max(abs(v) for v in limits) or 1.0
        return -extent, extent
    return {"tanh": (-1.0, 1.0), "sigmoid": (0.0, 1.0)}.get(activation, (-1.5, 1.5))


def picture_limits(inputs: Sequence[Sequence[float]], axes: tuple[int, int], width: int) -> tuple:
    """The plane the pictures span: the data's range on both axes plus a margin, as the boundary plot's."""
    if not inputs:
        return (-2.0, 2.0, -2.0, 2.0)
    data = np.asarray(inputs, dtype=np.float64).reshape(len(inputs), width)
    columns = [data[:, axes[0]], data[:, axes[1] if width > 1 else axes[0]]]
    limits = []
    for values in columns:
        low, high = float(values.min()), float(values.max())
        margin = max(0.1 * (high - low), 0.25)
        limits += [low - margin, high + margin]
    return tuple(limits)


def colour(values: np.ndarray, low: float, high: float, side: int) -> np.ndarray:
    """A picture's values as RGBA rows, top row the highest x2 (as on screen); non-finite cells blank."""
    grid = values.reshape(side, side)[::-1]
    finite = np.isfinite(grid)
    scale = np.clip((np.where(finite, grid, low) - low) / (high - low), 0.0, 1.0)
    rgba = PICTURE_COLORS[(scale * 255 + 0.5).astype(np.uint8)]
    rgba[~finite] = (235, 235, 235, 255)
    return np.ascontiguousarray(rgba)


def _parameters(weights: ModelWeights) -> int:
    return sum(len(layer.bias) * (len(layer.weight[0]) + 1) for layer in weights.layers)


def _sample_values(weights: ModelWeights, x: list[float]) -> list[list[float]]:
    """The sample's value at every neuron, inputs first: the engine's floats, or NumPy's for a large network."""
    if _parameters(weights) <= LARGE_NETWORK:
        return [list(x), *sample_pass(weights, x)]
    return [list(x), *(layer[0].tolist() for layer in neuron_outputs(weights, np.asarray([x], dtype=float)))]


def compute_numbers(request: NumbersRequest) -> NetworkNumbers:
    """Everything the diagram shows for one snapshot (any thread; tens of ms for the largest model)."""
    weights = request.weights
    width = weights.inputs
    limits = picture_limits(request.inputs, request.axes, width)
    side = HEATMAP_PIXELS if _parameters(weights) <= LARGE_NETWORK else SMALL_HEATMAP_PIXELS
    held = np.mean(np.asarray(request.inputs, dtype=float), axis=0) if request.inputs else None
    points, _, _ = plane_points(limits, side, width, request.axes if width > 1 else (0, 0), held)
    if request.extras:  # each point's engineered inputs from its own x1, x2, as the samples' are
        points = expand_array(points[:, :2], request.extras)
    columns = [points, *neuron_outputs(weights, points)]
    activations = [None, *weights.activations]
    numbers = NetworkNumbers(request, limits, side=side)
    for column, activation, shown in zip(columns, activations, request.shown):
        grids = column[:, :shown]
        low, high = value_range(activation, limits)
        numbers.grids.append(grids)
        numbers.pictures.append([colour(grids[:, n], low, high, side) for n in range(grids.shape[1])])
    if request.sample is not None and 0 <= request.sample < len(request.inputs):
        numbers.sample_values = _sample_values(weights, list(request.inputs[request.sample]))
    if request.inputs:
        with np.errstate(all="ignore"):  # a diverging model: non-finite grads are drawn thin and grey
            numbers.gradients = loss_gradients(
                weights, request.inputs, request.targets, request.loss, request.l2
            )
        numbers.activity = neuron_activity(weights, request.inputs)
    return numbers
