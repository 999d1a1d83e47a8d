"""An opened session's run in the views, as the run it is (a part of MainWindow).

A session saved mid-run keeps its steps' figures (loss, accuracy, each layer's mean |grad|)
and the optimizer's state after its last step. Opening it shows them where a run that never
stopped shows them: its curve in the Loss tab (under the run's own label and length), the
gradient flow in the Diagnostics tab, and the optimizer's state in the Optimizer tab. Resume
goes on in the same curve and plots: no second copy of the saved steps, no gap. Only each
parameter's own history (the Diagnostics tab's lower plot) starts after the saved steps: a
session does not keep it, and the plot says so.
"""

from __future__ import annotations

from dataclasses import replace
from itertools import islice

from engine.diagnostics import parameter_names
from engine.optim import STATE_TABLE_MAX_PARAMETERS, StateSnapshot
from engine.run_state import RunState
from engine.session import Session
from engine.settings import TrainSettings
from engine.weights import ModelWeights


def saved_run_snapshot(state: RunState, weights: ModelWeights, settings: TrainSettings) -> StateSnapshot:
    """The Optimizer tab's table for a saved run: the state after its last step, with the weights
    saved with it; that step's grad and update were not saved (they come with the next step)."""
    # Only the table's first rows are made: the names, data and optimizer state of all 461,569
    # parameters of 8 x 256 took 0.2 s of the GUI thread when such a session was opened.
    total = sum(len(layer.bias) * (len(layer.weight[0]) + 1) for layer in weights.layers)
    n = min(total, STATE_TABLE_MAX_PARAMETERS)
    names = _first_parameter_names(weights.inputs, weights.sizes, n)
    data = list(
        islice((v for ly in weights.layers for row, b in zip(ly.weight, ly.bias) for v in (*row, b)), n)
    )
    table_state = {
        key: value[:n] if isinstance(value, list) else value for key, value in state.optimizer_state.items()
    }
    columns = replace(state, optimizer_state=table_state).make_optimizer(settings).columns(n)
    momentum, second = (columns.get(key) for key in ("momentum", "second moment"))
    return StateSnapshot(
        state.step,
        state.optimizer,
        settings.learning_rate_at(state.step - 1),
        names,
        total,
        data,
        None,
        None,
        None if momentum is None else momentum or [0.0] * n,  # an empty state is zeros (not stepped yet)
        None if second is None else second or [0.0] * n,
        saved=True,
    )


def _first_parameter_names(n_inputs: int, sizes: list[int], n: int) -> list[str]:
    """`parameter_names(n_inputs, sizes)[:n]`, naming only the layers and neurons it needs."""
    needed, fan_in, count = [], n_inputs, 0
    for size in sizes:
        if count >= n:
            break
        neurons = min(size, -(-(n - count) // (fan_in + 1)))  # a neuron has fan_in weights and a bias
        needed.append(neurons)
        count += neurons * (fan_in + 1)
        fan_in = size
    return parameter_names(n_inputs, needed)[:n]


class SavedRunViews:
    """How MainWindow shows an opened run (a mixin: it reads the window's state and views)."""

    def _show_saved_run(self, session: Session, history_label: str) -> None:
        """Put an opened session's steps in the views (after they were emptied for its network)."""
        if not session.history:
            return
        if session.run_state is None:  # steps of a run that cannot go on: an earlier curve to compare
            self.loss_plot.start_run(history_label, total_steps=session.history[-1].step)
            self.loss_plot.add_results(session.history)
            return
        self.loss_plot.start_run(self._run_label(), total_steps=self._settings.steps)
        self.loss_plot.add_results(session.history)
        self.diagnostics_view.add_saved_results(session.history)
        weights = session.weights or self._weights
        self.optimizer_view.set_snapshot(saved_run_snapshot(session.run_state, weights, self._settings))
        if self.tabs.currentWidget() is self.diagnostics_view:
            self._refresh_diagnostics()

    def _continue_saved_curves(self, history: list) -> None:
        """A run going on from `history`: the loss curve and gradient flow hold its steps, once.

        The curve shown since opening is the run's (its steps are `history`'s): it goes on, points
        kept (adding 44,000 saved steps again took 20-40 ms), under the run's label and length as
        they are now; else the steps start a new curve."""
        current = self.loss_plot.history.current
        if current is not None and current.steps == [r.step for r in history]:
            self.loss_plot.continue_run(self._run_label(), total_steps=self._settings.steps)
        else:
            self.loss_plot.start_run(self._run_label(), total_steps=self._settings.steps)
            self.loss_plot.add_results(history)
        self.diagnostics_view.add_saved_results(history)
