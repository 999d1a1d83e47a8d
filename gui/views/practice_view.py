"""The Practice tab: the learner does what the lecture does by hand, and the engine checks it.

* Backprop by hand: a lecture exercise (or any expression) with its grads hidden; the
  learner types each node's grad in an order the chain rule allows, the output's first.
  Each answer is checked against backward(); a wrong one gets a hint, then the numbers.
  The engine's own backward rule for the selected node's operation is shown with its
  numbers put in.
* The derivative as a nudge: pick an input and h (1e-1 .. 1e-12); see f(x), f(x + h),
  (f(x + h) - f(x)) / h and the exact grad, and the estimate's error against h.
"""

from __future__ import annotations

import html
import math
from functools import partial

from matplotlib.figure import Figure
from PySide6.QtCore import QSignalBlocker, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSlider,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from engine.data import Dataset
from engine.exercises import LECTURE_EXERCISES, Exercise
from engine.nudge import STEPS_OF_H, check_model_gradients, error_curve, nudge
from engine.rule_code import rule_with_numbers
from engine.value import Value
from engine.weights import ModelWeights
from gui.widgets.blit_canvas import BlitCanvas
from gui.widgets.latest_job import LatestJobThread
from gui.widgets.style import ERROR_COLOR, HINT_COLOR

OK_COLOR = "#2e7d32"
COLUMNS = ("node", "op", "data", "grad")


def _describe(node: Value) -> str:
    return node.label or f"({node.op})"


class PracticeView(QWidget):
    gradient_check_requested = Signal()  # the window answers with check_model(its current model)
    _gradient_check_done = Signal(object)  # (checks, parameter count), from the worker thread

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.exercise: Exercise | None = None
        self._rows: list[Value] = []

        self.exercise_combo = QComboBox()
        self.exercise_combo.addItems([title for title, _, _ in LECTURE_EXERCISES])
        self.exercise_combo.currentIndexChanged.connect(self.start_exercise)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._show_code)
        self.answer_edit = QLineEdit(placeholderText="the selected node's grad, e.g. -1.5")
        self.answer_edit.returnPressed.connect(self.submit)
        self.check_button = QPushButton("Check", clicked=self.submit)
        self.reveal_button = QPushButton("Reveal", clicked=self.reveal)
        self.feedback_label = QLabel(wordWrap=True, textFormat=Qt.TextFormat.PlainText)
        self.progress_label = QLabel()
        self.code_label = QLabel(textFormat=Qt.TextFormat.RichText, wordWrap=True)
        self.code_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        answer_row = QHBoxLayout()
        answer_row.addWidget(self.answer_edit, 1)
        answer_row.addWidget(self.check_button)
        answer_row.addWidget(self.reveal_button)
        exercise_box = QGroupBox("Backprop by hand: fill in every grad, the output's first")
        column = QVBoxLayout(exercise_box)
        column.addWidget(self.exercise_combo)
        column.addWidget(self.table, 1)
        column.addLayout(answer_row)
        column.addWidget(self.feedback_label)
        column.addWidget(self.progress_label)
        column.addWidget(self.code_label)

        splitter = QSplitter()
        splitter.addWidget(exercise_box)
        splitter.addWidget(self._build_nudge_box())
        splitter.setSizes([520, 480])
        QVBoxLayout(self).addWidget(splitter)
        self._gradient_checks = LatestJobThread(self._gradient_check_done.emit, "gradient check")
        self._gradient_check_done.connect(self._on_gradient_check_done)
        self.destroyed.connect(self._gradient_checks.close)
        self.start_exercise(0)

    def _build_check_row(self) -> QHBoxLayout:
        self.check_model_button = QPushButton("Check the model's gradients")
        self.check_model_button.setToolTip(
            "The lecture's way of verifying backprop: nudge each parameter of the current model both ways, "
            "(f(p + h) − f(p − h)) / 2h with h = 1e-6, and compare with backward()'s grad"
        )
        self.check_model_button.clicked.connect(self.gradient_check_requested)
        self.check_result_label = QLabel(wordWrap=True, textFormat=Qt.TextFormat.PlainText)
        row = QHBoxLayout()
        row.addWidget(self.check_model_button)
        row.addWidget(self.check_result_label, 1)
        return row

    def check_model(self, weights: ModelWeights, dataset: Dataset, loss: str) -> None:
        """Nudge a copy of this model's parameters (in a worker thread: seconds on a large model)."""
        self.check_model_button.setEnabled(False)
        self.check_result_label.setText("Nudging every parameter…")
        self._gradient_checks.submit(partial(check_model_gradients, weights, dataset, loss))

    @Slot(object)
    def _on_gradient_check_done(self, result: tuple) -> None:
        self.show_gradient_check(*result)

    def show_gradient_check(self, checks: list, total: int) -> None:
        """Show a gradient check's outcome: how many parameters agree, and the worst."""
        self.check_model_button.setEnabled(True)
        flagged = [c for c in checks if c.flagged]
        worst = max(checks, key=lambda c: c.relative_error)
        sampled = "" if len(checks) == total else f" ({len(checks)} of its {total} parameters, evenly spread)"
        if flagged:
            text = (
                f"{len(flagged)} of {len(checks)} gradients disagree{sampled}: {flagged[0].name} "
                f"backward() {flagged[0].analytic:.6g}, nudge {flagged[0].numeric:.6g}."
            )
        else:
            text = (
                f"All {len(checks)} gradients agree{sampled}: worst relative difference "
                f"{worst.relative_error:.1e} ({worst.name})."
            )
        self.check_result_label.setText(text)
        self.check_result_label.setStyleSheet(f"color: {ERROR_COLOR if flagged else OK_COLOR};")

    def _build_nudge_box(self) -> QGroupBox:
        self.nudge_variable = QComboBox()
        self.nudge_variable.currentIndexChanged.connect(self._update_nudge)
        self.h_slider = QSlider(Qt.Orientation.Horizontal, minimum=1, maximum=len(STEPS_OF_H), value=3)
        self.h_slider.valueChanged.connect(self._update_nudge)
        self.nudge_label = QLabel(textFormat=Qt.TextFormat.PlainText)
        self.figure = Figure(figsize=(4, 3), layout="constrained")
        self.error_axes = self.figure.add_subplot()
        # draws only once shown, so a tab never opened costs nothing (and leaves no draw pending)
        self.canvas = BlitCanvas(self.figure, list, tuple, lambda: self.figure.bbox)
        box = QGroupBox("The derivative as a nudge: (f(x + h) − f(x)) / h")
        column = QVBoxLayout(box)
        row = QHBoxLayout()
        row.addWidget(QLabel("nudge"))
        row.addWidget(self.nudge_variable)
        self.h_label = QLabel()
        row.addWidget(QLabel("by"))
        row.addWidget(self.h_slider, 1)
        row.addWidget(self.h_label)
        column.addLayout(row)
        column.addWidget(self.nudge_label)
        column.addWidget(self.canvas, 1)
        column.addLayout(self._build_check_row())
        return box

    # ---- backprop by hand

    @Slot(int)
    def start_exercise(self, index: int) -> None:
        title, variables, expression = LECTURE_EXERCISES[index]
        self.exercise = Exercise.from_expression(title, expression, variables)
        self._variables, self._expression = variables, expression
        self._rows = list(reversed(self.exercise.nodes))  # the output first, as backprop goes
        self.table.setRowCount(len(self._rows))
        for row, node in enumerate(self._rows):
            for column, text in enumerate((_describe(node), node.op or "leaf", f"{node.data:.6g}", "")):
                item = QTableWidgetItem(text)
                item.setFlags(Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsEnabled)
                self.table.setItem(row, column, item)
        self.feedback_label.setText("Select the output (first row) and type its grad.")
        self.feedback_label.setStyleSheet("")
        self._refresh_rows()
        self.table.selectRow(0)
        with QSignalBlocker(self.nudge_variable):  # one update below, not one per item
            self.nudge_variable.clear()
            self.nudge_variable.addItems(list(variables))
        self._update_nudge()

    def selected_node(self) -> Value | None:
        rows = {i.row() for i in self.table.selectedIndexes()}
        return self._rows[rows.pop()] if len(rows) == 1 else None

    def select(self, node: Value) -> None:
        self.table.selectRow(self._rows.index(node))

    @Slot()
    def submit(self) -> bool:
        """Check the typed grad for the selected node; True if accepted."""
        node, ex = self.selected_node(), self.exercise
        if node is None or ex is None:
            return False
        try:
            value = float(self.answer_edit.text().replace(",", ".").replace("−", "-"))
        except ValueError:
            self._feedback(False, "Type a number, such as -1.5 or 2e-3.")
            return False
        verdict = ex.answer(node, value)
        self._feedback(verdict.accepted, verdict.message)
        if verdict.accepted:
            self.answer_edit.clear()
            self._refresh_rows()
            self._select_next()
        return verdict.accepted

    @Slot()
    def reveal(self) -> None:
        node, ex = self.selected_node(), self.exercise
        if node is None or ex is None or not ex.ready(node):
            self._feedback(False, "Reveal works on a node whose turn it is (the rows not greyed out).")
            return
        self._feedback(True, f"The grad of {_describe(node)} is {ex.reveal(node):.6g} (not scored).")
        self._refresh_rows()
        self._select_next()

    def _select_next(self) -> None:
        ex = self.exercise
        ready = [n for n in self._rows if ex.ready(n)]
        if ready:
            self.select(ready[0])

    def _feedback(self, good: bool, message: str) -> None:
        self.feedback_label.setText(message)
        self.feedback_label.setStyleSheet(f"color: {OK_COLOR if good else ERROR_COLOR};")

    def _refresh_rows(self) -> None:
        ex = self.exercise
        for row, node in enumerate(self._rows):
            grad_item = self.table.item(row, 3)
            if node in ex.answered:
                grad_item.setText(f"{ex.answered[node]:.6g}" + (" (revealed)" if node in ex.revealed else ""))
            waiting = node not in ex.answered and not ex.ready(node)
            for column in range(len(COLUMNS)):
                self.table.item(row, column).setForeground(
                    Qt.GlobalColor.gray if waiting else Qt.GlobalColor.black
                )
        done, total = ex.progress()
        ending = "  Done!" if ex.done else ""
        self.progress_label.setText(
            f"{done} of {total} grads · score {ex.score} right at the first try.{ending}"
        )

    @Slot()
    def _show_code(self) -> None:
        node = self.selected_node()
        if node is None or not node.op:
            self.code_label.setText(
                f"<span style='color:{HINT_COLOR}'>A leaf has no backward rule: its grad is what the "
                "nodes it feeds pass back.</span>"
            )
            return
        lines = [
            f"<code>{html.escape(code)}</code>"
            + (f" &nbsp;→&nbsp; <code>{html.escape(numbers)}</code>" if numbers else "")
            for code, numbers in rule_with_numbers(node)
        ]
        self.code_label.setText(
            f"The engine's backward rule for <b>{html.escape(node.op)}</b> (engine/value.py), "
            "with this node's numbers once backward() has run:<br>" + "<br>".join(lines)
        )

    # ---- the nudge

    @Slot()
    def _update_nudge(self) -> None:
        name = self.nudge_variable.currentText()
        if not name:
            return
        h = STEPS_OF_H[self.h_slider.value() - 1]
        self.h_label.setText(f"h = {h:.0e}")
        result = nudge(self._expression, self._variables, name, h)
        self.nudge_label.setText(
            f"h = {h:.0e}:  f(x) = {result.before:.12g},  f(x + h) = {result.after:.12g}\n"
            f"(f(x + h) − f(x)) / h = {result.estimate:.12g}   backward() grad = {result.grad:.12g}\n"
            f"error {result.error:.3g}"
            + ("  — rounding now beats the nudge: a smaller h only makes it worse" if h < 1e-9 else "")
        )
        curve = error_curve(self._expression, self._variables, name)
        axes = self.error_axes
        axes.clear()
        hs = [n.h for n in curve]
        errors = [n.error if n.error > 0 else math.nan for n in curve]
        axes.loglog(hs, errors, marker="o", markersize=3)
        axes.axvline(h, color="#888888", linestyle=":")
        axes.set_xlabel("h")
        axes.set_ylabel("|estimate − grad|")
        axes.set_title(f"error of the nudge on {name}", fontsize="medium")
        axes.invert_xaxis()
        axes.grid(True, which="major", alpha=0.3)
        self.canvas.draw_idle()

    def shutdown(self) -> None:
        self._gradient_checks.close()
