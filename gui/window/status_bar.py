"""The status bar: which engine trains, the step, loss, accuracy, speed and the training state."""

from __future__ import annotations

import math

from PySide6.QtWidgets import QLabel, QStatusBar

from engine.train import StepResult
from gui.widgets.run_status import state_title

# which engine trains, in the words of the Training panel's "Compiled (vectorised with NumPy)"
SCALAR_ENGINE = "scalar engine (Value objects)"
COMPILED_ENGINE = "compiled (NumPy)"
SCALAR_ENGINE_TIP = (
    "Training runs on the lecture's Value objects: every number a Value, every step a graph and a "
    "backward() through it.\nTraining ▸ Compiled (vectorised with NumPy) runs the same steps as "
    "array operations, much faster."
)


def engine_text(line: str) -> str:
    """The trainer's engine line ("plain engine", "compiled: 1,234 scalar ops → 9 array ops") as the
    status bar shows it to a learner."""
    if line.startswith("compiled"):
        return COMPILED_ENGINE + line[len("compiled") :]
    return SCALAR_ENGINE


class TrainingStatusBar(QStatusBar):
    """Messages on the left; on the right, permanent labels that follow the run."""

    def __init__(self) -> None:
        super().__init__()
        self.state_label = QLabel()
        self.step_label = QLabel()
        self.loss_label = QLabel()
        self.accuracy_label = QLabel()
        self.rate_label = QLabel()
        self.engine_label = QLabel()
        self.show_engine("plain engine", "")
        for label in (
            self.engine_label,
            self.step_label,
            self.loss_label,
            self.accuracy_label,
            self.rate_label,
            self.state_label,
        ):
            label.setContentsMargins(8, 0, 8, 0)
            self.addPermanentWidget(label)

    def show_engine(self, line: str, details: str) -> None:
        """Which engine trains (`line` from the trainer), and in the tooltip what that means."""
        self.engine_label.setText(engine_text(line))
        if line.startswith("compiled"):
            self.engine_label.setToolTip(details)  # what compiling made of the step
        else:  # and, with Compiled ticked, why it is not in use
            self.engine_label.setToolTip(
                f"{SCALAR_ENGINE_TIP}\n\n{details}" if details else SCALAR_ENGINE_TIP
            )

    def show_run(
        self,
        state: str,
        last: StepResult | None,
        steps: int,
        steps_per_second: float,
        saved_run: bool = False,
    ) -> None:
        """The run as it stands: `last` is its latest step (None before the first); `saved_run`: an
        opened session's run, idle until Resume."""
        self.state_label.setText(f"<b>{state_title(state, saved_run)}</b>")
        self.step_label.setText(f"step {last.step if last else 0} / {steps}")
        self.loss_label.setText(f"loss {last.loss:.5g}" if last else "loss —")
        acc, r2 = (last.accuracy, getattr(last, "r2", None)) if last else (None, None)
        if acc is None and r2 is not None:  # regression: how much of the targets' spread the fit explains
            self.accuracy_label.setText(f"R² {r2:.3f}")
        else:
            self.accuracy_label.setText(f"accuracy {acc:.0%}" if acc is not None else "accuracy —")
        rate = steps_per_second
        self.rate_label.setText(f"{rate:.0f} steps/s" if rate and math.isfinite(rate) else "— steps/s")
