"""How the window keeps its views up to date (a part of MainWindow).

Only the visible view redraws while training (the others are marked stale and catch
up when shown), at the pace the RedrawPacer allows; when training stops, everything
is brought up to date at once.

A large model's fresh weights, when nobody made them ahead (a new seed, activation, preset
or CSV of other inputs on the 8 x 256 model), are made in a thread: until they come,
`weights_pending` is True and the views keep their last pictures (each one of its own
weights and data, so nothing mismatched is drawn); they all follow when the weights come.
Whatever reads `_weights` meanwhile (an export, a saved session) waits for them: it
always gets the weights the window will show.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer, Slot

from engine.network import parameter_at, with_parameter
from engine.weights import ModelWeights
from gui.panels.fresh_weights import FRESH_WEIGHTS
from gui.widgets.style import STATUS_MS


class FreshWeightsListener(QObject):
    """Hears the app-wide FRESH_WEIGHTS.made for one window, as long as the window lives: a child
    of it, so Qt drops the connection with it (a slot of a deleted window would crash the app)."""

    def __init__(self, window: QObject, on_made: Callable[[], None]) -> None:
        super().__init__(window)
        self._on_made = weakref.WeakMethod(on_made)
        FRESH_WEIGHTS.made.connect(self._made)

    @Slot()
    def _made(self) -> None:
        on_made = self._on_made()
        if on_made is not None:
            on_made()


class ViewUpdates:
    """The views' updates of MainWindow (a mixin: it reads the window's state and views)."""

    _weights_due = None  # (spec, inputs, outputs) of fresh weights being made in the thread

    # ---- the weights shown, and a large model's fresh ones while they are made in a thread

    @property
    def _weights(self) -> ModelWeights:
        """What the views show and exports write; fresh weights still being made are waited for."""
        if self._weights_due is not None:
            self._take_due_weights()
        return self._shown_weights

    @_weights.setter
    def _weights(self, weights: ModelWeights) -> None:
        self._shown_weights = weights
        self._weights_due = None  # whatever was being made is no longer wanted

    @property
    def weights_pending(self) -> bool:
        """Fresh weights are being made in a thread; the views show them when they come."""
        return self._weights_due is not None

    def _take_fresh_weights(self) -> None:
        """The weights a reset starts from: the imported or opened ones, else fresh from the seed.

        A large model's not made yet are made in a thread (`_on_fresh_weights_made` shows them),
        so that no change of the model or the data holds the window while they are made."""
        if self._start_weights is not None:
            self._weights = self._start_weights
            return
        if getattr(self, "_fresh_weights_listener", None) is None:  # before asking: the thread may be quick
            self._fresh_weights_listener = FreshWeightsListener(self, self._on_fresh_weights_made)
        due = (self._spec, self._dataset.n_inputs, self._dataset.n_outputs)
        ready = FRESH_WEIGHTS.ready(*due)
        if ready is not None:
            self._weights = ready
            return
        self._weights_due = due

    def _on_fresh_weights_made(self) -> None:
        """A job of the weights' thread ended: if it made the weights due, show them."""
        due = self._weights_due
        if due is None:
            return
        ready = FRESH_WEIGHTS.ready(*due)  # asks again if a newer job (typing) took its turn
        if ready is not None:
            self._weights = ready
            self._show_new_weights()

    def _settle_weights(self) -> None:
        """A user's click on the new data: its weights now, made in the thread or not (rare: within
        the moment they take)."""
        if self.weights_pending:
            self._take_due_weights()

    def _take_due_weights(self) -> None:
        """Something needs the weights before the thread is done: wait for them (or make them)."""
        weights = FRESH_WEIGHTS.fresh_weights(*self._weights_due)
        self._weights = weights
        QTimer.singleShot(0, self, self._show_new_weights)  # the views, once the caller is done

    def _show_new_weights(self) -> None:
        if self.weights_pending:
            return
        self._refresh_boundary()  # the network view and the graph follow
        self._mark_graph_stale()
        self._diagnostics_stale = True
        if self.tabs.currentWidget() is self.diagnostics_view:
            self._refresh_diagnostics()

    # ---- data and views

    def _show_dataset(self) -> None:
        self.training_panel.set_sample_count(len(self._dataset))  # the summed loss's warning
        self._show_extra_inputs()
        self.boundary_view.set_dataset(self._dataset, refresh_output=False)  # _refresh_boundary follows
        self._show_test_split()
        self._take_fresh_weights()
        self._refresh_boundary()
        self._mark_graph_stale()
        self._restart_diagnostics()

    def _mark_graph_stale(self) -> None:
        self._graph_stale = True
        if self.tabs.currentWidget() is self.graph_view:
            self._refresh_graph()

    def _refresh_views(self) -> None:
        """Bring the visible view up to date (hidden ones catch up when shown)."""
        shown = self.tabs.currentWidget()
        if shown is self.loss_plot and self._unplotted:
            self.redraw_pacer.measure()
            self.loss_plot.add_results(self._unplotted)
            self._unplotted = []
        elif shown is self.boundary_view and self._boundary_stale:
            self.redraw_pacer.measure()
            self._refresh_boundary()
        elif shown is self.network_view and self._network_stale:
            self.redraw_pacer.measure()
            self._refresh_network()
        elif shown is self.graph_view and self._graph_stale:
            self._refresh_graph()
        elif shown is self.diagnostics_view:
            self._refresh_diagnostics()

    def _refresh_diagnostics(self) -> None:
        self.redraw_pacer.measure()
        if self._diagnostics_stale and not self.weights_pending:
            self._diagnostics_stale = False
            # Counted in a thread; the view redraws once the count arrives (one draw, not two)
            self.diagnostics_view.set_weights(self._weights, self.network_data().inputs)
        else:
            self.diagnostics_view.refresh()

    def _flush_views(self) -> None:
        """Everything drawn, visible or not: training has stopped, so redraws are free."""
        if self._unplotted:
            self.loss_plot.add_results(self._unplotted)
            self._unplotted = []
        self._refresh_boundary()
        self._graph_stale = True
        self._diagnostics_stale = True
        if self.tabs.currentWidget() is self.graph_view:
            self._refresh_graph()
        elif self.tabs.currentWidget() is self.diagnostics_view:
            self._refresh_diagnostics()

    def _refresh_graph(self) -> None:
        """Redraw the graph with the current weights (numbers only, unless the network changed)."""
        if self.graph_view.stepping:
            return  # a learner is stepping through backprop: leave their numbers alone
        if self.weights_pending:
            return  # stale until they come
        self._graph_stale = False
        self.graph_view.set_model(self._weights, self.network_data(), self._settings.loss)

    @Slot(int)
    def show_sample_graph(self, index: int) -> None:
        """Draw the computation graph of sample `index` (picked on the plot or in the table)."""
        self._settle_weights()  # the sample is one of the new data's: its network's weights first
        if self._graph_stale or self.graph_view.current_graph() is None:
            self._refresh_graph()
        self.graph_view.set_sample(index)
        self.tabs.setCurrentWidget(self.graph_view)

    def _show_divergence(self, message: str) -> None:
        """Why the run diverged and where it first broke, with a button to see that node in the graph."""
        text = f"{message}\n\n{self.breakdown_message}".strip()
        action = ("Show in graph", self.show_breakdown_graph) if self.breakdown is not None else None
        self.show_error("Training diverged", text, action)

    @Slot()
    def show_breakdown_graph(self) -> None:
        """The computation graph of the sample where the run broke, its node selected and explained."""
        if self.breakdown is None:
            return
        step, found, weights = self.breakdown
        if weights is not self._weights:  # reset or trained again since: those weights are gone
            self.statusBar().showMessage(
                "That run is gone: train it again to see where it breaks.", STATUS_MS
            )
            return
        self._graph_stale = False
        # the run trains on the training part: the sample where it broke is one of those
        self.graph_view.show_breakdown(
            found, step, weights, self.network_training_data(), self._settings.loss
        )
        self.tabs.setCurrentWidget(self.graph_view)

    @Slot(str)
    def show_parameter_history(self, name: str) -> None:
        """The Diagnostics tab, following the parameter called `name` (clicked in the graph)."""
        if self.diagnostics_view.select_parameter(name):
            self.tabs.setCurrentWidget(self.diagnostics_view)

    @Slot()
    def _on_data_table_selection_changed(self) -> None:
        rows = {i.row() for i in self.data_panel.table.selectedIndexes()}
        if len(rows) == 1:
            self._settle_weights()  # the row is one of the new data's: its network's weights first
            row = rows.pop()
            self.network_view.set_sample(row)
            if self.tabs.currentWidget() is self.graph_view:
                self.graph_view.set_sample(row)

    def _refresh_boundary(self) -> None:
        self._graph_stale = True
        self._network_stale = True
        if self.weights_pending:
            self._boundary_stale = True
            return  # every view follows when they come (_show_new_weights)
        self._boundary_stale = False
        if self.tabs.currentWidget() is self.network_view:
            self._refresh_network()
        curve = self._dataset.task == "regression" and self._dataset.n_inputs == 1  # the fitted curve
        if self._dataset.n_inputs != 2 and not curve:
            return
        threshold = 0.5 if self._spec.output_activation == "sigmoid" else 0.0
        # In a thread: a large network's grid takes seconds, and even the demo's picture would
        # hold the window for tens of milliseconds at every refresh while training.
        self.boundary_view.set_weights(self._weights, threshold, background=True)

    def _restart_diagnostics(self) -> None:
        """No run yet for these weights: empty plots, and the neurons counted afresh."""
        self.diagnostics_view.forget_network()
        self.optimizer_view.clear()  # the state of a run that is gone
        # what a step's snapshot was computed with: the settings and the run's state as it arrives
        if self.optimizer_view.settings_source is None:
            window = weakref.ref(self)  # the view must not keep a dropped window alive
            self.optimizer_view.settings_source = lambda: (window()._settings, window()._run_state)
        n_inputs = self._spec.network_inputs(self._dataset.n_inputs)
        self.diagnostics_view.start_run(
            self._spec, n_inputs, self._settings.zero_grad, self._dataset.n_outputs
        )
        self._diagnostics_stale = True
        if self.tabs.currentWidget() is self.diagnostics_view:
            self._refresh_diagnostics()

    # ---- the Network view, and the weights typed in it

    def _wire_network_view(self) -> None:
        view = self.network_view
        view.parameter_edited.connect(self.set_parameter)
        view.boundary.point_added.connect(self.data_panel.add_point)
        view.boundary.curve_point_added.connect(self.data_panel.add_curve_point)
        # By the sample's index in the data the tab shows: until new weights come, the old data
        view.boundary.point_removed.connect(self._on_network_plane_point_removed)
        view.boundary.point_picked.connect(self._on_network_plane_point_picked)
        self.controller.edited.connect(self._on_controller_edited)

    def _network_view_is_old(self) -> bool:
        """While new weights are made the Network tab shows the old network on the old data, where
        a sample's index may name another sample of the new data: say so instead."""
        if self.weights_pending:
            self.statusBar().showMessage("The network is being remade: click again in a moment.", STATUS_MS)
        return self.weights_pending

    @Slot(int)
    def _on_network_plane_point_removed(self, index: int) -> None:
        if not self._network_view_is_old():
            self.data_panel.remove_point(index)

    @Slot(int)
    def _on_network_plane_point_picked(self, index: int) -> None:
        if not self._network_view_is_old():
            self.show_sample_graph(index)

    def _refresh_network(self) -> None:
        if self.weights_pending:
            return  # stale until they come
        self._network_stale = False
        threshold = 0.5 if self._spec.output_activation == "sigmoid" else 0.0
        settings = self._settings
        self.network_view.set_network(
            self._weights, self.network_data(), settings.loss, settings.l2, threshold
        )

    @Slot(int, float)
    def set_parameter(self, index: int, value: float) -> None:
        """A weight or bias typed by the user: at once in every view; in the run if one exists
        (between two steps), else in the weights the next run starts from."""
        if self._network_being_replaced():  # `index` counts in the old network's parameters
            self.statusBar().showMessage(
                "The network changed: type the value again in the new one.", STATUS_MS
            )
            return
        try:
            self._weights = with_parameter(self._weights, index, value)
        except IndexError:  # typed into a network the window has since replaced: nothing to change
            return
        if self.controller.has_run:
            self.controller.set_parameter(index, value)
        else:
            self._start_weights = self._weights
        self._show_edited_weights()

    def _network_being_replaced(self) -> bool:
        """The views still show a network of another shape: its replacement's weights are being made."""
        if not self.weights_pending:
            return False
        spec, n_inputs, n_outputs = self._weights_due
        try:
            inputs, sizes, _ = spec.network_shape(n_inputs, n_outputs)
        except Exception:  # a spec that cannot be built: nothing of it is shown either
            return True
        shown = self._shown_weights
        return (shown.inputs, list(shown.sizes)) != (inputs, list(sizes))

    @Slot(int, int, float, object)
    def _on_controller_edited(self, steps: int, index: int, value: float, weights: ModelWeights) -> None:
        """The run took the typed value: its weights from now on hold it."""
        self._weights = weights
        self._show_edited_weights()
        layer, neuron, input_index = parameter_at(weights, index)
        name = (
            f"b{layer + 1}.{neuron + 1}"
            if input_index is None
            else f"w{layer + 1}.{neuron + 1}.{input_index + 1}"
        )
        self.statusBar().showMessage(f"{name} set to {value:g} after step {steps}", STATUS_MS)

    def _show_edited_weights(self) -> None:
        self._refresh_boundary()  # the network view and the graph follow
        self._mark_graph_stale()
        self._diagnostics_stale = True
