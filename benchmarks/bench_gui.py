"""Does the window stay live while it trains, and how much speed does the window cost?

Trains micrograd's moons demo (MLP 2-16-16-1, ReLU hidden, linear output, hinge
loss + 1e-4 L2, learning rate 1.0 decaying) inside the real main window, once
with the Loss tab showing, once with the Decision boundary tab and once with the
Diagnostics tab (gradient flow, neurons, a parameter's history), while a
10 ms QTimer in the GUI thread records how late it fires (the event-loop delay
a user feels). The same training runs headless in this process for the speed
baseline, alternating with the window's runs. The window trains in its child
process: its speed is counted from the first progress report to the end (the
time from Train to that first report, which includes starting the child the
first time, is printed on its own).

    xvfb-run -a -s '-screen 0 1400x900x24' .venv/bin/python benchmarks/bench_gui.py
    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_gui.py   # no X server
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gui.app import configure_runtime, freeze_startup_objects

configure_runtime()  # as the app runs: before NumPy is imported

from engine.data import moons
from engine.session import Session
from engine.settings import TrainSettings
from engine.spec import ModelSpec
from engine.train import Trainer

SPEC = ModelSpec([16, 16], ["relu", "relu"], "linear", seed=0)


def settings(steps: int, optimizer: str = "sgd") -> TrainSettings:
    rate = 1.0 if optimizer == "sgd" else 0.01  # Adam and momentum take smaller steps
    return TrainSettings(
        learning_rate=rate, decay=True, steps=steps, loss="hinge", l2=1e-4, optimizer=optimizer
    )


def steps_per_second_here(steps: int, optimizer: str = "sgd") -> float:
    trainer = Trainer(SPEC.build(2), moons(100, 0.1, 0), settings(steps, optimizer))
    start = time.perf_counter()
    trainer.run()
    return steps / (time.perf_counter() - start)


def headless_steps_per_second(steps: int, optimizer: str = "sgd") -> float:
    """The same training without a window, in a fresh interpreter: what the window's training
    process is. (In this process, with Qt and matplotlib loaded, Python's cycle collector has
    ten times more objects to look at, and the same training runs 10-25% slower.)"""
    here = Path(__file__).resolve().parent
    code = f"import sys; sys.path.insert(0, {str(here)!r}); import bench_gui; "
    code += f"print(bench_gui.steps_per_second_here({steps}, {optimizer!r}))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(result.stdout.split()[-1])


def in_window(steps: int, tab: str, optimizer: str = "sgd") -> tuple[float, list[float], float]:
    """Steps per second while training in the window, the probe's delays in ms, ms to the first report."""
    from PySide6.QtCore import QElapsedTimer, QEventLoop, QTimer

    from gui.window.main_window import MainWindow

    window = MainWindow()
    window.resize(1280, 820)
    window.show()
    window.controller.warm_up()  # as the app does when it opens
    freeze_startup_objects()
    window.apply_session(Session(moons(100, 0.1, 0), SPEC, settings(steps, optimizer)))
    views = {
        "loss": window.loss_plot,
        "boundary": window.boundary_view,
        "diagnostics": window.diagnostics_view,
        "optimizer": window.optimizer_view,  # the optimizer state table, refreshed with each report
    }
    window.tabs.setCurrentWidget(views[tab])

    delays: list[float] = []
    clock = QElapsedTimer()
    probe = QTimer()
    probe.setInterval(10)

    def on_probe() -> None:
        elapsed = clock.restart()
        delays.append(max(0.0, elapsed - 10.0))
        if elapsed > 100:
            print(
                f"   long delay {elapsed} ms at {time.perf_counter() - start:.2f} s, step {len(window._history)}"
            )

    probe.timeout.connect(on_probe)
    first: list[tuple[float, int]] = []  # (time, steps) of the first progress report

    def on_progress(results: list, *_: object) -> None:
        if not first:
            first.append((time.perf_counter(), results[-1].step))

    window.controller.progressed.connect(on_progress)
    loop = QEventLoop()
    window.controller.halted.connect(lambda *_: loop.quit())
    start = time.perf_counter()
    clock.start()
    probe.start()
    window.train()
    loop.exec()
    end = time.perf_counter()
    probe.stop()
    done = len(window._history)
    window.close()
    window.deleteLater()
    first_time, first_steps = first[0]
    return (done - first_steps) / (end - first_time), delays, 1000 * (first_time - start)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument(
        "--tabs",
        default="loss,boundary,diagnostics",
        help="the tabs to train with, in turn (comma-separated)",
    )
    parser.add_argument("--optimizer", default="sgd", choices=["sgd", "momentum", "adam"])
    args = parser.parse_args()
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv[:1])
    print(f"platform {app.platformName()}, {args.steps} steps of the moons demo per run, {args.optimizer}")
    start = time.perf_counter()
    x = 0.0
    for _ in range(10_000_000):
        x += 1.0
    print(f"this instance: a 10M-iteration float loop takes {time.perf_counter() - start:.2f} s")
    baseline = [headless_steps_per_second(args.steps, args.optimizer)]
    results = {}
    for tab in args.tabs.split(","):
        results[tab] = in_window(args.steps, tab, args.optimizer)
        baseline.append(headless_steps_per_second(args.steps, args.optimizer))
    headless = statistics.median(baseline)
    print(
        f"headless: {headless:.1f} steps/s (median of {len(baseline)} runs in a fresh interpreter, interleaved)"
    )
    for tab, (rate, delays, first_ms) in results.items():
        print(
            f"in window, {tab:8s} tab: {rate:6.1f} steps/s = {rate / headless:5.1%} of headless; "
            f"event-loop delay p50 {percentile(delays, 0.5):.1f} ms, p99 {percentile(delays, 0.99):.1f} ms, "
            f"max {max(delays):.1f} ms ({len(delays)} probes); first report {first_ms:.0f} ms after Train"
        )


if __name__ == "__main__":
    main()
