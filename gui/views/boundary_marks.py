"""What the decision-boundary plot draws for each kind of problem: colours, ranges, legends.

- two classes (+1 / -1): the output over the plane, pale red to pale blue, and its boundary line;
- several classes: each cell coloured by its class (the argmax of the k outputs), the samples
  in the same colours, stronger;
- regression on 2 inputs: the output as a heatmap on the scale of the targets, the samples
  coloured by their target on the same scale;
- regression on 1 input: no plane at all: the samples as points (x1, y) and the network's
  fitted curve over them (`curve_points`).
"""

from __future__ import annotations

import numpy as np
from matplotlib.colors import LinearSegmentedColormap, to_rgba
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from engine.weights import ModelWeights

DEFAULT_LIMITS = (-2.0, 2.0, -2.0, 2.0)
POSITIVE_COLOR = "#1f5fbf"  # class +1, the blue end of the colour map
NEGATIVE_COLOR = "#d9480f"  # class -1, the red/orange end
CURVE_COLOR = "#222222"
# Several classes: a strong colour per class for the samples, told apart also in grey print,
# and a pale one of the same hue for its region (so the samples stay readable on top)
CLASS_COLORS = ["#1f5fbf", "#d9480f", "#2b8a3e", "#7048e8", "#e8a200", "#0c8599", "#c2255c", "#5c5f66"]
CLASS_REGION = np.array([np.add(to_rgba(c), 3 * np.array([1.0, 1.0, 1.0, 1.0])) / 4 for c in CLASS_COLORS])
CLASS_REGION_RGBA = np.round(CLASS_REGION * 255).astype(np.uint8)
# Regression samples: coloured by target, strong red (low) to strong blue (high) through grey
TARGET_CMAP = LinearSegmentedColormap.from_list("targets", [NEGATIVE_COLOR, "#b0b0b0", POSITIVE_COLOR])

HINTS = {
    "binary": "Click: add +1 · Shift+click: add −1 · Right-click: remove nearest · Ctrl+click: show its graph",
    "classes": "Colours: the class whose output is largest (argmax) · Click: add class 0 · Shift+click: "
    "class 1 · Alt+click: class 2 · Right-click: remove nearest",
    "regression": "Colour: the network's output on the targets' scale · Click: add y = +1 · "
    "Shift+click: y = −1 · Right-click: remove nearest",
    "curve": "Points: the samples (x1, y) · Line: the network's output, live · Click: add a sample there · "
    "Right-click: remove nearest",
}


def class_color(label: int) -> str:
    return CLASS_COLORS[label % len(CLASS_COLORS)]


def fit_limits(points: np.ndarray, margin_fraction: float = 0.1) -> tuple[float, float, float, float]:
    """The data's range plus a margin of 10% (at least 0.25, and more for points far from 0:
    1e20 ± 0.25 is 1e20, which would make an axis of zero length) on every side."""
    if not len(points):
        return DEFAULT_LIMITS
    low, high = points.min(axis=0), points.max(axis=0)
    smallest = np.maximum(0.25, 1e-6 * np.maximum(np.abs(low), np.abs(high)))
    margin = np.maximum(margin_fraction * (high - low), smallest)
    return (
        float(low[0] - margin[0]),
        float(high[0] + margin[0]),
        float(low[1] - margin[1]),
        float(high[1] + margin[1]),
    )


def target_range(targets: np.ndarray) -> tuple[float, float]:
    """The colour scale of a regression: the targets' range (widened when they are all one number)."""
    finite = targets[np.isfinite(targets)]
    if not finite.size:
        return -1.0, 1.0
    low, high = float(finite.min()), float(finite.max())
    return (low - 0.5, high + 0.5) if high - low < 1e-9 else (low, high)


def output_range(activation: str, threshold: float) -> tuple[float, float]:
    """Colour-map limits centred on the threshold: the output's range, or ±1.5 (past the hinge margin)."""
    span = {"sigmoid": 0.5, "tanh": 1.0}.get(activation, 1.5)
    return threshold - span, threshold + span


def has_neuron(weights: ModelWeights | None, neuron: tuple[int, int]) -> bool:
    layer, index = neuron
    return (
        weights is not None
        and 0 <= layer < len(weights.layers)
        and 0 <= index < len(weights.layers[layer].bias)
    )


def neuron_hint(layer: int, index: int) -> str:
    return f"Showing neuron {layer + 1}.{index + 1}'s output over the plane (hovered in the Network view)"


def class_handles(k: int) -> list:
    """Legend entries of k classes (the hint under the plot says what the regions mean)."""
    return [_dot(class_color(c), f"class {c}") for c in range(k)]


def regression_handles(low: float, high: float, curve: bool) -> list:
    if curve:
        return [
            _dot(POSITIVE_COLOR, "samples (x1, y)", size=5),
            Line2D([], [], color=CURVE_COLOR, linewidth=2, label="network's output"),
        ]
    return [
        _dot(NEGATIVE_COLOR, f"y = {low:.3g}"),
        _dot(POSITIVE_COLOR, f"y = {high:.3g}"),
        Patch(facecolor="#dce8f8", edgecolor="#999999", label="output, same scale"),
    ]


def curve_points(weights: ModelWeights, x_limits: tuple[float, float], count: int = 400) -> np.ndarray:
    """The network's output along x1 over `x_limits`: (count, 2) points (x1, output) for the fitted curve."""
    xs = np.linspace(x_limits[0], x_limits[1], count)
    with np.errstate(over="ignore", invalid="ignore"):  # a diverging model: gaps in the line
        ys = weights.predict_numpy(xs.reshape(-1, 1))
    return np.column_stack([xs, np.asarray(ys, dtype=np.float64).reshape(count, -1)[:, 0]])


def _dot(color: str, label: str, size: float = 6) -> Line2D:
    """A legend entry drawn as a sample is: a dot with a white rim."""
    rim = {"markerfacecolor": color, "markeredgecolor": "white"}
    return Line2D([], [], linestyle="", marker="o", markersize=size, label=label, **rim)
