"""The window with a held-out test set and engineered inputs, driven as a user would."""

import math

import numpy as np
import pytest
from PySide6.QtCore import Qt

from engine.lessons import LESSONS
from engine.split import TestSplit, held_out_indices
from engine.weights import load_json
from gui.views.boundary_picture import predict_grid
from gui.views.held_out_points import HOLLOW_FACE

TIMEOUT_MS = 120_000


def choose(combo, key):
    index = combo.findData(key)
    assert index >= 0, key
    combo.setCurrentIndex(index)


def type_into(qtbot, spin, text):
    spin.selectAll()
    qtbot.keyClicks(spin, text)
    qtbot.keyClick(spin, Qt.Key.Key_Return)


def set_up_overfitting_by_hand(window, qtbot):
    """20 noisy moons points, 30% held out, MLP 2-16-16-1 (tanh, linear), MSE, lr 0.05, 600 steps."""
    data = window.data_panel
    choose(data.preset_combo, "moons")
    data.samples_spin.setValue(20)
    data.noise_spin.setValue(0.4)
    data.seed_spin.setValue(1)
    type_into(qtbot, data.test_split_field.percent_spin, "30")
    model = window.model_panel
    model.layers_edit.selectAll()
    qtbot.keyClicks(model.layers_edit, "16, 16")
    qtbot.keyClick(model.layers_edit, Qt.Key.Key_Return)
    for combo in model.activation_combos:
        choose(combo, "tanh")
    choose(model.output_combo, "linear")
    training = window.training_panel
    choose(training.loss_combo, "mse")
    training.learning_rate_spin.setValue(0.05)
    training.steps_spin.setValue(600)


def test_an_overfitting_run_with_a_test_split_shows_the_test_loss_turning_up(window, qtbot):
    set_up_overfitting_by_hand(window, qtbot)
    assert window._split == TestSplit(0.3, 0)
    assert window.data_panel.test_split_field.count_label.text() == "6 held out"
    assert "6 of the 20 samples" in window.data_panel.test_split_field.count_label.toolTip()
    with qtbot.waitSignal(window.controller.halted, timeout=TIMEOUT_MS) as blocker:
        qtbot.mouseClick(window.training_panel.train_button, Qt.MouseButton.LeftButton)
    assert blocker.args[0] == "finished"
    history = window._history
    assert len(history) == 600 and all(r.test_loss is not None for r in history)
    # measured: the test loss has its minimum early and ends far above it ...
    best = min(range(600), key=lambda i: history[i].test_loss)
    assert best < 100 and history[-1].test_loss > 3 * history[best].test_loss
    # ... while the training loss fell at every step, and training accuracy reached 100%
    assert all(b.loss < a.loss for a, b in zip(history, history[1:]))
    assert history[-1].loss < 0.25 * history[best].loss and history[-1].accuracy == 1.0
    assert history[-1].test_accuracy < 1.0
    # the Loss tab draws the test figures dashed beside training's, in the run's colour
    plot = window.loss_plot
    window.tabs.setCurrentWidget(plot)
    run = plot.runs[-1]
    lines = plot.lines_of(run)
    qtbot.waitUntil(lambda: len(lines.test_loss.get_ydata()) == 600, timeout=TIMEOUT_MS)
    assert list(lines.test_loss.get_ydata()) == [r.test_loss for r in history]
    assert list(lines.test_accuracy.get_ydata()) == [r.test_accuracy for r in history]
    assert lines.test_loss.get_linestyle() == "--" and lines.loss.get_linestyle() == "-"
    assert lines.test_loss.get_color() == lines.loss.get_color()
    assert "held-out test set" in [t.get_text() for t in plot._legend.get_texts()][-1]
    low, high = plot.loss_axes.get_ylim()
    assert low <= min(run.test_losses) and max(run.test_losses) <= high  # the test curve is in sight


def test_test_points_are_drawn_hollow_and_follow_the_split(window, qtbot):
    data = window.data_panel
    choose(data.preset_combo, "moons")
    data.samples_spin.setValue(20)
    type_into(qtbot, data.test_split_field.percent_spin, "30")
    view = window.boundary_view
    held = held_out_indices(window._dataset.targets, 0.3, 0)
    assert len(held) == 6

    def hollow_count():
        faces = [*view._positive.get_facecolors(), *view._negative.get_facecolors()]
        return sum(1 for face in faces if tuple(face) == HOLLOW_FACE)

    assert hollow_count() == 6
    type_into(qtbot, data.test_split_field.seed_spin, "5")  # other samples held out
    assert window._split == TestSplit(0.3, 5) and hollow_count() == 6
    type_into(qtbot, data.test_split_field.percent_spin, "0")
    assert hollow_count() == 0 and data.test_split_field.count_label.text() == "none held out"


def test_the_overfitting_lesson_plays_from_the_menu_to_its_end(window, qtbot):
    index = next(i for i, lesson in enumerate(LESSONS) if lesson.title.startswith("Overfitting"))
    lessons_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Lessons")
    action = next(a for a in lessons_menu.actions() if a.text() == LESSONS[index].title)
    action.trigger()
    qtbot.waitUntil(lambda: window.state == "finished" and len(window._history) == 600, timeout=TIMEOUT_MS)
    history = window._history
    best = min(range(600), key=lambda i: history[i].test_loss)
    assert best + 1 == 14  # what the lesson's text says
    assert round(history[-1].test_loss, 2) == 3.18 and round(history[-1].loss, 3) == 0.066
    assert window.data_panel.test_split_field.percent_spin.value() == 30


def test_a_session_keeps_the_test_split_and_the_extra_inputs(window, qtbot, tmp_path):
    data = window.data_panel
    choose(data.preset_combo, "circles")
    type_into(qtbot, data.test_split_field.percent_spin, "25")
    qtbot.mouseClick(window.model_panel.extra_inputs_field.boxes["x1*x2"], Qt.MouseButton.LeftButton)
    assert window._spec.extra_inputs == ["x1*x2"]
    path = tmp_path / "s.json"
    assert window.save_session(path)
    assert window.new_session()
    assert window._split == TestSplit() and window._spec.extra_inputs == []
    assert window.open_session(path)
    assert window._split == TestSplit(0.25, 0) and window._spec.extra_inputs == ["x1*x2"]
    assert window.data_panel.test_split_field.percent_spin.value() == 25
    assert window.model_panel.extra_inputs_field.boxes["x1*x2"].isChecked()


def test_circles_solved_by_x1_and_x2_squared_without_a_hidden_layer(window, qtbot, tmp_path):
    data = window.data_panel
    choose(data.preset_combo, "circles")
    model = window.model_panel
    model.layers_edit.selectAll()
    qtbot.keyClick(model.layers_edit, Qt.Key.Key_Delete)
    qtbot.keyClick(model.layers_edit, Qt.Key.Key_Return)
    for name in ("x1^2", "x2^2"):
        qtbot.mouseClick(model.extra_inputs_field.boxes[name], Qt.MouseButton.LeftButton)
    assert window._spec.extra_inputs == ["x1^2", "x2^2"] and window._spec.hidden_sizes == []
    assert "MLP 4-1" in model.summary_label.text()
    training = window.training_panel
    choose(training.loss_combo, "mse")
    training.learning_rate_spin.setValue(0.2)
    training.steps_spin.setValue(150)
    with qtbot.waitSignal(window.controller.halted, timeout=TIMEOUT_MS) as blocker:
        qtbot.mouseClick(training.train_button, Qt.MouseButton.LeftButton)
    assert blocker.args[0] == "finished" and window._history[-1].accuracy >= 0.95  # 0.98: noise 0.1
    weights = window._weights
    assert weights.inputs == 4
    # the boundary's grid expands its points as the samples are: its sign at each sample is the model's
    view = window.boundary_view
    window.tabs.setCurrentWidget(view)
    expected, xs, ys = predict_grid(weights, view.limits, None, ("x1^2", "x2^2"))
    x, y = xs[3], ys[5]
    assert expected[5, 3] == pytest.approx(weights.predict([x, y, x * x, y * y]), abs=1e-12)

    def shows_the_trained_grid():
        grid = view.grid_values()
        return grid is not None and np.allclose(grid, expected, rtol=0, atol=1e-12)

    qtbot.waitUntil(shows_the_trained_grid, timeout=TIMEOUT_MS)
    grid = view.grid_values()
    centre = grid[len(ys) // 2, len(xs) // 2]
    corner = grid[0, 0]
    assert np.sign(centre) == np.sign(weights.predict([0.0, 0.0, 0.0, 0.0]))
    assert np.sign(centre) != np.sign(corner)  # a closed curve: inside differs from the corners
    # the graph names the input nodes by their feature
    window.show_sample_graph(0)
    qtbot.waitUntil(lambda: window.graph_view.current_graph() is not None, timeout=TIMEOUT_MS)
    names = [n.name for n in window.graph_view.current_graph().nodes if n.kind == "input"]
    assert sorted(names) == sorted(["x1", "x2", "x1²", "x2²"])
    # the export says which inputs it expects; a model with other extras refuses it
    path = tmp_path / "w.json"
    assert window.export_weights(path, "json")
    assert load_json(path).metadata["input_names"] == ["x1", "x2", "x1²", "x2²"]
    for name in ("x2^2", "x1*x2"):
        qtbot.mouseClick(model.extra_inputs_field.boxes[name], Qt.MouseButton.LeftButton)
    assert window._spec.extra_inputs == ["x1^2", "x1*x2"]
    before = window._weights.to_dict()
    assert not window.import_weights(path)
    assert (
        "they expect the inputs x1, x2, x1², x2²; this network takes x1, x2, x1², x1·x2" in window.last_error
    )
    assert window._weights.to_dict() == before


def test_extra_inputs_are_disabled_for_data_that_is_not_2d(window, qtbot):
    field = window.model_panel.extra_inputs_field
    assert window._dataset.n_inputs == 3  # the lecture's data
    assert not field.isEnabled() and field.note_label.isVisible()
    assert "need 2-D data (this data has 3 input columns)" in field.note_label.text()
    choose(window.data_panel.preset_combo, "moons")
    assert field.isEnabled() and not field.note_label.isVisible()
    qtbot.mouseClick(field.boxes["sin x1"], Qt.MouseButton.LeftButton)
    assert window._spec.extra_inputs == ["sin x1"] and window._weights.inputs == 3
    choose(window.data_panel.preset_combo, "lecture")  # back to 3-D: the extra inputs go
    assert window._spec.extra_inputs == [] and not field.boxes["sin x1"].isChecked()
    assert window._weights.inputs == 3 and not math.isnan(window._weights.predict([1.0, 2.0, 3.0]))


def test_a_hand_made_session_that_does_not_fit_changes_nothing(window):
    from engine.data import lecture, moons
    from engine.session import Session
    from engine.settings import TrainSettings
    from engine.spec import ModelSpec

    before = (window._dataset, window._spec, window._split)
    extras_on_3d = Session(lecture(), ModelSpec(extra_inputs=["x1^2"]), TrainSettings())
    assert not window.apply_session(extras_on_3d)
    assert "need 2-D data, not 3 columns" in window.last_error
    bad_split = Session(moons(10), ModelSpec(), TrainSettings(), split=TestSplit(2.0, 0))
    assert not window.apply_session(bad_split)
    assert "the test fraction must be a number from 0 to 0.9" in window.last_error
    assert (window._dataset, window._spec, window._split) == before
