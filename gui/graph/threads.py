"""The graph's slow work in threads: laying out DOT text with `dot`, and painting a large SVG.

Both follow one pattern (`WorkerThread`): a worker object in its own QThread, started on
the first request, and only the newest request answered; an older one still queued is
skipped, and an answer to it dropped. The window stays live meanwhile.
"""

from __future__ import annotations

import contextlib
import math
import xml.etree.ElementTree as ET
from collections.abc import Collection

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QObject, QSize, QThread, Signal, Slot
from PySide6.QtGui import QImage, QImageReader

from engine.graph import GraphError
from gui.graph import render as graph_render
from gui.graph.render import DotRun, LayoutStopped
from gui.graph.svg import SvgTemplate

LAYOUT_TIMEOUT_S = 10.0
RASTER_SCALE = 2.0  # a large graph is painted into an image of at most this many pixels per SVG pixel
RASTER_MAX_PIXELS = 24_000_000  # ...and this many pixels at most: 96 MB


class Worker(QObject):
    """Does one kind of work in the thread it was moved to; requests older than `latest` are skipped."""

    finished = Signal(int, object)  # generation, answer

    def __init__(self) -> None:
        super().__init__()
        self.latest = 0  # set by the GUI thread before each request

    @Slot(int, object)
    def run(self, generation: int, args: tuple) -> None:
        if generation != self.latest:
            return  # a newer request is queued behind this one
        answer = self.work(generation, *args)
        if answer is not None:
            with contextlib.suppress(RuntimeError):  # the receiver went away meanwhile (the app is exiting)
                self.finished.emit(generation, answer)

    def work(self, generation: int, *args: object) -> object | None:
        """The answer to a request, or None for none (it was superseded meanwhile)."""
        raise NotImplementedError


class WorkerThread(QObject):
    """A `Worker` in its own thread, started on the first request; only the newest request is answered."""

    _requested = Signal(int, object)

    def __init__(self, parent: QObject, name: str, worker_class: type[Worker]):
        super().__init__(parent)
        self._name = name
        self._worker_class = worker_class
        self._thread: QThread | None = None
        self._worker: Worker | None = None
        self._generation = 0

    def _send(self, *args: object) -> None:
        """A new request, superseding any earlier one."""
        if self._thread is None:
            self._start()
        self._generation += 1
        self._worker.latest = self._generation
        self._requested.emit(self._generation, args)

    def _start(self) -> None:
        self._thread = QThread(self)
        self._thread.setObjectName(self._name)
        self._worker = self._worker_class()
        self._worker.moveToThread(self._thread)
        self._requested.connect(self._worker.run)
        self._worker.finished.connect(self._on_worker_finished)
        # The worker belongs to Python (no parent): it must outlive its thread, or it is
        # deleted here while the thread is still inside it (a crash seen at teardown).
        thread, worker = self._thread, self._worker
        self.destroyed.connect(lambda *_, keep=worker: stop_thread(thread))
        self._thread.start()

    def cancel(self) -> None:
        """Drop every request: none is answered."""
        self._generation += 1
        if self._worker is not None:
            self._worker.latest = self._generation

    def shutdown(self) -> None:
        """Stop the thread (after the work it is doing); safe to call twice."""
        self.cancel()
        thread, worker = self._thread, self._worker
        self._thread = self._worker = None
        if thread is not None:
            stop_thread(thread)
        del worker  # only now, with its thread stopped

    @Slot(int, object)
    def _on_worker_finished(self, generation: int, answer: object) -> None:
        if generation == self._generation:
            self._answered(answer)

    def _answered(self, answer: object) -> None:
        raise NotImplementedError


def stop_thread(thread: QThread) -> None:
    if thread.isRunning():
        thread.quit()
        thread.wait()


# ---------------------------------------------------------------- layout


class LayoutWorker(Worker):
    """Runs `dot` and reads its SVG: (SVG bytes, SvgTemplate, "") or (None, None, error message).

    Both halves are slow for a large graph (seconds of `dot`, a third of a second to parse
    and cut its SVG into a template), so the GUI thread gets a ready `SvgTemplate`.
    """

    def work(self, generation: int, dot: str, node_ids: frozenset, run: DotRun) -> tuple | None:
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


class LayoutRunner(WorkerThread):
    """Lays out DOT text with Graphviz in its own thread; only the newest request is answered.

    Each view owns one. A request supersedes any earlier one still waiting or
    running, and `cancel()` drops them all (the view shows something else now):
    either way the `dot` of a dropped request is killed, so closing never waits for it.
    """

    finished = Signal(object, object, str)  # SVG bytes, SvgTemplate (both None on error), error message

    def __init__(self, parent: QObject, name: str):
        super().__init__(parent, name, LayoutWorker)
        self._run: DotRun | None = None  # the newest request's dot run

    def request(self, dot: str, node_ids: Collection[str]) -> None:
        """Lay out `dot`; the answer's template has slots for these node ids."""
        self.cancel()
        self._run = DotRun()
        self._send(dot, frozenset(node_ids), self._run)

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


class SvgPaintWorker(Worker):
    """Paints an SVG into an image."""

    def work(self, generation: int, svg: bytes, size: tuple[float, float], scale: float) -> QImage | None:
        # QImage may be used off the GUI thread (QPixmap may not). Only QImageReader.read() lets
        # the GUI thread run meanwhile: PySide holds the interpreter (the GIL) in QSvgRenderer.load()
        # and QImageReader.size(), a fifth of a second each for the moons graph, so neither is used.
        image = raster_image(svg, scale, size)
        return image if generation == self.latest else None  # newer numbers are queued behind these


class SvgPainter(WorkerThread):
    """Paints SVGs in its own thread; only the newest request is answered."""

    finished = Signal(object)  # QImage

    def __init__(self, parent: QObject, name: str):
        super().__init__(parent, name, SvgPaintWorker)

    def request(self, svg: bytes, size: tuple[float, float], scale: float) -> None:
        self._send(svg, size, scale)

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
