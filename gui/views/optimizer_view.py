"""The Optimizer tab: every parameter's optimizer state at the last step, as a table.

One row per weight or bias (named as in the Diagnostics tab: w<layer>.<neuron>.<input>,
b<layer>.<neuron>): its data, its grad, the optimizer's state (momentum buffer or Adam's m,
Adam's second moment v) and the update about to be added to the data. The numbers are
those of the middle of the last step, after backward() and before the update, so that
data + update is the parameter after the step.

The training process sends a snapshot with each progress report (ten a second at most,
the first STATE_TABLE_MAX_PARAMETERS parameters only), and the table shows the latest one
four times a second at most. The table is a model over it: a new snapshot repaints the
rows in sight, whatever the network's size; a snapshot that comes while the tab is
hidden waits until it is shown.
"""

from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, QTimer, Slot
from PySide6.QtGui import QFont, QFontDatabase, QShowEvent
from PySide6.QtWidgets import QHeaderView, QLabel, QTableView, QVBoxLayout, QWidget

from engine.optim import StateSnapshot
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
FORMULAS = {
    "sgd": "SGD: update = −lr·grad",
    "momentum": "SGD with momentum: b ← μ·b + grad, update = −lr·b",
    "adam": "Adam: m ← β1·m + (1−β1)·grad, v ← β2·v + (1−β2)·grad², "
    "update = −lr·m' / (√v' + ε) with m' = m / (1 − β1^t), v' = v / (1 − β2^t)",
}
# Adam's state has names of its own: m and v
STATE_TITLES = {"adam": {3: "m (mean grad)", 4: "v (mean grad²)"}, "momentum": {3: "momentum b"}}
OPTIMIZER_TITLES = {"sgd": "SGD", "momentum": "SGD with momentum", "adam": "Adam"}
REFRESH_MS = 250  # a repaint of the rows in sight costs 10-20 ms: four a second are plenty to read
_NO_PARENT = QModelIndex()
_ROLES = (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.TextAlignmentRole)
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)  # a table's rows have no parent
EMPTY_TEXT = "Train or Step: each parameter's optimizer state shows here, step by step."


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
        self.formula_label = QLabel(textFormat=Qt.TextFormat.PlainText, wordWrap=True)
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
        self.formula_label.setText("")
        self.note_label.setText("")

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
        self.title_label.setText(
            f"Step {snapshot.step} · {title} · learning rate {snapshot.learning_rate:g}: {when}"
        )
        self.formula_label.setText(FORMULAS.get(snapshot.optimizer, ""))
        shown = len(snapshot.names)
        self.note_label.setText(
            f"Showing the first {shown:,} of {snapshot.total:,} parameters." if shown < snapshot.total else ""
        )
