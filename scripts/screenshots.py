"""Take the README's screenshots from the real app on a virtual screen.

    xvfb-run -a -s '-screen 0 1400x900x24' .venv/bin/python scripts/screenshots.py

Trains micrograd's moons demo in the real window (with zero_grad on, then off,
so both curves show) and saves `QWidget.grab()` of the window to docs/.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gui.app import configure_runtime, fit_to_screen

configure_runtime()  # as the app runs: before NumPy is imported

from PySide6.QtCore import QEventLoop, QPointF, QRect, Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMessageBox, QProgressDialog

from engine.lessons import LESSONS, moons_demo
from engine.weights import ModelWeights
from gui.window.main_window import MainWindow

OUT = ROOT / "docs"


def wait(ms: int) -> None:
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def train_to_end(window: MainWindow) -> None:
    loop = QEventLoop()
    window.controller.halted.connect(loop.quit)
    window.train()
    loop.exec()
    window.controller.halted.disconnect(loop.quit)
    wait(300)  # let the last redraw land


def save(window: MainWindow, name: str) -> None:
    path = OUT / name
    window.grab().save(str(path))
    print(f"wrote {path.relative_to(ROOT)}")


def shown_window(
    screen: tuple[int, int] | None = None, size: tuple[int, int] | None = (1360, 860)
) -> MainWindow:
    """A window that answers Yes to its questions, fitted to a screen of this size (else of `size`,
    or its default size for None), shown."""
    window = MainWindow()
    window.confirm = lambda *_: True
    if screen is None and size is not None:
        window.resize(*size)
    elif screen is not None:
        fit_to_screen(window, QRect(0, 0, *screen))
    window.show()
    return window


def lecture_neuron_in_expression_tab(window: MainWindow):
    """The Expression tab shown with the lecture's neuron drawn; returns the tab."""
    expression = window.expression_view
    for show in (lambda: window.tabs.setCurrentWidget(expression), lambda: expression.set_example(1)):
        shown = QEventLoop()
        expression.graph_shown.connect(shown.quit)
        show()
        shown.exec()
    return expression


def main() -> None:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    OUT.mkdir(exist_ok=True)
    window = shown_window()
    wait(300)
    save(window, "screenshot-start.png")

    # The lecture's MLP on its first sample: the graph with data and grads, then backprop step by step
    shown = QEventLoop()
    window.graph_view.graph_shown.connect(shown.quit)
    window.tabs.setCurrentWidget(window.graph_view)
    shown.exec()
    wait(400)
    save(window, "screenshot-graph.png")
    for _ in range(9):
        window.graph_view.step_next_button.click()
        wait(60)
    wait(400)
    save(window, "screenshot-step.png")
    window.graph_view.step_reset_button.click()

    # The lecture's single neuron in the Expression tab, with PyTorch's grads beside ours
    expression = lecture_neuron_in_expression_tab(window)
    while expression.torch_pending:  # PyTorch's first import, in its own process, takes seconds
        wait(100)
    wait(400)
    save(window, "screenshot-neuron.png")
    for _ in range(4):
        expression.step_next_button.click()
        wait(60)
    wait(400)
    save(window, "screenshot-neuron-step.png")
    window.tabs.setCurrentIndex(0)

    # Practice: the lecture's neuron half backpropagated by hand, a wrong answer's hint, the nudge
    practice = window.practice_view
    window.tabs.setCurrentWidget(practice)
    practice.exercise_combo.setCurrentIndex(1)
    exercise = practice.exercise
    for node in practice._rows[:4]:
        practice.select(node)
        practice.answer_edit.setText(repr(exercise.truth[node]))
        practice.submit()
    practice.select(next(node for node in practice._rows if node.label == "b"))
    practice.answer_edit.setText("1")
    practice.submit()  # wrong: the hint of its operation
    practice.nudge_variable.setCurrentText("x1")
    practice.h_slider.setValue(6)
    wait(500)
    save(window, "screenshot-practice.png")

    # A run made to overflow: the graph opens where it first broke, the failing node explained
    from engine.data import lecture
    from engine.session import Session
    from engine.settings import TrainSettings
    from engine.spec import ModelSpec
    from engine.weights import ModelWeights

    spec = ModelSpec([4], ["tanh"], "linear")
    weights = ModelWeights.from_model(spec.build(3))
    weights.layers[-1].bias[0] = 1e200  # (score - target) ** 2 overflows on the first sample
    window.apply_session(Session(lecture(), spec, TrainSettings(steps=5, loss="sse"), weights))
    train_to_end(window)
    shown = QEventLoop()
    window.graph_view.graph_shown.connect(shown.quit)
    window.show_breakdown_graph()
    shown.exec()
    wait(600)
    for box in window.findChildren(QMessageBox):
        box.close()
    save(window, "screenshot-breakdown.png")
    window.new_session()

    # The zero_grad lesson: micrograd's moons demo with zero_grad, then the same run without it
    lesson = next(i for i, item in enumerate(LESSONS) if "the same run with and without" in item.title)
    finished = QEventLoop()
    window.controller.halted.connect(lambda *_: len(window.loss_plot.runs) == 2 and finished.quit())
    window.play_lesson(lesson)
    finished.exec()
    wait(600)
    window.tabs.setCurrentWidget(window.loss_plot)
    wait(400)
    save(window, "screenshot-loss.png")
    window.tabs.setCurrentWidget(window.diagnostics_view)
    window.diagnostics_view.select_parameter("w3.1.5")
    wait(800)
    save(window, "screenshot-diagnostics.png")

    # The learning-rate finder on the demo, then the demo trained with zero_grad for the boundary
    window.apply_session(moons_demo(learning_rate=0.01))
    swept = QEventLoop()
    window.rate_finder.finished.connect(lambda _sweep: QTimer.singleShot(400, swept.quit))
    window.find_learning_rate()
    swept.exec()
    dialog = window.rate_sweep_dialog
    dialog.grab().save(str(OUT / "screenshot-rate-finder.png"))
    print("wrote docs/screenshot-rate-finder.png")
    dialog.reject()
    window.apply_session(moons_demo(steps=300))
    train_to_end(window)
    window.tabs.setCurrentWidget(window.boundary_view)
    wait(400)
    save(window, "screenshot-boundary.png")

    # The Network tab on the trained demo: a hidden neuron hovered (drawn large on its plot), a link clicked
    network = window.network_view
    window.tabs.setCurrentWidget(network)
    wait(800)
    layout = network.canvas.layout_
    a, b = layout.centres[1][2], layout.centres[2][5]
    start, end = QPointF(a.x() + layout.box / 2, a.y()), QPointF(b.x() - layout.box / 2, b.y())
    QTest.mouseClick(network.canvas, Qt.MouseButton.LeftButton, pos=(start + (end - start) * 0.3).toPoint())
    QTest.mouseMove(network.canvas, layout.centres[2][3].toPoint())
    wait(800)
    save(window, "screenshot-network.png")
    window.close()
    for name, size in (("1366x768", (1366, 741)), ("default", None)):
        network_while_training(name, size)
    exercise_on_graph()
    test_set_and_engineered_inputs()
    optimizer_while_training()
    classes_and_regression()
    reopened_run()
    opening_big_session()
    graph_opening_on_a_laptop()
    app.quit()


def network_while_training(name: str, screen: tuple[int, int] | None) -> None:
    """The Network tab during a run, a neuron hovered and a weight being typed: on a 1366x768 laptop
    (the window fitted to its free area, below a 27 px panel) and at the window's default size."""

    window = shown_window(screen, size=None)
    window.apply_session(moons_demo(steps=5000))
    network = window.network_view
    window.tabs.setCurrentWidget(network)
    window.train()
    wait(2500)
    layout = network.canvas.layout_
    a, b = layout.centres[1][2], layout.centres[2][5]
    start, end = QPointF(a.x() + layout.box / 2, a.y()), QPointF(b.x() - layout.box / 2, b.y())
    QTest.mouseClick(network.canvas, Qt.MouseButton.LeftButton, pos=(start + (end - start) * 0.3).toPoint())
    network.value_edit.setText("2.5")
    QTest.mouseMove(network.canvas, layout.centres[2][3].toPoint())
    wait(1200)
    path = OUT / f"screenshot-network-training-{name}.png"
    window.grab().save(str(path))
    print(f"wrote {path.relative_to(ROOT)} ({window.width()}x{window.height()})")
    window.close()


def test_set_and_engineered_inputs() -> None:
    """The overfitting lesson's train and test curves; the circles solved by x1², x2² and one neuron."""
    from engine.data import circles
    from engine.session import Session
    from engine.settings import TrainSettings
    from engine.spec import ModelSpec

    window = shown_window()
    lesson = next(i for i, item in enumerate(LESSONS) if item.title.startswith("Overfitting"))
    finished = QEventLoop()
    window.controller.halted.connect(lambda *_: finished.quit())
    window.play_lesson(lesson)
    finished.exec()
    window.tabs.setCurrentWidget(window.loss_plot)
    wait(800)
    save(window, "overfitting.png")

    spec = ModelSpec([], [], "tanh", extra_inputs=["x1^2", "x2^2"])
    window.apply_session(
        Session(circles(100, 0.1, 0), spec, TrainSettings(learning_rate=0.2, steps=150, loss="mse"))
    )
    train_to_end(window)
    window.tabs.setCurrentWidget(window.network_view)
    wait(1000)
    save(window, "engineered-inputs.png")
    window.close()


def optimizer_while_training() -> None:
    """The Optimizer tab while Adam trains micrograd's moons demo: every parameter's m, v and update."""
    window = shown_window()
    window.apply_session(moons_demo(steps=5000, optimizer="adam", learning_rate=0.01))
    window.tabs.setCurrentWidget(window.optimizer_view)
    panel = window.training_panel
    window.settings_column.scroll.ensureWidgetVisible(panel.optimizer_fields)
    window.train()
    wait(2500)
    save(window, "optimizer.png")
    window.close()


def exercise_on_graph() -> None:
    """Backprop by hand on the graph at 1366x768: the lecture's neuron half done on the Expression
    tab (the box at the next node), a wrong answer's hint on the Computation graph tab, and the
    predictions' hit rates (a grad's sign before backprop steps, the loss before training steps)."""

    window = shown_window((1366, 741))
    expression = lecture_neuron_in_expression_tab(window)
    mode = expression.exercise
    mode.toggle_button.click()
    graph = expression.current_graph()
    for node in list(reversed(graph.nodes))[:5]:  # output first, in the chain rule's order
        click_node(expression.canvas, node.id)
        mode.popup.answer_edit.setText(repr(mode.exercise.truth[node.value]))
        QTest.keyClick(mode.popup.answer_edit, Qt.Key.Key_Return)
    ready = next(n for n in reversed(graph.nodes) if mode.exercise.ready(n.value))
    canvas = expression.canvas
    canvas.centerOn(
        (canvas.node_rect(ready.id).center() + canvas.node_rect(graph.of(graph.root).id).center()) / 2
    )
    click_node(canvas, ready.id)
    QTest.keyClicks(mode.popup.answer_edit, "-3")
    wait(500)
    save(window, "exercise-graph.png")

    view = window.graph_view
    shown = QEventLoop()
    view.graph_shown.connect(shown.quit)
    window.tabs.setCurrentWidget(view)
    shown.exec()
    view.exercise.toggle_button.click()
    graph = view.current_graph()
    neuron = next(n for n in graph.nodes if n.name == "h2.2")
    for node in [n for n in reversed(graph.nodes) if graph.is_drawn(n)]:
        if node is neuron:
            break
        if view.exercise.exercise.ready(node.value):
            click_node(view.canvas, node.id)
            view.exercise.popup.answer_edit.setText(repr(view.exercise.exercise.truth[node.value]))
            QTest.keyClick(view.exercise.popup.answer_edit, Qt.Key.Key_Return)
    click_node(view.canvas, neuron.id)
    QTest.keyClicks(
        view.exercise.popup.answer_edit, "-3.824"
    )  # the grad above it, without the local derivative
    QTest.keyClick(view.exercise.popup.answer_edit, Qt.Key.Key_Return)
    wait(500)
    save(window, "exercise-hint.png")
    view.exercise.toggle_button.click()

    # Predict, then see: a sign before each backprop step, the loss before each training step
    mode.toggle_button.click()
    window.tabs.setCurrentWidget(expression)
    guess = expression.step_guess
    for sign in ("-", "+", "+", "-", "+"):
        guess.buttons[sign].click()
        expression.step_next_button.click()
    loss_guess = window.training_panel.loss_guess
    for outcome in ("down", "down", "down", "not down"):
        loss_guess.buttons[outcome].click()
        halted = QEventLoop()
        window.controller.halted.connect(halted.quit)
        window.training_panel.step_button.click()
        halted.exec()
        window.controller.halted.disconnect(halted.quit)
    wait(500)
    save(window, "predict.png")
    window.close()


def click_node(canvas, node_id: str) -> None:
    """A real click on the node's record, scrolled into view if it is out of it."""
    center = canvas.node_rect(node_id).center()
    if not canvas.mapToScene(canvas.viewport().rect()).boundingRect().contains(center):
        canvas.centerOn(center)
    QTest.mouseClick(canvas.viewport(), Qt.MouseButton.LeftButton, pos=canvas.mapFromScene(center))
    wait(50)


def classes_and_regression() -> None:
    """A 3-arm spiral trained with softmax cross-entropy (argmax regions), and a sine fitted live."""
    from engine.data import make_preset
    from engine.session import Session
    from engine.settings import TrainSettings
    from engine.spec import ModelSpec

    window = shown_window()
    arms = make_preset("arms", 150, 0.05, 0, classes=3)
    spec = ModelSpec([16, 16], ["tanh", "tanh"], "linear", seed=1)
    window.apply_session(Session(arms, spec, TrainSettings(learning_rate=0.5, steps=300, loss="ce")))
    train_to_end(window)
    window.tabs.setCurrentWidget(window.boundary_view)
    wait(600)
    save(window, "classes.png")
    sine = make_preset("sine", 60, 0.05, 0)
    spec = ModelSpec([16], ["tanh"], "linear", seed=0)
    window.apply_session(Session(sine, spec, TrainSettings(learning_rate=0.2, steps=300, loss="mse")))
    train_to_end(window)
    window.tabs.setCurrentWidget(window.boundary_view)
    wait(600)
    save(window, "regression.png")
    window.close()


def reopened_run(screen: tuple[int, int] = (1366, 741)) -> None:
    """A session saved at step 200 of 400 (Adam, moons demo), opened on a 1366x768 laptop: the status
    bar and Training panel say "Saved run", the Diagnostics tab shows the saved steps' gradient flow."""
    import tempfile

    from engine.session import Session, save_session
    from gui.processes.train_process import TrainJob

    demo = moons_demo(steps=400, optimizer="adam", learning_rate=0.01)
    trainer = TrainJob(demo.model, demo.dataset.copy(), demo.training).build()
    for _ in range(200):
        trainer.step()
    saved = Session(
        demo.dataset,
        demo.model,
        demo.training,
        ModelWeights.from_model(trainer.model),
        trainer.history,
        demo.split,
        trainer.run_state(),
    )
    window = shown_window(screen, size=None)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "moons-adam.json"
        save_session(saved, path)
        window.open_session(path)
    window.tabs.setCurrentWidget(window.diagnostics_view)
    window.settings_column.scroll.ensureWidgetVisible(window.training_panel.optimizer_fields)
    wait(3000)  # the Diagnostics figure is drawn in a thread: slower on a busy machine
    save(window, "reopened-run.png")
    window.close()


def opening_big_session(screen: tuple[int, int] = (1366, 741), name: str = "opening-big-file.png") -> None:
    """A 48 MB session (8 x 256, Adam, a long history) being opened while the moons demo trains: the
    progress dialog over the window, which goes on training behind it. A screen grab: the dialog is a
    window of its own."""
    import tempfile

    sys.path.insert(0, str(ROOT / "benchmarks"))
    import big_files

    window = shown_window(screen, size=None)
    window.apply_session(moons_demo(steps=5000))
    window.train()
    wait(2000)

    def grab_when_shown() -> None:
        if not any(d.isVisible() for d in window.findChildren(QProgressDialog)):
            QTimer.singleShot(20, grab_when_shown)
            return
        wait(600)  # the busy bar moves, training goes on behind it
        frame = window.frameGeometry()
        shot = QApplication.primaryScreen().grabWindow(0, frame.x(), frame.y(), frame.width(), frame.height())
        shot.save(str(OUT / name))
        print(f"wrote docs/{name}")

    with tempfile.TemporaryDirectory() as folder:
        path = big_files.legit_session(Path(folder) / "big-session.json")
        QTimer.singleShot(0, grab_when_shown)
        window.open_session(path)
    window.close()


def graph_opening_on_a_laptop(screen: tuple[int, int] = (1366, 741)) -> None:
    """The lecture's graph as it opens on a 1366x768 screen: legible, at its output (where backprop
    starts), a note saying the rest is a drag away and Fit shows it whole."""
    window = shown_window(screen, size=None)
    shown = QEventLoop()
    window.graph_view.graph_shown.connect(shown.quit)
    window.tabs.setCurrentWidget(window.graph_view)
    shown.exec()
    wait(600)
    save(window, "graph-opening-1366x768.png")
    window.close()


if __name__ == "__main__":
    main()
