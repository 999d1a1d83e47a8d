"""The whole window driven as a user would: pick data, shape the model, train, break it, export."""

import math
import statistics
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from engine.weights import ModelWeights, load_json, save_json
from gui.window.main_window import MainWindow

TIMEOUT_MS = 60_000


def choose_preset(window, key):
    combo = window.data_panel.preset_combo
    for i in range(combo.count()):
        if combo.itemData(i) == key or combo.itemText(i).lower().startswith(key):
            combo.setCurrentIndex(i)
            return
    raise AssertionError(f"no preset {key}")


def set_layers(window, qtbot, text):
    """Type the layer sizes key by key (live validation sees every prefix)."""
    edit = window.model_panel.layers_edit
    edit.selectAll()
    qtbot.keyClicks(edit, text)


def paste_layers(window, text):
    """Replace the layer sizes in one edit, as a paste does."""
    edit = window.model_panel.layers_edit
    edit.setText(text)
    edit.textEdited.emit(text)


def train_to_end(window, qtbot):
    with qtbot.waitSignal(window.controller.halted, timeout=TIMEOUT_MS) as blocker:
        window.training_panel.train_button.click()
    return blocker.args


def test_opens_ready_to_train_the_lecture_example(window):
    assert window.state == "idle"
    assert window.data_panel.dataset().n_inputs == 3 and len(window.data_panel.dataset()) == 4
    assert window.model_panel.spec().hidden_sizes == [4, 4]
    assert window.training_panel.settings().learning_rate == 0.05
    assert window.training_panel.train_button.isEnabled()


def test_user_builds_a_moons_model_and_the_loss_falls(window, qtbot):
    choose_preset(window, "moons")
    assert window._dataset.n_inputs == 2 and len(window._dataset) == 100
    # edit one cell: the first sample's x1
    window.data_panel.edit_cell(0, 0, "0.25")
    assert window._dataset.inputs[0][0] == 0.25
    set_layers(window, qtbot, "8, 8")
    assert window.model_panel.spec().hidden_sizes == [8, 8]
    window.training_panel.learning_rate_spin.setValue(0.1)
    assert window._settings.learning_rate == 0.1
    window.training_panel.loss_combo.setCurrentIndex(window.training_panel.loss_combo.findData("mse"))
    window.training_panel.steps_spin.setValue(60)

    state, _ = train_to_end(window, qtbot)
    assert state == "finished"
    losses = [r.loss for r in window._history]
    assert len(losses) == 60
    assert losses[-1] < 0.7 * losses[0]
    assert window.step_label.text() == "step 60 / 60"
    assert "loss" in window.loss_label.text() and "accuracy" in window.accuracy_label.text()
    # the loss plot got every point, and the boundary view the final weights
    assert window.loss_plot.runs[-1].losses == losses
    qtbot.waitUntil(lambda: window.boundary_view.grid_values() is not None, timeout=TIMEOUT_MS)


def test_pause_resume_and_step(window, qtbot):
    window.training_panel.steps_spin.setValue(100_000)
    with qtbot.waitSignal(window.controller.progressed, timeout=TIMEOUT_MS):
        window.training_panel.train_button.click()
    assert window.state == "training"
    with qtbot.waitSignal(window.controller.halted, timeout=TIMEOUT_MS) as paused:
        window.training_panel.pause_button.click()
    assert paused.args[0] == "paused" and window.state == "paused"
    steps_at_pause = len(window._history)
    assert 0 < steps_at_pause < 100_000
    # Step: exactly one more step, then paused again
    with qtbot.waitSignal(window.controller.halted, timeout=TIMEOUT_MS):
        window.training_panel.step_button.click()
    assert len(window._history) == steps_at_pause + 1 and window.state == "paused"
    # Resume continues from there (steps keep counting up)
    with qtbot.waitSignal(window.controller.progressed, timeout=TIMEOUT_MS):
        window.training_panel.train_button.click()
    assert window._history[steps_at_pause].step == steps_at_pause + 1
    with qtbot.waitSignal(window.controller.halted, timeout=TIMEOUT_MS):
        window.pause()
    steps = [r.step for r in window._history]
    assert steps == list(range(1, len(steps) + 1))  # no step lost or repeated


def test_zero_grad_off_draws_a_second_different_curve(window, qtbot):
    choose_preset(window, "moons")
    window.training_panel.steps_spin.setValue(40)
    window.training_panel.loss_combo.setCurrentIndex(window.training_panel.loss_combo.findData("mse"))
    train_to_end(window, qtbot)
    first = [r.loss for r in window._history]

    window.training_panel.reset_button.click()
    assert window.state == "idle"
    window.training_panel.zero_grad_check.setChecked(False)
    assert window._settings.zero_grad is False
    train_to_end(window, qtbot)
    second = [r.loss for r in window._history]

    runs = window.loss_plot.runs
    assert len(runs) == 2
    assert "zero_grad on" in runs[0].label and "zero_grad OFF" in runs[1].label
    assert runs[0].losses == first and runs[1].losses == second
    assert first[0] == second[0]  # same data, same initial weights
    assert max(abs(a - b) for a, b in zip(first, second)) > 1e-3  # ...but the bug changes the curve


def test_divergence_stops_and_reset_recovers(window, qtbot):
    choose_preset(window, "moons")
    set_layers(window, qtbot, "16, 16")
    for combo in window.model_panel.activation_combos:
        combo.setCurrentIndex(combo.findText("relu", Qt.MatchFlag.MatchContains))
    window.model_panel.output_combo.setCurrentIndex(
        window.model_panel.output_combo.findText("linear", Qt.MatchFlag.MatchContains)
    )
    window.training_panel.loss_combo.setCurrentIndex(window.training_panel.loss_combo.findData("mse"))
    window.training_panel.learning_rate_spin.setValue(50.0)
    state, message = train_to_end(window, qtbot)
    assert state == "diverged" and window.state == "diverged"
    assert "diverged at step" in message and "smaller learning rate" in message
    assert "diverged at step" in window.last_error
    assert not window.training_panel.train_button.isEnabled()
    assert all(math.isfinite(r.loss) for r in window._history)

    window.training_panel.reset_button.click()
    window.training_panel.learning_rate_spin.setValue(0.05)
    window.training_panel.steps_spin.setValue(10)
    state, _ = train_to_end(window, qtbot)
    assert state == "finished"


def test_export_weights_and_load_them_back(window, qtbot, tmp_path):
    window.training_panel.steps_spin.setValue(20)
    train_to_end(window, qtbot)
    trained = window._weights
    path = tmp_path / "w.json"
    assert window.export_weights(path, "json")
    saved = load_json(path)
    assert saved.to_dict()["layers"] == trained.to_dict()["layers"]
    assert saved.metadata["steps_trained"] == 20
    for x in window._dataset.inputs:
        assert saved.predict(x) == trained.predict(x)
    npz = tmp_path / "w.npz"
    assert window.export_weights(npz, "npz")

    window.training_panel.reset_button.click()
    assert window._weights.to_dict()["layers"] != trained.to_dict()["layers"]
    assert window.import_weights(path)
    assert window._weights.to_dict()["layers"] == trained.to_dict()["layers"]
    # training now starts from the imported weights
    window.training_panel.steps_spin.setValue(1)
    train_to_end(window, qtbot)
    assert window._history[0].loss == pytest.approx(
        sum((trained.predict(x) - y) ** 2 for x, y in zip(window._dataset.inputs, window._dataset.targets)),
        rel=1e-12,
    )


def test_bad_layer_spec_is_marked_and_blocks_training(window, qtbot):
    before = window._spec
    paste_layers(window, "4,,x")
    assert window.model_panel.spec() is None
    assert window.model_panel.error_label.text().startswith("Hidden layers: “")
    assert not window.training_panel.train_button.isEnabled()
    assert window._spec == before  # the last good model is kept
    paste_layers(window, "4, 4")
    assert window.training_panel.train_button.isEnabled()


def test_bad_csv_shows_its_message_and_keeps_the_data(window, tmp_path):
    before = window._dataset
    bad = tmp_path / "bad.csv"
    bad.write_text("x1,x2,y\n1,2,1\n3,4\n")
    assert not window.data_panel.import_csv(bad)
    assert "row 3 has 2 values, expected 3" in window.data_panel.error_label.text()
    assert window._dataset.inputs == before.inputs and window._dataset.targets == before.targets


def test_weights_for_another_network_change_nothing(window, tmp_path):
    other = tmp_path / "other.json"
    save_json(ModelWeights.from_model(__import__("engine").MLP(2, [16, 16, 1], seed=0)), other)
    before = window._weights.to_dict()
    assert not window.import_weights(other)
    assert "another network" in window.last_error
    assert window._weights.to_dict() == before
    assert window._start_weights is None


def test_session_save_and_open(window, qtbot, tmp_path):
    choose_preset(window, "moons")
    window.data_panel.edit_cell(3, 1, "-0.75")  # an edit no preset can remake
    window.training_panel.steps_spin.setValue(15)
    train_to_end(window, qtbot)
    path = tmp_path / "session.json"
    assert window.save_session(path)
    trained = window._weights.to_dict()
    inputs, targets = window._dataset.inputs, window._dataset.targets
    assert inputs[3][1] == -0.75 and len(inputs) == 100

    window.new_session()
    assert window._dataset.n_inputs == 3
    assert window.open_session(path)
    assert window._dataset.inputs == inputs and window._dataset.targets == targets
    assert window.data_panel.table_model.index(3, 1).data() == "-0.75"
    assert window._weights.to_dict()["layers"] == trained["layers"]
    assert window.training_panel.settings().steps == 15
    broken = tmp_path / "broken.json"
    broken.write_text(path.read_text()[:200])
    assert not window.open_session(broken)
    assert "not valid JSON" in window.last_error
    assert window._weights.to_dict()["layers"] == trained["layers"]  # nothing lost


def test_closing_mid_training_exits_cleanly(qtbot, qtlog):
    w = MainWindow()
    qtbot.addWidget(w)
    w.show()
    w.training_panel.steps_spin.setValue(100_000)
    with qtbot.waitSignal(w.controller.progressed, timeout=TIMEOUT_MS):
        w.training_panel.train_button.click()
    assert w.state == "training"
    w.close()
    assert w.controller.process_id is None  # the training process is gone
    QApplication.processEvents()  # deliver what the run sent before it stopped
    steps_at_close = len(w._history)
    assert steps_at_close > 0 and w.state != "training"
    # A run still going reports every EMIT_INTERVAL_S (0.1 s): ten times that, and nothing comes
    with (
        qtbot.assertNotEmitted(w.controller.halted),
        qtbot.assertNotEmitted(w.controller.progressed, wait=1000),  # exits first: the wait is inside both
    ):
        pass
    assert len(w._history) == steps_at_close and w.state != "training"
    assert not [r.message for r in qtlog.records if "QThread" in r.message]


def test_readme_recipe_loads_exported_weights_into_pytorch(window, qtbot, tmp_path):
    """Must-show: the JSON the app exports, loaded by hand with the README's recipe alone."""
    torch = pytest.importorskip("torch")
    choose_preset(window, "moons")
    window.training_panel.steps_spin.setValue(15)
    train_to_end(window, qtbot)
    path = tmp_path / "weights.json"
    assert window.export_weights(path, "json")

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    recipe = readme.split("Loading it into PyTorch by hand:")[1].split("```python")[1].split("```")[0]
    recipe = recipe.split("net = torch.nn.Sequential(*layers)")[0] + "net = torch.nn.Sequential(*layers)\n"
    recipe = recipe.replace('open("weights.json")', f"open({str(path)!r})")
    namespace: dict = {}
    exec(recipe, namespace)
    net = namespace["net"]
    inputs = window._dataset.inputs
    got = net(torch.tensor(inputs, dtype=torch.float64)).detach().reshape(-1).tolist()
    model = window._weights.to_model()  # the app's network, in the engine
    expected = [model(x).data for x in inputs]
    assert max(abs(a - b) for a, b in zip(got, expected)) <= 1e-12


def test_graph_tab_draws_the_current_weights_and_follows_training(window, qtbot):
    with qtbot.waitSignal(window.graph_view.graph_shown, timeout=TIMEOUT_MS):
        window.tabs.setCurrentWidget(window.graph_view)
    graph = window.graph_view.current_graph()
    first_weight = next(n for n in graph.nodes if n.name == "w1.1.1")
    assert first_weight.value.data == window._weights.layers[0].weight[0][0]
    window.training_panel.steps_spin.setValue(10)
    train_to_end(window, qtbot)
    qtbot.waitUntil(
        lambda: (
            next(n for n in window.graph_view.current_graph().nodes if n.name == "w1.1.1").value.data
            == window._weights.layers[0].weight[0][0]
        ),
        timeout=TIMEOUT_MS,
    )
    assert window._weights.layers[0].weight[0][0] != first_weight.value.data  # training moved it


def test_ctrl_click_on_the_plot_draws_that_samples_graph(window, qtbot):
    choose_preset(window, "moons")
    window.boundary_view.point_picked.emit(7)
    assert window.tabs.currentWidget() is window.graph_view
    qtbot.waitUntil(lambda: window.graph_view.current_graph() is not None, timeout=TIMEOUT_MS)
    inputs = [n.value.data for n in window.graph_view.current_graph().nodes if n.kind == "input"]
    assert inputs == window._dataset.inputs[7]


def test_compiled_switch_trains_the_same_run(window, qtbot):
    choose_preset(window, "moons")
    window.training_panel.loss_combo.setCurrentIndex(window.training_panel.loss_combo.findData("hinge"))
    window.training_panel.steps_spin.setValue(30)
    train_to_end(window, qtbot)
    plain = [r.loss for r in window._history]
    plain_weights = window._weights.to_model().parameters()
    assert window.engine_label.text() == "scalar engine (Value objects)"

    window.training_panel.reset_button.click()
    window.training_panel.compiled_check.setChecked(True)
    assert window._settings.compiled
    train_to_end(window, qtbot)
    compiled = [r.loss for r in window._history]
    assert (
        window.engine_label.text().startswith("compiled (NumPy):")
        and "array ops" in window.engine_label.text()
    )
    assert "array operations" in window.engine_details
    assert len(compiled) == len(plain) == 30
    assert max(abs(a - b) / max(1.0, abs(b)) for a, b in zip(compiled, plain)) <= 1e-12
    compiled_weights = window._weights.to_model().parameters()
    assert [p.data for p in compiled_weights] == pytest.approx(
        [p.data for p in plain_weights], rel=1e-12, abs=1e-12
    )
    assert window.loss_plot.runs[-1].losses == compiled  # the plot shows the compiled run


def test_expression_tab_shows_the_lecture_example(window, qtbot):
    view = window.expression_view
    with qtbot.waitSignal(view.graph_shown, timeout=TIMEOUT_MS):
        window.tabs.setCurrentWidget(view)
    root = view.current_graph().root
    assert root.data == -8.0  # L = (a*b + c) * f with a=2, b=-3, c=10, f=-2
    grads = {n.name: n.value.grad for n in view.current_graph().nodes if n.kind == "input"}
    assert grads == {"a": 6.0, "b": -4.0, "c": -2.0, "f": 4.0}


def test_lesson_forgetting_zero_grad_lays_two_runs_over_each_other(window, qtbot):
    from engine.lessons import LESSONS

    index = next(i for i, lesson in enumerate(LESSONS) if "the same run with and without" in lesson.title)
    window.play_lesson(index)
    qtbot.waitUntil(
        lambda: len(window.loss_plot.runs) == 2 and window.state == "finished", timeout=3 * TIMEOUT_MS
    )
    on, off = window.loss_plot.runs
    assert "zero_grad on" in on.label and "zero_grad OFF" in off.label
    assert len(on.losses) == len(off.losses) == 300
    assert on.losses[0] == off.losses[0]
    assert off.losses[-1] >= 10 * on.losses[-1]  # the damage is plain at the end
    assert window.tabs.currentWidget() is window.loss_plot
    # the gradient norm says why: without zero_grad the grads pile up step after step
    assert len(on.grad_norms) == len(off.grad_norms) == 300
    assert statistics.median(off.grad_norms[-50:]) > 5 * statistics.median(off.grad_norms[:10])
    assert statistics.median(on.grad_norms[-50:]) < statistics.median(on.grad_norms[:10])
    # and the loss tab draws both runs' norms, the last steps included
    plot = window.loss_plot
    qtbot.waitUntil(lambda: len(plot.lines_of(off).grad_norm.get_ydata()) == 300, timeout=TIMEOUT_MS)
    assert list(plot.lines_of(off).grad_norm.get_ydata()) == off.grad_norms
    assert list(plot.lines_of(on).grad_norm.get_ydata()) == on.grad_norms


def test_lesson_overshooting_learning_rate(window, qtbot):
    from engine.lessons import LESSONS

    index = next(i for i, lesson in enumerate(LESSONS) if "overshoots" in lesson.title)
    window.play_lesson(index)
    qtbot.waitUntil(
        lambda: len(window.loss_plot.runs) == 2 and window.state == "finished", timeout=TIMEOUT_MS
    )
    small, large = window.loss_plot.runs
    assert "lr 0.05" in small.label and "lr 1" in large.label
    # the small rate descends steadily; the large one jumps up somewhere along the way
    assert all(b <= a * 1.0001 for a, b in zip(small.losses, small.losses[1:]))
    assert any(b > a * 1.01 for a, b in zip(large.losses, large.losses[1:]))


def test_reset_stops_a_lesson(window, qtbot):
    from engine.lessons import LESSONS

    index = next(i for i, lesson in enumerate(LESSONS) if "zero_grad" in lesson.title)
    window.play_lesson(index)
    qtbot.waitUntil(lambda: window.state == "training", timeout=TIMEOUT_MS)
    window.training_panel.reset_button.click()
    assert window._lesson_queue == [] and window.state == "idle"


def test_without_graphviz_the_graph_tab_explains_and_the_rest_works(qtbot, monkeypatch):
    monkeypatch.setattr("gui.graph.render.shutil.which", lambda name, *args, **kwargs: None)
    w = MainWindow()
    w.confirm = lambda *_: True
    qtbot.addWidget(w)
    w.show()
    w.tabs.setCurrentWidget(w.graph_view)
    qtbot.waitUntil(
        lambda: "apt-get install graphviz" in w.graph_view.message_label.text(), timeout=TIMEOUT_MS
    )
    w.tabs.setCurrentWidget(w.expression_view)
    qtbot.waitUntil(lambda: "Graphviz" in (w.expression_view.graph_message or ""), timeout=TIMEOUT_MS)
    assert w.expression_view.results_table.rowCount() > 0  # the grads table needs no Graphviz
    w.training_panel.steps_spin.setValue(5)
    with qtbot.waitSignal(w.controller.halted, timeout=TIMEOUT_MS) as blocker:
        w.training_panel.train_button.click()
    assert blocker.args[0] == "finished" and len(w._history) == 5
