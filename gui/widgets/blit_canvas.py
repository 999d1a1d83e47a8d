"""A matplotlib canvas that can redraw only what changes, over a cached picture of the rest.

While training runs, a redraw in the GUI thread competes with the training thread
for the GIL, so the live views (loss curve, decision boundary) redraw only their
changing artists ("blitting"). A full draw leaves those artists out, keeps the
result as the background, then draws them on top, so every full draw is still a
complete picture (for `grab()` and exports).

A full draw itself (ticks, labels, legend: mostly text) takes 40-60 ms here, and
over 100 ms on a slower CPU: with `render_in_thread`, `draw_idle` makes it in a
render thread instead, into a renderer of its own, and the GUI thread only swaps
that renderer in when it is done. Python switches threads every 0.2 ms
(gui/app.py), so the window keeps answering meanwhile. The figure must not change
while the thread draws it: its owner checks `rendering` before it touches an
artist, holds the change back, and applies it on `rendered`. A resize that comes
meanwhile is held back here the same way.
"""

from __future__ import annotations

import atexit
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field

from matplotlib.artist import Artist
from matplotlib.backend_bases import DrawEvent
from matplotlib.backends.backend_agg import RendererAgg
from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
from matplotlib.cbook import CallbackRegistry
from matplotlib.figure import Figure
from matplotlib.transforms import Bbox
from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QApplication

RENDER_POLL_MS = 4  # how often the GUI thread looks whether the render thread's picture is ready
CLOSE_WAIT_S = 2.0  # at most this long for a draw in progress when the thread is ended
# what the render thread's draw_event goes to: listeners hear it from the GUI thread instead
_UNHEARD = CallbackRegistry()


@dataclass(eq=False)
class _RenderJob:
    """A full draw for the render thread, and what it made."""

    key: tuple  # (width, height, dpi) the renderer was made for
    state: tuple  # the canvas's _state() when it started
    renderer: RendererAgg
    dynamic: list[Artist]
    overlays: list[Artist]
    background: object = None
    kept_overlays: list = field(default_factory=list)
    error: BaseException | None = None
    done: threading.Event = field(default_factory=threading.Event)


class BlitCanvas(FigureCanvasQTAgg):
    """`dynamic_artists()` lists what changes, bottom first; `background_key()` names everything
    else an update could change (if it differs from the last full draw's, the background is
    stale); `blit_box()` is the area to repaint. `overlay_artists()`, if given, lists opaque
    artists that stay on top of the dynamic ones and change only with a full draw (a legend):
    their pixels are kept from the full draw and pasted back after each update, instead of
    being drawn again (text is the slowest thing matplotlib draws).

    With `render_in_thread`, `draw_idle`'s full draws are made in a thread (see above);
    `draw()` still draws at once, in the calling thread, after any draw in the thread ends."""

    rendered = Signal()  # a full draw made in the render thread is on screen: apply what was held back

    def __init__(
        self,
        figure: Figure,
        dynamic_artists: Callable[[], list[Artist]],
        background_key: Callable[[], tuple],
        blit_box: Callable[[], Bbox],
        overlay_artists: Callable[[], list[Artist]] = list,
        render_in_thread: bool = False,
    ):
        self._gui_thread = threading.get_ident()
        super().__init__(figure)
        self._dynamic_artists = dynamic_artists
        self._overlay_artists = overlay_artists
        self._overlays: list = []  # (frame or None, pixels inside it) per overlay, from the last full draw
        self._background_key = background_key
        self._blit_box = blit_box
        self._background = None  # the canvas without the dynamic artists, from the last full draw
        self._background_renderer = None  # the renderer it was taken from
        self._key: tuple = ()  # and what else it showed then
        self._drawing_full = False
        self._draw_when_shown = False
        self.full_draws = 0  # how many full draws so far (tests count them)
        self.mpl_connect("draw_event", self._on_draw)
        self._render_in_thread = render_in_thread
        self._job: _RenderJob | None = None  # the full draw the render thread is making
        self._render_queued = False  # a full draw in the thread starts on the next event loop pass
        self._render_again = False  # asked for while one was being made: the figure changed since
        self._held_resize = False
        self._spare_renderer: RendererAgg | None = None  # the last one shown, for the next draw in the thread
        self._renders: _RenderThread | None = None
        # The GUI thread looks for the thread's picture, rather than being told by a signal sent
        # from the thread: no Qt call is made from the thread, so closing the window races nothing.
        self._render_poll = QTimer(self)
        self._render_poll.setInterval(RENDER_POLL_MS)
        self._render_poll.timeout.connect(self._poll_render)

    @property
    def callbacks(self) -> CallbackRegistry:
        """The figure's canvas callbacks; none for the render thread (its draw_event is sent from here)."""
        if threading.get_ident() != getattr(self, "_gui_thread", threading.get_ident()):
            return _UNHEARD
        return self.figure._canvas_callbacks

    @property
    def rendering(self) -> bool:
        """A full draw is being made in the render thread: no artist may change until `rendered`."""
        return self._job is not None

    def draw(self) -> None:
        self.finish_render()  # one draw of the figure at a time
        self.full_draws += 1
        artists = [*self._dynamic_artists(), *self._overlay_artists()]
        for artist in artists:
            artist.set_animated(True)
        self._drawing_full = True
        try:
            super().draw()  # its draw_event calls _on_draw
        finally:
            self._drawing_full = False
            for artist in artists:  # savefig and other renderers still draw everything
                artist.set_animated(False)

    def draw_idle(self) -> None:
        """Draw soon, if shown; a hidden view (another tab) draws when it is next shown instead,
        so that a change of data or weights costs one full draw, of the view the user sees."""
        if not self.isVisible():
            self._draw_when_shown = True
            return
        self._draw_soon()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._draw_when_shown:
            self._draw_when_shown = False
            self._draw_soon()

    def resizeEvent(self, event) -> None:
        if self._job is not None:  # the figure's size must not change under the render thread
            self._held_resize = True
            return
        super().resizeEvent(event)

    # ---- full draws in the render thread

    def _draw_soon(self) -> None:
        if not self._render_in_thread:
            super().draw_idle()
        elif self._job is not None:
            self._render_again = True
        elif not self._render_queued:
            self._render_queued = True  # however many ask before the next event loop pass: one draw
            QTimer.singleShot(0, self, self._start_render)  # dropped if the canvas is deleted first

    def _start_render(self) -> None:
        self._render_queued = False
        if self._job is not None or self.width() <= 0 or self.height() <= 0:
            return
        width, height = self.get_width_height(physical=True)
        key = (width, height, self.figure.dpi)
        renderer = self._spare_renderer
        if renderer is None or self._renderer_key(renderer) != key:
            renderer = RendererAgg(width, height, self.figure.dpi)
        self._spare_renderer = None
        job = _RenderJob(key, self._state(), renderer, self._dynamic_artists(), self._overlay_artists())
        for artist in [*job.dynamic, *job.overlays]:
            artist.set_animated(True)  # left out of the background
        self._job = job
        if self._renders is None:
            self._renders = _RenderThread(self)
            self.destroyed.connect(self._renders.close)
            if (app := QApplication.instance()) is not None:
                app.aboutToQuit.connect(self._renders.close)  # ends it before Python tears down
        self._renders.submit(job)
        self._render_poll.start()

    @staticmethod
    def _renderer_key(renderer: RendererAgg) -> tuple:
        return (int(renderer.width), int(renderer.height), renderer.dpi)

    def _render_job(self, job: _RenderJob) -> None:
        """In the render thread: what draw() and _on_draw do, into the job's own renderer."""
        renderer = job.renderer
        renderer.clear()
        self.figure.draw(renderer)
        job.background = renderer.copy_from_bbox(self.figure.bbox)
        for artist in job.dynamic:
            artist.draw(renderer)
        for artist in job.overlays:
            artist.draw(renderer)
            job.kept_overlays.append(
                (_frame(artist), renderer.copy_from_bbox(_kept_extent(artist, renderer)))
            )

    def _poll_render(self) -> None:
        job = self._job
        if job is None:
            self._render_poll.stop()
        elif job.done.is_set():
            self._on_render_finished(job)

    def finish_render(self) -> None:
        """Wait for a full draw being made in the thread, and show it (before a draw or a savefig here)."""
        job = self._job
        if job is not None:
            job.done.wait()
            self._on_render_finished(job)

    def _on_render_finished(self, job: _RenderJob) -> None:
        if job is not self._job:
            return  # already shown by finish_render
        self._job = None
        self._render_poll.stop()
        for artist in [*job.dynamic, *job.overlays]:
            artist.set_animated(False)
        if job.error is not None:
            self._render_in_thread = False  # draw here from now on: the error shows as it would have
            super().draw_idle()
        elif job.key == (*self.get_width_height(physical=True), self.figure.dpi):
            self._show_render(job)
        if self._held_resize:
            self._held_resize = False
            super().resizeEvent(QResizeEvent(self.size(), self.size()))  # asks for a draw at the new size
        self.rendered.emit()  # owners apply what they held back; a draw they ask for is queued
        if self._render_again:
            self._render_again = False
            self._draw_soon()

    def _show_render(self, job: _RenderJob) -> None:
        """Swap the thread's picture in as the canvas's renderer, with its background and overlays."""
        self._spare_renderer = getattr(self, "renderer", None)
        self.renderer = job.renderer
        self._lastKey = job.key
        self._background = job.background
        self._background_renderer = job.renderer
        self._key = job.state
        self._overlays = job.kept_overlays
        self.full_draws += 1
        self.update()
        DrawEvent("draw_event", self, self.renderer)._process()  # _on_draw ignores it: not _drawing_full

    def invalidate_background(self) -> None:
        """Something in the background changed: the next update needs a full draw."""
        self._background = None

    def blit_changes(self) -> bool:
        """Redraw only the dynamic artists over the background; False if there is none to use."""
        if self._background is None:
            return False
        # a resize or a savefig at another dpi replaces the renderer: the background no longer fits
        if getattr(self, "renderer", None) is not self._background_renderer or self._state() != self._key:
            self._background = self._background_renderer = None
            return False
        self.restore_region(self._background)
        for artist in self._dynamic_artists():
            artist.axes.draw_artist(artist)
        renderer = self.get_renderer()
        for frame, region in self._overlays:
            if frame is not None:
                frame.draw(renderer)  # the opaque box over the lines, edges blended with them
            self.restore_region(region)  # then what is inside it, as the full draw drew it
        self.blit(self._blit_box())
        # listeners learn that the view is up to date, as after a full draw (_on_draw ignores it)
        DrawEvent("draw_event", self, self.renderer)._process()
        return True

    def _state(self) -> tuple:
        return (*self.get_width_height(physical=True), self.figure.dpi, *self._background_key())

    def _on_draw(self, _event: object = None) -> None:
        """After a full draw of this canvas (not a savefig): keep the background, then complete it."""
        if not self._drawing_full:
            return
        self._background = self.copy_from_bbox(self.figure.bbox)
        self._background_renderer = self.get_renderer()
        self._key = self._state()
        for artist in self._dynamic_artists():
            artist.axes.draw_artist(artist)
        renderer = self.get_renderer()
        self._overlays = []
        for artist in self._overlay_artists():
            artist.axes.draw_artist(artist)
            self._overlays.append((_frame(artist), self.copy_from_bbox(_kept_extent(artist, renderer))))


def _frame(artist: Artist) -> Artist | None:
    """A legend's frame (its opaque box), or None for an artist without one."""
    get_frame = getattr(artist, "get_frame", None)
    return get_frame() if get_frame is not None else None


def _kept_extent(artist: Artist, renderer) -> Bbox:
    """The pixels of `artist` to keep: inside its frame, clear of the frame's anti-aliased edge,
    whose pixels blend with whatever lies beneath (the frame itself is drawn again each time)."""
    frame = _frame(artist)
    if frame is None:
        return artist.get_window_extent(renderer)
    inset = frame.get_linewidth() * renderer.points_to_pixels(1) + 2
    return frame.get_window_extent(renderer).padded(-inset)


# Every render thread still running. At exit Python stops daemon threads where they stand; one
# stopped inside matplotlib's C++ renderer aborts the process ("terminate called without an active
# exception"), so each is ended and joined first, while the interpreter is still whole.
_LIVE_RENDER_THREADS: weakref.WeakSet = weakref.WeakSet()


@atexit.register
def _end_render_threads() -> None:
    for renders in list(_LIVE_RENDER_THREADS):
        renders.close()


class _RenderThread:
    """One daemon thread that makes the full draws it is given, one at a time, and hands each back.

    It holds its canvas weakly: a canvas dropped without being closed ends the thread too."""

    def __init__(self, canvas: BlitCanvas) -> None:
        self._canvas = weakref.ref(canvas)
        self._jobs: list[_RenderJob] = []
        self._closed = False
        self._wake = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="figure render", daemon=True)
        self._thread.start()
        _LIVE_RENDER_THREADS.add(self)

    def submit(self, job: _RenderJob) -> None:
        with self._wake:
            self._jobs.append(job)
            self._wake.notify()

    def close(self, *_: object) -> None:
        """End the thread; a draw it is making is finished first (a fraction of a second, at most)."""
        with self._wake:
            self._closed = True
            self._wake.notify()
        if threading.current_thread() is not self._thread:
            self._thread.join(CLOSE_WAIT_S)

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._jobs and not self._closed:
                    self._wake.wait()
                if self._closed:
                    return
                job = self._jobs.pop(0)
            canvas = self._canvas()
            if canvas is None:
                job.done.set()
                return
            try:
                canvas._render_job(job)
            except Exception as exc:
                job.error = exc
            finally:
                del canvas
                job.done.set()
