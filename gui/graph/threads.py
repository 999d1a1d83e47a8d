"""The graph's slow work in threads: laying out DOT text with `dot`, and painting a large SVG.

Both follow one pattern (`NewestRequest`, on the views' `LatestJobThread`): a request
supersedes any older one; one still waiting is skipped, and the answer to one already
running is dropped. The window stays live meanwhile.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from collections.abc import Callable, Collection

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QObject, QSize, Signal, Slot
from PySide6.QtGui import QImage, QImageReader

from engine.graph import GraphError
from gui.graph import render as graph_render
from gui.graph.render import DotRun, LayoutStopped
from gui.graph.svg import SvgTemplate
from gui.widgets.latest_job import LatestJobThread

LAYOUT_TIMEOUT_S = 10.0
SHUTDOWN_WAIT_S = 30.0  # a painting in progress is finished (a dot run is killed) before the thread ends
RASTER_SCALE = 2.0  # a large graph is painted into an image of at most this many pixels per SVG pixel
RASTER_MAX_PIXELS = 24_000_000  # ...and this many pixels at most: 96 MB


class NewestRequest(QObject):
    """Work in a thread of its own, started on the first request; only the newest request is answered.

    Subclasses send work with `_send` and get its answer, in the GUI thread, in `_answered`
    (an answer of None means "none": the work saw it was superseded).
    """

    _delivered = Signal(object)  # (generation, answer): emitted in the thread, received in the GUI thread

    def __init__(self, parent: QObject, name: str):
        super().__init__(parent)
        self._jobs = LatestJobThread(self._delivered.emit, name)
        self._generation = 0
        self._delivered.connect(self._on_delivered)
        jobs = self._jobs
        self.destroyed.connect(lambda *_: jobs.close())

    def _send(self, work: Callable[[], object]) -> None:
        """A new request, superseding any earlier one."""
        self._generation += 1
        generation = self._generation
        self._jobs.submit(lambda: (generation, work()))

    @property
    def thread_alive(self) -> bool:
        return self._jobs.alive

    def cancel(self) -> None:
        """Drop every request: none is answered."""
        self._generation += 1
        self._jobs.drop()

    def shutdown(self) -> None:
        """Stop the thread (after the work it is doing); safe to call twice."""
        self.cancel()
        self._jobs.close()
        self._jobs.join(SHUTDOWN_WAIT_S)

    @Slot(object)
    def _on_delivered(self, delivered: tuple[int, object]) -> None:
        generation, answer = delivered
        if generation == self._generation and answer is not None:
            self._answered(answer)

    def _answered(self, answer: object) -> None:
        raise NotImplementedError


# ---------------------------------------------------------------- layout


def lay_out(dot: str, node_ids: frozenset, run: DotRun) -> tuple | None:
    """Runs `dot` and reads its SVG: (SVG bytes, SvgTemplate, "") or (None, None, error message).

    Both halves are slow for a large graph (seconds of `dot`, a third of a second to parse
    and cut its SVG into a template), so the GUI thread gets a ready `SvgTemplate`.
    """

    if run.stopped:
        return None
    try:
        with graph_render.dot_run(run):
            svg = graph_render.layout_svg(dot, timeout=LAYOUT_TIMEOUT_S)
        if run.stopped:
            return None
        template = SvgTemplate(svg, node_ids)
    except LayoutStopped:
        return None  # superseded, cancelled or closing: nobody waits for an answer
    except GraphError as exc:
        return None, None, str(exc)
    except ET.ParseError as exc:
        return None, None, f"Graphviz returned SVG that cannot be read: {exc}"
    except Exception as exc:  # e.g. dot could not be started: a message, never a crash
        return None, None, f"Graphviz could not lay out the graph: {exc}"
    return svg, template, ""


class LayoutRunner(NewestRequest):
    """Lays out DOT text with Graphviz in its own thread; only the newest request is answered.

    Each view owns one. A request supersedes any earlier one still waiting or
    running, and `cancel()` drops them all (the view shows something else now):
    either way the `dot` of a dropped request is killed, so closing never waits for it.
    """

    finished = Signal(object, object, str)  # SVG bytes, SvgTemplate (both None on error), error message

    def __init__(self, parent: QObject, name: str):
        super().__init__(parent, name)
        self._run: DotRun | None = None  # the newest request's dot run

    def request(self, dot: str, node_ids: Collection[str]) -> None:
        """Lay out `dot`; the answer's template has slots for these node ids."""
        self.cancel()
        run = self._run = DotRun()
        ids = frozenset(node_ids)
        self._send(lambda: lay_out(dot, ids, run))

    def cancel(self) -> None:
        """Drop every request; a running `dot` is killed."""
        super().cancel()
        run, self._run = self._run, None
        if run is not None:
            run.stop()

    @property
    def running_run(self) -> DotRun | None:
        """The newest request's run (None when there is none): tests and benchmarks watch it."""
        return self._run

    def _answered(self, answer: tuple) -> None:
        self._run = None
        self.finished.emit(*answer)


# ---------------------------------------------------------------- painting


class SvgPainter(NewestRequest):
    """Paints SVGs in its own thread; only the newest request is answered."""

    finished = Signal(object)  # QImage

    def __init__(self, parent: QObject, name: str):
        super().__init__(parent, name)

    def request(self, svg: bytes, size: tuple[float, float], scale: float) -> None:
        # QImage may be used off the GUI thread (QPixmap may not). Only QImageReader.read() lets
        # the GUI thread run meanwhile: PySide holds the interpreter (the GIL) in QSvgRenderer.load()
        # and QImageReader.size(), a fifth of a second each for the moons graph, so neither is used.
        self._send(lambda: raster_image(svg, scale, size))

    def _answered(self, answer: QImage) -> None:
        self.finished.emit(answer)


def raster_image(svg: bytes, scale: float = RASTER_SCALE, size: tuple[float, float] | None = None) -> QImage:
    """The SVG painted at `scale` of its `size` (read from it if not given), within RASTER_MAX_PIXELS."""
    data = QByteArray(svg)
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.ReadOnly)
    reader = QImageReader(buffer, b"svg")
    if size is None:
        read = reader.size()  # parses the SVG with the GIL held: only for callers without its geometry
        size = (read.width(), read.height())
    w, h = max(size[0], 1.0), max(size[1], 1.0)
    scale = min(scale, math.sqrt(RASTER_MAX_PIXELS / (w * h)))
    reader.setScaledSize(QSize(max(1, round(w * scale)), max(1, round(h * scale))))
    return reader.read()
