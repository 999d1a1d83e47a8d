"""How long the computation graph takes to appear, and whether the window stays live meanwhile.

In the real main window: the lecture's MLP(3, [4, 4, 1]) on one sample, drawn
expanded (every weight a record, as the lecture draws it), and the moons MLP
(2-16-16-1) on one sample in its default view and expanded. Each is timed from the
request to the moment the laid-out graph is on screen (`graph_shown`), while a 10 ms
timer in the GUI thread records how late it fires; the probe runs on for SETTLE_MS
after that, so whatever the window does once the graph is shown counts too.

    xvfb-run -a -s '-screen 0 1400x900x24' .venv/bin/python benchmarks/bench_graph.py
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gui.app import configure_runtime

configure_runtime()  # as the app runs: before NumPy is imported

from PySide6.QtCore import QElapsedTimer, QEventLoop, QTimer
from PySide6.QtWidgets import QApplication

from engine import MLP
from engine.data import lecture, moons
from engine.weights import ModelWeights
from gui.window.main_window import MainWindow

REPEATS = 5
SETTLE_MS = 500  # probing goes on this long after graph_shown: the window must be idle again


def time_graph(
    window: MainWindow, weights: ModelWeights, dataset, loss: str, mode: int
) -> tuple[float, float, int]:
    """Seconds from request to graph on screen, the worst event-loop delay meanwhile, node count."""
    view = window.graph_view
    view.neurons_combo.setCurrentIndex(mode)
    delays: list[float] = []
    clock = QElapsedTimer()
    probe = QTimer()
    probe.setInterval(10)
    probe.timeout.connect(lambda: delays.append(max(0.0, clock.restart() - 10.0)))
    loop = QEventLoop()
    shown_at: list[float] = []

    def on_shown() -> None:
        shown_at.append(time.perf_counter())
        QTimer.singleShot(SETTLE_MS, loop.quit)

    view.graph_shown.connect(on_shown)
    clock.start()
    probe.start()
    start = time.perf_counter()
    view.set_model(weights, dataset, loss)
    loop.exec()
    seconds = shown_at[0] - start
    probe.stop()
    view.graph_shown.disconnect(on_shown)
    graph = view.current_graph()
    return seconds, max(delays, default=0.0), sum(1 for n in graph.nodes if graph.is_drawn(n))


def main() -> None:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    window = MainWindow()
    window.resize(1360, 860)
    window.show()
    window.tabs.setCurrentWidget(window.graph_view)
    settle = QEventLoop()  # the window's first paint (plots, fonts) is not the graph's
    QTimer.singleShot(1500, settle.quit)
    settle.exec()
    cases = [
        ("lecture MLP 3-4-4-1, one sample, expanded", MLP(3, [4, 4, 1], seed=0), lecture(), "sse", 1),
        ("moons MLP 2-16-16-1, one sample, default (Auto)", None, moons(100, 0.1, 0), "hinge", 0),
        ("moons MLP 2-16-16-1, one sample, expanded", None, moons(100, 0.1, 0), "hinge", 1),
    ]
    print(f"platform {app.platformName()}; median of {REPEATS} runs, each a fresh layout")
    for name, model, data, loss, mode in cases:
        runs = []
        for seed in range(REPEATS):  # new weights each time: the graph is built and laid out anew
            model_i = model or MLP(2, [16, 16, 1], activation="relu", output_activation="linear", seed=seed)
            if model is not None:
                model_i = MLP(3, [4, 4, 1], seed=seed)
            window.graph_view.set_model(
                ModelWeights.from_model(MLP(1, [1])), lecture().copy(), loss
            )  # force a relayout
            runs.append(time_graph(window, ModelWeights.from_model(model_i), data, loss, mode))
        seconds = statistics.median(r[0] for r in runs)
        worst = max(r[1] for r in runs)
        print(
            f"  {name}: {runs[0][2]} nodes drawn, {seconds * 1e3:.0f} ms to screen, worst event-loop delay {worst:.0f} ms "
            f"(until shown and {SETTLE_MS} ms after)"
        )
    window.close()


if __name__ == "__main__":
    main()
