"""The Model panel's engineered inputs: checkboxes for x1², x2², x1·x2, sin x1 and sin x2.

They belong to the network's input layer (ModelSpec.extra_inputs): each one checked is one
more input node, computed from the sample's x1 and x2 (engine/features.py). Only 2-D data
has an x1 and an x2: for other data the boxes are off and disabled, and the note says why.
"""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, Signal, Slot
from PySide6.QtWidgets import QCheckBox, QGridLayout, QWidget

from engine.features import EXTRA_INPUTS, RAW_INPUTS_NEEDED
from gui.widgets.style import note_label, with_note_below

TOOLTIP = (
    "<p><b>Engineered inputs</b>, as TensorFlow Playground offers: extra input nodes computed from "
    "x1 and x2. With x1² and x2² a single neuron can draw a circle, which otherwise takes a hidden "
    "layer. They are saved with the session, and the weights file lists the inputs it expects.</p>"
)
PER_ROW = 3


class ExtraInputsField(QWidget):
    """A checkbox per engineered input; `changed` when the user ticks one."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.boxes: dict[str, QCheckBox] = {}
        grid = QGridLayout()
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(10)
        for i, (name, (shown, _)) in enumerate(EXTRA_INPUTS.items()):
            box = QCheckBox(shown)
            box.setToolTip(TOOLTIP)
            box.setAccessibleName(f"Extra input {shown}")
            box.toggled.connect(self._on_box_toggled)
            self.boxes[name] = box
            grid.addWidget(box, i // PER_ROW, i % PER_ROW)
        self.note_label = note_label()
        with_note_below(self, grid, self.note_label)

    def extras(self) -> list[str]:
        """The checked engineered inputs, in the order they are listed (none while disabled)."""
        if not self.isEnabled():
            return []
        return [name for name, box in self.boxes.items() if box.isChecked()]

    def set_extras(self, extras: list[str]) -> None:
        """Check exactly these (no signal)."""
        for name, box in self.boxes.items():
            with QSignalBlocker(box):
                box.setChecked(name in extras)

    def set_n_inputs(self, n: int) -> None:
        """Enable the boxes for 2-D data; otherwise uncheck and disable them, and say why."""
        usable = n == RAW_INPUTS_NEEDED
        if not usable:
            self.set_extras([])
        self.setEnabled(usable)
        self.note_label.setVisible(not usable)
        self.note_label.setText(
            f"Engineered inputs are computed from x1 and x2: they need 2-D data (this data has {n} "
            f"input column{'s' if n != 1 else ''})."
        )
        self.note_label.setEnabled(True)

    @Slot(bool)
    def _on_box_toggled(self, _checked: bool) -> None:
        self.changed.emit()
