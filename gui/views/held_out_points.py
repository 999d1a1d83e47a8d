"""Samples of the held-out test set drawn hollow: a ring in their class's colour, on white.

A small helper of the decision-boundary view, which draws each class as one scatter: the
held-out samples of a class keep its marker and colour, so hollow reads as "not trained on".
"""

from __future__ import annotations

import numpy as np
from matplotlib.collections import PathCollection
from matplotlib.colors import to_rgba
from matplotlib.lines import Line2D

HOLLOW_FACE = (1.0, 1.0, 1.0, 0.85)
SOLID_EDGE = (1.0, 1.0, 1.0, 1.0)  # the white rim the view gives its filled markers
RING_WIDTH, RIM_WIDTH = 1.6, 0.7
LEGEND_LABEL = "test (hollow)"


def held_out_mask(indices: object, count: int) -> np.ndarray:
    """A boolean mask over `count` samples, True at the held-out ones (none if they do not fit)."""
    mask = np.zeros(count, dtype=bool)
    chosen = np.asarray(list(indices or ()), dtype=int)
    if chosen.size and chosen.min() >= 0 and chosen.max() < count:
        mask[chosen] = True
    return mask


def style_points(points: PathCollection, held: np.ndarray, color: str) -> None:
    """Fill the samples of one class, or ring them where `held` (one flag per point) is True."""
    solid = to_rgba(color)
    if not held.any():  # as the view draws them without a test set
        points.set_facecolors([solid])
        points.set_edgecolors([SOLID_EDGE])
        points.set_linewidths([RIM_WIDTH])
        return
    points.set_facecolors([HOLLOW_FACE if h else solid for h in held])
    points.set_edgecolors([solid if h else SOLID_EDGE for h in held])
    points.set_linewidths([RING_WIDTH if h else RIM_WIDTH for h in held])


def ring_points(points: PathCollection, held: np.ndarray, faces: np.ndarray) -> None:
    """As `style_points`, for a scatter coloured sample by sample (`faces`: one RGBA row each)."""
    solid_edge = np.broadcast_to(to_rgba(SOLID_EDGE), faces.shape)
    flags = held[:, None]
    points.set_facecolors(np.where(flags, to_rgba(HOLLOW_FACE), faces))
    points.set_edgecolors(np.where(flags, faces, solid_edge))
    points.set_linewidths(np.where(held, RING_WIDTH, RIM_WIDTH))


def legend_handle() -> Line2D:
    return Line2D(
        [], [], linestyle="", marker="o", markersize=6, markerfacecolor="white",
        markeredgecolor="#555555", markeredgewidth=RING_WIDTH, label=LEGEND_LABEL,
    )  # fmt: skip
