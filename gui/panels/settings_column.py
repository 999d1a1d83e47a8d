"""The window's left column: the Data, Model and Training panels, with training's key controls pinned.

The settings scroll (the data table alone can be taller than a laptop screen), but what a
learner reaches for while a run goes on stays in sight at the bottom of the column, on
any screen from 1366x768 up: Train / Pause / Step / Reset, the learning rate with its
finder, the zero_grad switch with its warning, and the progress bar (`TrainingPanel.controls`).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QGroupBox, QScrollArea, QVBoxLayout, QWidget

from gui.panels.data_panel import DataPanel
from gui.panels.model_panel import ModelPanel
from gui.panels.training_panel import TrainingPanel

COLUMN_MIN_WIDTH = 360


class SettingsColumn(QWidget):
    """`scroll` holds the Data and Model panels and the training options; `pinned`, the Training box."""

    def __init__(
        self, data: DataPanel, model: ModelPanel, training: TrainingPanel, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        column = QWidget()
        column_layout = QVBoxLayout(column)
        column_layout.setContentsMargins(6, 6, 6, 6)
        for title, panel in (("Data", data), ("Model", model), ("Training options", training)):
            column_layout.addWidget(_group(title, panel))
        column_layout.addStretch(1)
        self.scroll = QScrollArea()
        self.scroll.setWidget(column)
        self.scroll.setWidgetResizable(True)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll.setMinimumWidth(COLUMN_MIN_WIDTH)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)

        # Taken out of the panel (its settings scroll away) into a box of its own below the scroll.
        self.pinned = _group("Training", training.controls)
        pinned_holder = QWidget()
        holder_layout = QVBoxLayout(pinned_holder)
        holder_layout.setContentsMargins(6, 0, 6, 4)
        holder_layout.addWidget(self.pinned)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.scroll, 1)
        layout.addWidget(_rule())
        layout.addWidget(pinned_holder)


def _group(title: str, content: QWidget) -> QGroupBox:
    box = QGroupBox(title)
    QVBoxLayout(box).addWidget(content)
    return box


def _rule() -> QFrame:
    """A line between what scrolls and what stays, so the edge reads as one."""
    line = QFrame()
    line.setFrameShape(QFrame.Shape.HLine)
    line.setFrameShadow(QFrame.Shadow.Sunken)
    return line
