"""The Data panel's test split: how much of the data is held out as a test set, and which samples.

The split changes no sample: the table and the plot keep them all, test samples drawn
hollow; the trainer trains on the rest and measures the test set at every step.
"""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, Signal, Slot
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QSpinBox, QWidget

from engine.split import FRACTION_RANGE, SEED_RANGE, TestSplit

TOOLTIP = (
    "<p>Hold out this share of the samples as a <b>test set</b>: the network never trains on them, "
    "and the Loss tab shows their loss and accuracy (dashed) beside the training ones. A training "
    "loss that keeps falling while the test loss rises is <b>overfitting</b>. Test samples are drawn "
    "hollow on the Decision boundary. 0 %: no test set.</p>"
)


class TestSplitField(QWidget):
    """'Test set [30 %] seed [0]', and how many samples that holds out."""

    __test__ = False  # a widget, not a pytest test class

    split_changed = Signal(object)  # TestSplit

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._split = TestSplit()
        self.percent_spin = QSpinBox()
        self.percent_spin.setRange(round(FRACTION_RANGE[0] * 100), round(FRACTION_RANGE[1] * 100))
        self.percent_spin.setSingleStep(5)
        self.percent_spin.setSuffix(" %")
        self.percent_spin.setAccessibleName("Test set share")
        self.seed_spin = QSpinBox()
        self.seed_spin.setRange(*SEED_RANGE)
        self.seed_spin.setAccessibleName("Test split seed")
        self.seed_spin.setMaximumWidth(
            72
        )  # its range's 10 digits need not widen the settings column (they scroll)
        self.count_label = QLabel()
        self.count_label.setStyleSheet("color: #666666;")
        # takes the room left in the row, never more: the settings column must not grow for it
        self.count_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        label = QLabel("Test set")
        for widget in (label, self.percent_spin, self.seed_spin):
            widget.setToolTip(TOOLTIP)
        row.addWidget(label)
        row.addWidget(self.percent_spin)
        row.addWidget(QLabel("seed"))
        row.addWidget(self.seed_spin)
        row.addWidget(self.count_label, 1)
        self.percent_spin.valueChanged.connect(self._on_spin_value_changed)
        self.seed_spin.valueChanged.connect(self._on_spin_value_changed)

    def split(self) -> TestSplit:
        return TestSplit(self._split.fraction, self._split.seed)

    def set_split(self, split: TestSplit) -> None:
        """Show `split` (no signal); a fraction between whole percents is kept as it is."""
        self._split = TestSplit(split.fraction, split.seed)
        with QSignalBlocker(self.percent_spin), QSignalBlocker(self.seed_spin):
            self.percent_spin.setValue(round(split.fraction * 100))
            self.seed_spin.setValue(split.seed)

    def show_counts(self, held_out: int, total: int) -> None:
        """Say how many samples the split holds out of the data's `total`."""
        self.count_label.setText(f"{held_out} held out" if held_out else "none held out")
        self.count_label.setToolTip(f"{held_out} of the {total} samples are held out for testing")

    @Slot(int)
    def _on_spin_value_changed(self, _value: int) -> None:
        self._split = TestSplit(self.percent_spin.value() / 100, self.seed_spin.value())
        self.split_changed.emit(self.split())
