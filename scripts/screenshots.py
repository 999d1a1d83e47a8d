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

from gui.app import configure_runtime  # noqa: E402

configure_runtime()  # as the app runs: before NumPy is imported

from PySide6.QtCore import QEventLoop, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from engine.data import moons  # noqa: E402
from engine.session import Session  # noqa: E402
from engine.spec import ModelSpec  # noqa: E402
from engine.train import TrainSettings  # noqa: E402
from gui.window.main_window import MainWindow  # noqa: E402

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

    spec = ModelSpec([16, 16], ["relu", "relu"], "linear", seed=0)
    settings = TrainSettings(learning_rate=0.1, steps=100, loss="hinge", l2=1e-4, zero_grad=False)
    window.apply_session(Session(moons(100, 0.1, 0), spec, settings))
    train_to_end(window)  # the bug first: zero_grad off
    window.reset()
    window.training_panel.zero_grad_check.setChecked(True)
    train_to_end(window)
    window.tabs.setCurrentIndex(0)
    wait(200)
    save(window, "screenshot-loss.png")
    window.tabs.setCurrentIndex(1)
    wait(400)
    save(window, "screenshot-boundary.png")
    window.close()
    app.quit()


if __name__ == "__main__":
    main()
