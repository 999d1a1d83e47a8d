"""The Data panel's table: the samples of a dataset as a Qt model, its view, and its cell editor.

The table is a view of the dataset (`SampleTableModel`), not a grid of items: showing
2,000 imported rows costs what showing 10 does, since only the visible cells are read.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtWidgets import QLineEdit, QStyledItemDelegate, QTableView, QWidget

from engine.data import MAX_MAGNITUDE, TOO_LARGE, Dataset

VALUE_ROLE = Qt.ItemDataRole.UserRole  # the full-precision float behind a cell's rounded text


def format_cell(value: float) -> str:
    """Short exact numbers as they are ('2.0', '-0.445'); others rounded to 4 decimals ('0.1235').

    A rounded number always shows all 4 decimals, so a reader can tell it from an exact one.
    """
    exact = repr(float(value))
    if "e" not in exact and len(exact.partition(".")[2]) <= 4:
        return exact
    if 1e-3 <= abs(value) < 1e6:
        return f"{value:.4f}"
    return f"{value:.4g}"


def parse_number(text: str) -> tuple[float | None, str]:
    """The float in `text`, or None and why not ("is not a number", "is not a finite number")."""
    try:
        value = float(text.strip())
    except ValueError:
        return None, "is not a number"
    if not math.isfinite(value):
        return None, "is not a finite number"
    if abs(value) > MAX_MAGNITUDE:
        return None, TOO_LARGE
    return value, ""


CELL_ALIGNMENT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter


class SampleTableModel(QAbstractTableModel):
    """The samples of a dataset as rows: the inputs x1 … xn, then the target y.

    Cells are read from the dataset when the view paints them (only the visible ones), shown
    rounded (`format_cell`) with the full float under VALUE_ROLE. An edit is handed to
    `commit(row, column, text)`, which decides what the dataset keeps.
    """

    def __init__(self, dataset: Dataset, commit, parent=None) -> None:
        super().__init__(parent)
        self._dataset = dataset
        self._commit = commit

    def show(self, dataset: Dataset) -> None:
        """Show `dataset` (the panel's own object, read live) in place of the last one."""
        self.beginResetModel()
        self._dataset = dataset
        self.endResetModel()

    def append(self, inputs: list[float], target: float) -> None:
        """Add a sample at the end of the dataset and of the table."""
        row = len(self._dataset)
        self.beginInsertRows(QModelIndex(), row, row)
        self._dataset.inputs.append(inputs)
        self._dataset.targets.append(target)
        self.endInsertRows()

    def value(self, row: int, column: int) -> float:
        if column == self._dataset.n_inputs:
            return self._dataset.targets[row]
        return self._dataset.inputs[row][column]

    def cell_changed(self, row: int, column: int) -> None:
        """The dataset's value behind this cell changed (or an edit was refused): repaint it."""
        index = self.index(row, column)
        self.dataChanged.emit(index, index)

    def column_name(self, column: int) -> str:
        return "y" if column == self._dataset.n_inputs else f"x{column + 1}"

    # Qt's model interface

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._dataset)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self._dataset.n_inputs + 1

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            return format_cell(self.value(index.row(), index.column()))
        if role == VALUE_ROLE:
            return self.value(index.row(), index.column())
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return CELL_ALIGNMENT
        return None

    def setData(self, index, value, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if not index.isValid() or role != Qt.ItemDataRole.EditRole:
            return False
        return self._commit(index.row(), index.column(), str(value))

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsEditable

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Vertical:
            return str(section + 1) if role == Qt.ItemDataRole.DisplayRole else None
        if role == Qt.ItemDataRole.DisplayRole:
            return self.column_name(section)
        if role == Qt.ItemDataRole.ToolTipRole:
            if section == self._dataset.n_inputs:
                return "the target: what the network's output should be"
            return f"input {section + 1} of each example"
        return None


class SampleTable(QTableView):
    """The sample table; `itemSelectionChanged` as QTableWidget has it, for whoever follows the selection."""

    itemSelectionChanged = Signal()  # noqa: N815 (QTableWidget's name)

    def __init__(self, model: SampleTableModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setModel(model)  # set once: the selection model (and this connection) stays
        self.selectionModel().selectionChanged.connect(lambda *_: self.itemSelectionChanged.emit())

    def rowCount(self) -> int:
        return self.model().rowCount()

    def columnCount(self) -> int:
        return self.model().columnCount()


class NumberDelegate(QStyledItemDelegate):
    """Edits a cell at full precision; `text_edited(editor, row, column, text)` checks each keystroke."""

    def __init__(self, table: QTableView, text_edited: Callable[[QLineEdit, int, int, str], None]) -> None:
        super().__init__(table)
        self._text_edited = text_edited

    def createEditor(self, parent, option, index):  # Qt override
        editor = QLineEdit(parent)
        editor.setAlignment(CELL_ALIGNMENT)
        row, column = index.row(), index.column()
        editor.textEdited.connect(lambda text: self._text_edited(editor, row, column, text))
        return editor

    def setEditorData(self, editor, index):  # Qt override
        # every digit of the number, not the rounded text the cell shows
        editor.setText(repr(float(index.data(VALUE_ROLE))))


def summarize(ds: Dataset) -> str:
    """One line: "100 samples · 2 inputs · classes +1: 50, -1: 50"; "3 classes 0: 34, ..." for several
    classes; "regression, y from -1 to 1" for regression."""
    n, d = len(ds), ds.n_inputs
    parts = [f"{n} sample{'s' * (n != 1)}", f"{d} input{'s' * (d != 1)}"]
    counts: dict[float, int] = {}
    for target in ds.targets:
        counts[target] = counts.get(target, 0) + 1
    if ds.task == "classes":
        listed = ", ".join(f"{int(t)}: {c}" for t, c in sorted(counts.items()))
        parts.append(f"{len(counts)} classes {listed}" if len(counts) <= 8 else f"{len(counts)} classes")
    elif ds.task == "regression" and counts:
        parts.append(f"regression, y from {format_cell(min(counts))} to {format_cell(max(counts))}")
    elif len(counts) <= 4:
        parts.append(
            "classes "
            + ", ".join(f"{_class_name(t)}: {c}" for t, c in sorted(counts.items(), key=lambda tc: -tc[0]))
        )
    else:
        parts.append(f"y from {format_cell(min(counts))} to {format_cell(max(counts))}")
    return " · ".join(parts)


def _class_name(target: float) -> str:
    if target == int(target):
        return f"{int(target):+d}" if target else "0"
    return format_cell(target)
