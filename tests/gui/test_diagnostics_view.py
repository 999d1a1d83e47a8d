"""The Diagnostics tab driven through the window: a parameter's history, dead neurons, the first NaN."""

import pytest

from engine.data import lecture, moons
from engine.diagnostics import neuron_activity
from engine.lessons import lecture_run
from engine.nn import MLP
from engine.session import Session
from engine.settings import TrainSettings
from engine.spec import ModelSpec
from engine.train import Trainer
from engine.value import Value
from engine.weights import ModelWeights

TIMEOUT_MS = 60_000


def train_to_the_end(window, qtbot, session):
    window.apply_session(session)
    window.train()
    qtbot.waitUntil(lambda: window.state in ("finished", "diverged"), timeout=TIMEOUT_MS)


def fresh_grads(model: MLP, data: list[float], dataset) -> list[float]:
    """What one backward() gives at these weights, from zero (the engine, outside the window)."""
    for p, value in zip(model.parameters(), data):
        p.data = value
    loss, _ = Trainer(model, dataset, TrainSettings()).loss_on(dataset.inputs, dataset.targets)
    model.zero_grad()
    loss.backward()
    return [p.grad for p in model.parameters()]


def test_without_zero_grad_the_history_shows_the_running_sum_of_each_backward(window, qtbot):
    train_to_the_end(window, qtbot, lecture_run(steps=15, zero_grad=False, learning_rate=0.01))
    view = window.diagnostics_view
    window.tabs.setCurrentWidget(view)
    assert view.select_parameter("w2.3.1")
    history = view.history()
    assert history.name == "w2.3.1" and history.steps == list(range(1, 16))
    model = MLP(3, [4, 4, 1], seed=0)
    index = [p.label for p in model.parameters()].index("w2.3.1")
    trace_rows = [view._trace._rows[k] for k in range(15)]
    per_step = [fresh_grads(model, list(row.data), lecture())[index] for row in trace_rows]
    running = 0.0
    for added, held, step_grad in zip(history.added, history.grad, per_step):
        running += step_grad
        assert held == pytest.approx(running, rel=1e-12, abs=1e-12)
        assert added == pytest.approx(step_grad, rel=1e-9, abs=1e-12)
    assert "kept" in view.numbers_label.text() and "added" in view.numbers_label.text()


def test_dead_relu_counts_equal_a_count_with_the_scalar_engine(window, qtbot):
    session = Session(
        moons(60, 0.1, 0),
        ModelSpec([16, 16], ["relu", "relu"], "linear"),
        TrainSettings(learning_rate=1.0, steps=40, loss="hinge"),
    )
    train_to_the_end(window, qtbot, session)
    view = window.diagnostics_view
    window.tabs.setCurrentWidget(view)
    qtbot.waitUntil(lambda: bool(view._activity), timeout=TIMEOUT_MS)
    # the scalar engine, sample by sample: a ReLU neuron is dead if its output is 0 on every sample
    model = window._weights.to_model()
    dead = {1: set(range(1, 17)), 2: set(range(1, 17))}
    for x in window._dataset.inputs:
        h = [Value(v) for v in x]
        for layer_index, layer in enumerate(model.layers[:2], 1):
            h = layer(h)
            dead[layer_index] -= {n for n, out in enumerate(h, 1) if out.data > 0}
    shown = {a.layer: set(a.dead) for a in view._activity if a.activation == "relu"}
    assert shown == dead
    assert neuron_activity(window._weights, window._dataset.inputs) == view._activity


def test_saturated_tanh_neurons_are_named():
    weights = ModelWeights.from_model(MLP(2, [3, 1], seed=0))
    weights.layers[0].weight[1] = [50.0, 50.0]  # neuron 1.2 sits at ±1 on nearly every sample
    activity = neuron_activity(weights, moons(50, 0.1, 0).inputs)
    assert activity[0].saturated == [2] and activity[0].names == ["1.2"] and activity[0].dead == []


def test_gradient_flow_has_one_line_per_layer(window, qtbot):
    train_to_the_end(window, qtbot, lecture_run(steps=10))
    view = window.diagnostics_view
    window.tabs.setCurrentWidget(view)
    view.refresh()
    assert [line.get_label() for line in view.flow_axes.get_lines()] == [
        "layer 1 (tanh)",
        "layer 2 (tanh)",
        "output (tanh)",  # as the Network tab heads the last column
    ]
    assert all(len(line.get_xdata()) == 10 for line in view.flow_axes.get_lines())
    qtbot.waitUntil(lambda: len(view.neurons_axes.get_yticklabels()) == 3)
    assert [t.get_text() for t in view.neurons_axes.get_yticklabels()] == [
        "layer 1\ntanh",
        "layer 2\ntanh",
        "output\ntanh",
    ]


def test_the_neurons_legend_sits_under_the_bars_not_on_them(window, qtbot):
    train_to_the_end(window, qtbot, lecture_run(steps=10))
    view = window.diagnostics_view
    window.tabs.setCurrentWidget(view)
    view.refresh()
    qtbot.waitUntil(lambda: view.neurons_axes.get_legend() is not None)
    view.canvas.draw()
    renderer = view.figure.canvas.get_renderer()
    legend = view.neurons_axes.get_legend().get_window_extent(renderer)
    bars = view.neurons_axes.get_window_extent(renderer)
    assert legend.y1 <= bars.y0  # wholly below the axes (display y grows upwards)


def test_a_run_made_to_overflow_names_the_node_and_the_reason(window, qtbot):
    spec = ModelSpec([4], ["tanh"], "linear")
    weights = ModelWeights.from_model(spec.build(3))
    weights.layers[-1].bias[0] = 1e200  # (score - target) ** 2 overflows on the first sample
    session = Session(lecture(), spec, TrainSettings(steps=5, loss="sse"), weights)
    train_to_the_end(window, qtbot, session)
    assert window.state == "diverged"
    assert "Step 1 on sample 1, forward pass" in window.last_error
    assert "** 2" in window.last_error and "overflowed" in window.last_error


def test_a_network_too_large_to_trace_says_so(window, qtbot):
    window.apply_session(Session(lecture(), ModelSpec([80, 80]), TrainSettings(steps=2)))
    window.train()
    qtbot.waitUntil(lambda: window.state == "finished", timeout=TIMEOUT_MS)
    view = window.diagnostics_view
    assert not view.parameter_combo.isEnabled() and view.history() is None
    window.tabs.setCurrentWidget(view)
    view.refresh()
    assert any("5,000 parameters" in t.get_text() for t in view.data_axes.texts)


def test_a_network_too_large_to_trace_lists_no_parameter_names(qtbot, monkeypatch):
    """Listing 461,575 names at every change of the model held the window for a third of a second."""
    from gui.views.diagnostics_view import DiagnosticsView

    monkeypatch.setattr(
        "gui.views.diagnostics_view.parameter_names",
        lambda *a: pytest.fail("named a network it does not trace"),
    )
    view = DiagnosticsView()
    qtbot.addWidget(view)
    view.start_run(ModelSpec([256] * 8), 2, True)
    assert view.parameter_combo.count() == 0 and not view.parameter_combo.isEnabled()
    assert view.history() is None
