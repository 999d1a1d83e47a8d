"""The Computation graph tab: one forward and backward pass drawn as the lecture's `draw_dot` draws it.

Every `Value` is a record (label | data | grad) and every operation a small node. The
graph is built by `engine.graph` from a copy of the weights (never the live model),
laid out by Graphviz's `dot` in a worker thread, and shown as SVG. Anything that only
changes numbers (new weights of the same network, another sample) rewrites the numbers
in the SVG the last layout returned (`SvgGraph`) instead of running `dot` again: the
DOT text is the same, so the layout would be too. Step-through replays backward() one
node at a time (`BackwardStepper`) and redraws the same layout after every step.
"""

from __future__ import annotations

import html
import math
import time
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import (
    QEvent,
    QObject,
    Qt,
    QTimer,
    Signal,
    Slot,
)
from PySide6.QtGui import QAction, QCloseEvent
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QSplitter,
    QStyle,
    QTextBrowser,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from engine import graph as graph_engine
from engine.backprop import BackwardStep, BackwardStepper
from engine.data import Dataset
from engine.graph import MAX_EDGES, MAX_NODES, Graph, GraphError, GraphNode, drawn_edge_count, drawn_size
from engine.teaching import KIND_HELP, explain_step, format_number, local_rule, node_name, op_symbol
from engine.weights import ModelWeights
from gui import graph_render
from gui.graph_canvas import LayoutRunner, SvgGraphCanvas, export_graph, show_play_state
from gui.graph_render import KIND_COLORS
from gui.graph_svg import SvgGraph, SvgTemplate
from gui.style import ERROR_COLOR
from gui.torch_process import NOT_INSTALLED, TorchComparer, torch_installed

AUTO_EXPANDED_MAX = 60  # Auto expands neurons while the whole graph stays readable at once (a neuron or two)
MAX_ALL_SAMPLES = 8  # "All samples (whole loss)" is offered for datasets this small (the lecture's 4)
MAX_SAMPLE_ITEMS = 1000  # the sample list stops here; a longer list would only be scrolled past
PLAY_INTERVAL_MS = 400
DETAILS_WIDTH = 260

CURRENT_STYLE = ("#d62728", 4.0)  # the node whose backward rule runs in this step
OPERAND_STYLE = ("#f28e2b", 3.0)  # the operands it passes gradient to
SELECTED_STYLE = ("#1f5fbf", 3.5)  # the node clicked last
ALL_SAMPLES = -1  # the sample combo's data for "All samples"

NEURON_MODES = ("Auto", "Expanded (lecture)", "Collapsed (one node per neuron)")
TANH_MODES = ("tanh as one node", "tanh as exp: (e^2n − 1)/(e^2n + 1)")


# ---------------------------------------------------------------- the tab


class GraphView(QWidget):
    """The graph of one sample's (or the small dataset's) forward and backward pass."""

    node_selected = Signal(str)
    graph_shown = Signal()  # a graph was laid out (or switched to another sample) and is on screen
    torch_compared = Signal(float)  # PyTorch's grads are listed; the largest |ours − theirs|

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._weights: ModelWeights | None = None
        self._dataset: Dataset | None = None
        self._loss = "sse"
        self._sample: int | None = 0
        self._graph: Graph | None = None
        self._svg_graph: SvgGraph | None = None  # the laid-out graph on screen, None while there is none
        self._kind_fills_on: SvgGraph | None = None  # the SvgGraph whose fills are the kinds' colours
        self._dot_key: tuple | None = None  # _structure_key() of the graph _dot_text was made for
        self._dot_text: str | None = None
        self._layout_bytes: bytes | None = None  # dot's SVG, reused while the DOT text stays the same
        self._layout_template: SvgTemplate | None = None  # that SVG cut for new numbers
        self._shown_dot: str | None = None  # the DOT text of that layout
        self._pending_dot: str | None = None  # the DOT text being laid out
        self._expanded = True
        self._layout = LayoutRunner(self, "graph layout")
        self._layout.finished.connect(self._on_layout_finished)
        self._stepper: BackwardStepper | None = None
        self._last_step: BackwardStep | None = None
        self._backward_calls = 1  # backward() calls since the last zero_grad on the shown graph
        self._selected: str | None = None  # blue outline
        self._details_id: str | None = None  # the node the details panel describes
        self._users: dict[str, list[GraphNode]] | None = None
        self._layout_started = 0.0
        self.last_layout_seconds = 0.0  # request to graph on screen, for the status bar and benchmarks
        self.shown_svg: bytes | None = None  # the SVG on the canvas, numbers and outlines included

        self._build_toolbar()
        self.canvas = SvgGraphCanvas()
        self.canvas.setMinimumSize(240, 200)
        self.canvas.node_clicked.connect(self._on_canvas_node_clicked)
        self.canvas.shown.connect(self._on_canvas_shown)
        self._announce_when_painted = False  # graph_shown waits for the canvas's painting thread
        self._torch = TorchComparer()  # PyTorch, in a child process: importing it here would freeze us
        self._torch.answered.connect(self._on_torch_answered)
        self._torch_request: tuple[int, list[tuple[str, float]]] | None = None  # (id, our grads) asked
        self.canvas.installEventFilter(self)
        self.message_label = QLabel()
        self.message_label.setWordWrap(True)
        self.message_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message_label.setVisible(False)
        self.details = QTextBrowser()
        self.details.setOpenLinks(False)
        self.details.setMinimumWidth(180)
        self._build_step_bar()
        self.legend_label = QLabel(_legend_html(color_by_grad=False))
        self.legend_label.setWordWrap(True)
        self.legend_label.setStyleSheet("color: #444444;")
        self.info_label = QLabel()
        self.info_label.setWordWrap(True)
        self.info_label.setStyleSheet("color: #555555;")

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.setSpacing(2)
        left_layout.addWidget(self.message_label)
        left_layout.addWidget(self.canvas, 1)
        left_layout.addLayout(self._step_bar)
        left_layout.addWidget(self.step_label)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 4, 4)
        right_layout.setSpacing(6)
        right_layout.addWidget(self.details, 1)
        right_layout.addWidget(self.info_label)
        right_layout.addWidget(self.legend_label)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(left)
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

        self._play_timer = QTimer(self)
        self._play_timer.setInterval(PLAY_INTERVAL_MS)
        self._play_timer.timeout.connect(self._on_play_timer_timeout)
        app = QApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)
        self.canvas.clear("No model yet.")
        self._show_details(None)
        self._update_controls()

    # ------------------------------------------------------------ building the widgets

    def _build_toolbar(self) -> None:
        self.sample_combo = QComboBox()
        self.sample_combo.setToolTip("Which sample's forward and backward pass to draw")
        self.sample_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.sample_combo.setMinimumContentsLength(22)
        self.sample_combo.currentIndexChanged.connect(self._on_sample_combo_changed)
        self.neurons_combo = QComboBox()
        self.neurons_combo.addItems(NEURON_MODES)
        self.neurons_combo.setToolTip(
            "Expanded: every w·x, + and activation is a node, as in the lecture.\n"
            "Collapsed: one node per neuron, act(w·x + b), for larger networks (same gradients).\n"
            f"Auto: expanded up to {AUTO_EXPANDED_MAX} nodes, collapsed beyond."
        )
        self.neurons_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.neurons_combo.setMinimumContentsLength(10)
        self.neurons_combo.currentIndexChanged.connect(self._on_structure_option_changed)
        self.tanh_combo = QComboBox()
        self.tanh_combo.addItems(TANH_MODES)
        self.tanh_combo.setToolTip(
            "How tanh is drawn: as one node, or as the lecture derives it first,\n"
            "tanh(n) = (e^2n − 1)/(e^2n + 1), built from exp, +, ** and * (same gradients up to rounding)."
        )
        self.tanh_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.tanh_combo.setMinimumContentsLength(12)
        self.tanh_combo.currentIndexChanged.connect(self._on_structure_option_changed)
        self.color_check = QCheckBox("Colour by |grad|")
        self.color_check.setToolTip(
            "Fill each value by the size of its gradient: white for none, deep orange for the largest "
            "(log scale)"
        )
        self.color_check.toggled.connect(self._on_color_check_toggled)
        self.fit_button = QToolButton()
        self.fit_button.setText("Fit")
        self.fit_button.setToolTip("Show the whole graph (0 or F)")
        self.fit_button.clicked.connect(self._on_fit_clicked)
        self.export_button = QToolButton()
        self.export_button.setText("Export")
        self.export_button.setToolTip("Save the graph as it is shown: SVG, PNG (2×) or Graphviz DOT")
        self.export_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.export_button)
        for text, suffix, name_filter in (
            ("SVG image…", ".svg", "SVG image (*.svg)"),
            ("PNG image…", ".png", "PNG image (*.png)"),
            ("Graphviz DOT…", ".dot", "Graphviz DOT (*.dot *.gv)"),
        ):
            menu.addAction(text).setData((suffix, name_filter))
        # Slots are bound methods, not lambdas holding `self`: a lambda would keep a dropped view alive
        menu.triggered.connect(self._on_export_action)
        self.export_button.setMenu(menu)
        self.torch_button = QToolButton()
        self.torch_button.setText("vs PyTorch")
        self.torch_button.setToolTip(
            "Run the same forward and backward pass in PyTorch float64 and list every parameter's "
            "grad beside ours, with the difference"
        )
        self.torch_button.clicked.connect(self.compare_with_torch)
        if not torch_installed():
            self.torch_button.setEnabled(False)
            self.torch_button.setToolTip(NOT_INSTALLED)

        bar = QHBoxLayout()
        bar.setContentsMargins(6, 4, 6, 0)
        bar.setSpacing(6)
        for text, widget, stretch in (
            ("Sample", self.sample_combo, 3),
            ("Neurons", self.neurons_combo, 2),
            ("", self.tanh_combo, 2),
        ):
            if text:
                bar.addWidget(QLabel(text))
            bar.addWidget(widget, stretch)
        bar.addWidget(self.color_check)
        bar.addStretch(1)
        bar.addWidget(self.torch_button)
        bar.addWidget(self.fit_button)
        bar.addWidget(self.export_button)
        self._toolbar = bar

    def _build_step_bar(self) -> None:
        style = self.style()

        def button(icon: QStyle.StandardPixmap, text: str, tip: str) -> QPushButton:
            b = QPushButton(style.standardIcon(icon), text)
            b.setToolTip(tip)
            b.setAutoDefault(False)
            return b

        sp = QStyle.StandardPixmap
        self.step_reset_button = button(
            sp.SP_BrowserReload, "Reset", "Leave step-through: show the gradients of one backward() call"
        )
        self.step_prev_button = button(sp.SP_MediaSeekBackward, "", "One step back (Left)")
        self.step_play_button = button(sp.SP_MediaPlay, "Play", "Step through backward() automatically")
        self.step_play_button.setCheckable(True)
        self.step_next_button = button(
            sp.SP_MediaSeekForward, "Step", "Run the next node's backward rule (Right): output first"
        )
        self.step_end_button = button(sp.SP_MediaSkipForward, "", "Run backward() to the end")
        self.backward_again_button = QPushButton("backward() again (no zero_grad)")
        self.backward_again_button.setToolTip(
            "Call loss.backward() once more without zero_grad() first: every leaf (input, weight, bias)\n"
            "adds the same gradient again, so its grad doubles, then triples... This is the accumulation\n"
            "bug the lecture warns about, made visible: training would step with these wrong gradients.\n"
            "Reset shows the gradients of a single backward() again."
        )
        self.backward_again_button.setAutoDefault(False)
        self.follow_check = QCheckBox("Follow")
        self.follow_check.setChecked(True)
        self.follow_check.setToolTip(
            "While stepping, zoom in until the numbers are readable and keep the current node in view"
        )
        self.step_reset_button.clicked.connect(self._on_step_reset_clicked)
        self.step_prev_button.clicked.connect(self._on_step_prev_clicked)
        self.step_play_button.toggled.connect(self._on_step_play_toggled)
        self.step_next_button.clicked.connect(self._on_step_next_clicked)
        self.step_end_button.clicked.connect(self._on_step_end_clicked)
        self.backward_again_button.clicked.connect(self._on_backward_again_clicked)
        bar = QHBoxLayout()
        bar.setContentsMargins(6, 2, 6, 0)
        bar.setSpacing(4)
        bar.addWidget(QLabel("Backprop:"))
        for b in (
            self.step_prev_button,
            self.step_play_button,
            self.step_next_button,
            self.step_end_button,
            self.step_reset_button,
        ):
            bar.addWidget(b)
        bar.addWidget(self.follow_check)
        bar.addStretch(1)
        bar.addWidget(self.backward_again_button)
        self._step_bar = bar
        self.step_label = QLabel()
        self.step_label.setWordWrap(True)
        self.step_label.setTextFormat(Qt.TextFormat.PlainText)
        self.step_label.setContentsMargins(8, 2, 8, 2)
        self.step_label.setMinimumHeight(2 * self.fontMetrics().lineSpacing() + 6)
        self.step_label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)

    # ------------------------------------------------------------ public API

    def set_model(self, weights: ModelWeights, dataset: Dataset, loss: str) -> None:
        """Show the graph of these weights (a snapshot) on `dataset` with the loss called `loss`.

        Same structure as shown (only the numbers changed): the numbers are rewritten in the
        current layout, keeping zoom, selection and step-through. Otherwise `dot` lays it out again.
        """
        self._weights, self._dataset, self._loss = weights, dataset, loss
        self._sync_sample_combo()
        self._show_graph(announce_reuse=False)

    def set_sample(self, index: int | None) -> None:
        """Draw sample `index` (0-based), or with None the whole loss over a small dataset."""
        n = len(self._dataset) if self._dataset is not None else 0
        if index is None:
            if self._dataset is not None and n > MAX_ALL_SAMPLES:
                raise ValueError(f"the whole loss is drawn only for up to {MAX_ALL_SAMPLES} samples, not {n}")
        elif not 0 <= index < max(n, 1):
            raise ValueError(f"sample {index} does not exist: the dataset has {n} samples")
        self._sample = index
        self._select_sample_item()
        if self._weights is not None:
            self._show_graph(announce_reuse=True)

    def current_graph(self) -> Graph | None:
        return self._graph

    def export(self, path: str) -> None:
        """Write the graph as shown: .svg, .png (2×, white background) or .dot (with its numbers)."""
        svg = self._svg_graph.to_bytes() if self._svg_graph is not None and self._graph is not None else None
        export_graph(
            path,
            svg,
            lambda: graph_render.to_dot(
                self._graph, color_by_grad=self.color_check.isChecked(), numbers=True
            ),
        )

    def shutdown(self) -> None:
        """Stop the layout and painting threads (a running `dot` is killed); safe to call twice."""
        self._play_timer.stop()
        self._layout.shutdown()
        self.canvas.shutdown()
        self._torch_request = None
        self._torch.close()  # the PyTorch child ends with the last view using it

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt's name)
        self.shutdown()
        super().closeEvent(event)

    @property
    def stepping(self) -> bool:
        return self._stepper is not None

    @property
    def step_position(self) -> int:
        """Nodes whose backward rule has run in step-through (0 outside it)."""
        return self._stepper.position if self._stepper is not None else 0

    @property
    def highlights(self) -> dict[str, str]:
        """Node id -> "current", "operand" or "selected": the outlines drawn now."""
        styles = {}
        if self._selected is not None:
            styles[self._selected] = "selected"
        if self._stepper is not None and self._last_step is not None:
            for operand, _local, _added in self._last_step.contributions:
                styles[operand.id] = "operand"
            styles[self._last_step.node.id] = "current"
        return styles

    # ------------------------------------------------------------ building and laying out

    def _show_graph(self, announce_reuse: bool) -> None:
        """Build the graph for the current choices; lay it out unless the shown layout fits it."""
        problem = self._data_problem()
        if problem:
            self._graph = None
            self._show_problem(problem)
            return
        try:
            graph = self._build_graph()
        except GraphError as exc:
            self._graph = None
            self._show_problem(str(exc))
            return
        except (ArithmeticError, ValueError) as exc:  # e.g. e^2n overflows in tanh's exp form
            self._graph = None
            self._show_problem(f"This graph cannot be computed: {exc}. Try “tanh as one node”.")
            return
        self._graph = graph
        self._users = None
        key = self._structure_key()
        if key != self._dot_key or self._dot_text is None:  # training's new weights: the same text
            self._dot_key, self._dot_text = key, graph_render.to_dot(graph)
        dot = self._dot_text
        if dot == self._shown_dot and self._layout_bytes is not None:
            # The same DOT text lays out the same way: new numbers in the layout on screen.
            if self._pending_dot is not None:  # a layout for something else is no longer wanted
                self._layout.cancel()
                self._pending_dot = None
                self._show_message("")
            if self._svg_graph is None:
                self._svg_graph = SvgGraph(self._layout_template or self._layout_bytes, graph)
            else:  # the same node ids: its edited SVG serves the new graph (saves parsing it again)
                self._svg_graph.graph = graph
            self._replay_state()
            self._render(keep_view=True)
            if announce_reuse:  # a sample switch shows another graph; set_model only new numbers
                self._announce_shown()
            return
        if dot == self._pending_dot:
            return  # that layout is under way and will show this graph
        self._stop_stepping()
        self._backward_calls = 1
        self._selected = self._details_id = None
        ok, why = graph_render.dot_available()
        if not ok:
            self._show_problem(why)
            return
        self._request_layout(dot, len(graph))

    def _build_graph(self) -> Graph:
        weights = self._weights
        assert weights is not None and self._dataset is not None
        n = len(self._dataset) if self._sample is None else 1
        mode = self.neurons_combo.currentIndex()
        tanh_as_exp = self.tanh_combo.currentIndex() == 1
        # Sized from the weights' shape, before any Value exists: the largest model the UI
        # allows would take seconds to build only to be refused.
        collapsed_size = drawn_size(weights, n, expanded=False, tanh_as_exp=tanh_as_exp)
        expanded_size = drawn_size(weights, n, expanded=True, tanh_as_exp=tanh_as_exp)
        if mode == 0:
            expanded = expanded_size <= AUTO_EXPANDED_MAX
            if collapsed_size > MAX_NODES:
                raise GraphError(
                    f"This network makes about {collapsed_size:,} nodes even with one node per neuron; "
                    f"at most {MAX_NODES:,} can be drawn. Pick a smaller model to see its graph."
                )
        else:
            expanded = mode == 1
            size = expanded_size if expanded else collapsed_size
            if size > MAX_NODES:
                hint = "choose “Collapsed”" if expanded else "pick a smaller model"
                raise GraphError(f"About {size:,} nodes is too many to draw (at most {MAX_NODES:,}): {hint}.")
        edges = drawn_edge_count(weights, n, expanded=expanded, tanh_as_exp=tanh_as_exp)
        if edges > MAX_EDGES:
            collapsed_edges = drawn_edge_count(weights, n, False, tanh_as_exp)
            hint = (
                "choose “Collapsed”" if expanded and collapsed_edges <= MAX_EDGES else "pick a smaller model"
            )
            raise GraphError(
                f"This network is too large to draw: about {edges:,} arrows (at most {MAX_EDGES:,}), "
                f"as every neuron reads every neuron of the layer before. To see a graph, {hint}."
            )
        self._expanded = expanded
        model = weights.to_model()
        if self._sample is None:
            return graph_engine.dataset_graph(model, self._dataset, self._loss, expanded, tanh_as_exp)
        x, y = self._dataset.inputs[self._sample], self._dataset.targets[self._sample]
        return graph_engine.sample_graph(model, x, y, self._loss, expanded, tanh_as_exp)

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
            self._expanded,
            self.tanh_combo.currentIndex(),
        )

    def _data_problem(self) -> str:
        if self._weights is None or self._dataset is None:
            return "No model yet."
        if len(self._dataset) == 0:
            return "The dataset is empty: add a sample to see the graph of its forward and backward pass."
        if self._dataset.n_inputs != self._weights.inputs:
            return (
                f"The samples have {self._dataset.n_inputs} inputs but the network takes "
                f"{self._weights.inputs}: rebuild the network for this data."
            )
        return ""

    def _request_layout(self, dot: str, n_nodes: int) -> None:
        self._pending_dot = dot
        self._svg_graph = None  # the old picture stays until the new one is ready, but is inert
        self._layout_started = time.perf_counter()
        self._show_message(f"Laying out {n_nodes:,} nodes…")
        self._update_controls()
        self._layout.request(dot, self._graph.node_ids)

    @Slot(object, object, str)
    def _on_layout_finished(self, svg: bytes | None, template: SvgTemplate | None, error: str) -> None:
        dot, self._pending_dot = self._pending_dot, None
        if svg is None or template is None or self._graph is None:
            self._show_problem(error or "Graphviz returned nothing.")
            return
        svg_graph = SvgGraph(template, self._graph)  # parsed in the layout thread: only numbers here
        self._layout_bytes, self._shown_dot, self._svg_graph = svg, dot, svg_graph
        self._layout_template = template
        self._show_message("")
        self._render(keep_view=False)
        self._announce_shown()

    def _announce_shown(self) -> None:
        """graph_shown now, or when the canvas has painted a large graph in its thread."""
        if self.canvas.painting:
            self._announce_when_painted = True
            return
        self._announce_when_painted = False
        self.last_layout_seconds = time.perf_counter() - self._layout_started
        self.graph_shown.emit()

    def _on_canvas_shown(self) -> None:
        if self._announce_when_painted:
            self._announce_shown()

    def _show_problem(self, text: str) -> None:
        """No picture: `text` says why (and what to do)."""
        self._layout.cancel()  # whatever is still being laid out is no longer wanted
        self._pending_dot = self._shown_dot = self._layout_bytes = self._layout_template = None
        self._svg_graph = None
        self._stop_stepping()
        self._selected = self._details_id = None
        self._torch_request = None
        self.canvas.clear()
        self.shown_svg = None
        self._show_message(text, error=text != "No model yet.")
        self._show_details(None)
        self.step_label.setText("")
        self._update_info()
        self._update_controls()

    def _show_message(self, text: str, error: bool = False) -> None:
        self.message_label.setText(text)
        self.message_label.setVisible(bool(text))
        look = "background: #fff4ce; border: 1px solid #e0c060;" if error else "background: #eef3fb;"
        self.message_label.setStyleSheet(f"{look} color: #333333; padding: 5px 8px;")

    # ------------------------------------------------------------ drawing

    def _render(self, keep_view: bool) -> None:
        """Numbers, fills and outlines into the SVG, and the SVG onto the canvas."""
        svg_graph, graph = self._svg_graph, self._graph
        if svg_graph is None or graph is None:
            return
        svg_graph.update()
        if self.color_check.isChecked():
            svg_graph.set_fills(graph_render.grad_fills(graph))
            self._kind_fills_on = None
        elif self._kind_fills_on is not svg_graph:  # fills by kind change only with the layout
            svg_graph.set_fills({n.id: KIND_COLORS[n.kind] for n in graph.nodes})
            self._kind_fills_on = svg_graph
        looks = {"current": CURRENT_STYLE, "operand": OPERAND_STYLE, "selected": SELECTED_STYLE}
        svg_graph.highlight({node_id: looks[what] for node_id, what in self.highlights.items()})
        root = graph.of(graph.root).id
        self.shown_svg = svg_graph.to_bytes()
        self.canvas.set_svg(self.shown_svg, svg_graph.geometry, keep_view=keep_view, focus=root)
        self._show_details(self._details_id)
        self._update_step_label()
        self._update_info()
        self._update_controls()

    def _update_info(self) -> None:
        graph = self._graph
        if graph is None:
            self.info_label.setText("")
            return
        mode = "expanded" if self._expanded else "one node per neuron"
        if self.neurons_combo.currentIndex() == 0:
            mode += " (auto)"
        root = graph.root
        self.info_label.setText(
            f"{len(graph):,} nodes · {mode} · {root.label or 'output'} = {format_number(root.data)}"
        )

    def _update_controls(self) -> None:
        has_graph = self._svg_graph is not None
        stepper = self._stepper
        at_end = stepper is not None and stepper.done
        for widget in (self.sample_combo, self.neurons_combo):
            widget.setEnabled(self._weights is not None)
        has_tanh = self._weights is not None and "tanh" in self._weights.activations
        self.tanh_combo.setEnabled(has_tanh)
        self.step_next_button.setEnabled(has_graph and not at_end)
        self.step_end_button.setEnabled(has_graph and not at_end)
        self.step_play_button.setEnabled(has_graph)
        self.step_prev_button.setEnabled(has_graph and stepper is not None and stepper.position > 0)
        self.step_reset_button.setEnabled(has_graph and (stepper is not None or self._backward_calls > 1))
        self.backward_again_button.setEnabled(has_graph)
        self.export_button.setEnabled(has_graph)
        self.fit_button.setEnabled(has_graph)

    def _on_color_check_toggled(self, checked: bool) -> None:
        self.legend_label.setText(_legend_html(checked))
        self._render(keep_view=True)

    # ------------------------------------------------------------ choices

    def _sync_sample_combo(self) -> None:
        """Items for the dataset's samples; the chosen sample stays if it still exists."""
        ds = self._dataset
        n = len(ds) if ds is not None else 0
        if self._sample is None and n > MAX_ALL_SAMPLES:
            self._sample = 0
        elif self._sample is not None and self._sample >= n:
            self._sample = max(n - 1, 0)
        items = [_sample_text(i, ds.inputs[i], ds.targets[i]) for i in range(min(n, MAX_SAMPLE_ITEMS))]
        if 0 < n <= MAX_ALL_SAMPLES:
            items.append("All samples (whole loss)")
        current = [self.sample_combo.itemText(i) for i in range(self.sample_combo.count())]
        if items != current:
            self.sample_combo.blockSignals(True)
            self.sample_combo.clear()
            for i, text in enumerate(items):
                self.sample_combo.addItem(text, ALL_SAMPLES if i == min(n, MAX_SAMPLE_ITEMS) else i)
            self.sample_combo.blockSignals(False)
        self._select_sample_item()

    def _select_sample_item(self) -> None:
        wanted = ALL_SAMPLES if self._sample is None else self._sample
        index = self.sample_combo.findData(wanted)
        if index < 0 and self._sample is not None and self._sample >= MAX_SAMPLE_ITEMS:
            self.sample_combo.addItem(f"Sample {self._sample + 1}", self._sample)
            index = self.sample_combo.count() - 1
        self.sample_combo.blockSignals(True)
        self.sample_combo.setCurrentIndex(index)
        self.sample_combo.blockSignals(False)

    def _on_sample_combo_changed(self, index: int) -> None:
        data = self.sample_combo.itemData(index)
        if data is not None:
            self.set_sample(None if data == ALL_SAMPLES else int(data))

    def _on_structure_option_changed(self, _index: int) -> None:
        if self._weights is not None:
            self._show_graph(announce_reuse=True)

    # ------------------------------------------------------------ selection and details

    def _on_canvas_node_clicked(self, node_id: str) -> None:
        if self._svg_graph is None or not has_node(self._graph, node_id):
            return
        self._selected = self._details_id = node_id
        self._torch_request = None  # the details show this node now, not a comparison still coming
        self._render(keep_view=True)
        self.node_selected.emit(node_id)

    def compare_with_torch(self) -> None:
        """Ask PyTorch (float64, in its own process) for every parameter's grad, to list beside ours.

        The answer fills the details panel when it comes, and `torch_compared` gives the largest
        difference. The first takes seconds (PyTorch loads in the child) and says so meanwhile.
        """
        if self._weights is None or self._dataset is None or self._data_problem() or self._graph is None:
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
        request_id = self._torch.compare_grads(self._weights, xs, ys, self._loss)
        self._torch_request = (request_id, ours)
        if self._torch.loading:
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
        ours = pending[1]
        worst = max(abs(a - b) for (_label, a), b in zip(ours, theirs))
        e = html.escape
        rows = "".join(
            f"<tr><td>{e(label)}</td><td align=right>{a:.12g}</td><td align=right>{b:.12g}</td>"
            f"<td align=right>{abs(a - b):.1e}</td></tr>"
            for (label, a), b in zip(ours, theirs)
        )
        self.details.setHtml(
            f"<p><b>PyTorch float64 vs micrograd-studio</b><br>{len(ours)} parameters, "
            f"largest |difference| <b>{worst:.1e}</b>; loss {torch_loss:.12g} in PyTorch.</p>"
            f"<table cellspacing=0 cellpadding=2><tr><th align=left>param</th><th>ours</th>"
            f"<th>PyTorch</th><th>|Δ|</th></tr>{rows}</table>"
        )
        self.torch_compared.emit(worst)

    def _show_details(self, node_id: str | None) -> None:
        graph = self._graph
        if not has_node(graph, node_id):
            self.details.setHtml(_DETAILS_HINT)
            return
        self.details.setHtml(self._details_html(graph.node(node_id)))

    def _details_html(self, node: GraphNode) -> str:
        graph = self._graph
        assert graph is not None
        v = node.value
        e = html.escape
        fmt = format_number
        swatch = KIND_COLORS[node.kind]
        parts = [
            f"<p style='margin:0; font-size:large'><b>{e(node_name(graph, node))}</b></p>",
            f"<p style='margin:2px 0'><span style='background:{swatch}'>&nbsp;{node.kind}&nbsp;</span>"
            f" {e(KIND_HELP[node.kind])}</p>",
            "<table cellspacing=0 cellpadding=1>",
            f"<tr><td>data</td><td align=right><b>{fmt(v.data)}</b></td></tr>",
            f"<tr><td>grad</td><td align=right><b>{fmt(v.grad)}</b></td></tr>",
        ]
        if v.operands:
            parts.append(f"<tr><td>op&nbsp;</td><td align=right>{e(op_symbol(v))}</td></tr>")
        parts.append("</table>")
        if self._stepper is not None and not self._reached(node):
            parts.append(
                "<p style='color:#a05a00'>Not reached by backprop yet: its grad is still partial.</p>"
            )
        if v.operands:
            parts.append(
                f"<p style='margin:8px 0 2px 0'><b>Backward through {e(op_symbol(v))}</b>: each input gets "
                "<i>local × upstream</i>, where local = ∂out/∂input "
                f"= {e(local_rule(v))} and upstream = this grad = {fmt(v.grad)}</p>"
            )
            rows = [
                (node_name(graph, operand), local, local * v.grad)
                for operand, local in graph.local_derivatives(node)
            ]
            parts.append(html_table(("input", "local", "adds"), rows))
        users = self._users_of(node)
        if users:
            rows = []
            for user in users:
                local = sum(d for operand, d in graph.local_derivatives(user) if operand is node)
                rows.append((node_name(graph, user), local, local * user.value.grad))
            total = math.fsum(r[2] for r in rows)
            parts.append(
                "<p style='margin:8px 0 2px 0'><b>Its grad</b> sums what the nodes that use it pass back: "
                "∂user/∂this × the user's grad</p>"
            )
            parts.append(html_table(("used by", "local", "passes back"), rows))
            parts.append(f"<p style='margin:2px 0'>Σ = {fmt(total)}</p>")
            if self._backward_calls > 1 and not v.operands:
                parts.append(
                    f"<p style='color:{ERROR_COLOR}'>backward() ran {self._backward_calls}× without zero_grad(): "
                    f"this leaf's grad is {self._backward_calls}× the sum.</p>"
                )
        elif node is graph.of(graph.root):
            parts.append("<p>backward() starts here: ∂out/∂out = 1.</p>")
        return "".join(parts)

    def _users_of(self, node: GraphNode) -> list[GraphNode]:
        graph = self._graph
        assert graph is not None
        if self._users is None:
            self._users = {}
            for user in graph.nodes:
                for operand in dict.fromkeys(graph.operands(user)):
                    self._users.setdefault(operand.id, []).append(user)
        return self._users.get(node.id, [])

    def _reached(self, node: GraphNode) -> bool:
        """In step-through: whether this node's backward rule has run."""
        stepper, graph = self._stepper, self._graph
        if stepper is None or graph is None:
            return True
        return len(graph) - 1 - int(node.id[1:]) < stepper.position

    # ------------------------------------------------------------ step-through and backward again

    def _enter_stepping(self) -> None:
        assert self._graph is not None
        self._backward_calls = 1
        self._stepper = BackwardStepper(self._graph)  # grads to 0, the root's to 1
        self._last_step = None

    def _stop_stepping(self) -> None:
        self._play_timer.stop()
        self._set_play_checked(False)
        self._stepper = None
        self._last_step = None

    def _set_play_checked(self, checked: bool) -> None:
        show_play_state(self.step_play_button, checked)

    def _step_to(self, step: BackwardStep | None) -> None:
        self._last_step = step
        if step is not None:
            self._details_id = step.node.id
        self._render(keep_view=True)
        if step is not None and self.follow_check.isChecked():
            operands = [operand.id for operand, _local, _added in step.contributions]
            self.canvas.ensure_node_visible(step.node.id, self.canvas.READABLE_SCALE, also=operands)

    def _on_step_next_clicked(self) -> None:
        if self._svg_graph is None:
            return
        if self._stepper is None:
            self._enter_stepping()
        if not self._stepper.done:
            self._step_to(self._stepper.step())

    def _on_step_prev_clicked(self) -> None:
        if self._stepper is None or self._stepper.position == 0:
            return
        self._step_to(self._stepper.seek(self._stepper.position - 1))

    def _on_step_end_clicked(self) -> None:
        if self._svg_graph is None:
            return
        if self._stepper is None:
            self._enter_stepping()
        self._play_timer.stop()
        self._set_play_checked(False)
        self._step_to(self._stepper.seek(len(self._stepper.order)))

    def _on_step_reset_clicked(self) -> None:
        self._stop_stepping()
        self._restore_backward()
        self._render(keep_view=True)

    def _on_step_play_toggled(self, checked: bool) -> None:
        self._set_play_checked(checked)
        if not checked:
            self._play_timer.stop()
            return
        if self._svg_graph is None:
            self._set_play_checked(False)
            return
        if self._stepper is None:
            self._enter_stepping()
            self._step_to(None)
        elif self._stepper.done:
            self._step_to(self._stepper.seek(0))
        self._play_timer.start()

    def _on_play_timer_timeout(self) -> None:
        if self._stepper is None or self._stepper.done:
            self._play_timer.stop()
            self._set_play_checked(False)
            self._update_controls()
            return
        self._on_step_next_clicked()
        if self._stepper is not None and self._stepper.done:
            self._play_timer.stop()
            self._set_play_checked(False)

    def _on_backward_again_clicked(self) -> None:
        if self._graph is None or self._svg_graph is None:
            return
        if self._stepper is not None:
            self._stop_stepping()
            self._restore_backward()
        self._graph.root.backward()  # no zero_grad(): the leaves add the same gradient again
        self._backward_calls += 1
        self._render(keep_view=True)

    def _restore_backward(self) -> None:
        """The grads of exactly one backward() call, as the graph was built."""
        assert self._graph is not None
        for node in self._graph.nodes:
            node.value.grad = 0.0
        self._graph.root.backward()
        self._backward_calls = 1

    def _replay_state(self) -> None:
        """New numbers, same layout: bring the new graph to the step or backward count shown."""
        assert self._graph is not None
        if self._stepper is not None:
            position = self._stepper.position
            self._stepper = BackwardStepper(self._graph)
            self._last_step = self._stepper.seek(position)
        else:
            for _ in range(self._backward_calls - 1):
                self._graph.root.backward()

    def _update_step_label(self) -> None:
        graph, stepper = self._graph, self._stepper
        if graph is None:
            self.step_label.setText("")
        elif stepper is not None:
            self.step_label.setText(
                explain_step(graph, self._last_step, stepper.position, len(stepper.order))
            )
        elif self._backward_calls > 1:
            self.step_label.setText(
                f"backward() has run {self._backward_calls}× without zero_grad(): every leaf (input, weight, "
                f"bias) holds {self._backward_calls}× its true gradient, while the nodes in between are "
                "recomputed each time. This is the bug zero_grad() prevents. Reset to undo."
            )
        else:
            self.step_label.setText(
                "Gradients from one backward(). Step ▶ replays backprop one node at a time, output first; "
                "click any node for its chain rule."
            )

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if watched is self.canvas and event.type() == QEvent.Type.KeyPress and self._svg_graph is not None:
            key = event.key()
            if key == Qt.Key.Key_Right:
                self._on_step_next_clicked()
                return True
            if key == Qt.Key.Key_Left:
                self._on_step_prev_clicked()
                return True
        return super().eventFilter(watched, event)

    # ------------------------------------------------------------ export dialog

    def export_dialog(self, suffix: str = ".svg", name_filter: str = "SVG image (*.svg)") -> None:
        """Ask where to save the graph, then save it (File ▸ Export computation graph, the Export button)."""
        self._export_dialog(suffix, name_filter)

    def _on_export_action(self, action: QAction) -> None:
        self._export_dialog(*action.data())

    def _on_fit_clicked(self) -> None:
        self.canvas.fit()

    def _export_dialog(self, suffix: str, name_filter: str) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export the graph", f"graph{suffix}", name_filter)
        if not path:
            return
        if Path(path).suffix.lower() not in (".svg", ".png", ".dot", ".gv"):
            path += suffix
        try:
            self.export(path)
        except (OSError, ValueError, GraphError) as exc:
            self._show_message(f"Could not export the graph: {exc}", error=True)


# ---------------------------------------------------------------- text


_DETAILS_HINT = (
    "<p style='color:#666666'>Click a node to see its data and grad, and how the chain rule "
    "passes gradient through it.</p>"
)


def _legend_html(color_by_grad: bool) -> str:
    """Fill colours (by kind, or by |grad|) and the outlines step-through and selection draw."""

    def swatch(color: str, text: str) -> str:
        return f"<td><span style='background:{color}'>&nbsp;&nbsp;&nbsp;&nbsp;</span>&nbsp;{text}&nbsp;</td>"

    def outline(color: str, text: str) -> str:
        return f"<td><span style='color:{color}'>▢</span>&nbsp;{text}&nbsp;</td>"

    if color_by_grad:
        fills = [("#ffffff", "grad 0"), ("#ffd9a6", "small"), ("#ffb54d", "larger"), ("#ff8c00", "largest")]
        rows = [[swatch(c, t) for c, t in fills[:2]], [swatch(c, t) for c, t in fills[2:]]]
        rows[1].append("<td>(|grad|, log)</td>")
    else:
        kinds = [swatch(KIND_COLORS[kind], kind) for kind in KIND_COLORS]
        rows = [kinds[:3], kinds[3:]]
    rows.append(
        [
            outline(CURRENT_STYLE[0], "step"),
            outline(OPERAND_STYLE[0], "its inputs"),
            outline(SELECTED_STYLE[0], "clicked"),
        ]
    )
    body = "".join(f"<tr>{''.join(cells)}</tr>" for cells in rows)
    return f"<table cellspacing=0 cellpadding=1>{body}</table>"


def has_node(graph: Graph | None, node_id: str | None) -> bool:
    if graph is None or node_id is None:
        return False
    try:
        graph.node(node_id)
    except KeyError:
        return False
    return True


def _sample_text(index: int, xs: Sequence[float], y: float) -> str:
    shown = ", ".join(f"{x:.3g}" for x in xs[:4]) + (", …" if len(xs) > 4 else "")
    return f"Sample {index + 1} (x = {shown} → y = {y:.3g})"


def html_table(header: Sequence[str], rows: Sequence[tuple[str, float, float]]) -> str:
    e = html.escape
    head = "".join(f"<th align={'left' if i == 0 else 'right'}>{e(h)}</th>" for i, h in enumerate(header))
    body = "".join(
        f"<tr><td>{e(name)}</td><td align=right>{format_number(a)}</td><td align=right>{format_number(b)}</td></tr>"
        for name, a, b in rows
    )
    return f"<table cellspacing=0 cellpadding=2 width='100%'><tr>{head}</tr>{body}</table>"


# ---------------------------------------------------------------- export helpers
