"""The Expression tab: the lecture's first hour. Type ``(a*b + c)*f`` over named inputs, see the graph.

The text is parsed by `engine.expression` (an allow-list, never eval), evaluated into
`Value`s and backpropagated; the results table puts our grads beside PyTorch's for the
same expression, to the last digit. The graph is drawn as the Computation graph tab
draws it: `dot` in a worker thread, and the SVG's numbers rewritten in place when only
numbers change (new variable values, backward() again, step-through).
"""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QColor, QResizeEvent, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QBoxLayout,
    QComboBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from engine.backprop import BackpropSession
from engine.expression import ExpressionError, evaluate, parse_variables
from engine.graph import Graph, GraphError, expression_graph
from engine.teaching import node_name
from engine.value import Value
from gui.graph.details import expression_details_html
from gui.graph.exercise_mode import ExerciseMode
from gui.graph.pane import GraphPane, legend_html
from gui.graph.render import KIND_COLORS
from gui.graph.step_guess import StepGuess
from gui.graph.tab import GraphTab
from gui.processes.torch_process import INSTALL_HINT, torch_installed
from gui.widgets.elided_combo import ElidedCombo
from gui.widgets.style import ERROR_COLOR

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
LEFT_WIDTH, LEFT_MIN_WIDTH = 300, 240
MAX_NAME = 22  # longer names of intermediate values are left off their records (the details give them)
CUSTOM_TEXT = "Custom expression"
MAX_TABLE_ROWS = 8  # more rows than this scroll
COLUMNS = ("name", "data", "grad (ours)", "grad (PyTorch)", "|difference|")
STYLES = ("Compact records", "Records as in the lecture")
STEP_MIN_SCALE = 0.75  # step-through zooms in to at least this (small but readable), not further
OUTPUT_GRAD_TIP = (
    "backward() starts at the output with grad 1, in PyTorch as in ours: nothing to compare.\n"
    "PyTorch's value of the output is below the table."
)
PARTIAL_COLOR, PARTIAL_TIP = "#868e96", "Step-through has not reached the end: our grad is not summed up yet"
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


class ExpressionView(GraphTab):
    """An expression over named variables: its graph, its data and grads, and PyTorch's grads."""

    # a graph was laid out (or its numbers redrawn in the same layout) and is on screen
    graph_shown = Signal()
    torch_compared = Signal()  # PyTorch's column is filled in (or its note says why it cannot be)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._leaves: dict[str, Value] = {}
        self._torch: tuple[float, dict[str, float]] | None = None  # PyTorch's value and grads
        self._torch_request: int | None = None  # the comparison asked for the expression shown
        self._evaluated_once = False
        self._compared: tuple[str, dict[str, float]] = ("", {})  # what PyTorch is (or will be) compared on
        self.pane = GraphPane("expression layout", "expression", False, _idle_text)
        self.pane.stacked = True  # STYLES[0], the combo's first choice
        self.pane.follow_scale = STEP_MIN_SCALE
        self.pane.reset_undoes_backward_again = False  # zero_grad() has its own button here
        self.pane.problems_on_canvas = True  # the table keeps working without a picture
        self.pane.graph_shown.connect(self.graph_shown)
        self.pane.rendered.connect(self._on_rendered)
        self.pane.export_failed.connect(self._on_export_failed)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self._build_left())
        splitter.addWidget(self._build_right())
        splitter.setStretchFactor(1, 1)
        splitter.setCollapsible(1, False)
        splitter.setSizes([LEFT_WIDTH, 800])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)
        self.step_guess = StepGuess(self.pane)
        self.exercise = ExerciseMode(
            self.pane, self.details, (self.results_table,), "type a shorter expression"
        )

        self._debounce = QTimer(self, singleShot=True, interval=DEBOUNCE_MS, timeout=self.evaluate_now)
        for edit in (self.variables_edit, self.expression_edit):
            edit.textChanged.connect(self._debounce.start)
            edit.textChanged.connect(self._show_which_example)
        self._fill_example(0)  # evaluated when first shown: PyTorch's import takes a second
        self._show_details()

    # ------------------------------------------------------------ widgets

    def _build_left(self) -> QWidget:
        self.examples_combo = ElidedCombo(
            toolTip="The lecture's examples: fill in the variables and the expression",
            elide=Qt.TextElideMode.ElideRight,
        )
        self.examples_combo.addItems([title for title, _, _ in EXAMPLES])
        self.examples_combo.setPlaceholderText(CUSTOM_TEXT)  # shown once the user types their own
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
        self.backward_again_button = self.pane.backward_again_button
        self.backward_again_button.setToolTip(BACKWARD_AGAIN_TIP)
        self.zero_grad_button = QPushButton(
            "zero_grad() + backward()", toolTip=ZERO_GRAD_TIP, clicked=self.pane.reset
        )
        self.details = QTextBrowser(openLinks=False)
        kinds = [(KIND_COLORS[kind], kind) for kind in ("input", "constant", "value", "output")]
        self.legend_label = QLabel(legend_html([kinds[:3], kinds[3:]]), styleSheet="color: #444444;")

        # at its narrowest (the graph's side takes the room) everything still fits: one button a row
        left = QWidget(minimumWidth=LEFT_MIN_WIDTH)
        fields = (QLabel("Example"), self.examples_combo, QLabel("Variables"), self.variables_edit)
        fields += (QLabel("Expression"), self.expression_edit, self.run_button, self.error_label)
        fields += (self.backward_again_button, self.zero_grad_button)
        _box(QVBoxLayout(left), *fields, (self.details, 1), self.legend_label, margins=(6, 6, 2, 6))
        return left

    def _build_right(self) -> QWidget:
        pane = self.pane
        self.canvas, self.step_label = pane.canvas, pane.step_label
        self.step_prev_button, self.step_play_button = pane.step_prev_button, pane.step_play_button
        self.step_next_button, self.step_reset_button = pane.step_next_button, pane.step_reset_button
        self.fit_button, self.export_button = pane.fit_button, pane.export_button
        self.step_prev_button.setToolTip("One step back (Left)")
        self.step_next_button.setToolTip("Run the next node's backward rule (Right), output first")
        self.style_combo = QComboBox(
            toolTip="Compact: each value's name, data and grad stacked, so the graph shows larger.\n"
            "As in the lecture: name | data | grad side by side, as its draw_dot draws them (wider)."
        )
        self.style_combo.addItems(STYLES)
        self.style_combo.currentIndexChanged.connect(self._on_style_changed)
        pane.add_to_step_bar(self.step_reset_button, 1, self.style_combo, self.fit_button, self.export_button)
        pane.layout().setSpacing(4)
        self.step_label.setContentsMargins(8, 0, 8, 2)
        self.step_label.setMinimumHeight(2 * self.fontMetrics().lineSpacing() + 4)

        table = self.results_table = ResultsTable(0, len(COLUMNS), wordWrap=False)
        table.setHorizontalHeaderLabels(COLUMNS)
        table.setToolTip(
            "Our grads from backward(), PyTorch's for the same expression in float64, and how far apart"
        )
        table.verticalHeader().setVisible(False)
        table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.torch_note = QLabel(wordWrap=True, visible=False, styleSheet="color: #555555;")

        right = QWidget()
        _box(QVBoxLayout(right), (pane, 1), table, self.torch_note, margins=(0, 0, 4, 4))
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
            graph = expression_graph(root, leaves)
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
        self._leaves = leaves
        _name_intermediates(graph)
        self.pane.show_graph(graph, self.pane.dot(graph))
        return True

    def _compare_with_torch(self) -> None:
        """Ask PyTorch (in its own process) for the expression evaluated last; its column fills in after."""
        text, variables = self._compared
        self._torch = None
        if not torch_installed():
            self._torch_request = None
            note = f"PyTorch not installed, so there is nothing to compare with ({INSTALL_HINT}). The rest works."
        else:
            self._torch_request = self.comparer.compare_expression(text, variables)
            loading = self.comparer.loading  # its first import takes seconds, in the child
            note = (
                "Loading PyTorch… (its first import takes a few seconds; its column follows)."
                if loading
                else ""
            )
        self._show_torch_note(note)

    def _show_torch_note(self, note: str) -> None:
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
        self._show_torch_note(note)
        if self.current_graph() is not None:
            self._fill_table()
        self.torch_compared.emit()

    def shutdown(self) -> None:
        """Stop the layout and painting threads (a running `dot` is killed); safe to call twice."""
        self._debounce.stop()
        super().shutdown()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._evaluated_once:  # after the first paint: importing PyTorch takes a second
            self._evaluated_once = True
            QTimer.singleShot(0, self, self.evaluate_now)

    # ------------------------------------------------------------ evaluating and laying out

    def _fill_example(self, index: int) -> None:
        _title, variables, expression = EXAMPLES[index]
        with QSignalBlocker(self.variables_edit), QSignalBlocker(self.expression_edit):
            # no debounced echo: set_example evaluates at once
            self.variables_edit.setPlainText(variables)
            self.expression_edit.setText(expression)
        self.examples_combo.setCurrentIndex(index)

    def _show_which_example(self) -> None:
        """The combo names the example the fields hold, or says "Custom expression" once they differ."""
        typed = (self.variables_edit.toPlainText(), self.expression_edit.text())
        matching = [i for i, (_title, variables, text) in enumerate(EXAMPLES) if (variables, text) == typed]
        self.examples_combo.setCurrentIndex(matching[0] if matching else -1)

    def _show_error(self, text: str, field: QWidget | None) -> bool:
        if text and self.current_graph() is not None:
            text += "\nThe graph and table still show the last expression that worked."
        self.error_label.setText(text)
        self.error_label.setVisible(bool(text))
        for edit in (self.variables_edit, self.expression_edit):
            edit.setStyleSheet(f"border: 1px solid {ERROR_COLOR};" if edit is field else "")
        return False

    def _on_style_changed(self, _index: int) -> None:
        graph = self.current_graph()
        self.pane.stacked = self.style_combo.currentIndex() == 0
        if graph is not None:
            self.pane.draw(self.pane.dot(graph))

    def _on_rendered(self) -> None:
        """The table, the details and the buttons follow the numbers."""
        self._fill_table()
        self._show_details()
        self._update_controls()

    def _on_export_failed(self, text: str) -> None:
        self._show_error(text, None)

    def _fill_table(self) -> None:
        """One row for the output, one per variable: our data and grad, PyTorch's, the difference."""
        graph = self.current_graph()
        root, used = graph.root, {node.value for node in graph.nodes}
        torch_value, torch_grads = self._torch if self._torch is not None else (None, {})
        # PyTorch gives the variables' grads: the output's is 1 in both (backward() starts there)
        rows = [(f"{root.label} (output)", root.data, root.grad, None, "output")]
        for name, leaf in self._leaves.items():
            label, kind = (name, "input") if leaf in used else (f"{name} (not used)", "value")
            rows.append((label, leaf.data, leaf.grad, torch_grads.get(name), kind))
        table = self.results_table
        table.setRowCount(len(rows))
        partial = self.session.stepping and not self.session.done  # our grads still being summed
        for r, (name, data, grad, theirs, kind) in enumerate(rows):
            diff = None if theirs is None else abs(grad - theirs)
            if theirs is None:  # asked and not answered yet, or nothing to compare with
                shown = "…" if self._torch_request is not None and r else "—"
            else:
                shown = repr(theirs)
            difference = "—" if diff is None else "0" if diff == 0 else f"{diff:.1e}"
            for c, text in enumerate((name, repr(data), repr(grad), shown, difference)):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                item.setBackground(QColor(KIND_COLORS[kind]))
                if c:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if c == 4 and diff is not None and diff > DIFFERENT:
                    item.setForeground(QColor(PARTIAL_COLOR if partial else ERROR_COLOR))
                    item.setToolTip(PARTIAL_TIP if partial else text)
                table.setItem(r, c, item)
        table.item(0, 3).setToolTip(OUTPUT_GRAD_TIP)
        if torch_value is not None:  # the output's value, PyTorch's beside ours, under the table
            self._show_torch_note(_value_note(root.label, root.data, torch_value))
        shown_rows = min(len(rows), MAX_TABLE_ROWS)  # as tall as its rows: the graph gets the rest
        header = table.horizontalHeader().height()
        table.setFixedHeight(header + shown_rows * table.rowHeight(0) + 2 * table.frameWidth() + 2)
        table.fit_columns()

    def _show_details(self) -> None:
        """The clicked node (or the current step's): data, grad, and its local derivatives."""
        node = self.session.details_node
        self.details.setHtml(
            DETAILS_HINT if node is None else expression_details_html(self.current_graph(), node)
        )

    def _update_controls(self) -> None:
        self.zero_grad_button.setEnabled(self.current_graph() is not None)


# ---------------------------------------------------------------- helpers


class ResultsTable(QTableWidget):
    """The results table, every column in sight at any width (no sideways scrolling).

    Columns are as wide as their texts when there is room, the spare width shared out. When
    there is not, the name and |difference| stay whole and the three number columns give up
    width in proportion: a number too long for its share loses digits in the middle (its
    exponent stays; its tooltip has it whole), rather than a column going off to the right.
    """

    KEPT_WHOLE = (0, len(COLUMNS) - 1)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)

    def fit_columns(self) -> None:
        header = self.horizontalHeader()
        wanted = [
            max(self.sizeHintForColumn(c), header.sectionSizeHint(c)) for c in range(self.columnCount())
        ]
        room = self.viewport().width()
        spare = room - sum(wanted)
        if spare >= 0:
            widths = [w + spare // len(wanted) for w in wanted]
        else:
            squeezable = [c for c in range(len(wanted)) if c not in self.KEPT_WHOLE]
            total = sum(wanted[c] for c in squeezable)
            left = max(room - sum(wanted[c] for c in self.KEPT_WHOLE), 3 * len(squeezable))
            widths = [w if c in self.KEPT_WHOLE else max(3, w * left // total) for c, w in enumerate(wanted)]
        widths[-1] += room - sum(widths)  # rounding: the last column ends at the right edge
        for column, width in enumerate(widths):
            header.resizeSection(column, width)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.fit_columns()


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


def _value_note(name: str, ours: float, theirs: float) -> str:
    """The output's value in PyTorch beside ours (the table compares grads)."""
    difference = abs(ours - theirs)
    agreement = "the same as ours" if difference == 0 else f"ours {ours!r}, |difference| {difference:.1e}"
    return f"PyTorch (float64) computes {name} = {theirs!r}: {agreement}."


def _idle_text(session: BackpropSession) -> str:
    """The step label outside step-through."""
    graph, calls = session.graph, session.backward_calls
    if calls > 1:
        return (
            f"backward() has run {calls}× without zero_grad(): every variable holds {calls}× its true "
            "gradient (grads add up with +=), so ours no longer agree with PyTorch's. zero_grad() fixes it."
        )
    return (
        f"{graph.root.label} = {graph.root.data!r} · {len(graph)} nodes · grads from one backward(). "
        "Step ▶ replays backprop one node at a time, output first."
    )
