"""The Network tab's legend under the diagram: every phrase of it in sight at a laptop's width (at
1366x768 the canvas is about 500 px wide), on its own lines below the neurons, never cut off."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QFontMetricsF, QPainter

import gui.views.network_paint
from engine.data import moons
from engine.nn import MLP
from engine.weights import ModelWeights
from gui.views.boundary_view import BoundaryView
from gui.views.network_view import NetworkView

TIMEOUT_MS = 10_000
PHRASES = {
    False: ("links: + blue, − orange, width = size", "frames: red dead, amber saturated"),
    True: ("links: the next step's push (blue up, orange down)", "frames: red dead, amber saturated"),
}


class RecordingPainter(QPainter):
    """A QPainter that remembers the texts drawn in a box: (box, text)."""

    drawn: list = []

    def drawText(self, *args):  # noqa: N802 (Qt's name)
        if len(args) == 3 and isinstance(args[2], str):
            RecordingPainter.drawn.append((args[0], args[2], QFontMetricsF(self.font())))
        return super().drawText(*args)


@pytest.fixture
def drawn(monkeypatch) -> list:
    RecordingPainter.drawn = []
    monkeypatch.setattr(gui.views.network_paint, "QPainter", RecordingPainter)
    return RecordingPainter.drawn


@pytest.mark.parametrize("width", [500, 420, 640])
@pytest.mark.parametrize("by_gradient", [False, True])
def test_the_legend_is_whole_and_fits_the_canvas(qtbot, drawn, width, by_gradient):
    view = NetworkView(BoundaryView())
    qtbot.addWidget(view)
    view.show()
    weights = ModelWeights.from_model(MLP(2, [16, 16, 1], activations=["relu", "relu", "linear"], seed=0))
    with qtbot.waitSignal(view.numbers_shown, timeout=TIMEOUT_MS):
        view.set_network(weights, moons(100, seed=0), "hinge", 0.0)
    view.gradient_check.setChecked(by_gradient)
    canvas = view.canvas
    canvas.resize(width, 550)
    qtbot.waitUntil(lambda: canvas.width() == width)
    drawn.clear()
    canvas.grab()  # a full paint of the diagram
    legend = [(box, text, metrics) for box, text, metrics in drawn if "links:" in text or "frames:" in text]
    assert legend, "no legend drawn"
    assert not any("…" in text for _, text, _ in legend)
    for box, text, metrics in legend:
        assert metrics.horizontalAdvance(text) <= box.width(), text
        assert box.left() >= 0 and box.right() <= canvas.width() and box.bottom() <= canvas.height()
    whole = " · ".join(text for _, text, _ in legend)
    assert all(phrase in whole for phrase in PHRASES[by_gradient])
    top = min(box.top() for box, _, _ in legend)
    lowest = max(
        canvas.layout_.rect(c, i).bottom()
        for c, col in enumerate(canvas.layout_.centres)
        for i in range(len(col))
    )
    assert lowest < top  # the neurons stay above the legend
