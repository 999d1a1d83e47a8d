"""The decision-boundary plot's samples and clicks, by kind of problem (a mixin of BoundaryView).

Two classes are blue circles (+1) and red squares (-1); several classes and regression
one scatter coloured per sample (by class, or by target on the targets' scale); 1-D
regression points (x1, y) under the fitted curve. A click adds a sample whose target
fits the problem: +1 / -1, class 0 / 1 / 2, or, on a curve, the y clicked.
"""

from __future__ import annotations

import numpy as np
from matplotlib.backend_bases import MouseButton, MouseEvent
from matplotlib.colors import to_rgba_array
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from gui.views.boundary_marks import (
    HINTS,
    NEGATIVE_COLOR,
    POSITIVE_COLOR,
    TARGET_CMAP,
    class_color,
    neuron_hint,
    target_range,
)
from gui.views.held_out_points import held_out_mask, ring_points, style_points

PICK_RADIUS_PX = 15  # a right-click farther than this from every sample removes nothing


class SamplesAndClicks:
    """BoundaryView's samples and clicks; it owns the attributes used here."""

    def _on_canvas_button_press(self, event: MouseEvent) -> None:
        if not self._is_2d or event.inaxes is not self.axes or event.xdata is None or event.ydata is None:
            return
        modifiers = QApplication.keyboardModifiers()
        ctrl = "ctrl" in event.modifiers or "control" in (event.key or "") or "ctrl" in (event.key or "")
        if event.button == MouseButton.LEFT and (ctrl or modifiers & Qt.KeyboardModifier.ControlModifier):
            index = self._nearest_point(event.x, event.y)
            if index is not None:
                self.point_picked.emit(index)
        elif event.button == MouseButton.LEFT:
            shift = "shift" in event.modifiers or "shift" in (event.key or "")
            if not shift and QApplication.keyboardModifiers() & Qt.KeyboardModifier.ShiftModifier:
                shift = True
            alt = "alt" in event.modifiers or "alt" in (event.key or "")
            self._add_point(float(event.xdata), float(event.ydata), shift, alt)
        elif event.button == MouseButton.RIGHT:
            index = self._nearest_point(event.x, event.y)
            if index is not None:
                self.point_removed.emit(index)

    def _nearest_point(self, x_px: float, y_px: float) -> int | None:
        """Index of the sample nearest to a pixel position, if within PICK_RADIUS_PX pixels."""
        if not len(self._points):
            return None
        pixels = self.axes.transData.transform(self._points)
        distances = np.hypot(pixels[:, 0] - x_px, pixels[:, 1] - y_px)
        index = int(np.argmin(distances))
        radius = PICK_RADIUS_PX * self.canvas.device_pixel_ratio
        return index if distances[index] <= radius else None

    def _hint(self) -> str:
        return HINTS["curve" if self._curve_mode else self._task]

    def _set_plot_kind(self) -> None:
        """Axes for a plane (equal scales, x1 and x2) or for a curve (y against x1)."""
        self.axes.set_aspect("auto" if self._curve_mode else "equal", adjustable="box")
        self.axes.set_ylabel("y" if self._curve_mode else "x2", fontsize=10)
        self._curve.set_visible(self._curve_mode)
        self._redraw_all()

    def _show_samples(self, targets: np.ndarray) -> None:
        """The samples: two classes as blue circles and red squares; several classes and
        regression as one scatter coloured per sample (by class, or by target)."""
        empty = np.zeros((0, 2))
        two_classes = self._task == "binary" or self._curve_mode
        positive = targets > 0 if self._task == "binary" else np.ones(len(targets), dtype=bool)
        nowhere = np.zeros(len(targets), dtype=bool)
        # which samples each scatter draws, in order: the test set's are ringed in each (_style_held_out)
        self._sample_masks = (
            positive if two_classes else nowhere,
            ~positive if self._task == "binary" else nowhere,
            nowhere if two_classes else ~nowhere,
        )
        self._positive.set_offsets(self._points[positive] if two_classes else empty)
        self._negative.set_offsets(self._points[~positive] if self._task == "binary" else empty)
        if self._task == "regression":
            self._targets_range = target_range(targets)
        if two_classes:
            if self._coloured is not None:
                self._coloured.set_offsets(empty)
        elif self._task == "classes":
            self._coloured_scatter().set_offsets(self._points)
            self._coloured_faces = to_rgba_array([class_color(int(t)) for t in targets])
        else:
            low, high = self._targets_range
            self._coloured_scatter().set_offsets(self._points)
            self._coloured_faces = TARGET_CMAP(np.clip((targets - low) / (high - low), 0.0, 1.0))
        self.hint_label.setText(self._hint() if self._neuron is None else neuron_hint(*self._neuron))
        self._refresh_legend()

    def _style_held_out(self) -> None:
        """Ring the test set's samples (hollow), fill the others, in whichever scatter draws them."""
        held = held_out_mask(self._held_out, len(self._points))
        if len(held) != len(self._sample_masks[0]):
            return  # the samples are being replaced: set_dataset styles them next
        positive, negative, coloured = self._sample_masks
        style_points(self._positive, held[positive], POSITIVE_COLOR)
        style_points(self._negative, held[negative], NEGATIVE_COLOR)
        if self._coloured is not None and coloured.any():
            ring_points(self._coloured, held[coloured], self._coloured_faces)

    def _coloured_scatter(self):
        """The scatter of samples coloured one by one, made the first time it is needed."""
        if self._coloured is None:
            empty = np.zeros((0, 2))
            self._coloured = self.axes.scatter(empty[:, 0], empty[:, 1], **self._marker_style)
        return self._coloured

    def _add_point(self, x: float, y: float, shift: bool, alt: bool) -> None:
        """A click adds a sample there: its target by the kind of problem and the keys held."""
        if self._curve_mode:
            self.curve_point_added.emit(x, y)
        elif self._task == "classes":
            self.point_added.emit(x, y, 2.0 if alt and self._classes > 2 else 1.0 if shift else 0.0)
        else:
            self.point_added.emit(x, y, -1.0 if shift else 1.0)
