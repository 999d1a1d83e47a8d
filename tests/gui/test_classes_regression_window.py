"""The window driven through several classes and regression (issue 13, items 1-2), with real clicks."""

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt

from engine.data import make_preset, write_csv
from engine.weights import load_json

TIMEOUT_MS = 120_000


def choose_preset(window, key: str) -> None:
    combo = window.data_panel.preset_combo
    combo.setCurrentIndex(combo.findData(key))
    assert combo.currentData() == key


def type_into(qtbot, widget, text: str) -> None:
    """Select the field's text and type over it, then Enter: as a user does."""
    widget.setFocus()
    qtbot.keyClick(widget, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(widget, text)
    qtbot.keyClick(widget, Qt.Key.Key_Return)


def set_model(window, qtbot, layers: str) -> None:
    edit = window.model_panel.layers_edit
    edit.selectAll()
    qtbot.keyClicks(edit, layers)
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    combo = window.model_panel.output_combo
    combo.setCurrentIndex(combo.findData("linear"))


def train_to_end(window, qtbot):
    with qtbot.waitSignal(window.controller.halted, timeout=TIMEOUT_MS) as blocker:
        qtbot.mouseClick(window.training_panel.train_button, Qt.MouseButton.LeftButton)
    return blocker.args


def loss_choices(window) -> list[str]:
    combo = window.training_panel.loss_combo
    return [combo.itemData(i) for i in range(combo.count())]


def click_plot(qtbot, view, x: float, y: float) -> None:
    """A real mouse click on the plot at data coordinates (x, y)."""
    view.canvas.draw()
    px, py = view.axes.transData.transform((x, y))
    ratio = view.canvas.device_pixel_ratio
    qtbot.mouseClick(
        view.canvas,
        Qt.MouseButton.LeftButton,
        pos=QPoint(round(px / ratio), round(view.canvas.height() - py / ratio)),
    )


def test_a_three_arm_spiral_trains_to_the_end_with_argmax_regions(window, qtbot, tmp_path):
    choose_preset(window, "arms")
    type_into(qtbot, window.data_panel.samples_spin, "45")
    dataset = window._dataset
    assert (dataset.task, dataset.n_classes, len(dataset)) == ("classes", 3, 45)
    assert "3 classes 0: 15, 1: 15, 2: 15" in window.data_panel.summary_label.text()
    assert loss_choices(window) == ["ce"] and window._settings.loss == "ce"
    assert window.model_panel.output_label.text() == "Output · 3 neurons"
    set_model(window, qtbot, "16, 16")
    type_into(qtbot, window.training_panel.learning_rate_spin, "0.5")
    type_into(qtbot, window.training_panel.steps_spin, "150")
    assert window._settings.learning_rate == 0.5 and window._settings.steps == 150

    state, _ = train_to_end(window, qtbot)
    assert state == "finished"
    history = window._history
    assert len(history) == 150 and history[-1].loss < 0.5 * history[0].loss
    assert history[-1].accuracy > 0.8 > history[0].accuracy and history[-1].r2 is None
    assert window.accuracy_label.text().startswith("accuracy")
    assert window._weights.sizes == [16, 16, 3]
    # the plot: each cell coloured by the class of its largest output
    window.tabs.setCurrentWidget(window.boundary_view)
    view = window.boundary_view
    qtbot.waitUntil(lambda: view.grid_values() is not None, timeout=TIMEOUT_MS)
    qtbot.waitUntil(
        lambda: window._weights is not None and _grid_is_argmax(view, window._weights), timeout=TIMEOUT_MS
    )
    assert set(np.unique(view.grid_values())) <= {0.0, 1.0, 2.0}
    legend = [t.get_text() for t in view.axes.get_legend().get_texts()]
    assert legend == ["class 0", "class 1", "class 2"]
    # a click adds a sample of class 0, Shift+click one of class 1
    before = len(window._dataset)
    click_plot(qtbot, view, 0.1, 0.1)
    assert len(window._dataset) == before + 1 and window._dataset.targets[-1] == 0.0
    # the Network and Computation graph tabs draw the three outputs
    window.tabs.setCurrentWidget(window.network_view)
    qtbot.waitUntil(lambda: window.network_view.numbers is not None, timeout=TIMEOUT_MS)
    assert len(window.network_view.numbers.gradients.bias[-1]) == 3
    # the weights export has three outputs and predicts as the window's weights do
    assert window.export_weights(tmp_path / "arms.json", "json")
    assert load_json(tmp_path / "arms.json").sizes == [16, 16, 3]


def _grid_is_argmax(view, weights) -> bool:
    from gui.views.boundary_picture import predict_grid

    grid = view.grid_values()
    return grid is not None and np.array_equal(grid, predict_grid(weights, view.limits)[0], equal_nan=True)


def test_a_sine_regression_trains_to_the_end_with_its_curve_drawn_live(window, qtbot):
    choose_preset(window, "sine")
    type_into(qtbot, window.data_panel.samples_spin, "40")
    assert (window._dataset.task, window._dataset.n_inputs, len(window._dataset)) == ("regression", 1, 40)
    assert loss_choices(window) == ["mse", "sse"] and window._settings.loss == "mse"
    set_model(window, qtbot, "16")
    type_into(qtbot, window.training_panel.learning_rate_spin, "0.2")
    type_into(qtbot, window.training_panel.steps_spin, "200")
    view = window.boundary_view
    window.tabs.setCurrentWidget(view)

    state, _ = train_to_end(window, qtbot)
    assert state == "finished"
    history = window._history
    assert len(history) == 200 and history[-1].accuracy is None and history[-1].r2 > 0.8
    assert window.accuracy_label.text().startswith("R²")
    assert window.loss_plot.accuracy_axes.get_ylabel() == "R²"
    # the curve is the final network's output along x1
    qtbot.waitUntil(lambda: _curve_matches(view, window._weights), timeout=TIMEOUT_MS)
    legend = [t.get_text() for t in view.axes.get_legend().get_texts()]
    assert legend == ["samples (x1, y)", "network's output"]
    # a click on the plot adds the sample (x1, y) that was clicked
    click_plot(qtbot, view, 0.25, 0.5)
    assert len(window._dataset) == 41
    assert window._dataset.inputs[-1][0] == pytest.approx(0.25, abs=0.02)
    assert window._dataset.targets[-1] == pytest.approx(0.5, abs=0.02)


def _curve_matches(view, weights) -> bool:
    xs, ys = view._curve.get_data()
    if not len(xs):
        return False
    return np.allclose(ys, weights.predict_numpy(np.asarray(xs).reshape(-1, 1)), rtol=0, atol=1e-12)


def test_a_csv_of_class_labels_is_read_as_several_classes_and_says_so(window, tmp_path):
    write_csv(make_preset("kblobs", 20, 0.1, 0, classes=4), tmp_path / "four.csv")
    assert window.data_panel.import_csv(tmp_path / "four.csv")
    assert window._dataset.task == "classes" and window._dataset.n_outputs == 4
    note = window.data_panel.task_note
    assert note.isVisible() and note.text().startswith("Read as 4 classes")
    assert loss_choices(window) == ["ce"] and window._weights.sizes[-1] == 4


def test_labels_that_do_not_fit_the_chosen_task_are_refused_naming_the_row(window, tmp_path):
    before = window._dataset
    (tmp_path / "bad.csv").write_text("x1,x2,y\n0,0,0\n1,1,1\n2,2,2.5\n")
    combo = window.data_panel.import_as_combo
    combo.setCurrentIndex(combo.findData("classes"))
    assert not window.data_panel.import_csv(tmp_path / "bad.csv")
    assert "row 4" in window.data_panel.error_label.text() and "2.5" in window.data_panel.error_label.text()
    assert window._dataset is before


def test_a_class_label_typed_into_the_table_must_be_a_class(window):
    choose_preset(window, "arms")
    panel = window.data_panel
    assert not panel.edit_cell(0, 2, "1.5")
    assert "class label 1.5 is not a whole number" in panel.error_label.text()
    assert not panel.edit_cell(0, 2, "-1")
    assert window._dataset.targets[0] in (0.0, 1.0, 2.0)
    assert panel.edit_cell(0, 2, "2")
    assert window._dataset.targets[0] == 2.0


def test_a_session_of_several_classes_round_trips_through_the_window(window, qtbot, tmp_path):
    choose_preset(window, "kblobs")
    set_model(window, qtbot, "4")
    type_into(qtbot, window.training_panel.steps_spin, "5")
    train_to_end(window, qtbot)
    path = tmp_path / "s.json"
    assert window.save_session(path)
    choose_preset(window, "sine")
    assert loss_choices(window) == ["mse", "sse"]
    assert window.open_session(path)
    assert window._dataset.task == "classes" and loss_choices(window) == ["ce"]
    assert window._weights.sizes[-1] == 3


def test_a_session_of_four_arms_shows_four_in_the_classes_field_and_regenerates_four(window):
    from engine.session import Session
    from engine.settings import TrainSettings
    from engine.spec import ModelSpec

    arms = make_preset("arms", 40, 0.1, 0, classes=4)
    assert window.apply_session(Session(arms, ModelSpec([4], ["tanh"], "linear"), TrainSettings(loss="ce")))
    assert window.data_panel.classes_spin.value() == 4 and window.data_panel.classes_spin.isEnabled()
    window.data_panel.regenerate_button.click()
    assert window._dataset.n_classes == 4 and window._weights.sizes[-1] == 4
