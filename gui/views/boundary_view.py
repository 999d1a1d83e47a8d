"""The Decision boundary tab: the model's output over the plane, with the data on top.

The output over a grid comes from `ModelWeights.predict_numpy` on a snapshot of the
weights (milliseconds; the scalar engine would take seconds), and each refresh only
swaps the image's data and the one contour line, so it can run while training does.
Those refreshes are blitted: every full draw of the canvas also keeps a copy of the figure
without the image, the contour, the samples and the axes frame (the parts a refresh changes
or must stay on top of), and a refresh restores that copy, draws only those artists and
repaints the axes' rectangle: a few milliseconds instead of a full draw of ticks, labels and
legend. Anything else that changes (data, limits, legend, size) drops the copy and asks for a
full draw, which takes a new one. That full draw (ticks, labels, legend: 50-60 ms here)
is made in the canvas's render thread (gui/widgets/blit_canvas.py); calls that would change the
figure meanwhile are held back and made, in order, when it is done.
Clicks edit the data: the view only says what was clicked (`point_added`,
`point_removed`); whoever owns the dataset changes it and calls `set_dataset` again.
Several classes are drawn as argmax regions, regression as a heatmap (2 inputs) or as the
samples with the network's fitted curve (1 input): see boundary_marks.py.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from engine.data import Dataset
from engine.weights import ModelWeights
from gui.views.boundary_legend import BoundaryLegend
from gui.views.boundary_marks import (
    CLASS_REGION_RGBA,
    CURVE_COLOR,
    DEFAULT_LIMITS,
    HINTS,
    NEGATIVE_COLOR,
    POSITIVE_COLOR,
    curve_points,
    fit_limits,
    has_neuron,
    neuron_hint,
    output_range,
)
from gui.views.boundary_picture import (
    OUTPUT_CMAP,
    OutputImage,
    pixel_box,
    predict_grid,
    render_picture,
)
from gui.views.boundary_samples import SamplesAndClicks
from gui.views.held_out_points import legend_handle as held_out_legend_handle
from gui.widgets.blit_canvas import BlitCanvas
from gui.widgets.latest_job import LatestJobThread

HINT = HINTS["binary"]
__all__ = ["POSITIVE_COLOR", "NEGATIVE_COLOR", "BoundaryView"]
# margins in pixels, set on every resize; a fixed layout keeps redraws cheap
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 66, 16, 34, 44


class BoundaryView(SamplesAndClicks, BoundaryLegend, QWidget):
    """A scatter of 2-D data over the model's output; clicks add or remove samples."""

    point_added = Signal(float, float, float)  # x, y, target (+1.0 or -1.0; a class number 0, 1, 2)
    curve_point_added = Signal(float, float)  # 1-D regression: a sample x1 with target y
    point_removed = Signal(int)  # index of the sample in the dataset
    point_picked = Signal(int)  # Ctrl+click: index of the sample to draw in the graph view
    output_shown = Signal()  # weights given to set_weights are on screen (at once, or after a thread)
    _job_done = Signal(object)  # from the picture thread

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._points = np.zeros((0, 2))
        self._is_2d = True
        self._limits = DEFAULT_LIMITS
        self._weights: ModelWeights | None = None
        self._threshold = 0.0
        self._task = "binary"  # what the data's targets are (engine/tasks.py)
        self._classes = 0  # several classes: how many
        self._targets_range = (-1.0, 1.0)  # regression: the colour scale
        self._curve_mode = False  # regression on one input: points (x1, y) and the fitted curve
        self._neuron: tuple[int, int] | None = None  # (layer, index), 0-based: shown instead of the output
        self._held_out: list[int] = []  # samples of the test set, drawn hollow (gui/views/held_out_points.py)
        self._extras: tuple[
            str, ...
        ] = ()  # engineered inputs the network adds to x1, x2 (engine/features.py)
        self._grid: np.ndarray | None = None
        self._grid_x = self._grid_y = np.zeros(0)
        self._image: OutputImage | None = None
        self._contour = None
        self._request = 0  # set_weights calls so far: a thread's result for an older one is dropped
        self._jobs = LatestJobThread(self._job_done.emit, "boundary picture")
        self._job_done.connect(self._on_job_done)
        self.destroyed.connect(self._jobs.close)

        self.figure = Figure(figsize=(8, 6), facecolor="white")
        # While training, only the output image, the boundary and the samples change
        self.canvas = BlitCanvas(
            self.figure,
            self._dynamic_artists,
            lambda: (),
            lambda: self.axes.bbox.padded(2),
            render_in_thread=True,
        )
        self._held: list[Callable[[], None]] = []  # calls that came while the render thread drew
        self.canvas.rendered.connect(self._make_held_calls)
        self.canvas.setMinimumSize(240, 200)
        self.axes = self.figure.add_subplot()
        self.axes.set_aspect("equal", adjustable="box")  # circles look round
        self.axes.tick_params(labelsize=9)
        self.axes.set_xlabel("x1", fontsize=10)
        self.axes.set_ylabel("x2", fontsize=10)
        self.axes.grid(True, color="#e3e3e3", linewidth=0.8)
        self.axes.set_axisbelow(True)
        marker_style = {"s": 30, "edgecolors": "white", "linewidths": 0.7, "zorder": 4}
        empty = np.zeros((0, 2))
        self._positive = self.axes.scatter(
            empty[:, 0], empty[:, 1], c=POSITIVE_COLOR, marker="o", label="+1", **marker_style
        )
        self._negative = self.axes.scatter(
            empty[:, 0], empty[:, 1], c=NEGATIVE_COLOR, marker="s", label="−1", **marker_style
        )
        self._held_out_handle = held_out_legend_handle()
        self._boundary_handle = Line2D([], [], color="#222222", linewidth=1.6, label="boundary")
        # several classes and regression: one scatter coloured per sample; 1-D regression: the curve
        self._marker_style = marker_style
        self._coloured = None  # made for the first data that needs it (see _coloured_scatter)
        self._coloured_faces = np.zeros((0, 4))  # its samples' own colours (a test sample's is its ring)
        self._sample_masks = (np.zeros(0, dtype=bool),) * 3  # which samples each scatter draws
        self._curve = Line2D([], [], color=CURVE_COLOR, linewidth=2.0, zorder=3)
        self.axes.add_line(self._curve)
        self._legend = None
        self._legend_key: tuple = ()
        # legends built, by what they show: a change back (the boundary gone with new data, then
        # drawn again by the next weights) swaps one in instead of building it again (1-4 ms each)
        self._legends: dict[tuple, object] = {}
        self._message = self.figure.text(
            0.5, 0.5, "", ha="center", va="center", fontsize=11, color="#555555", wrap=True
        )
        self._message.set_visible(False)
        self._apply_limits()
        self._apply_margins()
        self.canvas.mpl_connect("resize_event", self._apply_margins)
        self.canvas.mpl_connect("button_press_event", self._on_canvas_button_press)

        self.hint_label = QLabel(HINT)
        self.hint_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.hint_label.setWordWrap(True)  # a long hint must not widen the plot (or a splitter around it)
        self.hint_label.setStyleSheet("color: #666666; padding: 2px;")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 4)
        layout.setSpacing(2)
        layout.addWidget(self.canvas, 1)
        layout.addWidget(self.hint_label)
        self._refresh_legend()

    # ------------------------------------------------------------ data and weights

    def set_dataset(self, ds: Dataset, keep_limits: bool = False, refresh_output: bool = True) -> None:
        """Show `ds`; the axis limits fit the data unless `keep_limits` (e.g. after a click added a point).

        The output is computed again for the new limits, unless `refresh_output` is False: the
        caller sends weights next (in the background), and a large network's grid must not be
        computed here first with the old ones. An output that no longer fits is then taken away."""
        if self._held_back(lambda: self.set_dataset(ds, keep_limits, refresh_output)):
            return
        width = ds.n_inputs
        self._task, self._classes = ds.task, ds.n_classes
        curve_mode = ds.task == "regression" and width == 1 and len(ds) > 0
        if curve_mode != self._curve_mode:
            self._curve_mode = curve_mode
            self._remove_output()
            self._set_plot_kind()
        # an empty dataset can still be filled by clicking
        self._is_2d = len(ds) == 0 or width == 2 or curve_mode
        self.axes.set_visible(self._is_2d)
        self.hint_label.setVisible(self._is_2d)
        if not self._is_2d:
            self._points = np.zeros((0, 2))
            self._message.set_text(f"The decision boundary needs 2-D inputs; this dataset has {width}.")
            self._message.set_visible(True)
            self._grid = None
            self._redraw_all()
            return
        self._message.set_visible(False)
        targets = np.asarray(ds.targets, dtype=np.float64)
        if curve_mode:
            self._points = np.column_stack([np.asarray(ds.inputs, dtype=np.float64).reshape(-1), targets])
        else:
            self._points = np.asarray(ds.inputs, dtype=np.float64).reshape(-1, 2)
        self._show_samples(targets)
        self._style_held_out()
        limits = self._limits
        if not keep_limits:
            self._limits = fit_limits(self._points, 0.15 if curve_mode else 0.1)
            self._apply_limits()
        if self._weights is not None and refresh_output:
            self._update_output()
        elif self._limits != limits:
            self._remove_output()
        self._redraw_all()

    def set_weights(
        self, weights: ModelWeights | None, threshold: float = 0.0, background: bool = False
    ) -> None:
        """Colour the plane by the model's output and draw the boundary where it equals `threshold`.

        With `background`, the grid and the picture of it are made in a thread and shown when
        ready (`output_shown`), so that a large network or a redraw while training never holds
        the window; `grid_values()` keeps the last grid shown until then.
        """
        if self._held_back(lambda: self.set_weights(weights, threshold, background)):
            return
        self._weights = weights
        self._threshold = float(threshold)
        self._request += 1
        if self._neuron is not None and not has_neuron(weights, self._neuron):
            self._neuron = None  # another network: its neurons are not the hovered one
            self.hint_label.setText(self._hint())
        if (
            background
            and weights is not None
            and self._is_2d
            and self._takes_plane(weights)
            and not self._curve_mode
        ):
            self._request_in_background(weights)
            return
        self._show_output(self._update_output)

    def _takes_plane(self, weights: ModelWeights) -> bool:
        """Whether the network takes this plane's points: x1, x2 and its engineered inputs."""
        return weights.inputs == 2 + len(self._extras)

    def set_extra_inputs(self, extras: list[str] | tuple[str, ...]) -> None:
        """The engineered inputs the network computes from x1, x2: the grid's points get them too
        (the window sends the network's weights next)."""
        self._extras = tuple(extras)

    def set_held_out(self, indices: list[int]) -> None:
        """Draw these samples (0-based) hollow: the test set, which the network does not train on."""
        self._held_out = list(indices)
        if self._is_2d and len(self._points):
            self._style_held_out()
            self._refresh_legend()
            self._redraw_all()

    def show_neuron(self, layer: int, index: int) -> None:
        """Colour the plane by one neuron's output (layer and index 0-based) instead of the model's."""
        self._set_neuron((layer, index))

    def show_output(self) -> None:
        """Back to the model's output."""
        self._set_neuron(None)

    @property
    def shown_neuron(self) -> tuple[int, int] | None:
        """(layer, index) of the neuron the plane shows, or None for the model's output."""
        return self._neuron

    def _set_neuron(self, neuron: tuple[int, int] | None) -> None:
        if self._held_back(lambda: self._set_neuron(neuron)):
            return
        weights = self._weights
        if neuron is not None and (self._curve_mode or not has_neuron(weights, neuron)):
            neuron = None
        if neuron == self._neuron:
            return
        self._neuron = neuron
        self.hint_label.setText(self._hint() if neuron is None else neuron_hint(*neuron))
        if weights is not None:
            self.set_weights(weights, self._threshold, background=True)

    def _shown_activation(self) -> tuple[str, float]:
        """The activation of what the plane shows, and the level its line is drawn at."""
        if self._neuron is None:
            return self._weights.layers[-1].activation, self._threshold
        activation = self._weights.layers[self._neuron[0]].activation
        return activation, 0.5 if activation == "sigmoid" else 0.0

    def _show_output(self, update: Callable[[], None]) -> None:
        limits = self.axes.get_xlim(), self.axes.get_ylim()
        update()
        if limits != (self.axes.get_xlim(), self.axes.get_ylim()):
            self.canvas.invalidate_background()
        if not self._blit():
            self.canvas.draw_idle()
        self.output_shown.emit()

    def _colours(self) -> tuple[float, float, np.ndarray | None]:
        """The colour scale of what the plane shows: (low, high, a palette of class colours or None)."""
        if self._neuron is None and self._task == "classes":
            return -0.5, self._classes - 0.5, CLASS_REGION_RGBA
        if self._neuron is None and self._task == "regression":
            return (*self._targets_range, None)
        return (*output_range(*self._shown_activation()), None)

    def _request_in_background(self, weights: ModelWeights) -> None:
        request, limits, neuron, extras = self._request, self._limits, self._neuron, self._extras
        low, high, palette = self._colours()
        box = pixel_box(self.axes, limits)

        def job() -> tuple:
            grid, xs, ys = predict_grid(weights, limits, neuron, extras)
            picture = (box, render_picture(grid, low, high, box, palette)) if box is not None else None
            return request, limits, grid, xs, ys, picture

        self._jobs.submit(job)

    def _on_job_done(self, result: tuple) -> None:
        if self._held_back(lambda: self._on_job_done(result)):
            return
        request, limits, grid, xs, ys, picture = result
        if request != self._request or limits != self._limits:
            return  # newer weights or another view of the plane since: their own job follows
        self._show_output(lambda: self._show_grid(grid, xs, ys, picture))

    def grid_values(self) -> np.ndarray | None:
        """The last computed output grid, shape (rows = x2, columns = x1), or None."""
        return self._grid

    def grid_coordinates(self) -> tuple[np.ndarray, np.ndarray]:
        """The x1 values of the grid's columns and the x2 values of its rows (cell centres)."""
        return self._grid_x, self._grid_y

    @property
    def limits(self) -> tuple[float, float, float, float]:
        """(x1 min, x1 max, x2 min, x2 max) of the view."""
        return self._limits

    # ------------------------------------------------------------ drawing

    def _held_back(self, call: Callable[[], None]) -> bool:
        """True if the render thread is drawing the figure: `call` is made when it is done."""
        if not self.canvas.rendering:
            return False
        self._held.append(call)
        return True

    def _make_held_calls(self) -> None:
        held, self._held = self._held, []
        for call in held:
            call()

    def _dynamic_artists(self) -> list:
        """What a refresh redraws over the background, in drawing order: the output, the
        boundary, the samples on top of them and the axes frame on top of the image's edges."""
        if not self._is_2d:
            return []
        artists = [
            self._image,
            self._contour,
            self._curve,
            self._positive,
            self._negative,
            self._coloured,
            *self.axes.spines.values(),
        ]
        return sorted((a for a in artists if a is not None), key=lambda a: a.get_zorder())

    def _redraw_all(self) -> None:
        """Something besides the output changed: drop the background and queue a full draw."""
        self.canvas.invalidate_background()
        self.canvas.draw_idle()

    def _blit(self) -> bool:
        """Redraw only the changing artists over the background; False if there is none to use."""
        return self._is_2d and self.canvas.blit_changes()

    def _update_output(self) -> None:
        """Compute the output grid now (in the GUI thread) and show it."""
        weights = self._weights
        if self._curve_mode and weights is not None and weights.inputs == 1:
            self._curve.set_data(*curve_points(weights, self._limits[:2]).T)
            self._refresh_legend()
            return
        if weights is None or not self._is_2d or not self._takes_plane(weights):
            self._remove_output()
            return
        grid, xs, ys = predict_grid(weights, self._limits, self._neuron, self._extras)
        self._show_grid(grid, xs, ys)

    def _show_grid(
        self, grid: np.ndarray, xs: np.ndarray, ys: np.ndarray, picture: tuple | None = None
    ) -> None:
        """Show a computed grid: the image (with its picture for the screen, if made ahead), the boundary."""
        self._grid, self._grid_x, self._grid_y = grid, xs, ys
        level = self._shown_activation()[1]
        low, high, palette = self._colours()
        if self._image is None:
            self._image = OutputImage(
                self.axes,
                cmap=OUTPUT_CMAP,
                norm=Normalize(low, high, clip=True),
                origin="lower",
                extent=self._limits,
                zorder=1,
            )
            self._image.set_data(grid)
            self.axes.add_image(self._image)
        else:
            self._image.set_data(grid)
            self._image.set_extent(self._limits)
            self._image.norm.vmin, self._image.norm.vmax = low, high
        self._image.grid_version += 1
        self._image.palette = palette
        if picture is not None:
            box, rgba = picture
            self._image.picture = (self._image.picture_key(box), rgba)
        if self._contour is not None:
            self._contour.remove()
            self._contour = None
        finite = grid[np.isfinite(grid)]
        has_boundary = self._neuron is not None or self._task == "binary"  # else the colours show it all
        if has_boundary and finite.size and finite.min() < level < finite.max():
            with np.errstate(over="ignore"):  # outputs near the float limit (a diverging model)
                self._contour = self.axes.contour(
                    xs, ys, grid, levels=[level], colors="#222222", linewidths=1.6, zorder=3
                )
        self._apply_limits()  # contour may have moved them
        self._refresh_legend()

    def _remove_output(self) -> None:
        self._grid = None
        self._curve.set_data([], [])
        if self._image is not None:
            self._image.remove()
            self._image = None
        if self._contour is not None:
            self._contour.remove()
            self._contour = None
        self._refresh_legend()

    def _apply_limits(self) -> None:
        x0, x1, y0, y1 = self._limits
        self.axes.set_xlim(x0, x1)
        self.axes.set_ylim(y0, y1)

    def _apply_margins(self, _event: object = None) -> None:
        self.canvas.invalidate_background()  # resized: the next refresh needs a full draw
        width, height = self.figure.bbox.width, self.figure.bbox.height
        if width < 2 * (MARGIN_LEFT + MARGIN_RIGHT) or height < 2 * (MARGIN_TOP + MARGIN_BOTTOM):
            return
        self.figure.subplots_adjust(
            left=MARGIN_LEFT / width,
            right=1 - MARGIN_RIGHT / width,
            top=1 - MARGIN_TOP / height,
            bottom=MARGIN_BOTTOM / height,
        )
