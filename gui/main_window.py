"""The main window: data, model and training panels on the left, views on the right.

The window holds the user's current choices (a Dataset copy, a ModelSpec,
TrainSettings) and a `TrainController`, which owns the one training state.
Training runs in the controller's child process; what comes back (step results
and weight copies) feeds the loss plot, the decision boundary and the status bar.
"""

from __future__ import annotations

import math
import re
import time
import weakref
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Slot
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QFileDialog,
    QGroupBox,
    QLabel,
    QMainWindow,
    QMessageBox,
    QScrollArea,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from engine import weights as weights_io
from engine.data import Dataset, lecture, moons
from engine.session import Session, load_session, save_session
from engine.spec import ModelSpec
from engine.train import StepResult, TrainSettings
from engine.weights import ModelWeights
from gui.boundary_view import BoundaryView
from gui.data_panel import MAX_PANEL_SAMPLES, DataPanel
from gui.expression_view import ExpressionView
from gui.graph_view import GraphView
from gui.input_checks import describe_file_error
from gui.loss_plot import LossPlot
from gui.model_panel import ModelPanel
from gui.torch_process import TorchExport
from gui.train_process import TrainJob
from gui.train_worker import TrainController
from gui.training_panel import TrainingPanel

# Views redraw only when visible, and no more often than keeps their measured cost
# under VIEW_BUDGET of the wall clock (and never more than MAX_VIEW_RATE times a
# second): fast machines get smooth plots, slow ones keep time for the user's clicks.
VIEW_BUDGET = 0.1
MAX_VIEW_RATE = 4.0
MAX_ERROR_CHARS = 2000  # longer messages are cut (with "…") so that the dialog fits on the screen


def _moons_demo(**changes) -> Session:
    """micrograd's demo: moons, MLP 2-16-16-1 (ReLU, linear output), hinge loss + 1e-4 L2."""
    settings = TrainSettings(learning_rate=0.1, steps=100, loss="hinge", l2=1e-4)
    for name, value in changes.items():
        setattr(settings, name, value)
    return Session(moons(100, 0.1, 0), ModelSpec([16, 16], ["relu", "relu"], "linear"), settings)


def _lecture(**changes) -> Session:
    settings = TrainSettings(steps=60)
    for name, value in changes.items():
        setattr(settings, name, value)
    return Session(lecture(), ModelSpec(), settings)


# One click each: the runs to train in turn, laid over each other on the loss plot.
LESSONS: list[tuple[str, list]] = [
    ("The lecture's example: MLP(3, [4, 4, 1]) on four samples", [lambda: _lecture(steps=100)]),
    (
        "Forgetting zero_grad: the same run with and without it",
        [
            lambda: _moons_demo(),
            lambda: _moons_demo(zero_grad=False),
        ],
    ),
    (
        "A learning rate that overshoots: 0.05 and then 1.0",
        [
            lambda: _lecture(learning_rate=0.05),
            lambda: _lecture(learning_rate=1.0),
        ],
    ),
    (
        "micrograd's moons demo, with its decaying learning rate",
        [
            lambda: _moons_demo(learning_rate=1.0, decay=True),
        ],
    ),
]


class MainWindow(QMainWindow):
    def __init__(self) -> None:
        super().__init__()
        self.setWindowTitle("micrograd-studio")
        self.resize(1280, 820)

        self._dataset: Dataset = lecture()
        self._spec = ModelSpec()
        self._settings = TrainSettings()
        self._start_weights: ModelWeights | None = None  # imported or opened weights to train from
        self._weights: ModelWeights = self._fresh_weights()  # what the views show and exports write
        self._history: list[StepResult] = []
        self.last_error = ""
        self.last_message = ""
        self._steps_per_second = 0.0
        self._unplotted: list[StepResult] = []  # results the loss plot has not drawn yet
        self._boundary_stale = False
        self._graph_stale = True
        self._lesson_queue: list[Session] = []  # runs of a lesson still to train, in turn
        self._last_view_refresh = 0.0
        self._view_cost = 0.0  # seconds the last redraw took, from request to finished draw
        self._view_refresh_started: float | None = None

        self.controller = TrainController(self)
        self.controller.progressed.connect(self._on_controller_progressed)
        self.controller.state_changed.connect(self._on_controller_state_changed)
        self.controller.failed.connect(self._on_controller_failed)
        self.controller.engine_changed.connect(self._on_controller_engine_changed)
        self.engine_details = ""  # what compiling made of the step (Train ▸ Compiled program…)

        self._build_panels()
        self._build_menus()
        self._build_status_bar()
        self._view_timer = QTimer(self, singleShot=True)
        self._view_timer.timeout.connect(self._refresh_views)
        for canvas in (self.loss_plot.canvas, self.boundary_view.canvas):
            canvas.mpl_connect("draw_event", self._on_view_drawn)
        self._show_dataset()
        self._show_state()

    # ---- layout

    def _build_panels(self) -> None:
        self.data_panel = DataPanel()
        self.model_panel = ModelPanel()
        self.training_panel = TrainingPanel()
        self.data_panel.set_dataset(self._dataset)
        self.model_panel.set_spec(self._spec)
        self.model_panel.set_n_inputs(self._dataset.n_inputs)
        self.training_panel.set_settings(self._settings)

        column = QWidget()
        column_layout = QVBoxLayout(column)
        column_layout.setContentsMargins(6, 6, 6, 6)
        for title, panel in (
            ("Data", self.data_panel),
            ("Model", self.model_panel),
            ("Training", self.training_panel),
        ):
            box = QGroupBox(title)
            QVBoxLayout(box).addWidget(panel)
            column_layout.addWidget(box)
        column_layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidget(column)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        scroll.setMinimumWidth(360)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(scroll, 1)
        pinned = QWidget()  # Train / Pause / Step / Reset stay in view however the settings scroll
        pinned_layout = QVBoxLayout(pinned)
        pinned_layout.setContentsMargins(14, 4, 14, 6)
        pinned_layout.addWidget(self.training_panel.controls)
        left_layout.addWidget(pinned)

        self.loss_plot = LossPlot()
        self.boundary_view = BoundaryView()
        self.graph_view = GraphView()
        self.tabs = QTabWidget()
        self.tabs.addTab(self.loss_plot, "Loss")
        self.tabs.addTab(self.boundary_view, "Decision boundary")
        self.tabs.addTab(self.graph_view, "Computation graph")
        self.expression_view = ExpressionView()
        self.tabs.addTab(self.expression_view, "Expression")
        self.tabs.currentChanged.connect(_weakly(self._refresh_views))

        splitter = QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(self.tabs)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([380, 900])
        self.setCentralWidget(splitter)

        self.data_panel.dataset_changed.connect(self._on_data_panel_dataset_changed)
        self.data_panel.file_failed.connect(self.show_error)
        self.model_panel.spec_changed.connect(self._on_model_panel_spec_changed)
        self.model_panel.validity_changed.connect(self._on_model_panel_validity_changed)
        self.training_panel.settings_changed.connect(self._on_training_panel_settings_changed)
        self.training_panel.train_requested.connect(self.train)
        self.training_panel.pause_requested.connect(self.pause)
        self.training_panel.step_requested.connect(self.step)
        self.training_panel.reset_requested.connect(self._on_training_panel_reset_requested)
        self.boundary_view.point_added.connect(self.data_panel.add_point)
        self.boundary_view.point_removed.connect(self.data_panel.remove_point)
        self.boundary_view.point_picked.connect(self.show_sample_graph)
        self.data_panel.table.itemSelectionChanged.connect(self._on_data_table_selection_changed)

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self._add_action(file_menu, "&New session", self.new_session, QKeySequence.New)
        self._add_action(file_menu, "&Open session…", self._open_session_dialog, QKeySequence.Open)
        self._add_action(file_menu, "&Save session…", self._save_session_dialog, QKeySequence.Save)
        file_menu.addSeparator()
        self._add_action(file_menu, "Import dataset CSV…", self._import_csv_dialog)
        self._add_action(file_menu, "Export dataset CSV…", self._export_csv_dialog)
        file_menu.addSeparator()
        export_menu = file_menu.addMenu("Export weights")
        self._add_action(export_menu, "JSON (.json)…", _weakly(self._export_weights_dialog, "json"))
        self._add_action(export_menu, "NumPy (.npz)…", _weakly(self._export_weights_dialog, "npz"))
        self.torch_export_action = self._add_action(
            export_menu, "PyTorch state_dict (.pt)…", _weakly(self._export_weights_dialog, "torch")
        )
        available, why = weights_io.torch_available()
        if not available:
            self.torch_export_action.setEnabled(False)
            self.torch_export_action.setText(f"PyTorch state_dict (.pt): off, {why}")
        self._add_action(file_menu, "Import weights…", self._import_weights_dialog)
        file_menu.addSeparator()
        self._add_action(file_menu, "Export loss history CSV…", self._export_loss_csv_dialog)
        self._add_action(file_menu, "Export loss plot PNG…", self._export_loss_png_dialog)
        self._add_action(file_menu, "Export computation graph SVG…", self._export_graph_dialog)
        file_menu.addSeparator()
        self._add_action(file_menu, "&Quit", self.close, QKeySequence.Quit)

        train_menu = self.menuBar().addMenu("&Train")
        self._add_action(train_menu, "Train / Pause\tSpace", self.toggle_training)
        self._add_action(train_menu, "Step", self.step, QKeySequence("Ctrl+Right"))
        self._add_action(train_menu, "Reset", self._on_training_panel_reset_requested, QKeySequence("Ctrl+R"))
        train_menu.addSeparator()
        self._add_action(train_menu, "Compiled program…", self._show_engine_details)
        # Space as a window shortcut: a focused text field still gets its own spaces.
        QShortcut(QKeySequence(Qt.Key_Space), self, self.toggle_training)

        lessons_menu = self.menuBar().addMenu("&Lessons")
        for index, (title, _runs) in enumerate(LESSONS):
            self._add_action(lessons_menu, title, _weakly(self.play_lesson, index))

        help_menu = self.menuBar().addMenu("&Help")
        self._add_action(help_menu, "About micrograd-studio", self._about)

    def _add_action(self, menu, text: str, slot, shortcut=None) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(shortcut)
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.state_label = QLabel()
        self.step_label = QLabel()
        self.loss_label = QLabel()
        self.accuracy_label = QLabel()
        self.rate_label = QLabel()
        self.engine_label = QLabel("plain engine")
        self.engine_label.setToolTip("Which engine runs the training steps (Training ▸ Compiled)")
        for label in (
            self.engine_label,
            self.step_label,
            self.loss_label,
            self.accuracy_label,
            self.rate_label,
            self.state_label,
        ):
            label.setContentsMargins(8, 0, 8, 0)
            bar.addPermanentWidget(label)
        self._update_status()

    # ---- training commands (each returns at once; the state changes when the trainer reports)

    @property
    def state(self) -> str:
        """idle, training, paused, finished or diverged: the controller's, never a copy."""
        return self.controller.state

    @Slot()
    def train(self) -> None:
        """Start a run (or resume a paused one)."""
        if self.state in ("finished", "diverged") or self._train_blocked():
            return  # Reset (or more steps) first
        if not self.controller.has_run and not self._start_run():
            return
        self.controller.resume()

    def _train_blocked(self) -> bool:
        """A field holds text that cannot be used (Space and menus, too, must not train on another value)."""
        self.model_panel.commit_pending()  # layer sizes typed a moment ago count (they may ask to reset)
        reason = self.training_panel.train_blocked_reason()
        if reason:
            self.statusBar().showMessage(reason, 5000)
        return bool(reason)

    @Slot()
    def pause(self) -> None:
        self.controller.pause()

    @Slot()
    def toggle_training(self) -> None:
        if self.state == "training":
            self.pause()
        else:
            self.train()

    @Slot()
    def step(self) -> None:
        """One step of gradient descent, then pause."""
        if self.state in ("finished", "diverged") or self._train_blocked():
            return
        if not self.controller.has_run and not self._start_run():
            return
        self.controller.step()

    @Slot()
    def reset(self) -> None:
        """Forget the run: fresh weights from the model's seed (or the imported ones)."""
        self.controller.reset()
        self._history = []  # the curve stays; the next run's start_run() fades it
        self._weights = self._start_weights or self._fresh_weights()
        self._refresh_boundary()
        self._mark_graph_stale()

    @Slot()
    def _on_training_panel_reset_requested(self) -> None:
        self._lesson_queue = []  # the user takes over from a lesson
        self.reset()

    def _start_run(self) -> bool:
        spec = self.model_panel.spec()
        if spec is None:
            self.show_error("Model", "Fix the model's layer sizes first.")
            return False
        job = TrainJob(spec, self._dataset.copy(), self._settings, self._start_weights)
        problem = job.problem()
        if problem:
            self.show_error("Cannot train", problem)
            return False
        self._history = []
        self._unplotted = []
        self.loss_plot.start_run(self._run_label(), total_steps=self._settings.steps)
        self.controller.start(job)
        return True

    def _run_label(self) -> str:
        s = self._settings
        label = f"lr {s.learning_rate:g} · zero_grad {'on' if s.zero_grad else 'OFF'} · {s.loss}"
        if s.l2:
            label += f" · L2 {s.l2:g}"
        return f"{label} · {self._spec.describe(self._dataset.n_inputs).split(' (')[0]}"

    # ---- what the worker sends back

    @Slot(list, object, float)
    def _on_controller_progressed(
        self, results: list, weights: ModelWeights, steps_per_second: float
    ) -> None:
        self._history.extend(results)
        self._unplotted.extend(results)
        self._weights = weights
        self._boundary_stale = True
        self._graph_stale = True
        self._steps_per_second = steps_per_second
        self.training_panel.set_progress(results[-1].step, self._settings.steps)
        self._update_status()
        self._schedule_views()

    @Slot(str, str)
    def _on_controller_engine_changed(self, line: str, details: str) -> None:
        self.engine_label.setText(line)
        self.engine_details = details
        if details and line == "plain engine":
            self.statusBar().showMessage(details, 10000)  # why compiled mode is not in use

    def _show_engine_details(self) -> None:
        text = self.engine_details or (
            "Turn on Training ▸ Compiled and train: this shows how the scalar graph of one step "
            "was grouped into array operations."
        )
        box = QMessageBox(
            QMessageBox.Icon.Information, "Compiled program", text, QMessageBox.StandardButton.Ok, self
        )
        box.setStyleSheet("QLabel { font-family: 'DejaVu Sans Mono', monospace; }")
        box.setAttribute(Qt.WA_DeleteOnClose)
        box.open()

    @Slot(str, str)
    def _on_controller_state_changed(self, state: str, message: str) -> None:
        self._show_state()
        if state in ("idle", "training"):
            return
        self._flush_views()
        if state in ("finished", "diverged") and self._lesson_queue:
            QTimer.singleShot(300, self._next_lesson_run)  # the next run of the lesson, over this one
        if state == "diverged":
            self.show_error("Training diverged", message)
        elif message:
            self.statusBar().showMessage(message, 5000)
        self.last_message = message

    @Slot(str)
    def _on_controller_failed(self, message: str) -> None:
        self._lesson_queue = []
        self._flush_views()
        self.show_error("Training stopped", message)

    # ---- user changes to data, model and settings

    @Slot(object)
    def _on_data_panel_dataset_changed(self, dataset: Dataset) -> None:
        if not self._confirm_reset("Changing the data starts training over. Reset now?"):
            self.data_panel.set_dataset(self._dataset)
            return
        self._dataset = dataset
        if self._start_weights is not None and self._start_weights.inputs != dataset.n_inputs:
            self._start_weights = None
        self.model_panel.set_n_inputs(dataset.n_inputs)
        self.boundary_view.set_dataset(dataset, refresh_output=False)
        self.reset()  # fresh weights for the new data: the boundary (in a thread) and the graph follow

    @Slot(object)
    def _on_model_panel_spec_changed(self, spec: ModelSpec) -> None:
        if not self._confirm_reset("Changing the model starts training over with new weights. Reset now?"):
            self.model_panel.set_spec(self._spec)
            return
        self._spec = spec
        self._start_weights = None
        self.reset()

    @Slot(bool)
    def _on_model_panel_validity_changed(self, valid: bool) -> None:
        self.training_panel.set_train_enabled(valid, "" if valid else "Fix the model's layer sizes first")

    @Slot(object)
    def _on_training_panel_settings_changed(self, settings: TrainSettings) -> None:
        loss_changed = settings.loss != self._settings.loss
        self._settings = settings
        if loss_changed:
            self._mark_graph_stale()
        # Applies from the next step; a finished run given more steps reports itself paused.
        self.controller.update_settings(settings)
        self._update_status()

    def _confirm_reset(self, question: str) -> bool:
        """Ask before a change that ends the run; training pauses while the user reads."""
        self._lesson_queue = []  # the user takes over from a lesson
        if not self.controller.has_run:
            return True
        was_training = self.state == "training"
        if was_training:
            self.controller.pause()
        ok = self.confirm("Reset training?", question)
        if not ok and was_training:
            # The pause and this resume reach the trainer in order, whether or not
            # it has paused yet: it ends up training, as it was.
            self.controller.resume()
        return ok

    def confirm(self, title: str, question: str) -> bool:
        """Ask yes/no (tests replace this)."""
        return QMessageBox.question(self, title, question) == QMessageBox.StandardButton.Yes

    def show_error(self, title: str, message: str) -> None:
        """Say what went wrong, whole, in a dialog (window-modal: it does not block the event loop).

        The status bar keeps a copy while the dialog is up, shortened with "…" where it does not fit.
        """
        if len(message) > MAX_ERROR_CHARS:  # a hostile file must not make a dialog taller than the screen
            message = message[: MAX_ERROR_CHARS - 1] + "…"
        self.last_error = message
        bar = self.statusBar()
        room = max(bar.width() // 2, 200)  # the permanent labels on the right take the rest
        bar.showMessage(bar.fontMetrics().elidedText(message, Qt.TextElideMode.ElideRight, room), 10000)
        shown = _breakable(message)
        box = QMessageBox(QMessageBox.Icon.Warning, title, shown, QMessageBox.StandardButton.Ok, self)
        box.setTextFormat(Qt.TextFormat.PlainText)  # a file name like "<b>.json" is shown as it is
        box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        box.setAttribute(Qt.WA_DeleteOnClose)
        box.open()

    # ---- state and views

    def _show_state(self) -> None:
        """Bring the panel's buttons and the status bar in line with the controller's state."""
        self.training_panel.set_state(self.state)
        if self.state == "idle":
            self.training_panel.set_progress(0, self._settings.steps)
        self._update_status()

    def _update_status(self) -> None:
        last = self._history[-1] if self._history else None
        self.state_label.setText(f"<b>{self.state.capitalize()}</b>")
        self.step_label.setText(f"step {last.step if last else 0} / {self._settings.steps}")
        self.loss_label.setText(f"loss {last.loss:.5g}" if last else "loss —")
        acc = last.accuracy if last else None
        self.accuracy_label.setText(f"accuracy {acc:.0%}" if acc is not None else "accuracy —")
        rate = self._steps_per_second
        self.rate_label.setText(f"{rate:.0f} steps/s" if rate and math.isfinite(rate) else "— steps/s")

    def _show_dataset(self) -> None:
        self.boundary_view.set_dataset(self._dataset, refresh_output=False)  # _refresh_boundary follows
        self._weights = self._start_weights or self._fresh_weights()
        self._refresh_boundary()
        self._mark_graph_stale()

    def _mark_graph_stale(self) -> None:
        self._graph_stale = True
        if self.tabs.currentWidget() is self.graph_view:
            self._refresh_graph()

    def _fresh_weights(self) -> ModelWeights:
        return self._spec.fresh_weights(self._dataset.n_inputs)  # the numbers only: no network of Values

    def _schedule_views(self) -> None:
        if self._view_timer.isActive():
            return
        interval = max(1.0 / MAX_VIEW_RATE, self._view_cost / VIEW_BUDGET)
        wait = interval - (time.perf_counter() - self._last_view_refresh)
        self._view_timer.start(max(0, int(wait * 1000)))

    def _refresh_views(self) -> None:
        """Bring the visible view up to date (hidden ones catch up when shown)."""
        self._last_view_refresh = time.perf_counter()
        shown = self.tabs.currentWidget()
        if shown is self.loss_plot and self._unplotted:
            self._begin_redraw()
            self.loss_plot.add_results(self._unplotted)
            self._unplotted = []
        elif shown is self.boundary_view and self._boundary_stale:
            self._begin_redraw()
            self._refresh_boundary()
        elif shown is self.graph_view and self._graph_stale:
            self._refresh_graph()

    def _begin_redraw(self) -> None:
        self._view_refresh_started = time.perf_counter()  # the cost is measured in _on_view_drawn

    def _flush_views(self) -> None:
        """Everything drawn, visible or not: training has stopped, so redraws are free."""
        if self._unplotted:
            self.loss_plot.add_results(self._unplotted)
            self._unplotted = []
        self._refresh_boundary()
        self._graph_stale = True
        if self.tabs.currentWidget() is self.graph_view:
            self._refresh_graph()

    def _on_view_drawn(self, _event: object) -> None:
        if self._view_refresh_started is not None:
            self._view_cost = time.perf_counter() - self._view_refresh_started
            self._view_refresh_started = None

    def _refresh_graph(self) -> None:
        """Redraw the graph with the current weights (numbers only, unless the network changed)."""
        if self.graph_view.stepping:
            return  # a learner is stepping through backprop: leave their numbers alone
        self._graph_stale = False
        self.graph_view.set_model(self._weights, self._dataset, self._settings.loss)

    @Slot(int)
    def show_sample_graph(self, index: int) -> None:
        """Draw the computation graph of sample `index` (picked on the plot or in the table)."""
        if self._graph_stale or self.graph_view.current_graph() is None:
            self._refresh_graph()
        self.graph_view.set_sample(index)
        self.tabs.setCurrentWidget(self.graph_view)

    @Slot()
    def _on_data_table_selection_changed(self) -> None:
        rows = {i.row() for i in self.data_panel.table.selectedIndexes()}
        if len(rows) == 1 and self.tabs.currentWidget() is self.graph_view:
            self.graph_view.set_sample(rows.pop())

    def _refresh_boundary(self) -> None:
        self._boundary_stale = False
        self._graph_stale = True
        if self._dataset.n_inputs != 2:
            return
        threshold = 0.5 if self._spec.output_activation == "sigmoid" else 0.0
        # In a thread: a large network's grid takes seconds, and even the demo's picture would
        # hold the window for tens of milliseconds at every refresh while training.
        self.boundary_view.set_weights(self._weights, threshold, background=True)

    # ---- files (each method returns whether it worked; dialogs only pick paths)

    def current_session(self) -> Session:
        return Session(self._dataset.copy(), self._spec, self._settings, self._weights, list(self._history))

    # Every file action catches Exception, not only the errors its reader or writer
    # means to raise: a hostile file may make them raise anything (RecursionError,
    # MemoryError, UnicodeDecodeError...), and none of it may reach Qt as a traceback.
    # The message goes to show_error, whole, and what the window had stays as it was.

    def _file_failed(self, title: str, could_not: str, path: str | Path, exc: BaseException) -> None:
        """Show "Could not open bad.json: <why, in words>" (`could_not` is "Could not open")."""
        self.show_error(title, f"{could_not} {Path(path).name}: {describe_file_error(exc)}")

    def save_session(self, path: str | Path) -> bool:
        try:
            save_session(self.current_session(), path)
        except Exception as exc:
            self._file_failed("Save session", "Could not save", path, exc)
            return False
        self.statusBar().showMessage(f"Saved session to {path}", 5000)
        return True

    def open_session(self, path: str | Path) -> bool:
        name = Path(path).name
        try:
            session = load_session(path)
            problem = self.session_problem(session)
        except Exception as exc:
            self._file_failed("Open session", "Could not open", path, exc)
            return False
        if problem:
            self.show_error("Open session", f"Could not open {name}: {problem}")
            return False
        if not self._confirm_reset(f"Opening {name} ends the current training run. Open it?"):
            return False
        if not self.apply_session(session, f"saved run ({name})"):
            return False
        self.statusBar().showMessage(f"Opened {name}", 5000)
        return True

    def session_problem(self, session: Session) -> str:
        """Why the window cannot show `session` exactly as it is, or "" (changes nothing)."""
        dataset, spec = session.dataset, session.model
        try:
            dataset.validate()
            if len(dataset) > MAX_PANEL_SAMPLES:
                return (
                    f"its data has {len(dataset)} samples; the Data panel holds at most {MAX_PANEL_SAMPLES}"
                )
            problem = self.model_panel.spec_problem(spec) or self.training_panel.settings_problem(
                session.training
            )
        except Exception as exc:  # DataError, SpecError, or what a hand-made session's odd types raise
            return describe_file_error(exc)
        if problem or session.weights is None:
            return problem
        return _architecture_problem(session.weights, spec, dataset.n_inputs)

    def apply_session(self, session: Session, history_label: str = "saved run") -> bool:
        """Show a session's data, model, settings and weights, ready to train from them.

        A session the panels cannot show exactly (a learning rate outside its field's range,
        say) changes nothing: the window says why and returns False.
        """
        if problem := self.session_problem(session):
            self.show_error("Open session", f"Could not use this session: {problem}")
            return False
        self.controller.reset()
        self._dataset, self._spec, self._settings = session.dataset, session.model, session.training
        self.data_panel.set_dataset(session.dataset)
        self.model_panel.set_spec(session.model)
        self.model_panel.set_n_inputs(session.dataset.n_inputs)
        self.training_panel.set_settings(session.training)
        self._start_weights = session.weights
        self._history = []
        if session.history:
            self.loss_plot.start_run(history_label, total_steps=session.history[-1].step)
            self.loss_plot.add_results(session.history)
        self._show_dataset()
        self._show_state()  # the progress bar counts to the session's steps, not the old ones
        return True

    def new_session(self) -> bool:
        """Back to the lecture's example, with no runs on the plot (asks first while a run exists)."""
        if not self._confirm_reset("A new session ends the current training run. Start over?"):
            return False
        self.apply_session(Session(lecture(), ModelSpec(), TrainSettings()))
        self.loss_plot.clear_earlier_runs()
        self.loss_plot.reset_current()
        return True

    def export_weights(self, path: str | Path, fmt: str) -> bool:
        s = self._settings
        weights = ModelWeights(
            self._weights.inputs,
            self._weights.layers,
            {
                "steps_trained": len(self._history),
                "final_loss": self._history[-1].loss if self._history else None,
                "loss": s.loss,
                "learning_rate": s.learning_rate,
                "dataset": self._dataset.name,
            },
        )
        if fmt == "torch":
            return self._export_torch_weights(weights, path)
        savers = {"json": weights_io.save_json, "npz": weights_io.save_npz}
        try:
            savers[fmt](weights, path)
        except Exception as exc:
            self._file_failed("Export weights", "Could not export to", path, exc)
            return False
        self.statusBar().showMessage(f"Exported weights to {path}", 5000)
        return True

    def _export_torch_weights(self, weights: ModelWeights, path: str | Path) -> bool:
        """Saved by the PyTorch child: importing torch here would freeze the window for seconds.
        True once started; the outcome is shown when the file is written (or is not)."""
        try:
            export = TorchExport(weights, path, self)
        except ImportError as exc:  # PyTorch missing: its own message says what to install
            self.show_error("Export weights", f"Could not export to {Path(path).name}: {exc}")
            return False
        except Exception as exc:
            self._file_failed("Export weights", "Could not export to", path, exc)
            return False
        export.finished.connect(self._on_torch_export_finished)
        self.statusBar().showMessage(f"Exporting weights to {path}…")
        return True

    @Slot(str, str)
    def _on_torch_export_finished(self, path: str, problem: str) -> None:
        if problem:
            self.show_error("Export weights", f"Could not export to {Path(path).name}: {problem}")
        else:
            self.statusBar().showMessage(f"Exported weights to {path}", 5000)

    def import_weights(self, path: str | Path) -> bool:
        """Load weights to train from; a file for another network changes nothing."""
        try:
            loaded = weights_io.load_npz(path) if str(path).endswith(".npz") else weights_io.load_json(path)
            spec = self.model_panel.spec() or self._spec
            problem = loaded.matches(spec.build(self._dataset.n_inputs))
        except Exception as exc:
            self._file_failed("Import weights", "Could not import", path, exc)
            return False
        if problem:
            self.show_error(
                "Import weights",
                f"{Path(path).name} is for another network: {problem}. "
                "Set the model to match it (or export weights from this one).",
            )
            return False
        if not self._confirm_reset("Importing weights starts training over from them. Reset now?"):
            return False
        self._start_weights = loaded
        self.reset()
        self.statusBar().showMessage(f"Imported weights from {Path(path).name}", 5000)
        return True

    def _file_dialog(self, save: bool, title: str, name_filter: str, suffix: str) -> str:
        if save:
            path, _ = QFileDialog.getSaveFileName(self, title, "", name_filter)
            if path and not Path(path).suffix:
                path += suffix
        else:
            path, _ = QFileDialog.getOpenFileName(self, title, "", name_filter)
        return path

    def _open_session_dialog(self) -> None:
        if path := self._file_dialog(False, "Open session", "Sessions (*.json);;All files (*)", ".json"):
            self.open_session(path)

    def _save_session_dialog(self) -> None:
        if path := self._file_dialog(True, "Save session", "Sessions (*.json)", ".json"):
            self.save_session(path)

    def import_csv(self, path: str | Path) -> bool:
        """Load the dataset from a CSV file (a bad one reaches show_error through `file_failed`)."""
        return self.data_panel.import_csv(path)

    def export_csv(self, path: str | Path) -> bool:
        return self.data_panel.export_csv(path)

    def export_loss_csv(self, path: str | Path) -> bool:
        try:
            self.loss_plot.export_csv(path)
        except Exception as exc:
            self._file_failed("Export loss history", "Could not export to", path, exc)
            return False
        self.statusBar().showMessage(f"Exported the loss history to {path}", 5000)
        return True

    def export_loss_png(self, path: str | Path) -> bool:
        try:
            self.loss_plot.export_png(path)
        except Exception as exc:
            self._file_failed("Export loss plot", "Could not export to", path, exc)
            return False
        self.statusBar().showMessage(f"Exported the loss plot to {path}", 5000)
        return True

    def export_graph(self, path: str | Path) -> bool:
        """Write the computation graph as shown: .svg, .png or .dot, by the file's suffix."""
        try:
            self.graph_view.export(str(path))
        except Exception as exc:
            self._file_failed("Export graph", "Could not export to", path, exc)
            return False
        self.statusBar().showMessage(f"Exported the graph to {path}", 5000)
        return True

    def _import_csv_dialog(self) -> None:
        if path := self._file_dialog(False, "Import dataset", "CSV files (*.csv);;All files (*)", ".csv"):
            self.import_csv(path)

    def _export_csv_dialog(self) -> None:
        if path := self._file_dialog(True, "Export dataset", "CSV files (*.csv)", ".csv"):
            self.export_csv(path)

    def _export_weights_dialog(self, fmt: str) -> None:
        name_filter, suffix = {
            "json": ("Weights JSON (*.json)", ".json"),
            "npz": ("NumPy archive (*.npz)", ".npz"),
            "torch": ("PyTorch state_dict (*.pt)", ".pt"),
        }[fmt]
        if path := self._file_dialog(True, "Export weights", name_filter, suffix):
            self.export_weights(path, fmt)

    def _import_weights_dialog(self) -> None:
        name_filter = "Weights (*.json *.npz);;All files (*)"
        if path := self._file_dialog(False, "Import weights", name_filter, ".json"):
            self.import_weights(path)

    def _export_loss_csv_dialog(self) -> None:
        if path := self._file_dialog(True, "Export loss history", "CSV files (*.csv)", ".csv"):
            self.export_loss_csv(path)

    def _export_loss_png_dialog(self) -> None:
        if path := self._file_dialog(True, "Export loss plot", "PNG images (*.png)", ".png"):
            self.export_loss_png(path)

    def play_lesson(self, index: int) -> None:
        """Set up and train a lesson's runs one after another (see LESSONS)."""
        title, runs = LESSONS[index]
        sessions = [make() for make in runs]
        self.controller.reset()
        self.loss_plot.clear_earlier_runs()
        self.loss_plot.reset_current()
        one_2d_run = len(sessions) == 1 and sessions[0].dataset.n_inputs == 2
        self.tabs.setCurrentWidget(self.boundary_view if one_2d_run else self.loss_plot)
        self._lesson_queue = sessions
        self.statusBar().showMessage(f"Lesson: {title}", 8000)
        self._next_lesson_run()

    def _next_lesson_run(self) -> None:
        if not self._lesson_queue:
            return
        self.apply_session(self._lesson_queue.pop(0))
        self.train()

    def _export_graph_dialog(self) -> None:
        self._refresh_graph()  # the graph of the current weights, even if its tab was never opened
        self.tabs.setCurrentWidget(self.graph_view)
        name_filter = "SVG image (*.svg);;PNG image (*.png);;Graphviz DOT (*.dot)"
        if path := self._file_dialog(True, "Export computation graph", name_filter, ".svg"):
            self.export_graph(path)

    def _about(self) -> None:
        QMessageBox.about(
            self,
            "About micrograd-studio",
            "<b>micrograd-studio</b><p>Build a tiny neural network, train it live on a scalar "
            "autograd engine, and look inside every number while it learns: the lecture "
            "“building micrograd”, made clickable.</p>",
        )

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt's name)
        self.controller.shutdown()
        self.graph_view.shutdown()
        self.expression_view.shutdown()
        super().closeEvent(event)


def _architecture_problem(weights: ModelWeights, spec: ModelSpec, n_inputs: int) -> str:
    """What differs between `weights` and the network `spec` builds, or "" (without building it)."""
    if weights.inputs != n_inputs:
        return f"its weights take {weights.inputs} inputs, its data has {n_inputs}"
    sizes, activations = [*spec.hidden_sizes, 1], spec.activations
    if len(weights.layers) != len(sizes):
        return f"its weights have {len(weights.layers)} layers, its model {len(sizes)}"
    for i, (layer, size, activation) in enumerate(zip(weights.layers, sizes, activations), 1):
        if len(layer.bias) != size or layer.activation != activation:
            return f"layer {i} of its weights does not match its model"
    return ""


def _breakable(message: str, longest: int = 60) -> str:
    """`message` with a zero-width space every `longest` characters of a word that long.

    A dialog wraps only between words: a long file name without spaces would be cut off.
    """
    words = re.split(r"(\s+)", message)
    return "".join(
        "\u200b".join(word[i : i + longest] for i in range(0, len(word), longest))
        if len(word) > longest
        else word
        for word in words
    )


def _weakly(method, *args):
    """A slot that calls `method(*args)` without keeping its window alive: Qt holds a lambda
    strongly, so a window whose menus held `lambda: self...` could never be freed (nor its
    training process ended) until the app quit."""
    ref = weakref.WeakMethod(method)

    def slot(*_ignored: object) -> None:
        bound = ref()
        if bound is not None:
            bound(*args)

    return slot
