"""The learning-rate finder: a sweep in a child process, and a dialog that shows its curve.

One click trains a copy of the model (rebuilt from a weights snapshot in the child)
for a few dozen steps with the learning rate rising exponentially; the dialog plots
loss against learning rate and marks the suggested rate, which the user may apply.
The model being trained is never touched.
"""

from __future__ import annotations

import weakref

from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
from matplotlib.figure import Figure
from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget

from engine.data import Dataset
from engine.diagnostics import RateSweep
from engine.settings import TrainSettings
from engine.weights import ModelWeights
from gui.processes.child_process import ChildProcess
from gui.widgets.style import STATUS_READ_MS

SWEEP_STEPS = 50


class RateFinder(QObject):
    """Runs one sweep at a time in a child process; a new start or cancel() ends the old one."""

    finished = Signal(object)  # RateSweep
    failed = Signal(str)

    _event_arrived = Signal(object)  # from the child's reader thread, delivered in the GUI thread

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._child: ChildProcess | None = None
        self._event_arrived.connect(self._on_event)
        self.destroyed.connect(self.cancel)

    @property
    def running(self) -> bool:
        return self._child is not None

    def start(self, weights: ModelWeights, dataset: Dataset, settings: TrainSettings) -> None:
        self.cancel()
        ref = weakref.ref(self)

        def deliver(event: tuple) -> None:
            finder = ref()
            if finder is not None:
                finder._event_arrived.emit((child, event))  # RuntimeError once Qt deleted it

        child = ChildProcess("gui.processes.sweep_child", deliver, "rate-finder")
        self._child = child
        child.send(("sweep", weights, dataset, settings, SWEEP_STEPS))

    def cancel(self) -> None:
        child, self._child = self._child, None
        if child is not None:
            child.kill()

    @Slot(object)
    def _on_event(self, tagged: tuple) -> None:
        child, event = tagged
        if child is not self._child:
            return  # from a sweep that was cancelled
        self.cancel()
        if event[0] == "swept":
            self.finished.emit(event[1])
        elif event[0] == "failed":
            self.failed.emit(event[1])
        else:  # ("exited", code): it ended without an answer
            self.failed.emit(f"The learning-rate sweep stopped unexpectedly (exit code {event[1]}).")


class RateSweepDialog(QDialog):
    """Loss against learning rate (log x), the suggestion marked, and a button to use it."""

    def __init__(self, sweep: RateSweep, current_rate: float, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Learning-rate finder")
        self.sweep = sweep
        # the suggestion to two figures: 0.072 reads better than 0.07196856730011518 and trains the same
        self.rate = None if sweep.suggestion is None else float(f"{sweep.suggestion:.2g}")
        figure = Figure(figsize=(5.6, 3.6), layout="constrained")
        self.canvas = FigureCanvasQTAgg(figure)
        axes = figure.add_subplot()
        axes.plot(sweep.rates, sweep.losses, color="#1f77b4", marker=".", markersize=4)
        axes.set_xscale("log")
        axes.set_xlabel("learning rate (rising each step)")
        axes.set_ylabel("loss after that step")
        axes.axvline(current_rate, color="#888888", linestyle=":", label=f"now {current_rate:g}")
        if sweep.suggestion is not None:
            axes.axvline(self.rate, color="#2e7d32", label=f"suggested {self.rate:g}")
        axes.legend(loc="best", fontsize="small")
        axes.grid(True, which="both", alpha=0.3)

        if sweep.suggestion is None:
            text = (
                "The loss did not fall over the sweep, so there is no rate to suggest: "
                "try another model or loss, or fewer samples per step."
            )
        else:
            text = (
                f"A copy of the model trained {len(sweep.rates)} steps with the rate rising from "
                f"{sweep.rates[0]:.2g} to {sweep.rates[-1]:.2g}. The loss fell fastest at about "
                f"{self.rate:g}: a good rate to start from. Your model was not changed."
            )
        self.explanation = QLabel(text, wordWrap=True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.use_button = buttons.addButton(
            f"Use {self.rate:g}" if self.rate else "Use", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.use_button.setEnabled(self.rate is not None)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.canvas, 1)
        layout.addWidget(self.explanation)
        layout.addWidget(buttons)


class RateFinderActions:
    """The learning-rate finder's part of MainWindow (a mixin: it reads the window's state)."""

    @Slot()
    def find_learning_rate(self) -> None:
        """Sweep the learning rate on a copy of the model as it is now (in a child process)."""
        if self._train_blocked():
            return
        self.training_panel.find_rate_button.setEnabled(False)
        self.rate_finder.start(self._weights, self.network_training_data().copy(), self._settings)
        self.statusBar().showMessage("Finding a learning rate: training a copy of the model…", STATUS_READ_MS)

    def _stop_rate_sweep(self) -> None:
        """The model, the data or the session changed: a sweep still running trains a copy of the old
        one, and its suggestion would be offered (and used) for a model that is gone."""
        dialog, self.rate_sweep_dialog = self.rate_sweep_dialog, None
        if dialog is not None and dialog.isVisible():  # a finished sweep's suggestion, not used yet
            dialog.reject()
        if self.rate_finder.running:
            self.rate_finder.cancel()
            self.training_panel.find_rate_button.setEnabled(True)
            self.statusBar().showMessage(
                "The learning-rate search stopped: the model or the data changed. Find… starts it again.",
                STATUS_READ_MS,
            )

    @Slot(object)
    def _on_rate_finder_finished(self, sweep: RateSweep) -> None:
        self.training_panel.find_rate_button.setEnabled(True)
        self.statusBar().clearMessage()
        self.rate_sweep_dialog = RateSweepDialog(sweep, self._settings.learning_rate, self)
        self.rate_sweep_dialog.accepted.connect(self._use_suggested_rate)
        self.rate_sweep_dialog.open()  # window-modal: training and redraws go on behind it

    @Slot()
    def _use_suggested_rate(self) -> None:
        if self.rate_sweep_dialog is not None and self.rate_sweep_dialog.rate is not None:
            self.training_panel.learning_rate_spin.setValue(self.rate_sweep_dialog.rate)

    @Slot(str)
    def _on_rate_finder_failed(self, message: str) -> None:
        self.training_panel.find_rate_button.setEnabled(True)
        self.show_error("Learning-rate finder", message)
