"""The Computation graph tab: one forward and backward pass drawn as the lecture's `draw_dot` draws it.

Every `Value` is a record (label | data | grad) and every operation a small node. The
graph is built by `engine.graph` from a copy of the weights (never the live model) and
drawn by a `GraphPane` (gui/graph/pane.py), shared with the Expression tab: `dot` in a
worker thread, and anything that only changes numbers (new weights of the same network,
another sample) rewrites the numbers in the SVG the last layout returned. This tab adds
the choice of sample and drawing, colours by |grad|, the details panel and PyTorch's grads.
"""

from __future__ import annotations

import html

from PySide6.QtCore import QSignalBlocker, Qt, QUrl, Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QSplitter,
    QTextBrowser,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from engine import graph as graph_engine
from engine.broken_graph import BrokenGraph, broken_sample_graph, locate, unmade_text
from engine.data import Dataset
from engine.diagnostics import Breakdown, describe
from engine.features import name_input_nodes
from engine.graph import Graph, GraphError, choose_form
from engine.teaching import format_number
from engine.weights import ModelWeights
from gui.graph.details import HISTORY_SCHEME, breakdown_html, comparison_html, model_details_html
from gui.graph.exercise_mode import ExerciseMode
from gui.graph.model_texts import BACKWARD_AGAIN_TIP, combo, idle_text, sample_text
from gui.graph.pane import GraphPane, legend_html
from gui.graph.render import KIND_COLORS
from gui.graph.step_guess import StepGuess
from gui.graph.tab import GraphTab
from gui.processes.torch_process import NOT_INSTALLED, torch_installed
from gui.widgets.elided_combo import ElidedCombo

AUTO_EXPANDED_MAX = 60  # Auto expands neurons while the whole graph stays readable at once (a neuron or two)
MAX_ALL_SAMPLES = 8  # "All samples (whole loss)" is offered for datasets this small (the lecture's 4)
MAX_SAMPLE_ITEMS = 1000  # the sample list stops here; a longer list would only be scrolled past
DETAILS_WIDTH = 260
ALL_SAMPLES = -1  # the sample combo's data for "All samples"

NEURON_MODES = ("Auto", "Expanded (lecture)", "Collapsed (one node per neuron)")
NEURON_FORMS = ("auto", "expanded", "collapsed")  # engine.graph.choose_form's names for them
TANH_MODES = ("tanh as one node", "tanh as exp: (e^2n − 1)/(e^2n + 1)")
NO_MODEL = "No model yet."
DETAILS_HINT = (
    "<p style='color:#666666'>Click a node to see its data and grad, and how the chain rule "
    "passes gradient through it.</p>"
)
GRAD_FILLS = [[("#ffffff", "grad 0"), ("#ffd9a6", "small")], [("#ffb54d", "larger"), ("#ff8c00", "largest")]]


class GraphView(GraphTab):
    """The graph of one sample's (or the small dataset's) forward and backward pass."""

    node_selected = Signal(str)
    parameter_selected = Signal(str)  # a weight or bias was clicked: its name ("w1.2.1", "b2.3")
    history_requested = Signal(str)  # "History ▸" in its details: show that parameter's history
    graph_shown = Signal()  # a graph was laid out (or switched to another sample) and is on screen
    torch_compared = Signal(float)  # PyTorch's grads are listed; the largest |ours − theirs|

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._weights: ModelWeights | None = None
        self._dataset: Dataset | None = None
        self._loss = "sse"
        self._sample: int | None = 0
        self._expanded = True
        self._dot_key: tuple | None = None  # _structure_key() of the graph _dot_text was made for
        self._dot_text: str | None = None
        self._torch_request: tuple[int, list[tuple[str, float]]] | None = None  # (id, our grads) asked
        self._breakdown: tuple[Breakdown, int] | None = None  # where a run broke, and at which step
        self._input_names: tuple[str, ...] = ()  # the network's inputs, named (engineered ones too)
        self._broken: BrokenGraph | None = None  # the graph drawn for it, and its node

        self.pane = GraphPane("graph layout", "graph", True, idle_text)
        self.pane.fills = "kind"
        self.pane.graph_shown.connect(self._on_pane_graph_shown)
        self.pane.rendered.connect(self._on_rendered)
        self.pane.node_selected.connect(self._on_node_selected)
        self.pane.problem_shown.connect(self._on_problem_shown)
        self.pane.export_failed.connect(self._on_export_failed)
        self._adopt_pane_widgets()
        self._build_toolbar()
        self.details = QTextBrowser(openLinks=False, minimumWidth=180)
        self.details.anchorClicked.connect(self._on_details_link_clicked)
        self.legend_label = QLabel(self._legend(), wordWrap=True, styleSheet="color: #444444;")
        # Two lines of its own, unwrapped: a wrapped label may be laid out one line short (clipped)
        self.info_label = QLabel(textFormat=Qt.TextFormat.PlainText, styleSheet="color: #555555;")
        self._build_layout()
        self.step_guess = StepGuess(self.pane)
        self.exercise = ExerciseMode(  # PyTorch's grads away meanwhile: they are the answers
            self.pane, self.details, (self.torch_button,), "choose Neurons ▸ Collapsed, or a smaller model"
        )

        self.canvas.clear(NO_MODEL)
        self._show_details()
        self._update_controls()

    # ------------------------------------------------------------ building the widgets

    def _adopt_pane_widgets(self) -> None:
        pane = self.pane
        self.canvas, self.message_label, self.step_label = pane.canvas, pane.message_label, pane.step_label
        self.step_prev_button, self.step_play_button = pane.step_prev_button, pane.step_play_button
        self.step_next_button, self.step_end_button = pane.step_next_button, pane.step_end_button
        self.step_reset_button, self.follow_check = pane.step_reset_button, pane.follow_check
        self.backward_again_button, self.fit_button = pane.backward_again_button, pane.fit_button
        self.export_button = pane.export_button
        self.canvas.setMinimumSize(240, 200)
        self.step_reset_button.setToolTip("Leave step-through: show the gradients of one backward() call")
        self.backward_again_button.setText("backward() again (no zero_grad)")
        self.backward_again_button.setToolTip(BACKWARD_AGAIN_TIP)
        self.export_button.setToolTip("Save the graph as it is shown: SVG, PNG (2×) or Graphviz DOT")
        pane.add_to_step_bar(self.step_end_button, self.step_reset_button, self.follow_check, 1)
        pane.add_to_step_bar(self.backward_again_button)

    def _build_toolbar(self) -> None:
        self.sample_combo = combo(
            (),
            22,
            "Which sample's forward and backward pass to draw",
            self._on_sample_combo_changed,
            ElidedCombo,
        )
        neurons_tip = (
            "Expanded: every w·x, + and activation is a node, as in the lecture.\n"
            "Collapsed: one node per neuron, act(w·x + b), for larger networks (same gradients).\n"
            f"Auto: expanded up to {AUTO_EXPANDED_MAX} nodes, collapsed beyond."
        )
        self.neurons_combo = combo(NEURON_MODES, 10, neurons_tip, self._on_structure_option_changed)
        tanh_tip = (
            "How tanh is drawn: as one node, or as the lecture derives it first,\n"
            "tanh(n) = (e^2n − 1)/(e^2n + 1), built from exp, +, ** and * (same gradients up to rounding)."
        )
        self.tanh_combo = combo(TANH_MODES, 12, tanh_tip, self._on_structure_option_changed)
        self.color_check = QCheckBox("Colour by |grad|")
        self.color_check.setToolTip(
            "Fill each value by the size of its gradient: white for none, deep orange for the largest "
            "(log scale)"
        )
        self.color_check.toggled.connect(self._on_color_check_toggled)
        self.torch_button = QToolButton(text="vs PyTorch")
        self.torch_button.setToolTip(
            "Run the same forward and backward pass in PyTorch float64 and list every parameter's "
            "grad beside ours, with the difference"
        )
        self.torch_button.clicked.connect(self.compare_with_torch)
        if not torch_installed():
            self.torch_button.setEnabled(False)
            self.torch_button.setToolTip(NOT_INSTALLED)
        bar = self._toolbar = QHBoxLayout()
        bar.setContentsMargins(6, 4, 6, 0)
        bar.setSpacing(6)
        for text, widget, stretch in (
            ("", self.sample_combo, 1),  # its items say "Sample"; width to spare goes to their numbers
            ("Neurons", self.neurons_combo, 0),
            ("", self.tanh_combo, 0),
        ):
            if text:
                bar.addWidget(QLabel(text))
            bar.addWidget(widget, stretch)
        bar.addWidget(self.color_check)
        for widget in (self.torch_button, self.fit_button, self.export_button):
            bar.addWidget(widget)

    def _build_layout(self) -> None:
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 4, 4)
        right_layout.setSpacing(6)
        right_layout.addWidget(self.details, 1)
        right_layout.addWidget(self.info_label)
        right_layout.addWidget(self.legend_label)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.pane)
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 0)
        self.splitter.setCollapsible(0, False)
        self.splitter.setSizes([800, DETAILS_WIDTH])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(self._toolbar)
        layout.addWidget(self.splitter, 1)

    # ------------------------------------------------------------ public API

    def set_model(self, weights: ModelWeights, dataset: Dataset, loss: str) -> None:
        """Show the graph of these weights (a snapshot) on `dataset` with the loss called `loss`.

        Same structure as shown (only the numbers changed): the numbers are rewritten in the
        current layout, keeping zoom, selection and step-through. Otherwise `dot` lays it out again.
        """
        if weights is not self._weights:
            self._breakdown = None  # other weights: not those the run broke on
        self._weights, self._dataset, self._loss = weights, dataset, loss
        self._sync_sample_combo()
        self._show_graph(announce_reuse=False)

    def show_breakdown(
        self, found: Breakdown, step: int, weights: ModelWeights, dataset: Dataset, loss: str
    ) -> None:
        """Draw the sample on which step `step` broke, from the weights it started from, with the
        node where it broke selected and explained (the whole loss, or the current sample, when no
        single sample broke)."""
        self._breakdown = (found, step)
        self._weights, self._dataset, self._loss = weights, dataset, loss
        if found.sample is not None:
            self._sample = found.sample
        elif found.phase != "update" and len(dataset) <= MAX_ALL_SAMPLES:
            self._sample = None
        self._sync_sample_combo()
        self._show_graph(announce_reuse=True)

    def set_sample(self, index: int | None) -> None:
        """Draw sample `index` (0-based), or with None the whole loss over a small dataset."""
        n = len(self._dataset) if self._dataset is not None else 0
        if index is None:
            if self._dataset is not None and n > MAX_ALL_SAMPLES:
                raise ValueError(f"the whole loss is drawn only for up to {MAX_ALL_SAMPLES} samples, not {n}")
        elif not 0 <= index < max(n, 1):
            raise ValueError(f"sample {index} does not exist: the dataset has {n} samples")
        self._sample = index
        self._breakdown = None  # another sample: no longer the one the run broke on
        self._select_sample_item()
        if self._weights is not None:
            self._show_graph(announce_reuse=True)

    def export_dialog(self, suffix: str = ".svg", name_filter: str = "SVG image (*.svg)") -> None:
        """Ask where to save the graph, then save it (File ▸ Export computation graph, the Export button)."""
        self.pane.export_dialog(suffix, name_filter)

    def _show_graph(self, announce_reuse: bool) -> None:
        """Build the graph for the current choices; lay it out unless the shown layout fits it."""
        problem = self._data_problem()
        if problem:
            self.pane.session.show(None)
            self.pane.show_problem(problem)
            return
        try:
            graph = self._build_graph()
        except GraphError as exc:
            problem = str(exc)
        except (ArithmeticError, ValueError) as exc:  # e.g. e^2n overflows in tanh's exp form
            problem = f"This graph cannot be computed: {exc}. Try “tanh as one node”."
            if self._breakdown is not None:
                found, step = self._breakdown
                problem = (
                    f"This graph cannot be drawn: its forward pass fails ({exc}). {found.sentence(step)}"
                )
        if problem:
            self.pane.session.show(None)
            self.pane.show_problem(problem)
            return
        key = self._structure_key()
        if key != self._dot_key or self._dot_text is None:  # training's new weights: the same text
            self._dot_key, self._dot_text = key, self.pane.dot(graph)
        self.pane.show_graph(graph, self._dot_text, renew=True, announce_reuse=announce_reuse)
        broken = self._broken
        if broken is not None and broken.node is not None and self.session.select(broken.node.id):
            self.pane.render(keep_view=True)

    def set_input_names(self, names: list[str]) -> None:
        """Name the input nodes by the network's inputs (x1, x2, x1², ...); from the next graph on."""
        self._input_names = tuple(names)

    def _build_graph(self) -> Graph:
        graph = self._build_unnamed_graph()
        name_input_nodes(graph, self._input_names)
        return graph

    def _build_unnamed_graph(self) -> Graph:
        weights, dataset = self._weights, self._dataset
        n = len(dataset) if self._sample is None else 1
        tanh_as_exp = self.tanh_combo.currentIndex() == 1
        # Sized from the weights' shape, before any Value exists: the largest model the UI
        # allows would take seconds to build only to be refused.
        form = NEURON_FORMS[self.neurons_combo.currentIndex()]
        self._expanded = expanded = choose_form(weights, n, form, tanh_as_exp, AUTO_EXPANDED_MAX)
        model = weights.to_model()
        self._broken = None
        parameter = self._breakdown[0].parameter if self._breakdown is not None else None
        if self._sample is None:
            graph = graph_engine.dataset_graph(model, dataset, self._loss, expanded, tanh_as_exp)
            if self._breakdown is not None:
                self._broken = BrokenGraph(graph, locate(graph, parameter))
            return graph
        x, y = dataset.inputs[self._sample], dataset.targets[self._sample]
        if self._breakdown is None:
            return graph_engine.sample_graph(model, x, y, self._loss, expanded, tanh_as_exp)
        self._broken = broken_sample_graph(model, x, y, self._loss, expanded, tanh_as_exp, parameter)
        return self._broken.graph

    def _structure_key(self) -> tuple:
        """What the DOT text depends on (its numbers are placeholders): the network's shape, the
        drawn samples (a target is a constant, named by its value), the loss and the drawing options."""
        weights, dataset = self._weights, self._dataset
        samples = range(len(dataset)) if self._sample is None else [self._sample]
        return (
            weights.inputs,
            tuple(weights.sizes),
            tuple(weights.activations),
            self._sample,
            tuple(tuple(dataset.inputs[i]) for i in samples),
            tuple(dataset.targets[i] for i in samples),
            self._loss,
            self._input_names,
            self._expanded,
            self.tanh_combo.currentIndex(),
            self._broken.unmade if self._broken is not None else "",  # a graph ending before its loss
        )

    def _data_problem(self) -> str:
        if self._weights is None or self._dataset is None:
            return NO_MODEL
        if len(self._dataset) == 0:
            return "The dataset is empty: add a sample to see the graph of its forward and backward pass."
        if self._dataset.n_inputs != self._weights.inputs:
            return (
                f"The samples have {self._dataset.n_inputs} inputs but the network takes "
                f"{self._weights.inputs}: rebuild the network for this data."
            )
        return ""

    def _on_problem_shown(self, text: str) -> None:
        """No picture: `text` says why (and what to do); step-through and the selection end."""
        self.pane.stop_play()
        session = self.session
        session.stop_stepping()
        session.selected = session.details_id = None
        self._torch_request = None
        self.pane.show_message(text, error=text != NO_MODEL)
        self._show_details()
        self.step_label.setText("")
        self._update_info()
        self._update_controls()

    # ------------------------------------------------------------ drawing

    def _on_pane_graph_shown(self) -> None:
        broken = self._broken
        if self._breakdown is not None and broken is not None and broken.node is not None:
            self.canvas.ensure_node_visible(broken.node.id, self.canvas.READABLE_SCALE)
        self.graph_shown.emit()

    def _on_rendered(self) -> None:
        self._show_details()
        self._update_info()
        self._update_controls()

    def _on_export_failed(self, text: str) -> None:
        self.pane.show_message(text, error=True)

    def _update_info(self) -> None:
        graph = self.current_graph()
        if graph is None:
            self.info_label.setText("")
            return
        mode = "expanded" if self._expanded else "one node per neuron"
        if self.neurons_combo.currentIndex() == 0:
            mode += " (auto)"
        root = graph.root
        self.info_label.setText(
            f"{len(graph):,} nodes · {mode}\n{root.label or describe(root)} = {format_number(root.data)}"
        )

    def _update_controls(self) -> None:
        for widget in (self.sample_combo, self.neurons_combo):
            widget.setEnabled(self._weights is not None)
        self.tanh_combo.setEnabled(self._weights is not None and "tanh" in self._weights.activations)

    def _legend(self) -> str:
        if self.color_check.isChecked():
            return legend_html([GRAD_FILLS[0], [*GRAD_FILLS[1], (None, "(|grad|, log)")]])
        kinds = [(color, kind) for kind, color in KIND_COLORS.items()]
        return legend_html([kinds[:3], kinds[3:]])

    def _on_color_check_toggled(self, checked: bool) -> None:
        self.pane.fills = "grad" if checked else "kind"
        self.legend_label.setText(self._legend())
        self.pane.render(keep_view=True)

    # ------------------------------------------------------------ choices

    def _sync_sample_combo(self) -> None:
        """Items for the dataset's samples; the chosen sample stays if it still exists."""
        ds = self._dataset
        n = len(ds) if ds is not None else 0
        if self._sample is None and n > MAX_ALL_SAMPLES:
            self._sample = 0
        elif self._sample is not None and self._sample >= n:
            self._sample = max(n - 1, 0)
        items = [sample_text(i, ds.inputs[i], ds.targets[i]) for i in range(min(n, MAX_SAMPLE_ITEMS))]
        if 0 < n <= MAX_ALL_SAMPLES:
            items.append("All samples (whole loss)")
        current = [self.sample_combo.itemText(i) for i in range(self.sample_combo.count())]
        if items != current:
            with QSignalBlocker(self.sample_combo):
                self.sample_combo.clear()
                for i, text in enumerate(items):
                    self.sample_combo.addItem(text, ALL_SAMPLES if i == min(n, MAX_SAMPLE_ITEMS) else i)
        self._select_sample_item()

    def _select_sample_item(self) -> None:
        wanted = ALL_SAMPLES if self._sample is None else self._sample
        index = self.sample_combo.findData(wanted)
        if index < 0 and self._sample is not None and self._sample >= MAX_SAMPLE_ITEMS:
            self.sample_combo.addItem(f"Sample {self._sample + 1}", self._sample)
            index = self.sample_combo.count() - 1
        with QSignalBlocker(self.sample_combo):
            self.sample_combo.setCurrentIndex(index)

    def _on_sample_combo_changed(self, index: int) -> None:
        data = self.sample_combo.itemData(index)
        if data is not None:
            self.set_sample(None if data == ALL_SAMPLES else int(data))

    def _on_structure_option_changed(self, _index: int) -> None:
        if self._weights is not None:
            self._show_graph(announce_reuse=True)

    # ------------------------------------------------------------ selection, details, PyTorch

    def _on_node_selected(self, node_id: str) -> None:
        self._torch_request = None  # the details show this node now, not a comparison still coming
        self.node_selected.emit(node_id)
        node = self.session.details_node
        if node is not None and node.kind in ("weight", "bias") and node.name:
            self.parameter_selected.emit(node.name)

    def _on_details_link_clicked(self, url: QUrl) -> None:
        if url.scheme() == HISTORY_SCHEME:
            self.history_requested.emit(url.path())

    def _show_details(self) -> None:
        node = self.session.details_node
        text = DETAILS_HINT if node is None else model_details_html(self.session, node)
        broken = self._broken if self._breakdown is not None else None
        if broken is not None and (node is None or node is broken.node):
            found, step = self._breakdown
            text = breakdown_html(found.sentence(step), unmade_text(broken), broken.node is not None) + text
        self.details.setHtml(text)

    def compare_with_torch(self) -> None:
        """Ask PyTorch (float64, in its own process) for every parameter's grad, to list beside ours.

        The answer fills the details panel when it comes, and `torch_compared` gives the largest
        difference. The first takes seconds (PyTorch loads in the child) and says so meanwhile.
        """
        if self._data_problem() or self.current_graph() is None:
            return
        if not torch_installed():
            self._torch_request = None
            self.details.setHtml(f"<p>{html.escape(NOT_INSTALLED)}.</p>")
            return
        samples = range(len(self._dataset)) if self._sample is None else [self._sample]
        xs = [self._dataset.inputs[i] for i in samples]
        ys = [self._dataset.targets[i] for i in samples]
        # Ours from a fresh pass now (a step-through may have left the shown graph's grads
        # partial), of the same snapshot PyTorch is sent: later weights do not mix in.
        model = self._weights.to_model()
        if self._sample is None:
            graph_engine.dataset_graph(model, self._dataset, self._loss)
        else:
            graph_engine.sample_graph(model, xs[0], ys[0], self._loss)
        ours = [(p.label, p.grad) for p in model.parameters()]
        request_id = self.comparer.compare_grads(self._weights, xs, ys, self._loss)
        self._torch_request = (request_id, ours)
        if self.comparer.loading:
            self.details.setHtml(
                "<p><b>Loading PyTorch…</b></p><p>Its first import takes a few seconds; "
                "the comparison appears here when it is ready.</p>"
            )

    @Slot(int, object, str, str)
    def _on_torch_answered(self, request_id: int, result: object, failure: str, why: str) -> None:
        pending, self._torch_request = self._torch_request, None
        if pending is None or pending[0] != request_id:
            self._torch_request = pending  # an answer nobody waits for any more
            return
        if result is None:
            text = why if failure == "load" else f"PyTorch could not compute this graph: {why}"
            self.details.setHtml(f"<p>{html.escape(text)}.</p>")
            return
        torch_loss, theirs = result
        self.details.setHtml(comparison_html(pending[1], theirs, torch_loss))
        self.torch_compared.emit(max(abs(a - b) for (_label, a), b in zip(pending[1], theirs)))
