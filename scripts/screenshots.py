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

from gui.app import configure_runtime

configure_runtime()  # as the app runs: before NumPy is imported

from PySide6.QtCore import QEventLoop, QPointF, Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMessageBox

from engine.lessons import LESSONS, moons_demo
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


def main() -> None:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    OUT.mkdir(exist_ok=True)
    window = MainWindow()
    window.confirm = lambda *_: True
    window.resize(1360, 860)
    window.show()
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
    expression = window.expression_view
    shown = QEventLoop()
    expression.graph_shown.connect(shown.quit)
    window.tabs.setCurrentWidget(expression)
    shown.exec()
    shown = QEventLoop()
    expression.graph_shown.connect(shown.quit)
    expression.set_example(1)
    shown.exec()
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
    from engine.spec import ModelSpec
    from engine.train import TrainSettings
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
    classes_and_regression()
    app.quit()


def network_while_training(name: str, screen: tuple[int, int] | None) -> None:
    """The Network tab during a run, a neuron hovered and a weight being typed: on a 1366x768 laptop
    (the window fitted to its free area, below a 27 px panel) and at the window's default size."""
    from PySide6.QtCore import QRect

    from gui.app import fit_to_screen

    window = MainWindow()
    window.confirm = lambda *_: True
    if screen is not None:
        fit_to_screen(window, QRect(0, 0, *screen))
    window.show()
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


def classes_and_regression() -> None:
    """A 3-arm spiral trained with softmax cross-entropy (argmax regions), and a sine fitted live."""
    from engine.data import make_preset
    from engine.session import Session
    from engine.spec import ModelSpec
    from engine.train import TrainSettings

    window = MainWindow()
    window.confirm = lambda *_: True
    window.resize(1360, 860)
    window.show()
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


if __name__ == "__main__":
    main()
