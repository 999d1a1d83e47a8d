"""The Optimizer tab: every parameter's optimizer state at the last step, as a table.

One row per weight or bias (named as in the Diagnostics tab: w<layer>.<neuron>.<input>,
b<layer>.<neuron>): its data, its grad, the optimizer's state (momentum buffer or Adam's m,
Adam's second moment v) and the update about to be added to the data. The numbers are
those of the middle of the last step, after backward() and before the update, so that
data + update is the parameter after the step. Above the table, the hyper-parameters that
step used (learning rate, μ, β1, β2, ε, t) and the update formula with them plugged in
(gui/views/optimizer_numbers.py).

The training process sends a snapshot with each progress report (ten a second at most,
the first STATE_TABLE_MAX_PARAMETERS parameters only), and the table shows the latest one
four times a second at most. The table is a model over it: a new snapshot repaints the
rows in sight, whatever the network's size; a snapshot that comes while the tab is
hidden waits until it is shown.
"""

from __future__ import annotations

import html
from collections.abc import Callable

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, QTimer, Slot
from PySide6.QtGui import QFont, QFontDatabase, QShowEvent
from PySide6.QtWidgets import QHeaderView, QLabel, QTableView, QVBoxLayout, QWidget

from engine.optim import StateSnapshot
from engine.run_state import RunState
from engine.settings import TrainSettings
from gui.views.optimizer_numbers import NumbersInUse, formula_rows, numbers_in_use, values_text
from gui.widgets.style import HINT_COLOR

# Column title, the snapshot's field, and what it means (the header's tooltip)
COLUMNS = (
    ("Parameter", "names", "The weight or bias, named as in the Diagnostics tab"),
    ("data", "data", "Its value before this step's update"),
    ("grad", "grad", "Its gradient from this step's backward()"),
    (
        "momentum",
        "momentum",
        "Momentum: the buffer b = μ·b + g. Adam: m, the running mean of the grad, β1·m + (1 − β1)·g",
    ),
    ("second moment", "second_moment", "Adam's v, the running mean of the squared grad: β2·v + (1 − β2)·g²"),
    (
        "update",
        "update",
        "What the step adds to data: −lr·g (SGD), −lr·b (momentum), −lr·m'/(√v' + ε) (Adam)",
    ),
)
VALUES_TIP = (
    "<p>The numbers this step was computed with. <b>lr</b>: the learning rate at this step (after "
    "any decay). <b>μ</b>: momentum, how much of the last buffer b is kept. <b>β1</b>, <b>β2</b>: how "
    "slowly Adam's running means m (of the grad) and v (of the grad squared) forget. <b>ε</b>: keeps "
    "the division finite where v is 0. <b>t</b>: Adam's steps so far; dividing by 1 − β^t corrects "
    "m and v for starting at 0.</p><p>Set them in the Training panel; a change applies from the next "
    "step.</p>"
)
# Adam's state has names of its own: m and v
STATE_TITLES = {"adam": {3: "m (mean grad)", 4: "v (mean grad²)"}, "momentum": {3: "momentum b"}}
OPTIMIZER_TITLES = {"sgd": "SGD", "momentum": "SGD with momentum", "adam": "Adam"}
REFRESH_MS = 250  # a repaint of the rows in sight costs 10-20 ms: four a second are plenty to read
_NO_PARENT = QModelIndex()
_ROLES = (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.TextAlignmentRole)
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)  # a table's rows have no parent
EMPTY_TEXT = "Train or Step: each parameter's optimizer state shows here, step by step."


def formula_table(optimizer: str, numbers: NumbersInUse | None) -> str:
    """The update as a table: a row per term, its formula, and the same with this step's numbers."""
    rows = formula_rows(optimizer, numbers)
    if not rows:
        return ""
    cell = '<td style="padding: 0 14px 0 0;">{}</td>'
    head = f"<tr>{cell.format('')}{cell.format('<i>formula</i>')}{cell.format('<i>with this step’s numbers</i>' if numbers else '')}</tr>"
    body = "".join(
        f"<tr>{cell.format(html.escape(left))}{cell.format(html.escape(formula))}{cell.format(html.escape(plugged))}</tr>"
        for left, formula, plugged in rows
    )
    return f"<table cellspacing='0'>{head}{body}</table>"


class StateTableModel(QAbstractTableModel):
    """The rows of one StateSnapshot; a later snapshot of the same network repaints, nothing more."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.snapshot: StateSnapshot | None = None

    def set_snapshot(self, snapshot: StateSnapshot | None) -> None:
        old = self.snapshot
        same_shape = (
            old is not None
            and snapshot is not None
            and old.names == snapshot.names
            and old.optimizer == snapshot.optimizer
        )
        if same_shape:
            self.snapshot = snapshot
            last = self.index(self.rowCount() - 1, len(COLUMNS) - 1)
            self.dataChanged.emit(self.index(0, 1), last, [Qt.ItemDataRole.DisplayRole])
            return
        self.beginResetModel()
        self.snapshot = snapshot
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = _NO_PARENT) -> int:
        return 0 if self.snapshot is None or parent.isValid() else len(self.snapshot.names)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = _NO_PARENT) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def value(self, row: int, column: int) -> str | float | None:
        """The cell's number (its name, in the first column); None where the optimizer has no such state."""
        values = getattr(self.snapshot, COLUMNS[column][1])
        return None if values is None else values[row]

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        # Qt asks for a dozen roles per cell at every repaint: answer the unused ones first, cheaply
        if role not in _ROLES or self.snapshot is None:
            return None
        column = index.column()
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return _RIGHT if column > 0 else None
        value = self.value(index.row(), column)
        if role == Qt.ItemDataRole.DisplayRole:
            if value is None:
                return "—"
            return value if isinstance(value, str) else f"{value:.6g}"
        return repr(value) if isinstance(value, float) else None  # the tooltip: every digit

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if orientation != Qt.Orientation.Horizontal:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            optimizer = self.snapshot.optimizer if self.snapshot is not None else ""
            return STATE_TITLES.get(optimizer, {}).get(section, COLUMNS[section][0])
        if role == Qt.ItemDataRole.ToolTipRole:
            return COLUMNS[section][2]
        return None


class OptimizerView(QWidget):
    """The last step's optimizer state per parameter, and the formulas that made it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._pending: StateSnapshot | None = None  # arrived while hidden, or too soon after the last
        self._pace = QTimer(self, singleShot=True, interval=REFRESH_MS)  # runs while a refresh is too soon
        self._pace.timeout.connect(self._show_pending)
        self.title_label = QLabel(EMPTY_TEXT, textFormat=Qt.TextFormat.PlainText, wordWrap=True)
        bold = QFont(self.title_label.font())
        bold.setBold(True)
        self.title_label.setFont(bold)
        self.values_label = QLabel(textFormat=Qt.TextFormat.PlainText, wordWrap=True)
        self.values_label.setToolTip(VALUES_TIP)
        self.values_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        # the update, a row per term: the formula, and beside it this step's numbers in it
        self.formula_label = QLabel(textFormat=Qt.TextFormat.RichText)
        self.formula_label.setToolTip(VALUES_TIP)
        self.formula_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        # the window's settings and run state when a snapshot arrives: what its step used
        self.settings_source: Callable[[], tuple[TrainSettings, RunState | None]] | None = None
        self._pending_numbers: NumbersInUse | None = None
        self.numbers: NumbersInUse | None = None  # those of the step shown
        self.note_label = QLabel(textFormat=Qt.TextFormat.PlainText, wordWrap=True)
        self.note_label.setStyleSheet(f"color: {HINT_COLOR};")
        self.model = StateTableModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(self.table.fontMetrics().height() + 6)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)  # numbers never wrap; laying out each cell's text as a paragraph costs
        self.table.setEditTriggers(QTableView.EditTrigger.NoEditTriggers)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title_label)
        layout.addWidget(self.values_label)
        layout.addWidget(self.formula_label)
        layout.addWidget(self.note_label)
        layout.addWidget(self.table, 1)
        self.clear()

    @property
    def snapshot(self) -> StateSnapshot | None:
        """What the table shows (or will show once the tab is in sight)."""
        return self._pending or self.model.snapshot

    @Slot(object)
    def set_snapshot(self, snapshot: StateSnapshot) -> None:
        """A step's state from the training process: shown now if in sight (at most every REFRESH_MS),
        else when shown."""
        self._pending = snapshot
        if self.settings_source is not None:
            self._pending_numbers = numbers_in_use(snapshot, *self.settings_source())
        if not self._pace.isActive():
            self._show_pending()

    def _show_pending(self) -> None:
        if self._pending is not None and self.isVisible():
            self._show(self._pending)
            self._pace.start()  # the next one waits, unless REFRESH_MS have passed

    def clear(self) -> None:
        """No run: an empty table and what to do to fill it."""
        self._pending = None
        self._pace.stop()
        self.model.set_snapshot(None)
        self.title_label.setText(EMPTY_TEXT)
        self._pending_numbers = self.numbers = None
        for label in (self.values_label, self.formula_label, self.note_label):
            label.setText("")
            label.hide()  # no empty lines above the table

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._show_pending()

    def _show(self, snapshot: StateSnapshot) -> None:
        self._pending = None
        reshaped = self.model.snapshot is None or self.model.snapshot.optimizer != snapshot.optimizer
        self.model.set_snapshot(snapshot)
        if reshaped:  # columns of state this optimizer does not keep are hidden
            self.table.setColumnHidden(3, snapshot.momentum is None)
            self.table.setColumnHidden(4, snapshot.second_moment is None)
        title = OPTIMIZER_TITLES.get(snapshot.optimizer, snapshot.optimizer)
        when = (
            "saved after the step (its grad and update come with the next step)"
            if snapshot.saved  # an opened session's run
            else "after backward(), before the update (data + update = after the step)"
        )
        self.title_label.setText(f"Step {snapshot.step} · {title}: {when}")
        self.numbers = self._pending_numbers
        self._pending_numbers = None
        values = values_text(self.numbers) if self.numbers else f"lr = {snapshot.learning_rate:.4g}"
        self._set_line(self.values_label, values)
        self._set_line(self.formula_label, formula_table(snapshot.optimizer, self.numbers))
        shown = len(snapshot.names)
        self._set_line(
            self.note_label,
            f"Showing the first {shown:,} of {snapshot.total:,} parameters."
            if shown < snapshot.total
            else "",
        )

    @staticmethod
    def _set_line(label: QLabel, text: str) -> None:
        label.setText(text)
        label.setVisible(bool(text))
