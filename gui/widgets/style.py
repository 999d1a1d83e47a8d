"""Colours, small type and status-bar timing shared by the window, so messages look the same everywhere."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QLabel, QLayout, QVBoxLayout, QWidget

ERROR_COLOR = "#c62828"  # messages about bad input, and the fields they are about
ERROR_BACKGROUND = "#ffd7d7"  # behind text that cannot be used (a field, a table cell)
WARNING_COLOR = "#b26a00"  # a setting that breaks training on purpose (zero_grad off)
HINT_COLOR = "#666666"  # quiet explanations

# How long the status bar shows a message: a note that something worked, and one to read.
STATUS_MS = 5000
STATUS_READ_MS = 10000


def smaller_font(widget: QWidget) -> QFont:
    """The widget's font at 90%: for hints and messages under a field."""
    font = widget.font()
    font.setPointSizeF(font.pointSizeF() * 0.9)
    return font


def note_label(color: str = HINT_COLOR) -> QLabel:
    """A quiet, word-wrapped line of plain text under a control, hidden until there is something to say."""
    label = QLabel(wordWrap=True, textFormat=Qt.TextFormat.PlainText)
    label.setStyleSheet(f"color: {color};")
    label.setVisible(False)
    return label


def with_note_below(widget: QWidget, controls: QLayout, note: QLabel) -> None:
    """Lay out `widget` as its controls with the note right below them, edge to edge."""
    column = QVBoxLayout(widget)
    column.setContentsMargins(0, 0, 0, 0)
    column.setSpacing(2)
    column.addLayout(controls)
    column.addWidget(note)
