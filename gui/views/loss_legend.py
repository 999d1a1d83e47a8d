"""The Loss tab's legend: above the loss axes, in the figure's top margin, never over a curve.

Inside the axes an opaque legend (the blit canvas pastes its pixels back over the live lines)
hid the curves wherever they went: the zero_grad lesson's loss climbs to the top right, right
under it. Above the axes it hides nothing; the margin grows by the legend's height, which is
worked out from its labels' widths (no renderer needed: a full draw may be running in a
thread), in as many columns as the figure's width holds, so that 6 runs take 3 rows, not 6.
"""

from __future__ import annotations

import math
from weakref import WeakKeyDictionary

from matplotlib.axes import Axes
from matplotlib.font_manager import FontProperties
from matplotlib.legend import Legend
from matplotlib.textpath import text_to_path
from matplotlib.transforms import blended_transform_factory

FONT_SIZE = 9  # points
# matplotlib's legend spacing, in font sizes (its defaults, written here to measure with them)
BORDER_PAD, LABEL_SPACING, HANDLE_LENGTH, HANDLE_TEXT_PAD, COLUMN_SPACING = 0.4, 0.5, 2.0, 0.8, 2.0
# a row of 9 pt text, in font sizes (measured 1.1 with DejaVu Sans): a little more, never less
ROW_HEIGHT = 1.15
GAP_TO_AXES = 0.5  # between the legend's frame and the top of the loss axes, in font sizes
STYLE = {
    "loc": "lower left",
    "bbox_to_anchor": (0.0, 1.0),  # its lower left corner at the figure's left, the axes' top
    "borderaxespad": GAP_TO_AXES,
    "fontsize": FONT_SIZE,
    "borderpad": BORDER_PAD,
    "labelspacing": LABEL_SPACING,
    "handlelength": HANDLE_LENGTH,
    "handletextpad": HANDLE_TEXT_PAD,
    "columnspacing": COLUMN_SPACING,
    "framealpha": 1.0,  # opaque, square: the blit canvas still pastes its pixels back after an update
    "fancybox": False,
    "edgecolor": "#dddddd",
}


# a legend's columns are laid out when it is made: after a resize that wants others it is made again
_COLUMNS: WeakKeyDictionary[Legend, int] = WeakKeyDictionary()


def add_legend(axes: Axes, lines: list, labels: list[str]) -> Legend:
    """A legend above `axes`, from the figure's left edge (past the tick labels: two columns of
    long run labels fit a 1366x768 window), in the columns that fit the figure's width."""
    figure = axes.get_figure()
    columns = legend_columns(labels, _room_px(figure.bbox.width, figure.dpi), figure.dpi)
    left_of_figure_top_of_axes = blended_transform_factory(figure.transFigure, axes.transAxes)
    legend = axes.legend(lines, labels, ncols=columns, bbox_transform=left_of_figure_top_of_axes, **STYLE)
    _COLUMNS[legend] = columns
    return legend


def legend_columns(labels: list[str], width_px: float, dpi: float) -> int:
    """The most columns (so the fewest rows) whose widths fit `width_px`; at least 1."""
    widths = [_text_width_pt(label) for label in labels]
    for columns in range(len(labels), 1, -1):
        if _legend_width_pt(widths, columns) * dpi / 72 <= width_px:
            return columns
    return 1


def legend_height_px(entries: int, columns: int, dpi: float) -> float:
    """The height the legend takes above the axes, gap included (0 without entries)."""
    if entries == 0:
        return 0.0
    rows = math.ceil(entries / max(columns, 1))
    in_font_sizes = 2 * BORDER_PAD + rows * ROW_HEIGHT + (rows - 1) * LABEL_SPACING + GAP_TO_AXES
    return in_font_sizes * FONT_SIZE * dpi / 72 + 2  # and its frame's two lines


def fits_width(legend: Legend | None, figure_width_px: float, dpi: float) -> bool:
    """The legend has the columns a figure this wide wants (no legend fits any width)."""
    if legend is None:
        return True
    labels = [text.get_text() for text in legend.get_texts()]
    return _COLUMNS.get(legend) == legend_columns(labels, _room_px(figure_width_px, dpi), dpi)


def room_above(legend: Legend | None, dpi: float) -> float:
    """The pixels the legend needs above the axes (0 without one)."""
    if legend is None:
        return 0.0
    return legend_height_px(len(legend.get_texts()), _COLUMNS.get(legend, 1), dpi)


def _room_px(figure_width_px: float, dpi: float) -> float:
    """The width a legend has: the figure's, less its pad from the edge on both sides."""
    return figure_width_px - 2 * GAP_TO_AXES * FONT_SIZE * dpi / 72


def _legend_width_pt(widths: list[float], columns: int) -> float:
    rows = math.ceil(len(widths) / columns)
    column_widths = [max(widths[start : start + rows]) for start in range(0, len(widths), rows)]
    handles = len(column_widths) * (HANDLE_LENGTH + HANDLE_TEXT_PAD) * FONT_SIZE
    spacing = (len(column_widths) - 1) * COLUMN_SPACING * FONT_SIZE
    return sum(column_widths) + handles + spacing + 2 * BORDER_PAD * FONT_SIZE + 2


def _text_width_pt(text: str) -> float:
    width, _height, _descent = text_to_path.get_text_width_height_descent(
        text, FontProperties(size=FONT_SIZE), ismath=False
    )
    return width
