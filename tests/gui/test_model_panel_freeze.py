"""A large model's fresh weights are made in a thread while its sizes are typed, and kept:
the window's reset takes them instead of holding the GUI thread (gui/panels/fresh_weights.py)."""

from __future__ import annotations

import pytest

from engine.spec import ModelSpec
from gui.panels import fresh_weights as fresh_module
from gui.panels.fresh_weights import FRESH_WEIGHTS, FreshWeights
from gui.panels.model_panel import ModelPanel

LARGER = ModelSpec([128, 128], ["tanh", "tanh"], "tanh", seed=5)


def bits(weights) -> list:
    return [
        (layer.activation, [[v.hex() for v in row] for row in layer.weight], [v.hex() for v in layer.bias])
        for layer in weights.layers
    ]


def test_kept_weights_are_the_very_numbers_in_containers_of_their_own(made_in):
    weights = FreshWeights()
    first = weights.fresh_weights(LARGER, 2, 1)
    again = weights.fresh_weights(LARGER, 2, 1)
    assert bits(first) == bits(again) == bits(LARGER.fresh_weights(2, 1))
    assert (
        made_in.count("MainThread") == 2
    )  # once for the window, once for the comparison: the second was kept
    assert first.layers is not again.layers and first.metadata is not again.metadata
    other_inputs = weights.fresh_weights(LARGER, 3, 1)
    assert other_inputs.inputs == 3 and bits(other_inputs) == bits(LARGER.fresh_weights(3, 1))


def test_prepared_weights_are_made_in_the_thread(qtbot, made_in):
    weights = FreshWeights()
    weights.prepare(LARGER, 2, 1)
    qtbot.waitUntil(lambda: "fresh weights" in made_in)
    taken = weights.fresh_weights(LARGER, 2, 1)  # waits for the thread if it is not quite done
    assert made_in == ["fresh weights"]
    assert bits(taken) == bits(LARGER.fresh_weights(2, 1))


def test_small_models_are_made_on_the_spot_and_not_kept(made_in):
    weights = FreshWeights()
    small = ModelSpec([4, 4])
    weights.prepare(small, 3, 1)
    assert weights.fresh_weights(small, 3, 1) is not weights.fresh_weights(small, 3, 1)
    assert made_in == ["MainThread", "MainThread"]
    assert weights._kept is None


def test_a_spec_that_cannot_be_built_says_why_on_the_spot(monkeypatch):
    monkeypatch.setattr(fresh_module, "KEPT_PARAMETERS", 0)
    weights = FreshWeights()
    bad = ModelSpec([4], ["softplus"], "tanh")
    weights.prepare(bad, 2, 1)  # the thread's error is dropped: nobody waits for it forever
    with pytest.raises(Exception, match="softplus"):
        weights.fresh_weights(bad, 2, 1)


def test_typing_a_large_model_makes_its_weights_in_the_thread(qtbot, made_in):
    panel = ModelPanel(n_inputs=2)
    qtbot.addWidget(panel)
    panel.layers_edit.setText("200, 200")
    assert panel.change_pending
    spec = panel.spec()
    qtbot.waitUntil(lambda: "fresh weights" in made_in)
    made_in.clear()
    taken = FRESH_WEIGHTS.fresh_weights(spec, 2, 1)
    assert made_in == []  # kept: the window's reset makes nothing
    assert bits(taken) == bits(spec.fresh_weights(2, 1))


def test_the_window_resets_to_the_weights_made_ahead(qtbot, made_in):
    from engine.data import moons
    from engine.session import Session
    from engine.settings import TrainSettings
    from gui.window.main_window import MainWindow

    window = MainWindow()
    qtbot.addWidget(window)
    window.apply_session(Session(moons(50, 0.1, 0), ModelSpec(), TrainSettings()))
    window.model_panel.layers_edit.setText("180, 180")
    qtbot.waitUntil(lambda: "fresh weights" in made_in)
    made_in.clear()
    window.model_panel.commit_pending()  # as the typing pause does
    spec = window.model_panel.spec()
    assert window.current_session().model == spec
    assert made_in == []  # the reset took the weights made in the thread
    assert bits(window.current_session().weights) == bits(spec.fresh_weights(2, 1))
