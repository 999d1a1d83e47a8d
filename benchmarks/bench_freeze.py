"""Does any user action freeze the window? The worst GUI-thread delay of each, in the real window.

A 10 ms QTimer in the GUI thread records how late each of its ticks fires (the
event-loop delay a user feels as a frozen window) while the benchmark drives one user
action and waits until the window is idle again (the action's work done, then
another SETTLE_MS). Goal: no action above 100 ms; while training, p99 <= 33 ms and
the in-window speed >= 90 % of headless.

The actions, in order: typing the hidden layers up to 8 x 256 key by key; the graph
tab on that model; importing a CSV of 100,000 rows (refused) and of 2,000 rows
(accepted); the first PyTorch comparison (graph tab; PyTorch runs in a child process)
and the Expression tab's; a backprop step and a zoom on the lecture's expanded graph
(painted as vectors); laying out the expanded moons graph (986 nodes), a numbers-only
update of it and a backprop step; closing a window while `dot` runs; Train, Reset / Open session /
New session while training, the end of a run (the loss plot's final full draw),
exporting the weights as a PyTorch .pt file (PyTorch's child started cold), training
the moons demo with the graph tab showing, and training the moons demo (300 steps) with
the loss tab showing; then big files (benchmarks/big_files.py): importing a CSV of 2,000
rows of 499 inputs, opening a hostile session
just under the caps (refused), importing weights of near 2,000,000 parameters (refused: another
network), opening a legitimate ~50 MB session (8 x 256, Adam, a long history) and importing
weights of 8 x 256 into it. The window is driven through MainWindow's public methods only.
`--only csv,train,pt` runs a few groups of actions (see ACTION_GROUPS), e.g. to repeat
the worst ones while another process keeps a core busy.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_freeze.py
    xvfb-run -a -s '-screen 0 1366x768x24' .venv/bin/python benchmarks/bench_freeze.py

The time of a plain Python loop is printed first, to tie the figures to the machine. Besides
each action's worst delay (wall clock), "cpu ms" is the most CPU time the GUI thread spent
between two ticks: the work that blocked it, without the waits of a machine shared with other
processes; "slow ms" scales it by the loop's CPU time to a slow instance of this kind of machine
(SLOW_LOOP_S), the figure to judge a slower CPU by.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gui.app import configure_runtime, freeze_startup_objects

configure_runtime()  # as the app runs: before NumPy is imported

from PySide6.QtCore import QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from engine.data import lecture, moons, write_csv
from engine.nn import MLP
from engine.session import Session
from engine.settings import TrainSettings
from engine.spec import ModelSpec
from engine.weights import ModelWeights
from gui.window.main_window import MainWindow

sys.path.insert(0, str(Path(__file__).resolve().parent))
import big_files
from bench_gui import headless_steps_per_second
from probe import Probe, Row, float_loop_seconds, wait, wait_until

GOAL_MS = 100
MOONS_SPEC = ModelSpec([16, 16], ["relu", "relu"], "linear", seed=0)
LARGEST = "256, 256, 256, 256, 256, 256, 256, 256"
ACTION_GROUPS = ("torch", "model", "csv", "graph", "train", "pt", "run", "large", "files")
SLOW_LOOP_S = 2.06  # FLOAT_LOOP on a slow instance of this kind of machine


def moons_settings(steps: int) -> TrainSettings:
    return TrainSettings(learning_rate=1.0, decay=True, steps=steps, loss="hinge", l2=1e-4)


def moons_session(steps: int = 300) -> Session:
    return Session(moons(100, 0.1, 0), MOONS_SPEC, moons_settings(steps))


def new_window() -> MainWindow:
    window = MainWindow()
    window.confirm = lambda title, question: True  # answers "Yes" to "Reset training?"
    window.resize(1280, 820)
    window.show()
    window.controller.warm_up()  # as the app does when its window opens
    freeze_startup_objects()
    wait(200)
    return window


def history_length(window: MainWindow) -> int:
    """The steps of the current run on the loss plot (current_session() would copy the whole
    dataset at every check: a cost of the probe, not of the window)."""
    runs = window.loss_plot.runs
    return len(runs[-1].steps) if runs else 0


# ---------------------------------------------------------------- the actions


def typing_largest_model(probe: Probe, window: MainWindow) -> Row:
    window.apply_session(moons_session())
    window.tabs.setCurrentWidget(window.boundary_view)
    wait(300)
    edit = window.model_panel.layers_edit
    keys = list(LARGEST)
    typed: list[str] = []

    def type_next() -> None:
        if not keys:
            return
        if not typed:
            edit.setFocus()
            edit.selectAll()
        key = keys.pop(0)
        QTest.keyClicks(edit, key)
        typed.append(key)
        QTimer.singleShot(30, type_next)

    delays, seconds = probe.measure(type_next, lambda: not keys)
    shown = window.model_panel.spec()
    ok = shown is not None and shown.hidden_sizes == [256] * 8
    return Row(
        f"type the hidden layers “{LARGEST[:9]}…” ({len(LARGEST)} keys)", delays, seconds, "" if ok else "!"
    )


def graph_tab_on_largest(probe: Probe, window: MainWindow) -> Row:
    view = window.graph_view
    delays, seconds = probe.measure(
        lambda: window.tabs.setCurrentWidget(view), lambda: view.message_label.isVisible()
    )
    return Row("graph tab on the 8 x 256 model", delays, seconds, view.message_label.text()[:48])


def import_csv(probe: Probe, window: MainWindow, path: Path, rows: int) -> Row:
    panel = window.data_panel
    result: list[bool] = []
    delays, seconds = probe.measure(lambda: result.append(panel.import_csv(path)), lambda: bool(result))
    return Row(f"import a CSV of {rows:,} rows", delays, seconds, "accepted" if result[0] else "refused")


def first_torch_comparison(probe: Probe, window: MainWindow) -> Row:
    window.apply_session(Session(lecture(), ModelSpec(), TrainSettings()))
    view = window.graph_view
    window.tabs.setCurrentWidget(view)
    wait_until(
        lambda: view.shown_svg is not None and view.message_label.isHidden() and not view.canvas.painting
    )
    wait(300)
    delays, seconds = probe.measure(
        view.torch_button.click, lambda: "PyTorch float64 vs" in view.details.toPlainText()
    )
    return Row("first PyTorch comparison (graph tab, vs PyTorch)", delays, seconds, "PyTorch in a child")


def expression_tab_first_shown(probe: Probe, window: MainWindow) -> Row:
    view = window.expression_view
    shown: list[bool] = []
    view.graph_shown.connect(lambda: shown.append(True))
    delays, seconds = probe.measure(
        lambda: window.tabs.setCurrentWidget(view), lambda: bool(shown) and not view.torch_pending
    )
    column = view.results_table.item(0, 3)
    return Row(
        "Expression tab first shown (PyTorch column)", delays, seconds, column.text() if column else ""
    )


def expanded_moons_graph(probe: Probe, window: MainWindow) -> list[Row]:
    window.apply_session(moons_session())
    view = window.graph_view
    window.tabs.setCurrentWidget(view)
    # The moons session's own graph (Auto: collapsed) on screen and the window idle first: the
    # session's other work (plots, table) is not the layout's.
    wait_until(
        lambda: (
            view.current_graph() is not None
            and len(view.current_graph()) < 100
            and view.shown_svg is not None
            and view.message_label.isHidden()
            and not view.canvas.painting
        )
    )
    wait(500)
    shown: list[bool] = []
    view.graph_shown.connect(lambda: shown.append(True))

    def on_screen() -> bool:
        return bool(shown) and not view.canvas.painting

    delays, seconds = probe.measure(lambda: view.neurons_combo.setCurrentIndex(1), on_screen)
    nodes = len(view.current_graph()) if view.current_graph() is not None else 0
    rows = [Row(f"lay out the expanded moons graph ({nodes} nodes)", delays, seconds, "dot + SVG")]
    other = ModelWeights.from_model(
        MLP(2, [16, 16, 1], activation="relu", output_activation="linear", seed=7)
    )
    delays, seconds = probe.measure(
        lambda: view.set_model(other, moons(100, 0.1, 0), "hinge"), lambda: not view.canvas.painting
    )
    rows.append(Row("  numbers-only update of it (new weights)", delays, seconds))
    delays, seconds = probe.measure(view.step_next_button.click, lambda: not view.canvas.painting)
    rows.append(Row("  one backprop step on it (Step)", delays, seconds))
    return rows


def lecture_expanded_graph(probe: Probe, window: MainWindow) -> list[Row]:
    """The lecture's MLP expanded: an SVG under ASYNC_SVG_BYTES, loaded and painted as vectors in the GUI thread."""
    window.apply_session(Session(lecture(), ModelSpec(), TrainSettings()))
    view = window.graph_view
    window.tabs.setCurrentWidget(view)
    view.neurons_combo.setCurrentIndex(1)
    wait_until(
        lambda: (
            view.shown_svg is not None and view.message_label.isHidden() and len(view.current_graph()) > 100
        )
    )
    wait(300)
    size = f"{len(view.shown_svg) // 1000} KB SVG"
    delays, seconds = probe.measure(view.step_next_button.click)
    rows = [Row(f"one backprop step, lecture graph expanded ({size})", delays, seconds, "vector paint")]
    delays, seconds = probe.measure(lambda: view.canvas.zoom_by(1.5))
    rows.append(Row("  zoom in on it", delays, seconds, "vector paint"))
    view.neurons_combo.setCurrentIndex(0)  # back to Auto, where the next action starts
    wait_until(lambda: view.message_label.isHidden() and len(view.current_graph()) < 100)
    return rows


def closing_while_dot_runs(probe: Probe) -> Row:
    window = new_window()
    window.apply_session(moons_session())
    view = window.graph_view
    view.neurons_combo.setCurrentIndex(1)  # expanded: dot takes seconds
    window.tabs.setCurrentWidget(view)
    wait(300)
    running = view.pane.layout_runner.running_run is not None
    delays, seconds = probe.measure(window.close)
    window.deleteLater()
    return Row("close the window while dot runs", delays, seconds, "dot was running" if running else "?")


def training_actions(probe: Probe, window: MainWindow, session_path: Path) -> list[Row]:
    rows = []
    window.tabs.setCurrentWidget(window.loss_plot)
    window.apply_session(moons_session(steps=100_000))
    window.save_session(session_path)

    def training() -> bool:
        return window.state == "training" and history_length(window) > 0

    delays, seconds = probe.measure(window.train, training)
    rows.append(Row("Train (a new run)", delays, seconds))
    wait(500)
    delays, seconds = probe.measure(window.reset, lambda: window.state == "idle")
    rows.append(Row("Reset while training", delays, seconds))

    for name, act in (
        ("Open session while training", lambda: window.open_session(session_path)),
        ("New session while training", window.new_session),
    ):
        window.apply_session(moons_session(steps=100_000))
        window.train()
        wait_until(training)
        wait(500)
        delays, seconds = probe.measure(act, lambda: window.state == "idle")
        rows.append(Row(name, delays, seconds))
    return rows


def end_of_run(probe: Probe, window: MainWindow, steps: int = 60) -> Row:
    """From a few steps before the end of a run to the window idle after it: the final full draws."""
    window.tabs.setCurrentWidget(window.loss_plot)
    window.apply_session(moons_session(steps))
    wait(500)
    window.train()
    wait_until(lambda: history_length(window) >= steps - 10)
    delays, seconds = probe.measure(
        lambda: None, lambda: window.state in ("finished", "diverged") and history_length(window) >= steps
    )
    return Row("the end of a run (loss tab, its last full draw)", delays, seconds)


def export_torch_weights(probe: Probe, window: MainWindow, path: Path) -> Row:
    from gui.processes import torch_process

    torch_process.shutdown()  # a cold start: PyTorch is imported (in the child) for this export
    started: list[bool] = []
    delays, seconds = probe.measure(
        lambda: started.append(window.export_weights(path, "torch")),
        lambda: bool(started) and "Exported weights" in window.statusBar().currentMessage(),
    )
    ok = started == [True] and path.is_file()
    return Row("export weights as PyTorch .pt (cold child)", delays, seconds, "written" if ok else "!")


def training_run(probe: Probe, window: MainWindow, steps: int, tab: str) -> tuple[Row, float]:
    window.apply_session(moons_session(steps))
    view = {"loss": window.loss_plot, "graph": window.graph_view, "boundary": window.boundary_view}[tab]
    window.tabs.setCurrentWidget(view)
    if tab == "graph":
        window.graph_view.neurons_combo.setCurrentIndex(1)
    wait(1500)
    delays, seconds = probe.measure(
        window.train,
        lambda: window.state in ("finished", "diverged", "idle") and history_length(window) >= steps,
    )
    rate = history_length(window) / seconds
    return Row(f"train moons {steps} steps, {tab} tab", delays, seconds), rate


def largest_model_changes(probe: Probe, window: MainWindow, lecture_csv: Path) -> list[Row]:
    """Changes that need new fresh weights for the 8 x 256 model (460,000 parameters): its seed, an
    activation, the output activation, an engineered input, a preset or a CSV with other inputs
    or outputs. Each asks for weights nobody made ahead."""
    largest = ModelSpec([256] * 8, ["tanh"] * 8, "tanh", seed=0)
    window.apply_session(Session(moons(100, 0.1, 0), largest, moons_settings(300)))
    window.tabs.setCurrentWidget(window.loss_plot)
    wait(1500)
    model, data = window.model_panel, window.data_panel
    presets = data.preset_combo

    def weights_for(inputs: int, outputs: int, seed: int | None = None) -> Callable[[], bool]:
        def made() -> bool:
            if getattr(window, "weights_pending", False):
                return False  # (current_session() would wait for them)
            weights = window.current_session().weights  # the lecture's 4 or moons' 100 rows: a cheap copy
            return (
                weights.inputs == inputs
                and weights.sizes[-1] == outputs
                and (seed is None or window.model_panel.seed_spin.value() == seed)
            )

        return made

    actions: list[tuple[str, Callable[[], object], Callable[[], bool]]] = [
        ("8 x 256: change the model's seed", lambda: model.seed_spin.setValue(1), weights_for(2, 1, 1)),
        (
            "8 x 256: change layer 1's activation",
            lambda: model.activation_combos[0].setCurrentIndex(model.activation_combos[0].findData("relu")),
            weights_for(2, 1),
        ),
        (
            "8 x 256: change the output activation",
            lambda: model.output_combo.setCurrentIndex(model.output_combo.findData("linear")),
            weights_for(2, 1),
        ),
        (
            "8 x 256: tick an engineered input (x1²)",
            lambda: next(iter(model.extra_inputs_field.boxes.values())).setChecked(True),
            weights_for(3, 1),
        ),
        (
            "8 x 256: preset spiral arms (3 classes: 3 outputs; x1² kept)",
            lambda: presets.setCurrentIndex(presets.findData("arms")),
            weights_for(3, 3),
        ),
        (
            "8 x 256: preset lecture (3 inputs)",
            lambda: presets.setCurrentIndex(presets.findData("lecture")),
            weights_for(3, 1),
        ),
        (
            "8 x 256: preset moons (2 inputs)",
            lambda: presets.setCurrentIndex(presets.findData("moons")),
            weights_for(2, 1),
        ),
        ("8 x 256: import a CSV of 3 inputs", lambda: data.import_csv(lecture_csv), weights_for(3, 1)),
    ]
    rows = []
    for name, act, done in actions:
        delays, seconds = probe.measure(act, done)
        rows.append(Row(name, delays, seconds, "" if done() else "!"))
        wait(300)
    return rows


# ---------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--steps", type=int, default=300, help="training steps of the moons demo")
    parser.add_argument(
        "--only", default="", help=f"comma-separated groups of actions to run, of: {', '.join(ACTION_GROUPS)}"
    )
    args = parser.parse_args()
    only = {name.strip() for name in args.only.split(",") if name.strip()}
    if only - set(ACTION_GROUPS):
        parser.error(f"unknown groups: {', '.join(sorted(only - set(ACTION_GROUPS)))}")
    wanted = only or set(ACTION_GROUPS)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    loop_seconds = float_loop_seconds()
    print(
        f"platform {app.platformName()}; 10M-iteration float loop (module level, CPU, best of 3): {loop_seconds:.2f} s"
        f" (a slow instance: {SLOW_LOOP_S} s, {SLOW_LOOP_S / loop_seconds:.1f}x)"
    )
    probe = Probe()
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp:
        big_csv, small_csv = Path(tmp) / "big.csv", Path(tmp) / "small.csv"
        write_csv(moons(100_000, 0.1, 1), big_csv)
        write_csv(moons(2_000, 0.1, 1), small_csv)
        lecture_csv = Path(tmp) / "three_inputs.csv"
        write_csv(lecture(), lecture_csv)
        window = new_window()
        train_row = boundary_row = None
        rate = boundary_rate = 0.0
        headless: list[float] = []
        if "torch" in wanted:
            rows.append(first_torch_comparison(probe, window))
            rows.append(expression_tab_first_shown(probe, window))
        if "model" in wanted:
            rows.append(typing_largest_model(probe, window))
            rows.append(graph_tab_on_largest(probe, window))
        if "csv" in wanted:
            window.tabs.setCurrentWidget(window.loss_plot)
            rows.append(import_csv(probe, window, big_csv, 100_000))
            rows.append(import_csv(probe, window, small_csv, 2_000))
        if "graph" in wanted:
            rows.extend(lecture_expanded_graph(probe, window))
            rows.extend(expanded_moons_graph(probe, window))
            rows.append(closing_while_dot_runs(probe))
        if "train" in wanted:
            rows.extend(training_actions(probe, window, Path(tmp) / "session.json"))
            rows.append(end_of_run(probe, window))
        if "pt" in wanted:
            rows.append(export_torch_weights(probe, window, Path(tmp) / "weights.pt"))
        if "large" in wanted:
            rows.extend(largest_model_changes(probe, window, lecture_csv))
        if "run" in wanted:
            headless.append(headless_steps_per_second(args.steps))
            graph_row, _ = training_run(probe, window, 50, "graph")
            rows.append(graph_row)
            train_row, rate = training_run(probe, window, args.steps, "loss")
            headless.append(headless_steps_per_second(args.steps))
            rows.append(train_row)
            boundary_row, boundary_rate = training_run(probe, window, args.steps, "boundary")
            headless.append(headless_steps_per_second(args.steps))
            rows.append(boundary_row)
        if "files" in wanted:
            rows.extend(big_files.big_file_actions(probe, window, Path(tmp), moons_session()))
        window.close()

    width = max(len(r.action) for r in rows)
    slow = SLOW_LOOP_S / loop_seconds
    print(f"\n{'action':{width}s}  worst ms  p99 ms  cpu ms  slow ms  done s  note")
    for r in rows:
        flag = "" if r.worst <= GOAL_MS and r.cpu_worst * slow <= GOAL_MS else "  > 100 ms"
        print(
            f"{r.action:{width}s}  {r.worst:8.0f}  {r.p99:6.0f}  {r.cpu_worst:6.0f}  {r.cpu_worst * slow:7.0f}  "
            f"{r.seconds:6.2f}  {r.note}{flag}"
        )
    if headless:
        speed = statistics.median(headless)
        for tab, row, tab_rate in (("loss", train_row, rate), ("boundary", boundary_row, boundary_rate)):
            print(
                f"training moons {args.steps} steps in the window, {tab} tab: {tab_rate:.1f} steps/s = "
                f"{tab_rate / speed:.0%} of headless ({speed:.1f} steps/s, median of {len(headless)}, in a "
                f"fresh interpreter); event-loop delay p99 {row.p99:.0f} ms, max {row.worst:.0f} ms"
            )
    actions = [r for r in rows if not r.action.startswith("train moons")]
    worst = max(actions, key=lambda r: r.worst)
    print(f"worst user action: {worst.action.strip()} {worst.worst:.0f} ms (goal: <= {GOAL_MS} ms)")
    heaviest = max(actions, key=lambda r: r.cpu_worst)
    print(
        f"most GUI-thread CPU in one block: {heaviest.action.strip()} {heaviest.cpu_worst:.0f} ms here, about "
        f"{heaviest.cpu_worst * slow:.0f} ms on the slow instance (x{slow:.1f} by the float loop)"
    )


if __name__ == "__main__":
    main()
