"""A large model's fresh weights, made in a thread (gui/panels/fresh_weights.py), attacked: changes
fired faster than the thread makes them, readers right after, two windows, a window closed meanwhile.

Whatever reads the weights (Train, an export, a saved session) must get the ones the window
shows for its model now: never an older job's, never another shape, and never wait for a job
nobody wants any more.
"""

from __future__ import annotations

import threading

import pytest
from process_helpers import child_pids
from PySide6.QtWidgets import QApplication

from engine.data import lecture, moons, write_csv
from engine.session import Session, load_session
from engine.settings import TrainSettings
from engine.spec import ModelSpec
from engine.weights import load_json
from gui.panels import fresh_weights as fresh_module
from gui.panels.fresh_weights import FRESH_WEIGHTS, is_large

LARGE = ModelSpec([120, 120], ["tanh", "tanh"], "tanh", seed=3)  # over KEPT_PARAMETERS, quick to make
TRAINING_STATES = ("idle", "training", "paused", "finished", "diverged")


def bits(weights) -> list:
    return [
        (layer.activation, [[v.hex() for v in row] for row in layer.weight], [v.hex() for v in layer.bias])
        for layer in weights.layers
    ]


def expected_weights(window):
    """The fresh weights of the model and data the window's panels show, made here by the test."""
    spec = window.model_panel.spec()
    data = window.data_panel.dataset()
    return spec.fresh_weights(data.n_inputs, data.n_outputs)


def assert_consistent(window) -> None:
    state = window.state
    assert state in TRAINING_STATES
    assert window.training_panel._state == state
    assert window.training_panel.pause_button.isEnabled() == (state == "training")
    assert window.controller.has_run or state == "idle"


@pytest.fixture
def large_window(qtbot, window):
    assert is_large(LARGE, 2, 1)
    window.apply_session(Session(moons(40, 0.1, 0), LARGE, TrainSettings(steps=100_000)))
    qtbot.waitUntil(lambda: not window.weights_pending)
    return window


@pytest.fixture
def held_thread(monkeypatch):
    """The weights' thread waits inside each job until the event is set (counts the jobs it started)."""
    release = threading.Event()
    started: list = []
    make = fresh_module._made_in_slices

    def held(*args, **kwargs):
        started.append(args[0].seed)
        assert release.wait(20)
        return make(*args, **kwargs)

    monkeypatch.setattr(fresh_module, "_made_in_slices", held)
    yield release, started
    release.set()


def change_seed_many_times(window, seeds) -> None:
    for seed in seeds:
        window.model_panel.seed_spin.setValue(seed)


def test_many_seeds_then_export_save_and_train_at_once_use_the_last_seeds_weights(
    qtbot, large_window, tmp_path
):
    window = large_window
    change_seed_many_times(window, range(20, 40))
    assert window.export_weights(tmp_path / "w.json", "json")
    assert bits(load_json(tmp_path / "w.json")) == bits(expected_weights(window))
    change_seed_many_times(window, range(40, 60))
    assert window.save_session(tmp_path / "s.json")
    assert bits(load_session(tmp_path / "s.json").weights) == bits(expected_weights(window))
    change_seed_many_times(window, range(60, 70))
    window.train()
    assert_consistent(window)
    qtbot.waitUntil(lambda: len(window._history) > 0, timeout=30_000)
    window.pause()
    qtbot.waitUntil(lambda: window.state == "paused")
    assert window.model_panel.spec().seed == 69
    assert window._weights.sizes == expected_weights(window).sizes
    assert_consistent(window)


def test_activation_preset_and_csv_fired_in_turn_then_export_gets_the_last_shape(
    qtbot, large_window, tmp_path
):
    window = large_window
    write_csv(lecture(), tmp_path / "three.csv")
    combo = window.model_panel.activation_combos[0]
    preset = window.data_panel.preset_combo
    for _ in range(3):
        combo.setCurrentIndex(combo.findData("relu"))
        preset.setCurrentIndex(preset.findData("arms"))  # three classes: three outputs
        combo.setCurrentIndex(combo.findData("sigmoid"))
        assert window.import_csv(tmp_path / "three.csv")  # three inputs, one output
        preset.setCurrentIndex(preset.findData("moons"))
    assert window.export_weights(tmp_path / "w.json", "json")
    assert bits(load_json(tmp_path / "w.json")) == bits(expected_weights(window))
    qtbot.waitUntil(lambda: not window.weights_pending)
    assert bits(window._weights) == bits(expected_weights(window))


class WaitsSeen(threading.Condition):
    """The weights' lock, noting each wait the GUI thread would start (it does not wait: a test
    must not hang or time anything; the weights are then made on the spot, as after a wait)."""

    def __init__(self) -> None:
        super().__init__()
        self.waits: list[str] = []

    def wait_for(self, predicate, timeout=None):
        if threading.current_thread() is threading.main_thread() and not predicate():
            self.waits.append("waited")
            return False
        return super().wait_for(predicate, timeout)


def test_a_reader_never_waits_for_a_job_that_was_superseded(
    qtbot, large_window, held_thread, tmp_path, monkeypatch
):
    """The thread is inside the job of seed 11 (held); the seed changes to 12: exporting now must
    not wait for the seed 11 job, which nobody wants any more (on 8 x 256 it takes 0.1-0.5 s)."""
    window = large_window
    release, started = held_thread
    waits = WaitsSeen()
    monkeypatch.setattr(FRESH_WEIGHTS, "_done", waits)
    window.model_panel.seed_spin.setValue(11)
    qtbot.waitUntil(lambda: started == [11])
    window.model_panel.seed_spin.setValue(12)
    assert window.weights_pending
    assert window.export_weights(tmp_path / "w.json", "json")
    assert waits.waits == [], "the export waited for the superseded job"
    assert bits(load_json(tmp_path / "w.json")) == bits(expected_weights(window))
    release.set()
    qtbot.waitUntil(lambda: FRESH_WEIGHTS._pending is None)
    assert bits(window._weights) == bits(expected_weights(window))


@pytest.mark.parametrize("tab", ["network_view", "graph_view", "diagnostics_view", "boundary_view"])
def test_closing_the_window_while_its_weights_are_made_starts_nothing(qtbot, large_window, held_thread, tab):
    window = large_window
    release, started = held_thread
    window.tabs.setCurrentWidget(getattr(window, tab))
    before = child_pids()
    window.model_panel.seed_spin.setValue(11)
    qtbot.waitUntil(lambda: started == [11])
    assert window.weights_pending
    window.close()
    release.set()
    qtbot.waitUntil(lambda: not FRESH_WEIGHTS._jobs.alive or FRESH_WEIGHTS._pending is None)
    for _ in range(5):
        QApplication.processEvents()
    assert window.state == "idle" and window.controller.process_id is None
    assert child_pids() <= before


def test_two_windows_with_other_large_models_both_get_their_own(qtbot, window, second_window):
    for w in (window, second_window):
        w.apply_session(Session(moons(40, 0.1, 0), LARGE, TrainSettings()))
    for seed in range(7, 15):
        window.model_panel.seed_spin.setValue(seed)
        second_window.model_panel.seed_spin.setValue(seed + 100)
    qtbot.waitUntil(lambda: not window.weights_pending and not second_window.weights_pending, timeout=20_000)
    assert bits(window._weights) == bits(expected_weights(window))
    assert bits(second_window._weights) == bits(expected_weights(second_window))


def test_the_largest_model_rapid_changes_then_train(qtbot, window):
    largest = ModelSpec([256] * 8, ["tanh"] * 8, "tanh", seed=0)
    window.apply_session(Session(moons(8, 0.1, 0), largest, TrainSettings(steps=1)))
    for seed in range(1, 6):
        window.model_panel.seed_spin.setValue(seed)
    combo = window.model_panel.activation_combos[3]
    combo.setCurrentIndex(combo.findData("relu"))
    window.train()
    assert_consistent(window)
    qtbot.waitUntil(lambda: window.state == "finished", timeout=60_000)
    assert window._weights.sizes == expected_weights(window).sizes
    assert window._weights.layers[3].activation == "relu"
    assert_consistent(window)


@pytest.mark.parametrize("change", ["three classes", "three inputs"])
def test_a_weight_typed_into_the_old_network_while_the_new_ones_are_made_changes_nothing(
    qtbot, large_window, held_thread, monkeypatch, tmp_path, change
):
    """The Network view shows the old network until the new weights come; a value typed into one
    of its links names a parameter by its place in the OLD network, which is another parameter (or
    none) in the new one: it must not land there."""
    window = large_window
    release, _started = held_thread
    monkeypatch.setattr(fresh_module, "WAIT_S", 0.0)  # the held thread never answers: made on the spot
    window.tabs.setCurrentWidget(window.network_view)
    old = window._weights
    last = sum(len(layer.bias) * (len(layer.weight[0]) + 1) for layer in old.layers) - 1  # the output bias
    if change == "three classes":
        preset = window.data_panel.preset_combo
        preset.setCurrentIndex(preset.findData("arms"))
    else:
        write_csv(lecture(), tmp_path / "three.csv")
        assert window.import_csv(tmp_path / "three.csv")
    assert window.weights_pending
    window.network_view.parameter_edited.emit(last, 7.5)
    release.set()
    qtbot.waitUntil(lambda: not window.weights_pending)
    assert bits(window._weights) == bits(expected_weights(window)), (
        "the typed value landed in the new network"
    )
    assert window._start_weights is None


@pytest.mark.parametrize("signal", ["point_removed", "point_picked"])
def test_a_sample_clicked_in_the_old_network_tab_while_the_new_weights_are_made(
    qtbot, large_window, held_thread, signal
):
    """The Network tab's plane shows the old data until the new weights come: a right-click there
    names a sample by its index in the OLD data; it must not remove (or draw) another sample of the new."""
    window = large_window
    release, _started = held_thread
    window.tabs.setCurrentWidget(window.network_view)
    preset = window.data_panel.preset_combo
    preset.setCurrentIndex(preset.findData("arms"))  # three classes: a new output layer, new weights
    assert window.weights_pending
    new_data = window.data_panel.dataset()
    getattr(window.network_view.boundary, signal).emit(0)
    assert window.data_panel.dataset().inputs == new_data.inputs
    assert window.tabs.currentWidget() is window.network_view
    assert "click again" in window.statusBar().currentMessage()
    release.set()
    qtbot.waitUntil(lambda: not window.weights_pending)
    getattr(window.network_view.boundary, signal).emit(0)  # the new data is shown now: it counts
    if signal == "point_removed":
        assert window.data_panel.dataset().inputs == new_data.inputs[1:]
    else:
        assert window.tabs.currentWidget() is window.graph_view
