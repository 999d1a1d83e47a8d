"""A large model's fresh weights, for changes nobody could see coming (its seed, an activation,
engineered inputs, a preset or a CSV of other inputs or outputs), are made in a thread: the
window's GUI thread never makes them (gui/window/view_updates.py, gui/panels/fresh_weights.py).
They are the very numbers the seed makes, and every view shows them once they come."""

from __future__ import annotations

import threading

import pytest

from engine.data import lecture, moons, write_csv
from engine.session import Session
from engine.settings import TrainSettings
from engine.spec import ModelSpec, SpecError
from engine.weights import load_json
from gui.panels import fresh_weights as fresh_module
from gui.panels.fresh_weights import FRESH_WEIGHTS, is_large

LARGE = ModelSpec([120, 120], ["tanh", "tanh"], "tanh", seed=3)  # over KEPT_PARAMETERS, quick to make


def bits(weights) -> list:
    return [
        (layer.activation, [[v.hex() for v in row] for row in layer.weight], [v.hex() for v in layer.bias])
        for layer in weights.layers
    ]


@pytest.fixture
def large_window(qtbot, window):
    """The window on moons with the large model, its first weights shown."""
    assert is_large(LARGE, 2, 1)
    window.apply_session(Session(moons(40, 0.1, 0), LARGE, TrainSettings()))
    qtbot.waitUntil(lambda: not window.weights_pending)
    return window


@pytest.fixture
def shown_by_boundary(monkeypatch, large_window) -> list:
    """The weights the decision boundary is given, in turn."""
    view = large_window.boundary_view
    given: list = []
    real = view.set_weights
    monkeypatch.setattr(
        view, "set_weights", lambda weights, *a, **k: given.append(weights) or real(weights, *a, **k)
    )
    return given


def _seed(window):
    window.model_panel.seed_spin.setValue(11)


def _activation(window):
    combo = window.model_panel.activation_combos[0]
    combo.setCurrentIndex(combo.findData("relu"))


def _output(window):
    combo = window.model_panel.output_combo
    combo.setCurrentIndex(combo.findData("linear"))


def _extra_input(window):
    next(iter(window.model_panel.extra_inputs_field.boxes.values())).setChecked(True)


def _preset_of_three_inputs(window):
    combo = window.data_panel.preset_combo
    combo.setCurrentIndex(combo.findData("lecture"))


def _preset_of_three_classes(window):
    combo = window.data_panel.preset_combo
    combo.setCurrentIndex(combo.findData("arms"))


def _csv_of_three_inputs(window, tmp_path):
    path = tmp_path / "three.csv"
    write_csv(lecture(), path)
    assert window.data_panel.import_csv(path)


CHANGES = {
    "seed": _seed,
    "activation": _activation,
    "output activation": _output,
    "engineered input": _extra_input,
    "preset of 3 inputs": _preset_of_three_inputs,
    "preset of 3 classes": _preset_of_three_classes,
    "CSV of 3 inputs": _csv_of_three_inputs,
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_a_change_makes_the_weights_in_the_thread_and_shows_them(
    qtbot, large_window, shown_by_boundary, made_in, tmp_path, change
):
    window = large_window
    act = CHANGES[change]
    act(window, tmp_path) if change == "CSV of 3 inputs" else act(window)
    qtbot.waitUntil(lambda: not window.weights_pending)
    assert "MainThread" not in made_in, "fresh weights were made in the GUI thread"
    spec = window.model_panel.spec()
    assert spec == window.current_session().model
    assert made_in == ["fresh weights"]  # nobody had made them: the change needed new ones
    n_inputs, n_outputs = (
        window.current_session().dataset.n_inputs,
        window.current_session().dataset.n_outputs,
    )
    made_in.clear()
    shown = window.current_session().weights
    # the very numbers the seed makes (made here in the test, not by the window)
    assert bits(shown) == bits(spec.fresh_weights(n_inputs, n_outputs))
    if n_inputs == 2:  # the boundary draws the plane's data: it was given them
        qtbot.waitUntil(lambda: bool(shown_by_boundary) and shown_by_boundary[-1] is not None)
        assert bits(shown_by_boundary[-1]) == bits(shown)


@pytest.fixture
def held_thread(monkeypatch) -> threading.Event:
    """The weights' thread waits (inside making them) until the event is set."""
    release = threading.Event()
    make = fresh_module._made_in_slices

    def held(*args):
        assert threading.current_thread().name == "fresh weights"
        assert release.wait(20)
        return make(*args)

    monkeypatch.setattr(fresh_module, "_made_in_slices", held)
    yield release
    release.set()


def test_the_window_answers_while_they_are_made_and_the_views_follow(
    qtbot, large_window, shown_by_boundary, held_thread
):
    window = large_window
    window.tabs.setCurrentWidget(window.network_view)
    before = window.current_session().weights
    shown_by_boundary.clear()
    _seed(window)  # returns although the thread cannot finish: nothing waits for it here
    assert window.weights_pending
    window.tabs.setCurrentWidget(window.boundary_view)  # views shown meanwhile keep their pictures
    window.tabs.setCurrentWidget(window.graph_view)
    assert shown_by_boundary == [] and window.weights_pending
    held_thread.set()
    qtbot.waitUntil(lambda: not window.weights_pending)
    qtbot.waitUntil(lambda: bool(shown_by_boundary))
    after = window.current_session().weights
    assert bits(after) == bits(window.model_panel.spec().fresh_weights(2, 1)) != bits(before)
    assert bits(shown_by_boundary[-1]) == bits(after)


def test_what_reads_the_weights_meanwhile_gets_the_new_ones(qtbot, large_window, held_thread, tmp_path):
    window = large_window
    _seed(window)
    assert window.weights_pending
    threading.Timer(0.2, held_thread.set).start()  # the thread finishes while the export waits
    assert window.export_weights(tmp_path / "w.json", "json")
    assert bits(load_json(tmp_path / "w.json")) == bits(window.model_panel.spec().fresh_weights(2, 1))
    assert not window.weights_pending


def test_weights_whose_job_a_newer_one_replaced_still_come(qtbot, large_window, held_thread):
    """The thread runs the newest job only: typing in the layers field can take the window's
    turn; the window asks again."""
    window = large_window
    other = ModelSpec([100, 100], ["tanh", "tanh"], "tanh", seed=1)
    FRESH_WEIGHTS.prepare(other, 5, 1)  # the thread is held inside this one
    _seed(window)  # queued behind it...
    FRESH_WEIGHTS.prepare(ModelSpec([110, 110], ["tanh", "tanh"], "tanh", seed=2), 5, 1)  # ...and replaced
    assert window.weights_pending
    held_thread.set()
    qtbot.waitUntil(lambda: not window.weights_pending)
    assert bits(window.current_session().weights) == bits(window.model_panel.spec().fresh_weights(2, 1))


@pytest.mark.parametrize(
    ("spec", "n_inputs", "n_outputs"),
    [
        (ModelSpec([256] * 8, ["tanh"] * 8, "tanh", seed=0), 2, 1),
        (
            ModelSpec(
                [30, 9], ["relu", "sigmoid"], "linear", seed=2**31 - 1, extra_inputs=["x1^2", "sin x2"]
            ),
            2,
            4,
        ),
        (ModelSpec([], [], "tanh", seed=7), 5, 1),
        (ModelSpec([1, 17, 3], ["linear", "tanh", "relu"], "sigmoid", seed=99), 1, 3),
    ],
)
def test_the_threads_weights_are_the_seeds_bit_for_bit(spec, n_inputs, n_outputs):
    made = fresh_module._made_in_slices(spec, n_inputs, n_outputs)
    expected = spec.fresh_weights(n_inputs, n_outputs)
    assert made.inputs == expected.inputs and made.metadata == expected.metadata
    assert bits(made) == bits(expected)


def test_the_thread_refuses_what_the_spec_refuses():
    bad = ModelSpec([4], ["tanh"], "tanh", extra_inputs=["x1^2"])  # engineered inputs need 2-D data
    with pytest.raises(SpecError) as expected:
        bad.fresh_weights(3, 1)
    with pytest.raises(SpecError, match=str(expected.value)):
        fresh_module._made_in_slices(bad, 3, 1)
