"""The decision-boundary plot's picture: a model's (or one neuron's) output over a grid, made for the screen.

`predict_grid` evaluates the grid with NumPy; `render_picture` blends and colours it at the
screen's pixels in two small matrix products (milliseconds, in any thread), and `OutputImage`
draws that picture where matplotlib's general resampling took tens of milliseconds.
"""

from __future__ import annotations

import numpy as np
from matplotlib.backend_bases import RendererBase
from matplotlib.backends.backend_agg import RendererAgg
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.image import AxesImage

from engine.features import expand_array
from engine.network import neuron_outputs, plane_points
from engine.weights import ModelWeights

GRID_SIZE = 100  # cells per side: 10,000 model evaluations, a few milliseconds in NumPy
# white in the middle (the model is unsure), pale blue for +1, pale red for -1: pale so that
# the samples stay readable on top
OUTPUT_CMAP = LinearSegmentedColormap.from_list(
    "boundary", ["#f5b79c", "#fce6dc", "#ffffff", "#dce8f8", "#a3c1ec"]
)
OUTPUT_COLORS = np.round(OUTPUT_CMAP(np.linspace(0.0, 1.0, 256)) * 255).astype(np.uint8)  # 256 RGBA steps


# ---------------------------------------------------------------- the output, as a picture for the screen


def predict_grid(
    weights: ModelWeights,
    limits: tuple[float, float, float, float],
    neuron: tuple[int, int] | None = None,
    extras: tuple[str, ...] = (),
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The model's output (or, given `neuron` = (layer, index), 0-based, that neuron's) at the centres
    of a GRID_SIZE x GRID_SIZE grid over `limits` (rows = x2, columns = x1), with the cells' x1 and
    x2 values. Safe in any thread."""
    # cell centres, so that the picture's pixels sit exactly on the values computed for them
    points, xs, ys = plane_points(limits, GRID_SIZE, 2)
    points = expand_array(points, extras)  # engineered inputs, computed as for the samples
    if neuron is not None:
        layer, index = neuron
        out = neuron_outputs(weights, points, up_to=layer + 1)[-1][:, index]
        return out.reshape(GRID_SIZE, GRID_SIZE), xs, ys
    with np.errstate(over="ignore", invalid="ignore"):  # a diverging model may overflow: drawn blank
        out = weights.predict_numpy(points)
    if out.ndim != 1:  # one output per class: each cell's class is the largest (argmax), as a number
        finite = np.isfinite(out).all(axis=1)
        out = np.where(finite, np.argmax(np.where(np.isfinite(out), out, -np.inf), axis=1), np.nan)
    return out.reshape(GRID_SIZE, GRID_SIZE), xs, ys


def pixel_box(axes, limits: tuple[float, float, float, float]) -> tuple[int, int, int, int] | None:
    """Where `limits` fall on the canvas, in whole pixels: (left, bottom, width, height), or None."""
    x0, x1, y0, y1 = limits
    (left, bottom), (right, top) = axes.transData.transform([(x0, y0), (x1, y1)])
    if not np.all(np.isfinite([left, bottom, right, top])):
        return None
    box = round(left), round(bottom), round(right) - round(left), round(top) - round(bottom)
    return box if 0 < box[2] <= 10_000 and 0 < box[3] <= 10_000 else None


def _linear_weights(pixels: int, cells: int) -> np.ndarray:
    """(pixels, cells): each pixel centre as a blend of the two nearest cell centres (edges held)."""
    position = np.clip((np.arange(pixels) + 0.5) * cells / pixels - 0.5, 0, cells - 1)
    below = np.floor(position).astype(int)
    above = np.minimum(below + 1, cells - 1)
    fraction = position - below
    weights = np.zeros((pixels, cells))
    np.add.at(weights, (np.arange(pixels), below), 1.0 - fraction)
    np.add.at(weights, (np.arange(pixels), above), fraction)
    return weights


def render_picture(
    grid: np.ndarray,
    low: float,
    high: float,
    box: tuple[int, int, int, int],
    palette: np.ndarray | None = None,
) -> np.ndarray:
    """With a `palette` (one RGBA row per class), the grid holds class numbers: see `render_classes`.

    The grid as an RGBA picture of `box`'s size (bottom row first): values blended between cell
    centres, then coloured; cells that are not finite are transparent. Safe in any thread.

    Two small matrix products do the blending, so it costs milliseconds where matplotlib's
    general image resampling took tens of them in the GUI thread."""
    if palette is not None:
        return render_classes(grid, palette, box)
    _, _, width, height = box
    rows, columns = _linear_weights(height, grid.shape[0]), _linear_weights(width, grid.shape[1])
    finite = np.isfinite(grid)
    values = rows @ np.where(finite, grid, 0.0) @ columns.T
    scale = np.clip((values - low) / (high - low), 0.0, 1.0)
    picture = OUTPUT_COLORS[(scale * 255 + 0.5).astype(np.uint8)]
    if not finite.all():
        picture[(rows @ (~finite).astype(float) @ columns.T) > 0, 3] = 0
    return picture  # first row the lowest x2, as the grid's: Agg draws a picture's first row at the bottom


def render_classes(grid: np.ndarray, palette: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    """A grid of class numbers as an RGBA picture of `box`'s size, each pixel its nearest cell's colour.

    Not blended: halfway between class 0 and class 2 is no class 1."""
    _, _, width, height = box
    rows = np.minimum(((np.arange(height) + 0.5) * grid.shape[0] / height).astype(int), grid.shape[0] - 1)
    columns = np.minimum(((np.arange(width) + 0.5) * grid.shape[1] / width).astype(int), grid.shape[1] - 1)
    cells = grid[np.ix_(rows, columns)]
    finite = np.isfinite(cells)
    picture = palette[np.where(finite, cells, 0).astype(int) % len(palette)]
    picture[~finite, 3] = 0
    return picture


class OutputImage(AxesImage):
    """The output image, drawn from a picture made for the screen's pixels (see `render_picture`).

    Its data, extent and colour map are an ordinary AxesImage's (what tests and exports read);
    only drawing differs. `picture` may be made ahead, in a thread; if it does not fit what is
    to be drawn (other data, colours or size), it is made again here.
    """

    def __init__(self, axes, **kwargs) -> None:
        super().__init__(axes, **kwargs)
        self.grid_version = 0  # the view counts the grids it sets
        self.picture: tuple | None = None  # (picture_key, RGBA array)
        self.palette: np.ndarray | None = None  # one RGBA row per class when the grid holds class numbers

    def picture_key(self, box: tuple[int, int, int, int]) -> tuple:
        palette = None if self.palette is None else len(self.palette)
        return self.grid_version, self.norm.vmin, self.norm.vmax, box, palette

    def draw(self, renderer: RendererBase) -> None:
        box = pixel_box(self.axes, tuple(self.get_extent()))
        if not self.get_visible() or box is None or not isinstance(renderer, RendererAgg):
            super().draw(renderer)  # other renderers (PDF, SVG export) draw images their own way
            return
        key = self.picture_key(box)
        if self.picture is None or self.picture[0] != key:
            grid = np.ma.getdata(self.get_array()).astype(float)
            grid[np.ma.getmaskarray(self.get_array())] = np.nan
            self.picture = (key, render_picture(grid, self.norm.vmin, self.norm.vmax, box, self.palette))
        gc = renderer.new_gc()
        gc.set_clip_rectangle(self.axes.bbox.frozen())
        renderer.draw_image(gc, box[0], box[1], self.picture[1])
        gc.restore()
        self.stale = False
