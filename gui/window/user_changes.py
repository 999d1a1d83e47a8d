"""What the user changes in the panels (data, model, settings), and the question before a change ends a run.

A part of MainWindow: a change that would end a training run asks first; a No puts the
panel back to what is kept, and training goes on as it was.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from PySide6.QtCore import Slot
from PySide6.QtWidgets import QMessageBox

from engine.data import Dataset
from engine.settings import TrainSettings
from engine.spec import ModelSpec
from gui.panels.model_panel import FIX_LAYERS_FIRST


class UserChanges:
    """A mixin of MainWindow: it reads and sets the window's data, spec, settings and panels."""

    @Slot(object)
    def _on_data_panel_dataset_changed(self, dataset: Dataset) -> None:
        if not self._change_confirmed(
            "Changing the data starts training over. Reset now?",
            lambda: self.data_panel.set_dataset(self._dataset),
        ):
            return
        self._dataset = dataset
        self._stop_rate_sweep()  # a sweep of the old data would suggest a rate for it
        if self._spec.extra_inputs and dataset.n_inputs != 2:  # computed from x1, x2: gone with them
            self._spec = replace(self._spec, extra_inputs=[])
        start = self._start_weights
        fits = (self._spec.network_inputs(dataset.n_inputs), dataset.n_outputs)
        if start is not None and (start.inputs, start.sizes[-1]) != fits:
            self._start_weights = None
        loss = self.training_panel.set_task(dataset.task)  # the losses that fit the data
        if loss != self._settings.loss:
            self._settings = replace(self._settings, loss=loss)
        self.training_panel.set_sample_count(len(dataset))  # the summed loss's warning
        self.model_panel.set_n_inputs(dataset.n_inputs, dataset.n_outputs)
        self._show_extra_inputs()
        self.boundary_view.set_dataset(dataset, refresh_output=False)
        self._show_test_split()
        self.reset()  # fresh weights for the new data: the boundary (in a thread) and the graph follow

    @Slot(object)
    def _on_model_panel_spec_changed(self, spec: ModelSpec) -> None:
        question = "Changing the model starts training over with new weights. Reset now?"
        if not self._change_confirmed(question, lambda: self.model_panel.set_spec(self._spec)):
            return
        self._spec = spec
        self._start_weights = None
        self._stop_rate_sweep()  # a sweep of the old model would suggest a rate for it
        self._show_extra_inputs()
        self.reset()

    @Slot(bool)
    def _on_model_panel_validity_changed(self, valid: bool) -> None:
        self.training_panel.set_train_enabled(valid, "" if valid else FIX_LAYERS_FIRST)

    @Slot(object)
    def _on_training_panel_settings_changed(self, settings: TrainSettings) -> None:
        loss_changed = settings.loss != self._settings.loss
        self._settings = settings
        if loss_changed:
            self._mark_graph_stale()
        # Applies from the next step; a finished run given more steps reports itself paused.
        self.controller.update_settings(settings)
        self._show_state()  # an opened run's "step N of M" follows a new number of steps

    def _change_confirmed(self, question: str, undo: Callable[[], None]) -> bool:
        """Whether the user lets a change end the run; if not, `undo` shows what is kept again."""
        if self._confirm_reset(question):
            return True
        undo()
        return False

    def _confirm_reset(self, question: str) -> bool:
        """Ask before a change that ends the run; training pauses while the user reads."""
        if not self.controller.has_run:
            self._lesson_queue = []  # the user takes over from a lesson
            return True
        was_training = self.state == "training"
        if was_training:
            self.controller.pause()
        ok = self.confirm("Reset training?", question)
        if ok:
            self._lesson_queue = []  # the user takes over from a lesson; "No" leaves it playing
        elif was_training:
            # The pause and this resume reach the trainer in order, whether or not
            # it has paused yet: it ends up training, as it was.
            self.controller.resume()
        return ok

    def confirm(self, title: str, question: str) -> bool:
        """Ask yes/no (tests replace this)."""
        return QMessageBox.question(self, title, question) == QMessageBox.StandardButton.Yes
