"""The Training panel's optimizer: SGD, SGD with momentum or Adam, and the hyper-parameters of the one chosen.

Only the fields of the chosen optimizer are shown (μ for momentum, β1, β2 and ε for Adam);
the others keep their values, so switching back finds them as they were.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QFormLayout, QLabel, QWidget

from engine.optim import HYPERPARAMETERS
from engine.settings import BETA_RANGE, EPS_RANGE, MOMENTUM_RANGE, TrainSettings
from gui.panels.input_checks import DecimalSpinBox, with_message

OPTIMIZER_NAMES = {"sgd": "SGD", "momentum": "SGD with momentum", "adam": "Adam"}
OPTIMIZER_TIPS = {
    "sgd": "p ← p − lr·g: the lecture's update, one step against the gradient.",
    "momentum": "b ← μ·b + g, then p ← p − lr·b: a running sum of past gradients rolls through "
    "flat stretches and damps zig-zags (PyTorch's SGD with momentum).",
    "adam": "Running means of g (m) and of g² (v), bias-corrected; each parameter steps by about lr "
    "whatever the size of its gradient (PyTorch's Adam).",
}
OPTIMIZER_TIP = (
    "<p>How a step turns the gradients into changes of the weights.</p><p>"
    + "<br>".join(f"<b>{OPTIMIZER_NAMES[key]}</b>: {tip}" for key, tip in OPTIMIZER_TIPS.items())
    + "</p><p>The Optimizer tab shows each parameter's state while training.</p>"
)
MOMENTUM_TIP = "μ: how much of the previous step's buffer each step keeps (0 is plain SGD; 0.9 is usual)."
BETA1_TIP = "β1: how long Adam's mean of the gradient (m) remembers; 0.9 by default."
BETA2_TIP = "β2: how long Adam's mean of the squared gradient (v) remembers; 0.999 by default."
EPS_TIP = (
    "ε: added to √v̂ in lr·m̂ / (√v̂ + ε), so that a parameter whose gradient stays 0 does not divide by 0; "
    "1e-8 by default (PyTorch's). Larger, it damps the steps of parameters with tiny gradients."
)
DECIMALS = 10  # as the learning rate: a hand-written 0.99912 opens as it is
EPS_DECIMALS = 30  # any float from 1e-12 up, with all its digits: a file's ε opens as it is


class EpsSpinBox(DecimalSpinBox):
    """Adam's ε, written as 1e-8 (not 0.00000001); the arrows and the wheel step ×10 or ÷10."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Adam ε", *EPS_RANGE, EPS_DECIMALS, parent)

    def textFromValue(self, value: float) -> str:
        mantissa, _, exponent = repr(float(value)).partition("e")  # the shortest digits that give it back
        mantissa = mantissa.removesuffix(".0")
        return f"{mantissa}e{int(exponent)}" if exponent else mantissa

    def stepBy(self, steps: int) -> None:
        self.setValue(min(max(self.value() * 10.0**steps, self.minimum()), self.maximum()))
        self.refresh_check()  # at an end of the range the value, and so no signal, may not change


class OptimizerFields(QWidget):
    """The optimizer selector and its hyper-parameters; `changed` on any edit by the user."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.combo = QComboBox()
        for key, name in OPTIMIZER_NAMES.items():
            self.combo.addItem(name, key)
            self.combo.setItemData(self.combo.count() - 1, OPTIMIZER_TIPS[key], Qt.ItemDataRole.ToolTipRole)
        self.combo.setToolTip(OPTIMIZER_TIP)
        self.momentum_spin = DecimalSpinBox("Momentum μ", *MOMENTUM_RANGE, DECIMALS)
        self.beta1_spin = DecimalSpinBox("Adam β1", *BETA_RANGE, DECIMALS)
        self.beta2_spin = DecimalSpinBox("Adam β2", *BETA_RANGE, DECIMALS)
        self.eps_spin = EpsSpinBox()
        self.spins = {
            "momentum": self.momentum_spin,
            "beta1": self.beta1_spin,
            "beta2": self.beta2_spin,
            "eps": self.eps_spin,
        }
        tips = {"momentum": MOMENTUM_TIP, "beta1": BETA1_TIP, "beta2": BETA2_TIP, "eps": EPS_TIP}
        # as the fields' messages name them (field_name): a message under a field names its label
        labels = {key: spin.field_name for key, spin in self.spins.items()}
        self.form = QFormLayout(self)
        self.form.setContentsMargins(0, 0, 0, 0)
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.form.addRow(_label("Optimizer", OPTIMIZER_TIP), self.combo)
        self.field_messages = {}
        self._rows = {}
        for key, spin in self.spins.items():
            spin.setSingleStep(0.001 if key == "beta2" else 0.01)  # ε steps ×10 (EpsSpinBox)
            spin.setToolTip(tips[key])
            box, message = with_message(spin)
            self.field_messages[spin] = message
            self._rows[key] = box
            self.form.addRow(_label(labels[key], tips[key]), box)
            spin.valueChanged.connect(self.changed)
        self.combo.currentIndexChanged.connect(self._show_rows)
        self.combo.currentIndexChanged.connect(self.changed)
        self._show_rows()

    def optimizer(self) -> str:
        return self.combo.currentData()

    def values(self) -> dict:
        """The TrainSettings fields these widgets edit."""
        return {"optimizer": self.optimizer(), **{key: spin.value() for key, spin in self.spins.items()}}

    def problem(self, s: TrainSettings) -> str:
        """Why these fields cannot show `s` exactly, or ""."""
        if not isinstance(s.optimizer, str) or self.combo.findData(s.optimizer) < 0:
            return f"Optimizer must be one of {', '.join(OPTIMIZER_NAMES)}, not {s.optimizer!r}"
        for key, spin in self.spins.items():
            if problem := spin.problem_with_value(getattr(s, key)):
                return problem
        return ""

    def set_values(self, s: TrainSettings) -> None:
        """Show `s` (the caller blocks the signals and has checked `problem`)."""
        self.combo.setCurrentIndex(self.combo.findData(s.optimizer))
        for key, spin in self.spins.items():
            spin.setValue(getattr(s, key))
        self._show_rows()

    def shown(self) -> list[str]:
        """The hyper-parameters whose fields are shown (those of the chosen optimizer)."""
        return [key for key, box in self._rows.items() if self.form.isRowVisible(box)]

    def _show_rows(self) -> None:
        used = HYPERPARAMETERS.get(self.optimizer(), ())
        for key, box in self._rows.items():
            self.form.setRowVisible(box, key in used)


def _label(text: str, tip: str) -> QLabel:
    label = QLabel(text)
    label.setToolTip(tip)
    return label
