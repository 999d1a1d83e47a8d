"""The main window: data, model and training panels on the left, views on the right.

The window holds the user's current choices (a Dataset copy, a ModelSpec,
TrainSettings) and a `TrainController`, which owns the one training state.
Training runs in the controller's child process; what comes back (step results
and weight copies) feeds the loss plot, the decision boundary and the status bar.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from PySide6.QtCore import Qt, QTimer, Slot
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QMainWindow,
    QMessageBox,
    QSplitter,
    QTabWidget,
)

from engine.data import Dataset, lecture
from engine.diagnostics import Breakdown
from engine.lessons import LESSONS
from engine.run_state import RunState
from engine.session import Session
from engine.settings import TrainSettings
from engine.spec import ModelSpec
from engine.split import TestSplit
from engine.train import StepResult
from engine.weights import ModelWeights
from gui.panels.data_panel import DataPanel
from gui.panels.fresh_weights import FRESH_WEIGHTS
from gui.panels.model_panel import FIX_LAYERS_FIRST, ModelPanel
from gui.panels.settings_column import SettingsColumn
from gui.panels.training_panel import TrainingPanel
from gui.processes.train_process import TrainJob
from gui.processes.train_worker import TrainController
from gui.views.boundary_view import BoundaryView
from gui.views.diagnostics_view import DiagnosticsView
from gui.views.expression_view import ExpressionView
from gui.views.graph_view import GraphView
from gui.views.loss_plot import LossPlot
from gui.views.network_view import NetworkView
from gui.views.optimizer_view import OptimizerView
from gui.views.practice_view import PracticeView
from gui.widgets.style import STATUS_MS, STATUS_READ_MS
from gui.window.error_dialog import show_error_dialog
from gui.window.file_actions import FileActions
from gui.window.menus import build_menus, weakly
from gui.window.rate_finder import RateFinder, RateFinderActions, RateSweepDialog
from gui.window.redraw_pacer import RedrawPacer
from gui.window.saved_run import SavedRunViews
from gui.window.status_bar import TrainingStatusBar
from gui.window.test_set_actions import TestSetActions
from gui.window.user_changes import UserChanges
from gui.window.view_updates import ViewUpdates


class MainWindow(
    FileActions, ViewUpdates, SavedRunViews, RateFinderActions, TestSetActions, UserChanges, QMainWindow
):
    def __init__(self) -> None:
        super().__init__()
        self.setWindowTitle("micrograd-studio")
        self.resize(1280, 820)

        self._dataset: Dataset = lecture()
        self._spec = ModelSpec()
        self._settings = TrainSettings()
        self._split = TestSplit()  # the held-out test set (gui/window/test_set_actions.py)
        self._start_weights: ModelWeights | None = None  # imported or opened weights to train from
        self._weights: ModelWeights = self._fresh_weights()  # what the views show and exports write
        self._history: list[StepResult] = []
        self._run_state: RunState | None = None  # goes with _weights and _history: Train goes on from it
        self.last_error = ""
        self.last_message = ""
        self._steps_per_second = 0.0
        self._unplotted: list[StepResult] = []  # results the loss plot has not drawn yet
        self._boundary_stale = False
        self._graph_stale = True
        self._network_stale = True
        self._diagnostics_stale = True
        self._lesson_queue: list[Session] = []  # runs of a lesson still to train, in turn
        # One timer for the pause before a lesson's next run: a new lesson or closing stops it
        self._lesson_pause = QTimer(self, singleShot=True, interval=300)
        self._lesson_pause.timeout.connect(self._next_lesson_run)

        self.controller = TrainController(self)
        self.controller.progressed.connect(self._on_controller_progressed)
        self.controller.state_changed.connect(self._on_controller_state_changed)
        self.controller.failed.connect(self._on_controller_failed)
        self.controller.engine_changed.connect(self._on_controller_engine_changed)
        self.controller.broke_down.connect(self._on_controller_broke_down)
        self.breakdown_message = ""  # where the last diverged run first broke, in words
        self.breakdown: tuple[int, Breakdown, ModelWeights] | None = None  # its step, Breakdown, weights
        self.engine_details = ""  # what compiling made of the step (Train ▸ Compiled program…)

        self._build_panels()
        build_menus(self)
        self.setStatusBar(TrainingStatusBar())
        for name in (
            "state_label",
            "step_label",
            "loss_label",
            "accuracy_label",
            "rate_label",
            "engine_label",
        ):
            setattr(self, name, getattr(self.statusBar(), name))  # tests and scripts read them here
        # Views redraw only when visible, and only as often as the machine affords.
        self.redraw_pacer = RedrawPacer(self)
        self.redraw_pacer.due.connect(self._refresh_views)
        canvases = (self.loss_plot.canvas, self.boundary_view.canvas, self.network_view.boundary.canvas)
        for canvas in (*canvases, self.diagnostics_view.canvas):
            self.redraw_pacer.watch(canvas)
        self.controller.traced.connect(self.diagnostics_view.add_trace)
        self.controller.optimizer_state.connect(self.optimizer_view.set_snapshot)
        self._show_dataset()
        self._show_state()

    # ---- layout

    def _build_panels(self) -> None:
        self.data_panel = DataPanel()
        self.model_panel = ModelPanel()
        self.training_panel = TrainingPanel()
        self.data_panel.set_dataset(self._dataset)
        self.model_panel.set_spec(self._spec)
        self.model_panel.set_n_inputs(self._dataset.n_inputs, self._dataset.n_outputs)
        self.training_panel.set_settings(self._settings)

        self.settings_column = SettingsColumn(self.data_panel, self.model_panel, self.training_panel)

        self.loss_plot = LossPlot()
        self.boundary_view = BoundaryView()
        self.graph_view = GraphView()
        self.tabs = QTabWidget()
        self.tabs.addTab(self.loss_plot, "Loss")
        self.tabs.addTab(self.boundary_view, "Decision boundary")
        self.network_view = NetworkView(BoundaryView())
        self.tabs.addTab(self.network_view, "Network")
        self.diagnostics_view = DiagnosticsView()
        self.network_view.parameter_selected.connect(self.diagnostics_view.select_parameter)
        self.tabs.addTab(self.diagnostics_view, "Diagnostics")
        self.optimizer_view = OptimizerView()  # fed by the controller's optimizer_state snapshots
        self.tabs.addTab(self.optimizer_view, "Optimizer")
        self.tabs.addTab(self.graph_view, "Computation graph")
        self.expression_view = ExpressionView()
        self.tabs.addTab(self.expression_view, "Expression")
        self.practice_view = PracticeView()
        self.tabs.addTab(self.practice_view, "Practice")
        self.practice_view.gradient_check_requested.connect(self.check_gradients)
        self.tabs.currentChanged.connect(weakly(self._refresh_views))

        splitter = QSplitter()
        splitter.addWidget(self.settings_column)
        splitter.addWidget(self.tabs)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([380, 900])
        self.setCentralWidget(splitter)

        self.data_panel.dataset_changed.connect(self._on_data_panel_dataset_changed)
        self.data_panel.file_failed.connect(self.show_error)
        self.data_panel.test_split_field.split_changed.connect(self._on_test_split_changed)
        self.model_panel.spec_changed.connect(self._on_model_panel_spec_changed)
        self.model_panel.validity_changed.connect(self._on_model_panel_validity_changed)
        self.training_panel.settings_changed.connect(self._on_training_panel_settings_changed)
        self.training_panel.train_requested.connect(self.train)
        self.training_panel.pause_requested.connect(self.pause)
        self.training_panel.step_requested.connect(self.step)
        self.training_panel.reset_requested.connect(self.reset_by_user)
        self.training_panel.rate_search_requested.connect(self.find_learning_rate)
        self.rate_finder = RateFinder(self)
        self.rate_finder.finished.connect(self._on_rate_finder_finished)
        self.rate_finder.failed.connect(self._on_rate_finder_failed)
        self.rate_sweep_dialog: RateSweepDialog | None = None
        self.boundary_view.point_added.connect(self.data_panel.add_point)
        self.boundary_view.curve_point_added.connect(self.data_panel.add_curve_point)
        self.boundary_view.point_removed.connect(self.data_panel.remove_point)
        self.boundary_view.point_picked.connect(self.show_sample_graph)
        self.graph_view.parameter_selected.connect(self.diagnostics_view.select_parameter)
        self.graph_view.history_requested.connect(self.show_parameter_history)
        self.data_panel.table.itemSelectionChanged.connect(self._on_data_table_selection_changed)
        self._wire_network_view()

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
            self.statusBar().showMessage(reason, STATUS_MS)
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
        self._run_state = None
        self._take_fresh_weights()  # a large model's made in a thread (gui/window/view_updates.py)
        self._refresh_boundary()
        self._mark_graph_stale()
        self._restart_diagnostics()
        self._show_state()  # an opened run, idle, is forgotten without a change of state

    @Slot()
    def reset_by_user(self) -> None:
        self._lesson_queue = []  # the user takes over from a lesson
        self.reset()

    def _start_run(self) -> bool:
        spec = self.model_panel.spec()
        if spec is None:
            self.show_error("Model", f"{FIX_LAYERS_FIRST}.")
            return False
        job = TrainJob(spec, self._dataset.copy(), self._settings, self._start_weights, self._split)
        if self._run_state is not None:  # an opened session's run: it goes on as if it never stopped
            job = replace(
                job, start_weights=self._weights, history=list(self._history), run_state=self._run_state
            )
        problem = job.problem()
        if problem:
            self.show_error("Cannot train", problem)
            return False
        self._history = list(job.history)
        self._unplotted = []
        self.breakdown_message, self.breakdown = "", None
        self.diagnostics_view.start_run(
            spec,
            spec.network_inputs(self._dataset.n_inputs),
            self._settings.zero_grad,
            self._dataset.n_outputs,
        )
        if job.history:  # the saved run's steps: its curve and plots go on from them
            self._continue_saved_curves(job.history)
        else:
            self.loss_plot.start_run(self._run_label(), total_steps=self._settings.steps)
        self.controller.start(job)
        return True

    def _run_label(self) -> str:
        s = self._settings
        label = f"lr {s.learning_rate:g} · zero_grad {'on' if s.zero_grad else 'OFF'} · {s.loss}"
        if s.l2:
            label += f" · L2 {s.l2:g}"
        if s.optimizer != "sgd":  # curves of SGD, momentum and Adam side by side say which is which
            label += f" · {s.optimizer}"
        described = self._spec.describe(self._dataset.n_inputs, self._dataset.n_outputs)
        return f"{label} · {described.split(' (')[0]}"

    # ---- what the worker sends back

    @Slot(list, object, float)
    def _on_controller_progressed(
        self, results: list, weights: ModelWeights, steps_per_second: float
    ) -> None:
        self._history.extend(results)
        self._run_state = self.controller.run_state  # taken with these weights, at the same step
        self._unplotted.extend(results)
        self.diagnostics_view.add_results(results)
        self._weights = weights
        self._boundary_stale = self._network_stale = True
        self._diagnostics_stale = True
        self._graph_stale = True
        self._steps_per_second = steps_per_second
        self.training_panel.set_progress(results[-1].step, self._settings.steps)
        self.training_panel.loss_guess.see(results)  # a guess before Step is settled by its loss
        self._update_status()
        self.redraw_pacer.request()

    @Slot(str, str)
    def _on_controller_engine_changed(self, line: str, details: str) -> None:
        self.statusBar().show_engine(line, details)
        self.engine_details = details
        if details and line == "plain engine":
            self.statusBar().showMessage(details, STATUS_READ_MS)  # why compiled mode is not in use

    def show_engine_details(self) -> None:
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
            self._lesson_pause.start()  # then the next run of the lesson, over this one
        if state == "diverged":
            self._show_divergence(message)
        elif message:
            self.statusBar().showMessage(message, STATUS_MS)
        self.last_message = message

    @Slot(int, object)
    def _on_controller_broke_down(self, step: int, found: Breakdown | None) -> None:
        """Where the diverged step first broke (it comes just before "diverged")."""
        self.breakdown = None if found is None else (step, found, self._weights)  # weights it started from
        if found is None:
            self.breakdown_message = "No number became inf or NaN: the loss or a weight only grew too large."
        else:
            self.breakdown_message = f"Where it first broke: {found.sentence(step)}"

    @Slot(str)
    def _on_controller_failed(self, message: str) -> None:
        self._run_state = None  # Train starts the run over, as before
        self._lesson_queue = []
        self._flush_views()
        self.show_error("Training stopped", message)

    def show_error(self, title: str, message: str, action: tuple[str, Callable] | None = None) -> None:
        """Say what went wrong, whole, in a window-modal dialog (`action`: (text, slot) of a 2nd button)."""
        self.last_error = show_error_dialog(self, title, message, action)

    # ---- state and views (the views' updates are in gui/window/view_updates.py)

    @property
    def has_saved_run(self) -> bool:
        """An opened session's run is there to go on with (idle, it is a "Saved run", not "Idle")."""
        return self._run_state is not None and bool(self._history)

    def _update_status(self) -> None:
        last = self._history[-1] if self._history else None
        self.statusBar().show_run(
            self.state, last, self._settings.steps, self._steps_per_second, self.has_saved_run
        )

    def _show_state(self) -> None:
        """Bring the panel's buttons and the status bar in line with the controller's state."""
        self.training_panel.set_state(self.state, saved_run=self.has_saved_run)
        if self.state == "idle":
            self.training_panel.set_progress(len(self._history), self._settings.steps)  # an opened run's
        self._update_status()

    def _fresh_weights(self) -> ModelWeights:
        # the numbers only: no network of Values; one output per class for several classes
        # a large model's are made ahead while its sizes are typed, and kept (gui/panels/fresh_weights.py)
        return FRESH_WEIGHTS.fresh_weights(self._spec, self._dataset.n_inputs, self._dataset.n_outputs)

    # ---- sessions (the file actions are in gui/window/file_actions.py)

    def current_session(self) -> Session:
        history, state = list(self._history), self._run_state
        state = state if state is not None and state.step == len(history) else None
        return Session(
            self._dataset.copy(), self._spec, self._settings, self._weights, history, self._split, state
        )

    # Every file action catches Exception, not only the errors its reader or writer
    # means to raise: a hostile file may make them raise anything (RecursionError,
    # MemoryError, UnicodeDecodeError...), and none of it may reach Qt as a traceback.
    # The message goes to show_error, whole, and what the window had stays as it was.

    def apply_session(self, session: Session, history_label: str = "saved run") -> bool:
        """Show a session's data, model, settings and weights, ready to train from them.

        A session the panels cannot show exactly (a learning rate outside its field's range,
        say) changes nothing: the window says why and returns False.
        """
        if problem := self.session_problem(session):
            self.show_error("Open session", f"Could not use this session: {problem}")
            return False
        self.controller.reset()
        self._stop_rate_sweep()  # a sweep of the old model would suggest a rate for it
        self._dataset, self._spec, self._settings = session.dataset, session.model, session.training
        self.data_panel.set_dataset(session.dataset)
        self.model_panel.set_spec(session.model)
        self.model_panel.set_n_inputs(session.dataset.n_inputs, session.dataset.n_outputs)
        self.training_panel.set_task(session.dataset.task)
        self.training_panel.set_settings(session.training)
        self._split = session.split
        self.data_panel.test_split_field.set_split(session.split)
        self._start_weights = session.weights
        self._run_state = session.run_state  # Train goes on with the saved run, if it has its state
        self._history = list(session.history) if session.run_state is not None else []
        self._show_dataset()
        self._show_saved_run(session, history_label)  # its curve, gradient flow and optimizer state
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

    def play_lesson(self, index: int) -> None:
        """Set up and train a lesson's runs one after another (see LESSONS)."""
        lesson = LESSONS[index]
        sessions = [make() for make in lesson.runs]
        self._lesson_pause.stop()  # the last lesson's next run, if due, is not this lesson's
        self.controller.reset()
        self.loss_plot.clear_earlier_runs()
        self.loss_plot.reset_current()
        one_2d_run = len(sessions) == 1 and sessions[0].dataset.n_inputs == 2
        self.tabs.setCurrentWidget(self.boundary_view if one_2d_run else self.loss_plot)
        self._lesson_queue = sessions
        self.statusBar().showMessage(f"Lesson: {lesson.title}", STATUS_READ_MS)
        self._next_lesson_run()

    def _next_lesson_run(self) -> None:
        if not self._lesson_queue:
            return
        self.apply_session(self._lesson_queue.pop(0))
        self.train()

    def show_about(self) -> None:
        QMessageBox.about(
            self,
            "About micrograd-studio",
            "<b>micrograd-studio</b><p>Build a tiny neural network, train it live on a scalar "
            "autograd engine, and look inside every number while it learns: the lecture "
            "“building micrograd”, made clickable.</p>",
        )

    @Slot()
    def check_gradients(self) -> None:
        """The Practice tab's gradient check, on a copy of the current model."""
        self.practice_view.check_model(self._weights, self.network_data().copy(), self._settings.loss)

    def closeEvent(self, event: QCloseEvent) -> None:
        self._lesson_pause.stop()  # a lesson's next run must not start in a closed window
        self._lesson_queue = []
        self.rate_finder.cancel()
        self.controller.shutdown()
        self.graph_view.shutdown()
        self.network_view.shutdown()
        self.expression_view.shutdown()
        self.diagnostics_view.shutdown()
        super().closeEvent(event)
