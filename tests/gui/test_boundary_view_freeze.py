"""The decision boundary's legend is built once per thing it shows: new data (the boundary gone)
and the next weights (the boundary back) swap kept legends in, each as it was built."""

from __future__ import annotations

import numpy as np
import pytest

from engine.data import moons
from engine.nn import MLP
from engine.weights import ModelWeights
from gui.views.boundary_view import BoundaryView


@pytest.fixture
def view(qtbot) -> BoundaryView:
    widget = BoundaryView()
    widget.resize(800, 600)
    qtbot.addWidget(widget)
    return widget


def texts(view: BoundaryView) -> list[str]:
    return [t.get_text() for t in view.axes.get_legend().get_texts()]


def relu_model(seed: int = 1) -> ModelWeights:
    return ModelWeights.from_model(
        MLP(2, [16, 16, 1], activation="relu", output_activation="linear", seed=seed)
    )


def test_new_data_and_new_weights_swap_kept_legends_in(view, monkeypatch):
    view.set_dataset(moons(200, 0.1, 1))
    view.set_weights(relu_model())
    built = []
    legend = view.axes.legend
    monkeypatch.setattr(view.axes, "legend", lambda **kw: built.append(kw) or legend(**kw))
    for seed in range(2, 6):  # as each CSV import, then the fresh weights, do
        view.set_dataset(moons(200, 0.1, seed), refresh_output=False)
        assert texts(view) == ["+1", "−1"]  # the boundary went with the old limits
        view.set_weights(relu_model())
        assert texts(view) == ["+1", "−1", "boundary (output = 0)"]
    assert built == []  # both were built before: swapped in, not built again
    assert view.axes.get_legend() is view._legend and view._legend.axes is view.axes


def test_a_legend_is_built_again_when_its_markers_would_look_otherwise(view, monkeypatch):
    view.set_dataset(moons(40, 0.1, 1))
    first = view.axes.get_legend()
    view.set_held_out([0, 1, 2])  # hollow rings: the legend gains an entry
    assert texts(view)[-1] != "−1" and view.axes.get_legend() is not first
    view.set_held_out([])
    assert view.axes.get_legend() is first and texts(view) == ["+1", "−1"]
    faces = [np.array(h.get_facecolor()) for h in first.legend_handles[:2]]
    np.testing.assert_allclose(faces[0][0], view._positive.get_facecolor()[0])
    np.testing.assert_allclose(faces[1][0], view._negative.get_facecolor()[0])


def test_kept_legends_are_few(view):
    view.set_dataset(moons(40, 0.1, 1))
    for threshold in np.linspace(-0.5, 0.5, 20):  # a boundary label per level
        view.set_weights(relu_model(), threshold=float(threshold))
    assert len(view._legends) <= 8
