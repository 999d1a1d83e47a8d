"""A combo box that draws a chosen text too long for it with an ellipsis, where it says least."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QPaintEvent
from PySide6.QtWidgets import QComboBox, QSizePolicy, QStyle, QStyleOptionComboBox, QStylePainter


class ElidedCombo(QComboBox):
    """A QComboBox whose chosen text, when too long for it, loses its middle (by default: a
    sample's target y stays in sight) or its end, with "…", instead of being cut off mid-word.
    It takes the spare width of its row; the drop-down list shows every text whole."""

    def __init__(self, *args, elide: Qt.TextElideMode = Qt.TextElideMode.ElideMiddle, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.elide = elide
        self.setSizePolicy(QSizePolicy.Policy.Expanding, self.sizePolicy().verticalPolicy())

    def displayed_text(self) -> str:
        """The chosen text as drawn: whole if it fits, else elided."""
        option = QStyleOptionComboBox()
        self.initStyleOption(option)
        field = self.style().subControlRect(
            QStyle.ComplexControl.CC_ComboBox, option, QStyle.SubControl.SC_ComboBoxEditField, self
        )
        return self.fontMetrics().elidedText(self.currentText(), self.elide, field.width())

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QStylePainter(self)
        option = QStyleOptionComboBox()
        self.initStyleOption(option)
        painter.drawComplexControl(QStyle.ComplexControl.CC_ComboBox, option)
        option.currentText = self.displayed_text()
        painter.drawControl(QStyle.ControlElement.CE_ComboBoxLabel, option)
