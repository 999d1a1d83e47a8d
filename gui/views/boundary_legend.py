"""The decision-boundary plot's legend (a mixin of BoundaryView): the classes, and the boundary
while one is drawn.

A legend is built (1-4 ms) only when what it shows changes, and the ones built are kept by
what they show: new data takes the boundary away until the next weights draw it again, and
each of those changes swaps a kept legend in instead of building it again.
"""

from __future__ import annotations

import numpy as np

from gui.views.boundary_marks import class_handles, regression_handles

KEPT_LEGENDS = 8


class BoundaryLegend:
    """BoundaryView's legend; it owns the attributes used here."""

    def _refresh_legend(self) -> None:
        """Classes always; the boundary only while one is drawn. Rebuilt only when that changes."""
        shown = "output" if self._neuron is None else "neuron {}.{}".format(*(n + 1 for n in self._neuron))
        level = (
            self._threshold if self._neuron is None or self._weights is None else self._shown_activation()[1]
        )
        hollow = bool(self._held_out) and len(self._points) > 0
        key = (
            self._contour is not None,
            level,
            shown,
            self._task,
            self._classes,
            self._targets_range,
            self._curve_mode,
            hollow,
            self._marker_looks(),
        )
        if self._legend is not None and key == self._legend_key:
            return
        self._legend_key = key
        self.canvas.invalidate_background()  # the legend is part of it
        if key in self._legends:
            self._legend = self.axes.legend_ = self._legends[key]
            self.axes.stale = True
            return
        handles = [self._positive, self._negative]
        if self._task == "classes":
            handles = class_handles(self._classes)
        elif self._task == "regression":
            handles = regression_handles(*self._targets_range, self._curve_mode)
        if self._contour is not None:
            self._boundary_handle.set_label(f"boundary ({shown} = {level:g})")
            handles.append(self._boundary_handle)
        if hollow:
            handles.append(self._held_out_handle)
        self._legend = self.axes.legend(
            handles=handles,
            loc="lower center",
            bbox_to_anchor=(0.5, 1.0),
            ncols=len(handles),
            frameon=False,
            fontsize=9,
            handletextpad=0.3,
            columnspacing=1.4,
        )
        if len(self._legends) >= KEPT_LEGENDS:
            del self._legends[next(iter(self._legends))]  # the oldest
        self._legends[key] = self._legend

    def _marker_looks(self) -> tuple:
        """What the two classes' legend markers copy from their scatters: the first sample's fill,
        rim and rim width (a test sample is drawn hollow)."""
        return tuple(
            tuple(tuple(colors[0]) if len(colors) else () for colors in (face, edge, width))
            for face, edge, width in (
                (points.get_facecolor(), points.get_edgecolor(), np.atleast_2d(points.get_linewidth()))
                for points in (self._positive, self._negative)
            )
        )
