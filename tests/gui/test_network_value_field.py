"""The Network tab's field for a clicked weight or bias shows the number whole, from its start (at
1366x768 it showed only the last digits of a bias: "0484846916832525")."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from engine.data import moons
from engine.nn import MLP
from engine.weights import ModelWeights
from gui.views.boundary_view import BoundaryView
from gui.views.network_view import NetworkView

TIMEOUT_MS = 10_000
TEXT_MARGINS = 8  # the line edit's frame and padding, both sides


@pytest.mark.parametrize("bias", [-0.04848469168325251, 1.2345678901234567e-05, -123.45678901234567])
def test_a_clicked_neurons_bias_is_shown_whole(qtbot, bias):
    view = NetworkView(BoundaryView())
    view.resize(940, 620)  # the tab's size in a window fitted to 1366x768
    qtbot.addWidget(view)
    view.show()
    weights = ModelWeights.from_model(MLP(2, [16, 16, 1], activations=["relu", "relu", "linear"], seed=0))
    weights.layers[1].bias[3] = bias
    with qtbot.waitSignal(view.numbers_shown, timeout=TIMEOUT_MS):
        view.set_network(weights, moons(100, seed=0), "hinge", 0.0)
    centre = view.canvas.layout_.centres[2][3].toPoint()
    QTest.mouseClick(view.canvas, Qt.MouseButton.LeftButton, pos=centre)
    field = view.value_edit
    assert view.edit_label.text() == "New value of bias b2.4:" and field.text() == repr(bias)
    qtbot.waitUntil(lambda: field.width() > 0)
    assert field.fontMetrics().horizontalAdvance(field.text()) + TEXT_MARGINS <= field.width()
    assert field.cursorPosition() == 0 and field.selectedText() == repr(bias)  # typing replaces it
