"""The Expression tab: the lecture's first hour. Type ``(a*b + c)*f`` over named inputs, see the graph.

The text is parsed by `engine.expression` (an allow-list, never eval), evaluated into
`Value`s and backpropagated; the results table puts our grads beside PyTorch's for the
same expression, to the last digit. The graph is drawn as the Computation graph tab
draws it: `dot` in a worker thread, and the SVG's numbers rewritten in place when only
numbers change (new variable values, backward() again, step-through).
"""

from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtGui import QAction, QCloseEvent, QColor, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QBoxLayout,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QStyle,
    QTableWidget,
    QTableWidgetItem,
    QTextBrowser,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from engine.backprop import BackwardStep, BackwardStepper
from engine.expression import ExpressionError, evaluate, parse_variables
from engine.graph import Graph, GraphError
from engine.teaching import KIND_HELP, explain_step, local_rule, node_name, op_symbol
from engine.value import Value
from gui import graph_render
from gui.graph_canvas import LayoutRunner, SvgGraphCanvas, export_graph, show_play_state
from gui.graph_render import KIND_COLORS
from gui.graph_svg import SvgGraph, SvgTemplate
from gui.graph_view import (
    CURRENT_STYLE,
    OPERAND_STYLE,
    PLAY_INTERVAL_MS,
    SELECTED_STYLE,
    has_node,
    html_table,
)
from gui.style import ERROR_COLOR
from gui.torch_process import INSTALL_HINT, TorchComparer, torch_installed

NEURON_VARIABLES = "x1 = 2.0\nx2 = 0.0\nw1 = -3.0\nw2 = 1.0\nb = 6.8813735870195432"
EXAMPLES = (  # (title, variables, expression): the lecture's examples, in its order
    ("L = (a·b + c)·f", "a = 2.0\nb = -3.0\nc = 10.0\nf = -2.0", "(a*b + c)*f"),
    ("A neuron: tanh(x1·w1 + x2·w2 + b)", NEURON_VARIABLES, "(x1*w1 + x2*w2 + b).tanh()"),
    (
        "The same neuron, tanh as exp",
        NEURON_VARIABLES,
        "((2*(x1*w1 + x2*w2 + b)).exp() - 1) / ((2*(x1*w1 + x2*w2 + b)).exp() + 1)",
    ),
    ("A variable used twice: b = a + a", "a = 3.0", "a + a"),
    ("Two paths from a and b: (a·b)·(a + b)", "a = -2.0\nb = 3.0", "(a*b) * (a + b)"),
    ("The first function: 3x² − 4x + 5", "x = 3.0", "3*x**2 - 4*x + 5"),
)
DEBOUNCE_MS = 400  # re-evaluate this long after the last keystroke
LEFT_WIDTH = 300
MAX_NAME = 22  # longer names of intermediate values are left off their records (the details give them)
MAX_TABLE_ROWS = 8  # more rows than this scroll
COLUMNS = ("name", "data", "grad (ours)", "grad (PyTorch)", "|difference|")
STYLES = ("Compact records", "Records as in the lecture")
STEP_MIN_SCALE = 0.75  # step-through zooms in to at least this (small but readable), not further
DIFFERENT = 1e-9  # a difference above this is drawn red: no longer rounding
BACKWARD_AGAIN_TIP = (
    "Call out.backward() once more without zero_grad(): every variable adds the same gradient again,\n"
    "so its grad doubles, then triples. backward() adds (+=) on purpose: a variable used twice (a + a)\n"
    "must receive both contributions, and with = instead of += the second would overwrite the first\n"
    "(the lecture's bug: a + a would get grad 1 instead of 2). The price is that grads keep adding up\n"
    "across calls until they are zeroed, which is why training calls zero_grad() before backward()."
)
ZERO_GRAD_TIP = (
    "Set every grad to 0, then call backward() once: the correct gradients again.\n"
    "Without zero_grad(), grads accumulate across backward() calls (they are added with +=)."
)
DETAILS_HINT = (
    "<p style='color:#555555'>Each box is a value: <b>data</b> is its number, <b>grad</b> is ∂out/∂value, "
    "how much the output changes per unit change of it. Click a node for its local derivatives; the "
    "table below compares every grad with PyTorch's.</p>"
)


class ExpressionView(QWidget):
    """An expression over named variables: its graph, its data and grads, and PyTorch's grads."""

    # a graph was laid out (or its numbers redrawn in the same layout) and is on screen
    graph_shown = Signal()
    torch_compared = Signal()  # PyTorch's column is filled in (or its note says why it cannot be)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._graph: Graph | None = None
        self._leaves: dict[str, Value] = {}
        self._torch: tuple[float, dict[str, float]] | None = None  # PyTorch's value and grads
        self._comparer = TorchComparer()  # PyTorch, in a child process: importing it here would freeze us
        self._comparer.answered.connect(self._on_torch_answered)
        self._torch_request: int | None = None  # the comparison asked for the expression shown
        self._svg_graph: SvgGraph | None = None  # the laid-out graph on screen; None while there is none
        self._layout_bytes: bytes | None = None  # dot's SVG, reused while the DOT text stays the same
        self._layout_template: SvgTemplate | None = None  # that SVG cut for new numbers
        self._shown_dot: str | None = None
        self._pending_dot: str | None = None
        self._layout = LayoutRunner(self, "expression layout")
        self._layout.finished.connect(self._on_layout_finished)
        self._stepper: BackwardStepper | None = None
        self._last_step: BackwardStep | None = None
        self._backward_calls = 1  # since the last zero_grad
        self._selected: str | None = None  # blue outline
        self._details_id: str | None = None  # the node the details describe: the clicked one, or the step's
        self._evaluated_once = False
        self._compared: tuple[str, dict[str, float]] = ("", {})  # what PyTorch is (or will be) compared on
        self.graph_message = ""  # shown in place of the graph (Graphviz missing or failing)
        self.shown_svg: bytes | None = None  # the SVG on the canvas, numbers and outlines included

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self._build_left())
        splitter.addWidget(self._build_right())
        splitter.setStretchFactor(1, 1)
        splitter.setCollapsible(1, False)
        splitter.setSizes([LEFT_WIDTH, 800])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)

        self._debounce = QTimer(self, singleShot=True, interval=DEBOUNCE_MS, timeout=self.evaluate_now)
        self.variables_edit.textChanged.connect(self._debounce.start)
        self.expression_edit.textChanged.connect(self._debounce.start)
        self._play_timer = QTimer(self, interval=PLAY_INTERVAL_MS, timeout=self._on_play_timer_timeout)
        app = QApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)
        self._fill_example(0)  # evaluated when first shown: PyTorch's import takes a second
        self._show_details()
        self._update_controls()

    # ------------------------------------------------------------ widgets

    def _build_left(self) -> QWidget:
        self.examples_combo = QComboBox(
            toolTip="The lecture's examples: fill in the variables and the expression"
        )
        self.examples_combo.addItems([title for title, _, _ in EXAMPLES])
        self.examples_combo.activated.connect(self.set_example)
        self.variables_edit = QPlainTextEdit(
            placeholderText="a = 2.0\nb = -3.0",
            toolTip="One 'name = number' per line (or separated by commas)",
        )
        self.variables_edit.setFixedHeight(6 * self.fontMetrics().lineSpacing() + 12)
        self.expression_edit = QLineEdit(
            placeholderText="(a*b + c)*f",
            toolTip="Numbers, the variables, + - * / ** and tanh exp log relu sigmoid, as f(x) or x.f().\n"
            "Never run as Python: it is parsed and checked first.",
            returnPressed=self.evaluate_now,
        )
        self.run_button = QPushButton(
            "Draw && backward",
            toolTip="Evaluate, call backward(), draw the graph (also done as you type)",
            clicked=self.evaluate_now,
        )
        self.error_label = QLabel(wordWrap=True, textFormat=Qt.TextFormat.PlainText, visible=False)
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error_label.setStyleSheet(f"color: {ERROR_COLOR};")
        self.backward_again_button = QPushButton(
            "backward() again", toolTip=BACKWARD_AGAIN_TIP, clicked=self._on_backward_again_clicked
        )
        self.zero_grad_button = QPushButton(
            "zero_grad() + backward()", toolTip=ZERO_GRAD_TIP, clicked=self._on_zero_grad_clicked
        )
        self.details = QTextBrowser(openLinks=False)
        self.legend_label = QLabel(_legend_html(), styleSheet="color: #444444;")

        left = QWidget(minimumWidth=240)
        grads = _box(QHBoxLayout(), self.backward_again_button, self.zero_grad_button)
        fields = (QLabel("Example"), self.examples_combo, QLabel("Variables"), self.variables_edit)
        fields += (QLabel("Expression"), self.expression_edit, self.run_button, self.error_label, grads)
        _box(QVBoxLayout(left), *fields, (self.details, 1), self.legend_label, margins=(6, 6, 2, 6))
        return left

    def _build_right(self) -> QWidget:
        self.canvas = SvgGraphCanvas()
        self.canvas.setMinimumSize(240, 160)
        self.canvas.node_clicked.connect(self._on_canvas_node_clicked)
        self.canvas.shown.connect(self._on_canvas_shown)
        self._announce_when_painted = False  # graph_shown waits for the canvas's painting thread
        icon = self.style().standardIcon
        sp = QStyle.StandardPixmap
        self.step_prev_button = QPushButton(
            icon(sp.SP_MediaSeekBackward), "", toolTip="One step back", clicked=self._on_step_prev
        )
        self.step_play_button = QPushButton(
            icon(sp.SP_MediaPlay), "Play", toolTip="Step through backward() automatically", checkable=True
        )
        self.step_play_button.toggled.connect(self._on_step_play_toggled)
        self.step_next_button = QPushButton(
            icon(sp.SP_MediaSeekForward),
            "Step",
            toolTip="Run the next node's backward rule, output first",
            clicked=self._on_step_next,
        )
        self.step_reset_button = QPushButton(
            icon(sp.SP_BrowserReload),
            "Reset",
            toolTip="Leave step-through: the grads of one backward()",
            clicked=self._on_zero_grad_clicked,
        )
        self.style_combo = QComboBox(
            toolTip="Compact: each value's name, data and grad stacked, so the graph shows larger.\n"
            "As in the lecture: name | data | grad side by side, as its draw_dot draws them (wider)."
        )
        self.style_combo.addItems(STYLES)
        self.style_combo.currentIndexChanged.connect(self._on_style_changed)
        self.fit_button = QToolButton(text="Fit", toolTip="Show the whole graph (0 or F)")
        self.fit_button.clicked.connect(self._on_fit_clicked)
        self.export_button = QToolButton(
            text="Export", toolTip="Save the graph: SVG, PNG (2×) or Graphviz DOT"
        )
        self.export_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.export_button)
        for text, suffix in (("SVG image…", ".svg"), ("PNG image…", ".png"), ("Graphviz DOT…", ".dot")):
            menu.addAction(text).setData(suffix)
        # Slots are bound methods, not lambdas holding `self`: a lambda would keep a dropped view alive
        menu.triggered.connect(self._on_export_action)
        self.export_button.setMenu(menu)
        steps = (self.step_prev_button, self.step_play_button, self.step_next_button, self.step_reset_button)
        view_buttons = (self.style_combo, self.fit_button, self.export_button)
        bar = _box(QHBoxLayout(), QLabel("Backprop:"), *steps, 1, *view_buttons, margins=(6, 2, 6, 0))
        self.step_label = QLabel(wordWrap=True, textFormat=Qt.TextFormat.PlainText)
        self.step_label.setContentsMargins(8, 0, 8, 2)
        self.step_label.setMinimumHeight(2 * self.fontMetrics().lineSpacing() + 4)
        self.step_label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)

        table = self.results_table = QTableWidget(0, len(COLUMNS), wordWrap=False)
        table.setHorizontalHeaderLabels(COLUMNS)
        table.setToolTip(
            "Our grads from backward(), PyTorch's for the same expression in float64, and how far apart"
        )
        table.verticalHeader().setVisible(False)
        table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        table.horizontalHeader().setStretchLastSection(True)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.torch_note = QLabel(wordWrap=True, visible=False, styleSheet="color: #555555;")

        right = QWidget()
        _box(
            QVBoxLayout(right),
            (self.canvas, 1),
            bar,
            self.step_label,
            table,
            self.torch_note,
            margins=(0, 0, 4, 4),
        )
        return right

    # ------------------------------------------------------------ public API

    def set_example(self, index: int) -> None:
        """Fill in the lecture's example `index` (see EXAMPLES) and evaluate it."""
        self._fill_example(index)
        self.evaluate_now()

    def evaluate_now(self) -> bool:
        """Parse, evaluate, backward() and fill the table now (the graph's layout follows in a thread).

        On bad input a message in `error_label`, and the last graph and table stay. True if it worked.
        """
        self._debounce.stop()
        self._evaluated_once = True
        text = self.expression_edit.text()
        try:
            variables = parse_variables(self.variables_edit.toPlainText())
        except ExpressionError as exc:
            line = f"line {exc.position[0]}: " if exc.position else ""
            return self._show_error(f"Variables, {line}{exc}", self.variables_edit)
        try:
            root, leaves = evaluate(text, variables)
            root.backward()
            graph = Graph(root, {**{leaf: "input" for leaf in leaves.values()}, root: "output"})
        except ExpressionError as exc:
            where = f"column {exc.position[1]}: " if exc.position and "column" not in str(exc) else ""
            return self._show_error(f"Expression, {where}{exc}", self.expression_edit)
        except GraphError as exc:
            return self._show_error(str(exc), self.expression_edit)
        except (ArithmeticError, ValueError) as exc:  # a derivative undefined here: a**0.5 at a = 0
            return self._show_error(
                f"backward() failed: {exc} ({type(exc).__name__}). A derivative is undefined at these "
                "values, like that of a**0.5 at a = 0.",
                self.expression_edit,
            )
        self._compared = (text, variables)
        self._compare_with_torch()
        self._show_error("", None)
        self._stop_stepping()
        self._graph, self._leaves, self._backward_calls = graph, leaves, 1
        self._selected = self._details_id = None
        _name_intermediates(graph)
        self._show_graph()
        return True

    def _compare_with_torch(self) -> None:
        """Ask PyTorch (in its own process) for the expression evaluated last; its column fills in after."""
        text, variables = self._compared
        self._torch = None
        if not torch_installed():
            self._torch_request = None
            note = f"PyTorch not installed, so there is nothing to compare with ({INSTALL_HINT}). The rest works."
        else:
            self._torch_request = self._comparer.compare_expression(text, variables)
            loading = self._comparer.loading  # its first import takes seconds, in the child
            note = (
                "Loading PyTorch… (its first import takes a few seconds; its column follows)."
                if loading
                else ""
            )
        self.torch_note.setText(note)
        self.torch_note.setVisible(bool(note))

    @property
    def torch_pending(self) -> bool:
        """PyTorch's column waits for its answer."""
        return self._torch_request is not None

    @Slot(int, object, str, str)
    def _on_torch_answered(self, request_id: int, result: object, failure: str, why: str) -> None:
        if request_id != self._torch_request:
            return  # for an expression evaluated before the one shown
        self._torch_request = None
        self._torch = result
        if result is None and failure == "load":
            note = f"{why}, so there is nothing to compare with. The rest works."
        elif result is None:
            note = f"PyTorch could not compute this expression: {why}"
        else:
            note = ""
        self.torch_note.setText(note)
        self.torch_note.setVisible(bool(note))
        if self._graph is not None:
            self._fill_table()
        self.torch_compared.emit()

    def current_graph(self) -> Graph | None:
        return self._graph

    def export(self, path: str) -> None:
        """Write the graph as shown: .svg, .png (2×, white background) or .dot (with its numbers)."""
        svg = self._svg_graph.to_bytes() if self._svg_graph is not None and self._graph is not None else None
        export_graph(path, svg, lambda: self._dot(self._graph, numbers=True))

    def shutdown(self) -> None:
        """Stop the layout and painting threads (a running `dot` is killed); safe to call twice."""
        self._play_timer.stop()
        self._debounce.stop()
        self._layout.shutdown()
        self.canvas.shutdown()
        self._torch_request = None
        self._comparer.close()  # the PyTorch child ends with the last view using it

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt's name)
        self.shutdown()
        super().closeEvent(event)

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802
        super().showEvent(event)
        if not self._evaluated_once:  # after the first paint: importing PyTorch takes a second
            self._evaluated_once = True
            QTimer.singleShot(0, self, self.evaluate_now)

    # ------------------------------------------------------------ evaluating and laying out

    def _fill_example(self, index: int) -> None:
        _title, variables, expression = EXAMPLES[index]
        for edit in (self.variables_edit, self.expression_edit):
            edit.blockSignals(True)  # no debounced echo: set_example evaluates at once
        self.variables_edit.setPlainText(variables)
        self.expression_edit.setText(expression)
        for edit in (self.variables_edit, self.expression_edit):
            edit.blockSignals(False)
        self.examples_combo.setCurrentIndex(index)

    def _show_error(self, text: str, field: QWidget | None) -> bool:
        if text and self._graph is not None:
            text += "\nThe graph and table still show the last expression that worked."
        self.error_label.setText(text)
        self.error_label.setVisible(bool(text))
        for edit in (self.variables_edit, self.expression_edit):
            edit.setStyleSheet(f"border: 1px solid {ERROR_COLOR};" if edit is field else "")
        return False

    def _dot(self, graph: Graph, numbers: bool = False) -> str:
        return graph_render.to_dot(graph, numbers=numbers, stacked=self.style_combo.currentIndex() == 0)

    def _show_graph(self) -> None:
        """The table now; the picture at once if the layout on screen fits it, else when `dot` is done."""
        graph = self._graph
        assert graph is not None
        dot = self._dot(graph)
        if dot == self._shown_dot and self._layout_bytes is not None:
            # The same DOT text lays out the same way (only numbers changed): no new layout.
            if self._pending_dot is not None:
                self._layout.cancel()
                self._pending_dot = None
            self._svg_graph = SvgGraph(self._layout_template or self._layout_bytes, graph)
            self._render(keep_view=True)
            self._announce_shown()
            return
        self._svg_graph = None  # the old picture stays until the new one is ready, but is inert
        self._render(keep_view=True)
        if dot == self._pending_dot:
            return
        ok, why = graph_render.dot_available()
        if not ok:
            self._show_graph_problem(why)
            return
        self._pending_dot = dot
        self._layout.request(dot, graph.node_ids)

    def _on_style_changed(self, _index: int) -> None:
        if self._graph is not None:
            self._show_graph()

    @Slot(object, object, str)
    def _on_layout_finished(self, svg: bytes | None, template: SvgTemplate | None, error: str) -> None:
        dot, self._pending_dot = self._pending_dot, None
        if svg is None or template is None or self._graph is None:
            self._show_graph_problem(error or "Graphviz returned nothing.")
            return
        self._svg_graph = SvgGraph(template, self._graph)  # parsed in the layout thread: only numbers here
        self._layout_bytes, self._shown_dot, self.graph_message = svg, dot, ""
        self._layout_template = template
        self._render(keep_view=False)
        self._announce_shown()

    def _announce_shown(self) -> None:
        """graph_shown now, or when the canvas has painted a large graph in its thread."""
        self._announce_when_painted = self.canvas.painting
        if not self._announce_when_painted:
            self.graph_shown.emit()

    def _on_canvas_shown(self) -> None:
        if self._announce_when_painted:
            self._announce_shown()

    def _show_graph_problem(self, text: str) -> None:
        """No picture: `text` in its place (the table keeps working)."""
        self._layout.cancel()
        self._pending_dot = self._shown_dot = self._layout_bytes = self._svg_graph = self.shown_svg = None
        self._layout_template = None
        self.graph_message = text
        self.canvas.clear(text)
        self._update_controls()

    # ------------------------------------------------------------ drawing

    def _render(self, keep_view: bool) -> None:
        """Numbers and outlines into the SVG and onto the canvas; the table, details and labels."""
        graph, svg_graph = self._graph, self._svg_graph
        if graph is None:
            return
        if svg_graph is not None:
            svg_graph.update()
            styles = {self._selected: SELECTED_STYLE} if self._selected else {}
            if self._last_step is not None:
                styles.update({operand.id: OPERAND_STYLE for operand, _, _ in self._last_step.contributions})
                styles[self._last_step.node.id] = CURRENT_STYLE
            svg_graph.highlight(styles)
            self.shown_svg = svg_graph.to_bytes()
            root = graph.of(graph.root).id
            self.canvas.set_svg(self.shown_svg, svg_graph.geometry, keep_view=keep_view, focus=root)
        self._fill_table()
        self._show_details()
        self._update_step_label()
        self._update_controls()

    def _fill_table(self) -> None:
        """One row for the output, one per variable: our data and grad, PyTorch's, the difference."""
        graph = self._graph
        assert graph is not None
        root, used = graph.root, {node.value for node in graph.nodes}
        torch_value, torch_grads = self._torch if self._torch is not None else (None, {})
        rows = [(f"{root.label} (output)", root.data, root.grad, torch_value, root.data, "output")]
        for name, leaf in self._leaves.items():
            label, kind = (name, "input") if leaf in used else (f"{name} (not used)", "value")
            rows.append((label, leaf.data, leaf.grad, torch_grads.get(name), leaf.grad, kind))
        table = self.results_table
        table.setRowCount(len(rows))
        for r, (name, data, grad, theirs, ours, kind) in enumerate(rows):
            diff = None if theirs is None else abs(ours - theirs)
            if theirs is None:  # asked and not answered yet, or nothing to compare with
                shown = "…" if self._torch_request is not None else "—"
            else:
                shown = f"value {theirs!r}" if r == 0 else repr(theirs)
            difference = "—" if diff is None else "0" if diff == 0 else f"{diff:.1e}"
            for c, text in enumerate((name, repr(data), repr(grad), shown, difference)):
                item = QTableWidgetItem(text)
                item.setBackground(QColor(KIND_COLORS[kind]))
                if c:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if c == 4 and diff is not None and diff > DIFFERENT:
                    item.setForeground(QColor(ERROR_COLOR))
                table.setItem(r, c, item)
        table.item(0, 3).setToolTip("PyTorch's value of the output (the data column's twin)")
        table.item(0, 4).setToolTip("|our value − PyTorch's value|")
        shown_rows = min(len(rows), MAX_TABLE_ROWS)  # as tall as its rows: the graph gets the rest
        header = table.horizontalHeader().height()
        table.setFixedHeight(header + shown_rows * table.rowHeight(0) + 2 * table.frameWidth() + 2)

    def _show_details(self) -> None:
        """The clicked node (or the current step's): data, grad, and its local derivatives."""
        graph = self._graph
        node_id = self._details_id
        if graph is None or not has_node(graph, node_id):
            self.details.setHtml(DETAILS_HINT)
            return
        node = graph.node(node_id)
        v, e = node.value, html.escape
        parts = [
            f"<p style='margin:0; font-size:large'><b>{e(node_name(graph, node, depth=3))}</b></p>",
            f"<p style='margin:2px 0'><span style='background:{KIND_COLORS[node.kind]}'>&nbsp;{node.kind}"
            f"&nbsp;</span> {e(KIND_HELP[node.kind])}</p>",
            f"<table cellspacing=0 cellpadding=1><tr><td>data&nbsp;</td><td><b>{v.data!r}</b></td></tr>"
            f"<tr><td>grad&nbsp;</td><td><b>{v.grad!r}</b></td></tr>",
        ]
        if v.operands:
            parts.append(f"<tr><td>op&nbsp;</td><td>{e(op_symbol(v))}</td></tr></table>")
            parts.append(
                f"<p style='margin:8px 0 2px 0'>Each input gets <i>local × upstream</i>: local = ∂out/∂input "
                f"= {e(local_rule(v))}, upstream = this grad</p>"
            )
            rows = [(node_name(graph, o), d, d * v.grad) for o, d in graph.local_derivatives(node)]
            parts.append(html_table(("input", "local", "adds"), rows))
        else:
            parts.append("</table><p>A leaf: its grad is the sum of what every use of it passes back.</p>")
        self.details.setHtml("".join(parts))

    def _update_step_label(self) -> None:
        graph, stepper, calls = self._graph, self._stepper, self._backward_calls
        if graph is None:
            text = ""
        elif stepper is not None:
            text = explain_step(graph, self._last_step, stepper.position, len(stepper.order))
        elif calls > 1:
            text = (
                f"backward() has run {calls}× without zero_grad(): every variable holds {calls}× its true "
                "gradient (grads add up with +=), so ours no longer agree with PyTorch's. zero_grad() fixes it."
            )
        else:
            text = (
                f"{graph.root.label} = {graph.root.data!r} · {len(graph)} nodes · grads from one backward(). "
                "Step ▶ replays backprop one node at a time, output first."
            )
        self.step_label.setText(text)

    def _update_controls(self) -> None:
        has_graph, has_svg, stepper = self._graph is not None, self._svg_graph is not None, self._stepper
        self.step_next_button.setEnabled(has_graph and not (stepper is not None and stepper.done))
        self.step_play_button.setEnabled(has_graph)
        self.step_prev_button.setEnabled(stepper is not None and stepper.position > 0)
        self.step_reset_button.setEnabled(stepper is not None)
        self.backward_again_button.setEnabled(has_graph)
        self.zero_grad_button.setEnabled(has_graph)
        self.export_button.setEnabled(has_svg)
        self.fit_button.setEnabled(has_svg)

    # ------------------------------------------------------------ clicks, backward again, step-through

    def _on_canvas_node_clicked(self, node_id: str) -> None:
        if self._svg_graph is not None and has_node(self._graph, node_id):
            self._selected = self._details_id = node_id
            self._render(keep_view=True)

    def _on_backward_again_clicked(self) -> None:
        if self._graph is None:
            return
        if self._stepper is not None:
            self._restore_backward()
        self._graph.root.backward()  # no zero_grad(): the variables add the same gradient again
        self._backward_calls += 1
        self._render(keep_view=True)

    def _on_zero_grad_clicked(self) -> None:  # also Reset: leave step-through, the grads of one backward()
        if self._graph is not None:
            self._restore_backward()
            self._render(keep_view=True)

    def _restore_backward(self) -> None:
        """zero_grad(), then one backward(): the grads as they should be."""
        assert self._graph is not None
        self._stop_stepping()
        for node in self._graph.nodes:
            node.value.grad = 0.0
        self._graph.root.backward()
        self._backward_calls = 1

    def _stop_stepping(self) -> None:
        self._play_timer.stop()
        self._set_play_checked(False)
        self._stepper = self._last_step = None

    def _set_play_checked(self, checked: bool) -> None:
        show_play_state(self.step_play_button, checked)

    def _step_to(self, step: BackwardStep | None) -> None:
        self._last_step = step
        self._details_id = step.node.id if step is not None else self._details_id
        self._render(keep_view=True)
        if step is not None:
            operands = [operand.id for operand, _, _ in step.contributions]
            self.canvas.ensure_node_visible(step.node.id, STEP_MIN_SCALE, also=operands)

    def _on_step_next(self) -> None:
        if self._graph is None:
            return
        if self._stepper is None:
            self._backward_calls = 1
            self._stepper = BackwardStepper(self._graph)  # grads to 0, the output's to 1
        if not self._stepper.done:
            self._step_to(self._stepper.step())

    def _on_step_prev(self) -> None:
        if self._stepper is not None and self._stepper.position > 0:
            self._step_to(self._stepper.seek(self._stepper.position - 1))

    def _on_step_play_toggled(self, checked: bool) -> None:
        self._set_play_checked(checked and self._graph is not None)
        if not self.step_play_button.isChecked():
            self._play_timer.stop()
            return
        if self._stepper is not None and self._stepper.done:
            self._step_to(self._stepper.seek(0))
        self._play_timer.start()

    def _on_play_timer_timeout(self) -> None:
        self._on_step_next()
        if self._stepper is None or self._stepper.done:
            self._play_timer.stop()
            self._set_play_checked(False)
            self._update_controls()

    def _on_export_action(self, action: QAction) -> None:
        self._export_dialog(action.data())

    def _on_fit_clicked(self) -> None:
        self.canvas.fit()

    def _export_dialog(self, suffix: str) -> None:
        kinds = {
            ".svg": "SVG image (*.svg)",
            ".png": "PNG image (*.png)",
            ".dot": "Graphviz DOT (*.dot *.gv)",
        }
        path, _ = QFileDialog.getSaveFileName(self, "Export the graph", f"expression{suffix}", kinds[suffix])
        if not path:
            return
        if Path(path).suffix.lower() not in (".svg", ".png", ".dot", ".gv"):
            path += suffix
        try:
            self.export(path)
        except (OSError, ValueError, GraphError) as exc:
            self._show_error(f"Could not export the graph: {exc}", None)


# ---------------------------------------------------------------- helpers


def _box(layout: QBoxLayout, *items, margins: tuple[int, int, int, int] = (0, 0, 0, 0)) -> QBoxLayout:
    """Add widgets, layouts, (widget, stretch) pairs and stretches (an int) to `layout`, in order."""
    layout.setContentsMargins(*margins)
    layout.setSpacing(4)
    for item in items:
        if isinstance(item, int):
            layout.addStretch(item)
        elif isinstance(item, QBoxLayout):
            layout.addLayout(item)
        else:
            widget, stretch = item if isinstance(item, tuple) else (item, 0)
            if isinstance(widget, QPushButton):
                widget.setAutoDefault(False)
            layout.addWidget(widget, stretch)
    return layout


def _name_intermediates(graph: Graph) -> None:
    """Name the unnamed values by what they compute ("a·b", "a·b + c"), as the lecture labels them."""
    names = {node: node_name(graph, node) for node in graph.nodes if not node.name}
    for node, name in names.items():  # assigned after: node_name would read the new names of operands
        node.name = name if len(name) <= MAX_NAME and "…" not in name else ""


def _legend_html() -> str:
    swatch = "<td><span style='background:{}'>&nbsp;&nbsp;&nbsp;&nbsp;</span>&nbsp;{}&nbsp;</td>"
    outline = "<td><span style='color:{}'>▢</span>&nbsp;{}&nbsp;</td>"
    kinds = "".join(swatch.format(KIND_COLORS[k], k) for k in ("input", "constant", "value", "output"))
    looks = ((CURRENT_STYLE, "step"), (OPERAND_STYLE, "its inputs"), (SELECTED_STYLE, "clicked"))
    outlines = "".join(outline.format(color, text) for (color, _), text in looks)
    return f"<table cellspacing=0 cellpadding=1><tr>{kinds}</tr><tr>{outlines}</tr></table>"
