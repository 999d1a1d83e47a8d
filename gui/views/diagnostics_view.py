"""The Diagnostics tab: why training works or fails, while it runs.

Three plots, from what the training process already sends (no extra work in its loop):

* Gradient flow: the mean |grad| of each layer over the steps (log scale), where
  vanishing or exploding gradients show as lines that fall or climb apart.
* Neurons: per layer, the share of ReLU neurons dead on every sample and of
  tanh/sigmoid neurons saturated on most samples, from the latest weights, named.
* One parameter's history: its data and its grad over the steps; without
  zero_grad also what each backward() added, so the running sum is plain.
"""

from __future__ import annotations

import math

from matplotlib.figure import Figure
from PySide6.QtCore import QSignalBlocker, Qt, Signal, Slot
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from engine.diagnostics import (
    TRACE_MAX_PARAMETERS,
    LayerActivity,
    ParameterTrace,
    TraceRow,
    neuron_activity,
    parameter_names,
)
from engine.spec import ModelSpec
from engine.train import StepResult
from engine.weights import ModelWeights
from gui.widgets.blit_canvas import BlitCanvas
from gui.widgets.latest_job import LatestJobThread
from gui.widgets.style import HINT_COLOR, WARNING_COLOR

DATA_COLOR, GRAD_COLOR, ADDED_COLOR = "#1f77b4", "#d62728", "#ff7f0e"
DEAD_COLOR, SATURATED_COLOR, ALIVE_COLOR = "#7f7f7f", "#ff7f0e", "#c7e9c0"


class DiagnosticsView(QWidget):
    """Gradient flow per layer, dead and saturated neurons, and a parameter's history."""

    _activity_ready = Signal(object)  # (generation, [LayerActivity]) from the worker thread

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._names: list[str] = []
        self._trace: ParameterTrace | None = None
        self._steps: list[int] = []
        self._layer_grads: list[tuple[float, ...]] = []
        self._layer_labels: list[str] = []
        self._activity: list[LayerActivity] = []
        self._generation = 0  # a new network makes older activity results stale
        self._stale = True  # the plots lag the data: redraw when next shown or refreshed
        self._zero_grad = True
        self._shapes: dict[str, tuple] = {}  # what each plot was last built for
        self._untraced = False  # the network is too large to keep every parameter's history
        self._saved_steps = 0  # steps of an opened run: saved with their figures, not each parameter's

        self.parameter_combo = QComboBox()
        self.parameter_combo.setMinimumContentsLength(8)
        self.parameter_combo.setToolTip("The weight or bias whose data and grad the lower plot follows")
        self.parameter_combo.currentIndexChanged.connect(self._on_parameter_changed)
        self.numbers_label = QLabel(textFormat=Qt.TextFormat.PlainText)
        self.neurons_label = QLabel(wordWrap=True, textFormat=Qt.TextFormat.PlainText)
        self.neurons_label.setStyleSheet(f"color: {HINT_COLOR};")

        self.figure = Figure(layout="constrained")
        grid = self.figure.add_gridspec(2, 2, height_ratios=[1, 1.15])
        self.flow_axes = self.figure.add_subplot(grid[0, 0])
        self.neurons_axes = self.figure.add_subplot(grid[0, 1])
        self.data_axes = self.figure.add_subplot(grid[1, :])
        self.grad_axes = self.data_axes.twinx()
        # Every update changes ticks and text: each is a full draw, made in the canvas's render
        # thread (the window never waits for it); the artists change only between two draws.
        self.canvas = BlitCanvas(self.figure, list, tuple, lambda: self.figure.bbox, render_in_thread=True)
        self.canvas.rendered.connect(self._on_canvas_rendered)
        self._held_back = False  # a refresh came while the thread was drawing

        bar = QHBoxLayout()
        bar.addWidget(QLabel("Parameter"))
        bar.addWidget(self.parameter_combo)
        bar.addWidget(self.numbers_label, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.canvas, 1)
        layout.addWidget(self.neurons_label)

        self._jobs = LatestJobThread(self._activity_ready.emit, "neuron activity")
        self._activity_ready.connect(self._on_activity_ready)
        self.destroyed.connect(self._jobs.close)
        self._draw()

    # ---- what the window feeds it

    def start_run(self, spec: ModelSpec, n_inputs: int, zero_grad: bool, n_outputs: int = 1) -> None:
        """A new run of the network `spec` builds for `n_inputs` (and `n_outputs`): forget the old run's numbers."""
        sizes = spec.layer_sizes(n_outputs)
        count = sum((fan_in + 1) * size for fan_in, size in zip([n_inputs, *sizes], sizes))
        self._untraced = count > TRACE_MAX_PARAMETERS
        # A large network is not traced: neither are its names listed (461,575 of them for 8 x 256
        # would hold the window for a third of a second at every change of the model).
        names = [] if self._untraced else parameter_names(n_inputs, sizes)
        if names != self._names:
            self._names = names
            keep = self.parameter_combo.currentText()
            with QSignalBlocker(self.parameter_combo):  # one redraw below, not one per item
                self.parameter_combo.clear()
                self.parameter_combo.addItems(names)
                self.parameter_combo.setCurrentIndex(names.index(keep) if keep in names else 0)
        self.parameter_combo.setEnabled(not self._untraced)
        self._trace = None if self._untraced else ParameterTrace(names)
        self._steps, self._layer_grads = [], []
        last = len(spec.activations)
        self._layer_labels = [
            f"{_layer_name(i, last)} ({activation})" for i, activation in enumerate(spec.activations, 1)
        ]
        self._zero_grad = zero_grad
        self._saved_steps = 0
        self._stale = True

    def add_saved_results(self, results: list[StepResult]) -> None:
        """An opened run's saved steps: their gradient flow; no parameter's history (not saved)."""
        self.add_results(results)
        self._saved_steps = results[-1].step if results else 0

    def add_results(self, results: list[StepResult]) -> None:
        for r in results:
            if r.layer_grads:
                self._steps.append(r.step)
                self._layer_grads.append(r.layer_grads)
        self._stale = True

    def add_trace(self, rows: list[TraceRow]) -> None:
        if self._trace is not None:
            try:
                self._trace.add(rows)
            except ValueError:  # rows of another network than the run announced: follow nothing
                self._trace = None
            if rows:
                self._zero_grad = rows[-1].zero_grad
            self._stale = True

    def set_weights(self, weights: ModelWeights, inputs: list[list[float]]) -> None:
        """Count dead and saturated neurons on `inputs` with these weights (in a worker thread)."""
        generation = self._generation
        self._jobs.submit(lambda: (generation, neuron_activity(weights, inputs)))

    def forget_network(self) -> None:
        """The network changed shape: results still being computed for the old one are dropped."""
        self._generation += 1
        self._activity = []
        self._stale = True

    def select_parameter(self, name: str) -> bool:
        """Follow the parameter called `name` ("w1.2.1", "b2.3"); False if this network has none."""
        index = self.parameter_combo.findText(name)
        if index < 0:
            return False
        self.parameter_combo.setCurrentIndex(index)
        return True

    def refresh(self) -> None:
        """Redraw if the numbers changed since the last draw (the window calls this when shown).

        While the render thread draws the figure, nothing may change: the redraw waits for `rendered`.
        """
        if self.canvas.rendering:
            self._held_back = True
        elif self._stale and self.isVisible():
            self._draw()

    @Slot()
    def _on_canvas_rendered(self) -> None:
        if self._held_back:  # only what was asked for meanwhile: the window paces the redraws
            self._held_back = False
            self.refresh()

    def history(self):
        """The selected parameter's ParameterHistory, or None (no trace, or nothing selected)."""
        index = self.parameter_combo.currentIndex()
        if self._trace is None or index < 0 or not len(self._trace):
            return None
        return self._trace.history(index)

    # ---- drawing

    @Slot(object)
    def _on_activity_ready(self, result: tuple) -> None:
        generation, activity = result
        if generation == self._generation:
            self._activity = activity
            self._stale = True
            self.refresh()

    @Slot(int)
    def _on_parameter_changed(self, _index: int) -> None:
        self._stale = True
        self.refresh()

    def _draw(self) -> None:
        """Move the numbers into the artists (rebuilt only when a plot's shape changes), then draw.

        Clearing an axes and plotting anew takes most of the GUI thread's time (ticks are made
        again); new data in the same lines takes a fraction of it. The draw itself is threaded."""
        self._stale = False
        self._draw_flow()
        self._draw_neurons()
        self._draw_history()
        self.canvas.draw_idle()

    def _rebuilt(self, panel: str, key: tuple) -> bool:
        """Whether `panel`'s shape changed since its last draw (then it is rebuilt from scratch)."""
        if self._shapes.get(panel) == key:
            return False
        self._shapes[panel] = key
        return True

    def _draw_flow(self) -> None:
        axes = self.flow_axes
        if self._rebuilt("flow", (tuple(self._layer_labels), bool(self._layer_grads))):
            axes.clear()
            axes.set_title("Gradient flow: mean |grad| per layer", fontsize="medium")
            axes.set_xlabel("step")
            if not self._layer_grads:
                _note(axes, "Train to see each layer's gradients")
                return
            for label in self._layer_labels:
                axes.plot([], [], label=label, linewidth=1.2)
            axes.set_yscale("log")
            axes.grid(True, which="major", alpha=0.3)
            axes.legend(fontsize="x-small", loc="best")
        if not self._layer_grads:
            return
        for i, line in enumerate(axes.get_lines()):
            line.set_data(
                self._steps, [g[i] if i < len(g) and g[i] > 0 else math.nan for g in self._layer_grads]
            )
        _fit(axes)

    def _draw_neurons(self) -> None:
        axes = self.neurons_axes
        activity = [a for a in self._activity if a.activation != "linear"]
        last = len(self._activity)
        labels = [f"{_layer_name(a.layer, last)}\n{a.activation}" for a in activity]
        if self._rebuilt("neurons", (tuple(labels), bool(self._activity))):
            axes.clear()
            axes.set_title("Neurons that stopped learning", fontsize="medium")
            if not activity:
                _note(axes, "No ReLU, tanh or sigmoid layers" if self._activity else "")
            else:
                zeros = [0.0] * len(labels)
                for color, label in (
                    (DEAD_COLOR, "dead (ReLU: 0 on every sample)"),
                    (SATURATED_COLOR, "saturated (flat on most samples)"),
                    (ALIVE_COLOR, "working"),
                ):
                    axes.barh(labels, zeros, color=color, label=label)
                axes.set_xlim(0, 1)
                axes.xaxis.set_major_formatter(lambda x, _pos: f"{x:.0%}")
                axes.invert_yaxis()
                # under the axis, not on the bars (which fill the width: any corner hides one)
                axes.legend(
                    fontsize="x-small",
                    loc="upper center",
                    bbox_to_anchor=(0.5, -0.12),
                    ncols=2,
                    frameon=False,
                )
        if not activity:
            self.neurons_label.setText("")
            return
        dead = [len(a.dead) / a.neurons for a in activity]
        saturated = [len(a.saturated) / a.neurons for a in activity]
        shares = (dead, saturated, [1 - d - s for d, s in zip(dead, saturated)])
        lefts = ([0.0] * len(dead), dead, [d + s for d, s in zip(dead, saturated)])
        for bars, widths, starts in zip(axes.containers, shares, lefts):
            for patch, width, left in zip(bars.patches, widths, starts):
                patch.set_x(left)
                patch.set_width(width)
        self.neurons_label.setText(_stopped_neurons(activity))

    def _draw_history(self) -> None:
        data_axes, grad_axes = self.data_axes, self.grad_axes
        history = self.history()
        name = self.parameter_combo.currentText() or "parameter"
        untraced = self._untraced
        state = "untraced" if untraced else "empty" if history is None else "data"
        if self._rebuilt("history", (name, self._zero_grad, state, self._saved_steps)):
            self._build_history_axes(name, state)
        if state != "data":
            self.numbers_label.setText("")
            return
        (data_line,) = data_axes.get_lines()
        grad_line, added_line, _zero = grad_axes.get_lines()
        data_line.set_data(history.steps, history.data)
        grad_line.set_data(history.steps, history.grad)
        added_line.set_data(history.steps, history.added)
        _fit(data_axes)
        _fit(grad_axes)
        step, data, grad, added = history.steps[-1], history.data[-1], history.grad[-1], history.added[-1]
        if self._zero_grad:
            text = f"step {step}: data {data:.6g}, grad {grad:.6g}"
        else:
            text = (
                f"step {step}: data {data:.6g}, grad {grad:.6g} = {grad - added:.6g} kept + {added:.6g} added"
            )
        self.numbers_label.setText(text)
        self.numbers_label.setStyleSheet("" if self._zero_grad else f"color: {WARNING_COLOR};")

    def _build_history_axes(self, name: str, state: str) -> None:
        data_axes, grad_axes = self.data_axes, self.grad_axes
        data_axes.clear()
        grad_axes.clear()
        saved = self._saved_steps
        since = f" from step {saved + 1} (the saved steps kept no parameter's history)" if saved else ""
        data_axes.set_title(f"{name}: its data and grad over the steps{since}", fontsize="medium")
        data_axes.set_xlabel("step")
        if state != "data":
            text = (
                f"Parameter history is kept for networks of up to {TRACE_MAX_PARAMETERS:,} parameters"
                if state == "untraced"
                else f"Resume to follow this parameter from step {saved + 1}"
                if saved
                else "Train to follow this parameter"
            )
            _note(data_axes, text)
            grad_axes.set_yticks([])
            return
        data_axes.plot([], [], color=DATA_COLOR, label="data")
        data_axes.set_ylabel("data", color=DATA_COLOR)
        grad_axes.plot([], [], color=GRAD_COLOR, label="grad (what the update used)")
        added = grad_axes.plot([], [], color=ADDED_COLOR, linestyle="--", label="added by this backward()")[0]
        added.set_visible(not self._zero_grad)  # with zero_grad, what was added is the grad itself
        grad_axes.axhline(0, color=GRAD_COLOR, linewidth=0.5, alpha=0.4)
        grad_axes.yaxis.tick_right()  # clear() puts a twin's ticks and label back on the left
        grad_axes.yaxis.set_label_position("right")
        grad_axes.set_ylabel("grad", color=GRAD_COLOR)
        lines = data_axes.get_lines() + grad_axes.get_lines()[: 1 if self._zero_grad else 2]
        grad_axes.legend(lines, [line.get_label() for line in lines], fontsize="x-small", loc="best")
        data_axes.grid(True, alpha=0.3)

    def shutdown(self) -> None:
        self._jobs.close()


def _layer_name(layer: int, last: int) -> str:
    """ "layer 2", or "output" for the last layer, as the Network tab heads its columns."""
    return "output" if layer == last else f"layer {layer}"


def _fit(axes) -> None:
    axes.relim(visible_only=True)
    axes.autoscale_view()


def _stopped_neurons(activity: list[LayerActivity]) -> str:
    dead = [f"{a.layer}.{n}" for a in activity for n in a.dead]
    saturated = [f"{a.layer}.{n}" for a in activity for n in a.saturated]
    parts = []
    if dead:
        parts.append("Dead neurons (ReLU output 0 on every sample, so no gradient): " + ", ".join(dead))
    if saturated:
        parts.append("Saturated neurons (flat on most samples): " + ", ".join(saturated))
    return ". ".join(parts) or "Every neuron passes gradients on these samples."


def _note(axes, text: str) -> None:
    axes.set_xticks([])
    axes.set_yticks([])
    axes.text(0.5, 0.5, text, ha="center", va="center", color=HINT_COLOR, transform=axes.transAxes, wrap=True)
