"""The Network view's diagram: where each neuron and link sits, and a QWidget that paints them.

Columns of neurons (inputs, each layer, the output), each neuron a small picture of its
output over the input plane, each link a line coloured by its weight's sign (or by the
direction the next step moves it) and as wide as its size. The whole diagram is painted
once per snapshot into a cached pixmap; a paint event only copies that and draws the
hover and selection marks on top, so moving the mouse costs next to nothing. A column too
tall for the widget shows its first neurons and says how many more there are.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QLineF, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetricsF,
    QImage,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QPixmap,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

from gui.views.network_numbers import NetworkNumbers

POSITIVE = QColor("#1f5fbf")
NEGATIVE = QColor("#d9480f")
MAX_BOX, MIN_BOX = 46.0, 14.0  # a neuron's picture, in pixels
MAX_SHOWN = 16  # neurons drawn per column at most (all of a 16-wide layer); the rest are counted
TOP, BOTTOM, SIDE = 34.0, 22.0, 40.0  # margins: headings above, "+N more" below (the legend under it)
LEGEND_POINTS, LEGEND_LINES = 8.0, 2  # the legend under the diagram: its font, the lines kept for it
LINK_HIT_PX = 4.0
LINK_STEPS = 16  # sizes of link drawn (by |value| / the largest |value| of the layer)
ANTIALIAS_LINKS = 1500  # links drawn smooth up to this many (about 10 ms here); more are drawn plain
MARK_COLOURS = {"dead": QColor("#c92a2a"), "saturated": QColor("#e8a100")}


@dataclass
class Layout:
    """Neuron centres per column (inputs first) and the side of a neuron's square."""

    centres: list[list[QPointF]]
    box: float
    sizes: list[int]  # every column's full size
    gap: float  # pixels between two neurons of the tallest column: room for the sample's numbers?
    step_x: float  # pixels between two columns: room for headings and numbers side by side?

    @property
    def roomy(self) -> bool:
        """Whether the sample's numbers fit under the neurons without running into each other."""
        return self.gap >= 12 and self.step_x >= 56

    def rect(self, column: int, index: int) -> QRectF:
        c, half = self.centres[column][index], self.box / 2
        return QRectF(c.x() - half, c.y() - half, self.box, self.box)


def shown_counts(sizes: list[int], height: float) -> tuple[int, ...]:
    """How many neurons of each column fit in `height` pixels (at least one, at most MAX_SHOWN)."""
    fit = max(1, int((height - TOP - BOTTOM) / (MIN_BOX * 1.5)))
    return tuple(min(size, fit, MAX_SHOWN) for size in sizes)


def make_layout(sizes: list[int], width: float, height: float) -> Layout:
    shown = shown_counts(sizes, height)
    columns = len(sizes)
    step_x = (width - 2 * SIDE) / max(columns - 1, 1)
    tallest = max(shown)
    room = (height - TOP - BOTTOM) / tallest
    box = max(MIN_BOX, min(MAX_BOX, room * 0.72, step_x * 0.42))
    centres, spacing = [], min(room, box * 1.9)
    for column, count in enumerate(shown):
        x = SIDE + column * step_x if columns > 1 else width / 2
        top = TOP + (height - TOP - BOTTOM - spacing * count) / 2 + spacing / 2
        centres.append([QPointF(x, top + i * spacing) for i in range(count)])
    return Layout(centres, box, list(sizes), spacing - box, step_x if columns > 1 else width)


def neuron_at(layout: Layout, x: float, y: float) -> tuple[int, int] | None:
    """(column, index) of the neuron under a point, if any."""
    for column, centres in enumerate(layout.centres):
        for index, _ in enumerate(centres):
            if layout.rect(column, index).adjusted(-2, -2, 2, 2).contains(QPointF(x, y)):
                return column, index
    return None


def link_at(layout: Layout, x: float, y: float) -> tuple[int, int, int] | None:
    """(column of the target, target index, source index) of the link nearest a point, within LINK_HIT_PX."""
    best, found = LINK_HIT_PX, None
    for column in range(1, len(layout.centres)):
        sources = _ends(layout, column - 1, right=True)
        targets = _ends(layout, column, right=False)
        if not len(sources) or not len(targets) or not sources[0, 0] <= x <= targets[0, 0]:
            continue
        a = sources[None, :, :]  # (1, sources, 2)
        b = targets[:, None, :]  # (targets, 1, 2)
        ab = b - a
        t = np.clip(((x - a[..., 0]) * ab[..., 0] + (y - a[..., 1]) * ab[..., 1]) / (ab**2).sum(-1), 0, 1)
        distance = np.hypot(a[..., 0] + t * ab[..., 0] - x, a[..., 1] + t * ab[..., 1] - y)
        target, source = np.unravel_index(int(np.argmin(distance)), distance.shape)
        if distance[target, source] < best:
            best, found = float(distance[target, source]), (column, int(target), int(source))
    return found


def _ends(layout: Layout, column: int, right: bool) -> np.ndarray:
    offset = layout.box / 2 if right else -layout.box / 2
    return np.asarray([(c.x() + offset, c.y()) for c in layout.centres[column]], dtype=float).reshape(-1, 2)


def link_values(numbers: NetworkNumbers, column: int, by_gradient: bool) -> np.ndarray | None:
    """(targets, sources) of the shown links into `column`: the weights, or minus their gradients."""
    shown = numbers.request.shown
    if by_gradient:
        if numbers.gradients is None:
            return None
        grads = numbers.gradients.weight[column - 1]
        return -grads[: shown[column], : shown[column - 1]]
    rows = numbers.request.weights.layers[column - 1].weight[: shown[column]]
    return np.asarray([row[: shown[column - 1]] for row in rows], dtype=float)


class NetworkCanvas(QWidget):
    """Paints the diagram; says which neuron is hovered and what was clicked."""

    hovered = Signal(int, int)  # column (0: inputs), index; (-1, -1) when the mouse leaves a neuron
    neuron_clicked = Signal(int, int)  # column, index
    link_clicked = Signal(int, int, int)  # column of the target, target, source

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setMouseTracking(True)
        self.setMinimumSize(320, 240)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.numbers: NetworkNumbers | None = None
        self.by_gradient = False
        self.layout_: Layout | None = None
        self.hover: tuple[int, int] | None = None
        self.selected: tuple | None = None  # ("neuron", column, index) or ("link", column, target, source)
        self._cache: QPixmap | None = None
        self._images: list[list[QImage]] = []
        self.paint_count = 0  # full paints of the diagram (for tests and benchmarks)

    def sizes(self) -> list[int]:
        weights = self.numbers.request.weights if self.numbers else None
        return [weights.inputs, *weights.sizes] if weights else []

    def wanted_counts(self, sizes: list[int]) -> tuple[int, ...]:
        return shown_counts(sizes, self._diagram_height())

    def legend_font(self) -> QFont:
        font = QFont(self.font())
        font.setPointSizeF(LEGEND_POINTS)
        return font

    def _legend_height(self) -> float:
        return LEGEND_LINES * QFontMetricsF(self.legend_font()).lineSpacing() + 4

    def _diagram_height(self) -> float:
        """The neurons' height: the legend's lines are kept below it, so it never covers them."""
        return self.height() - self._legend_height()

    def set_numbers(self, numbers: NetworkNumbers) -> None:
        self.numbers = numbers
        self._images = [[_image(rgba) for rgba in column] for column in numbers.pictures]
        self._relayout()

    def set_by_gradient(self, on: bool) -> None:
        self.by_gradient = on
        self._cache = None
        self.update()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._relayout()

    def _relayout(self) -> None:
        """Place the neurons for this size and these numbers: clicks find them before any paint."""
        self._cache = None
        self.layout_ = (
            make_layout(self.sizes(), self.width(), self._diagram_height()) if self.numbers else None
        )
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        if self.numbers is None:
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "The network appears here.")
            return
        if self._cache is None or self._cache.size() != self.size() * self.devicePixelRatioF():
            self._cache = self._paint_diagram()
        painter.drawPixmap(0, 0, self._cache)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        self._paint_marks(painter)

    def _paint_diagram(self) -> QPixmap:
        ratio = self.devicePixelRatioF()
        pixmap = QPixmap(self.size() * ratio)
        pixmap.setDevicePixelRatio(ratio)
        pixmap.fill(Qt.GlobalColor.white)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        self._paint_links(painter)
        self._paint_neurons(painter)
        self._paint_legend(painter)
        painter.end()
        self.paint_count += 1
        return pixmap

    def _paint_links(self, painter: QPainter) -> None:
        """Opaque pens in LINK_STEPS sizes, weakest first, each size's lines in one call: translucent
        wide lines cost ten times more to draw, and a call per line costs more than its pixels.
        Past ANTIALIAS_LINKS lines the antialiasing goes too (the largest model's 4,000)."""
        layout, buckets, count = self.layout_, {}, 0
        for column in range(1, len(layout.centres)):
            values = link_values(self.numbers, column, self.by_gradient)
            if values is None or not values.size:
                continue
            finite = np.where(np.isfinite(values), values, 0.0)
            steps = np.rint(np.abs(finite) / (float(np.abs(finite).max()) or 1.0) * LINK_STEPS).astype(int)
            sources, targets = _ends(layout, column - 1, True), _ends(layout, column, False)
            for (tx, ty), row, sizes in zip(targets, finite, steps):
                end = QPointF(tx, ty)
                for (sx, sy), value, size in zip(sources, row, sizes):
                    buckets.setdefault((int(size), bool(value >= 0)), []).append(QLineF(QPointF(sx, sy), end))
                count += len(row)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, count <= ANTIALIAS_LINKS)
        for (size, positive), lines in sorted(buckets.items()):
            strength = size / LINK_STEPS
            colour = _faded(POSITIVE if positive else NEGATIVE, 0.25 + 0.75 * strength)
            painter.setPen(QPen(colour, 0.4 + 4.6 * strength))
            painter.drawLines(lines)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)

    def _paint_neurons(self, painter: QPainter) -> None:
        layout, numbers = self.layout_, self.numbers
        small = QFont(self.font())
        small.setPointSizeF(max(7.0, min(9.0, layout.box / 5)))
        painter.setFont(small)
        activations = ["inputs", *numbers.request.weights.activations]
        last = len(layout.centres) - 1
        for column, centres in enumerate(layout.centres):
            heading = "inputs" if column == 0 else f"{'output' if column == last else f'layer {column}'}"
            heading += "" if column == 0 else f" · {activations[column]}"
            x = centres[0].x() if centres else 0
            painter.setPen(QColor("#444444"))
            room = min(120.0, layout.step_x - 4)
            left = min(max(x - room / 2, 0), self.width() - room)  # the outer columns' headings stay inside
            heading = painter.fontMetrics().elidedText(heading, Qt.TextElideMode.ElideRight, int(room))
            painter.drawText(QRectF(left, 4, room, 18), Qt.AlignmentFlag.AlignCenter, heading)
            marks = numbers.marks(column)
            for index, _ in enumerate(centres):
                self._paint_neuron(painter, column, index, marks.get(index))
            hidden = layout.sizes[column] - len(centres)
            if hidden > 0:
                y = centres[-1].y() + layout.box / 2 + 4
                painter.setPen(QColor("#666666"))
                more = f"+{hidden} more" if layout.step_x >= 70 else f"+{hidden}"
                painter.drawText(QRectF(x - 60, y, 120, 16), Qt.AlignmentFlag.AlignCenter, more)

    def _paint_neuron(self, painter: QPainter, column: int, index: int, mark: str | None) -> None:
        rect = self.layout_.rect(column, index)
        images = self._images[column] if column < len(self._images) else []
        if index < len(images):
            painter.drawImage(rect, images[index])
        painter.setPen(QPen(MARK_COLOURS.get(mark, QColor("#555555")), 3.0 if mark else 1.0))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRect(rect)
        values = self.numbers.sample_values
        text = _short(values[column][index]) if values else ""
        if column == 0:  # an input is named by its feature: x1, x2, x1², sin x1 ...
            name = self.numbers.request.input_name(index)
            text = f"{name} = {text}" if text else name
        if mark:
            text = f"{text} {'dead' if mark == 'dead' else 'sat.'}".strip()
        if text and self.layout_.roomy:
            painter.setPen(QColor("#c92a2a") if mark == "dead" else QColor("#222222"))
            below = QRectF(rect.left() - 30, rect.bottom() + 1, rect.width() + 60, 13)
            painter.drawText(below, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop, text)

    def legend_parts(self) -> list[str]:
        """What the colours, widths, frames and numbers of the diagram mean, phrase by phrase."""
        if self.by_gradient:
            parts = ["links: the next step's push (blue up, orange down), width = size"]
        else:
            parts = ["links: + blue, − orange, width = size"]
        parts.append("frames: red dead, amber saturated")
        sample = self.numbers.request.sample if self.numbers else None
        if sample is not None and self.layout_ is not None and self.layout_.roomy:
            parts.append(f"numbers: sample {sample + 1}")
        return parts

    def legend_lines(self) -> list[str]:
        """The legend's phrases on as few lines as the width allows (LEGEND_LINES at most: a
        canvas too narrow for them loses the end of the last line)."""
        metrics, width = QFontMetricsF(self.legend_font()), self.width() - 8
        lines: list[str] = []
        for part in self.legend_parts():
            joined = f"{lines[-1]} · {part}" if lines else part
            if lines and metrics.horizontalAdvance(joined) <= width:
                lines[-1] = joined
            else:
                lines.append(part)
        kept = lines[: LEGEND_LINES - 1] + [" · ".join(lines[LEGEND_LINES - 1 :])]
        return [metrics.elidedText(line, Qt.TextElideMode.ElideRight, width) for line in kept if line]

    def _paint_legend(self, painter: QPainter) -> None:
        painter.setFont(self.legend_font())
        painter.setPen(QColor("#666666"))
        spacing = painter.fontMetrics().lineSpacing()
        lines = self.legend_lines()
        top = self.height() - 2 - spacing * len(lines)
        for line in lines:
            box = QRectF(4, top, self.width() - 8, spacing)
            painter.drawText(box, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, line)
            top += spacing

    def _paint_marks(self, painter: QPainter) -> None:
        layout = self.layout_
        if layout is None:
            return
        if self.selected and self.selected[0] == "link":
            _, column, target, source = self.selected
            if column < len(layout.centres) and target < len(layout.centres[column]):
                a, b = _ends(layout, column - 1, True)[source], _ends(layout, column, False)[target]
                painter.setPen(QPen(QColor("#111111"), 3.0, Qt.PenStyle.DashLine))
                painter.drawLine(QPointF(*a), QPointF(*b))
        for spot, colour, width in ((self.hover, "#7048e8", 2.5), (self._selected_neuron(), "#111111", 3.0)):
            if spot and spot[0] < len(layout.centres) and spot[1] < len(layout.centres[spot[0]]):
                painter.setPen(QPen(QColor(colour), width))
                painter.drawRect(layout.rect(*spot).adjusted(-3, -3, 3, 3))

    def _selected_neuron(self) -> tuple[int, int] | None:
        return tuple(self.selected[1:]) if self.selected and self.selected[0] == "neuron" else None

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        spot = neuron_at(self.layout_, event.position().x(), event.position().y()) if self.layout_ else None
        if spot != self.hover:
            self.hover = spot
            self.hovered.emit(*(spot or (-1, -1)))
            self.update()

    def leaveEvent(self, event) -> None:
        if self.hover is not None:
            self.hover = None
            self.hovered.emit(-1, -1)
            self.update()
        super().leaveEvent(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if self.layout_ is None or event.button() != Qt.MouseButton.LeftButton:
            return
        x, y = event.position().x(), event.position().y()
        spot = neuron_at(self.layout_, x, y)
        link = None if spot else link_at(self.layout_, x, y)
        if spot:
            self.selected = ("neuron", *spot)
            self.neuron_clicked.emit(*spot)
        elif link:
            self.selected = ("link", *link)
            self.link_clicked.emit(*link)
        self.update()


def _faded(colour: QColor, strength: float) -> QColor:
    """`colour` mixed with white: strength 1 is the colour itself, 0 is white."""
    return QColor.fromRgbF(*(1 - strength + strength * c for c in colour.getRgbF()[:3]))


def _image(rgba: np.ndarray) -> QImage:
    height, width = rgba.shape[:2]
    return QImage(rgba.tobytes(), width, height, 4 * width, QImage.Format.Format_RGBA8888).copy()


def _short(value: float) -> str:
    if not math.isfinite(value):
        return str(value)
    return f"{value:.2f}" if abs(value) < 100 else f"{value:.3g}"
