"""The Network tab: pictures, the sample's numbers, hover, clicks, typed weights, and their way into a run."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtTest import QTest

from engine.data import Dataset, moons
from engine.network import parameter_index, plane_points
from engine.nn import MLP
from engine.session import Session
from engine.settings import TrainSettings
from engine.spec import ModelSpec
from engine.weights import LayerWeights, ModelWeights
from gui.views.boundary_picture import predict_grid
from gui.views.boundary_view import BoundaryView
from gui.views.network_numbers import SMALL_HEATMAP_PIXELS
from gui.views.network_paint import MAX_SHOWN, link_values
from gui.views.network_view import NetworkView

TIMEOUT_MS = 10_000


@pytest.fixture
def view(qtbot) -> NetworkView:
    widget = NetworkView(BoundaryView())
    widget.resize(1000, 640)
    qtbot.addWidget(widget)
    widget.show()
    return widget


def show(view: NetworkView, qtbot, weights: ModelWeights, data: Dataset, loss: str = "mse") -> None:
    with qtbot.waitSignal(view.numbers_shown, timeout=TIMEOUT_MS):
        view.set_network(weights, data, loss, 0.0)


def model_2_16_16_1(seed: int = 0) -> MLP:
    return MLP(2, [16, 16, 1], activations=["tanh", "relu", "tanh"], seed=seed)


def neuron_by_numpy(weights: ModelWeights, points: np.ndarray, layer: int, index: int) -> np.ndarray:
    """One neuron's output at each point: a NumPy forward pass up to it, written out here."""
    acts = {"tanh": np.tanh, "relu": lambda z: np.maximum(z, 0), "linear": lambda z: z}
    h = points
    for lw in weights.layers[: layer + 1]:
        h = acts[lw.activation](h @ np.asarray(lw.weight).T + np.asarray(lw.bias))
    return h[:, index]


def centre(view: NetworkView, column: int, index: int):
    return view.canvas.layout_.centres[column][index].toPoint()


def test_each_neurons_picture_is_that_neurons_forward_pass_on_the_grid(view, qtbot):
    data = moons(50, seed=2)
    weights = ModelWeights.from_model(model_2_16_16_1())
    show(view, qtbot, weights, data)
    numbers = view.numbers
    points, _, _ = plane_points(numbers.limits, numbers.side, 2)
    assert [g.shape[1] for g in numbers.grids] == [2, 16, 16, 1]
    np.testing.assert_array_equal(numbers.grids[0], points)
    for layer in range(3):
        for index in range(weights.sizes[layer]):
            expected = neuron_by_numpy(weights, points, layer, index)
            np.testing.assert_allclose(numbers.grids[layer + 1][:, index], expected, rtol=0, atol=1e-12)
    assert len(numbers.pictures[1]) == 16 and numbers.pictures[1][0].shape == (numbers.side, numbers.side, 4)


def test_the_samples_numbers_are_the_engines_forward_pass(view, qtbot):
    data = moons(30, seed=1)
    model = model_2_16_16_1(seed=5)
    show(view, qtbot, ModelWeights.from_model(model), data)
    with qtbot.waitSignal(view.numbers_shown, timeout=TIMEOUT_MS):
        view.set_sample(7)
    values = view.numbers.sample_values
    h = data.inputs[7]
    assert values[0] == list(h)
    for layer, numbers in zip(model.layers, values[1:]):
        h = [n(h) for n in layer.neurons]
        assert numbers == [v.data for v in h]  # bit for bit


def test_hovering_a_neuron_shows_it_on_the_plot_and_leaving_shows_the_output(view, qtbot):
    data = moons(40, seed=3)
    weights = ModelWeights.from_model(model_2_16_16_1(seed=2))
    show(view, qtbot, weights, data)
    plot = view.boundary
    qtbot.waitUntil(lambda: plot.grid_values() is not None, timeout=TIMEOUT_MS)
    output = plot.grid_values().copy()
    with qtbot.waitSignal(plot.output_shown, timeout=TIMEOUT_MS):
        QTest.mouseMove(view.canvas, centre(view, 2, 3))
    assert plot.shown_neuron == (1, 3)
    expected, _, _ = predict_grid(weights, plot.limits, (1, 3))
    np.testing.assert_array_equal(plot.grid_values(), expected)
    points, _, _ = plane_points(plot.limits, 100, 2)
    np.testing.assert_allclose(plot.grid_values().ravel(), neuron_by_numpy(weights, points, 1, 3), atol=1e-12)
    with qtbot.waitSignal(plot.output_shown, timeout=TIMEOUT_MS):
        QTest.mouseMove(view.canvas, centre(view, 0, 0))  # an input: the model's output again
    assert plot.shown_neuron is None
    np.testing.assert_array_equal(plot.grid_values(), output)


def test_clicking_a_neuron_shows_its_formula_with_the_samples_numbers(view, qtbot):
    data = moons(20, seed=0)
    model = MLP(2, [3, 1], activations=["tanh", "tanh"], seed=1)
    weights = ModelWeights.from_model(model)
    show(view, qtbot, weights, data)
    QTest.mouseClick(view.canvas, Qt.MouseButton.LeftButton, pos=centre(view, 1, 2))
    text = view.details.text()
    assert "tanh(w1·x1 + w2·x2 + b)" in text
    neuron = model.layers[0].neurons[2]
    out = neuron(data.inputs[0]).data
    assert f"<b>{out:.6g}</b>" in text and f"{neuron.b.data:.4g}" in text
    assert "grad on this sample" in text
    # its bias is the parameter the field edits
    assert view.edit_label.text() == "New value of bias b1.3:"
    assert float(view.value_edit.text()) == neuron.b.data


def test_a_link_typed_value_is_sent_exactly_and_a_bad_one_is_refused(view, qtbot):
    data = moons(20, seed=0)
    weights = ModelWeights.from_model(MLP(2, [4, 4, 1], seed=3))
    show(view, qtbot, weights, data)
    layout = view.canvas.layout_
    a, b = layout.centres[1][0], layout.centres[2][1]
    half = layout.box / 2
    start, end = QPointF(a.x() + half, a.y()), QPointF(b.x() - half, b.y())
    quarter = start + (end - start) * 0.25  # not the middle: the link 1→0 crosses it there
    QTest.mouseClick(view.canvas, Qt.MouseButton.LeftButton, pos=quarter.toPoint())
    assert view.canvas.selected == ("link", 2, 1, 0)
    assert "w2.2.1" in view.details.text() and "grad =" in view.details.text()
    view.value_edit.setText("not a number")
    with qtbot.assertNotEmitted(view.parameter_edited):
        QTest.keyClick(view.value_edit, Qt.Key.Key_Return)
    assert "not a number" in view.edit_message.text()
    view.value_edit.setText("-0.123456789")
    with qtbot.waitSignal(view.parameter_edited, timeout=1000) as sent:
        QTest.keyClick(view.value_edit, Qt.Key.Key_Return)
    assert sent.args == [parameter_index(weights, 1, 1, 0), -0.123456789]


def test_links_by_gradient_are_minus_the_losss_gradient(view, qtbot):
    data = moons(30, seed=4)
    weights = ModelWeights.from_model(MLP(2, [4, 1], seed=2))
    show(view, qtbot, weights, data)
    view.gradient_check.setChecked(True)
    values = link_values(view.numbers, 1, by_gradient=True)
    np.testing.assert_array_equal(values, -view.numbers.gradients.weight[0])
    assert link_values(view.numbers, 1, by_gradient=False).tolist() == weights.layers[0].weight


def test_dead_relu_neurons_are_marked(view, qtbot):
    data = moons(30, seed=4)
    dead = ModelWeights(
        2,
        [
            LayerWeights("relu", [[1.0, 1.0], [0.5, -0.5]], [-100.0, 0.0]),
            LayerWeights("tanh", [[1.0, 1.0]], [0.0]),
        ],
    )
    show(view, qtbot, dead, data)
    assert view.numbers.marks(1) == {0: "dead"}
    assert view.numbers.marks(2) == {}  # the output is not judged


def test_the_largest_model_shows_a_few_neurons_per_layer_with_fewer_pixels(view, qtbot):
    data = moons(30, seed=0)
    largest = ModelWeights.from_model(MLP(2, [256] * 8 + [1], seed=0))
    show(view, qtbot, largest, data)
    numbers = view.numbers
    assert numbers.side == SMALL_HEATMAP_PIXELS
    assert all(len(p) <= MAX_SHOWN for p in numbers.pictures)
    view.canvas.grab()  # paints without error; "+N more" says what is not drawn
    assert view.canvas.paint_count >= 1


def test_more_inputs_are_pictured_over_two_chosen_ones_the_rest_at_their_mean(view, qtbot):
    rng = np.random.default_rng(0)
    inputs = rng.normal(size=(20, 3)).tolist()
    data = Dataset(inputs, [1.0 if x[0] > 0 else -1.0 for x in inputs])
    weights = ModelWeights.from_model(MLP(3, [4, 1], seed=1))
    show(view, qtbot, weights, data)
    assert view.x_combo.isVisible() and view.held_label.isVisible()
    with qtbot.waitSignal(view.numbers_shown, timeout=TIMEOUT_MS):
        view.y_combo.setCurrentIndex(2)
    grid = view.numbers.grids[0]
    assert np.allclose(grid[:, 1], np.mean(np.asarray(inputs)[:, 1]))
    assert len(set(grid[:, 2])) == view.numbers.side


# ---- in the window: a typed weight takes effect at once, and in the run


def test_a_typed_weight_without_a_run_changes_the_start_weights_and_the_boundary(window, qtbot):
    window.apply_session(Session(moons(40, seed=0), ModelSpec([4], ["tanh"]), TrainSettings(loss="mse")))
    index = parameter_index(window._weights, 0, 1, 1)
    with qtbot.waitSignal(window.boundary_view.output_shown, timeout=TIMEOUT_MS):
        window.network_view.parameter_edited.emit(index, 3.25)
    assert window._weights.layers[0].weight[1][1] == 3.25
    assert window._start_weights is window._weights
    expected, _, _ = predict_grid(window._weights, window.boundary_view.limits)
    np.testing.assert_array_equal(window.boundary_view.grid_values(), expected)


def test_a_typed_weight_reaches_the_run_exactly(window, qtbot):
    window.apply_session(
        Session(moons(40, seed=0), ModelSpec([4], ["tanh"]), TrainSettings(loss="mse", steps=50))
    )
    window.tabs.setCurrentWidget(window.network_view)
    with qtbot.waitSignal(window.controller.halted, timeout=TIMEOUT_MS):
        window.step()
    index = parameter_index(window._weights, 1, 0, 2)
    with qtbot.waitSignal(window.controller.edited, timeout=TIMEOUT_MS) as edited:
        window.network_view.parameter_edited.emit(index, -1.5)
    steps, sent_index, value, weights = edited.args
    assert (steps, sent_index, value) == (1, index, -1.5)
    assert [p.data for p in weights.to_model().parameters()][index] == -1.5
    assert window._weights.layers[1].weight[0][2] == -1.5
    qtbot.waitUntil(
        lambda: view_weights(window) is not None and view_weights(window).layers[1].weight[0][2] == -1.5,
        timeout=TIMEOUT_MS,
    )
    expected, _, _ = predict_grid(weights, window.network_view.boundary.limits)
    qtbot.waitUntil(
        lambda: np.array_equal(window.network_view.boundary.grid_values(), expected), timeout=TIMEOUT_MS
    )


def view_weights(window) -> ModelWeights | None:
    numbers = window.network_view.numbers
    return numbers.request.weights if numbers else None


@pytest.mark.parametrize(
    ("data", "width"),
    [
        (Dataset([[0.5], [-1.0], [2.0]], [1.0, -1.0, 1.0]), 1),  # one input: pictures vary along x1
        (Dataset([], []), 2),  # no samples yet (to be clicked in): pictures, no sample, no gradients
    ],
    ids=["one input", "empty"],
)
def test_one_input_or_no_samples_still_draws(view, qtbot, data, width):
    weights = ModelWeights.from_model(MLP(width, [3, 1], seed=0))
    show(view, qtbot, weights, data)
    numbers = view.numbers
    assert [len(p) for p in numbers.pictures] == [width, 3, 1]
    assert (numbers.gradients is None) == (len(data) == 0)
    QTest.mouseClick(view.canvas, Qt.MouseButton.LeftButton, pos=centre(view, 1, 0))
    assert "neuron 1.1" in view.details.text()


def test_a_smaller_dataset_keeps_the_selected_sample_in_range(view, qtbot):
    weights = ModelWeights.from_model(MLP(2, [3, 1], seed=0))
    show(view, qtbot, weights, moons(30, seed=0))
    with qtbot.waitSignal(view.numbers_shown, timeout=TIMEOUT_MS):
        view.set_sample(29)
    QTest.mouseClick(view.canvas, Qt.MouseButton.LeftButton, pos=centre(view, 1, 0))
    show(view, qtbot, weights, moons(10, seed=0))
    assert view.numbers.request.sample == 9 and "grad on this sample" in view.details.text()


def test_a_value_typed_for_a_replaced_network_changes_nothing(window, qtbot):
    window.apply_session(Session(moons(40, seed=0), ModelSpec([4], ["tanh"]), TrainSettings(loss="mse")))
    before = window._weights
    window.network_view.parameter_edited.emit(10_000, 1.0)  # an index the new network does not have
    assert window._weights is before and window._start_weights is None


def test_clicking_a_link_follows_that_weight_in_diagnostics(window, qtbot):
    window.apply_session(
        Session(moons(40, seed=0), ModelSpec([4, 4], ["tanh", "tanh"]), TrainSettings(steps=5))
    )
    view = window.network_view
    window.tabs.setCurrentWidget(view)
    qtbot.waitUntil(
        lambda: view.canvas.layout_ is not None and len(view.canvas.layout_.centres) == 4, timeout=TIMEOUT_MS
    )
    layout = view.canvas.layout_
    a, b = layout.centres[1][0], layout.centres[2][1]
    start, end = QPointF(a.x() + layout.box / 2, a.y()), QPointF(b.x() - layout.box / 2, b.y())
    QTest.mouseClick(view.canvas, Qt.MouseButton.LeftButton, pos=(start + (end - start) * 0.25).toPoint())
    assert view.canvas.selected == ("link", 2, 1, 0)
    assert window.diagnostics_view.parameter_combo.currentText() == "w2.2.1"
