"""A laid-out graph on screen: the SVG that Graphviz returns, zoomable, pannable and clickable.

Shared by the Computation graph and Expression tabs (through gui/graph/pane.py). A large
SVG is painted into an image in a thread (gui/graph/threads.py), so the window stays live.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from PySide6.QtCore import QByteArray, QPoint, QPointF, QRectF, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QColor, QImage, QKeyEvent, QMouseEvent, QPainter, QWheelEvent
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtSvgWidgets import QGraphicsSvgItem
from PySide6.QtWidgets import (
    QApplication,
    QGraphicsItem,
    QGraphicsScene,
    QGraphicsTextItem,
    QGraphicsView,
    QLabel,
    QWidget,
)

from gui.graph.svg import SvgGeometry
from gui.graph.threads import RASTER_SCALE, SvgPainter

ASYNC_SVG_BYTES = 250_000  # larger SVGs (the expanded moons graph: 1.6 MB) are loaded and painted in a thread
RASTER_MIN_SCALE = 0.25  # ...into an image of at least this many pixels per SVG pixel (see RASTER_SCALE)


PART_HINT = "Part of the graph, from its output: drag or scroll for the rest · Fit (F) shows it whole"

# ---------------------------------------------------------------- the canvas


class SvgGraphCanvas(QGraphicsView):
    """Shows an SVG graph: wheel zooms around the cursor, drag pans, a click on a node says which.

    The SVG's node groups carry DOT `id=`s: a value's record is `v12`, its operation
    node `v12_op`; a click on either reports `v12`.
    """

    node_clicked = Signal(str)

    ZOOM_STEP = 1.2
    MAX_SCALE = 8.0  # zoomed in: a record's text about 80 px high
    READABLE_SCALE = 1.0  # where step-through zooms in to: dot's 10 pt text at 10 px, at least
    OPENING_SCALE = 0.75  # a new large graph is first painted at this scale, then again once fitted
    FIT_MAX_SCALE = 2.5  # a small graph (a*b + c) is enlarged to fill the view, up to this
    FIT_MARGIN = 12  # pixels around the graph when fitted
    WHOLE_MIN_SCALE = 0.8  # a new graph opens whole if its 10 px text stays this legible (8 px)...
    OPEN_SCALE = READABLE_SCALE  # ...else at this scale (as a backprop step zooms to), at its output

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.renderer = QSvgRenderer(self)
        self.setScene(QGraphicsScene(self))
        self._vector_item = QGraphicsSvgItem()
        self._vector_item.setSharedRenderer(self.renderer)
        self._vector_item.setVisible(False)
        self.scene().addItem(self._vector_item)
        self._image_item = _ImageItem()  # a large graph, drawn in a thread (see set_svg)
        self._image_item.setVisible(False)
        self.scene().addItem(self._image_item)
        self._item: QGraphicsItem = self._vector_item  # the one that shows the graph now
        self._painter = SvgPainter(self, "graph painting")
        self._painter.finished.connect(self._on_painted)
        self._pending: tuple[SvgGeometry, bool, str | None] | None = (
            None  # set_svg's arguments while painting
        )
        self._svg: bytes | None = None  # the large SVG shown as an image (painted again after a zoom)
        self._zoom_settled = QTimer(self)
        self._zoom_settled.setSingleShot(True)
        self._zoom_settled.setInterval(250)
        self._zoom_settled.timeout.connect(self._repaint_for_zoom)
        self._placeholder = QGraphicsTextItem()
        self._placeholder.setDefaultTextColor(QColor("#666666"))
        self._placeholder.setTextWidth(420)
        self.scene().addItem(self._placeholder)
        self._geometry: SvgGeometry | None = None  # where the shown graph's nodes are
        self._hit_rects: list[tuple[QRectF, str]] | None = None  # worked out on the first click
        self._press_pos = None
        # says that the graph goes on past the view, while it is as it opened (see open_view)
        self.part_hint = QLabel(PART_HINT, self)
        self.part_hint.setStyleSheet(
            "background: rgba(255, 255, 255, 230); color: #555555; border: 1px solid #dddddd; padding: 2px 6px;"
        )
        self.part_hint.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.part_hint.hide()
        self._auto_view = "fit"  # what a resize redoes until the user zooms or pans: "fit", "open" or None
        self._focus: str | None = None  # the output node, kept with a painted image's pending view
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setRenderHints(
            QPainter.RenderHint.Antialiasing
            | QPainter.RenderHint.TextAntialiasing
            | QPainter.RenderHint.SmoothPixmapTransform
        )
        self.setBackgroundBrush(QColor("white"))
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setToolTip(
            "Wheel: zoom · drag: pan · click a node: its details · double-click: zoom in to it\n"
            "+ / − zoom · 0 or F: fit the whole graph"
        )

    # ---- content

    shown = Signal()  # an SVG handed to set_svg off the GUI thread is now on screen

    def set_svg(
        self, svg: bytes, geometry: SvgGeometry, keep_view: bool = False, focus: str | None = None
    ) -> bool:
        """Show `svg`, whose nodes are where `geometry` says; keep_view=True keeps zoom and scroll
        (new numbers), False opens it as `open_view` does: whole if it fits at a legible size,
        else legible at its output end `focus` (where backprop starts), the rest a scroll away.

        Returns True if it is on screen now. A large SVG (more than ASYNC_SVG_BYTES) takes a
        fifth of a second to load and as long again to paint, at every change of a number:
        it is painted into an image in a thread instead, and shown (with `shown`) when ready;
        until then the previous picture stays. False then.
        """
        if len(svg) > ASYNC_SVG_BYTES:
            self._pending = (geometry, keep_view, focus)
            self._svg = svg
            self._painter.request(svg, geometry.size, self._raster_scale(keep_view))
            return False
        self._painter.cancel()
        self._pending = None
        self._svg = None
        self.renderer.load(QByteArray(svg))
        self._show_item(self._vector_item, geometry)
        if keep_view:
            self._item.update()
            return True
        self._vector_item.setSharedRenderer(self.renderer)  # takes the new size
        self._relayout_view(focus)
        return True

    def _raster_scale(self, keep_view: bool) -> float:
        """Pixels per SVG pixel for a painted image: the view's (drawn 1:1, a plain copy), or where a
        new graph opens; a scaled image costs tens of milliseconds at every repaint."""
        zoom = self.zoom if keep_view and self.has_svg else self.OPENING_SCALE
        ratio = self.devicePixelRatioF()
        return max(RASTER_MIN_SCALE, min(RASTER_SCALE, zoom * ratio))

    def _repaint_for_zoom(self) -> None:
        """After a zoom: paint the image again at the new scale if the shown one is far from it."""
        if self._svg is None or not self._image_item.isVisible() or self._pending is not None:
            return
        wanted = self._raster_scale(keep_view=True)
        if abs(wanted - self._image_item.scale_of_image) > 0.2 * wanted and self._geometry is not None:
            self._pending = (self._geometry, True, self._focus)
            self._painter.request(self._svg, self._geometry.size, wanted)

    def _show_item(self, item: QGraphicsItem, geometry: SvgGeometry) -> None:
        self._geometry = geometry
        self._hit_rects = None
        self._placeholder.setVisible(False)
        other = self._image_item if item is self._vector_item else self._vector_item
        other.setVisible(False)
        item.setVisible(True)
        self._item = item

    def _relayout_view(self, focus: str | None) -> None:
        self.scene().setSceneRect(self._item.boundingRect())
        self._focus = focus
        self.open_view()

    @Slot(object)
    def _on_painted(self, image: QImage) -> None:
        if self._pending is None:
            return
        geometry, keep_view, focus = self._pending
        self._pending = None
        width, height = geometry.size
        self._image_item.set_image(image, QRectF(0, 0, width, height))
        self._show_item(self._image_item, geometry)
        if not keep_view:
            self._relayout_view(focus)
        self.shown.emit()

    @property
    def painter_alive(self) -> bool:
        return self._painter.thread_alive

    def shutdown(self) -> None:
        """Stop the painting thread; safe to call twice."""
        self._pending = None
        self._painter.shutdown()

    def clear(self, text: str = "") -> None:
        """No graph; `text` (if any) in its place."""
        self._painter.cancel()
        self._pending = None
        self._svg = None
        self._vector_item.setVisible(False)
        self._image_item.setVisible(False)
        self._geometry = None
        self._hit_rects = None
        self._placeholder.setPlainText(text)
        self._placeholder.setVisible(bool(text))
        self.resetTransform()
        self.scene().setSceneRect(self._placeholder.boundingRect())
        self._auto_view = "fit"

    @property
    def has_svg(self) -> bool:
        return self._vector_item.isVisible() or self._image_item.isVisible()

    @property
    def painting(self) -> bool:
        """A large SVG is being painted in a thread (the picture on screen is the previous one)."""
        return self._pending is not None

    # ---- zoom

    @property
    def _auto_view(self) -> str | None:
        return self._auto_view_mode

    @_auto_view.setter
    def _auto_view(self, mode: str | None) -> None:
        self._auto_view_mode = mode
        self._show_part_hint()

    def _show_part_hint(self) -> None:
        """The hint while the view is as a large graph opened: gone once the user zooms, pans or fits."""
        shown = self._auto_view_mode == "open" and self.has_svg and not self.shows_whole_graph
        if shown:
            self.part_hint.adjustSize()
            self.part_hint.move(self.viewport().pos() + QPoint(6, 6))
        self.part_hint.setVisible(shown)

    def open_view(self) -> None:
        """How a new graph opens: fitted whole, unless that makes its numbers too small to read
        (below WHOLE_MIN_SCALE); then at OPEN_SCALE, scrolled to the output node, where backprop
        starts. Scroll bars, drag and the wheel lead to the rest; Fit (0, F) shows it whole."""
        if not self.has_svg:
            return
        if self._fit_scale() >= self.WHOLE_MIN_SCALE:
            self.fit()
            self._auto_view = "open"  # a resize that makes it too small to read opens it legible
            return
        self._auto_view = "open"
        self.resetTransform()
        self.scale(self.OPEN_SCALE, self.OPEN_SCALE)
        whole = self._item.boundingRect()
        output = self.node_rect(self._focus) if self._focus else None
        # centred on the output; the scroll bars stop at the graph's edge, so it ends at the right
        self.centerOn(output.center() if output is not None else QPointF(whole.right(), whole.center().y()))
        self._show_part_hint()
        self._zoom_settled.start()

    @property
    def shows_whole_graph(self) -> bool:
        """The whole graph is in view (fitted, or small enough to need no scrolling)."""
        if not self.has_svg:
            return False
        visible = self.mapToScene(self.viewport().rect()).boundingRect()
        return visible.contains(self._item.boundingRect().adjusted(1, 1, -1, -1))

    def fit(self) -> None:
        """The whole graph in view, as large as the window allows (small graphs up to FIT_MAX_SCALE)."""
        self._auto_view = "fit"
        if not self.has_svg:
            return
        self.resetTransform()
        self.scale(self._fit_scale(), self._fit_scale())
        self.centerOn(self._item.boundingRect().center())
        self._zoom_settled.start()

    def zoom_by(self, factor: float) -> None:
        """Zoom in (factor > 1) or out around the view's centre."""
        self._zoom(factor, QGraphicsView.ViewportAnchor.AnchorViewCenter)

    @property
    def zoom(self) -> float:
        return self.transform().m11()

    def _fit_scale(self) -> float:
        rect = self._item.boundingRect()
        if rect.isEmpty():
            return 1.0
        view = (
            self.viewport()
            .rect()
            .adjusted(self.FIT_MARGIN, self.FIT_MARGIN, -self.FIT_MARGIN, -self.FIT_MARGIN)
        )
        scale = min(max(view.width(), 1) / rect.width(), max(view.height(), 1) / rect.height())
        return min(scale, self.FIT_MAX_SCALE)

    def _zoom(self, factor: float, anchor: QGraphicsView.ViewportAnchor) -> None:
        if not self.has_svg or factor <= 0:
            return
        current = self.zoom
        low = min(0.5 * self._fit_scale(), 1.0)
        target = min(max(current * factor, low), self.MAX_SCALE)
        if math.isclose(target, current):
            return
        previous = self.transformationAnchor()
        self.setTransformationAnchor(anchor)
        self.scale(target / current, target / current)
        self.setTransformationAnchor(previous)
        self._auto_view = None
        self._zoom_settled.start()

    def wheelEvent(self, event: QWheelEvent) -> None:
        dy = event.angleDelta().y()
        if dy == 0:  # a sideways wheel or swipe scrolls
            super().wheelEvent(event)
            return
        self._zoom(self.ZOOM_STEP ** (dy / 120), QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        event.accept()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if key in (Qt.Key.Key_Plus, Qt.Key.Key_Equal):
            self.zoom_by(self.ZOOM_STEP)
        elif key in (Qt.Key.Key_Minus, Qt.Key.Key_Underscore):
            self.zoom_by(1 / self.ZOOM_STEP)
        elif key in (Qt.Key.Key_0, Qt.Key.Key_F):
            self.fit()
        else:
            super().keyPressEvent(event)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self._auto_view == "fit":
            self.fit()
        elif self._auto_view == "open":
            self.open_view()

    # ---- clicks

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._press_pos = event.position()
        super().mousePressEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        super().mouseReleaseEvent(event)
        if event.button() != Qt.MouseButton.LeftButton or self._press_pos is None:
            return
        moved = (event.position() - self._press_pos).manhattanLength()
        self._press_pos = None
        if moved < QApplication.startDragDistance():
            self.click_at(self.mapToScene(event.position().toPoint()))
        else:
            self._auto_view = None  # the user panned: a resize keeps their view

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        super().mouseMoveEvent(event)
        if event.buttons() == Qt.MouseButton.NoButton:
            over_node = self.node_at(self.mapToScene(event.position().toPoint())) is not None
            shape = Qt.CursorShape.PointingHandCursor if over_node else Qt.CursorShape.OpenHandCursor
            self.viewport().setCursor(shape)

    def click_at(self, scene_pos: QPointF) -> str | None:
        """What a click at `scene_pos` does: emit node_clicked for the node there, if any."""
        node_id = self.node_at(scene_pos)
        if node_id is not None:
            self.node_clicked.emit(node_id)
        return node_id

    def node_at(self, scene_pos: QPointF) -> str | None:
        """The value id whose record or operation node is at `scene_pos`."""
        if not self.has_svg:
            return None
        if self._hit_rects is None:
            self._hit_rects = self._compute_hit_rects()
        for rect, node_id in self._hit_rects:
            if rect.contains(scene_pos):
                return node_id
        return None

    def node_rect(self, node_id: str) -> QRectF | None:
        """Where the record of `node_id` is, in scene coordinates."""
        return self.element_rect(node_id)

    def element_rect(self, element_id: str) -> QRectF | None:
        """Where the SVG element with this id (a record "v3", an operation "v3_op") is, in the scene."""
        if not self.has_svg or self._geometry is None or element_id not in self._geometry.boxes:
            return None
        return self._element_rect(element_id)

    def ensure_node_visible(self, node_id: str, min_scale: float = 0.0, also: Sequence[str] = ()) -> None:
        """Scroll so that the node (and, where they fit too, the nodes `also`) is in view.

        A view smaller than `min_scale` first zooms in to it, centred on the node.
        """
        rect = self.node_rect(node_id)
        if rect is None:
            return
        if self.zoom < min_scale:
            self.resetTransform()
            self.scale(min_scale, min_scale)
            self._auto_view = None
            self._zoom_settled.start()
        around = QRectF(rect)
        for other in also:
            other_rect = self.node_rect(other)
            if other_rect is not None:
                around = around.united(other_rect)
        visible = self.mapToScene(self.viewport().rect()).boundingRect()
        target = around if around.width() < visible.width() and around.height() < visible.height() else rect
        if not visible.contains(target):
            self.centerOn(target.center())
            if self._auto_view == "open":
                self._auto_view = None  # the view follows a step away from the output: a resize keeps it

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        """Double-click a node: zoom in to it until its numbers are readable."""
        node_id = self.node_at(self.mapToScene(event.position().toPoint()))
        if node_id is None:
            super().mouseDoubleClickEvent(event)
            return
        self.ensure_node_visible(node_id, self.READABLE_SCALE)
        rect = self.node_rect(node_id)
        if rect is not None:
            self.centerOn(rect.center())
        event.accept()

    def _compute_hit_rects(self) -> list[tuple[QRectF, str]]:
        geometry = self._geometry
        if geometry is None:
            return []
        return [
            (self._element_rect(element), element[:-3] if element.endswith("_op") else element)
            for element in geometry.boxes
        ]

    def _element_rect(self, element: str) -> QRectF:
        """The element's box, from the SVG's user coordinates to the shown item's, then the scene's."""
        geometry = self._geometry
        vx, vy, vw, vh = geometry.view_box
        item = self._item.boundingRect()  # the SVG's size, as the item draws it
        sx, sy = item.width() / vw, item.height() / vh
        x, y, w, h = geometry.boxes[element]
        return self._item.mapRectToScene(
            QRectF(item.x() + (x - vx) * sx, item.y() + (y - vy) * sy, w * sx, h * sy)
        )


class _ImageItem(QGraphicsItem):
    """An image painted in a thread, shown over `rect` (the SVG's own size, as the vector item would)."""

    def __init__(self) -> None:
        super().__init__()
        self._image = QImage()
        self._rect = QRectF()

    def set_image(self, image: QImage, rect: QRectF) -> None:
        self.prepareGeometryChange()
        self._image, self._rect = image, rect
        self.update()

    @property
    def scale_of_image(self) -> float:
        """Image pixels per SVG pixel."""
        return self._image.width() / self._rect.width() if self._rect.width() else 0.0

    def boundingRect(self) -> QRectF:
        return self._rect

    def paint(self, painter: QPainter, _option, _widget=None) -> None:
        if not self._image.isNull():
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            painter.drawImage(self._rect, self._image)
