"""How the window keeps its views up to date (a part of MainWindow).

Only the visible view redraws while training (the others are marked stale and catch
up when shown), at the pace the RedrawPacer allows; when training stops, everything
is brought up to date at once.
"""

from __future__ import annotations

from PySide6.QtCore import Slot

from engine.network import parameter_at, with_parameter
from engine.weights import ModelWeights
from gui.widgets.style import STATUS_MS


class ViewUpdates:
    """The views' updates of MainWindow (a mixin: it reads the window's state and views)."""

    def _show_dataset(self) -> None:
        self._show_extra_inputs()
        self.boundary_view.set_dataset(self._dataset, refresh_output=False)  # _refresh_boundary follows
        self._show_test_split()
        self._weights = self._start_weights or self._fresh_weights()
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
        if self._diagnostics_stale:
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
        self._graph_stale = False
        self.graph_view.set_model(self._weights, self.network_data(), self._settings.loss)

    @Slot(int)
    def show_sample_graph(self, index: int) -> None:
        """Draw the computation graph of sample `index` (picked on the plot or in the table)."""
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
            row = rows.pop()
            self.network_view.set_sample(row)
            if self.tabs.currentWidget() is self.graph_view:
                self.graph_view.set_sample(row)

    def _refresh_boundary(self) -> None:
        self._boundary_stale = False
        self._graph_stale = True
        self._network_stale = True
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
        view.boundary.point_removed.connect(self.data_panel.remove_point)
        view.boundary.point_picked.connect(self.show_sample_graph)
        self.controller.edited.connect(self._on_controller_edited)

    def _refresh_network(self) -> None:
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
        try:
            self._weights = with_parameter(self._weights, index, value)
        except IndexError:  # typed into a network the window has since replaced: nothing to change
            return
        if self.controller.has_run:
            self.controller.set_parameter(index, value)
        else:
            self._start_weights = self._weights
        self._show_edited_weights()

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
