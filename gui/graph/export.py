"""A shown graph written to a file: its SVG, a PNG of it, or its DOT text."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QRectF
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

from engine.files import atomic_write_bytes
from engine.graph import GraphError

PNG_SCALE = 2.0
PNG_MAX_PIXELS = 64_000_000  # 256 MB of RGBA: exports of huge graphs get a smaller scale instead
PNG_MAX_SIDE = 16_000


def export_graph(path: str, svg: bytes | None, dot: Callable[[], str]) -> None:
    """Write a shown graph by `path`'s suffix: .svg, .png (2×, white background) or .dot/.gv."""
    suffix = Path(path).suffix.lower()
    if suffix not in (".svg", ".png", ".dot", ".gv"):
        raise ValueError(
            f"cannot export a graph as {suffix or 'a file without suffix'}: use .svg, .png or .dot"
        )
    if svg is None:
        raise GraphError("there is no graph on screen to export")
    data = {".svg": lambda: svg, ".png": lambda: svg_to_png(svg)}.get(suffix, lambda: dot().encode("utf-8"))()
    atomic_write_bytes(path, data)


def svg_to_png(svg: bytes) -> bytes:
    renderer = QSvgRenderer(QByteArray(svg))
    if not renderer.isValid():
        raise GraphError("the graph's SVG could not be rendered")
    size = renderer.defaultSize()
    w, h = max(size.width(), 1), max(size.height(), 1)
    scale = min(PNG_SCALE, math.sqrt(PNG_MAX_PIXELS / (w * h)), PNG_MAX_SIDE / max(w, h))
    image = QImage(
        max(1, round(w * scale)), max(1, round(h * scale)), QImage.Format.Format_ARGB32_Premultiplied
    )
    if image.isNull():
        raise GraphError("not enough memory for an image of this graph; export SVG instead")
    image.fill(QColor("white"))
    painter = QPainter(image)
    painter.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
    renderer.render(painter, QRectF(0, 0, image.width(), image.height()))
    painter.end()
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not image.save(buffer, "PNG"):
        raise GraphError("the PNG image could not be encoded")
    return bytes(buffer.data())
