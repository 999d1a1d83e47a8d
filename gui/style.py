"""Colours and small type shared by the panels, so errors and hints look the same everywhere."""

from __future__ import annotations

from PySide6.QtGui import QFont
from PySide6.QtWidgets import QWidget

ERROR_COLOR = "#c62828"  # messages about bad input, and the fields they are about
ERROR_BACKGROUND = "#ffd7d7"  # behind text that cannot be used (a field, a table cell)
WARNING_COLOR = "#b26a00"  # a setting that breaks training on purpose (zero_grad off)
HINT_COLOR = "#666666"  # quiet explanations


def smaller_font(widget: QWidget) -> QFont:
    """The widget's font at 90%: for hints and messages under a field."""
    font = widget.font()
    font.setPointSizeF(font.pointSizeF() * 0.9)
    return font
