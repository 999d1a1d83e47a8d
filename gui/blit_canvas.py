"""A matplotlib canvas that can redraw only what changes, over a cached picture of the rest.

While training runs, a redraw in the GUI thread competes with the training thread
for the GIL, so the live views (loss curve, decision boundary) redraw only their
changing artists ("blitting"). A full draw leaves those artists out, keeps the
result as the background, then draws them on top, so every full draw is still a
complete picture (for `grab()` and exports).
"""

from __future__ import annotations

from collections.abc import Callable

from matplotlib.artist import Artist
from matplotlib.backend_bases import DrawEvent
from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
from matplotlib.figure import Figure
from matplotlib.transforms import Bbox


class BlitCanvas(FigureCanvasQTAgg):
    """`dynamic_artists()` lists what changes, bottom first; `background_key()` names everything
    else an update could change (if it differs from the last full draw's, the background is
    stale); `blit_box()` is the area to repaint. `overlay_artists()`, if given, lists opaque
    artists that stay on top of the dynamic ones and change only with a full draw (a legend):
    their pixels are kept from the full draw and pasted back after each update, instead of
    being drawn again (text is the slowest thing matplotlib draws)."""

    def __init__(
        self,
        figure: Figure,
        dynamic_artists: Callable[[], list[Artist]],
        background_key: Callable[[], tuple],
        blit_box: Callable[[], Bbox],
        overlay_artists: Callable[[], list[Artist]] = list,
    ):
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

    def draw(self) -> None:
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
        super().draw_idle()

    def showEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        if self._draw_when_shown:
            self._draw_when_shown = False
            super().draw_idle()

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
